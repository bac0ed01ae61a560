// ConvTranspose (1-D and 2-D): strides, pads, dilations, groups, output_padding, output_shape and auto_pad. Lowered as
// a stride-1 convolution with flipped, transposed weights over the zero-stuffed, padded input, so it runs on the
// convolution kernels.
using System;
using System.Linq;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators
{
    /// <summary>The resolved window of a ConvTranspose, per spatial axis.</summary>
    public sealed class TransposedWindow
    {
        public TransposedWindow(int[] kernel, int[] strides, int[] dilations, int[] padBegin, int[] input, int[] output)
        {
            Kernel = kernel;
            Strides = strides;
            Dilations = dilations;
            PadBegin = padBegin;
            Input = input;
            Output = output;
        }

        public int[] Kernel { get; }
        public int[] Strides { get; }
        public int[] Dilations { get; }
        public int[] PadBegin { get; }
        public int[] Input { get; }
        public int[] Output { get; }
    }

    public sealed class ConvTransposeOperator : OperatorDefinition
    {
        public ConvTransposeOperator() : base("ConvTranspose") { }

        public override string Notes => "1-D and 2-D; groups, strides, pads, dilations, output_padding, output_shape, auto_pad; constant weights";

        public static TransposedWindow Resolve(Node node, int[] x, int[] w)
        {
            int spatial = x.Length - 2;
            if (spatial != 1 && spatial != 2) throw Unsupported(node, $"a {spatial}-D window (only 1-D and 2-D)");
            var a = node.Attributes;
            int[] Ints(string name, int fallback, long min) => IntsAttribute(node, name, min, int.MaxValue) ?? Enumerable.Repeat(fallback, spatial).ToArray();
            var kernel = IntsAttribute(node, "kernel_shape", 1, int.MaxValue) ?? w.Skip(2).ToArray();
            var strides = Ints("strides", 1, 1);
            var dilations = Ints("dilations", 1, 1);
            var outputPadding = Ints("output_padding", 0, 0);
            var pads = IntsAttribute(node, "pads", 0, int.MaxValue) ?? new int[2 * spatial];
            if (kernel.Length != spatial || strides.Length != spatial || dilations.Length != spatial || outputPadding.Length != spatial || pads.Length != 2 * spatial)
                throw Invalid(node, "kernel_shape, strides, dilations, output_padding and pads do not match the input's rank");
            if (!kernel.SequenceEqual(w.Skip(2))) throw Invalid(node, $"kernel_shape [{string.Join(",", kernel)}] does not match the weights {Dims(w)}");
            // ONNX: output_padding must be smaller than the stride or the dilation of its axis (it completes the last stride).
            for (int i = 0; i < spatial; i++)
                if (outputPadding[i] >= Math.Max(strides[i], dilations[i]))
                    throw Invalid(node, $"output_padding [{string.Join(",", outputPadding)}] is not smaller than the strides [{string.Join(",", strides)}] or dilations");
            var input = x.Skip(2).ToArray();
            var begin = new int[spatial];
            var output = new int[spatial];
            string autoPad = a.GetString("auto_pad", "NOTSET");
            var outputShape = IntsAttribute(node, "output_shape", 1, int.MaxValue);
            if (outputShape != null && outputShape.Length == x.Length) outputShape = outputShape.Skip(2).ToArray();
            if (outputShape != null && outputShape.Length != spatial) throw Invalid(node, $"output_shape [{string.Join(",", outputShape)}] does not match the input's rank");
            for (int i = 0; i < spatial; i++)
            {
                // In long: strides, output_padding and dilations up to int.MaxValue would wrap around in int.
                long full = (long)strides[i] * Math.Max(0, input[i] - 1) + outputPadding[i] + (long)(kernel[i] - 1) * dilations[i] + 1;
                if (full > int.MaxValue) throw Invalid(node, $"the output would have {full} elements along spatial axis {i}");
                if (outputShape != null || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER")
                {
                    long length = outputShape != null ? outputShape[i] : (long)input[i] * strides[i];
                    if (length > int.MaxValue) throw Invalid(node, $"the output would have {length} elements along spatial axis {i}");
                    output[i] = (int)length;
                    long total = full - output[i];
                    // ONNX: SAME_UPPER puts the odd pixel at the end; otherwise (SAME_LOWER, output_shape) at the start. The
                    // halving floors (Python's //): an output_shape past the full size pads the end, like output_padding.
                    long half = (long)Math.Floor(total / 2.0);
                    begin[i] = (int)(autoPad == "SAME_UPPER" ? half : total - half);
                }
                else
                {
                    if (autoPad != "NOTSET" && autoPad != "VALID") throw Unsupported(node, $"auto_pad={autoPad}");
                    begin[i] = autoPad == "VALID" ? 0 : pads[i];
                    int end = autoPad == "VALID" ? 0 : pads[i + spatial];
                    output[i] = (int)Math.Max(0, full - begin[i] - end);
                }
                if (output[i] <= 0) throw Invalid(node, $"the output would have {output[i]} elements along spatial axis {i}");
            }
            return new TransposedWindow(kernel, strides, dilations, begin, input, output);
        }

        public override (int Min, int Max) InputCount => (2, 3);

        /// <summary>Each input element scatters into its group's output channels times the window.</summary>
        public override long EvaluationCost(Node node) => Products(In(node, 0).ElementCount, In(node, 1).ElementCount / Math.Max(1, In(node, 1).Shape![0])) + node.Outputs[0].ElementCount;

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            var w = In(node, 1);
            RequireType(node, 0, DataType.Float32);
            RequireSameType(node, 0, 1, 2);
            if (w.Rank != x.Rank) throw Invalid(node, $"weights of rank {w.Rank} on a rank-{x.Rank} input");
            var g = Resolve(node, x.Shape!, w.Shape!);
            int group = IntAttribute(node, "group", 1, 1, int.MaxValue);
            if (x.Shape![1] % group != 0 || w.Shape![0] != x.Shape[1]) throw Invalid(node, $"weights {Dims(w.Shape!)} do not fit {x.Shape![1]} input channels in {group} groups");
            if ((long)w.Shape[1] * group > int.MaxValue) throw Invalid(node, $"{w.Shape[1]}·{group} output channels");
            int oc = w.Shape[1] * group;
            if (node.Input(2) is { } b && b.ElementCount != oc) throw Invalid(node, $"bias {Dims(b.Shape!)} does not match {oc} output channels");
            if (w.IsBatched) RequireSampleWise(node, false, "takes batched weights");
            SetOutput(node, 0, DataType.Float32, new[] { x.Shape[0], oc }.Concat(g.Output).ToArray(), x.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!; var w = inputs[1]!; var bias = inputs.Length > 2 ? inputs[2] : null;
            var g = Resolve(node, x.Shape, w.Shape);
            int group = (int)node.Attributes.GetInt("group", 1);
            int n = x.Shape[0], ic = x.Shape[1], icg = ic / group, ocg = w.Shape[1], oc = ocg * group;
            // 1-D as 2-D with height 1.
            int ih = g.Input.Length == 2 ? g.Input[0] : 1, iw = g.Input[g.Input.Length - 1];
            int oh = g.Output.Length == 2 ? g.Output[0] : 1, ow = g.Output[g.Output.Length - 1];
            int kh = g.Kernel.Length == 2 ? g.Kernel[0] : 1, kw = g.Kernel[g.Kernel.Length - 1];
            int sh = g.Strides.Length == 2 ? g.Strides[0] : 1, sw = g.Strides[g.Strides.Length - 1];
            int dh = g.Dilations.Length == 2 ? g.Dilations[0] : 1, dw = g.Dilations[g.Dilations.Length - 1];
            int ph = g.PadBegin.Length == 2 ? g.PadBegin[0] : 0, pw = g.PadBegin[g.PadBegin.Length - 1];
            var fx = x.ToFloatArray(); var fw = w.ToFloatArray(); var fb = bias?.ToFloatArray();
            var y = new float[n * oc * oh * ow];
            // One output plane at a time in double: each element still sums its terms in the order c, iy, ix, ky, kx, and the
            // accumulator is a plane, not a double copy of the whole output.
            var acc = new double[oh * ow];
            for (int b = 0; b < n; b++)
                for (int gi = 0; gi < group; gi++)
                    for (int o = 0; o < ocg; o++)
                    {
                        Array.Clear(acc, 0, acc.Length);
                        for (int c = gi * icg; c < (gi + 1) * icg; c++)
                            for (int iy = 0; iy < ih; iy++)
                                for (int ix = 0; ix < iw; ix++)
                                {
                                    double v = fx[((b * ic + c) * ih + iy) * iw + ix];
                                    for (int ky = 0; ky < kh; ky++)
                                    {
                                        int oy = iy * sh - ph + ky * dh;
                                        if ((uint)oy >= (uint)oh) continue;
                                        for (int kx = 0; kx < kw; kx++)
                                        {
                                            int ox = ix * sw - pw + kx * dw;
                                            if ((uint)ox >= (uint)ow) continue;
                                            acc[oy * ow + ox] += v * fw[((c * ocg + o) * kh + ky) * kw + kx];
                                        }
                                    }
                                }
                        int channel = gi * ocg + o, plane = (b * oc + channel) * oh * ow;
                        for (int i = 0; i < acc.Length; i++) y[plane + i] = (float)(acc[i] + (fb?[channel] ?? 0));
                    }
            return new[] { Tensor.FromFloats(new[] { n, oc }.Concat(g.Output).ToArray(), y) };
        }
    }
}
