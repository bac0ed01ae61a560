// A model compiled as the QuantGen build compiles it, in memory: the task's work (ONNX → plan + weights), the source
// generator and the C# compiler (Roslyn, Release), timed apart; the assembly (with its weight resource) loaded and its
// Run wrapped in a delegate.
extern alias generator;

using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using QuantGen.Compiler.Pipeline;
using QuantGen.Onnx;
using QuantGen.Plan;
using QuantGen.Tests;
using QuantGenGenerator = generator::QuantGen.Generator.QuantGenGenerator;

namespace QuantGen.Trees.Benchmarks
{
    internal sealed class CompiledModel
    {
        public double TaskSeconds { get; private set; }
        public double CompileSeconds { get; private set; }

        /// <summary>CPU seconds (all threads) of the task and of the compile: on a shared machine, what a quiet one would take.</summary>
        public double TaskCpuSeconds { get; private set; }
        public double CompileCpuSeconds { get; private set; }
        public long AssemblyBytes { get; private set; }
        public long OnnxBytes { get; private set; }
        public int GeneratedLines { get; private set; }

        /// <summary>Run(features, label, probabilities) of the generated class (a batched binary classifier).</summary>
        public Action<float[], long[], float[]> Run { get; private set; } = null!;

        private static readonly CSharpParseOptions s_parse = new CSharpParseOptions(LanguageVersion.CSharp12);

        public static CompiledModel Build(string onnxPath, string className)
        {
            var result = new CompiledModel { OnnxBytes = new FileInfo(onnxPath).Length };
            var clock = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var graph = OnnxModelReader.Read(onnxPath);
            string resource = "Bench." + className + ".weights";
            var compiled = ModelCompiler.Compile(graph, new CompileOptions { Precision = Precision.Float32, ModelName = className, ResourceName = resource });
            if (!compiled.Succeeded) throw new InvalidOperationException(string.Join("; ", compiled.Diagnostics.Select(d => d.ToString())));
            string planText = PlanText.Write(compiled.Plan!);
            result.TaskSeconds = clock.Elapsed.TotalSeconds;
            result.TaskCpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;

            clock.Restart();
            cpu = Process.GetCurrentProcess().TotalProcessorTime;
            string adapter = "namespace Bench { public static class Adapter { private static readonly " + className + " s_model = new " + className + "();" +
                             " public static void Run(float[] x, long[] l, float[] p) => s_model.Run(x, l, p); } }";
            var compilation = CSharpCompilation.Create("Bench" + className, new[] { CSharpSyntaxTree.ParseText(adapter, s_parse) }, References.Value,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable,
                    optimizationLevel: OptimizationLevel.Release, deterministic: true));
            var texts = new List<Microsoft.CodeAnalysis.AdditionalText> { new InMemoryAdditionalText("/bench/" + className + ".plan", planText) };
            var options = new Dictionary<string, Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions>
            {
                ["/bench/" + className + ".plan"] = new DictionaryOptions(new Dictionary<string, string>
                {
                    ["build_metadata.AdditionalFiles.QuantGenPlan"] = "true",
                    ["build_metadata.AdditionalFiles.QuantGenClassName"] = className,
                    ["build_metadata.AdditionalFiles.QuantGenNamespace"] = "Bench",
                }),
            };
            CSharpGeneratorDriver.Create(new[] { new QuantGenGenerator().AsSourceGenerator() }, texts, s_parse,
                    new TestOptionsProvider(new DictionaryOptions(new Dictionary<string, string>()), options))
                .RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
            var model = output.SyntaxTrees.First(t => t.FilePath.EndsWith(className + ".g.cs", StringComparison.Ordinal));
            result.GeneratedLines = model.GetText().Lines.Count;
            // QUANTGEN_TREES_DUMP=<folder>: keep the plan and the generated class, to read what the measurement ran.
            string? dump = Environment.GetEnvironmentVariable("QUANTGEN_TREES_DUMP");
            if (!string.IsNullOrEmpty(dump))
            {
                Directory.CreateDirectory(dump);
                File.WriteAllText(Path.Combine(dump, className + ".plan"), planText);
                File.WriteAllText(Path.Combine(dump, className + ".g.cs"), model.GetText().ToString());
            }
            using var pe = new MemoryStream();
            var resources = compiled.Weights.Length > compiled.Plan!.Weights.InlineData.Length
                ? new[] { new ResourceDescription(resource, () => new MemoryStream(compiled.Weights), true) }
                : Array.Empty<ResourceDescription>();
            var emitted = output.Emit(pe, manifestResources: resources);
            if (!emitted.Success) throw new InvalidOperationException(string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(5)));
            result.CompileSeconds = clock.Elapsed.TotalSeconds;
            result.CompileCpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            result.AssemblyBytes = pe.Length;
            var assembly = Assembly.Load(pe.ToArray());
            result.Run = assembly.GetType("Bench.Adapter")!.GetMethod("Run")!.CreateDelegate<Action<float[], long[], float[]>>();
            return result;
        }

        private static readonly Lazy<MetadataReference[]> References = new Lazy<MetadataReference[]>(() =>
        {
            string runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
            return ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
                .Where(p => Path.GetDirectoryName(p) == runtime).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray();
        });
    }
}
