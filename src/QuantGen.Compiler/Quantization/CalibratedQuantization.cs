// The calibrated INT8 stage: calibrate on the user's samples, choose the integer scheme under the accuracy budget, and
// report what it cost (per-layer SQNR, sizes, the warnings a user should act on).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Compiler.Evaluation;
using QuantGen.Compiler.Pipeline;
using QuantGen.Compiler.Quantization.Calibration;
using QuantGen.Compiler.Quantization.Simulation;
using QuantGen.Ir;
using QuantGen.Ir.Diagnostics;

namespace QuantGen.Compiler.Quantization
{
    public static class CalibratedQuantization
    {
        /// <summary>
        /// Calibrates the optimized graph on the samples of <paramref name="calibrationData"/> (streamed; the first few are
        /// kept for the budget) and decides the integer scheme under <paramref name="budget"/>. Every forward pass runs on
        /// the kernels when <paramref name="executor"/> is given (else on the reference evaluator), on
        /// <paramref name="threads"/> threads; the outcome does not depend on the thread count.
        /// </summary>
        /// <param name="limits">The most memory calibrating may take (the activations of one sample, a .pb file); null for the defaults.</param>
        internal static (BudgetOutcome Outcome, int CalibrationSamples, string Engine) Run(Graph graph, string calibrationData, int? maxSamples,
            QuantizationOptions options, AccuracyBudgetOptions budget, IPlanExecutor? executor, int threads, BuildTimes times, BuildProgress progress,
            List<CompilerDiagnostic> notes, ResourceLimits? limits = null)
        {
            limits ??= new ResourceLimits();
            // Calibration runs the graph on each sample: the activations it holds at once must fit before it starts.
            limits.CheckWorkspace(Evaluation.ReferenceEvaluator.PeakLiveBytes(graph), "calibrating one sample (the activations live at once)", graph.Info.SourcePath);
            var input = Calibrator.SingleInput(graph);
            string file = graph.Info.SourcePath;
            if (budget.ValidationData != null && budget.ValidationLabels == null)
                throw AccuracyBudget.Error(AccuracyBudget.ValidationDataInvalid, "ValidationData needs ValidationLabels (one class id or target per sample).", file);
            void Note(string message) => notes.Add(new CompilerDiagnostic(DiagnosticIds.ReferenceEngine, DiagnosticSeverity.Info, message, file));

            (BudgetOutcome, int, string) On(SimulationEngine engine)
            {
                using (engine)
                {
                    var reader = new CalibrationDataReader(CalibrationDataReader.SampleShapeOf(input), input.Name, limits);
                    var kept = new List<float[]>();
                    var references = new List<float[]>();
                    bool onCalibration = budget.ValidationData == null;
                    var statistics = times.Time(BuildPhase.Calibrate, () =>
                    {
                        var samples = reader.ReadSamples(calibrationData, maxSamples ?? int.MaxValue)
                            .Select(s => { if (onCalibration && kept.Count < budget.MaxSamples) kept.Add(s); return s; });
                        return Calibrator.Collect(engine, samples, threads, TensorObserver.DefaultBinCount,
                            onCalibration ? (i, output) => { if (i < budget.MaxSamples) references.Add(output); } : null, progress, maxSamples ?? 0, limits.MaxWorkspaceBytes);
                    });
                    var data = times.Time(BuildPhase.Calibrate, () => onCalibration ? new BudgetSamples(kept, references, null, false) : ValidationSamples(engine, reader, budget, threads, file));
                    using var workers = new SimulationWorkers(engine, threads);
                    return (AccuracyBudget.Apply(engine, workers, statistics, options, budget, data, times, progress), statistics.SampleCount, engine.Name);
                }
            }

            SimulationEngine? first = null;
            try
            {
                first = times.Time(BuildPhase.Calibrate, () => SimulationEngine.Create(graph, executor, options, Note, limits.MaxWorkspaceBytes));
                return On(first);
            }
            catch (Exception e) when (!(first is ReferenceSimulation) && !(e is CompilerException) && !(e is OutOfMemoryException))
            {
                // The kernels could not run a scheme (NotSupportedException: see KernelSimulation) or failed: the whole stage
                // again on the reference evaluator, which computes the same decisions, so a build never fails for speed's sake.
                Note("calibration and the accuracy budget ran on the reference evaluator (slower): the kernels' run failed (" + e.GetType().Name + ": " + e.Message + ")");
                return On(new ReferenceSimulation(graph));
            }
        }

        /// <summary>The validation samples (at most the budget's count), their labels, and the FP32 model's outputs on them.</summary>
        private static BudgetSamples ValidationSamples(SimulationEngine engine, CalibrationDataReader reader, AccuracyBudgetOptions budget, int threads, string file)
        {
            var samples = reader.ReadSamples(budget.ValidationData!, budget.MaxSamples).ToList();
            var labels = AccuracyBudget.ReadLabels(budget.ValidationLabels!);
            if (labels.Length < samples.Count)
                throw AccuracyBudget.Error(AccuracyBudget.ValidationDataInvalid, $"ValidationLabels '{budget.ValidationLabels}' holds {labels.Length} labels for {samples.Count} validation samples.", file);
            var references = new float[samples.Count][];
            using (var workers = new SimulationWorkers(engine, threads))
                workers.For(samples.Count, (worker, slot, i) => references[i] = worker.Run(samples[i], null, null).ToArray());
            bool classification = !budget.ValidationLabels!.EndsWith(".f32", StringComparison.OrdinalIgnoreCase);
            return new BudgetSamples(samples, references, labels, classification);
        }

        /// <summary>QG0010: Int8 asked for without calibration data; the model is compiled in Float32.</summary>
        public static CompilerDiagnostic NoCalibrationData(string file) =>
            new CompilerDiagnostic(DiagnosticIds.NoCalibrationData, DiagnosticSeverity.Warning,
                "Precision=\"Int8\" needs CalibrationData (samples of the model input) to measure activation ranges; the model is compiled in Float32. Add CalibrationData=\"...\" to the QuantGenModel item, or set Precision=\"Float32\" to silence this warning.", file);

        /// <summary>QG0012 when the budget kept most integer layers in float; QG0011 when some tensors lose much to rounding.</summary>
        public static IEnumerable<CompilerDiagnostic> Warnings(BudgetOutcome budget, AccuracyBudgetOptions options, QuantizationReport report, string modelName, string file)
        {
            var c = CultureInfo.InvariantCulture;
            int integerLayers = budget.Scheme.Numerics.Count(p => p.Value == NodeNumerics.Weighted || p.Value == NodeNumerics.Requantizing) + budget.FloatNodes.Count;
            if (budget.FloatNodes.Count * 2 > integerLayers)
                yield return new CompilerDiagnostic(DiagnosticIds.MostlyFloat, DiagnosticSeverity.Warning,
                    string.Format(c,
                        "the accuracy budget ({0}) kept {1} of {2} integer layers in float: this model runs mostly in float, with little of INT8's speed and size. Check the calibration data, relax the budget, or compare with Precision=\"Float32\" (report: {3}.report.md).",
                        budget.Metric == "output SQNR" ? "output SQNR ≥ " + options.MinOutputSqnr.ToString(c) + " dB" : budget.Metric,
                        budget.FloatNodes.Count, integerLayers, modelName), file);
            if (report.LowSqnrLayers.Count > 0)
                yield return new CompilerDiagnostic(DiagnosticIds.LowLayerSqnr, DiagnosticSeverity.Warning,
                    string.Format(c,
                        "{0} quantized tensors lose more than their own {1} dB to rounding (e.g. '{2}'): their ranges are stretched by outliers. Check the report {3}.report.md, or give ValidationData and ValidationLabels to budget on accuracy.",
                        report.LowSqnrLayers.Count, QuantizationReport.LowLayerSqnr, report.LowSqnrLayers[0], modelName), file);
        }
    }
}
