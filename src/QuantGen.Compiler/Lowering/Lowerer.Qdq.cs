// Lowering of QuantizeLinear and DequantizeLinear computed at run time (a QDQ model compiled with Precision="Float32").
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir;
using QuantGen.Compiler.Operators;
using QuantGen.Plan;
using static QuantGen.Plan.KernelCatalog;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Compiler.Lowering
{
    public sealed partial class Lowerer
    {
        // DequantizeLinear nodes already computed by the FakeQuantizeF32 call of the QuantizeLinear before them.
        private readonly HashSet<Node> _fusedDequantize = new HashSet<Node>();

        /// <summary>Lowers QuantizeLinear and DequantizeLinear; false for any other operator.</summary>
        private bool TryLowerLinearQuantization(Node node, OperatorDefinition op)
        {
            switch (op)
            {
                case QuantizeLinearOperator _: LowerQuantizeLinear(node); return true;
                case DequantizeLinearOperator _:
                    if (!_fusedDequantize.Contains(node)) LowerDequantizeLinear(node);
                    return true;
                default: return false;
            }
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
                Call(FakeQuantizeF32).Set(X, x).Set(Scales, Float(node.Input(1)!))
                    .Set(ZeroPoint, zp == null ? null : Constant(zp.Constant!.ToFloatArray(), zp.Name + ".f32"))
                    .Set(Y, Produce(dq.Outputs[0], layout))
                    .Set(Outer, outer).Set(Channels, channels).Set(Inner, inner).Set(Qmin, min).Set(Qmax, max);
                return;
            }
            Call(QuantizeLinear).Set(X, x).Set(Scales, Float(node.Input(1)!)).Set(ZeroPoint, node.Input(2) == null ? null : Data(node.Input(2)!))
                .Set(Y, Produce(y, layout))
                .Set(Outer, outer).Set(Channels, channels).Set(Inner, inner).Set(Qmin, min).Set(Qmax, max);
        }

        private void LowerDequantizeLinear(Node node)
        {
            var (x, layout, outer, channels, inner) = LinearQuantizationOperand(node);
            Call(DequantizeLinear).Set(X, x).Set(Scales, Float(node.Input(1)!)).Set(ZeroPoint, node.Input(2) == null ? null : Data(node.Input(2)!))
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
            if (_graph.Outputs.Contains(y)) return null;
            var readers = _graph.Consumers(y).ToList();
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
            bool nhwc = !x.IsConstant && _nhwc.ContainsKey(x) && !_logical.ContainsKey(x);
            if (nhwc && (axis < 0 || axis == 1))
            {
                var buffer = _nhwc[x];
                return axis < 0 ? (buffer, Layout.Nhwc, outer, channels, inner) : (buffer, Layout.Nhwc, buffer.Elements / channels, channels, 1);
            }
            return (Data(x), Layout.Logical, outer, channels, inner);
        }

        private Buffer Float(Value v) => v.IsConstant ? Constant(v.Constant!.ToFloatArray(), v.Name) : Logical(v);
    }
}
