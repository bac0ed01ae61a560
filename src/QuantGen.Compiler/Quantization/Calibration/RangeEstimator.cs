// Turns one tensor's calibration statistics into the float range its uint8 quantization covers.
using System;
using QuantGen.Compiler.Quantization;

namespace QuantGen.Compiler.Quantization.Calibration
{
    /// <summary>How an activation's range is chosen from its calibration statistics.</summary>
    public enum CalibrationMethod
    {
        /// <summary>The exact [min, max] seen: nothing clips, outliers stretch the step.</summary>
        MinMax,

        /// <summary>Clip both tails at a percentile of the values (default 99.99 %).</summary>
        Percentile,

        /// <summary>The clip threshold whose quantized distribution is closest in KL divergence (TensorRT's method).</summary>
        Entropy,

        /// <summary>The clip range that minimizes the expected squared quantization error, clipping included.</summary>
        Mse,
    }

    /// <summary>A float range [Low, High] that always contains 0.</summary>
    public readonly struct ActivationRange
    {
        public ActivationRange(double low, double high)
        {
            Low = Math.Min(low, 0);
            High = Math.Max(high, 0);
        }

        public double Low { get; }
        public double High { get; }

        public override string ToString() => FormattableString.Invariant($"[{Low:G6}, {High:G6}]");
    }

    public static class RangeEstimator
    {
        public const double DefaultPercentile = 99.99;

        public static ActivationRange Estimate(TensorObserver observer, CalibrationMethod method, double percentile = DefaultPercentile)
        {
            if (observer.Count == 0) return new ActivationRange(0, 0);
            return method switch
            {
                CalibrationMethod.MinMax => MinMax(observer),
                CalibrationMethod.Percentile => Percentile(observer, percentile),
                CalibrationMethod.Entropy => Entropy(observer),
                CalibrationMethod.Mse => MseOptimal(observer),
                _ => throw new ArgumentOutOfRangeException(nameof(method)),
            };
        }

        public static ActivationRange MinMax(TensorObserver o) => new ActivationRange(o.Min, o.Max);

        /// <summary>Clips each tail at (100 − p) % of the values, interpolating inside a bin.</summary>
        public static ActivationRange Percentile(TensorObserver o, double percent)
        {
            if (!(percent > 50 && percent <= 100)) throw new ArgumentOutOfRangeException(nameof(percent), "the percentile must be in (50, 100]");
            double q = percent / 100;
            double low = Math.Max(o.Min, Quantile(o, 1 - q));
            double high = Math.Min(o.Max, Quantile(o, q));
            return new ActivationRange(low, high);
        }

        /// <summary>The value below which a fraction <paramref name="q"/> of the histogram lies.</summary>
        public static double Quantile(TensorObserver o, double q)
        {
            var counts = o.Counts;
            double target = q * o.Count, seen = 0;
            for (int i = 0; i < counts.Length; i++)
            {
                if (counts[i] == 0) continue;
                if (seen + counts[i] >= target)
                {
                    double fraction = (target - seen) / counts[i];
                    return o.HistogramLow + (i + fraction) * o.BinWidth;
                }
                seen += counts[i];
            }
            return o.Max;
        }

        /// <summary>
        /// TensorRT's entropy calibration on the magnitudes |x|: for each candidate threshold T (a bin
        /// edge), the clipped reference distribution P (outliers folded into the last bin) is compared
        /// with Q, P merged into as many levels as the uint8 grid gives [0, T], and the T with the
        /// smallest KL(P‖Q) wins. TensorRT uses 128 levels for symmetric int8; for our asymmetric uint8
        /// the magnitude side gets 255·M/(max−min) of the 255 steps (between 128 and 255).
        /// </summary>
        public static ActivationRange Entropy(TensorObserver o)
        {
            double lo = Math.Min(o.Min, 0), hi = Math.Max(o.Max, 0);
            double magnitude = Math.Max(-lo, hi);
            if (!(magnitude > 0)) return new ActivationRange(0, 0);
            int levels = (int)Math.Round(255 * magnitude / (hi - lo));
            levels = Math.Max(128, Math.Min(255, levels));
            var hist = MagnitudeHistogram(o, magnitude, o.BinCount);
            int best = Math.Min(levels, hist.Length);
            double bestDivergence = double.PositiveInfinity;
            var p = new double[hist.Length];
            var qd = new double[hist.Length];
            for (int i = levels; i <= hist.Length; i++)
            {
                double divergence = KlDivergence(hist, i, levels, p, qd);
                if (divergence < bestDivergence)
                {
                    bestDivergence = divergence;
                    best = i;
                }
            }
            double threshold = best * magnitude / hist.Length;
            return new ActivationRange(Math.Max(o.Min, -threshold), Math.Min(o.Max, threshold));
        }

        /// <summary>KL(P‖Q) for the candidate that keeps the first <paramref name="i"/> bins (MXNet / ONNX Runtime formulation).</summary>
        private static double KlDivergence(double[] hist, int i, int levels, double[] p, double[] q)
        {
            double outliers = 0;
            for (int k = i; k < hist.Length; k++) outliers += hist[k];
            Array.Copy(hist, p, i);
            p[i - 1] += outliers;
            int merged = i / levels;
            for (int j = 0; j < levels; j++)
            {
                int start = j * merged, stop = j == levels - 1 ? i : start + merged;
                double total = 0;
                int nonZero = 0;
                for (int k = start; k < stop; k++)
                {
                    total += hist[k];
                    if (p[k] != 0) nonZero++;
                }
                double each = nonZero == 0 ? 0 : total / nonZero;
                for (int k = start; k < stop; k++) q[k] = p[k] != 0 ? each : 0;
            }
            if (!Smooth(p, i) || !Smooth(q, i)) return double.PositiveInfinity;
            double sp = 0, sq = 0;
            for (int k = 0; k < i; k++) { sp += p[k]; sq += q[k]; }
            double kl = 0;
            for (int k = 0; k < i; k++)
            {
                if (p[k] <= 0) continue;
                double pk = p[k] / sp, qk = q[k] / sq;
                kl += pk * Math.Log(pk / qk);
            }
            return kl;
        }

        /// <summary>Moves a little mass onto empty bins so KL stays finite (as MXNet's _smooth_distribution); false when nothing is left.</summary>
        private static bool Smooth(double[] d, int n)
        {
            const double eps = 1e-4;
            int zeros = 0;
            for (int k = 0; k < n; k++) if (d[k] == 0) zeros++;
            int nonZeros = n - zeros;
            if (nonZeros == 0) return false;
            double eps1 = eps * zeros / nonZeros;
            for (int k = 0; k < n; k++) d[k] = d[k] == 0 ? eps : d[k] - eps1;
            return true;
        }

        /// <summary>The bin holding 0, or −1.</summary>
        internal static int ZeroBin(TensorObserver o) =>
            o.HistogramLow <= 0 && 0 < o.HistogramHigh ? Math.Min(o.BinCount - 1, (int)((0 - o.HistogramLow) / o.BinWidth)) : -1;

        /// <summary>
        /// The histogram of the non-zero |x| over [0, magnitude] in <paramref name="bins"/> bins, each
        /// source bin spread uniformly. Exact zeros are left out: the nudged zero point represents them
        /// without error, and counting them lets a ReLU's zero spike (often half the values) pull
        /// TensorRT's KL search towards needlessly small thresholds (measured on digits-cnn: 9.9 dB).
        /// </summary>
        public static double[] MagnitudeHistogram(TensorObserver o, double magnitude, int bins)
        {
            var result = new double[bins];
            var counts = o.Counts;
            double width = magnitude / bins;
            int zeroBin = ZeroBin(o);
            for (int i = 0; i < counts.Length; i++)
            {
                double n = i == zeroBin ? counts[i] - o.ZeroCount : counts[i];
                if (n <= 0) continue;
                double a = Math.Max(o.HistogramLow + i * o.BinWidth, o.Min), b = Math.Min(a + o.BinWidth, o.Max);
                if (b <= a)
                {
                    Add(result, Math.Abs(a) / width, Math.Abs(a) / width, n);
                    continue;
                }
                if (a < 0 && b > 0)
                {
                    double negative = n * (-a / (b - a));
                    Add(result, 0, -a / width, negative);
                    Add(result, 0, b / width, n - negative);
                }
                else
                {
                    double x = Math.Abs(a) / width, y = Math.Abs(b) / width;
                    Add(result, Math.Min(x, y), Math.Max(x, y), n);
                }
            }
            return result;
        }

        /// <summary>Adds <paramref name="count"/> spread uniformly over [from, to) in bin units.</summary>
        private static void Add(double[] hist, double from, double to, double count)
        {
            int last = hist.Length - 1;
            if (to - from < 1e-12)
            {
                hist[Math.Max(0, Math.Min(last, (int)from))] += count;
                return;
            }
            double density = count / (to - from);
            int first = Math.Max(0, Math.Min(last, (int)from)), end = Math.Max(0, Math.Min(last, (int)to));
            for (int k = first; k <= end; k++)
            {
                double overlap = Math.Min(to, k + 1) - Math.Max(from, k);
                if (k == last) overlap = to - Math.Max(from, k);
                if (overlap > 0) hist[k] += density * overlap;
            }
        }

        /// <summary>
        /// The range minimizing the expected squared error of uint8 quantize-dequantize over the
        /// histogram: candidate ranges shrink [min, max] by a common factor α (so a ReLU output keeps
        /// its 0 edge), the error of each bin is the mean error of 8 points spread over it (clipping
        /// and rounding alike), and exact zeros cost nothing (0 is always representable).
        /// </summary>
        public static ActivationRange MseOptimal(TensorObserver o, int candidates = 256)
        {
            double lo = Math.Min(o.Min, 0), hi = Math.Max(o.Max, 0);
            if (!(hi > lo)) return new ActivationRange(0, 0);
            var counts = o.Counts;
            int zeroBin = ZeroBin(o);
            double bestError = double.PositiveInfinity, bestAlpha = 1;
            const int Points = 8;
            for (int c = candidates; c >= 1; c--)
            {
                double alpha = (double)c / candidates;
                var qp = QuantizationMath.ActivationParams(alpha * lo, alpha * hi);
                double scale = qp.Scale;
                double error = 0;
                for (int i = 0; i < counts.Length; i++)
                {
                    double n = counts[i];
                    if (i == zeroBin) n -= o.ZeroCount;
                    if (n <= 0) continue;
                    double binLow = o.HistogramLow + i * o.BinWidth, sum = 0;
                    for (int k = 0; k < Points; k++)
                    {
                        double x = binLow + (k + 0.5) * o.BinWidth / Points;
                        if (x < o.Min) x = o.Min;
                        else if (x > o.Max) x = o.Max;
                        double q = Math.Round(x / scale) + qp.ZeroPoint;
                        if (q < 0) q = 0; else if (q > 255) q = 255;
                        double d = x - (q - qp.ZeroPoint) * scale;
                        sum += d * d;
                    }
                    error += n * sum / Points;
                    if (error >= bestError) break;
                }
                if (error < bestError)
                {
                    bestError = error;
                    bestAlpha = alpha;
                }
            }
            return new ActivationRange(bestAlpha * lo, bestAlpha * hi);
        }
    }
}
