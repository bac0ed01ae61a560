// Lowering of Precision="Int8Dynamic": every Gemm and MatMul by a constant runs on int8 weights and inputs quantized with
// their own range on each call (no calibration data); everything else stays float.
using System;
using QuantGen.Compiler.Operators;
using QuantGen.Compiler.Quantization;
using QuantGen.Ir;
using static QuantGen.Plan.KernelCatalog;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Compiler.Lowering
{
    internal sealed class DynamicInt8Lowering : IntegerLowering
    {
        public DynamicInt8Lowering(LoweringContext context) : base(context)
        {
            Lowers<GemmOperator>(LowerGemmDynamic);
            Lowers<MatMulOperator>(LowerGemmDynamic);
        }

        public override bool Runs(Node node, OperatorDefinition op) => (op is GemmOperator || op is MatMulOperator) && QuantizationScheme.RunsAsIntegerGemm(node);

        protected override Exception NotInIntegers(Node node) => OperatorDefinition.Unsupported(node, "Int8Dynamic arithmetic");

        /// <summary>
        /// Int8Dynamic Gemm/MatMul: x is quantized with its own range on every call, the bias and output scale follow
        /// from that per call (O(n) work), and the GEMM writes float: y = (acc − zp·Σw + round(b / s)) · s, s = sIn·sW.
        /// </summary>
        private void LowerGemmDynamic(Node node)
        {
            var a = node.Input(0)!;
            var wValue = node.Input(1)!;
            var w = wValue.Constant!;
            int axis = QuantizationScheme.WeightChannelAxis(node);
            var (values, scales) = QuantizationMath.QuantizeWeightsPerChannel(w.ToFloatArray(), w.Shape, axis);
            bool transposed = axis == 0;
            int k = transposed ? w.Shape[1] : w.Shape[0];
            int n = transposed ? w.Shape[0] : w.Shape[1];
            int m = (int)(a.ElementCount / k);
            sbyte B(int row, int col) => values[transposed ? col * k + row : row * n + col];
            var columnSums = new int[n];
            for (int j = 0; j < n; j++)
                for (int row = 0; row < k; row++) columnSums[j] += B(row, j);
            var bias = node.Input(2)?.Constant?.ToFloatArray();
            var x = Logical(a);
            var xq = NewBuffer(a.Name + ".u8", BufferKind.Workspace, DataType.UInt8, x.Elements);
            var qparams = NewBuffer(a.Name + ".qparams", BufferKind.Workspace, DataType.Float32, 2);
            var biasOut = NewBuffer(node.Name + ".bias.i32", BufferKind.Workspace, DataType.Int32, n);
            var scaleOut = NewBuffer(node.Name + ".scale", BufferKind.Workspace, DataType.Float32, n);
            Emit(QuantizeDynamicU8).Set(X, x).Set(Y, xq).Set(QParams, qparams).Set(Count, x.Elements);
            Emit(PrepareGemmDynamic).Set(QParams, qparams).Set(ColumnSums, Constant(columnSums, node.Name + ".colsum"))
                .Set(WeightScale, Constant(scales, wValue.Name + ".scale")).Set(Bias, bias == null ? null : Constant(bias, node.Name + ".bias"))
                .Set(BiasOut, biasOut).Set(ScaleOut, scaleOut).Set(N, n);
            var output = Produce(node.Outputs[0], Layout.Logical);
            Emit(GemmU8S8Float).Set(X, xq).Set(W, Constant(Int8WeightPacking.PackGemm(k, n, B), wValue.Name + ".packed.i8")).Set(Bias, biasOut)
                .Set(Y, output).Set(Scales, scaleOut).Set(M, m).Set(N, n).Set(K, k);
            var act = FusedActivation.Of(node);
            if (!act.IsNone) Context.EmitActivation(output, output, act);
        }
    }
}
