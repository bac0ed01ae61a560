// Vector math shared by the kernels: fused multiply-add (FMA when the CPU has it), maxps/minps and a vectorized exp.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;
    using System.Runtime.Intrinsics.Arm;
    using System.Runtime.Intrinsics.X86;

    internal static class SimdMath
    {
        // exp(x) = 2^n · e^r with n = round(x / ln 2), r = x - n ln 2 (ln 2 split in two for precision) and e^r a
        // degree-6 polynomial on [-ln2/2, ln2/2] (Cephes expf); about 2 ulp. The scalar form runs the same steps so
        // vector bodies and scalar tails give the same bits.
        private const float ExpHigh = 88.72283f;
        private const float ExpLow = -87.33654f;
        private const float Log2E = 1.44269504088896341f;
        private const float Ln2High = 0.693359375f;
        private const float Ln2Low = -2.12194440e-4f;
        private const float RoundMagic = 12582912f; // 1.5 · 2^23: adding and subtracting it rounds to the nearest integer
        private const float P0 = 1.9875691500e-4f;
        private const float P1 = 1.3981999507e-3f;
        private const float P2 = 8.3334519073e-3f;
        private const float P3 = 4.1665795894e-2f;
        private const float P4 = 1.6666665459e-1f;
        private const float P5 = 5.0000001201e-1f;

        /// <summary>e^x lane-wise; same steps as the 256-bit form, so each lane has the same bits.</summary>
        public static Vector512<float> Exp(Vector512<float> x)
        {
            Vector512<float> xc = Min(Vector512.Create(ExpHigh), Max(Vector512.Create(ExpLow), x));
            Vector512<float> n = (xc * Vector512.Create(Log2E) + Vector512.Create(RoundMagic)) - Vector512.Create(RoundMagic);
            Vector512<float> r = MultiplyAdd(n, Vector512.Create(-Ln2High), xc);
            r = MultiplyAdd(n, Vector512.Create(-Ln2Low), r);
            Vector512<float> p = MultiplyAdd(Vector512.Create(P0), r, Vector512.Create(P1));
            p = MultiplyAdd(p, r, Vector512.Create(P2));
            p = MultiplyAdd(p, r, Vector512.Create(P3));
            p = MultiplyAdd(p, r, Vector512.Create(P4));
            p = MultiplyAdd(p, r, Vector512.Create(P5));
            p = MultiplyAdd(p, r * r, r + Vector512<float>.One);
            Vector512<float> scale = Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23).AsSingle();
            Vector512<float> e = p * scale;
            e = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(ExpHigh)), Vector512.Create(float.PositiveInfinity), e);
            return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(ExpLow)), Vector512<float>.Zero, e);
        }

        /// <summary>e^x lane-wise (overflow gives +∞, underflow 0, NaN stays NaN).</summary>
        public static Vector256<float> Exp(Vector256<float> x)
        {
            Vector256<float> xc = Min(Vector256.Create(ExpHigh), Max(Vector256.Create(ExpLow), x));
            Vector256<float> n = (xc * Vector256.Create(Log2E) + Vector256.Create(RoundMagic)) - Vector256.Create(RoundMagic);
            Vector256<float> r = MultiplyAdd(n, Vector256.Create(-Ln2High), xc);
            r = MultiplyAdd(n, Vector256.Create(-Ln2Low), r);
            Vector256<float> p = MultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
            p = MultiplyAdd(p, r, Vector256.Create(P2));
            p = MultiplyAdd(p, r, Vector256.Create(P3));
            p = MultiplyAdd(p, r, Vector256.Create(P4));
            p = MultiplyAdd(p, r, Vector256.Create(P5));
            p = MultiplyAdd(p, r * r, r + Vector256<float>.One);
            Vector256<float> scale = Vector256.ShiftLeft(Vector256.ConvertToInt32(n) + Vector256.Create(127), 23).AsSingle();
            Vector256<float> e = p * scale;
            e = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(ExpHigh)), Vector256.Create(float.PositiveInfinity), e);
            return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(ExpLow)), Vector256<float>.Zero, e);
        }

        /// <summary>e^x lane-wise; same steps as the 256-bit form.</summary>
        public static Vector128<float> Exp(Vector128<float> x)
        {
            Vector128<float> xc = Min(Vector128.Create(ExpHigh), Max(Vector128.Create(ExpLow), x));
            Vector128<float> n = (xc * Vector128.Create(Log2E) + Vector128.Create(RoundMagic)) - Vector128.Create(RoundMagic);
            Vector128<float> r = MultiplyAdd(n, Vector128.Create(-Ln2High), xc);
            r = MultiplyAdd(n, Vector128.Create(-Ln2Low), r);
            Vector128<float> p = MultiplyAdd(Vector128.Create(P0), r, Vector128.Create(P1));
            p = MultiplyAdd(p, r, Vector128.Create(P2));
            p = MultiplyAdd(p, r, Vector128.Create(P3));
            p = MultiplyAdd(p, r, Vector128.Create(P4));
            p = MultiplyAdd(p, r, Vector128.Create(P5));
            p = MultiplyAdd(p, r * r, r + Vector128<float>.One);
            Vector128<float> scale = Vector128.ShiftLeft(Vector128.ConvertToInt32(n) + Vector128.Create(127), 23).AsSingle();
            Vector128<float> e = p * scale;
            e = Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128.Create(ExpHigh)), Vector128.Create(float.PositiveInfinity), e);
            return Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128.Create(ExpLow)), Vector128<float>.Zero, e);
        }

        /// <summary>e^x with the vector forms' arithmetic, for scalar tails.</summary>
        public static float Exp(float x)
        {
            if (float.IsNaN(x)) return x;
            if (x > ExpHigh) return float.PositiveInfinity;
            if (x < ExpLow) return 0f;
            float n = (x * Log2E + RoundMagic) - RoundMagic;
            float r = MultiplyAdd(n, -Ln2High, x);
            r = MultiplyAdd(n, -Ln2Low, r);
            float p = MultiplyAdd(P0, r, P1);
            p = MultiplyAdd(p, r, P2);
            p = MultiplyAdd(p, r, P3);
            p = MultiplyAdd(p, r, P4);
            p = MultiplyAdd(p, r, P5);
            p = MultiplyAdd(p, r * r, r + 1f);
            return p * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
        }

        /// <summary>
        /// a * b + c with one rounding (vfmadd on AVX-512; the portable form is fused too), the same bits as the 256-bit
        /// form on every CPU that has AVX-512 (all of them have FMA).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Avx512Instructions.MultiplyAdd(a, b, c);

        /// <summary>a * b + c. Vector256.FusedMultiplyAdd only exists from .NET 9, so pick the ISA by hand.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c)
        {
            if (Fma.IsSupported) return Fma.MultiplyAdd(a, b, c);
            return a * b + c;
        }

        /// <summary>a * b + c on 128-bit vectors (x86 FMA, Arm64 FMLA, else multiply + add).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c)
        {
            if (Fma.IsSupported) return Fma.MultiplyAdd(a, b, c);
            if (AdvSimd.IsSupported) return AdvSimd.FusedMultiplyAdd(c, a, b);
            return a * b + c;
        }

        // From .NET 9, Vector256.Max/Min follow IEEE 754:2019 (NaN- and signed-zero-aware) and compile to a dozen
        // instructions; kernels want the single maxps/minps. x86 semantics: when either input is NaN (or both are
        // zeros) the result is b, so callers put the data operand where they want NaN to go.

        /// <summary>Lane-wise max with x86 maxps semantics (b when either lane is NaN or both are zeros), on every CPU.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) =>
            Avx512F.IsSupported ? Avx512F.Max(a, b) : Vector512.ConditionalSelect(Vector512.GreaterThan(a, b), a, b);

        /// <summary>Lane-wise min with x86 minps semantics (b when either lane is NaN or both are zeros), on every CPU.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Min(Vector512<float> a, Vector512<float> b) =>
            Avx512F.IsSupported ? Avx512F.Min(a, b) : Vector512.ConditionalSelect(Vector512.LessThan(a, b), a, b);

        /// <summary>Lane-wise max; returns b when either lane is NaN (x86 maxps).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Avx.IsSupported ? Avx.Max(a, b) : Vector256.Max(a, b);

        /// <summary>Lane-wise min; returns b when either lane is NaN (x86 minps).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Min(Vector256<float> a, Vector256<float> b) => Avx.IsSupported ? Avx.Min(a, b) : Vector256.Min(a, b);

        /// <summary>Lane-wise max (x86 maxps, Arm64 fmax).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) =>
            Sse.IsSupported ? Sse.Max(a, b) : AdvSimd.IsSupported ? AdvSimd.Max(a, b) : Vector128.Max(a, b);

        /// <summary>Lane-wise min (x86 minps, Arm64 fmin).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Min(Vector128<float> a, Vector128<float> b) =>
            Sse.IsSupported ? Sse.Min(a, b) : AdvSimd.IsSupported ? AdvSimd.Min(a, b) : Vector128.Min(a, b);

        /// <summary>a * b + c in scalar code; fused where the vector paths are fused so the tails round the same way.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float MultiplyAdd(float a, float b, float c)
        {
            if (Fma.IsSupported || AdvSimd.IsSupported) return System.MathF.FusedMultiplyAdd(a, b, c);
            return a * b + c;
        }
    }
}
