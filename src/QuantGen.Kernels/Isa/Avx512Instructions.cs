// The AVX-512 instructions the 512-bit kernels use, each behind a method whose portable Vector512 form gives the same bits.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;
    using System.Runtime.Intrinsics.X86;

    /// <summary>
    /// One method per AVX-512 instruction a 512-bit kernel needs beyond the portable <see cref="Vector512"/> operators.
    /// The kernels take their 512-bit paths only where <see cref="Vector512.IsHardwareAccelerated"/> (and AVX-512BW for the
    /// integer ones); the portable forms exist so the same kernel code also runs, slowly and with the same bits, on any
    /// machine: the tests call the 512-bit paths directly under every DOTNET_Enable* setting, and check each portable form
    /// against its instruction where the CPU has it.
    /// </summary>
    internal static unsafe class Avx512Instructions
    {
        /// <summary>vpmaddwd: lane i = a[2i]·b[2i] + a[2i+1]·b[2i+1] in int32 (wrapping, reached only by two −32768² products).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<int> MultiplyAddPairs(Vector512<short> a, Vector512<short> b) =>
            Avx512BW.IsSupported ? Avx512BW.MultiplyAddAdjacent(a, b) : MultiplyAddPairsPortable(a, b);

        internal static Vector512<int> MultiplyAddPairsPortable(Vector512<short> a, Vector512<short> b)
        {
            (Vector512<int> aLo, Vector512<int> aHi) = Vector512.Widen(a);
            (Vector512<int> bLo, Vector512<int> bHi) = Vector512.Widen(b);
            Vector512<int> lo = aLo * bLo, hi = aHi * bHi;
            int* sums = stackalloc int[16];
            for (int i = 0; i < 8; i++)
            {
                sums[i] = unchecked(lo.GetElement(2 * i) + lo.GetElement(2 * i + 1));
                sums[8 + i] = unchecked(hi.GetElement(2 * i) + hi.GetElement(2 * i + 1));
            }
            return Vector512.Load(sums);
        }

        /// <summary>vpmovsxbw: the 32 int8 at p sign-extended to int16.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<short> SignExtendToInt16(sbyte* p) =>
            Avx512BW.IsSupported ? Avx512BW.ConvertToVector512Int16(Vector256.Load(p)) : SignExtendToInt16Portable(p);

        internal static Vector512<short> SignExtendToInt16Portable(sbyte* p)
        {
            (Vector256<short> lo, Vector256<short> hi) = Vector256.Widen(Vector256.Load(p));
            return Vector512.Create(lo, hi);
        }

        /// <summary>vpmovzxbw: the 32 uint8 at p zero-extended to int16.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<short> ZeroExtendToInt16(byte* p) =>
            Avx512BW.IsSupported ? Avx512BW.ConvertToVector512Int16(Vector256.Load(p)) : ZeroExtendToInt16Portable(p);

        internal static Vector512<short> ZeroExtendToInt16Portable(byte* p)
        {
            (Vector256<ushort> lo, Vector256<ushort> hi) = Vector256.Widen(Vector256.Load(p));
            return Vector512.Create(lo, hi).AsInt16();
        }

        /// <summary>vpmuldq: the signed 64-bit products of the even int32 lanes of a and b.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<long> MultiplyEvenLanes(Vector512<int> a, Vector512<int> b) =>
            Avx512F.IsSupported ? Avx512F.Multiply(a, b) : MultiplyEvenLanesPortable(a, b);

        internal static Vector512<long> MultiplyEvenLanesPortable(Vector512<int> a, Vector512<int> b) =>
            Vector512.ShiftRightArithmetic(Vector512.ShiftLeft(a.AsInt64(), 32), 32) * Vector512.ShiftRightArithmetic(Vector512.ShiftLeft(b.AsInt64(), 32), 32);

        /// <summary>vpermt2d: lane i = (indices[i] &amp; 16 ? upper : lower)[indices[i] &amp; 15].</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<int> PermuteTwo(Vector512<int> lower, Vector512<int> indices, Vector512<int> upper) =>
            Avx512F.IsSupported ? Avx512F.PermuteVar16x32x2(lower, indices, upper) : PermuteTwoPortable(lower, indices, upper);

        internal static Vector512<int> PermuteTwoPortable(Vector512<int> lower, Vector512<int> indices, Vector512<int> upper)
        {
            int* lanes = stackalloc int[16];
            for (int i = 0; i < 16; i++)
            {
                int index = indices.GetElement(i);
                lanes[i] = (index & 16) != 0 ? upper.GetElement(index & 15) : lower.GetElement(index & 15);
            }
            return Vector512.Load(lanes);
        }

        /// <summary>vpmovdb: the low byte of each int32 lane.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<byte> TruncateToBytes(Vector512<int> v) =>
            Avx512F.IsSupported ? Avx512F.ConvertToVector128Byte(v) : TruncateToBytesPortable(v);

        internal static Vector128<byte> TruncateToBytesPortable(Vector512<int> v)
        {
            Vector256<ushort> words = Vector256.Narrow(v.GetLower().AsUInt32(), v.GetUpper().AsUInt32());
            return Vector128.Narrow(words.GetLower(), words.GetUpper());
        }

        /// <summary>vfmadd231ps: a·b + c with one rounding, as the 256-bit FMA kernels compute each lane.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
            Avx512F.IsSupported ? Avx512F.FusedMultiplyAdd(a, b, c) : MultiplyAddPortable(a, b, c);

        internal static Vector512<float> MultiplyAddPortable(Vector512<float> a, Vector512<float> b, Vector512<float> c)
        {
            float* lanes = stackalloc float[16];
            for (int i = 0; i < 16; i++) lanes[i] = MathF.FusedMultiplyAdd(a.GetElement(i), b.GetElement(i), c.GetElement(i));
            return Vector512.Load(lanes);
        }
    }
}
