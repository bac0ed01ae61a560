// Lowering: turns the optimized ONNX graph into kernel calls over buffers, choosing each tensor's
// memory layout (NHWC for convolution and pooling, the ONNX order elsewhere) and packing weights.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Diagnostics;
using QuantGen.Compiler.Ir;
using QuantGen.Compiler.Operators;

namespace QuantGen.Compiler.Lowering
{
    public sealed partial class Lowerer
    {
        private static readonly int[] ToNhwc = { 0, 2, 3, 1 };
        private static readonly int[] ToNchw = { 0, 3, 1, 2 };

        private readonly Graph _graph;
        private readonly LoweredProgram _program = new LoweredProgram();
        private readonly Dictionary<Value, Buffer> _logical = new Dictionary<Value, Buffer>();
        private readonly Dictionary<Value, Buffer> _nhwc = new Dictionary<Value, Buffer>();
        private Node? _current;

        private Lowerer(Graph graph) { _graph = graph; }

        public static LoweredProgram Lower(Graph graph)
        {
            var lowerer = new Lowerer(graph);
            lowerer.Run();
            return lowerer._program;
        }

        private void Run()
        {
            for (int i = 0; i < _graph.Inputs.Count; i++)
            {
                var v = _graph.Inputs[i];
                var b = NewBuffer(v.Name, BufferKind.Input, v.Type, v.ElementCount);
                b.Index = i;
                _logical[v] = b;
                _program.Inputs.Add(b);
            }
            foreach (var node in _graph.Nodes)
            {
                _current = node;
                try
                {
                    LowerNode(node);
                }
                catch (CompilerException e) when (e.Diagnostic.File == null)
                {
                    var d = e.Diagnostic;
                    throw new CompilerException(new CompilerDiagnostic(d.Id, d.Severity, d.Message, _graph.Info.SourcePath, d.Node ?? node.Name));
                }
            }
            _current = null;
            BindOutputs();
        }

        private void LowerNode(Node node)
        {
            var op = OperatorSet.Require(node, _graph.Info);
            if (op is Operators.Ml.MlOperator ml) { LowerMl(node, ml); return; }
            if (TryLowerInteger(node)) return;
            // A float op after integer code reads its inputs dequantized, in the layout they were written in.
            foreach (var input in node.Inputs)
                if (input != null && !input.IsConstant) EnsureFloat(input);
            if (TryLowerLinearQuantization(node, op)) return;
            if (TryLowerIntegerOperator(node, op)) return;
            RequireSupportedTypes(node, op);
            switch (op)
            {
                case ConvOperator _: LowerConv(node); break;
                case DropoutOperator _: LowerDropout(node); break;
                case ActivationOperator _ when ActivationOperator.HasRuntimeBounds(node): LowerRuntimeClip(node); break;
                case ReduceOperator r: LowerReduce(node, r); break;
                case GatherOperator _: LowerGather(node); break;
                case SliceOperator _: LowerSlice(node); break;
                case SplitOperator _: LowerSplit(node); break;
                case PadOperator _: LowerPad(node); break;
                case LayerNormalizationOperator _: LowerLayerNormalization(node); break;
                case InstanceNormalizationOperator _: LowerInstanceNormalization(node); break;
                case ResizeOperator _: LowerResize(node); break;
                case ConvTransposeOperator _: LowerConvTranspose(node); break;
                case CastOperator _: LowerCast(node); break;
                case BatchNormalizationOperator _: LowerRuntimeBatchNormalization(node); break;
                case BinaryOperator _ when node.Inputs.Count != 2: LowerVariadic(node); break;
                case GemmOperator _: LowerGemm(node); break;
                case MatMulOperator _: LowerMatMul(node); break;
                case ActivationOperator a: LowerActivation(node, a.SpecOf(node)); break;
                case BinaryOperator _: LowerBinary(node); break;
                case SoftmaxOperator _: LowerSoftmax(node); break;
                case WindowPoolOperator _: LowerPool(node); break;
                case GlobalPoolOperator _: LowerGlobalPool(node); break;
                case ViewOperator _: LowerView(node); break;
                case TransposeOperator _: LowerTranspose(node); break;
                case ConcatOperator _: LowerConcat(node); break;
                default: throw OperatorDefinition.Unsupported(node, "running this operator on data known only at run time");
            }
        }

        // ---- operators ----

        private void LowerConv(Node node)
        {
            var x = node.Input(0)!;
            var wValue = node.Input(1)!;
            if (wValue.Constant == null)
            {
                LowerRuntimeConv(node);
                return;
            }
            var w = wValue.Constant.ToFloatArray();
            var bias = node.Input(2);
            if (bias != null && bias.Constant == null) throw OperatorDefinition.Unsupported(node, "a bias computed at run time");
            var g = WindowGeometry.Resolve(node, x.Shape!, ConvOperator.KernelOf(wValue.Shape!));
            int group = (int)node.Attributes.GetInt("group", 1);
            int ic = x.Shape![1], oc = wValue.Shape![0], icg = ic / group;
            var act = FusedActivation.Of(node);
            var input = Nhwc(x);
            var output = Produce(node.Outputs[0], Layout.Nhwc);
            var biasBuffer = bias == null ? null : Constant(bias.Constant!.ToFloatArray(), bias.Name);
            bool depthwise = group == ic && group == oc && icg == 1;
            if (depthwise)
            {
                var packed = Constant(WeightPacking.PackDepthwise(w, oc, g.KernelH, g.KernelW), wValue.Name + ".depthwise");
                foreach (var (xi, yi) in Images(input, output, x.Shape[0]))
                {
                    Call("ConvF32.Depthwise").Arg("x", xi).Arg("w", packed).Arg("bias", biasBuffer).Arg("y", yi)
                        .Arg("ih", g.InH).Arg("iw", g.InW).Arg("c", oc).Arg("oh", g.OutH).Arg("ow", g.OutW)
                        .Arg("kh", g.KernelH).Arg("kw", g.KernelW).Arg("sh", g.StrideH).Arg("sw", g.StrideW)
                        .Arg("pt", g.PadTop).Arg("pl", g.PadLeft).Arg("dh", g.DilationH).Arg("dw", g.DilationW);
                    Activation(_program.Calls.Last(), act);
                }
                return;
            }
            var packedGemm = Constant(WeightPacking.PackConvGemm(w, oc, icg, g.KernelH, g.KernelW, group), wValue.Name + ".packed");
            long scratchLength = Plan.KernelCatalog.ConvF32ScratchLength(g.OutH, g.OutW, g.KernelH, g.KernelW, g.StrideH, g.StrideW,
                g.PadTop, g.PadLeft, g.PadBottom, g.PadRight, icg, group);
            var scratch = scratchLength == 0 ? null : NewBuffer(node.Name + ".im2col", BufferKind.Workspace, DataType.Float32, scratchLength);
            foreach (var (xi, yi) in Images(input, output, x.Shape[0]))
            {
                Call("ConvF32.Gemm").Arg("x", xi).Arg("w", packedGemm).Arg("bias", biasBuffer).Arg("y", yi).Arg("scratch", scratch)
                    .Arg("ih", g.InH).Arg("iw", g.InW).Arg("ic", ic).Arg("oh", g.OutH).Arg("ow", g.OutW).Arg("oc", oc)
                    .Arg("kh", g.KernelH).Arg("kw", g.KernelW).Arg("sh", g.StrideH).Arg("sw", g.StrideW)
                    .Arg("pt", g.PadTop).Arg("pl", g.PadLeft).Arg("pb", g.PadBottom).Arg("pr", g.PadRight)
                    .Arg("dh", g.DilationH).Arg("dw", g.DilationW).Arg("group", group);
                Activation(_program.Calls.Last(), act);
            }
        }

        /// <summary>
        /// The (input, output) image pairs of an NHWC op. The image kernels take one image; a fixed
        /// leading axis above 1 (a model exported with batch N) becomes N calls on consecutive slices.
        /// </summary>
        private IEnumerable<(Buffer X, Buffer Y)> Images(Buffer x, Buffer y, int count)
        {
            if (count == 1)
            {
                yield return (x, y);
                yield break;
            }
            long xPer = x.Elements / count, yPer = y.Elements / count;
            for (int n = 0; n < count; n++)
                yield return (Slice(x, n * xPer, xPer, $"{x.Name}[{n}]"), Slice(y, n * yPer, yPer, $"{y.Name}[{n}]"));
        }

        private Buffer Slice(Buffer source, long offset, long elements, string name)
        {
            var slice = NewBuffer(name, BufferKind.Workspace, source.Type, elements);
            slice.ViewOf = source;
            slice.ViewOffset = offset;
            return slice;
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
            Call("GemmF32").Arg("x", Logical(a)).Arg("b", packed).Arg("bias", bias).Arg("y", output).Arg("m", m).Arg("n", n).Arg("k", k);
            Activation(_program.Calls.Last(), separateBias ? ActivationSpec.None : act);
            if (separateBias)
            {
                if (c!.Constant == null || beta != 1f) throw OperatorDefinition.Unsupported(node, "a C input that is not a constant row");
                EmitBinary("Add", output, new[] { m, n }, Broadcasting.ContiguousStrides(new[] { m, n }), Constant(c.Constant.ToFloatArray(), c.Name), c.Shape!, output);
                if (!act.IsNone) LowerActivationCall(output, output, act);
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
            var x = a.IsConstant ? Constant(a.Constant!.ToFloatArray(), a.Name) : Logical(a);
            if (ta) x = Transposed(x, a.Shape, new[] { 1, 0 }, a.Name + ".T");
            var bBuffer = b.IsConstant ? Constant(b.Constant!.ToFloatArray(), b.Name) : Logical(b);
            var output = Produce(node.Outputs[0], Layout.Logical);
            var shape = new[] { m, n };
            var strides = Broadcasting.ContiguousStrides(shape);
            Call("MatMulF32").Arg("x", x).Arg("b", bBuffer).Arg("y", output).Arg("m", m).Arg("n", n).Arg("k", k).Arg("transB", tb ? 1 : 0);
            if (alpha != 1f) EmitBinary("Mul", output, shape, strides, Constant(new[] { alpha }, node.Name + ".alpha"), new int[0], output);
            var c = node.Input(2);
            if (c == null) return;
            if (c.IsConstant)
                EmitBinary("Add", output, shape, strides, Constant(c.Constant!.ToFloatArray().Select(v => beta * v).ToArray(), c.Name), c.Shape!, output);
            else if (beta == 1f)
                EmitBinary("Add", output, shape, strides, Logical(c), c.Shape!, output);
            else
            {
                var scaled = NewBuffer(c.Name + ".beta", BufferKind.Workspace, DataType.Float32, c.ElementCount);
                EmitBinary("Mul", Logical(c), c.Shape!, Broadcasting.ContiguousStrides(c.Shape!), Constant(new[] { beta }, node.Name + ".beta"), new int[0], scaled);
                EmitBinary("Add", output, shape, strides, scaled, c.Shape!, output);
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
            Call("GemmF32").Arg("x", Logical(a)).Arg("b", packed).Arg("bias", null).Arg("y", output).Arg("m", m).Arg("n", n).Arg("k", k);
            Activation(_program.Calls.Last(), FusedActivation.Of(node));
        }

        /// <summary>
        /// numpy.matmul with a run-time (or batched constant) B: one unpacked product per output matrix,
        /// each operand read at its broadcast offset in the batch axes.
        /// </summary>
        private void LowerRuntimeMatMul(Node node)
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
            var x = a.IsConstant ? Constant(a.Constant!.ToFloatArray(), a.Name) : Logical(a);
            var bBuffer = b.IsConstant ? Constant(b.Constant!.ToFloatArray(), b.Name) : Logical(b);
            var output = Produce(node.Outputs[0], Layout.Logical);
            long count = Tensor.ElementCountOf(batch);
            if (count > 4096) throw OperatorDefinition.Unsupported(node, $"{count} batched matrix products (at most 4096)");
            var calls = new List<(int A, int B, int Y)>();
            Broadcasting.ForEach(batch, sa, sb, (o, ia, ib) => calls.Add((ia, ib, o)));
            foreach (var (ia, ib, o) in calls)
            {
                var xi = count == 1 ? x : Slice(x, (long)ia * m * k, (long)m * k, $"{x.Name}[{ia}]");
                var bi = count == 1 ? bBuffer : Slice(bBuffer, (long)ib * k * n, (long)k * n, $"{bBuffer.Name}[{ib}]");
                var yi = count == 1 ? output : Slice(output, (long)o * m * n, (long)m * n, $"{output.Name}[{o}]");
                Call("MatMulF32").Arg("x", xi).Arg("b", bi).Arg("y", yi).Arg("m", m).Arg("n", n).Arg("k", k).Arg("transB", 0);
            }
        }

        private void LowerActivation(Node node, ActivationSpec spec)
        {
            var x = node.Input(0)!;
            if (x.Type != DataType.Float32) throw OperatorDefinition.Unsupported(node, $"{DataTypes.Name(x.Type)} data");
            // Elementwise: keep whichever layout the input already has.
            var layout = _nhwc.ContainsKey(x) ? Layout.Nhwc : Layout.Logical;
            var input = layout == Layout.Nhwc ? _nhwc[x] : Logical(x);
            var output = Produce(node.Outputs[0], layout);
            LowerActivationCall(input, output, spec);
        }

        private void LowerActivationCall(Buffer input, Buffer output, ActivationSpec spec)
        {
            Call("ActivationF32").Arg("x", input).Arg("y", output).Arg("count", input.Elements);
            Activation(_program.Calls.Last(), spec, fusedOnly: false);
        }

        private void LowerBinary(Node node)
        {
            var a = node.Input(0)!;
            var b = node.Input(1)!;
            var y = node.Outputs[0];
            if (y.Type != DataType.Float32) throw OperatorDefinition.Unsupported(node, $"{DataTypes.Name(y.Type)} data at run time");
            // Channels-last when the output is an image and a run-time operand already is.
            bool nhwc = y.Rank == 4 && new[] { a, b }.Any(v => !v.IsConstant && _nhwc.ContainsKey(v) && !_logical.ContainsKey(v));
            var layout = nhwc ? Layout.Nhwc : Layout.Logical;
            var output = Produce(y, layout);
            var (ba, sa) = Operand(a, y.Shape!, layout);
            var (bb, sb) = Operand(b, y.Shape!, layout);
            var shape = layout == Layout.Nhwc ? Permute(y.Shape!, ToNhwc) : y.Shape!;
            Call("BinaryF32").Arg("a", ba).Arg("b", bb).Arg("y", output).Arg("op", new Symbol(node.OpType))
                .Arg("shape", shape.Select(d => (long)d).ToArray()).Arg("aStrides", sa.Select(d => (long)d).ToArray()).Arg("bStrides", sb.Select(d => (long)d).ToArray());
        }

        /// <summary>An operand of a broadcasting op and its element strides over the output in <paramref name="layout"/>.</summary>
        private (Buffer Buffer, int[] Strides) Operand(Value v, int[] outputShape, Layout layout)
        {
            if (layout == Layout.Nhwc && !v.IsConstant && _nhwc.TryGetValue(v, out var physical))
                return (physical, Broadcasting.Strides(Permute(v.Shape!, ToNhwc), Permute(outputShape, ToNhwc)));
            var buffer = v.IsConstant ? Constant(v.Constant!.ToFloatArray(), v.Name) : Logical(v);
            var strides = Broadcasting.Strides(v.Shape!, outputShape);
            return (buffer, layout == Layout.Nhwc ? Permute(strides, ToNhwc) : strides);
        }

        private void EmitBinary(string op, Buffer a, int[] shape, int[] aStrides, Buffer b, int[] bShape, Buffer y)
        {
            Call("BinaryF32").Arg("a", a).Arg("b", b).Arg("y", y).Arg("op", new Symbol(op))
                .Arg("shape", shape.Select(d => (long)d).ToArray()).Arg("aStrides", aStrides.Select(d => (long)d).ToArray())
                .Arg("bStrides", Broadcasting.Strides(bShape, shape).Select(d => (long)d).ToArray());
        }

        private void LowerSoftmax(Node node)
        {
            var x = node.Input(0)!;
            var (outer, axis, inner) = SoftmaxOperator.Extents(node, x.Shape!, _graph.Info.Opset);
            var output = Produce(node.Outputs[0], Layout.Logical);
            Call("SoftmaxF32").Arg("x", Logical(x)).Arg("y", output).Arg("outer", outer).Arg("axis", axis).Arg("inner", inner)
                .Arg("log", node.OpType == "LogSoftmax" ? 1 : 0);
        }

        private void LowerPool(Node node)
        {
            var x = node.Input(0)!;
            var g = WindowGeometry.Resolve(node, x.Shape!, null);
            bool max = node.OpType == "MaxPool";
            bool includePad = node.Attributes.GetInt("count_include_pad", 0) != 0;
            // The kernel divides by kh·kw when counting pads; windows that overhang the padded input (ceil_mode) would differ.
            if (!max && includePad && node.Attributes.GetInt("ceil_mode", 0) != 0) throw OperatorDefinition.Unsupported(node, "count_include_pad with ceil_mode");
            var input = Nhwc(x);
            var output = Produce(node.Outputs[0], Layout.Nhwc);
            foreach (var (xi, yi) in Images(input, output, x.Shape![0]))
            {
                var call = Call(max ? "PoolF32.Max" : "PoolF32.Average").Arg("x", xi).Arg("y", yi)
                    .Arg("ih", g.InH).Arg("iw", g.InW).Arg("c", x.Shape[1]).Arg("oh", g.OutH).Arg("ow", g.OutW)
                    .Arg("kh", g.KernelH).Arg("kw", g.KernelW).Arg("sh", g.StrideH).Arg("sw", g.StrideW)
                    .Arg("pt", g.PadTop).Arg("pl", g.PadLeft).Arg("dh", g.DilationH).Arg("dw", g.DilationW);
                if (!max) call.Arg("countIncludePad", includePad ? 1 : 0);
            }
        }

        private void LowerGlobalPool(Node node)
        {
            var x = node.Input(0)!;
            if (x.Rank != 4 && x.Rank != 3) throw OperatorDefinition.Unsupported(node, $"a rank-{x.Rank} input (only NCW and NCHW)");
            var input = Nhwc(x);
            var output = Produce(node.Outputs[0], Layout.Nhwc);
            var image = Image4D(x);
            foreach (var (xi, yi) in Images(input, output, x.Shape![0]))
                Call(node.OpType == "GlobalMaxPool" ? "PoolF32.GlobalMax" : "PoolF32.GlobalAverage")
                    .Arg("x", xi).Arg("y", yi).Arg("hw", image[2] * image[3]).Arg("c", image[1]);
        }

        private void LowerView(Node node)
        {
            var x = node.Input(0)!;
            var source = Logical(x);
            var view = NewBuffer(node.Outputs[0].Name, BufferKind.Workspace, source.Type, source.Elements);
            view.ViewOf = source;
            _logical[node.Outputs[0]] = view;
        }

        private void LowerTranspose(Node node)
        {
            var x = node.Input(0)!;
            var perm = TransposeOperator.Permutation(node, x.Rank);
            var output = Produce(node.Outputs[0], Layout.Logical);
            Call("Transpose").Arg("x", Logical(x)).Arg("y", output)
                .Arg("shape", x.Shape!.Select(d => (long)d).ToArray()).Arg("perm", perm.Select(p => (long)p).ToArray());
        }

        /// <summary>
        /// Concat in the ONNX order: each input's rows (everything from the axis inwards) go to their slot of
        /// every output row, one strided block copy per input; constant inputs come from the weights.
        /// </summary>
        private void LowerConcat(Node node)
        {
            var y = node.Outputs[0];
            int axis = (int)(node.Attributes.GetInt("axis", 0) < 0 ? node.Attributes.GetInt("axis", 0) + y.Rank : node.Attributes.GetInt("axis", 0));
            if (y.Type != DataType.Float32) throw OperatorDefinition.Unsupported(node, $"{DataTypes.Name(y.Type)} data at run time");
            long outer = 1, inner = 1;
            for (int i = 0; i < axis; i++) outer *= y.Shape![i];
            for (int i = axis + 1; i < y.Rank; i++) inner *= y.Shape![i];
            long outRow = y.Shape![axis] * inner;
            var output = Produce(y, Layout.Logical);
            long offset = 0;
            foreach (var input in node.Inputs)
            {
                long row = input!.Shape![axis] * inner;
                var source = input.IsConstant ? Constant(input.Constant!.ToFloatArray(), input.Name) : Logical(input);
                var target = Slice(output, offset, output.Elements - offset, $"{y.Name}[{offset}..]");
                Call("CopyBlocks").Arg("x", source).Arg("y", target).Arg("blocks", outer).Arg("blockLength", row)
                    .Arg("xStride", row).Arg("yStride", outRow);
                offset += row;
            }
        }

        // ---- layouts ----

        /// <summary>The value in the ONNX order, converting from channels-last when needed.</summary>
        private Buffer Logical(Value v)
        {
            if (v.IsConstant) return Constant(v.Constant!.ToFloatArray(), v.Name);
            EnsureFloat(v);
            if (_logical.TryGetValue(v, out var b)) return b;
            if (!_nhwc.TryGetValue(v, out var nhwc)) throw new InvalidOperationException($"'{v.Name}' was used before it was computed.");
            b = LayoutIsIrrelevant(v) ? View(nhwc, v.Name + ".nchw") : Transposed(nhwc, Permute(Image4D(v), ToNhwc), ToNchw, v.Name + ".nchw");
            _logical[v] = b;
            return b;
        }

        /// <summary>The value channels-last, converting from the ONNX order when needed.</summary>
        private Buffer Nhwc(Value v)
        {
            if (v.Rank != 4 && v.Rank != 3) throw OperatorDefinition.Unsupported(_current!, $"a rank-{v.Rank} input where an NCW or NCHW image is expected");
            EnsureFloat(v);
            if (_nhwc.TryGetValue(v, out var b)) return b;
            var logical = Logical(v);
            b = LayoutIsIrrelevant(v) ? View(logical, v.Name + ".nhwc") : Transposed(logical, Image4D(v), ToNhwc, v.Name + ".nhwc");
            _nhwc[v] = b;
            return b;
        }

        /// <summary>With H·W = 1 or C = 1 the NCHW and NHWC orders are the same bytes (e.g. after global pooling).</summary>
        private static bool LayoutIsIrrelevant(Value v)
        {
            if (v.Rank != 4 && v.Rank != 3) return false;
            var image = Image4D(v);
            return image[2] * image[3] == 1 || image[1] == 1;
        }

        /// <summary>The value as an NCHW image: a 1-D signal [N, C, W] is the image [N, C, 1, W] (same memory).</summary>
        private static int[] Image4D(Value v) => v.Rank == 3 ? new[] { v.Shape![0], v.Shape[1], 1, v.Shape[2] } : v.Shape!;

        private Buffer Transposed(Buffer source, int[] sourceShape, int[] perm, string name)
        {
            var result = NewBuffer(name, BufferKind.Workspace, source.Type, source.Elements);
            Call("Transpose").Arg("x", source).Arg("y", result)
                .Arg("shape", sourceShape.Select(d => (long)d).ToArray()).Arg("perm", perm.Select(p => (long)p).ToArray());
            return result;
        }

        private Buffer View(Buffer source, string name)
        {
            var view = NewBuffer(name, BufferKind.Workspace, source.Type, source.Elements);
            view.ViewOf = source;
            return view;
        }

        /// <summary>The buffer a node writes its output value into, in <paramref name="layout"/>.</summary>
        private Buffer Produce(Value v, Layout layout)
        {
            var b = NewBuffer(v.Name, BufferKind.Workspace, v.Type, v.ElementCount);
            (layout == Layout.Nhwc ? _nhwc : _logical)[v] = b;
            return b;
        }

        // ---- outputs ----

        /// <summary>
        /// Graph outputs are written straight into the caller's span: the buffer (or the buffer a view
        /// sees) moves to the output region. Inputs, constants and shared buffers get a copy instead.
        /// </summary>
        private void BindOutputs()
        {
            var claimed = new HashSet<Buffer>();
            for (int i = 0; i < _graph.Outputs.Count; i++)
            {
                var v = _graph.Outputs[i];
                if (!Passes.ShapeInference.IsPublicType(v.Type))
                    throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDataType, DiagnosticSeverity.Error,
                        $"output '{v.Name}' is {DataTypes.Name(v.Type)}; public tensors may be float32, float64, int8, int16, int32, int64, uint8, uint16 or bool.", _graph.Info.SourcePath));
                // A constant output keeps its element type (Shape's int64, say).
                var source = v.IsConstant ? ConstantOf(v.Constant!, v.Name) : Logical(v);
                var root = source.Root;
                Buffer output;
                if (root.Kind == BufferKind.Workspace && root.Elements == source.Elements && claimed.Add(root))
                {
                    root.Kind = BufferKind.Output;
                    root.Index = i;
                    output = source;
                }
                else
                {
                    output = NewBuffer(v.Name, BufferKind.Output, v.Type, v.ElementCount);
                    output.Index = i;
                    Call("Copy").Arg("x", source).Arg("y", output).Arg("count", source.Elements);
                }
                _program.Outputs.Add(output);
            }
        }

        // ---- helpers ----

        private Buffer Constant(float[] data, string name)
        {
            var tensor = Tensor.FromFloats(new[] { data.Length }, data);
            var b = NewBuffer(name, BufferKind.Constant, DataType.Float32, data.Length);
            b.Data = tensor;
            return b;
        }

        private Buffer NewBuffer(string name, BufferKind kind, DataType type, long elements)
        {
            var b = new Buffer(name, kind, type, elements);
            _program.Buffers.Add(b);
            return b;
        }

        private KernelCall Call(string kernel)
        {
            var call = new KernelCall(kernel, _current?.Name ?? "(graph boundary)");
            _program.Calls.Add(call);
            return call;
        }

        private static void Activation(KernelCall call, ActivationSpec spec, bool fusedOnly = true)
        {
            if (fusedOnly && !spec.IsNone && !FusedActivation.CanFuse(spec)) throw new InvalidOperationException($"{spec.Kind} cannot be fused.");
            call.Arg("act", new Symbol(spec.IsNone ? "None" : spec.Kind)).Arg("alpha", spec.Alpha).Arg("beta", spec.Beta);
        }

        private static int[] Permute(int[] values, int[] perm) => perm.Select(p => values[p]).ToArray();
    }
}
