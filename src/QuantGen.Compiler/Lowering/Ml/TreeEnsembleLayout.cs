// The arrays the tree kernel (QuantGen.Kernels TreeEnsembleF32) walks, built from a TreeEnsemble: blocks of 16 trees,
// complete (padded to one depth, level order, lanes interleaved: the vectorized path) or flattened (explicit children:
// deep or unbalanced trees, equality tests). Every test becomes "x ≤ t" with a NaN bit, or ==/!= (flattened only).
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Operators.Ml;

namespace QuantGen.Compiler.Lowering.Ml
{
    public sealed class TreeEnsembleLayout
    {
        // Trees per block (the kernel's layout, src/QuantGen.Kernels/Layout/TreeLayout.cs).
        public const int BlockLanes = Kernels.TreeLayout.BlockLanes;

        /// <summary>
        /// The deepest block padded to a complete tree. Deeper blocks are flattened: a complete block of depth D costs
        /// 2^D · 16 · 12 bytes whatever the trees' real size (depth 10: 196 KB per 16 trees), and the vectorized walk
        /// pays all D levels. See docs/how-it-works.md "Tree ensembles" for the measurement.
        /// </summary>
        public const int MaxCompleteDepth = 10;

        public int[] Feature { get; private set; } = Array.Empty<int>();
        public float[] Threshold { get; private set; } = Array.Empty<float>();
        public int[] Leaf { get; private set; } = Array.Empty<int>();
        public int[] Child { get; private set; } = Array.Empty<int>();
        public int[] Root { get; private set; } = Array.Empty<int>();
        public int[] Block { get; private set; } = Array.Empty<int>();
        public int[] WeightStart { get; private set; } = Array.Empty<int>();
        public int[] WeightClass { get; private set; } = Array.Empty<int>();
        public float[] WeightValue { get; private set; } = Array.Empty<float>();

        /// <summary>Node slots of the flattened blocks (at the end of Feature and Threshold).</summary>
        public int FlatNodes { get; private set; }
        public int Blocks => Block.Length / 3;
        public int CompleteBlocks { get; private set; }

        public static TreeEnsembleLayout Build(TreeEnsemble e, int maxCompleteDepth = MaxCompleteDepth)
        {
            var layout = new TreeEnsembleLayout();
            var leafId = new Dictionary<int, int>();
            for (int i = 0; i < e.Mode.Length; i++) if (e.IsLeaf(i)) leafId[i] = leafId.Count;

            var feature = new List<int>();
            var threshold = new List<float>();
            var leaf = new List<int>();
            var flatFeature = new List<int>();
            var flatThreshold = new List<float>();
            var child = new List<int>();
            int blocks = (e.Roots.Length + BlockLanes - 1) / BlockLanes;
            var root = new int[blocks * BlockLanes];
            var block = new int[blocks * 3];
            for (int b = 0; b < blocks; b++)
            {
                var trees = e.Roots.Skip(b * BlockLanes).Take(BlockLanes).ToArray();
                int depth = trees.Max(r => e.Depth(r));
                bool complete = depth <= maxCompleteDepth && trees.All(r => Reachable(e, r).All(n => e.IsLeaf(n) || Canonical(e, n).Test == 0));
                if (complete)
                {
                    block[3 * b] = depth;
                    block[3 * b + 1] = feature.Count;
                    block[3 * b + 2] = leaf.Count;
                    int nodes = (1 << depth) - 1;
                    var f = new int[nodes * BlockLanes];
                    var t = new float[nodes * BlockLanes];
                    var l = new int[(nodes + 1) * BlockLanes];
                    for (int lane = 0; lane < trees.Length; lane++) Fill(e, leafId, f, t, l, lane, 0, 0, depth, trees[lane]);
                    feature.AddRange(f);
                    threshold.AddRange(t);
                    leaf.AddRange(l);
                    layout.CompleteBlocks++;
                }
                else
                {
                    block[3 * b] = -1;
                    var index = new Dictionary<int, int>();
                    for (int lane = 0; lane < trees.Length; lane++)
                        root[b * BlockLanes + lane] = Flatten(e, leafId, index, flatFeature, flatThreshold, child, trees[lane]);
                }
            }
            layout.FlatNodes = flatFeature.Count;
            feature.AddRange(flatFeature);
            threshold.AddRange(flatThreshold);
            layout.Feature = feature.ToArray();
            layout.Threshold = threshold.ToArray();
            layout.Leaf = leaf.ToArray();
            layout.Child = child.ToArray();
            layout.Root = root;
            layout.Block = block;

            // Leaf weights in leaf order; a one-target regressor reads only each leaf's first weight (as ONNX Runtime).
            var start = new List<int> { 0 };
            var classes = new List<int>();
            var values = new List<float>();
            foreach (var n in leafId.Keys.OrderBy(n => leafId[n]))
            {
                var weights = e.Output == TreeOutput.SingleTarget ? e.Weights[n].Take(1) : e.Weights[n];
                foreach (var (c, w) in weights)
                {
                    classes.Add(c);
                    values.Add(w);
                }
                start.Add(classes.Count);
            }
            layout.WeightStart = start.ToArray();
            layout.WeightClass = classes.ToArray();
            layout.WeightValue = values.ToArray();
            return layout;
        }

        /// <summary>Slot i of a complete tree (level <paramref name="level"/>) holds node n; a leaf above the bottom fills its whole subtree.</summary>
        private static void Fill(TreeEnsemble e, Dictionary<int, int> leafId, int[] feature, float[] threshold, int[] leaf, int lane, int i, int level, int depth, int n)
        {
            if (level == depth)
            {
                leaf[(i - ((1 << depth) - 1)) * BlockLanes + lane] = leafId[n];
                return;
            }
            int first = n, second = n;
            if (!e.IsLeaf(n))
            {
                var c = Canonical(e, n);
                feature[i * BlockLanes + lane] = c.Word;
                threshold[i * BlockLanes + lane] = c.Threshold;
                first = c.Swap ? e.FalseChild[n] : e.TrueChild[n];
                second = c.Swap ? e.TrueChild[n] : e.FalseChild[n];
            }
            Fill(e, leafId, feature, threshold, leaf, lane, 2 * i + 1, level + 1, depth, first);
            Fill(e, leafId, feature, threshold, leaf, lane, 2 * i + 2, level + 1, depth, second);
        }

        /// <summary>Node n and its subtree as flattened nodes; returns its index, or ~leaf for a leaf.</summary>
        private static int Flatten(TreeEnsemble e, Dictionary<int, int> leafId, Dictionary<int, int> index, List<int> feature, List<float> threshold, List<int> child, int n)
        {
            if (e.IsLeaf(n)) return ~leafId[n];
            if (index.TryGetValue(n, out int known)) return known;
            var c = Canonical(e, n);
            int self = feature.Count;
            index[n] = self;
            feature.Add(c.Word);
            threshold.Add(c.Threshold);
            child.Add(0);
            child.Add(0);
            int first = Flatten(e, leafId, index, feature, threshold, child, c.Swap ? e.FalseChild[n] : e.TrueChild[n]);
            int second = Flatten(e, leafId, index, feature, threshold, child, c.Swap ? e.TrueChild[n] : e.FalseChild[n]);
            child[2 * self] = first;
            child[2 * self + 1] = second;
            return self;
        }

        private static IEnumerable<int> Reachable(TreeEnsemble e, int root)
        {
            var seen = new HashSet<int>();
            var stack = new Stack<int>();
            stack.Push(root);
            while (stack.Count > 0)
            {
                int n = stack.Pop();
                if (!seen.Add(n)) continue;
                yield return n;
                if (e.IsLeaf(n)) continue;
                stack.Push(e.TrueChild[n]);
                stack.Push(e.FalseChild[n]);
            }
        }

        /// <summary>
        /// A branch as the kernel tests it: "x ≤ t" (test 0), "x == t" (1) or "x != t" (2), first child when it holds or
        /// when x is NaN and the word's sign bit is set. For float32 x that is not NaN, x &lt; t ⇔ x ≤ t⁻ (the next float
        /// down), and x &gt; t, x ≥ t are the negations of x ≤ t, x &lt; t, so the children swap; the NaN bit keeps NaN's
        /// ONNX direction (the true child only with missing-value tracking, which after a swap is the second).
        /// </summary>
        public static (int Word, float Threshold, bool Swap, int Test) Canonical(TreeEnsemble e, int n)
        {
            float t = e.Threshold[n];
            bool track = e.MissingGoesTrue[n];
            int feature = e.Feature[n];
            switch (e.Mode[n])
            {
                case TreeNodeMode.BranchLeq: return (Word(feature, 0, track), t, false, 0);
                case TreeNodeMode.BranchLt: return (Word(feature, 0, track), Below(t), false, 0);
                // x > t: never for t = NaN (every x takes the false child, first after the swap: "x ≤ +∞").
                case TreeNodeMode.BranchGt: return (Word(feature, 0, !track), float.IsNaN(t) ? float.PositiveInfinity : t, true, 0);
                case TreeNodeMode.BranchGte: return (Word(feature, 0, !track), float.IsNaN(t) ? float.PositiveInfinity : Below(t), true, 0);
                case TreeNodeMode.BranchEq: return (Word(feature, 1, track), t, false, 1);
                default: return (Word(feature, 2, track), t, false, 2);
            }
        }

        private static int Word(int feature, int test, bool nanFirst) => Kernels.TreeLayout.FeatureWord(feature, test, nanFirst);

        /// <summary>The largest float below t; NaN (no x is ≤ it) when there is none (t = −∞ or NaN).</summary>
        private static unsafe float Below(float t)
        {
            if (float.IsNaN(t) || float.IsNegativeInfinity(t)) return float.NaN;
            if (t == 0f) return -float.Epsilon;
            int bits = *(int*)&t;
            bits += t > 0f ? -1 : 1;
            return *(float*)&bits;
        }
    }
}
