// numpy-style (multidirectional) broadcasting, shared by shape inference, the evaluator and lowering.
using System;

namespace QuantGen.Compiler.Operators
{
    public static class Broadcasting
    {
        /// <summary>The broadcast shape of <paramref name="a"/> and <paramref name="b"/>, or null if they do not broadcast.</summary>
        public static int[]? Shape(int[] a, int[] b)
        {
            int rank = Math.Max(a.Length, b.Length);
            var result = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
                int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
                if (da != db && da != 1 && db != 1) return null;
                result[i] = da == 1 ? db : da;
            }
            return result;
        }

        /// <summary>
        /// Element strides for reading a tensor of shape <paramref name="shape"/> while walking
        /// <paramref name="outputShape"/>: 0 on broadcast axes, row-major strides elsewhere.
        /// </summary>
        public static int[] Strides(int[] shape, int[] outputShape)
        {
            int rank = outputShape.Length;
            var strides = new int[rank];
            int stride = 1;
            for (int i = rank - 1; i >= 0; i--)
            {
                int j = i - (rank - shape.Length);
                int d = j >= 0 ? shape[j] : 1;
                strides[i] = d == 1 ? 0 : stride;
                stride *= d;
            }
            return strides;
        }

        /// <summary>Row-major strides of a contiguous tensor.</summary>
        public static int[] ContiguousStrides(int[] shape)
        {
            var strides = new int[shape.Length];
            int stride = 1;
            for (int i = shape.Length - 1; i >= 0; i--)
            {
                strides[i] = stride;
                stride *= shape[i];
            }
            return strides;
        }

        /// <summary>Calls <paramref name="visit"/>(outIndex, aIndex, bIndex) for every output element.</summary>
        public static void ForEach(int[] outputShape, int[] aStrides, int[] bStrides, Action<int, int, int> visit)
        {
            int rank = outputShape.Length;
            long total = 1;
            foreach (int d in outputShape) total *= d;
            var index = new int[rank];
            int ia = 0, ib = 0;
            for (int o = 0; o < total; o++)
            {
                visit(o, ia, ib);
                for (int axis = rank - 1; axis >= 0; axis--)
                {
                    index[axis]++;
                    ia += aStrides[axis];
                    ib += bStrides[axis];
                    if (index[axis] < outputShape[axis]) break;
                    ia -= aStrides[axis] * outputShape[axis];
                    ib -= bStrides[axis] * outputShape[axis];
                    index[axis] = 0;
                }
            }
        }
    }
}
