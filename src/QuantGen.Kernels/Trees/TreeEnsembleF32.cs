// Tree ensembles (ai.onnx.ml TreeEnsembleClassifier / TreeEnsembleRegressor) on one row: find every tree's leaf
// (TreeLeavesF32), then aggregate the leaves' weights and post-transform exactly as ONNX Runtime does (float32
// comparisons and sums, trees in model order), so every decision path and label is ONNX Runtime's.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;

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

    /// <summary>What the leaf entries of the layout are (the compiler picks the last two when every leaf has one weight).</summary>
    internal enum TreeLeafEntry
    {
        /// <summary>Leaf numbers: leaf l's weights are entries weightStart[l] to weightStart[l + 1] of (weightClass, weightValue).</summary>
        LeafNumber,

        /// <summary>Each leaf's one weight; tree t's weights go to class treeClass[t].</summary>
        WeightPerTreeClass,

        /// <summary>Each leaf's one weight; every weight goes to one class (boosted binary classifiers, one-target regressors).</summary>
        WeightOneClass,
    }

    /// <summary>
    /// One row of a tree ensemble: every tree's leaf (<see cref="TreeLeavesF32"/>, over the compiler's layout), then the
    /// leaves' weights aggregated and post-transformed as ONNX Runtime's TreeAggregator* classes do.
    /// </summary>
    internal static unsafe class TreeEnsembleF32
    {
        // The walks and the aggregation are AggressiveOptimization, like the GEMM kernels: otherwise a model called one row
        // at a time runs Tier-0 code until the background JIT catches up (measured on the loaded machine: 100×6 batch 1
        // stayed at 4.6 µs a row instead of 0.44 µs after 1.5 s of warm-up; the methods' loops are why they start at Tier 0).

        /// <summary>
        /// One row. <paramref name="block"/> has a row per block of 16 trees (<see cref="TreeLeavesF32"/>): complete blocks
        /// read <paramref name="feature"/>/<paramref name="threshold"/> (split levels), <paramref name="node"/> (packed
        /// entries) and <paramref name="leaf"/> (leaf pairs); flattened ones <paramref name="root"/>, <paramref name="child"/>
        /// and the last <paramref name="flatNodes"/> of <paramref name="feature"/>/<paramref name="threshold"/>.
        /// <paramref name="leafEntry"/> says what a leaf entry is (<see cref="TreeLeafEntry"/>; with weights, flattened blocks
        /// read leaf l's from weightValue[l], and <see cref="TreeLeafEntry.WeightOneClass"/> sends them all to class
        /// <paramref name="oneClass"/>).
        /// <paramref name="scratch"/> holds <see cref="TreeLayout.RowScratch"/> floats, blocks·16 leaf entries, then 2·classes words for
        /// the scores. The arrays come from the compiler (their indices stay inside them); the counts are their lengths, for
        /// the plan's bounds check.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(float* x, int* feature, float* threshold, int* node, int* leaf, int* child, int* root, int* block, int* treeClass,
            int* weightStart, int* weightClass, float* weightValue, float* baseValues, long* classLabels, float* y, long* label, int* scratch,
            int features, int nodes, int nodeInts, int leafInts, int flatNodes, int leaves, int weights, int trees, int blocks, int classes, int baseCount,
            int oneClass, int binaryCase, int allPositive, TreeLeafEntry leafEntry, TreeOutput output, TreeAggregate aggregate, TreeTransform transform)
        {
            // The row, checked for NaN (without one, the vector walks skip the missing-value test) and, when it fits, copied
            // into 64 floats that the AVX-512 walk loads whole (the tail is never selected; nothing reads past x).
            bool copy = features <= TreeLayout.RegisterFeatures;
            float* row = copy ? (float*)scratch : x;
            bool nan = false;
            int f = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var unordered = Vector256<float>.Zero;
                for (; f + 8 <= features; f += 8)
                {
                    var v = Vector256.Load(x + f);
                    if (copy) v.Store(row + f);
                    unordered |= ~Vector256.Equals(v, v);
                }
                nan = unordered != Vector256<float>.Zero;
            }
            for (; f < features; f++)
            {
                float v = x[f];
                if (copy) row[f] = v;
                nan |= float.IsNaN(v);
            }

            int* slots = scratch + TreeLayout.RowScratch;
            int flatBase = nodes - flatNodes;
            // Every weight to one class, summed (boosted binary classifiers, one-target regressors): the walks add each
            // block's weights as they find them, trees in order, the sum in a register.
            bool sum = aggregate == TreeAggregate.Sum || aggregate == TreeAggregate.Average;
            bool running = leafEntry == TreeLeafEntry.WeightOneClass && sum;
            float total = 0f;
            for (int b = 0; b < blocks;)
            {
                int depth = block[TreeLayout.BlockFields * b];
                if (depth < 0)
                {
                    int count = TreeLeavesF32.Lanes(trees, b);
                    TreeLeavesF32.Flattened(row, feature + flatBase, threshold + flatBase, child, root + b * TreeLayout.BlockLanes, leafEntry == TreeLeafEntry.LeafNumber ? null : weightValue,
                        slots + b * TreeLayout.BlockLanes, count);
                    if (running) total = TreeLeavesF32.Add(total, slots + b * TreeLayout.BlockLanes, count);
                    b++;
                    continue;
                }
                // A run of complete blocks of one depth is walked together (level by level: their gathers overlap).
                int end = b + 1;
                while (end < blocks && block[TreeLayout.BlockFields * end] == depth) end++;
                total = TreeLeavesF32.Complete(row, features, nan, feature, threshold, node, leaf, block, b, end, slots, trees, running, total);
                b = end;
            }

            float* scores = (float*)(slots + blocks * TreeLayout.BlockLanes);
            byte* has = (byte*)(scores + classes);
            float* inline = leafEntry == TreeLeafEntry.LeafNumber ? null : (float*)slots;
            if (output == TreeOutput.SingleTarget)
            {
                SingleTarget(slots, inline, weightStart, weightValue, baseValues, y, trees, baseCount, aggregate, transform, running, total);
                return;
            }
            for (int c = 0; c < classes; c++)
            {
                scores[c] = 0f;
                has[c] = 0;
            }
            bool one = leafEntry == TreeLeafEntry.WeightOneClass;
            if (running)
            {
                scores[oneClass] = total;
                has[oneClass] = 1;
            }
            else if (inline != null)
            {
                bool min = aggregate == TreeAggregate.Min;
                for (int t = 0; t < trees; t++)
                {
                    int c = one ? oneClass : treeClass[t];
                    float w = inline[t];
                    scores[c] = sum ? scores[c] + w : has[c] == 0 || (min ? w < scores[c] : w > scores[c]) ? w : scores[c];
                    has[c] = 1;
                }
            }
            else if (sum)
            {
                // Classifiers always sum; the tight loop is most of the time after the walk for a large ensemble.
                for (int t = 0; t < trees; t++)
                {
                    int l = slots[t];
                    for (int k = weightStart[l], last = weightStart[l + 1]; k < last; k++)
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
                    int l = slots[t];
                    for (int k = weightStart[l], last = weightStart[l + 1]; k < last; k++)
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

        // ---- aggregating, as ONNX Runtime's TreeAggregator* classes ----

        /// <summary>One target: each leaf's first weight; base_values count only when there is exactly one.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void SingleTarget(int* leaves, float* inline, int* weightStart, float* weightValue, float* baseValues, float* y, int trees, int baseCount,
            TreeAggregate aggregate, TreeTransform transform, bool summed, float total)
        {
            float score = total;
            bool has = summed;
            for (int t = 0; t < trees && !summed; t++)
            {
                float w = inline != null ? inline[t] : weightValue[weightStart[leaves[t]]];
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

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                        // Logistic(−s) and Logistic(s) from one exponential: both are v or 1 − v, v = 1 / (1 + e^−|s|).
                        float v = 1f / (1f + MathF.Exp(-MathF.Abs(s)));
                        y[0] = s > 0f ? 1f - v : v;
                        y[1] = s < 0f ? 1f - v : v;
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
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static void Transform(float* scores, byte* has, int count, TreeTransform transform, float* y)
        {
            for (int c = 0; c < count; c++) if (has[c] == 0) scores[c] = 0f;
            TransformAll(scores, count, transform, y);
        }

        /// <summary>post_transform of every score (two or more), into <paramref name="y"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
