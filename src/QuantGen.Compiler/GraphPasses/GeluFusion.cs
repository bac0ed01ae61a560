// GELU written out by exporters before opset 20 (PyTorch's BERT exports, MiniLM) becomes one Gelu:
//   y = x · (1 + erf(x / √2)) · 0.5        [x / √2 as Div(x, √2) or Mul(x, 1/√2); the three factors in any grouping]
// Five elementwise passes over the feed-forward layer's widest tensor become one; the kernel rounds x / √2 as a product by
// 1/√2, as ONNX Runtime's own Gelu fusion does, so results move by float32 epsilons.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir;

namespace QuantGen.Compiler.GraphPasses
{
    public static class GeluFusion
    {
        /// <summary>Fuses every match; returns how many Gelu nodes it made.</summary>
        /// <remarks>
        /// Linear in the graph's size: readers are counted once (a pattern's inner values are private to it, so fusing one
        /// pattern changes no other's counts), each Gelu takes its last node's place, and the rest leave in one pass.
        /// </remarks>
        public static int Apply(Graph graph)
        {
            var readers = new Dictionary<Value, List<Node>>();
            foreach (var node in graph.Nodes)
                foreach (var input in node.Inputs.Distinct())
                    if (input != null)
                    {
                        if (!readers.TryGetValue(input, out var list)) readers[input] = list = new List<Node>();
                        list.Add(node);
                    }
            var outputs = new HashSet<Value>(graph.Outputs);
            var position = new Dictionary<Node, int>();
            for (int i = 0; i < graph.Nodes.Count; i++) position[graph.Nodes[i]] = i;
            var removed = new HashSet<Node>();
            int fused = 0;
            foreach (var erf in graph.Nodes.Where(n => n.OpType == "Erf" && n.Domain.Length == 0).ToList())
            {
                var pattern = Match(erf, v => !outputs.Contains(v) && readers.TryGetValue(v, out var r) && r.Count == 1 ? r[0] : null);
                if (pattern == null) continue;
                var (x, inner, result) = pattern.Value;
                if (inner.Any(n => outputs.Contains(n.Outputs[0]))) continue;
                // In the result's place: x is computed before the pattern, and every reader of the result after it.
                graph.Nodes[position[result]] = new Node(erf.Name + ".gelu", "Gelu", new[] { x }, new[] { result.Outputs[0] });
                removed.UnionWith(inner);
                fused++;
            }
            if (removed.Count > 0) graph.Nodes.RemoveAll(removed.Contains);
            return fused;
        }

        /// <summary>The pattern around <paramref name="erf"/>: its input x, the nodes it replaces but the last, and the last.</summary>
        private static (Value X, List<Node> Inner, Node Result)? Match(Node erf, Func<Value, Node?> soleReader)
        {
            // x / √2 → erf → + 1
            var scale = erf.Input(0)?.Producer;
            if (scale == null || scale.Outputs.Count != 1 || soleReader(scale.Outputs[0]) != erf) return null;
            if (!(IsScale(scale, "Div", (float)Math.Sqrt(2)) || IsScale(scale, "Mul", 1 / (float)Math.Sqrt(2)))) return null;
            var x = Operands(scale).Runtime;
            if (x == null || x.Type != DataType.Float32) return null;
            var onePlus = soleReader(erf.Outputs[0]);
            if (onePlus == null || onePlus.OpType != "Add" || !HasConstant(onePlus, 1f)) return null;

            // (x · (1 + erf)) · 0.5, (x · 0.5) · (1 + erf) or x · ((1 + erf) · 0.5)
            var inner = new List<Node> { scale, erf, onePlus };
            var first = soleReader(onePlus.Outputs[0]);
            if (first == null || first.OpType != "Mul" || first.Inputs.Count != 2) return null;
            var other = first.Inputs.FirstOrDefault(v => v != onePlus.Outputs[0]);
            Node? result;
            if (other == x)
            {
                result = soleReader(first.Outputs[0]);
                if (result == null || result.OpType != "Mul" || !HasConstant(result, 0.5f)) return null;
                inner.Add(first);
            }
            else if (other?.Producer is { OpType: "Mul" } half && HasConstant(half, 0.5f) && Operands(half).Runtime == x && soleReader(other) == first)
            {
                result = first;
                inner.Add(half);
            }
            else if (HasConstant(first, 0.5f))
            {
                result = soleReader(first.Outputs[0]);
                if (result == null || result.OpType != "Mul" || result.Inputs.Count != 2 || result.Inputs.Count(v => v == x) != 1) return null;
                inner.Add(first);
            }
            else
            {
                return null;
            }
            if (!x.Shape!.SequenceEqual(result.Outputs[0].Shape ?? Array.Empty<int>())) return null;
            return (x, inner, result);
        }

        /// <summary>(the run-time operand, the constant operand) of a binary node, either order.</summary>
        private static (Value? Runtime, Tensor? Constant) Operands(Node node)
        {
            if (node.Inputs.Count != 2 || node.Input(0) is not { } a || node.Input(1) is not { } b) return (null, null);
            if (b.IsConstant && !a.IsConstant) return (a, b.Constant);
            if (a.IsConstant && !b.IsConstant) return (b, a.Constant);
            return (null, null);
        }

        /// <summary>x op c with c a float scalar within float rounding of <paramref name="value"/> (exporters write √2 as 1.4142135 or 1.41421354).</summary>
        private static bool IsScale(Node node, string opType, float value)
        {
            if (node.OpType != opType) return false;
            var (runtime, c) = Operands(node);
            // Div must divide x by the constant, not the constant by x.
            if (runtime == null || c == null || (opType == "Div" && node.Input(0) != runtime)) return false;
            return IsScalar(c, out float v) && Math.Abs(v - value) <= 1e-6f * value;
        }

        private static bool HasConstant(Node node, float value) => Operands(node) is ({ }, { } c) && IsScalar(c, out float v) && v == value;

        private static bool IsScalar(Tensor c, out float value)
        {
            value = 0;
            if (c.Type != DataType.Float32 || c.ElementCount != 1) return false;
            value = c.ToFloatArray()[0];
            return true;
        }
    }
}
