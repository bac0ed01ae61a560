// Type-agnostic data movement kernels: copy and N-d transpose (NCHW ↔ NHWC at the graph boundary).
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;

    internal static unsafe class DataMovement
    {
        // 2-D transposes go tile by tile so both the rows read and the rows written stay in L1.
        private const int TransposeTile = 32;

        /// <summary>y[0..count) = x[0..count); overlapping ranges are allowed.</summary>
        public static void Copy<T>(T* x, T* y, int count) where T : unmanaged
        {
            if (count <= 0 || x == y) return;
            long bytes = (long)count * sizeof(T);
            Buffer.MemoryCopy(x, y, bytes, bytes);
        }

        /// <summary>
        /// Copies <paramref name="blocks"/> runs of <paramref name="blockLength"/> elements: run b goes from
        /// x + b·xStride to y + b·yStride (Concat writes each input's rows into its slot of the output this way).
        /// </summary>
        public static void CopyBlocks<T>(T* x, T* y, int blocks, int blockLength, int xStride, int yStride) where T : unmanaged
        {
            if (blockLength <= 0) return;
            long bytes = (long)blockLength * sizeof(T);
            for (int b = 0; b < blocks; b++)
                Buffer.MemoryCopy(x + (long)b * xStride, y + (long)b * yStride, bytes, bytes);
        }

        /// <summary>y = numpy.transpose(x, perm) where shape is x's shape (rank 0..6); x and y must not overlap.</summary>
        public static void Transpose<T>(T* x, T* y, ReadOnlySpan<int> shape, ReadOnlySpan<int> perm) where T : unmanaged
        {
            int rank = shape.Length;
            long count = 1;
            for (int i = 0; i < rank; i++) count *= shape[i];
            if (count <= 0) return;

            // Input strides, then the output axes as (size, input stride), dropping size-1 axes and merging an axis into
            // its outer neighbour when they are consecutive in the input too. NCHW→NHWC becomes [N, HW, C] ← [N, C, HW].
            long* inStride = stackalloc long[rank + 1];
            long s = 1;
            for (int i = rank - 1; i >= 0; i--)
            {
                inStride[i] = s;
                s *= shape[i];
            }
            long* dims = stackalloc long[rank + 1];
            long* strides = stackalloc long[rank + 1];
            int r = 0;
            for (int i = 0; i < rank; i++)
            {
                int axis = perm[i];
                long d = shape[axis];
                if (d == 1) continue;
                if (r > 0 && strides[r - 1] == inStride[axis] * d)
                {
                    dims[r - 1] *= d;
                    strides[r - 1] = inStride[axis];
                }
                else
                {
                    dims[r] = d;
                    strides[r] = inStride[axis];
                    r++;
                }
            }

            if (r <= 1 || (r > 0 && strides[r - 1] == 1 && IsIdentity(dims, strides, r)))
            {
                Copy(x, y, (int)count);
                return;
            }

            // Batched 2-D transpose: the output's last axis walks the input with a stride, the one before it is
            // contiguous in the input ([.., A, B] ← [.., B, A]).
            if (r >= 2 && strides[r - 2] == 1 && strides[r - 1] == dims[r - 2])
            {
                long rows = dims[r - 2];
                long cols = dims[r - 1];
                long batches = count / (rows * cols);
                if (r == 2 || IsBatchContiguous(dims, strides, r, rows * cols))
                {
                    for (long bi = 0; bi < batches; bi++)
                        Transpose2D(x + bi * rows * cols, y + bi * rows * cols, cols, rows);
                    return;
                }
            }

            Generic(x, y, dims, strides, r, count);
        }

        private static bool IsIdentity(long* dims, long* strides, int r)
        {
            long s = 1;
            for (int i = r - 1; i >= 0; i--)
            {
                if (strides[i] != s) return false;
                s *= dims[i];
            }
            return true;
        }

        private static bool IsBatchContiguous(long* dims, long* strides, int r, long matrix)
        {
            long s = matrix;
            for (int i = r - 3; i >= 0; i--)
            {
                if (strides[i] != s) return false;
                s *= dims[i];
            }
            return true;
        }

        // x is [rows, cols] row-major, y = xᵀ is [cols, rows].
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Transpose2D<T>(T* x, T* y, long rows, long cols) where T : unmanaged
        {
            if (rows == 3)
            {
                // An RGB image NCHW → NHWC, every image model's first step: one pass, three elements per output pixel
                // (the tiled loop below spends more on its 3-long inner loop than on the copies).
                T* x1 = x + cols, x2 = x + 2 * cols;
                for (long c = 0; c < cols; c++, y += 3)
                {
                    y[0] = x[c];
                    y[1] = x1[c];
                    y[2] = x2[c];
                }
                return;
            }
            for (long r0 = 0; r0 < rows; r0 += TransposeTile)
            {
                long r1 = Math.Min(rows, r0 + TransposeTile);
                for (long c0 = 0; c0 < cols; c0 += TransposeTile)
                {
                    long c1 = Math.Min(cols, c0 + TransposeTile);
                    for (long c = c0; c < c1; c++)
                    {
                        T* yp = y + c * rows;
                        T* xp = x + c;
                        for (long rr = r0; rr < r1; rr++) yp[rr] = xp[rr * cols];
                    }
                }
            }
        }

        // Odometer over the output; the innermost axis is a contiguous block copy when its input stride is 1.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Generic<T>(T* x, T* y, long* dims, long* strides, int r, long count) where T : unmanaged
        {
            long n = dims[r - 1];
            long inner = strides[r - 1];
            int outerRank = r - 1;
            long* idx = stackalloc long[r];
            for (int d = 0; d < r; d++) idx[d] = 0;
            long rows = count / n;
            long off = 0;
            T* yp = y;
            for (long row = 0; row < rows; row++)
            {
                T* xp = x + off;
                if (inner == 1)
                {
                    Unsafe.CopyBlockUnaligned(yp, xp, (uint)(n * sizeof(T)));
                }
                else
                {
                    for (long i = 0; i < n; i++) yp[i] = xp[i * inner];
                }
                yp += n;
                for (int d = outerRank - 1; d >= 0; d--)
                {
                    off += strides[d];
                    if (++idx[d] < dims[d]) break;
                    off -= strides[d] * dims[d];
                    idx[d] = 0;
                }
            }
        }
    }
}
