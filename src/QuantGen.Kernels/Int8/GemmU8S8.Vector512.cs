// GemmU8S8's 512-bit path (AVX-512BW): 8 rows × a whole 16-column panel per tile, exact int32 sums, requantized in zmm.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;

    internal static unsafe partial class GemmU8S8
    {
        // A tile is 8 rows × 16 columns: per row two accumulators (panel halves, each lane pair one column's quad as two
        // int32 halves), 16 zmm in all, plus two widened weight vectors and a broadcast x quad: no spills with 32 registers.
        // The same int16 products as the AVX2 tile (vpmaddwd of zero-extended x and sign-extended w, exact:
        // |2 · 255 · 128| < 2^31; never vpmaddubsw, which saturates), summed in another order: int32 sums, the same bits.
        private const int Rows512 = 8;

        // x rows widened to int16 for a tile live on the stack: 8 rows × kPad int16 ≤ 96 KB, so k ≤ 6144; past that the
        // AVX2 path runs (it widens 4 rows).
        private const int MaxQuads512 = 1536;

        // On a CPU that executes 512-bit operations as two 256-bit halves (AMD Zen 4: the machine these kernels were
        // measured on) the 512-bit tile does the same multiply work per cycle as the AVX2 one; it wins only where its
        // fewer instructions (half the broadcasts and weight loads per product) matter more than its larger per-tile
        // fold and requantization. Measured per layer shape (interleaved in one process, best of ≥ 15 rounds): k ≥ 192
        // 3–8 % faster (3136×64×576, 196×128×1152, 49×320×960, 784×32×192), k = 96 5 % slower (196×576×96), k ≤ 32
        // 14–50 % slower (12544×96×16, 3136×144×24). So the 512-bit path takes k ≥ 128. A last panel of 8 columns or
        // fewer costs it a whole 16-column tile where the AVX2 path runs one 8-column half: with n = 24 (MobileNetV2's
        // 3136×24×144 projection) that made the step 1.4× slower, so a partial last panel must be a small part (n ≥ 64).
        // Those were whole GEMMs. Inside a convolution through im2col a call gets one block of rows (ConvLayout: about
        // 32 KB of A, so 56 rows at k = 576 and 4 at k = 4608), and a block that is not whole 8-row tiles pays for rows it
        // drops: ResNet-18's 3×3 convolutions measured 1.1–1.8× slower than the AVX2 path (ConvU8S8.Gemm per layer, best
        // of 7, AVX-512 on vs DOTNET_EnableAVX512=0, load ~40, Zen 4), the 7×7 stem (k = 147, 220 rows) 1.1–1.25×; 1×1
        // convolutions (whole m) tied. So the 512-bit path also needs m ≥ 64 and k ≥ 192.
        private const int MinK512 = 192;
        private const int MinRows512 = 64;

        /// <summary>Whether an m × n × k product takes <see cref="MultiplyRows512"/> on a CPU with AVX-512BW.</summary>
        internal static bool Takes512(int m, int n, int k) =>
            m >= MinRows512 && k >= MinK512 && GemmLayout.U8S8Quads(k) <= MaxQuads512 && (n % PanelWidth == 0 || n >= 64);

        // Column j of a panel from its two halves' accumulators: half j / 8, slot Slot(j % 8), lanes 2·slot and 2·slot + 1
        // hold the quad's two partial sums (vpermt2d indices: 16 + lane picks the second half). Written with
        // GemmLayout.U8S8Slot, so the packing order is stated once; every argument is a constant once inlined, so the JIT
        // emits one constant vector. (A static readonly field instead made the 512-bit GEMM 1.6x slower: the
        // AggressiveOptimization methods that read it load it through the class's statics on every tile.)
        private static Vector512<int> FoldFirst
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => Vector512.Create(
                FoldLane(0, 0), FoldLane(1, 0), FoldLane(2, 0), FoldLane(3, 0), FoldLane(4, 0), FoldLane(5, 0), FoldLane(6, 0), FoldLane(7, 0),
                FoldLane(8, 0), FoldLane(9, 0), FoldLane(10, 0), FoldLane(11, 0), FoldLane(12, 0), FoldLane(13, 0), FoldLane(14, 0), FoldLane(15, 0));
        }
        private static Vector512<int> FoldSecond
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => Vector512.Create(
                FoldLane(0, 1), FoldLane(1, 1), FoldLane(2, 1), FoldLane(3, 1), FoldLane(4, 1), FoldLane(5, 1), FoldLane(6, 1), FoldLane(7, 1),
                FoldLane(8, 1), FoldLane(9, 1), FoldLane(10, 1), FoldLane(11, 1), FoldLane(12, 1), FoldLane(13, 1), FoldLane(14, 1), FoldLane(15, 1));
        }

        /// <summary>The vpermt2d lane holding partial sum <paramref name="partial"/> (0 or 1) of panel column j.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int FoldLane(int j, int partial) => 16 * (j >> 3) + 2 * GemmLayout.U8S8Slot(j & 7) + partial;

        /// <summary>
        /// <see cref="MultiplyRows"/> with 512-bit vectors: tiles of 8 rows (1 for a last single row) × 16 columns, panels in
        /// blocks of ≤ 128 KB of weights, each strip of rows widened to int16 once per block. Any CPU runs it (the
        /// instructions are <see cref="Avx512Instructions"/>); it pays only with AVX-512BW. k in [1, 4 · MaxQuads512] (any k there gives the right bytes; <see cref="Takes512"/> says where it pays).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
        internal static void MultiplyRows512(byte* a, int lda, sbyte* w, int* bias, byte* c, int ldc, int m, int n, int k,
            int* multiplier, int shift, int zpOut, int qmin, int qmax, float* floatScale = null)
        {
            if (m <= 0 || n <= 0) return;
            (int quads, int kPad, long panelBytes, int panels, int panelsPerBlock) = PackedLayout(n, k);
            // SkipLocalsInit: Widen512 writes every element of a row (zero padding included) before a tile reads it.
            short* xw = stackalloc short[Rows512 * kPad];
            var rq = new ChannelRequant512(shift, zpOut, qmin, qmax);
            for (int p0 = 0; p0 < panels; p0 += panelsPerBlock)
            {
                int pEnd = Math.Min(panels, p0 + panelsPerBlock);
                for (int i = 0; i < m; i += Rows512)
                {
                    int rows = Math.Min(Rows512, m - i);
                    // Rows past the last are aliased to it (their results dropped); a single row gets the one-row kernel.
                    int tileRows = rows == 1 ? 1 : Rows512;
                    for (int r = 0; r < tileRows; r++)
                    {
                        if (r < rows) Widen512(a + (long)(i + r) * lda, xw + r * kPad, k, kPad);
                        else Buffer.MemoryCopy(xw + (rows - 1) * kPad, xw + r * kPad, kPad * sizeof(short), kPad * sizeof(short));
                    }
                    byte* ci = c + (long)i * ldc * (floatScale != null ? sizeof(float) : 1);
                    for (int p = p0; p < pEnd; p++)
                    {
                        int j0 = p * PanelWidth;
                        int nc = Math.Min(PanelWidth, n - j0);
                        sbyte* wp = w + p * panelBytes;
                        Vector512<int> r0, r1, r2, r3, r4, r5, r6, r7;
                        if (tileRows == Rows512)
                        {
                            Accumulate8x16(xw, kPad, wp, quads, out r0, out r1, out r2, out r3, out r4, out r5, out r6, out r7);
                            Store512(r0, r1, r2, r3, rows, bias, multiplier, floatScale, ci, ldc, j0, nc, in rq);
                            Store512(r4, r5, r6, r7, rows - 4, bias, multiplier, floatScale, ci + 4L * ldc * (floatScale != null ? sizeof(float) : 1), ldc, j0, nc, in rq);
                        }
                        else
                        {
                            r0 = Accumulate1x16(xw, wp, quads);
                            Store512(r0, r0, r0, r0, 1, bias, multiplier, floatScale, ci, ldc, j0, nc, in rq);
                        }
                    }
                }
            }
        }

        /// <summary>x row → int16, zero-padded to kPad, never reading past row[k − 1].</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Widen512(byte* row, short* dst, int k, int kPad)
        {
            int t = 0;
            for (; t + 32 <= k; t += 32) Avx512Instructions.ZeroExtendToInt16(row + t).Store(dst + t);
            // The tail as one overlapping block of the last 32 bytes when there are 32; else element by element.
            if (t < k && k >= 32) Avx512Instructions.ZeroExtendToInt16(row + k - 32).Store(dst + k - 32);
            else for (; t < k; t++) dst[t] = row[t];
            for (t = k; t < kPad; t++) dst[t] = 0;
        }

        /// <summary>Rows' sums (bias not yet added) → requantized bytes, or floats when floatScale is set; rows ≤ 0 stores nothing.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store512(Vector512<int> r0, Vector512<int> r1, Vector512<int> r2, Vector512<int> r3, int rows, int* bias, int* multiplier,
            float* floatScale, byte* c, int ldc, int j0, int nc, in ChannelRequant512 rq)
        {
            if (rows <= 0) return;
            if (bias != null)
            {
                Vector512<int> b = nc == PanelWidth ? Vector512.Load(bias + j0) : LoadPartial(bias + j0, nc);
                r0 += b; r1 += b; r2 += b; r3 += b;
            }
            if (floatScale != null)
            {
                Vector512<float> s = nc == PanelWidth ? Vector512.Load(floatScale + j0) : LoadPartial((int*)(floatScale + j0), nc).AsSingle();
                float* y = (float*)c + j0;
                StoreFloats(Vector512.ConvertToSingle(r0) * s, y, nc);
                if (rows > 1) StoreFloats(Vector512.ConvertToSingle(r1) * s, y + ldc, nc);
                if (rows > 2) StoreFloats(Vector512.ConvertToSingle(r2) * s, y + 2L * ldc, nc);
                if (rows > 3) StoreFloats(Vector512.ConvertToSingle(r3) * s, y + 3L * ldc, nc);
                return;
            }
            Vector512<int> m = nc == PanelWidth ? Vector512.Load(multiplier + j0) : LoadPartial(multiplier + j0, nc);
            Vector512<int> mOdd = ChannelRequant512.OddLanes(m);
            byte* row = c + j0;
            StoreBytes(rq.OutputBytes(r0, m, mOdd), row, nc);
            if (rows > 1) StoreBytes(rq.OutputBytes(r1, m, mOdd), row + ldc, nc);
            if (rows > 2) StoreBytes(rq.OutputBytes(r2, m, mOdd), row + 2L * ldc, nc);
            if (rows > 3) StoreBytes(rq.OutputBytes(r3, m, mOdd), row + 3L * ldc, nc);
        }

        /// <summary>The first n (&lt; 16) int32 at p, zeros above: a last partial panel never reads past its n columns.</summary>
        private static Vector512<int> LoadPartial(int* p, int n)
        {
            int* lanes = stackalloc int[PanelWidth];
            for (int j = 0; j < PanelWidth; j++) lanes[j] = j < n ? p[j] : 0;
            return Vector512.Load(lanes);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreBytes(Vector128<byte> v, byte* y, int n)
        {
            if (n == PanelWidth) { v.Store(y); return; }
            byte* lanes = stackalloc byte[PanelWidth];
            v.Store(lanes);
            Buffer.MemoryCopy(lanes, y, n, n);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreFloats(Vector512<float> v, float* y, int n)
        {
            if (n == PanelWidth) { v.Store(y); return; }
            float* lanes = stackalloc float[PanelWidth];
            v.Store(lanes);
            Buffer.MemoryCopy(lanes, y, n * sizeof(float), n * sizeof(float));
        }

        /// <summary>A row's two half-panel accumulators → its 16 column sums in order.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<int> Fold512(Vector512<int> lo, Vector512<int> hi) =>
            Avx512Instructions.PermuteTwo(lo, FoldFirst, hi) + Avx512Instructions.PermuteTwo(lo, FoldSecond, hi);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Accumulate8x16(short* x, int kPad, sbyte* w, int quads,
            out Vector512<int> r0, out Vector512<int> r1, out Vector512<int> r2, out Vector512<int> r3,
            out Vector512<int> r4, out Vector512<int> r5, out Vector512<int> r6, out Vector512<int> r7)
        {
            long* x0 = (long*)x, x1 = (long*)(x + kPad), x2 = (long*)(x + 2 * kPad), x3 = (long*)(x + 3 * kPad);
            long* x4 = (long*)(x + 4 * kPad), x5 = (long*)(x + 5 * kPad), x6 = (long*)(x + 6 * kPad), x7 = (long*)(x + 7 * kPad);
            Vector512<int> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
            Vector512<int> a4 = default, b4 = default, a5 = default, b5 = default, a6 = default, b6 = default, a7 = default, b7 = default;
            for (int q = 0; q < quads; q++, w += 4 * PanelWidth)
            {
                Vector512<short> w0 = Avx512Instructions.SignExtendToInt16(w), w1 = Avx512Instructions.SignExtendToInt16(w + 32);
                Vector512<short> xv;
                xv = Vector512.Create(x0[q]).AsInt16();
                a0 += Avx512Instructions.MultiplyAddPairs(xv, w0);
                b0 += Avx512Instructions.MultiplyAddPairs(xv, w1);
                xv = Vector512.Create(x1[q]).AsInt16();
                a1 += Avx512Instructions.MultiplyAddPairs(xv, w0);
                b1 += Avx512Instructions.MultiplyAddPairs(xv, w1);
                xv = Vector512.Create(x2[q]).AsInt16();
                a2 += Avx512Instructions.MultiplyAddPairs(xv, w0);
                b2 += Avx512Instructions.MultiplyAddPairs(xv, w1);
                xv = Vector512.Create(x3[q]).AsInt16();
                a3 += Avx512Instructions.MultiplyAddPairs(xv, w0);
                b3 += Avx512Instructions.MultiplyAddPairs(xv, w1);
                xv = Vector512.Create(x4[q]).AsInt16();
                a4 += Avx512Instructions.MultiplyAddPairs(xv, w0);
                b4 += Avx512Instructions.MultiplyAddPairs(xv, w1);
                xv = Vector512.Create(x5[q]).AsInt16();
                a5 += Avx512Instructions.MultiplyAddPairs(xv, w0);
                b5 += Avx512Instructions.MultiplyAddPairs(xv, w1);
                xv = Vector512.Create(x6[q]).AsInt16();
                a6 += Avx512Instructions.MultiplyAddPairs(xv, w0);
                b6 += Avx512Instructions.MultiplyAddPairs(xv, w1);
                xv = Vector512.Create(x7[q]).AsInt16();
                a7 += Avx512Instructions.MultiplyAddPairs(xv, w0);
                b7 += Avx512Instructions.MultiplyAddPairs(xv, w1);
            }
            r0 = Fold512(a0, b0); r1 = Fold512(a1, b1); r2 = Fold512(a2, b2); r3 = Fold512(a3, b3);
            r4 = Fold512(a4, b4); r5 = Fold512(a5, b5); r6 = Fold512(a6, b6); r7 = Fold512(a7, b7);
        }

        // One row: two quads per iteration into separate accumulators, two independent add chains.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static Vector512<int> Accumulate1x16(short* x, sbyte* w, int quads)
        {
            long* x0 = (long*)x;
            Vector512<int> a0 = default, b0 = default, a1 = default, b1 = default;
            int q = 0;
            for (; q + 2 <= quads; q += 2, w += 8 * PanelWidth)
            {
                Vector512<short> xv = Vector512.Create(x0[q]).AsInt16();
                a0 += Avx512Instructions.MultiplyAddPairs(xv, Avx512Instructions.SignExtendToInt16(w));
                b0 += Avx512Instructions.MultiplyAddPairs(xv, Avx512Instructions.SignExtendToInt16(w + 32));
                xv = Vector512.Create(x0[q + 1]).AsInt16();
                a1 += Avx512Instructions.MultiplyAddPairs(xv, Avx512Instructions.SignExtendToInt16(w + 64));
                b1 += Avx512Instructions.MultiplyAddPairs(xv, Avx512Instructions.SignExtendToInt16(w + 96));
            }
            if (q < quads)
            {
                Vector512<short> xv = Vector512.Create(x0[q]).AsInt16();
                a0 += Avx512Instructions.MultiplyAddPairs(xv, Avx512Instructions.SignExtendToInt16(w));
                b0 += Avx512Instructions.MultiplyAddPairs(xv, Avx512Instructions.SignExtendToInt16(w + 32));
            }
            return Fold512(a0 + a1, b0 + b1);
        }
    }
}
