// The pre-quantized integer operators of ONNX: MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv (opset 10) and
// DynamicQuantizeLinear (opset 11). Reference semantics accumulate exactly in 64-bit integers.
using System;
using System.Linq;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators
{
    /// <summary>What the integer products share: operand types, zero points and the exact accumulation.</summary>
    public abstract class IntegerProductOperator : OperatorDefinition
    {
        protected IntegerProductOperator(string opType, int sinceOpset) : base(opType, sinceOpset) { }

        /// <summary>The products: each output sums the inner dimension (MatMul) or its group's channels times the window (Conv).</summary>
        public override long EvaluationCost(Node node)
        {
            var w = In(node, OpType == "QLinearMatMul" || OpType == "QLinearConv" ? 3 : 1);
            bool conv = OpType == "ConvInteger" || OpType == "QLinearConv";
            return Products(node.Outputs[0].ElementCount, conv ? w.ElementCount / Math.Max(1, w.Shape![0]) : In(node, 0).Shape!.LastOrDefault()) + base.EvaluationCost(node);
        }

        /// <summary>MatMulInteger and ConvInteger: two operands and their optional zero points; QLinearMatMul: eight; QLinearConv: eight and a bias.</summary>
        public override (int Min, int Max) InputCount => OpType switch
        {
            "QLinearMatMul" => (8, 8),
            "QLinearConv" => (8, 9),
            _ => (2, 4),
        };

        public static bool IsQuantizedType(DataType t) => t == DataType.UInt8 || t == DataType.Int8;

        protected static void RequireQuantized(Node node, int index)
        {
            var v = In(node, index);
            if (!IsQuantizedType(v.Type))
                throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDataType, DiagnosticSeverity.Error,
                    $"{node.OpType} '{node.Name}' on {DataTypes.Name(v.Type)} input '{v.Name}' is not supported (uint8 and int8).", null, node.Name));
        }

        /// <summary>
        /// Checks a zero point (input <paramref name="index"/>, optional) of the operand at <paramref name="of"/>: its type, and
        /// one value or one per slice of <paramref name="axis"/> (−1: per tensor only).
        /// </summary>
        protected static void CheckZeroPoint(Node node, int index, int of, int axis)
        {
            var zp = node.Input(index);
            if (zp == null) return;
            var x = In(node, of);
            if (zp.Type != x.Type) throw Invalid(node, $"zero point '{zp.Name}' is {DataTypes.Name(zp.Type)} but '{x.Name}' is {DataTypes.Name(x.Type)}");
            if (zp.ElementCount == 1) return;
            if (axis < 0 || zp.Rank != 1 || zp.Shape![0] != x.Shape![axis]) throw Unsupported(node, $"zero point '{zp.Name}' of shape {Dims(zp.Shape!)}");
        }

        /// <summary>A float32 scale input: one value, or (when <paramref name="channels"/> > 1) one per channel.</summary>
        protected static void CheckScale(Node node, int index, int channels)
        {
            var s = In(node, index);
            if (s.Type != DataType.Float32) throw Unsupported(node, $"a {DataTypes.Name(s.Type)} scale (float32 only)");
            if (s.ElementCount != 1 && (s.Rank != 1 || s.ElementCount != channels)) throw Unsupported(node, $"scale '{s.Name}' of shape {Dims(s.Shape!)}");
        }

        /// <summary>q − zero point as exact integers; the zero point per tensor or per slice of <paramref name="axis"/>.</summary>
        public static short[] Centered(Tensor q, Tensor? zp, int axis)
        {
            // An 8-bit value minus an 8-bit zero point lies in [−383, 383]: two bytes an element, not eight, for large folds.
            var r = new short[q.ElementCount];
            long inner = 1;
            int channels = 1;
            if (zp != null && zp.ElementCount > 1)
            {
                channels = q.Shape[axis];
                for (int i = axis + 1; i < q.Rank; i++) inner *= q.Shape[i];
            }
            for (int i = 0; i < r.Length; i++)
            {
                long z = zp == null ? 0 : zp.GetInt64(zp.ElementCount == 1 ? 0 : (int)(i / inner % channels));
                r[i] = (short)(q.GetInt64(i) - z);
            }
            return r;
        }

        /// <summary>numpy.matmul of exact integers.</summary>
        public static long[] MatMul(short[] fa, int[] aShape, short[] fb, int[] bShape)
        {
            var a2 = aShape.Length == 1 ? new[] { 1, aShape[0] } : aShape;
            var b2 = bShape.Length == 1 ? new[] { bShape[0], 1 } : bShape;
            int m = a2[a2.Length - 2], k = a2[a2.Length - 1], n = b2[b2.Length - 1];
            var batch = Broadcasting.Shape(a2.Take(a2.Length - 2).ToArray(), b2.Take(b2.Length - 2).ToArray())!;
            var y = new long[Tensor.ElementCountOf(batch) * m * n];
            var sa = Broadcasting.Strides(a2.Take(a2.Length - 2).ToArray(), batch);
            var sb = Broadcasting.Strides(b2.Take(b2.Length - 2).ToArray(), batch);
            Broadcasting.ForEach(batch, sa, sb, (o, ia, ib) =>
            {
                int aBase = ia * m * k, bBase = ib * k * n, yBase = o * m * n;
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        long acc = 0;
                        for (int p = 0; p < k; p++) acc += fa[aBase + i * k + p] * fb[bBase + p * n + j];
                        y[yBase + i * n + j] = acc;
                    }
            });
            return y;
        }

        /// <summary>Conv (groups, strides, pads, dilations as the node says) of exact integers, NCHW / NCW.</summary>
        public static long[] Conv(Node node, short[] fx, int[] xShape, short[] fw, int[] wShape, out int[] yShape)
        {
            var g = WindowGeometry.Resolve(node, xShape, ConvOperator.KernelOf(wShape));
            int group = (int)node.Attributes.GetInt("group", 1);
            int n = xShape[0], ic = xShape[1], oc = wShape[0], icg = ic / group, ocg = oc / group;
            yShape = g.OutputShape(n, oc);
            var y = new long[Tensor.ElementCountOf(yShape)];
            int ihw = g.InH * g.InW, ohw = g.OutH * g.OutW, kk = g.KernelH * g.KernelW;
            for (int b = 0; b < n; b++)
                for (int o = 0; o < oc; o++)
                {
                    int gi = o / ocg;
                    int yBase = (b * oc + o) * ohw;
                    for (int oy = 0; oy < g.OutH; oy++)
                        for (int ox = 0; ox < g.OutW; ox++)
                        {
                            long acc = 0;
                            for (int c = 0; c < icg; c++)
                            {
                                int xBase = (b * ic + gi * icg + c) * ihw;
                                int wBase = (o * icg + c) * kk;
                                for (int ky = 0; ky < g.KernelH; ky++)
                                {
                                    int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                                    if ((uint)iy >= (uint)g.InH) continue;
                                    for (int kx = 0; kx < g.KernelW; kx++)
                                    {
                                        int ix = ox * g.StrideW - g.PadLeft + kx * g.DilationW;
                                        if ((uint)ix >= (uint)g.InW) continue;
                                        acc += fx[xBase + iy * g.InW + ix] * fw[wBase + ky * g.KernelW + kx];
                                    }
                                }
                            }
                            y[yBase + oy * g.OutW + ox] = acc;
                        }
                }
            return y;
        }

        protected static int[] ConvOutputShape(Node node, Value x, Value w)
        {
            if (w.Rank != x.Rank || (w.Rank != 3 && w.Rank != 4)) throw Unsupported(node, $"weights of rank {w.Rank} (only 1-D and 2-D convolution)");
            var g = WindowGeometry.Resolve(node, x.Shape!, ConvOperator.KernelOf(w.Shape!));
            int group = IntAttribute(node, "group", 1, 1, int.MaxValue);
            int ic = x.Shape![1], oc = w.Shape![0];
            if (ic % group != 0 || oc % group != 0 || w.Shape[1] != ic / group)
                throw Invalid(node, $"weights {Dims(w.Shape)} do not fit {ic} input channels in {group} groups");
            if (w.IsBatched) RequireSampleWise(node, false, "takes batched weights");
            return g.OutputShape(x.Shape[0], oc);
        }

        protected static int[] MatMulOutputShape(Node node, Value a, Value b)
        {
            var shape = MatMulOperator.OutputShape(a.Shape!, b.Shape!) ?? throw Invalid(node, $"{Dims(a.Shape!)} and {Dims(b.Shape!)} do not multiply");
            if (a.IsBatched || b.IsBatched) RequireSampleWise(node, a.IsBatched && !b.IsBatched && a.Rank >= 2 && a.Rank >= b.Rank && shape[0] == 1, "multiplies along the batch axis");
            return shape;
        }

        protected static Tensor Int32Tensor(int[] shape, long[] values) =>
            new Tensor(DataType.Int32, shape, values.Select(v => unchecked((int)v)).ToArray());

        /// <summary>
        /// The requantization of QLinearMatMul and QLinearConv as ONNX Runtime computes it in float32: the multiplier
        /// (a_scale · b_scale) / y_scale, the accumulator times it, rounded half to even, plus y_zero_point, saturated.
        /// </summary>
        public static float Multiplier(float aScale, float bScale, float yScale) => (float)((float)(aScale * bScale) / yScale);

        public static int Requantize(long acc, float multiplier, int zeroPoint, int min, int max) =>
            QuantizeLinearOperator.Quantize((float)((float)acc * multiplier), 1f, zeroPoint, min, max);

        protected static Tensor Quantized(DataType type, int[] shape, int[] values)
        {
            var t = Tensor.Create(type, shape);
            for (int i = 0; i < values.Length; i++)
                if (type == DataType.UInt8) t.Bytes[i] = (byte)values[i];
                else t.SBytes[i] = (sbyte)values[i];
            return t;
        }
    }

    /// <summary>Y (int32) = (A − a_zero_point) · (B − b_zero_point), numpy matmul.</summary>
    public sealed class MatMulIntegerOperator : IntegerProductOperator
    {
        public MatMulIntegerOperator() : base("MatMulInteger", 10) { }

        public override string Notes => "uint8/int8; zero points per tensor, per row of a 2-D A, per column of a 2-D B; run in float32 (exact while every sum stays below 2^24 in magnitude)";

        public static int AAxis(Value a) => a.Rank - 2;

        public static int BAxis(Value b) => b.Rank - 1;

        public override void InferShapes(Node node, OperatorContext context)
        {
            var a = In(node, 0); var b = In(node, 1);
            RequireQuantized(node, 0); RequireQuantized(node, 1);
            CheckZeroPoint(node, 2, 0, a.Rank == 2 ? AAxis(a) : -1);
            CheckZeroPoint(node, 3, 1, b.Rank == 2 ? BAxis(b) : -1);
            SetOutput(node, 0, DataType.Int32, MatMulOutputShape(node, a, b), a.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var a = inputs[0]!; var b = inputs[1]!;
            var za = inputs.Length > 2 ? inputs[2] : null; var zb = inputs.Length > 3 ? inputs[3] : null;
            var y = MatMul(Centered(a, za, a.Rank - 2), a.Shape, Centered(b, zb, b.Rank - 1), b.Shape);
            return new[] { Int32Tensor(MatMulOperator.OutputShape(a.Shape, b.Shape)!, y) };
        }
    }

    /// <summary>Y (int32) = Conv(X − x_zero_point, W − w_zero_point), no bias.</summary>
    public sealed class ConvIntegerOperator : IntegerProductOperator
    {
        public ConvIntegerOperator() : base("ConvInteger", 10) { }

        public override string Notes => "uint8/int8; 1-D and 2-D, Conv's attributes; w_zero_point per tensor or per output channel; run in float32 (exact while every sum stays below 2^24 in magnitude)";

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0); var w = In(node, 1);
            RequireQuantized(node, 0); RequireQuantized(node, 1);
            CheckZeroPoint(node, 2, 0, -1);
            CheckZeroPoint(node, 3, 1, 0);
            SetOutput(node, 0, DataType.Int32, ConvOutputShape(node, x, w), x.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!; var w = inputs[1]!;
            var zx = inputs.Length > 2 ? inputs[2] : null; var zw = inputs.Length > 3 ? inputs[3] : null;
            var y = Conv(node, Centered(x, zx, 1), x.Shape, Centered(w, zw, 0), w.Shape, out var shape);
            return new[] { Int32Tensor(shape, y) };
        }
    }

    /// <summary>
    /// y = saturate(round_half_even((a − a_zp)·(b − b_zp) · (a_scale·b_scale / y_scale)) + y_zp); inputs a, a_scale, a_zp,
    /// b, b_scale, b_zp, y_scale, y_zp.
    /// </summary>
    public sealed class QLinearMatMulOperator : IntegerProductOperator
    {
        public QLinearMatMulOperator() : base("QLinearMatMul", 10) { }

        public override string Notes => "uint8/int8, per-tensor scales and zero points; run in float32 (exact while every sum stays below 2^24 in magnitude), requantized as ONNX Runtime does";

        public override void InferShapes(Node node, OperatorContext context)
        {
            var a = In(node, 0); var b = In(node, 3);
            RequireQuantized(node, 0); RequireQuantized(node, 3);
            CheckScale(node, 1, 1); CheckScale(node, 4, 1); CheckScale(node, 6, 1);
            CheckZeroPoint(node, 2, 0, -1); CheckZeroPoint(node, 5, 3, -1);
            var yType = OutputType(node);
            if (!IsQuantizedType(yType)) throw Invalid(node, $"y_zero_point is {DataTypes.Name(yType)}");
            if (node.Input(7) is { } yzp && yzp.ElementCount != 1) throw Unsupported(node, "a y_zero_point with more than one value");
            SetOutput(node, 0, yType, MatMulOutputShape(node, a, b), a.IsBatched);
        }

        public static DataType OutputType(Node node) => node.Input(7)?.Type ?? DataType.UInt8;

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var a = inputs[0]!; var b = inputs[3]!;
            var acc = MatMul(Centered(a, inputs[2], 0), a.Shape, Centered(b, inputs[5], 0), b.Shape);
            var yzp = inputs.Length > 7 ? inputs[7] : null;
            var type = yzp?.Type ?? DataType.UInt8;
            var (min, max) = LinearQuantizationOperator.Range(type);
            float m = Multiplier(inputs[1]!.ToFloatArray()[0], inputs[4]!.ToFloatArray()[0], inputs[6]!.ToFloatArray()[0]);
            int z = yzp == null ? 0 : (int)yzp.GetInt64(0);
            return new[] { Quantized(type, MatMulOperator.OutputShape(a.Shape, b.Shape)!, acc.Select(v => Requantize(v, m, z, min, max)).ToArray()) };
        }
    }

    /// <summary>
    /// y = saturate(round_half_even((Conv(x − x_zp, w − w_zp) + B) · (x_scale·w_scale / y_scale)) + y_zp); inputs x,
    /// x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, optional int32 B; w_scale and w_zp per tensor or per output channel.
    /// </summary>
    public sealed class QLinearConvOperator : IntegerProductOperator
    {
        public QLinearConvOperator() : base("QLinearConv", 10) { }

        public override string Notes => "uint8/int8; 1-D and 2-D, Conv's attributes; w_scale and w_zero_point per tensor or per output channel; constant bias; run in float32 (exact while every sum stays below 2^24 in magnitude), requantized as ONNX Runtime does";

        public static DataType OutputType(Node node) => node.Input(7)?.Type ?? DataType.UInt8;

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0); var w = In(node, 3);
            RequireQuantized(node, 0); RequireQuantized(node, 3);
            var shape = ConvOutputShape(node, x, w);
            int oc = w.Shape![0];
            CheckScale(node, 1, 1); CheckScale(node, 4, oc); CheckScale(node, 6, 1);
            CheckZeroPoint(node, 2, 0, -1); CheckZeroPoint(node, 5, 3, 0);
            var yType = OutputType(node);
            if (!IsQuantizedType(yType)) throw Invalid(node, $"y_zero_point is {DataTypes.Name(yType)}");
            if (node.Input(7) is { } yzp && yzp.ElementCount != 1) throw Unsupported(node, "a y_zero_point with more than one value");
            if (node.Input(8) is { } bias)
            {
                if (bias.Type != DataType.Int32) throw Invalid(node, $"the bias is {DataTypes.Name(bias.Type)} (int32 expected)");
                if (bias.Rank != 1 || bias.Shape![0] != oc) throw Invalid(node, $"bias {Dims(bias.Shape!)} does not match {oc} output channels");
            }
            SetOutput(node, 0, yType, shape, x.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!; var w = inputs[3]!;
            var acc = Conv(node, Centered(x, inputs[2], 1), x.Shape, Centered(w, inputs[5], 0), w.Shape, out var shape);
            var bias = inputs.Length > 8 ? inputs[8] : null;
            var yzp = inputs.Length > 7 ? inputs[7] : null;
            var type = yzp?.Type ?? DataType.UInt8;
            var (min, max) = LinearQuantizationOperator.Range(type);
            int oc = shape[1];
            long inner = acc.Length / shape[0] / oc;
            float xs = inputs[1]!.ToFloatArray()[0], ys = inputs[6]!.ToFloatArray()[0];
            var ws = inputs[4]!.ToFloatArray();
            int z = yzp == null ? 0 : (int)yzp.GetInt64(0);
            var q = new int[acc.Length];
            for (int i = 0; i < acc.Length; i++)
            {
                int c = (int)(i / inner % oc);
                q[i] = Requantize(acc[i] + (bias == null ? 0 : bias.GetInt64(c)), Multiplier(xs, ws[ws.Length == 1 ? 0 : c], ys), z, min, max);
            }
            return new[] { Quantized(type, shape, q) };
        }
    }

    /// <summary>
    /// y_scale = (max(x, 0) − min(x, 0)) / 255, y_zero_point = saturate(round_half_even(−min(x, 0) / y_scale)),
    /// y = saturate(round_half_even(x / y_scale) + y_zero_point), all uint8 and float32 as ONNX defines them.
    /// </summary>
    public sealed class DynamicQuantizeLinearOperator : OperatorDefinition
    {
        public DynamicQuantizeLinearOperator() : base("DynamicQuantizeLinear", 11) { }

        public override string Notes => "float32 to uint8, the range of the whole tensor";

        public override int MaxOutputs => 3;

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            if (x.Type != DataType.Float32) throw Unsupported(node, $"{DataTypes.Name(x.Type)} input (float32 only)");
            RequireSampleWise(node, false, "takes its range over the whole tensor");
            SetOutput(node, 0, DataType.UInt8, x.Shape!, x.IsBatched);
            if (node.Outputs.Count > 1) SetOutput(node, 1, DataType.Float32, Array.Empty<int>(), false);
            if (node.Outputs.Count > 2) SetOutput(node, 2, DataType.UInt8, Array.Empty<int>(), false);
        }

        public static (float Scale, int ZeroPoint) Parameters(float[] x)
        {
            float min = 0f, max = 0f;
            foreach (float v in x)
            {
                if (v < min) min = v;
                if (v > max) max = v;
            }
            float scale = (max - min) / 255f;
            return (scale, QuantizeLinearOperator.Quantize(-min, scale, 0, 0, 255));
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var xs = inputs[0]!.ToFloatArray();
            var (scale, zp) = Parameters(xs);
            var y = Tensor.Create(DataType.UInt8, inputs[0]!.Shape);
            for (int i = 0; i < xs.Length; i++) y.Bytes[i] = (byte)QuantizeLinearOperator.Quantize(xs[i], scale, zp, 0, 255);
            var z = Tensor.Create(DataType.UInt8, Array.Empty<int>());
            z.Bytes[0] = (byte)zp;
            return new[] { y, Tensor.FromFloats(Array.Empty<int>(), new[] { scale }), z };
        }
    }
}
