// Tree ensembles (ai.onnx.ml TreeEnsembleClassifier / TreeEnsembleRegressor) on one row: find every tree's leaf, then
// aggregate the leaves' weights and post-transform exactly as ONNX Runtime does (float32 comparisons and sums, trees in
// model order), so every decision path and label is ONNX Runtime's.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;
    using System.Runtime.Intrinsics.X86;

    /// <summary>How the trees' weights combine (ONNX <c>aggregate_function</c>).</summary>
    internal enum TreeAggregate
    {
        Sum,
        Average,
        Min,
        Max,
    }

    /// <summary>ONNX <c>post_transform</c> of tree ensembles and linear models.</summary>
    internal enum TreeTransform
    {
        None,
        Logistic,
        Softmax,
        SoftmaxZero,
        Probit,
    }

    /// <summary>What the ensemble computes once the leaves are known (ONNX Runtime's aggregators).</summary>
    internal enum TreeOutput
    {
        /// <summary>A regressor with one target: each leaf's first weight, no per-target bookkeeping.</summary>
        SingleTarget,

        /// <summary>A regressor with several targets.</summary>
        MultiTarget,

        /// <summary>A classifier: scores per class and the label (argmax, or ONNX Runtime's binary rules).</summary>
        Classifier,
    }

    /// <summary>
    /// Layout (built by the compiler, see docs/how-it-works.md "Tree ensembles"): trees come in blocks of
    /// <see cref="BlockLanes"/> consecutive trees. A <b>complete</b> block stores its trees padded to one depth D, level
    /// by level (node i's children are 2i+1, taken when the test holds, and 2i+2), the lanes interleaved: slot
    /// (i·16 + lane). A block whose trees are too deep to pad, or that tests equality, is <b>flattened</b>: each node has
    /// two child entries (a negative entry is ~leaf). Every node is canonical: "x[f] ≤ t" (the compiler rewrites
    /// &lt;, ≥, &gt; into it exactly) or ==, != (flattened blocks only), plus a bit sending NaN to the first child.
    /// </summary>
    internal static unsafe class TreeEnsembleF32
    {
        // The layout facts the compiler builds against (src/QuantGen.Kernels/Layout/TreeLayout.cs).
        public const int BlockLanes = TreeLayout.BlockLanes;
        public const int NanFirstBit = TreeLayout.NanFirstBit;
        public const int TestShift = TreeLayout.TestShift;
        public const int FeatureMask = TreeLayout.FeatureMask;

        /// <summary>
        /// One row. <paramref name="block"/> holds (depth, nodeBase, leafBase) per block; depth −1 marks a flattened
        /// block, whose trees start at <c>root[t]</c> (a flattened node, counted from <c>nodes − flatNodes</c>, or ~leaf).
        /// Leaf l's weights are entries weightStart[l] to weightStart[l + 1] of (weightClass, weightValue).
        /// <paramref name="scratch"/> holds blocks·16 leaf numbers, then 2·classes words for the scores. The arrays come
        /// from the compiler (their indices stay inside them); <paramref name="features"/>, <paramref name="leafSlots"/>,
        /// <paramref name="leaves"/> and <paramref name="weights"/> are their lengths, for the plan's bounds check.
        /// </summary>
        public static void Run(float* x, int* feature, float* threshold, int* leaf, int* child, int* root, int* block,
            int* weightStart, int* weightClass, float* weightValue, float* baseValues, long* classLabels, float* y, long* label, int* scratch,
            int features, int nodes, int leafSlots, int flatNodes, int leaves, int weights, int trees, int blocks, int classes, int baseCount,
            int binaryCase, int allPositive, TreeOutput output, TreeAggregate aggregate, TreeTransform transform)
        {
            int flatBase = nodes - flatNodes;
            int* leafOf = scratch;
            for (int b = 0; b < blocks; b++)
            {
                int depth = block[3 * b];
                int* slots = leafOf + b * BlockLanes;
                if (depth < 0)
                {
                    Flattened(x, feature + flatBase, threshold + flatBase, child, root + b * BlockLanes, slots, Math.Min(BlockLanes, trees - b * BlockLanes));
                }
                else if (Avx2.IsSupported)
                {
                    // A run of complete blocks of one depth walks level by level across all its blocks: every block's
                    // gathers are independent of the others', so the core overlaps them instead of waiting on each chain.
                    int end = b + 1;
                    while (end < blocks && block[3 * end] == depth) end++;
                    CompleteRunAvx2(x, feature, threshold, leaf, block, b, end, depth, leafOf);
                    b = end - 1;
                }
                else
                {
                    Complete(x, feature + block[3 * b + 1], threshold + block[3 * b + 1], leaf + block[3 * b + 2], depth, slots);
                }
            }

            float* scores = (float*)(scratch + blocks * BlockLanes);
            byte* has = (byte*)(scores + classes);
            // One weight per leaf (boosted trees, one-target regressors): leaf l's weight is entry l, no start table read.
            bool oneEach = weights == leaves;
            if (output == TreeOutput.SingleTarget)
            {
                SingleTarget(leafOf, oneEach ? null : weightStart, weightValue, baseValues, y, trees, baseCount, aggregate, transform);
                return;
            }
            for (int c = 0; c < classes; c++)
            {
                scores[c] = 0f;
                has[c] = 0;
            }
            if (oneEach && (aggregate == TreeAggregate.Sum || aggregate == TreeAggregate.Average))
            {
                for (int t = 0; t < trees; t++)
                {
                    int k = leafOf[t];
                    int c = weightClass[k];
                    scores[c] += weightValue[k];
                    has[c] = 1;
                }
            }
            else if (aggregate == TreeAggregate.Sum || aggregate == TreeAggregate.Average)
            {
                // Classifiers always sum; the tight loop is most of the time after the walk for a large ensemble.
                for (int t = 0; t < trees; t++)
                {
                    int l = leafOf[t];
                    for (int k = weightStart[l], end = weightStart[l + 1]; k < end; k++)
                    {
                        int c = weightClass[k];
                        scores[c] += weightValue[k];
                        has[c] = 1;
                    }
                }
            }
            else
            {
                bool min = aggregate == TreeAggregate.Min;
                for (int t = 0; t < trees; t++)
                {
                    int l = leafOf[t];
                    for (int k = weightStart[l], end = weightStart[l + 1]; k < end; k++)
                    {
                        int c = weightClass[k];
                        float w = weightValue[k];
                        scores[c] = has[c] == 0 || (min ? w < scores[c] : w > scores[c]) ? w : scores[c];
                        has[c] = 1;
                    }
                }
            }
            if (output == TreeOutput.MultiTarget)
                MultiTarget(scores, has, baseValues, y, trees, classes, baseCount, aggregate, transform);
            else
                Classify(scores, has, baseValues, y, label, classes, baseCount, transform, binaryCase != 0, allPositive != 0, classLabels);
        }

        // ---- finding the leaves ----

        /// <summary>The 16 trees of a complete block of depth <paramref name="depth"/>: leaf numbers into <paramref name="leaves"/>.</summary>
        private static void Complete(float* x, int* feature, float* threshold, int* leaf, int depth, int* leaves)
        {
            for (int lane = 0; lane < BlockLanes; lane++)
            {
                int i = 0;
                for (int level = 0; level < depth; level++)
                {
                    int slot = i * BlockLanes + lane;
                    int word = feature[slot];
                    float v = x[word & FeatureMask];
                    bool first = v <= threshold[slot] || (word < 0 && float.IsNaN(v));
                    i = 2 * i + (first ? 1 : 2);
                }
                leaves[lane] = leaf[(i - ((1 << depth) - 1)) * BlockLanes + lane];
            }
        }

        /// <summary>
        /// Blocks [first, end) of one depth, level by level: each block's node indices wait in its 16 leaf slots between
        /// levels, and become its leaf numbers at the end. The same steps per lane as <see cref="Complete"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void CompleteRunAvx2(float* x, int* feature, float* threshold, int* leaf, int* block, int first, int end, int depth, int* leafOf)
        {
            Vector256<int> lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
            Vector256<int> mask = Vector256.Create(FeatureMask);
            Vector256<int> two = Vector256.Create(2);
            for (int b = first; b < end; b++)
            {
                // Level 0: every lane is at its root, slots 0-15: plain loads, no gather.
                int* f = feature + block[3 * b + 1];
                float* t = threshold + block[3 * b + 1];
                int* slots = leafOf + b * BlockLanes;
                if (depth == 0)
                {
                    Avx.Store(slots, Vector256<int>.Zero);
                    Avx.Store(slots + 8, Vector256<int>.Zero);
                    continue;
                }
                Vector256<int> w0 = Avx.LoadVector256(f), w1 = Avx.LoadVector256(f + 8);
                Avx.Store(slots, Step(Vector256<int>.Zero, Avx2.GatherVector256(x, Avx2.And(w0, mask), 4), Avx.LoadVector256(t), w0, two));
                Avx.Store(slots + 8, Step(Vector256<int>.Zero, Avx2.GatherVector256(x, Avx2.And(w1, mask), 4), Avx.LoadVector256(t + 8), w1, two));
            }
            for (int level = 1; level < depth; level++)
            {
                for (int b = first; b < end; b++)
                {
                    int* f = feature + block[3 * b + 1];
                    float* t = threshold + block[3 * b + 1];
                    int* slots = leafOf + b * BlockLanes;
                    Vector256<int> i0 = Avx.LoadVector256(slots), i1 = Avx.LoadVector256(slots + 8);
                    Vector256<int> s0 = Avx2.Add(Avx2.ShiftLeftLogical(i0, 4), lanes);
                    Vector256<int> s1 = Avx2.Add(Avx2.ShiftLeftLogical(i1, 4), lanes);
                    Vector256<int> w0 = Avx2.GatherVector256(f, s0, 4);
                    Vector256<int> w1 = Avx2.GatherVector256(f + 8, s1, 4);
                    Vector256<float> v0 = Avx2.GatherVector256(x, Avx2.And(w0, mask), 4);
                    Vector256<float> v1 = Avx2.GatherVector256(x, Avx2.And(w1, mask), 4);
                    Avx.Store(slots, Step(i0, v0, Avx2.GatherVector256(t, s0, 4), w0, two));
                    Avx.Store(slots + 8, Step(i1, v1, Avx2.GatherVector256(t + 8, s1, 4), w1, two));
                }
            }
            Vector256<int> firstLeaf = Vector256.Create((1 << depth) - 1);
            for (int b = first; b < end; b++)
            {
                int* l = leaf + block[3 * b + 2];
                int* slots = leafOf + b * BlockLanes;
                Vector256<int> i0 = Avx.LoadVector256(slots), i1 = Avx.LoadVector256(slots + 8);
                Avx.Store(slots, Avx2.GatherVector256(l, Avx2.Add(Avx2.ShiftLeftLogical(Avx2.Subtract(i0, firstLeaf), 4), lanes), 4));
                Avx.Store(slots + 8, Avx2.GatherVector256(l + 8, Avx2.Add(Avx2.ShiftLeftLogical(Avx2.Subtract(i1, firstLeaf), 4), lanes), 4));
            }
        }

        /// <summary>One level: i → 2i + 1 where v ≤ t (or v is NaN and the word's NaN bit is set), else 2i + 2.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> Step(Vector256<int> i, Vector256<float> v, Vector256<float> t, Vector256<int> word, Vector256<int> two)
        {
            Vector256<int> first = Avx.Or(Avx.CompareLessThanOrEqual(v, t), Avx.And(Avx.CompareUnordered(v, v), Avx2.ShiftRightArithmetic(word, 31).AsSingle())).AsInt32();
            return Avx2.Add(Avx2.Add(Avx2.Add(i, i), two), first);
        }

        /// <summary>Trees of a flattened block, one at a time: child entry 2n when the node's test holds, else 2n + 1.</summary>
        private static void Flattened(float* x, int* feature, float* threshold, int* child, int* root, int* leaves, int count)
        {
            for (int lane = 0; lane < count; lane++)
            {
                int n = root[lane];
                while (n >= 0)
                {
                    int word = feature[n];
                    float v = x[word & FeatureMask];
                    float t = threshold[n];
                    bool first = ((word >> TestShift) & 7) switch
                    {
                        0 => v <= t,
                        1 => v == t,
                        _ => v != t,
                    };
                    first |= word < 0 && float.IsNaN(v);
                    n = child[2 * n + (first ? 0 : 1)];
                }
                leaves[lane] = ~n;
            }
        }

        // ---- aggregating, as ONNX Runtime's TreeAggregator* classes ----

        /// <summary>One target: each leaf's first weight; base_values count only when there is exactly one.</summary>
        private static void SingleTarget(int* leaves, int* weightStart, float* weightValue, float* baseValues, float* y, int trees, int baseCount,
            TreeAggregate aggregate, TreeTransform transform)
        {
            float score = 0f;
            bool has = false;
            for (int t = 0; t < trees; t++)
            {
                float w = weightValue[weightStart == null ? leaves[t] : weightStart[leaves[t]]];
                switch (aggregate)
                {
                    case TreeAggregate.Min: score = !has || w < score ? w : score; break;
                    case TreeAggregate.Max: score = !has || w > score ? w : score; break;
                    default: score += w; break;
                }
                has = true;
            }
            float origin = baseCount == 1 ? baseValues[0] : 0f;
            switch (aggregate)
            {
                case TreeAggregate.Sum: score += origin; break;
                case TreeAggregate.Average: score = score / trees + origin; break;
                default: score = has ? score + origin : origin; break;
            }
            y[0] = transform == TreeTransform.Probit ? Probit(score) : score;
        }

        private static void MultiTarget(float* scores, byte* has, float* baseValues, float* y, int trees, int targets, int baseCount,
            TreeAggregate aggregate, TreeTransform transform)
        {
            bool useBase = baseCount == targets;
            for (int c = 0; c < targets; c++)
            {
                float b = useBase ? baseValues[c] : 0f;
                switch (aggregate)
                {
                    case TreeAggregate.Sum: scores[c] += b; break;
                    case TreeAggregate.Average: scores[c] = scores[c] / trees + b; break;
                    default: scores[c] = b + (has[c] != 0 ? scores[c] : 0f); break;
                }
            }
            Transform(scores, has, targets, transform, y);
        }

        /// <summary>
        /// ONNX Runtime's TreeAggregatorClassifier: with more than two classes, base values then argmax over the classes
        /// that have a score; with two, its binary rules (one weight column: the positive class's score and the second
        /// column derived from it).
        /// </summary>
        private static void Classify(float* scores, byte* has, float* baseValues, float* y, long* label, int classes, int baseCount,
            TreeTransform transform, bool binaryCase, bool allPositive, long* classLabels)
        {
            if (classes > 2)
            {
                for (int c = 0; c < baseCount && c < classes; c++)
                {
                    scores[c] = has[c] != 0 ? scores[c] + baseValues[c] : baseValues[c];
                    has[c] = 1;
                }
                int best = -1;
                float bestScore = 0f;
                for (int c = 0; c < classes; c++)
                {
                    if (has[c] != 0 && (best == -1 || scores[c] > bestScore))
                    {
                        best = c;
                        bestScore = scores[c];
                    }
                }
                if (label != null) label[0] = classLabels == null ? 0 : classLabels[best < 0 ? 0 : best];
                Transform(scores, has, classes, transform, y);
                return;
            }

            int count = 2;
            int secondColumn = -1;
            if (baseCount == 2)
            {
                if (has[1] != 0)
                {
                    // As ONNX Runtime: base_values[0] unused, the positive score is base_values[1] + the first column.
                    scores[1] = baseValues[1] + scores[0];
                    scores[0] = -scores[1];
                }
                else
                {
                    scores[1] += baseValues[1];
                    scores[0] += baseValues[0];
                }
            }
            else if (baseCount == 1)
            {
                scores[0] += baseValues[0];
                if (has[1] == 0) count = 1;
            }
            else if (baseCount == 0)
            {
                secondColumn = 3;
                if (has[1] == 0) count = 1;
            }

            float positive = count == 2 && has[1] != 0 ? scores[1] : has[0] != 0 ? scores[0] : 0f;
            long result;
            if (binaryCase)
            {
                bool isPositive = allPositive ? positive > 0.5f : positive > 0f;
                secondColumn = (allPositive ? 0 : 2) + (isPositive ? 0 : 1);
                result = classLabels == null ? 0 : classLabels[isPositive ? 1 : 0];
            }
            else
            {
                result = positive > 0f ? 1 : 0;
            }
            if (label != null) label[0] = result;

            if (count == 2)
            {
                Transform(scores, has, 2, transform, y);
                return;
            }
            float s = has[0] != 0 ? scores[0] : 0f;
            if (transform == TreeTransform.Probit)
            {
                y[0] = Probit(s);
                y[1] = 0f; // ONNX Runtime leaves the second column unwritten here
                return;
            }
            switch (secondColumn)
            {
                case 0:
                case 1:
                    y[0] = 1f - s;
                    y[1] = s;
                    break;
                case 2:
                case 3:
                    if (transform == TreeTransform.Logistic)
                    {
                        y[0] = Logistic(-s);
                        y[1] = Logistic(s);
                    }
                    else
                    {
                        y[0] = -s;
                        y[1] = s;
                    }
                    break;
                default:
                    y[0] = s;
                    y[1] = 0f; // as above: ONNX Runtime writes one column
                    break;
            }
        }

        // ---- post transforms (ONNX Runtime's ml_common.h: float arithmetic, std::exp) ----

        /// <summary>
        /// Writes post_transform(scores) to <paramref name="y"/> (two or more values). A score whose class or target no
        /// leaf voted for reads as 0, base value or not (ONNX Runtime's ScoreValue converts so).
        /// </summary>
        internal static void Transform(float* scores, byte* has, int count, TreeTransform transform, float* y)
        {
            for (int c = 0; c < count; c++) if (has[c] == 0) scores[c] = 0f;
            TransformAll(scores, count, transform, y);
        }

        /// <summary>post_transform of every score (two or more), into <paramref name="y"/>.</summary>
        internal static void TransformAll(float* scores, int count, TreeTransform transform, float* y)
        {
            switch (transform)
            {
                case TreeTransform.Probit:
                    for (int c = 0; c < count; c++) y[c] = Probit(scores[c]);
                    break;
                case TreeTransform.Logistic:
                    for (int c = 0; c < count; c++) y[c] = Logistic(scores[c]);
                    break;
                case TreeTransform.Softmax:
                {
                    float max = -float.MaxValue;
                    for (int c = 0; c < count; c++) if (scores[c] > max) max = scores[c];
                    float sum = 0f;
                    for (int c = 0; c < count; c++)
                    {
                        y[c] = MathF.Exp(scores[c] - max);
                        sum += y[c];
                    }
                    for (int c = 0; c < count; c++) y[c] /= sum;
                    break;
                }
                case TreeTransform.SoftmaxZero:
                {
                    // Zero scores stay zero (a class no tree voted for), the others share the probability.
                    float max = -float.MaxValue;
                    for (int c = 0; c < count; c++) if (scores[c] > max) max = scores[c];
                    float expNegMax = MathF.Exp(-max);
                    float sum = 0f;
                    for (int c = 0; c < count; c++)
                    {
                        float s = scores[c];
                        if (s > 0.0000001f || s < -0.0000001f)
                        {
                            y[c] = MathF.Exp(s - max);
                            sum += y[c];
                        }
                        else
                        {
                            y[c] = s * expNegMax;
                        }
                    }
                    for (int c = 0; c < count; c++) y[c] /= sum;
                    break;
                }
                default:
                    for (int c = 0; c < count; c++) y[c] = scores[c];
                    break;
            }
        }

        /// <summary>1 / (1 + e^−|x|), mirrored for negative x (ONNX Runtime's ComputeLogistic).</summary>
        internal static float Logistic(float x)
        {
            float v = 1f / (1f + MathF.Exp(-MathF.Abs(x)));
            return x < 0f ? 1f - v : v;
        }

        /// <summary>√2 · erfinv(2x − 1) with ONNX Runtime's approximation of erfinv (Giles' single-term form).</summary>
        internal static float Probit(float x)
        {
            float z = 2f * x - 1f;
            float sign = z < 0f ? -1f : 1f;
            z = (1f - z) * (1f + z);
            float log = MathF.Log(z);
            float v = 2f / (MathF.PI * 0.147f) + 0.5f * log;
            float v2 = 1f / 0.147f * log;
            float v3 = -v + MathF.Sqrt(v * v - v2);
            return 1.41421356f * (sign * MathF.Sqrt(v3));
        }
    }
}
