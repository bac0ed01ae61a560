// The C# INT8 peak of this CPU: the fastest exact u8 × s8 → int32 multiply-accumulate C# can issue (shared by --fma-peak and KernelBenchmarks).
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// Exact means no int16 saturation, so vpmaddubsw does not count (its u8 · s8 pair sums overflow int16): AVX-VNNI
    /// vpdpbusd where present, else AVX-512BW vpmaddwd + vpaddd on int16-widened operands, else the same in 256 bits.
    /// Ten independent accumulator chains with operands in registers: the instruction throughput with nothing else in the
    /// way. One call of <see cref="Run"/> issues 10 · iterations instructions of <see cref="Route"/>.
    /// </summary>
    internal static class Int8PeakLoops
    {
        /// <summary>The instruction this CPU's peak is measured with, and the multiply-adds it does.</summary>
        public static (string Name, int MultiplyAdds) Route =>
#if NET9_0_OR_GREATER
            AvxVnni.IsSupported ? ("AVX-VNNI vpdpbusd ymm", 32) :
#endif
            Avx512BW.IsSupported && Vector512.IsHardwareAccelerated ? ("AVX-512BW vpmaddwd zmm + vpaddd", 32) :
            Avx2.IsSupported ? ("AVX2 vpmaddwd ymm + vpaddd", 16) : ("none", 0);

        public static int Run(int iterations)
        {
#if NET9_0_OR_GREATER
            if (AvxVnni.IsSupported) return PeakVnni(iterations);
#endif
            if (Avx512BW.IsSupported && Vector512.IsHardwareAccelerated) return Peak512(iterations);
            if (Avx2.IsSupported) return Peak256(iterations);
            throw new PlatformNotSupportedException("no exact INT8 multiply-add instruction on this CPU");
        }

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static int Peak512(int iterations)
        {
            Vector512<short> a = Vector512.Create((short)200), b = Vector512.Create((short)-3);
            Vector512<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default, c8 = default, c9 = default;
            for (int i = 0; i < iterations; i++)
            {
                c0 += Avx512BW.MultiplyAddAdjacent(a, b); c1 += Avx512BW.MultiplyAddAdjacent(a, b); c2 += Avx512BW.MultiplyAddAdjacent(a, b);
                c3 += Avx512BW.MultiplyAddAdjacent(a, b); c4 += Avx512BW.MultiplyAddAdjacent(a, b); c5 += Avx512BW.MultiplyAddAdjacent(a, b);
                c6 += Avx512BW.MultiplyAddAdjacent(a, b); c7 += Avx512BW.MultiplyAddAdjacent(a, b); c8 += Avx512BW.MultiplyAddAdjacent(a, b);
                c9 += Avx512BW.MultiplyAddAdjacent(a, b);
                a += Vector512<short>.One;   // a changes every step, so no product is hoisted out of the loop
            }
            return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9).ToScalar();
        }

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static int Peak256(int iterations)
        {
            Vector256<short> a = Vector256.Create((short)200), b = Vector256.Create((short)-3);
            Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default, c8 = default, c9 = default;
            for (int i = 0; i < iterations; i++)
            {
                c0 += Avx2.MultiplyAddAdjacent(a, b); c1 += Avx2.MultiplyAddAdjacent(a, b); c2 += Avx2.MultiplyAddAdjacent(a, b);
                c3 += Avx2.MultiplyAddAdjacent(a, b); c4 += Avx2.MultiplyAddAdjacent(a, b); c5 += Avx2.MultiplyAddAdjacent(a, b);
                c6 += Avx2.MultiplyAddAdjacent(a, b); c7 += Avx2.MultiplyAddAdjacent(a, b); c8 += Avx2.MultiplyAddAdjacent(a, b);
                c9 += Avx2.MultiplyAddAdjacent(a, b);
                a += Vector256<short>.One;
            }
            return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9).ToScalar();
        }

#if NET9_0_OR_GREATER
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static int PeakVnni(int iterations)
        {
            Vector256<byte> a = Vector256.Create((byte)200);
            Vector256<sbyte> b = Vector256.Create((sbyte)-3);
            Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default, c8 = default, c9 = default;
            for (int i = 0; i < iterations; i++)
            {
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, a, b); c1 = AvxVnni.MultiplyWideningAndAdd(c1, a, b); c2 = AvxVnni.MultiplyWideningAndAdd(c2, a, b);
                c3 = AvxVnni.MultiplyWideningAndAdd(c3, a, b); c4 = AvxVnni.MultiplyWideningAndAdd(c4, a, b); c5 = AvxVnni.MultiplyWideningAndAdd(c5, a, b);
                c6 = AvxVnni.MultiplyWideningAndAdd(c6, a, b); c7 = AvxVnni.MultiplyWideningAndAdd(c7, a, b); c8 = AvxVnni.MultiplyWideningAndAdd(c8, a, b);
                c9 = AvxVnni.MultiplyWideningAndAdd(c9, a, b);
            }
            return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9).ToScalar();
        }
#endif

    }
}
