// uint8 × int8 NHWC convolution: general (grouped, strided, dilated, padded) through im2col + GemmU8S8, and depthwise.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;
    using System.Runtime.Intrinsics.X86;

    internal static unsafe class ConvU8S8
    {
        // im2col is built a block of output pixels at a time, right before the GEMM consumes it (about 32 KB of A).
        private const int Im2ColBlockBytes = 32 * 1024;

        /// <summary>
        /// y[oh, ow, oc] = clamp(zpOut + R(bias[o] + Σ x·w, multiplier[o], shift[o]), qmin, qmax) with taps in the padding
        /// reading zpIn. Per group g, w holds a packed GemmU8S8 B [K, ocg] (K ordered ky, kx, ci) at byte offset
        /// g * PackedGemmU8S8Length(ocg, K). scratch holds oh * ow * K bytes; for a plain 1×1 convolution
        /// (KernelCatalog.ConvU8S8ScratchLength = 0) it may be null and x is A directly. pb and pr only document padding.
        /// </summary>
        public static void Gemm(byte* x, sbyte* w, int* bias, byte* y, int* multiplier, int* shift, byte* scratch,
            int ih, int iw, int ic, int oh, int ow, int oc, int kh, int kw, int sh, int sw,
            int pt, int pl, int pb, int pr, int dh, int dw, int group, int zpIn, int zpOut, int qmin, int qmax)
        {
            int pixels = oh * ow;
            if (pixels <= 0 || oc <= 0) return;
            int icg = ic / group;
            int ocg = oc / group;
            int k = kh * kw * icg;
            long packedPerGroup = (long)((ocg + GemmU8S8.PanelWidth - 1) / GemmU8S8.PanelWidth) * GemmU8S8.PanelWidth * ((k + 3) & ~3);

            // The same test as KernelCatalog.ConvU8S8ScratchLength: a plain 1×1 convolution reads x as A directly.
            bool direct = kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && pb == 0 && pr == 0 && group == 1;
            if (direct)
            {
                GemmU8S8.Multiply(x, ic, w, bias, y, oc, pixels, oc, ic, multiplier, shift, zpOut, qmin, qmax);
                return;
            }
            if (scratch == null) throw new ArgumentNullException(nameof(scratch), "This convolution needs im2col scratch (KernelCatalog.ConvU8S8ScratchLength).");

            int blockRows = Math.Max(4, Im2ColBlockBytes / Math.Max(1, k) / 4 * 4);
            for (int g = 0; g < group; g++)
            {
                sbyte* wg = w + g * packedPerGroup;
                int* biasG = bias != null ? bias + g * ocg : null;
                for (int p0 = 0; p0 < pixels; p0 += blockRows)
                {
                    int rows = Math.Min(blockRows, pixels - p0);
                    Im2Col.ChannelsLast(x, scratch, p0, rows, ih, iw, ic, ow, kh, kw, sh, sw, pt, pl, dh, dw, g * icg, icg, (byte)zpIn);
                    GemmU8S8.Multiply(scratch, k, wg, biasG, y + (long)p0 * oc + g * ocg, oc, rows, ocg, k,
                        multiplier + g * ocg, shift + g * ocg, zpOut, qmin, qmax);
                }
            }
        }

        /// <summary>
        /// Depthwise NHWC convolution (group == ic == oc): w is [kh * kw, c] int8, tap-major with channels contiguous;
        /// y[.., ch] = clamp(zpOut + R(bias[ch] + Σ_taps x·w, multiplier[ch], shift[ch]), qmin, qmax) where taps in the
        /// padding read zpIn (so a bias with zpIn·Σw folded out is exact at the borders too).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Depthwise(byte* x, sbyte* w, int* bias, byte* y, int* multiplier, int* shift,
            int ih, int iw, int c, int oh, int ow, int kh, int kw, int sh, int sw,
            int pt, int pl, int dh, int dw, int zpIn, int zpOut, int qmin, int qmax)
        {
            int* acc = stackalloc int[16];
            for (int oy = 0; oy < oh; oy++)
            {
                int iy0 = oy * sh - pt;
                for (int ox = 0; ox < ow; ox++)
                {
                    int ix0 = ox * sw - pl;
                    byte* yp = y + ((long)oy * ow + ox) * c;
                    int ch = 0;
                    if (Avx2.IsSupported)
                    {
                        Vector256<short> zv = Vector256.Create((short)zpIn);
                        Vector256<int> zo = Vector256.Create(zpOut), lo = Vector256.Create(qmin), hi = Vector256.Create(qmax);
                        for (; ch + 16 <= c; ch += 16)
                        {
                            Vector256<int> s0 = Vector256<int>.Zero, s1 = s0;
                            for (int ky = 0; ky < kh; ky++)
                            {
                                int iy = iy0 + ky * dh;
                                bool rowIn = (uint)iy < (uint)ih;
                                for (int kx = 0; kx < kw; kx++)
                                {
                                    int ix = ix0 + kx * dw;
                                    Vector256<short> xv = rowIn && (uint)ix < (uint)iw ? Avx2.ConvertToVector256Int16(x + ((long)iy * iw + ix) * c + ch) : zv;
                                    Vector256<short> prod = Avx2.MultiplyLow(xv, Avx2.ConvertToVector256Int16(w + (long)(ky * kw + kx) * c + ch));
                                    s0 += Avx2.ConvertToVector256Int32(prod.GetLower());
                                    s1 += Avx2.ConvertToVector256Int32(prod.GetUpper());
                                }
                            }
                            if (bias != null)
                            {
                                s0 += Vector256.Load(bias + ch);
                                s1 += Vector256.Load(bias + ch + 8);
                            }
                            s0 = Requantization.Apply(s0, Vector256.Load(multiplier + ch), Vector256.Load(shift + ch)) + zo;
                            s1 = Requantization.Apply(s1, Vector256.Load(multiplier + ch + 8), Vector256.Load(shift + ch + 8)) + zo;
                            Requantization.StoreBytes(Vector256.Min(Vector256.Max(s0, lo), hi), yp + ch);
                            Requantization.StoreBytes(Vector256.Min(Vector256.Max(s1, lo), hi), yp + ch + 8);
                        }
                    }
                    // Also after AVX2: a remaining block of 8 channels (c = 24, 40, ...) stays vectorized.
                    if (Vector128.IsHardwareAccelerated)
                    {
                        Vector128<short> zv = Vector128.Create((short)zpIn);
                        for (; ch + 8 <= c; ch += 8)
                        {
                            Vector128<int> s0 = Vector128<int>.Zero, s1 = s0;
                            for (int ky = 0; ky < kh; ky++)
                            {
                                int iy = iy0 + ky * dh;
                                bool rowIn = (uint)iy < (uint)ih;
                                for (int kx = 0; kx < kw; kx++)
                                {
                                    int ix = ix0 + kx * dw;
                                    Vector128<short> xv = rowIn && (uint)ix < (uint)iw
                                        ? Vector128.WidenLower(Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(x + ((long)iy * iw + ix) * c + ch)).AsByte()).AsInt16()
                                        : zv;
                                    Vector128<short> wv = Vector128.WidenLower(Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(w + (long)(ky * kw + kx) * c + ch)).AsSByte());
                                    (Vector128<int> p0, Vector128<int> p1) = Vector128.Widen(xv * wv);
                                    s0 += p0;
                                    s1 += p1;
                                }
                            }
                            s0.Store(acc);
                            s1.Store(acc + 4);
                            Requantization.Store(acc, bias != null ? bias + ch : null, yp + ch, 8, multiplier + ch, shift + ch, zpOut, qmin, qmax);
                        }
                    }
                    for (; ch < c; ch++)
                    {
                        int s = 0;
                        for (int ky = 0; ky < kh; ky++)
                        {
                            int iy = iy0 + ky * dh;
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int ix = ix0 + kx * dw;
                                int xv = (uint)iy < (uint)ih && (uint)ix < (uint)iw ? x[((long)iy * iw + ix) * c + ch] : zpIn;
                                s += xv * w[(long)(ky * kw + kx) * c + ch];
                            }
                        }
                        if (bias != null) s += bias[ch];
                        yp[ch] = Requantization.Output(Requantization.Apply(s, multiplier[ch], shift[ch]), zpOut, qmin, qmax);
                    }
                }
            }
        }
    }
}
