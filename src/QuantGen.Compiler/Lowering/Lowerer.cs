// Lowering: turns the optimized ONNX graph into kernel calls over buffers, choosing each tensor's memory layout (NHWC for
// convolution and pooling, the ONNX order elsewhere) and packing weights. Each node goes to the family that lowers its
// operator definition (ConvLowering, GemmLowering, …); the integer lowering of a quantized build, when there is one, is
// asked first.
using System;
using System.Collections.Generic;
using QuantGen.Compiler.Lowering.Ml;
using QuantGen.Compiler.Operators;
using QuantGen.Compiler.Quantization;
using QuantGen.Ir;
using QuantGen.Ir.Diagnostics;
using static QuantGen.Plan.KernelCatalog;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Compiler.Lowering
{
    /// <summary>Where a value lives after its node is lowered: its buffers (one per layout it was written in) and the calls before it is complete.</summary>
    internal sealed class ValueHome
    {
        public ValueHome(IReadOnlyList<(Buffer Buffer, Layout Layout)> buffers, int callsBefore)
        {
            Buffers = buffers;
            CallsBefore = callsBefore;
        }

        public IReadOnlyList<(Buffer Buffer, Layout Layout)> Buffers { get; }

        /// <summary>The value is complete once this many calls have run (its node's last call is the one before).</summary>
        public int CallsBefore { get; }
    }

    public static class Lowerer
    {
        /// <summary>Lowers <paramref name="graph"/> in float32.</summary>
        public static LoweredProgram Lower(Graph graph) => Lower(graph, scheme: null);

        /// <summary>Lowers <paramref name="graph"/> with the integer kernels where <paramref name="scheme"/> says so (null: all float).</summary>
        public static LoweredProgram Lower(Graph graph, QuantizationScheme? scheme)
        {
            var context = new LoweringContext(graph, scheme);
            return Run(context, scheme == null ? null : new CalibratedInt8Lowering(context));
        }

        /// <summary>Int8Dynamic: every Gemm and MatMul by a constant runs on int8 weights and per-call quantized inputs; the rest stays float.</summary>
        public static LoweredProgram LowerDynamic(Graph graph)
        {
            var context = new LoweringContext(graph, scheme: null);
            return Run(context, new DynamicInt8Lowering(context));
        }

        /// <summary>
        /// Lowers <paramref name="graph"/> in float32 for the INT8 stage's simulation (no program passes follow): every value
        /// in memory of its own, and <paramref name="homes"/> says where each node output lives once its node is lowered.
        /// </summary>
        internal static LoweredProgram LowerForSimulation(Graph graph, out Dictionary<Value, ValueHome> homes)
        {
            var context = new LoweringContext(graph, scheme: null, valuesApart: true);
            var found = new Dictionary<Value, ValueHome>();
            void Record(Value v)
            {
                var buffers = new List<(Buffer, Layout)>();
                if (context.TryLogical(v, out var logical)) buffers.Add((logical, Layout.Logical));
                if (context.TryNhwc(v, out var nhwc)) buffers.Add((nhwc, Layout.Nhwc));
                found[v] = new ValueHome(buffers, context.Program.Calls.Count);
            }
            var program = Run(context, null, Record);
            homes = found;
            return program;
        }

        private static LoweredProgram Run(LoweringContext context, IntegerLowering? integers, Action<Value>? lowered = null)
        {
            var gemm = new GemmLowering(context);
            var conv = new ConvLowering(context);
            var families = new LoweringTable(conv, gemm, new PoolLowering(context), new ElementwiseLowering(context), new TensorLowering(context),
                new NormalizationLowering(context), new QuantizedOperatorLowering(context, gemm, conv), new MlLowering(context));
            var graph = context.Graph;
            for (int i = 0; i < graph.Inputs.Count; i++)
            {
                var v = graph.Inputs[i];
                var b = context.NewBuffer(v.Name, BufferKind.Input, v.Type, v.ElementCount);
                b.Index = i;
                context.Bind(v, Layout.Logical, b);
                context.Program.Inputs.Add(b);
                lowered?.Invoke(v);
            }
            foreach (var node in graph.Nodes)
            {
                context.Current = node;
                try
                {
                    LowerNode(context, node, families, integers);
                }
                catch (CompilerException e) when (e.Diagnostic.File == null)
                {
                    var d = e.Diagnostic;
                    throw new CompilerException(new CompilerDiagnostic(d.Id, d.Severity, d.Message, graph.Info.SourcePath, d.Node ?? node.Name));
                }
                catch (Exception e) when (!(e is CompilerException) && !(e is OutOfMemoryException))
                {
                    throw CompilerException.Internal(e, "lowering", graph.Info.SourcePath, node);
                }
                if (lowered != null)
                    foreach (var output in node.Outputs) lowered(output);
            }
            context.Current = null;
            BindOutputs(context);
            foreach (var call in context.Program.Calls) call.Validate();
            return context.Program;
        }

        private static void LowerNode(LoweringContext context, Node node, LoweringTable families, IntegerLowering? integers)
        {
            var op = OperatorSet.Require(node, context.Graph.Info);
            if (integers != null && integers.Runs(node, op))
            {
                integers.Lower(node, op);
                return;
            }
            // A float op after integer code reads its inputs dequantized, in the layout they were written in.
            foreach (var input in node.Inputs)
                if (input != null && !input.IsConstant) context.Integers.EnsureFloat(input);
            var lowering = families.Find(op) ?? throw OperatorDefinition.Unsupported(node, "running this operator on data known only at run time");
            if (!lowering.AnyElementType) RequireFloat32(node);
            lowering.Lower(node, op);
        }

        /// <summary>Rejects, with QG0005, non-float32 data computed at run time reaching an op whose kernels are FP32.</summary>
        private static void RequireFloat32(Node node)
        {
            Value? bad = null;
            foreach (var v in node.Inputs)
                if (v != null && !v.IsConstant && v.Type != DataType.Float32) { bad = v; break; }
            if (bad == null)
                foreach (var v in node.Outputs)
                    if (v.Type != DataType.Float32) { bad = v; break; }
            if (bad == null) return;
            throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDataType, DiagnosticSeverity.Error,
                $"{node.OpType} '{node.Name}' on {DataTypes.Name(bad.Type)} data ('{bad.Name}') computed at run time is not supported: this version computes in float32 (other element types only move through views, Transpose, Gather, Slice, Split and Pad, or Cast to float32).",
                null, node.Name));
        }

        /// <summary>
        /// Graph outputs are written straight into the caller's span: the buffer (or the buffer a view
        /// sees) moves to the output region. Inputs, constants and shared buffers get a copy instead.
        /// </summary>
        private static void BindOutputs(LoweringContext context)
        {
            var graph = context.Graph;
            var claimed = new System.Collections.Generic.HashSet<Buffer>();
            for (int i = 0; i < graph.Outputs.Count; i++)
            {
                var v = graph.Outputs[i];
                if (!GraphPasses.ShapeInference.IsPublicType(v.Type))
                    throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDataType, DiagnosticSeverity.Error,
                        $"output '{v.Name}' is {DataTypes.Name(v.Type)}; public tensors may be float32, float64, int8, int16, int32, int64, uint8, uint16 or bool.", graph.Info.SourcePath));
                // A constant output keeps its element type (Shape's int64, say).
                var source = v.IsConstant ? context.ConstantOf(v.Constant!, v.Name) : context.Logical(v);
                var root = source.Root;
                Buffer output;
                if (root.Kind == BufferKind.Workspace && root.Elements == source.Elements && claimed.Add(root))
                {
                    root.Kind = BufferKind.Output;
                    root.Index = i;
                    output = source;
                }
                else
                {
                    output = context.NewBuffer(v.Name, BufferKind.Output, v.Type, v.ElementCount);
                    output.Index = i;
                    context.Emit(Copy).Set(X, source).Set(Y, output).Set(Count, source.Elements);
                }
                context.Program.Outputs.Add(output);
            }
        }
    }
}
