// Binary elementwise operators with numpy broadcasting: Add, Sub, Mul, Div, Pow, Max, Min, PRelu.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators
{
    public sealed class BinaryOperator : OperatorDefinition
    {
        private readonly Func<float, float, float> _float;
        private readonly Func<long, long, long>? _integer;

        public BinaryOperator(string opType, Func<float, float, float> f, Func<long, long, long>? integer)
            : base(opType)
        {
            _float = f;
            _integer = integer;
        }

        public override string Notes => OpType == "Max" || OpType == "Min" ? "one or more inputs" : OpType == "PRelu" ? "slope broadcast as numpy (opset 7+) or per channel (opset 6)" : "";

        private bool IsVariadic => OpType == "Max" || OpType == "Min";

        public override (int Min, int Max) InputCount => IsVariadic ? (1, int.MaxValue) : (2, 2);

        public override void InferShapes(Node node, OperatorContext context)
        {
            // ONNX gives both operands one type T (Pow alone has a separate exponent type); the evaluator relies on it.
            if (OpType != "Pow") RequireSameType(node, Enumerable.Range(0, node.Inputs.Count).ToArray());
            if (_integer == null) RequireType(node, 0, DataType.Float32, DataType.Float64);
            if (OpType == "PRelu" && context.Opset < 7) UseLegacyChannelSlope(node);
            if (node.Inputs.Count != 2)
            {
                // Max/Min of one or of three and more inputs: one broadcast shape, computed pairwise at run time.
                var all = node.Inputs.Select((v, i) => In(node, i)).ToList();
                var common = all[0].Shape!;
                foreach (var v in all.Skip(1))
                    common = Broadcasting.Shape(common, v.Shape!) ?? throw Invalid(node, $"shapes {Dims(common)} and {Dims(v.Shape!)} do not broadcast");
                if (AnyBatched(node)) RequireSampleWise(node, all.All(v => v.IsBatched && v.Rank == common.Length), "broadcasts a batched input against a non-batched one");
                SetOutput(node, 0, all[0].Type, common, AnyBatched(node));
                return;
            }
            var a = In(node, 0);
            var b = In(node, 1);
            var shape = Broadcasting.Shape(a.Shape!, b.Shape!)
                ?? throw Invalid(node, $"shapes {Dims(a.Shape!)} and {Dims(b.Shape!)} do not broadcast");
            // A batched operand broadcast against a non-batched one of higher rank would spread one
            // sample over the batch axis; only allow the batch axis to stay the leading axis.
            bool batched = AnyBatched(node);
            if (batched)
            {
                foreach (var v in new[] { a, b })
                    RequireSampleWise(node, !v.IsBatched || v.Rank == shape.Length, "broadcasts a batched input to a higher rank");
                RequireSampleWise(node, (a.IsBatched || a.Rank < shape.Length || a.Shape![0] == 1) && (b.IsBatched || b.Rank < shape.Length || b.Shape![0] == 1),
                    "has a non-batched operand with its own leading axis");
            }
            SetOutput(node, 0, a.Type, shape, batched);
        }

        /// <summary>
        /// Before opset 7 PRelu's slope [C] applies per channel (axis 1), not by numpy broadcasting:
        /// give a constant slope the shape [C, 1, …] so the broadcasting kernels compute the old semantics.
        /// </summary>
        private static void UseLegacyChannelSlope(Node node)
        {
            var x = In(node, 0);
            var slope = In(node, 1);
            if (slope.Rank != 1 || x.Rank <= 2 || slope.Shape![0] != x.Shape![1] || slope.Shape[0] == 1) return;
            if (slope.Constant == null) throw Unsupported(node, "a per-channel slope computed at run time (opset 6)");
            var shape = new int[x.Rank - 1];
            shape[0] = slope.Shape[0];
            for (int i = 1; i < shape.Length; i++) shape[i] = 1;
            node.Inputs[1] = new Value(slope.Name + ".per_channel", slope.Type, shape) { Constant = slope.Constant.Reshape(shape) };
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            if (inputs.Length != 2 && (OpType == "Max" || OpType == "Min") && inputs.Length >= 1)
            {
                // Pairwise from the left: max(max(a, b), c)…; one input is its own result.
                var acc = inputs[0]!;
                if (inputs.Length == 1) return new[] { acc };
                for (int i = 1; i < inputs.Length; i++) acc = Evaluate(node, new[] { acc, inputs[i] }, context)[0];
                return new[] { acc };
            }
            if (inputs.Length != 2) throw Unsupported(node, $"{inputs.Length} inputs (only two)");
            var a = inputs[0]!;
            var b = inputs[1]!;
            var shape = Broadcasting.Shape(a.Shape, b.Shape)!;
            var sa = Broadcasting.Strides(a.Shape, shape);
            var sb = Broadcasting.Strides(b.Shape, shape);
            var y = Tensor.Create(a.Type, shape);
            if (a.Type == DataType.Float32)
            {
                var fa = a.Floats; var fb = b.ToFloatArray(); var fy = y.Floats;
                Broadcasting.ForEach(shape, sa, sb, (o, ia, ib) => fy[o] = _float(fa[ia], fb[ib]));
            }
            else if (a.Type == DataType.Float64)
            {
                var da = a.Doubles; var fy = y.Doubles;
                Broadcasting.ForEach(shape, sa, sb, (o, ia, ib) => fy[o] = _float((float)da[ia], (float)b.GetDouble(ib)));
            }
            else
            {
                if (_integer == null) throw Unsupported(node, $"{DataTypes.Name(a.Type)} inputs");
                Broadcasting.ForEach(shape, sa, sb, (o, ia, ib) => SetInteger(y, o, _integer(a.GetInt64(ia), b.GetInt64(ib))));
            }
            return new[] { y };
        }

        private static void SetInteger(Tensor t, int i, long v)
        {
            switch (t.Data)
            {
                case long[] l: l[i] = v; break;
                case int[] n: n[i] = (int)v; break;
                case byte[] b: b[i] = (byte)v; break;
                case sbyte[] s: s[i] = (sbyte)v; break;
                case short[] s16: s16[i] = (short)v; break;
                case ushort[] u16: u16[i] = (ushort)v; break;
                case uint[] u32: u32[i] = (uint)v; break;
                case ulong[] u64: u64[i] = (ulong)v; break;
                default: throw new NotSupportedException();
            }
        }
    }

    public static class ElementwiseOperators
    {
        public static IEnumerable<OperatorDefinition> All() => new[]
        {
            new BinaryOperator("Add", (a, b) => a + b, (a, b) => a + b),
            new BinaryOperator("Sub", (a, b) => a - b, (a, b) => a - b),
            new BinaryOperator("Mul", (a, b) => a * b, (a, b) => a * b),
            // Integer division by zero has no ONNX result (0 here); long.MinValue / −1 overflows, so it wraps as two's complement does.
            new BinaryOperator("Div", (a, b) => a / b, (a, b) => b == 0 ? 0 : b == -1 ? unchecked(-a) : a / b),
            new BinaryOperator("Pow", (a, b) => (float)Math.Pow(a, b), (a, b) => (long)Math.Pow(a, b)),
            new BinaryOperator("PRelu", (a, b) => a >= 0 ? a : a * b, null),
            // Max and Min are variadic in ONNX: any number of inputs, computed pairwise.
            new BinaryOperator("Max", Math.Max, Math.Max),
            new BinaryOperator("Min", Math.Min, Math.Min),
        }.Cast<OperatorDefinition>();
    }
}
