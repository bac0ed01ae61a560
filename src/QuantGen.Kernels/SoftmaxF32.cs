// FP32 Softmax / LogSoftmax over the middle axis of [outer, axis, inner], numerically stable (max subtracted first).
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;

    internal static unsafe class SoftmaxF32
    {
        /// <summary>y = softmax(x) (log = 0) or log_softmax(x) (log = 1) along axis; x == y is allowed.</summary>
        public static void Run(float* x, float* y, int outer, int axis, int inner, int log)
        {
            if (outer <= 0 || axis <= 0 || inner <= 0) return;
            long slab = (long)axis * inner;
            for (int o = 0; o < outer; o++)
            {
                float* xs = x + o * slab;
                float* ys = y + o * slab;
                if (inner == 1)
                {
                    Contiguous(xs, ys, axis, log != 0);
                    continue;
                }

                // Softmax along a strided axis: 8 neighbouring columns at a time, one vector per axis position.
                int j = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    for (; j + 8 <= inner; j += 8) Columns(xs + j, ys + j, axis, inner, log != 0);
                }
                for (; j < inner; j++) Strided(xs + j, ys + j, axis, inner, log != 0);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Contiguous(float* x, float* y, int n, bool log)
        {
            float max = MaxOf(x, n);
            if (log)
            {
                float shift = max + MathF.Log(ExpSum(x, null, n, max));
                int i = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    Vector256<float> s = Vector256.Create(shift);
                    for (; i + 8 <= n; i += 8) (Vector256.Load(x + i) - s).Store(y + i);
                }
                for (; i < n; i++) y[i] = x[i] - shift;
            }
            else
            {
                float scale = 1f / ExpSum(x, y, n, max);
                int i = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    Vector256<float> s = Vector256.Create(scale);
                    for (; i + 8 <= n; i += 8) (Vector256.Load(y + i) * s).Store(y + i);
                }
                for (; i < n; i++) y[i] *= scale;
            }
        }

        // Σ e^(x[i] - max), storing each term to y unless y is null.
        private static float ExpSum(float* x, float* y, int n, float max)
        {
            int i = 0;
            float sum = 0f;
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> m = Vector256.Create(max);
                Vector256<float> acc = Vector256<float>.Zero;
                for (; i + 8 <= n; i += 8)
                {
                    Vector256<float> e = SimdMath.Exp(Vector256.Load(x + i) - m);
                    if (y != null) e.Store(y + i);
                    acc += e;
                }
                sum = Vector256.Sum(acc);
            }
            for (; i < n; i++)
            {
                float e = SimdMath.Exp(x[i] - max);
                if (y != null) y[i] = e;
                sum += e;
            }
            return sum;
        }

        private static float MaxOf(float* x, int n)
        {
            int i = 0;
            float max = float.NegativeInfinity;
            if (Vector256.IsHardwareAccelerated && n >= 8)
            {
                Vector256<float> m = Vector256.Load(x);
                for (i = 8; i + 8 <= n; i += 8) m = SimdMath.Max(m, Vector256.Load(x + i));
                for (int l = 0; l < 8; l++) max = Math.Max(max, m.GetElement(l));
            }
            for (; i < n; i++) max = Math.Max(max, x[i]);
            return max;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Columns(float* x, float* y, int n, int stride, bool log)
        {
            Vector256<float> max = Vector256.Load(x);
            for (int i = 1; i < n; i++) max = SimdMath.Max(max, Vector256.Load(x + (long)i * stride));
            Vector256<float> sum = Vector256<float>.Zero;
            for (int i = 0; i < n; i++)
            {
                Vector256<float> e = SimdMath.Exp(Vector256.Load(x + (long)i * stride) - max);
                if (!log) e.Store(y + (long)i * stride);
                sum += e;
            }
            if (log)
            {
                // log is per lane: no vector log, so spill the 8 sums.
                float* shift = stackalloc float[8];
                for (int l = 0; l < 8; l++) shift[l] = max.GetElement(l) + MathF.Log(sum.GetElement(l));
                Vector256<float> s = Vector256.Load(shift);
                for (int i = 0; i < n; i++) (Vector256.Load(x + (long)i * stride) - s).Store(y + (long)i * stride);
            }
            else
            {
                Vector256<float> scale = Vector256<float>.One / sum;
                for (int i = 0; i < n; i++) (Vector256.Load(y + (long)i * stride) * scale).Store(y + (long)i * stride);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Strided(float* x, float* y, int n, int stride, bool log)
        {
            float max = float.NegativeInfinity;
            for (int i = 0; i < n; i++) max = Math.Max(max, x[(long)i * stride]);
            float sum = 0f;
            if (log)
            {
                for (int i = 0; i < n; i++) sum += SimdMath.Exp(x[(long)i * stride] - max);
                float shift = max + MathF.Log(sum);
                for (int i = 0; i < n; i++) y[(long)i * stride] = x[(long)i * stride] - shift;
            }
            else
            {
                for (int i = 0; i < n; i++)
                {
                    float e = SimdMath.Exp(x[(long)i * stride] - max);
                    y[(long)i * stride] = e;
                    sum += e;
                }
                float scale = 1f / sum;
                for (int i = 0; i < n; i++) y[(long)i * stride] *= scale;
            }
        }
    }
}
