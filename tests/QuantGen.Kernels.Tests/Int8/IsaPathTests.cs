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
            _output.WriteLine($"Avx2 {Avx2.IsSupported}, Vector128 accelerated {Vector128.IsHardwareAccelerated}");
            if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX2") == "0") Assert.False(Avx2.IsSupported);
            if (Environment.GetEnvironmentVariable("DOTNET_EnableHWIntrinsic") == "0") Assert.False(Vector128.IsHardwareAccelerated);
        }
    }
}
