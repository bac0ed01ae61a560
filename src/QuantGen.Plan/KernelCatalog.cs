// The kernels a plan may call: each one's parameters, the C# method behind it and the memory it touches, declared once.
using System;
using System.Collections.Generic;
using QuantGen.Kernels;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Plan
{
    /// <summary>Every kernel the plan format knows, by plan name: the FP32 kernels here, the others in the other parts.</summary>
    public static partial class KernelCatalog
    {
        public static IEnumerable<KernelSignature> All => Lookup.ByName.Values;

        public static KernelSignature? Find(string name) => Lookup.ByName.TryGetValue(name, out var k) ? k : null;

        /// <summary>Called by <see cref="KernelSignature.Builder.Extents"/> as each signature field is initialized.</summary>
        internal static void Register(KernelSignature signature) => Declared.List.Add(signature);

        private static class Declared
        {
            public static readonly List<KernelSignature> List = new List<KernelSignature>();
        }

        // The field initializers of a partial class run part by part in an unspecified order, so the index is built on first
        // use, once every part's signatures exist: reading one field runs all of KernelCatalog's initializers first.
        private static class Lookup
        {
            public static readonly SortedDictionary<string, KernelSignature> ByName = Build();

            private static SortedDictionary<string, KernelSignature> Build()
            {
                GC.KeepAlive(Copy);
                var byName = new SortedDictionary<string, KernelSignature>(StringComparer.Ordinal);
                foreach (var k in Declared.List) byName.Add(k.Name, k);
                return byName;
            }
        }

        /// <summary>y[0..count) = x[0..count).</summary>
        public static readonly KernelSignature Copy = KernelSignature.Define("Copy", "DataMovement.Copy")
            .Generic(X, Y.WrittenOver(KernelOverlap.Any, X)).Int(Count)
            .Extents(a => StepArguments.First(a.AtLeast(X, a[Count]), a.AtLeast(Y, a[Count])));

        /// <summary>For b &lt; blocks: y[b·yStride …] = x[b·xStride …], blockLength elements each (Concat).</summary>
        public static readonly KernelSignature CopyBlocks = KernelSignature.Define("CopyBlocks", "DataMovement.CopyBlocks")
            .Generic(X, Y.Written).Int(Blocks, BlockLength, XStride, YStride)
            .Extents(a => StepArguments.First(
                a.AtLeast(X, Strided(a[Blocks], a[BlockLength], a[XStride])),
                a.AtLeast(Y, Strided(a[Blocks], a[BlockLength], a[YStride]))));

        /// <summary>y = transpose(x, perm); shape is x's shape.</summary>
        public static readonly KernelSignature Transpose = KernelSignature.Define("Transpose", "DataMovement.Transpose")
            .Generic(X, Y.Written).Ints(Shape, Perm)
            .Extents(a => StepArguments.First(a.AtLeast(X, Product(a[Shape])), a.AtLeast(Y, Product(a[Shape]))));

        /// <summary>NHWC convolution through (implicit) im2col and a packed GEMM; w packed per group.</summary>
        public static readonly KernelSignature ConvF32Gemm = KernelSignature.Define("ConvF32.Gemm")
            .F32(X, W, Bias.Optional, Y.Written, Scratch.Optional.Written)
            .Int(Ih, Iw, Ic, Oh, Ow, Oc, Kh, Kw, Sh, Sw, Pt, Pl, Pb, Pr, Dh, Dw, Group).Activation()
            .Extents(a => StepArguments.First(
                a.AtLeast(X, a[Ih] * a[Iw] * a[Ic]),
                a.AtLeast(W, a[Group] * GemmLayout.PackedF32Length(a[Oc] / a[Group], a[Kh] * a[Kw] * a[Ic] / a[Group])),
                a.AtLeast(Bias, a[Oc]),
                a.AtLeast(Y, a[Oh] * a[Ow] * a[Oc]),
                a.AtLeast(Scratch, ConvLayout.ScratchF32Length(a[Oh], a[Ow], a[Kh], a[Kw], a[Sh], a[Sw], a[Pt], a[Pl], a[Pb], a[Pr], a[Ic] / a[Group], a[Group]))));

        /// <summary>NHWC depthwise convolution (group == ic == oc); w is [kh*kw, c].</summary>
        public static readonly KernelSignature ConvF32Depthwise = KernelSignature.Define("ConvF32.Depthwise")
            .F32(X, W, Bias.Optional, Y.Written)
            .Int(Ih, Iw, C, Oh, Ow, Kh, Kw, Sh, Sw, Pt, Pl, Dh, Dw).Activation()
            .Extents(a => StepArguments.First(
                a.AtLeast(X, a[Ih] * a[Iw] * a[C]),
                a.AtLeast(W, a[Kh] * a[Kw] * a[C]),
                a.AtLeast(Bias, a[C]),
                a.AtLeast(Y, a[Oh] * a[Ow] * a[C])));

        /// <summary>
        /// A 1×1 expansion then a depthwise convolution, fused: mid = actE(x [ih·iw, ic] · we + biasE) [ih, iw, c] (we packed as
        /// GemmF32's B [ic, c]); y = ConvF32.Depthwise(mid, wd, biasD, act). mid is computed bandRows rows at a time into
        /// scratch (bandRows · iw · c floats), so it never exists whole; the values are those of ConvF32.Gemm then
        /// ConvF32.Depthwise.
        /// </summary>
        public static readonly KernelSignature ConvF32ExpandDepthwise = KernelSignature.Define("ConvF32.ExpandDepthwise")
            .F32(X, We, BiasE.Optional).Symbol(ActE).Float(AlphaE, BetaE)
            .F32(Wd, BiasD.Optional, Y.Written, Scratch.Written).Int(BandRows)
            .Int(Ih, Iw, Ic, C, Oh, Ow, Kh, Kw, Sh, Sw, Pt, Pl, Dh, Dw).Activation()
            .Extents(a => StepArguments.First(
                ExpandDepthwiseBandCheck(a[BandRows], a[Kh], a[Dh], a[Sh]),
                a.AtLeast(X, a[Ih] * a[Iw] * a[Ic]),
                a.AtLeast(We, GemmLayout.PackedF32Length(a[C], a[Ic])),
                a.AtLeast(BiasE, a[C]),
                a.AtLeast(Wd, a[Kh] * a[Kw] * a[C]),
                a.AtLeast(BiasD, a[C]),
                a.AtLeast(Y, a[Oh] * a[Ow] * a[C]),
                a.AtLeast(Scratch, a[BandRows] * a[Iw] * a[C])));

        /// <summary>
        /// A plain 1×1 convolution with a residual added: y = act(x [pixels, ic] · w + bias) + r (w packed as GemmF32's B
        /// [ic, oc]); the values of ConvF32.Gemm then BinaryF32 Add. y is written chunk by chunk while x and r are still read,
        /// so it must not overlap them.
        /// </summary>
        public static readonly KernelSignature ConvF32PointwiseAdd = KernelSignature.Define("ConvF32.PointwiseAdd")
            .F32(X, W, Bias.Optional, R, Y.Written).Int(Pixels, Ic, Oc).Activation()
            .Extents(a => StepArguments.First(
                a.AtLeast(X, a[Pixels] * a[Ic]),
                a.AtLeast(W, GemmLayout.PackedF32Length(a[Oc], a[Ic])),
                a.AtLeast(Bias, a[Oc]),
                a.AtLeast(R, a[Pixels] * a[Oc]),
                a.AtLeast(Y, a[Pixels] * a[Oc])));

        /// <summary>y[m, n] = act(x[m, k] · B[k, n] + bias[n]); b packed into 16-column panels.</summary>
        public static readonly KernelSignature GemmF32 = KernelSignature.Define("GemmF32", "GemmF32.Run")
            .F32(X, B, Bias.Optional, Y.Written).Int(M, N, K).Activation()
            .Extents(a => StepArguments.First(
                a.AtLeast(X, a[M] * a[K]),
                a.AtLeast(B, GemmLayout.PackedF32Length(a[N], a[K])),
                a.AtLeast(Bias, a[N]),
                a.AtLeast(Y, a[M] * a[N])));

        /// <summary>y[m, n] = x[m, k] · B for a run-time B: b is [k, n], or [n, k] read transposed when transB = 1.</summary>
        public static readonly KernelSignature MatMulF32 = KernelSignature.Define("MatMulF32", "MatMulF32.Run")
            .F32(X, B, Y.Written).Int(M, N, K, TransB)
            .Extents(a => StepArguments.First(
                a.AtLeast(X, a[M] * a[K]),
                a.AtLeast(B, a[K] * a[N]),
                a.AtLeast(Y, a[M] * a[N])));

        /// <summary>NHWC max pooling; windows are clipped to the input (padding never read).</summary>
        public static readonly KernelSignature PoolF32Max = KernelSignature.Define("PoolF32.Max")
            .F32(X, Y.Written).Int(Ih, Iw, C, Oh, Ow, Kh, Kw, Sh, Sw, Pt, Pl, Dh, Dw)
            .Extents(PoolExtents);

        /// <summary>NHWC average pooling; windows are clipped to the input (padding never read, counted when countIncludePad = 1).</summary>
        public static readonly KernelSignature PoolF32Average = KernelSignature.Define("PoolF32.Average")
            .F32(X, Y.Written).Int(Ih, Iw, C, Oh, Ow, Kh, Kw, Sh, Sw, Pt, Pl, Dh, Dw, CountIncludePad)
            .Extents(PoolExtents);

        /// <summary>y[c] = mean over hw of x[hw, c] (NHWC).</summary>
        public static readonly KernelSignature PoolF32GlobalAverage = KernelSignature.Define("PoolF32.GlobalAverage")
            .F32(X, Y.Written).Int(Hw, C)
            .Extents(a => StepArguments.First(a.AtLeast(X, a[Hw] * a[C]), a.AtLeast(Y, a[C])));

        /// <summary>y[c] = max over hw of x[hw, c] (NHWC).</summary>
        public static readonly KernelSignature PoolF32GlobalMax = KernelSignature.Define("PoolF32.GlobalMax")
            .F32(X, Y.Written).Int(Hw, C)
            .Extents(a => StepArguments.First(a.AtLeast(X, a[Hw] * a[C]), a.AtLeast(Y, a[C])));

        /// <summary>y = a (op) b with numpy broadcasting: element strides of a and b per output axis (0 = broadcast).</summary>
        public static readonly KernelSignature BinaryF32 = KernelSignature.Define("BinaryF32", "ElementwiseF32.Binary")
            .F32(A, B, Y.WrittenOver(KernelOverlap.InPlace, A, B)).Symbol(BinaryOp).Ints(Shape, AStrides, BStrides)
            .Extents(a => StepArguments.First(
                a.AtLeast(A, Span(a[Shape], a[AStrides])),
                a.AtLeast(B, Span(a[Shape], a[BStrides])),
                a.AtLeast(Y, Product(a[Shape])),
                InPlaceAtOwnOffsets(a, A, AStrides),
                InPlaceAtOwnOffsets(a, B, BStrides)));

        /// <summary>y = act(x) elementwise.</summary>
        public static readonly KernelSignature ActivationF32 = KernelSignature.Define("ActivationF32", "ElementwiseF32.Activate")
            .F32(X, Y.WrittenOver(KernelOverlap.InPlace, X)).Int(Count).Activation()
            .Extents(a => StepArguments.First(a.AtLeast(X, a[Count]), a.AtLeast(Y, a[Count])));

        /// <summary>Softmax (or LogSoftmax when log = 1) over the middle axis of x viewed as [outer, axis, inner].</summary>
        public static readonly KernelSignature SoftmaxF32 = KernelSignature.Define("SoftmaxF32", "SoftmaxF32.Run")
            .F32(X, Y.Written).Int(Outer, Axis, Inner, Log)
            .Extents(a => StepArguments.First(
                a.AtLeast(X, a[Outer] * a[Axis] * a[Inner]),
                a.AtLeast(Y, a[Outer] * a[Axis] * a[Inner])));

        /// <summary>
        /// When y is written in place of <paramref name="operand"/>, the operand must be read at y's own offsets (its strides
        /// those of a contiguous tensor of y's shape, size-1 axes aside): else the kernel would read elements it already wrote.
        /// </summary>
        private static string? InPlaceAtOwnOffsets(StepArguments a, TensorKey operand, IntsKey strides)
        {
            if (!a.SameStart(operand, Y)) return null;
            long[] shape = a[Shape], s = a[strides];
            long expected = 1;
            for (int i = shape.Length - 1; i >= 0; i--)
            {
                if (shape[i] != 1 && (i >= s.Length || s[i] != expected))
                    return "y is written in place of '" + operand.Name + "', which is not read at y's own offsets (" + strides.Name + " is not contiguous over shape)";
                expected *= shape[i];
            }
            return null;
        }

        private static string? PoolExtents(StepArguments a) => StepArguments.First(
            a.AtLeast(X, a[Ih] * a[Iw] * a[C]),
            a.AtLeast(Y, a[Oh] * a[Ow] * a[C]));

        private static string? ExpandDepthwiseBandCheck(long bandRows, long kh, long dh, long sh) =>
            kh < 1 || dh < 1 || sh < 1 ? string.Format(System.Globalization.CultureInfo.InvariantCulture, "kh {0}, dh {1} and sh {2} must be at least 1", kh, dh, sh)
            : bandRows >= FusedConvLayout.WindowRows(kh, dh) ? null
            : string.Format(System.Globalization.CultureInfo.InvariantCulture, "bandRows {0} is less than the window's {1} rows", bandRows, FusedConvLayout.WindowRows(kh, dh));

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
