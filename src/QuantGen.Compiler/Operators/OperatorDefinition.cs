// One ONNX operator as the compiler knows it: shape inference and reference (plain C#) semantics.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators
{
    public abstract class OperatorDefinition
    {
        protected OperatorDefinition(string opType, int sinceOpset = 1)
        {
            OpType = opType;
            SinceOpset = sinceOpset;
        }

        public string OpType { get; }

        /// <summary>The oldest opset whose semantics this definition implements.</summary>
        public int SinceOpset { get; }

        /// <summary>Limits a user should know, for the generated support matrix (docs/operators.md).</summary>
        public virtual string Notes => "";

        /// <summary>
        /// Whether input <paramref name="index"/> decides the output's shape or the op's meaning (Reshape's shape, Slice's
        /// starts, a reduction's axes…) and so must be known at build time: an initializer or a folded constant.
        /// </summary>
        public virtual bool IsBuildTimeInput(Node node, int index) => false;

        /// <summary>Sets each output's Type, Shape and IsBatched from the inputs (all inputs have shapes).</summary>
        public abstract void InferShapes(Node node, OperatorContext context);

        /// <summary>Computes the outputs from input tensors (null for omitted optional inputs).</summary>
        public abstract Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context);

        // ---- helpers shared by the definitions ----

        protected static Value In(Node node, int index) =>
            node.Input(index) ?? throw Unsupported(node, $"input {index} is required");

        protected static int[] ShapeOf(Node node, int index) => In(node, index).Shape!;

        protected static void SetOutput(Node node, int index, DataType type, int[] shape, bool batched)
        {
            var o = node.Outputs[index];
            o.Type = type;
            o.Shape = shape;
            o.IsBatched = batched;
        }

        /// <summary>True when any runtime input carries the batch axis.</summary>
        protected static bool AnyBatched(Node node) => node.Inputs.Any(v => v != null && v.IsBatched);

        /// <summary>Normalizes a possibly negative axis against <paramref name="rank"/>.</summary>
        protected static int Axis(Node node, long axis, int rank)
        {
            long a = axis < 0 ? axis + rank : axis;
            if (a < 0 || a >= Math.Max(rank, 1)) throw Invalid(node, $"axis {axis} is out of range for rank {rank}");
            return (int)a;
        }

        /// <summary>An op that would mix samples of the batch cannot run one sample at a time.</summary>
        protected static void RequireSampleWise(Node node, bool ok, string why)
        {
            if (!ok && AnyBatched(node))
                throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDynamicShape, DiagnosticSeverity.Error,
                    $"{node.OpType} '{node.Name}' {why}, which mixes samples of the symbolic batch axis; export the model with a fixed batch size of 1.",
                    null, node.Name));
        }

        public static CompilerException Unsupported(Node node, string what) =>
            new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedAttribute, DiagnosticSeverity.Error,
                $"{node.OpType} '{node.Name}': {what} is not supported. Supported operators and attributes: {DiagnosticIds.SupportedOperatorsLink}",
                null, node.Name));

        public static CompilerException Invalid(Node node, string what) =>
            new CompilerException(new CompilerDiagnostic(DiagnosticIds.InvalidGraph, DiagnosticSeverity.Error,
                $"{node.OpType} '{node.Name}': {what}.", null, node.Name));

        protected static string Dims(int[] shape) => "[" + string.Join(",", shape) + "]";
    }

    /// <summary>What an operator may ask of the model it sits in.</summary>
    public sealed class OperatorContext
    {
        public OperatorContext(int opset) { Opset = opset; }

        public int Opset { get; }
    }

    /// <summary>The supported operators, by op type (default ONNX domain).</summary>
    public static class OperatorSet
    {
        private static readonly Dictionary<string, OperatorDefinition> s_byType = Build();

        public static IEnumerable<OperatorDefinition> All => s_byType.Values.OrderBy(d => d.OpType, StringComparer.Ordinal);

        public static OperatorDefinition? Find(Node node) =>
            (node.Domain.Length == 0 || node.Domain == "ai.onnx") && s_byType.TryGetValue(node.OpType, out var d) ? d : Ml.MlOperatorSet.Find(node);

        /// <summary><see cref="Require(Node, string)"/>, and for ai.onnx.ml operators the model's opset import of that domain.</summary>
        public static OperatorDefinition Require(Node node, ModelInfo info)
        {
            var d = Require(node, info.SourcePath);
            if (d is Ml.MlOperator ml) Ml.MlOperatorSet.CheckOpset(ml, node, info);
            return d;
        }

        public static OperatorDefinition Require(Node node, string file)
        {
            var d = Find(node);
            if (d != null) return d;
            string op = node.Domain.Length == 0 ? node.OpType : node.Domain + "." + node.OpType;
            throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedOperator, DiagnosticSeverity.Error,
                $"operator {op} (node '{node.Name}') is not supported. Supported operators: {DiagnosticIds.SupportedOperatorsLink}",
                file, node.Name));
        }

        private static Dictionary<string, OperatorDefinition> Build()
        {
            var all = new List<OperatorDefinition>();
            all.AddRange(ElementwiseOperators.All());
            all.AddRange(ActivationOperator.All());
            all.AddRange(ShapeOperators.All());
            all.Add(new ConvOperator());
            all.Add(new GemmOperator());
            all.Add(new MatMulOperator());
            all.AddRange(PoolOperators.All());
            all.Add(new SoftmaxOperator("Softmax", log: false));
            all.Add(new SoftmaxOperator("LogSoftmax", log: true));
            all.Add(new BatchNormalizationOperator());
            all.AddRange(ReduceOperator.All());
            all.Add(new SliceOperator());
            all.Add(new SplitOperator());
            all.Add(new PadOperator());
            all.Add(new ConstantOfShapeOperator());
            all.Add(new LayerNormalizationOperator());
            all.Add(new InstanceNormalizationOperator());
            all.Add(new ResizeOperator("Resize"));
            all.Add(new ResizeOperator("Upsample"));
            all.Add(new ConvTransposeOperator());
            all.Add(new CastOperator());
            all.Add(new QuantizeLinearOperator());
            all.Add(new DequantizeLinearOperator());
            all.AddRange(new OperatorDefinition[] { new MatMulIntegerOperator(), new ConvIntegerOperator(), new QLinearMatMulOperator(), new QLinearConvOperator(), new DynamicQuantizeLinearOperator() });
            return all.ToDictionary(d => d.OpType, StringComparer.Ordinal);
        }
    }
}
