// Per-call (dynamic) quantization for Precision="Int8Dynamic": int8 weights baked at build time, the activation's
// uint8 scale and zero point measured from the data on every call, so no calibration data is needed.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;

    internal static unsafe class DynamicQuantization
    {
        /// <summary>
        /// Quantizes x with parameters taken from x itself: lo = min(0, min x), hi = max(0, max x) (so 0 is exact),
        /// scale = (hi − lo) / 255 (1 for an all-zero x), zp = clamp(round_half_even(−lo / scale), 0, 255); y as
        /// <see cref="QuantizationU8.Quantize"/> with 1 / scale; qparams[0] = scale, qparams[1] = zp. Min and max are
        /// exact, so every path gives the same bits (NaN input gives unspecified bytes).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Quantize(float* x, byte* y, float* qparams, int count)
        {
            float lo = 0f, hi = 0f;
            int i = 0;
            if (Vector256.IsHardwareAccelerated && count >= 8)
            {
                Vector256<float> vlo = Vector256<float>.Zero, vhi = Vector256<float>.Zero;
                for (; i + 8 <= count; i += 8)
                {
                    Vector256<float> v = Vector256.Load(x + i);
                    vlo = Vector256.Min(vlo, v);
                    vhi = Vector256.Max(vhi, v);
                }
                for (int l = 0; l < 8; l++)
                {
                    lo = Math.Min(lo, vlo.GetElement(l));
                    hi = Math.Max(hi, vhi.GetElement(l));
                }
            }
            else if (Vector128.IsHardwareAccelerated && count >= 4)
            {
                Vector128<float> vlo = Vector128<float>.Zero, vhi = Vector128<float>.Zero;
                for (; i + 4 <= count; i += 4)
                {
                    Vector128<float> v = Vector128.Load(x + i);
                    vlo = Vector128.Min(vlo, v);
                    vhi = Vector128.Max(vhi, v);
                }
                for (int l = 0; l < 4; l++)
                {
                    lo = Math.Min(lo, vlo.GetElement(l));
                    hi = Math.Max(hi, vhi.GetElement(l));
                }
            }
            for (; i < count; i++)
            {
                lo = Math.Min(lo, x[i]);
                hi = Math.Max(hi, x[i]);
            }
            float scale = (hi - lo) / 255f;
            if (!(scale > 0f) || float.IsInfinity(scale)) scale = 1f;
            float zp = MathF.Round(-lo / scale, MidpointRounding.ToEven);
            int zeroPoint = zp < 0f ? 0 : zp > 255f ? 255 : (int)zp;
            QuantizationU8.Quantize(x, y, count, zeroPoint, 1f / scale);
            qparams[0] = scale;
            qparams[1] = zeroPoint;
        }

        /// <summary>
        /// Per-token quantization of a [rows, cols] x (a transformer's tokens): each row as <see cref="Quantize"/> with its
        /// own range; qparams[2r] = scale and qparams[2r + 1] = zp of row r. A few channels carry most of BERT-style
        /// activations' range, but not in every token: per row, the post-GELU and attention-output inputs of MiniLM keep
        /// 32–36 dB instead of 21–26 dB per tensor (docs/quantization-research.md).
        /// </summary>
        public static void QuantizeRows(float* x, byte* y, float* qparams, int rows, int cols)
        {
            for (int r = 0; r < rows; r++) Quantize(x + (long)r * cols, y + (long)r * cols, qparams + 2 * r, cols);
        }

        /// <summary>
        /// Finishes a GemmU8S8.Float (no bias, scale = the weights' per-column scales) on <see cref="QuantizeRows"/>'s
        /// output, in place: y[i, j] = s_i · (y[i, j] − zp_i · columnTerms[j]) + bias[j], with (s_i, zp_i) from qparams and
        /// columnTerms[j] = weightScale[j] · Σ_k W[k, j] (bias null = 0). The same operations in the same order on every
        /// path (no fused multiply-add), so every CPU gives the same bits.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void FinishRows(float* y, float* qparams, float* columnTerms, float* bias, int rows, int n)
        {
            for (int i = 0; i < rows; i++)
            {
                float s = qparams[2 * i], zp = qparams[2 * i + 1];
                float* row = y + (long)i * n;
                int j = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    Vector256<float> vs = Vector256.Create(s), vzp = Vector256.Create(zp);
                    for (; j + 8 <= n; j += 8)
                    {
                        Vector256<float> v = (Vector256.Load(row + j) - vzp * Vector256.Load(columnTerms + j)) * vs;
                        Vector256.Store(bias != null ? v + Vector256.Load(bias + j) : v, row + j);
                    }
                }
                else if (Vector128.IsHardwareAccelerated)
                {
                    Vector128<float> vs = Vector128.Create(s), vzp = Vector128.Create(zp);
                    for (; j + 4 <= n; j += 4)
                    {
                        Vector128<float> v = (Vector128.Load(row + j) - vzp * Vector128.Load(columnTerms + j)) * vs;
                        Vector128.Store(bias != null ? v + Vector128.Load(bias + j) : v, row + j);
                    }
                }
                for (; j < n; j++)
                {
                    float v = (row[j] - zp * columnTerms[j]) * s;
                    row[j] = bias != null ? v + bias[j] : v;
                }
            }
        }

        /// <summary>
        /// The per-call parameters of a GemmU8S8.Float on dynamically quantized x: scaleOut[j] = sIn · weightScale[j];
        /// biasOut[j] = round_half_even(bias[j] / scaleOut[j]) (0 without a bias, clamped to ±2^30) − zp · columnSums[j],
        /// with (sIn, zp) from qparams and columnSums[j] = Σ_k W[k, j].
        /// </summary>
        public static void PrepareGemm(float* qparams, int* columnSums, float* weightScale, float* bias, int* biasOut, float* scaleOut, int n)
        {
            float sIn = qparams[0];
            int zp = (int)qparams[1];
            for (int j = 0; j < n; j++)
            {
                float s = sIn * weightScale[j];
                scaleOut[j] = s;
                int b = 0;
                if (bias != null)
                {
                    float q = MathF.Round(bias[j] / s, MidpointRounding.ToEven);
                    b = q >= 1073741824f ? 1 << 30 : q <= -1073741824f ? -(1 << 30) : float.IsNaN(q) ? 0 : (int)q;
                }
                biasOut[j] = unchecked(b - zp * columnSums[j]);
            }
        }
    }
}
