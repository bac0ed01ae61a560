// Turns @(QuantGenModel) items into fully resolved ones: names, paths and inputs, checked before any model is read.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace QuantGen.Build
{
    /// <summary>
    /// Cheap and always run (no file is read beyond existence checks), so the targets can batch the
    /// expensive <see cref="CompileQuantGenModel"/> per model with honest Inputs/Outputs and still add
    /// the generated items on a no-op build.
    /// </summary>
    public sealed class ResolveQuantGenModels : Task
    {
        /// <summary>The user's @(QuantGenModel) items.</summary>
        [Required]
        public ITaskItem[] Models { get; set; } = Array.Empty<ITaskItem>();

        /// <summary>$(RootNamespace): the default Namespace.</summary>
        public string? RootNamespace { get; set; }

        /// <summary>Where plans and weight files go: $(IntermediateOutputPath)quantgen/.</summary>
        [Required]
        public string IntermediateDirectory { get; set; } = "";

        /// <summary>$(MSBuildProjectDirectory): relative model and calibration paths are relative to it.</summary>
        [Required]
        public string ProjectDirectory { get; set; } = "";

        /// <summary>One item per model; ItemSpec is the model's full path, metadata as documented in build/QuantGen.targets.</summary>
        [Output]
        public ITaskItem[] ResolvedModels { get; set; } = Array.Empty<ITaskItem>();

        private static readonly string[] Precisions = { "Int8", "Float32", "Int8Dynamic" };

        private const int MaxParallelism = 64;

        public override bool Execute()
        {
            var resolved = new List<ITaskItem>();
            var byClassName = new Dictionary<string, ITaskItem>(StringComparer.Ordinal);
            string intermediate = Path.GetFullPath(Path.Combine(ProjectDirectory, IntermediateDirectory));

            foreach (var model in Models)
            {
                var item = Resolve(model, intermediate);
                if (item == null) continue;
                string className = item.GetMetadata("ClassName");
                if (byClassName.TryGetValue(className, out var first))
                {
                    Error(BuildDiagnosticIds.DuplicateClassName, model.ItemSpec,
                        $"QuantGenModel '{model.ItemSpec}' and '{first.GetMetadata("OriginalItemSpec")}' both generate the class '{className}'. Set a different ClassName metadata on one of them.");
                    continue;
                }
                byClassName.Add(className, item);
                resolved.Add(item);
            }

            ResolvedModels = resolved.ToArray();
            return !Log.HasLoggedErrors;
        }

        private ITaskItem? Resolve(ITaskItem model, string intermediate)
        {
            string modelPath = Path.GetFullPath(Path.Combine(ProjectDirectory, model.ItemSpec));
            bool ok = true;
            if (!File.Exists(modelPath))
            {
                Error("QG0001", model.ItemSpec, $"The model file '{modelPath}' (QuantGenModel '{model.ItemSpec}') does not exist.");
                ok = false;
            }

            string className = model.GetMetadata("ClassName").Trim();
            if (className.Length == 0)
            {
                className = CSharpNames.ClassNameFromFileName(Path.GetFileNameWithoutExtension(modelPath));
                if (!CSharpNames.IsValidIdentifier(className))
                {
                    Error(BuildDiagnosticIds.InvalidClassName, model.ItemSpec,
                        $"QuantGenModel '{model.ItemSpec}': no valid C# class name can be derived from the file name. Set the ClassName metadata.");
                    ok = false;
                }
            }
            else if (!CSharpNames.IsValidIdentifier(className))
            {
                Error(BuildDiagnosticIds.InvalidClassName, model.ItemSpec,
                    $"QuantGenModel '{model.ItemSpec}': ClassName '{className}' is not a valid C# identifier.");
                ok = false;
            }

            string ns = model.GetMetadata("Namespace").Trim();
            bool nsFromMetadata = ns.Length > 0;
            if (!nsFromMetadata) ns = (RootNamespace ?? "").Trim();
            // An empty namespace is legal: the class goes in the global namespace.
            string? badSegment = ns.Length == 0 ? null : CSharpNames.FirstInvalidNamespaceSegment(ns);
            if (badSegment != null)
            {
                Error(BuildDiagnosticIds.InvalidNamespace, model.ItemSpec, nsFromMetadata
                    ? $"QuantGenModel '{model.ItemSpec}': Namespace '{ns}' is not a valid C# namespace ('{badSegment}' is not an identifier)."
                    : $"QuantGenModel '{model.ItemSpec}': the RootNamespace '{ns}' is not a valid C# namespace ('{badSegment}' is not an identifier). Set the Namespace metadata.");
                ok = false;
            }

            string precisionText = model.GetMetadata("Precision").Trim();
            string? precision = precisionText.Length == 0
                ? Precisions[0]
                : Precisions.FirstOrDefault(p => string.Equals(p, precisionText, StringComparison.OrdinalIgnoreCase));
            if (precision == null)
            {
                Error(BuildDiagnosticIds.InvalidPrecision, model.ItemSpec,
                    $"QuantGenModel '{model.ItemSpec}': Precision '{precisionText}' is not supported. Use one of: {string.Join(", ", Precisions)}.");
                ok = false;
            }

            string samplesText = model.GetMetadata("CalibrationSamples").Trim();
            if (samplesText.Length > 0 && (!int.TryParse(samplesText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int samples) || samples <= 0))
            {
                Error(BuildDiagnosticIds.InvalidCalibrationSamples, model.ItemSpec,
                    $"QuantGenModel '{model.ItemSpec}': CalibrationSamples '{samplesText}' is not a positive whole number.");
                ok = false;
            }

            // Threads the generated Run may split large kernels across (the caller plus persistent workers); 1 = none.
            string parallelismText = model.GetMetadata("Parallelism").Trim();
            int parallelism = 1;
            if (parallelismText.Length > 0 && (!int.TryParse(parallelismText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out parallelism) || parallelism < 1 || parallelism > MaxParallelism))
            {
                Error(BuildDiagnosticIds.InvalidParallelism, model.ItemSpec,
                    $"QuantGenModel '{model.ItemSpec}': Parallelism '{parallelismText}' is not a whole number from 1 to {MaxParallelism} (the threads Run may use; 1 runs on the caller's thread only).");
                ok = false;
            }

            // Sizes for free input dimensions: the syntax is checked here, against the model when it is compiled.
            try
            {
                QuantGen.Compiler.GraphPasses.FreeDimensions.Parse(model.GetMetadata("InputShapes"), model.GetMetadata("DimensionValues"));
            }
            catch (FormatException e)
            {
                Error(BuildDiagnosticIds.InvalidFreeDimensions, model.ItemSpec, $"QuantGenModel '{model.ItemSpec}': {e.Message}");
                ok = false;
            }

            string calibration = model.GetMetadata("CalibrationData").Trim();
            string calibrationFullPath = "";
            var calibrationFiles = new List<string>();
            if (calibration.Length > 0)
            {
                calibrationFullPath = Path.GetFullPath(Path.Combine(ProjectDirectory, calibration));
                calibrationFiles = CalibrationFiles.Find(calibrationFullPath);
                if (calibrationFiles.Count == 0)
                {
                    Error(BuildDiagnosticIds.CalibrationDataNotFound, model.ItemSpec,
                        $"QuantGenModel '{model.ItemSpec}': CalibrationData '{calibration}' ({calibrationFullPath}) matches no file.");
                    ok = false;
                }
            }

            // The accuracy budget: validation files (resolved like CalibrationData) and two numbers.
            var validation = new List<string>();
            foreach (var name in new[] { "ValidationData", "ValidationLabels" })
            {
                string text = model.GetMetadata(name).Trim();
                if (text.Length == 0) continue;
                string full = Path.GetFullPath(Path.Combine(ProjectDirectory, text));
                var files = name == "ValidationData" ? CalibrationFiles.Find(full) : (File.Exists(full) ? new List<string> { full } : new List<string>());
                if (files.Count == 0)
                {
                    Error(BuildDiagnosticIds.ValidationDataNotFound, model.ItemSpec, $"QuantGenModel '{model.ItemSpec}': {name} '{text}' ({full}) matches no file.");
                    ok = false;
                }
                validation.AddRange(files);
                model.SetMetadata(name, full);
            }
            if (model.GetMetadata("ValidationData").Trim().Length > 0 != model.GetMetadata("ValidationLabels").Trim().Length > 0)
            {
                Error(BuildDiagnosticIds.ValidationDataNotFound, model.ItemSpec, $"QuantGenModel '{model.ItemSpec}': ValidationData and ValidationLabels go together (samples and their labels).");
                ok = false;
            }
            foreach (var (name, low, high) in new[] { ("MaxAccuracyDrop", 0.0, 100.0), ("MinOutputSqnr", 0.0, 150.0) })
            {
                string text = model.GetMetadata(name).Trim();
                if (text.Length > 0 && !(double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v) && v >= low && v <= high))
                {
                    Error(BuildDiagnosticIds.InvalidBudget, model.ItemSpec, $"QuantGenModel '{model.ItemSpec}': {name} '{text}' is not a number from {low} to {high}.");
                    ok = false;
                }
            }

            if (!ok) return null;

            var item = new TaskItem(modelPath);
            model.CopyMetadataTo(item);
            string plan = Path.Combine(intermediate, className + ".plan");
            string weights = Path.Combine(intermediate, className + ".weights.bin");
            string resourceName = ns.Length == 0 ? $"QuantGen.{className}.weights" : $"QuantGen.{ns}.{className}.weights";
            item.SetMetadata("OriginalItemSpec", model.ItemSpec);
            item.SetMetadata("ClassName", className);
            item.SetMetadata("Namespace", ns);
            item.SetMetadata("Precision", precision!);
            item.SetMetadata("OriginalCalibrationData", calibration);
            item.SetMetadata("CalibrationData", calibrationFullPath);
            item.SetMetadata("CalibrationFiles", string.Join(";", calibrationFiles));
            item.SetMetadata("CalibrationSamples", samplesText);
            item.SetMetadata("Parallelism", parallelism.ToString(System.Globalization.CultureInfo.InvariantCulture));
            item.SetMetadata("PlanFile", plan);
            item.SetMetadata("WeightsFile", weights);
            item.SetMetadata("ResourceName", resourceName);
            item.SetMetadata("ReportFile", Path.Combine(intermediate, className + ".report.md"));
            item.SetMetadata("InputFiles", string.Join(";", new[] { modelPath }.Concat(calibrationFiles).Concat(validation)));
            return item;
        }

        private void Error(string code, string itemSpec, string message) =>
            Log.LogError(BuildDiagnosticIds.Subcategory, code, code, ProjectDirectory.Length > 0 ? Path.Combine(ProjectDirectory, itemSpec) : itemSpec,
                0, 0, 0, 0, message);
    }
}
