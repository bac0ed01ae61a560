// The fused 1×1 expansion + depthwise kernels against the two steps they replace: INT8 against the reference
// convolutions (byte equality), FP32 against ConvF32.Gemm then ConvF32.Depthwise (bit equality: the fused kernel runs
// the same GEMM rows and the same depthwise taps, only in bands). The scratch gets guard bytes past bandRows rows.
using System;
using QuantGen.Kernels.Tests.Int8;
using QuantGen.Plan;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    public unsafe class ExpandDepthwiseTests
    {
        public static System.Collections.Generic.IEnumerable<object[]> Shapes => new[]
        {
            // ih, iw, ic, c, kh, kw, sh, sw, pt, pl, pb, dh, bandRows
            new object[] { 12, 9, 16, 32, 3, 3, 1, 1, 1, 1, 1, 1, 3 },      // one output row per band (the smallest band), stride 1
            new object[] { 13, 9, 8, 32, 3, 3, 2, 2, 1, 1, 1, 1, 3 },       // stride 2, odd ih, one output row per band
            new object[] { 12, 7, 24, 48, 3, 3, 2, 2, 1, 1, 1, 1, 6 },      // stride 2, a band row left unused (2 output rows need 5)
            new object[] { 11, 10, 5, 19, 5, 5, 1, 1, 2, 2, 2, 1, 7 },      // 5×5, c % 16 != 0 (the portable depthwise path)
            new object[] { 10, 8, 16, 16, 3, 3, 1, 1, 2, 2, 2, 2, 5 },      // dilation 2: a 5-row window
            new object[] { 6, 6, 16, 32, 3, 3, 1, 1, 1, 1, 1, 1, 20 },      // the band holds the whole tensor
            new object[] { 9, 9, 16, 32, 3, 3, 2, 2, 0, 0, 1, 1, 4 },       // padding only at the end
            new object[] { 2, 3, 16, 16, 5, 5, 1, 1, 2, 2, 2, 1, 5 },       // input shorter than the window
            new object[] { 15, 8, 40, 64, 3, 3, 1, 1, 1, 1, 1, 1, 4 },      // ic > 32: the GEMM's int8-weight path
            new object[] { 14, 14, 24, 144, 3, 3, 1, 2, 1, 1, 1, 1, 8 },    // strides 1 down, 2 across
            new object[] { 1, 1, 40, 64, 3, 3, 1, 1, 1, 1, 1, 1, 3 },       // one pixel: the expansion is a matrix-vector product
        };

        [Theory]
        [MemberData(nameof(Shapes))]
        public void Int8MatchesExpansionThenDepthwise(int ih, int iw, int ic, int c, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int dh, int bandRows)
        {
            int pr = pl, dw = 1;
            int oh = (ih + pt + pb - dh * (kh - 1) - 1) / sh + 1, ow = (iw + pl + pr - dw * (kw - 1) - 1) / sw + 1;
            const int zpIn = 131, zpMid = 7, zpOut = 120;
            byte[] x = Int8Reference.Bytes(31 + c, ih * iw * ic);
            sbyte[] we = Int8Reference.Weights(32 + c, ic * c);                          // B [ic, c]
            int[] biasE = Int8Reference.Ints(33, c, -20000, 20000);
            (int[] multE, int shiftE) = Int8Reference.Requant(34, c, Int8Reference.ShiftFor(ic));
            sbyte[] wd = Int8Reference.Weights(35 + c, kh * kw * c);                     // tap-major [t * c + ch]
            int[] biasD = Int8Reference.Ints(36, c, -20000, 20000);
            (int[] multD, int shiftD) = Int8Reference.Requant(37, c, Int8Reference.ShiftFor(kh * kw));

            // The reference: the 1×1 convolution (ReLU6-style clamp), then the depthwise one reading zpMid in its padding.
            var weOnnx = new sbyte[c * ic];
            for (int o = 0; o < c; o++)
                for (int i = 0; i < ic; i++) weOnnx[o * ic + i] = we[i * c + o];
            byte[] mid = Int8Reference.Conv(x, weOnnx, biasE, multE, shiftE, ih, iw, ic, ih, iw, c, 1, 1, 1, 1, 0, 0, 1, 1, 1, zpIn, zpMid, zpMid, 200);
            var wdOnnx = new sbyte[c * kh * kw];
            for (int ch = 0; ch < c; ch++)
                for (int t = 0; t < kh * kw; t++) wdOnnx[ch * kh * kw + t] = wd[t * c + ch];
            byte[] expected = Int8Reference.Conv(mid, wdOnnx, biasD, multD, shiftD, ih, iw, c, oh, ow, c, kh, kw, sh, sw, pt, pl, dh, dw, c, zpMid, zpOut, 0, 255);

            var wdPacked = new sbyte[wd.Length];
            for (int ch = 0; ch < c; ch++)
                for (int t = 0; t < kh * kw; t++) wdPacked[ConvLayout.DepthwiseU8S8Index(t, ch, kh * kw, c)] = wd[t * c + ch];
            sbyte[] wePacked = Int8Reference.Pack(we, ic, c);
            byte[] scratch = Int8Reference.Output(bandRows * iw * c);
            byte[] y = Int8Reference.Output(oh * ow * c);
            fixed (byte* px = x, py = y, ps = scratch)
            fixed (sbyte* pwe = wePacked, pwd = wdPacked)
            fixed (int* pbe = biasE, pme = multE, pbd = biasD, pmd = multD)
                ConvU8S8.ExpandDepthwise(px, pwe, pbe, pme, shiftE, zpMid, zpMid, 200, pwd, pbd, py, pmd, shiftD, ps, bandRows,
                    ih, iw, ic, c, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw, zpOut, 0, 255);
            Int8Reference.AssertEqual(expected, y, oh * ow * c, "ConvU8S8.ExpandDepthwise");
            for (int i = bandRows * iw * c; i < scratch.Length; i++)
                Assert.True(scratch[i] == Int8Reference.GuardByte, $"scratch written past bandRows rows at byte {i}");
        }

        [Theory]
        [MemberData(nameof(Shapes))]
        public void Float32MatchesExpansionThenDepthwiseBitForBit(int ih, int iw, int ic, int c, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int dh, int bandRows)
        {
            int pr = pl, dw = 1;
            int oh = (ih + pt + pb - dh * (kh - 1) - 1) / sh + 1, ow = (iw + pl + pr - dw * (kw - 1) - 1) / sw + 1;
            float[] x = TestData.Random(41 + c, ih * iw * ic);
            float[] we = TestData.Random(42, (int)GemmLayout.PackedF32Length(c, ic));
            float[] biasE = TestData.Random(43, c), wd = TestData.Random(44, kh * kw * c), biasD = TestData.Random(45, c);

            float[] mid = new float[ih * iw * c];
            float[] expected = TestData.Output(oh * ow * c);
            float[] scratch = TestData.Output(bandRows * iw * c);
            float[] y = TestData.Output(oh * ow * c);
            fixed (float* px = x, pwe = we, pbe = biasE, pwd = wd, pbd = biasD, pm = mid, pe = expected, ps = scratch, py = y)
            {
                ConvF32.Gemm(px, pwe, pbe, pm, null, ih, iw, ic, ih, iw, c, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, Activation.Clip, 0f, 6f);
                ConvF32.Depthwise(pm, pwd, pbd, pe, ih, iw, c, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw, Activation.HardSwish, 0f, 0f);
                ConvF32.ExpandDepthwise(px, pwe, pbe, Activation.Clip, 0f, 6f, pwd, pbd, py, ps, bandRows,
                    ih, iw, ic, c, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw, Activation.HardSwish, 0f, 0f);
            }
            for (int i = 0; i < oh * ow * c; i++)
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(y[i]),
                    $"element {i}: fused {y[i]:R}, two steps {expected[i]:R}");
            TestData.AssertGuardIntact(y, oh * ow * c);
            TestData.AssertGuardIntact(scratch, bandRows * iw * c);
        }

        [Fact]
        public void A_band_shorter_than_the_window_is_rejected()
        {
            var x = new float[64];
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            {
                fixed (float* p = x)
                    ConvF32.ExpandDepthwise(p, p, null, Activation.None, 0f, 0f, p, null, p, p, 2, 4, 4, 1, 1, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, Activation.None, 0f, 0f);
            });
            Assert.Equal("bandRows", ex.ParamName);
        }

        [Theory]
        // ih, iw, c, kh, sh, dh, elementBytes, bandBytes, expected rows
        [InlineData(112, 112, 96, 3, 2, 1, 1, 131072, 11)]    // 12 rows fit; stride 2 keeps 3 + 2k rows
        [InlineData(56, 56, 144, 3, 1, 1, 4, 131072, 4)]      // FP32: 4 rows fit
        [InlineData(112, 112, 96, 3, 2, 1, 4, 131072, 3)]     // not even one window fits: one window
        [InlineData(14, 14, 384, 3, 1, 1, 1, 131072, 14)]     // the whole tensor fits: ih rows
        [InlineData(2, 3, 16, 5, 1, 1, 1, 131072, 5)]         // ih below the window: still one window
        [InlineData(40, 10, 10, 3, 1, 2, 1, 1000, 10)]        // dilation 2: window 5, plus 5 more output rows
        public void Band_rows_fill_the_budget_in_whole_output_rows(int ih, int iw, int c, int kh, int sh, int dh, int elementBytes, long bandBytes, long expected)
        {
            Assert.Equal(expected, FusedConvLayout.ExpandDepthwiseBandRows(ih, iw, c, kh, sh, dh, elementBytes, bandBytes));
        }
    }
}
