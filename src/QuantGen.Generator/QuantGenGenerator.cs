// The pipeline: plan files (AdditionalFiles + item metadata) → equatable specs → one class per model,
// plus, once per compilation, the kernel files the models' steps reach, in a namespace of the compilation's
// own. Parsing lives in .Parser.cs, writing in .Emitter.cs, the kernel library in KernelSources.cs.
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using QuantGen.Generator.Model;

namespace QuantGen.Generator
{
    /// <summary>
    /// Generates a model class from every AdditionalFiles item with <c>QuantGenPlan=true</c> metadata
    /// (the QuantGen build targets add the plans they write). Each step's output is plain data
    /// (records, strings, <see cref="EquatableArray{T}"/>), so an edit anywhere else in the project
    /// leaves every step cached and nothing is regenerated.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed partial class QuantGenGenerator : IIncrementalGenerator
    {
        /// <summary>Tracking names of the pipeline's steps, for incremental tests.</summary>
        public static class TrackingNames
        {
            public const string PlanInputs = "QuantGenPlanInputs";
            public const string Parse = "QuantGenParse";
            public const string Models = "QuantGenModels";
            public const string Diagnostics = "QuantGenDiagnostics";
            public const string CompilationFacts = "QuantGenCompilationFacts";
            public const string Version = "QuantGenVersion";
            public const string Duplicates = "QuantGenDuplicates";
            public const string HasPlans = "QuantGenHasPlans";
            public const string KernelTypes = "QuantGenKernelTypes";
            public const string KernelFiles = "QuantGenKernelFiles";
        }

        internal const string PlanMetadata = "build_metadata.AdditionalFiles.QuantGenPlan";
        internal const string ClassNameMetadata = "build_metadata.AdditionalFiles.QuantGenClassName";
        internal const string NamespaceMetadata = "build_metadata.AdditionalFiles.QuantGenNamespace";
        internal const string ParallelismMetadata = "build_metadata.AdditionalFiles.QuantGenParallelism";
        internal const string VersionProperty = "build_property.QuantGenVersion";

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<PlanInput> planInputs = context.AdditionalTextsProvider
                .Combine(context.AnalyzerConfigOptionsProvider)
                .Select(static (pair, cancellationToken) => Parser.ReadPlanInput(pair.Left, pair.Right.GetOptions(pair.Left), cancellationToken))
                .Where(static input => input is not null)
                .Select(static (input, _) => input!)
                .WithTrackingName(TrackingNames.PlanInputs);

            // One parse; its model and its diagnostics become separate outputs.
            IncrementalValuesProvider<ParseResult> parsed = planInputs
                .Select(static (input, cancellationToken) => Parser.Parse(input, cancellationToken))
                .WithTrackingName(TrackingNames.Parse);

            IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> planDiagnostics = parsed
                .Select(static (result, _) => result.Diagnostics)
                .Where(static diagnostics => diagnostics.Count > 0)
                .WithTrackingName(TrackingNames.Diagnostics);

            IncrementalValuesProvider<ModelSpec> models = parsed
                .Where(static result => result.Model is not null)
                .Select(static (result, _) => result.Model!)
                .WithTrackingName(TrackingNames.Models);

            IncrementalValueProvider<CompilationFacts> facts = context.CompilationProvider
                .Select(static (compilation, _) => CompilationFacts.From(compilation))
                .WithTrackingName(TrackingNames.CompilationFacts);

            IncrementalValueProvider<string> version = context.AnalyzerConfigOptionsProvider
                .Select(static (options, _) => options.GlobalOptions.TryGetValue(VersionProperty, out string? v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : Emitter.DefaultVersion)
                .WithTrackingName(TrackingNames.Version);

            IncrementalValueProvider<EquatableArray<DuplicateSpec>> duplicates = models
                .Select(static (model, _) => new ModelKey(model.FullName, model.FilePath))
                .Collect()
                .Select(static (keys, _) => DuplicateSpec.Find(keys))
                .WithTrackingName(TrackingNames.Duplicates);

            // The kernel files every model together reaches: recomputed only when some model's set of kernel types changes.
            IncrementalValueProvider<EquatableArray<string>> kernelFiles = models
                .Select(static (model, _) => Emitter.KernelTypes(model))
                .WithTrackingName(TrackingNames.KernelTypes)
                .Collect()
                .Select(static (sets, _) => KernelSources.FilesFor(sets.SelectMany(set => set)))
                .WithTrackingName(TrackingNames.KernelFiles);

            IncrementalValueProvider<bool> hasPlans = planInputs
                .Collect()
                .Select(static (inputs, _) => inputs.Length > 0)
                .WithTrackingName(TrackingNames.HasPlans);

            context.RegisterSourceOutput(planDiagnostics, static (spc, diagnostics) =>
            {
                foreach (DiagnosticInfo diagnostic in diagnostics) spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            });

            context.RegisterSourceOutput(duplicates, static (spc, duplicates) =>
            {
                foreach (DuplicateSpec duplicate in duplicates) spc.ReportDiagnostic(duplicate.ToDiagnostic());
            });

            // Project-wide facts are reported once, and only in projects that have models.
            context.RegisterSourceOutput(hasPlans.Combine(facts), static (spc, pair) =>
            {
                (bool any, CompilationFacts f) = pair;
                if (!any) return;
                foreach (DiagnosticInfo diagnostic in f.Problems()) spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            });

            context.RegisterSourceOutput(kernelFiles.Combine(facts), static (spc, pair) =>
            {
                (EquatableArray<string> files, CompilationFacts f) = pair;
                if (f.CanEmit) Emitter.EmitKernels(spc, files, f.KernelNamespace);
            });

            context.RegisterSourceOutput(models.Combine(facts.Combine(version)).Combine(duplicates), static (spc, input) =>
            {
                ((ModelSpec model, (CompilationFacts f, string v)), EquatableArray<DuplicateSpec> dups) = input;
                if (!f.CanEmit || dups.Any(d => d.FilePath == model.FilePath)) return;
                spc.AddSource(model.HintName, Emitter.Emit(model, v, f.KernelNamespace));
            });
        }
    }

    /// <summary>The model, or the diagnostics explaining why there is none (a valid plan may also warn).</summary>
    internal sealed record ParseResult(ModelSpec? Model, EquatableArray<DiagnosticInfo> Diagnostics);

    /// <summary>The facts of the compilation the generated code depends on, as values (never the compilation).</summary>
    /// <param name="KernelNamespace">Where this assembly's kernels go (<see cref="KernelSources.NamespaceFor"/>).</param>
    internal sealed record CompilationFacts(bool AllowUnsafe, bool HasVector512, string KernelNamespace)
    {
        public bool CanEmit => AllowUnsafe && HasVector512;

        public static CompilationFacts From(Compilation compilation) => new CompilationFacts(
            compilation.Options is CSharpCompilationOptions { AllowUnsafe: true },
            compilation.GetTypeByMetadataName("System.Runtime.Intrinsics.Vector512`1") is not null,
            KernelSources.NamespaceFor(compilation.AssemblyName));

        public ImmutableArray<DiagnosticInfo> Problems()
        {
            var problems = ImmutableArray.CreateBuilder<DiagnosticInfo>();
            if (!AllowUnsafe) problems.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsafeBlocksRequired, null, 0));
            if (!HasVector512) problems.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TargetFrameworkTooOld, null, 0));
            return problems.ToImmutable();
        }
    }

    internal sealed record ModelKey(string FullName, string FilePath);

    /// <summary>A plan whose class another plan (<see cref="FirstFilePath"/>, first by path) already generates.</summary>
    internal sealed record DuplicateSpec(string FilePath, string FullName, string FirstFilePath)
    {
        public static EquatableArray<DuplicateSpec> Find(ImmutableArray<ModelKey> keys)
        {
            var duplicates = new System.Collections.Generic.List<DuplicateSpec>();
            var first = new System.Collections.Generic.Dictionary<string, string>(System.StringComparer.Ordinal);
            foreach (ModelKey key in keys.OrderBy(k => k.FilePath, System.StringComparer.Ordinal))
            {
                if (first.TryGetValue(key.FullName, out string? firstPath)) duplicates.Add(new DuplicateSpec(key.FilePath, key.FullName, firstPath));
                else first.Add(key.FullName, key.FilePath);
            }
            return new EquatableArray<DuplicateSpec>(duplicates.ToArray());
        }

        public Diagnostic ToDiagnostic() =>
            DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateClass, FilePath, 0, FilePath, FullName, FirstFilePath).ToDiagnostic();
    }
}
