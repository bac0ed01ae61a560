// FP32 reductions (ReduceSum/Mean/Max/Min) over any set of axes, and the normalizations built on row statistics
// (LayerNormalization, InstanceNormalization).
namespace QuantGen.Kernels
{
    using System;
    using System.Numerics;
    using System.Runtime.CompilerServices;

    /// <summary>How a reduction combines the elements it reduces.</summary>
    internal enum ReduceOp
    {
        Sum,
        Mean,
        Max,
        Min,
    }

    internal static unsafe class ReduceF32
    {
        /// <summary>
        /// y = reduce(x) over the axes whose <paramref name="reduced"/> flag is 1; <paramref name="shape"/> is x's shape and
        /// y holds the kept axes in order (keepdims does not change the memory). x and y must not overlap.
        /// </summary>
        public static void Run(float* x, float* y, ReadOnlySpan<int> shape, ReadOnlySpan<int> reduced, ReduceOp op)
        {
            // Merge neighbouring axes with the same flag and drop size-1 axes: the common cases become
            // [kept, reduced] (a row reduction) or [kept, reduced, kept] (a strided column reduction).
            int rank = shape.Length;
            long* dims = stackalloc long[rank + 1];
            int* flags = stackalloc int[rank + 1];
            int r = 0;
            long total = 1, kept = 1;
            for (int i = 0; i < rank; i++)
            {
                long d = shape[i];
                total *= d;
                if (reduced[i] == 0) kept *= d;
                if (d == 1) continue;
                int f = reduced[i] != 0 ? 1 : 0;
                if (r > 0 && flags[r - 1] == f) dims[r - 1] *= d;
                else
                {
                    dims[r] = d;
                    flags[r] = f;
                    r++;
                }
            }
            if (kept == 0) return;
            long count = kept == 0 ? 0 : total / kept;
            float init = op == ReduceOp.Max ? float.NegativeInfinity : op == ReduceOp.Min ? float.PositiveInfinity : 0f;
            for (long i = 0; i < kept; i++) y[i] = init;
            if (count == 0)
            {
                if (op == ReduceOp.Mean) for (long i = 0; i < kept; i++) y[i] = float.NaN;
                return;
            }

            long outer = 1, axis = 1, inner = 1;
            bool simple = true;
            int k = 0;
            if (k < r && flags[k] == 0) outer = dims[k++];
            if (k < r && flags[k] == 1) axis = dims[k++];
            if (k < r && flags[k] == 0) inner = dims[k++];
            if (k < r) simple = false;

            if (simple)
            {
                for (long o = 0; o < outer; o++)
                {
                    float* xs = x + o * axis * inner;
                    float* ys = y + o * inner;
                    for (long a = 0; a < axis; a++) Accumulate(xs + a * inner, ys, inner, op);
                }
            }
            else
            {
                Generic(x, y, dims, flags, r, total, op);
            }

            if (op == ReduceOp.Mean)
            {
                float scale = 1f / count;
                for (long i = 0; i < kept; i++) y[i] *= scale;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Accumulate(float* x, float* y, long n, ReduceOp op)
        {
            if (n == 1)
            {
                y[0] = Combine(y[0], x[0], op);
                return;
            }
            switch (op)
            {
                case ReduceOp.Max:
                    for (long i = 0; i < n; i++) y[i] = MaxOf(y[i], x[i]);
                    break;
                case ReduceOp.Min:
                    for (long i = 0; i < n; i++) y[i] = MinOf(y[i], x[i]);
                    break;
                default:
                {
                    // Row sums (ReduceMean over H and W of a channels-last image): a vector of columns at a time.
                    long i = 0;
                    if (Vector.IsHardwareAccelerated)
                    {
                        int width = Vector<float>.Count;
                        for (; i + width <= n; i += width)
                            Unsafe.WriteUnaligned(y + i, Unsafe.ReadUnaligned<Vector<float>>(y + i) + Unsafe.ReadUnaligned<Vector<float>>(x + i));
                    }
                    for (; i < n; i++) y[i] += x[i];
                    break;
                }
            }
        }

        // NaN propagates like numpy's maximum/minimum (and ONNX's reference).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float MaxOf(float a, float b) => float.IsNaN(b) || b > a ? b : a;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float MinOf(float a, float b) => float.IsNaN(b) || b < a ? b : a;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float Combine(float acc, float v, ReduceOp op) =>
            op == ReduceOp.Max ? MaxOf(acc, v) : op == ReduceOp.Min ? MinOf(acc, v) : acc + v;

        // Odometer over x; the output offset moves only along kept axes.
        private static void Generic(float* x, float* y, long* dims, int* flags, int r, long total, ReduceOp op)
        {
            long* yStride = stackalloc long[r + 1];
            long s = 1;
            for (int i = r - 1; i >= 0; i--)
            {
                yStride[i] = flags[i] == 0 ? s : 0;
                if (flags[i] == 0) s *= dims[i];
            }
            long* idx = stackalloc long[r + 1];
            for (int i = 0; i < r; i++) idx[i] = 0;
            long yo = 0;
            for (long i = 0; i < total; i++)
            {
                y[yo] = Combine(y[yo], x[i], op);
                for (int d = r - 1; d >= 0; d--)
                {
                    yo += yStride[d];
                    if (++idx[d] < dims[d]) break;
                    yo -= yStride[d] * dims[d];
                    idx[d] = 0;
                }
            }
        }
    }

    internal static unsafe class NormalizationF32
    {
        /// <summary>
        /// LayerNormalization over rows of <paramref name="cols"/> elements: y = (x − mean) / sqrt(var + epsilon) · scale + bias,
        /// scale and bias of length cols (bias optional); mean and invStdDev (optional) receive each row's statistics.
        /// </summary>
        public static void Layer(float* x, float* scale, float* bias, float* y, float* mean, float* invStdDev, int rows, int cols, float epsilon)
        {
            for (long row = 0; row < rows; row++)
            {
                float* xr = x + row * cols;
                float* yr = y + row * cols;
                Statistics(xr, cols, epsilon, out float m, out float inv);
                for (int j = 0; j < cols; j++)
                {
                    float v = (xr[j] - m) * inv * scale[j];
                    yr[j] = bias == null ? v : v + bias[j];
                }
                if (mean != null) mean[row] = m;
                if (invStdDev != null) invStdDev[row] = inv;
            }
        }

        /// <summary>InstanceNormalization of an NCHW tensor [n, c, hw]: each (n, c) plane normalized, then · scale[c] + bias[c].</summary>
        public static void Instance(float* x, float* scale, float* bias, float* y, int n, int c, int hw, float epsilon)
        {
            for (long plane = 0; plane < (long)n * c; plane++)
            {
                float* xp = x + plane * hw;
                float* yp = y + plane * hw;
                Statistics(xp, hw, epsilon, out float m, out float inv);
                float s = scale[plane % c] * inv, b = bias[plane % c];
                for (int j = 0; j < hw; j++) yp[j] = (xp[j] - m) * s + b;
            }
        }

        // Two passes in double, so a large mean does not swallow a small variance.
        private static void Statistics(float* x, int n, float epsilon, out float mean, out float invStdDev)
        {
            double sum = 0;
            for (int j = 0; j < n; j++) sum += x[j];
            double m = n > 0 ? sum / n : 0;
            double sq = 0;
            for (int j = 0; j < n; j++)
            {
                double d = x[j] - m;
                sq += d * d;
            }
            double variance = n > 0 ? sq / n : 0;
            mean = (float)m;
            invStdDev = (float)(1.0 / Math.Sqrt(variance + epsilon));
        }
    }
}
