// float ↔ uint8 conversion at the edges of an integer graph: quantize (plain or with a folded per-feature affine) and dequantize.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;

    internal static unsafe class QuantizationU8
    {
        // Values are clamped to ±Limit before rounding: far past the uint8 range for any zp, and small enough that the
        // round-half-even trick below is exact and the int conversion never overflows (which differs between runtimes).
        private const float Limit = 4096f;

        // Adding then subtracting 1.5·2^23 rounds a float with |t| ≤ 2^22 to an integer, half to even, in IEEE arithmetic:
        // the same bits as MathF.Round(t, MidpointRounding.ToEven) with or without SIMD, on every .NET version.
        private const float RoundMagic = 12582912f;

        /// <summary>y[i] = clamp(round_half_even(x[i] * invScale) + zp, 0, 255). NaN gives an unspecified byte.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Quantize(float* x, byte* y, int count, int zp, float invScale)
        {
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> s = Vector256.Create(invScale);
                for (; i + 8 <= count; i += 8) Store(Round(Vector256.Load(x + i) * s), zp, y + i);
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                Vector128<float> s = Vector128.Create(invScale);
                for (; i + 4 <= count; i += 4) Store(Round(Vector128.Load(x + i) * s), zp, y + i);
            }
            for (; i < count; i++) y[i] = Finish(x[i] * invScale, zp);
        }

        /// <summary>
        /// Quantize after a per-feature affine map (a folded input normalization): with f = i % features,
        /// t = x[i] * a[f]; t = t + b[f] (two roundings, never fused), y[i] = clamp(round_half_even(t) + zp, 0, 255).
        /// a already includes 1 / scale and b the shift in quantized units. features is the innermost (NHWC channel) extent.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void QuantizeAffine(float* x, float* a, float* b, byte* y, int count, int features, int zp)
        {
            if (features <= 0) return;
            if (features <= MaxPatternFeatures && (Vector256.IsHardwareAccelerated || Vector128.IsHardwareAccelerated))
            {
                QuantizeAffinePattern(x, a, b, y, count, features, zp);
                return;
            }
            for (int i0 = 0; i0 < count; i0 += features)
            {
                int n = Math.Min(features, count - i0);
                float* xr = x + i0;
                byte* yr = y + i0;
                int f = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    for (; f + 8 <= n; f += 8)
                    {
                        Vector256<float> t = Vector256.Load(xr + f) * Vector256.Load(a + f);
                        t += Vector256.Load(b + f);
                        Store(Round(t), zp, yr + f);
                    }
                }
                else if (Vector128.IsHardwareAccelerated)
                {
                    for (; f + 4 <= n; f += 4)
                    {
                        Vector128<float> t = Vector128.Load(xr + f) * Vector128.Load(a + f);
                        t += Vector128.Load(b + f);
                        Store(Round(t), zp, yr + f);
                    }
                }
                for (; f < n; f++)
                {
                    float t = xr[f] * a[f];
                    t += b[f];
                    yr[f] = Finish(t, zp);
                }
            }
        }

        // Few features (an RGB input has 3): a and b are repeated into a pattern of 8 · features floats so that whole
        // vectors run over the flat index. The per-element operations are the same as the scalar form's.
        private const int MaxPatternFeatures = 64;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void QuantizeAffinePattern(float* x, float* a, float* b, byte* y, int count, int features, int zp)
        {
            int period = features * 8;
            float* pa = stackalloc float[period];
            float* pb = stackalloc float[period];
            for (int i = 0; i < period; i++)
            {
                pa[i] = a[i % features];
                pb[i] = b[i % features];
            }
            int i0 = 0;
            for (; i0 + period <= count; i0 += period)
            {
                float* xr = x + i0;
                byte* yr = y + i0;
                if (Vector256.IsHardwareAccelerated)
                {
                    for (int f = 0; f < period; f += 8)
                    {
                        Vector256<float> t = Vector256.Load(xr + f) * Vector256.Load(pa + f);
                        t += Vector256.Load(pb + f);
                        Store(Round(t), zp, yr + f);
                    }
                }
                else
                {
                    for (int f = 0; f < period; f += 4)
                    {
                        Vector128<float> t = Vector128.Load(xr + f) * Vector128.Load(pa + f);
                        t += Vector128.Load(pb + f);
                        Store(Round(t), zp, yr + f);
                    }
                }
            }
            for (int i = i0; i < count; i++)
            {
                float t = x[i] * pa[i - i0];
                t += pb[i - i0];
                y[i] = Finish(t, zp);
            }
        }

        /// <summary>y[i] = (float)(x[i] − zp) * scale.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Dequantize(byte* x, float* y, int count, int zp, float scale)
        {
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<int> z = Vector256.Create(zp);
                Vector256<float> s = Vector256.Create(scale);
                for (; i + 8 <= count; i += 8)
                {
                    Vector128<byte> bytes = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(x + i)).AsByte();
                    Vector128<int> lo = Vector128.WidenLower(Vector128.WidenLower(bytes)).AsInt32();
                    Vector128<int> hi = Vector128.WidenUpper(Vector128.WidenLower(bytes)).AsInt32();
                    (Vector256.ConvertToSingle(Vector256.Create(lo, hi) - z) * s).Store(y + i);
                }
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                Vector128<int> z = Vector128.Create(zp);
                Vector128<float> s = Vector128.Create(scale);
                for (; i + 4 <= count; i += 4)
                {
                    Vector128<byte> bytes = Vector128.CreateScalar(Unsafe.ReadUnaligned<uint>(x + i)).AsByte();
                    Vector128<int> v = Vector128.WidenLower(Vector128.WidenLower(bytes)).AsInt32();
                    (Vector128.ConvertToSingle(v - z) * s).Store(y + i);
                }
            }
            for (; i < count; i++) y[i] = (float)(x[i] - zp) * scale;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static byte Finish(float t, int zp)
        {
            t = t < -Limit ? -Limit : t > Limit ? Limit : t;
            t = (t + RoundMagic) - RoundMagic;
            int q = (int)t + zp;
            return (byte)(q < 0 ? 0 : q > 255 ? 255 : q);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> Round(Vector256<float> t)
        {
            t = Vector256.Min(Vector256.Max(t, Vector256.Create(-Limit)), Vector256.Create(Limit));
            Vector256<float> magic = Vector256.Create(RoundMagic);
            return Vector256.ConvertToInt32((t + magic) - magic);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<int> Round(Vector128<float> t)
        {
            t = Vector128.Min(Vector128.Max(t, Vector128.Create(-Limit)), Vector128.Create(Limit));
            Vector128<float> magic = Vector128.Create(RoundMagic);
            return Vector128.ConvertToInt32((t + magic) - magic);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store(Vector256<int> q, int zp, byte* y)
        {
            q = Vector256.Min(Vector256.Max(q + Vector256.Create(zp), Vector256<int>.Zero), Vector256.Create(255));
            Vector128<ushort> s = Vector128.Narrow(q.GetLower().AsUInt32(), q.GetUpper().AsUInt32());
            Unsafe.WriteUnaligned(y, Vector128.Narrow(s, s).AsUInt64().ToScalar());
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store(Vector128<int> q, int zp, byte* y)
        {
            q = Vector128.Min(Vector128.Max(q + Vector128.Create(zp), Vector128<int>.Zero), Vector128.Create(255));
            Requantization.StoreBytes(q, y);
        }
    }
}
