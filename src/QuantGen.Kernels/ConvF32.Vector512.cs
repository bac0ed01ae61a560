// ConvF32's 512-bit depthwise blocks: 16 channels per zmm, each lane the AVX2 path's operations in the AVX2 path's order.
namespace QuantGen.Kernels
{
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;

    internal static unsafe partial class ConvF32
    {
        /// <summary>
        /// Channels [0, c − c % 16) of output columns [ox0, ox1) of a 3×3 depthwise row whose windows lie inside the input
        /// (<see cref="Depthwise3x3Interior"/>), 16 channels per zmm; returns the first channel left for the 256-bit loop.
        /// Each lane computes what the 256-bit loop computes for its channel, in the same order: the same bits.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static int Depthwise3x3Interior512<TActivation>(float* xRow0, float* w, float* bias, float* yRow, int c,
            int ox0, int ox1, long step, long d, long first, long rowStep, TActivation fused)
            where TActivation : struct, ActivationMath.IUnaryOperator
        {
            int ch = 0;
            for (; ch + 16 <= c; ch += 16)
            {
                Vector512<float> w00 = Vector512.Load(w + ch), w01 = Vector512.Load(w + c + ch), w02 = Vector512.Load(w + 2 * c + ch);
                Vector512<float> w10 = Vector512.Load(w + 3 * c + ch), w11 = Vector512.Load(w + 4 * c + ch), w12 = Vector512.Load(w + 5 * c + ch);
                Vector512<float> w20 = Vector512.Load(w + 6 * c + ch), w21 = Vector512.Load(w + 7 * c + ch), w22 = Vector512.Load(w + 8 * c + ch);
                Vector512<float> b = bias != null ? Vector512.Load(bias + ch) : Vector512<float>.Zero;
                float* p0 = xRow0 + first + ch;
                float* yp = yRow + (long)ox0 * c + ch;
                int ox = ox0;
                if (step == d)
                {
                    for (; ox + 2 <= ox1; ox += 2)
                    {
                        float* p1 = p0 + rowStep;
                        float* p2 = p1 + rowStep;
                        Vector512<float> xa = Vector512.Load(p0 + d), xb = Vector512.Load(p0 + 2 * d);
                        Vector512<float> s0 = SimdMath.MultiplyAdd(Vector512.Load(p0), w00, b);
                        Vector512<float> t0 = SimdMath.MultiplyAdd(xa, w00, b);
                        Vector512<float> s1 = xa * w01;
                        Vector512<float> t1 = xb * w01;
                        s0 = SimdMath.MultiplyAdd(xb, w02, s0);
                        t0 = SimdMath.MultiplyAdd(Vector512.Load(p0 + 3 * d), w02, t0);
                        xa = Vector512.Load(p1 + d);
                        xb = Vector512.Load(p1 + 2 * d);
                        s1 = SimdMath.MultiplyAdd(Vector512.Load(p1), w10, s1);
                        t1 = SimdMath.MultiplyAdd(xa, w10, t1);
                        s0 = SimdMath.MultiplyAdd(xa, w11, s0);
                        t0 = SimdMath.MultiplyAdd(xb, w11, t0);
                        s1 = SimdMath.MultiplyAdd(xb, w12, s1);
                        t1 = SimdMath.MultiplyAdd(Vector512.Load(p1 + 3 * d), w12, t1);
                        xa = Vector512.Load(p2 + d);
                        xb = Vector512.Load(p2 + 2 * d);
                        s0 = SimdMath.MultiplyAdd(Vector512.Load(p2), w20, s0);
                        t0 = SimdMath.MultiplyAdd(xa, w20, t0);
                        s1 = SimdMath.MultiplyAdd(xa, w21, s1);
                        t1 = SimdMath.MultiplyAdd(xb, w21, t1);
                        s0 = SimdMath.MultiplyAdd(xb, w22, s0);
                        t0 = SimdMath.MultiplyAdd(Vector512.Load(p2 + 3 * d), w22, t0);
                        fused.Invoke(s0 + s1).Store(yp);
                        fused.Invoke(t0 + t1).Store(yp + c);
                        p0 += 2 * step;
                        yp += 2 * c;
                    }
                }
                for (; ox < ox1; ox++)
                {
                    float* p1 = p0 + rowStep;
                    float* p2 = p1 + rowStep;
                    Vector512<float> s0 = SimdMath.MultiplyAdd(Vector512.Load(p0), w00, b);
                    Vector512<float> s1 = Vector512.Load(p0 + d) * w01;
                    s0 = SimdMath.MultiplyAdd(Vector512.Load(p0 + 2 * d), w02, s0);
                    s1 = SimdMath.MultiplyAdd(Vector512.Load(p1), w10, s1);
                    s0 = SimdMath.MultiplyAdd(Vector512.Load(p1 + d), w11, s0);
                    s1 = SimdMath.MultiplyAdd(Vector512.Load(p1 + 2 * d), w12, s1);
                    s0 = SimdMath.MultiplyAdd(Vector512.Load(p2), w20, s0);
                    s1 = SimdMath.MultiplyAdd(Vector512.Load(p2 + d), w21, s1);
                    s0 = SimdMath.MultiplyAdd(Vector512.Load(p2 + 2 * d), w22, s0);
                    fused.Invoke(s0 + s1).Store(yp);
                    p0 += step;
                    yp += c;
                }
            }
            return ch;
        }

        /// <summary>
        /// Channels [0, c − c % 16) of one depthwise output pixel (<see cref="DepthwisePixel"/>), 64 then 16 channels at a
        /// time, taps in the 256-bit loop's order; returns the first channel left.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static int DepthwisePixel512<TActivation>(float* x, float* w, float* bias, float* yp, int ih, int iw, int c,
            int kh, int kw, int iy0, int ix0, int dh, int dw, TActivation fused)
            where TActivation : struct, ActivationMath.IUnaryOperator
        {
            int ch = 0;
            for (; ch + 64 <= c; ch += 64)
            {
                Vector512<float> s0, s1, s2, s3;
                if (bias != null)
                {
                    s0 = Vector512.Load(bias + ch); s1 = Vector512.Load(bias + ch + 16);
                    s2 = Vector512.Load(bias + ch + 32); s3 = Vector512.Load(bias + ch + 48);
                }
                else
                {
                    s0 = s1 = s2 = s3 = Vector512<float>.Zero;
                }
                for (int ky = 0; ky < kh; ky++)
                {
                    int iy = iy0 + ky * dh;
                    if ((uint)iy >= (uint)ih) continue;
                    for (int kx = 0; kx < kw; kx++)
                    {
                        int ix = ix0 + kx * dw;
                        if ((uint)ix >= (uint)iw) continue;
                        float* xp = x + ((long)iy * iw + ix) * c + ch;
                        float* wp = w + (long)(ky * kw + kx) * c + ch;
                        s0 = SimdMath.MultiplyAdd(Vector512.Load(xp), Vector512.Load(wp), s0);
                        s1 = SimdMath.MultiplyAdd(Vector512.Load(xp + 16), Vector512.Load(wp + 16), s1);
                        s2 = SimdMath.MultiplyAdd(Vector512.Load(xp + 32), Vector512.Load(wp + 32), s2);
                        s3 = SimdMath.MultiplyAdd(Vector512.Load(xp + 48), Vector512.Load(wp + 48), s3);
                    }
                }
                fused.Invoke(s0).Store(yp + ch); fused.Invoke(s1).Store(yp + ch + 16); fused.Invoke(s2).Store(yp + ch + 32); fused.Invoke(s3).Store(yp + ch + 48);
            }
            for (; ch + 16 <= c; ch += 16)
            {
                Vector512<float> s = bias != null ? Vector512.Load(bias + ch) : Vector512<float>.Zero;
                for (int ky = 0; ky < kh; ky++)
                {
                    int iy = iy0 + ky * dh;
                    if ((uint)iy >= (uint)ih) continue;
                    for (int kx = 0; kx < kw; kx++)
                    {
                        int ix = ix0 + kx * dw;
                        if ((uint)ix >= (uint)iw) continue;
                        s = SimdMath.MultiplyAdd(Vector512.Load(x + ((long)iy * iw + ix) * c + ch), Vector512.Load(w + (long)(ky * kw + kx) * c + ch), s);
                    }
                }
                fused.Invoke(s).Store(yp + ch);
            }
            return ch;
        }
    }
}
