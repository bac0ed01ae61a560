// ReduceSum, ReduceMean, ReduceMax, ReduceMin: axes as an attribute (ReduceSum before opset 13, the others before 18)
// or as a constant input, keepdims, and noop_with_empty_axes.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators
{
    public sealed class ReduceOperator : OperatorDefinition
    {
        public ReduceOperator(string opType, string kind) : base(opType) { Kind = kind; }

        /// <summary>The kernel's ReduceOp member: Sum, Mean, Max or Min.</summary>
        public string Kind { get; }

        public override string Notes => "any axes (attribute or constant input), keepdims, noop_with_empty_axes";

        public override bool IsBuildTimeInput(Node node, int index) => index == 1;

        /// <summary>Data, and (ReduceSum from opset 13, the others from 18) the axes.</summary>
        public override (int Min, int Max) InputCount => (1, 2);

        /// <summary>Per axis of the input: reduced or kept. Null when the node is a no-op (empty axes with noop_with_empty_axes).</summary>
        public static bool[]? ReducedAxes(Node node, int rank)
        {
            long[]? axes = node.Attributes.GetInts("axes");
            var input = node.Input(1);
            if (axes == null && input != null)
            {
                if (input.Constant == null) throw Unsupported(node, "axes computed at run time");
                if (input.Type != DataType.Int64 || input.Rank > 1) throw Invalid(node, $"the axes input is {DataTypes.Name(input.Type)}{Dims(input.Shape!)}, not a list of int64 axes");
                axes = input.Constant.ToInt64Array();
            }
            var reduced = new bool[rank];
            if (axes == null || axes.Length == 0)
            {
                if (node.Attributes.GetInt("noop_with_empty_axes", 0) != 0) return null;
                for (int i = 0; i < rank; i++) reduced[i] = true;
                return reduced;
            }
            foreach (long a in axes) reduced[Axis(node, a, rank)] = true;
            return reduced;
        }

        private static int[] OutputShape(Node node, int[] input, bool[]? reduced)
        {
            if (reduced == null) return input;
            bool keep = node.Attributes.GetInt("keepdims", 1) != 0;
            var shape = new List<int>();
            for (int i = 0; i < input.Length; i++)
            {
                if (!reduced[i]) shape.Add(input[i]);
                else if (keep) shape.Add(1);
            }
            return shape.ToArray();
        }

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            RequireType(node, 0, DataType.Float32, DataType.Float64, DataType.Int64, DataType.Int32);
            var reduced = ReducedAxes(node, x.Rank);
            if (x.IsBatched) RequireSampleWise(node, reduced == null || !reduced[0], "reduces over the batch axis");
            bool keep = node.Attributes.GetInt("keepdims", 1) != 0;
            bool batched = x.IsBatched && (reduced == null || keep || !reduced[0]);
            SetOutput(node, 0, x.Type, OutputShape(node, x.Shape!, reduced), batched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!;
            var reduced = ReducedAxes(node, x.Rank);
            var shape = OutputShape(node, x.Shape, reduced);
            if (reduced == null) return new[] { x.Reshape(shape) };
            if (x.Type != DataType.Float32 && x.Type != DataType.Float64 && x.Type != DataType.Int64 && x.Type != DataType.Int32)
                throw Unsupported(node, $"{DataTypes.Name(x.Type)} input");

            var kept = x.Shape.Select((d, i) => reduced[i] ? 1 : d).ToArray();
            var yStrides = Broadcasting.ContiguousStrides(kept);
            var strides = yStrides.Select((s, i) => reduced[i] ? 0 : s).ToArray();
            int outCount = (int)Tensor.ElementCountOf(kept);
            int perOutput = outCount == 0 ? 0 : x.ElementCount / outCount;
            var acc = new double[outCount];
            double init = Kind == "Max" ? double.NegativeInfinity : Kind == "Min" ? double.PositiveInfinity : 0;
            for (int i = 0; i < acc.Length; i++) acc[i] = init;
            Broadcasting.ForEach(x.Shape, Broadcasting.ContiguousStrides(x.Shape), strides, (o, ix, iy) =>
            {
                double v = x.GetDouble(ix);
                acc[iy] = Kind == "Max" ? (double.IsNaN(v) || v > acc[iy] ? v : acc[iy])
                        : Kind == "Min" ? (double.IsNaN(v) || v < acc[iy] ? v : acc[iy])
                        : acc[iy] + v;
            });
            if (Kind == "Mean") for (int i = 0; i < acc.Length; i++) acc[i] = perOutput == 0 ? double.NaN : acc[i] / perOutput;

            var y = Tensor.Create(x.Type, shape);
            for (int i = 0; i < acc.Length; i++)
            {
                switch (y.Data)
                {
                    case float[] f: f[i] = (float)acc[i]; break;
                    case double[] d: d[i] = acc[i]; break;
                    case long[] l: l[i] = (long)acc[i]; break;
                    case int[] n: n[i] = (int)acc[i]; break;
                }
            }
            return new[] { y };
        }

        public static IEnumerable<OperatorDefinition> All() => new OperatorDefinition[]
        {
            new ReduceOperator("ReduceSum", "Sum"),
            new ReduceOperator("ReduceMean", "Mean"),
            new ReduceOperator("ReduceMax", "Max"),
            new ReduceOperator("ReduceMin", "Min"),
        };
    }
}
