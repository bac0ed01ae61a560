// MatMulF32 (run-time B, plain or transposed) against a double-precision reference.
using System;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    public unsafe class MatMulF32Tests
    {
        [Theory]
        [InlineData(1, 1, 1, 0)]
        [InlineData(3, 17, 5, 0)]
        [InlineData(7, 9, 33, 1)]
        [InlineData(4, 40, 16, 0)]
        [InlineData(2, 3, 64, 1)]
        public void MatchesReference(int m, int n, int k, int transB)
        {
            var random = new Random(m * 1000 + n * 10 + k);
            float[] Values(int count)
            {
                var v = new float[count];
                for (int i = 0; i < count; i++) v[i] = (float)(random.NextDouble() * 2 - 1);
                return v;
            }
            float[] x = Values(m * k), b = Values(k * n);
            var y = new float[m * n + 3];
            fixed (float* px = x, pb = b, py = y) MatMulF32.Run(px, pb, py, m, n, k, transB);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double expected = 0;
                    for (int p = 0; p < k; p++) expected += (double)x[i * k + p] * (transB != 0 ? b[j * k + p] : b[p * n + j]);
                    Assert.True(Math.Abs(y[i * n + j] - expected) <= 1e-5 + 1e-4 * Math.Abs(expected), $"[{i},{j}] {y[i * n + j]} vs {expected}");
                }
            for (int i = m * n; i < y.Length; i++) Assert.Equal(0f, y[i]);
        }
    }
}
