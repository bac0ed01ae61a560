// ReduceF32, NormalizationF32, ResizeF32 and the Indexing kernels (Gather, Strided, Pad) against scalar references.
using System;
using System.Linq;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    public unsafe class TensorKernelTests
    {
        [Theory]
        [InlineData(new[] { 7 }, new[] { 1 })]
        [InlineData(new[] { 3, 4 }, new[] { 0, 1 })]
        [InlineData(new[] { 3, 4 }, new[] { 1, 0 })]
        [InlineData(new[] { 2, 3, 4 }, new[] { 0, 1, 0 })]
        [InlineData(new[] { 2, 3, 4, 5 }, new[] { 1, 0, 1, 0 })]   // not [kept, reduced, kept]: the odometer path
        [InlineData(new[] { 2, 3, 4, 5 }, new[] { 0, 0, 1, 1 })]   // ReduceMean over H and W
        [InlineData(new[] { 1, 6, 5, 19 }, new[] { 0, 1, 1, 0 })]  // the same, channels-last: vectors of columns
        [InlineData(new[] { 2, 1, 4, 1 }, new[] { 0, 1, 1, 0 })]
        [InlineData(new[] { 2, 3 }, new[] { 0, 0 })]
        [InlineData(new int[0], new int[0])]
        public void ReduceMatchesReference(int[] shape, int[] reduced)
        {
            int count = shape.Aggregate(1, (p, d) => p * d);
            int kept = shape.Where((d, i) => reduced[i] == 0).Aggregate(1, (p, d) => p * d);
            float[] x = TestData.Random(7, count, -5f, 5f);
            foreach (ReduceOp op in Enum.GetValues(typeof(ReduceOp)))
            {
                var expected = new double[kept];
                var seen = new int[kept];
                var index = new int[shape.Length];
                for (int i = 0; i < count; i++)
                {
                    int rest = i, o = 0, stride = 1;
                    for (int a = shape.Length - 1; a >= 0; a--)
                    {
                        index[a] = rest % shape[a];
                        rest /= shape[a];
                    }
                    for (int a = shape.Length - 1; a >= 0; a--)
                    {
                        if (reduced[a] != 0) continue;
                        o += index[a] * stride;
                        stride *= shape[a];
                    }
                    double v = x[i];
                    expected[o] = seen[o]++ == 0 ? v : op == ReduceOp.Max ? Math.Max(expected[o], v) : op == ReduceOp.Min ? Math.Min(expected[o], v) : expected[o] + v;
                }
                if (op == ReduceOp.Mean) for (int o = 0; o < kept; o++) expected[o] /= count / kept;
                float[] y = TestData.Output(kept);
                fixed (float* px = x, py = y) ReduceF32.Run(px, py, shape, reduced, op);
                TestData.AssertClose(expected, y, kept, op.ToString());
                TestData.AssertGuardIntact(y, kept);
            }
        }

        [Theory]
        [InlineData(1, 8, true)]
        [InlineData(5, 33, false)]
        [InlineData(3, 1, true)]
        public void LayerNormalizationMatchesReference(int rows, int cols, bool withBias)
        {
            float[] x = TestData.Random(11, rows * cols, -3f, 7f);
            float[] scale = TestData.Random(12, cols, 0.5f, 2f);
            float[] bias = TestData.Random(13, cols);
            float epsilon = 1e-5f;
            var expected = new double[rows * cols];
            var expectedMean = new double[rows];
            var expectedInv = new double[rows];
            for (int r = 0; r < rows; r++)
            {
                double m = Enumerable.Range(0, cols).Average(j => (double)x[r * cols + j]);
                double v = Enumerable.Range(0, cols).Average(j => (x[r * cols + j] - m) * (x[r * cols + j] - m));
                double inv = 1 / Math.Sqrt(v + epsilon);
                for (int j = 0; j < cols; j++) expected[r * cols + j] = (x[r * cols + j] - m) * inv * scale[j] + (withBias ? bias[j] : 0);
                expectedMean[r] = m;
                expectedInv[r] = inv;
            }
            float[] y = TestData.Output(rows * cols), mean = TestData.Output(rows), invStd = TestData.Output(rows);
            fixed (float* px = x, ps = scale, pb = bias, py = y, pm = mean, pi = invStd)
                NormalizationF32.Layer(px, ps, withBias ? pb : null, py, pm, pi, rows, cols, epsilon);
            TestData.AssertClose(expected, y, rows * cols, "layer norm");
            TestData.AssertClose(expectedMean, mean, rows, "mean");
            TestData.AssertClose(expectedInv, invStd, rows, "inverse standard deviation");
            TestData.AssertGuardIntact(y, rows * cols);
            TestData.AssertGuardIntact(mean, rows);
        }

        [Fact]
        public void InstanceNormalizationMatchesReference()
        {
            int n = 2, c = 3, hw = 10;
            float[] x = TestData.Random(21, n * c * hw, -2f, 4f);
            float[] scale = { 1f, 0.5f, 2f }, bias = { 0f, 1f, -1f };
            var expected = new double[x.Length];
            for (int p = 0; p < n * c; p++)
            {
                double m = Enumerable.Range(0, hw).Average(j => (double)x[p * hw + j]);
                double v = Enumerable.Range(0, hw).Average(j => (x[p * hw + j] - m) * (x[p * hw + j] - m));
                for (int j = 0; j < hw; j++) expected[p * hw + j] = (x[p * hw + j] - m) / Math.Sqrt(v + 1e-5) * scale[p % c] + bias[p % c];
            }
            float[] y = TestData.Output(x.Length);
            fixed (float* px = x, ps = scale, pb = bias, py = y) NormalizationF32.Instance(px, ps, pb, py, n, c, hw, 1e-5f);
            TestData.AssertClose(expected, y, x.Length, "instance norm");
            TestData.AssertGuardIntact(y, x.Length);
        }

        [Fact]
        public void GatherTakesRowsAndNegativeIndices()
        {
            // x [2, 4, 3] gathered along axis 1 with indices [3, -4, 1].
            var x = Enumerable.Range(0, 24).Select(i => (long)i).ToArray();
            long[] indices = { 3, -4, 1 };
            var y = new long[2 * 3 * 3 + 2];
            fixed (long* px = x, pi = indices, py = y) Indexing.Gather(px, pi, py, 2, 4, 3, 3);
            long[] expected = { 9, 10, 11, 0, 1, 2, 3, 4, 5, 21, 22, 23, 12, 13, 14, 15, 16, 17 };
            Assert.Equal(expected, y.Take(18).ToArray());
            Assert.Equal(0, y[18]);
        }

        [Fact]
        public void GatherInt32MatchesGather()
        {
            var x = Enumerable.Range(0, 24).Select(i => (float)i).ToArray();
            long[] wide = { 2, -1, 0 };
            int[] narrow = { 2, -1, 0 };
            var expected = new float[18];
            var y = TestData.Output(18);
            fixed (float* px = x, pe = expected, py = y)
            fixed (long* pw = wide)
            fixed (int* pn = narrow)
            {
                Indexing.Gather(px, pw, pe, 2, 4, 3, 3);
                Indexing.GatherInt32(px, pn, py, 2, 4, 3, 3);
            }
            Assert.Equal(expected, y.Take(18).ToArray());
            TestData.AssertGuardIntact(y, 18);
        }

        [Fact]
        public void GatherRejectsAnIndexOutOfRange()
        {
            var x = new float[4];
            long[] indices = { 4 };
            var y = new float[1];
            Assert.Throws<IndexOutOfRangeException>(() =>
            {
                fixed (float* px = x, py = y)
                fixed (long* pi = indices)
                    Indexing.Gather(px, pi, py, 1, 4, 1, 1);
            });
        }

        [Fact]
        public void TakeGathersThroughATableWithZeros()
        {
            float[] x = { 5, 6, 7 };
            int[] index = { 2, -1, 0, 0 };
            var y = TestData.Output(4);
            fixed (float* px = x, py = y)
            fixed (int* pi = index)
                Indexing.Take(px, pi, py, 4, 3);
            Assert.Equal(new[] { 7f, 0f, 5f, 5f }, y.Take(4).ToArray());
            TestData.AssertGuardIntact(y, 4);
            int[] outside = { 3 };
            Assert.Throws<IndexOutOfRangeException>(() =>
            {
                fixed (float* px = x, py = y)
                fixed (int* pi = outside)
                    Indexing.Take(px, pi, py, 1, 3);
            });
        }

        [Theory]
        [InlineData(3, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1)]
        [InlineData(2, 7, 5, 3, 2, 2, 3, 1, 0, 2, 1)]
        [InlineData(1, 1, 9, 1, 4, 1, 2, 0, 3, 1, 2)]
        public void Im2ColMatchesReference(int c, int ih, int iw, int kh, int kw, int sh, int sw, int pt, int pl, int dh, int dw)
        {
            int oh = (ih + 2 * pt - ((kh - 1) * dh + 1)) / sh + 1, ow = (iw + 2 * pl - ((kw - 1) * dw + 1)) / sw + 1;
            float[] x = TestData.Random(31, c * ih * iw);
            int count = c * kh * kw * oh * ow;
            var expected = new double[count];
            for (int ci = 0; ci < c; ci++)
                for (int ky = 0; ky < kh; ky++)
                    for (int kx = 0; kx < kw; kx++)
                        for (int oy = 0; oy < oh; oy++)
                            for (int ox = 0; ox < ow; ox++)
                            {
                                int iy = oy * sh - pt + ky * dh, ix = ox * sw - pl + kx * dw;
                                bool inside = iy >= 0 && iy < ih && ix >= 0 && ix < iw;
                                expected[(((ci * kh + ky) * kw + kx) * oh + oy) * ow + ox] = inside ? x[(ci * ih + iy) * iw + ix] : 0;
                            }
            float[] col = TestData.Output(count);
            fixed (float* px = x, pc = col) Im2ColF32.Run(px, pc, c, ih, iw, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw);
            TestData.AssertClose(expected, col, count, "im2col", 0, 0);
            TestData.AssertGuardIntact(col, count);
        }

        [Fact]
        public void CastConvertsToAndFromFloat32()
        {
            long[] wide = { -3, 0, 1L << 40 };
            double[] precise = { 0.1, -2.5, 1e300 };
            float[] fromWide = new float[3], fromPrecise = new float[3];
            float[] source = { -2.7f, 2.7f, 1e10f };
            long[] toWide = new long[3];
            double[] toPrecise = new double[3];
            fixed (long* pw = wide, ptw = toWide)
            fixed (double* pp = precise, ptp = toPrecise)
            fixed (float* pfw = fromWide, pfp = fromPrecise, ps = source)
            {
                Cast.ToF32(pw, pfw, 3);
                Cast.ToF32(pp, pfp, 3);
                Cast.FromF32(ps, ptw, 3);
                Cast.FromF32(ps, ptp, 3);
            }
            Assert.Equal(new[] { -3f, 0f, (float)(1L << 40) }, fromWide);
            Assert.Equal(new[] { 0.1f, -2.5f, float.PositiveInfinity }, fromPrecise);
            Assert.Equal(new[] { -2L, 2L, 10000000000L }, toWide);
            Assert.Equal(new[] { (double)-2.7f, (double)2.7f, 1e10 }, toPrecise);
        }

        [Fact]
        public void ResizeWithOneTapPerAxisPicksNeighbours()
        {
            // x [2, 3]; rows [1, 0, −1 (extrapolated)], columns [2, 2, 0, 1]: the one-tap (nearest) path.
            float[] x = { 1, 2, 3, 4, 5, 6 };
            int[] index = { 1, 0, -1, /* columns */ 2, 2, 0, 1 };
            float[] weight = { 1, 1, 1, 1, 1, 1, 1 };
            var y = TestData.Output(12);
            fixed (float* px = x, pw = weight, py = y)
            fixed (int* pi = index)
                ResizeF32.Run(px, pi, pw, py, new[] { 3, 4 }, new[] { 3, 1 }, new[] { 1, 1 }, new[] { 0, 3 }, -7f);
            Assert.Equal(new float[] { 6, 6, 4, 5, 3, 3, 1, 2, -7, -7, -7, -7 }, y.Take(12).ToArray());
            TestData.AssertGuardIntact(y, 12);
        }

        [Fact]
        public void StridedReadsSlicesWithNegativeSteps()
        {
            // x [4, 5]; y = x[3:0:-2, 1:5:2] → rows 3, 1; columns 1, 3.
            var x = Enumerable.Range(0, 20).Select(i => (float)i).ToArray();
            var y = TestData.Output(4);
            fixed (float* px = x, py = y) Indexing.Strided(px, py, new[] { 2, 2 }, new[] { -10, 2 }, 3 * 5 + 1);
            Assert.Equal(new[] { 16f, 18f, 6f, 8f }, y.Take(4).ToArray());
            TestData.AssertGuardIntact(y, 4);
        }

        [Fact]
        public void PadFollowsItsMaps()
        {
            // x [2, 3] = [[1, 2, 3], [4, 5, 6]]; rows: one constant row before; columns reflect-padded by 1 each side.
            float[] x = { 1, 2, 3, 4, 5, 6 };
            int[] map = { -1, 0, 1, /* columns */ 1, 0, 1, 2, 1 };
            float[] value = { 9f };
            var y = TestData.Output(15);
            fixed (float* px = x, pv = value, py = y) Indexing.Pad(px, pv, py, new[] { 3, 5 }, new[] { 3, 1 }, map, new[] { 0, 3 });
            Assert.Equal(new float[] { 9, 9, 9, 9, 9, 2, 1, 2, 3, 2, 5, 4, 5, 6, 5 }, y.Take(15).ToArray());
            TestData.AssertGuardIntact(y, 15);
        }

        [Fact]
        public void ResizeSumsWeightedTaps()
        {
            // x [2, 2]; rows nearest (identity, one tap); columns linear 2 → 3 at 0, 0.5, 1 (two taps each), and an
            // extrapolated row.
            float[] x = { 1, 3, 10, 30 };
            int[] index = { 0, 1, -1, /* columns */ 0, 1, 0, 1, 0, 1 };
            float[] weight = { 1, 1, 1, 1, 0, 0.5f, 0.5f, 0, 1 };
            var y = TestData.Output(9);
            fixed (float* px = x, pw = weight, py = y)
            fixed (int* pi = index)
                ResizeF32.Run(px, pi, pw, py, new[] { 3, 3 }, new[] { 2, 1 }, new[] { 1, 2 }, new[] { 0, 3 }, -7f);
            Assert.Equal(new float[] { 1, 2, 3, 10, 20, 30, -7, -7, -7 }, y.Take(9).ToArray());
            TestData.AssertGuardIntact(y, 9);
        }
    }
}
