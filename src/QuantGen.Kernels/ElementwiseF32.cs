// FP32 elementwise kernels: binary operations with numpy broadcasting (via strides) and activations.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;

    internal static unsafe class ElementwiseF32
    {
        /// <summary>
        /// y = a (op) b. y is contiguous with <paramref name="shape"/>; a and b are read at Σ idx[i] * stride[i]
        /// (stride 0 broadcasts). y may alias a or b when that operand is read at y's own offsets.
        /// </summary>
        public static void Binary(float* a, float* b, float* y, BinaryOp op, ReadOnlySpan<int> shape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides)
        {
            switch (op)
            {
                case BinaryOp.Add: Broadcast(a, b, y, shape, aStrides, bStrides, new AddOperator()); break;
                case BinaryOp.Sub: Broadcast(a, b, y, shape, aStrides, bStrides, new SubOperator()); break;
                case BinaryOp.Mul: Broadcast(a, b, y, shape, aStrides, bStrides, new MulOperator()); break;
                case BinaryOp.Div: Broadcast(a, b, y, shape, aStrides, bStrides, new DivOperator()); break;
                case BinaryOp.Pow: Broadcast(a, b, y, shape, aStrides, bStrides, new PowOperator()); break;
                case BinaryOp.Max: Broadcast(a, b, y, shape, aStrides, bStrides, new MaxOperator()); break;
                case BinaryOp.Min: Broadcast(a, b, y, shape, aStrides, bStrides, new MinOperator()); break;
                case BinaryOp.PRelu: Broadcast(a, b, y, shape, aStrides, bStrides, new PReluOperator()); break;
            }
        }

        /// <summary>y[i] = a[i] + b[i] for i &lt; count, as <see cref="Binary"/> adds same-shape tensors; y may be a or b.</summary>
        internal static void Add(float* a, float* b, float* y, int count) => RowBoth(a, b, y, count, new AddOperator());

        /// <summary>y[i] = act(x[i]) for i &lt; count; x == y is allowed.</summary>
        public static void Activate(float* x, float* y, int count, Activation act, float alpha, float beta)
        {
            ActivationMath.Apply(x, y, count, act, alpha, beta);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Broadcast<TOperator>(float* a, float* b, float* y, ReadOnlySpan<int> shape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides, TOperator op)
            where TOperator : struct, IBinaryOperator
        {
            // Coalesce: drop size-1 axes and merge an axis into its outer neighbour when both operands walk them as
            // one contiguous run (y is contiguous, so it always merges). Most graphs collapse to rank 1 or 2 here.
            int rank = shape.Length;
            int* dims = stackalloc int[rank + 1];
            int* sa = stackalloc int[rank + 1];
            int* sb = stackalloc int[rank + 1];
            int r = 0;
            for (int i = 0; i < rank; i++)
            {
                int d = shape[i];
                if (d <= 0) return;
                if (d == 1) continue;
                if (r > 0 && sa[r - 1] == aStrides[i] * d && sb[r - 1] == bStrides[i] * d)
                {
                    dims[r - 1] *= d;
                    sa[r - 1] = aStrides[i];
                    sb[r - 1] = bStrides[i];
                }
                else
                {
                    dims[r] = d;
                    sa[r] = aStrides[i];
                    sb[r] = bStrides[i];
                    r++;
                }
            }

            if (r == 0)
            {
                *y = op.Invoke(*a, *b);
                return;
            }

            int n = dims[r - 1];
            int ia = sa[r - 1];
            int ib = sb[r - 1];
            int outerRank = r - 1;
            long rows = 1;
            for (int d = 0; d < outerRank; d++) rows *= dims[d];
            int* idx = stackalloc int[outerRank + 1];
            for (int d = 0; d <= outerRank; d++) idx[d] = 0;

            long aOff = 0, bOff = 0;
            float* yp = y;
            for (long row = 0; row < rows; row++)
            {
                float* ap = a + aOff;
                float* bp = b + bOff;
                if (ia == 1 && ib == 1) RowBoth(ap, bp, yp, n, op);
                else if (ia == 1 && ib == 0) RowScalarB(ap, *bp, yp, n, op);
                else if (ia == 0 && ib == 1) RowScalarA(*ap, bp, yp, n, op);
                else
                {
                    for (int i = 0; i < n; i++) yp[i] = op.Invoke(ap[(long)i * ia], bp[(long)i * ib]);
                }
                yp += n;

                for (int d = outerRank - 1; d >= 0; d--)
                {
                    aOff += sa[d];
                    bOff += sb[d];
                    if (++idx[d] < dims[d]) break;
                    aOff -= (long)sa[d] * dims[d];
                    bOff -= (long)sb[d] * dims[d];
                    idx[d] = 0;
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void RowBoth<TOperator>(float* a, float* b, float* y, int n, TOperator op)
            where TOperator : struct, IBinaryOperator
        {
            int i = 0;
            if (op.IsVectorizable)
            {
                if (Vector512.IsHardwareAccelerated)
                {
                    for (; i <= n - 32; i += 32)
                    {
                        Vector512<float> v0 = op.Invoke(Vector512.Load(a + i), Vector512.Load(b + i));
                        Vector512<float> v1 = op.Invoke(Vector512.Load(a + i + 16), Vector512.Load(b + i + 16));
                        v0.Store(y + i);
                        v1.Store(y + i + 16);
                    }
                }
                if (Vector256.IsHardwareAccelerated)
                {
                    for (; i <= n - 16; i += 16)
                    {
                        Vector256<float> v0 = op.Invoke(Vector256.Load(a + i), Vector256.Load(b + i));
                        Vector256<float> v1 = op.Invoke(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8));
                        v0.Store(y + i);
                        v1.Store(y + i + 8);
                    }
                    for (; i <= n - 8; i += 8) op.Invoke(Vector256.Load(a + i), Vector256.Load(b + i)).Store(y + i);
                }
                else if (Vector128.IsHardwareAccelerated)
                {
                    for (; i <= n - 4; i += 4) op.Invoke(Vector128.Load(a + i), Vector128.Load(b + i)).Store(y + i);
                }
            }
            for (; i < n; i++) y[i] = op.Invoke(a[i], b[i]);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void RowScalarB<TOperator>(float* a, float b, float* y, int n, TOperator op)
            where TOperator : struct, IBinaryOperator
        {
            int i = 0;
            if (op.IsVectorizable)
            {
                if (Vector256.IsHardwareAccelerated)
                {
                    Vector256<float> bv = Vector256.Create(b);
                    for (; i <= n - 8; i += 8) op.Invoke(Vector256.Load(a + i), bv).Store(y + i);
                }
                else if (Vector128.IsHardwareAccelerated)
                {
                    Vector128<float> bv = Vector128.Create(b);
                    for (; i <= n - 4; i += 4) op.Invoke(Vector128.Load(a + i), bv).Store(y + i);
                }
            }
            for (; i < n; i++) y[i] = op.Invoke(a[i], b);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void RowScalarA<TOperator>(float a, float* b, float* y, int n, TOperator op)
            where TOperator : struct, IBinaryOperator
        {
            int i = 0;
            if (op.IsVectorizable)
            {
                if (Vector256.IsHardwareAccelerated)
                {
                    Vector256<float> av = Vector256.Create(a);
                    for (; i <= n - 8; i += 8) op.Invoke(av, Vector256.Load(b + i)).Store(y + i);
                }
                else if (Vector128.IsHardwareAccelerated)
                {
                    Vector128<float> av = Vector128.Create(a);
                    for (; i <= n - 4; i += 4) op.Invoke(av, Vector128.Load(b + i)).Store(y + i);
                }
            }
            for (; i < n; i++) y[i] = op.Invoke(a, b[i]);
        }

        private interface IBinaryOperator
        {
            /// <summary>False when the vector overloads are not worth calling (they still compute the right values).</summary>
            bool IsVectorizable { get; }
            float Invoke(float a, float b);
            Vector512<float> Invoke(Vector512<float> a, Vector512<float> b);
            Vector256<float> Invoke(Vector256<float> a, Vector256<float> b);
            Vector128<float> Invoke(Vector128<float> a, Vector128<float> b);
        }

        private readonly struct AddOperator : IBinaryOperator
        {
            public bool IsVectorizable => true;
            public float Invoke(float a, float b) => a + b;
            public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a + b;
            public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a + b;
            public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a + b;
        }

        private readonly struct SubOperator : IBinaryOperator
        {
            public bool IsVectorizable => true;
            public float Invoke(float a, float b) => a - b;
            public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a - b;
            public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a - b;
            public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a - b;
        }

        private readonly struct MulOperator : IBinaryOperator
        {
            public bool IsVectorizable => true;
            public float Invoke(float a, float b) => a * b;
            public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a * b;
            public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a * b;
            public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a * b;
        }

        private readonly struct DivOperator : IBinaryOperator
        {
            public bool IsVectorizable => true;
            public float Invoke(float a, float b) => a / b;
            public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a / b;
            public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a / b;
            public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a / b;
        }

        private readonly struct PowOperator : IBinaryOperator
        {
            public bool IsVectorizable => false;
            public float Invoke(float a, float b) => MathF.Pow(a, b);

            public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) =>
                Vector512.Create(Invoke(a.GetLower(), b.GetLower()), Invoke(a.GetUpper(), b.GetUpper()));

            public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) =>
                Vector256.Create(Invoke(a.GetLower(), b.GetLower()), Invoke(a.GetUpper(), b.GetUpper()));

            public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) =>
                Vector128.Create(
                    MathF.Pow(a.GetElement(0), b.GetElement(0)), MathF.Pow(a.GetElement(1), b.GetElement(1)),
                    MathF.Pow(a.GetElement(2), b.GetElement(2)), MathF.Pow(a.GetElement(3), b.GetElement(3)));
        }

        // Vector Max/Min and Math.Max/Min may differ on NaN inputs; ONNX leaves NaN propagation unspecified.
        private readonly struct MaxOperator : IBinaryOperator
        {
            public bool IsVectorizable => true;
            public float Invoke(float a, float b) => Math.Max(a, b);
            public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => SimdMath.Max(a, b);
            public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => SimdMath.Max(a, b);
            public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => SimdMath.Max(a, b);
        }

        private readonly struct MinOperator : IBinaryOperator
        {
            public bool IsVectorizable => true;
            public float Invoke(float a, float b) => Math.Min(a, b);
            public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => SimdMath.Min(a, b);
            public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => SimdMath.Min(a, b);
            public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => SimdMath.Min(a, b);
        }

        private readonly struct PReluOperator : IBinaryOperator
        {
            public bool IsVectorizable => true;
            public float Invoke(float a, float b) => a >= 0f ? a : a * b;

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) =>
                Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a, Vector512<float>.Zero), a, a * b);

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) =>
                Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a, Vector256<float>.Zero), a, a * b);

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) =>
                Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(a, Vector128<float>.Zero), a, a * b);
        }
    }
}
