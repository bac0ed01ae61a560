// Lowering of the quantized operators of models quantized elsewhere, in float32: QuantizeLinear and DequantizeLinear (a
// Q → DQ pair on one activation becomes one FakeQuantizeF32 step), and the integer operators (MatMulInteger, ConvInteger,
// QLinearMatMul, QLinearConv, DynamicQuantizeLinear) as float32 compositions: the centred integer operands (q − zero
// point) are exact in float32, so are the products' sums while they stay under 2^24 (checked here from the shapes), and
// the QLinear results are requantized by the QuantizeLinear kernel after the float32 multiplier ONNX Runtime uses.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Operators;
using QuantGen.Ir;
using static QuantGen.Compiler.Lowering.LoweringContext;
using static QuantGen.Plan.KernelCatalog;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Compiler.Lowering
{
    internal sealed class QuantizedOperatorLowering : OperatorLowering
    {
        private const double ExactFloatSum = 1 << 24;

        private readonly GemmLowering _gemm;
        private readonly ConvLowering _conv;

        // DequantizeLinear nodes already computed by the FakeQuantizeF32 call of the QuantizeLinear before them.
        private readonly HashSet<Node> _fusedDequantize = new HashSet<Node>();

        /// <summary>The integer products lower their float32 accumulation through <paramref name="gemm"/> and <paramref name="conv"/>.</summary>
        public QuantizedOperatorLowering(LoweringContext context, GemmLowering gemm, ConvLowering conv) : base(context)
        {
            _gemm = gemm;
            _conv = conv;
            // All take integer tensors: the type rule of the float kernels does not apply.
            Lowers<QuantizeLinearOperator>(LowerQuantizeLinear, anyElementType: true);
            Lowers<DequantizeLinearOperator>(node => { if (!_fusedDequantize.Contains(node)) LowerDequantizeLinear(node); }, anyElementType: true);
            Lowers<MatMulIntegerOperator>(node => LowerIntegerMatMul(node, 0, 2, 1, 3, null), anyElementType: true);
            Lowers<QLinearMatMulOperator>(node => LowerIntegerMatMul(node, 0, 2, 3, 5, 1), anyElementType: true);
            Lowers<ConvIntegerOperator>(node => LowerIntegerConv(node, 0, 2, 1, 3, null), anyElementType: true);
            Lowers<QLinearConvOperator>(node => LowerIntegerConv(node, 0, 2, 3, 5, 1), anyElementType: true);
            Lowers<DynamicQuantizeLinearOperator>(LowerDynamicQuantizeLinear, anyElementType: true);
        }

        private void LowerQuantizeLinear(Node node)
        {
            var y = node.Outputs[0];
            var (min, max) = LinearQuantizationOperator.Range(y.Type);
            var dq = FakeQuantizePartner(node);
            var (x, layout, outer, channels, inner) = LinearQuantizationOperand(node);
            if (dq != null)
            {
                // The integer tensor is never needed: exporters put Q → DQ on every activation of a QDQ model.
                _fusedDequantize.Add(dq);
                var zp = node.Input(2);
                Emit(FakeQuantizeF32).Set(X, x).Set(Scales, Context.Float(node.Input(1)!))
                    .Set(ZeroPoint, zp == null ? null : Constant(zp.Constant!.ToFloatArray(), zp.Name + ".f32"))
                    .Set(Y, Produce(dq.Outputs[0], layout))
                    .Set(Outer, outer).Set(Channels, channels).Set(Inner, inner).Set(Qmin, min).Set(Qmax, max);
                return;
            }
            Emit(QuantizeLinear).Set(X, x).Set(Scales, Context.Float(node.Input(1)!)).Set(ZeroPoint, node.Input(2) == null ? null : Context.Data(node.Input(2)!))
                .Set(Y, Produce(y, layout))
                .Set(Outer, outer).Set(Channels, channels).Set(Inner, inner).Set(Qmin, min).Set(Qmax, max);
        }

        private void LowerDequantizeLinear(Node node)
        {
            var (x, layout, outer, channels, inner) = LinearQuantizationOperand(node);
            Emit(DequantizeLinear).Set(X, x).Set(Scales, Context.Float(node.Input(1)!)).Set(ZeroPoint, node.Input(2) == null ? null : Context.Data(node.Input(2)!))
                .Set(Y, Produce(node.Outputs[0], layout))
                .Set(Outer, outer).Set(Channels, channels).Set(Inner, inner);
        }

        /// <summary>
        /// The DequantizeLinear that is the only reader of this QuantizeLinear's output, with the same constant scale, zero
        /// point and axis, or null.
        /// </summary>
        private Node? FakeQuantizePartner(Node q)
        {
            var y = q.Outputs[0];
            if (Context.Graph.Outputs.Contains(y)) return null;
            var readers = Context.Graph.Consumers(y).ToList();
            if (readers.Count != 1 || readers[0].OpType != "DequantizeLinear" || readers[0].Input(0) != y) return null;
            var dq = readers[0];
            bool same(Value? a, Value? b) =>
                a == b || (a != null && b != null && a.IsConstant && b.IsConstant && a.Type == b.Type
                           && a.Constant!.ElementCount == b.Constant!.ElementCount
                           && Enumerable.Range(0, a.Constant.ElementCount).All(i => a.Constant.GetDouble(i) == b.Constant.GetDouble(i)));
            bool constant(Value? v) => v == null || v.IsConstant;
            if (!constant(q.Input(1)) || !constant(q.Input(2)) || !same(q.Input(1), dq.Input(1)) || !same(q.Input(2), dq.Input(2))) return null;
            if (q.Input(1)!.ElementCount > 1 && q.Attributes.GetInt("axis", 1) != dq.Attributes.GetInt("axis", 1)) return null;
            return dq;
        }

        /// <summary>
        /// Input 0 in the layout it already has, viewed as [outer, channels, inner] around the quantization axis: per-tensor
        /// parameters keep any layout; per-axis ones on channels-last data use the innermost axis (ONNX axis 1 of an image).
        /// </summary>
        private (Buffer X, Layout Layout, long Outer, int Channels, long Inner) LinearQuantizationOperand(Node node)
        {
            var x = node.Input(0)!;
            var (outer, channels, inner, axis) = LinearQuantizationOperator.Extents(node, x.Shape!, node.Input(1)!.Shape!);
            if (!x.IsConstant && Context.TryNhwc(x, out var buffer) && !Context.Has(x, Layout.Logical) && (axis < 0 || axis == 1))
            {
                return axis < 0 ? (buffer, Layout.Nhwc, outer, channels, inner) : (buffer, Layout.Nhwc, buffer.Elements / channels, channels, 1);
            }
            return (Context.Data(x), Layout.Logical, outer, channels, inner);
        }

        /// <summary>
        /// MatMulInteger (<paramref name="scales"/> null: a, b at <paramref name="ia"/>, <paramref name="ib"/>) or QLinearMatMul
        /// (scales at 1, 4, 6 and y_zero_point at 7).
        /// </summary>
        private void LowerIntegerMatMul(Node node, int ia, int iza, int ib, int izb, int? scales)
        {
            var a = node.Input(ia)!;
            var b = node.Input(ib)!;
            int k = a.Shape![a.Rank - 1];
            RequireExactSum(node, k, MaxCentered(a, node.Input(iza)), MaxCentered(b, node.Input(izb)), 0);
            var fa = Centered(a, node.Input(iza), a.Rank == 2 ? a.Rank - 2 : -1);
            var fb = Centered(b, node.Input(izb), b.Rank == 2 ? b.Rank - 1 : -1);
            var y = node.Outputs[0];
            var acc = new Value(y.Name + ".acc", DataType.Float32, y.Shape);
            _gemm.LowerRuntimeMatMul(new Node(node.Name, "MatMul", new[] { fa, fb }, new[] { acc }));
            if (scales == null) CastAccumulator(acc, y);
            else Requantize(node, acc, node.Input(1)!, node.Input(4)!, node.Input(6)!, node.Input(7), null, new int[0]);
        }

        /// <summary>ConvInteger (x, w at <paramref name="ix"/>, <paramref name="iw"/>) or QLinearConv (scales at 1, 4, 6, y_zero_point 7, bias 8).</summary>
        private void LowerIntegerConv(Node node, int ix, int izx, int iw, int izw, int? scales)
        {
            var x = node.Input(ix)!;
            var w = node.Input(iw)!;
            var bias = scales == null ? null : node.Input(8);
            if (bias != null && !bias.IsConstant) throw OperatorDefinition.Unsupported(node, "a bias computed at run time");
            double maxBias = bias == null ? 0 : bias.Constant!.ToInt64Array().Select(v => Math.Abs((double)v)).DefaultIfEmpty(0).Max();
            int k = w.Shape!.Skip(1).Aggregate(1, (p, d) => p * d);
            RequireExactSum(node, k, MaxCentered(x, node.Input(izx)), MaxCentered(w, node.Input(izw)), maxBias);
            var fx = Centered(x, node.Input(izx), -1);
            var fw = Centered(w, node.Input(izw), 0);
            var y = node.Outputs[0];
            var acc = new Value(y.Name + ".acc", DataType.Float32, y.Shape);
            var conv = new Node(node.Name, "Conv", new[] { fx, fw }, new[] { acc });
            foreach (var attribute in node.Attributes.All) conv.Attributes.Set(attribute);
            _conv.LowerRuntimeConv(conv);
            if (scales == null) CastAccumulator(acc, y);
            else
            {
                int oc = w.Shape![0];
                var channelShape = new[] { oc }.Concat(Enumerable.Repeat(1, y.Rank - 2)).ToArray();
                Requantize(node, acc, node.Input(1)!, node.Input(4)!, node.Input(6)!, node.Input(7), bias, channelShape);
            }
        }

        /// <summary>|q − zero point| at most: from the constant zero point, else the whole range of the type.</summary>
        private static double MaxCentered(Value q, Value? zp)
        {
            var (min, max) = LinearQuantizationOperator.Range(q.Type);
            if (zp == null) return Math.Max(max, -min);
            if (!zp.IsConstant) return max - min;
            return zp.Constant!.ToInt64Array().Select(z => Math.Max(max - z, z - min)).Max();
        }

        private static void RequireExactSum(Node node, int k, double a, double b, double bias)
        {
            double bound = k * a * b + bias;
            if (bound >= ExactFloatSum)
                throw OperatorDefinition.Unsupported(node, $"a sum of {k} products that may reach {bound} (this version computes in float32, exact below 2^24)");
        }

        /// <summary>A float32 value holding q − zero point (the zero point per tensor, or per slice of <paramref name="axis"/>).</summary>
        private Value Centered(Value q, Value? zp, int axis)
        {
            long count = q.ElementCount;
            int outer = 1, channels = 1;
            long inner = count;
            if (zp != null && zp.ElementCount > 1)
            {
                channels = q.Shape![axis];
                for (int i = 0; i < axis; i++) outer *= q.Shape[i];
                inner = count / outer / channels;
            }
            var result = new Value(q.Name + ".centred", DataType.Float32, q.Shape);
            var output = Produce(result, Layout.Logical);
            Emit(DequantizeLinear).Set(X, Context.Data(q)).Set(Scales, Constant(Enumerable.Repeat(1f, channels).ToArray(), q.Name + ".one"))
                .Set(ZeroPoint, zp == null ? null : Context.Data(zp)).Set(Y, output)
                .Set(Outer, outer).Set(Channels, channels).Set(Inner, inner);
            return result;
        }

        /// <summary>The exact integer sums as int32 (MatMulInteger, ConvInteger).</summary>
        private void CastAccumulator(Value acc, Value y)
        {
            Emit(CastFromF32).Set(X, Logical(acc)).Set(Y, Produce(y, Layout.Logical)).Set(Count, y.ElementCount);
        }

        /// <summary>
        /// y = saturate(round_half_even((acc + bias) · m) + y_zero_point), m = (a_scale · b_scale) / y_scale in float32, per
        /// tensor or per output channel (<paramref name="channelShape"/>, broadcast against the output).
        /// </summary>
        private void Requantize(Node node, Value acc, Value aScale, Value bScale, Value yScale, Value? yZeroPoint, Value? bias, int[] channelShape)
        {
            var y = node.Outputs[0];
            var shape = y.Shape!;
            var strides = Broadcasting.ContiguousStrides(shape);
            var sum = Logical(acc);
            int channels = (int)bScale.ElementCount;
            var multiplierShape = channels == 1 ? new int[0] : channelShape;
            if (bias != null)
                Context.EmitBinary("Add", sum, shape, strides, Constant(bias.Constant!.ToFloatArray(), bias.Name + ".f32"), channelShape, sum);
            Buffer multiplier;
            if (aScale.IsConstant && bScale.IsConstant && yScale.IsConstant)
            {
                float sa = aScale.Constant!.ToFloatArray()[0], sy = yScale.Constant!.ToFloatArray()[0];
                multiplier = Constant(bScale.Constant!.ToFloatArray().Select(sb => IntegerProductOperator.Multiplier(sa, sb, sy)).ToArray(), node.Name + ".multiplier");
            }
            else
            {
                var product = NewBuffer(node.Name + ".scale", BufferKind.Workspace, DataType.Float32, channels);
                multiplier = NewBuffer(node.Name + ".multiplier", BufferKind.Workspace, DataType.Float32, channels);
                var vector = new[] { channels };
                var contiguous = Broadcasting.ContiguousStrides(vector);
                Context.EmitBinary("Mul", Context.Float(aScale), vector, Broadcasting.Strides(aScale.Shape!, vector), Context.Float(bScale), bScale.ElementCount == 1 ? new int[0] : vector, product);
                Context.EmitBinary("Div", product, vector, contiguous, Context.Float(yScale), yScale.ElementCount == 1 ? new int[0] : yScale.Shape!, multiplier);
            }
            Context.EmitBinary("Mul", sum, shape, strides, multiplier, multiplierShape, sum);
            var (min, max) = LinearQuantizationOperator.Range(y.Type);
            Emit(QuantizeLinear).Set(X, sum).Set(Scales, Constant(new[] { 1f }, node.Name + ".one"))
                .Set(ZeroPoint, yZeroPoint == null ? null : Context.Data(yZeroPoint)).Set(Y, Produce(y, Layout.Logical))
                .Set(Outer, 1).Set(Channels, 1).Set(Inner, y.ElementCount).Set(Qmin, min).Set(Qmax, max);
        }

        /// <summary>The range of the whole tensor (with 0) by two reductions, then the ONNX formulas in float32 kernels.</summary>
        private void LowerDynamicQuantizeLinear(Node node)
        {
            var x = node.Input(0)!;
            var input = Logical(x);
            long[] all = x.Shape!.Select(_ => 1L).ToArray();
            Buffer scalar(string name) => NewBuffer(node.Name + "." + name, BufferKind.Workspace, DataType.Float32, 1);
            var scalarShape = new int[0];
            var one = Broadcasting.ContiguousStrides(scalarShape);
            var zero = Constant(new[] { 0f }, node.Name + ".zero");
            var hi = scalar("max");
            var lo = scalar("min");
            Emit(ReduceF32).Set(X, input).Set(Y, hi).Set(Shape, Longs(x.Shape!)).Set(Reduced, all).Set(ReduceOp, "Max");
            Emit(ReduceF32).Set(X, input).Set(Y, lo).Set(Shape, Longs(x.Shape!)).Set(Reduced, all).Set(ReduceOp, "Min");
            Context.EmitBinary("Max", hi, scalarShape, one, zero, scalarShape, hi);
            Context.EmitBinary("Min", lo, scalarShape, one, zero, scalarShape, lo);
            var scaleValue = node.Outputs.Count > 1 ? node.Outputs[1] : new Value(node.Name + ".y_scale", DataType.Float32, scalarShape);
            var zpValue = node.Outputs.Count > 2 ? node.Outputs[2] : new Value(node.Name + ".y_zero_point", DataType.UInt8, scalarShape);
            var scale = Produce(scaleValue, Layout.Logical);
            Context.EmitBinary("Sub", hi, scalarShape, one, lo, scalarShape, scale);
            Context.EmitBinary("Div", scale, scalarShape, one, Constant(new[] { 255f }, node.Name + ".255"), scalarShape, scale);
            // −min(x, 0) / y_scale, rounded and saturated: the zero point.
            Context.EmitBinary("Sub", zero, scalarShape, one, lo, scalarShape, lo);
            var zp = Produce(zpValue, Layout.Logical);
            Emit(QuantizeLinear).Set(X, lo).Set(Scales, scale).Set(ZeroPoint, null).Set(Y, zp)
                .Set(Outer, 1).Set(Channels, 1).Set(Inner, 1).Set(Qmin, 0).Set(Qmax, 255);
            Emit(QuantizeLinear).Set(X, input).Set(Scales, scale).Set(ZeroPoint, zp).Set(Y, Produce(node.Outputs[0], Layout.Logical))
                .Set(Outer, 1).Set(Channels, 1).Set(Inner, x.ElementCount).Set(Qmin, 0).Set(Qmax, 255);
        }
    }
}
