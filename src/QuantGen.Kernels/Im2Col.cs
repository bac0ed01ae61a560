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
            for (int r = 0; r < rows; r++)
            {
                int p = p0 + r;
                int oy = p / ow;
                int ox = p - oy * ow;
                int iy0 = oy * sh - pt;
                int ix0 = ox * sw - pl;
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
            }
        }

        // Short runs dominate im2col (3 values for an RGB tap): an inlined vector loop beats a memmove call.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Copy<T>(T* src, T* dst, int n) where T : unmanaged
        {
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; i + Vector256<T>.Count <= n; i += Vector256<T>.Count) Vector256.Load(src + i).Store(dst + i);
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                for (; i + Vector128<T>.Count <= n; i += Vector128<T>.Count) Vector128.Load(src + i).Store(dst + i);
            }
            for (; i < n; i++) dst[i] = src[i];
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
