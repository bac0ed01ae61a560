// DataMovement.Copy and DataMovement.Transpose (generic over the element type) against numpy.transpose semantics.
using System;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    public unsafe class DataMovementTests
    {
        [Theory]
        [InlineData(0)]
        [InlineData(1)]
        [InlineData(1001)]
        public void CopyCopies(int count)
        {
            var x = new long[count];
            for (int i = 0; i < count; i++) x[i] = i * 7919L - 3;
            var y = new long[count + 3];
            fixed (long* px = x, py = y) DataMovement.Copy(px, py, count);
            for (int i = 0; i < count; i++) Assert.Equal(x[i], y[i]);
            for (int i = count; i < y.Length; i++) Assert.Equal(0L, y[i]);
        }

        [Theory]
        [InlineData(new int[0], new int[0])]
        [InlineData(new[] { 7 }, new[] { 0 })]
        [InlineData(new[] { 37, 45 }, new[] { 1, 0 })]
        [InlineData(new[] { 1, 45 }, new[] { 1, 0 })]
        [InlineData(new[] { 3, 4, 5 }, new[] { 0, 1, 2 })]
        [InlineData(new[] { 3, 40, 50 }, new[] { 0, 2, 1 })]
        [InlineData(new[] { 2, 3, 4, 5 }, new[] { 0, 2, 3, 1 })]      // NCHW → NHWC
        [InlineData(new[] { 1, 3, 17, 19 }, new[] { 0, 2, 3, 1 })]    // an RGB image NCHW → NHWC (the three-row case)
        [InlineData(new[] { 19, 3 }, new[] { 1, 0 })]                 // and back: 3 columns, not 3 rows
        [InlineData(new[] { 2, 4, 5, 3 }, new[] { 0, 3, 1, 2 })]      // NHWC → NCHW
        [InlineData(new[] { 1, 33, 7, 9 }, new[] { 0, 2, 3, 1 })]
        [InlineData(new[] { 3, 4, 5, 6 }, new[] { 2, 0, 3, 1 })]
        [InlineData(new[] { 3, 4, 5, 6 }, new[] { 1, 0, 2, 3 })]
        [InlineData(new[] { 2, 1, 3, 4, 2, 3 }, new[] { 5, 3, 1, 0, 4, 2 })]
        [InlineData(new[] { 2, 3, 2, 2, 3, 2 }, new[] { 0, 1, 2, 3, 5, 4 })]
        public void TransposeMatchesNumpy(int[] shape, int[] perm)
        {
            CheckTranspose<float>(shape, perm, i => i * 0.5f);
            CheckTranspose<byte>(shape, perm, i => (byte)(i * 13));
            CheckTranspose<long>(shape, perm, i => i * 1000003L);
        }

        private static void CheckTranspose<T>(int[] shape, int[] perm, Func<int, T> value) where T : unmanaged
        {
            int rank = shape.Length;
            int count = 1;
            foreach (int d in shape) count *= d;
            var x = new T[count];
            for (int i = 0; i < count; i++) x[i] = value(i);

            var inStrides = new int[rank];
            for (int i = rank - 1, s = 1; i >= 0; s *= shape[i], i--) inStrides[i] = s;
            var outShape = new int[rank];
            for (int i = 0; i < rank; i++) outShape[i] = shape[perm[i]];
            var expected = new T[count];
            var idx = new int[rank];
            for (int o = 0; o < count; o++)
            {
                int rem = o, src = 0;
                for (int d = rank - 1; d >= 0; d--)
                {
                    idx[d] = rem % outShape[d];
                    rem /= outShape[d];
                    src += idx[d] * inStrides[perm[d]];
                }
                expected[o] = x[src];
            }

            var y = new T[count + 5];
            fixed (T* px = x, py = y) DataMovement.Transpose(px, py, shape, perm);
            for (int i = 0; i < count; i++) Assert.True(expected[i].Equals(y[i]), $"{typeof(T).Name} [{string.Join(",", shape)}] perm [{string.Join(",", perm)}]: element {i}");
            for (int i = count; i < y.Length; i++) Assert.True(default(T).Equals(y[i]), "wrote past the output");
        }


        [Theory]
        [InlineData(1, 5, 5, 9, 2)]   // one row: a plain copy into a slot
        [InlineData(4, 3, 3, 7, 4)]   // concat along an inner axis: 4 rows of 3 into rows of 7 at column 4
        [InlineData(3, 0, 0, 5, 1)]   // an empty input
        public void CopyBlocksPlacesEveryRowAndNothingElse(int blocks, int blockLength, int xStride, int yStride, int yOffset)
        {
            var x = new float[Math.Max(1, blocks * xStride)];
            for (int i = 0; i < x.Length; i++) x[i] = i + 1;
            var y = new float[blocks * yStride + yOffset + 4];
            fixed (float* px = x, py = y) DataMovement.CopyBlocks(px, py + yOffset, blocks, blockLength, xStride, yStride);
            var expected = new float[y.Length];
            for (int b = 0; b < blocks; b++)
                for (int j = 0; j < blockLength; j++) expected[yOffset + b * yStride + j] = x[b * xStride + j];
            Assert.Equal(expected, y);
        }
    }
}
