// Slice, Split, Pad and ConstantOfShape: their index inputs (starts, split, pads, shape…) must be known at build time,
// the data may be computed at run time (any element type: these ops only move elements).
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators
{
    /// <summary>One axis of a slice: first element, step and element count (the ONNX clamping rules applied).</summary>
    public readonly struct SliceAxis
    {
        public SliceAxis(int start, int step, int count)
        {
            Start = start;
            Step = step;
            Count = count;
        }

        public int Start { get; }
        public int Step { get; }
        public int Count { get; }
    }

    public sealed class SliceOperator : OperatorDefinition
    {
        public SliceOperator() : base("Slice") { }

        public override string Notes => "starts, ends, axes and steps known at build time (negative steps too); data at run time";

        public override bool IsBuildTimeInput(Node node, int index) => index >= 1;

        /// <summary>Opset 10+: data, starts, ends, then optional axes and steps (before: attributes).</summary>
        public override (int Min, int Max) InputCount => (1, 5);

        private static long[]? Ints(Node node, int input, string attribute)
        {
            var a = node.Attributes.GetInts(attribute);
            if (a != null) return a;
            var v = node.Input(input);
            if (v == null) return null;
            if (v.Constant == null) throw Unsupported(node, $"{attribute} computed at run time");
            if (v.Type != DataType.Int64 && v.Type != DataType.Int32) throw Invalid(node, $"{attribute} are {DataTypes.Name(v.Type)}, not int64 or int32");
            return v.Constant.ToInt64Array();
        }

        /// <summary>The slice of every axis of an input of <paramref name="shape"/>.</summary>
        public static SliceAxis[] Axes(Node node, int[] shape)
        {
            var starts = Ints(node, 1, "starts") ?? throw Invalid(node, "starts are missing");
            var ends = Ints(node, 2, "ends") ?? throw Invalid(node, "ends are missing");
            var axes = Ints(node, 3, "axes") ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
            var steps = Ints(node, 4, "steps") ?? Enumerable.Repeat(1L, starts.Length).ToArray();
            if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
                throw Invalid(node, "starts, ends, axes and steps differ in length");
            var result = shape.Select(d => new SliceAxis(0, 1, d)).ToArray();
            var seen = new bool[shape.Length];
            for (int i = 0; i < starts.Length; i++)
            {
                int axis = Axis(node, axes[i], shape.Length);
                if (seen[axis]) throw Invalid(node, $"axis {axis} is sliced twice");
                seen[axis] = true;
                long dim = shape[axis], step = steps[i];
                if (step == 0) throw Invalid(node, "a step is 0");
                if (dim == 0)
                {
                    // Nothing to take: the clamping below (start to dim - 1 for a negative step) would count one element.
                    result[axis] = new SliceAxis(0, step > 0 ? 1 : -1, 0);
                    continue;
                }
                // Steps beyond the axis are the same as a step of the axis' size (one element), and stay in int.
                step = Math.Max(-Math.Max(dim, 1), Math.Min(Math.Max(dim, 1), step));
                long start = starts[i] < 0 ? starts[i] + dim : starts[i];
                long end = ends[i] < 0 ? ends[i] + dim : ends[i];
                if (step > 0)
                {
                    start = Math.Max(0, Math.Min(dim, start));
                    end = Math.Max(0, Math.Min(dim, end));
                }
                else
                {
                    start = Math.Max(0, Math.Min(dim - 1, start));
                    end = Math.Max(-1, Math.Min(dim - 1, end));
                }
                long count = step > 0 ? (end - start + step - 1) / step : (start - end + (-step) - 1) / (-step);
                result[axis] = new SliceAxis((int)start, (int)step, (int)Math.Max(0, count));
            }
            return result;
        }

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            var axes = Axes(node, x.Shape!);
            if (x.IsBatched) RequireSampleWise(node, x.Rank > 0 && axes[0].Count == x.Shape![0] && axes[0].Step == 1, "slices the batch axis");
            SetOutput(node, 0, x.Type, axes.Select(a => a.Count).ToArray(), x.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!;
            var axes = Axes(node, x.Shape);
            var shape = axes.Select(a => a.Count).ToArray();
            var y = Tensor.Create(x.Type, shape);
            var strides = Broadcasting.ContiguousStrides(x.Shape);
            int offset = 0;
            for (int i = 0; i < axes.Length; i++) offset += axes[i].Start * strides[i];
            var walk = strides.Select((s, i) => s * axes[i].Step).ToArray();
            var src = x.Data; var dst = y.Data;
            Broadcasting.ForEach(shape, walk, new int[shape.Length], (o, ix, _) => Array.Copy(src, offset + ix, dst, o, 1));
            return new[] { y };
        }
    }

    public sealed class SplitOperator : OperatorDefinition
    {
        public SplitOperator() : base("Split") { }

        public override string Notes => "split sizes known at build time (attribute, constant input, or equal parts)";

        public override bool IsBuildTimeInput(Node node, int index) => index == 1;

        public override (int Min, int Max) InputCount => (1, 2);

        public override int MaxOutputs => int.MaxValue;

        public static (int Axis, int[] Sizes) Parts(Node node, int[] shape)
        {
            int axis = Axis(node, node.Attributes.GetInt("axis", 0), shape.Length);
            long[]? split = node.Attributes.GetInts("split");
            var input = node.Input(1);
            if (split == null && input != null)
            {
                if (input.Constant == null) throw Unsupported(node, "split sizes computed at run time");
                split = input.Constant.ToInt64Array();
            }
            int n = node.Outputs.Count;
            if (split == null)
            {
                if (shape[axis] % n != 0) throw Invalid(node, $"axis size {shape[axis]} does not split into {n} equal parts");
                return (axis, Enumerable.Repeat(shape[axis] / n, n).ToArray());
            }
            if (split.Length != n || split.Any(p => p < 0 || p > shape[axis]) || split.Sum() != shape[axis])
                throw Invalid(node, $"split [{string.Join(",", split)}] does not fit axis size {shape[axis]} and {n} outputs");
            return (axis, split.Select(s => (int)s).ToArray());
        }

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            var (axis, sizes) = Parts(node, x.Shape!);
            if (x.IsBatched) RequireSampleWise(node, axis != 0, "splits the batch axis");
            for (int i = 0; i < sizes.Length; i++)
            {
                var shape = (int[])x.Shape!.Clone();
                shape[axis] = sizes[i];
                SetOutput(node, i, x.Type, shape, x.IsBatched);
            }
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!;
            var (axis, sizes) = Parts(node, x.Shape);
            int outer = 1, inner = 1;
            for (int i = 0; i < axis; i++) outer *= x.Shape[i];
            for (int i = axis + 1; i < x.Rank; i++) inner *= x.Shape[i];
            var results = new Tensor[sizes.Length];
            int offset = 0;
            for (int k = 0; k < sizes.Length; k++)
            {
                var shape = (int[])x.Shape.Clone();
                shape[axis] = sizes[k];
                var y = Tensor.Create(x.Type, shape);
                int block = sizes[k] * inner;
                for (int o = 0; o < outer; o++) Array.Copy(x.Data, o * x.Shape[axis] * inner + offset, y.Data, o * block, block);
                offset += block;
                results[k] = y;
            }
            return results;
        }
    }

    public sealed class PadOperator : OperatorDefinition
    {
        public PadOperator() : base("Pad") { }

        public override string Notes => "constant, reflect and edge modes; pads known at build time (negative pads crop); the value may be a run-time scalar";

        public override bool IsBuildTimeInput(Node node, int index) => index == 1 || index == 3;

        /// <summary>Opset 11+: data, pads, optional constant_value and (18) axes; before: attributes.</summary>
        public override (int Min, int Max) InputCount => (1, 4);

        /// <summary>The output shape: each axis grows by its pads (negative pads crop). Checked in long, before any table is built.</summary>
        public static int[] OutputShape(Node node, int[] shape)
        {
            var (begin, end) = Pads(node, shape.Length);
            string mode = Mode(node);
            var result = new int[shape.Length];
            for (int a = 0; a < shape.Length; a++)
            {
                long size = (long)shape[a] + begin[a] + end[a];
                if (size < 0) throw Invalid(node, $"pads remove more than axis {a} holds");
                if (size > int.MaxValue) throw Invalid(node, $"pads make axis {a} {size} elements long");
                if (mode != "constant" && shape[a] == 0 && size > 0) throw Invalid(node, $"{mode} padding of an empty axis");
                result[a] = (int)size;
            }
            return result;
        }

        /// <summary>Pads per axis (begin, end) for an input of rank <paramref name="rank"/>.</summary>
        public static (int[] Begin, int[] End) Pads(Node node, int rank)
        {
            long[]? pads = node.Attributes.GetInts("pads") ?? node.Attributes.GetInts("paddings");
            if (pads == null)
            {
                var input = node.Input(1) ?? throw Invalid(node, "pads are missing");
                if (input.Constant == null) throw Unsupported(node, "pads computed at run time");
                if (input.Type != DataType.Int64) throw Invalid(node, $"pads are {DataTypes.Name(input.Type)}, not int64");
                pads = input.Constant.ToInt64Array();
            }
            var axesInput = node.Input(3);
            int[] axes;
            if (axesInput != null)
            {
                if (axesInput.Constant == null) throw Unsupported(node, "axes computed at run time");
                axes = axesInput.Constant.ToInt64Array().Select(a => Axis(node, a, rank)).ToArray();
            }
            else axes = Enumerable.Range(0, rank).ToArray();
            if (pads.Length != 2 * axes.Length) throw Invalid(node, $"{pads.Length} pads for {axes.Length} axes");
            if (pads.Any(p => p < int.MinValue || p > int.MaxValue)) throw Invalid(node, $"pads [{string.Join(",", pads)}] do not fit any tensor");
            var begin = new int[rank];
            var end = new int[rank];
            for (int i = 0; i < axes.Length; i++)
            {
                begin[axes[i]] = (int)pads[i];
                end[axes[i]] = (int)pads[i + axes.Length];
            }
            return (begin, end);
        }

        public static string Mode(Node node)
        {
            string mode = node.Attributes.GetString("mode", "constant");
            if (mode != "constant" && mode != "reflect" && mode != "edge") throw Unsupported(node, $"mode '{mode}'");
            return mode;
        }

        /// <summary>Per axis, the input position each output position reads (−1: the padding value).</summary>
        public static int[][] Maps(Node node, int[] shape)
        {
            var (begin, _) = Pads(node, shape.Length);
            var sizes = OutputShape(node, shape);
            string mode = Mode(node);
            var maps = new int[shape.Length][];
            for (int a = 0; a < shape.Length; a++)
            {
                int dim = shape[a], size = sizes[a];
                var map = new int[size];
                for (int j = 0; j < size; j++)
                {
                    int src = j - begin[a];
                    if (src >= 0 && src < dim) map[j] = src;
                    else if (mode == "constant") map[j] = -1;
                    else if (mode == "edge") map[j] = src < 0 ? 0 : dim - 1;
                    else map[j] = Reflect(src, dim);
                }
                maps[a] = map;
            }
            return maps;
        }

        // numpy.pad(mode="reflect"): mirror without repeating the edge, period 2·(dim − 1).
        private static int Reflect(int i, int dim)
        {
            if (dim == 1) return 0;
            int period = 2 * (dim - 1);
            int m = ((i % period) + period) % period;
            return m < dim ? m : period - m;
        }

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            var shape = OutputShape(node, x.Shape!);
            if (x.IsBatched) RequireSampleWise(node, x.Rank > 0 && shape[0] == x.Shape![0], "pads the batch axis");
            RequireScalar(node, 2);
            SetOutput(node, 0, x.Type, shape, x.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!;
            var maps = Maps(node, x.Shape);
            var shape = maps.Select(m => m.Length).ToArray();
            var y = Tensor.Create(x.Type, shape);
            var value = PaddingValue(node, inputs.Length > 2 ? inputs[2] : null, x.Type);
            var strides = Broadcasting.ContiguousStrides(x.Shape);
            var index = new int[shape.Length];
            for (int o = 0; o < y.ElementCount; o++)
            {
                int rest = o, src = 0;
                for (int a = shape.Length - 1; a >= 0; a--)
                {
                    index[a] = rest % shape[a];
                    rest /= shape[a];
                }
                for (int a = 0; a < shape.Length && src >= 0; a++)
                {
                    int m = maps[a][index[a]];
                    src = m < 0 ? -1 : src + m * strides[a];
                }
                if (src >= 0) Array.Copy(x.Data, src, y.Data, o, 1);
                else Array.Copy(value.Data, 0, y.Data, o, 1);
            }
            return new[] { y };
        }

        /// <summary>The padding value as a one-element tensor of <paramref name="type"/> (attribute, input, or 0).</summary>
        public static Tensor PaddingValue(Node node, Tensor? input, DataType type)
        {
            var t = Tensor.Create(type, new[] { 1 });
            double v = input != null && input.ElementCount > 0 ? input.GetDouble(0) : node.Attributes.GetFloat("value", 0f);
            switch (t.Data)
            {
                case float[] f: f[0] = (float)v; break;
                case double[] d: d[0] = v; break;
                case long[] l: l[0] = (long)v; break;
                case int[] n: n[0] = (int)v; break;
                case byte[] b: b[0] = (byte)v; break;
                case sbyte[] s: s[0] = (sbyte)v; break;
                case short[] s16: s16[0] = (short)v; break;
                case ushort[] u16: u16[0] = (ushort)v; break;
            }
            return t;
        }
    }

    /// <summary>ConstantOfShape: its shape input must be known at build time, so it always folds to a constant.</summary>
    public sealed class ConstantOfShapeOperator : OperatorDefinition
    {
        public ConstantOfShapeOperator() : base("ConstantOfShape") { }

        public override string Notes => "folded at build time (the shape must be a constant)";

        public override bool IsBuildTimeInput(Node node, int index) => index == 0;

        /// <summary>The output shape, from the (constant) shape input: a list of non-negative int64 dimensions.</summary>
        private static int[] OutputShape(Node node)
        {
            var input = In(node, 0);
            if (input.Constant == null) throw Unsupported(node, "a shape computed at run time");
            if (input.Type != DataType.Int64 || input.Rank != 1) throw Invalid(node, $"the shape input is {DataTypes.Name(input.Type)}{Dims(input.Shape!)}, not a list of int64 dimensions");
            var dims = input.Constant.ToInt64Array();
            if (dims.Any(d => d < 0 || d > int.MaxValue)) throw Invalid(node, $"shape [{string.Join(",", dims)}] is not a tensor shape");
            return dims.Select(d => (int)d).ToArray();
        }

        private static Tensor Value(Node node)
        {
            var value = node.Attributes.GetTensor("value") ?? Tensor.FromFloats(new[] { 1 }, new[] { 0f });
            if (value.ElementCount != 1) throw Invalid(node, $"the value attribute holds {value.ElementCount} elements, not one");
            return value;
        }

        public override void InferShapes(Node node, OperatorContext context) =>
            SetOutput(node, 0, Value(node).Type, OutputShape(node), false);

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var shape = OutputShape(node);
            var value = Value(node);
            var y = Tensor.Create(value.Type, shape);
            for (int i = 0; i < y.ElementCount; i++) Array.Copy(value.Data, 0, y.Data, i, 1);
            return new[] { y };
        }
    }

    /// <summary>Dropout at inference: the identity (a view), with an all-true mask when one is asked for.</summary>
    public sealed class DropoutOperator : ViewOperator
    {
        public DropoutOperator() : base("Dropout") { }

        public override string Notes => "inference: a view of its input; the mask output is all true; training_mode only with ratio 0";

        public override bool IsBuildTimeInput(Node node, int index) => index >= 1;

        /// <summary>Opset 12+: data, optional ratio and training_mode; output and optional mask.</summary>
        public override (int Min, int Max) InputCount => (1, 3);

        public override int MaxOutputs => 2;

        protected override int[] OutputShape(Node node, int[] input, bool batched) => input;

        public override void InferShapes(Node node, OperatorContext context)
        {
            RequireScalar(node, 1);
            RequireScalar(node, 2);
            var training = node.Input(2);
            if (training != null)
            {
                if (training.Constant == null) throw Unsupported(node, "training_mode computed at run time");
                if (training.Constant.GetInt64(0) != 0)
                {
                    var ratio = node.Input(1);
                    if (ratio != null && ratio.Constant == null) throw Unsupported(node, "a ratio computed at run time");
                    double r = ratio == null ? 0.5 : ratio.Constant!.GetDouble(0);
                    if (r != 0) throw Unsupported(node, "training mode (random dropout)");
                }
            }
            base.InferShapes(node, context);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!;
            if (node.Outputs.Count == 1) return new[] { x };
            var mask = Tensor.Create(DataType.Bool, x.Shape);
            for (int i = 0; i < mask.ElementCount; i++) mask.Bytes[i] = 1;
            return new[] { x, mask };
        }
    }
}
