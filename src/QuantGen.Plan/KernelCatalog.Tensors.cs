// Catalog entries for reductions, normalizations and indexing (Gather, Slice, Split, Pad): FP32 math, type-agnostic movement.
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Plan
{
    public static partial class KernelCatalog
    {
        /// <summary>y = reduce(x) over the axes flagged 1 in reduced (one flag per axis of shape); y holds the kept axes.</summary>
        public static readonly KernelSignature ReduceF32 = KernelSignature.Define("ReduceF32", "ReduceF32.Run")
            .F32(X, Y.Written).Ints(Shape, Reduced).Symbol(ReduceOp)
            .Extents(a => StepArguments.First(a.AtLeast(X, Product(a[Shape])), a.AtLeast(Y, Kept(a[Shape], a[Reduced]))));

        /// <summary>LayerNormalization over rows × cols; scale/bias of length cols; mean/invStdDev (optional) of length rows.</summary>
        public static readonly KernelSignature LayerNormalizationF32 = KernelSignature.Define("NormalizationF32.Layer")
            .F32(X, Scales, Bias.Optional, Y.Written, Mean.Optional.Written, InvStdDev.Optional.Written).Int(Rows, Cols).Float(Epsilon)
            .Extents(a => StepArguments.First(
                a.AtLeast(X, a[Rows] * a[Cols]), a.AtLeast(Scales, a[Cols]), a.AtLeast(Bias, a[Cols]),
                a.AtLeast(Y, a[Rows] * a[Cols]), a.AtLeast(Mean, a[Rows]), a.AtLeast(InvStdDev, a[Rows])));

        /// <summary>InstanceNormalization of NCHW data viewed as [n, c, hw]; scale and bias per channel.</summary>
        public static readonly KernelSignature InstanceNormalizationF32 = KernelSignature.Define("NormalizationF32.Instance")
            .F32(X, Scales, Bias, Y.Written).Int(N, C, Hw).Float(Epsilon)
            .Extents(a => StepArguments.First(
                a.AtLeast(X, a[N] * a[C] * a[Hw]), a.AtLeast(Scales, a[C]), a.AtLeast(Bias, a[C]),
                a.AtLeast(Y, a[N] * a[C] * a[Hw])));

        /// <summary>y[o, j, :] = x[o, indices[j], :] with x viewed as [outer, axis, inner]; indices int64, negative from the end.</summary>
        public static readonly KernelSignature Gather = KernelSignature.Define("Gather", "Indexing.Gather")
            .Generic(X).I64(Indices).Generic(Y.Written).Int(Outer, Axis, Inner, Count)
            .Extents(GatherExtents);

        /// <summary><see cref="Gather"/> with int32 indices.</summary>
        public static readonly KernelSignature GatherInt32 = KernelSignature.Define("GatherInt32", "Indexing.GatherInt32")
            .Generic(X).I32(Indices).Generic(Y.Written).Int(Outer, Axis, Inner, Count)
            .Extents(GatherExtents);

        /// <summary>im2col of one image and group in the ONNX order: col [c·kh·kw, oh·ow] (padding reads as 0).</summary>
        public static readonly KernelSignature Im2ColF32 = KernelSignature.Define("Im2ColF32", "Im2ColF32.Run")
            .F32(X, Col.Written).Int(C, Ih, Iw, Oh, Ow, Kh, Kw, Sh, Sw, Pt, Pl, Dh, Dw)
            .Extents(a => StepArguments.First(
                a.AtLeast(X, a[C] * a[Ih] * a[Iw]),
                a.AtLeast(Col, a[C] * a[Kh] * a[Kw] * a[Oh] * a[Ow])));

        /// <summary>y[i] = x[index[i]] (0 where index[i] = −1) for i &lt; count through an int32 table; x holds xCount elements.</summary>
        public static readonly KernelSignature Take = KernelSignature.Define("Take", "Indexing.Take")
            .Generic(X).I32(Index).Generic(Y.Written).Int(Count, XCount)
            .Extents(a => StepArguments.First(a.AtLeast(X, a[XCount]), a.AtLeast(Index, a[Count]), a.AtLeast(Y, a[Count])));

        /// <summary>Cast to float32 from any numeric type T (not bool).</summary>
        public static readonly KernelSignature CastToF32 = KernelSignature.Define("CastToF32", "Cast.ToF32")
            .Generic(X).F32(Y.Written).Int(Count)
            .Extents(a => StepArguments.First(a.AtLeast(X, a[Count]), a.AtLeast(Y, a[Count])));

        /// <summary>Cast from float32 to any numeric type T (not bool).</summary>
        public static readonly KernelSignature CastFromF32 = KernelSignature.Define("CastFromF32", "Cast.FromF32")
            .F32(X).Generic(Y.Written).Int(Count)
            .Extents(a => StepArguments.First(a.AtLeast(X, a[Count]), a.AtLeast(Y, a[Count])));

        /// <summary>y (contiguous, shape) = x[offset + Σ index·strides] (Slice, Split); strides may be negative.</summary>
        public static readonly KernelSignature StridedCopy = KernelSignature.Define("Strided", "Indexing.Strided")
            .Generic(X, Y.Written).Ints(Shape, Strides).Int(Offset)
            .Extents(StridedExtent);

        /// <summary>Resize: separable taps; axis a's (index, weight) for output position j start at entry starts[a] + j·taps[a].</summary>
        public static readonly KernelSignature ResizeF32 = KernelSignature.Define("ResizeF32", "ResizeF32.Run")
            .F32(X).I32(Index).F32(Weight, Y.Written).Ints(Shape, Strides, Taps, Starts).Float(Extrapolation)
            .Extents(ResizeExtent);

        /// <summary>Pad: output position j of axis a reads input position map[starts[a] + j], or value[0] when that is −1.</summary>
        public static readonly KernelSignature Pad = KernelSignature.Define("Pad", "Indexing.Pad")
            .Generic(X, PadValue, Y.Written).Ints(Shape, Strides, Map, Starts)
            .Extents(PadExtent);

        private static string? GatherExtents(StepArguments a) => StepArguments.First(
            a.AtLeast(X, a[Outer] * a[Axis] * a[Inner]), a.AtLeast(Indices, a[Count]),
            a.AtLeast(Y, a[Outer] * a[Count] * a[Inner]));

        private static long Kept(long[] shape, long[] reduced)
        {
            long kept = 1;
            for (int i = 0; i < shape.Length; i++) if (i >= reduced.Length || reduced[i] == 0) kept *= shape[i];
            return kept;
        }

        private static string? StridedExtent(StepArguments a)
        {
            long[] shape = a[Shape], strides = a[Strides];
            if (Product(shape) == 0) return null;
            long low = a[Offset], high = a[Offset];
            for (int i = 0; i < shape.Length; i++)
            {
                long reach = (shape[i] - 1) * strides[i];
                if (reach < 0) low += reach; else high += reach;
            }
            if (low < 0) return "operand 'x' is read before its start (offset " + low + ")";
            return StepArguments.First(a.AtLeast(X, high + 1), a.AtLeast(Y, Product(shape)));
        }

        private static string? ResizeExtent(StepArguments a)
        {
            long[] shape = a[Shape], strides = a[Strides], taps = a[Taps], starts = a[Starts];
            if (Product(shape) == 0) return null;
            if (strides.Length != shape.Length || taps.Length != shape.Length || starts.Length != shape.Length) return "ResizeF32: shape, strides, taps and starts differ in length";
            long entries = 0;
            for (int i = 0; i < shape.Length; i++) entries = System.Math.Max(entries, starts[i] + shape[i] * taps[i]);
            // The compiler's index table stays inside x (checked when it is built); here the tables must cover every tap.
            return StepArguments.First(a.AtLeast(Index, entries), a.AtLeast(Weight, entries), a.AtLeast(Y, Product(shape)));
        }

        private static string? PadExtent(StepArguments a)
        {
            long[] shape = a[Shape], strides = a[Strides], map = a[Map], starts = a[Starts];
            if (Product(shape) == 0) return null;
            if (starts.Length != shape.Length || strides.Length != shape.Length) return "Pad: shape, strides and starts differ in length";
            long high = 0;
            for (int i = 0; i < shape.Length; i++)
            {
                if (starts[i] < 0 || starts[i] + shape[i] > map.Length) return "Pad: map too short for axis " + i;
                long most = -1;
                for (long j = 0; j < shape[i]; j++) if (map[starts[i] + j] > most) most = map[starts[i] + j];
                if (most > 0) high += most * strides[i];
            }
            return StepArguments.First(a.AtLeast(X, high + 1), a.AtLeast(PadValue, 1), a.AtLeast(Y, Product(shape)));
        }
    }
}
