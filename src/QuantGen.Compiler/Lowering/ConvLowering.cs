// Lowering of Conv and ConvTranspose in float32: channels-last convolution on packed weights (depthwise, or im2col a
// block at a time into a packed GEMM); weights computed at run time go through an ONNX-order im2col and an unpacked
// product; ConvTranspose becomes a zero-stuffed input convolved with the flipped weights.
using System.Linq;
using QuantGen.Compiler.Operators;
using QuantGen.Ir;
using QuantGen.Kernels;
using static QuantGen.Compiler.Lowering.LoweringContext;
using static QuantGen.Plan.KernelCatalog;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Compiler.Lowering
{
    internal sealed class ConvLowering : OperatorLowering
    {
        public ConvLowering(LoweringContext context) : base(context)
        {
            Lowers<ConvOperator>(LowerConv);
            Lowers<ConvTransposeOperator>(LowerConvTranspose);
        }

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
                foreach (var (xi, yi) in Context.Images(input, output, x.Shape[0]))
                    Emit(ConvF32Depthwise).Set(X, xi).Set(W, packed).Set(Bias, biasBuffer).Set(Y, yi).Set(C, oc).SetWindow(g).SetActivation(act);
                return;
            }
            var packedGemm = Constant(WeightPacking.PackConvGemm(w, oc, icg, g.KernelH, g.KernelW, group), wValue.Name + ".packed");
            long scratchLength = ConvLayout.ScratchF32Length(g.OutH, g.OutW, g.KernelH, g.KernelW, g.StrideH, g.StrideW,
                g.PadTop, g.PadLeft, g.PadBottom, g.PadRight, icg, group);
            var scratch = scratchLength == 0 ? null : NewBuffer(node.Name + ".im2col", BufferKind.Workspace, DataType.Float32, scratchLength);
            foreach (var (xi, yi) in Context.Images(input, output, x.Shape[0]))
                Emit(ConvF32Gemm).Set(X, xi).Set(W, packedGemm).Set(Bias, biasBuffer).Set(Y, yi).Set(Scratch, scratch)
                    .Set(Ic, ic).Set(Oc, oc).SetWindow(g).Set(Pb, g.PadBottom).Set(Pr, g.PadRight).Set(Group, group).SetActivation(act);
        }

        /// <summary>
        /// Conv whose weights are computed at run time (as in the ONNX node tests): per image and group an im2col in the
        /// ONNX order, then an unpacked product with the weights; bias and a fused activation after.
        /// </summary>
        internal void LowerRuntimeConv(Node node)
        {
            var x = node.Input(0)!;
            var w = node.Input(1)!;
            var bias = node.Input(2);
            if (x.Rank != 4 && x.Rank != 3) throw OperatorDefinition.Unsupported(node, $"a rank-{x.Rank} input (only NCW and NCHW)");
            var g = WindowGeometry.Resolve(node, x.Shape!, ConvOperator.KernelOf(w.Shape!));
            int group = (int)node.Attributes.GetInt("group", 1);
            int images = x.Shape![0], ic = x.Shape[1], oc = w.Shape![0], icg = ic / group, ocg = oc / group;
            int kk = g.KernelH * g.KernelW, ihw = g.InH * g.InW, ohw = g.OutH * g.OutW;
            LoweringContext.RequireFewImages(node, images, "images");
            Context.ExpectCalls(2L * images * group);
            var input = Logical(x);
            var weights = Context.Float(w);
            var output = Produce(node.Outputs[0], Layout.Logical);
            var columns = NewBuffer(node.Name + ".im2col", BufferKind.Workspace, DataType.Float32, (long)icg * kk * ohw);
            for (int n = 0; n < images; n++)
                for (int gi = 0; gi < group; gi++)
                {
                    Emit(Im2ColF32).Set(X, Context.Slice(input, (long)(n * ic + gi * icg) * ihw, (long)icg * ihw, $"{x.Name}[{n},{gi}]")).Set(Col, columns)
                        .Set(C, icg).SetWindow(g);
                    Emit(MatMulF32).Set(X, Context.Slice(weights, (long)gi * ocg * icg * kk, (long)ocg * icg * kk, $"{w.Name}[{gi}]")).Set(B, columns)
                        .Set(Y, Context.Slice(output, (long)(n * oc + gi * ocg) * ohw, (long)ocg * ohw, $"{node.Outputs[0].Name}[{n},{gi}]"))
                        .Set(M, ocg).Set(N, ohw).Set(K, icg * kk).Set(TransB, 0);
                }
            var shape = node.Outputs[0].Shape!;
            if (bias != null)
            {
                var channel = new[] { oc }.Concat(Enumerable.Repeat(1, shape.Length - 2)).ToArray();
                Context.EmitBinary("Add", output, shape, Broadcasting.ContiguousStrides(shape), Context.Float(bias), channel, output);
            }
            var act = FusedActivation.Of(node);
            if (!act.IsNone) Context.EmitActivation(output, output, act);
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
            if (Context.TryNhwc(x, out var physical) && !Context.Has(x, Layout.Logical))
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
            Context.Bind(stuffedValue, runtimeWeights ? Layout.Logical : Layout.Nhwc, stuffed);
            var permutedMaps = perm.Select(p => maps[p]).ToArray();
            var starts = new long[perm.Length];
            for (int a = 1; a < perm.Length; a++) starts[a] = starts[a - 1] + permutedMaps[a - 1].Length;
            Emit(Pad).Set(X, source).Set(PadValue, Constant(new[] { 0f }, node.Name + ".zero")).Set(Y, stuffed)
                .Set(Shape, permutedMaps.Select(m => m.Length)).Set(Strides, perm.Select(p => logicalStrides[p]))
                .Set(Map, permutedMaps.SelectMany(m => m)).Set(Starts, starts);

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
            Emit(Take).Set(X, Logical(w)).Set(Index, ConstantOf(new Tensor(DataType.Int32, new[] { table.Length }, table), node.Name + ".flip_index"))
                .Set(Y, buffer).Set(Count, table.Length).Set(XCount, w.ElementCount);
            Context.Bind(flipped, Layout.Logical, buffer);
            return flipped;
        }
    }
}
