// How the convolution kernels want their weights and scratch: the one place these facts are written. The kernels use
// them directly; the compiler packs weights and sizes scratch with the same functions (QuantGen.Plan compiles this file in).
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;

    /// <summary>Depthwise weight order, im2col blocking and scratch sizes of <c>ConvF32</c> and <c>ConvU8S8</c>.</summary>
    internal static class ConvLayout
    {
        /// <summary>
        /// Elements of one im2col block (128 KB of floats, 32 KB of bytes): the kernels build im2col a block of output
        /// pixels at a time, right before the GEMM reads it, so the rows are still in cache and scratch holds one block,
        /// not the whole matrix.
        /// </summary>
        public const int Im2ColBlockElements = 32 * 1024;

        /// <summary>Output pixels per im2col block for K = kh · kw · icg: about one block of A, in whole GEMM tiles.</summary>
        public static int Im2ColBlockRows(int k, int tileRows) => Math.Max(tileRows, Im2ColBlockElements / Math.Max(1, k) / tileRows * tileRows);

        /// <summary>A plain 1×1, stride-1, unpadded, ungrouped convolution: the GEMM reads x as A directly, with no im2col.</summary>
        public static bool ReadsInputDirectly(long kh, long kw, long sh, long sw, long pt, long pl, long pb, long pr, long group) =>
            kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && pb == 0 && pr == 0 && group == 1;

        /// <summary>
        /// Elements of im2col scratch a convolution through a GEMM with <paramref name="tileRows"/>-row tiles needs: one block,
        /// at most all output pixels; none when it reads x directly.
        /// </summary>
        public static long Im2ColScratchLength(long oh, long ow, long kh, long kw, long sh, long sw, long pt, long pl, long pb, long pr,
            long icPerGroup, long group, int tileRows)
        {
            if (ReadsInputDirectly(kh, kw, sh, sw, pt, pl, pb, pr, group)) return 0;
            long k = kh * kw * icPerGroup;
            long blockRows = k > int.MaxValue ? tileRows : Im2ColBlockRows((int)k, tileRows);
            return Math.Min(oh * ow, blockRows) * k;
        }

        /// <summary>ConvF32's im2col scratch (floats): blocks of whole GemmF32 tiles.</summary>
        public static long ScratchF32Length(long oh, long ow, long kh, long kw, long sh, long sw, long pt, long pl, long pb, long pr, long icPerGroup, long group) =>
            Im2ColScratchLength(oh, ow, kh, kw, sh, sw, pt, pl, pb, pr, icPerGroup, group, GemmLayout.F32TileRows);

        /// <summary>ConvU8S8's im2col scratch (bytes): blocks of whole GemmU8S8 tiles.</summary>
        public static long ScratchU8Length(long oh, long ow, long kh, long kw, long sh, long sw, long pt, long pl, long pb, long pr, long icPerGroup, long group) =>
            Im2ColScratchLength(oh, ow, kh, kw, sh, sw, pt, pl, pb, pr, icPerGroup, group, GemmLayout.U8S8TileRows);

        /// <summary>Where ConvF32.Depthwise reads the weight of tap t (= ky · kw + kx) for channel ch: tap-major [kh · kw, c].</summary>
        public static long DepthwiseF32Index(int t, int ch, int c) => (long)t * c + ch;

        /// <summary>
        /// Where ConvU8S8.Depthwise reads the weight of tap t (= ky · kw + kx) for channel ch: taps (2p, 2p + 1) as pairs
        /// [p][c][2] (each channel's two weights adjacent, the vpmaddwd operand order), then an odd last tap as [c].
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static long DepthwiseU8S8Index(int t, int ch, int taps, int c) =>
            t < (taps & ~1) ? ((long)(t >> 1) * c + ch) * 2 + (t & 1) : (long)(taps - 1) * c + ch;
    }
}
