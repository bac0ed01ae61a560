// Runs the generator the way the compiler does (in-memory additional files and item metadata) and
// compiles/loads what it produced against the running runtime's assemblies.
extern alias generator;

using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using QuantGen.Tests;
using QuantGenGenerator = generator::QuantGen.Generator.QuantGenGenerator;

namespace QuantGen.Generator.Tests
{
    public static class GeneratorHarness
    {
        public const string TestVersion = "9.9.9-test";

        /// <summary>C# 12: the generated code and kernels must compile for net8.0 projects.</summary>
        public static readonly CSharpParseOptions ParseOptions = new CSharpParseOptions(LanguageVersion.CSharp12, DocumentationMode.Diagnose);

        private static readonly Lazy<MetadataReference[]> s_references = new Lazy<MetadataReference[]>(() =>
        {
            // The runtime's own assemblies (not the test's dependencies), as a net10.0 project would reference them.
            string runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
            string tpa = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
            return tpa.Split(Path.PathSeparator)
                .Where(p => string.Equals(Path.GetDirectoryName(p), runtimeDirectory, StringComparison.Ordinal))
                .OrderBy(p => p, StringComparer.Ordinal)
                .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
                .ToArray();
        });

        /// <summary>The assembly every test compilation is named (the kernels' namespace derives from it, so baselines must not vary).</summary>
        public const string AssemblyName = "QuantGenTest";

        public static CSharpCompilation CreateCompilation(bool allowUnsafe = true, params string[] sources) =>
            CreateCompilation(AssemblyName, allowUnsafe, sources);

        public static CSharpCompilation CreateCompilation(string assemblyName, bool allowUnsafe, params string[] sources) =>
            CSharpCompilation.Create(
                assemblyName,
                sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: "Source" + i + ".cs")),
                s_references.Value,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary,
                    allowUnsafe: allowUnsafe,
                    nullableContextOptions: NullableContextOptions.Enable,
                    optimizationLevel: OptimizationLevel.Release,
                    warningLevel: 9999,
                    deterministic: true));

        public static GeneratorDriver CreateDriver(IEnumerable<PlanFile> plans, string? version = TestVersion) =>
            CreateDriver(plans, version, out _);

        /// <summary>A driver over <paramref name="plans"/> (their metadata is looked up by path, so a replaced text keeps it).</summary>
        public static GeneratorDriver CreateDriver(IEnumerable<PlanFile> plans, string? version, out List<AdditionalText> texts)
        {
            texts = new List<AdditionalText>();
            var options = new Dictionary<string, AnalyzerConfigOptions>(StringComparer.Ordinal);
            foreach (PlanFile plan in plans)
            {
                texts.Add(new InMemoryAdditionalText(plan.Path, plan.Text));
                var metadata = new Dictionary<string, string>();
                if (plan.IsPlan) metadata["build_metadata.AdditionalFiles.QuantGenPlan"] = "true";
                if (plan.ClassName is not null) metadata["build_metadata.AdditionalFiles.QuantGenClassName"] = plan.ClassName;
                if (plan.Namespace is not null) metadata["build_metadata.AdditionalFiles.QuantGenNamespace"] = plan.Namespace;
                if (plan.Parallelism is not null) metadata["build_metadata.AdditionalFiles.QuantGenParallelism"] = plan.Parallelism;
                options[plan.Path] = new DictionaryOptions(metadata);
            }
            var global = new Dictionary<string, string>();
            if (version is not null) global["build_property.QuantGenVersion"] = version;
            return CSharpGeneratorDriver.Create(
                new[] { new QuantGenGenerator().AsSourceGenerator() },
                texts,
                ParseOptions,
                new TestOptionsProvider(new DictionaryOptions(global), options),
                new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        }

        /// <summary>One generator run over a fresh compilation: (driver after the run, compilation with the generated sources, generator diagnostics).</summary>
        public static (GeneratorDriver Driver, Compilation Output, ImmutableArray<Diagnostic> Diagnostics) Run(
            IEnumerable<PlanFile> plans, Compilation? compilation = null, string? version = TestVersion)
        {
            GeneratorDriver driver = CreateDriver(plans, version)
                .RunGeneratorsAndUpdateCompilation(compilation ?? CreateCompilation(), out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
            return (driver, output, diagnostics);
        }

        /// <summary>The generated sources by hint name.</summary>
        public static Dictionary<string, string> Sources(GeneratorDriver driver) =>
            driver.GetRunResult().Results.Single().GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());

        /// <summary>Emits <paramref name="compilation"/>; fails with every diagnostic and the numbered generated source when it has errors or warnings.</summary>
        public static byte[] Emit(Compilation compilation, IEnumerable<ResourceDescription>? resources = null)
        {
            using var pe = new MemoryStream();
            var result = compilation.Emit(pe, manifestResources: resources);
            var problems = result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
            if (problems.Count > 0) throw new InvalidOperationException(Describe(compilation, problems));
            return pe.ToArray();
        }

        /// <summary>Every diagnostic, then every generated tree with line numbers (as the Regex generator's tests print them).</summary>
        public static string Describe(Compilation compilation, IEnumerable<Diagnostic> diagnostics)
        {
            var sb = new StringBuilder();
            foreach (Diagnostic d in diagnostics) sb.AppendLine(d.ToString());
            foreach (SyntaxTree tree in compilation.SyntaxTrees.Where(t => t.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) && !t.FilePath.Contains("QuantGen.Kernels.")))
            {
                sb.AppendLine().AppendLine("==== " + tree.FilePath);
                sb.AppendLine(Numbered(tree.GetText().ToString()));
            }
            return sb.ToString();
        }

        public static string Numbered(string source)
        {
            var sb = new StringBuilder();
            string[] lines = source.Split('\n');
            for (int i = 0; i < lines.Length; i++) sb.Append((i + 1).ToString().PadLeft(5)).Append("  ").Append(lines[i]).Append('\n');
            return sb.ToString();
        }

        /// <summary>Loads <paramref name="image"/> into a collectible context, runs <paramref name="use"/>, and unloads.</summary>
        public static void WithAssembly(byte[] image, Action<Assembly> use)
        {
            // Loaded from a file, as an app's assembly is: the runtime maps the image, so a resource
            // stream's pointer stays valid for the assembly's lifetime. (An image loaded from a byte
            // stream may be re-laid-out by the runtime, which would invalidate PositionPointer.)
            string path = Path.Combine(Path.GetTempPath(), "quantgen-test-" + Guid.NewGuid().ToString("N") + ".dll");
            File.WriteAllBytes(path, image);
            var context = new AssemblyLoadContext("QuantGenTest", isCollectible: true);
            try
            {
                use(context.LoadFromAssemblyPath(path));
            }
            finally
            {
                context.Unload();
                // Unix lets a mapped file be unlinked; elsewhere the temp file stays until the OS cleans it.
                try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }

        /// <summary>Calls public static <paramref name="method"/> of <paramref name="typeName"/> in <paramref name="assembly"/>.</summary>
        public static object? Call(Assembly assembly, string typeName, string method, params object?[] args)
        {
            MethodInfo m = assembly.GetType(typeName, throwOnError: true)!.GetMethod(method, BindingFlags.Public | BindingFlags.Static)!;
            try
            {
                return m.Invoke(null, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                throw;
            }
        }

        /// <summary>This source file's directory (for Baselines/).</summary>
        public static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
    }
}
