// The stages in order: shape inference with constant folding → rewrites → lowering → memory plan → plan.
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Diagnostics;
using QuantGen.Compiler.Ir;
using QuantGen.Compiler.Lowering;
using QuantGen.Compiler.Passes;

namespace QuantGen.Compiler.Pipeline
{
    internal static class CompilationPipeline
    {
        public static CompileResult Run(Graph graph, CompileOptions options, List<CompilerDiagnostic> diagnostics)
        {
            string file = graph.Info.SourcePath;
            if (graph.Outputs.Count == 0)
                throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.InvalidGraph, DiagnosticSeverity.Error, "the model has no outputs.", file));
            Optimize(graph);

            var precision = options.Precision;
            if (precision == Precision.Int8)
            {
                // Honest fallback until INT8 lands: the generated class says Float32, and the build says why.
                diagnostics.Add(new CompilerDiagnostic(DiagnosticIds.Int8NotAvailable, DiagnosticSeverity.Warning,
                    "Precision=\"Int8\" is not available in this version of QuantGen; the model is compiled in Float32. Set Precision=\"Float32\" to silence this warning.", file));
                precision = Precision.Float32;
            }

            var program = Lowerer.Lower(graph);
            long workspace = MemoryPlanner.Plan(program);
            var (plan, weights) = PlanBuilder.Build(graph, program, workspace, precision.ToString(), options.ResourceName, options.InlineWeightLimit);
            // Facts the generated class documents and tests check: parameters after folding, and what memory planning saved.
            plan.Facts.Add(Fact("parameters", graph.Constants.Sum(v => (long)v.ElementCount)));
            plan.Facts.Add(Fact("workspace.unplanned", MemoryPlanner.UnplannedBytes(program)));
            return new CompileResult(plan, weights, diagnostics);
        }

        private static KeyValuePair<string, string> Fact(string key, long value) =>
            new KeyValuePair<string, string>(key, value.ToString(System.Globalization.CultureInfo.InvariantCulture));

        /// <summary>The graph-level stages, shared with tests and calibration (which evaluate the optimized graph).</summary>
        public static RewriteCounts Optimize(Graph graph)
        {
            ShapeInference.Run(graph);
            return GraphRewrites.Run(graph);
        }
    }
}
