// LayerNormalization (opset 17) and InstanceNormalization: per-row statistics, then an affine transform.
using System;
using System.Linq;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators
{
    public sealed class LayerNormalizationOperator : OperatorDefinition
    {
        public LayerNormalizationOperator() : base("LayerNormalization", 17) { }

        public override string Notes => "any axis; Scale and B of the normalized shape (or constants that broadcast to it); Mean and InvStdDev outputs";

        /// <summary>The first normalized axis, and the input viewed as [rows, cols].</summary>
        public static (int Axis, int Rows, int Cols) Extents(Node node, int[] shape)
        {
            int axis = Axis(node, node.Attributes.GetInt("axis", -1), shape.Length);
            int rows = 1, cols = 1;
            for (int i = 0; i < axis; i++) rows *= shape[i];
            for (int i = axis; i < shape.Length; i++) cols *= shape[i];
            return (axis, rows, cols);
        }

        /// <summary>X, Scale and optional B; Y and the optional Mean and InvStdDev.</summary>
        public override (int Min, int Max) InputCount => (2, 3);

        public override int MaxOutputs => 3;

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            RequireType(node, 0, DataType.Float32);
            RequireSameType(node, 0, 1, 2);
            var (axis, _, _) = Extents(node, x.Shape!);
            var normalized = x.Shape!.Skip(axis).ToArray();
            for (int i = 1; i < node.Inputs.Count; i++)
                if (node.Inputs[i] is { } p && !(p.ElementCount == Tensor.ElementCountOf(normalized) || Broadcasting.Shape(p.Shape!, normalized) is { } b && b.SequenceEqual(normalized)))
                    throw Invalid(node, $"{Dims(p.Shape!)} does not broadcast to the normalized shape {Dims(normalized)}");
            if (x.IsBatched) RequireSampleWise(node, axis != 0, "normalizes over the batch axis");
            SetOutput(node, 0, x.Type, x.Shape!, x.IsBatched);
            var stats = x.Shape!.Select((d, i) => i < axis ? d : 1).ToArray();
            for (int i = 1; i < node.Outputs.Count; i++) SetOutput(node, i, DataType.Float32, stats, x.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!;
            var (axis, rows, cols) = Extents(node, x.Shape);
            float epsilon = node.Attributes.GetFloat("epsilon", 1e-5f);
            var normalized = x.Shape.Skip(axis).ToArray();
            var scale = Expand(node, inputs[1]!, normalized);
            var bias = inputs.Length > 2 && inputs[2] != null ? Expand(node, inputs[2]!, normalized) : null;
            var fx = x.ToFloatArray();
            var y = new float[fx.Length];
            var mean = new float[rows];
            var inv = new float[rows];
            for (int r = 0; r < rows; r++)
            {
                double m = 0, v = 0;
                for (int j = 0; j < cols; j++) m += fx[r * cols + j];
                m /= Math.Max(cols, 1);
                for (int j = 0; j < cols; j++) v += (fx[r * cols + j] - m) * (fx[r * cols + j] - m);
                v /= Math.Max(cols, 1);
                double invStd = 1 / Math.Sqrt(v + epsilon);
                for (int j = 0; j < cols; j++) y[r * cols + j] = (float)((fx[r * cols + j] - m) * invStd * scale[j] + (bias?[j] ?? 0));
                mean[r] = (float)m;
                inv[r] = (float)invStd;
            }
            var stats = x.Shape.Select((d, i) => i < axis ? d : 1).ToArray();
            return new[] { Tensor.FromFloats(x.Shape, y), Tensor.FromFloats(stats, mean), Tensor.FromFloats(stats, inv) }.Take(Math.Max(1, node.Outputs.Count)).ToArray();
        }

        /// <summary>A scale or bias broadcast (numpy rules) to the normalized shape, as a flat array.</summary>
        public static float[] Expand(Node node, Tensor t, int[] normalized)
        {
            var data = t.ToFloatArray();
            if (t.ElementCount == Tensor.ElementCountOf(normalized)) return data;
            var shape = Broadcasting.Shape(t.Shape, normalized);
            if (shape == null || !shape.SequenceEqual(normalized)) throw Invalid(node, $"{Dims(t.Shape)} does not broadcast to the normalized shape {Dims(normalized)}");
            var result = new float[Tensor.ElementCountOf(normalized)];
            Broadcasting.ForEach(normalized, Broadcasting.Strides(t.Shape, normalized), new int[normalized.Length], (o, i, _) => result[o] = data[i]);
            return result;
        }
    }

    public sealed class InstanceNormalizationOperator : OperatorDefinition
    {
        public InstanceNormalizationOperator() : base("InstanceNormalization") { }

        public override string Notes => "[N, C, …] input, per-channel scale and bias";

        public override (int Min, int Max) InputCount => (3, 3);

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            RequireType(node, 0, DataType.Float32);
            RequireSameType(node, 0, 1, 2);
            if (x.Rank < 3) throw Invalid(node, $"a rank-{x.Rank} input (needs [N, C, …])");
            if (In(node, 1).ElementCount != x.Shape![1] || In(node, 2).ElementCount != x.Shape[1]) throw Invalid(node, "scale and B must have C elements");
            SetOutput(node, 0, x.Type, x.Shape!, x.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!;
            float epsilon = node.Attributes.GetFloat("epsilon", 1e-5f);
            int n = x.Shape[0], c = x.Shape[1], hw = x.ElementCount / Math.Max(1, n * c);
            var fx = x.ToFloatArray();
            var scale = inputs[1]!.ToFloatArray();
            var bias = inputs[2]!.ToFloatArray();
            var y = new float[fx.Length];
            for (int p = 0; p < n * c; p++)
            {
                double m = 0, v = 0;
                for (int j = 0; j < hw; j++) m += fx[p * hw + j];
                m /= Math.Max(hw, 1);
                for (int j = 0; j < hw; j++) v += (fx[p * hw + j] - m) * (fx[p * hw + j] - m);
                v /= Math.Max(hw, 1);
                double inv = 1 / Math.Sqrt(v + epsilon);
                for (int j = 0; j < hw; j++) y[p * hw + j] = (float)((fx[p * hw + j] - m) * inv * scale[p % c] + bias[p % c]);
            }
            return new[] { Tensor.FromFloats(x.Shape, y) };
        }
    }
}
