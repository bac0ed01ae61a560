// FP32 Resize/Upsample as a separable weighted gather: the compiler turns every mode and coordinate transformation
// into per-axis tap tables (input index, weight) at build time, so the kernel only sums products.
namespace QuantGen.Kernels
{
    using System;

    internal static unsafe class ResizeF32
    {
        /// <summary>
        /// y (shape) = Σ over the taps of every axis of Π weight · x[Σ index · strides]. Axis a's table for output position j
        /// starts at entry starts[a] + j · taps[a] of index and weight; an index of −1 makes the element the extrapolation value.
        /// </summary>
        public static void Run(float* x, int* index, float* weight, float* y, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides,
            ReadOnlySpan<int> taps, ReadOnlySpan<int> starts, float extrapolation)
        {
            int rank = shape.Length;
            long count = 1;
            int combos = 1;
            for (int a = 0; a < rank; a++)
            {
                count *= shape[a];
                combos *= taps[a];
            }
            if (count <= 0) return;
            if (combos == 1 && rank > 0)
            {
                Nearest(x, index, y, shape, strides, starts, extrapolation);
                return;
            }
            long* pos = stackalloc long[rank + 1];
            long* entry = stackalloc long[rank + 1];
            for (int a = 0; a < rank; a++) pos[a] = 0;
            for (long o = 0; o < count; o++)
            {
                for (int a = 0; a < rank; a++) entry[a] = starts[a] + pos[a] * taps[a];
                float acc = 0;
                bool outside = false;
                for (int c = 0; c < combos && !outside; c++)
                {
                    long offset = 0;
                    float w = 1;
                    int rest = c;
                    for (int a = rank - 1; a >= 0; a--)
                    {
                        long e = entry[a] + rest % taps[a];
                        rest /= taps[a];
                        int i = index[e];
                        if (i < 0)
                        {
                            outside = true;
                            break;
                        }
                        offset += (long)i * strides[a];
                        w *= weight[e];
                    }
                    if (!outside && w != 0) acc += w * x[offset];
                }
                y[o] = outside ? extrapolation : acc;
                for (int a = rank - 1; a >= 0; a--)
                {
                    if (++pos[a] < shape[a]) break;
                    pos[a] = 0;
                }
            }
        }

        // One tap per axis (nearest, or an axis kept as it is): a row at a time, the source row found once per row.
        private static void Nearest(float* x, int* index, float* y, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, ReadOnlySpan<int> starts, float extrapolation)
        {
            int rank = shape.Length;
            int n = shape[rank - 1];
            int* last = index + starts[rank - 1];
            long inner = strides[rank - 1];
            long rows = 1;
            for (int a = 0; a < rank - 1; a++) rows *= shape[a];
            long* pos = stackalloc long[rank];
            for (int a = 0; a < rank; a++) pos[a] = 0;
            float* yp = y;
            for (long row = 0; row < rows; row++)
            {
                long offset = 0;
                bool outside = false;
                for (int a = 0; a < rank - 1; a++)
                {
                    int i = index[starts[a] + pos[a]];
                    if (i < 0) outside = true;
                    offset += (long)i * strides[a];
                }
                float* xp = x + offset;
                if (outside)
                {
                    for (int j = 0; j < n; j++) yp[j] = extrapolation;
                }
                else
                {
                    for (int j = 0; j < n; j++)
                    {
                        int i = last[j];
                        yp[j] = i < 0 ? extrapolation : xp[i * inner];
                    }
                }
                yp += n;
                for (int a = rank - 2; a >= 0; a--)
                {
                    if (++pos[a] < shape[a]) break;
                    pos[a] = 0;
                }
            }
        }
    }
}
