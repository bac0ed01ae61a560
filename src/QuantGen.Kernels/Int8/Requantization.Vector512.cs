// Rc (Requantization.ApplyChannel) on 16 int32 lanes: the 512-bit integer kernels' requantization, the same bits.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;

    /// <summary>
    /// Rc(v, multiplier, shift) = (int)(((long)v · multiplier + 2^(shift − 1)) &gt;&gt; shift) per lane for one layer's shift,
    /// constants made once per call, then clamp(zp + Rc, qmin, qmax). vpmuldq gives the exact 64-bit products of the even
    /// lanes (of the odd ones after moving them down); AVX-512 has the 64-bit arithmetic shift AVX2 lacks, so no offset is
    /// needed. Layers with shift ≥ 33 take the high-word form of <see cref="ChannelRequantAvx2"/> (only the products' high
    /// words count, zp folded in before the shift): 7 instructions per 16 lanes instead of 9.
    /// </summary>
    internal readonly struct ChannelRequant512
    {
        private readonly Vector512<long> _round;
        private readonly int _shift;
        private readonly Vector512<int> _zeroPoint;
        private readonly Vector512<int> _min;
        private readonly Vector512<int> _max;
        private readonly bool _highWords;
        private readonly int _highWordCount;
        private readonly Vector512<int> _highWordOffset;

        public ChannelRequant512(int shift, int zp, int qmin, int qmax)
        {
            int t = shift - 32;
            _highWords = t >= 1 && (Math.Abs((long)zp) + 1) << t <= 1L << 30;
            _highWordCount = _highWords ? t : 0;
            _highWordOffset = Vector512.Create(_highWords ? (1 << (t - 1)) + zp * (1 << t) : 0);
            _round = Vector512.Create((1L << shift) >> 1);
            _shift = shift;
            _zeroPoint = Vector512.Create(zp);
            _min = Vector512.Create(qmin);
            _max = Vector512.Create(qmax);
        }

        /// <summary>The odd lanes moved down (vpshufd 0xF5), hoisted by callers that reuse one set of multipliers.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<int> OddLanes(Vector512<int> v) =>
            Vector512.Shuffle(v, Vector512.Create(1, 1, 3, 3, 5, 5, 7, 7, 9, 9, 11, 11, 13, 13, 15, 15));

        /// <summary>zp + Rc(v, m) per lane (int32 wrapping); mOdd is <see cref="OddLanes"/>(m).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<int> ApplyWithZeroPoint(Vector512<int> v, Vector512<int> m, Vector512<int> mOdd)
        {
            Vector512<long> even = Avx512Instructions.MultiplyEvenLanes(v, m);
            Vector512<long> odd = Avx512Instructions.MultiplyEvenLanes(OddLanes(v), mOdd);
            Vector512<int> oddMask = Vector512.Create(0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1);
            if (_highWords)
            {
                // The high words of the even lanes' products moved down, the odd lanes' already in place.
                Vector512<int> high = Vector512.ConditionalSelect(oddMask, odd.AsInt32(), Vector512.ShiftRightLogical(even, 32).AsInt32());
                return Vector512.ShiftRightArithmetic(high + _highWordOffset, _highWordCount);
            }
            even = Vector512.ShiftRightArithmetic(even + _round, _shift);
            odd = Vector512.ShiftRightArithmetic(odd + _round, _shift);
            return Vector512.ConditionalSelect(oddMask, Vector512.ShiftLeft(odd, 32).AsInt32(), even.AsInt32()) + _zeroPoint;
        }

        /// <summary>clamp(zp + Rc(v, m), qmin, qmax) per lane, as bytes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<byte> OutputBytes(Vector512<int> v, Vector512<int> m, Vector512<int> mOdd) =>
            Avx512Instructions.TruncateToBytes(Vector512.Min(Vector512.Max(ApplyWithZeroPoint(v, m, mOdd), _min), _max));
    }
}
