// A TreeEnsembleClassifier/Regressor node read into trees, as ONNX Runtime reads it: a tree starts wherever
// nodes_treeids changes, children are found by (tree id, node id), each leaf keeps its weights in attribute order, and
// the first weight is "the" weight of a one-target regressor. The reference evaluation below follows ONNX Runtime's
// traversal and aggregators step by step (float32 arithmetic) and is the compiler's build-time semantics of the node.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators.Ml
{
    /// <summary>A node's comparison (ONNX nodes_modes).</summary>
    public enum TreeNodeMode
    {
        Leaf,
        BranchLeq,
        BranchLt,
        BranchGte,
        BranchGt,
        BranchEq,
        BranchNeq,
    }

    /// <summary>Plan symbols: names of the kernel enums TreeAggregate, TreeTransform and TreeOutput.</summary>
    public enum TreeAggregate { Sum, Average, Min, Max }

    public enum TreeTransform { None, Logistic, Softmax, SoftmaxZero, Probit }

    public enum TreeOutput { SingleTarget, MultiTarget, Classifier }

    public sealed class TreeEnsemble
    {
        private TreeEnsemble() { }

        /// <summary>Per node (attribute order): feature, threshold, mode, missing-value tracking, children (node positions; −1 for leaves).</summary>
        public int[] Feature { get; private set; } = Array.Empty<int>();
        public float[] Threshold { get; private set; } = Array.Empty<float>();
        public TreeNodeMode[] Mode { get; private set; } = Array.Empty<TreeNodeMode>();
        public bool[] MissingGoesTrue { get; private set; } = Array.Empty<bool>();
        public int[] TrueChild { get; private set; } = Array.Empty<int>();
        public int[] FalseChild { get; private set; } = Array.Empty<int>();

        /// <summary>Weights of each node (empty for branches): (class or target, weight), in attribute order.</summary>
        public List<(int Target, float Weight)>[] Weights { get; private set; } = Array.Empty<List<(int, float)>>();

        /// <summary>The root node of each tree, in model order.</summary>
        public int[] Roots { get; private set; } = Array.Empty<int>();

        /// <summary>Classes (classifier) or targets (regressor).</summary>
        public int Targets { get; private set; }

        public int Features { get; private set; }
        public float[] BaseValues { get; private set; } = Array.Empty<float>();
        public TreeAggregate Aggregate { get; private set; }
        public TreeTransform Transform { get; private set; }
        public TreeOutput Output { get; private set; }
        public long[] ClassLabels { get; private set; } = Array.Empty<long>();

        /// <summary>Two classes and every weight on one class: ONNX Runtime's one-column binary layout.</summary>
        public bool BinaryCase { get; private set; }

        /// <summary>No weight is negative (ONNX Runtime then reads the binary score as a probability, threshold 0.5).</summary>
        public bool AllPositive { get; private set; }

        public bool IsLeaf(int n) => Mode[n] == TreeNodeMode.Leaf;

        /// <summary>Reads and checks the node's attributes; every inconsistency is a QG0007 naming the node.</summary>
        public static TreeEnsemble Read(Node node, bool classifier, int features)
        {
            var e = new TreeEnsemble { Features = features };
            var treeIds = MlOperator.Ints(node, "nodes_treeids");
            var nodeIds = MlOperator.Ints(node, "nodes_nodeids");
            var featureIds = MlOperator.Ints(node, "nodes_featureids");
            var modes = node.Attributes.Find("nodes_modes")?.Strings ?? Array.Empty<string>();
            var values = MlOperator.Floats(node, "nodes_values");
            var trueIds = MlOperator.Ints(node, "nodes_truenodeids");
            var falseIds = MlOperator.Ints(node, "nodes_falsenodeids");
            var missing = MlOperator.Ints(node, "nodes_missing_value_tracks_true");
            int n = treeIds.Length;
            if (n == 0) throw OperatorDefinition.Invalid(node, "the ensemble has no nodes");
            foreach (var (name, length) in new[] { ("nodes_nodeids", nodeIds.Length), ("nodes_featureids", featureIds.Length), ("nodes_modes", modes.Length),
                                                   ("nodes_values", values.Length), ("nodes_truenodeids", trueIds.Length), ("nodes_falsenodeids", falseIds.Length) })
                if (length != n) throw OperatorDefinition.Invalid(node, $"{name} has {length} entries, nodes_treeids {n}");

            e.Feature = new int[n];
            e.Threshold = values;
            e.Mode = new TreeNodeMode[n];
            e.MissingGoesTrue = new bool[n];
            e.TrueChild = new int[n];
            e.FalseChild = new int[n];
            e.Weights = new List<(int, float)>[n];
            var position = new Dictionary<(long Tree, long Node), int>();
            for (int i = 0; i < n; i++)
            {
                e.Mode[i] = ParseMode(node, modes[i]);
                e.MissingGoesTrue[i] = i < missing.Length && missing[i] == 1;
                e.Weights[i] = new List<(int, float)>();
                if (!position.ContainsKey((treeIds[i], nodeIds[i]))) position.Add((treeIds[i], nodeIds[i]), i);
                else throw OperatorDefinition.Invalid(node, $"node {nodeIds[i]} of tree {treeIds[i]} is defined twice");
                if (e.Mode[i] == TreeNodeMode.Leaf) continue;
                if (featureIds[i] < 0 || featureIds[i] >= features)
                    throw OperatorDefinition.Invalid(node, $"node {nodeIds[i]} of tree {treeIds[i]} reads feature {featureIds[i]}, and the input has {features}");
                e.Feature[i] = (int)featureIds[i];
            }
            for (int i = 0; i < n; i++)
            {
                if (e.Mode[i] == TreeNodeMode.Leaf) { e.TrueChild[i] = e.FalseChild[i] = -1; continue; }
                e.TrueChild[i] = Child(node, position, treeIds[i], trueIds[i], nodeIds[i], "true");
                e.FalseChild[i] = Child(node, position, treeIds[i], falseIds[i], nodeIds[i], "false");
            }

            // Targets: attribute order within a leaf; weights on branch nodes are ignored, as ONNX Runtime does.
            string prefix = classifier ? "class_" : "target_";
            var targetIds = MlOperator.Ints(node, prefix + "ids");
            var targetNodes = MlOperator.Ints(node, prefix + "nodeids");
            var targetTrees = MlOperator.Ints(node, prefix + "treeids");
            var weights = MlOperator.Floats(node, prefix + "weights");
            if (targetNodes.Length != targetIds.Length || targetTrees.Length != targetIds.Length || weights.Length != targetIds.Length)
                throw OperatorDefinition.Invalid(node, $"{prefix}ids, {prefix}nodeids, {prefix}treeids and {prefix}weights differ in length");
            if (classifier)
            {
                if (MlOperator.Strings(node, "classlabels_strings").Length > 0)
                    throw OperatorDefinition.Unsupported(node, "string class labels (classlabels_strings); export int64 labels (classlabels_int64s)");
                e.ClassLabels = MlOperator.Ints(node, "classlabels_int64s");
                e.Targets = e.ClassLabels.Length;
                if (e.Targets < 2) throw OperatorDefinition.Unsupported(node, $"a classifier with {e.Targets} class label(s)");
            }
            else
            {
                e.Targets = (int)node.Attributes.GetInt("n_targets", 0);
                if (e.Targets < 1) throw OperatorDefinition.Invalid(node, "n_targets must be at least 1");
            }
            e.AllPositive = true;
            for (int k = 0; k < targetIds.Length; k++)
            {
                if (weights[k] < 0) e.AllPositive = false;
                if (!position.TryGetValue((targetTrees[k], targetNodes[k]), out int leaf))
                    throw OperatorDefinition.Invalid(node, $"{prefix}nodeids names node {targetNodes[k]} of tree {targetTrees[k]}, which does not exist");
                if (!e.IsLeaf(leaf)) continue;
                if (targetIds[k] < 0 || targetIds[k] >= e.Targets)
                    throw OperatorDefinition.Invalid(node, $"{prefix}ids has {targetIds[k]}, outside the {e.Targets} {(classifier ? "classes" : "targets")}");
                e.Weights[leaf].Add(((int)targetIds[k], weights[k]));
            }
            for (int i = 0; i < n; i++)
                if (e.IsLeaf(i) && e.Weights[i].Count == 0)
                    throw OperatorDefinition.Invalid(node, $"leaf {nodeIds[i]} of tree {treeIds[i]} has no weight");
            e.BinaryCase = classifier && e.Targets == 2 && targetIds.Distinct().Count() == 1;

            var roots = new List<int>();
            for (int i = 0; i < n; i++) if (i == 0 || treeIds[i] != treeIds[i - 1]) roots.Add(i);
            e.Roots = roots.ToArray();
            foreach (int root in e.Roots) e.Depth(root, node); // rejects cycles

            e.BaseValues = MlOperator.Floats(node, "base_values");
            e.Transform = ParseTransform(node, node.Attributes.GetString("post_transform", "NONE"));
            e.Aggregate = classifier ? TreeAggregate.Sum : ParseAggregate(node, node.Attributes.GetString("aggregate_function", "SUM"));
            e.Output = classifier ? TreeOutput.Classifier : e.Targets == 1 ? TreeOutput.SingleTarget : TreeOutput.MultiTarget;
            return e;
        }

        /// <summary>Edges on the longest path from <paramref name="root"/> to a leaf (the graph must be acyclic).</summary>
        public int Depth(int root, Node? node = null)
        {
            var memo = new Dictionary<int, int>();
            var onPath = new HashSet<int>();
            int Walk(int i)
            {
                if (IsLeaf(i)) return 0;
                if (memo.TryGetValue(i, out int d)) return d;
                if (!onPath.Add(i)) throw OperatorDefinition.Invalid(node!, "a tree has a cycle");
                d = 1 + Math.Max(Walk(TrueChild[i]), Walk(FalseChild[i]));
                onPath.Remove(i);
                memo[i] = d;
                return d;
            }
            return Walk(root);
        }

        // ---- reference evaluation: ONNX Runtime's traversal and aggregators ----

        /// <summary>Scores (and, for a classifier, the label) of one row.</summary>
        public (float[] Scores, long Label) Evaluate(float[] row, int offset)
        {
            var leaves = Roots.Select(r => Leaf(r, row, offset)).ToArray();
            if (Output == TreeOutput.SingleTarget) return (new[] { SingleTarget(leaves) }, 0);
            var scores = new float[Targets];
            var has = new bool[Targets];
            foreach (int leaf in leaves)
            {
                foreach (var (c, w) in Weights[leaf])
                {
                    scores[c] = Aggregate switch
                    {
                        TreeAggregate.Min => !has[c] || w < scores[c] ? w : scores[c],
                        TreeAggregate.Max => !has[c] || w > scores[c] ? w : scores[c],
                        _ => scores[c] + w,
                    };
                    has[c] = true;
                }
            }
            return Output == TreeOutput.MultiTarget ? (MultiTarget(scores, has), 0) : Classify(scores, has);
        }

        private int Leaf(int i, float[] row, int offset)
        {
            while (!IsLeaf(i))
            {
                float v = row[offset + Feature[i]], t = Threshold[i];
                bool test = Mode[i] switch
                {
                    TreeNodeMode.BranchLeq => v <= t,
                    TreeNodeMode.BranchLt => v < t,
                    TreeNodeMode.BranchGte => v >= t,
                    TreeNodeMode.BranchGt => v > t,
                    TreeNodeMode.BranchEq => v == t,
                    _ => v != t,
                };
                i = test || (MissingGoesTrue[i] && float.IsNaN(v)) ? TrueChild[i] : FalseChild[i];
            }
            return i;
        }

        private float SingleTarget(int[] leaves)
        {
            float score = 0f;
            bool has = false;
            foreach (int leaf in leaves)
            {
                float w = Weights[leaf][0].Weight;
                score = Aggregate switch
                {
                    TreeAggregate.Min => !has || w < score ? w : score,
                    TreeAggregate.Max => !has || w > score ? w : score,
                    _ => score + w,
                };
                has = true;
            }
            float origin = BaseValues.Length == 1 ? BaseValues[0] : 0f;
            score = Aggregate switch
            {
                TreeAggregate.Sum => score + origin,
                TreeAggregate.Average => score / Roots.Length + origin,
                _ => has ? score + origin : origin,
            };
            return Transform == TreeTransform.Probit ? Probit(score) : score;
        }

        private float[] MultiTarget(float[] scores, bool[] has)
        {
            bool useBase = BaseValues.Length == Targets;
            for (int c = 0; c < Targets; c++)
            {
                float b = useBase ? BaseValues[c] : 0f;
                scores[c] = Aggregate switch
                {
                    TreeAggregate.Sum => scores[c] + b,
                    TreeAggregate.Average => scores[c] / Roots.Length + b,
                    _ => b + (has[c] ? scores[c] : 0f),
                };
            }
            return Transformed(scores, has);
        }

        private (float[] Scores, long Label) Classify(float[] scores, bool[] has)
        {
            if (Targets > 2)
            {
                for (int c = 0; c < BaseValues.Length && c < Targets; c++)
                {
                    scores[c] = has[c] ? scores[c] + BaseValues[c] : BaseValues[c];
                    has[c] = true;
                }
                int best = -1;
                for (int c = 0; c < Targets; c++)
                    if (has[c] && (best == -1 || scores[c] > scores[best])) best = c;
                return (Transformed(scores, has), ClassLabels[Math.Max(best, 0)]);
            }
            bool two = true;
            int second = -1;
            if (BaseValues.Length == 2)
            {
                if (has[1]) { scores[1] = BaseValues[1] + scores[0]; scores[0] = -scores[1]; }
                else { scores[1] += BaseValues[1]; scores[0] += BaseValues[0]; }
            }
            else if (BaseValues.Length == 1) { scores[0] += BaseValues[0]; two = has[1]; }
            else if (BaseValues.Length == 0) { second = 3; two = has[1]; }
            float positive = two && has[1] ? scores[1] : has[0] ? scores[0] : 0f;
            long label;
            if (BinaryCase)
            {
                bool isPositive = AllPositive ? positive > 0.5f : positive > 0f;
                second = (AllPositive ? 0 : 2) + (isPositive ? 0 : 1);
                label = ClassLabels[isPositive ? 1 : 0];
            }
            else label = positive > 0f ? 1 : 0;
            if (two) return (Transformed(scores, has), label);
            float s = has[0] ? scores[0] : 0f;
            if (Transform == TreeTransform.Probit) return (new[] { Probit(s), 0f }, label);
            if (second == 0 || second == 1) return (new[] { 1f - s, s }, label);
            if (second == 2 || second == 3)
                return (Transform == TreeTransform.Logistic ? new[] { Logistic(-s), Logistic(s) } : new[] { -s, s }, label);
            return (new[] { s, 0f }, label);
        }

        private float[] Transformed(float[] scores, bool[] has)
        {
            var s = scores.Select((v, c) => has[c] ? v : 0f).ToArray();
            switch (Transform)
            {
                case TreeTransform.Probit: return s.Select(Probit).ToArray();
                case TreeTransform.Logistic: return s.Select(Logistic).ToArray();
                case TreeTransform.Softmax:
                case TreeTransform.SoftmaxZero:
                {
                    bool zero = Transform == TreeTransform.SoftmaxZero;
                    float max = s.Max();
                    float sum = 0f;
                    var y = new float[s.Length];
                    for (int c = 0; c < s.Length; c++)
                    {
                        y[c] = zero && s[c] <= 0.0000001f && s[c] >= -0.0000001f ? s[c] * (float)Math.Exp(-max) : (float)Math.Exp(s[c] - max);
                        if (!zero || s[c] > 0.0000001f || s[c] < -0.0000001f) sum += y[c];
                    }
                    return y.Select(v => v / sum).ToArray();
                }
                default: return s;
            }
        }

        internal static float Logistic(float x)
        {
            float v = 1f / (1f + (float)Math.Exp(-Math.Abs(x)));
            return x < 0f ? 1f - v : v;
        }

        internal static float Probit(float x)
        {
            float z = 2f * x - 1f;
            float sign = z < 0f ? -1f : 1f;
            z = (1f - z) * (1f + z);
            float log = (float)Math.Log(z);
            float v = 2f / ((float)Math.PI * 0.147f) + 0.5f * log;
            float v2 = 1f / 0.147f * log;
            float v3 = -v + (float)Math.Sqrt(v * v - v2);
            return 1.41421356f * (sign * (float)Math.Sqrt(v3));
        }

        // ---- attribute parsing ----

        private static int Child(Node node, Dictionary<(long, long), int> position, long tree, long child, long from, string which)
        {
            if (!position.TryGetValue((tree, child), out int i))
                throw OperatorDefinition.Invalid(node, $"node {from} of tree {tree} has {which} child {child}, which does not exist");
            if (child == from) throw OperatorDefinition.Invalid(node, $"node {from} of tree {tree} is its own {which} child");
            return i;
        }

        private static TreeNodeMode ParseMode(Node node, string mode) => mode switch
        {
            "LEAF" => TreeNodeMode.Leaf,
            "BRANCH_LEQ" => TreeNodeMode.BranchLeq,
            "BRANCH_LT" => TreeNodeMode.BranchLt,
            "BRANCH_GTE" => TreeNodeMode.BranchGte,
            "BRANCH_GT" => TreeNodeMode.BranchGt,
            "BRANCH_EQ" => TreeNodeMode.BranchEq,
            "BRANCH_NEQ" => TreeNodeMode.BranchNeq,
            _ => throw OperatorDefinition.Invalid(node, $"nodes_modes has '{mode}'"),
        };

        internal static TreeTransform ParseTransform(Node node, string transform) => transform switch
        {
            "NONE" => TreeTransform.None,
            "LOGISTIC" => TreeTransform.Logistic,
            "SOFTMAX" => TreeTransform.Softmax,
            "SOFTMAX_ZERO" => TreeTransform.SoftmaxZero,
            "PROBIT" => TreeTransform.Probit,
            _ => throw OperatorDefinition.Invalid(node, $"post_transform '{transform}'"),
        };

        private static TreeAggregate ParseAggregate(Node node, string aggregate) => aggregate switch
        {
            "SUM" => TreeAggregate.Sum,
            "AVERAGE" => TreeAggregate.Average,
            "MIN" => TreeAggregate.Min,
            "MAX" => TreeAggregate.Max,
            _ => throw OperatorDefinition.Invalid(node, $"aggregate_function '{aggregate}'"),
        };
    }
}
