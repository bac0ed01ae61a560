// LayerNorm written out by exporters before opset 17 (PyTorch's BERT exports, MiniLM) becomes one LayerNormalization:
//   mean = ReduceMean(x, trailing axes); d = x − mean; var = ReduceMean(d², same axes)   [d² as Pow(d, 2) or d·d]
//   y = d / Sqrt(var + ε) [· γ] [+ β]
// Nine elementwise and reduction passes over the tensor become one kernel that reads it twice; the statistics are
// the same in exact arithmetic, and rounding differs by float32 epsilons (the kernel accumulates in float as the
// decomposed graph did).
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir;
using QuantGen.Compiler.Operators;

namespace QuantGen.Compiler.GraphPasses
{
    public static class LayerNormalizationFusion
    {
        /// <summary>Fuses every match; returns how many LayerNormalizations it made.</summary>
        public static int Apply(Graph graph)
        {
            int fused = 0;
            foreach (var div in graph.Nodes.Where(n => n.OpType == "Div").ToList())
                if (TryFuse(graph, div)) fused++;
            return fused;
        }

        private static bool TryFuse(Graph graph, Node div)
        {
            // Everything between x and the result must be private to the pattern: no other reader, no graph output.
            var inner = new List<Node>();
            Node? Private(Value? v, string opType)
            {
                var p = v?.Producer;
                if (p == null || p.OpType != opType || p.Outputs.Count != 1 || graph.IsGraphOutput(v!)) return null;
                return p;
            }

            var d = div.Input(0);
            var sub = Private(d, "Sub");
            var sqrt = Private(div.Input(1), "Sqrt");
            if (sub == null || sqrt == null) return false;
            var x = sub.Input(0)!;
            if (x.Type != DataType.Float32) return false;
            var mean = Private(sub.Input(1), "ReduceMean");
            if (mean == null || mean.Input(0) != x) return false;
            int? axis = TrailingAxis(mean, x);
            if (axis == null) return false;

            var addEps = Private(sqrt.Input(0), "Add");
            if (addEps == null) return false;
            var (variance, epsilon) = ConstantOperand(addEps);
            if (variance == null || epsilon == null || epsilon.ElementCount != 1) return false;
            var reduceVar = Private(variance, "ReduceMean");
            if (reduceVar == null || TrailingAxis(reduceVar, reduceVar.Input(0)!) != axis) return false;
            var square = reduceVar.Input(0)!.Producer;
            if (square == null || graph.IsGraphOutput(reduceVar.Input(0)!) || !IsSquareOf(square, d!)) return false;

            // d feeds the square and the division only; the statistics feed nothing else.
            if (graph.Consumers(d!).Any(n => n != square && n != div)) return false;
            foreach (var (value, reader) in new[] { (mean.Outputs[0], sub), (square.Outputs[0], reduceVar), (variance, addEps), (addEps.Outputs[0], sqrt), (sqrt.Outputs[0], div) })
                if (graph.Consumers(value).Any(n => n != reader)) return false;
            inner.AddRange(new[] { mean, sub, square, reduceVar, addEps, sqrt, div });

            int rank = x.Shape!.Length;
            var normalized = x.Shape.Skip(axis.Value).ToArray();
            Value result = div.Outputs[0];
            Value? gamma = null, beta = null;
            if (SoleReader(graph, result) is { OpType: "Mul" } mul && ConstantOperand(mul) is ({ } m, { } g) && m == result && Broadcasts(g, normalized, rank))
            {
                gamma = mul.Inputs.First(v => v != result);
                inner.Add(mul);
                result = mul.Outputs[0];
                if (SoleReader(graph, result) is { OpType: "Add" } add && ConstantOperand(add) is ({ } a, { } b) && a == result && Broadcasts(b, normalized, rank))
                {
                    beta = add.Inputs.First(v => v != result);
                    inner.Add(add);
                    result = add.Outputs[0];
                }
            }
            if (inner.Take(inner.Count - 1).Any(n => graph.IsGraphOutput(n.Outputs[0]))) return false;

            // Scale defaults to ones: LayerNormalization requires it.
            gamma ??= new Value(div.Name + ".scale", DataType.Float32, normalized)
            {
                Constant = Tensor.FromFloats(normalized, Enumerable.Repeat(1f, (int)Tensor.ElementCountOf(normalized)).ToArray()),
            };
            // In the place of the pattern's first node: x is computed before it, and every reader of the result after its last.
            int at = inner.Min(n => graph.Nodes.IndexOf(n));
            foreach (var n in inner) graph.Nodes.Remove(n);
            var fused = new Node(div.Name + ".layernorm", "LayerNormalization", new[] { x, gamma, beta }, new[] { result });
            fused.Attributes.Set(Ir.Attribute.OfInt("axis", axis.Value));
            fused.Attributes.Set(Ir.Attribute.OfFloat("epsilon", epsilon.ToFloatArray()[0]));
            graph.Nodes.Insert(at, fused);
            return true;
        }

        /// <summary>The first reduced axis when <paramref name="reduce"/> keeps dims and reduces exactly the trailing axes from it.</summary>
        private static int? TrailingAxis(Node reduce, Value x)
        {
            if (x.Shape == null || reduce.Attributes.GetInt("keepdims", 1) == 0) return null;
            bool[]? reduced;
            try
            {
                reduced = ReduceOperator.ReducedAxes(reduce, x.Shape.Length);
            }
            catch (QuantGen.Ir.Diagnostics.CompilerException)
            {
                return null;
            }
            if (reduced == null) return null;
            int axis = Array.IndexOf(reduced, true);
            if (axis <= 0) return null; // axis 0 is the batch or the whole tensor: not a per-row normalization
            for (int i = axis; i < reduced.Length; i++) if (!reduced[i]) return null;
            return axis;
        }

        /// <summary>(the run-time operand, the constant operand) of a binary node, either order; nulls when it has not one of each.</summary>
        private static (Value? Runtime, Tensor? Constant) ConstantOperand(Node node)
        {
            var a = node.Input(0);
            var b = node.Input(1);
            if (a == null || b == null || node.Inputs.Count != 2) return (null, null);
            if (b.IsConstant && !a.IsConstant) return (a, b.Constant);
            if (a.IsConstant && !b.IsConstant) return (b, a.Constant);
            return (null, null);
        }

        private static bool IsSquareOf(Node node, Value d)
        {
            if (node.OpType == "Mul") return node.Input(0) == d && node.Input(1) == d;
            if (node.OpType != "Pow" || node.Input(0) != d) return false;
            var exponent = node.Input(1)?.Constant;
            return exponent != null && exponent.ElementCount == 1 && exponent.ToFloatArray()[0] == 2f;
        }

        private static Node? SoleReader(Graph graph, Value value)
        {
            if (graph.IsGraphOutput(value)) return null;
            var readers = graph.Consumers(value).ToList();
            return readers.Count == 1 ? readers[0] : null;
        }

        /// <summary>A per-feature γ or β: at most the normalized axes (leading ones of size 1), broadcasting to them.</summary>
        private static bool Broadcasts(Tensor t, int[] normalized, int rank)
        {
            if (t.Type != DataType.Float32 || t.Shape.Length > rank) return false;
            int lead = t.Shape.Length - normalized.Length;
            for (int i = 0; i < t.Shape.Length; i++)
            {
                if (i < lead) { if (t.Shape[i] != 1) return false; continue; }
                int dim = t.Shape[i];
                if (dim != 1 && dim != normalized[i - lead]) return false;
            }
            return true;
        }
    }
}
