// Softmax and LogSoftmax: over one axis (opset 13+) or over the flattened tail from axis (opset < 13).
using System;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators
{
    public sealed class SoftmaxOperator : OperatorDefinition
    {
        private readonly bool _log;

        public SoftmaxOperator(string opType, bool log) : base(opType) { _log = log; }

        /// <summary>The input seen as [outer, axis, inner] with the softmax over the middle extent.</summary>
        public static (int Outer, int Axis, int Inner) Extents(Node node, int[] shape, int opset)
        {
            int rank = shape.Length;
            int axis = Axis(node, node.Attributes.GetInt("axis", opset >= 13 ? -1 : 1), rank);
            int outer = 1, middle = 1, inner = 1;
            for (int i = 0; i < axis; i++) outer *= shape[i];
            if (opset >= 13)
            {
                middle = shape[axis];
                for (int i = axis + 1; i < rank; i++) inner *= shape[i];
            }
            else
            {
                for (int i = axis; i < rank; i++) middle *= shape[i];
            }
            return (outer, middle, inner);
        }

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            RequireType(node, 0, DataType.Float32);
            int rank = x.Rank;
            long axis = node.Attributes.GetInt("axis", context.Opset >= 13 ? -1 : 1);
            Extents(node, x.Shape!, context.Opset);
            if (x.IsBatched) RequireSampleWise(node, Axis(node, axis, rank) != 0, "normalizes over the batch axis");
            SetOutput(node, 0, x.Type, x.Shape!, x.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!;
            var (outer, axis, inner) = Extents(node, x.Shape, context.Opset);
            var y = Tensor.Create(DataType.Float32, x.Shape);
            var fx = x.Floats; var fy = y.Floats;
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    int b = o * axis * inner + i;
                    double max = double.NegativeInfinity;
                    for (int a = 0; a < axis; a++) max = Math.Max(max, fx[b + a * inner]);
                    double sum = 0;
                    for (int a = 0; a < axis; a++) sum += Math.Exp(fx[b + a * inner] - max);
                    for (int a = 0; a < axis; a++)
                    {
                        double v = fx[b + a * inner] - max;
                        fy[b + a * inner] = (float)(_log ? v - Math.Log(sum) : Math.Exp(v) / sum);
                    }
                }
            return new[] { y };
        }
    }

    /// <summary>BatchNormalization in inference mode: y = scale·(x − mean)/√(var + ε) + bias, per channel (axis 1).</summary>
    public sealed class BatchNormalizationOperator : OperatorDefinition
    {
        public BatchNormalizationOperator() : base("BatchNormalization") { }

        public override string Notes => "inference mode; constant parameters folded into a preceding Conv, else a per-channel Mul and Add; run-time parameters computed per channel";

        /// <summary>X, scale, B, mean and variance; the training-mode outputs (running mean and variance…) are refused below.</summary>
        public override (int Min, int Max) InputCount => (5, 5);

        public override int MaxOutputs => 5;

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            if (node.Outputs.Count > 1 || node.Attributes.GetInt("training_mode", 0) != 0) throw Unsupported(node, "training mode");
            RequireType(node, 0, DataType.Float32);
            if (x.Rank < 2) throw Invalid(node, $"a rank-{x.Rank} input (needs [N, C, …])");
            for (int i = 1; i <= 4; i++)
                if (In(node, i).ElementCount != x.Shape![1]) throw Invalid(node, $"input {i} does not have one value per channel");
            SetOutput(node, 0, x.Type, x.Shape!, x.IsBatched);
        }

        /// <summary>Per-channel (multiplier, offset) with y = multiplier·x + offset.</summary>
        public static (float[] Scale, float[] Shift) Affine(Node node, Tensor scale, Tensor bias, Tensor mean, Tensor variance)
        {
            float eps = node.Attributes.GetFloat("epsilon", 1e-5f);
            int c = scale.ElementCount;
            var m = new float[c];
            var s = new float[c];
            for (int i = 0; i < c; i++)
            {
                double k = scale.GetDouble(i) / Math.Sqrt(variance.GetDouble(i) + eps);
                m[i] = (float)k;
                s[i] = (float)(bias.GetDouble(i) - k * mean.GetDouble(i));
            }
            return (m, s);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!;
            var (m, s) = Affine(node, inputs[1]!, inputs[2]!, inputs[3]!, inputs[4]!);
            int c = x.Shape[1], inner = x.ElementCount / Math.Max(1, x.Shape[0] * c);
            var y = Tensor.Create(DataType.Float32, x.Shape);
            var fx = x.Floats; var fy = y.Floats;
            for (int i = 0; i < fx.Length; i++)
            {
                int ch = i / inner % c;
                fy[i] = m[ch] * fx[i] + s[ch];
            }
            return new[] { y };
        }
    }
}
