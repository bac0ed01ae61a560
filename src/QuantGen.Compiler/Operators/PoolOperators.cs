// Pooling: MaxPool, AveragePool (pads, ceil_mode, count_include_pad), GlobalAveragePool, GlobalMaxPool.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators
{
    public sealed class WindowPoolOperator : OperatorDefinition
    {
        private readonly bool _max;

        public WindowPoolOperator(bool max) : base(max ? "MaxPool" : "AveragePool") { _max = max; }

        public override string Notes => "1-D and 2-D; pads, strides, dilations, ceil_mode" + (_max ? "; no Indices output" : ", count_include_pad");

        public override int MaxOutputs => _max ? 2 : 1;

        /// <summary>Each output reads its window.</summary>
        public override long EvaluationCost(Node node) =>
            Products(node.Outputs[0].ElementCount, node.Attributes.GetInts("kernel_shape")?.Aggregate(1L, (p, k) => p * Math.Max(1, Math.Min(k, int.MaxValue))) ?? 1);

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            RequireType(node, 0, DataType.Float32);
            if (node.Outputs.Count > 1) throw Unsupported(node, "the Indices output");
            if (node.Attributes.GetInt("storage_order", 0) != 0) throw Unsupported(node, "storage_order=1");
            var g = WindowGeometry.Resolve(node, x.Shape!, null);
            SetOutput(node, 0, x.Type, g.OutputShape(x.Shape![0], x.Shape[1]), x.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!;
            var g = WindowGeometry.Resolve(node, x.Shape, null);
            bool includePad = node.Attributes.GetInt("count_include_pad", 0) != 0;
            int planes = x.Shape[0] * x.Shape[1];
            var y = Tensor.Create(DataType.Float32, g.OutputShape(x.Shape[0], x.Shape[1]));
            var fx = x.Floats; var fy = y.Floats;
            for (int p = 0; p < planes; p++)
                for (int oy = 0; oy < g.OutH; oy++)
                    for (int ox = 0; ox < g.OutW; ox++)
                    {
                        float max = float.NegativeInfinity;
                        double sum = 0;
                        int count = 0, padded = 0;
                        for (int ky = 0; ky < g.KernelH; ky++)
                            for (int kx = 0; kx < g.KernelW; kx++)
                            {
                                int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                                int ix = ox * g.StrideW - g.PadLeft + kx * g.DilationW;
                                // count_include_pad counts taps inside the padded input, not past it (ceil_mode overhang).
                                if (iy >= -g.PadTop && iy < g.InH + g.PadBottom && ix >= -g.PadLeft && ix < g.InW + g.PadRight) padded++;
                                if ((uint)iy >= (uint)g.InH || (uint)ix >= (uint)g.InW) continue;
                                float v = fx[(p * g.InH + iy) * g.InW + ix];
                                max = Math.Max(max, v);
                                sum += v;
                                count++;
                            }
                        fy[(p * g.OutH + oy) * g.OutW + ox] = _max ? max : (float)(sum / (includePad ? padded : Math.Max(count, 1)));
                    }
            return new[] { y };
        }
    }

    public sealed class GlobalPoolOperator : OperatorDefinition
    {
        private readonly bool _max;

        public GlobalPoolOperator(bool max) : base(max ? "GlobalMaxPool" : "GlobalAveragePool") { _max = max; }

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            RequireType(node, 0, DataType.Float32);
            if (x.Rank < 3) throw Invalid(node, "the input needs spatial axes");
            var shape = new int[x.Rank];
            shape[0] = x.Shape![0];
            shape[1] = x.Shape[1];
            for (int i = 2; i < shape.Length; i++) shape[i] = 1;
            SetOutput(node, 0, x.Type, shape, x.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!;
            int planes = x.Shape[0] * x.Shape[1];
            int size = x.ElementCount / Math.Max(planes, 1);
            var shape = (int[])x.Shape.Clone();
            for (int i = 2; i < shape.Length; i++) shape[i] = 1;
            var y = Tensor.Create(DataType.Float32, shape);
            var fx = x.Floats;
            for (int p = 0; p < planes; p++)
            {
                double sum = 0;
                float max = float.NegativeInfinity;
                for (int i = 0; i < size; i++)
                {
                    sum += fx[p * size + i];
                    max = Math.Max(max, fx[p * size + i]);
                }
                y.Floats[p] = _max ? max : (float)(sum / size);
            }
            return new[] { y };
        }
    }

    public static class PoolOperators
    {
        public static IEnumerable<OperatorDefinition> All() => new OperatorDefinition[]
        {
            new WindowPoolOperator(max: true),
            new WindowPoolOperator(max: false),
            new GlobalPoolOperator(max: false),
            new GlobalPoolOperator(max: true),
        };
    }
}
