// The integer kernels against the straightforward references: exact byte equality on whichever ISA path this process runs
// (run the suite normally, with DOTNET_EnableAVX2=0 and with DOTNET_EnableHWIntrinsic=0 to cover all three).
using System;
using QuantGen.Plan;
using Xunit;

namespace QuantGen.Kernels.Tests.Int8
{
    public unsafe class Int8KernelTests
    {
        [Theory]
        // m, n, k, zpOut, qmin, qmax, shiftDelta (added to the typical shift: negative saturates, positive squeezes)
        [InlineData(1, 1, 1, 128, 0, 255, 0)]
        [InlineData(3, 5, 1, 0, 0, 255, 0)]
        [InlineData(4, 16, 4, 255, 0, 255, 0)]
        [InlineData(5, 17, 7, 128, 128, 255, 0)]        // fused Relu: qmin = zpOut
        [InlineData(7, 70, 13, 100, 100, 160, 0)]       // ReLU6-style window
        [InlineData(13, 33, 1000, 128, 0, 255, 0)]      // big k
        [InlineData(9, 48, 64, 128, 0, 255, -6)]        // heavy saturation at qmin/qmax
        [InlineData(2, 8, 3, 3, 0, 255, 20)]            // tiny multiplier
        [InlineData(3, 20, 2, 128, 0, 255, -12)]        // negative shifts: real multipliers ≥ 1
        [InlineData(6, 9, 2, 128, 0, 255, 0)]
        [InlineData(33, 31, 259, 77, 0, 255, 0)]
        [InlineData(101, 40, 36, 128, 0, 255, 0)]       // m past the 96-row block
        [InlineData(1, 130, 577, 128, 0, 255, 0)]       // one row, many panels
        [InlineData(5, 20, 8195, 128, 0, 255, 0)]       // k past the widened-x AVX2 path (k > 8192): the streaming kernel
        [InlineData(6, 300, 300, 128, 0, 255, 0)]       // weights past one 128 KB panel block
        [InlineData(5, 20, 0, 128, 0, 255, 0)]          // k = 0: bias only, and no weight byte to read
        [InlineData(37, 40, 16, 128, 0, 255, 0)]        // k ≤ 32, m ≥ 16: weights widened to int16 once per call; m % 4, n % 16 tails
        [InlineData(18, 96, 27, 90, 90, 255, 0)]        // the same with k % 4 != 0 and a fused Relu
        [InlineData(50, 200, 32, 128, 0, 255, 0)]       // the same, several panels
        public void GemmMatchesReference(int m, int n, int k, int zpOut, int qmin, int qmax, int shiftDelta)
        {
            byte[] x = Int8Reference.Bytes(m * 31 + n + k, m * k);
            sbyte[] w = Int8Reference.Weights(k + 7, k * n);
            int[] bias = Int8Reference.Ints(n + 3, n, -200000, 200000);
            (int[] mult, int shift) = Int8Reference.Requant(n * k, n, Int8Reference.ShiftFor(k) + shiftDelta);

            var expected = new byte[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    int acc = bias[j];
                    for (int kk = 0; kk < k; kk++) acc += x[i * k + kk] * w[kk * n + j];
                    expected[i * n + j] = Int8Reference.OutChannel(acc, mult[j], shift, zpOut, qmin, qmax);
                }

            sbyte[] packed = Int8Reference.Pack(w, k, n);
            Assert.Equal(GemmLayout.PackedU8S8Length(n, k), packed.Length);
            byte[] y = Int8Reference.Output(m * n);
            fixed (byte* px = x, py = y)
            fixed (sbyte* pw = packed)
            fixed (int* pb = bias, pm = mult)
                GemmU8S8.Run(px, pw, pb, py, pm, shift, m, n, k, zpOut, qmin, qmax);
            Int8Reference.AssertEqual(expected, y, m * n, $"GemmU8S8 {m}x{n}x{k}");
        }

        [Theory]
        [InlineData(30, -3.5f, 4000f)]   // clinical features: raw, mixed magnitudes
        [InlineData(17, 0.5f, 2f)]       // all positive: the range still includes 0 (zp = 0)
        [InlineData(64, -2f, -0.25f)]    // all negative (zp = 255)
        [InlineData(9, 0f, 0f)]          // all zero: scale 1, zp 0
        [InlineData(1000, -1f, 1f)]
        public void DynamicQuantizeMatchesItsFormula(int count, float lo, float hi)
        {
            var x = new float[count];
            var random = new Random(count);
            for (int i = 0; i < count; i++) x[i] = lo + (float)random.NextDouble() * (hi - lo);
            float min = 0f, max = 0f;
            foreach (var v in x) { min = Math.Min(min, v); max = Math.Max(max, v); }
            float scale = (max - min) / 255f;
            if (!(scale > 0f)) scale = 1f;
            int zp = (int)Math.Clamp(MathF.Round(-min / scale, MidpointRounding.ToEven), 0f, 255f);
            var expected = new byte[count];
            for (int i = 0; i < count; i++) expected[i] = (byte)Math.Clamp(MathF.Round(x[i] * (1f / scale), MidpointRounding.ToEven) + zp, 0f, 255f);
            var y = Int8Reference.Output(count);
            var qparams = new float[2];
            fixed (float* px = x, pq = qparams)
            fixed (byte* py = y)
                DynamicQuantization.Quantize(px, py, pq, count);
            Assert.Equal(scale, qparams[0]);
            Assert.Equal(zp, qparams[1]);
            Int8Reference.AssertEqual(expected, y, count, $"QuantizeDynamicU8 {count}");
            // 0 is exactly representable, and every value is within half a step of its grid point (inside the range).
            for (int i = 0; i < count; i++) Assert.True(Math.Abs((y[i] - zp) * scale - x[i]) <= scale * 0.5f + 1e-6f * Math.Abs(x[i]));
        }

        [Theory]
        [InlineData(1, 37)]
        [InlineData(5, 384)]   // MiniLM's width: the vector body, no tail
        [InlineData(3, 13)]    // tails on every path
        public void DynamicQuantizeRowsIsQuantizePerRow(int rows, int cols)
        {
            var x = new float[rows * cols];
            var random = new Random(rows * 1000 + cols);
            // Each row its own range, one with a large outlier: per-row parameters must not leak between rows.
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++) x[r * cols + c] = (float)(random.NextDouble() * 2 - 0.3) * (r + 1) * (c == 3 && r == 1 ? 40 : 1);
            var y = Int8Reference.Output(rows * cols);
            var qparams = new float[2 * rows];
            var expected = new byte[rows * cols];
            var expectedParams = new float[2 * rows];
            fixed (float* px = x, pq = qparams, peq = expectedParams)
            fixed (byte* py = y, pe = expected)
            {
                DynamicQuantization.QuantizeRows(px, py, pq, rows, cols);
                for (int r = 0; r < rows; r++) DynamicQuantization.Quantize(px + r * cols, pe + r * cols, peq + 2 * r, cols);
            }
            Assert.Equal(expectedParams, qparams);
            Int8Reference.AssertEqual(expected, y, rows * cols, $"QuantizeDynamicU8.Rows {rows}x{cols}");
        }

        [Theory]
        [InlineData(2, 19, true)]     // tails on the 8- and 4-wide paths
        [InlineData(3, 64, false)]
        [InlineData(1, 5, true)]
        public void DynamicRowsFinishMatchesItsFormulaBitForBit(int rows, int n, bool withBias)
        {
            var random = new Random(rows * 100 + n);
            float[] Floats(int count, double spread) { var v = new float[count]; for (int i = 0; i < count; i++) v[i] = (float)((random.NextDouble() * 2 - 1) * spread); return v; }
            var y = Floats(rows * n, 5000);
            var qparams = new float[2 * rows];
            for (int r = 0; r < rows; r++) { qparams[2 * r] = 0.01f * (r + 1); qparams[2 * r + 1] = 17 * r; }
            var terms = Floats(n, 3);
            var bias = withBias ? Floats(n, 1) : null;
            var expected = new float[rows * n];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < n; j++)
                {
                    float v = (y[i * n + j] - qparams[2 * i + 1] * terms[j]) * qparams[2 * i];
                    expected[i * n + j] = bias != null ? v + bias[j] : v;
                }
            fixed (float* py = y, pq = qparams, pt = terms, pb = bias)
                DynamicQuantization.FinishRows(py, pq, pt, pb, rows, n);
            for (int i = 0; i < rows * n; i++)
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(y[i]), $"element {i}: {y[i]:R}, expected {expected[i]:R}");
        }

        [Fact]
        public void DynamicGemmParametersFoldTheZeroPointAndTheBias()
        {
            var qparams = new[] { 0.05f, 37f };
            var columnSums = new[] { 100, -250, 0 };
            var weightScale = new[] { 0.01f, 0.002f, 0.5f };
            var bias = new[] { 0.3f, -1.2f, 7f };
            var biasOut = new int[3];
            var scaleOut = new float[3];
            fixed (float* pq = qparams, pw = weightScale, pb = bias, ps = scaleOut)
            fixed (int* pc = columnSums, po = biasOut)
                DynamicQuantization.PrepareGemm(pq, pc, pw, pb, po, ps, 3);
            for (int j = 0; j < 3; j++)
            {
                float s = 0.05f * weightScale[j];
                Assert.Equal(s, scaleOut[j]);
                Assert.Equal((int)MathF.Round(bias[j] / s, MidpointRounding.ToEven) - 37 * columnSums[j], biasOut[j]);
            }
        }

        [Theory]
        [InlineData(1, 10, 64)]       // logits of a small classifier
        [InlineData(4, 7, 3)]         // tails everywhere
        [InlineData(33, 40, 259)]
        [InlineData(1, 1000, 1280)]   // MobileNetV2's classifier
        public void GemmFloatMatchesReferenceBitForBit(int m, int n, int k)
        {
            byte[] x = Int8Reference.Bytes(m * 17 + n + k, m * k);
            sbyte[] w = Int8Reference.Weights(k + 3, k * n);
            int[] bias = Int8Reference.Ints(n + 5, n, -200000, 200000);
            var scale = new float[n];
            for (int j = 0; j < n; j++) scale[j] = 1e-4f * (1 + (j * 7919 % 97));
            var expected = new float[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    int acc = bias[j];
                    for (int kk = 0; kk < k; kk++) acc += x[i * k + kk] * w[kk * n + j];
                    expected[i * n + j] = (float)acc * scale[j];
                }
            sbyte[] packed = Int8Reference.Pack(w, k, n);
            var y = new float[m * n + 1];
            y[m * n] = 12345f; // a sentinel past the end
            fixed (byte* px = x)
            fixed (float* py = y, pscale = scale)
            fixed (sbyte* pw = packed)
            fixed (int* pb = bias)
                GemmU8S8.RunFloat(px, pw, pb, py, pscale, m, n, k);
            for (int i = 0; i < m * n; i++)
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(y[i]), $"GemmU8S8.RunFloat {m}x{n}x{k} element {i}: {y[i]} vs {expected[i]}");
            Assert.Equal(12345f, y[m * n]);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(13)]
        [InlineData(8194)]   // the streaming AVX2 kernel (k > 8192)
        public void GemmNeverReadsPastTheEndOfARow(int k)
        {
            // x is followed by 255s and the padding weights of the last quad are poisoned (non-zero): a kernel that read x
            // past column k-1 of any row (instead of zero-padding the last quad) would multiply them and change the result.
            const int m = 5, n = 20;
            byte[] x = Int8Reference.Bytes(1, m * k + 8);
            for (int i = m * k; i < x.Length; i++) x[i] = 255;
            sbyte[] w = Int8Reference.Weights(2, k * n);
            (int[] mult, int shift) = Int8Reference.Requant(3, n, 0, 0);
            for (int j = 0; j < n; j++) mult[j] = int.MaxValue;
            var expected = new byte[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    int acc = 0;
                    for (int kk = 0; kk < k; kk++) acc += x[i * k + kk] * w[kk * n + j];
                    expected[i * n + j] = Int8Reference.OutChannel(acc, mult[j], shift, 128, 0, 255);
                }
            sbyte[] packed = Int8Reference.Pack(w, k, n);
            int quads = (k + 3) / 4;
            for (int p = 0; p < (n + 15) / 16; p++)
                for (int j = 0; j < 16; j++)
                    for (int t = k % 4; t < 4; t++) packed[(p * quads + quads - 1) * 64 + j * 4 + t] = 77;
            byte[] y = Int8Reference.Output(m * n);
            fixed (byte* px = x, py = y)
            fixed (sbyte* pw = packed)
            fixed (int* pm = mult)
                GemmU8S8.Run(px, pw, null, py, pm, shift, m, n, k, 128, 0, 255);
            Int8Reference.AssertEqual(expected, y, m * n, "GemmU8S8 tail");
        }

        [Theory]
        // ih, iw, ic, oc, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, group, zpIn, zpOut
        [InlineData(5, 7, 8, 20, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 128)]          // direct 1×1 (no scratch)
        [InlineData(6, 6, 3, 16, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, 128, 128)]        // 1×1 stride 2
        [InlineData(8, 9, 3, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 255, 0)]          // pads on all sides, zpIn 255
        [InlineData(9, 9, 5, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 128, 255)]        // stride 2, n % 16 != 0
        [InlineData(10, 10, 4, 8, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, 37, 128)]        // dilation 2
        [InlineData(7, 8, 3, 5, 2, 3, 1, 2, 0, 1, 2, 0, 1, 1, 1, 128, 10)]          // asymmetric pads
        [InlineData(6, 6, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 128, 128)]         // groups 2
        [InlineData(7, 6, 20, 36, 3, 3, 2, 1, 1, 0, 1, 1, 1, 1, 2, 5, 128)]         // groups 2, ocg 18
        [InlineData(6, 7, 5, 10, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 5, 128, 128)]        // group = channels, multiplier 2
        [InlineData(10, 10, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 128, 128)]     // K = 576
        [InlineData(4, 4, 2, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 200, 128)]         // padded 1×1
        [InlineData(16, 16, 96, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 128, 128)]     // K = 864, several im2col blocks
        [InlineData(12, 11, 3, 24, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1, 128, 128)]      // RGB stem 7×7, K = 147
        [InlineData(80, 80, 3, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 128, 128)]      // MobileNetV2's stem: im2col blocks end inside output rows
        [InlineData(9, 8, 4, 8, 3, 3, 1, 1, 2, 1, 2, 1, 2, 1, 1, 37, 128)]          // dilation in y only: whole-inside windows with row gaps
        [InlineData(6, 6, 5, 16, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1, 128, 128)]        // no padding: every window inside
        public void ConvGemmMatchesReference(int ih, int iw, int ic, int oc, int kh, int kw, int sh, int sw,
            int pt, int pl, int pb, int pr, int dh, int dw, int group, int zpIn, int zpOut)
        {
            int oh = (ih + pt + pb - dh * (kh - 1) - 1) / sh + 1;
            int ow = (iw + pl + pr - dw * (kw - 1) - 1) / sw + 1;
            int icg = ic / group, ocg = oc / group, k = kh * kw * icg;
            byte[] x = Int8Reference.Bytes(11 + ic, ih * iw * ic);
            sbyte[] wOnnx = Int8Reference.Weights(12 + oc, oc * icg * kh * kw);
            int[] bias = Int8Reference.Ints(13, oc, -100000, 100000);
            (int[] mult, int shift) = Int8Reference.Requant(14 + k, oc, Int8Reference.ShiftFor(k));
            byte[] expected = Int8Reference.Conv(x, wOnnx, bias, mult, shift, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl, dh, dw, group, zpIn, zpOut, 0, 255);

            long perGroup = GemmLayout.PackedU8S8Length(ocg, k);
            var packed = new sbyte[group * perGroup];
            for (int g = 0; g < group; g++)
            {
                var bg = new sbyte[k * ocg];
                for (int co = 0; co < ocg; co++)
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < kw; kx++)
                            for (int ci = 0; ci < icg; ci++)
                                bg[((ky * kw + kx) * icg + ci) * ocg + co] = wOnnx[(((g * ocg + co) * icg + ci) * kh + ky) * kw + kx];
                Int8Reference.Pack(bg, k, ocg).CopyTo(packed, g * perGroup);
            }

            long scratchLength = ConvLayout.ScratchU8Length(oh, ow, kh, kw, sh, sw, pt, pl, pb, pr, icg, group);
            // Garbage the kernel must overwrite before it reads, then guards: one im2col block is all it may touch.
            byte[] scratch = Int8Reference.Output((int)scratchLength);
            Int8Reference.Bytes(15, (int)scratchLength).CopyTo(scratch, 0);
            byte[] y = Int8Reference.Output(oh * ow * oc);
            fixed (byte* px = x, py = y, pscr = scratch)
            fixed (sbyte* pw = packed)
            fixed (int* pbias = bias, pm = mult)
                ConvU8S8.Gemm(px, pw, pbias, py, pm, shift, scratchLength == 0 ? null : pscr, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw,
                    pt, pl, pb, pr, dh, dw, group, zpIn, zpOut, 0, 255);
            Int8Reference.AssertEqual(expected, y, oh * ow * oc, "ConvU8S8.Gemm");
            for (long i = scratchLength; i < scratch.Length; i++)
                Assert.True(scratch[i] == Int8Reference.GuardByte, $"ConvU8S8.Gemm wrote past its scratch at byte {i} (extent {scratchLength})");
        }

        [Theory]
        // ih, iw, c, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, zpIn, zpOut, qmin, qmax
        [InlineData(8, 8, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 128, 128, 0, 255)]
        [InlineData(9, 9, 19, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0, 255)]          // c % 8 != 0, stride 2
        [InlineData(11, 10, 40, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 255, 128, 128, 255)]  // 5×5, Relu
        [InlineData(12, 12, 24, 5, 5, 2, 2, 2, 2, 1, 1, 1, 1, 77, 200, 150, 230)]   // 5×5 stride 2, asymmetric pad
        [InlineData(10, 10, 16, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 128, 128, 0, 255)]    // dilation 2
        [InlineData(4, 5, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 128, 128, 0, 255)]       // c < 8: scalar only
        [InlineData(3, 3, 144, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 128, 128, 0, 255)]     // no padding
        [InlineData(7, 7, 48, 2, 2, 1, 1, 0, 0, 1, 1, 1, 1, 9, 128, 0, 255)]        // even tap count (pairs only), pad at the end
        [InlineData(2, 3, 16, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 128, 128, 0, 255)]      // window wider than the input: no interior pixel
        [InlineData(9, 20, 24, 1, 3, 1, 2, 0, 1, 0, 1, 1, 1, 200, 128, 0, 255)]     // 1×3, stride 2 across
        // The paired AVX2 path (c a multiple of 16, stride 1 or 2, no dilation) and its fallbacks
        [InlineData(9, 9, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 128, 128, 0, 255)]      // 3×3 stride 2 (MobileNet's down-sampling)
        [InlineData(10, 11, 16, 3, 3, 2, 2, 0, 0, 1, 1, 1, 1, 30, 128, 0, 255)]     // stride 2, padding only at the end
        [InlineData(11, 10, 32, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 255, 128, 128, 255)]  // 5×5: the general pair loop
        [InlineData(12, 13, 48, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, 9, 100, 0, 255)]      // 5×5 stride 2
        [InlineData(6, 7, 16, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 128, 128, 0, 255)]      // strides 1 down, 2 across
        [InlineData(7, 9, 32, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 128, 128, 0, 255)]      // stride 3: the per-pixel path
        [InlineData(3, 600, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 128, 128, 0, 255)]    // wide rows (115 KB of paired rows)
        [InlineData(3, 700, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 128, 128, 0, 255)]    // rows too wide for the paired buffer (over 128 KB)
        [InlineData(5, 6, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, 250, 0, 255)]        // four channel blocks per paired row
        [InlineData(7, 8, 48, 2, 2, 2, 2, 0, 0, 1, 1, 1, 1, 128, 128, 0, 255)]      // even kernel width, stride 2
        public void DepthwiseMatchesReference(int ih, int iw, int c, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr,
            int dh, int dw, int zpIn, int zpOut, int qmin, int qmax)
        {
            int oh = (ih + pt + pb - dh * (kh - 1) - 1) / sh + 1;
            int ow = (iw + pl + pr - dw * (kw - 1) - 1) / sw + 1;
            byte[] x = Int8Reference.Bytes(21 + c, ih * iw * c);
            sbyte[] w = Int8Reference.Weights(22 + c, kh * kw * c);
            int[] bias = Int8Reference.Ints(23, c, -30000, 30000);
            (int[] mult, int shift) = Int8Reference.Requant(24, c, Int8Reference.ShiftFor(kh * kw));

            // The reference in ONNX layout W[c, 1, kh, kw] through the general convolution reference.
            (sbyte[] wOnnx, sbyte[] packed) = Int8Reference.DepthwiseWeights(w, kh * kw, c);
            byte[] expected = Int8Reference.Conv(x, wOnnx, bias, mult, shift, ih, iw, c, oh, ow, c, kh, kw, sh, sw, pt, pl, dh, dw, c, zpIn, zpOut, qmin, qmax);
            byte[] y = Int8Reference.Output(oh * ow * c);
            fixed (byte* px = x, py = y)
            fixed (sbyte* pw = packed)
            fixed (int* pbias = bias, pm = mult)
                ConvU8S8.Depthwise(px, pw, pbias, py, pm, shift, ih, iw, c, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw, zpIn, zpOut, qmin, qmax);
            Int8Reference.AssertEqual(expected, y, oh * ow * c, "ConvU8S8.Depthwise");
        }

        [Theory]
        [InlineData(0, 0, 255)]
        [InlineData(128, 0, 255)]
        [InlineData(255, 0, 255)]
        [InlineData(128, 128, 200)]
        [InlineData(-70000, 0, 255)]     // zero points far outside [0, 255]: the AVX2 high-word form must step aside
        [InlineData(1 << 24, 0, 255)]    // where zp · 2^(s − 32) would overflow int32
        public void RequantizationIsExactForExtremeValues(int zp, int qmin, int qmax)
        {
            int[] values = { int.MinValue, int.MinValue + 1, -(1 << 30), -65537, -32385, -1000, -3, -2, -1, 0, 1, 2, 3, 1000, 32385, 65537, 1 << 30, int.MaxValue - 1, int.MaxValue };
            int[] multipliers = { 0, 1, 1 << 30, (1 << 30) + 1, 1518500250, int.MaxValue - 1, int.MaxValue };
            int count = values.Length * multipliers.Length;
            var acc = new int[count];
            var mult = new int[count];
            var bias = Int8Reference.Ints(5, count, -3, 4);
            int i = 0;
            foreach (int v in values)
                foreach (int mu in multipliers)
                {
                    acc[i] = v; mult[i] = mu;
                    i++;
                }
            // The per-channel form: every shift a layer can have, each with all (value, multiplier) pairs as its channels.
            // 33..54: the AVX2 high-word form (for |zp| ≤ 255), with 32 and 55 on either side of it.
            foreach (int s in new[] { 0, 1, 2, 7, 15, 29, 30, 31, 32, 33, 34, 40, 45, 52, 53, 54, 55, 60, 61, 62 })
            {
                var expected = new byte[count];
                var expectedBias = new byte[count];
                for (int j = 0; j < count; j++)
                {
                    expected[j] = Int8Reference.OutChannel(acc[j], mult[j], s, zp, qmin, qmax);
                    expectedBias[j] = Int8Reference.OutChannel(unchecked(acc[j] + bias[j]), mult[j], s, zp, qmin, qmax);
                }
                byte[] y = Int8Reference.Output(count);
                byte[] yBias = Int8Reference.Output(count);
                fixed (int* pa = acc, pm = mult, pb = bias)
                fixed (byte* py = y, pyb = yBias)
                {
                    Requantization.StoreChannels(pa, null, py, count, pm, s, zp, qmin, qmax);
                    Requantization.StoreChannels(pa, pb, pyb, count, pm, s, zp, qmin, qmax);
                }
                Int8Reference.AssertEqual(expected, y, count, $"Requantization, shift {s}");
                Int8Reference.AssertEqual(expectedBias, yBias, count, $"Requantization with bias, shift {s}");
            }

            var rng = new Random(zp + qmin);
            for (int trial = 0; trial < 2000; trial++)
            {
                int v = rng.Next(int.MinValue, int.MaxValue), mu = rng.Next(1 << 30, int.MaxValue), s = rng.Next(-30, 32);
                Assert.Equal(Int8Reference.Out(v, mu, s, zp, qmin, qmax), Requantization.Output(Requantization.Apply(v, mu, s), zp, qmin, qmax));
                int sc = rng.Next(0, 63);
                Assert.Equal(Int8Reference.OutChannel(v, mu, sc, zp, qmin, qmax), Requantization.Output(Requantization.ApplyChannel(v, mu, sc), zp, qmin, qmax));
            }
        }

        [Theory]
        [InlineData(1, 128, 0.05f)]
        [InlineData(37, 0, 1f)]
        [InlineData(1003, 255, 0.5f)]
        [InlineData(64, 128, 3.7e-3f)]
        public void QuantizeMatchesReference(int count, int zp, float invScale)
        {
            float[] x = TestData.Random(31 + count, count, -300f, 300f);
            // Exact halves and huge values exercise rounding to even and saturation.
            for (int i = 0; i < count; i += 3) x[i] = (float)Math.Round(x[i]) / invScale + 0.5f / invScale;
            if (count > 4) { x[1] = 1e30f; x[2] = -1e30f; x[4] = 2.5f / invScale; }
            var expected = new byte[count];
            for (int i = 0; i < count; i++)
            {
                float t = x[i] * invScale;
                double r = MathF.Round(t, MidpointRounding.ToEven);
                expected[i] = (byte)Math.Min(Math.Max(r + zp, 0), 255);
            }
            byte[] y = Int8Reference.Output(count);
            fixed (float* px = x)
            fixed (byte* py = y)
                QuantizationU8.Quantize(px, py, count, zp, invScale);
            Int8Reference.AssertEqual(expected, y, count, "QuantizeU8");
        }

        [Theory]
        [InlineData(3, 7, 128)]
        [InlineData(1, 1, 0)]
        [InlineData(17, 5, 255)]
        [InlineData(8, 12, 100)]
        [InlineData(3, 1000, 128)]      // RGB: the repeated-pattern vector path plus a remainder
        [InlineData(70, 9, 128)]        // past the pattern limit: per-pixel vectors
        public void QuantizeAffineMatchesReference(int features, int pixels, int zp)
        {
            int count = features * pixels;
            float[] x = TestData.Random(41, count, 0f, 255f);
            float[] a = TestData.Random(42, features, 0.5f, 3f);
            float[] b = TestData.Random(43, features, -200f, 50f);
            for (int i = 0; i < count; i += 5) x[i] = (float)Math.Round(x[i]);
            var expected = new byte[count];
            for (int i = 0; i < count; i++)
            {
                float t = x[i] * a[i % features];
                t = t + b[i % features];
                double r = MathF.Round(t, MidpointRounding.ToEven);
                expected[i] = (byte)Math.Min(Math.Max(r + zp, 0), 255);
            }
            byte[] y = Int8Reference.Output(count);
            fixed (float* px = x, pa = a, pb = b)
            fixed (byte* py = y)
                QuantizationU8.QuantizeAffine(px, pa, pb, py, count, features, zp);
            Int8Reference.AssertEqual(expected, y, count, "QuantizeAffineU8");
        }

        [Theory]
        [InlineData(1, 0, 0.1f)]
        [InlineData(45, 128, 0.0123f)]
        [InlineData(300, 255, 7.5f)]
        public void DequantizeMatchesReference(int count, int zp, float scale)
        {
            byte[] x = Int8Reference.Bytes(51, count);
            float[] y = TestData.Output(count);
            fixed (byte* px = x)
            fixed (float* py = y)
                QuantizationU8.Dequantize(px, py, count, zp, scale);
            for (int i = 0; i < count; i++)
                Assert.Equal(BitConverter.SingleToInt32Bits((float)(x[i] - zp) * scale), BitConverter.SingleToInt32Bits(y[i]));
            TestData.AssertGuardIntact(y, count);
        }

        [Theory]
        // count, aZp, bZp, yZp, qmin, qmax, aScale, bScale, yScale
        [InlineData(1, 128, 128, 128, 0, 255, 0.02, 0.03, 0.04)]
        [InlineData(37, 0, 255, 128, 0, 255, 0.1, 0.01, 0.05)]
        [InlineData(300, 255, 0, 0, 0, 255, 0.05, 0.05, 0.05)]
        [InlineData(64, 100, 140, 20, 20, 255, 0.5, 0.25, 0.01)]    // fused Relu, heavy saturation
        [InlineData(23, 128, 128, 128, 100, 150, 0.01, 0.02, 0.5)]  // output much coarser than inputs
        [InlineData(41, 128, 120, 128, 0, 255, 0.5, 0.5, 1e-7)]     // y multiplier ≥ 1 (a negative shift): the smallest counts
        public void AddMatchesReference(int count, int aZp, int bZp, int yZp, int qmin, int qmax, double aScale, double bScale, double yScale)
        {
            double twiceMax = 2 * Math.Max(aScale, bScale);
            (int am, int ash) = Quantize(aScale / twiceMax);
            (int bm, int bsh) = Quantize(bScale / twiceMax);
            (int ym, int ysh) = Quantize(twiceMax / ((1 << 20) * yScale));
            byte[] a = Int8Reference.Bytes(61 + count, count);
            byte[] b = Int8Reference.Bytes(62 + count, count);
            if (count > 2) { a[0] = 0; b[0] = 0; a[1] = 255; b[1] = 255; }
            var expected = new byte[count];
            for (int i = 0; i < count; i++)
            {
                int sum = Int8Reference.Rq((a[i] - aZp) * (1 << 20), am, ash) + Int8Reference.Rq((b[i] - bZp) * (1 << 20), bm, bsh);
                expected[i] = Int8Reference.Out(sum, ym, ysh, yZp, qmin, qmax);
            }
            byte[] y = Int8Reference.Output(count);
            fixed (byte* pa = a, pb = b, py = y)
                ElementwiseU8.Add(pa, pb, py, count, aZp, am, ash, bZp, bm, bsh, yZp, ym, ysh, qmin, qmax);
            Int8Reference.AssertEqual(expected, y, count, "AddU8");

            // The result is also the real sum, to within a couple of steps (catches a wrong formula, not just a wrong path).
            for (int i = 0; i < count; i++)
            {
                double real = (a[i] - aZp) * aScale + (b[i] - bZp) * bScale;
                double q = Math.Min(Math.Max(Math.Round(real / yScale) + yZp, qmin), qmax);
                Assert.True(Math.Abs(q - y[i]) <= 1, $"AddU8 element {i}: {y[i]} vs real {q}");
            }
        }

        [Theory]
        // hw, c, zpIn, zpOut, sIn/sOut
        [InlineData(49, 64, 128, 128, 1.0)]
        [InlineData(1, 3, 0, 0, 0.5)]
        [InlineData(7, 21, 255, 0, 1.3)]
        [InlineData(100, 13, 37, 200, 2.0)]
        [InlineData(1, 17, 10, 128, 3.0)]               // hw = 1, multiplier 3: a negative shift
        public void GlobalAverageMatchesReference(int hw, int c, int zpIn, int zpOut, double ratio)
        {
            (int m, int s) = Quantize(ratio / hw);
            byte[] x = Int8Reference.Bytes(71 + hw, hw * c);
            var expected = new byte[c];
            for (int ch = 0; ch < c; ch++)
            {
                int acc = 0;
                for (int i = 0; i < hw; i++) acc += x[i * c + ch];
                expected[ch] = Int8Reference.Out(acc - hw * zpIn, m, s, zpOut, 0, 255);
            }
            byte[] y = Int8Reference.Output(c);
            fixed (byte* px = x, py = y)
                PoolU8.GlobalAverage(px, py, hw, c, zpIn, zpOut, m, s);
            Int8Reference.AssertEqual(expected, y, c, "PoolU8.GlobalAverage");
        }

        [Theory]
        // ih, iw, c, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw
        [InlineData(8, 8, 64, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1)]
        [InlineData(9, 9, 19, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1)]
        [InlineData(7, 6, 50, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2)]
        [InlineData(5, 5, 3, 3, 3, 1, 1, 4, 4, 4, 4, 1, 1)]   // windows entirely in the padding: 0
        public void MaxPoolMatchesReference(int ih, int iw, int c, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr, int dh, int dw)
        {
            int oh = (ih + pt + pb - dh * (kh - 1) - 1) / sh + 1;
            int ow = (iw + pl + pr - dw * (kw - 1) - 1) / sw + 1;
            byte[] x = Int8Reference.Bytes(81 + c, ih * iw * c);
            var expected = new byte[oh * ow * c];
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        int best = 0;
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int iy = oy * sh - pt + ky * dh, ix = ox * sw - pl + kx * dw;
                                if (iy >= 0 && iy < ih && ix >= 0 && ix < iw) best = Math.Max(best, x[(iy * iw + ix) * c + ch]);
                            }
                        expected[(oy * ow + ox) * c + ch] = (byte)best;
                    }
            byte[] y = Int8Reference.Output(oh * ow * c);
            fixed (byte* px = x, py = y)
                PoolU8.Max(px, py, ih, iw, c, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw);
            Int8Reference.AssertEqual(expected, y, oh * ow * c, "PoolU8.Max");
        }

        [Fact]
        public void PackedLengthsAreWholePanelsOfKQuads()
        {
            Assert.Equal(16 * 4, GemmLayout.PackedU8S8Length(1, 1));
            Assert.Equal(32 * 8, GemmLayout.PackedU8S8Length(17, 5));
            Assert.Equal(64 * 576, GemmLayout.PackedU8S8Length(64, 576));
            Assert.Equal(0, ConvLayout.ScratchU8Length(7, 7, 1, 1, 1, 1, 0, 0, 0, 0, 64, 1));
        }

        /// <summary>The plan's im2col scratch is one block of whole GEMM tiles (about 128 KB FP32, 32 KB INT8), for every K.</summary>
        [Theory]
        // oh, ow, kh, kw, icg
        [InlineData(112, 112, 3, 3, 3)]       // MobileNetV2's stem: K = 27
        [InlineData(112, 112, 7, 7, 3)]       // ResNet's stem: K = 147
        [InlineData(56, 56, 3, 3, 64)]        // K = 576
        [InlineData(7, 7, 3, 3, 512)]         // K = 4608: one tile a block
        [InlineData(2, 3, 3, 3, 8)]           // fewer pixels than a block
        [InlineData(60, 60, 1, 1, 1)]         // K = 1 (a strided 1×1 on one channel)
        public void Im2ColScratchIsOneBlock(int oh, int ow, int kh, int kw, int icg)
        {
            int k = kh * kw * icg;
            long f32 = ConvLayout.ScratchF32Length(oh, ow, kh, kw, 2, 2, 1, 1, 1, 1, icg, 1);
            long u8 = ConvLayout.ScratchU8Length(oh, ow, kh, kw, 2, 2, 1, 1, 1, 1, icg, 1);
            Assert.True(f32 * sizeof(float) <= Math.Max(128 * 1024, 6L * k * sizeof(float)), "an FP32 block stays within 128 KB or one tile");
            Assert.True(u8 <= Math.Max(32 * 1024, 4L * k), "an INT8 block stays within 32 KB or one tile");
            Assert.True(f32 / k == oh * ow || f32 / k % 6 == 0, "an FP32 block is all the pixels or whole 6-row tiles");
            Assert.True(u8 / k == oh * ow || u8 / k % 4 == 0, "an INT8 block is all the pixels or whole 4-row tiles");
        }

        /// <summary>A real multiplier in [2^-32, 2^30) as (Q31 multiplier in [2^30, 2^31), shift in [−30, 31]).</summary>
        internal static (int Multiplier, int Shift) Quantize(double real)
        {
            Assert.True(real > 0 && real < (1 << 30), $"multiplier {real} out of range");
            int shift = 0;
            while (real < 0.5) { real *= 2; shift++; }
            while (real >= 1) { real /= 2; shift--; }
            long q = (long)Math.Round(real * (1L << 31));
            if (q == 1L << 31) { q /= 2; shift--; }
            Assert.InRange(shift, -30, 31);
            return ((int)q, shift);
        }
    }
}
