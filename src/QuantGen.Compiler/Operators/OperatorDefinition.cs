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

        /// <summary>
        /// ONNX's input count: the required inputs, then the most with every optional one. A variadic op (Max = int.MaxValue,
        /// as Concat or Max) needs every input it lists.
        /// </summary>
        public virtual (int Min, int Max) InputCount => (1, 1);

        /// <summary>The most outputs a node may ask for; every node has at least one.</summary>
        public virtual int MaxOutputs => 1;

        /// <summary>
        /// The checks every operator shares, before shape inference or evaluation look at the node: its input and output
        /// counts, required inputs present, and known attributes of the kind ONNX defines. What is particular to an operator
        /// (ranks, element types, attribute ranges) <see cref="InferShapes"/> checks, and the compiler never evaluates a
        /// node whose shapes it has not inferred.
        /// </summary>
        public void Validate(Node node)
        {
            var (min, max) = InputCount;
            int count = node.Inputs.Count;
            // Trailing omitted inputs ("" in ONNX) are the same as absent ones, except for a variadic op, which reads them all.
            while (count > min && max != int.MaxValue && node.Inputs[count - 1] == null) count--;
            if (count < min || count > max)
                throw Invalid(node, max == min ? $"takes {min} input{(min == 1 ? "" : "s")}, not {count}"
                    : max == int.MaxValue ? $"takes at least {min} input{(min == 1 ? "" : "s")}, not {count}"
                    : $"takes {min} to {max} inputs, not {count}");
            for (int i = 0; i < count; i++)
                if (node.Inputs[i] == null && (i < min || max == int.MaxValue)) throw Invalid(node, $"input {i} is required but empty");
            if (node.Outputs.Count == 0) throw Invalid(node, "has no outputs");
            if (node.Outputs.Count > MaxOutputs) throw Invalid(node, $"has {node.Outputs.Count} outputs; {OpType} has at most {MaxOutputs}");
            foreach (var a in node.Attributes.All)
                if (s_attributeKinds.TryGetValue(a.Name, out var kind) && a.Kind != kind && !(a.Name == "value" && IsConstantLike))
                    throw Invalid(node, $"attribute '{a.Name}' is {a.Kind.ToString().ToLowerInvariant()}; ONNX defines it as {kind.ToString().ToLowerInvariant()}");
        }

        /// <summary>Constant and ConstantOfShape take a tensor 'value'; Pad (before opset 11) a float one.</summary>
        private bool IsConstantLike => OpType == "Constant" || OpType == "ConstantOfShape";

        /// <summary>The kind ONNX gives the attributes the operators here read (a wrong kind would read as a default value).</summary>
        private static readonly Dictionary<string, AttributeKind> s_attributeKinds = new Dictionary<string, AttributeKind>(StringComparer.Ordinal)
        {
            ["axis"] = AttributeKind.Int, ["axes"] = AttributeKind.Ints, ["kernel_shape"] = AttributeKind.Ints, ["pads"] = AttributeKind.Ints,
            ["strides"] = AttributeKind.Ints, ["dilations"] = AttributeKind.Ints, ["group"] = AttributeKind.Int, ["perm"] = AttributeKind.Ints,
            ["transA"] = AttributeKind.Int, ["transB"] = AttributeKind.Int, ["keepdims"] = AttributeKind.Int, ["output_padding"] = AttributeKind.Ints,
            ["output_shape"] = AttributeKind.Ints, ["split"] = AttributeKind.Ints, ["ceil_mode"] = AttributeKind.Int,
            ["count_include_pad"] = AttributeKind.Int, ["storage_order"] = AttributeKind.Int, ["to"] = AttributeKind.Int,
            ["allowzero"] = AttributeKind.Int, ["noop_with_empty_axes"] = AttributeKind.Int, ["epsilon"] = AttributeKind.Float,
            ["alpha"] = AttributeKind.Float, ["beta"] = AttributeKind.Float, ["gamma"] = AttributeKind.Float, ["min"] = AttributeKind.Float,
            ["max"] = AttributeKind.Float, ["scales"] = AttributeKind.Floats, ["mode"] = AttributeKind.String, ["auto_pad"] = AttributeKind.String,
            ["coordinate_transformation_mode"] = AttributeKind.String, ["nearest_mode"] = AttributeKind.String,
            ["cubic_coeff_a"] = AttributeKind.Float, ["exclude_outside"] = AttributeKind.Int, ["extrapolation_value"] = AttributeKind.Float,
            ["training_mode"] = AttributeKind.Int, ["start"] = AttributeKind.Int, ["end"] = AttributeKind.Int, ["block_size"] = AttributeKind.Int,
            ["value"] = AttributeKind.Float, ["value_float"] = AttributeKind.Float, ["value_int"] = AttributeKind.Int,
            ["value_floats"] = AttributeKind.Floats, ["value_ints"] = AttributeKind.Ints, ["paddings"] = AttributeKind.Ints,
        };

        /// <summary>
        /// About how many operations <see cref="Evaluate"/> takes on this node (its shapes inferred): a step per input and
        /// output element, unless the operator sums over a window or an inner dimension (Conv, MatMul…), which say so.
        /// Checked before a node of constants is folded at build time.
        /// </summary>
        public virtual long EvaluationCost(Node node) =>
            node.Inputs.Sum(v => v == null ? 0 : Math.Max(0, v.ElementCount)) + node.Outputs.Sum(v => Math.Max(0, v.ElementCount));

        /// <summary>Output elements times the terms each sums, saturating instead of overflowing.</summary>
        protected static long Products(long outputs, params long[] terms)
        {
            double cost = outputs;
            foreach (long t in terms) cost *= Math.Max(1, t);
            return cost >= long.MaxValue ? long.MaxValue : (long)cost;
        }

        /// <summary>Sets each output's Type, Shape and IsBatched from the inputs (all inputs have shapes); throws QG0004–QG0007 for a node it cannot compile.</summary>
        public abstract void InferShapes(Node node, OperatorContext context);

        /// <summary>
        /// Computes the outputs from input tensors (null for omitted optional inputs). Only called on a node whose shapes were
        /// inferred, so it may rely on everything <see cref="InferShapes"/> checked; what depends on the data (an index out of
        /// range) it checks itself.
        /// </summary>
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

        /// <summary>An int attribute that must lie in [<paramref name="min"/>, <paramref name="max"/>] (ONNX stores int64, the compiler computes in int).</summary>
        protected static int IntAttribute(Node node, string name, long fallback, long min, long max)
        {
            long v = node.Attributes.GetInt(name, fallback);
            if (v < min || v > max) throw Invalid(node, $"attribute '{name}' is {v}, outside [{min}, {max}]");
            return (int)v;
        }

        /// <summary>An ints attribute whose every value must lie in [<paramref name="min"/>, <paramref name="max"/>], or null when absent.</summary>
        public static int[]? IntsAttribute(Node node, string name, long min, long max)
        {
            var values = node.Attributes.GetInts(name);
            if (values == null) return null;
            foreach (long v in values)
                if (v < min || v > max) throw Invalid(node, $"attribute '{name}' holds {v}, outside [{min}, {max}]");
            return values.Select(v => (int)v).ToArray();
        }

        /// <summary>Requires input <paramref name="index"/> (when present) to have one of <paramref name="types"/>.</summary>
        protected static void RequireType(Node node, int index, params DataType[] types)
        {
            var v = node.Input(index);
            if (v == null || types.Contains(v.Type)) return;
            throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDataType, DiagnosticSeverity.Error,
                $"{node.OpType} '{node.Name}' on {DataTypes.Name(v.Type)} data ('{v.Name}', input {index}) is not supported: it takes {string.Join(" or ", types.Select(DataTypes.Name))} there (Cast to float32 first).",
                null, node.Name));
        }

        /// <summary>Requires the present inputs among <paramref name="indices"/> to share the element type of the first.</summary>
        protected static void RequireSameType(Node node, params int[] indices)
        {
            Value? first = null;
            foreach (int i in indices)
            {
                var v = node.Input(i);
                if (v == null) continue;
                if (first == null) first = v;
                else if (v.Type != first.Type) throw Invalid(node, $"inputs '{first.Name}' ({DataTypes.Name(first.Type)}) and '{v.Name}' ({DataTypes.Name(v.Type)}) must have the same element type");
            }
        }

        /// <summary>Requires input <paramref name="index"/> (when present) to hold exactly one value.</summary>
        protected static void RequireScalar(Node node, int index)
        {
            var v = node.Input(index);
            if (v != null && v.ElementCount != 1) throw Invalid(node, $"input {index} ('{v.Name}') must hold one value, not {Dims(v.Shape!)}");
        }

        /// <summary>Normalizes a possibly negative axis against <paramref name="rank"/>.</summary>
        protected static int Axis(Node node, long axis, int rank)
        {
            long a = axis < 0 ? axis + rank : axis;
            if (a < 0 || a >= rank) throw Invalid(node, rank == 0 ? $"axis {axis} of a scalar (rank 0) input" : $"axis {axis} is out of range for rank {rank}");
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
