// Which ISA path this process runs: proof that the DOTNET_Enable* settings of the CI runs reach the test host.
// (Speed is measured in benchmarks, not in unit tests.)
using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Kernels.Tests.Int8
{
    public class IsaPathTests
    {
        private readonly ITestOutputHelper _output;

        public IsaPathTests(ITestOutputHelper output) { _output = output; }

        [Fact]
        public void IsaSettingReachesTheTestHost()
        {
            // CI's test summary reads this line from the results file to name the instruction set of each kernel run.
            _output.WriteLine($"ISA path: {Path()} (Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, " +
                $"Vector128 {Vector128.IsHardwareAccelerated}, Avx512F {Avx512F.IsSupported}, Avx512BW {Avx512BW.IsSupported}, Avx2 {Avx2.IsSupported}, Fma {Fma.IsSupported}, " +
                $"AdvSimd {AdvSimd.IsSupported}, AVX-VNNI {DotProductInstructions.IsVnniAccelerated}, Arm64 DotProd {DotProductInstructions.IsArmDotAccelerated})");
            // .NET 8 and 9 read DOTNET_EnableAVX512F; .NET 10 reads only DOTNET_EnableAVX512 (one switch for F, BW, CD, DQ, VL),
            // so CI sets both: this fails if the one given does not reach the runtime in use.
            bool avx512Off = Environment.GetEnvironmentVariable("DOTNET_EnableAVX512F") == "0" || Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0";
            if (avx512Off)
            {
                Assert.False(Avx512F.IsSupported || Vector512.IsHardwareAccelerated, "AVX-512 is still on: .NET 10 needs DOTNET_EnableAVX512=0, .NET 8/9 DOTNET_EnableAVX512F=0");
                // The run is there to exercise the 256-bit kernels: on a CPU with AVX2 and FMA they must be what runs.
                if (CpuHas("avx2") && CpuHas("fma") && Environment.GetEnvironmentVariable("DOTNET_EnableAVX2") != "0"
                    && Environment.GetEnvironmentVariable("DOTNET_EnableHWIntrinsic") != "0")
                    Assert.Equal("Vector256 AVX2+FMA", Path());
            }
            if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX2") == "0") Assert.False(Avx2.IsSupported);
            if (Environment.GetEnvironmentVariable("DOTNET_EnableHWIntrinsic") == "0") Assert.False(Vector128.IsHardwareAccelerated);
        }

        /// <summary>Whether the CPU reports <paramref name="flag"/> (Linux /proc/cpuinfo; false elsewhere, where the check is skipped).</summary>
        private static bool CpuHas(string flag)
        {
            if (!System.IO.File.Exists("/proc/cpuinfo")) return false;
            foreach (string line in System.IO.File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("flags", StringComparison.Ordinal))
                    return Array.IndexOf(line.Substring(line.IndexOf(':') + 1).Split(' ', StringSplitOptions.RemoveEmptyEntries), flag) >= 0;
            return false;
        }

        /// <summary>The widest path the kernels take here (they test Vector512/256/128 acceleration, AVX-512BW, Avx2, Fma and AdvSimd).</summary>
        private static string Path() =>
            Vector512.IsHardwareAccelerated && Avx512BW.IsSupported ? "Vector512 AVX-512"
            : Vector256.IsHardwareAccelerated ? (Avx2.IsSupported && Fma.IsSupported ? "Vector256 AVX2+FMA" : "Vector256")
            : Vector128.IsHardwareAccelerated ? (AdvSimd.IsSupported ? "Vector128 AdvSimd" : "Vector128")
            : "scalar";
    }
}
