// GemmU8S8's AVX-VNNI path: vpdpbusd multiplies the packed u8 × s8 quads as they are, 4 rows × 16 columns per tile.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;

    internal static unsafe partial class GemmU8S8
    {
        // The packing's quads (16 columns × 4 consecutive k bytes) are vpdpbusd's operand layout: x's quad broadcast as
        // raw bytes, one instruction per 8 columns adds four exact u8 × s8 products per int32 lane (no int16 step, so no
        // saturation and no widening of x or w). Lanes come out in slot order (0, 1, 4, 5, 2, 3, 6, 7 in each half),
        // which one vpermd per row undoes. 4 rows × 16 columns = 8 accumulators: fits the 16 ymm registers of CPUs that
        // have AVX-VNNI without AVX-512 (Intel Alder Lake and later clients).
        //
        // Not measured here (the development machine, AMD Zen 4, has AVX512-VNNI, which .NET does not expose, but not
        // AVX-VNNI). Chosen over the AVX2 and 512-bit paths where present: per 64 multiply-adds it issues 2 instructions
        // where they issue 4–6 (vpmaddwd, vpaddd, the widening), on the same multiplier ports.

        // Lane s holds column Slot(s); the slot swap is its own inverse, so vpermd by Slot(j) puts column j in lane j.
        // Constant arguments once inlined: one constant vector (not a static field, see GemmU8S8.Vector512's FoldFirst).
        private static Vector256<int> SlotOrder
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => Vector256.Create(GemmLayout.U8S8Slot(0), GemmLayout.U8S8Slot(1), GemmLayout.U8S8Slot(2), GemmLayout.U8S8Slot(3),
                GemmLayout.U8S8Slot(4), GemmLayout.U8S8Slot(5), GemmLayout.U8S8Slot(6), GemmLayout.U8S8Slot(7));
        }

        /// <summary>
        /// <see cref="MultiplyRows"/> with vpdpbusd (<see cref="DotProductInstructions"/>): any CPU runs it and gets the same
        /// bytes; it pays only with AVX-VNNI.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static void MultiplyRowsVnni(byte* a, int lda, sbyte* w, int* bias, byte* c, int ldc, int m, int n, int k,
            int* multiplier, int shift, int zpOut, int qmin, int qmax, float* floatScale = null)
        {
            if (m <= 0 || n <= 0) return;
            (_, _, long panelBytes, int panels, int panelsPerBlock) = PackedLayout(n, k);
            int* lo = stackalloc int[TileRows * TileColumns];
            int* hi = stackalloc int[TileRows * TileColumns];
            var rq = new ChannelRequantAvx2(shift, zpOut, qmin, qmax);
            for (int p0 = 0; p0 < panels; p0 += panelsPerBlock)
            {
                int pEnd = Math.Min(panels, p0 + panelsPerBlock);
                for (int i = 0; i < m; i += TileRows)
                {
                    int rows = Math.Min(TileRows, m - i);
                    byte* a0 = a + (long)i * lda;
                    byte* a1 = rows > 1 ? a0 + lda : a0;
                    byte* a2 = rows > 2 ? a1 + lda : a1;
                    byte* a3 = rows > 3 ? a2 + lda : a2;
                    for (int p = p0; p < pEnd; p++)
                    {
                        AccumulateVnni4x16(a0, a1, a2, a3, k, w + p * panelBytes, lo, hi);
                        int j0 = p * PanelWidth;
                        StoreTile(lo, rows, bias, c, ldc, i, j0, Math.Min(TileColumns, n - j0), multiplier, shift, zpOut, qmin, qmax, floatScale, in rq);
                        if (n - j0 > TileColumns)
                            StoreTile(hi, rows, bias, c, ldc, i, j0 + TileColumns, Math.Min(TileColumns, n - j0 - TileColumns), multiplier, shift, zpOut, qmin, qmax, floatScale, in rq);
                    }
                }
            }
        }

        /// <summary>4 rows (aliased past the last) × one panel: columns 0..7 into lo, 8..15 into hi, 8 int32 per row.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void AccumulateVnni4x16(byte* a0, byte* a1, byte* a2, byte* a3, int k, sbyte* w, int* lo, int* hi)
        {
            Vector256<int> l0 = default, h0 = default, l1 = default, h1 = default, l2 = default, h2 = default, l3 = default, h3 = default;
            int full = k >> 2;
            for (int q = 0; q < full; q++, w += 4 * PanelWidth)
            {
                Vector256<sbyte> w0 = Vector256.Load(w), w1 = Vector256.Load(w + 32);
                int o = q * 4;
                Vector256<byte> x = Vector256.Create(Unsafe.ReadUnaligned<int>(a0 + o)).AsByte();
                l0 = DotProductInstructions.MultiplyAccumulate(l0, x, w0);
                h0 = DotProductInstructions.MultiplyAccumulate(h0, x, w1);
                x = Vector256.Create(Unsafe.ReadUnaligned<int>(a1 + o)).AsByte();
                l1 = DotProductInstructions.MultiplyAccumulate(l1, x, w0);
                h1 = DotProductInstructions.MultiplyAccumulate(h1, x, w1);
                x = Vector256.Create(Unsafe.ReadUnaligned<int>(a2 + o)).AsByte();
                l2 = DotProductInstructions.MultiplyAccumulate(l2, x, w0);
                h2 = DotProductInstructions.MultiplyAccumulate(h2, x, w1);
                x = Vector256.Create(Unsafe.ReadUnaligned<int>(a3 + o)).AsByte();
                l3 = DotProductInstructions.MultiplyAccumulate(l3, x, w0);
                h3 = DotProductInstructions.MultiplyAccumulate(h3, x, w1);
            }
            if ((k & 3) != 0)
            {
                // The last partial quad, zero-padded (the packing pads w with zeros past k, so any x byte there adds 0 too).
                Vector256<sbyte> w0 = Vector256.Load(w), w1 = Vector256.Load(w + 32);
                Vector256<byte> x = Vector256.Create(TailQuad(a0, k)).AsByte();
                l0 = DotProductInstructions.MultiplyAccumulate(l0, x, w0);
                h0 = DotProductInstructions.MultiplyAccumulate(h0, x, w1);
                x = Vector256.Create(TailQuad(a1, k)).AsByte();
                l1 = DotProductInstructions.MultiplyAccumulate(l1, x, w0);
                h1 = DotProductInstructions.MultiplyAccumulate(h1, x, w1);
                x = Vector256.Create(TailQuad(a2, k)).AsByte();
                l2 = DotProductInstructions.MultiplyAccumulate(l2, x, w0);
                h2 = DotProductInstructions.MultiplyAccumulate(h2, x, w1);
                x = Vector256.Create(TailQuad(a3, k)).AsByte();
                l3 = DotProductInstructions.MultiplyAccumulate(l3, x, w0);
                h3 = DotProductInstructions.MultiplyAccumulate(h3, x, w1);
            }
            Vector256.Shuffle(l0, SlotOrder).Store(lo); Vector256.Shuffle(h0, SlotOrder).Store(hi);
            Vector256.Shuffle(l1, SlotOrder).Store(lo + TileColumns); Vector256.Shuffle(h1, SlotOrder).Store(hi + TileColumns);
            Vector256.Shuffle(l2, SlotOrder).Store(lo + 2 * TileColumns); Vector256.Shuffle(h2, SlotOrder).Store(hi + 2 * TileColumns);
            Vector256.Shuffle(l3, SlotOrder).Store(lo + 3 * TileColumns); Vector256.Shuffle(h3, SlotOrder).Store(hi + 3 * TileColumns);
        }
    }
}
