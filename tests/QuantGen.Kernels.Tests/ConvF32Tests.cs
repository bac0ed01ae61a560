// ConvF32.Gemm and ConvF32.Depthwise against naive NHWC loops with ONNX-layout weights.
using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using QuantGen.Plan;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    public unsafe class ConvF32Tests
    {
        [Theory]
        // ih, iw, ic, oc, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, group, act
        [InlineData(5, 7, 8, 20, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, Activation.None)]          // direct 1×1 (no scratch)
        [InlineData(6, 6, 3, 16, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, Activation.Relu)]          // 1×1 stride 2
        [InlineData(8, 9, 3, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, Activation.Relu)]          // pads on all sides
        [InlineData(9, 9, 5, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, Activation.Clip)]          // stride 2, n % 16 != 0
        [InlineData(10, 10, 4, 8, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, Activation.LeakyRelu)]    // dilation 2
        [InlineData(7, 8, 3, 5, 2, 3, 1, 2, 0, 1, 2, 0, 1, 1, 1, Activation.None)]           // asymmetric pads
        [InlineData(6, 6, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, Activation.None)]           // groups 2
        [InlineData(7, 6, 20, 36, 3, 3, 2, 1, 1, 0, 1, 1, 1, 1, 2, Activation.Relu)]         // groups 2, ocg 18
        [InlineData(6, 7, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 5, Activation.None)]           // group = channels
        [InlineData(6, 7, 5, 10, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 5, Activation.Clip)]          // depthwise, multiplier 2
        [InlineData(10, 10, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, Activation.Relu)]       // K = 576 (K blocking)
        [InlineData(4, 4, 2, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, Activation.None)]           // padded 1×1
        [InlineData(3, 3, 1, 1, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1, Activation.None)]           // k = 9, single output
        [InlineData(9, 9, 6, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, Activation.Tanh)]           // unfused activation
        [InlineData(16, 16, 96, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, Activation.None)]       // K = 864, several im2col blocks
        [InlineData(9, 8, 4, 8, 3, 3, 1, 1, 2, 1, 2, 1, 2, 1, 1, Activation.None)]           // dilation in y only: whole-inside windows with row gaps
        public void GemmMatchesReference(int ih, int iw, int ic, int oc, int kh, int kw, int sh, int sw,
            int pt, int pl, int pb, int pr, int dh, int dw, int group, object activation)
        {
            Activation act = (Activation)activation;
            int oh = (ih + pt + pb - dh * (kh - 1) - 1) / sh + 1;
            int ow = (iw + pl + pr - dw * (kw - 1) - 1) / sw + 1;
            int icg = ic / group, ocg = oc / group, k = kh * kw * icg;
            (float alpha, float beta) = TestData.Parameters(act);

            float[] x = TestData.Random(11, ih * iw * ic);
            float[] wOnnx = TestData.Random(12, oc * icg * kh * kw);
            float[] bias = TestData.Random(13, oc);

            // Pack per group: B[(ky, kx, ci), co] = W[g * ocg + co, ci, ky, kx].
            long perGroup = GemmLayout.PackedF32Length(ocg, k);
            var packed = new float[group * perGroup];
            for (int g = 0; g < group; g++)
            {
                var bg = new float[k * ocg];
                for (int co = 0; co < ocg; co++)
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < kw; kx++)
                            for (int ci = 0; ci < icg; ci++)
                                bg[((ky * kw + kx) * icg + ci) * ocg + co] = wOnnx[(((g * ocg + co) * icg + ci) * kh + ky) * kw + kx];
                TestData.PackB(bg, k, ocg).CopyTo(packed, g * perGroup);
            }

            long scratchLength = ConvLayout.ScratchF32Length(oh, ow, kh, kw, sh, sw, pt, pl, pb, pr, icg, group);
            // Garbage the kernel must overwrite before it reads, then guards: one im2col block is all it may touch.
            float[] scratch = TestData.Output((int)scratchLength);
            TestData.Random(14, (int)scratchLength, 1e6f, 1e7f).CopyTo(scratch, 0);
            float[] y = TestData.Output(oh * ow * oc);

            fixed (float* px = x, pw = packed, pbias = bias, py = y, ps = scratch)
                ConvF32.Gemm(px, pw, pbias, py, scratchLength == 0 ? null : ps, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw,
                    pt, pl, pb, pr, dh, dw, group, act, alpha, beta);

            double[] expected = Reference(x, wOnnx, bias, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl, dh, dw, group, act, alpha, beta);
            TestData.AssertClose(expected, y, oh * ow * oc, "conv");
            TestData.AssertGuardIntact(y, oh * ow * oc);
            TestData.AssertGuardIntact(scratch, (int)scratchLength);
        }

        [Theory]
        // ih, iw, c, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, bias, act
        [InlineData(6, 7, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.None)]
        [InlineData(8, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.Relu)]
        [InlineData(9, 7, 13, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false, Activation.Clip)]
        [InlineData(10, 10, 32, 3, 3, 2, 2, 0, 0, 1, 1, 1, 1, true, Activation.Clip)]
        [InlineData(9, 9, 45, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, true, Activation.LeakyRelu)]
        [InlineData(7, 9, 77, 5, 5, 1, 2, 2, 1, 2, 3, 1, 1, true, Activation.HardSwish)]
        [InlineData(4, 4, 100, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, true, Activation.None)]
        [InlineData(5, 5, 20, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, true, Activation.Sigmoid)]          // all interior, unfused activation
        [InlineData(2, 2, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.Relu)]             // no interior column
        [InlineData(12, 11, 24, 3, 3, 2, 2, 0, 0, 1, 1, 1, 1, false, Activation.None)]          // stride 2, end padding only
        [InlineData(11, 13, 19, 3, 3, 1, 2, 1, 3, 1, 0, 2, 1, true, Activation.Clip)]           // mixed dilation, uneven pads
        [InlineData(5, 70, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.Relu)]             // several row segments
        [InlineData(4, 40, 300, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, Activation.Clip)]           // wide channels, segments
        public void DepthwiseMatchesReference(int ih, int iw, int c, int kh, int kw, int sh, int sw,
            int pt, int pl, int pb, int pr, int dh, int dw, bool withBias, object activation)
        {
            Activation act = (Activation)activation;
            int oh = (ih + pt + pb - dh * (kh - 1) - 1) / sh + 1;
            int ow = (iw + pl + pr - dw * (kw - 1) - 1) / sw + 1;
            (float alpha, float beta) = TestData.Parameters(act);
            float[] x = TestData.Random(21, ih * iw * c);
            float[] wOnnx = TestData.Random(22, c * kh * kw);
            float[] bias = withBias ? TestData.Random(23, c) : new float[c];

            var w = new float[kh * kw * c];
            for (int ch = 0; ch < c; ch++)
                for (int t = 0; t < kh * kw; t++) w[t * c + ch] = wOnnx[ch * kh * kw + t];
            float[] y = TestData.Output(oh * ow * c);

            fixed (float* px = x, pw = w, pbias = bias, py = y)
                ConvF32.Depthwise(px, pw, withBias ? pbias : null, py, ih, iw, c, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw, act, alpha, beta);

            double[] expected = Reference(x, wOnnx, bias, ih, iw, c, oh, ow, c, kh, kw, sh, sw, pt, pl, dh, dw, c, act, alpha, beta);
            TestData.AssertClose(expected, y, oh * ow * c, "depthwise");
            TestData.AssertGuardIntact(y, oh * ow * c);
        }

        /// <summary>
        /// The 3×3 interior kernel computes two outputs per iteration where stride equals dilation; each output must still
        /// take the one-output order (two chains: taps 0, 2, 4, 6, 8 from the bias, taps 1, 3, 5, 7 from a product), so an
        /// output's bits do not depend on whether it was computed in a pair, alone at a segment's end, or by another thread.
        /// </summary>
        [SkippableTheory]
        // ih, iw, c, sh, sw, dh, dw, pad
        [InlineData(5, 12, 16, 1, 1, 1, 1, 1)]     // interior of 10 columns: pairs only
        [InlineData(5, 11, 24, 1, 1, 1, 1, 1)]     // 9 columns: pairs and one leftover
        [InlineData(4, 9, 8, 1, 1, 1, 1, 0)]       // no padding: 7 columns
        [InlineData(9, 13, 16, 2, 2, 2, 2, 2)]     // stride 2 with dilation 2 shares columns too
        [InlineData(5, 70, 8, 1, 1, 1, 1, 1)]      // several row segments, each with its own pairs
        [InlineData(6, 11, 20, 1, 1, 1, 1, 1)]     // channels past the last 8-block take the scalar loop (not checked here)
        public void DepthwiseInteriorKeepsTheOneOutputOrder(int ih, int iw, int c, int sh, int sw, int dh, int dw, int pad)
        {
            Skip.IfNot(Vector256.IsHardwareAccelerated && Fma.IsSupported, "the 3×3 interior kernel runs on AVX2 + FMA only, which this run turned off");
            int oh = (ih + 2 * pad - 2 * dh - 1) / sh + 1;
            int ow = (iw + 2 * pad - 2 * dw - 1) / sw + 1;
            float[] x = TestData.Random(31, ih * iw * c);
            float[] w = TestData.Random(32, 9 * c);
            float[] bias = TestData.Random(33, c);
            float[] y = TestData.Output(oh * ow * c);
            fixed (float* px = x, pw = w, pbias = bias, py = y)
                ConvF32.Depthwise(px, pw, pbias, py, ih, iw, c, oh, ow, 3, 3, sh, sw, pad, pad, dh, dw, Activation.Clip, 0f, 6f);

            int checkedOutputs = 0;
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    int iy0 = oy * sh - pad, ix0 = ox * sw - pad;
                    if (iy0 < 0 || iy0 + 2 * dh >= ih || ix0 < 0 || ix0 + 2 * dw >= iw) continue; // border: another kernel
                    for (int ch = 0; ch < c - c % 8; ch++)
                    {
                        float Tap(int t) => x[((iy0 + t / 3 * dh) * iw + ix0 + t % 3 * dw) * c + ch];
                        float Weight(int t) => w[t * c + ch];
                        float even = bias[ch], odd = Tap(1) * Weight(1);
                        foreach (int t in new[] { 0, 2, 4, 6, 8 }) even = MathF.FusedMultiplyAdd(Tap(t), Weight(t), even);
                        foreach (int t in new[] { 3, 5, 7 }) odd = MathF.FusedMultiplyAdd(Tap(t), Weight(t), odd);
                        float expected = Math.Min(Math.Max(even + odd, 0f), 6f);
                        float actual = y[(oy * ow + ox) * c + ch];
                        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                            $"output ({oy}, {ox}, {ch}) is {actual:R}, expected {expected:R} bit for bit");
                        checkedOutputs++;
                    }
                }
            Assert.True(checkedOutputs > 0, "the case has no interior output");
            TestData.AssertGuardIntact(y, oh * ow * c);
        }

        /// <summary>NHWC convolution with ONNX weights [oc, ic / group, kh, kw], in double.</summary>
        [Fact]
        public void GemmWithoutScratchWhenNeededThrows()
        {
            float[] x = new float[16], w = new float[16 * 9], y = new float[16];
            Assert.Throws<ArgumentNullException>(() =>
            {
                fixed (float* px = x, pw = w, py = y)
                    ConvF32.Gemm(px, pw, null, py, null, 4, 4, 1, 4, 4, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, Activation.None, 0f, 0f);
            });
        }

        internal static double[] Reference(float[] x, float[] w, float[] bias, int ih, int iw, int ic, int oh, int ow, int oc,
            int kh, int kw, int sh, int sw, int pt, int pl, int dh, int dw, int group, Activation act, float alpha, float beta)
        {
            int icg = ic / group, ocg = oc / group;
            var y = new double[oh * ow * oc];
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int o = 0; o < oc; o++)
                    {
                        int g = o / ocg;
                        double s = bias[o];
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int iy = oy * sh - pt + ky * dh, ix = ox * sw - pl + kx * dw;
                                if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) continue;
                                for (int ci = 0; ci < icg; ci++)
                                    s += (double)x[(iy * iw + ix) * ic + g * icg + ci] * w[((o * icg + ci) * kh + ky) * kw + kx];
                            }
                        y[(oy * ow + ox) * oc + o] = TestData.Activate(s, act, alpha, beta);
                    }
            return y;
        }
    }
}
