// Channels-last im2col shared by the FP32 and INT8 convolutions: the GEMM's A rows built from an NHWC image.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;

    internal static unsafe class Im2Col
    {
        /// <summary>
        /// Rows [p0, p0 + rows) of the im2col matrix of group channels [c0, c0 + icg), written from a (row 0): row p holds
        /// the window of output pixel p in (ky, kx, ci) order; taps in the padding are <paramref name="pad"/> (0 for float,
        /// the input zero point for uint8, which then stands for 0).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void ChannelsLast<T>(T* x, T* a, int p0, int rows, int ih, int iw, int ic, int ow,
            int kh, int kw, int sh, int sw, int pt, int pl, int dh, int dw, int c0, int icg, T pad) where T : unmanaged
        {
            // Without groups and dilation, the in-bounds taps of one window row are one contiguous run of x.
            bool runs = icg == ic && dw == 1;
            int rowLength = kw * icg;
            int k = kh * rowLength;
            // Output columns [oxLo, oxHi) have their whole window row inside x (most pixels of a padded convolution).
            int oxLo = (pl + sw - 1) / sw;
            int lastTapOffset = iw - 1 - (kw - 1) * dw + pl;
            int oxHi = lastTapOffset < 0 ? 0 : Math.Min(ow, lastTapOffset / sw + 1);
            // The output pixel walks row by row: one division for the first, then increments.
            int oy = p0 / ow;
            int ox = p0 - oy * ow;
            for (int r = 0; r < rows;)
            {
                if (ox == ow) { ox = 0; oy++; }
                int iy0 = oy * sh - pt;
                int ix0 = ox * sw - pl;
                if (runs && ox >= oxLo && ox < oxHi && iy0 >= 0 && iy0 + (kh - 1) * dh < ih)
                {
                    // A run of whole-inside windows: plain copies, none of the per-tap bounds arithmetic below.
                    int count = Math.Min(rows - r, oxHi - ox);
                    InsideWindows(x + ((long)iy0 * iw + ix0) * ic, a, count, kh, rowLength, (long)dh * iw * ic, sw * ic);
                    a += (long)count * k;
                    r += count;
                    ox += count;
                    continue;
                }
                for (int ky = 0; ky < kh; ky++)
                {
                    int iy = iy0 + ky * dh;
                    if ((uint)iy >= (uint)ih)
                    {
                        Fill(a, rowLength, pad);
                    }
                    else if (runs)
                    {
                        int kxLo = Math.Min(kw, Math.Max(0, -ix0));
                        int kxHi = Math.Max(kxLo, Math.Min(kw, iw - ix0));
                        Fill(a, kxLo * icg, pad);
                        Copy(x + ((long)iy * iw + ix0 + kxLo) * ic, a + kxLo * icg, (kxHi - kxLo) * icg);
                        Fill(a + kxHi * icg, (kw - kxHi) * icg, pad);
                    }
                    else
                    {
                        for (int kx = 0; kx < kw; kx++)
                        {
                            int ix = ix0 + kx * dw;
                            if ((uint)ix < (uint)iw) Copy(x + ((long)iy * iw + ix) * ic + c0, a + kx * icg, icg);
                            else Fill(a + kx * icg, icg, pad);
                        }
                    }
                    a += rowLength;
                }
                r++;
                ox++;
            }
        }

        /// <summary>
        /// count consecutive output pixels whose windows lie inside x: window row ky of pixel r is rowLength contiguous
        /// elements at src + r · pixelStride + ky · rowStride. Its own method, so its few live values stay in registers.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void InsideWindows<T>(T* src, T* a, int count, int kh, int rowLength, long rowStride, int pixelStride) where T : unmanaged
        {
            for (int r = 0; r < count; r++, src += pixelStride)
            {
                T* row = src;
                for (int ky = 0; ky < kh; ky++, row += rowStride, a += rowLength) Copy(row, a, rowLength);
            }
        }

        // Short runs dominate im2col (a 3×3 window row of RGB is 9 bytes or 36 floats' bytes): an inlined copy beats a
        // memmove call. Lengths between two power-of-two block sizes are copied as a first and a last block that
        // overlap (the overlap is written twice with the same bytes); nothing outside [0, n) is read or written.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Copy<T>(T* src, T* dst, int n) where T : unmanaged
        {
            byte* s = (byte*)src, d = (byte*)dst;
            long bytes = (long)n * sizeof(T);
            if (Vector256.IsHardwareAccelerated && bytes >= 32)
            {
                long i = 0;
                for (; i + 32 <= bytes; i += 32) Vector256.Load(s + i).Store(d + i);
                if (i < bytes) Vector256.Load(s + bytes - 32).Store(d + bytes - 32);
            }
            else if (Vector128.IsHardwareAccelerated && bytes >= 16)
            {
                long i = 0;
                for (; i + 16 <= bytes; i += 16) Vector128.Load(s + i).Store(d + i);
                if (i < bytes) Vector128.Load(s + bytes - 16).Store(d + bytes - 16);
            }
            else if (bytes >= 8)
            {
                Unsafe.WriteUnaligned(d, Unsafe.ReadUnaligned<ulong>(s));
                Unsafe.WriteUnaligned(d + bytes - 8, Unsafe.ReadUnaligned<ulong>(s + bytes - 8));
                for (long i = 8; i < bytes - 8; i += 8) Unsafe.WriteUnaligned(d + i, Unsafe.ReadUnaligned<ulong>(s + i));
            }
            else
            {
                for (long i = 0; i < bytes; i++) d[i] = s[i];
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Fill<T>(T* dst, int n, T value) where T : unmanaged
        {
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<T> v = Vector256.Create(value);
                for (; i + Vector256<T>.Count <= n; i += Vector256<T>.Count) v.Store(dst + i);
            }
            for (; i < n; i++) dst[i] = value;
        }
    }
}
