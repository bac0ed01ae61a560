// GemmF32's 512-bit tile: 6 rows × two 16-column panels, one zmm per panel row; each element's bits as the AVX2 tile's.
namespace QuantGen.Kernels
{
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;

    internal static unsafe partial class GemmF32
    {
        // A panel row is one zmm, so the tile takes two panels: 6 rows × 32 columns = 12 accumulators (as the AVX2 6 × 16
        // tile), two weight loads and six broadcasts per k step for twice the products. Each element is the same chain as
        // in Tile6x16Vector256 (bias or C, then one FMA per k in order, the activation last), so the outputs are the AVX2
        // path's bits, and the row tiling (6 rows, 7 = 4 + 3) is the same.

        /// <summary>m rows × the 32 columns of panels b0 and b1 (both full), 6-row tiles as <see cref="RowBlock"/> makes them.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static void Strip6x32Vector512<TActivation>(float* a, int lda, float* b0, float* b1, int kc, float* c, int ldc, int m,
            float* bias0, float* bias1, bool accumulate, bool activate, TActivation fused, bool matrixVector)
            where TActivation : struct, ActivationMath.IUnaryOperator
        {
            for (int i = 0; i < m;)
            {
                int rows = TileRows(m - i, MaxRows);
                float* ai = a + (long)i * lda;
                float* ci = c + (long)i * ldc;
                if (rows == 1 && matrixVector)
                {
                    // The one-row kernel sums in another order; it stays the 256-bit one so its bits do not change either.
                    Kernel1x16Vector256(ai, b0, kc, ci, bias0, accumulate, activate, fused);
                    Kernel1x16Vector256(ai, b1, kc, ci + PanelWidth, bias1, accumulate, activate, fused);
                }
                else
                {
                    Tile6x32Vector512(ai, lda, b0, b1, kc, ci, ldc, rows, bias0, bias1, accumulate, activate, fused);
                }
                i += rows;
            }
        }

        // Rows past 'rows' alias the last valid row of A (same loads, results discarded), as in the 256-bit tile.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Tile6x32Vector512<TActivation>(float* a, int lda, float* b0, float* b1, int kc, float* c, int ldc, int rows,
            float* bias0, float* bias1, bool accumulate, bool activate, TActivation fused)
            where TActivation : struct, ActivationMath.IUnaryOperator
        {
            float* a0 = a;
            float* a1 = rows > 1 ? a0 + lda : a0;
            float* a2 = rows > 2 ? a1 + lda : a1;
            float* a3 = rows > 3 ? a2 + lda : a2;
            float* a4 = rows > 4 ? a3 + lda : a3;
            float* a5 = rows > 5 ? a4 + lda : a4;

            Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
            if (accumulate)
            {
                c00 = Vector512.Load(c); c01 = Vector512.Load(c + 16);
                c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector512<float>.Zero;
                if (rows > 1) { c10 = Vector512.Load(c + ldc); c11 = Vector512.Load(c + ldc + 16); }
                if (rows > 2) { c20 = Vector512.Load(c + 2 * ldc); c21 = Vector512.Load(c + 2 * ldc + 16); }
                if (rows > 3) { c30 = Vector512.Load(c + 3 * ldc); c31 = Vector512.Load(c + 3 * ldc + 16); }
                if (rows > 4) { c40 = Vector512.Load(c + 4 * ldc); c41 = Vector512.Load(c + 4 * ldc + 16); }
                if (rows > 5) { c50 = Vector512.Load(c + 5 * ldc); c51 = Vector512.Load(c + 5 * ldc + 16); }
            }
            else
            {
                c00 = c10 = c20 = c30 = c40 = c50 = bias0 != null ? Vector512.Load(bias0) : Vector512<float>.Zero;
                c01 = c11 = c21 = c31 = c41 = c51 = bias1 != null ? Vector512.Load(bias1) : Vector512<float>.Zero;
            }

            for (int kk = 0; kk < kc; kk++)
            {
                Vector512<float> w0 = Vector512.Load(b0);
                Vector512<float> w1 = Vector512.Load(b1);
                Vector512<float> av = Vector512.Create(a0[kk]);
                c00 = SimdMath.MultiplyAdd(av, w0, c00);
                c01 = SimdMath.MultiplyAdd(av, w1, c01);
                av = Vector512.Create(a1[kk]);
                c10 = SimdMath.MultiplyAdd(av, w0, c10);
                c11 = SimdMath.MultiplyAdd(av, w1, c11);
                av = Vector512.Create(a2[kk]);
                c20 = SimdMath.MultiplyAdd(av, w0, c20);
                c21 = SimdMath.MultiplyAdd(av, w1, c21);
                av = Vector512.Create(a3[kk]);
                c30 = SimdMath.MultiplyAdd(av, w0, c30);
                c31 = SimdMath.MultiplyAdd(av, w1, c31);
                av = Vector512.Create(a4[kk]);
                c40 = SimdMath.MultiplyAdd(av, w0, c40);
                c41 = SimdMath.MultiplyAdd(av, w1, c41);
                av = Vector512.Create(a5[kk]);
                c50 = SimdMath.MultiplyAdd(av, w0, c50);
                c51 = SimdMath.MultiplyAdd(av, w1, c51);
                b0 += PanelWidth;
                b1 += PanelWidth;
            }

            if (activate)
            {
                c00 = fused.Invoke(c00); c01 = fused.Invoke(c01); c10 = fused.Invoke(c10); c11 = fused.Invoke(c11);
                c20 = fused.Invoke(c20); c21 = fused.Invoke(c21); c30 = fused.Invoke(c30); c31 = fused.Invoke(c31);
                c40 = fused.Invoke(c40); c41 = fused.Invoke(c41); c50 = fused.Invoke(c50); c51 = fused.Invoke(c51);
            }

            c00.Store(c); c01.Store(c + 16);
            if (rows > 1) { c10.Store(c + ldc); c11.Store(c + ldc + 16); }
            if (rows > 2) { c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 16); }
            if (rows > 3) { c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 16); }
            if (rows > 4) { c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 16); }
            if (rows > 5) { c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 16); }
        }
    }
}
