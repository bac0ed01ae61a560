// Lowering of Gemm and MatMul in float32: a constant B is packed at build time into the GEMM's panels with Gemm's alpha,
// beta and transB folded in; a B computed at run time (or batched) goes through the unpacked MatMul kernel, one call per
// output matrix, with alpha and C as elementwise steps.
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Operators;
using QuantGen.Ir;
using static QuantGen.Plan.KernelCatalog;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Compiler.Lowering
{
    internal sealed class GemmLowering : OperatorLowering
    {
        public GemmLowering(LoweringContext context) : base(context)
        {
            Lowers<GemmOperator>(LowerGemm);
            Lowers<MatMulOperator>(LowerMatMul);
        }

        private void LowerGemm(Node node)
        {
            var a = node.Input(0)!;
            var b = node.Input(1)!;
            if (node.Attributes.GetInt("transA", 0) != 0 || b.Constant == null)
            {
                LowerRuntimeGemm(node);
                return;
            }
            bool tb = node.Attributes.GetInt("transB", 0) != 0;
            float alpha = node.Attributes.GetFloat("alpha", 1f), beta = node.Attributes.GetFloat("beta", 1f);
            int m = a.Shape![0], k = a.Shape[1], n = node.Outputs[0].Shape![1];
            var fb = b.Constant.ToFloatArray();
            // alpha and beta are folded into the constants, so the kernel computes x·B + bias.
            var packed = Constant(WeightPacking.PackGemmB(k, n, (row, col) => alpha * fb[tb ? col * k + row : row * n + col]), b.Name + ".packed");
            Buffer? bias = null;
            var c = node.Input(2);
            bool biasIsRow = c != null && c.Constant != null && c.ElementCount == n && (c.Rank == 1 || (c.Rank == 2 && c.Shape![0] == 1));
            if (biasIsRow) bias = Constant(c!.Constant!.ToFloatArray().Select(v => beta * v).ToArray(), c.Name);
            var act = FusedActivation.Of(node);
            bool separateBias = c != null && !biasIsRow;
            var output = Produce(node.Outputs[0], Layout.Logical);
            Emit(GemmF32).Set(X, Logical(a)).Set(B, packed).Set(Bias, bias).Set(Y, output).Set(M, m).Set(N, n).Set(K, k)
                .SetActivation(separateBias ? ActivationSpec.None : act);
            if (separateBias)
            {
                if (c!.Constant == null || beta != 1f) throw OperatorDefinition.Unsupported(node, "a C input that is not a constant row");
                Context.EmitBinary("Add", output, new[] { m, n }, Broadcasting.ContiguousStrides(new[] { m, n }), Constant(c.Constant.ToFloatArray(), c.Name), c.Shape!, output);
                if (!act.IsNone) Context.EmitActivation(output, output, act);
            }
        }

        /// <summary>Gemm whose B is computed at run time, or with transA: an unpacked product, then alpha and C as elementwise steps.</summary>
        private void LowerRuntimeGemm(Node node)
        {
            var a = node.Input(0)!;
            var b = node.Input(1)!;
            if (!FusedActivation.Of(node).IsNone) throw OperatorDefinition.Unsupported(node, "a fused activation with a run-time B");
            bool ta = node.Attributes.GetInt("transA", 0) != 0, tb = node.Attributes.GetInt("transB", 0) != 0;
            float alpha = node.Attributes.GetFloat("alpha", 1f), beta = node.Attributes.GetFloat("beta", 1f);
            int m = node.Outputs[0].Shape![0], n = node.Outputs[0].Shape![1], k = ta ? a.Shape![0] : a.Shape![1];
            var x = Context.Float(a);
            if (ta) x = Context.Transposed(x, a.Shape, new[] { 1, 0 }, a.Name + ".T");
            var bBuffer = Context.Float(b);
            var output = Produce(node.Outputs[0], Layout.Logical);
            var shape = new[] { m, n };
            var strides = Broadcasting.ContiguousStrides(shape);
            Emit(MatMulF32).Set(X, x).Set(B, bBuffer).Set(Y, output).Set(M, m).Set(N, n).Set(K, k).Set(TransB, tb ? 1 : 0);
            if (alpha != 1f) Context.EmitBinary("Mul", output, shape, strides, Constant(new[] { alpha }, node.Name + ".alpha"), new int[0], output);
            var c = node.Input(2);
            if (c == null) return;
            if (c.IsConstant)
                Context.EmitBinary("Add", output, shape, strides, Constant(c.Constant!.ToFloatArray().Select(v => beta * v).ToArray(), c.Name), c.Shape!, output);
            else if (beta == 1f)
                Context.EmitBinary("Add", output, shape, strides, Logical(c), c.Shape!, output);
            else
            {
                var scaled = NewBuffer(c.Name + ".beta", BufferKind.Workspace, DataType.Float32, c.ElementCount);
                Context.EmitBinary("Mul", Logical(c), c.Shape!, Broadcasting.ContiguousStrides(c.Shape!), Constant(new[] { beta }, node.Name + ".beta"), new int[0], scaled);
                Context.EmitBinary("Add", output, shape, strides, scaled, c.Shape!, output);
            }
        }

        private void LowerMatMul(Node node)
        {
            var a = node.Input(0)!;
            var b = node.Input(1)!;
            if (b.Constant == null || b.Rank != 2 || a.Rank < 2)
            {
                LowerRuntimeMatMul(node);
                return;
            }
            int k = b.Shape![0], n = b.Shape[1];
            int m = (int)(a.ElementCount / k);
            var fb = b.Constant.ToFloatArray();
            var packed = Constant(WeightPacking.PackGemmB(k, n, (row, col) => fb[row * n + col]), b.Name + ".packed");
            var output = Produce(node.Outputs[0], Layout.Logical);
            Emit(GemmF32).Set(X, Logical(a)).Set(B, packed).Set(Bias, null).Set(Y, output).Set(M, m).Set(N, n).Set(K, k)
                .SetActivation(FusedActivation.Of(node));
        }

        /// <summary>
        /// numpy.matmul with a run-time (or batched constant) B: one unpacked product per output matrix,
        /// each operand read at its broadcast offset in the batch axes.
        /// </summary>
        internal void LowerRuntimeMatMul(Node node)
        {
            var a = node.Input(0)!;
            var b = node.Input(1)!;
            if (!FusedActivation.Of(node).IsNone) throw OperatorDefinition.Unsupported(node, "a fused activation with a run-time B");
            var a2 = a.Rank == 1 ? new[] { 1, a.Shape![0] } : a.Shape!;
            var b2 = b.Rank == 1 ? new[] { b.Shape![0], 1 } : b.Shape!;
            int m = a2[a2.Length - 2], k = a2[a2.Length - 1], n = b2[b2.Length - 1];
            var aBatch = a2.Take(a2.Length - 2).ToArray();
            var bBatch = b2.Take(b2.Length - 2).ToArray();
            var batch = Broadcasting.Shape(aBatch, bBatch)!;
            var sa = Broadcasting.Strides(aBatch, batch);
            var sb = Broadcasting.Strides(bBatch, batch);
            var x = Context.Float(a);
            var bBuffer = Context.Float(b);
            var output = Produce(node.Outputs[0], Layout.Logical);
            long count = Tensor.ElementCountOf(batch);
            if (count > 4096) throw OperatorDefinition.Unsupported(node, $"{count} batched matrix products (at most 4096)");
            var calls = new List<(int A, int B, int Y)>();
            Broadcasting.ForEach(batch, sa, sb, (o, ia, ib) => calls.Add((ia, ib, o)));
            foreach (var (ia, ib, o) in calls)
            {
                var xi = count == 1 ? x : Context.Slice(x, (long)ia * m * k, (long)m * k, $"{x.Name}[{ia}]");
                var bi = count == 1 ? bBuffer : Context.Slice(bBuffer, (long)ib * k * n, (long)k * n, $"{bBuffer.Name}[{ib}]");
                var yi = count == 1 ? output : Context.Slice(output, (long)o * m * n, (long)m * n, $"{output.Name}[{o}]");
                Emit(MatMulF32).Set(X, xi).Set(B, bi).Set(Y, yi).Set(M, m).Set(N, n).Set(K, k).Set(TransB, 0);
            }
        }
    }
}
