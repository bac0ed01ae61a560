// FP32 matrix multiply against a B packed into 16-column panels, with fused bias and activation (also the core of ConvF32.Gemm).
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;

    internal static unsafe partial class GemmF32
    {
        /// <summary>Columns per packed panel (<see cref="GemmLayout.F32PanelWidth"/>).</summary>
        public const int PanelWidth = GemmLayout.F32PanelWidth;

        // K is processed in equal blocks of at most KBlock so that MBlock rows of A (≤ MBlock × KBlock floats = 480 KB)
        // stay in L2 across all panels; a panel slice of B (≤ KBlock × 16 floats = 64 KB) is read from L2 by each row
        // tile. Blocks of 384, whose B slice stays in L1, measured no faster on any shape here and cost the late
        // MobileNetV2 layers (k = 576, 960, 1280) a reload of C per block and B in short strided runs: 1024 took their
        // steps from 1,681 to 1,619 µs (10th percentiles in the model), the whole FP32 model 0.966 / 0.979 in an A/B.
        // Equal blocks avoid a short last block, which pays a full extra load/store of C for little work.
        private const int KBlock = 1024;
        private const int MBlock = 120;

        // Hot loops in the kernel library are marked AggressiveOptimization: without it the first Run executes Tier-0
        // code until tiering catches up (measured: first 3136×64×576 call 153 ms → 20 ms, conv 120 ms → 8 ms), and the
        // steady state measured the same (the kernels have no virtual calls or type checks for PGO to remove).

        // Rows per micro-kernel call: 6 × 16 (12 ymm accumulators) with AVX2, 3 × 16 (12 xmm) with 128-bit vectors.
        internal const int MaxRows = GemmLayout.F32TileRows;

        /// <summary>y[m, n] = act(x[m, k] · B[k, n] + bias[n]); b is packed (see <see cref="PanelWidth"/>), bias may be null.</summary>
        public static void Run(float* x, float* b, float* bias, float* y, int m, int n, int k, Activation act, float alpha, float beta)
        {
            Multiply(x, k, b, bias, y, n, m, n, k, act, alpha, beta);
        }

        /// <summary>
        /// c[i * ldc + j] = act(Σ a[i * lda + kk] · B[kk, j] + bias[j]) for i &lt; m, j &lt; n. B is packed: panel p (columns
        /// 16p..16p+15) starts at b + p * 16 * k and holds k rows of 16 floats, zero-padded past n. Never touches c outside
        /// the m × n window, nor a outside m rows of k.
        /// </summary>
        internal static void Multiply(float* a, int lda, float* b, float* bias, float* c, int ldc, int m, int n, int k, Activation act, float alpha, float beta)
        {
            int parts = KernelThreads.PartsFor((long)m * n * k, (m + MaxRows - 1) / MaxRows);
            if (parts > 1)
            {
                var job = new RowsJob { A = a, Lda = lda, B = b, Bias = bias, C = c, Ldc = ldc, M = m, N = n, K = k, Act = act, Alpha = alpha, Beta = beta };
                KernelThreads.For(ref job, parts);
                return;
            }
            MultiplyRows(a, lda, b, bias, c, ldc, m, n, k, act, alpha, beta, matrixVector: m == 1);
        }

        /// <summary>Multiply split by rows, on whole MaxRows tiles, so every element is computed as in one call.</summary>
        private struct RowsJob : IKernelPart
        {
            public float* A; public int Lda; public float* B; public float* Bias; public float* C; public int Ldc; public int M, N, K;
            public Activation Act; public float Alpha, Beta;

            public void Run(int part, int parts)
            {
                (int start, int end) = KernelThreads.Share(M, part, parts, MaxRows);
                MultiplyRows(A + (long)start * Lda, Lda, B, Bias, C + (long)start * Ldc, Ldc, end - start, N, K, Act, Alpha, Beta, matrixVector: M == 1);
            }
        }

        /// <summary>
        /// <see cref="Multiply"/> on this thread. <paramref name="matrixVector"/>: the whole product has one row (not just
        /// this slice of it), so the one-row kernel may run; a leftover single row of a larger product goes through the
        /// 6-row tile instead, so no row's bits depend on how the rows were sliced (threads, fused bands, im2col blocks).
        /// </summary>
        internal static void MultiplyRows(float* a, int lda, float* b, float* bias, float* c, int ldc, int m, int n, int k, Activation act, float alpha, float beta,
            bool matrixVector = false)
        {
            if (m <= 0 || n <= 0) return;
            if (k <= 0)
            {
                for (int i = 0; i < m; i++)
                {
                    float* row = c + (long)i * ldc;
                    for (int j = 0; j < n; j++) row[j] = bias != null ? bias[j] : 0f;
                    ActivationMath.Apply(row, row, n, act, alpha, beta);
                }
                return;
            }

            // Cheap activations are applied to the accumulators before the store (one specialization each); the rest
            // run as a pass over each finished tile while it is still in L1.
            switch (act)
            {
                case Activation.Relu: Multiply(a, lda, b, bias, c, ldc, m, n, k, new ActivationMath.ReluOperator(), Activation.None, 0f, 0f, matrixVector); break;
                case Activation.Clip: Multiply(a, lda, b, bias, c, ldc, m, n, k, new ActivationMath.ClipOperator(alpha, beta), Activation.None, 0f, 0f, matrixVector); break;
                case Activation.LeakyRelu: Multiply(a, lda, b, bias, c, ldc, m, n, k, new ActivationMath.LeakyReluOperator(alpha), Activation.None, 0f, 0f, matrixVector); break;
                case Activation.HardSwish: Multiply(a, lda, b, bias, c, ldc, m, n, k, new ActivationMath.HardSwishOperator(), Activation.None, 0f, 0f, matrixVector); break;
                default: Multiply(a, lda, b, bias, c, ldc, m, n, k, new ActivationMath.IdentityOperator(), act, alpha, beta, matrixVector); break;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Multiply<TActivation>(float* a, int lda, float* b, float* bias, float* c, int ldc, int m, int n, int k,
            TActivation fused, Activation act, float alpha, float beta, bool matrixVector)
            where TActivation : struct, ActivationMath.IUnaryOperator
        {
            int rowsPerCall = Vector256.IsHardwareAccelerated ? 6 : Vector128.IsHardwareAccelerated ? 3 : 4;
            int panels = (n + PanelWidth - 1) / PanelWidth;
            float* tile = stackalloc float[MaxRows * PanelWidth];
            float* biasPanel = stackalloc float[PanelWidth];

            int kBlocks = (k + KBlock - 1) / KBlock;
            int kStep = (k + kBlocks - 1) / kBlocks;
            for (int k0 = 0; k0 < k; k0 += kStep)
            {
                int kc = Math.Min(kStep, k - k0);
                bool accumulate = k0 > 0;
                bool last = k0 + kc == k;
                for (int m0 = 0; m0 < m; m0 += MBlock)
                {
                    int mEnd = Math.Min(m, m0 + MBlock);
                    for (int p = 0; p < panels; p++)
                    {
                        int j0 = p * PanelWidth;
                        int nc = Math.Min(PanelWidth, n - j0);

                        // A last panel with at most 8 live columns runs an 8-wide kernel: no FMAs on the zero padding.
                        int width = nc <= 8 && Vector256.IsHardwareAccelerated ? 8 : PanelWidth;
                        float* bp = b + (long)p * PanelWidth * k + (long)k0 * PanelWidth;
                        float* biasP = null;
                        if (!accumulate && bias != null)
                        {
                            if (nc == PanelWidth)
                            {
                                biasP = bias + j0;
                            }
                            else
                            {
                                for (int j = 0; j < PanelWidth; j++) biasPanel[j] = j < nc ? bias[j0 + j] : 0f;
                                biasP = biasPanel;
                            }
                        }

                        if (Vector512.IsHardwareAccelerated && act == Activation.None && nc == PanelWidth && n - j0 >= 2 * PanelWidth)
                        {
                            // Two full panels at once (GemmF32.Vector512.cs): the AVX2 tile's bits, half the loads per product.
                            float* biasNext = !accumulate && bias != null ? bias + j0 + PanelWidth : null;
                            Strip6x32Vector512(a + (long)m0 * lda + k0, lda, bp, bp + (long)PanelWidth * k, kc, c + (long)m0 * ldc + j0, ldc, mEnd - m0,
                                biasP, biasNext, accumulate, last, fused, matrixVector);
                            p++;
                            continue;
                        }

                        if (Vector256.IsHardwareAccelerated && nc == width && act == Activation.None)
                        {
                            // All row tiles of the block in one call: with k = 16..32 a call per 6 × 16 tile (its arguments
                            // spilled and reloaded) cost a third of the tile's own FMA time.
                            float* ap = a + (long)m0 * lda + k0;
                            float* cp = c + (long)m0 * ldc + j0;
                            if (width == 8) Strip6x8Vector256(ap, lda, bp, kc, cp, ldc, mEnd - m0, biasP, accumulate, last, fused);
                            else Strip6x16Vector256(ap, lda, bp, kc, cp, ldc, mEnd - m0, biasP, accumulate, last, fused, matrixVector);
                            continue;
                        }

                        for (int i = m0; i < mEnd;)
                        {
                            int rows = TileRows(mEnd - i, rowsPerCall);
                            float* ap = a + (long)i * lda + k0;
                            float* cp = c + (long)i * ldc + j0;
                            if (nc == width)
                            {
                                RowBlock(ap, lda, bp, kc, cp, ldc, rows, width, biasP, accumulate, last, fused, matrixVector);
                            }
                            else
                            {
                                // Partial panel: run the full-width kernel on a scratch tile and copy the valid columns.
                                if (accumulate)
                                {
                                    for (int r = 0; r < rows; r++)
                                        for (int j = 0; j < nc; j++) tile[r * PanelWidth + j] = cp[(long)r * ldc + j];
                                }
                                RowBlock(ap, lda, bp, kc, tile, PanelWidth, rows, width, biasP, accumulate, last, fused, matrixVector);
                                for (int r = 0; r < rows; r++)
                                    for (int j = 0; j < nc; j++) cp[(long)r * ldc + j] = tile[r * PanelWidth + j];
                            }

                            if (last && act != Activation.None)
                            {
                                for (int r = 0; r < rows; r++)
                                {
                                    float* row = cp + (long)r * ldc;
                                    ActivationMath.Apply(row, row, nc, act, alpha, beta);
                                }
                            }

                            i += rows;
                        }
                    }
                }
            }
        }

        /// <summary>Computes rows (≤ 6) × width (8 or 16) outputs over kc steps: c = (accumulate ? c : bias or 0) + a · B.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void RowBlock<TActivation>(float* a, int lda, float* b, int kc, float* c, int ldc, int rows, int width, float* bias, bool accumulate,
            bool activate, TActivation fused, bool matrixVector)
            where TActivation : struct, ActivationMath.IUnaryOperator
        {
            if (Vector256.IsHardwareAccelerated)
            {
                if (width == 8) Kernel6x8Vector256(a, lda, b, kc, c, ldc, rows, bias, accumulate, activate, fused);
                else if (rows == 1 && matrixVector) Kernel1x16Vector256(a, b, kc, c, bias, accumulate, activate, fused);
                else Kernel6x16Vector256(a, lda, b, kc, c, ldc, rows, bias, accumulate, activate, fused);
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                Kernel3x16Vector128(a, lda, b, kc, c, ldc, rows, bias, accumulate, activate, fused);
            }
            else
            {
                KernelScalar(a, lda, b, kc, c, ldc, rows, bias, accumulate, activate, fused);
            }
        }

        /// <summary>m rows (any count) × 16 columns as <see cref="RowBlock"/> tiles them (<see cref="TileRows"/>; a matrix-vector product's one row by the 1-row kernel), in one call.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Strip6x16Vector256<TActivation>(float* a, int lda, float* b, int kc, float* c, int ldc, int m, float* bias, bool accumulate,
            bool activate, TActivation fused, bool matrixVector)
            where TActivation : struct, ActivationMath.IUnaryOperator
        {
            for (int i = 0; i < m;)
            {
                int rows = TileRows(m - i, MaxRows);
                if (rows == 1 && matrixVector) Kernel1x16Vector256(a + (long)i * lda, b, kc, c + (long)i * ldc, bias, accumulate, activate, fused);
                else Tile6x16Vector256(a + (long)i * lda, lda, b, kc, c + (long)i * ldc, ldc, rows, bias, accumulate, activate, fused);
                i += rows;
            }
        }

        /// <summary>m rows × the first 8 columns of a panel, 6-row tiles as <see cref="RowBlock"/> makes them, in one call.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Strip6x8Vector256<TActivation>(float* a, int lda, float* b, int kc, float* c, int ldc, int m, float* bias, bool accumulate,
            bool activate, TActivation fused)
            where TActivation : struct, ActivationMath.IUnaryOperator
        {
            for (int i = 0; i < m;)
            {
                int rows = TileRows(m - i, MaxRows);
                Tile6x8Vector256(a + (long)i * lda, lda, b, kc, c + (long)i * ldc, ldc, rows, bias, accumulate, activate, fused);
                i += rows;
            }
        }

        /// <summary>
        /// Rows of the next tile when <paramref name="left"/> rows remain: full tiles, but 7 = 4 + 3 rather than 6 + 1. A lone
        /// row runs one FMA chain per vector and waits on each FMA's latency; a row's bits do not depend on its tile.
        /// </summary>
        private static int TileRows(int left, int tile) => left == tile + 1 && tile == MaxRows ? 4 : Math.Min(tile, left);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Kernel6x16Vector256<TActivation>(float* a, int lda, float* b, int kc, float* c, int ldc, int rows, float* bias, bool accumulate,
            bool activate, TActivation fused)
            where TActivation : struct, ActivationMath.IUnaryOperator
            => Tile6x16Vector256(a, lda, b, kc, c, ldc, rows, bias, accumulate, activate, fused);

        // Rows past 'rows' alias the last valid row of A (same loads, results discarded) so one register-blocked
        // kernel covers every row remainder without reading outside A.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Tile6x16Vector256<TActivation>(float* a, int lda, float* b, int kc, float* c, int ldc, int rows, float* bias, bool accumulate,
            bool activate, TActivation fused)
            where TActivation : struct, ActivationMath.IUnaryOperator
        {
            float* a0 = a;
            float* a1 = rows > 1 ? a0 + lda : a0;
            float* a2 = rows > 2 ? a1 + lda : a1;
            float* a3 = rows > 3 ? a2 + lda : a2;
            float* a4 = rows > 4 ? a3 + lda : a3;
            float* a5 = rows > 5 ? a4 + lda : a4;

            Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
            if (accumulate)
            {
                c00 = Vector256.Load(c); c01 = Vector256.Load(c + 8);
                c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector256<float>.Zero;
                if (rows > 1) { c10 = Vector256.Load(c + ldc); c11 = Vector256.Load(c + ldc + 8); }
                if (rows > 2) { c20 = Vector256.Load(c + 2 * ldc); c21 = Vector256.Load(c + 2 * ldc + 8); }
                if (rows > 3) { c30 = Vector256.Load(c + 3 * ldc); c31 = Vector256.Load(c + 3 * ldc + 8); }
                if (rows > 4) { c40 = Vector256.Load(c + 4 * ldc); c41 = Vector256.Load(c + 4 * ldc + 8); }
                if (rows > 5) { c50 = Vector256.Load(c + 5 * ldc); c51 = Vector256.Load(c + 5 * ldc + 8); }
            }
            else if (bias != null)
            {
                c00 = c10 = c20 = c30 = c40 = c50 = Vector256.Load(bias);
                c01 = c11 = c21 = c31 = c41 = c51 = Vector256.Load(bias + 8);
            }
            else
            {
                c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector256<float>.Zero;
            }

            for (int kk = 0; kk < kc; kk++)
            {
                Vector256<float> b0 = Vector256.Load(b);
                Vector256<float> b1 = Vector256.Load(b + 8);
                Vector256<float> av = Vector256.Create(a0[kk]);
                c00 = SimdMath.MultiplyAdd(av, b0, c00);
                c01 = SimdMath.MultiplyAdd(av, b1, c01);
                av = Vector256.Create(a1[kk]);
                c10 = SimdMath.MultiplyAdd(av, b0, c10);
                c11 = SimdMath.MultiplyAdd(av, b1, c11);
                av = Vector256.Create(a2[kk]);
                c20 = SimdMath.MultiplyAdd(av, b0, c20);
                c21 = SimdMath.MultiplyAdd(av, b1, c21);
                av = Vector256.Create(a3[kk]);
                c30 = SimdMath.MultiplyAdd(av, b0, c30);
                c31 = SimdMath.MultiplyAdd(av, b1, c31);
                av = Vector256.Create(a4[kk]);
                c40 = SimdMath.MultiplyAdd(av, b0, c40);
                c41 = SimdMath.MultiplyAdd(av, b1, c41);
                av = Vector256.Create(a5[kk]);
                c50 = SimdMath.MultiplyAdd(av, b0, c50);
                c51 = SimdMath.MultiplyAdd(av, b1, c51);
                b += PanelWidth;
            }

            if (activate)
            {
                c00 = fused.Invoke(c00); c01 = fused.Invoke(c01); c10 = fused.Invoke(c10); c11 = fused.Invoke(c11);
                c20 = fused.Invoke(c20); c21 = fused.Invoke(c21); c30 = fused.Invoke(c30); c31 = fused.Invoke(c31);
                c40 = fused.Invoke(c40); c41 = fused.Invoke(c41); c50 = fused.Invoke(c50); c51 = fused.Invoke(c51);
            }

            c00.Store(c); c01.Store(c + 8);
            if (rows > 1) { c10.Store(c + ldc); c11.Store(c + ldc + 8); }
            if (rows > 2) { c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 8); }
            if (rows > 3) { c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 8); }
            if (rows > 4) { c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 8); }
            if (rows > 5) { c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 8); }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Kernel6x8Vector256<TActivation>(float* a, int lda, float* b, int kc, float* c, int ldc, int rows, float* bias, bool accumulate,
            bool activate, TActivation fused)
            where TActivation : struct, ActivationMath.IUnaryOperator
            => Tile6x8Vector256(a, lda, b, kc, c, ldc, rows, bias, accumulate, activate, fused);

        // The first 8 columns of a panel (its row stride stays 16). Even and odd k steps go to separate accumulators so
        // twelve independent FMA chains stay in flight, as in the 16-wide kernel.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Tile6x8Vector256<TActivation>(float* a, int lda, float* b, int kc, float* c, int ldc, int rows, float* bias, bool accumulate,
            bool activate, TActivation fused)
            where TActivation : struct, ActivationMath.IUnaryOperator
        {
            float* a0 = a;
            float* a1 = rows > 1 ? a0 + lda : a0;
            float* a2 = rows > 2 ? a1 + lda : a1;
            float* a3 = rows > 3 ? a2 + lda : a2;
            float* a4 = rows > 4 ? a3 + lda : a3;
            float* a5 = rows > 5 ? a4 + lda : a4;

            Vector256<float> c0, c1, c2, c3, c4, c5;
            if (accumulate)
            {
                c0 = Vector256.Load(c);
                c1 = c2 = c3 = c4 = c5 = Vector256<float>.Zero;
                if (rows > 1) c1 = Vector256.Load(c + ldc);
                if (rows > 2) c2 = Vector256.Load(c + 2 * ldc);
                if (rows > 3) c3 = Vector256.Load(c + 3 * ldc);
                if (rows > 4) c4 = Vector256.Load(c + 4 * ldc);
                if (rows > 5) c5 = Vector256.Load(c + 5 * ldc);
            }
            else if (bias != null)
            {
                c0 = c1 = c2 = c3 = c4 = c5 = Vector256.Load(bias);
            }
            else
            {
                c0 = c1 = c2 = c3 = c4 = c5 = Vector256<float>.Zero;
            }
            Vector256<float> d0 = Vector256<float>.Zero, d1 = d0, d2 = d0, d3 = d0, d4 = d0, d5 = d0;

            int kk = 0;
            for (; kk + 1 < kc; kk += 2)
            {
                Vector256<float> b0 = Vector256.Load(b);
                Vector256<float> b1 = Vector256.Load(b + PanelWidth);
                c0 = SimdMath.MultiplyAdd(Vector256.Create(a0[kk]), b0, c0);
                d0 = SimdMath.MultiplyAdd(Vector256.Create(a0[kk + 1]), b1, d0);
                c1 = SimdMath.MultiplyAdd(Vector256.Create(a1[kk]), b0, c1);
                d1 = SimdMath.MultiplyAdd(Vector256.Create(a1[kk + 1]), b1, d1);
                c2 = SimdMath.MultiplyAdd(Vector256.Create(a2[kk]), b0, c2);
                d2 = SimdMath.MultiplyAdd(Vector256.Create(a2[kk + 1]), b1, d2);
                c3 = SimdMath.MultiplyAdd(Vector256.Create(a3[kk]), b0, c3);
                d3 = SimdMath.MultiplyAdd(Vector256.Create(a3[kk + 1]), b1, d3);
                c4 = SimdMath.MultiplyAdd(Vector256.Create(a4[kk]), b0, c4);
                d4 = SimdMath.MultiplyAdd(Vector256.Create(a4[kk + 1]), b1, d4);
                c5 = SimdMath.MultiplyAdd(Vector256.Create(a5[kk]), b0, c5);
                d5 = SimdMath.MultiplyAdd(Vector256.Create(a5[kk + 1]), b1, d5);
                b += 2 * PanelWidth;
            }
            if (kk < kc)
            {
                Vector256<float> b0 = Vector256.Load(b);
                c0 = SimdMath.MultiplyAdd(Vector256.Create(a0[kk]), b0, c0);
                c1 = SimdMath.MultiplyAdd(Vector256.Create(a1[kk]), b0, c1);
                c2 = SimdMath.MultiplyAdd(Vector256.Create(a2[kk]), b0, c2);
                c3 = SimdMath.MultiplyAdd(Vector256.Create(a3[kk]), b0, c3);
                c4 = SimdMath.MultiplyAdd(Vector256.Create(a4[kk]), b0, c4);
                c5 = SimdMath.MultiplyAdd(Vector256.Create(a5[kk]), b0, c5);
            }

            c0 += d0; c1 += d1; c2 += d2; c3 += d3; c4 += d4; c5 += d5;
            if (activate)
            {
                c0 = fused.Invoke(c0); c1 = fused.Invoke(c1); c2 = fused.Invoke(c2);
                c3 = fused.Invoke(c3); c4 = fused.Invoke(c4); c5 = fused.Invoke(c5);
            }
            c0.Store(c);
            if (rows > 1) c1.Store(c + ldc);
            if (rows > 2) c2.Store(c + 2 * ldc);
            if (rows > 3) c3.Store(c + 3 * ldc);
            if (rows > 4) c4.Store(c + 4 * ldc);
            if (rows > 5) c5.Store(c + 5 * ldc);
        }

        // A product with one row (GEMV-like, e.g. a batch-1 fully connected layer): two independent accumulator pairs hide FMA
        // latency. Their sum rounds differently from the 6-row tile's single chain, so it runs only when m is 1 in every call.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Kernel1x16Vector256<TActivation>(float* a, float* b, int kc, float* c, float* bias, bool accumulate,
            bool activate, TActivation fused)
            where TActivation : struct, ActivationMath.IUnaryOperator
        {
            Vector256<float> c0, c1;
            if (accumulate) { c0 = Vector256.Load(c); c1 = Vector256.Load(c + 8); }
            else if (bias != null) { c0 = Vector256.Load(bias); c1 = Vector256.Load(bias + 8); }
            else { c0 = c1 = Vector256<float>.Zero; }
            Vector256<float> d0 = Vector256<float>.Zero, d1 = Vector256<float>.Zero;

            int kk = 0;
            for (; kk + 1 < kc; kk += 2)
            {
                Vector256<float> av = Vector256.Create(a[kk]);
                c0 = SimdMath.MultiplyAdd(av, Vector256.Load(b), c0);
                c1 = SimdMath.MultiplyAdd(av, Vector256.Load(b + 8), c1);
                av = Vector256.Create(a[kk + 1]);
                d0 = SimdMath.MultiplyAdd(av, Vector256.Load(b + 16), d0);
                d1 = SimdMath.MultiplyAdd(av, Vector256.Load(b + 24), d1);
                b += 2 * PanelWidth;
            }
            if (kk < kc)
            {
                Vector256<float> av = Vector256.Create(a[kk]);
                c0 = SimdMath.MultiplyAdd(av, Vector256.Load(b), c0);
                c1 = SimdMath.MultiplyAdd(av, Vector256.Load(b + 8), c1);
            }
            c0 += d0;
            c1 += d1;
            if (activate)
            {
                c0 = fused.Invoke(c0);
                c1 = fused.Invoke(c1);
            }
            c0.Store(c);
            c1.Store(c + 8);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Kernel3x16Vector128<TActivation>(float* a, int lda, float* b, int kc, float* c, int ldc, int rows, float* bias, bool accumulate,
            bool activate, TActivation fused)
            where TActivation : struct, ActivationMath.IUnaryOperator
        {
            float* a0 = a;
            float* a1 = rows > 1 ? a0 + lda : a0;
            float* a2 = rows > 2 ? a1 + lda : a1;

            Vector128<float> c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23;
            if (accumulate)
            {
                c00 = Vector128.Load(c); c01 = Vector128.Load(c + 4); c02 = Vector128.Load(c + 8); c03 = Vector128.Load(c + 12);
                c10 = c11 = c12 = c13 = c20 = c21 = c22 = c23 = Vector128<float>.Zero;
                if (rows > 1)
                {
                    float* r = c + ldc;
                    c10 = Vector128.Load(r); c11 = Vector128.Load(r + 4); c12 = Vector128.Load(r + 8); c13 = Vector128.Load(r + 12);
                }
                if (rows > 2)
                {
                    float* r = c + 2 * ldc;
                    c20 = Vector128.Load(r); c21 = Vector128.Load(r + 4); c22 = Vector128.Load(r + 8); c23 = Vector128.Load(r + 12);
                }
            }
            else if (bias != null)
            {
                c00 = c10 = c20 = Vector128.Load(bias);
                c01 = c11 = c21 = Vector128.Load(bias + 4);
                c02 = c12 = c22 = Vector128.Load(bias + 8);
                c03 = c13 = c23 = Vector128.Load(bias + 12);
            }
            else
            {
                c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = c20 = c21 = c22 = c23 = Vector128<float>.Zero;
            }

            for (int kk = 0; kk < kc; kk++)
            {
                Vector128<float> b0 = Vector128.Load(b);
                Vector128<float> b1 = Vector128.Load(b + 4);
                Vector128<float> b2 = Vector128.Load(b + 8);
                Vector128<float> b3 = Vector128.Load(b + 12);
                Vector128<float> av = Vector128.Create(a0[kk]);
                c00 = SimdMath.MultiplyAdd(av, b0, c00);
                c01 = SimdMath.MultiplyAdd(av, b1, c01);
                c02 = SimdMath.MultiplyAdd(av, b2, c02);
                c03 = SimdMath.MultiplyAdd(av, b3, c03);
                av = Vector128.Create(a1[kk]);
                c10 = SimdMath.MultiplyAdd(av, b0, c10);
                c11 = SimdMath.MultiplyAdd(av, b1, c11);
                c12 = SimdMath.MultiplyAdd(av, b2, c12);
                c13 = SimdMath.MultiplyAdd(av, b3, c13);
                av = Vector128.Create(a2[kk]);
                c20 = SimdMath.MultiplyAdd(av, b0, c20);
                c21 = SimdMath.MultiplyAdd(av, b1, c21);
                c22 = SimdMath.MultiplyAdd(av, b2, c22);
                c23 = SimdMath.MultiplyAdd(av, b3, c23);
                b += PanelWidth;
            }

            if (activate)
            {
                c00 = fused.Invoke(c00); c01 = fused.Invoke(c01); c02 = fused.Invoke(c02); c03 = fused.Invoke(c03);
                c10 = fused.Invoke(c10); c11 = fused.Invoke(c11); c12 = fused.Invoke(c12); c13 = fused.Invoke(c13);
                c20 = fused.Invoke(c20); c21 = fused.Invoke(c21); c22 = fused.Invoke(c22); c23 = fused.Invoke(c23);
            }

            c00.Store(c); c01.Store(c + 4); c02.Store(c + 8); c03.Store(c + 12);
            if (rows > 1)
            {
                float* r = c + ldc;
                c10.Store(r); c11.Store(r + 4); c12.Store(r + 8); c13.Store(r + 12);
            }
            if (rows > 2)
            {
                float* r = c + 2 * ldc;
                c20.Store(r); c21.Store(r + 4); c22.Store(r + 8); c23.Store(r + 12);
            }
        }

        // No SIMD: one row at a time with the 16 column sums in locals, so 16 independent add chains hide latency.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void KernelScalar<TActivation>(float* a, int lda, float* b, int kc, float* c, int ldc, int rows, float* bias, bool accumulate,
            bool activate, TActivation fused)
            where TActivation : struct, ActivationMath.IUnaryOperator
        {
            float* init = stackalloc float[PanelWidth];
            for (int r = 0; r < rows; r++)
            {
                float* ar = a + (long)r * lda;
                float* cr = c + (long)r * ldc;
                for (int j = 0; j < PanelWidth; j++) init[j] = accumulate ? cr[j] : bias != null ? bias[j] : 0f;
                float s0 = init[0], s1 = init[1], s2 = init[2], s3 = init[3], s4 = init[4], s5 = init[5], s6 = init[6], s7 = init[7];
                float s8 = init[8], s9 = init[9], s10 = init[10], s11 = init[11], s12 = init[12], s13 = init[13], s14 = init[14], s15 = init[15];
                float* bk = b;
                for (int kk = 0; kk < kc; kk++, bk += PanelWidth)
                {
                    float av = ar[kk];
                    s0 += av * bk[0]; s1 += av * bk[1]; s2 += av * bk[2]; s3 += av * bk[3];
                    s4 += av * bk[4]; s5 += av * bk[5]; s6 += av * bk[6]; s7 += av * bk[7];
                    s8 += av * bk[8]; s9 += av * bk[9]; s10 += av * bk[10]; s11 += av * bk[11];
                    s12 += av * bk[12]; s13 += av * bk[13]; s14 += av * bk[14]; s15 += av * bk[15];
                }
                init[0] = s0; init[1] = s1; init[2] = s2; init[3] = s3; init[4] = s4; init[5] = s5; init[6] = s6; init[7] = s7;
                init[8] = s8; init[9] = s9; init[10] = s10; init[11] = s11; init[12] = s12; init[13] = s13; init[14] = s14; init[15] = s15;
                for (int j = 0; j < PanelWidth; j++) cr[j] = activate ? fused.Invoke(init[j]) : init[j];
            }
        }
    }
}
