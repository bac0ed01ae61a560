// Accuracy measures between a result and its reference.
using System;

namespace QuantGen.RealModels.Tests
{
    internal static class Similarity
    {
        /// <summary>Signal-to-quantization-noise ratio of <paramref name="got"/> against <paramref name="want"/>, in dB.</summary>
        public static double SqnrDb(ReadOnlySpan<float> got, ReadOnlySpan<float> want)
        {
            double signal = 0, noise = 0;
            for (int i = 0; i < want.Length; i++)
            {
                signal += (double)want[i] * want[i];
                double d = (double)got[i] - want[i];
                noise += d * d;
            }
            return noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(signal / noise);
        }

        public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
        {
            double dot = 0, na = 0, nb = 0;
            for (int i = 0; i < a.Length; i++)
            {
                dot += (double)a[i] * b[i];
                na += (double)a[i] * a[i];
                nb += (double)b[i] * b[i];
            }
            return dot / Math.Sqrt(na * nb);
        }

        /// <summary>Largest |got − want| relative to the largest |want| (the vector's scale, so near-zero entries do not dominate).</summary>
        public static double MaxRelativeError(ReadOnlySpan<float> got, ReadOnlySpan<float> want)
        {
            double scale = 0, worst = 0;
            for (int i = 0; i < want.Length; i++) scale = Math.Max(scale, Math.Abs(want[i]));
            for (int i = 0; i < want.Length; i++) worst = Math.Max(worst, Math.Abs((double)got[i] - want[i]));
            return worst / scale;
        }
    }
}
