// uint8 NHWC pooling: windowed max (exact, no requantization) and global average (integer sum, then requantization).
namespace QuantGen.Kernels
{
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;
    using System.Runtime.Intrinsics.X86;

    internal static unsafe class PoolU8
    {
        /// <summary>
        /// Max over each window; positions outside the input are skipped (never read). Input and output share scale and
        /// zero point. A window with no position inside the input yields 0.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Max(byte* x, byte* y, int ih, int iw, int c, int oh, int ow, int kh, int kw, int sh, int sw, int pt, int pl, int dh, int dw)
        {
            for (int oy = 0; oy < oh; oy++)
            {
                int iy0 = oy * sh - pt;
                for (int ox = 0; ox < ow; ox++)
                {
                    int ix0 = ox * sw - pl;
                    byte* yp = y + ((long)oy * ow + ox) * c;
                    int ch = 0;
                    if (Vector256.IsHardwareAccelerated)
                    {
                        for (; ch + 32 <= c; ch += 32)
                        {
                            Vector256<byte> m = Vector256<byte>.Zero;
                            for (int ky = 0; ky < kh; ky++)
                            {
                                int iy = iy0 + ky * dh;
                                if ((uint)iy >= (uint)ih) continue;
                                for (int kx = 0; kx < kw; kx++)
                                {
                                    int ix = ix0 + kx * dw;
                                    if ((uint)ix < (uint)iw) m = Vector256.Max(m, Vector256.Load(x + ((long)iy * iw + ix) * c + ch));
                                }
                            }
                            m.Store(yp + ch);
                        }
                    }
                    if (Vector128.IsHardwareAccelerated)
                    {
                        for (; ch + 16 <= c; ch += 16)
                        {
                            Vector128<byte> m = Vector128<byte>.Zero;
                            for (int ky = 0; ky < kh; ky++)
                            {
                                int iy = iy0 + ky * dh;
                                if ((uint)iy >= (uint)ih) continue;
                                for (int kx = 0; kx < kw; kx++)
                                {
                                    int ix = ix0 + kx * dw;
                                    if ((uint)ix < (uint)iw) m = Vector128.Max(m, Vector128.Load(x + ((long)iy * iw + ix) * c + ch));
                                }
                            }
                            m.Store(yp + ch);
                        }
                    }
                    for (; ch < c; ch++)
                    {
                        int m = 0;
                        for (int ky = 0; ky < kh; ky++)
                        {
                            int iy = iy0 + ky * dh;
                            if ((uint)iy >= (uint)ih) continue;
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int ix = ix0 + kx * dw;
                                if ((uint)ix < (uint)iw)
                                {
                                    int v = x[((long)iy * iw + ix) * c + ch];
                                    if (v > m) m = v;
                                }
                            }
                        }
                        yp[ch] = (byte)m;
                    }
                }
            }
        }

        /// <summary>
        /// y[ch] = clamp(zpOut + R(Σ_{i &lt; hw} x[i * c + ch] − hw · zpIn, multiplier, shift), 0, 255), R as in
        /// <see cref="Requantization"/>; the real multiplier is sIn / (hw · sOut).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void GlobalAverage(byte* x, byte* y, int hw, int c, int zpIn, int zpOut, int multiplier, int shift)
        {
            int offset = hw * zpIn;
            int ch = 0;
            if (Avx2.IsSupported)
            {
                // R(v, m, s) = Rc(v, m, 31 + s) with one count for all lanes (a uniform multiplier is its own odd-lane shuffle).
                var rq = new ChannelRequantAvx2(31 + shift, zpOut, 0, 255);
                Vector256<int> m = Vector256.Create(multiplier), bias = Vector256.Create(-offset);
                for (; ch + 8 <= c; ch += 8)
                {
                    Vector256<int> acc = bias;
                    byte* p = x + ch;
                    for (int i = 0; i < hw; i++, p += c) acc += Avx2.ConvertToVector256Int32(p);
                    Requantization.StoreBytes(rq.Output(acc, m, m), y + ch);
                }
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                Vector128<int> m = Vector128.Create(multiplier), z = Vector128.Create(zpOut);
                for (; ch + 4 <= c; ch += 4)
                {
                    Vector128<int> acc = Vector128<int>.Zero;
                    byte* p = x + ch;
                    for (int i = 0; i < hw; i++, p += c)
                        acc += Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalar(Unsafe.ReadUnaligned<uint>(p)).AsByte())).AsInt32();
                    Vector128<int> q = Requantization.ApplyChannel(acc - Vector128.Create(offset), m, 31 + shift) + z;
                    Requantization.StoreBytes(Vector128.Min(Vector128.Max(q, Vector128<int>.Zero), Vector128.Create(255)), y + ch);
                }
            }
            for (; ch < c; ch++)
            {
                int acc = 0;
                byte* p = x + ch;
                for (int i = 0; i < hw; i++, p += c) acc += *p;
                y[ch] = Requantization.Output(Requantization.Apply(acc - offset, multiplier, shift), zpOut, 0, 255);
            }
        }
    }
}
