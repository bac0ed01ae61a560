// The kernels a plan may call: their parameters, the C# method behind each, and the memory each touches.
using System;
using System.Collections.Generic;
using System.Globalization;

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

    /// <summary>How a tensor the kernel writes may share memory with the step's other tensors (PlanValidator checks it).</summary>
    public enum KernelOverlap
    {
        /// <summary>Apart from every other operand of the step: the kernel reads its inputs after it has begun writing.</summary>
        None,

        /// <summary>
        /// May be exactly one of <see cref="KernelParameter.OverlapWith"/> (same memory, same first byte, at least as long as
        /// the output): the kernel reads each element before it writes that position. Apart from everything else.
        /// </summary>
        InPlace,

        /// <summary>May overlap <see cref="KernelParameter.OverlapWith"/> in any way (the kernel moves memory as memmove does).</summary>
        Any,
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

        /// <summary>The kernel writes this tensor (every tensor not marked so it only reads).</summary>
        public bool IsWritten { get; private set; }

        /// <summary>For a written tensor: how it may share memory with the tensors named in <see cref="OverlapWith"/>.</summary>
        public KernelOverlap Overlap { get; private set; }

        /// <summary>The read tensors a written one may share memory with, as <see cref="Overlap"/> says.</summary>
        public string[] OverlapWith { get; private set; } = Array.Empty<string>();

        /// <summary>This tensor, written by the kernel and apart from every other operand of the step.</summary>
        public KernelParameter Writes() => Writes(KernelOverlap.None);

        /// <summary>This tensor, written by the kernel, which may share memory with <paramref name="with"/> as <paramref name="overlap"/> says.</summary>
        public KernelParameter Writes(KernelOverlap overlap, params string[] with) =>
            new KernelParameter(Name, Kind, ElementType, Optional, SymbolType) { IsWritten = true, Overlap = overlap, OverlapWith = with };

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

        /// <summary>Whether operands <paramref name="a"/> and <paramref name="b"/> start at the same byte of the same memory (one is written in place of the other).</summary>
        public bool SameStart(string a, string b) =>
            _step.Find(a)!.Value.Operand is { } x && _step.Find(b)!.Value.Operand is { } y && x.Region == y.Region && x.Index == y.Index && x.ByteOffset == y.ByteOffset;

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
        /// <summary>Columns per packed GEMM panel (FP32): B is stored as ceil(n/16) panels of k rows × 16.</summary>
        public const int GemmF32PanelWidth = 16;

        private static readonly Dictionary<string, KernelSignature> s_byName = Build();

        public static IEnumerable<KernelSignature> All => s_byName.Values;

        public static KernelSignature? Find(string name) => s_byName.TryGetValue(name, out var k) ? k : null;

        /// <summary>Floats of a B matrix [k, n] packed into 16-column panels (zero-padded).</summary>
        public static long PackedGemmF32Length(long n, long k) => (n + GemmF32PanelWidth - 1) / GemmF32PanelWidth * GemmF32PanelWidth * k;

        /// <summary>
        /// Elements of one im2col block: ConvF32.Im2ColBlockFloats and ConvU8S8.Im2ColBlockBytes (the kernels build im2col a
        /// block of output pixels at a time, so scratch holds one block, not the whole matrix).
        /// </summary>
        public const long Im2ColBlockElements = 32 * 1024;

        /// <summary>
        /// Floats of im2col scratch ConvF32.Gemm needs: one block of whole 6-row tiles (ConvF32.Im2ColBlockRows), at most
        /// all output pixels; none for a plain 1×1, stride-1, unpadded convolution.
        /// </summary>
        public static long ConvF32ScratchLength(long oh, long ow, long kh, long kw, long sh, long sw, long pt, long pl, long pb, long pr, long icPerGroup, long group) =>
            Im2ColScratchLength(oh, ow, kh, kw, sh, sw, pt, pl, pb, pr, icPerGroup, group, tileRows: 6);

        /// <summary>min(pixels, the block's rows) · K, the rows a whole number of GEMM tiles; 0 where x is A directly.</summary>
        internal static long Im2ColScratchLength(long oh, long ow, long kh, long kw, long sh, long sw, long pt, long pl, long pb, long pr,
            long icPerGroup, long group, long tileRows)
        {
            bool direct = kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && pb == 0 && pr == 0 && group == 1;
            if (direct) return 0;
            long k = kh * kw * icPerGroup;
            long blockRows = Math.Max(tileRows, Im2ColBlockElements / Math.Max(1, k) / tileRows * tileRows);
            return Math.Min(oh * ow, blockRows) * k;
        }

        /// <summary>
        /// Bytes of expanded rows a fused expansion + depthwise step keeps in scratch by default: small enough to stay in
        /// L2 with its band of x and y. On MobileNetV2-224 FP32, 128 KB and 256 KB measured the same.
        /// </summary>
        public const long ExpandDepthwiseBandBytes = 128 * 1024;

        /// <summary>
        /// Input rows of the expanded tensor [ih, iw, c] a fused expansion + depthwise step (ConvU8S8.ExpandDepthwise,
        /// ConvF32.ExpandDepthwise) computes per band: one window ((kh − 1)·dh + 1 rows) plus sh rows per further output
        /// row, as many as fit in <paramref name="bandBytes"/>, never more than ih (nor fewer than one window).
        /// </summary>
        public static long ExpandDepthwiseBandRows(long ih, long iw, long c, long kh, long sh, long dh, long elementBytes, long bandBytes)
        {
            long window = (kh - 1) * dh + 1;
            long fit = bandBytes / Math.Max(1, iw * c * elementBytes);
            long outputRows = fit >= window ? (fit - window) / Math.Max(1, sh) + 1 : 1;
            long rows = window + (outputRows - 1) * sh;
            return Math.Max(window, Math.Min(rows, ih));
        }

        private static string? ExpandDepthwiseBandCheck(long bandRows, long kh, long dh, long sh) =>
            kh < 1 || dh < 1 || sh < 1 ? string.Format(CultureInfo.InvariantCulture, "kh {0}, dh {1} and sh {2} must be at least 1", kh, dh, sh)
            : bandRows >= (kh - 1) * dh + 1 ? null
            : string.Format(CultureInfo.InvariantCulture, "bandRows {0} is less than the window's {1} rows", bandRows, (kh - 1) * dh + 1);

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
                    new[] { T("x", null), T("y", null).Writes(KernelOverlap.Any, "x"), I("count") },
                    a => StepArguments.First(a.AtLeast("x", a.Int("count")), a.AtLeast("y", a.Int("count")))),

                // for b < blocks: y[b·yStride …] = x[b·xStride …], blockLength elements each (Concat).
                new KernelSignature("CopyBlocks", "DataMovement.CopyBlocks", true,
                    new[] { T("x", null), T("y", null).Writes(), I("blocks"), I("blockLength"), I("xStride"), I("yStride") },
                    a => StepArguments.First(
                        a.AtLeast("x", Strided(a.Int("blocks"), a.Int("blockLength"), a.Int("xStride"))),
                        a.AtLeast("y", Strided(a.Int("blocks"), a.Int("blockLength"), a.Int("yStride"))))),

                // y = transpose(x, perm); shape is x's shape.
                new KernelSignature("Transpose", "DataMovement.Transpose", true,
                    new[] { T("x", null), T("y", null).Writes(), Is("shape"), Is("perm") },
                    a => StepArguments.First(a.AtLeast("x", Product(a.Ints("shape"))), a.AtLeast("y", Product(a.Ints("shape"))))),

                // NHWC convolution through (implicit) im2col and a packed GEMM; w packed per group.
                new KernelSignature("ConvF32.Gemm", "ConvF32.Gemm", false,
                    new[] { T("x"), T("w"), T("bias", optional: true), T("y").Writes(), T("scratch", optional: true).Writes(),
                            I("ih"), I("iw"), I("ic"), I("oh"), I("ow"), I("oc"), I("kh"), I("kw"), I("sh"), I("sw"),
                            I("pt"), I("pl"), I("pb"), I("pr"), I("dh"), I("dw"), I("group"), S("act", "Activation"), F("alpha"), F("beta") },
                    a => StepArguments.First(
                        a.AtLeast("x", a.Int("ih") * a.Int("iw") * a.Int("ic")),
                        a.AtLeast("w", a.Int("group") * PackedGemmF32Length(a.Int("oc") / a.Int("group"), a.Int("kh") * a.Int("kw") * a.Int("ic") / a.Int("group"))),
                        a.AtLeast("bias", a.Int("oc")),
                        a.AtLeast("y", a.Int("oh") * a.Int("ow") * a.Int("oc")),
                        a.AtLeast("scratch", ConvF32ScratchLength(a.Int("oh"), a.Int("ow"), a.Int("kh"), a.Int("kw"), a.Int("sh"), a.Int("sw"),
                            a.Int("pt"), a.Int("pl"), a.Int("pb"), a.Int("pr"), a.Int("ic") / a.Int("group"), a.Int("group"))))),

                // NHWC depthwise convolution (group == ic == oc); w is [kh*kw, c].
                new KernelSignature("ConvF32.Depthwise", "ConvF32.Depthwise", false,
                    new[] { T("x"), T("w"), T("bias", optional: true), T("y").Writes(),
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
                            T("wd"), T("biasD", optional: true), T("y").Writes(), T("scratch").Writes(), I("bandRows"),
                            I("ih"), I("iw"), I("ic"), I("c"), I("oh"), I("ow"), I("kh"), I("kw"), I("sh"), I("sw"),
                            I("pt"), I("pl"), I("dh"), I("dw"), S("act", "Activation"), F("alpha"), F("beta") },
                    a => StepArguments.First(
                        ExpandDepthwiseBandCheck(a.Int("bandRows"), a.Int("kh"), a.Int("dh"), a.Int("sh")),
                        a.AtLeast("x", a.Int("ih") * a.Int("iw") * a.Int("ic")),
                        a.AtLeast("we", PackedGemmF32Length(a.Int("c"), a.Int("ic"))),
                        a.AtLeast("biasE", a.Int("c")),
                        a.AtLeast("wd", a.Int("kh") * a.Int("kw") * a.Int("c")),
                        a.AtLeast("biasD", a.Int("c")),
                        a.AtLeast("y", a.Int("oh") * a.Int("ow") * a.Int("c")),
                        a.AtLeast("scratch", a.Int("bandRows") * a.Int("iw") * a.Int("c")))),

                // A plain 1×1 convolution with a residual added: y = act(x [pixels, ic] · w + bias) + r (w packed as GemmF32's
                // B [ic, oc]); the values of ConvF32.Gemm then BinaryF32 Add. y is written chunk by chunk while x and r are
                // still read, so it must not overlap them.
                new KernelSignature("ConvF32.PointwiseAdd", "ConvF32.PointwiseAdd", false,
                    new[] { T("x"), T("w"), T("bias", optional: true), T("r"), T("y").Writes(), I("pixels"), I("ic"), I("oc"),
                            S("act", "Activation"), F("alpha"), F("beta") },
                    a => StepArguments.First(
                        a.AtLeast("x", a.Int("pixels") * a.Int("ic")),
                        a.AtLeast("w", PackedGemmF32Length(a.Int("oc"), a.Int("ic"))),
                        a.AtLeast("bias", a.Int("oc")),
                        a.AtLeast("r", a.Int("pixels") * a.Int("oc")),
                        a.AtLeast("y", a.Int("pixels") * a.Int("oc")))),

                // y[m, n] = act(x[m, k] · B[k, n] + bias[n]); b packed into 16-column panels.
                new KernelSignature("GemmF32", "GemmF32.Run", false,
                    new[] { T("x"), T("b"), T("bias", optional: true), T("y").Writes(), I("m"), I("n"), I("k"), S("act", "Activation"), F("alpha"), F("beta") },
                    a => StepArguments.First(
                        a.AtLeast("x", a.Int("m") * a.Int("k")),
                        a.AtLeast("b", PackedGemmF32Length(a.Int("n"), a.Int("k"))),
                        a.AtLeast("bias", a.Int("n")),
                        a.AtLeast("y", a.Int("m") * a.Int("n")))),

                // y[m, n] = x[m, k] · B for a run-time B: b is [k, n], or [n, k] read transposed when transB = 1.
                new KernelSignature("MatMulF32", "MatMulF32.Run", false,
                    new[] { T("x"), T("b"), T("y").Writes(), I("m"), I("n"), I("k"), I("transB") },
                    a => StepArguments.First(
                        a.AtLeast("x", a.Int("m") * a.Int("k")),
                        a.AtLeast("b", a.Int("k") * a.Int("n")),
                        a.AtLeast("y", a.Int("m") * a.Int("n")))),

                // NHWC pooling; windows are clipped to the input (padding never read).
                Pool("PoolF32.Max", "PoolF32.Max"),
                Pool("PoolF32.Average", "PoolF32.Average", I("countIncludePad")),

                // y[c] = mean over hw of x[hw, c] (NHWC).
                new KernelSignature("PoolF32.GlobalAverage", "PoolF32.GlobalAverage", false,
                    new[] { T("x"), T("y").Writes(), I("hw"), I("c") },
                    a => StepArguments.First(a.AtLeast("x", a.Int("hw") * a.Int("c")), a.AtLeast("y", a.Int("c")))),

                // y[c] = max over hw of x[hw, c] (NHWC).
                new KernelSignature("PoolF32.GlobalMax", "PoolF32.GlobalMax", false,
                    new[] { T("x"), T("y").Writes(), I("hw"), I("c") },
                    a => StepArguments.First(a.AtLeast("x", a.Int("hw") * a.Int("c")), a.AtLeast("y", a.Int("c")))),

                // y = a (op) b with numpy broadcasting: element strides of a and b per output axis (0 = broadcast).
                new KernelSignature("BinaryF32", "ElementwiseF32.Binary", false,
                    new[] { T("a"), T("b"), T("y").Writes(KernelOverlap.InPlace, "a", "b"), S("op", "BinaryOp"), Is("shape"), Is("aStrides"), Is("bStrides") },
                    a => StepArguments.First(
                        a.AtLeast("a", Span(a.Ints("shape"), a.Ints("aStrides"))),
                        a.AtLeast("b", Span(a.Ints("shape"), a.Ints("bStrides"))),
                        a.AtLeast("y", Product(a.Ints("shape"))),
                        InPlaceAtOwnOffsets(a, "a", "aStrides"),
                        InPlaceAtOwnOffsets(a, "b", "bStrides"))),

                // y = act(x) elementwise.
                new KernelSignature("ActivationF32", "ElementwiseF32.Activate", false,
                    new[] { T("x"), T("y").Writes(KernelOverlap.InPlace, "x"), I("count"), S("act", "Activation"), F("alpha"), F("beta") },
                    a => StepArguments.First(a.AtLeast("x", a.Int("count")), a.AtLeast("y", a.Int("count")))),

                // Softmax (or LogSoftmax when log = 1) over the middle axis of x viewed as [outer, axis, inner].
                new KernelSignature("SoftmaxF32", "SoftmaxF32.Run", false,
                    new[] { T("x"), T("y").Writes(), I("outer"), I("axis"), I("inner"), I("log") },
                    a => StepArguments.First(
                        a.AtLeast("x", a.Int("outer") * a.Int("axis") * a.Int("inner")),
                        a.AtLeast("y", a.Int("outer") * a.Int("axis") * a.Int("inner")))),
            };

            list.AddRange(Int8Kernels());
            list.AddRange(TensorKernels());
            list.AddRange(QdqKernels());
            list.AddRange(MlKernels());

            var byName = new Dictionary<string, KernelSignature>(StringComparer.Ordinal);
            foreach (var k in list) byName.Add(k.Name, k);
            return byName;
        }

        private static KernelSignature Pool(string name, string method, params KernelParameter[] extra)
        {
            var p = new List<KernelParameter>
            {
                T("x"), T("y").Writes(), I("ih"), I("iw"), I("c"), I("oh"), I("ow"), I("kh"), I("kw"), I("sh"), I("sw"), I("pt"), I("pl"), I("dh"), I("dw"),
            };
            p.AddRange(extra);
            return new KernelSignature(name, method, false, p.ToArray(),
                a => StepArguments.First(
                    a.AtLeast("x", a.Int("ih") * a.Int("iw") * a.Int("c")),
                    a.AtLeast("y", a.Int("oh") * a.Int("ow") * a.Int("c"))));
        }

        /// <summary>
        /// When y is written in place of <paramref name="operand"/>, the operand must be read at y's own offsets (its strides
        /// those of a contiguous tensor of y's shape, size-1 axes aside): else the kernel would read elements it already wrote.
        /// </summary>
        private static string? InPlaceAtOwnOffsets(StepArguments a, string operand, string strides)
        {
            if (!a.SameStart(operand, "y")) return null;
            long[] shape = a.Ints("shape"), s = a.Ints(strides);
            long expected = 1;
            for (int i = shape.Length - 1; i >= 0; i--)
            {
                if (shape[i] != 1 && (i >= s.Length || s[i] != expected))
                    return "y is written in place of '" + operand + "', which is not read at y's own offsets (" + strides + " is not contiguous over shape)";
                expected *= shape[i];
            }
            return null;
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
