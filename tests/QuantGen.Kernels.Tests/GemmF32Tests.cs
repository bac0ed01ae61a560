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
            Assert.Equal(QuantGen.Plan.KernelCatalog.PackedGemmF32Length(20, 3), packed.Length);
            Assert.Equal(QuantGen.Plan.KernelCatalog.GemmF32PanelWidth, GemmF32.PanelWidth);
        }
    }
}
