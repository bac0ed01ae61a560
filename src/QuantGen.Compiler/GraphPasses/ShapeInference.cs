// Shape inference with constant folding: every value gets a type and a static shape, and every node
// whose inputs are all known at build time is evaluated and replaced by its result (this folds
// Constant nodes and shape arithmetic such as Shape → Gather → Concat → Reshape).
using System.Linq;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;
using QuantGen.Compiler.Operators;

namespace QuantGen.Compiler.GraphPasses
{
    public static class ShapeInference
    {
        public static void Run(Graph graph)
        {
            string file = graph.Info.SourcePath;
            PrepareInputs(graph, file);
            var context = new OperatorContext(graph.Info.Opset);
            foreach (var node in graph.Nodes.ToList())
            {
                var op = OperatorSet.Require(node, graph.Info);
                foreach (var input in node.Inputs)
                    if (input != null && input.Shape == null)
                        throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.InvalidGraph, DiagnosticSeverity.Error,
                            $"input '{input.Name}' of {node.OpType} '{node.Name}' has no known shape.", file, node.Name));
                for (int i = 0; i < node.Inputs.Count; i++)
                {
                    var input = node.Inputs[i];
                    if (input != null && !input.IsConstant && op.IsBuildTimeInput(node, i))
                        throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDynamicShape, DiagnosticSeverity.Error,
                            $"input {i} ('{input.Name}') of {node.OpType} '{node.Name}' decides the output's shape or the operator's meaning and must be known at build time (an initializer or a constant); QuantGen compiles static shapes.",
                            file, node.Name));
                }
                try
                {
                    if (node.Inputs.All(v => v == null || v.IsConstant) && !(op is ShapeOperator))
                    {
                        Fold(graph, node, op, context);
                        continue;
                    }
                    op.InferShapes(node, context);
                    // Shape only needs the (static) shape of its input, never its data.
                    if (op is ShapeOperator) Fold(graph, node, op, context);
                }
                catch (CompilerException e) when (e.Diagnostic.File == null)
                {
                    var d = e.Diagnostic;
                    throw new CompilerException(new CompilerDiagnostic(d.Id, d.Severity, d.Message, file, d.Node ?? node.Name));
                }
            }
            foreach (var output in graph.Outputs)
                if (output.Shape == null)
                    throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.InvalidGraph, DiagnosticSeverity.Error,
                        $"graph output '{output.Name}' is not produced by any node.", file));
        }

        private static void Fold(Graph graph, Node node, OperatorDefinition op, OperatorContext context)
        {
            var results = op.Evaluate(node, node.Inputs.Select(v => v?.Constant).ToArray(), context);
            for (int i = 0; i < node.Outputs.Count && i < results.Length; i++)
            {
                var o = node.Outputs[i];
                o.Constant = results[i];
                o.Type = results[i].Type;
                o.Shape = results[i].Shape;
                o.IsBatched = false;
                o.Producer = null;
            }
            graph.Nodes.Remove(node);
        }

        /// <summary>Element types a generated Run method takes and returns as spans.</summary>
        public static bool IsPublicType(DataType type) =>
            type == DataType.Float32 || type == DataType.Float64 || type == DataType.Int8 || type == DataType.Int16 || type == DataType.Int32 ||
            type == DataType.Int64 || type == DataType.UInt8 || type == DataType.UInt16 || type == DataType.Bool;

        /// <summary>A leading symbolic axis on every input is the batch axis; any other symbolic axis is rejected.</summary>
        private static void PrepareInputs(Graph graph, string file)
        {
            bool anyBatched = graph.Inputs.Any(v => v.Shape != null && v.Shape.Length > 0 && v.Shape[0] < 0);
            foreach (var input in graph.Inputs)
            {
                if (input.Shape == null)
                    throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDynamicShape, DiagnosticSeverity.Error,
                        $"input '{input.Name}' has no shape in the model; QuantGen needs static shapes (a symbolic leading batch axis is allowed).", file));
                // Any type a public span can carry; the operators that read it decide whether they run on it (FP32 math,
                // type-agnostic data movement), so an int64 index input is fine and an int64 Conv input is a clean QG0005.
                if (!IsPublicType(input.Type))
                    throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDataType, DiagnosticSeverity.Error,
                        $"input '{input.Name}' is {DataTypes.Name(input.Type)}; public tensors may be float32, float64, int8, int16, int32, int64, uint8, uint16 or bool.", file));
                for (int i = 0; i < input.Shape.Length; i++)
                {
                    if (input.Shape[i] >= 0) continue;
                    if (i != 0)
                        throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDynamicShape, DiagnosticSeverity.Error,
                            $"input '{input.Name}' has a symbolic dimension on axis {i}; only a leading batch axis may be symbolic. Export the model with fixed sizes.", file));
                }
                bool batched = input.Shape.Length > 0 && input.Shape[0] < 0;
                if (anyBatched && !batched)
                    throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDynamicShape, DiagnosticSeverity.Error,
                        $"input '{input.Name}' has a fixed leading axis while other inputs have a symbolic batch axis.", file));
                if (batched)
                {
                    input.Shape = (int[])input.Shape.Clone();
                    input.Shape[0] = 1;
                    input.IsBatched = true;
                }
            }
        }
    }
}
