// The calibrated INT8 stage: calibrate on the user's samples, choose the integer scheme under the accuracy budget, and
// report what it cost (per-layer SQNR, sizes, the warnings a user should act on).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Compiler.Quantization.Calibration;
using QuantGen.Ir;
using QuantGen.Ir.Diagnostics;

namespace QuantGen.Compiler.Quantization
{
    public static class CalibratedQuantization
    {
        /// <summary>
        /// Calibrates the optimized graph on the samples of <paramref name="calibrationData"/> (streamed; the first few are
        /// kept for the budget) and decides the integer scheme under <paramref name="budget"/>.
        /// </summary>
        /// <param name="limits">The most memory calibrating may take (the activations of one sample, a .pb file); null for the defaults.</param>
        public static (BudgetOutcome Outcome, int CalibrationSamples) Run(Graph graph, string calibrationData, int? maxSamples,
            QuantizationOptions options, AccuracyBudgetOptions budget, ResourceLimits? limits = null)
        {
            limits ??= new ResourceLimits();
            // Calibration runs the graph on each sample: the activations it holds at once must fit before it starts.
            limits.CheckWorkspace(Evaluation.ReferenceEvaluator.PeakLiveBytes(graph), "calibrating one sample (the activations live at once)", graph.Info.SourcePath);
            var input = Calibrator.SingleInput(graph);
            var reader = new CalibrationDataReader(CalibrationDataReader.SampleShapeOf(input), input.Name, limits);
            var kept = new List<float[]>();
            var samples = reader.ReadSamples(calibrationData, maxSamples ?? int.MaxValue)
                .Select(s => { if (kept.Count < budget.MaxSamples) kept.Add(s); return s; });
            var statistics = Calibrator.Collect(graph, samples);
            var outcome = AccuracyBudget.Apply(graph, statistics, options, budget, kept);
            return (outcome, statistics.SampleCount);
        }

        /// <summary>Per-layer SQNR of the final scheme for the report, on at most 16 of the calibration samples.</summary>
        public static IReadOnlyList<LayerSqnrEntry> MeasureLayers(Graph graph, BudgetOutcome outcome, string calibrationData, int? maxSamples,
            ResourceLimits? limits = null)
        {
            var input = Calibrator.SingleInput(graph);
            var reader = new CalibrationDataReader(CalibrationDataReader.SampleShapeOf(input), input.Name, limits);
            var samples = reader.ReadSamples(calibrationData, Math.Min(16, maxSamples ?? int.MaxValue)).ToList();
            var saved = graph.Nodes.Select(n => n.Inputs.ToArray()).ToList();
            try
            {
                return LayerSqnr.Measure(graph, FakeQuantizedModel.Apply(graph, outcome.Scheme), samples);
            }
            finally
            {
                for (int i = 0; i < saved.Count; i++)
                {
                    graph.Nodes[i].Inputs.Clear();
                    graph.Nodes[i].Inputs.AddRange(saved[i]);
                }
            }
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
