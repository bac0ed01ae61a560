// The expensive, shared work of the end-to-end tests: pack once, build each consumer once, record everything.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using QuantGen.Onnx;
using QuantGen.Onnx.Proto;

namespace QuantGen.EndToEnd.Tests
{
    /// <summary>
    /// Each stage is lazy so a test only pays for what it needs (the diagnostics tests need the package
    /// but not the 3.5 M-parameter build), and a failed stage fails every test that needs it with the
    /// child process's full output. Set QUANTGEN_E2E_KEEP=1 to keep the temporary folder for inspection.
    /// </summary>
    public sealed class PackagedQuantGenFixture : IDisposable
    {
        /// <summary>Reference model folder (tests/assets/models/…) → the ClassName the consumer gives it.</summary>
        public static readonly IReadOnlyList<(string Model, string ClassName)> Models = new[]
        {
            ("clinical-mlp", "ClinicalMlp"),
            ("digits-cnn", "DigitsCnn"),
            ("mobilenetv2-digits", "MobileNetV2Digits"),
            ("mobilenetv2-224", "MobileNetV2x224"),
        };

        public const string PackageVersion = "0.1.0";

        private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(15);
        private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(20);
        private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(10);

        private readonly Lazy<ProcessResult> _pack;
        private readonly Lazy<ConsumerResults> _consumer;
        private readonly Lazy<(ProcessResult Build, ProcessResult Run)> _internalsPair;
        private readonly Dictionary<string, ProcessResult> _badBuilds = new Dictionary<string, ProcessResult>();
        private bool _badConsumerWritten;

        public PackagedQuantGenFixture()
        {
            RepoRoot = FindRepoRoot();
            WorkRoot = Path.Combine(Path.GetTempPath(), "quantgen-e2e-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            Directory.CreateDirectory(WorkRoot);
            // Stop MSBuild's upward search for Directory.Build.* at the work folder: consumers live "outside any repo".
            File.WriteAllText(Path.Combine(WorkRoot, "Directory.Build.props"), "<Project />\n");
            File.WriteAllText(Path.Combine(WorkRoot, "Directory.Build.targets"), "<Project />\n");
            // Source mapping: "QuantGen" only ever comes from the package just built, never from a public feed.
            File.WriteAllText(Path.Combine(WorkRoot, "NuGet.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="quantgen-e2e" value="{FeedDirectory}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                  <packageSourceMapping>
                    <packageSource key="quantgen-e2e">
                      <package pattern="QuantGen" />
                    </packageSource>
                    <packageSource key="nuget.org">
                      <package pattern="*" />
                    </packageSource>
                  </packageSourceMapping>
                </configuration>
                """);
            _pack = new Lazy<ProcessResult>(Pack);
            _consumer = new Lazy<ConsumerResults>(BuildAndRunConsumer);
            _internalsPair = new Lazy<(ProcessResult, ProcessResult)>(BuildAndRunInternalsPair);
        }

        public string RepoRoot { get; }

        public string WorkRoot { get; }

        public string FeedDirectory => Path.Combine(WorkRoot, "feed");

        /// <summary>A package folder of its own, so a QuantGen 0.1.0 cached from an earlier build is never used.</summary>
        public string PackagesDirectory => Path.Combine(WorkRoot, "packages");

        public string PackagePath => Path.Combine(FeedDirectory, $"QuantGen.{PackageVersion}.nupkg");

        public ProcessResult PackResult => _pack.Value;

        public ConsumerResults Consumer => _consumer.Value;

        /// <summary>Builds the small "bad" consumer with one of its cases (see <see cref="WriteBadConsumer"/>); expected to fail.</summary>
        public ProcessResult BuildBadConsumer(string testCase)
        {
            lock (_badBuilds)
            {
                if (_badBuilds.TryGetValue(testCase, out var cached)) return cached;
                _ = PackResult;
                string dir = Path.Combine(WorkRoot, "bad");
                if (!_badConsumerWritten)
                {
                    WriteBadConsumer(dir);
                    _badConsumerWritten = true;
                }
                var result = ChildProcess.Dotnet(dir, BuildTimeout, "build", "-c", "Release", "-nodeReuse:false", $"-p:QuantGenCase={testCase}");
                _badBuilds.Add(testCase, result);
                return result;
            }
        }

        public string BadConsumerDirectory => Path.Combine(WorkRoot, "bad");

        /// <summary>The build (and one run) of <see cref="WriteInternalsPair"/>: two projects with models, one seeing the other's internals.</summary>
        public (ProcessResult Build, ProcessResult Run) InternalsPair => _internalsPair.Value;

        private (ProcessResult, ProcessResult) BuildAndRunInternalsPair()
        {
            _ = PackResult;
            string dir = Path.Combine(WorkRoot, "internals");
            WriteInternalsPair(dir);
            var build = ChildProcess.Dotnet(Path.Combine(dir, "App"), BuildTimeout, "build", "-c", "Release", "-nodeReuse:false");
            if (build.ExitCode != 0) return (build, build);
            var run = ChildProcess.Run("dotnet", new[] { Path.Combine(dir, "App", "bin", "Release", "net10.0", "App.dll") }, dir, RunTimeout);
            return (build, run);
        }

        /// <summary>
        /// Library (clinical-mlp as Library.LibraryRisk, InternalsVisibleTo App) and App (clinical-mlp as App.AppRisk,
        /// referencing Library): both TreatWarningsAsErrors with nullable on, so a kernel type App sees twice (CS0436)
        /// fails the build. App runs both models on one input and exits 0 when they agree.
        /// </summary>
        private void WriteInternalsPair(string dir)
        {
            string model = Path.Combine(RepoRoot, "tests", "assets", "models", "clinical-mlp", "model.onnx");
            string Project(string sdkType, string name, string extra) => $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    {sdkType}
                    <TargetFramework>net10.0</TargetFramework>
                    <RootNamespace>{name}</RootNamespace>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>disable</ImplicitUsings>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <RestorePackagesPath>{PackagesDirectory}</RestorePackagesPath>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="QuantGen" Version="{PackageVersion}" />
                    <QuantGenModel Include="models/clinical-mlp.onnx" ClassName="{name}Risk" Precision="Float32" />
                {extra}
                  </ItemGroup>
                </Project>
                """;
            foreach (string project in new[] { "Library", "App" })
            {
                Directory.CreateDirectory(Path.Combine(dir, project, "models"));
                File.Copy(model, Path.Combine(dir, project, "models", "clinical-mlp.onnx"));
            }
            File.WriteAllText(Path.Combine(dir, "Library", "Library.csproj"),
                Project("<OutputType>Library</OutputType>", "Library", """    <InternalsVisibleTo Include="App" />"""));
            File.WriteAllText(Path.Combine(dir, "Library", "Anchor.cs"), "namespace Library;\n\n/// <summary>Keeps the library non-empty.</summary>\npublic static class Anchor { }\n");
            File.WriteAllText(Path.Combine(dir, "App", "App.csproj"),
                Project("<OutputType>Exe</OutputType>", "App", """    <ProjectReference Include="../Library/Library.csproj" />"""));
            File.WriteAllText(Path.Combine(dir, "App", "Program.cs"), """
                // Both models, from two assemblies each carrying its own kernels, on the same sample.
                using System;

                var features = new float[30];
                for (int i = 0; i < features.Length; i++) features[i] = 0.5f * i;
                float[] mine = new float[2], theirs = new float[2];
                new App.AppRisk().Run(features, mine);
                new Library.LibraryRisk().Run(features, theirs);
                Console.WriteLine($"App {mine[0]} {mine[1]}, Library {theirs[0]} {theirs[1]}");
                return mine[0] == theirs[0] && mine[1] == theirs[1] && Math.Abs(mine[0] + mine[1] - 1) < 1e-5 ? 0 : 1;
                """);
        }

        private ProcessResult Pack()
        {
            string project = Path.Combine(RepoRoot, "src", "QuantGen.Package", "QuantGen.Package.csproj");
            var result = ChildProcess.Dotnet(RepoRoot, PackTimeout, "pack", project, "-c", "Release", "-o", FeedDirectory, "-nodeReuse:false");
            if (result.ExitCode != 0 || !File.Exists(PackagePath))
                throw new InvalidOperationException($"Packing QuantGen failed (expected {PackagePath}).\n{result}");
            return result;
        }

        private ConsumerResults BuildAndRunConsumer()
        {
            _ = PackResult;
            string dir = Path.Combine(WorkRoot, "consumer");
            var runArguments = WriteConsumer(dir);
            string generated = Path.Combine(dir, "obj", "generated");
            string[] build = { "build", "-c", "Release", "-nodeReuse:false", "-v:n" };

            var cold = ChildProcess.Dotnet(dir, BuildTimeout, build);
            if (cold.ExitCode != 0) throw new InvalidOperationException($"The packaged consumer did not build.\n{cold}");
            string firstGenerated = Path.Combine(WorkRoot, "generated-first-build");
            CopyDirectory(generated, firstGenerated);

            string exe = Path.Combine(dir, "bin", "Release", "net10.0", "Consumer.dll");
            var run = ChildProcess.Run("dotnet", new[] { exe }.Concat(runArguments), dir, RunTimeout);

            // Nothing changed: the compile target must be skipped.
            var noOp = ChildProcess.Dotnet(dir, BuildTimeout, build);
            if (noOp.ExitCode != 0) throw new InvalidOperationException($"The no-op rebuild failed.\n{noOp}");

            // From scratch again: the generated sources must come out byte for byte the same.
            Directory.Delete(Path.Combine(dir, "bin"), recursive: true);
            Directory.Delete(Path.Combine(dir, "obj"), recursive: true);
            var clean = ChildProcess.Dotnet(dir, BuildTimeout, build);
            if (clean.ExitCode != 0) throw new InvalidOperationException($"The second clean build failed.\n{clean}");

            return new ConsumerResults(cold, run, noOp, clean, firstGenerated, generated, Path.Combine(dir, "bin", "Release", "net10.0"));
        }

        /// <summary>Writes the consumer project and its test vectors; returns the run arguments (model input expected)….</summary>
        private List<string> WriteConsumer(string dir)
        {
            Directory.CreateDirectory(Path.Combine(dir, "models"));
            var items = new List<string>();
            var runArguments = new List<string>();
            foreach (var (model, className) in Models)
            {
                string source = Path.Combine(RepoRoot, "tests", "assets", "models", model);
                File.Copy(Path.Combine(source, "model.onnx"), Path.Combine(dir, "models", model + ".onnx"));
                items.Add($"""    <QuantGenModel Include="models/{model}.onnx" ClassName="{className}" Precision="Float32" />""");
                foreach (string set in Directory.GetDirectories(source, "test_data_set_*").OrderBy(d => d, StringComparer.Ordinal))
                {
                    string vectors = Path.Combine(dir, "vectors", model, Path.GetFileName(set));
                    Directory.CreateDirectory(vectors);
                    string input = Path.Combine(vectors, "input.f32");
                    string expected = Path.Combine(vectors, "expected.f32");
                    WriteFloats(input, TensorFile.Read(Path.Combine(set, "input_0.pb")).Floats);
                    WriteFloats(expected, TensorFile.Read(Path.Combine(set, "output_0.pb")).Floats);
                    runArguments.AddRange(new[] { model, input, expected });
                }
            }
            File.Copy(Path.Combine(AppContext.BaseDirectory, "Consumer", "Program.cs"), Path.Combine(dir, "Program.cs"));
            File.WriteAllText(Path.Combine(dir, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <RootNamespace>Consumer</RootNamespace>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>disable</ImplicitUsings>
                    <!-- Generated code must compile warning-free in a strict project. -->
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <RestorePackagesPath>{PackagesDirectory}</RestorePackagesPath>
                    <EmitCompilerGeneratedFiles>true</EmitCompilerGeneratedFiles>
                    <CompilerGeneratedFilesOutputPath>$(BaseIntermediateOutputPath)generated</CompilerGeneratedFilesOutputPath>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="QuantGen" Version="{PackageVersion}" />
                {string.Join("\n", items)}
                  </ItemGroup>
                </Project>
                """);
            return runArguments;
        }

        /// <summary>
        /// A consumer whose one model is chosen by -p:QuantGenCase: "truncated" (half an .onnx file → QG0002),
        /// "unsupported" (clinical-mlp with its Relu renamed to an op nobody implements → QG0003),
        /// "precision" (Precision="Int4" → QG2001), "duplicate" (two models, one ClassName → QG2002).
        /// </summary>
        private void WriteBadConsumer(string dir)
        {
            Directory.CreateDirectory(Path.Combine(dir, "models"));
            string clinical = Path.Combine(RepoRoot, "tests", "assets", "models", "clinical-mlp", "model.onnx");
            byte[] bytes = File.ReadAllBytes(clinical);
            File.WriteAllBytes(Path.Combine(dir, "models", "truncated.onnx"), bytes.AsSpan(0, bytes.Length / 2).ToArray());

            var model = ModelProto.Parser.ParseFrom(bytes);
            var relu = model.Graph.Node.First(n => n.OpType == "Relu");
            relu.OpType = UnsupportedOpType;
            UnsupportedNodeName = relu.Name;
            File.WriteAllBytes(Path.Combine(dir, "models", "unsupported-op.onnx"), Google.Protobuf.MessageExtensions.ToByteArray(model));
            File.Copy(clinical, Path.Combine(dir, "models", "clinical-mlp.onnx"));
            File.Copy(clinical, Path.Combine(dir, "models", "clinical_mlp.onnx"));

            File.WriteAllText(Path.Combine(dir, "Program.cs"), "return 0;\n");
            File.WriteAllText(Path.Combine(dir, "Bad.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <RestorePackagesPath>{PackagesDirectory}</RestorePackagesPath>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="QuantGen" Version="{PackageVersion}" />
                  </ItemGroup>
                  <ItemGroup Condition="'$(QuantGenCase)' == 'truncated'">
                    <QuantGenModel Include="models/truncated.onnx" Precision="Float32" />
                  </ItemGroup>
                  <ItemGroup Condition="'$(QuantGenCase)' == 'unsupported'">
                    <QuantGenModel Include="models/unsupported-op.onnx" Precision="Float32" />
                  </ItemGroup>
                  <ItemGroup Condition="'$(QuantGenCase)' == 'precision'">
                    <QuantGenModel Include="models/clinical-mlp.onnx" Precision="Int4" />
                  </ItemGroup>
                  <ItemGroup Condition="'$(QuantGenCase)' == 'duplicate'">
                    <QuantGenModel Include="models/clinical-mlp.onnx" Precision="Float32" />
                    <QuantGenModel Include="models/clinical_mlp.onnx" Precision="Float32" />
                  </ItemGroup>
                </Project>
                """);
        }

        public const string UnsupportedOpType = "QuantGenNoSuchOp";

        /// <summary>The ONNX node renamed to <see cref="UnsupportedOpType"/> (set once the bad consumer is written).</summary>
        public string UnsupportedNodeName { get; private set; } = "";

        private static void WriteFloats(string path, float[] values) =>
            File.WriteAllBytes(path, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

        private static void CopyDirectory(string from, string to)
        {
            foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            {
                string target = Path.Combine(to, Path.GetRelativePath(from, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }

        private static string FindRepoRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "build", "QuantGen.targets")) && Directory.Exists(Path.Combine(dir.FullName, "src")))
                    return dir.FullName;
            }
            throw new InvalidOperationException($"No repository root (with build/QuantGen.targets) above {AppContext.BaseDirectory}.");
        }

        public void Dispose()
        {
            if (Environment.GetEnvironmentVariable("QUANTGEN_E2E_KEEP") == "1") return;
            try
            {
                Directory.Delete(WorkRoot, recursive: true);
            }
            catch (IOException)
            {
                // A child process may still hold a file for a moment; the temp folder is cleaned eventually.
            }
        }
    }

    public sealed record ConsumerResults(
        ProcessResult ColdBuild, ProcessResult Run, ProcessResult NoOpBuild, ProcessResult CleanBuild,
        string FirstGeneratedDirectory, string SecondGeneratedDirectory, string OutputDirectory);
}
