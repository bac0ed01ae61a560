// Straightforward references for the integer kernels (independent of the kernel code) and the reference weight packer.
using System;
using System.Numerics;
using Xunit;

namespace QuantGen.Kernels.Tests.Int8
{
    internal static class Int8Reference
    {
        public const int Guard = 29;
        public const byte GuardByte = 0xA5;

        /// <summary>
        /// The GemmU8S8 packing the compiler must produce: B [k, n] int8 row-major → ceil(n/16) panels × ceil(k/4) quads;
        /// quad q of panel p at byte (p * ceil(k/4) + q) * 64, column j's bytes B[4q..4q+3, 16p+j] at offset 4 · slot(j),
        /// zero-padded; slot(j) swaps bits 1 and 2 of j (each 8-column half in the order 0, 1, 4, 5, 2, 3, 6, 7).
        /// </summary>
        public static sbyte[] Pack(sbyte[] b, int k, int n)
        {
            int panels = (n + 15) / 16, quads = (k + 3) / 4;
            var packed = new sbyte[panels * quads * 64];
            for (int p = 0; p < panels; p++)
                for (int q = 0; q < quads; q++)
                    for (int j = 0; j < 16; j++)
                        for (int t = 0; t < 4; t++)
                        {
                            int kk = q * 4 + t, col = p * 16 + j;
                            int slot = j switch { 2 => 4, 3 => 5, 4 => 2, 5 => 3, 10 => 12, 11 => 13, 12 => 10, 13 => 11, _ => j };
                            packed[(p * quads + q) * 64 + slot * 4 + t] = kk < k && col < n ? b[kk * n + col] : (sbyte)0;
                        }
            return packed;
        }

        /// <summary>R(v, m, s) = low 32 bits of floor((v·m + 2^(30+s)) / 2^(31+s)) (s in [−30, 31]), in exact big-integer arithmetic.</summary>
        public static int Rq(int v, int multiplier, int shift)
        {
            BigInteger num = (BigInteger)v * multiplier + (BigInteger.One << (30 + shift));
            BigInteger den = BigInteger.One << (31 + shift);
            BigInteger q = BigInteger.Divide(num, den);
            if (num.Sign < 0 && q * den != num) q -= 1;
            return unchecked((int)(long)q);
        }

        /// <summary>Rc(v, m, s) = low 32 bits of floor((v·m + 2^(s−1)) / 2^s) (no rounding term for s = 0), in exact big-integer arithmetic.</summary>
        public static int Rc(int v, int multiplier, int shift)
        {
            BigInteger num = (BigInteger)v * multiplier + (shift > 0 ? BigInteger.One << (shift - 1) : BigInteger.Zero);
            BigInteger den = BigInteger.One << shift;
            BigInteger q = BigInteger.Divide(num, den);
            if (num.Sign < 0 && q * den != num) q -= 1;
            return unchecked((int)(uint)(q & uint.MaxValue));
        }

        /// <summary>clamp(zp + Rc, qmin, qmax) with zp + Rc in int32 (wrapping) arithmetic: the per-channel output.</summary>
        public static byte OutChannel(int acc, int multiplier, int shift, int zp, int qmin, int qmax)
        {
            int v = unchecked(zp + Rc(acc, multiplier, shift));
            return (byte)Math.Min(Math.Max(v, qmin), qmax);
        }

        /// <summary>clamp(zp + R, qmin, qmax) with zp + R in int32 (wrapping) arithmetic, as the contract says.</summary>
        public static byte Out(int acc, int multiplier, int shift, int zp, int qmin, int qmax)
        {
            int v = unchecked(zp + Rq(acc, multiplier, shift));
            return (byte)Math.Min(Math.Max(v, qmin), qmax);
        }

        public static byte[] Bytes(int seed, int count, int lo = 0, int hi = 255)
        {
            var rng = new Random(seed);
            var data = new byte[count];
            for (int i = 0; i < count; i++) data[i] = (byte)rng.Next(lo, hi + 1);
            return data;
        }

        public static sbyte[] Weights(int seed, int count)
        {
            var rng = new Random(seed);
            var data = new sbyte[count];
            for (int i = 0; i < count; i++) data[i] = (sbyte)rng.Next(-127, 128);
            return data;
        }

        public static int[] Ints(int seed, int count, int lo, int hi)
        {
            var rng = new Random(seed);
            var data = new int[count];
            for (int i = 0; i < count; i++) data[i] = rng.Next(lo, hi);
            return data;
        }

        /// <summary>
        /// One layer's per-channel requantization: random multipliers spread over [2^(30 − 2·spread), 2^31) (channels of
        /// different magnitude under one shift) and the shift 31 + <paramref name="shift"/> − spread, clamped to [0, 62]:
        /// real multipliers from about 2^−(shift − spread) down to 2^−(shift + spread), with R's shift convention.
        /// </summary>
        public static (int[] Multiplier, int Shift) Requant(int seed, int count, int shift, int spread = 2)
        {
            var rng = new Random(seed);
            var m = new int[count];
            for (int i = 0; i < count; i++) m[i] = ((1 << 30) + rng.Next(0, 1 << 30)) >> rng.Next(0, 2 * spread + 1);
            if (count > 0) m[0] = 1 << 30;
            if (count > 1) m[1] = int.MaxValue;
            return (m, Math.Clamp(31 + shift - spread, 0, 62));
        }

        /// <summary>A shift that maps typical accumulators of k random products onto about ±100 quantized steps.</summary>
        public static int ShiftFor(int k) => Math.Clamp((int)Math.Round(Math.Log2(Math.Sqrt(k) * 128 * 73 / 100.0)), 0, 31);

        public static byte[] Output(int count)
        {
            var y = new byte[count + Guard];
            y.AsSpan().Fill(GuardByte);
            return y;
        }

        public static void AssertEqual(byte[] expected, byte[] actual, int count, string what)
        {
            for (int i = 0; i < count; i++)
                Assert.True(expected[i] == actual[i], $"{what}: element {i} is {actual[i]}, expected {expected[i]}");
            for (int i = count; i < actual.Length; i++)
                Assert.True(actual[i] == GuardByte, $"{what}: kernel wrote past its extent at element {i} (extent {count})");
        }

        /// <summary>
        /// Depthwise weights given tap-major (w[t · c + ch]): in ONNX layout W[c, 1, kh, kw] for <see cref="Conv"/>, and in the
        /// kernel's tap-pair packing, placed here from its definition (ConvLayout.DepthwiseU8S8Index).
        /// </summary>
        public static (sbyte[] Onnx, sbyte[] Packed) DepthwiseWeights(sbyte[] w, int taps, int c)
        {
            var onnx = new sbyte[c * taps];
            var packed = new sbyte[c * taps];
            for (int ch = 0; ch < c; ch++)
                for (int t = 0; t < taps; t++)
                {
                    onnx[ch * taps + t] = w[t * c + ch];
                    packed[ConvLayout.DepthwiseU8S8Index(t, ch, taps, c)] = w[t * c + ch];
                }
            return (onnx, packed);
        }

        /// <summary>NHWC convolution with ONNX-layout weights W[oc, icg, kh, kw], padding reading zpIn.</summary>
        public static byte[] Conv(byte[] x, sbyte[] wOnnx, int[]? bias, int[] mult, int shift, int ih, int iw, int ic, int oh, int ow, int oc,
            int kh, int kw, int sh, int sw, int pt, int pl, int dh, int dw, int group, int zpIn, int zpOut, int qmin, int qmax)
        {
            int icg = ic / group, ocg = oc / group;
            var y = new byte[oh * ow * oc];
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int o = 0; o < oc; o++)
                    {
                        int g = o / ocg;
                        int acc = bias != null ? bias[o] : 0;
                        for (int ci = 0; ci < icg; ci++)
                            for (int ky = 0; ky < kh; ky++)
                                for (int kx = 0; kx < kw; kx++)
                                {
                                    int iy = oy * sh - pt + ky * dh, ix = ox * sw - pl + kx * dw;
                                    int xv = iy >= 0 && iy < ih && ix >= 0 && ix < iw ? x[(iy * iw + ix) * ic + g * icg + ci] : zpIn;
                                    acc = unchecked(acc + xv * wOnnx[((o * icg + ci) * kh + ky) * kw + kx]);
                                }
                        y[(oy * ow + ox) * oc + o] = OutChannel(acc, mult[o], shift, zpOut, qmin, qmax);
                    }
            return y;
        }
    }
}
