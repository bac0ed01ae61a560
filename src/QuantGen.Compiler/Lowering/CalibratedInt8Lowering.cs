// Lowering of the nodes the calibrated INT8 scheme runs in integers (docs/int8-kernels.md): Conv, Gemm and MatMul on
// uint8 × int8 kernels with per-channel requantization, the residual Add, global average pooling, and the byte-exact
// pass-throughs (max pooling, Transpose, views). Values cross to and from float code through IntegerValues.
using System;
using System.Linq;
using QuantGen.Compiler.Operators;
using QuantGen.Compiler.Quantization;
using QuantGen.Ir;
using QuantGen.Kernels;
using QuantGen.Plan;
using static QuantGen.Plan.KernelCatalog;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Compiler.Lowering
{
    internal sealed class CalibratedInt8Lowering : IntegerLowering
    {
        public CalibratedInt8Lowering(LoweringContext context) : base(context)
        {
            Lowers<ConvOperator>(LowerConvU8);
            Lowers<GemmOperator>(LowerGemmU8);
            Lowers<MatMulOperator>(LowerGemmU8);
            Lowers<BinaryOperator>(LowerAddU8);
            Lowers<GlobalPoolOperator>(node => { if (node.OpType == "GlobalAveragePool") LowerGlobalAverageU8(node); else LowerMaxPoolU8(node); });
            Lowers<WindowPoolOperator>(node => { if (node.OpType == "MaxPool") LowerMaxPoolU8(node); else throw NotInIntegers(node); });
            Lowers<TransposeOperator>(LowerTransposeU8);
            // Flatten, Reshape, Squeeze and Unsqueeze: the same bytes seen with another shape.
            Lowers<FlattenOperator>(LowerViewU8);
            Lowers<ReshapeOperator>(LowerViewU8);
            Lowers<SqueezeOperator>(LowerViewU8);
        }

        private IntegerValues Integers => Context.Integers;

        private QuantizationScheme Scheme => Integers.Scheme!;

        public override bool Runs(Node node, OperatorDefinition op) =>
            Integers.Scheme != null && Integers.Scheme.Numerics.TryGetValue(node, out var kind) && kind != NodeNumerics.Float;

        protected override Exception NotInIntegers(Node node) =>
            OperatorDefinition.Unsupported(node, $"{Scheme.Numerics[node]} integer arithmetic for {node.OpType} (the quantization scheme asked for more than the INT8 kernels do)");

        private void LowerConvU8(Node node)
        {
            var x = node.Input(0)!;
            var wValue = node.Input(1)!;
            var y = node.Outputs[0];
            var layer = QuantizedWeights.Of(node, Scheme);
            var pIn = Integers.Params(node.Input(0)!);
            var g = WindowGeometry.Resolve(node, x.Shape!, ConvOperator.KernelOf(wValue.Shape!));
            int group = (int)node.Attributes.GetInt("group", 1);
            int ic = x.Shape![1], oc = wValue.Shape![0], icg = ic / group;
            var pOut = Integers.Params(y);
            var (qmin, qmax) = Integers.Clamp(node, pOut);
            var (multiplier, shift) = ChannelMultipliers(node, layer, pIn, pOut);
            var bias = Constant(FoldInputZeroPoint(layer, pIn, (long)icg * g.KernelH * g.KernelW, (o, i) => layer.Values[o * icg * g.KernelH * g.KernelW + i]), wValue.Name + ".bias.i32");
            var input = Integers.U8(x, Layout.Nhwc);
            var output = Integers.Produce(y, Layout.Nhwc);
            if (group == ic && group == oc && icg == 1)
            {
                var packed = Constant(Int8WeightPacking.PackDepthwise(layer.Values, oc, g.KernelH, g.KernelW), wValue.Name + ".depthwise.i8");
                foreach (var (xi, yi) in Context.Images(input, output, x.Shape[0]))
                    Emit(ConvU8S8Depthwise).Set(X, xi).Set(W, packed).Set(Bias, bias).Set(Y, yi).Set(Multipliers, multiplier).Set(Shift, shift)
                        .Set(C, oc).SetWindow(g).Set(ZpIn, pIn.ZeroPoint).Set(ZpOut, pOut.ZeroPoint).Set(Qmin, qmin).Set(Qmax, qmax);
                return;
            }
            var packedGemm = Constant(Int8WeightPacking.PackConvGemm(layer.Values, oc, icg, g.KernelH, g.KernelW, group), wValue.Name + ".packed.i8");
            long scratchLength = ConvLayout.ScratchU8Length(g.OutH, g.OutW, g.KernelH, g.KernelW, g.StrideH, g.StrideW,
                g.PadTop, g.PadLeft, g.PadBottom, g.PadRight, icg, group);
            var scratch = scratchLength == 0 ? null : NewBuffer(node.Name + ".im2col.u8", BufferKind.Workspace, DataType.UInt8, scratchLength);
            foreach (var (xi, yi) in Context.Images(input, output, x.Shape[0]))
                Emit(ConvU8S8Gemm).Set(X, xi).Set(W, packedGemm).Set(Bias, bias).Set(Y, yi).Set(Multipliers, multiplier).Set(Shift, shift)
                    .Set(Scratch, scratch).Set(Ic, ic).Set(Oc, oc).SetWindow(g).Set(Pb, g.PadBottom).Set(Pr, g.PadRight).Set(Group, group)
                    .Set(ZpIn, pIn.ZeroPoint).Set(ZpOut, pOut.ZeroPoint).Set(Qmin, qmin).Set(Qmax, qmax);
        }

        /// <summary>Gemm (no transA, alpha = beta = 1, row bias) and MatMul by a constant [k, n]: x [m, k] uint8 times packed int8 B.</summary>
        private void LowerGemmU8(Node node)
        {
            var a = node.Input(0)!;
            var wValue = node.Input(1)!;
            var y = node.Outputs[0];
            var layer = QuantizedWeights.Of(node, Scheme);
            var pIn = Integers.Params(node.Input(0)!);
            bool transposed = node.OpType == "Gemm" && node.Attributes.GetInt("transB", 0) != 0;
            int k = transposed ? wValue.Shape![1] : wValue.Shape![0];
            int n = transposed ? wValue.Shape![0] : wValue.Shape![1];
            int m = (int)(a.ElementCount / k);
            sbyte B(int row, int col) => layer.Values[transposed ? col * k + row : row * n + col];
            var packed = Constant(Int8WeightPacking.PackGemm(k, n, B), wValue.Name + ".packed.i8");
            var bias = Constant(FoldInputZeroPoint(layer, pIn, k, (j, row) => B(row, j)), wValue.Name + ".bias.i32");
            var x = Integers.U8(a, Layout.Logical);
            if (!Scheme.Activations.TryGetValue(y.Name, out var pOut))
            {
                // Float epilogue: (acc + bias) · sIn · sW[j], for logits and other float consumers.
                var scale = layer.Scales.Select(s => (float)((double)pIn.Scale * s)).ToArray();
                var output = Produce(y, Layout.Logical);
                Emit(GemmU8S8Float).Set(X, x).Set(W, packed).Set(Bias, bias).Set(Y, output).Set(Scales, Constant(scale, wValue.Name + ".scale"))
                    .Set(M, m).Set(N, n).Set(K, k);
                var act = FusedActivation.Of(node);
                if (!act.IsNone) Context.EmitActivation(output, output, act);
                return;
            }
            var (qmin, qmax) = Integers.Clamp(node, pOut);
            var (multiplier, shift) = ChannelMultipliers(node, layer, pIn, pOut);
            Emit(GemmU8S8).Set(X, x).Set(W, packed).Set(Bias, bias).Set(Y, Integers.Produce(y, Layout.Logical))
                .Set(Multipliers, multiplier).Set(Shift, shift).Set(M, m).Set(N, n).Set(K, k)
                .Set(ZpOut, pOut.ZeroPoint).Set(Qmin, qmin).Set(Qmax, qmax);
        }

        /// <summary>
        /// The kernels' bias: bias[c] − zpIn · Σ w over the channel's <paramref name="depth"/> weights, so the
        /// accumulation can run on raw uint8 inputs (padding taps read zpIn and cancel).
        /// </summary>
        private int[] FoldInputZeroPoint(QuantizedWeights layer, QuantParams input, long depth, Func<int, int, sbyte> weight)
        {
            var result = new int[layer.Scales.Length];
            for (int c = 0; c < result.Length; c++)
            {
                long sum = 0;
                for (int i = 0; i < depth; i++) sum += weight(c, i);
                long folded = (layer.QuantizedBias?[c] ?? 0) - (long)input.ZeroPoint * sum;
                if (folded < int.MinValue || folded > int.MaxValue) throw OperatorDefinition.Unsupported(Context.Current!, "a bias beyond the int32 range after quantization");
                result[c] = (int)folded;
            }
            return result;
        }

        /// <summary>Per-channel multipliers (an int32 weight tensor) and the layer's one shift for M[c] = sIn · sW[c] / sOut.</summary>
        private (Buffer Multiplier, int Shift) ChannelMultipliers(Node node, QuantizedWeights layer, QuantParams input, QuantParams output)
        {
            var reals = layer.Scales.Select(s => (double)input.Scale * s / output.Scale).ToArray();
            double largest = reals.Length == 0 ? 0 : reals.Max();
            if (!(largest < 1 << 30)) throw OperatorDefinition.Unsupported(Context.Current!, $"a requantization multiplier of {largest:G3} (scales too far apart)");
            var (multipliers, shift) = QuantizationMath.QuantizeChannelMultipliers(reals);
            return (Constant(multipliers, node.Name + ".multiplier"), shift);
        }

        private void LowerAddU8(Node node)
        {
            if (node.OpType != "Add") throw NotInIntegers(node);
            var a = node.Input(0)!;
            var b = node.Input(1)!;
            var y = node.Outputs[0];
            // Channels-last when an operand already is: both then come in that order, and so does the sum.
            var layout = (y.Rank == 4 || y.Rank == 3) && (Integers.HasNhwc(a) || Integers.HasNhwc(b)) ? Layout.Nhwc : Layout.Logical;
            var pa = Integers.Params(a);
            var pb = Integers.Params(b);
            var py = Integers.Params(y);
            var (qmin, qmax) = Integers.Clamp(node, py);
            // TFLite's quantized add: both operands to a common scale 2·max(sA, sB) with 20 bits of headroom, then to sY.
            double twiceMax = 2 * Math.Max((double)pa.Scale, pb.Scale);
            var (am, ash) = Integers.Multiplier(pa.Scale / twiceMax);
            var (bm, bsh) = Integers.Multiplier(pb.Scale / twiceMax);
            var (ym, ysh) = Integers.Multiplier(twiceMax / ((1 << 20) * (double)py.Scale));
            var ua = Integers.U8(a, layout);
            var ub = Integers.U8(b, layout);
            Emit(AddU8).Set(A, ua).Set(B, ub).Set(Y, Integers.Produce(y, layout)).Set(Count, ua.Elements)
                .Set(AZp, pa.ZeroPoint).Set(AMultiplier, am).Set(AShift, ash)
                .Set(BZp, pb.ZeroPoint).Set(BMultiplier, bm).Set(BShift, bsh)
                .Set(YZp, py.ZeroPoint).Set(YMultiplier, ym).Set(YShift, ysh).Set(Qmin, qmin).Set(Qmax, qmax);
        }

        private void LowerGlobalAverageU8(Node node)
        {
            var x = node.Input(0)!;
            var y = node.Outputs[0];
            var image = LoweringContext.Image4D(x);
            int hw = image[2] * image[3];
            var pIn = Integers.Params(x);
            var pOut = Integers.Params(y);
            var (multiplier, shift) = Integers.Multiplier(pIn.Scale / ((double)hw * pOut.Scale));
            var input = Integers.U8(x, Layout.Nhwc);
            var output = Integers.Produce(y, Layout.Nhwc);
            foreach (var (xi, yi) in Context.Images(input, output, image[0]))
                Emit(PoolU8GlobalAverage).Set(X, xi).Set(Y, yi).Set(Hw, hw).Set(C, image[1])
                    .Set(ZpIn, pIn.ZeroPoint).Set(ZpOut, pOut.ZeroPoint).Set(KernelParameters.Multiplier, multiplier).Set(Shift, shift);
        }

        /// <summary>MaxPool and GlobalMaxPool on bytes: the output shares the input's scale and zero point.</summary>
        private void LowerMaxPoolU8(Node node)
        {
            var x = node.Input(0)!;
            var image = LoweringContext.Image4D(x);
            var g = node.OpType == "MaxPool" ? WindowGeometry.Resolve(node, x.Shape!, null) : null;
            var input = Integers.U8(x, Layout.Nhwc);
            var output = Integers.Produce(node.Outputs[0], Layout.Nhwc);
            foreach (var (xi, yi) in Context.Images(input, output, image[0]))
            {
                if (g != null)
                    Emit(PoolU8Max).Set(X, xi).Set(Y, yi).Set(C, image[1]).SetWindow(g);
                else
                    Emit(PoolU8Max).Set(X, xi).Set(Y, yi).Set(Ih, image[2]).Set(Iw, image[3]).Set(C, image[1]).Set(Oh, 1).Set(Ow, 1)
                        .Set(Kh, image[2]).Set(Kw, image[3]).Set(Sh, 1).Set(Sw, 1).Set(Pt, 0).Set(Pl, 0).Set(Dh, 1).Set(Dw, 1);
            }
        }

        private void LowerTransposeU8(Node node)
        {
            var x = node.Input(0)!;
            var y = Integers.Produce(node.Outputs[0], Layout.Logical);
            Emit(Transpose).Set(X, Integers.U8(x, Layout.Logical)).Set(Y, y).Set(Shape, x.Shape!).Set(Perm, TransposeOperator.Permutation(node, x.Rank));
        }

        private void LowerViewU8(Node node)
        {
            var source = Integers.U8(node.Input(0)!, Layout.Logical);
            Integers.Bind(node.Outputs[0], Layout.Logical, Context.View(source, node.Outputs[0].Name + ".u8"));
        }
    }
}
