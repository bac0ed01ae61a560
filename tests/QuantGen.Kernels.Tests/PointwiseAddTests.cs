// The fused 1×1 convolution + residual add kernels against the two steps they replace, on the same data: FP32 against
// ConvF32.Gemm then ElementwiseF32.Binary (bit equality), INT8 against ConvU8S8.Gemm then ElementwiseU8.Add (byte
// equality) with the convolution's output as either operand of the Add. Outputs carry guard values past their end.
using System;
using QuantGen.Kernels.Tests.Int8;
using QuantGen.Plan;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    public unsafe class PointwiseAddTests
    {
        [Theory]
        // pixels, ic, oc, act
        [InlineData(1, 64, 40, Activation.None)]        // one pixel: the GEMM is a matrix-vector product, as in ConvF32.Gemm
        [InlineData(7, 24, 17, Activation.Relu)]        // oc % 16 != 0, an activation before the add
        [InlineData(13, 3, 8, Activation.None)]         // an 8-wide panel only
        [InlineData(3136, 144, 24, Activation.None)]    // MobileNetV2's block 3 projection: 168-row chunks, a short last one
        [InlineData(49, 960, 320, Activation.Clip)]     // 12-row chunks, a 1-row tail
        [InlineData(37, 1100, 16, Activation.None)]     // two k blocks
        public void Float32MatchesConvolutionThenAdd(int pixels, int ic, int oc, object activation)
        {
            Activation act = (Activation)activation;
            (float alpha, float beta) = TestData.Parameters(act);
            float[] x = TestData.Random(41, pixels * ic);
            float[] w = TestData.PackB(TestData.Random(42, ic * oc), ic, oc);
            float[] bias = TestData.Random(43, oc);
            float[] r = TestData.Random(44, pixels * oc, -4f, 4f);
            float[] mid = TestData.Output(pixels * oc), expected = TestData.Output(pixels * oc), y = TestData.Output(pixels * oc);
            fixed (float* px = x, pw = w, pbias = bias, pr = r, pm = mid, pe = expected, py = y)
            {
                ConvF32.Gemm(px, pw, pbias, pm, null, 1, pixels, ic, 1, pixels, oc, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, act, alpha, beta);
                ElementwiseF32.Binary(pr, pm, pe, BinaryOp.Add, new[] { pixels * oc }, new[] { 1 }, new[] { 1 });
                ConvF32.PointwiseAdd(px, pw, pbias, pr, py, pixels, ic, oc, act, alpha, beta);
            }
            for (int i = 0; i < pixels * oc; i++)
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(y[i]), $"element {i}: fused {y[i]:R}, two steps {expected[i]:R}");
            TestData.AssertGuardIntact(y, pixels * oc);
        }

        [Theory]
        // pixels, ic, oc, the convolution's output is the Add's first operand
        [InlineData(1, 40, 24, true)]
        [InlineData(9, 16, 17, false)]                  // oc % 16 != 0, pixels % 4 != 0
        [InlineData(3136, 144, 24, true)]               // 680-row chunks
        [InlineData(49, 960, 320, false)]               // 48-row chunks, a 1-row tail
        [InlineData(50, 24, 40, false)]                 // k ≤ 32: the GEMM's int16-weight path
        public void Int8MatchesConvolutionThenAdd(int pixels, int ic, int oc, bool midFirst)
        {
            const int zpMid = 121, rZp = 133, zpOut = 126;
            byte[] x = Int8Reference.Bytes(51 + oc, pixels * ic);
            sbyte[] w = Int8Reference.Pack(Int8Reference.Weights(52 + oc, ic * oc), ic, oc);
            int[] bias = Int8Reference.Ints(53, oc, -20000, 20000);
            (int[] mult, int shift) = Int8Reference.Requant(54, oc, Int8Reference.ShiftFor(ic));
            byte[] r = Int8Reference.Bytes(55 + oc, pixels * oc);
            // The Add's multipliers as the lowering makes them: scales 0.03 (mid), 0.05 (residual), 0.06 (output).
            (int midM, int midS) = Int8KernelTests.Quantize(0.03 / 0.1);
            (int rM, int rS) = Int8KernelTests.Quantize(0.05 / 0.1);
            (int yM, int yS) = Int8KernelTests.Quantize(0.1 / ((1 << 20) * 0.06));
            byte[] mid = Int8Reference.Output(pixels * oc), expected = Int8Reference.Output(pixels * oc), y = Int8Reference.Output(pixels * oc);
            fixed (byte* px = x, pr = r, pm = mid, pe = expected, py = y) fixed (sbyte* pw = w) fixed (int* pb = bias, pmult = mult)
            {
                ConvU8S8.Gemm(px, pw, pb, pm, pmult, shift, null, 1, pixels, ic, 1, pixels, oc, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 128, zpMid, 3, 250);
                if (midFirst) ElementwiseU8.Add(pm, pr, pe, pixels * oc, zpMid, midM, midS, rZp, rM, rS, zpOut, yM, yS, 0, 255);
                else ElementwiseU8.Add(pr, pm, pe, pixels * oc, rZp, rM, rS, zpMid, midM, midS, zpOut, yM, yS, 0, 255);
                ConvU8S8.PointwiseAdd(px, pw, pb, pmult, shift, zpMid, 3, 250, pr, py, pixels, ic, oc, midM, midS, rZp, rM, rS, zpOut, yM, yS, 0, 255);
            }
            Int8Reference.AssertEqual(expected, y, pixels * oc, "PointwiseAdd");
            Assert.NotEqual(Int8Reference.Output(pixels * oc), expected); // the two steps wrote something
        }
    }
}
