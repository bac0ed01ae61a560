// QG2013: a NativeAOT publish for x64 without IlcInstructionSet is told what the baseline CPU costs and how to choose.
// Runs only the warning's target of build/QuantGen.targets on a small project (a child `dotnet msbuild`, a few seconds).
using System;
using System.IO;
using QuantGen.Tests;
using Xunit;

namespace QuantGen.EndToEnd.Tests
{
    public sealed class InstructionSetWarningTests : IDisposable
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
        private readonly string _project = Path.Combine(Path.GetTempPath(), "quantgen-isa-" + Guid.NewGuid().ToString("N").Substring(0, 8));

        public InstructionSetWarningTests() => Directory.CreateDirectory(_project);

        public void Dispose() => Directory.Delete(_project, recursive: true);

        private ProcessResult Check(string targetFramework, bool withModel, params string[] properties)
        {
            string build = Path.Combine(RepoPaths.Root, "build");
            File.WriteAllText(Path.Combine(_project, "app.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <Import Project="{Path.Combine(build, "QuantGen.props")}" />
                  <PropertyGroup><TargetFramework>{targetFramework}</TargetFramework><OutputType>Exe</OutputType></PropertyGroup>
                  <ItemGroup>{(withModel ? "<QuantGenModel Include=\"model.onnx\" />" : "")}</ItemGroup>
                  <Import Project="{Path.Combine(build, "QuantGen.targets")}" />
                </Project>
                """);
            var arguments = new System.Collections.Generic.List<string> { "msbuild", "app.csproj", "-t:QuantGenCheckInstructionSet", "-nologo", "-nodeReuse:false" };
            foreach (string p in properties) arguments.Add("-p:" + p);
            ProcessResult result = ChildProcess.Dotnet(_project, Timeout, arguments.ToArray());
            Assert.True(result.ExitCode == 0, result.ToString());
            return result;
        }

        [Theory]
        [InlineData("net10.0", "x86-64-v3", "x86-64-v4")]
        [InlineData("net8.0", "x86-x64-v3", "x86-x64-v4")]
        public void PublishAotForX64WithoutAnInstructionSetWarns(string targetFramework, string avx2Level, string avx512Level)
        {
            ProcessResult result = Check(targetFramework, withModel: true, "PublishAot=true", "RuntimeIdentifier=linux-x64");
            Assert.Contains("warning QG2013", result.Output);
            // The effect, the measured cost and the fix in the names this framework's compiler takes.
            Assert.Contains("128-bit kernels", result.Output);
            Assert.Contains("slower", result.Output);
            Assert.Contains(avx2Level, result.Output);
            Assert.Contains(avx512Level, result.Output);
        }

        [Theory]
        [InlineData("PublishAot=true", "RuntimeIdentifier=linux-x64", "IlcInstructionSet=native")]   // a choice was made
        [InlineData("PublishAot=true", "RuntimeIdentifier=linux-arm64", "")]                          // Arm64 checks DotProd at run time
        [InlineData("PublishAot=false", "RuntimeIdentifier=linux-x64", "")]                           // the JIT compiles for the CPU it runs on
        public void OtherPublishesDoNotWarn(string aot, string rid, string isa)
        {
            ProcessResult result = Check("net10.0", withModel: true, isa.Length > 0 ? new[] { aot, rid, isa } : new[] { aot, rid });
            Assert.DoesNotContain("QG2013", result.Output);
        }

        [Fact]
        public void AProjectWithoutModelsDoesNotWarn()
        {
            ProcessResult result = Check("net10.0", withModel: false, "PublishAot=true", "RuntimeIdentifier=linux-x64");
            Assert.DoesNotContain("QG2013", result.Output);
        }
    }
}
