// Gemm (Y = alpha·A'·B' + beta·C) and MatMul (numpy matmul, with broadcasting batch axes).
using System;
using System.Linq;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators
{
    public sealed class GemmOperator : OperatorDefinition
    {
        public GemmOperator() : base("Gemm") { }

        public override string Notes => "a constant B is packed at build time (transB, alpha, beta folded); a run-time B or transA uses an unpacked product";

        public override (int Min, int Max) InputCount => (2, 3);

        /// <summary>m·n outputs of k terms each.</summary>
        public override long EvaluationCost(Node node) =>
            Products(node.Outputs[0].ElementCount, node.Attributes.GetInt("transA", 0) != 0 ? In(node, 0).Shape![0] : In(node, 0).Shape![1]);

        public override void InferShapes(Node node, OperatorContext context)
        {
            var a = In(node, 0);
            var b = In(node, 1);
            if (a.Rank != 2 || b.Rank != 2) throw Invalid(node, "A and B must be matrices");
            RequireType(node, 0, DataType.Float32);
            RequireSameType(node, 0, 1, 2);
            bool ta = node.Attributes.GetInt("transA", 0) != 0, tb = node.Attributes.GetInt("transB", 0) != 0;
            int m = ta ? a.Shape![1] : a.Shape![0], k = ta ? a.Shape[0] : a.Shape[1];
            int kb = tb ? b.Shape![1] : b.Shape![0], n = tb ? b.Shape[0] : b.Shape[1];
            if (k != kb) throw Invalid(node, $"A {Dims(a.Shape)} and B {Dims(b.Shape)} do not multiply");
            if (node.Input(2) is { } c && (c.Rank > 2 || Broadcasting.Shape(c.Shape!, new[] { m, n }) is not { } s || !s.SequenceEqual(new[] { m, n })))
                throw Invalid(node, $"C {Dims(c.Shape!)} does not broadcast to [{m},{n}]");
            if (AnyBatched(node)) RequireSampleWise(node, a.IsBatched && !ta && !b.IsBatched && !(node.Input(2)?.IsBatched ?? false), "multiplies along the batch axis");
            SetOutput(node, 0, a.Type, new[] { m, n }, a.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var a = inputs[0]!; var b = inputs[1]!; var c = inputs.Length > 2 ? inputs[2] : null;
            bool ta = node.Attributes.GetInt("transA", 0) != 0, tb = node.Attributes.GetInt("transB", 0) != 0;
            float alpha = node.Attributes.GetFloat("alpha", 1f), beta = node.Attributes.GetFloat("beta", 1f);
            int m = ta ? a.Shape[1] : a.Shape[0], k = ta ? a.Shape[0] : a.Shape[1], n = tb ? b.Shape[0] : b.Shape[1];
            var fa = a.ToFloatArray(); var fb = b.ToFloatArray();
            var y = Tensor.Create(DataType.Float32, new[] { m, n });
            var fy = y.Floats;
            float[]? fc = c?.ToFloatArray();
            int[]? cs = c == null ? null : Broadcasting.Strides(c.Shape, new[] { m, n });
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double acc = 0;
                    for (int p = 0; p < k; p++)
                        acc += (double)fa[ta ? p * m + i : i * k + p] * fb[tb ? j * k + p : p * n + j];
                    double v = alpha * acc;
                    if (fc != null) v += beta * fc[i * cs![0] + j * cs[1]];
                    fy[i * n + j] = (float)v;
                }
            FusedActivation.ApplyInPlace(node, fy);
            return new[] { y };
        }
    }

    public sealed class MatMulOperator : OperatorDefinition
    {
        public MatMulOperator() : base("MatMul") { }

        public override string Notes => "numpy semantics incl. broadcast batch axes; a constant 2-D B is packed at build time";

        /// <summary>Output shape of numpy.matmul, or null when the operands do not multiply.</summary>
        public static int[]? OutputShape(int[] a, int[] b)
        {
            if (a.Length == 0 || b.Length == 0) return null;
            var a2 = a.Length == 1 ? new[] { 1, a[0] } : a;
            var b2 = b.Length == 1 ? new[] { b[0], 1 } : b;
            if (a2[a2.Length - 1] != b2[b2.Length - 2]) return null;
            var batch = Broadcasting.Shape(a2.Take(a2.Length - 2).ToArray(), b2.Take(b2.Length - 2).ToArray());
            if (batch == null) return null;
            var shape = batch.ToList();
            if (a.Length > 1) shape.Add(a2[a2.Length - 2]);
            if (b.Length > 1) shape.Add(b2[b2.Length - 1]);
            return shape.ToArray();
        }

        public override (int Min, int Max) InputCount => (2, 2);

        /// <summary>Each output sums the shared inner dimension.</summary>
        public override long EvaluationCost(Node node) => Products(node.Outputs[0].ElementCount, In(node, 0).Shape!.LastOrDefault());

        public override void InferShapes(Node node, OperatorContext context)
        {
            var a = In(node, 0);
            var b = In(node, 1);
            RequireType(node, 0, DataType.Float32);
            RequireSameType(node, 0, 1);
            var shape = OutputShape(a.Shape!, b.Shape!) ?? throw Invalid(node, $"{Dims(a.Shape!)} and {Dims(b.Shape!)} do not multiply");
            // The batch axis (one sample, so 1) must stay 1: a B whose own leading axis broadcasts over it mixes samples.
            if (AnyBatched(node)) RequireSampleWise(node, a.IsBatched && !b.IsBatched && a.Rank >= 2 && a.Rank >= b.Rank && shape[0] == 1, "multiplies along the batch axis");
            SetOutput(node, 0, a.Type, shape, a.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var a = inputs[0]!; var b = inputs[1]!;
            var a2 = a.Rank == 1 ? new[] { 1, a.Shape[0] } : a.Shape;
            var b2 = b.Rank == 1 ? new[] { b.Shape[0], 1 } : b.Shape;
            int m = a2[a2.Length - 2], k = a2[a2.Length - 1], n = b2[b2.Length - 1];
            var batch = Broadcasting.Shape(a2.Take(a2.Length - 2).ToArray(), b2.Take(b2.Length - 2).ToArray())!;
            var outShape = OutputShape(a.Shape, b.Shape)!;
            var y = Tensor.Create(DataType.Float32, outShape);
            var fa = a.ToFloatArray(); var fb = b.ToFloatArray(); var fy = y.Floats;
            var sa = Broadcasting.Strides(a2.Take(a2.Length - 2).ToArray(), batch);
            var sb = Broadcasting.Strides(b2.Take(b2.Length - 2).ToArray(), batch);
            Broadcasting.ForEach(batch, sa, sb, (o, ia, ib) =>
            {
                int aBase = ia * m * k, bBase = ib * k * n, yBase = o * m * n;
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        double acc = 0;
                        for (int p = 0; p < k; p++) acc += (double)fa[aBase + i * k + p] * fb[bBase + p * n + j];
                        fy[yBase + i * n + j] = (float)acc;
                    }
            });
            FusedActivation.ApplyInPlace(node, fy);
            return new[] { y };
        }
    }
}
