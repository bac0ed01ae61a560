// PoolF32 window and global pooling against naive NHWC loops.
using System;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    public unsafe class PoolF32Tests
    {
        [Theory]
        // ih, iw, c, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw
        [InlineData(8, 8, 3, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1)]
        [InlineData(9, 7, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1)]
        [InlineData(7, 9, 37, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1)]
        [InlineData(10, 10, 9, 3, 3, 1, 2, 2, 2, 2, 2, 2, 2)]
        [InlineData(5, 6, 40, 3, 2, 2, 1, 0, 1, 2, 0, 1, 1)]
        [InlineData(3, 3, 8, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1)]
        public void WindowsMatchReference(int ih, int iw, int c, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr, int dh, int dw)
        {
            int oh = (ih + pt + pb - dh * (kh - 1) - 1) / sh + 1;
            int ow = (iw + pl + pr - dw * (kw - 1) - 1) / sw + 1;
            float[] x = TestData.Random(31, ih * iw * c);
            int count = oh * ow * c;

            var expectedMax = new double[count];
            var expectedAvg = new double[count];
            var expectedAvgPad = new double[count];
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        double max = double.NegativeInfinity, sum = 0;
                        int taps = 0;
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int iy = oy * sh - pt + ky * dh, ix = ox * sw - pl + kx * dw;
                                if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) continue;
                                double v = x[(iy * iw + ix) * c + ch];
                                max = Math.Max(max, v);
                                sum += v;
                                taps++;
                            }
                        int o = (oy * ow + ox) * c + ch;
                        expectedMax[o] = max;
                        expectedAvg[o] = sum / taps;
                        expectedAvgPad[o] = sum / (kh * kw);
                    }

            float[] yMax = TestData.Output(count), yAvg = TestData.Output(count), yAvgPad = TestData.Output(count);
            fixed (float* px = x, pMax = yMax, pAvg = yAvg, pAvgPad = yAvgPad)
            {
                PoolF32.Max(px, pMax, ih, iw, c, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw);
                PoolF32.Average(px, pAvg, ih, iw, c, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw, 0);
                PoolF32.Average(px, pAvgPad, ih, iw, c, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw, 1);
            }

            TestData.AssertClose(expectedMax, yMax, count, "max pool");
            TestData.AssertClose(expectedAvg, yAvg, count, "average pool");
            TestData.AssertClose(expectedAvgPad, yAvgPad, count, "average pool (count_include_pad)");
            TestData.AssertGuardIntact(yMax, count);
            TestData.AssertGuardIntact(yAvg, count);
            TestData.AssertGuardIntact(yAvgPad, count);
        }

        [Theory]
        [InlineData(1, 3)]
        [InlineData(49, 8)]
        [InlineData(7, 40)]
        [InlineData(13, 100)]
        [InlineData(49, 1280)]
        public void GlobalMatchesReference(int hw, int c)
        {
            float[] x = TestData.Random(32, hw * c);
            var expectedAvg = new double[c];
            var expectedMax = new double[c];
            for (int ch = 0; ch < c; ch++)
            {
                double sum = 0, max = double.NegativeInfinity;
                for (int i = 0; i < hw; i++)
                {
                    sum += x[i * c + ch];
                    max = Math.Max(max, x[i * c + ch]);
                }
                expectedAvg[ch] = sum / hw;
                expectedMax[ch] = max;
            }

            float[] yAvg = TestData.Output(c), yMax = TestData.Output(c);
            fixed (float* px = x, pAvg = yAvg, pMax = yMax)
            {
                PoolF32.GlobalAverage(px, pAvg, hw, c);
                PoolF32.GlobalMax(px, pMax, hw, c);
            }

            TestData.AssertClose(expectedAvg, yAvg, c, "global average");
            TestData.AssertClose(expectedMax, yMax, c, "global max");
            TestData.AssertGuardIntact(yAvg, c);
            TestData.AssertGuardIntact(yMax, c);
        }
    }
}
