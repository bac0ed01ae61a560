// FP32 NHWC pooling: windowed max/average (windows clipped to the input) and global max/average.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;

    internal static unsafe class PoolF32
    {
        /// <summary>
        /// Max over each window; positions outside the input are skipped (never read). A window with no position inside
        /// the input yields float.MinValue, as ONNX Runtime's lowest() initial value does.
        /// </summary>
        public static void Max(float* x, float* y, int ih, int iw, int c, int oh, int ow, int kh, int kw, int sh, int sw, int pt, int pl, int dh, int dw)
        {
            Windows(x, y, ih, iw, c, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw, -1, new MaxOperator());
        }

        /// <summary>
        /// Average over each window. countIncludePad = 0 divides by the number of positions inside the input;
        /// countIncludePad = 1 divides by kh * kw. The latter matches ONNX whenever the window stays inside input + pads;
        /// with ceil_mode, windows that overhang the end padding are counted as kh * kw here while ONNX Runtime counts
        /// only positions inside input + pads (the kernel is not given pb/pr). A window with no position inside the
        /// input yields 0.
        /// </summary>
        public static void Average(float* x, float* y, int ih, int iw, int c, int oh, int ow, int kh, int kw, int sh, int sw, int pt, int pl, int dh, int dw, int countIncludePad)
        {
            Windows(x, y, ih, iw, c, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw, countIncludePad != 0 ? kh * kw : 0, new SumOperator());
        }

        /// <summary>y[ch] = mean over i &lt; hw of x[i * c + ch].</summary>
        public static void GlobalAverage(float* x, float* y, int hw, int c)
        {
            Reduce(x, y, hw, c, hw > 0 ? 1f / hw : 0f, new SumOperator());
        }

        /// <summary>y[ch] = max over i &lt; hw of x[i * c + ch].</summary>
        public static void GlobalMax(float* x, float* y, int hw, int c)
        {
            Reduce(x, y, hw, c, 1f, new MaxOperator());
        }

        // divisor: -1 = none (max), 0 = in-bounds taps, else a fixed count.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Windows<TPool>(float* x, float* y, int ih, int iw, int c, int oh, int ow, int kh, int kw, int sh, int sw,
            int pt, int pl, int dh, int dw, int divisor, TPool pool)
            where TPool : struct, IPoolOperator
        {
            for (int oy = 0; oy < oh; oy++)
            {
                int iy0 = oy * sh - pt;
                int rows = 0;
                for (int ky = 0; ky < kh; ky++) if ((uint)(iy0 + ky * dh) < (uint)ih) rows++;
                for (int ox = 0; ox < ow; ox++)
                {
                    int ix0 = ox * sw - pl;
                    int cols = 0;
                    for (int kx = 0; kx < kw; kx++) if ((uint)(ix0 + kx * dw) < (uint)iw) cols++;
                    int count = divisor == 0 ? rows * cols : divisor;
                    float scale = divisor < 0 ? 1f : count > 0 ? 1f / count : 0f;
                    Window(x, y + ((long)oy * ow + ox) * c, ih, iw, c, kh, kw, iy0, ix0, dh, dw, scale, pool);
                }
            }
        }

        // One output pixel, all channels: 32-channel blocks stay in registers across the window's taps.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Window<TPool>(float* x, float* yp, int ih, int iw, int c, int kh, int kw, int iy0, int ix0, int dh, int dw, float scale, TPool pool)
            where TPool : struct, IPoolOperator
        {
            int ch = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                // 64 channels per block in four zmm; each lane is the 256-bit loop's lane, the same bits.
                Vector512<float> init = Vector512.Create(pool.Identity);
                Vector512<float> sv = Vector512.Create(scale);
                for (; ch + 64 <= c; ch += 64)
                {
                    Vector512<float> s0 = init, s1 = init, s2 = init, s3 = init;
                    for (int ky = 0; ky < kh; ky++)
                    {
                        int iy = iy0 + ky * dh;
                        if ((uint)iy >= (uint)ih) continue;
                        for (int kx = 0; kx < kw; kx++)
                        {
                            int ix = ix0 + kx * dw;
                            if ((uint)ix >= (uint)iw) continue;
                            float* xp = x + ((long)iy * iw + ix) * c + ch;
                            s0 = pool.Combine(s0, Vector512.Load(xp));
                            s1 = pool.Combine(s1, Vector512.Load(xp + 16));
                            s2 = pool.Combine(s2, Vector512.Load(xp + 32));
                            s3 = pool.Combine(s3, Vector512.Load(xp + 48));
                        }
                    }
                    if (pool.Scales)
                    {
                        s0 *= sv; s1 *= sv; s2 *= sv; s3 *= sv;
                    }
                    s0.Store(yp + ch); s1.Store(yp + ch + 16); s2.Store(yp + ch + 32); s3.Store(yp + ch + 48);
                }
            }
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> init = Vector256.Create(pool.Identity);
                Vector256<float> sv = Vector256.Create(scale);
                for (; ch + 32 <= c; ch += 32)
                {
                    Vector256<float> s0 = init, s1 = init, s2 = init, s3 = init;
                    for (int ky = 0; ky < kh; ky++)
                    {
                        int iy = iy0 + ky * dh;
                        if ((uint)iy >= (uint)ih) continue;
                        for (int kx = 0; kx < kw; kx++)
                        {
                            int ix = ix0 + kx * dw;
                            if ((uint)ix >= (uint)iw) continue;
                            float* xp = x + ((long)iy * iw + ix) * c + ch;
                            s0 = pool.Combine(s0, Vector256.Load(xp));
                            s1 = pool.Combine(s1, Vector256.Load(xp + 8));
                            s2 = pool.Combine(s2, Vector256.Load(xp + 16));
                            s3 = pool.Combine(s3, Vector256.Load(xp + 24));
                        }
                    }
                    if (pool.Scales)
                    {
                        s0 *= sv; s1 *= sv; s2 *= sv; s3 *= sv;
                    }
                    s0.Store(yp + ch); s1.Store(yp + ch + 8); s2.Store(yp + ch + 16); s3.Store(yp + ch + 24);
                }
                for (; ch + 8 <= c; ch += 8)
                {
                    Vector256<float> s = init;
                    for (int ky = 0; ky < kh; ky++)
                    {
                        int iy = iy0 + ky * dh;
                        if ((uint)iy >= (uint)ih) continue;
                        for (int kx = 0; kx < kw; kx++)
                        {
                            int ix = ix0 + kx * dw;
                            if ((uint)ix >= (uint)iw) continue;
                            s = pool.Combine(s, Vector256.Load(x + ((long)iy * iw + ix) * c + ch));
                        }
                    }
                    if (pool.Scales) s *= sv;
                    s.Store(yp + ch);
                }
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                Vector128<float> init = Vector128.Create(pool.Identity);
                Vector128<float> sv = Vector128.Create(scale);
                for (; ch + 4 <= c; ch += 4)
                {
                    Vector128<float> s = init;
                    for (int ky = 0; ky < kh; ky++)
                    {
                        int iy = iy0 + ky * dh;
                        if ((uint)iy >= (uint)ih) continue;
                        for (int kx = 0; kx < kw; kx++)
                        {
                            int ix = ix0 + kx * dw;
                            if ((uint)ix >= (uint)iw) continue;
                            s = pool.Combine(s, Vector128.Load(x + ((long)iy * iw + ix) * c + ch));
                        }
                    }
                    if (pool.Scales) s *= sv;
                    s.Store(yp + ch);
                }
            }
            for (; ch < c; ch++)
            {
                float s = pool.Identity;
                for (int ky = 0; ky < kh; ky++)
                {
                    int iy = iy0 + ky * dh;
                    if ((uint)iy >= (uint)ih) continue;
                    for (int kx = 0; kx < kw; kx++)
                    {
                        int ix = ix0 + kx * dw;
                        if ((uint)ix >= (uint)iw) continue;
                        s = pool.Combine(s, x[((long)iy * iw + ix) * c + ch]);
                    }
                }
                yp[ch] = pool.Scales ? s * scale : s;
            }
        }

        // Channel-blocked reduction over hw rows: 32 channels stay in registers while all rows stream by.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Reduce<TPool>(float* x, float* y, int hw, int c, float scale, TPool pool)
            where TPool : struct, IPoolOperator
        {
            int ch = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> init = Vector512.Create(pool.Identity);
                Vector512<float> sv = Vector512.Create(scale);
                for (; ch + 64 <= c; ch += 64)
                {
                    Vector512<float> s0 = init, s1 = init, s2 = init, s3 = init;
                    float* xp = x + ch;
                    for (int i = 0; i < hw; i++, xp += c)
                    {
                        s0 = pool.Combine(s0, Vector512.Load(xp));
                        s1 = pool.Combine(s1, Vector512.Load(xp + 16));
                        s2 = pool.Combine(s2, Vector512.Load(xp + 32));
                        s3 = pool.Combine(s3, Vector512.Load(xp + 48));
                    }
                    if (pool.Scales)
                    {
                        s0 *= sv; s1 *= sv; s2 *= sv; s3 *= sv;
                    }
                    s0.Store(y + ch); s1.Store(y + ch + 16); s2.Store(y + ch + 32); s3.Store(y + ch + 48);
                }
            }
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> init = Vector256.Create(pool.Identity);
                Vector256<float> sv = Vector256.Create(scale);
                for (; ch + 32 <= c; ch += 32)
                {
                    Vector256<float> s0 = init, s1 = init, s2 = init, s3 = init;
                    float* xp = x + ch;
                    for (int i = 0; i < hw; i++, xp += c)
                    {
                        s0 = pool.Combine(s0, Vector256.Load(xp));
                        s1 = pool.Combine(s1, Vector256.Load(xp + 8));
                        s2 = pool.Combine(s2, Vector256.Load(xp + 16));
                        s3 = pool.Combine(s3, Vector256.Load(xp + 24));
                    }
                    if (pool.Scales)
                    {
                        s0 *= sv; s1 *= sv; s2 *= sv; s3 *= sv;
                    }
                    s0.Store(y + ch); s1.Store(y + ch + 8); s2.Store(y + ch + 16); s3.Store(y + ch + 24);
                }
                for (; ch + 8 <= c; ch += 8)
                {
                    Vector256<float> s = init;
                    float* xp = x + ch;
                    for (int i = 0; i < hw; i++, xp += c) s = pool.Combine(s, Vector256.Load(xp));
                    if (pool.Scales) s *= sv;
                    s.Store(y + ch);
                }
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                Vector128<float> init = Vector128.Create(pool.Identity);
                Vector128<float> sv = Vector128.Create(scale);
                for (; ch + 4 <= c; ch += 4)
                {
                    Vector128<float> s = init;
                    float* xp = x + ch;
                    for (int i = 0; i < hw; i++, xp += c) s = pool.Combine(s, Vector128.Load(xp));
                    if (pool.Scales) s *= sv;
                    s.Store(y + ch);
                }
            }
            for (; ch < c; ch++)
            {
                float s = pool.Identity;
                float* xp = x + ch;
                for (int i = 0; i < hw; i++, xp += c) s = pool.Combine(s, *xp);
                y[ch] = pool.Scales ? s * scale : s;
            }
        }

        private interface IPoolOperator
        {
            float Identity { get; }

            /// <summary>Whether the result is multiplied by the window's scale (averages).</summary>
            bool Scales { get; }

            float Combine(float acc, float x);
            Vector512<float> Combine(Vector512<float> acc, Vector512<float> x);
            Vector256<float> Combine(Vector256<float> acc, Vector256<float> x);
            Vector128<float> Combine(Vector128<float> acc, Vector128<float> x);
        }

        private readonly struct MaxOperator : IPoolOperator
        {
            public float Identity => float.MinValue;
            public bool Scales => false;

            // Data second: x86 maxps returns its second operand when either is NaN, so a NaN input propagates.
            public float Combine(float acc, float x) => Math.Max(acc, x);
            public Vector512<float> Combine(Vector512<float> acc, Vector512<float> x) => SimdMath.Max(acc, x);
            public Vector256<float> Combine(Vector256<float> acc, Vector256<float> x) => SimdMath.Max(acc, x);
            public Vector128<float> Combine(Vector128<float> acc, Vector128<float> x) => SimdMath.Max(acc, x);
        }

        private readonly struct SumOperator : IPoolOperator
        {
            public float Identity => 0f;
            public bool Scales => true;
            public float Combine(float acc, float x) => acc + x;
            public Vector512<float> Combine(Vector512<float> acc, Vector512<float> x) => acc + x;
            public Vector256<float> Combine(Vector256<float> acc, Vector256<float> x) => acc + x;
            public Vector128<float> Combine(Vector128<float> acc, Vector128<float> x) => acc + x;
        }
    }
}
