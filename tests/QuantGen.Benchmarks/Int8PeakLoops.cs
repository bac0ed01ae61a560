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

        // Each chain multiplies the running x (changed every step, so nothing is hoisted) by its own weight vector, read
        // from L1 as a kernel's weights are (distinct operands: the JIT cannot merge the ten products into one).
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static unsafe int Peak512(int iterations)
        {
            short* w = stackalloc short[10 * 32];
            for (int i = 0; i < 10 * 32; i++) w[i] = (short)(i % 255 - 127);
            Vector512<short> a = Vector512.Create((short)200);
            Vector512<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default, c8 = default, c9 = default;
            for (int i = 0; i < iterations; i++)
            {
                c0 += Avx512BW.MultiplyAddAdjacent(a, Vector512.Load(w)); c1 += Avx512BW.MultiplyAddAdjacent(a, Vector512.Load(w + 32));
                c2 += Avx512BW.MultiplyAddAdjacent(a, Vector512.Load(w + 64)); c3 += Avx512BW.MultiplyAddAdjacent(a, Vector512.Load(w + 96));
                c4 += Avx512BW.MultiplyAddAdjacent(a, Vector512.Load(w + 128)); c5 += Avx512BW.MultiplyAddAdjacent(a, Vector512.Load(w + 160));
                c6 += Avx512BW.MultiplyAddAdjacent(a, Vector512.Load(w + 192)); c7 += Avx512BW.MultiplyAddAdjacent(a, Vector512.Load(w + 224));
                c8 += Avx512BW.MultiplyAddAdjacent(a, Vector512.Load(w + 256)); c9 += Avx512BW.MultiplyAddAdjacent(a, Vector512.Load(w + 288));
                a += Vector512<short>.One;
            }
            return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9).ToScalar();
        }

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static unsafe int Peak256(int iterations)
        {
            short* w = stackalloc short[10 * 16];
            for (int i = 0; i < 10 * 16; i++) w[i] = (short)(i % 255 - 127);
            Vector256<short> a = Vector256.Create((short)200);
            Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default, c8 = default, c9 = default;
            for (int i = 0; i < iterations; i++)
            {
                c0 += Avx2.MultiplyAddAdjacent(a, Vector256.Load(w)); c1 += Avx2.MultiplyAddAdjacent(a, Vector256.Load(w + 16));
                c2 += Avx2.MultiplyAddAdjacent(a, Vector256.Load(w + 32)); c3 += Avx2.MultiplyAddAdjacent(a, Vector256.Load(w + 48));
                c4 += Avx2.MultiplyAddAdjacent(a, Vector256.Load(w + 64)); c5 += Avx2.MultiplyAddAdjacent(a, Vector256.Load(w + 80));
                c6 += Avx2.MultiplyAddAdjacent(a, Vector256.Load(w + 96)); c7 += Avx2.MultiplyAddAdjacent(a, Vector256.Load(w + 112));
                c8 += Avx2.MultiplyAddAdjacent(a, Vector256.Load(w + 128)); c9 += Avx2.MultiplyAddAdjacent(a, Vector256.Load(w + 144));
                a += Vector256<short>.One;
            }
            return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9).ToScalar();
        }

#if NET9_0_OR_GREATER
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static unsafe int PeakVnni(int iterations)
        {
            sbyte* w = stackalloc sbyte[10 * 32];
            for (int i = 0; i < 10 * 32; i++) w[i] = (sbyte)(i % 255 - 127);
            Vector256<byte> a = Vector256.Create((byte)200);
            Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default, c8 = default, c9 = default;
            for (int i = 0; i < iterations; i++)
            {
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, a, Vector256.Load(w)); c1 = AvxVnni.MultiplyWideningAndAdd(c1, a, Vector256.Load(w + 32));
                c2 = AvxVnni.MultiplyWideningAndAdd(c2, a, Vector256.Load(w + 64)); c3 = AvxVnni.MultiplyWideningAndAdd(c3, a, Vector256.Load(w + 96));
                c4 = AvxVnni.MultiplyWideningAndAdd(c4, a, Vector256.Load(w + 128)); c5 = AvxVnni.MultiplyWideningAndAdd(c5, a, Vector256.Load(w + 160));
                c6 = AvxVnni.MultiplyWideningAndAdd(c6, a, Vector256.Load(w + 192)); c7 = AvxVnni.MultiplyWideningAndAdd(c7, a, Vector256.Load(w + 224));
                c8 = AvxVnni.MultiplyWideningAndAdd(c8, a, Vector256.Load(w + 256)); c9 = AvxVnni.MultiplyWideningAndAdd(c9, a, Vector256.Load(w + 288));
                a += Vector256<byte>.One;
            }
            return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9).ToScalar();
        }
#endif
    }
}
