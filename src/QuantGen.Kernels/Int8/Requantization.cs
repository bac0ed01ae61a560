// Fixed-point requantization int32 → uint8 shared by the integer kernels: one rounding, the same bits on every CPU.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;
    using System.Runtime.Intrinsics.X86;

    /// <summary>
    /// Two forms, each one rounding (half up) of the exact 64-bit product, the cast keeping the low 32 bits, and the
    /// output clamp(zp + R, qmin, qmax) with zp + R in int32 arithmetic; the AVX2, Vector128 and scalar forms below are
    /// exact for every int32 v:
    /// <list type="bullet">
    /// <item>Per channel (Gemm, Conv, depthwise), <see cref="ApplyChannel(int, int, int)"/>: Rc(v, multiplier, shift) =
    /// (int)(((long)v * multiplier + 2^(shift − 1)) &gt;&gt; shift), a multiplier per channel and one shift in [0, 62] per layer.</item>
    /// <item>Per tensor (residual add, average pooling), <see cref="Apply(int, int, int)"/>: R(v, multiplier, shift) =
    /// (int)(((long)v * multiplier + (1L &lt;&lt; (30 + shift))) &gt;&gt; (31 + shift)) with multiplier in [0, 2^31) (normally
    /// [2^30, 2^31)) and shift in [−30, 31] (negative: a real multiplier ≥ 1). It is Rc(v, multiplier, 31 + shift), and the
    /// vector paths compute it that way.</item>
    /// </list>
    /// </summary>
    internal static unsafe class Requantization
    {
        /// <summary>
        /// y[j] = clamp(zp + Rc(acc[j] + bias[j], multiplier[j], shift), qmin, qmax) for j &lt; count, bias may be null:
        /// the per-channel requantization of a layer, one shift for all its channels (see <see cref="ApplyChannel(int, int, int)"/>).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static void StoreChannels(int* acc, int* bias, byte* y, int count, int* multiplier, int shift, int zp, int qmin, int qmax)
        {
            int j = 0;
            if (Avx2.IsSupported)
            {
                var rq = new ChannelRequantAvx2(shift, zp, qmin, qmax);
                for (; j + 8 <= count; j += 8)
                {
                    Vector256<int> v = Vector256.Load(acc + j);
                    if (bias != null) v += Vector256.Load(bias + j);
                    Vector256<int> m = Vector256.Load(multiplier + j);
                    StoreBytes(rq.Output(v, m, Avx2.Shuffle(m, 0xF5)), y + j);
                }
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                Vector128<int> zv = Vector128.Create(zp), lo = Vector128.Create(qmin), hi = Vector128.Create(qmax);
                for (; j + 4 <= count; j += 4)
                {
                    Vector128<int> v = Vector128.Load(acc + j);
                    if (bias != null) v += Vector128.Load(bias + j);
                    v = ApplyChannel(v, Vector128.Load(multiplier + j), shift);
                    StoreBytes(Vector128.Min(Vector128.Max(v + zv, lo), hi), y + j);
                }
            }
            for (; j < count; j++)
            {
                int v = acc[j];
                if (bias != null) v += bias[j];
                y[j] = Output(ApplyChannel(v, multiplier[j], shift), zp, qmin, qmax);
            }
        }

        /// <summary>
        /// Rc(v, multiplier, shift) = (int)(((long)v * multiplier + 2^(shift−1)) &gt;&gt; shift) (no rounding term for shift 0),
        /// multiplier in [0, 2^31), shift in [0, 62]: v times multiplier · 2^−shift, rounded half up, once; the cast keeps
        /// the low 32 bits. The per-channel form: one shift for every channel of a layer (QuantizationMath.RequantizeChannel).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int ApplyChannel(int v, int multiplier, int shift) =>
            (int)(((long)v * multiplier + ((1L << shift) >> 1)) >> shift);

        /// <summary>Rc per lane with 128-bit vectors: 64-bit products, one arithmetic shift by the layer's count.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<int> ApplyChannel(Vector128<int> v, Vector128<int> multiplier, int shift)
        {
            if (Sse41.IsSupported)
            {
                // x64 without AVX2 (SSE4.1: every x64-v2 CPU, NativeAOT's default target): ChannelRequantAvx2's 64-bit form
                // in xmm. pmuldq for the even lanes (the odd ones after pshufd), 2^62 added so the logical shift (SSE has
                // no 64-bit arithmetic one) divides a non-negative number, 2^(62 − s) taken off after: exact for every int32.
                // The portable form below emulates the 64-bit multiply and shift, which made requantization the larger part
                // of a small-k layer on this path.
                Vector128<long> offset = Vector128.Create((1L << 62) + ((1L << shift) >> 1));
                Vector128<long> count = Vector128.CreateScalar((long)shift);
                Vector128<long> even = Sse2.ShiftRightLogical(Sse41.Multiply(v, multiplier) + offset, count);
                Vector128<long> odd = Sse2.ShiftRightLogical(Sse41.Multiply(Sse2.Shuffle(v, 0xF5), Sse2.Shuffle(multiplier, 0xF5)) + offset, count);
                return Sse41.Blend(even.AsInt16(), Sse2.ShiftLeftLogical(odd, 32).AsInt16(), 0b1100_1100).AsInt32()
                    - Vector128.Create(unchecked((int)(1L << (62 - shift))));
            }
            (Vector128<long> vLo, Vector128<long> vHi) = Vector128.Widen(v);
            (Vector128<long> mLo, Vector128<long> mHi) = Vector128.Widen(multiplier);
            Vector128<long> round = Vector128.Create((1L << shift) >> 1);
            return Vector128.Narrow(Vector128.ShiftRightArithmetic(vLo * mLo + round, shift), Vector128.ShiftRightArithmetic(vHi * mHi + round, shift));
        }

        /// <summary>y[j] = (float)(acc[j] + bias[j]) * scale[j] for j &lt; count; bias may be null. IEEE conversion and multiply: the same bits on every path.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static void StoreFloat(int* acc, int* bias, float* y, int count, float* scale)
        {
            int j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; j + 8 <= count; j += 8)
                {
                    Vector256<int> v = Vector256.Load(acc + j);
                    if (bias != null) v += Vector256.Load(bias + j);
                    (Vector256.ConvertToSingle(v) * Vector256.Load(scale + j)).Store(y + j);
                }
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                for (; j + 4 <= count; j += 4)
                {
                    Vector128<int> v = Vector128.Load(acc + j);
                    if (bias != null) v += Vector128.Load(bias + j);
                    (Vector128.ConvertToSingle(v) * Vector128.Load(scale + j)).Store(y + j);
                }
            }
            for (; j < count; j++)
            {
                int v = acc[j];
                if (bias != null) v += bias[j];
                y[j] = (float)v * scale[j];
            }
        }

        /// <summary>Scalar R(v, multiplier, shift).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Apply(int v, int multiplier, int shift) =>
            (int)(((long)v * multiplier + (1L << (30 + shift))) >> (31 + shift));

        /// <summary>clamp(zp + r, qmin, qmax), zp + r in int32 arithmetic (wrapping, as vpaddd and the compiler's evaluator do).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static byte Output(int r, int zp, int qmin, int qmax)
        {
            int v = unchecked(zp + r);
            return (byte)(v < qmin ? qmin : v > qmax ? qmax : v);
        }

        /// <summary>Stores 8 int32 lanes already clamped to [0, 255] as bytes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void StoreBytes(Vector256<int> v, byte* y)
        {
            Vector128<short> s = Sse2.PackSignedSaturate(v.GetLower(), v.GetUpper());
            Unsafe.WriteUnaligned(y, Sse2.PackUnsignedSaturate(s, s).AsUInt64().ToScalar());
        }

        /// <summary>Stores 4 int32 lanes already clamped to [0, 255] as bytes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void StoreBytes(Vector128<int> v, byte* y)
        {
            Vector128<ushort> s = Vector128.Narrow(v.AsUInt32(), v.AsUInt32());
            Unsafe.WriteUnaligned(y, Vector128.Narrow(s, s).AsUInt32().ToScalar());
        }
    }

    /// <summary>
    /// Rc (<see cref="Requantization.ApplyChannel(int, int, int)"/>) on 8 lanes with AVX2 for one layer's shift s, with
    /// the constants made once per kernel call. vpmuldq gives the 64-bit products of the even lanes (of the odd ones
    /// after vpshufd moves them down). AVX2 has no 64-bit arithmetic shift, so 2^62 (a multiple of 2^s) is added to make
    /// each sum non-negative as an unsigned number, one vpsrlq by s divides, and 2^(62 − s) is taken off the 32-bit
    /// result (0 modulo 2^32 for s &lt; 31): exact for every int32 v.
    /// <para>
    /// Layers with s ≥ 33 (the usual case: real multipliers below 2^−2) take a shorter form. With p = v · m = H · 2^32 + L
    /// (0 ≤ L &lt; 2^32, |H| ≤ 2^30) and t = s − 32, Rc = floor((H + 2^(t−1) + L / 2^32) / 2^t) = (H + 2^(t−1)) &gt;&gt; t, since
    /// the fraction L / 2^32 never reaches the next multiple of 2^t. So only the high words of the products are needed,
    /// and zp is added before the shift as zp · 2^t (exact, and no int32 overflow when (|zp| + 1) · 2^t ≤ 2^30):
    /// 7 instructions per 8 lanes instead of 10.
    /// </para>
    /// </summary>
    internal readonly struct ChannelRequantAvx2
    {
        private readonly Vector256<long> _round;
        private readonly Vector128<long> _count;
        private readonly Vector256<int> _zeroPointMinusOffset;
        private readonly Vector256<int> _min;
        private readonly Vector256<int> _max;
        private readonly Vector256<byte> _min8;
        private readonly Vector256<byte> _max8;
        private readonly bool _highWords;
        private readonly Vector128<int> _highWordCount;
        private readonly Vector256<int> _highWordOffset;

        public ChannelRequantAvx2(int shift, int zp, int qmin, int qmax)
        {
            int t = shift - 32;
            _highWords = t >= 1 && (Math.Abs((long)zp) + 1) << t <= 1L << 30;
            _highWordCount = Vector128.CreateScalar(_highWords ? t : 0);
            _highWordOffset = Vector256.Create(_highWords ? (1 << (t - 1)) + zp * (1 << t) : 0);
            _round = Vector256.Create((1L << 62) + ((1L << shift) >> 1));
            _count = Vector128.CreateScalar((long)shift);
            _zeroPointMinusOffset = Vector256.Create(unchecked(zp - (int)(1L << (62 - shift))));
            _min = Vector256.Create(qmin);
            _max = Vector256.Create(qmax);
            _min8 = Vector256.Create((byte)qmin);
            _max8 = Vector256.Create((byte)qmax);
        }

        /// <summary>zp + Rc(v, m) per lane (int32 wrapping); mOdd is vpshufd(m, 0xF5), hoisted by callers that reuse one set of multipliers.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<int> ApplyWithZeroPoint(Vector256<int> v, Vector256<int> m, Vector256<int> mOdd)
        {
            if (_highWords)
            {
                // The high words of the even lanes' products moved down, the odd lanes' already in place.
                Vector256<int> high = Avx2.Blend(Avx2.ShiftRightLogical(Avx2.Multiply(v, m), 32).AsInt32(),
                    Avx2.Multiply(Avx2.Shuffle(v, 0xF5), mOdd).AsInt32(), 0b1010_1010);
                return Avx2.ShiftRightArithmetic(high + _highWordOffset, _highWordCount);
            }
            Vector256<long> even = Avx2.ShiftRightLogical(Avx2.Multiply(v, m) + _round, _count);
            Vector256<long> odd = Avx2.ShiftRightLogical(Avx2.Multiply(Avx2.Shuffle(v, 0xF5), mOdd) + _round, _count);
            return Avx2.Blend(even.AsInt32(), Avx2.ShiftLeftLogical(odd, 32).AsInt32(), 0b1010_1010) + _zeroPointMinusOffset;
        }

        /// <summary>clamp(zp + Rc(v, m), qmin, qmax) per lane.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<int> Output(Vector256<int> v, Vector256<int> m, Vector256<int> mOdd) =>
            Vector256.Min(Vector256.Max(ApplyWithZeroPoint(v, m, mOdd), _min), _max);

        /// <summary>
        /// Four rows of 8 int32 (zp + Rc) as 4 × 8 bytes clamped to [qmin, qmax], row r in 64-bit element r: the saturating
        /// packs clamp to [0, 255] (vpackssdw, vpackuswb), one byte min/max applies [qmin, qmax], vpermd restores row order.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<ulong> PackRows(Vector256<int> r0, Vector256<int> r1, Vector256<int> r2, Vector256<int> r3)
        {
            // Per 128-bit lane: r0[0..3] r1[0..3] r2[0..3] r3[0..3] | the same for columns 4..7.
            Vector256<byte> bytes = Avx2.PackUnsignedSaturate(Avx2.PackSignedSaturate(r0, r1), Avx2.PackSignedSaturate(r2, r3));
            bytes = Avx2.Min(Avx2.Max(bytes, _min8), _max8);
            return Avx2.PermuteVar8x32(bytes.AsInt32(), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7)).AsUInt64();
        }

        /// <summary>Two vectors of 8 int32 (zp + Rc, channels 0..7 and 8..15) as 16 bytes clamped to [qmin, qmax].</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<byte> Pack16(Vector256<int> lo, Vector256<int> hi)
        {
            Vector256<short> words = Avx2.Permute4x64(Avx2.PackSignedSaturate(lo, hi).AsInt64(), 0b11_01_10_00).AsInt16();
            Vector128<byte> bytes = Sse2.PackUnsignedSaturate(words.GetLower(), words.GetUpper());
            return Sse2.Min(Sse2.Max(bytes, _min8.GetLower()), _max8.GetLower());
        }
    }
}
