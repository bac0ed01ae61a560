// The math of every Activation in one place: used by ElementwiseF32.Activate and by the Conv/Gemm epilogues.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;

    internal static unsafe class ActivationMath
    {
        /// <summary>y[i] = act(x[i]) for i in [0, count); x == y is allowed.</summary>
        internal static void Apply(float* x, float* y, int count, Activation act, float alpha, float beta)
        {
            if (count <= 0) return;
            switch (act)
            {
                case Activation.None:
                    if (x != y) Buffer.MemoryCopy(x, y, (long)count * sizeof(float), (long)count * sizeof(float));
                    return;
                case Activation.Relu: Map(x, y, count, new ReluOperator()); return;
                case Activation.Clip: Map(x, y, count, new ClipOperator(alpha, beta)); return;
                case Activation.LeakyRelu: Map(x, y, count, new LeakyReluOperator(alpha)); return;
                case Activation.HardSigmoid: Map(x, y, count, new HardSigmoidOperator(alpha, beta)); return;
                case Activation.HardSwish: Map(x, y, count, new HardSwishOperator()); return;
                case Activation.Neg: Map(x, y, count, new NegOperator()); return;
                case Activation.Abs: Map(x, y, count, new AbsOperator()); return;
                case Activation.Sqrt: Map(x, y, count, new SqrtOperator()); return;
                case Activation.Sigmoid: Map(x, y, count, new SigmoidOperator()); return;
                case Activation.Tanh: Map(x, y, count, new TanhOperator()); return;
                case Activation.Elu: Map(x, y, count, new EluOperator(alpha, 1f)); return;
                case Activation.Selu: Map(x, y, count, new EluOperator(alpha, beta)); return;
                case Activation.Exp: Map(x, y, count, new ExpOperator()); return;
                case Activation.Erf: Map(x, y, count, new ErfOperator()); return;
                case Activation.Gelu: Map(x, y, count, new GeluOperator()); return;
                default:
                    // Softplus and Log: no vector log here, so MathF per element.
                    for (int i = 0; i < count; i++) y[i] = Apply(x[i], act, alpha, beta);
                    return;
            }
        }

        /// <summary>act(x) for one element, bit-identical to the vector paths of <see cref="Apply(float*, float*, int, Activation, float, float)"/>.</summary>
        public static float Apply(float x, Activation act, float alpha, float beta)
        {
            switch (act)
            {
                case Activation.None: return x;
                case Activation.Relu: return x > 0f ? x : 0f;
                case Activation.Clip: return Math.Min(Math.Max(x, alpha), beta);
                case Activation.LeakyRelu: return x >= 0f ? x : x * alpha;
                case Activation.Sigmoid: return new SigmoidOperator().Invoke(x);
                case Activation.Tanh: return new TanhOperator().Invoke(x);
                case Activation.HardSigmoid: return Math.Max(0f, Math.Min(1f, alpha * x + beta));
                case Activation.HardSwish: return x * Math.Max(0f, Math.Min(1f, x * (1f / 6f) + 0.5f));
                case Activation.Elu: return new EluOperator(alpha, 1f).Invoke(x);
                case Activation.Selu: return new EluOperator(alpha, beta).Invoke(x);
                case Activation.Softplus:
                    // log(1 + e^x) without overflow for large x.
                    return x > 0f ? x + MathF.Log(1f + MathF.Exp(-x)) : MathF.Log(1f + MathF.Exp(x));
                case Activation.Neg: return -x;
                case Activation.Abs: return Math.Abs(x);
                case Activation.Sqrt: return MathF.Sqrt(x);
                case Activation.Exp: return SimdMath.Exp(x);
                case Activation.Log: return MathF.Log(x);
                case Activation.Erf: return new ErfOperator().Invoke(x);
                case Activation.Gelu: return new GeluOperator().Invoke(x);
                default: return x;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Map<TOperator>(float* x, float* y, int count, TOperator op)
            where TOperator : struct, IUnaryOperator
        {
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; i <= count - 64; i += 64)
                {
                    Vector512<float> v0 = op.Invoke(Vector512.Load(x + i));
                    Vector512<float> v1 = op.Invoke(Vector512.Load(x + i + 16));
                    Vector512<float> v2 = op.Invoke(Vector512.Load(x + i + 32));
                    Vector512<float> v3 = op.Invoke(Vector512.Load(x + i + 48));
                    v0.Store(y + i);
                    v1.Store(y + i + 16);
                    v2.Store(y + i + 32);
                    v3.Store(y + i + 48);
                }
                for (; i <= count - 16; i += 16) op.Invoke(Vector512.Load(x + i)).Store(y + i);
            }
            if (Vector256.IsHardwareAccelerated)
            {
                for (; i <= count - 32; i += 32)
                {
                    Vector256<float> v0 = op.Invoke(Vector256.Load(x + i));
                    Vector256<float> v1 = op.Invoke(Vector256.Load(x + i + 8));
                    Vector256<float> v2 = op.Invoke(Vector256.Load(x + i + 16));
                    Vector256<float> v3 = op.Invoke(Vector256.Load(x + i + 24));
                    v0.Store(y + i);
                    v1.Store(y + i + 8);
                    v2.Store(y + i + 16);
                    v3.Store(y + i + 24);
                }
                for (; i <= count - 8; i += 8) op.Invoke(Vector256.Load(x + i)).Store(y + i);
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                for (; i <= count - 4; i += 4) op.Invoke(Vector128.Load(x + i)).Store(y + i);
            }
            for (; i < count; i++) y[i] = op.Invoke(x[i]);
        }

        /// <summary>An elementwise function with scalar and vector forms that agree; kernels are specialized over it.</summary>
        internal interface IUnaryOperator
        {
            float Invoke(float x);
            Vector512<float> Invoke(Vector512<float> x);
            Vector256<float> Invoke(Vector256<float> x);
            Vector128<float> Invoke(Vector128<float> x);
        }

        internal readonly struct IdentityOperator : IUnaryOperator
        {
            public float Invoke(float x) => x;
            public Vector512<float> Invoke(Vector512<float> x) => x;
            public Vector256<float> Invoke(Vector256<float> x) => x;
            public Vector128<float> Invoke(Vector128<float> x) => x;
        }

        internal readonly struct ReluOperator : IUnaryOperator
        {
            public float Invoke(float x) => x > 0f ? x : 0f;
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector512<float> Invoke(Vector512<float> x) => SimdMath.Max(x, Vector512<float>.Zero);
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector256<float> Invoke(Vector256<float> x) => SimdMath.Max(x, Vector256<float>.Zero);
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector128<float> Invoke(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), x, Vector128<float>.Zero);
        }

        internal readonly struct ClipOperator : IUnaryOperator
        {
            private readonly float _min;
            private readonly float _max;
            public ClipOperator(float min, float max) { _min = min; _max = max; }
            public float Invoke(float x) => Math.Min(Math.Max(x, _min), _max);
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector512<float> Invoke(Vector512<float> x) => SimdMath.Min(Vector512.Create(_max), SimdMath.Max(Vector512.Create(_min), x));
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector256<float> Invoke(Vector256<float> x) => SimdMath.Min(Vector256.Create(_max), SimdMath.Max(Vector256.Create(_min), x));
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector128<float> Invoke(Vector128<float> x) => SimdMath.Min(Vector128.Create(_max), SimdMath.Max(Vector128.Create(_min), x));
        }

        internal readonly struct LeakyReluOperator : IUnaryOperator
        {
            private readonly float _alpha;
            public LeakyReluOperator(float alpha) { _alpha = alpha; }
            public float Invoke(float x) => x >= 0f ? x : x * _alpha;
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), x, x * Vector512.Create(_alpha));
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), x, x * Vector256.Create(_alpha));
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector128<float> Invoke(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(x, Vector128<float>.Zero), x, x * Vector128.Create(_alpha));
        }

        internal readonly struct HardSigmoidOperator : IUnaryOperator
        {
            private readonly float _alpha;
            private readonly float _beta;
            public HardSigmoidOperator(float alpha, float beta) { _alpha = alpha; _beta = beta; }
            public float Invoke(float x) => Math.Max(0f, Math.Min(1f, _alpha * x + _beta));
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector512<float> Invoke(Vector512<float> x) =>
                SimdMath.Max(Vector512<float>.Zero, SimdMath.Min(Vector512<float>.One, Vector512.Create(_alpha) * x + Vector512.Create(_beta)));
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector256<float> Invoke(Vector256<float> x) =>
                SimdMath.Max(Vector256<float>.Zero, SimdMath.Min(Vector256<float>.One, Vector256.Create(_alpha) * x + Vector256.Create(_beta)));
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector128<float> Invoke(Vector128<float> x) =>
                SimdMath.Max(Vector128<float>.Zero, SimdMath.Min(Vector128<float>.One, Vector128.Create(_alpha) * x + Vector128.Create(_beta)));
        }

        internal readonly struct HardSwishOperator : IUnaryOperator
        {
            public float Invoke(float x) => x * Math.Max(0f, Math.Min(1f, x * (1f / 6f) + 0.5f));
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector512<float> Invoke(Vector512<float> x) =>
                x * SimdMath.Max(Vector512<float>.Zero, SimdMath.Min(Vector512<float>.One, x * Vector512.Create(1f / 6f) + Vector512.Create(0.5f)));
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector256<float> Invoke(Vector256<float> x) =>
                x * SimdMath.Max(Vector256<float>.Zero, SimdMath.Min(Vector256<float>.One, x * Vector256.Create(1f / 6f) + Vector256.Create(0.5f)));
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector128<float> Invoke(Vector128<float> x) =>
                x * SimdMath.Max(Vector128<float>.Zero, SimdMath.Min(Vector128<float>.One, x * Vector128.Create(1f / 6f) + Vector128.Create(0.5f)));
        }

        internal readonly struct ExpOperator : IUnaryOperator
        {
            public float Invoke(float x) => SimdMath.Exp(x);
            public Vector512<float> Invoke(Vector512<float> x) => SimdMath.Exp(x);
            public Vector256<float> Invoke(Vector256<float> x) => SimdMath.Exp(x);
            public Vector128<float> Invoke(Vector128<float> x) => SimdMath.Exp(x);
        }

        internal readonly struct SigmoidOperator : IUnaryOperator
        {
            public float Invoke(float x) => 1f / (1f + SimdMath.Exp(-x));
            public Vector512<float> Invoke(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + SimdMath.Exp(-x));
            public Vector256<float> Invoke(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + SimdMath.Exp(-x));
            public Vector128<float> Invoke(Vector128<float> x) => Vector128<float>.One / (Vector128<float>.One + SimdMath.Exp(-x));
        }

        // tanh(x) = sign(x) · (1 - 2 / (e^{2|x|} + 1)); below |x| = 0.625 that form cancels, so an odd polynomial
        // (Cephes tanhf) takes over.
        internal readonly struct TanhOperator : IUnaryOperator
        {
            private const float Small = 0.625f;
            private const float T0 = -5.70498872745e-3f;
            private const float T1 = 2.06390887954e-2f;
            private const float T2 = -5.37397155531e-2f;
            private const float T3 = 1.33314422036e-1f;
            private const float T4 = -3.33332819422e-1f;

            public float Invoke(float x)
            {
                float ax = Math.Abs(x);
                if (ax < Small)
                {
                    float z = x * x;
                    float p = SimdMath.MultiplyAdd(T0, z, T1);
                    p = SimdMath.MultiplyAdd(p, z, T2);
                    p = SimdMath.MultiplyAdd(p, z, T3);
                    p = SimdMath.MultiplyAdd(p, z, T4);
                    return SimdMath.MultiplyAdd(p * z, x, x);
                }
                float t = 1f - 2f / (SimdMath.Exp(ax + ax) + 1f);
                return x < 0f ? -t : t;
            }

            public Vector512<float> Invoke(Vector512<float> x)
            {
                Vector512<float> ax = Vector512.Abs(x);
                Vector512<float> z = x * x;
                Vector512<float> p = SimdMath.MultiplyAdd(Vector512.Create(T0), z, Vector512.Create(T1));
                p = SimdMath.MultiplyAdd(p, z, Vector512.Create(T2));
                p = SimdMath.MultiplyAdd(p, z, Vector512.Create(T3));
                p = SimdMath.MultiplyAdd(p, z, Vector512.Create(T4));
                Vector512<float> small = SimdMath.MultiplyAdd(p * z, x, x);
                Vector512<float> t = Vector512<float>.One - Vector512.Create(2f) / (SimdMath.Exp(ax + ax) + Vector512<float>.One);
                Vector512<float> large = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), -t, t);
                return Vector512.ConditionalSelect(Vector512.LessThan(ax, Vector512.Create(Small)), small, large);
            }

            public Vector256<float> Invoke(Vector256<float> x)
            {
                Vector256<float> ax = Vector256.Abs(x);
                Vector256<float> z = x * x;
                Vector256<float> p = SimdMath.MultiplyAdd(Vector256.Create(T0), z, Vector256.Create(T1));
                p = SimdMath.MultiplyAdd(p, z, Vector256.Create(T2));
                p = SimdMath.MultiplyAdd(p, z, Vector256.Create(T3));
                p = SimdMath.MultiplyAdd(p, z, Vector256.Create(T4));
                Vector256<float> small = SimdMath.MultiplyAdd(p * z, x, x);
                Vector256<float> t = Vector256<float>.One - Vector256.Create(2f) / (SimdMath.Exp(ax + ax) + Vector256<float>.One);
                Vector256<float> large = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), -t, t);
                return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(Small)), small, large);
            }

            public Vector128<float> Invoke(Vector128<float> x)
            {
                Vector128<float> ax = Vector128.Abs(x);
                Vector128<float> z = x * x;
                Vector128<float> p = SimdMath.MultiplyAdd(Vector128.Create(T0), z, Vector128.Create(T1));
                p = SimdMath.MultiplyAdd(p, z, Vector128.Create(T2));
                p = SimdMath.MultiplyAdd(p, z, Vector128.Create(T3));
                p = SimdMath.MultiplyAdd(p, z, Vector128.Create(T4));
                Vector128<float> small = SimdMath.MultiplyAdd(p * z, x, x);
                Vector128<float> t = Vector128<float>.One - Vector128.Create(2f) / (SimdMath.Exp(ax + ax) + Vector128<float>.One);
                Vector128<float> large = Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), -t, t);
                return Vector128.ConditionalSelect(Vector128.LessThan(ax, Vector128.Create(Small)), small, large);
            }
        }

        /// <summary>scale · (x &gt; 0 ? x : alpha · (e^x - 1)): Elu with scale 1, Selu with scale gamma.</summary>
        internal readonly struct EluOperator : IUnaryOperator
        {
            private readonly float _alpha;
            private readonly float _scale;
            public EluOperator(float alpha, float scale) { _alpha = alpha; _scale = scale; }

            public float Invoke(float x) => _scale * (x > 0f ? x : _alpha * (SimdMath.Exp(x) - 1f));

            public Vector512<float> Invoke(Vector512<float> x) =>
                Vector512.Create(_scale) * Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x,
                    Vector512.Create(_alpha) * (SimdMath.Exp(x) - Vector512<float>.One));

            public Vector256<float> Invoke(Vector256<float> x) =>
                Vector256.Create(_scale) * Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x,
                    Vector256.Create(_alpha) * (SimdMath.Exp(x) - Vector256<float>.One));

            public Vector128<float> Invoke(Vector128<float> x) =>
                Vector128.Create(_scale) * Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), x,
                    Vector128.Create(_alpha) * (SimdMath.Exp(x) - Vector128<float>.One));
        }

        internal readonly struct NegOperator : IUnaryOperator
        {
            public float Invoke(float x) => -x;
            public Vector512<float> Invoke(Vector512<float> x) => -x;
            public Vector256<float> Invoke(Vector256<float> x) => -x;
            public Vector128<float> Invoke(Vector128<float> x) => -x;
        }

        internal readonly struct AbsOperator : IUnaryOperator
        {
            public float Invoke(float x) => Math.Abs(x);
            public Vector512<float> Invoke(Vector512<float> x) => Vector512.Abs(x);
            public Vector256<float> Invoke(Vector256<float> x) => Vector256.Abs(x);
            public Vector128<float> Invoke(Vector128<float> x) => Vector128.Abs(x);
        }

        internal readonly struct SqrtOperator : IUnaryOperator
        {
            public float Invoke(float x) => MathF.Sqrt(x);
            public Vector512<float> Invoke(Vector512<float> x) => Vector512.Sqrt(x);
            public Vector256<float> Invoke(Vector256<float> x) => Vector256.Sqrt(x);
            public Vector128<float> Invoke(Vector128<float> x) => Vector128.Sqrt(x);
        }

        // GELU as ONNX Runtime's Gelu kernel writes it: (x / 2) · (1 + erf(x · (1/√2))), the same erf in every form, so the
        // three forms give the same bits. One pass instead of the five (Div, Erf, Add, Mul, Mul) exporters write.
        internal readonly struct GeluOperator : IUnaryOperator
        {
            private const float InverseSqrt2 = 0.70710677f;

            public float Invoke(float x) => x * 0.5f * (1f + new ErfOperator().Invoke(x * InverseSqrt2));

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector512<float> Invoke(Vector512<float> x) =>
                x * Vector512.Create(0.5f) * (Vector512<float>.One + new ErfOperator().Invoke(x * Vector512.Create(InverseSqrt2)));

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector256<float> Invoke(Vector256<float> x) =>
                x * Vector256.Create(0.5f) * (Vector256<float>.One + new ErfOperator().Invoke(x * Vector256.Create(InverseSqrt2)));

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector128<float> Invoke(Vector128<float> x) =>
                x * Vector128.Create(0.5f) * (Vector128<float>.One + new ErfOperator().Invoke(x * Vector128.Create(InverseSqrt2)));
        }

        // erf(x): below |x| = 0.875 an odd polynomial, erf(x) = x + x · P(x²); above, erf(|x|) = 1 − e^h(|x|) with h a
        // polynomial fitted to log(erfc(t)) on [0.875, 4] (|x| clamped to 4, where erf rounds to 1), the sign copied back.
        // Both fitted by least squares on Chebyshev nodes against a double-precision erf, coefficients rounded to float:
        // at most 1.04 ulp from the correctly rounded erf over [0, 5] with FMA, the exp's own error included.
        internal readonly struct ErfOperator : IUnaryOperator
        {
            private const float Split = 0.875f;
            private const float Saturation = 4f;
            private const float P0 = 0.12837917f, P1 = -0.3761257f, P2 = 0.11282606f, P3 = -0.026796214f, P4 = 0.0050386125f, P5 = -0.00062345376f;
            private const float H0 = 7.89853e-05f, H1 = -1.1289393f, H2 = -0.6348561f, H3 = -0.10601931f, H4 = 0.022988478f;
            private const float H5 = -0.0028614658f, H6 = -8.9890294e-05f, H7 = 0.000110708264f, H8 = -1.8860599e-05f, H9 = 1.1698569e-06f;

            public float Invoke(float x)
            {
                float ax = Math.Abs(x);
                if (ax <= Split)
                {
                    float s = x * x;
                    float p = SimdMath.MultiplyAdd(P5, s, P4);
                    p = SimdMath.MultiplyAdd(p, s, P3);
                    p = SimdMath.MultiplyAdd(p, s, P2);
                    p = SimdMath.MultiplyAdd(p, s, P1);
                    p = SimdMath.MultiplyAdd(p, s, P0);
                    return SimdMath.MultiplyAdd(x, p, x);
                }
                float t = Math.Min(Saturation, ax);
                float h = SimdMath.MultiplyAdd(H9, t, H8);
                h = SimdMath.MultiplyAdd(h, t, H7);
                h = SimdMath.MultiplyAdd(h, t, H6);
                h = SimdMath.MultiplyAdd(h, t, H5);
                h = SimdMath.MultiplyAdd(h, t, H4);
                h = SimdMath.MultiplyAdd(h, t, H3);
                h = SimdMath.MultiplyAdd(h, t, H2);
                h = SimdMath.MultiplyAdd(h, t, H1);
                h = SimdMath.MultiplyAdd(h, t, H0);
                return MathF.CopySign(1f - SimdMath.Exp(h), x);
            }

            // The 512-bit form runs the 256-bit one on each half: the same bits per lane, one polynomial written once.
            public Vector512<float> Invoke(Vector512<float> x) => Vector512.Create(Invoke(x.GetLower()), Invoke(x.GetUpper()));

            public Vector256<float> Invoke(Vector256<float> x)
            {
                Vector256<float> ax = Vector256.Abs(x);
                Vector256<float> s = x * x;
                Vector256<float> p = SimdMath.MultiplyAdd(Vector256.Create(P5), s, Vector256.Create(P4));
                p = SimdMath.MultiplyAdd(p, s, Vector256.Create(P3));
                p = SimdMath.MultiplyAdd(p, s, Vector256.Create(P2));
                p = SimdMath.MultiplyAdd(p, s, Vector256.Create(P1));
                p = SimdMath.MultiplyAdd(p, s, Vector256.Create(P0));
                Vector256<float> small = SimdMath.MultiplyAdd(x, p, x);
                Vector256<float> t = SimdMath.Min(Vector256.Create(Saturation), ax);
                Vector256<float> h = SimdMath.MultiplyAdd(Vector256.Create(H9), t, Vector256.Create(H8));
                h = SimdMath.MultiplyAdd(h, t, Vector256.Create(H7));
                h = SimdMath.MultiplyAdd(h, t, Vector256.Create(H6));
                h = SimdMath.MultiplyAdd(h, t, Vector256.Create(H5));
                h = SimdMath.MultiplyAdd(h, t, Vector256.Create(H4));
                h = SimdMath.MultiplyAdd(h, t, Vector256.Create(H3));
                h = SimdMath.MultiplyAdd(h, t, Vector256.Create(H2));
                h = SimdMath.MultiplyAdd(h, t, Vector256.Create(H1));
                h = SimdMath.MultiplyAdd(h, t, Vector256.Create(H0));
                Vector256<float> sign = x & Vector256.Create(-0f);
                Vector256<float> large = (Vector256<float>.One - SimdMath.Exp(h)) | sign;
                return Vector256.ConditionalSelect(Vector256.LessThanOrEqual(ax, Vector256.Create(Split)), small, large);
            }

            public Vector128<float> Invoke(Vector128<float> x)
            {
                Vector128<float> ax = Vector128.Abs(x);
                Vector128<float> s = x * x;
                Vector128<float> p = SimdMath.MultiplyAdd(Vector128.Create(P5), s, Vector128.Create(P4));
                p = SimdMath.MultiplyAdd(p, s, Vector128.Create(P3));
                p = SimdMath.MultiplyAdd(p, s, Vector128.Create(P2));
                p = SimdMath.MultiplyAdd(p, s, Vector128.Create(P1));
                p = SimdMath.MultiplyAdd(p, s, Vector128.Create(P0));
                Vector128<float> small = SimdMath.MultiplyAdd(x, p, x);
                Vector128<float> t = SimdMath.Min(Vector128.Create(Saturation), ax);
                Vector128<float> h = SimdMath.MultiplyAdd(Vector128.Create(H9), t, Vector128.Create(H8));
                h = SimdMath.MultiplyAdd(h, t, Vector128.Create(H7));
                h = SimdMath.MultiplyAdd(h, t, Vector128.Create(H6));
                h = SimdMath.MultiplyAdd(h, t, Vector128.Create(H5));
                h = SimdMath.MultiplyAdd(h, t, Vector128.Create(H4));
                h = SimdMath.MultiplyAdd(h, t, Vector128.Create(H3));
                h = SimdMath.MultiplyAdd(h, t, Vector128.Create(H2));
                h = SimdMath.MultiplyAdd(h, t, Vector128.Create(H1));
                h = SimdMath.MultiplyAdd(h, t, Vector128.Create(H0));
                Vector128<float> sign = x & Vector128.Create(-0f);
                Vector128<float> large = (Vector128<float>.One - SimdMath.Exp(h)) | sign;
                return Vector128.ConditionalSelect(Vector128.LessThanOrEqual(ax, Vector128.Create(Split)), small, large);
            }
        }
    }
}
