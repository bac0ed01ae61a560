// Which ISA path this process runs: proof that the DOTNET_Enable* settings of the CI runs reach the test host.
// (Speed is measured in benchmarks, not in unit tests.)
using System;
using System.Runtime.Intrinsics;
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
            _output.WriteLine($"Avx512BW {Avx512BW.IsSupported}, Vector512 accelerated {Vector512.IsHardwareAccelerated}, Avx2 {Avx2.IsSupported}, " +
                $"Vector128 accelerated {Vector128.IsHardwareAccelerated}, AVX-VNNI {DotProductInstructions.IsVnniAccelerated}, Arm64 DotProd {DotProductInstructions.IsArmDotAccelerated}");
            // .NET 8 and 9 read DOTNET_EnableAVX512F; .NET 10 reads only DOTNET_EnableAVX512 (one switch for F, BW, CD, DQ, VL),
            // so CI sets both: this fails if the one given does not reach the runtime in use.
            if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX512F") == "0" || Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0")
                Assert.False(Avx512F.IsSupported || Vector512.IsHardwareAccelerated, "AVX-512 is still on: .NET 10 needs DOTNET_EnableAVX512=0, .NET 8/9 DOTNET_EnableAVX512F=0");
            if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX2") == "0") Assert.False(Avx2.IsSupported);
            if (Environment.GetEnvironmentVariable("DOTNET_EnableHWIntrinsic") == "0") Assert.False(Vector128.IsHardwareAccelerated);
        }
    }
}
