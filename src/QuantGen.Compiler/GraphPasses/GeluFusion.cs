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
        public static int Apply(Graph graph)
        {
            int fused = 0;
            foreach (var erf in graph.Nodes.Where(n => n.OpType == "Erf" && n.Domain.Length == 0).ToList())
                if (TryFuse(graph, erf)) fused++;
            return fused;
        }

        private static bool TryFuse(Graph graph, Node erf)
        {
            // x / √2 → erf → + 1
            var scale = PrivateProducer(graph, erf.Input(0));
            if (scale == null || !(IsScale(scale, "Div", (float)Math.Sqrt(2)) || IsScale(scale, "Mul", 1 / (float)Math.Sqrt(2)))) return false;
            var x = Operands(scale).Runtime;
            if (x == null || x.Type != DataType.Float32) return false;
            var onePlus = SoleReader(graph, erf.Outputs[0]);
            if (onePlus == null || onePlus.OpType != "Add" || !HasConstant(onePlus, 1f)) return false;

            // (x · (1 + erf)) · 0.5, (x · 0.5) · (1 + erf) or x · ((1 + erf) · 0.5)
            var inner = new List<Node> { scale, erf, onePlus };
            var first = SoleReader(graph, onePlus.Outputs[0]);
            if (first == null || first.OpType != "Mul") return false;
            var other = first.Inputs.FirstOrDefault(v => v != onePlus.Outputs[0]);
            Node? result;
            if (other == x)
            {
                result = SoleReader(graph, first.Outputs[0]);
                if (result == null || result.OpType != "Mul" || !HasConstant(result, 0.5f)) return false;
                inner.Add(first);
            }
            else if (other?.Producer is { OpType: "Mul" } half && HasConstant(half, 0.5f) && Operands(half).Runtime == x && SoleReader(graph, other) == first)
            {
                result = first;
                inner.Add(half);
            }
            else if (HasConstant(first, 0.5f))
            {
                result = SoleReader(graph, first.Outputs[0]);
                if (result == null || result.OpType != "Mul" || !result.Inputs.Contains(x) || result.Inputs.Count(v => v == x) != 1) return false;
                inner.Add(first);
            }
            else
            {
                return false;
            }
            if (inner.Any(n => graph.IsGraphOutput(n.Outputs[0]))) return false;
            if (!x.Shape!.SequenceEqual(result.Outputs[0].Shape ?? Array.Empty<int>())) return false;
            inner.Add(result);

            // In the place of the pattern's first node: x is computed before it, and every reader of the result after its last.
            int at = inner.Min(n => graph.Nodes.IndexOf(n));
            foreach (var n in inner) graph.Nodes.Remove(n);
            graph.Nodes.Insert(at, new Node(erf.Name + ".gelu", "Gelu", new[] { x }, new[] { result.Outputs[0] }));
            return true;
        }

        /// <summary>The producer of <paramref name="value"/> when the value has no other reader and is no graph output.</summary>
        private static Node? PrivateProducer(Graph graph, Value? value)
        {
            var producer = value?.Producer;
            if (producer == null || producer.Outputs.Count != 1 || graph.IsGraphOutput(value!) || graph.Consumers(value!).Count() != 1) return null;
            return producer;
        }

        private static Node? SoleReader(Graph graph, Value value)
        {
            if (graph.IsGraphOutput(value)) return null;
            var readers = graph.Consumers(value).ToList();
            return readers.Count == 1 ? readers[0] : null;
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
