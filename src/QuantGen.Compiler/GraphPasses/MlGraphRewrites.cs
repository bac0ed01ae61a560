// Before shape inference: ai.onnx.ml graph outputs that are not tensors become the tensors behind them.
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;
using QuantGen.Compiler.Operators.Ml;

namespace QuantGen.Compiler.GraphPasses
{
    public static class MlGraphRewrites
    {
        /// <summary>
        /// A ZipMap that makes a graph output (scikit-learn converters add one after every classifier) is removed, and the
        /// output becomes its input, the probability tensor: a sequence of maps cannot be a span, and the tensor holds the
        /// same numbers in class order. Each removal is reported once (QG0020, info).
        /// </summary>
        public static void DropZipMaps(Graph graph, List<CompilerDiagnostic> diagnostics)
        {
            // This runs before shape inference validates anything: a malformed ZipMap is left for ZipMapOperator to refuse.
            var read = new HashSet<Value>(graph.Nodes.SelectMany(n => n.Inputs).Where(v => v != null)!);
            foreach (var zipMap in graph.Nodes.Where(n => n.Domain == MlOperator.DomainName && n.OpType == "ZipMap").ToList())
            {
                if (zipMap.Outputs.Count != 1 || zipMap.Inputs.Count != 1) continue;
                var map = zipMap.Outputs[0];
                var probabilities = zipMap.Input(0);
                // Read by a node: ZipMapOperator says why not. A graph input or a constant cannot become the output.
                if (probabilities == null || read.Contains(map) || probabilities.Producer == null) continue;
                int index = graph.Outputs.IndexOf(map);
                if (index < 0) continue;
                if (graph.Outputs.Contains(probabilities)) graph.Outputs.RemoveAt(index);
                else graph.Outputs[index] = probabilities;
                graph.Nodes.Remove(zipMap);
                diagnostics.Add(new CompilerDiagnostic(DiagnosticIds.ZipMapDropped, DiagnosticSeverity.Info,
                    $"ZipMap '{zipMap.Name}' was dropped: its output '{map.Name}' (a sequence of maps) becomes the tensor '{probabilities.Name}' it read, one probability per class in class order. Run takes it as a Span<float>.",
                    graph.Info.SourcePath, zipMap.Name));
            }
        }

        /// <summary>
        /// ML.NET writes a binary classifier's predicted label as Binarizer → Cast(to = BOOL). The pair becomes one
        /// Binarizer that writes bool (its "to" attribute), so no float → bool Cast runs (the default-domain Cast does not
        /// convert to bool at run time). The values are the same: 1 where x &gt; threshold, else 0.
        /// </summary>
        public static void FuseBinarizerCasts(Graph graph)
        {
            foreach (var cast in graph.Nodes.Where(n => n.Domain.Length == 0 && n.OpType == "Cast" && n.Attributes.GetInt("to", 0) == (long)DataType.Bool).ToList())
            {
                if (cast.Outputs.Count != 1) continue; // malformed: the Cast's validation refuses it
                var binarizer = cast.Input(0)?.Producer;
                if (binarizer == null || binarizer.Domain != MlOperator.DomainName || binarizer.OpType != "Binarizer") continue;
                var between = binarizer.Outputs[0];
                if (graph.IsGraphOutput(between) || graph.Nodes.Count(n => n.Inputs.Contains(between)) != 1) continue;
                binarizer.Outputs[0] = cast.Outputs[0];
                cast.Outputs[0].Producer = binarizer;
                binarizer.Attributes.Set(Ir.Attribute.OfInt("to", (long)DataType.Bool));
                graph.Nodes.Remove(cast);
            }
        }

        /// <summary>
        /// The precision a graph of ai.onnx.ml operators compiles in: trees, linear models and encoders run in float32
        /// (exactly as ONNX Runtime), so an Int8 request with no convolution or matrix product beside them quantizes
        /// nothing. It compiles Float32 and says so once (QG0021, info) instead of asking for calibration data.
        /// </summary>
        public static Pipeline.Precision PrecisionFor(Graph graph, Pipeline.Precision requested, List<CompilerDiagnostic> diagnostics)
        {
            if (requested == Pipeline.Precision.Float32 || !graph.Nodes.Any(n => n.Domain == MlOperator.DomainName)) return requested;
            if (graph.Nodes.Any(n => n.Domain.Length == 0 && (n.OpType == "Conv" || n.OpType == "Gemm" || n.OpType == "MatMul" || n.OpType == "ConvTranspose"))) return requested;
            diagnostics.Add(new CompilerDiagnostic(DiagnosticIds.NothingToQuantize, DiagnosticSeverity.Info,
                $"Precision=\"{requested}\" has nothing to quantize in this model: its ai.onnx.ml operators (tree ensembles, linear models, scalers, encoders) run in float32, exactly as ONNX Runtime computes them. It is compiled as Float32; set Precision=\"Float32\" to silence this message.",
                graph.Info.SourcePath));
            return Pipeline.Precision.Float32;
        }
    }
}
