// The arrays the tree kernel (QuantGen.Kernels TreeEnsembleF32, TreeLeavesF32) walks, built from a TreeEnsemble: blocks
// of 16 trees, complete (padded to one depth, level order, lanes interleaved: the vectorized walks) or flattened
// (explicit children: deep or unbalanced trees, equality tests). Every test becomes "x ≤ t" with a NaN bit, or ==/!=
// (flattened only). TreeLeavesF32's summary describes the layout; docs/how-it-works.md "Tree ensembles" the why.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Operators.Ml;
using static QuantGen.Kernels.TreeLayout;

namespace QuantGen.Compiler.Lowering.Ml
{
    /// <summary>Plan symbol: what the leaf entries are (the kernel enum TreeLeafEntry).</summary>
    public enum TreeLeafEntry { LeafNumber, WeightPerTreeClass, WeightOneClass }

    public sealed class TreeEnsembleLayout
    {
        // The kernel's layout facts (BlockLanes, SplitLevels, BlockFields, the feature word): src/QuantGen.Kernels/Layout/TreeLayout.cs.

        /// <summary>
        /// The deepest block padded to a complete tree. Deeper blocks are flattened: a complete block of depth D costs
        /// 2^D · 16 · 12 bytes whatever the trees' real size (depth 10: 196 KB per 16 trees), and the vectorized walk
        /// pays all D levels. See docs/how-it-works.md "Tree ensembles" for the measurement.
        /// </summary>
        public const int MaxCompleteDepth = 10;

        /// <summary>Split levels of complete blocks (16-lane rows), then the flattened nodes.</summary>
        public int[] Feature { get; private set; } = Array.Empty<int>();
        public float[] Threshold { get; private set; } = Array.Empty<float>();

        /// <summary>Packed levels of complete blocks: per node slot, the threshold's bits then the feature word.</summary>
        public int[] Node { get; private set; } = Array.Empty<int>();

        /// <summary>Leaf pairs of complete blocks: per last-level slot, its first child's leaf entry then its second's.</summary>
        public int[] Leaf { get; private set; } = Array.Empty<int>();
        public int[] Child { get; private set; } = Array.Empty<int>();
        public int[] Root { get; private set; } = Array.Empty<int>();
        public int[] Block { get; private set; } = Array.Empty<int>();

        /// <summary>What a leaf entry is: a leaf number, or the leaf's one weight (the kernel's TreeLeafEntry).</summary>
        public TreeLeafEntry LeafEntry { get; private set; } = TreeLeafEntry.LeafNumber;

        /// <summary>The class every weight goes to, with <see cref="TreeLeafEntry.WeightOneClass"/>.</summary>
        public int OneClass { get; private set; }

        /// <summary>Each tree's class, with <see cref="TreeLeafEntry.WeightPerTreeClass"/>; else empty.</summary>
        public int[] TreeClass { get; private set; } = Array.Empty<int>();
        public int[] WeightStart { get; private set; } = Array.Empty<int>();
        public int[] WeightClass { get; private set; } = Array.Empty<int>();
        public float[] WeightValue { get; private set; } = Array.Empty<float>();

        /// <summary>Node slots of the flattened blocks (at the end of Feature and Threshold).</summary>
        public int FlatNodes { get; private set; }
        public int Blocks => Block.Length / BlockFields;
        public int CompleteBlocks { get; private set; }

        public static TreeEnsembleLayout Build(TreeEnsemble e, int maxCompleteDepth = MaxCompleteDepth)
        {
            var layout = new TreeEnsembleLayout();
            var leafId = new Dictionary<int, int>();
            for (int i = 0; i < e.Mode.Length; i++) if (e.IsLeaf(i)) leafId[i] = leafId.Count;
            var leafNodes = leafId.Keys.OrderBy(n => leafId[n]).ToArray();

            // A one-target regressor reads only each leaf's first weight (as ONNX Runtime).
            List<(int Target, float Weight)> WeightsOf(int n) => e.Output == TreeOutput.SingleTarget ? e.Weights[n].Take(1).ToList() : e.Weights[n];

            // The weights are the leaf entries when every leaf has one and each tree votes for one class (boosted trees,
            // one-target regressors): no weight tables to read after the walk.
            var treeClass = new int[e.Roots.Length];
            bool inline = true;
            for (int t = 0; t < e.Roots.Length && inline; t++)
            {
                treeClass[t] = -1;
                foreach (int n in Reachable(e, e.Roots[t]).Where(e.IsLeaf))
                {
                    var weights = WeightsOf(n);
                    if (weights.Count != 1 || (treeClass[t] >= 0 && treeClass[t] != weights[0].Target)) { inline = false; break; }
                    treeClass[t] = weights[0].Target;
                }
            }
            if (inline)
            {
                bool oneClass = treeClass.All(c => c == treeClass[0]);
                layout.LeafEntry = oneClass ? TreeLeafEntry.WeightOneClass : TreeLeafEntry.WeightPerTreeClass;
                layout.OneClass = oneClass ? treeClass[0] : 0;
                layout.TreeClass = oneClass ? Array.Empty<int>() : treeClass;
            }
            int Entry(int n) => inline ? BitConverter.ToInt32(BitConverter.GetBytes(WeightsOf(n)[0].Weight), 0) : leafId[n];

            var feature = new List<int>();
            var threshold = new List<float>();
            var node = new List<int>();
            var leaf = new List<int>();
            var flatFeature = new List<int>();
            var flatThreshold = new List<float>();
            var child = new List<int>();
            int blocks = (e.Roots.Length + BlockLanes - 1) / BlockLanes;
            var root = new int[blocks * BlockLanes];
            var block = new int[blocks * BlockFields];
            for (int b = 0; b < blocks; b++)
            {
                var trees = e.Roots.Skip(b * BlockLanes).Take(BlockLanes).ToArray();
                int depth = trees.Max(r => e.Depth(r));
                bool complete = depth <= maxCompleteDepth && trees.All(r => Reachable(e, r).All(n => e.IsLeaf(n) || Canonical(e, n).Test == 0));
                if (complete)
                {
                    // A block of single leaves still has one level: a test whose two children are the same leaf.
                    depth = Math.Max(depth, 1);
                    int split = Math.Min(depth - 1, SplitLevels);
                    block[BlockFields * b] = depth;
                    block[BlockFields * b + 1] = feature.Count;
                    block[BlockFields * b + 2] = node.Count / 2;
                    block[BlockFields * b + 3] = leaf.Count / 2;
                    var slots = new Slots(split, depth);
                    for (int lane = 0; lane < trees.Length; lane++) slots.Fill(e, Entry, lane, 0, 0, trees[lane]);
                    feature.AddRange(slots.Feature);
                    threshold.AddRange(slots.Threshold);
                    node.AddRange(slots.Node);
                    leaf.AddRange(slots.Leaf);
                    layout.CompleteBlocks++;
                }
                else
                {
                    block[BlockFields * b] = -1;
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
            layout.Node = node.ToArray();
            layout.Leaf = leaf.ToArray();
            layout.Child = child.ToArray();
            layout.Root = root;
            layout.Block = block;

            // Leaf weights in leaf order: the tables of leaf numbers, or (weights inline) each leaf's one weight, which the
            // flattened blocks read by leaf number.
            if (inline)
            {
                layout.WeightValue = leafNodes.Select(n => WeightsOf(n)[0].Weight).ToArray();
            }
            else
            {
                var start = new List<int> { 0 };
                var classes = new List<int>();
                var values = new List<float>();
                foreach (int n in leafNodes)
                {
                    foreach (var (c, w) in WeightsOf(n))
                    {
                        classes.Add(c);
                        values.Add(w);
                    }
                    start.Add(classes.Count);
                }
                layout.WeightStart = start.ToArray();
                layout.WeightClass = classes.ToArray();
                layout.WeightValue = values.ToArray();
            }
            return layout;
        }

        /// <summary>One complete block's arrays, filled tree by tree.</summary>
        private sealed class Slots
        {
            private readonly int _split, _depth;

            public Slots(int split, int depth)
            {
                _split = split;
                _depth = depth;
                int splitNodes = (1 << split) - 1;
                Feature = new int[splitNodes * BlockLanes];
                Threshold = new float[splitNodes * BlockLanes];
                Node = new int[((1 << depth) - 1 - splitNodes) * BlockLanes * 2];
                Leaf = new int[(1 << (depth - 1)) * BlockLanes * 2];
            }

            public int[] Feature { get; }
            public float[] Threshold { get; }
            public int[] Node { get; }
            public int[] Leaf { get; }

            /// <summary>Slot i (level <paramref name="level"/>) of lane <paramref name="lane"/> holds node n; a leaf above the bottom fills its whole subtree.</summary>
            public void Fill(TreeEnsemble e, Func<int, int> entry, int lane, int i, int level, int n)
            {
                if (level == _depth)
                {
                    int position = i - ((1 << _depth) - 1);
                    Leaf[((position >> 1) * BlockLanes + lane) * 2 + (position & 1)] = entry(n);
                    return;
                }
                int first = n, second = n;
                if (!e.IsLeaf(n))
                {
                    var c = Canonical(e, n);
                    if (level < _split)
                    {
                        Feature[i * BlockLanes + lane] = c.Word;
                        Threshold[i * BlockLanes + lane] = c.Threshold;
                    }
                    else
                    {
                        int slot = (i - ((1 << _split) - 1)) * BlockLanes + lane;
                        Node[2 * slot] = BitConverter.ToInt32(BitConverter.GetBytes(c.Threshold), 0);
                        Node[2 * slot + 1] = c.Word;
                    }
                    first = c.Swap ? e.FalseChild[n] : e.TrueChild[n];
                    second = c.Swap ? e.TrueChild[n] : e.FalseChild[n];
                }
                Fill(e, entry, lane, 2 * i + 1, level + 1, first);
                Fill(e, entry, lane, 2 * i + 2, level + 1, second);
            }
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

        private static int Word(int feature, int test, bool nanFirst) => FeatureWord(feature, test, nanFirst);

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
