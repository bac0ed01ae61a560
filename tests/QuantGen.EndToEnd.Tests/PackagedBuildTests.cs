// What a NuGet user gets: the packed QuantGen in a fresh consumer project outside the repository.
using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.EndToEnd.Tests
{
    [Trait("Category", "EndToEnd")]
    public sealed class PackagedBuildTests : IClassFixture<PackagedQuantGenFixture>
    {
        private readonly PackagedQuantGenFixture _fixture;
        private readonly ITestOutputHelper _output;

        public PackagedBuildTests(PackagedQuantGenFixture fixture, ITestOutputHelper output)
        {
            _fixture = fixture;
            _output = output;
        }

        [Fact]
        public void Package_HasTheToolingLayout()
        {
            _ = _fixture.PackResult;
            using var zip = ZipFile.OpenRead(_fixture.PackagePath);
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
            string Listing() => string.Join("\n", entries.OrderBy(e => e, StringComparer.Ordinal));

            foreach (string expected in new[]
            {
                "build/QuantGen.props", "build/QuantGen.targets",
                "buildTransitive/QuantGen.props", "buildTransitive/QuantGen.targets",
                "tasks/netstandard2.0/QuantGen.Build.dll", "tasks/netstandard2.0/QuantGen.Build.deps.json",
                "tasks/netstandard2.0/QuantGen.Compiler.dll", "tasks/netstandard2.0/QuantGen.Onnx.dll",
                "tasks/netstandard2.0/QuantGen.Plan.dll", "tasks/netstandard2.0/Google.Protobuf.dll",
                "tasks/netstandard2.0/System.Memory.dll",
                // MSBuild on .NET loads this build: the INT8 stage on the compiled-in kernels (QuantGen.Engine).
                "tasks/net8.0/QuantGen.Build.dll", "tasks/net8.0/QuantGen.Build.deps.json", "tasks/net8.0/QuantGen.Engine.dll",
                "tasks/net8.0/QuantGen.Compiler.dll", "tasks/net8.0/Google.Protobuf.dll",
                "analyzers/dotnet/cs/QuantGen.Generator.dll",
                "README.md",
            })
            {
                Assert.True(entries.Contains(expected), $"The package has no {expected}:\n{Listing()}");
            }
            // MSBuild provides its own assemblies; a second copy in tasks/ breaks task loading. Nothing goes in lib/.
            Assert.DoesNotContain(entries, e => e.StartsWith("tasks/netstandard2.0/Microsoft.Build", StringComparison.Ordinal));
            Assert.DoesNotContain(entries, e => e.StartsWith("tasks/net8.0/Microsoft.Build", StringComparison.Ordinal));
            Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal));

            string nuspec = new StreamReader(zip.GetEntry("QuantGen.nuspec")!.Open()).ReadToEnd();
            Assert.Contains("<developmentDependency>true</developmentDependency>", nuspec);
            Assert.DoesNotContain("<dependency ", nuspec);
        }

        [Fact]
        public void EveryModel_MatchesItsReferenceOutputs_WithoutAllocating()
        {
            var consumer = _fixture.Consumer;
            _output.WriteLine($"cold build of the consumer (4 models, incl. mobilenetv2-224): {consumer.ColdBuild.Elapsed.TotalSeconds:0.0} s");
            foreach (Match compiled in Regex.Matches(consumer.ColdBuild.Output, @"QuantGen: \S+\.onnx -> .*$", RegexOptions.Multiline))
                _output.WriteLine(compiled.Value.TrimEnd());
            _output.WriteLine(consumer.Run.Output);

            var results = Regex.Matches(consumer.Run.Output, @"^RESULT (\S+) (\S+) maxrel=(\S+) allocated=(\d+) (PASS|FAIL)", RegexOptions.Multiline);
            foreach (var (model, _) in PackagedQuantGenFixture.Models)
            {
                Assert.True(results.Any(m => m.Groups[1].Value == model), $"No result for {model}.\n{consumer.Run}");
            }
            foreach (Match m in results)
            {
                double maxRelativeError = double.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(maxRelativeError <= 1e-4, $"{m.Groups[1].Value} {m.Groups[2].Value}: max relative error {maxRelativeError:E3} > 1e-4.\n{consumer.Run}");
                Assert.True(m.Groups[4].Value == "0", $"{m.Groups[1].Value}: Run allocated {m.Groups[4].Value} bytes over 100 calls.\n{consumer.Run}");
            }
            Assert.True(consumer.Run.ExitCode == 0, consumer.Run.ToString());

            // No runtime library: the app ships only itself.
            var shipped = Directory.GetFiles(consumer.OutputDirectory, "*.dll").Select(Path.GetFileName).ToArray();
            Assert.True(shipped.SequenceEqual(new[] { "Consumer.dll" }), "Unexpected assemblies in the output: " + string.Join(", ", shipped));
        }

        [Fact]
        public void NoOpRebuild_CompilesNoModel()
        {
            var noOp = _fixture.Consumer.NoOpBuild;
            Assert.True(noOp.Output.Contains("Skipping target \"QuantGenCompileModels\" because all output files are up-to-date", StringComparison.Ordinal),
                "The no-op rebuild did not skip QuantGenCompileModels.\n" + noOp);
            Assert.False(Regex.IsMatch(noOp.Output, @"QuantGen: \S+\.onnx -> ", RegexOptions.Multiline),
                "The no-op rebuild compiled a model.\n" + noOp);
            Assert.Contains("Skipping target \"CoreCompile\"", noOp.Output);
        }

        [Fact]
        public void CleanBuilds_GenerateByteIdenticalSources()
        {
            var consumer = _fixture.Consumer;
            string[] Files(string root) => Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(root, f)).OrderBy(f => f, StringComparer.Ordinal).ToArray();
            var first = Files(consumer.FirstGeneratedDirectory);
            var second = Files(consumer.SecondGeneratedDirectory);

            Assert.True(first.Length >= PackagedQuantGenFixture.Models.Count, "Too few generated files:\n" + string.Join("\n", first));
            Assert.Equal(first, second);
            foreach (string file in first)
            {
                byte[] a = File.ReadAllBytes(Path.Combine(consumer.FirstGeneratedDirectory, file));
                byte[] b = File.ReadAllBytes(Path.Combine(consumer.SecondGeneratedDirectory, file));
                Assert.True(a.AsSpan().SequenceEqual(b), $"{file} differs between two clean builds.");
            }
        }

        [Fact]
        public void TwoProjectsWithModels_OneSeeingTheOthersInternals_BuildWarningFree()
        {
            var (build, run) = _fixture.InternalsPair;
            Assert.True(build.ExitCode == 0, $"Library + App (InternalsVisibleTo, TreatWarningsAsErrors) did not build.\n{build}");
            Assert.DoesNotContain("CS0436", build.Output);
            Assert.True(run.ExitCode == 0, $"App's two models disagree.\n{run}");
        }

        [Fact]
        public void TruncatedModel_FailsWithQG0002_NamingTheFile_WithoutStackTrace()
        {
            var build = _fixture.BuildBadConsumer("truncated");
            string model = Path.Combine(_fixture.BadConsumerDirectory, "models", "truncated.onnx");
            Assert.True(build.ExitCode != 0, build.ToString());
            AssertError(build, "QG0002", model);
            AssertNoStackTrace(build);
        }

        [Fact]
        public void UnsupportedOperator_FailsWithQG0003_NamingTheNode()
        {
            var build = _fixture.BuildBadConsumer("unsupported");
            string model = Path.Combine(_fixture.BadConsumerDirectory, "models", "unsupported-op.onnx");
            Assert.True(build.ExitCode != 0, build.ToString());
            string line = AssertError(build, "QG0003", model);
            Assert.True(line.Contains(_fixture.UnsupportedNodeName, StringComparison.Ordinal), $"QG0003 does not name the node '{_fixture.UnsupportedNodeName}':\n{line}");
            Assert.True(line.Contains(PackagedQuantGenFixture.UnsupportedOpType, StringComparison.Ordinal), $"QG0003 does not name the op type:\n{line}");
            AssertNoStackTrace(build);
        }

        [Fact]
        public void UnknownPrecision_FailsWithQG2001_ListingTheAllowedValues()
        {
            var build = _fixture.BuildBadConsumer("precision");
            Assert.True(build.ExitCode != 0, build.ToString());
            string line = AssertError(build, "QG2001", "clinical-mlp.onnx");
            Assert.Contains("Int4", line);
            Assert.Contains("Int8, Float32, Int8Dynamic", line);
        }

        [Fact]
        public void TwoModelsWithOneClassName_FailWithQG2002()
        {
            var build = _fixture.BuildBadConsumer("duplicate");
            Assert.True(build.ExitCode != 0, build.ToString());
            string line = AssertError(build, "QG2002", "clinical_mlp.onnx");
            Assert.Contains("ClinicalMlp", line);
        }

        /// <summary>Finds the MSBuild error line "file : QuantGen error ID: message" and returns it.</summary>
        private static string AssertError(ProcessResult build, string id, string file)
        {
            string? line = build.Output.Split('\n').FirstOrDefault(l => l.Contains($"error {id}:", StringComparison.Ordinal));
            Assert.True(line != null, $"No error {id} in the build output.\n{build}");
            Assert.True(line!.Contains(file, StringComparison.Ordinal), $"Error {id} does not name {file}:\n{line}");
            return line;
        }

        private static void AssertNoStackTrace(ProcessResult build) =>
            Assert.False(Regex.IsMatch(build.Output, @"^\s+at [\w.`<>\[\]]+\(", RegexOptions.Multiline), "The build output has a stack trace.\n" + build);
    }
}
