// Streaming statistics of one tensor over the calibration set: exact min/max and a growing fixed-bin histogram.
using System;

namespace QuantGen.Compiler.Quantization.Calibration
{
    /// <summary>
    /// Sees every element of one value over all calibration samples and keeps a bounded summary:
    /// the exact minimum and maximum, the number of exact zeros (ReLU outputs, padding), and a
    /// histogram of <see cref="BinCount"/> equal bins. Memory is O(bins) whatever the sample count.
    /// </summary>
    /// <remarks>
    /// The histogram starts on the first batch's [min, max] and, when later data falls outside,
    /// doubles its width towards that side by merging adjacent bin pairs. Unlike ONNX Runtime's
    /// HistogramCollector (which re-bins by interpolating counts into new edges), merging pairs is
    /// exact: every count stays in a bin that covers the values it came from. The price is a range
    /// up to twice the data's span when it grows one way and four times when it grows both ways, so
    /// at least a quarter of the bins (512 of 2048) cover the data.
    /// </remarks>
    public sealed class TensorObserver
    {
        public const int DefaultBinCount = 2048;

        private readonly long[] _counts;
        private double _low, _width;
        private bool _started;

        public TensorObserver(int binCount = DefaultBinCount)
        {
            if (binCount < 2 || binCount % 2 != 0) throw new ArgumentOutOfRangeException(nameof(binCount), "the bin count must be even and at least 2");
            _counts = new long[binCount];
            Min = double.PositiveInfinity;
            Max = double.NegativeInfinity;
        }

        /// <summary>Smallest finite value seen (+∞ before any).</summary>
        public double Min { get; private set; }

        /// <summary>Largest finite value seen (−∞ before any).</summary>
        public double Max { get; private set; }

        /// <summary>Finite values seen (the histogram's total).</summary>
        public long Count { get; private set; }

        /// <summary>Values exactly 0 (also counted in their bin): exactly representable, so free of rounding error.</summary>
        public long ZeroCount { get; private set; }

        /// <summary>NaN and ±∞ values, ignored by every statistic.</summary>
        public long NonFiniteCount { get; private set; }

        public int BinCount => _counts.Length;

        /// <summary>Lower edge of bin 0.</summary>
        public double HistogramLow => _low;

        public double BinWidth => _width;

        public double HistogramHigh => _low + _width * _counts.Length;

        /// <summary>Bin counts; bin i covers [Low + i·Width, Low + (i+1)·Width) (the last bin is closed).</summary>
        public ReadOnlySpan<long> Counts => _counts;

        public void Observe(ReadOnlySpan<float> values)
        {
            double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
            for (int i = 0; i < values.Length; i++)
            {
                float v = values[i];
                if (float.IsNaN(v) || float.IsInfinity(v)) continue;
                if (v < lo) lo = v;
                if (v > hi) hi = v;
            }
            if (lo > hi)
            {
                NonFiniteCount += values.Length;
                return;
            }
            Min = Math.Min(Min, lo);
            Max = Math.Max(Max, hi);
            Cover(lo, hi);

            int last = _counts.Length - 1;
            double low = _low, inverse = 1.0 / _width;
            long finite = 0, zeros = 0;
            for (int i = 0; i < values.Length; i++)
            {
                float v = values[i];
                if (float.IsNaN(v) || float.IsInfinity(v)) continue;
                int bin = (int)((v - low) * inverse);
                if (bin > last) bin = last;
                else if (bin < 0) bin = 0;
                _counts[bin]++;
                finite++;
                if (v == 0) zeros++;
            }
            Count += finite;
            ZeroCount += zeros;
            NonFiniteCount += values.Length - finite;
        }

        /// <summary>Grows the histogram range (by exact pairwise merges) until it covers [lo, hi].</summary>
        private void Cover(double lo, double hi)
        {
            int n = _counts.Length;
            if (!_started)
            {
                double span = hi - lo;
                // A constant first batch (all zeros after a ReLU, say) gets a tiny range that later doublings grow.
                if (!(span > 0)) span = Math.Max(Math.Abs(lo) * 1e-3, 1e-12);
                _low = lo;
                // A hair wider than the data so rounding never puts the first maximum past the last edge.
                _width = span * (1 + 1e-9) / n;
                _started = true;
                return;
            }
            while (lo < _low)
            {
                double newLow = _low - _width * n;
                for (int i = n / 2 - 1; i >= 0; i--) _counts[n / 2 + i] = _counts[2 * i] + _counts[2 * i + 1];
                Array.Clear(_counts, 0, n / 2);
                _low = newLow;
                _width *= 2;
            }
            while (hi > HistogramHigh)
            {
                for (int i = 0; i < n / 2; i++) _counts[i] = _counts[2 * i] + _counts[2 * i + 1];
                Array.Clear(_counts, n / 2, n / 2);
                _width *= 2;
            }
        }
    }
}
