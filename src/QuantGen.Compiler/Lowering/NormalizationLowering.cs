// Lowering of normalizations and the reductions they are made of, in float32: Softmax and LogSoftmax, LayerNormalization,
// InstanceNormalization, BatchNormalization whose statistics are computed at run time (constant ones were folded into
// the convolution or into Mul and Add by the rewrites), and the Reduce operators.
using System.Linq;
using QuantGen.Compiler.Operators;
using QuantGen.Ir;
using static QuantGen.Compiler.Lowering.LoweringContext;
using static QuantGen.Plan.KernelCatalog;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Compiler.Lowering
{
    internal sealed class NormalizationLowering : OperatorLowering
    {
        public NormalizationLowering(LoweringContext context) : base(context)
        {
            Lowers<SoftmaxOperator>(LowerSoftmax);
            Lowers<LayerNormalizationOperator>(LowerLayerNormalization);
            Lowers<InstanceNormalizationOperator>(LowerInstanceNormalization);
            Lowers<BatchNormalizationOperator>(LowerRuntimeBatchNormalization);
            Lowers<ReduceOperator>(LowerReduce);
        }

        private void LowerSoftmax(Node node)
        {
            var x = node.Input(0)!;
            var (outer, axis, inner) = SoftmaxOperator.Extents(node, x.Shape!, Context.Graph.Info.Opset);
            var output = Produce(node.Outputs[0], Layout.Logical);
            Emit(SoftmaxF32).Set(X, Logical(x)).Set(Y, output).Set(Outer, outer).Set(Axis, axis).Set(Inner, inner)
                .Set(Log, node.OpType == "LogSoftmax" ? 1 : 0);
        }

        private void LowerLayerNormalization(Node node)
        {
            var x = node.Input(0)!;
            var (axis, rows, cols) = LayerNormalizationOperator.Extents(node, x.Shape!);
            var normalized = x.Shape!.Skip(axis).ToArray();
            Buffer? Affine(Value? v)
            {
                if (v == null) return null;
                if (v.IsConstant) return Constant(LayerNormalizationOperator.Expand(node, v.Constant!, normalized), v.Name);
                if (v.ElementCount != cols) throw OperatorDefinition.Unsupported(node, $"a run-time Scale or B of shape {"[" + string.Join(",", v.Shape!) + "]"} that broadcasts to the normalized shape");
                return Logical(v);
            }
            var scale = Affine(node.Input(1));
            var bias = Affine(node.Input(2));
            var input = Logical(x);
            var output = Produce(node.Outputs[0], Layout.Logical);
            var mean = node.Outputs.Count > 1 && node.Outputs[1].Name.Length > 0 ? Produce(node.Outputs[1], Layout.Logical) : null;
            var inv = node.Outputs.Count > 2 && node.Outputs[2].Name.Length > 0 ? Produce(node.Outputs[2], Layout.Logical) : null;
            Emit(LayerNormalizationF32).Set(X, input).Set(Scales, scale).Set(Bias, bias).Set(Y, output).Set(Mean, mean).Set(InvStdDev, inv)
                .Set(Rows, rows).Set(Cols, cols).Set(Epsilon, node.Attributes.GetFloat("epsilon", 1e-5f));
        }

        private void LowerInstanceNormalization(Node node)
        {
            var x = node.Input(0)!;
            int n = x.Shape![0], c = x.Shape[1];
            long hw = x.ElementCount / System.Math.Max(1, (long)n * c);
            Emit(InstanceNormalizationF32).Set(X, Logical(x)).Set(Scales, Context.Float(node.Input(1)!)).Set(Bias, Context.Float(node.Input(2)!))
                .Set(Y, Produce(node.Outputs[0], Layout.Logical)).Set(N, n).Set(C, c).Set(Hw, hw)
                .Set(Epsilon, node.Attributes.GetFloat("epsilon", 1e-5f));
        }

        /// <summary>
        /// BatchNormalization (inference) whose statistics or affine parameters are computed at run time (constant ones are
        /// folded into Mul and Add before lowering): y = (x − mean) · (scale / sqrt(var + epsilon)) + B, per channel.
        /// </summary>
        private void LowerRuntimeBatchNormalization(Node node)
        {
            var x = node.Input(0)!;
            var y = node.Outputs[0];
            int c = x.Shape![1];
            var channel = new[] { c }.Concat(Enumerable.Repeat(1, x.Rank - 2)).ToArray();
            var flat = new[] { c };
            var flatStrides = new[] { 1 };
            Buffer Param(int index) => Context.Float(node.Input(index)!);
            var factor = NewBuffer(node.Name + ".factor", BufferKind.Workspace, DataType.Float32, c);
            Context.EmitBinary("Add", Param(4), flat, flatStrides, Constant(new[] { node.Attributes.GetFloat("epsilon", 1e-5f) }, node.Name + ".epsilon"), new int[0], factor);
            Context.EmitActivation(factor, factor, new ActivationSpec("Sqrt"));
            Context.EmitBinary("Div", Param(1), flat, flatStrides, factor, flat, factor);
            var output = Produce(y, Layout.Logical);
            var strides = Broadcasting.ContiguousStrides(y.Shape!);
            Context.EmitBinary("Sub", Logical(x), y.Shape!, strides, Param(3), channel, output);
            Context.EmitBinary("Mul", output, y.Shape!, strides, factor, channel, output);
            Context.EmitBinary("Add", output, y.Shape!, strides, Param(2), channel, output);
        }

        private void LowerReduce(Node node, ReduceOperator op)
        {
            var x = node.Input(0)!;
            var y = node.Outputs[0];
            var reduced = ReduceOperator.ReducedAxes(node, x.Rank);
            if (reduced == null)
            {
                Context.ViewOutput(node);
                return;
            }
            // Channels-last input (after Conv or pooling): reduce it in place of a transpose back when the kept axes
            // come out in the same order (e.g. ReduceMean over H and W, the common global pooling export).
            if (x.Rank == 4 && Context.TryNhwc(x, out var physical) && !Context.Has(x, Layout.Logical))
            {
                var kept = ToNhwc.Where(a => !reduced[a]).ToArray();
                if (kept.SequenceEqual(kept.OrderBy(a => a)))
                {
                    var output = Produce(y, Layout.Logical);
                    Emit(ReduceF32).Set(X, physical).Set(Y, output).Set(Shape, Permute(x.Shape!, ToNhwc))
                        .Set(Reduced, Permute(reduced.Select(r => r ? 1 : 0).ToArray(), ToNhwc)).Set(ReduceOp, op.Kind);
                    return;
                }
            }
            var input = Logical(x);
            Emit(ReduceF32).Set(X, input).Set(Y, Produce(y, Layout.Logical)).Set(Shape, x.Shape!)
                .Set(Reduced, reduced.Select(r => r ? 1L : 0L).ToArray()).Set(ReduceOp, op.Kind);
        }
    }
}
