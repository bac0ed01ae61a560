// Operators that move or re-view data: Identity, Dropout, Flatten, Reshape, Squeeze, Unsqueeze,
// Transpose, Constant, Shape, Concat, Gather. Views (Identity … Unsqueeze) cost nothing at run time.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators
{
    /// <summary>An op whose output is its first input's data under another shape (no copy at run time).</summary>
    public abstract class ViewOperator : OperatorDefinition
    {
        protected ViewOperator(string opType) : base(opType) { }

        public override string Notes => "a view: no copy at run time";

        protected abstract int[] OutputShape(Node node, int[] input, bool batched);

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            var shape = OutputShape(node, x.Shape!, x.IsBatched);
            if (Tensor.ElementCountOf(shape) != x.ElementCount)
                throw Invalid(node, $"cannot view {Dims(x.Shape!)} as {Dims(shape)}");
            if (x.IsBatched) RequireSampleWise(node, shape.Length > 0 && shape[0] == x.Shape![0], "changes the leading (batch) axis");
            SetOutput(node, 0, x.Type, shape, x.IsBatched);
            for (int i = 1; i < node.Outputs.Count; i++) SetOutput(node, i, DataType.Bool, shape, x.IsBatched); // Dropout's mask
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!;
            var y = x.Reshape(node.Outputs[0].Shape ?? OutputShape(node, x.Shape, false));
            if (node.Outputs.Count == 1) return new[] { y };
            return new[] { y, Tensor.Create(DataType.Bool, y.Shape) };
        }
    }

    public sealed class IdentityOperator : ViewOperator
    {
        public IdentityOperator(string opType) : base(opType) { }

        protected override int[] OutputShape(Node node, int[] input, bool batched) => input;
    }

    public sealed class FlattenOperator : ViewOperator
    {
        public FlattenOperator() : base("Flatten") { }

        protected override int[] OutputShape(Node node, int[] input, bool batched)
        {
            long axis = node.Attributes.GetInt("axis", 1);
            if (axis < 0) axis += input.Length;
            if (axis < 0 || axis > input.Length) throw Invalid(node, $"axis {node.Attributes.GetInt("axis", 1)} is out of range for rank {input.Length}");
            long outer = 1, inner = 1;
            for (int i = 0; i < axis; i++) outer *= input[i];
            for (int i = (int)axis; i < input.Length; i++) inner *= input[i];
            // The input's element count fits in an int, so both products do unless the other is 0.
            if (outer > int.MaxValue || inner > int.MaxValue) throw Invalid(node, $"cannot flatten {Dims(input)} into two axes of at most {int.MaxValue}");
            return new[] { (int)outer, (int)inner };
        }
    }

    public sealed class ReshapeOperator : ViewOperator
    {
        public ReshapeOperator() : base("Reshape") { }

        public override bool IsBuildTimeInput(Node node, int index) => index == 1;

        public override (int Min, int Max) InputCount => (2, 2);

        protected override int[] OutputShape(Node node, int[] input, bool batched)
        {
            var shapeInput = In(node, 1);
            if (shapeInput.Constant == null) throw Unsupported(node, "a shape computed at run time");
            if (shapeInput.Rank != 1) throw Invalid(node, $"the shape input is {Dims(shapeInput.Shape!)}, not a list of dimensions");
            RequireType(node, 1, DataType.Int64);
            var requested = shapeInput.Constant.ToInt64Array();
            bool allowZero = node.Attributes.GetInt("allowzero", 0) != 0;
            var result = new int[requested.Length];
            int inferred = -1;
            long known = 1;
            for (int i = 0; i < requested.Length; i++)
            {
                long d = requested[i];
                if (d == 0 && !allowZero)
                {
                    if (i >= input.Length) throw Invalid(node, "shape copies a dimension the input does not have");
                    d = input[i];
                }
                if (d == -1)
                {
                    if (inferred >= 0) throw Invalid(node, "shape has more than one -1");
                    inferred = i;
                    continue;
                }
                if (d < 0 || d > int.MaxValue) throw Invalid(node, $"shape [{string.Join(",", requested)}] has the dimension {d}");
                result[i] = (int)d;
                known = known > long.MaxValue / Math.Max(d, 1) ? long.MaxValue : known * d;
            }
            if (inferred >= 0)
            {
                long total = Tensor.ElementCountOf(input);
                if (known == 0 || total % known != 0) throw Invalid(node, $"cannot reshape {Dims(input)} to [{string.Join(",", requested)}]");
                result[inferred] = (int)(total / known);
            }
            return result;
        }
    }

    public sealed class SqueezeOperator : ViewOperator
    {
        private readonly bool _unsqueeze;

        public SqueezeOperator(bool unsqueeze) : base(unsqueeze ? "Unsqueeze" : "Squeeze") { _unsqueeze = unsqueeze; }

        public override bool IsBuildTimeInput(Node node, int index) => index == 1;

        public override (int Min, int Max) InputCount => (1, 2);

        private static long[]? Axes(Node node)
        {
            // Attribute before opset 13, optional constant input since.
            var attr = node.Attributes.GetInts("axes");
            if (attr != null) return attr;
            var input = node.Input(1);
            if (input == null) return null;
            if (input.Constant == null) throw Unsupported(node, "axes computed at run time");
            return input.Constant.ToInt64Array();
        }

        protected override int[] OutputShape(Node node, int[] input, bool batched)
        {
            var axes = Axes(node);
            if (_unsqueeze)
            {
                if (axes == null) throw Invalid(node, "Unsqueeze needs axes");
                int rank = input.Length + axes.Length;
                var norm = new HashSet<int>(axes.Select(a => Axis(node, a, rank)));
                if (norm.Count != axes.Length) throw Invalid(node, $"axes [{string.Join(",", axes)}] name an axis twice");
                var result = new int[rank];
                for (int i = 0, j = 0; i < rank; i++) result[i] = norm.Contains(i) ? 1 : input[j++];
                if (batched) RequireSampleWise(node, !norm.Contains(0), "inserts an axis before the batch axis");
                return result;
            }
            var drop = axes == null
                ? new HashSet<int>(Enumerable.Range(0, input.Length).Where(i => input[i] == 1 && !(batched && i == 0)))
                : new HashSet<int>(axes.Select(a => Axis(node, a, input.Length)));
            foreach (int a in drop)
                if (input[a] != 1) throw Invalid(node, $"axis {a} has size {input[a]}, so it cannot be squeezed");
            if (batched) RequireSampleWise(node, !drop.Contains(0), "removes the batch axis");
            return input.Where((d, i) => !drop.Contains(i)).ToArray();
        }
    }

    public sealed class TransposeOperator : OperatorDefinition
    {
        public TransposeOperator() : base("Transpose") { }

        public static int[] Permutation(Node node, int rank)
        {
            var perm = node.Attributes.GetInts("perm");
            if (perm == null) return Enumerable.Range(0, rank).Reverse().ToArray();
            if (perm.Length != rank || perm.Distinct().Count() != perm.Length || perm.Any(p => p < 0 || p >= rank))
                throw Invalid(node, $"perm [{string.Join(",", perm)}] is not a permutation of the {rank} axes");
            return perm.Select(p => (int)p).ToArray();
        }

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            var perm = Permutation(node, x.Rank);
            if (x.IsBatched) RequireSampleWise(node, perm[0] == 0, "moves the batch axis");
            SetOutput(node, 0, x.Type, perm.Select(p => x.Shape![p]).ToArray(), x.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context) =>
            new[] { Transpose(inputs[0]!, Permutation(node, inputs[0]!.Rank)) };

        /// <summary>numpy.transpose for any element type.</summary>
        public static Tensor Transpose(Tensor x, int[] perm)
        {
            var outShape = perm.Select(p => x.Shape[p]).ToArray();
            var y = Tensor.Create(x.Type, outShape);
            var inStrides = Broadcasting.ContiguousStrides(x.Shape);
            var permuted = perm.Select(p => inStrides[p]).ToArray();
            var zero = new int[outShape.Length];
            var src = x.Data; var dst = y.Data;
            Broadcasting.ForEach(outShape, permuted, zero, (o, i, _) => Array.Copy(src, i, dst, o, 1));
            return y;
        }
    }

    /// <summary>Constant: its value becomes a constant Value (folded before anything else runs).</summary>
    public sealed class ConstantOperator : OperatorDefinition
    {
        public ConstantOperator() : base("Constant") { }

        public override string Notes => "folded at build time";

        public override (int Min, int Max) InputCount => (0, 0);

        public static Tensor ValueOf(Node node)
        {
            var a = node.Attributes;
            if (a.GetTensor("value") is { } t) return t;
            if (a.Find("value_float") is { } f) return Tensor.Scalar(f.Float);
            if (a.Find("value_int") is { } i) return Tensor.Scalar(i.Int);
            if (a.GetFloats("value_floats") is { } fs) return Tensor.FromFloats(new[] { fs.Length }, fs);
            if (a.GetInts("value_ints") is { } ints) return Tensor.FromInt64s(new[] { ints.Length }, ints);
            throw Unsupported(node, "a Constant without a numeric value");
        }

        public override void InferShapes(Node node, OperatorContext context)
        {
            var t = ValueOf(node);
            SetOutput(node, 0, t.Type, t.Shape, false);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context) => new[] { ValueOf(node) };
    }

    /// <summary>Shape: always known at build time (shapes are static), so it folds to a constant.</summary>
    public sealed class ShapeOperator : OperatorDefinition
    {
        public ShapeOperator() : base("Shape") { }

        public override string Notes => "always folded at build time (shapes are static)";

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            // The batch dimension is reported as 1: the compiled code sees one sample at a time.
            SetOutput(node, 0, DataType.Int64, new[] { Slice(node, x.Rank).Length }, false);
        }

        private static int[] Slice(Node node, int rank)
        {
            long start = node.Attributes.GetInt("start", 0), end = node.Attributes.GetInt("end", rank);
            if (start < 0) start += rank;
            if (end < 0) end += rank;
            start = Math.Max(0, Math.Min(rank, start));
            end = Math.Max(start, Math.Min(rank, end));
            return Enumerable.Range((int)start, (int)(end - start)).ToArray();
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var shape = node.Input(0)!.Shape ?? inputs[0]!.Shape;
            var axes = Slice(node, shape.Length);
            return new[] { Tensor.FromInt64s(new[] { axes.Length }, axes.Select(a => (long)shape[a]).ToArray()) };
        }
    }

    public sealed class ConcatOperator : OperatorDefinition
    {
        public ConcatOperator() : base("Concat") { }

        public override string Notes => "any axis, in the ONNX order (an NHWC input is transposed back first)";

        public override (int Min, int Max) InputCount => (1, int.MaxValue);

        public override void InferShapes(Node node, OperatorContext context)
        {
            var first = In(node, 0);
            RequireSameType(node, Enumerable.Range(0, node.Inputs.Count).ToArray());
            if (first.Rank == 0) throw Invalid(node, "cannot concatenate scalars");
            int axis = Axis(node, node.Attributes.GetInt("axis", 0), first.Rank);
            if (AnyBatched(node)) RequireSampleWise(node, axis != 0 && node.Inputs.All(v => v!.IsBatched), "concatenates along the batch axis or with a non-batched input");
            var shape = (int[])first.Shape!.Clone();
            long total = 0;
            foreach (var v in node.Inputs)
            {
                if (v!.Rank != shape.Length) throw Invalid(node, "inputs have different ranks");
                for (int i = 0; i < shape.Length; i++)
                    if (i != axis && v.Shape![i] != shape[i]) throw Invalid(node, $"input '{v.Name}' {Dims(v.Shape!)} does not match {Dims(first.Shape!)} off axis {axis}");
                total += v.Shape![axis];
            }
            if (total > int.MaxValue) throw Invalid(node, $"the concatenated axis would have {total} elements");
            shape[axis] = (int)total;
            SetOutput(node, 0, first.Type, shape, AnyBatched(node));
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var first = inputs[0]!;
            int axis = Axis(node, node.Attributes.GetInt("axis", 0), first.Rank);
            var shape = (int[])first.Shape.Clone();
            shape[axis] = inputs.Sum(t => t!.Shape[axis]);
            var y = Tensor.Create(first.Type, shape);
            int outer = 1;
            for (int i = 0; i < axis; i++) outer *= shape[i];
            int inner = 1;
            for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
            int offset = 0;
            foreach (var t in inputs)
            {
                int block = t!.Shape[axis] * inner;
                for (int o = 0; o < outer; o++) Array.Copy(t.Data, o * block, y.Data, o * shape[axis] * inner + offset, block);
                offset += block;
            }
            return new[] { y };
        }
    }

    public sealed class GatherOperator : OperatorDefinition
    {
        public GatherOperator() : base("Gather") { }

        public override string Notes => "data and int64 or int32 indices at run time or build time (folded when both are constants)";

        public override (int Min, int Max) InputCount => (2, 2);

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            var indices = In(node, 1);
            RequireType(node, 1, DataType.Int64, DataType.Int32);
            int axis = Axis(node, node.Attributes.GetInt("axis", 0), x.Rank);
            // Sample-wise when the batch axis stays the output's leading axis: batched data gathered along another
            // axis, or batched indices into non-batched data along axis 0 (an embedding lookup).
            if (x.IsBatched) RequireSampleWise(node, axis != 0 && !indices.IsBatched, "gathers along the batch axis");
            if (indices.IsBatched) RequireSampleWise(node, axis == 0 && !x.IsBatched, "gathers batched indices along an inner axis");
            var shape = x.Shape!.Take(axis).Concat(indices.Shape!).Concat(x.Shape!.Skip(axis + 1)).ToArray();
            SetOutput(node, 0, x.Type, shape, x.IsBatched || indices.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!;
            var idx = inputs[1]!.ToInt64Array();
            int axis = Axis(node, node.Attributes.GetInt("axis", 0), x.Rank);
            var shape = x.Shape.Take(axis).Concat(inputs[1]!.Shape).Concat(x.Shape.Skip(axis + 1)).ToArray();
            var y = Tensor.Create(x.Type, shape);
            int outer = 1;
            for (int i = 0; i < axis; i++) outer *= x.Shape[i];
            int inner = 1;
            for (int i = axis + 1; i < x.Rank; i++) inner *= x.Shape[i];
            int n = x.Shape[axis];
            for (int o = 0; o < outer; o++)
                for (int j = 0; j < idx.Length; j++)
                {
                    long k = idx[j] < 0 ? idx[j] + n : idx[j];
                    if (k < 0 || k >= n) throw Invalid(node, $"index {idx[j]} is out of range for axis size {n}");
                    Array.Copy(x.Data, (o * n + (int)k) * inner, y.Data, (o * idx.Length + j) * inner, inner);
                }
            return new[] { y };
        }
    }

    public static class ShapeOperators
    {
        public static IEnumerable<OperatorDefinition> All() => new OperatorDefinition[]
        {
            new IdentityOperator("Identity"),
            new DropoutOperator(),
            new FlattenOperator(),
            new ReshapeOperator(),
            new SqueezeOperator(unsqueeze: false),
            new SqueezeOperator(unsqueeze: true),
            new TransposeOperator(),
            new ConstantOperator(),
            new ShapeOperator(),
            new ConcatOperator(),
            new GatherOperator(),
        };
    }
}
