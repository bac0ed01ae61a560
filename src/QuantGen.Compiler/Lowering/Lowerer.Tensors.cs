// Lowering of reductions, normalizations, indexing (Gather, Slice, Split, Pad), Resize, ConvTranspose, Cast, Conv and
// BatchNormalization with run-time parameters, Clip with run-time bounds, Max/Min of any arity and Dropout's mask; and
// the element-type rule: FP32 math kernels only ever see float32 data, while pure data movement (views, Transpose,
// Gather, Slice, Split, Pad) and Cast run on any element type a public span can carry.
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Diagnostics;
using QuantGen.Compiler.Ir;
using QuantGen.Compiler.Operators;

namespace QuantGen.Compiler.Lowering
{
    public sealed partial class Lowerer
    {
        /// <summary>Rejects, with QG0005, non-float32 data computed at run time reaching an op whose kernels are FP32.</summary>
        private static void RequireSupportedTypes(Node node, OperatorDefinition op)
        {
            if (op is ViewOperator || op is TransposeOperator || op is GatherOperator || op is SliceOperator || op is SplitOperator || op is PadOperator || op is CastOperator) return;
            var bad = node.Inputs.FirstOrDefault(v => v != null && !v.IsConstant && v.Type != DataType.Float32)
                      ?? node.Outputs.FirstOrDefault(v => v.Type != DataType.Float32);
            if (bad == null) return;
            throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDataType, DiagnosticSeverity.Error,
                $"{node.OpType} '{node.Name}' on {DataTypes.Name(bad.Type)} data ('{bad.Name}') computed at run time is not supported: this version computes in float32 (other element types only move through views, Transpose, Gather, Slice, Split and Pad, or Cast to float32).",
                null, node.Name));
        }

        /// <summary>A constant in its own element type, shaped flat (the FP32 helper <c>Constant</c> converts to float).</summary>
        private Buffer ConstantOf(Tensor t, string name)
        {
            var b = NewBuffer(name, BufferKind.Constant, t.Type, t.ElementCount);
            b.Data = t.Reshape(new[] { t.ElementCount });
            return b;
        }

        /// <summary>The value in the ONNX order and its own element type: a typed constant, or the run-time buffer.</summary>
        private Buffer Data(Value v) => v.IsConstant ? ConstantOf(v.Constant!, v.Name) : Logical(v);

        private static long[] Longs(IEnumerable<int> values) => values.Select(d => (long)d).ToArray();

        private void LowerReduce(Node node, ReduceOperator op)
        {
            var x = node.Input(0)!;
            var y = node.Outputs[0];
            var reduced = ReduceOperator.ReducedAxes(node, x.Rank);
            if (reduced == null)
            {
                LowerView(node);
                return;
            }
            // Channels-last input (after Conv or pooling): reduce it in place of a transpose back when the kept axes
            // come out in the same order (e.g. ReduceMean over H and W, the common global pooling export).
            if (x.Rank == 4 && _nhwc.TryGetValue(x, out var physical) && !_logical.ContainsKey(x))
            {
                var kept = ToNhwc.Where(a => !reduced[a]).ToArray();
                if (kept.SequenceEqual(kept.OrderBy(a => a)))
                {
                    var output = Produce(y, Layout.Logical);
                    Call("ReduceF32").Arg("x", physical).Arg("y", output).Arg("shape", Longs(Permute(x.Shape!, ToNhwc)))
                        .Arg("reduced", Permute(reduced.Select(r => r ? 1 : 0).ToArray(), ToNhwc).Select(r => (long)r).ToArray()).Arg("op", new Symbol(op.Kind));
                    return;
                }
            }
            var input = Logical(x);
            Call("ReduceF32").Arg("x", input).Arg("y", Produce(y, Layout.Logical)).Arg("shape", Longs(x.Shape!))
                .Arg("reduced", reduced.Select(r => r ? 1L : 0L).ToArray()).Arg("op", new Symbol(op.Kind));
        }

        private void LowerGather(Node node)
        {
            var x = node.Input(0)!;
            var indices = node.Input(1)!;
            int axis = (int)node.Attributes.GetInt("axis", 0);
            if (axis < 0) axis += x.Rank;
            Buffer index;
            string kernel = "Gather";
            if (indices.IsConstant) index = ConstantOf(Tensor.FromInt64s(new[] { indices.Constant!.ElementCount }, indices.Constant.ToInt64Array()), indices.Name);
            else if (indices.Type == DataType.Int64) index = Logical(indices);
            else if (indices.Type == DataType.Int32)
            {
                index = Logical(indices);
                kernel = "GatherInt32";
            }
            else
                throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDataType, DiagnosticSeverity.Error,
                    $"Gather '{node.Name}': {DataTypes.Name(indices.Type)} indices computed at run time are not supported (int64 or int32).", null, node.Name));
            int outer = 1, inner = 1;
            for (int i = 0; i < axis; i++) outer *= x.Shape![i];
            for (int i = axis + 1; i < x.Rank; i++) inner *= x.Shape![i];
            Call(kernel).Arg("x", Data(x)).Arg("indices", index).Arg("y", Produce(node.Outputs[0], Layout.Logical))
                .Arg("outer", outer).Arg("axis", x.Shape![axis]).Arg("inner", inner).Arg("count", indices.ElementCount);
        }

        private void LowerSlice(Node node)
        {
            var x = node.Input(0)!;
            EmitSlice(x, SliceOperator.Axes(node, x.Shape!), node.Outputs[0]);
        }

        /// <summary>
        /// One Strided copy of <paramref name="x"/>'s slice into <paramref name="y"/>: channels-last when x only exists
        /// channels-last (a channel split after a convolution, as in ShuffleNet), else in the ONNX order.
        /// </summary>
        private void EmitSlice(Value x, SliceAxis[] axes, Value y)
        {
            var perm = x.Type == DataType.Float32 ? ChannelsLastOnly(x) : null;
            var order = perm ?? Enumerable.Range(0, x.Rank).ToArray();
            // Element stride of every ONNX axis in the buffer read.
            var physicalStrides = Broadcasting.ContiguousStrides(Permute(x.Shape!, order));
            var strides = new int[x.Rank];
            for (int i = 0; i < order.Length; i++) strides[order[i]] = physicalStrides[i];
            long offset = 0;
            for (int a = 0; a < axes.Length; a++) offset += (long)axes[a].Start * strides[a];
            Call("Strided").Arg("x", perm != null ? _nhwc[x] : Data(x)).Arg("y", Produce(y, perm != null ? Layout.Nhwc : Layout.Logical))
                .Arg("shape", Longs(order.Select(a => axes[a].Count))).Arg("strides", Longs(order.Select(a => strides[a] * axes[a].Step)))
                .Arg("offset", offset);
        }

        private void LowerSplit(Node node)
        {
            var x = node.Input(0)!;
            var (axis, sizes) = SplitOperator.Parts(node, x.Shape!);
            long outer = 1, inner = 1;
            for (int i = 0; i < axis; i++) outer *= x.Shape![i];
            for (int i = axis + 1; i < x.Rank; i++) inner *= x.Shape![i];
            if (outer != 1 || x.IsConstant || (x.Type == DataType.Float32 && ChannelsLastOnly(x) != null))
            {
                // One strided copy per part (channels-last parts stay channels-last).
                int start = 0;
                for (int k = 0; k < sizes.Length; k++)
                {
                    var axes = x.Shape!.Select((d, a) => a == axis ? new SliceAxis(start, 1, sizes[k]) : new SliceAxis(0, 1, d)).ToArray();
                    EmitSlice(x, axes, node.Outputs[k]);
                    start += sizes[k];
                }
                return;
            }
            // Each part is a contiguous run of the input: a view, no copy.
            var source = Logical(x);
            long offset = 0;
            for (int k = 0; k < sizes.Length; k++)
            {
                long block = sizes[k] * inner;
                _logical[node.Outputs[k]] = Slice(source, offset, block, node.Outputs[k].Name);
                offset += block;
            }
        }

        private void LowerPad(Node node)
        {
            var x = node.Input(0)!;
            var maps = PadOperator.Maps(node, x.Shape!);
            var valueInput = PadOperator.Mode(node) == "constant" ? node.Input(2) : null;
            Buffer value;
            if (valueInput != null && !valueInput.IsConstant)
            {
                if (valueInput.Type != x.Type || valueInput.ElementCount != 1) throw OperatorDefinition.Unsupported(node, "a run-time constant_value that is not one element of the data's type");
                value = Logical(valueInput);
            }
            else value = ConstantOf(PadOperator.PaddingValue(node, valueInput?.Constant, x.Type), node.Name + ".value");
            var perm = x.Type == DataType.Float32 ? ChannelsLastOnly(x) : null;
            var order = perm ?? Enumerable.Range(0, x.Rank).ToArray();
            var physicalMaps = order.Select(a => maps[a]).ToArray();
            var starts = new long[maps.Length];
            for (int a = 1; a < maps.Length; a++) starts[a] = starts[a - 1] + physicalMaps[a - 1].Length;
            Call("Pad").Arg("x", perm != null ? _nhwc[x] : Data(x)).Arg("value", value).Arg("y", Produce(node.Outputs[0], perm != null ? Layout.Nhwc : Layout.Logical))
                .Arg("shape", Longs(physicalMaps.Select(m => m.Length))).Arg("strides", Longs(Broadcasting.ContiguousStrides(Permute(x.Shape!, order))))
                .Arg("map", Longs(physicalMaps.SelectMany(m => m))).Arg("starts", starts);
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
                var b = bound.IsConstant ? Constant(bound.Constant!.ToFloatArray(), bound.Name) : Logical(bound);
                EmitBinary(op, current, shape, strides, b, bound.Shape!, output);
                current = output;
            }
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
            Call("NormalizationF32.Layer").Arg("x", input).Arg("scale", scale).Arg("bias", bias).Arg("y", output).Arg("mean", mean).Arg("invStdDev", inv)
                .Arg("rows", rows).Arg("cols", cols).Arg("epsilon", node.Attributes.GetFloat("epsilon", 1e-5f));
        }

        private void LowerInstanceNormalization(Node node)
        {
            var x = node.Input(0)!;
            Buffer Channel(Value v) => v.IsConstant ? Constant(v.Constant!.ToFloatArray(), v.Name) : Logical(v);
            int n = x.Shape![0], c = x.Shape[1];
            long hw = x.ElementCount / System.Math.Max(1, (long)n * c);
            Call("NormalizationF32.Instance").Arg("x", Logical(x)).Arg("scale", Channel(node.Input(1)!)).Arg("bias", Channel(node.Input(2)!))
                .Arg("y", Produce(node.Outputs[0], Layout.Logical)).Arg("n", n).Arg("c", c).Arg("hw", hw)
                .Arg("epsilon", node.Attributes.GetFloat("epsilon", 1e-5f));
        }

        /// <summary>
        /// The axis order of x's channels-last buffer when x only exists channels-last (after Conv or pooling), else null:
        /// ops that walk their input per axis (Resize, Pad) then run channels-last too, saving two transposes.
        /// </summary>
        private int[]? ChannelsLastOnly(Value x) =>
            (x.Rank == 4 || x.Rank == 3) && _nhwc.ContainsKey(x) && !_logical.ContainsKey(x) ? (x.Rank == 4 ? ToNhwc : new[] { 0, 2, 1 }) : null;

        private void LowerResize(Node node)
        {
            var x = node.Input(0)!;
            var logicalAxes = ResizeOperator.Plan(node, x.Shape!, _graph.Info.Opset);
            var perm = ChannelsLastOnly(x);
            var order = perm ?? Enumerable.Range(0, x.Rank).ToArray();
            var axes = order.Select(a => logicalAxes[a]).ToArray();
            var starts = new long[axes.Length];
            for (int a = 1; a < axes.Length; a++) starts[a] = starts[a - 1] + axes[a - 1].Index.Length;
            var index = axes.SelectMany(a => a.Index).ToArray();
            var weight = axes.SelectMany(a => a.Weight).ToArray();
            var input = perm != null ? _nhwc[x] : Logical(x);
            Call("ResizeF32").Arg("x", input).Arg("index", ConstantOf(new Tensor(DataType.Int32, new[] { index.Length }, index), node.Name + ".index"))
                .Arg("weight", Constant(weight, node.Name + ".weight")).Arg("y", Produce(node.Outputs[0], perm != null ? Layout.Nhwc : Layout.Logical))
                .Arg("shape", Longs(axes.Select(a => a.Length))).Arg("strides", Longs(Broadcasting.ContiguousStrides(Permute(x.Shape!, order))))
                .Arg("taps", Longs(axes.Select(a => a.Taps))).Arg("starts", starts)
                .Arg("extrapolation", node.Attributes.GetFloat("extrapolation_value", 0f));
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
                Call("Copy").Arg("x", a).Arg("y", output).Arg("count", output.Elements);
                return;
            }
            for (int i = 1; i < node.Inputs.Count; i++)
            {
                var v = node.Input(i)!;
                var b = v.IsConstant ? Constant(v.Constant!.ToFloatArray(), v.Name) : Logical(v);
                EmitBinary(node.OpType, a, shape, aStrides, b, v.Shape!, output);
                a = output;
                aStrides = Broadcasting.ContiguousStrides(shape);
            }
        }

        /// <summary>
        /// ConvTranspose as a convolution: the input is zero-stuffed (stride − 1 zeros between pixels) and padded by
        /// (k − 1)·d − pad in one Pad step written channels-last, then convolved with stride 1 by the flipped weights with
        /// input and output channels swapped per group.
        /// </summary>
        private void LowerConvTranspose(Node node)
        {
            var x = node.Input(0)!;
            var w = node.Input(1)!;
            bool runtimeWeights = w.Constant == null;
            var g = ConvTransposeOperator.Resolve(node, x.Shape!, w.Shape!);
            int group = (int)node.Attributes.GetInt("group", 1);
            int spatial = g.Kernel.Length, ic = x.Shape![1], icg = ic / group, ocg = w.Shape![1], oc = ocg * group;

            // The stuffed input in the ONNX order [N, C, L…], and per axis the input position each of its positions reads.
            var stuffedShape = new int[x.Rank];
            var maps = new int[x.Rank][];
            stuffedShape[0] = x.Shape[0];
            stuffedShape[1] = ic;
            maps[0] = Enumerable.Range(0, x.Shape[0]).ToArray();
            maps[1] = Enumerable.Range(0, ic).ToArray();
            for (int i = 0; i < spatial; i++)
            {
                int reach = (g.Kernel[i] - 1) * g.Dilations[i];
                int length = g.Output[i] + reach, shift = reach - g.PadBegin[i];
                stuffedShape[2 + i] = length;
                maps[2 + i] = Enumerable.Range(0, length).Select(m =>
                {
                    int t = m - shift;
                    return t >= 0 && t % g.Strides[i] == 0 && t / g.Strides[i] < g.Input[i] ? t / g.Strides[i] : -1;
                }).ToArray();
            }
            // Written channels-last for the packed convolution (the ONNX order for the run-time-weights one, which reads
            // NCHW); read from whichever layout x already has.
            var perm = runtimeWeights ? Enumerable.Range(0, x.Rank).ToArray() : x.Rank == 4 ? ToNhwc : new[] { 0, 2, 1 };
            Buffer source;
            int[] logicalStrides;
            if (_nhwc.TryGetValue(x, out var physical) && !_logical.ContainsKey(x))
            {
                source = physical;
                var physicalPerm = x.Rank == 4 ? ToNhwc : new[] { 0, 2, 1 };
                var physicalStrides = Broadcasting.ContiguousStrides(Permute(x.Shape, physicalPerm));
                logicalStrides = new int[x.Rank];
                for (int i = 0; i < physicalPerm.Length; i++) logicalStrides[physicalPerm[i]] = physicalStrides[i];
            }
            else
            {
                source = Logical(x);
                logicalStrides = Broadcasting.ContiguousStrides(x.Shape);
            }
            var stuffedValue = new Value(x.Name + ".stuffed", DataType.Float32, stuffedShape);
            var stuffed = NewBuffer(stuffedValue.Name, BufferKind.Workspace, DataType.Float32, Tensor.ElementCountOf(stuffedShape));
            (runtimeWeights ? _logical : _nhwc)[stuffedValue] = stuffed;
            var permutedMaps = perm.Select(p => maps[p]).ToArray();
            var starts = new long[perm.Length];
            for (int a = 1; a < perm.Length; a++) starts[a] = starts[a - 1] + permutedMaps[a - 1].Length;
            Call("Pad").Arg("x", source).Arg("value", Constant(new[] { 0f }, node.Name + ".zero")).Arg("y", stuffed)
                .Arg("shape", Longs(permutedMaps.Select(m => m.Length))).Arg("strides", Longs(perm.Select(p => logicalStrides[p])))
                .Arg("map", Longs(permutedMaps.SelectMany(m => m))).Arg("starts", starts);

            // Conv weights [oc, ic/group, k…]: channels swapped within each group, every spatial axis reversed.
            var convInputs = new Value?[] { stuffedValue, runtimeWeights ? RuntimeConvTransposeWeights(node, w, group, g.Kernel) : FlippedWeights(w, group, g.Kernel, icg, ocg, oc), node.Input(2) };
            var output = node.Outputs[0];
            var conv = new Node(node.Name, "Conv", convInputs, new[] { output });
            output.Producer = node; // the synthetic Conv only exists for this lowering step
            conv.Attributes.Set(Attribute.OfInts("kernel_shape", g.Kernel.Select(v => (long)v).ToArray()));
            conv.Attributes.Set(Attribute.OfInts("dilations", g.Dilations.Select(v => (long)v).ToArray()));
            conv.Attributes.Set(Attribute.OfInt("group", group));
            LowerConv(conv);
        }

        private static Value FlippedWeights(Value w, int group, int[] kernel, int icg, int ocg, int oc)
        {
            var fw = w.Constant!.ToFloatArray();
            int k = kernel.Aggregate(1, (p, d) => p * d);
            var wc = new float[oc * icg * k];
            for (int gi = 0; gi < group; gi++)
                for (int o = 0; o < ocg; o++)
                    for (int c = 0; c < icg; c++)
                        for (int t = 0; t < k; t++)
                            wc[((gi * ocg + o) * icg + c) * k + t] = fw[((gi * icg + c) * ocg + o) * k + (k - 1 - t)];
            return new Value(w.Name + ".conv", DataType.Float32, new[] { oc, icg }.Concat(kernel).ToArray())
            {
                Constant = Tensor.FromFloats(new[] { oc, icg }.Concat(kernel).ToArray(), wc),
            };
        }

        /// <summary>
        /// Conv whose weights are computed at run time (as in the ONNX node tests): per image and group an im2col in the
        /// ONNX order, then an unpacked product with the weights; bias and a fused activation after.
        /// </summary>
        private void LowerRuntimeConv(Node node)
        {
            var x = node.Input(0)!;
            var w = node.Input(1)!;
            var bias = node.Input(2);
            if (x.Rank != 4 && x.Rank != 3) throw OperatorDefinition.Unsupported(node, $"a rank-{x.Rank} input (only NCW and NCHW)");
            var g = WindowGeometry.Resolve(node, x.Shape!, ConvOperator.KernelOf(w.Shape!));
            int group = (int)node.Attributes.GetInt("group", 1);
            int images = x.Shape![0], ic = x.Shape[1], oc = w.Shape![0], icg = ic / group, ocg = oc / group;
            int kk = g.KernelH * g.KernelW, ihw = g.InH * g.InW, ohw = g.OutH * g.OutW;
            RequireFewImages(node, images, "images");
            ExpectCalls(2L * images * group);
            var input = Logical(x);
            var weights = w.IsConstant ? Constant(w.Constant!.ToFloatArray(), w.Name) : Logical(w);
            var output = Produce(node.Outputs[0], Layout.Logical);
            var columns = NewBuffer(node.Name + ".im2col", BufferKind.Workspace, DataType.Float32, (long)icg * kk * ohw);
            for (int n = 0; n < images; n++)
                for (int gi = 0; gi < group; gi++)
                {
                    Call("Im2ColF32").Arg("x", Slice(input, (long)(n * ic + gi * icg) * ihw, (long)icg * ihw, $"{x.Name}[{n},{gi}]")).Arg("col", columns)
                        .Arg("c", icg).Arg("ih", g.InH).Arg("iw", g.InW).Arg("oh", g.OutH).Arg("ow", g.OutW).Arg("kh", g.KernelH).Arg("kw", g.KernelW)
                        .Arg("sh", g.StrideH).Arg("sw", g.StrideW).Arg("pt", g.PadTop).Arg("pl", g.PadLeft).Arg("dh", g.DilationH).Arg("dw", g.DilationW);
                    Call("MatMulF32").Arg("x", Slice(weights, (long)gi * ocg * icg * kk, (long)ocg * icg * kk, $"{w.Name}[{gi}]")).Arg("b", columns)
                        .Arg("y", Slice(output, (long)(n * oc + gi * ocg) * ohw, (long)ocg * ohw, $"{node.Outputs[0].Name}[{n},{gi}]"))
                        .Arg("m", ocg).Arg("n", ohw).Arg("k", icg * kk).Arg("transB", 0);
                }
            var shape = node.Outputs[0].Shape!;
            if (bias != null)
            {
                var channel = new[] { oc }.Concat(Enumerable.Repeat(1, shape.Length - 2)).ToArray();
                var b = bias.IsConstant ? Constant(bias.Constant!.ToFloatArray(), bias.Name) : Logical(bias);
                EmitBinary("Add", output, shape, Broadcasting.ContiguousStrides(shape), b, channel, output);
            }
            var act = FusedActivation.Of(node);
            if (!act.IsNone) LowerActivationCall(output, output, act);
        }

        /// <summary>ConvTranspose with run-time weights: the flipped, channel-swapped weights are gathered at run time too.</summary>
        private Value RuntimeConvTransposeWeights(Node node, Value w, int group, int[] kernel)
        {
            int icTotal = w.Shape![0], ocg = w.Shape[1], icg = icTotal / group, oc = ocg * group;
            int k = kernel.Aggregate(1, (p, d) => p * d);
            var table = new int[oc * icg * k];
            for (int gi = 0; gi < group; gi++)
                for (int o = 0; o < ocg; o++)
                    for (int c = 0; c < icg; c++)
                        for (int t = 0; t < k; t++)
                            table[((gi * ocg + o) * icg + c) * k + t] = ((gi * icg + c) * ocg + o) * k + (k - 1 - t);
            var shape = new[] { oc, icg }.Concat(kernel).ToArray();
            var flipped = new Value(w.Name + ".conv", DataType.Float32, shape);
            var buffer = NewBuffer(flipped.Name, BufferKind.Workspace, DataType.Float32, table.Length);
            Call("Take").Arg("x", Logical(w)).Arg("index", ConstantOf(new Tensor(DataType.Int32, new[] { table.Length }, table), node.Name + ".flip_index"))
                .Arg("y", buffer).Arg("count", table.Length).Arg("xCount", w.ElementCount);
            _logical[flipped] = buffer;
            return flipped;
        }

        /// <summary>Cast at run time: a view when the type does not change, else a conversion to or from float32.</summary>
        private void LowerCast(Node node)
        {
            var x = node.Input(0)!;
            var y = node.Outputs[0];
            if (x.Type == y.Type)
            {
                LowerView(node);
                return;
            }
            bool numeric(DataType t) => t == DataType.Float64 || t == DataType.Int8 || t == DataType.Int16 || t == DataType.Int32 || t == DataType.Int64
                                        || t == DataType.UInt8 || t == DataType.UInt16;
            string? kernel = y.Type == DataType.Float32 && numeric(x.Type) ? "CastToF32" : x.Type == DataType.Float32 && numeric(y.Type) ? "CastFromF32" : null;
            if (kernel == null)
                throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDataType, DiagnosticSeverity.Error,
                    $"Cast '{node.Name}' from {DataTypes.Name(x.Type)} to {DataTypes.Name(y.Type)} at run time is not supported (to and from float32 only, not bool or float16).",
                    null, node.Name));
            Call(kernel).Arg("x", Logical(x)).Arg("y", Produce(y, Layout.Logical)).Arg("count", x.ElementCount);
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
            Buffer Param(int index) => node.Input(index)!.IsConstant ? Constant(node.Input(index)!.Constant!.ToFloatArray(), node.Input(index)!.Name) : Logical(node.Input(index)!);
            var factor = NewBuffer(node.Name + ".factor", BufferKind.Workspace, DataType.Float32, c);
            EmitBinary("Add", Param(4), flat, flatStrides, Constant(new[] { node.Attributes.GetFloat("epsilon", 1e-5f) }, node.Name + ".epsilon"), new int[0], factor);
            LowerActivationCall(factor, factor, new ActivationSpec("Sqrt"));
            EmitBinary("Div", Param(1), flat, flatStrides, factor, flat, factor);
            var output = Produce(y, Layout.Logical);
            var strides = Broadcasting.ContiguousStrides(y.Shape!);
            EmitBinary("Sub", Logical(x), y.Shape!, strides, Param(3), channel, output);
            EmitBinary("Mul", output, y.Shape!, strides, factor, channel, output);
            EmitBinary("Add", output, y.Shape!, strides, Param(2), channel, output);
        }

        /// <summary>Dropout at inference is a view of its input; its mask (when asked for) is an all-true constant.</summary>
        private void LowerDropout(Node node)
        {
            LowerView(node);
            if (node.Outputs.Count < 2 || node.Outputs[1].Name.Length == 0) return;
            var mask = node.Outputs[1];
            var ones = Tensor.Create(DataType.Bool, new[] { (int)mask.ElementCount });
            for (int i = 0; i < ones.ElementCount; i++) ones.Bytes[i] = 1;
            _logical[mask] = ConstantOf(ones, mask.Name);
        }
    }
}
