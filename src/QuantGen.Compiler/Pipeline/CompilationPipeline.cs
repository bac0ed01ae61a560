// The stages in order: shape inference with constant folding → rewrites → lowering → kernel fusion → memory plan → plan.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Diagnostics;
using QuantGen.Compiler.Ir;
using QuantGen.Compiler.Lowering;
using QuantGen.Compiler.Passes;
using QuantGen.Compiler.Quantization;
using QuantGen.Compiler.Calibration;
using QuantGen.Plan;

namespace QuantGen.Compiler.Pipeline
{
    internal static class CompilationPipeline
    {
        public static CompileResult Run(Graph graph, CompileOptions options, List<CompilerDiagnostic> diagnostics)
        {
            string file = graph.Info.SourcePath;
            if (graph.Outputs.Count == 0)
                throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.InvalidGraph, DiagnosticSeverity.Error, "the model has no outputs.", file));
            MlGraphRewrites.DropZipMaps(graph, diagnostics);
            MlGraphRewrites.FuseBinarizerCasts(graph);
            Optimize(graph);

            var precision = MlGraphRewrites.PrecisionFor(graph, options.Precision, diagnostics);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            QuantizationScheme? scheme = null;
            BudgetOutcome? budget = null;
            int calibrationSamples = 0;
            if (precision == Precision.Int8 && options.CalibrationData == null && QuantizationScheme.FromQdq(graph) is { } stated)
            {
                // A model quantized elsewhere (QDQ): its own scales and zero points, no calibration, no budget.
                scheme = stated;
            }
            else if (precision == Precision.Int8 && options.CalibrationData == null)
            {
                // No data, no activation ranges: an honest Float32 build (the generated class says so) beats guessed scales.
                diagnostics.Add(new CompilerDiagnostic(DiagnosticIds.NoCalibrationData, DiagnosticSeverity.Warning,
                    "Precision=\"Int8\" needs CalibrationData (samples of the model input) to measure activation ranges; the model is compiled in Float32. Add CalibrationData=\"...\" to the QuantGenModel item, or set Precision=\"Float32\" to silence this warning.", file));
                precision = Precision.Float32;
            }
            else if (precision == Precision.Int8)
            {
                (budget, calibrationSamples) = Quantize(graph, options);
                scheme = budget.Scheme;
            }

            var program = precision == Precision.Int8Dynamic ? Lowerer.LowerDynamic(graph) : Lowerer.Lower(graph, scheme);
            ExpandDepthwiseFusion.Apply(program, options.ExpandDepthwiseBandBytes);
            if (options.FuseResidualAdds) ResidualAddFusion.Apply(program);
            long workspace = MemoryPlanner.Plan(program);
            var (plan, weights) = PlanBuilder.Build(graph, program, workspace, precision.ToString(), options.ResourceName, options.InlineWeightLimit);
            // Facts the generated class documents and tests check: parameters after folding, and what memory planning saved.
            plan.Facts.Add(PlanFacts.Parameters, graph.Constants.Sum(v => (long)v.ElementCount));
            plan.Facts.Add(PlanFacts.WorkspaceUnplanned, MemoryPlanner.UnplannedBytes(program));
            QuantizationReport? report = null;
            if (budget != null)
            {
                long float32Bytes = graph.Constants.Where(v => v.Type == DataType.Float32).Sum(v => v.ElementCount * 4L);
                var layers = MeasureLayers(graph, budget, options);
                report = QuantizationReport.Create(options.ModelName, budget, layers, float32Bytes, weights.Length, calibrationSamples, clock.Elapsed.TotalSeconds);
                plan.Facts.Add(PlanFacts.WeightsFloat32Bytes, float32Bytes);
                plan.Facts.Add(PlanFacts.WeightsBytes, weights.Length);
                plan.Facts.Add(PlanFacts.CalibrationSamples, calibrationSamples);
                plan.Facts.Add(PlanFacts.CalibrationMethod, budget.Scheme.Options.Method.ToString());
                plan.Facts.Add(PlanFacts.QuantizationMetric, budget.Metric);
                plan.Facts.Add(PlanFacts.QuantizationOutputSqnrDb, budget.OutputSqnr);
                if (budget.Metric != "output SQNR")
                {
                    plan.Facts.Add(PlanFacts.QuantizationFloat32Score, budget.Float32Value);
                    plan.Facts.Add(PlanFacts.QuantizationInt8Score, budget.Int8Value);
                }
                plan.Facts.Add(PlanFacts.QuantizationLayersInFloat, budget.FloatNodes.Count);
                int integerLayers = budget.Scheme.Numerics.Count(p => p.Value == NodeNumerics.Weighted || p.Value == NodeNumerics.Requantizing) + budget.FloatNodes.Count;
                if (budget.FloatNodes.Count * 2 > integerLayers)
                    diagnostics.Add(new CompilerDiagnostic(DiagnosticIds.MostlyFloat, DiagnosticSeverity.Warning,
                        string.Format(System.Globalization.CultureInfo.InvariantCulture,
                            "the accuracy budget ({0}) kept {1} of {2} integer layers in float: this model runs mostly in float, with little of INT8's speed and size. Check the calibration data, relax the budget, or compare with Precision=\"Float32\" (report: {3}.report.md).",
                            budget.Metric == "output SQNR" ? "output SQNR ≥ " + (options.Budget ?? new AccuracyBudgetOptions()).MinOutputSqnr.ToString(System.Globalization.CultureInfo.InvariantCulture) + " dB" : budget.Metric,
                            budget.FloatNodes.Count, integerLayers, options.ModelName), file));
                if (report.LowSqnrLayers.Count > 0)
                    diagnostics.Add(new CompilerDiagnostic(DiagnosticIds.LowLayerSqnr, DiagnosticSeverity.Warning,
                        string.Format(System.Globalization.CultureInfo.InvariantCulture,
                            "{0} quantized tensors lose more than their own {1} dB to rounding (e.g. '{2}'): their ranges are stretched by outliers. Check the report {3}.report.md, or give ValidationData and ValidationLabels to budget on accuracy.",
                            report.LowSqnrLayers.Count, QuantizationReport.LowLayerSqnr, report.LowSqnrLayers[0], options.ModelName), file));
            }
            return new CompileResult(plan, weights, diagnostics) { Report = report, Scheme = scheme, OptimizedGraph = graph };
        }

        /// <summary>
        /// Calibrates the optimized graph on the user's samples (streamed; the first few are kept for the
        /// budget) and decides the integer scheme under the accuracy budget.
        /// </summary>
        private static (BudgetOutcome Outcome, int CalibrationSamples) Quantize(Graph graph, CompileOptions options)
        {
            var input = Calibrator.SingleInput(graph);
            var reader = new CalibrationDataReader(CalibrationDataReader.SampleShapeOf(input), input.Name);
            var budget = options.Budget ?? new AccuracyBudgetOptions();
            var kept = new List<float[]>();
            var samples = reader.ReadSamples(options.CalibrationData!, options.CalibrationSamples ?? int.MaxValue)
                .Select(s => { if (kept.Count < budget.MaxSamples) kept.Add(s); return s; });
            var statistics = Calibrator.Collect(graph, samples);
            var outcome = AccuracyBudget.Apply(graph, statistics, options.Quantization ?? new QuantizationOptions(), budget, kept);
            return (outcome, statistics.SampleCount);
        }

        /// <summary>Per-layer SQNR of the final scheme for the report, on at most 16 of the measured samples.</summary>
        private static IReadOnlyList<LayerSqnrEntry> MeasureLayers(Graph graph, BudgetOutcome outcome, CompileOptions options)
        {
            var input = Calibrator.SingleInput(graph);
            var reader = new CalibrationDataReader(CalibrationDataReader.SampleShapeOf(input), input.Name);
            var samples = reader.ReadSamples(options.CalibrationData!, Math.Min(16, options.CalibrationSamples ?? int.MaxValue)).ToList();
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

        /// <summary>The graph-level stages, shared with tests and calibration (which evaluate the optimized graph).</summary>
        public static RewriteCounts Optimize(Graph graph)
        {
            ShapeInference.Run(graph);
            return GraphRewrites.Run(graph);
        }
    }
}
