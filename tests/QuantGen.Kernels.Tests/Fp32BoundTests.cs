// The FP32 bound between instruction sets (docs/how-it-works.md, "FP32 on every instruction set"), checked on whatever
// path this run takes (CI runs these tests under DOTNET_EnableAVX512F=0, DOTNET_EnableAVX2=0 and DOTNET_EnableHWIntrinsic=0
// too, and under qemu for Arm64):
//   every output y = act(b + Σ_{i<k} x_i·w_i) of a GEMM, convolution or depthwise kernel satisfies
//   |y − act(y*)| ≤ γ(k+1) · (|b| + Σ|x_i·w_i|),  γ(n) = n·2^−24 / (1 − n·2^−24),
// y* the exact value: the bound of any summation order of k + 1 terms with or without fused multiply-adds, so two paths
// differ by at most twice it. Where the CPU has FMA, the 16-column GEMM tiles (AVX2 and 512-bit) compute every element as
// one fused chain in k order, so there the bits are equal too.
using System;
using System.Runtime.Intrinsics.X86;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    public unsafe class Fp32BoundTests
    {
        private static double Gamma(int n) => n * Math.Pow(2, -24) / (1 - n * Math.Pow(2, -24));

        /// <summary>Asserts the bound for one output given its exact value, its magnitude sum and its dot length.</summary>
        private static void AssertWithinBound(float actual, double exact, double magnitude, int k, Activation act, string what)
        {
            // The reference's own error in double (k + 1 additions of exact products) is added to the allowance.
            double allowed = Gamma(k + 1) * magnitude + (k + 1) * Math.Pow(2, -52) * magnitude;
            double expected = act == Activation.Relu ? Math.Max(exact, 0) : exact;
            Assert.True(Math.Abs(actual - expected) <= allowed,
                $"{what}: {actual:R} vs exact {expected:R}, |difference| {Math.Abs(actual - expected):G3} above the bound {allowed:G3} (k = {k})");
        }

        [Theory]
        [InlineData(7, 48, 576, Activation.None)]
        [InlineData(13, 64, 1152, Activation.Relu)]
        [InlineData(3, 40, 4608, Activation.None)]     // ResNet-18's last convolutions: five k blocks
        [InlineData(1, 1000, 1280, Activation.None)]   // one row: the matrix-vector kernel
        [InlineData(20, 24, 147, Activation.Relu)]     // an 8-wide last panel
        public void GemmOutputsAreWithinTheBound(int m, int n, int k, object activation)
        {
            var act = (Activation)activation;
            float[] x = TestData.Random(11, m * k, -3f, 3f), b = TestData.Random(12, k * n), bias = TestData.Random(13, n, -2f, 2f);
            float[] packed = TestData.PackB(b, k, n), y = TestData.Output(m * n);
            fixed (float* px = x, pb = packed, pbias = bias, py = y)
                GemmF32.Run(px, pb, pbias, py, m, n, k, act, 0f, 0f);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double exact = bias[j], magnitude = Math.Abs(bias[j]);
                    for (int kk = 0; kk < k; kk++)
                    {
                        double p = (double)x[i * k + kk] * b[kk * n + j];
                        exact += p;
                        magnitude += Math.Abs(p);
                    }
                    AssertWithinBound(y[i * n + j], exact, magnitude, k, act, $"gemm {m}x{n}x{k} [{i}, {j}]");
                }
            TestData.AssertGuardIntact(y, m * n);
        }

        [Theory]
        // ih, c, kh, stride, depthwise
        [InlineData(9, 64, 3, 1, false)]
        [InlineData(12, 3, 7, 2, false)]      // an RGB stem, k = 147
        [InlineData(14, 144, 3, 1, true)]
        [InlineData(15, 40, 3, 2, true)]      // channels in 16 + 16 + 8 blocks, stride 2
        [InlineData(8, 33, 5, 1, true)]       // 5×5, scalar channel tail
        public void ConvolutionOutputsAreWithinTheBound(int ih, int c, int kh, int stride, bool depthwise)
        {
            int pad = kh / 2, oh = (ih + 2 * pad - kh) / stride + 1, oc = depthwise ? c : 48;
            int k = depthwise ? kh * kh : kh * kh * c;
            float[] x = TestData.Random(21, ih * ih * c, -2f, 2f), bias = TestData.Random(22, oc);
            // Weights [ky, kx, ci, o] (the GEMM's B [K, oc] with K ordered ky, kx, ci), or tap-major [ky, kx, ch] for depthwise.
            float[] w = TestData.Random(23, k * (depthwise ? c : oc));
            float[] y = TestData.Output(oh * oh * oc);
            fixed (float* px = x, pbias = bias, py = y)
            {
                if (depthwise)
                {
                    fixed (float* pw = w)
                        ConvF32.Depthwise(px, pw, pbias, py, ih, ih, c, oh, oh, kh, kh, stride, stride, pad, pad, 1, 1, Activation.Relu, 0f, 0f);
                }
                else
                {
                    float[] packed = TestData.PackB(w, k, oc);
                    float[] scratch = new float[ConvLayout.ScratchF32Length(oh, oh, kh, kh, stride, stride, pad, pad, pad, pad, c, 1)];
                    fixed (float* pw = packed, ps = scratch)
                        ConvF32.Gemm(px, pw, pbias, py, ps, ih, ih, c, oh, oh, oc, kh, kh, stride, stride, pad, pad, pad, pad, 1, 1, 1, Activation.Relu, 0f, 0f);
                }
            }
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < oh; ox++)
                    for (int o = 0; o < oc; o++)
                    {
                        double exact = bias[o], magnitude = Math.Abs(bias[o]);
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kh; kx++)
                            {
                                int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                                if (iy < 0 || iy >= ih || ix < 0 || ix >= ih) continue;
                                for (int ci = depthwise ? o : 0; ci < (depthwise ? o + 1 : c); ci++)
                                {
                                    double wv = depthwise ? w[(ky * kh + kx) * c + o] : w[((ky * kh + kx) * c + ci) * oc + o];
                                    double p = x[(iy * ih + ix) * c + ci] * wv;
                                    exact += p;
                                    magnitude += Math.Abs(p);
                                }
                            }
                        AssertWithinBound(y[(oy * oh + ox) * oc + o], exact, magnitude, k, Activation.Relu, $"conv {(depthwise ? "depthwise" : "im2col")} [{oy}, {ox}, {o}]");
                    }
            TestData.AssertGuardIntact(y, oh * oh * oc);
        }

        [Theory]
        [InlineData(6, 32, 16)]
        [InlineData(13, 64, 300)]
        [InlineData(7, 96, 2100)]   // three k blocks: C stored and reloaded between them
        public void WithFmaEverySixteenColumnElementIsOneFusedChain(int m, int n, int k)
        {
            // The AVX2 and 512-bit tiles (and Arm64's) compute b, then fma(x_0, w_0, ·), fma(x_1, w_1, ·), ... in k order.
            // Without FMA (the Vector128 path on x64 with AVX2 off, scalar) only the bound above holds.
            if (!Fma.IsSupported && !System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported)
            {
                GemmOutputsAreWithinTheBound(m, n, k, Activation.None);
                return;
            }
            AssertOneFusedChain(m, n, k, (px, pb, pbias, py) => GemmF32.Run(px, pb, pbias, py, m, n, k, Activation.None, 0f, 0f));
        }

        [Theory]
        [InlineData(6, 8)]
        [InlineData(11, 300)]
        [InlineData(1, 40)]
        public void The512BitTileIsOneFusedChainOnEveryCpu(int m, int k)
        {
            // Called directly: without AVX-512 it runs on the portable (fused) multiply-add, so its logic is checked everywhere.
            const int n = 32;
            AssertOneFusedChain(m, n, k, (px, pb, pbias, py) =>
                GemmF32.Strip6x32Vector512(px, k, pb, pb + GemmLayout.F32PanelWidth * k, k, py, n, m, pbias, pbias + GemmLayout.F32PanelWidth, false, false, new ActivationMath.IdentityOperator(), false));
        }

        private delegate void GemmCall(float* x, float* packed, float* bias, float* y);

        private static void AssertOneFusedChain(int m, int n, int k, GemmCall call)
        {
            float[] x = TestData.Random(31, m * k), b = TestData.Random(32, k * n), bias = TestData.Random(33, n);
            float[] packed = TestData.PackB(b, k, n), y = TestData.Output(m * n);
            fixed (float* px = x, pb = packed, pbias = bias, py = y)
                call(px, pb, pbias, py);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    float chain = bias[j];
                    for (int kk = 0; kk < k; kk++) chain = MathF.FusedMultiplyAdd(x[i * k + kk], b[kk * n + j], chain);
                    Assert.True(BitConverter.SingleToInt32Bits(chain) == BitConverter.SingleToInt32Bits(y[i * n + j]),
                        $"[{i}, {j}] of {m}x{n}x{k}: {y[i * n + j]:R}, the fused chain gives {chain:R}");
                }
            TestData.AssertGuardIntact(y, m * n);
        }
    }
}
