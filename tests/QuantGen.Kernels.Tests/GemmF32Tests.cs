// GemmF32.Run against a naive triple loop, over panel/row remainders, K blocking, bias and fused activations.
using System;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    public unsafe class GemmF32Tests
    {
        [Theory]
        [InlineData(1, 1, 1, Activation.None, true)]
        [InlineData(1, 16, 1, Activation.Relu, false)]
        [InlineData(1, 1000, 257, Activation.None, true)]
        [InlineData(1, 1000, 1280, Activation.None, true)]     // a classifier: one row, k past KBlock (two k blocks)
        [InlineData(20, 24, 2100, Activation.Clip, true)]      // three k blocks of 700, C reloaded between them
        [InlineData(2, 17, 3, Activation.Clip, true)]
        [InlineData(5, 15, 9, Activation.LeakyRelu, false)]
        [InlineData(6, 16, 8, Activation.None, true)]
        [InlineData(7, 33, 300, Activation.Relu, true)]
        [InlineData(13, 64, 576, Activation.Sigmoid, true)]
        [InlineData(125, 10, 20, Activation.HardSwish, false)]
        [InlineData(127, 40, 513, Activation.Clip, true)]
        [InlineData(4, 5, 0, Activation.Relu, true)]
        public void MatchesReference(int m, int n, int k, object activation, bool withBias)
        {
            Activation act = (Activation)activation;
            (float alpha, float beta) = TestData.Parameters(act);
            float[] x = TestData.Random(1, m * k);
            float[] b = TestData.Random(2, k * n);
            float[] bias = withBias ? TestData.Random(3, n) : Array.Empty<float>();
            float[] packed = TestData.PackB(b, k, n);
            float[] y = TestData.Output(m * n);

            fixed (float* px = x, pb = packed, pbias = bias, py = y)
                GemmF32.Run(px, pb, withBias ? pbias : null, py, m, n, k, act, alpha, beta);

            var expected = new double[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = withBias ? bias[j] : 0;
                    for (int kk = 0; kk < k; kk++) s += (double)x[i * k + kk] * b[kk * n + j];
                    expected[i * n + j] = TestData.Activate(s, act, alpha, beta);
                }

            TestData.AssertClose(expected, y, m * n, $"gemm {m}x{n}x{k}");
            TestData.AssertGuardIntact(y, m * n);
        }

        [Fact]
        public void PackerPadsPartialPanelsWithZeros()
        {
            float[] b = TestData.Random(4, 3 * 20);
            float[] packed = TestData.PackB(b, 3, 20);
            Assert.Equal(2 * 16 * 3, packed.Length);
            Assert.Equal(b[1 * 20 + 17], packed[(1 * 3 + 1) * 16 + 1]);
            Assert.Equal(0f, packed[(1 * 3 + 2) * 16 + 4]);
            Assert.Equal(GemmLayout.PackedF32Length(20, 3), packed.Length);
        }

        [Theory]
        // m, n, k: a leftover single row (m % 6 == 1), 8-wide last panels, two or three k blocks
        [InlineData(13, 40, 1100, Activation.None)]
        [InlineData(10, 24, 2100, Activation.Clip)]
        [InlineData(13, 24, 800, Activation.Clip)]
        [InlineData(19, 16, 30, Activation.HardSwish)]
        public void A_rows_bits_do_not_depend_on_how_the_rows_are_sliced(int m, int n, int k, object activation)
        {
            // Threads, fused bands and im2col blocks hand the GEMM different slices of the same rows; each row must come
            // out the same whichever slice (and tile position) it lands in.
            Activation act = (Activation)activation;
            (float alpha, float beta) = TestData.Parameters(act);
            float[] x = TestData.Random(4, m * k), bias = TestData.Random(5, n);
            float[] packed = TestData.PackB(TestData.Random(6, k * n), k, n);
            float[] whole = TestData.Output(m * n), sliced = TestData.Output(m * n);
            fixed (float* px = x, pb = packed, pbias = bias, pw = whole, ps = sliced)
            {
                GemmF32.MultiplyRows(px, k, pb, pbias, pw, n, m, n, k, act, alpha, beta);
                int[] cuts = { 0, 1, 2, 9, m };   // slices of 1, 1, 7 and m − 9 rows (m ≥ 10)
                Assert.True(m >= 10);
                for (int s = 0; s + 1 < cuts.Length; s++)
                    GemmF32.MultiplyRows(px + cuts[s] * k, k, pb, pbias, ps + cuts[s] * n, n, cuts[s + 1] - cuts[s], n, k, act, alpha, beta);
            }
            for (int i = 0; i < m * n; i++)
                Assert.True(BitConverter.SingleToInt32Bits(whole[i]) == BitConverter.SingleToInt32Bits(sliced[i]),
                    $"row {i / n}, column {i % n}: {sliced[i]:R} sliced, {whole[i]:R} whole");
            TestData.AssertGuardIntact(whole, m * n);
            TestData.AssertGuardIntact(sliced, m * n);
        }
    }
}
