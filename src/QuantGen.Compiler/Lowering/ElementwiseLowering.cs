// Lowering of elementwise operators in float32: unary activations and math (one kernel, the Activation enum), binary
// arithmetic with numpy broadcasting, Max/Min of any arity, and Clip with run-time bounds. Elementwise work keeps the
// layout its input already has, so a channels-last tensor needs no transpose.
using System.Linq;
using QuantGen.Compiler.Operators;
using QuantGen.Ir;
using static QuantGen.Compiler.Lowering.LoweringContext;
using static QuantGen.Plan.KernelCatalog;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Compiler.Lowering
{
    internal sealed class ElementwiseLowering : OperatorLowering
    {
        public ElementwiseLowering(LoweringContext context) : base(context)
        {
            Lowers<ActivationOperator>(LowerActivation);
            Lowers<BinaryOperator>(LowerBinary);
        }

        private void LowerActivation(Node node, ActivationOperator op)
        {
            if (ActivationOperator.HasRuntimeBounds(node))
            {
                LowerRuntimeClip(node);
                return;
            }
            var spec = op.SpecOf(node);
            var x = node.Input(0)!;
            if (x.Type != DataType.Float32) throw OperatorDefinition.Unsupported(node, $"{DataTypes.Name(x.Type)} data");
            // Elementwise: keep whichever layout the input already has.
            var layout = Context.TryNhwc(x, out var channelsLast) ? Layout.Nhwc : Layout.Logical;
            var input = layout == Layout.Nhwc ? channelsLast : Logical(x);
            var output = Produce(node.Outputs[0], layout);
            Context.EmitActivation(input, output, spec);
        }

        /// <summary>Clip(x, min, max) with a bound computed at run time: max(x, min), then min(·, max), broadcasting the scalars.</summary>
        private void LowerRuntimeClip(Node node)
        {
            var x = node.Input(0)!;
            var y = node.Outputs[0];
            var output = Produce(y, Layout.Logical);
            var shape = y.Shape!;
            var strides = Broadcasting.ContiguousStrides(shape);
            var current = Logical(x);
            foreach (var (index, op) in new[] { (1, "Max"), (2, "Min") })
            {
                var bound = node.Input(index);
                if (bound == null) continue;
                Context.EmitBinary(op, current, shape, strides, Context.Float(bound), bound.Shape!, output);
                current = output;
            }
        }

        private void LowerBinary(Node node)
        {
            if (node.Inputs.Count != 2)
            {
                LowerVariadic(node);
                return;
            }
            var a = node.Input(0)!;
            var b = node.Input(1)!;
            var y = node.Outputs[0];
            if (y.Type != DataType.Float32) throw OperatorDefinition.Unsupported(node, $"{DataTypes.Name(y.Type)} data at run time");
            // Channels-last when the output is an image and a run-time operand already is.
            bool nhwc = y.Rank == 4 && new[] { a, b }.Any(v => !v.IsConstant && Context.Has(v, Layout.Nhwc) && !Context.Has(v, Layout.Logical));
            var layout = nhwc ? Layout.Nhwc : Layout.Logical;
            var output = Produce(y, layout);
            var (ba, sa) = Operand(a, y.Shape!, layout);
            var (bb, sb) = Operand(b, y.Shape!, layout);
            var shape = layout == Layout.Nhwc ? Permute(y.Shape!, ToNhwc) : y.Shape!;
            Emit(BinaryF32).Set(A, ba).Set(B, bb).Set(Y, output).Set(BinaryOp, node.OpType).Set(Shape, shape).Set(AStrides, sa).Set(BStrides, sb);
        }

        /// <summary>Max or Min of one input (a copy) or of three and more (pairwise into the output, broadcasting each operand).</summary>
        private void LowerVariadic(Node node)
        {
            var y = node.Outputs[0];
            var output = Produce(y, Layout.Logical);
            var shape = y.Shape!;
            var first = node.Input(0)!;
            var (a, aStrides) = Operand(first, shape, Layout.Logical);
            if (node.Inputs.Count == 1)
            {
                Emit(Copy).Set(X, a).Set(Y, output).Set(Count, output.Elements);
                return;
            }
            for (int i = 1; i < node.Inputs.Count; i++)
            {
                var v = node.Input(i)!;
                Context.EmitBinary(node.OpType, a, shape, aStrides, Context.Float(v), v.Shape!, output);
                a = output;
                aStrides = Broadcasting.ContiguousStrides(shape);
            }
        }

        /// <summary>An operand of a broadcasting op and its element strides over the output in <paramref name="layout"/>.</summary>
        private (Buffer Buffer, int[] Strides) Operand(Value v, int[] outputShape, Layout layout)
        {
            if (layout == Layout.Nhwc && !v.IsConstant && Context.TryNhwc(v, out var physical))
                return (physical, Broadcasting.Strides(Permute(v.Shape!, ToNhwc), Permute(outputShape, ToNhwc)));
            var buffer = Context.Float(v);
            var strides = Broadcasting.Strides(v.Shape!, outputShape);
            return (buffer, layout == Layout.Nhwc ? Permute(strides, ToNhwc) : strides);
        }
    }
}
