// GemmU8S8's Arm64 DotProd path: sdot on the packed quads, x shifted to int8, the shift added back per column.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;

    internal static unsafe partial class GemmU8S8
    {
        // Arm64's sdot adds four exact int8 × int8 products to each int32 lane (16 multiply-adds per instruction, against
        // 4 for the widening path). There is no uint8 × int8 form in .NET (usdot is I8MM, not exposed), so x is taken as
        // x − 128 (its top bit flipped) and Σ x·w = Σ (x − 128)·w + 128 · Σ w, the last term per column computed once per
        // panel block with sdot against ones. Products of int8 are exact and int32 addition wraps alike in any order, so
        // the sums, and the bytes, are those of every other path. A packed quad of 16 bytes is 4 slots × 4 k: the lanes
        // come out in slot order, as with VNNI. CPUs: Cortex-A76 and later (Raspberry Pi 5, phones since ~2019); the
        // Raspberry Pi 4's A72 has no DotProd and takes the Vector128 path.
        //
        // Checked under qemu (correctness only; emulation says nothing about speed).

        /// <summary>
        /// <see cref="MultiplyRows"/> with sdot (<see cref="DotProductInstructions"/>): any CPU runs it and gets the same
        /// bytes; it pays only with Arm64 DotProd.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static void MultiplyRowsArmDot(byte* a, int lda, sbyte* w, int* bias, byte* c, int ldc, int m, int n, int k,
            int* multiplier, int shift, int zpOut, int qmin, int qmax, float* floatScale = null)
        {
            if (m <= 0 || n <= 0) return;
            (int quads, _, long panelBytes, int panels, int panelsPerBlock) = PackedLayout(n, k);
            panelsPerBlock = Math.Min(64, panelsPerBlock);   // the correction buffer below holds 64 panels
            int* lo = stackalloc int[TileRows * TileColumns];
            int* hi = stackalloc int[TileRows * TileColumns];
            // 128 · Σ_k w[k, j] for the block's columns, in slot order (16 per panel).
            int* correction = stackalloc int[64 * PanelWidth];
            var rq = new ChannelRequantAvx2(shift, zpOut, qmin, qmax);
            for (int p0 = 0; p0 < panels; p0 += panelsPerBlock)
            {
                int pEnd = Math.Min(panels, p0 + panelsPerBlock);
                for (int p = p0; p < pEnd; p++) ColumnSums128(w + p * panelBytes, quads, correction + (p - p0) * PanelWidth);
                for (int i = 0; i < m; i += TileRows)
                {
                    int rows = Math.Min(TileRows, m - i);
                    byte* a0 = a + (long)i * lda;
                    byte* a1 = rows > 1 ? a0 + lda : a0;
                    byte* a2 = rows > 2 ? a1 + lda : a1;
                    byte* a3 = rows > 3 ? a2 + lda : a2;
                    for (int p = p0; p < pEnd; p++)
                    {
                        AccumulateArmDot4x16(a0, a1, a2, a3, k, w + p * panelBytes, correction + (p - p0) * PanelWidth, lo, hi);
                        int j0 = p * PanelWidth;
                        StoreTile(lo, rows, bias, c, ldc, i, j0, Math.Min(TileColumns, n - j0), multiplier, shift, zpOut, qmin, qmax, floatScale, in rq);
                        if (n - j0 > TileColumns)
                            StoreTile(hi, rows, bias, c, ldc, i, j0 + TileColumns, Math.Min(TileColumns, n - j0 - TileColumns), multiplier, shift, zpOut, qmin, qmax, floatScale, in rq);
                    }
                }
            }
        }

        /// <summary>128 · (the four k values of each slot summed over all quads) for one panel: 16 int32 in slot order.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void ColumnSums128(sbyte* w, int quads, int* sums)
        {
            Vector128<sbyte> ones = Vector128.Create((sbyte)1);
            Vector128<int> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int q = 0; q < quads; q++, w += 4 * PanelWidth)
            {
                s0 = DotProductInstructions.MultiplyAccumulate(s0, ones, Vector128.Load(w));
                s1 = DotProductInstructions.MultiplyAccumulate(s1, ones, Vector128.Load(w + 16));
                s2 = DotProductInstructions.MultiplyAccumulate(s2, ones, Vector128.Load(w + 32));
                s3 = DotProductInstructions.MultiplyAccumulate(s3, ones, Vector128.Load(w + 48));
            }
            (s0 << 7).Store(sums); (s1 << 7).Store(sums + 4); (s2 << 7).Store(sums + 8); (s3 << 7).Store(sums + 12);
        }

        /// <summary>4 rows (aliased past the last) × one panel: columns 0..7 into lo, 8..15 into hi, 8 int32 per row in column order.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void AccumulateArmDot4x16(byte* a0, byte* a1, byte* a2, byte* a3, int k, sbyte* w, int* correction, int* lo, int* hi)
        {
            // Accumulators start at the correction, so they end as Σ (x − 128)·w + 128 · Σ w = Σ x·w.
            Vector128<int> k0 = Vector128.Load(correction), k1 = Vector128.Load(correction + 4), k2 = Vector128.Load(correction + 8), k3 = Vector128.Load(correction + 12);
            Vector128<int> c00 = k0, c01 = k1, c02 = k2, c03 = k3, c10 = k0, c11 = k1, c12 = k2, c13 = k3;
            Vector128<int> c20 = k0, c21 = k1, c22 = k2, c23 = k3, c30 = k0, c31 = k1, c32 = k2, c33 = k3;
            int full = k >> 2;
            const int flip = unchecked((int)0x80808080);
            for (int q = 0; q <= full; q++, w += 4 * PanelWidth)
            {
                int o = q * 4;
                int x0, x1, x2, x3;
                if (q < full)
                {
                    x0 = Unsafe.ReadUnaligned<int>(a0 + o); x1 = Unsafe.ReadUnaligned<int>(a1 + o);
                    x2 = Unsafe.ReadUnaligned<int>(a2 + o); x3 = Unsafe.ReadUnaligned<int>(a3 + o);
                }
                else if ((k & 3) != 0)
                {
                    // The last partial quad: its padding bytes become −128 but meet the packing's zero weights.
                    x0 = TailQuad(a0, k); x1 = TailQuad(a1, k); x2 = TailQuad(a2, k); x3 = TailQuad(a3, k);
                }
                else break;
                Vector128<sbyte> w0 = Vector128.Load(w), w1 = Vector128.Load(w + 16), w2 = Vector128.Load(w + 32), w3 = Vector128.Load(w + 48);
                Vector128<sbyte> x = Vector128.Create(x0 ^ flip).AsSByte();
                c00 = DotProductInstructions.MultiplyAccumulate(c00, x, w0); c01 = DotProductInstructions.MultiplyAccumulate(c01, x, w1);
                c02 = DotProductInstructions.MultiplyAccumulate(c02, x, w2); c03 = DotProductInstructions.MultiplyAccumulate(c03, x, w3);
                x = Vector128.Create(x1 ^ flip).AsSByte();
                c10 = DotProductInstructions.MultiplyAccumulate(c10, x, w0); c11 = DotProductInstructions.MultiplyAccumulate(c11, x, w1);
                c12 = DotProductInstructions.MultiplyAccumulate(c12, x, w2); c13 = DotProductInstructions.MultiplyAccumulate(c13, x, w3);
                x = Vector128.Create(x2 ^ flip).AsSByte();
                c20 = DotProductInstructions.MultiplyAccumulate(c20, x, w0); c21 = DotProductInstructions.MultiplyAccumulate(c21, x, w1);
                c22 = DotProductInstructions.MultiplyAccumulate(c22, x, w2); c23 = DotProductInstructions.MultiplyAccumulate(c23, x, w3);
                x = Vector128.Create(x3 ^ flip).AsSByte();
                c30 = DotProductInstructions.MultiplyAccumulate(c30, x, w0); c31 = DotProductInstructions.MultiplyAccumulate(c31, x, w1);
                c32 = DotProductInstructions.MultiplyAccumulate(c32, x, w2); c33 = DotProductInstructions.MultiplyAccumulate(c33, x, w3);
            }
            StoreSlotOrder(c00, c01, lo); StoreSlotOrder(c02, c03, hi);
            StoreSlotOrder(c10, c11, lo + TileColumns); StoreSlotOrder(c12, c13, hi + TileColumns);
            StoreSlotOrder(c20, c21, lo + 2 * TileColumns); StoreSlotOrder(c22, c23, hi + 2 * TileColumns);
            StoreSlotOrder(c30, c31, lo + 3 * TileColumns); StoreSlotOrder(c32, c33, hi + 3 * TileColumns);
        }

        /// <summary>Slots 0..3 (columns 0, 1, 4, 5) and 4..7 (columns 2, 3, 6, 7) of a half panel stored as columns 0..7.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreSlotOrder(Vector128<int> slots0123, Vector128<int> slots4567, int* y)
        {
            // Columns 0, 1 | 2, 3 | 4, 5 | 6, 7 are the 64-bit halves: slots 0-1, slots 4-5, slots 2-3, slots 6-7.
            Vector128.Create(slots0123.AsInt64().GetElement(0), slots4567.AsInt64().GetElement(0)).AsInt32().Store(y);
            Vector128.Create(slots0123.AsInt64().GetElement(1), slots4567.AsInt64().GetElement(1)).AsInt32().Store(y + 4);
        }
    }
}
