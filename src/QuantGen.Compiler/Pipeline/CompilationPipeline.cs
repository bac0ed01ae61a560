// The stages in order: graph passes → [INT8: quantization] → lowering → program passes → memory plan → plan.
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.GraphPasses;
using QuantGen.Compiler.Lowering;
using QuantGen.Compiler.Planning;
using QuantGen.Compiler.ProgramPasses;
using QuantGen.Compiler.Quantization;
using QuantGen.Ir;
using QuantGen.Ir.Diagnostics;

namespace QuantGen.Compiler.Pipeline
{
    internal static class CompilationPipeline
    {
        public static CompileResult Run(Graph graph, CompileOptions options, List<CompilerDiagnostic> diagnostics)
        {
            string file = graph.Info.SourcePath;
            if (graph.Outputs.Count == 0)
                throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.InvalidGraph, DiagnosticSeverity.Error, "the model has no outputs.", file));
            var limits = options.Limits;
            MlGraphRewrites.DropZipMaps(graph, diagnostics);
            MlGraphRewrites.FuseBinarizerCasts(graph);
            Optimize(graph, limits);

            var precision = MlGraphRewrites.PrecisionFor(graph, options.Precision, diagnostics);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var times = new BuildTimes();
            QuantizationScheme? scheme = null;
            BudgetOutcome? budget = null;
            int calibrationSamples = 0;
            string engine = "";
            if (precision == Precision.Int8 && options.CalibrationData == null && QuantizationScheme.FromQdq(graph) is { } stated)
            {
                // A model quantized elsewhere (QDQ): its own scales and zero points, no calibration, no budget.
                scheme = stated;
            }
            else if (precision == Precision.Int8 && options.CalibrationData == null)
            {
                // No data, no activation ranges: an honest Float32 build (the generated class says so) beats guessed scales.
                diagnostics.Add(CalibratedQuantization.NoCalibrationData(file));
                precision = Precision.Float32;
            }
            else if (precision == Precision.Int8)
            {
                (budget, calibrationSamples, engine) = CalibratedQuantization.Run(graph, options.CalibrationData!, options.CalibrationSamples,
                    options.Quantization ?? new QuantizationOptions(), options.Budget ?? new AccuracyBudgetOptions(), options.PlanExecutor,
                    options.BuildThreads, times, new BuildProgress(options.Progress), diagnostics, limits);
                scheme = budget.Scheme;
            }

            if (precision == Precision.Float32) InputNormalizationFolding.Run(graph);

            var (program, plan, weights) = times.Time(BuildPhase.Lower, () =>
            {
                var lowered = precision == Precision.Int8Dynamic ? Lowerer.LowerDynamic(graph) : Lowerer.Lower(graph, scheme);
                ExpandDepthwiseFusion.Apply(lowered, options.ExpandDepthwiseBandBytes);
                if (options.FuseResidualAdds) ResidualAddFusion.Apply(lowered);
                long workspace = MemoryPlanner.Plan(lowered);
                // Checked here, naming the model, before the plan and the weight blob are built (the generator only ever sees plans that fit).
                limits.CheckWorkspace(workspace, "the workspace (the arena each instance of the generated class allocates)", file);
                limits.CheckWeights(lowered.Buffers.Where(b => b.Kind == BufferKind.Constant && b.ViewOf == null).Sum(b => b.Bytes), "the packed weights", file);
                var (built, blob) = PlanBuilder.Build(graph, lowered, workspace, precision.ToString(), options.ResourceName, options.InlineWeightLimit);
                return (lowered, built, blob);
            });
            BuildFacts.AddModelFacts(plan, graph, program);
            var result = new CompileResult(plan, weights, diagnostics) { Scheme = scheme, OptimizedGraph = graph, Times = times };
            if (budget != null)
            {
                long float32Bytes = BuildFacts.Float32WeightBytes(graph);
                BuildFacts.AddQuantizationFacts(plan, budget, float32Bytes, weights.Length, calibrationSamples);
                // The report comes last: its table has every phase's time.
                var report = times.Time(BuildPhase.Emit, () =>
                    QuantizationReport.Create(options.ModelName, budget, float32Bytes, weights.Length, calibrationSamples, clock.Elapsed.TotalSeconds, times, engine));
                diagnostics.AddRange(CalibratedQuantization.Warnings(budget, options.Budget ?? new AccuracyBudgetOptions(), report, options.ModelName, file));
                result.Report = report;
            }
            return result;
        }

        /// <summary>The graph-level stages, shared with tests and calibration (which evaluate the optimized graph).</summary>
        public static RewriteCounts Optimize(Graph graph) => Optimize(graph, new ResourceLimits());

        public static RewriteCounts Optimize(Graph graph, ResourceLimits limits)
        {
            ShapeInference.Run(graph, limits);
            return GraphRewrites.Run(graph);
        }
    }
}
