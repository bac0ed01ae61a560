// The SSE2/SSSE3 instructions the 128-bit x64 integer kernels use, each behind a method whose portable form gives the same bits.
namespace QuantGen.Kernels
{
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;
    using System.Runtime.Intrinsics.X86;

    /// <summary>
    /// For x64 CPUs without AVX2 (old PCs, and NativeAOT's default target): pmaddwd exists since SSE2, so the 128-bit
    /// INT8 GEMM can pair products the way the AVX2 one does instead of widening every product to int32. The portable
    /// forms let the same kernel run (slowly) and be tested on any machine.
    /// </summary>
    internal static unsafe class Sse2Instructions
    {
        /// <summary>pmaddwd: lane i = a[2i]·b[2i] + a[2i+1]·b[2i+1] in int32.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<int> MultiplyAddPairs(Vector128<short> a, Vector128<short> b) =>
            Sse2.IsSupported ? Sse2.MultiplyAddAdjacent(a, b) : MultiplyAddPairsPortable(a, b);

        internal static Vector128<int> MultiplyAddPairsPortable(Vector128<short> a, Vector128<short> b)
        {
            (Vector128<int> aLo, Vector128<int> aHi) = Vector128.Widen(a);
            (Vector128<int> bLo, Vector128<int> bHi) = Vector128.Widen(b);
            Vector128<int> lo = aLo * bLo, hi = aHi * bHi;
            return Vector128.Create(unchecked(lo.GetElement(0) + lo.GetElement(1)), unchecked(lo.GetElement(2) + lo.GetElement(3)),
                unchecked(hi.GetElement(0) + hi.GetElement(1)), unchecked(hi.GetElement(2) + hi.GetElement(3)));
        }

        /// <summary>phaddd: (a0 + a1, a2 + a3, b0 + b1, b2 + b3); SSE2 shuffles where SSSE3 is missing, the same sums.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<int> AddPairs(Vector128<int> a, Vector128<int> b)
        {
            if (Ssse3.IsSupported) return Ssse3.HorizontalAdd(a, b);
            if (Sse2.IsSupported)
            {
                // Even lanes of (a, b) plus odd lanes of (a, b): shufps picks two lanes of each operand.
                Vector128<float> af = a.AsSingle(), bf = b.AsSingle();
                return Sse.Shuffle(af, bf, 0b10_00_10_00).AsInt32() + Sse.Shuffle(af, bf, 0b11_01_11_01).AsInt32();
            }
            return AddPairsPortable(a, b);
        }

        internal static Vector128<int> AddPairsPortable(Vector128<int> a, Vector128<int> b) =>
            Vector128.Create(unchecked(a.GetElement(0) + a.GetElement(1)), unchecked(a.GetElement(2) + a.GetElement(3)),
                unchecked(b.GetElement(0) + b.GetElement(1)), unchecked(b.GetElement(2) + b.GetElement(3)));
    }
}
