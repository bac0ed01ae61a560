// Float32 builds only: a per-feature affine chain ((x - mean) / std, x * s + t) in front of a Gemm with constant weights
// folds into those weights and the bias. Tabular models carry their standardization this way; folded, a call makes two
// fewer passes over its input. An INT8 build keeps the chain: its first layer must quantize standardized values, not
// raw ones (clinical features span 0.001 to 4000, which one per-tensor scale cannot hold).
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir;
using QuantGen.Ir.Diagnostics;

namespace QuantGen.Compiler.GraphPasses
{
    public static class InputNormalizationFolding
    {
        /// <summary>Folds every foldable chain; returns how many Add/Sub/Mul/Div nodes were removed.</summary>
        public static int Run(Graph graph)
        {
            // Readers per value and the graph's outputs, counted once: linear in the graph, however many Gemms it has.
            // A fold leaves both right for every value it does not remove (its chain's input gains the Gemm, loses the chain).
            var readers = new Dictionary<Value, int>();
            foreach (var node in graph.Nodes)
                foreach (var v in node.Inputs.Distinct())
                    if (v != null) readers[v] = readers.TryGetValue(v, out int r) ? r + 1 : 1;
            var outputs = new HashSet<Value>(graph.Outputs);
            var removed = new HashSet<Node>();
            foreach (var gemm in graph.Nodes.Where(n => n.OpType == "Gemm").ToList())
            {
                try
                {
                    Fold(graph, gemm, readers, outputs, removed);
                }
                catch (Exception e) when (!(e is CompilerException) && !(e is OutOfMemoryException))
                {
                    throw CompilerException.Internal(e, "folding the input normalization into", graph.Info.SourcePath, gemm);
                }
            }
            graph.Nodes.RemoveAll(removed.Contains);
            return removed.Count;
        }

        private static void Fold(Graph graph, Node gemm, Dictionary<Value, int> readers, HashSet<Value> outputs, HashSet<Node> removed)
        {
            var a = gemm.Input(0);
            var w = gemm.Input(1)?.Constant;
            var c = gemm.Inputs.Count > 2 ? gemm.Input(2) : null;
            if (a == null || a.Rank != 2 || w == null || w.Rank != 2 || w.Type != DataType.Float32) return;
            if (gemm.Attributes.GetInt("transA", 0) != 0 || gemm.Attributes.GetFloat("alpha", 1f) != 1f || gemm.Attributes.GetFloat("beta", 1f) != 1f) return;
            bool transB = gemm.Attributes.GetInt("transB", 0) != 0;
            int k = transB ? w.Shape[1] : w.Shape[0], n = transB ? w.Shape[0] : w.Shape[1];
            if (a.Shape![1] != k) return;
            // C: one value (a scalar of any rank, tested first: a rank-0 C has no last axis) or N values on its last axis.
            if (c != null && (c.Constant == null || c.Constant.Type != DataType.Float32 || !(c.Constant.ElementCount == 1 || c.Constant.ElementCount == n && c.Constant.Shape.Last() == n))) return;

            // Walk back from the Gemm's input: A = u * scale + shift per feature, u the input of the earliest node folded.
            var scale = Enumerable.Repeat(1.0, k).ToArray();
            var shift = new double[k];
            var chain = new List<Node>();
            var u = a;
            while (u.Producer is { } step && !outputs.Contains(u) && readers.TryGetValue(u, out int r) && r == 1 && Compose(step, k, scale, shift) is { } input)
            {
                chain.Add(step);
                u = input;
            }
            if (chain.Count == 0 || scale.Concat(shift).Any(v => double.IsNaN(v) || double.IsInfinity(v))) return;

            // y = (u * scale + shift) · W + C = u · (diag(scale) W) + (shift · W + C), summed in double.
            var wf = w.ToFloatArray();
            var folded = new float[wf.Length];
            var bias = new double[n];
            var cf = c?.Constant!.ToFloatArray();
            for (int j = 0; j < n; j++) bias[j] = cf == null ? 0 : cf[cf.Length == 1 ? 0 : j];
            for (int i = 0; i < k; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    int at = transB ? j * k + i : i * n + j;
                    folded[at] = (float)(wf[at] * scale[i]);
                    bias[j] += shift[i] * wf[at];
                }
            }
            if (bias.Any(v => double.IsNaN(v) || double.IsInfinity(v) || Math.Abs(v) > float.MaxValue)) return;

            gemm.Inputs[0] = u;
            GraphRewrites.SetConstantInput(gemm, 1, Tensor.FromFloats(w.Shape, folded), gemm.Name + ".weight_normalized");
            GraphRewrites.SetConstantInput(gemm, 2, Tensor.FromFloats(new[] { n }, bias.Select(v => (float)v).ToArray()), gemm.Name + ".bias_normalized");
            removed.UnionWith(chain);
        }

        /// <summary>
        /// If <paramref name="step"/> is x (op) constant with a per-feature or scalar constant, composes it into
        /// A = x * scale + shift and returns x; otherwise null and leaves scale and shift as they were.
        /// </summary>
        private static Value? Compose(Node step, int k, double[] scale, double[] shift)
        {
            if (step.OpType is not ("Add" or "Sub" or "Mul" or "Div") || step.Inputs.Count != 2 || step.Outputs.Count != 1) return null;
            var left = step.Input(0);
            var right = step.Input(1);
            if (left == null || right == null) return null;
            bool constantRight = right.Constant != null && left.Constant == null;
            bool constantLeft = left.Constant != null && right.Constant == null;
            if (!constantRight && !constantLeft) return null;
            var x = constantRight ? left : right;
            var constant = constantRight ? right.Constant! : left.Constant!;
            // The constant must broadcast along the feature axis only: a scalar, or K values on the last axis.
            if (x.Rank != 2 || x.Shape![1] != k || constant.Type != DataType.Float32) return null;
            if (!(constant.ElementCount == 1 || constant.ElementCount == k && constant.Shape.Last() == k && constant.Rank <= 2)) return null;
            if (!step.Outputs[0].Shape!.SequenceEqual(x.Shape)) return null;
            var values = constant.ToFloatArray();
            double At(int i) => values[values.Length == 1 ? 0 : i];

            // Later steps are already in scale/shift: A = y * scale + shift with y = f(x).
            switch (step.OpType)
            {
                case "Add": // y = x + c
                    for (int i = 0; i < k; i++) shift[i] += At(i) * scale[i];
                    break;
                case "Sub" when constantRight: // y = x - c
                    for (int i = 0; i < k; i++) shift[i] -= At(i) * scale[i];
                    break;
                case "Sub": // y = c - x
                    for (int i = 0; i < k; i++) { shift[i] += At(i) * scale[i]; scale[i] = -scale[i]; }
                    break;
                case "Mul": // y = x * c
                    for (int i = 0; i < k; i++) scale[i] *= At(i);
                    break;
                case "Div" when constantRight && Enumerable.Range(0, k).All(i => At(i) != 0): // y = x / c
                    for (int i = 0; i < k; i++) scale[i] /= At(i);
                    break;
                default: // c / x is not affine; x / 0 stays where the model put it
                    return null;
            }
            return x;
        }
    }
}
