// Integer lowering: the nodes a QuantizationScheme marks as integer become uint8/int8 kernel calls
// (docs/int8-kernels.md). Values live as uint8 where integer code reads them; a float op sees them
// dequantized, and integer code quantizes float values on first use, so the two halves meet lazily.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;
using QuantGen.Compiler.Operators;
using QuantGen.Compiler.Quantization;
using QuantGen.Plan;
using static QuantGen.Plan.KernelCatalog;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Compiler.Lowering
{
    public sealed partial class Lowerer
    {
        private QuantizationScheme? _scheme;
        private bool _dynamic;
        private readonly Dictionary<Value, Buffer> _u8Logical = new Dictionary<Value, Buffer>();
        private readonly Dictionary<Value, Buffer> _u8Nhwc = new Dictionary<Value, Buffer>();

        /// <summary>Lowers <paramref name="graph"/> with the integer kernels where <paramref name="scheme"/> says so (null: all float).</summary>
        public static LoweredProgram Lower(Graph graph, QuantizationScheme? scheme)
        {
            var lowerer = new Lowerer(graph) { _scheme = scheme };
            lowerer.Run();
            return lowerer._program;
        }

        /// <summary>Int8Dynamic: every Gemm and MatMul by a constant runs on int8 weights and per-call quantized inputs; the rest stays float.</summary>
        public static LoweredProgram LowerDynamic(Graph graph)
        {
            var lowerer = new Lowerer(graph) { _dynamic = true };
            lowerer.Run();
            return lowerer._program;
        }

        private bool TryLowerInteger(Node node)
        {
            if (_dynamic && (node.OpType == "Gemm" || node.OpType == "MatMul") && QuantizationScheme.RunsAsIntegerGemm(node))
            {
                LowerGemmDynamic(node);
                return true;
            }
            if (_scheme == null || !_scheme.Numerics.TryGetValue(node, out var kind) || kind == NodeNumerics.Float) return false;
            switch (node.OpType)
            {
                case "Conv": LowerConvU8(node); break;
                case "Gemm":
                case "MatMul": LowerGemmU8(node); break;
                case "Add": LowerAddU8(node); break;
                case "GlobalAveragePool": LowerGlobalAverageU8(node); break;
                case "MaxPool":
                case "GlobalMaxPool": LowerMaxPoolU8(node); break;
                case "Transpose":
                {
                    var x = node.Input(0)!;
                    var y = ProduceU8(node.Outputs[0], Layout.Logical);
                    Call(Transpose).Set(X, U8(x, Layout.Logical)).Set(Y, y)
                        .Set(Shape, x.Shape!.Select(d => (long)d).ToArray()).Set(Perm, TransposeOperator.Permutation(node, x.Rank).Select(p => (long)p).ToArray());
                    break;
                }
                case "Flatten":
                case "Reshape":
                case "Squeeze":
                case "Unsqueeze":
                {
                    // The same bytes seen with another shape.
                    var source = U8(node.Input(0)!, Layout.Logical);
                    _u8Logical[node.Outputs[0]] = View(source, node.Outputs[0].Name + ".u8");
                    break;
                }
                default:
                    throw OperatorDefinition.Unsupported(node, $"{kind} integer arithmetic for {node.OpType} (the quantization scheme asked for more than the INT8 kernels do)");
            }
            return true;
        }

        // ---- weighted nodes ----

        private void LowerConvU8(Node node)
        {
            var x = node.Input(0)!;
            var wValue = node.Input(1)!;
            var y = node.Outputs[0];
            var layer = QuantizedWeights.Of(node, _scheme!);
            var pIn = Params(node.Input(0)!);
            var g = WindowGeometry.Resolve(node, x.Shape!, ConvOperator.KernelOf(wValue.Shape!));
            int group = (int)node.Attributes.GetInt("group", 1);
            int ic = x.Shape![1], oc = wValue.Shape![0], icg = ic / group;
            var pOut = Params(y);
            var (qmin, qmax) = Clamp(node, pOut);
            var (multiplier, shift) = ChannelMultipliers(node, layer, pIn, pOut);
            var bias = Constant(FoldInputZeroPoint(layer, pIn, (long)icg * g.KernelH * g.KernelW, (o, i) => layer.Values[o * icg * g.KernelH * g.KernelW + i]), wValue.Name + ".bias.i32");
            var input = U8(x, Layout.Nhwc);
            var output = ProduceU8(y, Layout.Nhwc);
            if (group == ic && group == oc && icg == 1)
            {
                var packed = Constant(Int8WeightPacking.PackDepthwise(layer.Values, oc, g.KernelH, g.KernelW), wValue.Name + ".depthwise.i8");
                foreach (var (xi, yi) in Images(input, output, x.Shape[0]))
                    Call(ConvU8S8Depthwise).Set(X, xi).Set(W, packed).Set(Bias, bias).Set(Y, yi).Set(Multipliers, multiplier).Set(Shift, shift)
                        .Set(Ih, g.InH).Set(Iw, g.InW).Set(C, oc).Set(Oh, g.OutH).Set(Ow, g.OutW)
                        .Set(Kh, g.KernelH).Set(Kw, g.KernelW).Set(Sh, g.StrideH).Set(Sw, g.StrideW)
                        .Set(Pt, g.PadTop).Set(Pl, g.PadLeft).Set(Dh, g.DilationH).Set(Dw, g.DilationW)
                        .Set(ZpIn, pIn.ZeroPoint).Set(ZpOut, pOut.ZeroPoint).Set(Qmin, qmin).Set(Qmax, qmax);
                return;
            }
            var packedGemm = Constant(Int8WeightPacking.PackConvGemm(layer.Values, oc, icg, g.KernelH, g.KernelW, group), wValue.Name + ".packed.i8");
            long scratchLength = Kernels.ConvLayout.ScratchU8Length(g.OutH, g.OutW, g.KernelH, g.KernelW, g.StrideH, g.StrideW,
                g.PadTop, g.PadLeft, g.PadBottom, g.PadRight, icg, group);
            var scratch = scratchLength == 0 ? null : NewBuffer(node.Name + ".im2col.u8", BufferKind.Workspace, DataType.UInt8, scratchLength);
            foreach (var (xi, yi) in Images(input, output, x.Shape[0]))
                Call(ConvU8S8Gemm).Set(X, xi).Set(W, packedGemm).Set(Bias, bias).Set(Y, yi).Set(Multipliers, multiplier).Set(Shift, shift)
                    .Set(Scratch, scratch)
                    .Set(Ih, g.InH).Set(Iw, g.InW).Set(Ic, ic).Set(Oh, g.OutH).Set(Ow, g.OutW).Set(Oc, oc)
                    .Set(Kh, g.KernelH).Set(Kw, g.KernelW).Set(Sh, g.StrideH).Set(Sw, g.StrideW)
                    .Set(Pt, g.PadTop).Set(Pl, g.PadLeft).Set(Pb, g.PadBottom).Set(Pr, g.PadRight)
                    .Set(Dh, g.DilationH).Set(Dw, g.DilationW).Set(Group, group)
                    .Set(ZpIn, pIn.ZeroPoint).Set(ZpOut, pOut.ZeroPoint).Set(Qmin, qmin).Set(Qmax, qmax);
        }

        /// <summary>Gemm (no transA, alpha = beta = 1, row bias) and MatMul by a constant [k, n]: x [m, k] uint8 times packed int8 B.</summary>
        private void LowerGemmU8(Node node)
        {
            var a = node.Input(0)!;
            var wValue = node.Input(1)!;
            var y = node.Outputs[0];
            var layer = QuantizedWeights.Of(node, _scheme!);
            var pIn = Params(node.Input(0)!);
            bool transposed = node.OpType == "Gemm" && node.Attributes.GetInt("transB", 0) != 0;
            int k = transposed ? wValue.Shape![1] : wValue.Shape![0];
            int n = transposed ? wValue.Shape![0] : wValue.Shape![1];
            int m = (int)(a.ElementCount / k);
            sbyte B(int row, int col) => layer.Values[transposed ? col * k + row : row * n + col];
            var packed = Constant(Int8WeightPacking.PackGemm(k, n, B), wValue.Name + ".packed.i8");
            var bias = Constant(FoldInputZeroPoint(layer, pIn, k, (j, row) => B(row, j)), wValue.Name + ".bias.i32");
            var x = U8(a, Layout.Logical);
            if (!_scheme!.Activations.TryGetValue(y.Name, out var pOut))
            {
                // Float epilogue: (acc + bias) · sIn · sW[j], for logits and other float consumers.
                var scale = layer.Scales.Select(s => (float)((double)pIn.Scale * s)).ToArray();
                var output = Produce(y, Layout.Logical);
                Call(GemmU8S8Float).Set(X, x).Set(W, packed).Set(Bias, bias).Set(Y, output).Set(Scales, Constant(scale, wValue.Name + ".scale"))
                    .Set(M, m).Set(N, n).Set(K, k);
                var act = FusedActivation.Of(node);
                if (!act.IsNone) LowerActivationCall(output, output, act);
                return;
            }
            var (qmin, qmax) = Clamp(node, pOut);
            var (multiplier, shift) = ChannelMultipliers(node, layer, pIn, pOut);
            Call(GemmU8S8).Set(X, x).Set(W, packed).Set(Bias, bias).Set(Y, ProduceU8(y, Layout.Logical))
                .Set(Multipliers, multiplier).Set(Shift, shift).Set(M, m).Set(N, n).Set(K, k)
                .Set(ZpOut, pOut.ZeroPoint).Set(Qmin, qmin).Set(Qmax, qmax);
        }

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
            Call(QuantizeDynamicU8).Set(X, x).Set(Y, xq).Set(QParams, qparams).Set(Count, x.Elements);
            Call(PrepareGemmDynamic).Set(QParams, qparams).Set(ColumnSums, Constant(columnSums, node.Name + ".colsum"))
                .Set(WeightScale, Constant(scales, wValue.Name + ".scale")).Set(Bias, bias == null ? null : Constant(bias, node.Name + ".bias"))
                .Set(BiasOut, biasOut).Set(ScaleOut, scaleOut).Set(N, n);
            var output = Produce(node.Outputs[0], Layout.Logical);
            Call(GemmU8S8Float).Set(X, xq).Set(W, Constant(Int8WeightPacking.PackGemm(k, n, B), wValue.Name + ".packed.i8")).Set(Bias, biasOut)
                .Set(Y, output).Set(Scales, scaleOut).Set(M, m).Set(N, n).Set(K, k);
            var act = FusedActivation.Of(node);
            if (!act.IsNone) LowerActivationCall(output, output, act);
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
                if (folded < int.MinValue || folded > int.MaxValue) throw OperatorDefinition.Unsupported(_current!, "a bias beyond the int32 range after quantization");
                result[c] = (int)folded;
            }
            return result;
        }

        /// <summary>Per-channel multipliers (an int32 weight tensor) and the layer's one shift for M[c] = sIn · sW[c] / sOut.</summary>
        private (Buffer Multiplier, int Shift) ChannelMultipliers(Node node, QuantizedWeights layer, QuantParams input, QuantParams output)
        {
            var reals = layer.Scales.Select(s => (double)input.Scale * s / output.Scale).ToArray();
            double largest = reals.Length == 0 ? 0 : reals.Max();
            if (!(largest < 1 << 30)) throw OperatorDefinition.Unsupported(_current!, $"a requantization multiplier of {largest:G3} (scales too far apart)");
            var (multipliers, shift) = QuantizationMath.QuantizeChannelMultipliers(reals);
            return (Constant(multipliers, node.Name + ".multiplier"), shift);
        }

        // ---- requantizing and pass-through nodes ----

        private void LowerAddU8(Node node)
        {
            var a = node.Input(0)!;
            var b = node.Input(1)!;
            var y = node.Outputs[0];
            // Channels-last when an operand already is: both then come in that order, and so does the sum.
            var layout = (y.Rank == 4 || y.Rank == 3) && (_u8Nhwc.ContainsKey(a) || _u8Nhwc.ContainsKey(b)) ? Layout.Nhwc : Layout.Logical;
            var pa = Params(a);
            var pb = Params(b);
            var py = Params(y);
            var (qmin, qmax) = Clamp(node, py);
            // TFLite's quantized add: both operands to a common scale 2·max(sA, sB) with 20 bits of headroom, then to sY.
            double twiceMax = 2 * Math.Max((double)pa.Scale, pb.Scale);
            var (am, ash) = Multiplier(pa.Scale / twiceMax);
            var (bm, bsh) = Multiplier(pb.Scale / twiceMax);
            var (ym, ysh) = Multiplier(twiceMax / ((1 << 20) * (double)py.Scale));
            var ua = U8(a, layout);
            var ub = U8(b, layout);
            Call(AddU8).Set(A, ua).Set(B, ub).Set(Y, ProduceU8(y, layout)).Set(Count, ua.Elements)
                .Set(AZp, pa.ZeroPoint).Set(AMultiplier, am).Set(AShift, ash)
                .Set(BZp, pb.ZeroPoint).Set(BMultiplier, bm).Set(BShift, bsh)
                .Set(YZp, py.ZeroPoint).Set(YMultiplier, ym).Set(YShift, ysh).Set(Qmin, qmin).Set(Qmax, qmax);
        }

        private void LowerGlobalAverageU8(Node node)
        {
            var x = node.Input(0)!;
            var y = node.Outputs[0];
            var image = Image4D(x);
            int hw = image[2] * image[3];
            var pIn = Params(x);
            var pOut = Params(y);
            var (multiplier, shift) = Multiplier(pIn.Scale / ((double)hw * pOut.Scale));
            var input = U8(x, Layout.Nhwc);
            var output = ProduceU8(y, Layout.Nhwc);
            foreach (var (xi, yi) in Images(input, output, image[0]))
                Call(PoolU8GlobalAverage).Set(X, xi).Set(Y, yi).Set(Hw, hw).Set(C, image[1])
                    .Set(ZpIn, pIn.ZeroPoint).Set(ZpOut, pOut.ZeroPoint).Set(KernelParameters.Multiplier, multiplier).Set(Shift, shift);
        }

        /// <summary>MaxPool and GlobalMaxPool on bytes: the output shares the input's scale and zero point.</summary>
        private void LowerMaxPoolU8(Node node)
        {
            var x = node.Input(0)!;
            var image = Image4D(x);
            var g = node.OpType == "MaxPool" ? WindowGeometry.Resolve(node, x.Shape!, null) : null;
            var input = U8(x, Layout.Nhwc);
            var output = ProduceU8(node.Outputs[0], Layout.Nhwc);
            foreach (var (xi, yi) in Images(input, output, image[0]))
            {
                if (g != null)
                    Call(PoolU8Max).Set(X, xi).Set(Y, yi).Set(Ih, g.InH).Set(Iw, g.InW).Set(C, image[1]).Set(Oh, g.OutH).Set(Ow, g.OutW)
                        .Set(Kh, g.KernelH).Set(Kw, g.KernelW).Set(Sh, g.StrideH).Set(Sw, g.StrideW)
                        .Set(Pt, g.PadTop).Set(Pl, g.PadLeft).Set(Dh, g.DilationH).Set(Dw, g.DilationW);
                else
                    Call(PoolU8Max).Set(X, xi).Set(Y, yi).Set(Ih, image[2]).Set(Iw, image[3]).Set(C, image[1]).Set(Oh, 1).Set(Ow, 1)
                        .Set(Kh, image[2]).Set(Kw, image[3]).Set(Sh, 1).Set(Sw, 1).Set(Pt, 0).Set(Pl, 0).Set(Dh, 1).Set(Dw, 1);
            }
        }

        // ---- where float and integer code meet ----

        /// <summary>
        /// <paramref name="v"/> as uint8 in <paramref name="layout"/>: reordered from the other layout when only that
        /// exists, else quantized from its float buffer (the graph input, or the output of a float op).
        /// </summary>
        private Buffer U8(Value v, Layout layout)
        {
            var map = layout == Layout.Nhwc ? _u8Nhwc : _u8Logical;
            if (map.TryGetValue(v, out var b)) return b;
            var other = layout == Layout.Nhwc ? _u8Logical : _u8Nhwc;
            if (other.TryGetValue(v, out var source))
            {
                b = LayoutIsIrrelevant(v) ? View(source, v.Name + ".u8." + layout)
                    : layout == Layout.Nhwc ? Transposed(source, Image4D(v), ToNhwc, v.Name + ".u8.nhwc")
                    : Transposed(source, Permute(Image4D(v), ToNhwc), ToNchw, v.Name + ".u8.nchw");
            }
            else if (layout == Layout.Nhwc && (v.Rank == 4 || v.Rank == 3) && !LayoutIsIrrelevant(v) && !_nhwc.ContainsKey(v))
            {
                // Only the ONNX-order float exists (a graph input such as an NCHW image): quantized in that order, then the
                // bytes reordered, not the floats first. Per-tensor quantization is elementwise, so the bytes are the same
                // either way, and the transpose moves a quarter of the data.
                b = Transposed(U8(v, Layout.Logical), Image4D(v), ToNhwc, v.Name + ".u8.nhwc");
            }
            else
            {
                var f = layout == Layout.Nhwc ? Nhwc(v) : Logical(v);
                var p = Params(v);
                b = NewBuffer(v.Name + ".u8", BufferKind.Workspace, DataType.UInt8, f.Elements);
                Call(QuantizeU8).Set(X, f).Set(Y, b).Set(Count, f.Elements).Set(Zp, p.ZeroPoint).Set(InvScale, QuantizationMath.InverseScale(p));
            }
            map[v] = b;
            return b;
        }

        /// <summary>Gives a value that integer code produced a float buffer (dequantized, in its uint8 layout) before a float op reads it.</summary>
        private void EnsureFloat(Value v)
        {
            if (_logical.ContainsKey(v) || _nhwc.ContainsKey(v)) return;
            bool nhwc = _u8Nhwc.TryGetValue(v, out var q);
            if (!nhwc && !_u8Logical.TryGetValue(v, out q)) return;
            var p = Params(v);
            var f = NewBuffer(v.Name + ".f32", BufferKind.Workspace, DataType.Float32, q!.Elements);
            Call(DequantizeU8).Set(X, q).Set(Y, f).Set(Count, q.Elements).Set(Zp, p.ZeroPoint).Set(Scale, p.Scale);
            (nhwc ? _nhwc : _logical)[v] = f;
        }

        private Buffer ProduceU8(Value v, Layout layout)
        {
            var b = NewBuffer(v.Name + ".u8", BufferKind.Workspace, DataType.UInt8, v.ElementCount);
            (layout == Layout.Nhwc ? _u8Nhwc : _u8Logical)[v] = b;
            return b;
        }

        private QuantParams Params(Value v) =>
            _scheme!.Activations.TryGetValue(v.Name, out var p) ? p : throw new InvalidOperationException($"'{v.Name}' has no quantization parameters.");

        private (int Min, int Max) Clamp(Node node, QuantParams output) =>
            QuantizationMath.ActivationClamp(FusedActivation.Of(node), output)
            ?? throw OperatorDefinition.Unsupported(node, $"a fused {FusedActivation.Of(node).Kind} in integer arithmetic");

        /// <summary>A requantization multiplier the kernels support (below 2^30: shift ≥ −30).</summary>
        private (int Multiplier, int Shift) Multiplier(double real)
        {
            if (!(real < (1 << 30))) throw OperatorDefinition.Unsupported(_current!, $"a requantization multiplier of {real:G3} (scales too far apart for int32 fixed point)");
            return QuantizationMath.QuantizeMultiplier(real);
        }

        private Buffer Constant(int[] data, string name) => ConstantOf(new Tensor(DataType.Int32, new[] { data.Length }, data), name);

        private Buffer Constant(sbyte[] data, string name) => ConstantOf(new Tensor(DataType.Int8, new[] { data.Length }, data), name);
    }
}
