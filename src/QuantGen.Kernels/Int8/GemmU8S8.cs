// uint8 × int8 matrix multiply with int32 accumulation and per-column requantization (also the core of ConvU8S8.Gemm).
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;
    using System.Runtime.Intrinsics.X86;

    internal static unsafe partial class GemmU8S8
    {
        /// <summary>Columns per packed panel (<see cref="GemmLayout.U8S8PanelWidth"/>).</summary>
        public const int PanelWidth = GemmLayout.U8S8PanelWidth;

        // Rows of x kept in L2 while one panel of w (≤ 64 · ceil(k / 4) bytes) is swept over them.
        private const int MBlock = 96;

        // Micro-kernel tile: 4 rows × 8 columns (half a panel). With AVX2 that is 8 ymm accumulators, 2 weight
        // vectors, 1 x broadcast and a temporary: no spills with 16 ymm registers.
        internal const int TileRows = GemmLayout.U8S8TileRows;
        private const int TileColumns = 8;

        /// <summary>
        /// y[i, j] = clamp(zpOut + Rc(bias[j] + Σ_kk x[i, kk] · W[kk, j], multiplier[j], shift), qmin, qmax) (see
        /// <see cref="Requantization.ApplyChannel(int, int, int)"/>); w is packed (<see cref="GemmLayout.PackedU8S8Length"/>), bias may be null (0).
        /// </summary>
        public static void Run(byte* x, sbyte* w, int* bias, byte* y, int* multiplier, int shift, int m, int n, int k, int zpOut, int qmin, int qmax)
        {
            Multiply(x, k, w, bias, y, n, m, n, k, multiplier, shift, zpOut, qmin, qmax);
        }

        /// <summary>
        /// y[i, j] = (float)(bias[j] + Σ_kk x[i, kk] · W[kk, j]) * scale[j]: the same product written as float (a last
        /// layer whose consumer is float, such as logits before Softmax), with no requantization to 8 bits. The int32
        /// → float conversion and the one multiply are IEEE operations, so every path gives the same bits.
        /// </summary>
        public static void RunFloat(byte* x, sbyte* w, int* bias, float* y, float* scale, int m, int n, int k)
        {
            Multiply(x, k, w, bias, (byte*)y, n, m, n, k, null, 0, 0, 0, 0, scale);
        }

        /// <summary>
        /// The same on strided views: row i of A at a + i * lda (k bytes, never read past), row i of C at c + i * ldc
        /// (n bytes written). Packed W: panel p (columns 16p..16p+15) at w + p * 64 * ceil(k / 4); inside it, k-quad q
        /// at offset 64q holds 16 columns × 4 consecutive k bytes (column j at 64q + 4j), zero past k and n.
        /// </summary>
        internal static void Multiply(byte* a, int lda, sbyte* w, int* bias, byte* c, int ldc, int m, int n, int k,
            int* multiplier, int shift, int zpOut, int qmin, int qmax, float* floatScale = null)
        {
            int parts = KernelThreads.PartsFor((long)m * n * k, (m + TileRows - 1) / TileRows);
            if (parts > 1)
            {
                var job = new RowsJob { A = a, Lda = lda, W = w, Bias = bias, C = c, Ldc = ldc, M = m, N = n, K = k,
                    Multiplier = multiplier, Shift = shift, ZpOut = zpOut, QMin = qmin, QMax = qmax, FloatScale = floatScale };
                KernelThreads.For(ref job, parts);
                return;
            }
            MultiplyRows(a, lda, w, bias, c, ldc, m, n, k, multiplier, shift, zpOut, qmin, qmax, floatScale);
        }

        /// <summary>Multiply split by rows (whole tiles per part); floatScale set means c is float*.</summary>
        private struct RowsJob : IKernelPart
        {
            public byte* A; public int Lda; public sbyte* W; public int* Bias; public byte* C; public int Ldc; public int M, N, K;
            public int* Multiplier; public int Shift, ZpOut, QMin, QMax; public float* FloatScale;

            public void Run(int part, int parts)
            {
                (int start, int end) = KernelThreads.Share(M, part, parts, TileRows);
                long elementBytes = FloatScale != null ? sizeof(float) : 1;
                MultiplyRows(A + (long)start * Lda, Lda, W, Bias, C + (long)start * Ldc * elementBytes, Ldc, end - start, N, K,
                    Multiplier, Shift, ZpOut, QMin, QMax, FloatScale);
            }
        }

        /// <summary><see cref="Multiply"/> on this thread.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static void MultiplyRows(byte* a, int lda, sbyte* w, int* bias, byte* c, int ldc, int m, int n, int k,
            int* multiplier, int shift, int zpOut, int qmin, int qmax, float* floatScale = null)
        {
            if (m <= 0 || n <= 0) return;
            if (DotProductInstructions.IsArmDotAccelerated)
            {
                MultiplyRowsArmDot(a, lda, w, bias, c, ldc, m, n, k, multiplier, shift, zpOut, qmin, qmax, floatScale);
                return;
            }
            if (DotProductInstructions.IsVnniAccelerated)
            {
                MultiplyRowsVnni(a, lda, w, bias, c, ldc, m, n, k, multiplier, shift, zpOut, qmin, qmax, floatScale);
                return;
            }
            if (Avx512BW.IsSupported && Vector512.IsHardwareAccelerated && Takes512(m, n, k))
            {
                MultiplyRows512(a, lda, w, bias, c, ldc, m, n, k, multiplier, shift, zpOut, qmin, qmax, floatScale);
                return;
            }
            (int quads, _, long panelBytes, int panels, _) = PackedLayout(n, k);
            int* tile = stackalloc int[TileRows * TileColumns];
            var rq = Avx2.IsSupported ? new ChannelRequantAvx2(shift, zpOut, qmin, qmax) : default;
            // k = 0 (no quads, no weights to read) goes to the general loop, which reads nothing and sums zero.
            if (Avx2.IsSupported && quads > 0 && quads <= MaxWidenedQuads)
            {
                MultiplyWidenedAvx2(a, lda, w, bias, c, ldc, m, n, k, multiplier, shift, zpOut, qmin, qmax, floatScale, tile, in rq);
                return;
            }
            if (!Avx2.IsSupported && Sse2.IsSupported && Takes128(k))
            {
                MultiplyRowsSse2(a, lda, w, bias, c, ldc, m, n, k, multiplier, shift, zpOut, qmin, qmax, floatScale);
                return;
            }
            for (int m0 = 0; m0 < m; m0 += MBlock)
            {
                int mEnd = Math.Min(m, m0 + MBlock);
                for (int p = 0; p < panels; p++)
                {
                    sbyte* wp = w + p * panelBytes;
                    for (int half = 0; half < 2; half++)
                    {
                        int j0 = p * PanelWidth + half * TileColumns;
                        int nc = Math.Min(TileColumns, n - j0);
                        if (nc <= 0) break;
                        sbyte* wh = wp + half * TileColumns * 4;
                        for (int i = m0; i < mEnd; i += TileRows)
                        {
                            int rows = Math.Min(TileRows, mEnd - i);
                            byte* ai = a + (long)i * lda;
                            if (Avx2.IsSupported) Tile4x8Avx2(ai, lda, wh, k, rows, tile);
                            else if (Vector128.IsHardwareAccelerated) TileVector128(ai, lda, wh, k, rows, tile);
                            else TileScalar(ai, lda, wh, k, rows, tile);
                            StoreTile(tile, rows, bias, c, ldc, i, j0, nc, multiplier, shift, zpOut, qmin, qmax, floatScale, in rq);
                        }
                    }
                }
            }
        }

        // AVX2 main path: a tile of 4 rows of x is widened to int16 once (zero-padded to whole quads, so the tail needs no
        // special case) and reused for every panel of a block, where each x quad is a plain vpbroadcastq load instead
        // of a broadcast + unpack on the shuffle port per panel half. Panel blocks of ≤ WeightBlockBytes keep the
        // weights they sweep in L2. Up to 2048 quads (k ≤ 8192): 64 KB of stack at most.
        private const int MaxWidenedQuads = 2048;
        private const int WeightBlockBytes = 128 * 1024;

        /// <summary>
        /// The packed weights of depth k and n columns as the drivers walk them: k-quads, k padded to whole quads, bytes per
        /// panel, panels, and panels per block of ≤ <see cref="WeightBlockBytes"/> (swept over the rows while in L2; k = 0 has no bytes).
        /// </summary>
        private static (int Quads, int KPad, long PanelBytes, int Panels, int PanelsPerBlock) PackedLayout(int n, int k)
        {
            int quads = GemmLayout.U8S8Quads(k);
            long panelBytes = GemmLayout.U8S8PanelBytes(k);
            return (quads, quads * 4, panelBytes, (n + PanelWidth - 1) / PanelWidth, (int)Math.Max(1, WeightBlockBytes / Math.Max(1, panelBytes)));
        }

        // Small k (the expansion layers of inverted residual blocks: k = 16..32, thousands of rows): the weights are also
        // widened to int16, once per call into a stack block of ≤ 64 KB, so the quads load plain int16 vectors instead
        // of a vpmovsxbw pair per quad and strip. At k ≤ 32 a whole block stays in L1; with larger k the doubled bytes
        // streamed from L2 cost more than the widening saves (measured slower at 49 × 1280 × 320), and with few rows
        // the one-off widening does not pay.
        private const int WideMaxK = 32;
        private const int WideMinRows = 16;
        private const int WideWeightElements = 32 * 1024;

        // SkipLocalsInit: Widen writes every widened row (up to 64 KB) before a tile reads it, and the weight widening
        // every element of the weight block before a strip reads it.
        [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
        private static void MultiplyWidenedAvx2(byte* a, int lda, sbyte* w, int* bias, byte* c, int ldc, int m, int n, int k,
            int* multiplier, int shift, int zpOut, int qmin, int qmax, float* floatScale, int* tile, in ChannelRequantAvx2 rq)
        {
            (int quads, int kPad, long panelBytes, int panels, int panelsPerBlock) = PackedLayout(n, k);
            short* xw = stackalloc short[TileRows * kPad];
            short* wide = null;
            if (floatScale == null && m >= WideMinRows && kPad <= WideMaxK)
            {
                panelsPerBlock = Math.Min(panels, (int)(WideWeightElements / panelBytes));
                short* buffer = stackalloc short[(int)(panelsPerBlock * panelBytes)];
                wide = buffer;
            }
            for (int p0 = 0; p0 < panels; p0 += panelsPerBlock)
            {
                int pEnd = Math.Min(panels, p0 + panelsPerBlock);
                // Requantized output: every full 8-column half of the block, all strips, in one call (one call and one
                // load of the requantization constants per block, not per tile or strip).
                int halfEnd = Math.Min(2 * pEnd, n / TileColumns);
                int firstOther = 2 * p0;
                if (floatScale == null && halfEnd > 2 * p0)
                {
                    if (wide != null)
                    {
                        // The block's weights as int16 once (whole panels: the packing pads them, so nothing past w is read).
                        long elements = (pEnd - p0) * panelBytes;
                        sbyte* src = w + p0 * panelBytes;
                        for (long e = 0; e < elements; e += 16) Avx2.ConvertToVector256Int16(src + e).Store(wide + e);
                        StripsWidenedRequantAvx2<ShortWeights>(a, lda, xw, k, kPad, (byte*)wide, quads, panelBytes, 2 * p0, halfEnd, bias, multiplier, c, ldc, m, in rq);
                    }
                    else
                        StripsWidenedRequantAvx2<ByteWeights>(a, lda, xw, k, kPad, (byte*)(w + p0 * panelBytes), quads, panelBytes, 2 * p0, halfEnd, bias, multiplier, c, ldc, m, in rq);
                    firstOther = halfEnd;
                }
                // What is left: a last partial half, or float output.
                if (firstOther >= Math.Min(2 * pEnd, (n + TileColumns - 1) / TileColumns)) continue;
                for (int i = 0; i < m; i += TileRows)
                {
                    int rows = Math.Min(TileRows, m - i);
                    // A single row (a Gemm on one sample, a last tile of one) gets the one-row kernel: a quarter of the work.
                    bool single = rows == 1;
                    for (int r = 0; r < (single ? 1 : TileRows); r++) Widen(a + (long)(i + Math.Min(r, rows - 1)) * lda, xw + r * kPad, k, kPad);
                    for (int p = firstOther / 2; p < pEnd; p++)
                    {
                        for (int half = p == firstOther / 2 ? firstOther & 1 : 0; half < 2; half++)
                        {
                            int j0 = p * PanelWidth + half * TileColumns;
                            int nc = Math.Min(TileColumns, n - j0);
                            if (nc <= 0) break;
                            sbyte* wt = w + p * panelBytes + half * TileColumns * 4;
                            if (single) Tile1x8WidenedAvx2(xw, wt, quads, tile);
                            else Tile4x8WidenedAvx2(xw, kPad, wt, quads, tile);
                            StoreTile(tile, rows, bias, c, ldc, i, j0, nc, multiplier, shift, zpOut, qmin, qmax, floatScale, in rq);
                        }
                    }
                }
            }
        }

        /// <summary>Writes the tile's rows: requantized bytes, or floats (c is then float*, ldc in floats) when floatScale is set.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void StoreTile(int* tile, int rows, int* bias, byte* c, int ldc, int i, int j0, int nc,
            int* multiplier, int shift, int zpOut, int qmin, int qmax, float* floatScale, in ChannelRequantAvx2 rq)
        {
            int* b = bias != null ? bias + j0 : null;
            if (floatScale == null && nc == TileColumns && Avx2.IsSupported)
            {
                // The whole 4×8 tile at once: bias and multipliers loaded once for its rows, one count for every lane.
                Vector256<int> bv = b != null ? Vector256.Load(b) : Vector256<int>.Zero;
                Vector256<int> m = Vector256.Load(multiplier + j0);
                Vector256<int> mOdd = Avx2.Shuffle(m, 0xF5);
                byte* row = c + (long)i * ldc + j0;
                for (int r = 0; r < rows; r++, row += ldc)
                    Requantization.StoreBytes(rq.Output(Vector256.Load(tile + r * TileColumns) + bv, m, mOdd), row);
                return;
            }
            for (int r = 0; r < rows; r++)
            {
                if (floatScale != null)
                    Requantization.StoreFloat(tile + r * TileColumns, b, (float*)c + (long)(i + r) * ldc + j0, nc, floatScale + j0);
                else
                    Requantization.StoreChannels(tile + r * TileColumns, b, c + (long)(i + r) * ldc + j0, nc, multiplier + j0, shift, zpOut, qmin, qmax);
            }
        }

        /// <summary>x row → int16, zero-padded to kPad, never reading past row[k − 1].</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Widen(byte* row, short* dst, int k, int kPad)
        {
            int t = 0;
            for (; t + 16 <= k; t += 16) Avx2.ConvertToVector256Int16(row + t).Store(dst + t);
            if (t < k)
            {
                // The tail as one overlapping block of the last 16 bytes (k = 24, 27, 144 + 8 ...: no byte loop).
                if (k >= 16) Avx2.ConvertToVector256Int16(row + k - 16).Store(dst + k - 16);
                else
                {
                    if (t + 8 <= k) { Sse41.ConvertToVector128Int16(row + t).Store(dst + t); t += 8; }
                    for (; t < k; t++) dst[t] = row[t];
                }
            }
            for (t = k; t < kPad; t++) dst[t] = 0;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile4x8WidenedAvx2(short* x, int kPad, sbyte* w, int quads, int* tile)
        {
            Accumulate4x8WidenedAvx2<ByteWeights>(x, kPad, (byte*)w, quads, out Vector256<int> r0, out Vector256<int> r1, out Vector256<int> r2, out Vector256<int> r3);
            r0.Store(tile);
            r1.Store(tile + TileColumns);
            r2.Store(tile + 2 * TileColumns);
            r3.Store(tile + 3 * TileColumns);
        }

        /// <summary>
        /// Halves [h0, h1) (8 columns each, full) of every 4-row strip of x, each a <see cref="TileRequant"/>; xw holds
        /// one strip's widened rows. w points at half h0's first quad, in TWeights' elements (panels panelElements apart).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        private static void StripsWidenedRequantAvx2<TWeights>(byte* a, int lda, short* xw, int k, int kPad, byte* w, int quads, long panelElements,
            int h0, int h1, int* bias, int* multiplier, byte* c, int ldc, int m, in ChannelRequantAvx2 rq)
            where TWeights : struct, IPackedWeights
        {
            int e = default(TWeights).ElementBytes;
            for (int i = 0; i < m; i += TileRows)
            {
                int rows = Math.Min(TileRows, m - i);
                int widened = rows == 1 ? 1 : TileRows;    // the one-row kernel reads row 0 only
                for (int r = 0; r < widened; r++) Widen(a + (long)(i + Math.Min(r, rows - 1)) * lda, xw + r * kPad, k, kPad);
                byte* ci = c + (long)i * ldc;
                int h = h0;
                if (rows == TileRows)
                {
                    // Two tiles' sums before either is requantized: the second tile's multiply-adds overlap the first's
                    // requantization chain (about 20 cycles of latency).
                    for (; h + 2 <= h1; h += 2)
                    {
                        int j0 = h * TileColumns;
                        byte* wh = w + ((h - h0) >> 1) * panelElements * e;
                        Accumulate4x8WidenedAvx2<TWeights>(xw, kPad, wh, quads,
                            out Vector256<int> a0, out Vector256<int> a1, out Vector256<int> a2, out Vector256<int> a3);
                        Accumulate4x8WidenedAvx2<TWeights>(xw, kPad, wh + TileColumns * 4 * e, quads,
                            out Vector256<int> b0, out Vector256<int> b1, out Vector256<int> b2, out Vector256<int> b3);
                        StoreRequantized(a0, a1, a2, a3, bias != null ? bias + j0 : null, multiplier + j0, ci + j0, ldc, TileRows, in rq);
                        StoreRequantized(b0, b1, b2, b3, bias != null ? bias + j0 + TileColumns : null, multiplier + j0 + TileColumns, ci + j0 + TileColumns, ldc, TileRows, in rq);
                    }
                }
                for (; h < h1; h++)
                {
                    int j0 = h * TileColumns;
                    TileRequant<TWeights>(xw, kPad, w + (((h - h0) >> 1) * panelElements + (h & 1) * TileColumns * 4) * e, quads, bias != null ? bias + j0 : null,
                        multiplier + j0, ci + j0, ldc, rows, in rq);
                }
            }
        }

        /// <summary>
        /// The 4×8 tile requantized in registers and stored as bytes (rows ≥ <paramref name="rows"/> are computed from
        /// aliased x rows and dropped): bias and multipliers loaded once, the four rows packed to bytes together
        /// (saturating packs clamp to [0, 255]) and clamped to [qmin, qmax] as 32 bytes at once.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void TileRequant<TWeights>(short* x, int kPad, byte* w, int quads, int* bias, int* multiplier,
            byte* c, int ldc, int rows, in ChannelRequantAvx2 rq)
            where TWeights : struct, IPackedWeights
        {
            Vector256<int> r0, r1, r2, r3;
            if (rows == 1)
            {
                r0 = Accumulate1x8WidenedAvx2<TWeights>(x, w, quads);
                r1 = r2 = r3 = r0;
            }
            else
            {
                Accumulate4x8WidenedAvx2<TWeights>(x, kPad, w, quads, out r0, out r1, out r2, out r3);
            }
            StoreRequantized(r0, r1, r2, r3, bias, multiplier, c, ldc, rows, in rq);
        }

        /// <summary>A 4×8 tile's sums (bias not yet added) requantized and stored as its first <paramref name="rows"/> rows of 8 bytes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreRequantized(Vector256<int> r0, Vector256<int> r1, Vector256<int> r2, Vector256<int> r3, int* bias,
            int* multiplier, byte* c, int ldc, int rows, in ChannelRequantAvx2 rq)
        {
            if (bias != null)
            {
                Vector256<int> b = Vector256.Load(bias);
                r0 += b; r1 += b; r2 += b; r3 += b;
            }
            Vector256<int> m = Vector256.Load(multiplier);
            Vector256<int> mOdd = Avx2.Shuffle(m, 0xF5);
            Vector256<ulong> bytes = rq.PackRows(rq.ApplyWithZeroPoint(r0, m, mOdd), rq.ApplyWithZeroPoint(r1, m, mOdd),
                rq.ApplyWithZeroPoint(r2, m, mOdd), rq.ApplyWithZeroPoint(r3, m, mOdd));
            *(ulong*)c = bytes.GetElement(0);
            if (rows > 1) *(ulong*)(c + ldc) = bytes.GetElement(1);
            if (rows > 2) *(ulong*)(c + 2 * ldc) = bytes.GetElement(2);
            if (rows > 3) *(ulong*)(c + 3 * ldc) = bytes.GetElement(3);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile1x8WidenedAvx2(short* x, sbyte* w, int quads, int* tile) => Accumulate1x8WidenedAvx2<ByteWeights>(x, (byte*)w, quads).Store(tile);

        /// <summary>One row × 8 columns: the 4×8 tile's arithmetic for row 0 only (the same sums, so the same bits).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> Accumulate1x8WidenedAvx2<TWeights>(short* x, byte* w, int quads)
            where TWeights : struct, IPackedWeights
        {
            int step = default(TWeights).ElementBytes * 4 * PanelWidth;
            long* x0 = (long*)x;
            Vector256<int> c0 = Vector256<int>.Zero, c1 = c0, d0 = c0, d1 = c0;
            int q = 0;
            // Two quads per iteration into separate accumulators: two independent add chains.
            for (; q + 2 <= quads; q += 2)
            {
                Vector256<short> xv = Avx2.BroadcastScalarToVector256(x0 + q).AsInt16();
                c0 += Avx2.MultiplyAddAdjacent(xv, default(TWeights).Lo(w));
                c1 += Avx2.MultiplyAddAdjacent(xv, default(TWeights).Hi(w));
                xv = Avx2.BroadcastScalarToVector256(x0 + q + 1).AsInt16();
                d0 += Avx2.MultiplyAddAdjacent(xv, default(TWeights).Lo(w + step));
                d1 += Avx2.MultiplyAddAdjacent(xv, default(TWeights).Hi(w + step));
                w += 2 * step;
            }
            if (q < quads)
            {
                Vector256<short> xv = Avx2.BroadcastScalarToVector256(x0 + q).AsInt16();
                c0 += Avx2.MultiplyAddAdjacent(xv, default(TWeights).Lo(w));
                c1 += Avx2.MultiplyAddAdjacent(xv, default(TWeights).Hi(w));
            }
            return Fold(c0 + d0, c1 + d1);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Accumulate4x8WidenedAvx2<TWeights>(short* x, int kPad, byte* w, int quads,
            out Vector256<int> r0, out Vector256<int> r1, out Vector256<int> r2, out Vector256<int> r3)
            where TWeights : struct, IPackedWeights
        {
            int step = default(TWeights).ElementBytes * 4 * PanelWidth;
            long* x0 = (long*)x;
            long* x1 = (long*)(x + kPad);
            long* x2 = (long*)(x + 2 * kPad);
            long* x3 = (long*)(x + 3 * kPad);
            // The first quad's products start the sums (k ≥ 1: at least one quad), one add fewer per accumulator: an eighth of
            // a k = 16 layer's adds.
            Vector256<short> w0 = default(TWeights).Lo(w), w1 = default(TWeights).Hi(w);
            Vector256<short> xv = Avx2.BroadcastScalarToVector256(x0).AsInt16();
            Vector256<int> c00 = Avx2.MultiplyAddAdjacent(xv, w0), c01 = Avx2.MultiplyAddAdjacent(xv, w1);
            xv = Avx2.BroadcastScalarToVector256(x1).AsInt16();
            Vector256<int> c10 = Avx2.MultiplyAddAdjacent(xv, w0), c11 = Avx2.MultiplyAddAdjacent(xv, w1);
            xv = Avx2.BroadcastScalarToVector256(x2).AsInt16();
            Vector256<int> c20 = Avx2.MultiplyAddAdjacent(xv, w0), c21 = Avx2.MultiplyAddAdjacent(xv, w1);
            xv = Avx2.BroadcastScalarToVector256(x3).AsInt16();
            Vector256<int> c30 = Avx2.MultiplyAddAdjacent(xv, w0), c31 = Avx2.MultiplyAddAdjacent(xv, w1);
            w += step;
            int q = 1;
            // Two quads per iteration: half the loop overhead, which is a fifth of the instructions of one quad.
            for (; q + 2 <= quads; q += 2)
            {
                Quad<TWeights>(w, x0 + q, x1 + q, x2 + q, x3 + q, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31);
                Quad<TWeights>(w + step, x0 + q + 1, x1 + q + 1, x2 + q + 1, x3 + q + 1, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31);
                w += 2 * step;
            }
            if (q < quads) Quad<TWeights>(w, x0 + q, x1 + q, x2 + q, x3 + q, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31);
            r0 = Fold(c00, c01);
            r1 = Fold(c10, c11);
            r2 = Fold(c20, c21);
            r3 = Fold(c30, c31);
        }

        /// <summary>One k-quad of the 4×8 tile: 8 columns of weights widened, each row's quad broadcast, 8 vpmaddwd.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Quad<TWeights>(byte* w, long* x0, long* x1, long* x2, long* x3,
            ref Vector256<int> c00, ref Vector256<int> c01, ref Vector256<int> c10, ref Vector256<int> c11,
            ref Vector256<int> c20, ref Vector256<int> c21, ref Vector256<int> c30, ref Vector256<int> c31)
            where TWeights : struct, IPackedWeights
        {
            Vector256<short> w0 = default(TWeights).Lo(w);
            Vector256<short> w1 = default(TWeights).Hi(w);
            Vector256<short> xv = Avx2.BroadcastScalarToVector256(x0).AsInt16();
            c00 += Avx2.MultiplyAddAdjacent(xv, w0);
            c01 += Avx2.MultiplyAddAdjacent(xv, w1);
            xv = Avx2.BroadcastScalarToVector256(x1).AsInt16();
            c10 += Avx2.MultiplyAddAdjacent(xv, w0);
            c11 += Avx2.MultiplyAddAdjacent(xv, w1);
            xv = Avx2.BroadcastScalarToVector256(x2).AsInt16();
            c20 += Avx2.MultiplyAddAdjacent(xv, w0);
            c21 += Avx2.MultiplyAddAdjacent(xv, w1);
            xv = Avx2.BroadcastScalarToVector256(x3).AsInt16();
            c30 += Avx2.MultiplyAddAdjacent(xv, w0);
            c31 += Avx2.MultiplyAddAdjacent(xv, w1);
        }

        /// <summary>
        /// Where the widened kernels' int16 weights come from: the packed int8 bytes, widened at each load, or a copy widened
        /// once. Lo and Hi are slots 0..3 and 4..7 of a half-panel quad (8 columns × 4 k); pointers step ElementBytes per
        /// weight. A struct type argument, so the JIT compiles each kernel once per source with the loads inlined.
        /// </summary>
        private interface IPackedWeights
        {
            int ElementBytes { get; }
            Vector256<short> Lo(byte* w);
            Vector256<short> Hi(byte* w);
        }

        private readonly struct ByteWeights : IPackedWeights
        {
            public int ElementBytes => 1;
            public Vector256<short> Lo(byte* w) => Avx2.ConvertToVector256Int16((sbyte*)w);
            public Vector256<short> Hi(byte* w) => Avx2.ConvertToVector256Int16((sbyte*)w + 16);
        }

        private readonly struct ShortWeights : IPackedWeights
        {
            public int ElementBytes => 2;
            public Vector256<short> Lo(byte* w) => Vector256.Load((short*)w);
            public Vector256<short> Hi(byte* w) => Vector256.Load((short*)w + 16);
        }

        /// <summary>The last k % 4 bytes of a row, zero-padded to a quad, so the kernels never read past k.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int TailQuad(byte* row, int k)
        {
            int quad = 0;
            for (int t = k & ~3; t < k; t++) quad |= row[t] << (8 * (t & 3));
            return quad;
        }

        // Sums x[r, 4q..4q+3] · W[4q..4q+3, j] as int16 products paired by vpmaddwd (exact: |2 · 255 · 127| < 2^31), never
        // vpmaddubsw (it saturates to int16). Each accumulator lane pair holds the two halves of one column's quad sum;
        // vphaddd folds them at the end. Rows past 'rows' alias the last valid row (results discarded). (With AVX-VNNI,
        // GemmU8S8.AvxVnni.cs takes the packed quads as they are instead.)
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile4x8Avx2(byte* a, int lda, sbyte* w, int k, int rows, int* tile)
        {
            byte* a0 = a;
            byte* a1 = rows > 1 ? a0 + lda : a0;
            byte* a2 = rows > 2 ? a1 + lda : a1;
            byte* a3 = rows > 3 ? a2 + lda : a2;
            Vector256<int> c00 = Vector256<int>.Zero, c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
            int full = k >> 2;
            for (int q = 0; q < full; q++)
            {
                Vector256<short> w0 = Avx2.ConvertToVector256Int16(w);
                Vector256<short> w1 = Avx2.ConvertToVector256Int16(w + 16);
                int o = q * 4;
                Vector256<short> xv = Broadcast(Unsafe.ReadUnaligned<int>(a0 + o));
                c00 += Avx2.MultiplyAddAdjacent(xv, w0);
                c01 += Avx2.MultiplyAddAdjacent(xv, w1);
                xv = Broadcast(Unsafe.ReadUnaligned<int>(a1 + o));
                c10 += Avx2.MultiplyAddAdjacent(xv, w0);
                c11 += Avx2.MultiplyAddAdjacent(xv, w1);
                xv = Broadcast(Unsafe.ReadUnaligned<int>(a2 + o));
                c20 += Avx2.MultiplyAddAdjacent(xv, w0);
                c21 += Avx2.MultiplyAddAdjacent(xv, w1);
                xv = Broadcast(Unsafe.ReadUnaligned<int>(a3 + o));
                c30 += Avx2.MultiplyAddAdjacent(xv, w0);
                c31 += Avx2.MultiplyAddAdjacent(xv, w1);
                w += 4 * PanelWidth;
            }
            if ((k & 3) != 0)
            {
                Vector256<short> w0 = Avx2.ConvertToVector256Int16(w);
                Vector256<short> w1 = Avx2.ConvertToVector256Int16(w + 16);
                Vector256<short> xv = Broadcast(TailQuad(a0, k));
                c00 += Avx2.MultiplyAddAdjacent(xv, w0);
                c01 += Avx2.MultiplyAddAdjacent(xv, w1);
                xv = Broadcast(TailQuad(a1, k));
                c10 += Avx2.MultiplyAddAdjacent(xv, w0);
                c11 += Avx2.MultiplyAddAdjacent(xv, w1);
                xv = Broadcast(TailQuad(a2, k));
                c20 += Avx2.MultiplyAddAdjacent(xv, w0);
                c21 += Avx2.MultiplyAddAdjacent(xv, w1);
                xv = Broadcast(TailQuad(a3, k));
                c30 += Avx2.MultiplyAddAdjacent(xv, w0);
                c31 += Avx2.MultiplyAddAdjacent(xv, w1);
            }
            Fold(c00, c01).Store(tile);
            Fold(c10, c11).Store(tile + TileColumns);
            Fold(c20, c21).Store(tile + 2 * TileColumns);
            Fold(c30, c31).Store(tile + 3 * TileColumns);
        }

        // Four u8 as int16, repeated in every 64-bit lane: vpbroadcastd then vpunpcklbw with zero (each 128-bit half
        // starts with two copies of the quad).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<short> Broadcast(int quad) =>
            Avx2.UnpackLow(Vector256.Create(quad).AsByte(), Vector256<byte>.Zero).AsInt16();

        // lo: slots 0..3 (columns 0, 1, 4, 5) as lane pairs, hi: slots 4..7 (columns 2, 3, 6, 7). vphaddd works per 128-bit
        // half, giving slots 0 1 4 5 | 2 3 6 7 = columns 0..7 in order: the packing's slot order saves a vpermq here.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> Fold(Vector256<int> lo, Vector256<int> hi) => Avx2.HorizontalAdd(lo, hi);

        // Portable 128-bit path (ARM64; x64 without AVX2): int16 products (exact: 255 · 127 < 2^15) widened to int32,
        // one accumulator per column holding its four k-phase partial sums, summed at the end.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void TileVector128(byte* a, int lda, sbyte* w, int k, int rows, int* tile)
        {
            int full = k >> 2;
            for (int r = 0; r < rows; r++)
            {
                byte* ar = a + (long)r * lda;
                sbyte* wq = w;
                Vector128<int> s0 = Vector128<int>.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
                for (int q = 0; q <= full; q++)
                {
                    int quad;
                    if (q < full) quad = Unsafe.ReadUnaligned<int>(ar + q * 4);
                    else if ((k & 3) != 0) quad = TailQuad(ar, k);
                    else break;
                    Vector128<short> xv = Vector128.WidenLower(Vector128.Create(quad).AsByte()).AsInt16();
                    (Vector128<short> w01, Vector128<short> w23) = Vector128.Widen(Vector128.Load(wq));
                    (Vector128<short> w45, Vector128<short> w67) = Vector128.Widen(Vector128.Load(wq + 16));
                    (Vector128<int> p0, Vector128<int> p1) = Vector128.Widen(xv * w01);
                    (Vector128<int> p2, Vector128<int> p3) = Vector128.Widen(xv * w23);
                    (Vector128<int> p4, Vector128<int> p5) = Vector128.Widen(xv * w45);
                    (Vector128<int> p6, Vector128<int> p7) = Vector128.Widen(xv * w67);
                    s0 += p0; s1 += p1; s2 += p2; s3 += p3; s4 += p4; s5 += p5; s6 += p6; s7 += p7;
                    wq += 4 * PanelWidth;
                }
                // Slots 0..7 hold columns 0, 1, 4, 5, 2, 3, 6, 7.
                int* t = tile + r * TileColumns;
                t[0] = Vector128.Sum(s0); t[1] = Vector128.Sum(s1); t[4] = Vector128.Sum(s2); t[5] = Vector128.Sum(s3);
                t[2] = Vector128.Sum(s4); t[3] = Vector128.Sum(s5); t[6] = Vector128.Sum(s6); t[7] = Vector128.Sum(s7);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void TileScalar(byte* a, int lda, sbyte* w, int k, int rows, int* tile)
        {
            for (int r = 0; r < rows; r++)
            {
                byte* ar = a + (long)r * lda;
                int* t = tile + r * TileColumns;
                for (int j = 0; j < TileColumns; j++) t[j] = 0;
                for (int kk = 0; kk < k; kk++)
                {
                    int xv = ar[kk];
                    sbyte* wk = w + (kk >> 2) * 4 * PanelWidth + (kk & 3);
                    for (int j = 0; j < TileColumns; j++) t[j] += xv * wk[GemmLayout.U8S8Slot(j) * 4];
                }
            }
        }
    }
}
