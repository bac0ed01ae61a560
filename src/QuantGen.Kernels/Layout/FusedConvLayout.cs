// The working-set sizes of the fused convolution steps (expansion + depthwise in bands, 1×1 convolution + residual add in
// chunks): the one place these facts are written. The kernels walk bands and chunks with them; the compiler sizes the
// band scratch with them (QuantGen.Plan compiles this file in).
namespace QuantGen.Kernels
{
    using System;

    /// <summary>Bands of <c>ExpandDepthwise</c> and chunks of <c>PointwiseAdd</c> (ConvF32 and ConvU8S8).</summary>
    internal static class FusedConvLayout
    {
        /// <summary>
        /// Bytes of expanded rows a fused expansion + depthwise step keeps in scratch by default: small enough to stay in
        /// L2 with its band of x and y. On MobileNetV2-224 FP32, 128 KB and 256 KB measured the same.
        /// </summary>
        public const long ExpandDepthwiseBandBytes = 128 * 1024;

        /// <summary>Input rows one output row of a depthwise convolution reads: (kh − 1) · dh + 1.</summary>
        public static long WindowRows(long kh, long dh) => (kh - 1) * dh + 1;

        /// <summary>
        /// Input rows of the expanded tensor [ih, iw, c] a fused expansion + depthwise step computes per band: one window
        /// plus sh rows per further output row, as many as fit in <paramref name="bandBytes"/>, never more than ih (nor fewer
        /// than one window).
        /// </summary>
        public static long ExpandDepthwiseBandRows(long ih, long iw, long c, long kh, long sh, long dh, long elementBytes, long bandBytes)
        {
            long window = WindowRows(kh, dh);
            long fit = bandBytes / Math.Max(1, iw * c * elementBytes);
            long outputRows = fit >= window ? (fit - window) / Math.Max(1, sh) + 1 : 1;
            long rows = window + (outputRows - 1) * sh;
            return Math.Max(window, Math.Min(rows, ih));
        }

        /// <summary>Output rows a band of <paramref name="bandRows"/> expanded rows yields (the band holds at least one window).</summary>
        public static int OutputRowsPerBand(int bandRows, int kh, int sh, int dh) => (bandRows - (int)WindowRows(kh, dh)) / sh + 1;

        /// <summary>Bytes of y a fused residual add computes before adding the residual to it: well inside L1.</summary>
        public const int ResidualChunkBytes = 16 * 1024;

        /// <summary>Rows of y per residual chunk: about <see cref="ResidualChunkBytes"/>, in whole GEMM tiles.</summary>
        public static int ResidualChunkRows(int oc, int elementBytes, int tileRows) =>
            Math.Max(1, ResidualChunkBytes / elementBytes / Math.Max(1, oc) / tileRows) * tileRows;
    }
}
