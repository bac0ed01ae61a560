// GemmU8S8's 128-bit x64 path (no AVX2: old PCs, NativeAOT's default target): the AVX2 tile's pmaddwd pairs in xmm.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;

    internal static unsafe partial class GemmU8S8
    {
        // Without AVX2 the x64 kernels used to take the portable Vector128 tile, written for Arm64, which widens every
        // product to int32: a default NativeAOT build ran MobileNetV2-224 INT8 17-25x slower than with AVX-512. pmaddwd is
        // SSE2 (every x64 CPU), so this path pairs products as the AVX2 tile does: x rows widened to int16 once per strip
        // and broadcast a quad at a time, weights sign-extended, one pmaddwd per 2 columns × 4 k, phaddd to fold. A tile
        // is 4 rows × a quarter panel (4 slots): 8 xmm accumulators, 2 weight vectors and a broadcast in the 16 registers.
        // Exact int32 sums, the same bytes.

        // 4 rows × kPad int16 on the stack ≤ 64 KB; deeper products keep the portable tile.
        private const int MaxQuads128 = 2048;

        /// <summary>Whether a product of depth k takes <see cref="MultiplyRowsSse2"/> on an x64 CPU without AVX2.</summary>
        internal static bool Takes128(int k) => k > 0 && GemmLayout.U8S8Quads(k) <= MaxQuads128;

        /// <summary>
        /// <see cref="MultiplyRows"/> with 128-bit pmaddwd (<see cref="Sse2Instructions"/>): any CPU runs it and gets the
        /// same bytes; it is the x64 path without AVX2. k in [1, 4 · MaxQuads128].
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
        internal static void MultiplyRowsSse2(byte* a, int lda, sbyte* w, int* bias, byte* c, int ldc, int m, int n, int k,
            int* multiplier, int shift, int zpOut, int qmin, int qmax, float* floatScale = null)
        {
            if (m <= 0 || n <= 0) return;
            (int quads, int kPad, long panelBytes, int panels, int panelsPerBlock) = PackedLayout(n, k);
            // SkipLocalsInit: every widened row (zero padding included) and every tile element is written before it is read.
            short* xw = stackalloc short[TileRows * kPad];
            int* tile = stackalloc int[TileRows * TileColumns];
            var rq = new ChannelRequantAvx2(shift, zpOut, qmin, qmax);
            for (int p0 = 0; p0 < panels; p0 += panelsPerBlock)
            {
                int pEnd = Math.Min(panels, p0 + panelsPerBlock);
                for (int i = 0; i < m; i += TileRows)
                {
                    int rows = Math.Min(TileRows, m - i);
                    // Rows past the last are aliased to it (their results dropped).
                    for (int r = 0; r < TileRows; r++) Widen128(a + (long)(i + Math.Min(r, rows - 1)) * lda, xw + r * kPad, k, kPad);
                    for (int p = p0; p < pEnd; p++)
                    {
                        for (int half = 0; half < 2; half++)
                        {
                            int j0 = p * PanelWidth + half * TileColumns;
                            int nc = Math.Min(TileColumns, n - j0);
                            if (nc <= 0) break;
                            sbyte* wh = w + p * panelBytes + half * TileColumns * 4;
                            // Slots 0..3 are columns 0, 1, 4, 5; slots 4..7 columns 2, 3, 6, 7.
                            QuarterSse2(xw, kPad, wh, quads, tile, 0);
                            QuarterSse2(xw, kPad, wh + 16, quads, tile, 2);
                            StoreTile(tile, rows, bias, c, ldc, i, j0, nc, multiplier, shift, zpOut, qmin, qmax, floatScale, in rq);
                        }
                    }
                }
            }
        }

        /// <summary>x row → int16, zero-padded to kPad, never reading past row[k − 1].</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Widen128(byte* row, short* dst, int k, int kPad)
        {
            int t = 0;
            for (; t + 16 <= k; t += 16)
            {
                (Vector128<ushort> lo, Vector128<ushort> hi) = Vector128.Widen(Vector128.Load(row + t));
                lo.AsInt16().Store(dst + t);
                hi.AsInt16().Store(dst + t + 8);
            }
            for (; t < k; t++) dst[t] = row[t];
            for (; t < kPad; t++) dst[t] = 0;
        }

        /// <summary>
        /// 4 rows × the 4 slots of a quarter panel (16 bytes per quad at w): each row's 4 sums stored into the 4×8 tile,
        /// slots 0 and 1 at column <paramref name="column"/>, slots 2 and 3 at column + 4.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void QuarterSse2(short* x, int kPad, sbyte* w, int quads, int* tile, int column)
        {
            long* x0 = (long*)x, x1 = (long*)(x + kPad), x2 = (long*)(x + 2 * kPad), x3 = (long*)(x + 3 * kPad);
            Vector128<int> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
            for (int q = 0; q < quads; q++, w += 4 * PanelWidth)
            {
                // Two slots × 4 k per vector: slots 0, 1 in w0, slots 2, 3 in w1.
                (Vector128<short> w0, Vector128<short> w1) = Vector128.Widen(Vector128.Load(w));
                Vector128<short> xv = Vector128.Create(x0[q]).AsInt16();
                a0 += Sse2Instructions.MultiplyAddPairs(xv, w0);
                b0 += Sse2Instructions.MultiplyAddPairs(xv, w1);
                xv = Vector128.Create(x1[q]).AsInt16();
                a1 += Sse2Instructions.MultiplyAddPairs(xv, w0);
                b1 += Sse2Instructions.MultiplyAddPairs(xv, w1);
                xv = Vector128.Create(x2[q]).AsInt16();
                a2 += Sse2Instructions.MultiplyAddPairs(xv, w0);
                b2 += Sse2Instructions.MultiplyAddPairs(xv, w1);
                xv = Vector128.Create(x3[q]).AsInt16();
                a3 += Sse2Instructions.MultiplyAddPairs(xv, w0);
                b3 += Sse2Instructions.MultiplyAddPairs(xv, w1);
            }
            StoreQuarter(Sse2Instructions.AddPairs(a0, b0), tile + column);
            StoreQuarter(Sse2Instructions.AddPairs(a1, b1), tile + TileColumns + column);
            StoreQuarter(Sse2Instructions.AddPairs(a2, b2), tile + 2 * TileColumns + column);
            StoreQuarter(Sse2Instructions.AddPairs(a3, b3), tile + 3 * TileColumns + column);
        }

        /// <summary>Slots (0, 1) at y, slots (2, 3) at y + 4.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreQuarter(Vector128<int> sums, int* y)
        {
            Unsafe.WriteUnaligned(y, sums.AsInt64().GetElement(0));
            Unsafe.WriteUnaligned(y + 4, sums.AsInt64().GetElement(1));
        }
    }
}
