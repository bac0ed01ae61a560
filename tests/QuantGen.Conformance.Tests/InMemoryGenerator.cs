// Runs the QuantGen generator over many plans at once, in memory, and compiles the result against the
// running runtime's assemblies (adapted from the generator tests' harness; this project stands alone).
extern alias generator;

using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using QuantGen.Tests;
using QuantGenGenerator = generator::QuantGen.Generator.QuantGenGenerator;

namespace QuantGen.Conformance.Tests
{
    /// <summary>One plan for the generator: its path (AdditionalFiles item), text, class name and namespace.</summary>
    internal sealed record PlanInput(string Path, string Text, string ClassName, string Namespace);

    internal static class InMemoryGenerator
    {
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

        public static SyntaxTree Parse(string source, string path) => CSharpSyntaxTree.ParseText(source, ParseOptions, path: path);

        public static CSharpCompilation CreateCompilation(IEnumerable<SyntaxTree> trees) =>
            CSharpCompilation.Create(
                "QuantGenConformance_" + Guid.NewGuid().ToString("N"),
                trees,
                s_references.Value,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary,
                    allowUnsafe: true,
                    nullableContextOptions: NullableContextOptions.Enable,
                    optimizationLevel: OptimizationLevel.Release,
                    // Warnings in generated code are bugs too, but the suite judges errors: a user's
                    // TreatWarningsAsErrors is covered by the generator's own tests.
                    warningLevel: 4,
                    deterministic: true,
                    concurrentBuild: true));

        /// <summary>Runs the generator over <paramref name="plans"/> and adds its sources to <paramref name="compilation"/>.</summary>
        public static (Compilation Output, ImmutableArray<Diagnostic> Diagnostics) Run(IReadOnlyList<PlanInput> plans, Compilation compilation)
        {
            var texts = new List<AdditionalText>();
            var options = new Dictionary<string, AnalyzerConfigOptions>(StringComparer.Ordinal);
            foreach (PlanInput plan in plans)
            {
                texts.Add(new InMemoryAdditionalText(plan.Path, plan.Text));
                options[plan.Path] = new DictionaryOptions(new Dictionary<string, string>
                {
                    ["build_metadata.AdditionalFiles.QuantGenPlan"] = "true",
                    ["build_metadata.AdditionalFiles.QuantGenClassName"] = plan.ClassName,
                    ["build_metadata.AdditionalFiles.QuantGenNamespace"] = plan.Namespace,
                });
            }
            var global = new DictionaryOptions(new Dictionary<string, string> { ["build_property.QuantGenVersion"] = "0.0.0-conformance" });
            CSharpGeneratorDriver.Create(
                    new[] { new QuantGenGenerator().AsSourceGenerator() },
                    texts,
                    ParseOptions,
                    new TestOptionsProvider(global, options))
                .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
            return (output, diagnostics);
        }

        public static string Numbered(string source)
        {
            var sb = new StringBuilder();
            string[] lines = source.Split('\n');
            for (int i = 0; i < lines.Length; i++) sb.Append((i + 1).ToString().PadLeft(5)).Append("  ").Append(lines[i]).Append('\n');
            return sb.ToString();
        }
    }
}
