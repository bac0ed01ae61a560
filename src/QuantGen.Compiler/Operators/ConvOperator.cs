// Conv (2-D, NCHW in ONNX terms) with groups, strides, pads, dilations and auto_pad.
using System.Linq;
using System;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators
{
    public sealed class ConvOperator : OperatorDefinition
    {
        public ConvOperator() : base("Conv") { }

        public override string Notes => "1-D and 2-D; groups (incl. depthwise), strides, pads, dilations, auto_pad; constant weights; Relu/Clip/LeakyRelu fused";

        /// <summary>The spatial kernel size from weights [oc, ic/group, (kh,) kw].</summary>
        public static int[] KernelOf(int[] weightShape) => weightShape.Skip(2).ToArray();

        public override (int Min, int Max) InputCount => (2, 3);

        /// <summary>Each output sums input channels of its group times the window.</summary>
        public override long EvaluationCost(Node node) => Products(node.Outputs[0].ElementCount, In(node, 1).ElementCount / Math.Max(1, In(node, 1).Shape![0]));

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            var w = In(node, 1);
            if (x.Type != DataType.Float32) throw Unsupported(node, $"{DataTypes.Name(x.Type)} input");
            RequireType(node, 1, DataType.Float32);
            RequireType(node, 2, DataType.Float32);
            if (w.Rank != x.Rank || (w.Rank != 3 && w.Rank != 4)) throw Unsupported(node, $"weights of rank {w.Rank} (only 1-D and 2-D convolution)");
            var g = WindowGeometry.Resolve(node, x.Shape!, KernelOf(w.Shape!));
            int group = IntAttribute(node, "group", 1, 1, int.MaxValue);
            int ic = x.Shape![1], oc = w.Shape![0];
            if (ic % group != 0 || oc % group != 0 || w.Shape[1] != ic / group)
                throw Invalid(node, $"weights {Dims(w.Shape)} do not fit {ic} input channels in {group} groups");
            if (node.Input(2) is { } b && (b.Rank != 1 || b.Shape![0] != oc)) throw Invalid(node, $"bias {Dims(b.Shape!)} does not match {oc} output channels");
            if (w.IsBatched) RequireSampleWise(node, false, "takes batched weights");
            SetOutput(node, 0, DataType.Float32, g.OutputShape(x.Shape[0], oc), x.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!; var w = inputs[1]!; var bias = inputs.Length > 2 ? inputs[2] : null;
            var g = WindowGeometry.Resolve(node, x.Shape, KernelOf(w.Shape));
            int group = (int)node.Attributes.GetInt("group", 1);
            int n = x.Shape[0], ic = x.Shape[1], oc = w.Shape[0], icg = ic / group, ocg = oc / group;
            var y = Tensor.Create(DataType.Float32, g.OutputShape(n, oc));
            var fx = x.Floats; var fw = w.Floats; var fy = y.Floats; var fb = bias?.ToFloatArray();
            int ihw = g.InH * g.InW, ohw = g.OutH * g.OutW, kk = g.KernelH * g.KernelW;
            // One output channel at a time, in double (so the oracle is more precise than any kernel it checks), with
            // the window loops outside and whole output rows inside: each output still sums its terms in the order
            // c, ky, kx, but the inner loop walks x and y with unit stride and no per-tap bounds checks.
            var acc = new double[ohw];
            for (int b = 0; b < n; b++)
                for (int o = 0; o < oc; o++)
                {
                    int gi = o / ocg;
                    int yBase = (b * oc + o) * ohw;
                    double init = fb?[o] ?? 0;
                    for (int i = 0; i < ohw; i++) acc[i] = init;
                    for (int c = 0; c < icg; c++)
                    {
                        int xBase = (b * ic + gi * icg + c) * ihw;
                        int wBase = (o * icg + c) * kk;
                        for (int ky = 0; ky < g.KernelH; ky++)
                            for (int kx = 0; kx < g.KernelW; kx++)
                            {
                                double wv = fw[wBase + ky * g.KernelW + kx];
                                // Output columns whose input column ix = ox·sw − pl + kx·dw lies inside the row.
                                int shift = kx * g.DilationW - g.PadLeft;
                                int oxFrom = shift >= 0 ? 0 : (-shift + g.StrideW - 1) / g.StrideW;
                                int oxTo = g.InW - 1 - shift < 0 ? -1 : Math.Min(g.OutW - 1, (g.InW - 1 - shift) / g.StrideW);
                                for (int oy = 0; oy < g.OutH; oy++)
                                {
                                    int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                                    if ((uint)iy >= (uint)g.InH) continue;
                                    int xRow = xBase + iy * g.InW + shift, aRow = oy * g.OutW;
                                    for (int ox = oxFrom; ox <= oxTo; ox++) acc[aRow + ox] += fx[xRow + ox * g.StrideW] * wv;
                                }
                            }
                    }
                    for (int i = 0; i < ohw; i++) fy[yBase + i] = (float)acc[i];
                }
            FusedActivation.ApplyInPlace(node, fy);
            return new[] { y };
        }
    }
}
