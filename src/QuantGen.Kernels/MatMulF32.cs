// FP32 matrix product of two run-time operands (B not known at build time, so not packed).
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;

    internal static unsafe class MatMulF32
    {
        /// <summary>
        /// y[m, n] = x[m, k] · B where B is b[k, n] (transB = 0) or the transpose of b[n, k] (transB = 1).
        /// Rows of y are accumulated as axpy updates (transB = 0) or dot products (transB = 1), both unit-stride.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(float* x, float* b, float* y, int m, int n, int k, int transB)
        {
            for (int i = 0; i < m; i++)
            {
                float* row = y + (long)i * n;
                float* ai = x + (long)i * k;
                if (transB != 0)
                {
                    for (int j = 0; j < n; j++) row[j] = Dot(ai, b + (long)j * k, k);
                    continue;
                }
                new Span<float>(row, n).Clear();
                for (int p = 0; p < k; p++) Axpy(ai[p], b + (long)p * n, row, n);
            }
        }

        private static float Dot(float* x, float* z, int length)
        {
            int i = 0;
            float sum = 0;
            if (Vector256.IsHardwareAccelerated && length >= 8)
            {
                var acc = Vector256<float>.Zero;
                for (; i <= length - 8; i += 8) acc += Vector256.Load(x + i) * Vector256.Load(z + i);
                sum = Vector256.Sum(acc);
            }
            for (; i < length; i++) sum += x[i] * z[i];
            return sum;
        }

        private static void Axpy(float alpha, float* x, float* y, int length)
        {
            int i = 0;
            if (Vector256.IsHardwareAccelerated && length >= 8)
            {
                var va = Vector256.Create(alpha);
                for (; i <= length - 8; i += 8) Vector256.Store(Vector256.Load(y + i) + va * Vector256.Load(x + i), y + i);
            }
            for (; i < length; i++) y[i] += alpha * x[i];
        }
    }
}
