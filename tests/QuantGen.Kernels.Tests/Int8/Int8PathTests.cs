// Every INT8 instruction-set path called directly, under whatever DOTNET_Enable* setting the run has: each must give the
// reference bytes. Where the CPU lacks an instruction the path runs on its portable form (Isa/*Instructions.cs), so the
// 512-bit, AVX-VNNI and Arm64 DotProd kernels' logic is checked on every machine and in every CI run.
using System;
using Xunit;

namespace QuantGen.Kernels.Tests.Int8
{
    public unsafe class Int8PathTests
    {
        public enum GemmPath { Default, Avx512, AvxVnni, ArmDot, Sse2 }

        public static TheoryData<GemmPath, int, int, int> GemmShapes()
        {
            var data = new TheoryData<GemmPath, int, int, int>();
            int[][] shapes =
            {
                new[] { 1, 1, 1 }, new[] { 3, 5, 1 }, new[] { 4, 16, 4 }, new[] { 5, 17, 7 },   // tails everywhere
                new[] { 9, 48, 64 }, new[] { 13, 33, 259 },                                          // rows 8 + 1, a partial panel
                new[] { 37, 40, 16 }, new[] { 12, 24, 144 },                                         // small k; n = 24 (a last half panel)
                new[] { 8, 64, 128 }, new[] { 6, 300, 300 },                                         // whole 512-bit tiles; panels past one 128 KB block
                new[] { 1, 1000, 1280 },                                                             // MobileNetV2's classifier: one row
                new[] { 11, 20, 1027 },                                                              // k % 4 = 3 after many quads
            };
            foreach (GemmPath path in Enum.GetValues<GemmPath>())
                foreach (int[] s in shapes) data.Add(path, s[0], s[1], s[2]);
            return data;
        }

        [Theory]
        [MemberData(nameof(GemmShapes))]
        public void EveryGemmPathGivesTheReferenceBytes(GemmPath path, int m, int n, int k)
        {
            byte[] x = Int8Reference.Bytes(m * 13 + n + k, m * k);
            sbyte[] w = Int8Reference.Weights(k + 11, k * n);
            // Extreme operands in the first row and column: 255 × −128 and 255 × 127 everywhere there.
            for (int kk = 0; kk < k; kk++) { x[kk] = 255; w[kk * n] = (sbyte)(kk % 2 == 0 ? -128 : 127); }
            int[] bias = Int8Reference.Ints(n + 1, n, -200000, 200000);
            (int[] mult, int shift) = Int8Reference.Requant(n * 3 + k, n, Int8Reference.ShiftFor(k));
            const int zpOut = 117, qmin = 3, qmax = 250;

            var expected = new byte[m * n];
            var expectedFloat = new float[m * n];
            var scale = new float[n];
            for (int j = 0; j < n; j++) scale[j] = 1e-4f * (1 + (j * 7919 % 97));
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    int acc = bias[j];
                    for (int kk = 0; kk < k; kk++) acc += x[i * k + kk] * w[kk * n + j];
                    expected[i * n + j] = Int8Reference.OutChannel(acc, mult[j], shift, zpOut, qmin, qmax);
                    expectedFloat[i * n + j] = (float)acc * scale[j];
                }

            sbyte[] packed = Int8Reference.Pack(w, k, n);
            byte[] y = Int8Reference.Output(m * n);
            var yFloat = new float[m * n + 1];
            yFloat[m * n] = 12345f;
            fixed (byte* px = x, py = y)
            fixed (sbyte* pw = packed)
            fixed (int* pb = bias, pm = mult)
            fixed (float* pyf = yFloat, ps = scale)
            {
                Run(path, px, pw, pb, py, pm, shift, m, n, k, zpOut, qmin, qmax, null);
                Run(path, px, pw, pb, (byte*)pyf, pm, shift, m, n, k, 0, 0, 0, ps);
            }
            Int8Reference.AssertEqual(expected, y, m * n, $"{path} {m}x{n}x{k}");
            for (int i = 0; i < m * n; i++)
                Assert.True(BitConverter.SingleToInt32Bits(expectedFloat[i]) == BitConverter.SingleToInt32Bits(yFloat[i]),
                    $"{path} float {m}x{n}x{k} element {i}: {yFloat[i]} vs {expectedFloat[i]}");
            Assert.Equal(12345f, yFloat[m * n]);
        }

        private static void Run(GemmPath path, byte* x, sbyte* w, int* bias, byte* y, int* mult, int shift, int m, int n, int k,
            int zpOut, int qmin, int qmax, float* scale)
        {
            switch (path)
            {
                case GemmPath.Avx512: GemmU8S8.MultiplyRows512(x, k, w, bias, y, n, m, n, k, mult, shift, zpOut, qmin, qmax, scale); break;
                case GemmPath.AvxVnni: GemmU8S8.MultiplyRowsVnni(x, k, w, bias, y, n, m, n, k, mult, shift, zpOut, qmin, qmax, scale); break;
                case GemmPath.Sse2: GemmU8S8.MultiplyRowsSse2(x, k, w, bias, y, n, m, n, k, mult, shift, zpOut, qmin, qmax, scale); break;
                case GemmPath.ArmDot: GemmU8S8.MultiplyRowsArmDot(x, k, w, bias, y, n, m, n, k, mult, shift, zpOut, qmin, qmax, scale); break;
                default: GemmU8S8.MultiplyRows(x, k, w, bias, y, n, m, n, k, mult, shift, zpOut, qmin, qmax, scale); break;
            }
        }

        [Theory]
        // ih, iw, c, kh, kw, sh, sw, pad, zpIn: shapes the paired path takes (16-channel blocks, stride 1 or 2)
        [InlineData(8, 8, 32, 3, 3, 1, 1, 1, 128)]
        [InlineData(9, 9, 32, 3, 3, 2, 2, 1, 0)]
        [InlineData(10, 11, 16, 3, 3, 2, 2, 0, 30)]
        [InlineData(11, 10, 32, 5, 5, 1, 1, 2, 255)]   // the general pair loop (odd kernel width)
        [InlineData(7, 8, 48, 2, 2, 2, 2, 0, 9)]       // even kernel width
        [InlineData(6, 7, 16, 3, 3, 1, 2, 1, 77)]
        public void PairedDepthwiseGivesTheReferenceBytesWith512BitPixels(int ih, int iw, int c, int kh, int kw, int sh, int sw, int pad, int zpIn)
        {
            int oh = (ih + 2 * pad - kh) / sh + 1, ow = (iw + 2 * pad - kw) / sw + 1;
            Assert.True(ConvU8S8.TakesPaired(c, ow, kh, kw, sw, 1, 1));
            byte[] x = Int8Reference.Bytes(31 + c, ih * iw * c);
            sbyte[] w = Int8Reference.Weights(32 + c, kh * kw * c);
            w[0] = -128; w[1] = 127;
            int[] bias = Int8Reference.Ints(33, c, -30000, 30000);
            (int[] mult, int shift) = Int8Reference.Requant(34, c, Int8Reference.ShiftFor(kh * kw));
            (sbyte[] wOnnx, sbyte[] packed) = Int8Reference.DepthwiseWeights(w, kh * kw, c);
            byte[] expected = Int8Reference.Conv(x, wOnnx, bias, mult, shift, ih, iw, c, oh, ow, c, kh, kw, sh, sw, pad, pad, 1, 1, c, zpIn, 128, 0, 255);
            byte[] y = Int8Reference.Output(oh * ow * c);
            fixed (byte* px = x, py = y)
            fixed (sbyte* pw = packed)
            fixed (int* pbias = bias, pm = mult)
                ConvU8S8.DepthwiseRowsPaired(px, pw, pbias, py, pm, shift, ih, iw, c, ow, kh, kw, sh, sw, pad, pad, zpIn, 128, 0, 255, 0, oh, wide: true);
            Int8Reference.AssertEqual(expected, y, oh * ow * c, "paired depthwise, 512-bit pixels");
        }

        [Fact]
        public void The512BitRequantizationIsRcExactly()
        {
            // Every shift (both the high-word and the 64-bit forms), extreme accumulators and multipliers, several zero points.
            int[] values = { int.MinValue, int.MinValue + 1, -(1 << 30), -65537, -32385, -3, -1, 0, 1, 2, 32385, 65537, 1 << 30, int.MaxValue - 1, int.MaxValue, 123456789, -987654321 };
            int[] multipliers = { 0, 1, 1 << 30, (1 << 30) + 1, 1518500250, int.MaxValue - 1, int.MaxValue, 77 };
            int[] zeroPoints = { 0, 128, 255, -70000, 1 << 24 };
            var v = new int[16];
            var m = new int[16];
            var lanes = new byte[16];
            for (int shift = 0; shift <= 62; shift++)
                foreach (int zp in zeroPoints)
                {
                    var rq = new ChannelRequant512(shift, zp, 0, 255);
                    for (int start = 0; start < values.Length * multipliers.Length; start += 16)
                    {
                        for (int lane = 0; lane < 16; lane++)
                        {
                            int at = (start + lane) % (values.Length * multipliers.Length);
                            v[lane] = values[at % values.Length];
                            m[lane] = multipliers[at / values.Length];
                        }
                        fixed (int* pv = v, pm = m)
                        fixed (byte* pl = lanes)
                        {
                            var mv = System.Runtime.Intrinsics.Vector512.Load(pm);
                            System.Runtime.Intrinsics.Vector128.Store(rq.OutputBytes(System.Runtime.Intrinsics.Vector512.Load(pv), mv, ChannelRequant512.OddLanes(mv)), pl);
                        }
                        for (int lane = 0; lane < 16; lane++)
                            Assert.True(lanes[lane] == Int8Reference.OutChannel(v[lane], m[lane], shift, zp, 0, 255),
                                $"shift {shift}, zp {zp}, v {v[lane]}, m {m[lane]}: {lanes[lane]}, expected {Int8Reference.OutChannel(v[lane], m[lane], shift, zp, 0, 255)}");
                    }
                }
        }
    }
}
