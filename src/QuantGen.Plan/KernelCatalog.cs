// The kernels a plan may call: their parameters, the C# method behind each, and the memory each touches.
using System;
using System.Collections.Generic;
using System.Globalization;
using QuantGen.Kernels;

namespace QuantGen.Plan
{
    public enum KernelParameterKind
    {
        /// <summary>A pointer to elements (a <see cref="PlanOperand"/> in the plan; may be null when optional).</summary>
        Tensor,
        Int,
        Float,
        Ints,
        Floats,

        /// <summary>A member of a kernel enum (<see cref="KernelParameter.SymbolType"/>).</summary>
        Symbol,
    }

    public sealed class KernelParameter
    {
        public KernelParameter(string name, KernelParameterKind kind, PlanElementType? elementType = null, bool optional = false, string? symbolType = null)
        {
            Name = name;
            Kind = kind;
            ElementType = elementType;
            Optional = optional;
            SymbolType = symbolType;
        }

        public string Name { get; }
        public KernelParameterKind Kind { get; }

        /// <summary>For tensors: the required element type, or null when the kernel is generic over it.</summary>
        public PlanElementType? ElementType { get; }

        /// <summary>A null operand is allowed (e.g. a missing bias).</summary>
        public bool Optional { get; }

        /// <summary>For symbols: the kernel enum's simple name (e.g. "Activation").</summary>
        public string? SymbolType { get; }
    }

    /// <summary>
    /// One kernel: plan name (e.g. "ConvF32.Depthwise"), the static C# method in the kernel library
    /// (namespace QuantGen.Kernels), its parameters in call order, and a check that every operand is
    /// at least as long as the kernel will touch given the integer arguments (so generated code never
    /// reads or writes out of bounds).
    /// </summary>
    public sealed class KernelSignature
    {
        public KernelSignature(string name, string method, bool isGeneric, KernelParameter[] parameters, Func<StepArguments, string?> checkExtents)
        {
            Name = name;
            Method = method;
            IsGeneric = isGeneric;
            Parameters = parameters;
            CheckExtents = checkExtents;
        }

        public string Name { get; }

        /// <summary>Type-qualified method name inside namespace QuantGen.Kernels, e.g. "ConvF32.Depthwise".</summary>
        public string Method { get; }

        /// <summary>The method takes one type argument T: the element type of its tensor parameters whose element type is not fixed (null).</summary>
        public bool IsGeneric { get; }

        public KernelParameter[] Parameters { get; }

        /// <summary>Returns an error message when an operand is shorter than the kernel's access, else null.</summary>
        public Func<StepArguments, string?> CheckExtents { get; }
    }

    /// <summary>Typed access to a step's arguments for extent checks.</summary>
    public sealed class StepArguments
    {
        private readonly PlanStep _step;

        public StepArguments(PlanStep step) { _step = step; }

        public long Int(string name) => _step.Find(name)!.Value.Int;

        public long[] Ints(string name) => _step.Find(name)!.Value.Ints;

        /// <summary>Element count of an operand, or -1 when the operand is null.</summary>
        public long Length(string name) => _step.Find(name)!.Value.Operand?.ElementCount ?? -1;

        /// <summary>Checks that operand <paramref name="name"/> holds at least <paramref name="needed"/> elements.</summary>
        public string? AtLeast(string name, long needed)
        {
            long have = Length(name);
            if (have < 0 || have >= needed) return null;
            return string.Format(CultureInfo.InvariantCulture, "operand '{0}' has {1} elements but the kernel touches {2}", name, have, needed);
        }

        /// <summary>The first non-null message of <paramref name="checks"/>.</summary>
        public static string? First(params string?[] checks)
        {
            foreach (var c in checks) if (c != null) return c;
            return null;
        }
    }

    /// <summary>Every kernel the plan format knows, by plan name.</summary>
    public static partial class KernelCatalog
    {
        private static readonly Dictionary<string, KernelSignature> s_byName = Build();

        public static IEnumerable<KernelSignature> All => s_byName.Values;

        public static KernelSignature? Find(string name) => s_byName.TryGetValue(name, out var k) ? k : null;

        private static string? ExpandDepthwiseBandCheck(long bandRows, long kh, long dh, long sh) =>
            kh < 1 || dh < 1 || sh < 1 ? string.Format(CultureInfo.InvariantCulture, "kh {0}, dh {1} and sh {2} must be at least 1", kh, dh, sh)
            : bandRows >= FusedConvLayout.WindowRows(kh, dh) ? null
            : string.Format(CultureInfo.InvariantCulture, "bandRows {0} is less than the window's {1} rows", bandRows, FusedConvLayout.WindowRows(kh, dh));

        private static KernelParameter T(string name, PlanElementType? type = PlanElementType.Float32, bool optional = false) =>
            new KernelParameter(name, KernelParameterKind.Tensor, type, optional);

        private static KernelParameter I(string name) => new KernelParameter(name, KernelParameterKind.Int);

        private static KernelParameter F(string name) => new KernelParameter(name, KernelParameterKind.Float);

        private static KernelParameter Is(string name) => new KernelParameter(name, KernelParameterKind.Ints);

        private static KernelParameter S(string name, string type) => new KernelParameter(name, KernelParameterKind.Symbol, symbolType: type);

        private static Dictionary<string, KernelSignature> Build()
        {
            var list = new List<KernelSignature>
            {
                // y[0..count) = x[0..count)
                new KernelSignature("Copy", "DataMovement.Copy", true,
                    new[] { T("x", null), T("y", null), I("count") },
                    a => StepArguments.First(a.AtLeast("x", a.Int("count")), a.AtLeast("y", a.Int("count")))),

                // for b < blocks: y[b·yStride …] = x[b·xStride …], blockLength elements each (Concat).
                new KernelSignature("CopyBlocks", "DataMovement.CopyBlocks", true,
                    new[] { T("x", null), T("y", null), I("blocks"), I("blockLength"), I("xStride"), I("yStride") },
                    a => StepArguments.First(
                        a.AtLeast("x", Strided(a.Int("blocks"), a.Int("blockLength"), a.Int("xStride"))),
                        a.AtLeast("y", Strided(a.Int("blocks"), a.Int("blockLength"), a.Int("yStride"))))),

                // y = transpose(x, perm); shape is x's shape.
                new KernelSignature("Transpose", "DataMovement.Transpose", true,
                    new[] { T("x", null), T("y", null), Is("shape"), Is("perm") },
                    a => StepArguments.First(a.AtLeast("x", Product(a.Ints("shape"))), a.AtLeast("y", Product(a.Ints("shape"))))),

                // NHWC convolution through (implicit) im2col and a packed GEMM; w packed per group.
                new KernelSignature("ConvF32.Gemm", "ConvF32.Gemm", false,
                    new[] { T("x"), T("w"), T("bias", optional: true), T("y"), T("scratch", optional: true),
                            I("ih"), I("iw"), I("ic"), I("oh"), I("ow"), I("oc"), I("kh"), I("kw"), I("sh"), I("sw"),
                            I("pt"), I("pl"), I("pb"), I("pr"), I("dh"), I("dw"), I("group"), S("act", "Activation"), F("alpha"), F("beta") },
                    a => StepArguments.First(
                        a.AtLeast("x", a.Int("ih") * a.Int("iw") * a.Int("ic")),
                        a.AtLeast("w", a.Int("group") * GemmLayout.PackedF32Length(a.Int("oc") / a.Int("group"), a.Int("kh") * a.Int("kw") * a.Int("ic") / a.Int("group"))),
                        a.AtLeast("bias", a.Int("oc")),
                        a.AtLeast("y", a.Int("oh") * a.Int("ow") * a.Int("oc")),
                        a.AtLeast("scratch", ConvLayout.ScratchF32Length(a.Int("oh"), a.Int("ow"), a.Int("kh"), a.Int("kw"), a.Int("sh"), a.Int("sw"),
                            a.Int("pt"), a.Int("pl"), a.Int("pb"), a.Int("pr"), a.Int("ic") / a.Int("group"), a.Int("group"))))),

                // NHWC depthwise convolution (group == ic == oc); w is [kh*kw, c].
                new KernelSignature("ConvF32.Depthwise", "ConvF32.Depthwise", false,
                    new[] { T("x"), T("w"), T("bias", optional: true), T("y"),
                            I("ih"), I("iw"), I("c"), I("oh"), I("ow"), I("kh"), I("kw"), I("sh"), I("sw"),
                            I("pt"), I("pl"), I("dh"), I("dw"), S("act", "Activation"), F("alpha"), F("beta") },
                    a => StepArguments.First(
                        a.AtLeast("x", a.Int("ih") * a.Int("iw") * a.Int("c")),
                        a.AtLeast("w", a.Int("kh") * a.Int("kw") * a.Int("c")),
                        a.AtLeast("bias", a.Int("c")),
                        a.AtLeast("y", a.Int("oh") * a.Int("ow") * a.Int("c")))),

                // A 1×1 expansion then a depthwise convolution, fused: mid = actE(x [ih·iw, ic] · we + biasE) [ih, iw, c]
                // (we packed as GemmF32's B [ic, c]); y = ConvF32.Depthwise(mid, wd, biasD, act). mid is computed bandRows rows
                // at a time into scratch (bandRows · iw · c floats), so it never exists whole; the values are those of
                // ConvF32.Gemm then ConvF32.Depthwise.
                new KernelSignature("ConvF32.ExpandDepthwise", "ConvF32.ExpandDepthwise", false,
                    new[] { T("x"), T("we"), T("biasE", optional: true), S("actE", "Activation"), F("alphaE"), F("betaE"),
                            T("wd"), T("biasD", optional: true), T("y"), T("scratch"), I("bandRows"),
                            I("ih"), I("iw"), I("ic"), I("c"), I("oh"), I("ow"), I("kh"), I("kw"), I("sh"), I("sw"),
                            I("pt"), I("pl"), I("dh"), I("dw"), S("act", "Activation"), F("alpha"), F("beta") },
                    a => StepArguments.First(
                        ExpandDepthwiseBandCheck(a.Int("bandRows"), a.Int("kh"), a.Int("dh"), a.Int("sh")),
                        a.AtLeast("x", a.Int("ih") * a.Int("iw") * a.Int("ic")),
                        a.AtLeast("we", GemmLayout.PackedF32Length(a.Int("c"), a.Int("ic"))),
                        a.AtLeast("biasE", a.Int("c")),
                        a.AtLeast("wd", a.Int("kh") * a.Int("kw") * a.Int("c")),
                        a.AtLeast("biasD", a.Int("c")),
                        a.AtLeast("y", a.Int("oh") * a.Int("ow") * a.Int("c")),
                        a.AtLeast("scratch", a.Int("bandRows") * a.Int("iw") * a.Int("c")))),

                // A plain 1×1 convolution with a residual added: y = act(x [pixels, ic] · w + bias) + r (w packed as GemmF32's
                // B [ic, oc]); the values of ConvF32.Gemm then BinaryF32 Add. y is written chunk by chunk while x and r are
                // still read, so it must not overlap them.
                new KernelSignature("ConvF32.PointwiseAdd", "ConvF32.PointwiseAdd", false,
                    new[] { T("x"), T("w"), T("bias", optional: true), T("r"), T("y"), I("pixels"), I("ic"), I("oc"),
                            S("act", "Activation"), F("alpha"), F("beta") },
                    a => StepArguments.First(
                        a.AtLeast("x", a.Int("pixels") * a.Int("ic")),
                        a.AtLeast("w", GemmLayout.PackedF32Length(a.Int("oc"), a.Int("ic"))),
                        a.AtLeast("bias", a.Int("oc")),
                        a.AtLeast("r", a.Int("pixels") * a.Int("oc")),
                        a.AtLeast("y", a.Int("pixels") * a.Int("oc")))),

                // y[m, n] = act(x[m, k] · B[k, n] + bias[n]); b packed into 16-column panels.
                new KernelSignature("GemmF32", "GemmF32.Run", false,
                    new[] { T("x"), T("b"), T("bias", optional: true), T("y"), I("m"), I("n"), I("k"), S("act", "Activation"), F("alpha"), F("beta") },
                    a => StepArguments.First(
                        a.AtLeast("x", a.Int("m") * a.Int("k")),
                        a.AtLeast("b", GemmLayout.PackedF32Length(a.Int("n"), a.Int("k"))),
                        a.AtLeast("bias", a.Int("n")),
                        a.AtLeast("y", a.Int("m") * a.Int("n")))),

                // y[m, n] = x[m, k] · B for a run-time B: b is [k, n], or [n, k] read transposed when transB = 1.
                new KernelSignature("MatMulF32", "MatMulF32.Run", false,
                    new[] { T("x"), T("b"), T("y"), I("m"), I("n"), I("k"), I("transB") },
                    a => StepArguments.First(
                        a.AtLeast("x", a.Int("m") * a.Int("k")),
                        a.AtLeast("b", a.Int("k") * a.Int("n")),
                        a.AtLeast("y", a.Int("m") * a.Int("n")))),

                // NHWC pooling; windows are clipped to the input (padding never read).
                Pool("PoolF32.Max", "PoolF32.Max"),
                Pool("PoolF32.Average", "PoolF32.Average", I("countIncludePad")),

                // y[c] = mean over hw of x[hw, c] (NHWC).
                new KernelSignature("PoolF32.GlobalAverage", "PoolF32.GlobalAverage", false,
                    new[] { T("x"), T("y"), I("hw"), I("c") },
                    a => StepArguments.First(a.AtLeast("x", a.Int("hw") * a.Int("c")), a.AtLeast("y", a.Int("c")))),

                // y[c] = max over hw of x[hw, c] (NHWC).
                new KernelSignature("PoolF32.GlobalMax", "PoolF32.GlobalMax", false,
                    new[] { T("x"), T("y"), I("hw"), I("c") },
                    a => StepArguments.First(a.AtLeast("x", a.Int("hw") * a.Int("c")), a.AtLeast("y", a.Int("c")))),

                // y = a (op) b with numpy broadcasting: element strides of a and b per output axis (0 = broadcast).
                new KernelSignature("BinaryF32", "ElementwiseF32.Binary", false,
                    new[] { T("a"), T("b"), T("y"), S("op", "BinaryOp"), Is("shape"), Is("aStrides"), Is("bStrides") },
                    a => StepArguments.First(
                        a.AtLeast("a", Span(a.Ints("shape"), a.Ints("aStrides"))),
                        a.AtLeast("b", Span(a.Ints("shape"), a.Ints("bStrides"))),
                        a.AtLeast("y", Product(a.Ints("shape"))))),

                // y = act(x) elementwise.
                new KernelSignature("ActivationF32", "ElementwiseF32.Activate", false,
                    new[] { T("x"), T("y"), I("count"), S("act", "Activation"), F("alpha"), F("beta") },
                    a => StepArguments.First(a.AtLeast("x", a.Int("count")), a.AtLeast("y", a.Int("count")))),

                // Softmax (or LogSoftmax when log = 1) over the middle axis of x viewed as [outer, axis, inner].
                new KernelSignature("SoftmaxF32", "SoftmaxF32.Run", false,
                    new[] { T("x"), T("y"), I("outer"), I("axis"), I("inner"), I("log") },
                    a => StepArguments.First(
                        a.AtLeast("x", a.Int("outer") * a.Int("axis") * a.Int("inner")),
                        a.AtLeast("y", a.Int("outer") * a.Int("axis") * a.Int("inner")))),
            };

            list.AddRange(Int8Kernels());
            list.AddRange(TensorKernels());
            list.AddRange(QdqKernels());

            var byName = new Dictionary<string, KernelSignature>(StringComparer.Ordinal);
            foreach (var k in list) byName.Add(k.Name, k);
            return byName;
        }

        private static KernelSignature Pool(string name, string method, params KernelParameter[] extra)
        {
            var p = new List<KernelParameter>
            {
                T("x"), T("y"), I("ih"), I("iw"), I("c"), I("oh"), I("ow"), I("kh"), I("kw"), I("sh"), I("sw"), I("pt"), I("pl"), I("dh"), I("dw"),
            };
            p.AddRange(extra);
            return new KernelSignature(name, method, false, p.ToArray(),
                a => StepArguments.First(
                    a.AtLeast("x", a.Int("ih") * a.Int("iw") * a.Int("c")),
                    a.AtLeast("y", a.Int("oh") * a.Int("ow") * a.Int("c"))));
        }

        /// <summary>Elements spanned by <paramref name="blocks"/> runs of <paramref name="length"/> at <paramref name="stride"/>.</summary>
        public static long Strided(long blocks, long length, long stride) => blocks <= 0 || length <= 0 ? 0 : (blocks - 1) * stride + length;

        public static long Product(long[] values)
        {
            long p = 1;
            foreach (var v in values) p *= v;
            return p;
        }

        /// <summary>Elements an operand walked with <paramref name="strides"/> over <paramref name="shape"/> reaches (max index + 1).</summary>
        public static long Span(long[] shape, long[] strides)
        {
            long last = 0;
            for (int i = 0; i < shape.Length && i < strides.Length; i++)
            {
                if (shape[i] == 0) return 0;
                last += (shape[i] - 1) * strides[i];
            }
            return last + 1;
        }
    }
}
