// Compiles one resolved QuantGenModel: ONNX file → plan text + weight blob, diagnostics into the build log.
using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;
using QuantGen.Compiler.Pipeline;
using QuantGen.Compiler.Quantization;
using QuantGen.Onnx;
using QuantGen.Plan;

namespace QuantGen.Build
{
    /// <summary>
    /// The expensive step, run by the targets only for models whose inputs changed. Never lets an
    /// exception (and its stack trace) reach the build log: every failure is one QGxxxx error that
    /// names the model file.
    /// </summary>
    public sealed class CompileQuantGenModel : Task
    {
        /// <summary>One item of ResolveQuantGenModels' output (ItemSpec = model's full path).</summary>
        [Required]
        public ITaskItem Model { get; set; } = null!;

        /// <summary>$(QuantGenMaxTensorElements): the most elements one tensor may have (empty: the default, 64 Mi).</summary>
        public string? MaxTensorElements { get; set; }

        /// <summary>$(QuantGenMaxTensorBytes): the most bytes one tensor may take (empty: the default, 256 MiB).</summary>
        public string? MaxTensorBytes { get; set; }

        /// <summary>$(QuantGenMaxWeightBytes): the most bytes of weights, and of constants folded at build time (empty: 1 GiB).</summary>
        public string? MaxWeightBytes { get; set; }

        /// <summary>$(QuantGenMaxWorkspaceBytes): the largest arena an instance may allocate (empty: 256 MiB; at most what one array holds).</summary>
        public string? MaxWorkspaceBytes { get; set; }

        // Plans are read by Roslyn as text; no BOM keeps the bytes (and the generator's hash) stable.
        private static readonly Encoding Utf8NoBom = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

        public override bool Execute()
        {
            string modelPath = Model.ItemSpec;
            string planFile = Model.GetMetadata("PlanFile");
            string weightsFile = Model.GetMetadata("WeightsFile");
            var stopwatch = Stopwatch.StartNew();
            var limits = Limits(modelPath);
            if (limits == null) return false;
            CompileResult result;
            long parameters;
            try
            {
                var graph = OnnxModelReader.Read(modelPath, limits);
                parameters = CountParameters(graph);
                result = ModelCompiler.Compile(graph, new CompileOptions
                {
                    // Validated by ResolveQuantGenModels (QG2001): one of the enum's names.
                    Precision = Enum.TryParse(Model.GetMetadata("Precision"), ignoreCase: true, out Precision precision) ? precision : Precision.Int8,
                    CalibrationData = NullIfEmpty(Model.GetMetadata("CalibrationData")),
                    // Validated by ResolveQuantGenModels (QG2006): empty or a positive integer.
                    CalibrationSamples = int.TryParse(Model.GetMetadata("CalibrationSamples"), NumberStyles.None, CultureInfo.InvariantCulture, out int samples) ? samples : (int?)null,
                    ResourceName = Model.GetMetadata("ResourceName"),
                    ModelName = Model.GetMetadata("ClassName"),
                    Budget = Budget(),
                    PlanExecutor = PlanExecutor(),
                    Progress = line => Log.LogMessage(MessageImportance.High, "QuantGen: {0}: {1}", Model.GetMetadata("ClassName"), line),
                    Limits = limits,
                });
            }
            catch (CompilerException e)
            {
                Report(e.Diagnostic, modelPath);
                DeleteOutputs(planFile, weightsFile);
                return false;
            }
            catch (OutOfMemoryException)
            {
                // What the limits did not stop (they are set higher, or the model's own weights are this large): a clear
                // error naming the model, never MSBuild's MSB4018 with a stack trace. The memory is free again once here.
                Report(new CompilerDiagnostic(DiagnosticIds.OutOfMemory, DiagnosticSeverity.Error,
                    "QuantGen ran out of memory compiling this model. " +
                    $"Build on a machine with more memory, or, for a model you do not trust, keep {ResourceLimits.TensorBytesProperty}, {ResourceLimits.WeightBytesProperty} and {ResourceLimits.WorkspaceBytesProperty} at their defaults."), modelPath);
                DeleteOutputs(planFile, weightsFile);
                return false;
            }
            catch (Exception e)
            {
                Report(new CompilerDiagnostic(DiagnosticIds.InternalError, DiagnosticSeverity.Error,
                    $"QuantGen failed to compile this model: {e.GetType().Name}: {e.Message}. Please report it with the model."), modelPath);
                DeleteOutputs(planFile, weightsFile);
                return false;
            }

            foreach (var d in result.Diagnostics) Report(d, modelPath);
            if (result.Plan == null || Log.HasLoggedErrors)
            {
                // A stale plan would let the next build skip this model and generate code for the old one.
                DeleteOutputs(planFile, weightsFile);
                return false;
            }

            var plan = result.Plan;
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(planFile)!);
                if (plan.Weights.Storage == WeightStorage.Resource)
                {
                    WriteIfChanged(weightsFile, result.Weights);
                }
                else if (File.Exists(weightsFile))
                {
                    // The weights moved inline: a leftover file would still be embedded as a resource.
                    File.Delete(weightsFile);
                }
                string reportFile = Model.GetMetadata("ReportFile");
                if (result.Report != null && reportFile.Length > 0)
                {
                    WriteIfChanged(reportFile, Utf8NoBom.GetBytes(result.Report.Markdown));
                    string folder = Path.GetDirectoryName(reportFile)!, className = Model.GetMetadata("ClassName");
                    WriteIfChanged(Path.Combine(folder, className + ".sqnr.svg"), Utf8NoBom.GetBytes(result.Report.Svg));
                    // The same quantization as a standard QDQ ONNX file: inspect it in Netron, run it in ONNX Runtime.
                    if (result.Scheme != null && result.OptimizedGraph != null)
                        WriteQdqExport(Path.Combine(folder, className + ".int8.onnx"), result.OptimizedGraph, result.Scheme, modelPath);
                }
                WriteIfChanged(planFile, Utf8NoBom.GetBytes(PlanText.Write(plan)));
                // The plan is the target's only Output: it must end up newer than every Input even when its
                // content did not change, or the next build would compile this model again.
                File.SetLastWriteTimeUtc(planFile, DateTime.UtcNow);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                Log.LogError(BuildDiagnosticIds.Subcategory, BuildDiagnosticIds.OutputNotWritten, BuildDiagnosticIds.OutputNotWritten,
                    planFile, 0, 0, 0, 0, $"QuantGen could not write the compiled model: {e.Message}");
                return false;
            }
            catch (Exception e) when (!(e is OutOfMemoryException))
            {
                Report(new CompilerDiagnostic(DiagnosticIds.InternalError, DiagnosticSeverity.Error,
                    $"QuantGen failed while writing the compiled model: {e.GetType().Name}: {e.Message}. Please report it with the model."), modelPath);
                DeleteOutputs(planFile, weightsFile);
                return false;
            }

            stopwatch.Stop();
            // The compiler's count (trainable parameters) when it reports one; the graph's constants otherwise.
            if (plan.Facts.Get(PlanFacts.Parameters) is long counted) parameters = counted;
            Log.LogMessage(MessageImportance.High, "QuantGen: {0} -> {1} ({2}, {3} parameters, {4} weights {5}, {6} s)",
                Path.GetFileName(modelPath), Model.GetMetadata("ClassName"), plan.Info.Precision, FormatCount(parameters),
                FormatBytes(plan.Weights.ByteCount), plan.Weights.Storage == WeightStorage.Inline ? "inline" : "as resource",
                stopwatch.Elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture));
            if (result.Report != null)
            {
                Log.LogMessage(MessageImportance.High, "QuantGen: {0} (report: {1})", result.Report.Summary, Model.GetMetadata("ReportFile"));
                Log.LogMessage(MessageImportance.Normal, "QuantGen: {0}: {1}", Model.GetMetadata("ClassName"), result.Times);
            }
            return true;
        }

        /// <summary>The kernels, to run the INT8 stage's forward passes on: only the .NET build of the task has them.</summary>
        private static Compiler.Evaluation.IPlanExecutor? PlanExecutor() =>
#if NET8_0_OR_GREATER
            new Engine.KernelPlanExecutor();
#else
            null;
#endif

        /// <summary>
        /// The QDQ export is a by-product for inspection: a graph it cannot express (an older opset's Softmax over several
        /// axes, an activation with no ONNX form) gets a warning, and the model still builds.
        /// </summary>
        private void WriteQdqExport(string path, Graph graph, QuantizationScheme scheme, string modelPath)
        {
            byte[] bytes;
            try
            {
                bytes = QdqModelWriter.Write(graph, scheme);
            }
            catch (NotSupportedException e)
            {
                Log.LogWarning(BuildDiagnosticIds.Subcategory, BuildDiagnosticIds.QdqExportSkipped, BuildDiagnosticIds.QdqExportSkipped, modelPath, 0, 0, 0, 0,
                    $"The QDQ ONNX export ({Path.GetFileName(path)}) is not written: {e.Message} The compiled model is not affected.");
                if (File.Exists(path)) File.Delete(path);
                return;
            }
            WriteIfChanged(path, bytes);
        }

        /// <summary>The resource limits from the QuantGenMax… properties (empty: the defaults); null after logging QG2011 for a bad value.</summary>
        private ResourceLimits? Limits(string modelPath)
        {
            var limits = new ResourceLimits();
            bool ok = true;
            long Parse(string? text, string property, long fallback, long max)
            {
                if (string.IsNullOrWhiteSpace(text)) return fallback;
                if (long.TryParse(text!.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value > 0 && value <= max) return value;
                Log.LogError(BuildDiagnosticIds.Subcategory, BuildDiagnosticIds.InvalidLimit, BuildDiagnosticIds.InvalidLimit, modelPath, 0, 0, 0, 0,
                    $"The property {property} is '{text}'; it must be a whole number from 1 to {max.ToString(CultureInfo.InvariantCulture)}.");
                ok = false;
                return fallback;
            }
            limits.MaxTensorElements = Parse(MaxTensorElements, ResourceLimits.TensorElementsProperty, limits.MaxTensorElements, int.MaxValue);
            limits.MaxTensorBytes = Parse(MaxTensorBytes, ResourceLimits.TensorBytesProperty, limits.MaxTensorBytes, long.MaxValue);
            limits.MaxWeightBytes = Parse(MaxWeightBytes, ResourceLimits.WeightBytesProperty, limits.MaxWeightBytes, long.MaxValue);
            limits.MaxWorkspaceBytes = Parse(MaxWorkspaceBytes, ResourceLimits.WorkspaceBytesProperty, limits.MaxWorkspaceBytes, ResourceLimits.GeneratorMaxWorkspaceBytes);
            return ok ? limits : null;
        }

        /// <summary>The accuracy budget from the item's metadata (validated by ResolveQuantGenModels: QG2008, QG2009).</summary>
        private AccuracyBudgetOptions Budget()
        {
            var budget = new AccuracyBudgetOptions
            {
                ValidationData = NullIfEmpty(Model.GetMetadata("ValidationData")),
                ValidationLabels = NullIfEmpty(Model.GetMetadata("ValidationLabels")),
            };
            if (double.TryParse(Model.GetMetadata("MaxAccuracyDrop"), NumberStyles.Float, CultureInfo.InvariantCulture, out double drop)) budget.MaxAccuracyDrop = drop;
            if (double.TryParse(Model.GetMetadata("MinOutputSqnr"), NumberStyles.Float, CultureInfo.InvariantCulture, out double sqnr)) budget.MinOutputSqnr = sqnr;
            return budget;
        }

        private void Report(CompilerDiagnostic d, string modelPath)
        {
            string file = string.IsNullOrEmpty(d.File) ? modelPath : d.File!;
            string message = (d.Node != null ? $"node '{d.Node}': " : "") + d.Message;
            switch (d.Severity)
            {
                case DiagnosticSeverity.Error:
                    Log.LogError(BuildDiagnosticIds.Subcategory, d.Id, d.Id, file, 0, 0, 0, 0, message);
                    break;
                case DiagnosticSeverity.Warning:
                    Log.LogWarning(BuildDiagnosticIds.Subcategory, d.Id, d.Id, file, 0, 0, 0, 0, message);
                    break;
                default:
                    Log.LogMessage(MessageImportance.Normal, "{0}: {1}: {2}", file, d.Id, message);
                    break;
            }
        }

        /// <summary>Writes only when the bytes differ, so unchanged outputs keep their timestamps (and downstream targets stay up to date).</summary>
        private static void WriteIfChanged(string path, byte[] bytes)
        {
            if (File.Exists(path))
            {
                var info = new FileInfo(path);
                if (info.Length == bytes.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes)) return;
            }
            string temp = path + ".tmp";
            File.WriteAllBytes(temp, bytes);
            // Replace in one step so a cancelled build never leaves a half-written plan behind.
            if (File.Exists(path)) File.Delete(path);
            File.Move(temp, path);
        }

        private void DeleteOutputs(params string[] files)
        {
            foreach (string f in files)
            {
                try
                {
                    if (f.Length > 0 && File.Exists(f)) File.Delete(f);
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    Log.LogMessage(MessageImportance.Low, "QuantGen: could not delete stale output '{0}': {1}", f, e.Message);
                }
            }
        }

        /// <summary>Elements of the model's weights (initializers), before the compiler folds or packs them.</summary>
        private static long CountParameters(Graph graph)
        {
            long n = 0;
            foreach (var v in graph.Constants) n += v.Constant!.ElementCount;
            return n;
        }

        private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

        private static string FormatCount(long n) =>
            n >= 1_000_000 ? (n / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " M"
            : n >= 1_000 ? (n / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + " K"
            : n.ToString(CultureInfo.InvariantCulture);

        private static string FormatBytes(long n) =>
            n >= 1024 * 1024 ? (n / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB"
            : n >= 1024 ? (n / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB"
            : n.ToString(CultureInfo.InvariantCulture) + " B";
    }
}
