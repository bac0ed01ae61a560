// Catalog entries for reductions, normalizations and indexing (Gather, Slice, Split, Pad): FP32 math, type-agnostic movement.
using System.Collections.Generic;

namespace QuantGen.Plan
{
    public static partial class KernelCatalog
    {
        private static IEnumerable<KernelSignature> TensorKernels() => new[]
        {
            // y = reduce(x) over the axes flagged 1 in reduced (one flag per axis of shape); y holds the kept axes.
            new KernelSignature("ReduceF32", "ReduceF32.Run", false,
                new[] { T("x"), T("y").Writes(), Is("shape"), Is("reduced"), S("op", "ReduceOp") },
                a => StepArguments.First(a.AtLeast("x", Product(a.Ints("shape"))), a.AtLeast("y", Kept(a.Ints("shape"), a.Ints("reduced"))))),

            // LayerNormalization over rows × cols; scale/bias of length cols; mean/invStdDev (optional) of length rows.
            new KernelSignature("NormalizationF32.Layer", "NormalizationF32.Layer", false,
                new[] { T("x"), T("scale"), T("bias", optional: true), T("y").Writes(), T("mean", optional: true).Writes(), T("invStdDev", optional: true).Writes(),
                        I("rows"), I("cols"), F("epsilon") },
                a => StepArguments.First(
                    a.AtLeast("x", a.Int("rows") * a.Int("cols")), a.AtLeast("scale", a.Int("cols")), a.AtLeast("bias", a.Int("cols")),
                    a.AtLeast("y", a.Int("rows") * a.Int("cols")), a.AtLeast("mean", a.Int("rows")), a.AtLeast("invStdDev", a.Int("rows")))),

            // InstanceNormalization of NCHW data viewed as [n, c, hw]; scale and bias per channel.
            new KernelSignature("NormalizationF32.Instance", "NormalizationF32.Instance", false,
                new[] { T("x"), T("scale"), T("bias"), T("y").Writes(), I("n"), I("c"), I("hw"), F("epsilon") },
                a => StepArguments.First(
                    a.AtLeast("x", a.Int("n") * a.Int("c") * a.Int("hw")), a.AtLeast("scale", a.Int("c")), a.AtLeast("bias", a.Int("c")),
                    a.AtLeast("y", a.Int("n") * a.Int("c") * a.Int("hw")))),

            // y[o, j, :] = x[o, indices[j], :] with x viewed as [outer, axis, inner]; indices int64 (or int32), negative from the end.
            new KernelSignature("Gather", "Indexing.Gather", true,
                new[] { T("x", null), T("indices", PlanElementType.Int64), T("y", null).Writes(), I("outer"), I("axis"), I("inner"), I("count") },
                a => StepArguments.First(
                    a.AtLeast("x", a.Int("outer") * a.Int("axis") * a.Int("inner")), a.AtLeast("indices", a.Int("count")),
                    a.AtLeast("y", a.Int("outer") * a.Int("count") * a.Int("inner")))),

            new KernelSignature("GatherInt32", "Indexing.GatherInt32", true,
                new[] { T("x", null), T("indices", PlanElementType.Int32), T("y", null).Writes(), I("outer"), I("axis"), I("inner"), I("count") },
                a => StepArguments.First(
                    a.AtLeast("x", a.Int("outer") * a.Int("axis") * a.Int("inner")), a.AtLeast("indices", a.Int("count")),
                    a.AtLeast("y", a.Int("outer") * a.Int("count") * a.Int("inner")))),

            // im2col of one image and group in the ONNX order: col [c·kh·kw, oh·ow] (padding reads as 0).
            new KernelSignature("Im2ColF32", "Im2ColF32.Run", false,
                new[] { T("x"), T("col").Writes(), I("c"), I("ih"), I("iw"), I("oh"), I("ow"), I("kh"), I("kw"), I("sh"), I("sw"), I("pt"), I("pl"), I("dh"), I("dw") },
                a => StepArguments.First(
                    a.AtLeast("x", a.Int("c") * a.Int("ih") * a.Int("iw")),
                    a.AtLeast("col", a.Int("c") * a.Int("kh") * a.Int("kw") * a.Int("oh") * a.Int("ow")))),

            // y[i] = x[index[i]] (0 where index[i] = −1) for i < count through an int32 table; x holds xCount elements.
            new KernelSignature("Take", "Indexing.Take", true,
                new[] { T("x", null), T("index", PlanElementType.Int32), T("y", null).Writes(), I("count"), I("xCount") },
                a => StepArguments.First(a.AtLeast("x", a.Int("xCount")), a.AtLeast("index", a.Int("count")), a.AtLeast("y", a.Int("count")))),

            // Cast to float32 from any numeric type T (not bool), and back.
            new KernelSignature("CastToF32", "Cast.ToF32", true,
                new[] { T("x", null), T("y").Writes(), I("count") },
                a => StepArguments.First(a.AtLeast("x", a.Int("count")), a.AtLeast("y", a.Int("count")))),
            new KernelSignature("CastFromF32", "Cast.FromF32", true,
                new[] { T("x"), T("y", null).Writes(), I("count") },
                a => StepArguments.First(a.AtLeast("x", a.Int("count")), a.AtLeast("y", a.Int("count")))),

            // y (contiguous, shape) = x[offset + Σ index·strides] (Slice, Split); strides may be negative.
            new KernelSignature("Strided", "Indexing.Strided", true,
                new[] { T("x", null), T("y", null).Writes(), Is("shape"), Is("strides"), I("offset") },
                a => StridedExtent(a)),

            // Resize: separable taps; axis a's (index, weight) for output position j start at entry starts[a] + j·taps[a].
            new KernelSignature("ResizeF32", "ResizeF32.Run", false,
                new[] { T("x"), T("index", PlanElementType.Int32), T("weight"), T("y").Writes(), Is("shape"), Is("strides"), Is("taps"), Is("starts"), F("extrapolation") },
                a => ResizeExtent(a)),

            // Pad: output position j of axis a reads input position map[starts[a] + j], or value[0] when that is −1.
            new KernelSignature("Pad", "Indexing.Pad", true,
                new[] { T("x", null), T("value", null), T("y", null).Writes(), Is("shape"), Is("strides"), Is("map"), Is("starts") },
                a => PadExtent(a)),
        };

        private static long Kept(long[] shape, long[] reduced)
        {
            long kept = 1;
            for (int i = 0; i < shape.Length; i++) if (i >= reduced.Length || reduced[i] == 0) kept *= shape[i];
            return kept;
        }

        private static string? StridedExtent(StepArguments a)
        {
            long[] shape = a.Ints("shape"), strides = a.Ints("strides");
            if (Product(shape) == 0) return null;
            long low = a.Int("offset"), high = a.Int("offset");
            for (int i = 0; i < shape.Length; i++)
            {
                long reach = (shape[i] - 1) * strides[i];
                if (reach < 0) low += reach; else high += reach;
            }
            if (low < 0) return "operand 'x' is read before its start (offset " + low + ")";
            return StepArguments.First(a.AtLeast("x", high + 1), a.AtLeast("y", Product(shape)));
        }

        private static string? ResizeExtent(StepArguments a)
        {
            long[] shape = a.Ints("shape"), strides = a.Ints("strides"), taps = a.Ints("taps"), starts = a.Ints("starts");
            if (Product(shape) == 0) return null;
            if (strides.Length != shape.Length || taps.Length != shape.Length || starts.Length != shape.Length) return "ResizeF32: shape, strides, taps and starts differ in length";
            long entries = 0;
            for (int i = 0; i < shape.Length; i++) entries = System.Math.Max(entries, starts[i] + shape[i] * taps[i]);
            // The compiler's index table stays inside x (checked when it is built); here the tables must cover every tap.
            return StepArguments.First(a.AtLeast("index", entries), a.AtLeast("weight", entries), a.AtLeast("y", Product(shape)));
        }

        private static string? PadExtent(StepArguments a)
        {
            long[] shape = a.Ints("shape"), strides = a.Ints("strides"), map = a.Ints("map"), starts = a.Ints("starts");
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
            return StepArguments.First(a.AtLeast("x", high + 1), a.AtLeast("value", 1), a.AtLeast("y", Product(shape)));
        }
    }
}
