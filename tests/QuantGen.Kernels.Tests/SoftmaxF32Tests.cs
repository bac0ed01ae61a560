// SoftmaxF32.Run (softmax and log-softmax, any axis, in place) against a double reference.
using System;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    public unsafe class SoftmaxF32Tests
    {
        [Theory]
        [InlineData(1, 10, 1)]
        [InlineData(3, 1000, 1)]
        [InlineData(2, 5, 3)]
        [InlineData(4, 17, 9)]
        [InlineData(2, 1, 4)]
        [InlineData(3, 6, 20)]
        [InlineData(1, 33, 16)]
        public void MatchesReference(int outer, int axis, int inner)
        {
            int count = outer * axis * inner;
            float[] x = TestData.Random(61, count, -30f, 30f);
            foreach (int log in new[] { 0, 1 })
            {
                var expected = new double[count];
                for (int o = 0; o < outer; o++)
                    for (int j = 0; j < inner; j++)
                    {
                        double max = double.NegativeInfinity, sum = 0;
                        for (int i = 0; i < axis; i++) max = Math.Max(max, x[(o * axis + i) * inner + j]);
                        for (int i = 0; i < axis; i++) sum += Math.Exp(x[(o * axis + i) * inner + j] - max);
                        for (int i = 0; i < axis; i++)
                        {
                            double v = x[(o * axis + i) * inner + j] - max;
                            expected[(o * axis + i) * inner + j] = log != 0 ? v - Math.Log(sum) : Math.Exp(v) / sum;
                        }
                    }

                float[] y = TestData.Output(count);
                float[] inPlace = (float[])x.Clone();
                fixed (float* px = x, py = y, pi = inPlace)
                {
                    SoftmaxF32.Run(px, py, outer, axis, inner, log);
                    SoftmaxF32.Run(pi, pi, outer, axis, inner, log);
                }
                TestData.AssertClose(expected, y, count, log != 0 ? "log softmax" : "softmax");
                TestData.AssertClose(expected, inPlace, count, "softmax in place");
                TestData.AssertGuardIntact(y, count);
            }
        }
    }
}
