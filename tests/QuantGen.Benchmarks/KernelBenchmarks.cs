// BenchmarkDotNet: the C# INT8 peak of this CPU and the INT8 GEMM shapes issue 17 measures against it.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// The INT8 peak (<see cref="Int8PeakLoops"/>) and, against it, the GEMMs are GemmU8S8.Run (the generated classes' kernel, requantization included) on m × k × n = 3136 × 576 × 64
    /// (a 3×3 convolution over 56×56×64) and 196 × 1152 × 128 (14×14×128).
    /// </summary>
    [MinColumn]
    public unsafe class KernelBenchmarks
    {
        private const int PeakIterations = 1_000_000;

        private Gemm _large = null!, _small = null!;

        [GlobalSetup]
        public void Setup()
        {
            _large = new Gemm(3136, 64, 576);
            _small = new Gemm(196, 128, 1152);
        }

        [GlobalCleanup]
        public void Cleanup()
        {
            _large.Dispose();
            _small.Dispose();
        }

        /// <summary>10 · 10^6 instructions of <see cref="Int8PeakLoops.Route"/>: GOP/s = 2 · 10^7 · its multiply-adds per instruction / time.</summary>
        [Benchmark]
        public int Int8Peak() => Int8PeakLoops.Run(PeakIterations);

        [Benchmark]
        public void Gemm3136x576x64() => _large.Run();

        [Benchmark]
        public void Gemm196x1152x128() => _small.Run();

        /// <summary>
        /// One GemmU8S8.Run of m × k × n on random operands (packed weights, per-channel requantization): the kernel the
        /// generator emitted into this assembly, in the namespace it gives this assembly's kernels (see Program.cs).
        /// </summary>
        private sealed class Gemm : IDisposable
        {
            private readonly int _m, _n, _k, _shift;
            private readonly byte* _x, _y;
            private readonly sbyte* _w;
            private readonly int* _bias, _multiplier;

            public Gemm(int m, int n, int k)
            {
                (_m, _n, _k, _shift) = (m, n, k, 40);
                long packed = (n + 15) / 16 * 16L * ((k + 3) / 4 * 4);
                var rng = new Random(m + n + k);
                _x = (byte*)NativeMemory.AlignedAlloc((nuint)m * (nuint)k, 64);
                _y = (byte*)NativeMemory.AlignedAlloc((nuint)m * (nuint)n, 64);
                _w = (sbyte*)NativeMemory.AlignedAlloc((nuint)packed, 64);
                _bias = (int*)NativeMemory.AlignedAlloc((nuint)n * sizeof(int), 64);
                _multiplier = (int*)NativeMemory.AlignedAlloc((nuint)n * sizeof(int), 64);
                for (long i = 0; i < (long)m * k; i++) _x[i] = (byte)rng.Next(256);
                for (long i = 0; i < packed; i++) _w[i] = (sbyte)rng.Next(-127, 128);
                for (int j = 0; j < n; j++) { _bias[j] = rng.Next(-100000, 100000); _multiplier[j] = rng.Next(1 << 29, 1 << 30); }
            }

            public double MultiplyAdds => (double)_m * _n * _k;

            public void Run() => QuantGen.Kernels.QuantGen_Benchmarks_095c8790.GemmU8S8.Run(_x, _w, _bias, _y, _multiplier, _shift, _m, _n, _k, 3, 0, 255);

            public void Dispose()
            {
                NativeMemory.AlignedFree(_x); NativeMemory.AlignedFree(_y); NativeMemory.AlignedFree(_w);
                NativeMemory.AlignedFree(_bias); NativeMemory.AlignedFree(_multiplier);
            }
        }
    }
}
