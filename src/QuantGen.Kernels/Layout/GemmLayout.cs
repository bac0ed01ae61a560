// How the GEMM kernels want their packed B matrix, and their tile heights: the one place these facts are written.
// The kernels read B this way; the compiler packs weights with the same functions (QuantGen.Plan compiles this file in).
namespace QuantGen.Kernels
{
    using System.Runtime.CompilerServices;

    /// <summary>The packed-B layouts of <c>GemmF32</c> and <c>GemmU8S8</c>, and the rows of A each micro-tile computes.</summary>
    internal static class GemmLayout
    {
        /// <summary>Columns per packed GemmF32 panel: B [k, n] is stored as ceil(n / 16) panels of k rows × 16 columns.</summary>
        public const int F32PanelWidth = 16;

        /// <summary>Rows of A one GemmF32 micro-tile computes; im2col blocks, residual chunks and thread parts are whole tiles.</summary>
        public const int F32TileRows = 6;

        /// <summary>Floats of a B matrix [k, n] packed into 16-column panels (zero-padded past n).</summary>
        public static long PackedF32Length(long n, long k) => (n + F32PanelWidth - 1) / F32PanelWidth * F32PanelWidth * k;

        /// <summary>Where B[row, col] goes in the packed FP32 B of <paramref name="k"/> rows: panel col / 16, row-major inside it.</summary>
        public static long PackedF32Index(long row, long col, long k) => (col / F32PanelWidth * k + row) * F32PanelWidth + col % F32PanelWidth;

        /// <summary>Columns per packed GemmU8S8 panel.</summary>
        public const int U8S8PanelWidth = 16;

        /// <summary>Rows of A one GemmU8S8 micro-tile computes; im2col blocks, residual chunks and thread parts are whole tiles.</summary>
        public const int U8S8TileRows = 4;

        /// <summary>
        /// Bytes of an int8 B matrix [k, n] packed for GemmU8S8: ceil(n / 16) panels of ceil(k / 4) k-quads; quad q of panel p
        /// starts at byte (p · ceil(k / 4) + q) · 64 and holds, for columns j = 0..15, the 4 bytes B[4q..4q+3, 16p + j] at
        /// offset 4 · <see cref="U8S8Slot"/>(j) (zero past k and past n).
        /// </summary>
        public static long PackedU8S8Length(long n, long k) => (n + U8S8PanelWidth - 1) / U8S8PanelWidth * U8S8PanelBytes(k);

        /// <summary>k-quads (4 consecutive k bytes of one column) of a packed int8 B of depth <paramref name="k"/>: ceil(k / 4).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int U8S8Quads(int k) => (k + 3) >> 2;

        /// <summary>Bytes of one packed GemmU8S8 panel of depth <paramref name="k"/>: ceil(k / 4) quads × 16 columns × 4 bytes.</summary>
        public static long U8S8PanelBytes(long k) => (k + 3) / 4 * 4 * U8S8PanelWidth;

        /// <summary>Where B[row, col] goes in the packed int8 B of <paramref name="k"/> rows (see <see cref="PackedU8S8Length"/>).</summary>
        public static long PackedU8S8Index(long row, long col, long k) =>
            col / U8S8PanelWidth * U8S8PanelBytes(k) + row / 4 * 4 * U8S8PanelWidth + 4 * U8S8Slot((int)(col % U8S8PanelWidth)) + row % 4;

        /// <summary>
        /// The slot of panel column j (0..15) inside a packed k-quad: bits 1 and 2 of j swapped, so each 8-column half holds
        /// columns 0, 1, 4, 5, 2, 3, 6, 7. The AVX2 kernel's vphaddd then yields the columns in order, with no cross-lane
        /// permute per tile row.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int U8S8Slot(int j) => (j & ~6) | ((j & 2) << 1) | ((j & 4) >> 1);
    }
}
