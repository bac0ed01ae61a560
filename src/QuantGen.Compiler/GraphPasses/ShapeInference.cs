// Shape inference with constant folding: every value gets a type and a static shape, and every node
// whose inputs are all known at build time is evaluated and replaced by its result (this folds
// Constant nodes and shape arithmetic such as Shape → Gather → Concat → Reshape).
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;
using QuantGen.Compiler.Operators;

namespace QuantGen.Compiler.GraphPasses
{
    public static class ShapeInference
    {
        public static void Run(Graph graph) => Run(graph, new ResourceLimits());

        /// <summary>
        /// Each node in order: validated, its shapes inferred, its outputs checked against <paramref name="limits"/>, and only
        /// then, when all its inputs are constants, evaluated. Nothing reads a node's data before its shapes are known to fit.
        /// </summary>
        public static void Run(Graph graph, ResourceLimits limits)
        {
            string file = graph.Info.SourcePath;
            PrepareInputs(graph, file, limits);
            var context = new OperatorContext(graph.Info.Opset);
            // Folded nodes leave the graph in one pass at the end: removing each from the list as it folds is quadratic.
            var folded = new HashSet<Node>();
            long foldedBytes = 0, ownBytes = graph.Constants.Sum(v => v.ElementCount * (long)DataTypes.SizeOf(v.Type));
            foreach (var node in graph.Nodes)
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
                    op.Validate(node);
                    op.InferShapes(node, context);
                    foreach (var o in node.Outputs)
                    {
                        limits.CheckTensor(o.Shape!, o.Type, $"output '{o.Name}' of {node.OpType} '{node.Name}'", file, node.Name);
                        // A batched value holds one sample: its leading axis is 1. Anything else broadcast the batch axis
                        // against another tensor's axis, which the per-sample Run cannot compute.
                        if (o.IsBatched && (o.Shape!.Length == 0 || o.Shape[0] != 1))
                            throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDynamicShape, DiagnosticSeverity.Error,
                                $"{node.OpType} '{node.Name}' makes the batch axis of '{o.Name}' {(o.Shape.Length == 0 ? "disappear" : o.Shape[0].ToString(System.Globalization.CultureInfo.InvariantCulture))} long, which mixes samples of the symbolic batch axis; export the model with a fixed batch size of 1.",
                                file, node.Name));
                    }
                    // A node whose outputs hold no elements has nothing to compute, whatever its inputs: its outputs are
                    // empty constants (lowering need not handle empty tensors; a Concat of them once planned a negative length).
                    if (node.Outputs.All(o => o.ElementCount == 0) && !(op is ConstantOperator))
                    {
                        foreach (var o in node.Outputs)
                        {
                            o.Constant = Tensor.Create(o.Type, o.Shape!);
                            o.IsBatched = false;
                            o.Producer = null;
                        }
                        folded.Add(node);
                    }
                    // Shape only needs the (static) shape of its input, never its data.
                    else if (op is ShapeOperator || node.Inputs.All(v => v == null || v.IsConstant))
                    {
                        // The memory and the time folding takes are checked before it runs: the outputs' shapes are known.
                        long bytes = node.Outputs.Sum(o => o.ElementCount * (long)DataTypes.SizeOf(o.Type));
                        ResourceLimits.CheckFoldCost(op.EvaluationCost(node), $"{node.OpType} '{node.Name}'", file, node.Name);
                        if (op is ConstantOperator) ownBytes += bytes;
                        else
                        {
                            limits.CheckFolding(foldedBytes, bytes, ownBytes, file, node.Name);
                            foldedBytes += bytes;
                        }
                        Fold(node, op, context);
                        folded.Add(node);
                    }
                }
                catch (CompilerException e)
                {
                    throw e.At(file, node.Name);
                }
                catch (Exception e) when (!(e is OutOfMemoryException))
                {
                    throw CompilerException.Internal(e, "inferring the shapes of", file, node);
                }
            }
            if (folded.Count > 0) graph.Nodes.RemoveAll(folded.Contains);
            bool batched = graph.Inputs.Any(v => v.IsBatched);
            foreach (var output in graph.Outputs)
            {
                if (output.Shape == null)
                    throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.InvalidGraph, DiagnosticSeverity.Error,
                        $"graph output '{output.Name}' is not produced by any node.", file));
                // Run computes each sample's outputs; an output without the batch axis (a constant, or computed from constants
                // alone) has no per-sample value to write.
                if (batched && !output.IsBatched)
                    throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDynamicShape, DiagnosticSeverity.Error,
                        $"graph output '{output.Name}' does not carry the batch axis the inputs have (it is {(output.IsConstant ? "a constant" : "the same for every sample")}); QuantGen computes outputs one sample at a time. Drop the output, or export the model with a fixed batch size.", file, output.Producer?.Name));
            }
        }

        /// <summary>Evaluates a node whose inputs are all known; its outputs become constants.</summary>
        private static void Fold(Node node, OperatorDefinition op, OperatorContext context)
        {
            var results = op.Evaluate(node, node.Inputs.Select(v => v?.Constant).ToArray(), context);
            if (results.Length < node.Outputs.Count)
                throw new InvalidOperationException($"evaluation gave {results.Length} results for {node.Outputs.Count} outputs");
            for (int i = 0; i < node.Outputs.Count; i++)
            {
                var o = node.Outputs[i];
                var r = results[i];
                // Shape inference is what the limits checked and what later stages plan with: the data must agree.
                if (r.Type != o.Type || !r.Shape.SequenceEqual(o.Shape!))
                    throw new InvalidOperationException($"evaluation gave {r} for output '{o.Name}', which shape inference made {DataTypes.Name(o.Type)}[{string.Join(",", o.Shape!)}]");
                o.Constant = r;
                o.IsBatched = false;
                o.Producer = null;
            }
        }

        /// <summary>Element types a generated Run method takes and returns as spans.</summary>
        public static bool IsPublicType(DataType type) =>
            type == DataType.Float32 || type == DataType.Float64 || type == DataType.Int8 || type == DataType.Int16 || type == DataType.Int32 ||
            type == DataType.Int64 || type == DataType.UInt8 || type == DataType.UInt16 || type == DataType.Bool;

        /// <summary>A leading symbolic axis on every input is the batch axis; any other symbolic axis is rejected.</summary>
        private static void PrepareInputs(Graph graph, string file, ResourceLimits limits)
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
                limits.CheckTensor(input.Shape, input.Type, $"input '{input.Name}'" + (batched ? " (one sample)" : ""), file, null);
            }
        }
    }
}
