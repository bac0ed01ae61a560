// Type-agnostic indexing kernels: Gather with run-time indices, strided slices (Slice, Split) and padding (Pad).
namespace QuantGen.Kernels
{
    using System;

    internal static unsafe class Indexing
    {
        /// <summary>
        /// Gather along the middle axis of x viewed as [outer, axis, inner]: y[o, j, :] = x[o, indices[j], :] for j &lt; count;
        /// a negative index counts from the end. An index outside [−axis, axis) throws (the generated code never reads outside x).
        /// </summary>
        public static void Gather<T>(T* x, long* indices, T* y, int outer, int axis, int inner, int count) where T : unmanaged
        {
            long bytes = (long)inner * sizeof(T);
            for (int j = 0; j < count; j++)
            {
                long k = indices[j];
                if (k < 0) k += axis;
                if ((ulong)k >= (ulong)axis) throw new IndexOutOfRangeException("Gather: index " + indices[j] + " is outside [-" + axis + ", " + axis + ").");
            }
            for (long o = 0; o < outer; o++)
            {
                for (int j = 0; j < count; j++)
                {
                    long k = indices[j] < 0 ? indices[j] + axis : indices[j];
                    Buffer.MemoryCopy(x + (o * axis + k) * inner, y + (o * count + j) * (long)inner, bytes, bytes);
                }
            }
        }

        /// <summary>Gather with int32 indices (tf2onnx exports them); otherwise as <see cref="Gather{T}"/>.</summary>
        public static void GatherInt32<T>(T* x, int* indices, T* y, int outer, int axis, int inner, int count) where T : unmanaged
        {
            long bytes = (long)inner * sizeof(T);
            for (int j = 0; j < count; j++)
            {
                long k = indices[j] < 0 ? (long)indices[j] + axis : indices[j];
                if ((ulong)k >= (ulong)axis) throw new IndexOutOfRangeException("Gather: index " + indices[j] + " is outside [-" + axis + ", " + axis + ").");
            }
            for (long o = 0; o < outer; o++)
            {
                for (int j = 0; j < count; j++)
                {
                    long k = indices[j] < 0 ? (long)indices[j] + axis : indices[j];
                    Buffer.MemoryCopy(x + (o * axis + k) * inner, y + (o * count + j) * (long)inner, bytes, bytes);
                }
            }
        }

        /// <summary>
        /// y[i] = x[index[i]] for i &lt; count, or zero where index[i] is −1: a gather through a build-time table (im2col for a
        /// convolution with run-time weights, the flip of run-time ConvTranspose weights). An index at or past
        /// <paramref name="xCount"/> throws, so a table never reads outside x.
        /// </summary>
        public static void Take<T>(T* x, int* index, T* y, int count, int xCount) where T : unmanaged
        {
            for (int i = 0; i < count; i++)
            {
                int k = index[i];
                if (k >= xCount) throw new IndexOutOfRangeException("Take: index " + k + " is outside the " + xCount + " elements of x.");
                y[i] = k < 0 ? default : x[k];
            }
        }

        /// <summary>
        /// y (contiguous, <paramref name="shape"/>) = x[offset + Σ index_a · strides[a]]; strides may be negative or zero
        /// (Slice with negative steps). x and y must not overlap.
        /// </summary>
        public static void Strided<T>(T* x, T* y, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, int offset) where T : unmanaged
        {
            int rank = shape.Length;
            long count = 1;
            for (int i = 0; i < rank; i++) count *= shape[i];
            if (count <= 0) return;
            if (rank == 0)
            {
                y[0] = x[offset];
                return;
            }
            long n = shape[rank - 1];
            long inner = strides[rank - 1];
            long* idx = stackalloc long[rank];
            for (int d = 0; d < rank; d++) idx[d] = 0;
            long rows = count / n;
            long off = offset;
            T* yp = y;
            for (long row = 0; row < rows; row++)
            {
                T* xp = x + off;
                if (inner == 1)
                {
                    long bytes = n * sizeof(T);
                    Buffer.MemoryCopy(xp, yp, bytes, bytes);
                }
                else
                {
                    for (long i = 0; i < n; i++) yp[i] = xp[i * inner];
                }
                yp += n;
                for (int d = rank - 2; d >= 0; d--)
                {
                    off += strides[d];
                    if (++idx[d] < shape[d]) break;
                    off -= (long)strides[d] * shape[d];
                    idx[d] = 0;
                }
            }
        }

        /// <summary>
        /// Pad: y has <paramref name="shape"/>; along axis a, output position j reads input position map[starts[a] + j]
        /// (−1: the padding value[0]). Edge and reflect modes are such maps, and so is cropping (negative pads).
        /// x is contiguous with <paramref name="strides"/> per axis.
        /// </summary>
        public static void Pad<T>(T* x, T* value, T* y, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, ReadOnlySpan<int> map, ReadOnlySpan<int> starts) where T : unmanaged
        {
            int rank = shape.Length;
            long count = 1;
            for (int i = 0; i < rank; i++) count *= shape[i];
            if (count <= 0) return;
            T fill = value[0];
            if (rank == 0)
            {
                y[0] = x[0];
                return;
            }
            int n = shape[rank - 1];
            ReadOnlySpan<int> last = map.Slice(starts[rank - 1], n);
            long* idx = stackalloc long[rank];
            for (int d = 0; d < rank; d++) idx[d] = 0;
            long rows = count / n;
            T* yp = y;
            for (long row = 0; row < rows; row++)
            {
                long off = 0;
                bool padded = false;
                for (int d = 0; d < rank - 1; d++)
                {
                    int m = map[starts[d] + (int)idx[d]];
                    if (m < 0)
                    {
                        padded = true;
                        break;
                    }
                    off += (long)m * strides[d];
                }
                if (padded)
                {
                    for (int i = 0; i < n; i++) yp[i] = fill;
                }
                else
                {
                    T* xp = x + off;
                    long inner = strides[rank - 1];
                    for (int i = 0; i < n; i++)
                    {
                        int m = last[i];
                        yp[i] = m < 0 ? fill : xp[m * inner];
                    }
                }
                yp += n;
                for (int d = rank - 2; d >= 0; d--)
                {
                    if (++idx[d] < shape[d]) break;
                    idx[d] = 0;
                }
            }
        }
    }
}
