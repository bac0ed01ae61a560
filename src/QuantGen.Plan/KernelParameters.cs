// Every parameter name a kernel takes, written once with its kind. Catalog signatures list these keys and the compiler's
// kernel calls set them, so no parameter name is a string outside this file and a value of the wrong kind does not compile.
namespace QuantGen.Plan
{
    /// <summary>A kernel parameter as the plan names it (the kernel method's own parameter name), and its kind.</summary>
    public abstract class ParameterKey
    {
        private protected ParameterKey(string name, KernelParameterKind kind)
        {
            Name = name;
            Kind = kind;
        }

        public string Name { get; }
        public KernelParameterKind Kind { get; }

        public override string ToString() => Name;
    }

    /// <summary>A pointer to elements (a <see cref="PlanOperand"/>); its element type is the signature's to say.</summary>
    public sealed class TensorKey : ParameterKey
    {
        internal TensorKey(string name) : base(name, KernelParameterKind.Tensor) { }

        /// <summary>This tensor in a signature where it may be null (a missing bias, scratch a plain 1×1 convolution does not need).</summary>
        public TensorSlot Optional => new TensorSlot(this).Optional;

        /// <summary>This tensor in a signature that writes it, apart from every other operand of the step.</summary>
        public TensorSlot Written => new TensorSlot(this).Written;

        /// <summary>This tensor in a signature that writes it, sharing memory with <paramref name="with"/> as <paramref name="overlap"/> allows.</summary>
        public TensorSlot WrittenOver(KernelOverlap overlap, params TensorKey[] with) => new TensorSlot(this).WrittenOver(overlap, with);
    }

    /// <summary>A tensor parameter as a signature lists it: its key, whether a null operand is allowed, and whether (and how) the kernel writes it.</summary>
    public readonly struct TensorSlot
    {
        private TensorSlot(TensorKey key, bool optional, bool written, KernelOverlap overlap, TensorKey[] overlapWith)
        {
            Key = key;
            IsOptional = optional;
            IsWritten = written;
            Overlap = overlap;
            OverlapWith = overlapWith;
        }

        public TensorSlot(TensorKey key) : this(key, false, false, KernelOverlap.None, new TensorKey[0]) { }

        public TensorKey Key { get; }
        public bool IsOptional { get; }
        public bool IsWritten { get; }
        public KernelOverlap Overlap { get; }
        public TensorKey[] OverlapWith { get; }

        public TensorSlot Optional => new TensorSlot(Key, true, IsWritten, Overlap, OverlapWith);

        public TensorSlot Written => new TensorSlot(Key, IsOptional, true, KernelOverlap.None, new TensorKey[0]);

        public TensorSlot WrittenOver(KernelOverlap overlap, params TensorKey[] with) => new TensorSlot(Key, IsOptional, true, overlap, with);

        public static implicit operator TensorSlot(TensorKey key) => new TensorSlot(key);
    }

    public sealed class IntKey : ParameterKey
    {
        internal IntKey(string name) : base(name, KernelParameterKind.Int) { }
    }

    public sealed class FloatKey : ParameterKey
    {
        internal FloatKey(string name) : base(name, KernelParameterKind.Float) { }
    }

    public sealed class IntsKey : ParameterKey
    {
        internal IntsKey(string name) : base(name, KernelParameterKind.Ints) { }
    }

    /// <summary>A member of a kernel enum, named by <see cref="SymbolType"/> (e.g. "Activation").</summary>
    public sealed class SymbolKey : ParameterKey
    {
        internal SymbolKey(string name, string symbolType) : base(name, KernelParameterKind.Symbol) { SymbolType = symbolType; }

        public string SymbolType { get; }
    }

    /// <summary>The parameter vocabulary of the kernel library (import with <c>using static</c>).</summary>
    public static class KernelParameters
    {
        // ---- operands ----
        public static readonly TensorKey X = T("x"), Y = T("y"), W = T("w"), A = T("a"), B = T("b"), R = T("r");
        public static readonly TensorKey Bias = T("bias"), Scratch = T("scratch");
        public static readonly TensorKey We = T("we"), BiasE = T("biasE"), Wd = T("wd"), BiasD = T("biasD");

        // ---- image geometry: input, output, window, stride, padding (top, left, bottom, right), dilation ----
        public static readonly IntKey Ih = I("ih"), Iw = I("iw"), Ic = I("ic"), Oh = I("oh"), Ow = I("ow"), Oc = I("oc"), C = I("c");
        public static readonly IntKey Kh = I("kh"), Kw = I("kw"), Sh = I("sh"), Sw = I("sw"), Dh = I("dh"), Dw = I("dw");
        public static readonly IntKey Pt = I("pt"), Pl = I("pl"), Pb = I("pb"), Pr = I("pr");
        public static readonly IntKey Group = I("group"), Hw = I("hw"), Pixels = I("pixels"), BandRows = I("bandRows"), CountIncludePad = I("countIncludePad");

        // ---- matrix products: y [m, n] = x [m, k] · B [k, n] ----
        public static readonly IntKey M = I("m"), N = I("n"), K = I("k"), TransB = I("transB");

        // ---- activations (QuantGen.Kernels.Activation and its two parameters); E: a fused expansion's own ----
        public static readonly SymbolKey Act = new SymbolKey("act", "Activation"), ActE = new SymbolKey("actE", "Activation");
        public static readonly FloatKey Alpha = F("alpha"), Beta = F("beta"), AlphaE = F("alphaE"), BetaE = F("betaE");

        // ---- elementwise, reductions, normalizations ----
        public static readonly SymbolKey BinaryOp = new SymbolKey("op", "BinaryOp"), ReduceOp = new SymbolKey("op", "ReduceOp");
        public static readonly IntsKey Shape = Is("shape"), AStrides = Is("aStrides"), BStrides = Is("bStrides"), Reduced = Is("reduced");
        public static readonly IntKey Count = I("count"), Outer = I("outer"), Axis = I("axis"), Inner = I("inner"), Log = I("log");
        public static readonly IntKey Rows = I("rows"), Cols = I("cols");
        public static readonly TensorKey Scales = T("scale"), Mean = T("mean"), InvStdDev = T("invStdDev");
        public static readonly FloatKey Epsilon = F("epsilon");

        // ---- data movement and indexing ----
        public static readonly IntKey Blocks = I("blocks"), BlockLength = I("blockLength"), XStride = I("xStride"), YStride = I("yStride");
        public static readonly IntKey Offset = I("offset"), XCount = I("xCount");
        public static readonly IntsKey Perm = Is("perm"), Strides = Is("strides"), Map = Is("map"), Starts = Is("starts"), Taps = Is("taps");
        public static readonly TensorKey Indices = T("indices"), Index = T("index"), Weight = T("weight"), Col = T("col"), PadValue = T("value");
        public static readonly FloatKey Extrapolation = F("extrapolation");

        // ---- linear quantization (QuantizeLinear / DequantizeLinear in float32) ----
        public static readonly TensorKey ZeroPoint = T("zeroPoint");
        public static readonly IntKey Channels = I("channels"), Qmin = I("qmin"), Qmax = I("qmax");

        // ---- INT8: zero points, fixed-point multipliers (per channel: int32 tensors; per tensor: ints) and shifts ----
        public static readonly IntKey Zp = I("zp"), ZpIn = I("zpIn"), ZpOut = I("zpOut"), ZpMid = I("zpMid"), Features = I("features");
        public static readonly FloatKey Scale = F("scale"), InvScale = F("invScale");
        public static readonly TensorKey Multipliers = T("multiplier"), MultipliersE = T("multiplierE"), MultipliersD = T("multiplierD");
        public static readonly IntKey Multiplier = I("multiplier"), Shift = I("shift"), ShiftE = I("shiftE"), ShiftD = I("shiftD");
        public static readonly IntKey QminE = I("qminE"), QmaxE = I("qmaxE"), QminMid = I("qminMid"), QmaxMid = I("qmaxMid");
        public static readonly IntKey MidMultiplier = I("midMultiplier"), MidShift = I("midShift"), RZp = I("rZp"), RMultiplier = I("rMultiplier"), RShift = I("rShift");
        public static readonly IntKey AZp = I("aZp"), AMultiplier = I("aMultiplier"), AShift = I("aShift"), BZp = I("bZp"), BMultiplier = I("bMultiplier"), BShift = I("bShift");
        public static readonly IntKey YZp = I("yZp"), YMultiplier = I("yMultiplier"), YShift = I("yShift");

        // ---- Int8Dynamic: quantization parameters measured on each call ----
        public static readonly TensorKey QParams = T("qparams"), ColumnSums = T("columnSums"), WeightScale = T("weightScale"), BiasOut = T("biasOut"), ScaleOut = T("scaleOut");

        // ---- ai.onnx.ml: tree ensembles (TreeLayout) ----
        public static readonly TensorKey Feature = T("feature"), Thresholds = T("threshold"), Leaf = T("leaf"), Child = T("child"), Root = T("root"), Block = T("block");
        public static readonly TensorKey PackedNodes = T("node"), TreeClass = T("treeClass");
        public static readonly TensorKey WeightStart = T("weightStart"), WeightClass = T("weightClass"), WeightValue = T("weightValue"), BaseValues = T("baseValues");
        public static readonly TensorKey ClassLabels = T("classLabels"), Label = T("label");
        public static readonly IntKey Nodes = I("nodes"), NodeInts = I("nodeInts"), LeafInts = I("leafInts"), FlatNodes = I("flatNodes"), Leaves = I("leaves"), Weights = I("weights");
        public static readonly IntKey Trees = I("trees"), Classes = I("classes"), BaseCount = I("baseCount"), BinaryCase = I("binaryCase"), AllPositive = I("allPositive");
        public static readonly IntKey OneClass = I("oneClass");
        public static readonly SymbolKey LeafEntry = new SymbolKey("leafEntry", "TreeLeafEntry");
        public static readonly SymbolKey EnsembleOutput = new SymbolKey("output", "TreeOutput"), EnsembleAggregate = new SymbolKey("aggregate", "TreeAggregate");
        public static readonly SymbolKey PostTransform = new SymbolKey("transform", "TreeTransform");

        // ---- ai.onnx.ml: preprocessing and linear models ----
        public static readonly TensorKey Offsets = T("offset"), Imputed = T("imputed"), Categories = T("categories"), Keys = T("keys"), Values = T("values");
        public static readonly IntKey Per = I("per"), Columns = I("columns"), Targets = I("targets"), Labels = I("labels"), CategoryCount = I("categoryCount");
        public static readonly IntKey KeyCount = I("keyCount"), DefaultValue = I("defaultValue");
        public static readonly FloatKey Threshold = F("threshold"), Replaced = F("replaced");
        public static readonly SymbolKey NormKind = new SymbolKey("norm", "NormKind");

        private static TensorKey T(string name) => new TensorKey(name);

        private static IntKey I(string name) => new IntKey(name);

        private static FloatKey F(string name) => new FloatKey(name);

        private static IntsKey Is(string name) => new IntsKey(name);
    }
}
