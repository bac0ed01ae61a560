// The streaming observers and range estimators against brute-force computation on random data.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Quantization.Calibration;
using QuantGen.Compiler.Quantization;
using Xunit;

namespace QuantGen.Quantization.Tests
{
    public class ObserverTests
    {
        /// <summary>Batches whose range grows both ways (as activations do over a calibration set), with ReLU-style zeros.</summary>
        private static List<float[]> Batches(int seed, int count = 40, int size = 500, bool relu = false)
        {
            var random = new Random(seed);
            var batches = new List<float[]>();
            for (int b = 0; b < count; b++)
            {
                double spread = 0.01 * Math.Pow(1.3, b);
                var batch = new float[size];
                for (int i = 0; i < size; i++)
                {
                    double gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                    double v = gaussian * spread + 0.3 * spread;
                    batch[i] = relu && v < 0 ? 0 : (float)v;
                }
                batches.Add(batch);
            }
            return batches;
        }

        private static TensorObserver Observe(IEnumerable<float[]> batches, int bins = TensorObserver.DefaultBinCount)
        {
            var o = new TensorObserver(bins);
            foreach (var b in batches) o.Observe(b);
            return o;
        }

        [Theory]
        [InlineData(1, false)]
        [InlineData(2, true)]
        public void Min_max_counts_and_bins_match_a_brute_force_histogram_after_range_growth(int seed, bool relu)
        {
            var batches = Batches(seed, relu: relu);
            var all = batches.SelectMany(b => b).ToArray();
            var o = Observe(batches);
            Assert.Equal(all.Min(), o.Min);
            Assert.Equal(all.Max(), o.Max);
            Assert.Equal(all.Length, o.Count);
            Assert.Equal(all.Count(v => v == 0), o.ZeroCount);
            Assert.True(o.HistogramLow <= o.Min && o.HistogramHigh >= o.Max);
            // Merging bin pairs is exact: binning every value with the final edges gives the same counts
            // (up to values that sit on an edge within float rounding).
            var brute = new long[o.BinCount];
            foreach (var v in all) brute[Math.Min(o.BinCount - 1, Math.Max(0, (int)Math.Floor((v - o.HistogramLow) / o.BinWidth)))]++;
            long moved = 0;
            for (int i = 0; i < brute.Length; i++) moved += Math.Abs(brute[i] - o.Counts[i]);
            Assert.True(moved <= all.Length / 1000, $"{moved} values in other bins than brute force puts them");
            // Growth towards both sides can at worst quadruple the span the data needs (≥ 512 of 2048 bins in use).
            Assert.True(o.HistogramHigh - o.HistogramLow <= 4.0001 * (o.Max - o.Min));
        }

        [Fact]
        public void Memory_is_bounded_whatever_the_sample_count()
        {
            var o = new TensorObserver(256);
            var random = new Random(3);
            var batch = new float[1000];
            for (int b = 0; b < 2000; b++)
            {
                for (int i = 0; i < batch.Length; i++) batch[i] = (float)((random.NextDouble() - 0.2) * (b + 1));
                o.Observe(batch);
            }
            Assert.Equal(256, o.Counts.Length);
            Assert.Equal(2_000_000, o.Count);
        }

        [Fact]
        public void A_constant_first_batch_and_non_finite_values_are_handled()
        {
            var o = new TensorObserver(64);
            o.Observe(new float[100]);
            o.Observe(new[] { float.NaN, float.PositiveInfinity, 5f, -1f });
            Assert.Equal(102, o.Count);
            Assert.Equal(100, o.ZeroCount);
            Assert.Equal(2, o.NonFiniteCount);
            Assert.Equal(-1, o.Min);
            Assert.Equal(5, o.Max);
            Assert.Equal(102, o.Counts.ToArray().Sum());
        }

        [Theory]
        [InlineData(99.0)]
        [InlineData(99.9)]
        [InlineData(99.99)]
        public void Percentile_matches_sorted_data_within_one_bin(double percent)
        {
            var all = Batches(4).SelectMany(b => b).ToArray();
            var o = Observe(Batches(4));
            Array.Sort(all);
            double q = percent / 100;
            double high = all[(int)Math.Ceiling(q * all.Length) - 1], low = all[(int)Math.Floor((1 - q) * all.Length)];
            var range = RangeEstimator.Percentile(o, percent);
            Assert.InRange(range.High, high - o.BinWidth, high + o.BinWidth);
            Assert.InRange(range.Low, Math.Min(0, low - o.BinWidth), Math.Min(0, low + o.BinWidth));
        }

        [Fact]
        public void MinMax_is_the_exact_range_widened_to_zero()
        {
            var o = Observe(new[] { new[] { 2f, 3f, 7.5f } });
            var r = RangeEstimator.MinMax(o);
            Assert.Equal(0, r.Low);
            Assert.Equal(7.5, r.High);
        }

        /// <summary>Mean squared error of uint8 quantize-dequantize of <paramref name="values"/> with the range's parameters.</summary>
        private static double ActualMse(float[] values, ActivationRange range)
        {
            var p = QuantizationMath.ActivationParams(range.Low, range.High);
            double sum = 0;
            foreach (var v in values)
            {
                double d = v - QuantizationMath.FakeQuantizeActivation(v, p);
                sum += d * d;
            }
            return sum / values.Length;
        }

        [Theory]
        [InlineData(5, false)]
        [InlineData(6, true)]
        public void Mse_range_is_as_good_as_a_brute_force_search_over_the_real_values(int seed, bool relu)
        {
            var batches = Batches(seed, relu: relu);
            var all = batches.SelectMany(b => b).ToArray();
            var o = Observe(batches);
            var chosen = RangeEstimator.MseOptimal(o);
            double lo = Math.Min(0, o.Min), hi = o.Max, best = double.PositiveInfinity;
            for (int k = 1; k <= 200; k++) best = Math.Min(best, ActualMse(all, new ActivationRange(lo * k / 200, hi * k / 200)));
            double got = ActualMse(all, chosen);
            Assert.True(got <= best * 1.05, $"chosen {chosen} has MSE {got:G4}, brute force finds {best:G4}");
            Assert.True(got < ActualMse(all, RangeEstimator.MinMax(o)), "clipping the heavy tail must beat MinMax here");
        }

        [Fact]
        public void Entropy_keeps_a_uniform_range_and_clips_rare_outliers()
        {
            var random = new Random(7);
            var uniform = Enumerable.Range(0, 200_000).Select(_ => (float)random.NextDouble() * 4).ToArray();
            var u = Observe(new[] { uniform });
            Assert.InRange(RangeEstimator.Entropy(u).High, 3.6, 4.0);

            // With 2048 bins and 255 levels the search cannot clip below max/8: outliers at 3x the range.
            var withOutliers = uniform.Select((v, i) => i % 20_000 == 0 ? 12f : v).ToArray();
            var w = Observe(new[] { withOutliers });
            var range = RangeEstimator.Entropy(w);
            Assert.InRange(range.High, 3.0, 6.0);
            Assert.Equal(0, range.Low);
        }

        [Fact]
        public void Entropy_of_a_signed_tensor_is_symmetric_around_zero_within_the_data()
        {
            var all = Batches(8).SelectMany(b => b).ToArray();
            var o = Observe(new[] { all });
            var r = RangeEstimator.Entropy(o);
            Assert.True(r.Low < 0 && r.High > 0);
            Assert.True(r.Low >= o.Min && r.High <= o.Max);
        }

        [Fact]
        public void Magnitude_histogram_keeps_the_non_zero_mass()
        {
            var o = Observe(Batches(9, relu: true));
            double magnitude = Math.Max(-o.Min, o.Max);
            var h = RangeEstimator.MagnitudeHistogram(o, magnitude, 512);
            Assert.Equal(o.Count - o.ZeroCount, h.Sum(), 6);
        }
    }
}
