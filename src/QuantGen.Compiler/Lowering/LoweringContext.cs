// What every family's lowering shares: the graph, the program being built, the node being lowered, and where each value
// lives (a buffer per layout: the ONNX order or channels-last, float32 or the uint8 of integer code), with the helpers
// that make buffers and emit kernel calls.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Compiler.Operators;
using QuantGen.Compiler.Quantization;
using QuantGen.Ir;
using QuantGen.Ir.Diagnostics;
using QuantGen.Plan;
using static QuantGen.Plan.KernelCatalog;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Compiler.Lowering
{
    internal sealed class LoweringContext
    {
        public static readonly int[] ToNhwc = { 0, 2, 3, 1 };
        public static readonly int[] ToNchw = { 0, 3, 1, 2 };

        private readonly Dictionary<Value, Buffer> _logical = new Dictionary<Value, Buffer>();
        private readonly Dictionary<Value, Buffer> _nhwc = new Dictionary<Value, Buffer>();

        public LoweringContext(Graph graph, QuantizationScheme? scheme, bool valuesApart = false)
        {
            Graph = graph;
            Integers = new IntegerValues(this, scheme);
            ValuesApart = valuesApart;
        }

        /// <summary>
        /// Every value in memory of its own: a node whose output would be a view of its input (Reshape, Flatten, a part of
        /// Split) copies it instead. The INT8 simulation rounds a value in place where it is written; a view would round
        /// the input it shares memory with too (<see cref="Quantization.Simulation.KernelSimulation"/>).
        /// </summary>
        public bool ValuesApart { get; }

        public Graph Graph { get; }

        public LoweredProgram Program { get; } = new LoweredProgram();

        /// <summary>The node being lowered (null at the graph boundary): calls name it as their source, errors name it.</summary>
        public Node? Current { get; set; }

        /// <summary>Values integer code holds as uint8, and the crossings between them and float code.</summary>
        public IntegerValues Integers { get; }

        // ---- emitting ----

        /// <summary>Adds a call of <paramref name="kernel"/> for the current node; set its arguments on the returned call.</summary>
        public KernelCall Emit(KernelSignature kernel)
        {
            // Every call counts as it is made, so no lowering loop (per image, per row, per group) runs away first.
            ExpectCalls(1);
            var call = new KernelCall(kernel, Current?.Name ?? "(graph boundary)");
            Program.Calls.Add(call);
            return call;
        }

        /// <summary>y = a (op) b with b broadcast from <paramref name="bShape"/> to <paramref name="shape"/>.</summary>
        public void EmitBinary(string op, Buffer a, int[] shape, int[] aStrides, Buffer b, int[] bShape, Buffer y)
        {
            Emit(BinaryF32).Set(A, a).Set(B, b).Set(Y, y).Set(BinaryOp, op)
                .Set(Shape, shape).Set(AStrides, aStrides).Set(BStrides, Broadcasting.Strides(bShape, shape));
        }

        /// <summary>y = act(x) elementwise, any activation.</summary>
        public void EmitActivation(Buffer input, Buffer output, ActivationSpec spec) =>
            Emit(ActivationF32).Set(X, input).Set(Y, output).Set(Count, input.Elements).SetActivation(spec, fusedOnly: false);

        // ---- limits: each call is a statement of the generated Run and memory here ----

        /// <summary>The most kernel calls (plan steps) a model may lower to.</summary>
        public const int MaxKernelCalls = 100_000;

        /// <summary>The most images (or rows) of a fixed leading axis a kernel that takes one is called for, one call each.</summary>
        public const int MaxImages = 1024;

        /// <summary>Throws QG0013 when <paramref name="more"/> calls would take the program past <see cref="MaxKernelCalls"/> (checked before they are made).</summary>
        public void ExpectCalls(long more)
        {
            if (Program.Calls.Count + more <= MaxKernelCalls) return;
            throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.ResourceLimit, DiagnosticSeverity.Error,
                $"the model lowers to more than {MaxKernelCalls.ToString("N0", CultureInfo.InvariantCulture)} kernel calls (one statement each in the generated Run); no model QuantGen targets needs that many. A fixed batch axis of many images lowers one call per image: export with a symbolic batch axis.",
                null, Current?.Name));
        }

        /// <summary>
        /// Throws QG0013 when a kernel that takes one image (or one row) would be called for more than <see cref="MaxImages"/>
        /// of a fixed leading axis, before any call is made.
        /// </summary>
        public static void RequireFewImages(Node node, long count, string what)
        {
            if (count <= MaxImages) return;
            throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.ResourceLimit, DiagnosticSeverity.Error,
                $"a fixed batch of {count.ToString("N0", CultureInfo.InvariantCulture)} {what} (the kernel runs one per call, at most {MaxImages.ToString("N0", CultureInfo.InvariantCulture)} calls per node); export the model with a symbolic batch axis, which the generated Run loops over.",
                null, node.Name));
        }

        // ---- buffers ----

        public Buffer NewBuffer(string name, BufferKind kind, DataType type, long elements)
        {
            var b = new Buffer(name, kind, type, elements);
            Program.Buffers.Add(b);
            return b;
        }

        public Buffer Constant(float[] data, string name)
        {
            var b = NewBuffer(name, BufferKind.Constant, DataType.Float32, data.Length);
            b.Data = Tensor.FromFloats(new[] { data.Length }, data);
            return b;
        }

        public Buffer Constant(int[] data, string name) => ConstantOf(new Tensor(DataType.Int32, new[] { data.Length }, data), name);

        public Buffer Constant(sbyte[] data, string name) => ConstantOf(new Tensor(DataType.Int8, new[] { data.Length }, data), name);

        /// <summary>A constant in its own element type, shaped flat.</summary>
        public Buffer ConstantOf(Tensor t, string name)
        {
            var b = NewBuffer(name, BufferKind.Constant, t.Type, t.ElementCount);
            b.Data = t.Reshape(new[] { t.ElementCount });
            return b;
        }

        /// <summary>The value in the ONNX order and its own element type: a typed constant, or the run-time buffer.</summary>
        public Buffer Data(Value v) => v.IsConstant ? ConstantOf(v.Constant!, v.Name) : Logical(v);

        /// <summary>The value as float32 in the ONNX order: a constant converted to float, or the run-time buffer.</summary>
        public Buffer Float(Value v) => v.IsConstant ? Constant(v.Constant!.ToFloatArray(), v.Name) : Logical(v);

        public Buffer View(Buffer source, string name)
        {
            var view = NewBuffer(name, BufferKind.Workspace, source.Type, source.Elements);
            view.ViewOf = source;
            return view;
        }

        public Buffer Slice(Buffer source, long offset, long elements, string name)
        {
            var slice = NewBuffer(name, BufferKind.Workspace, source.Type, elements);
            slice.ViewOf = source;
            slice.ViewOffset = offset;
            return slice;
        }

        /// <summary>
        /// The (input, output) image pairs of an NHWC op. The image kernels take one image; a fixed leading axis above 1 (a
        /// model exported with batch N) becomes N calls on consecutive slices.
        /// </summary>
        public IEnumerable<(Buffer X, Buffer Y)> Images(Buffer x, Buffer y, int count)
        {
            RequireFewImages(Current!, count, "images");
            if (count == 1)
            {
                yield return (x, y);
                yield break;
            }
            // A fixed leading axis of 0 images is no call at all.
            if (count == 0) yield break;
            long xPer = x.Elements / count, yPer = y.Elements / count;
            for (int n = 0; n < count; n++)
                yield return (Slice(x, n * xPer, xPer, $"{x.Name}[{n}]"), Slice(y, n * yPer, yPer, $"{y.Name}[{n}]"));
        }

        // ---- layouts ----

        /// <summary>The float value in the ONNX order, converting from channels-last (or dequantizing) when needed.</summary>
        public Buffer Logical(Value v)
        {
            if (v.IsConstant) return Constant(v.Constant!.ToFloatArray(), v.Name);
            Integers.EnsureFloat(v);
            if (_logical.TryGetValue(v, out var b)) return b;
            if (!_nhwc.TryGetValue(v, out var nhwc)) throw new InvalidOperationException($"'{v.Name}' was used before it was computed.");
            b = LayoutIsIrrelevant(v) ? View(nhwc, v.Name + ".nchw") : Transposed(nhwc, Permute(Image4D(v), ToNhwc), ToNchw, v.Name + ".nchw");
            _logical[v] = b;
            return b;
        }

        /// <summary>The float value channels-last, converting from the ONNX order (or dequantizing) when needed.</summary>
        public Buffer Nhwc(Value v)
        {
            if (v.Rank != 4 && v.Rank != 3) throw OperatorDefinition.Unsupported(Current!, $"a rank-{v.Rank} input where an NCW or NCHW image is expected");
            Integers.EnsureFloat(v);
            if (_nhwc.TryGetValue(v, out var b)) return b;
            var logical = Logical(v);
            b = LayoutIsIrrelevant(v) ? View(logical, v.Name + ".nhwc") : Transposed(logical, Image4D(v), ToNhwc, v.Name + ".nhwc");
            _nhwc[v] = b;
            return b;
        }

        /// <summary>The node's output is its input's memory seen with another shape (Reshape, Flatten, Squeeze…): a view, no copy.</summary>
        public void ViewOutput(Node node)
        {
            var source = Logical(node.Input(0)!);
            Bind(node.Outputs[0], Layout.Logical, View(source, node.Outputs[0].Name));
        }

        /// <summary>The buffer a node writes its output value into, in <paramref name="layout"/>.</summary>
        public Buffer Produce(Value v, Layout layout) => Bind(v, layout, NewBuffer(v.Name, BufferKind.Workspace, v.Type, v.ElementCount));

        /// <summary>Records <paramref name="buffer"/> as where float value <paramref name="v"/> lives in <paramref name="layout"/>.</summary>
        public Buffer Bind(Value v, Layout layout, Buffer buffer)
        {
            if (ValuesApart && buffer.ViewOf != null && buffer.Kind == BufferKind.Workspace)
            {
                var copy = NewBuffer(v.Name, BufferKind.Workspace, buffer.Type, buffer.Elements);
                Emit(Copy).Set(X, buffer).Set(Y, copy).Set(Count, buffer.Elements);
                buffer = copy;
            }
            (layout == Layout.Nhwc ? _nhwc : _logical)[v] = buffer;
            return buffer;
        }

        /// <summary>The buffer of <paramref name="v"/> in the ONNX order, when one exists (without converting).</summary>
        public bool TryLogical(Value v, out Buffer buffer) => _logical.TryGetValue(v, out buffer!);

        /// <summary>Whether a float buffer of <paramref name="v"/> exists in <paramref name="layout"/> (without converting).</summary>
        public bool Has(Value v, Layout layout) => (layout == Layout.Nhwc ? _nhwc : _logical).ContainsKey(v);

        /// <summary>The channels-last buffer of <paramref name="v"/>, when one exists.</summary>
        public bool TryNhwc(Value v, out Buffer buffer) => _nhwc.TryGetValue(v, out buffer!);

        /// <summary>
        /// The axis order of x's channels-last buffer when x only exists channels-last (after Conv or pooling), else null:
        /// ops that walk their input per axis (Slice, Resize, Pad) then run channels-last too, saving two transposes.
        /// </summary>
        public int[]? ChannelsLastOnly(Value x) =>
            (x.Rank == 4 || x.Rank == 3) && _nhwc.ContainsKey(x) && !_logical.ContainsKey(x) ? (x.Rank == 4 ? ToNhwc : new[] { 0, 2, 1 }) : null;

        /// <summary>With H·W = 1 or C = 1 the NCHW and NHWC orders are the same bytes (e.g. after global pooling).</summary>
        public static bool LayoutIsIrrelevant(Value v)
        {
            if (v.Rank != 4 && v.Rank != 3) return false;
            var image = Image4D(v);
            return image[2] * image[3] == 1 || image[1] == 1;
        }

        /// <summary>The value as an NCHW image: a 1-D signal [N, C, W] is the image [N, C, 1, W] (same memory).</summary>
        public static int[] Image4D(Value v) => v.Rank == 3 ? new[] { v.Shape![0], v.Shape[1], 1, v.Shape[2] } : v.Shape!;

        public Buffer Transposed(Buffer source, int[] sourceShape, int[] perm, string name)
        {
            var result = NewBuffer(name, BufferKind.Workspace, source.Type, source.Elements);
            Emit(Transpose).Set(X, source).Set(Y, result).Set(Shape, sourceShape).Set(Perm, perm);
            return result;
        }

        public static int[] Permute(int[] values, int[] perm) => perm.Select(p => values[p]).ToArray();

        public static long[] Longs(IEnumerable<int> values) => values.Select(d => (long)d).ToArray();
    }

    internal static class KernelCallExtensions
    {
        /// <summary>Sets act, alpha and beta; a fused epilogue (the default) takes only the activations the kernels can fuse.</summary>
        public static KernelCall SetActivation(this KernelCall call, ActivationSpec spec, bool fusedOnly = true)
        {
            if (fusedOnly && !spec.IsNone && !FusedActivation.CanFuse(spec)) throw new InvalidOperationException($"{spec.Kind} cannot be fused.");
            return call.Set(Act, spec.IsNone ? "None" : spec.Kind).Set(Alpha, spec.Alpha).Set(Beta, spec.Beta);
        }

        /// <summary>Sets a window's input, output, kernel, stride, top/left padding and dilation (not pb/pr).</summary>
        public static KernelCall SetWindow(this KernelCall call, WindowGeometry g) =>
            call.Set(Ih, g.InH).Set(Iw, g.InW).Set(Oh, g.OutH).Set(Ow, g.OutW).Set(Kh, g.KernelH).Set(Kw, g.KernelW)
                .Set(Sh, g.StrideH).Set(Sw, g.StrideW).Set(Pt, g.PadTop).Set(Pl, g.PadLeft).Set(Dh, g.DilationH).Set(Dw, g.DilationW);
    }
}
