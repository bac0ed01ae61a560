// Finding every tree's leaf for one row (the first half of TreeEnsembleF32.Run), over the compiler's layout: blocks of
// 16 trees, complete (padded to one depth: the vectorized walks) or flattened (one tree at a time). Every path makes the
// same float32 comparisons, so AVX-512, AVX2 and the portable loop find the same leaves, bit for bit.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;
    using System.Runtime.Intrinsics.X86;

    /// <summary>
    /// Layout of a <b>complete</b> block of depth D ≥ 1 (docs/how-it-works.md "Tree ensembles"): node i's children are
    /// 2i+1 (taken when the test holds) and 2i+2, the 16 trees' nodes interleaved (slot i·16 + lane). The first
    /// T = min(D − 1, <see cref="TreeLayout.SplitLevels"/>) levels are <b>split</b>: features and thresholds in two arrays of 16-lane
    /// rows, which the vector walks load whole and blend, so they need no gather. The other levels are <b>packed</b>: one
    /// entry of two ints per node (the threshold's bits, then the feature word), fetched per lane with one 64-bit gather.
    /// The last level's entry is fetched with its leaf <b>pair</b> (the first child's leaf, then the second's: leaf numbers,
    /// or the leaves' weights' bits when every leaf has one weight), so a row reads D − T + 1 entries per tree past the
    /// split levels. Block b's table row holds (D, first split slot, first packed entry, first leaf pair); D −1 marks a
    /// flattened block: its trees start at <c>root[b·16 + lane]</c>, a flattened node (an index from the first flattened
    /// one) or ~leaf, and node n's children are <c>child[2n]</c> (test holds) and <c>child[2n + 1]</c>.
    /// </summary>
    internal static unsafe class TreeLeavesF32
    {
        // The layout's facts (src/QuantGen.Kernels/Layout/TreeLayout.cs), by their short names.
        private const int BlockLanes = TreeLayout.BlockLanes, SplitLevels = TreeLayout.SplitLevels, BlockFields = TreeLayout.BlockFields;
        private const int TestShift = TreeLayout.TestShift, FeatureMask = TreeLayout.FeatureMask, RegisterFeatures = TreeLayout.RegisterFeatures;

        /// <summary>
        /// Complete blocks [first, end) of one depth: each lane's leaf entry (a leaf number, or a weight's bits) into
        /// <c>slots[b·16 + lane]</c>, for the <paramref name="trees"/> trees of the ensemble (a last block may have
        /// fewer than 16). <paramref name="x"/> is the row; with at most <see cref="TreeLayout.RegisterFeatures"/> features it is a
        /// copy in 64 floats (the AVX-512 walk loads them whole). <paramref name="nan"/>: the row has a NaN feature (the
        /// NaN bits then matter). With <paramref name="sum"/>, the entries are weights and each block's are added to
        /// <paramref name="total"/> in tree order as soon as they are known (the chain of float additions then runs
        /// beside the next blocks' gathers); returns the total.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static float Complete(float* x, int features, bool nan, int* feature, float* threshold, int* node, int* leaf, int* block, int first, int end, int* slots,
            int trees, bool sum, float total)
        {
            int depth = block[BlockFields * first];
            if (Avx512F.IsSupported)
            {
                if (features <= 16) return CompleteAvx512(new Registers16(x), nan, feature, threshold, (long*)node, (long*)leaf, block, first, end, depth, slots, trees, sum, total);
                if (features <= 32) return CompleteAvx512(new Registers32(x), nan, feature, threshold, (long*)node, (long*)leaf, block, first, end, depth, slots, trees, sum, total);
                if (features <= RegisterFeatures) return CompleteAvx512(new Registers64(x), nan, feature, threshold, (long*)node, (long*)leaf, block, first, end, depth, slots, trees, sum, total);
                return CompleteAvx512(new Gathered(x), nan, feature, threshold, (long*)node, (long*)leaf, block, first, end, depth, slots, trees, sum, total);
            }
            if (Avx2.IsSupported) return CompleteAvx2(x, nan, feature, threshold, (long*)node, (long*)leaf, block, first, end, depth, slots, trees, sum, total);
            for (int b = first; b < end; b++)
            {
                int count = Lanes(trees, b);
                CompletePortable(x, feature, threshold, (long*)node, (long*)leaf, block + BlockFields * b, depth, slots + b * BlockLanes, count);
                if (sum) total = Add(total, slots + b * BlockLanes, count);
            }
            return total;
        }

        /// <summary>Trees in block <paramref name="b"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static int Lanes(int trees, int b) => trees - b * BlockLanes < BlockLanes ? trees - b * BlockLanes : BlockLanes;

        /// <summary><paramref name="total"/> plus the first <paramref name="count"/> weights of a block, one after another.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static float Add(float total, int* weights, int count)
        {
            float* w = (float*)weights;
            for (int lane = 0; lane < count; lane++) total += w[lane];
            return total;
        }

        /// <summary>Trees of a flattened block, one at a time: each lane's leaf number, or its weight's bits when <paramref name="weightValue"/> is given.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static void Flattened(float* x, int* feature, float* threshold, int* child, int* root, float* weightValue, int* slots, int count)
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
                slots[lane] = weightValue == null ? ~n : BitConverter.SingleToInt32Bits(weightValue[~n]);
            }
        }

        // ---- portable: lane by lane, the same steps as the vector walks ----

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void CompletePortable(float* x, int* feature, float* threshold, long* node, long* leaf, int* row, int depth, int* slots, int count)
        {
            int split = depth - 1 < SplitLevels ? depth - 1 : SplitLevels;
            int firstPacked = (1 << split) - 1, firstLast = (1 << (depth - 1)) - 1;
            int* f = feature + row[1];
            float* t = threshold + row[1];
            long* packed = node + row[2];
            long* pairs = leaf + row[3];
            // Branch-free steps (one bit per test): random splits would mispredict half the branches, and the lanes are
            // independent chains the core overlaps.
            for (int lane = 0; lane < count; lane++)
            {
                int i = 0;
                for (int level = 0; level < split; level++)
                {
                    int word = f[i * BlockLanes + lane];
                    i = 2 * i + 2 - FirstBit(x[word & FeatureMask], t[i * BlockLanes + lane], word);
                }
                for (int level = split; level < depth - 1; level++)
                {
                    long entry = packed[(i - firstPacked) * BlockLanes + lane];
                    int word = (int)(entry >> 32);
                    i = 2 * i + 2 - FirstBit(x[word & FeatureMask], BitConverter.Int32BitsToSingle((int)entry), word);
                }
                long last = packed[(i - firstPacked) * BlockLanes + lane];
                int lastWord = (int)(last >> 32);
                long pair = pairs[(i - firstLast) * BlockLanes + lane];
                slots[lane] = (int)(pair >> ((FirstBit(x[lastWord & FeatureMask], BitConverter.Int32BitsToSingle((int)last), lastWord) ^ 1) << 5));
            }
        }

        /// <summary>1 where the test sends the row to the first child (v ≤ t, or v is NaN and the word's NaN bit is set), else 0; no branch.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int FirstBit(float v, float t, int word) => (v <= t ? 1 : 0) | ((int)((uint)word >> 31) & (float.IsNaN(v) ? 1 : 0));

        // ---- AVX-512: 16 lanes per register; features from registers by permutes (or gathered), packed entries by 64-bit gathers ----

        /// <summary>x[word &amp; FeatureMask] for 16 lanes.</summary>
        private interface IFeatures
        {
            Vector512<float> Of(Vector512<int> word);
        }

        /// <summary>Up to 16 features in one register: one permute (it reads the low 4 bits of the word).</summary>
        private readonly struct Registers16 : IFeatures
        {
            private readonly Vector512<float> _x0;

            public Registers16(float* row) => _x0 = Vector512.Load(row);

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector512<float> Of(Vector512<int> word) => Avx512F.PermuteVar16x32(_x0, word);
        }

        /// <summary>Up to 32 features in two registers: one two-table permute (the low 5 bits).</summary>
        private readonly struct Registers32 : IFeatures
        {
            private readonly Vector512<float> _x0, _x1;

            public Registers32(float* row)
            {
                _x0 = Vector512.Load(row);
                _x1 = Vector512.Load(row + 16);
            }

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector512<float> Of(Vector512<int> word) => Avx512F.PermuteVar16x32x2(_x0, word, _x1);
        }

        /// <summary>Up to 64 features in four registers: two permutes and a blend on bit 5.</summary>
        private readonly struct Registers64 : IFeatures
        {
            private readonly Vector512<float> _x0, _x1, _x2, _x3;

            public Registers64(float* row)
            {
                _x0 = Vector512.Load(row);
                _x1 = Vector512.Load(row + 16);
                _x2 = Vector512.Load(row + 32);
                _x3 = Vector512.Load(row + 48);
            }

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector512<float> Of(Vector512<int> word)
            {
                var high = Vector512.Equals(word & Vector512.Create(32), Vector512.Create(32)).AsSingle();
                return Vector512.ConditionalSelect(high, Avx512F.PermuteVar16x32x2(_x2, word, _x3), Avx512F.PermuteVar16x32x2(_x0, word, _x1));
            }
        }

        /// <summary>Wider rows: two 8-lane gathers from the row.</summary>
        private readonly struct Gathered : IFeatures
        {
            private readonly float* _x;

            public Gathered(float* x) => _x = x;

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector512<float> Of(Vector512<int> word)
            {
                var index = word & Vector512.Create(FeatureMask);
                return Avx512F.InsertVector256(Avx2.GatherVector256(_x, index.GetLower(), 4).ToVector512Unsafe(), Avx2.GatherVector256(_x, index.GetUpper(), 4), 1);
            }
        }

        /// <summary>
        /// Blocks [first, end) of depth <paramref name="depth"/>: the split levels block by block (loads and blends), then the
        /// packed levels level by level across the blocks (each block's gathers are independent of the others', so the
        /// core overlaps them), the last with its leaf pair.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static float CompleteAvx512<TFeatures>(TFeatures x, bool nan, int* feature, float* threshold, long* node, long* leaf, int* block, int first, int end, int depth, int* slots,
            int trees, bool sum, float total)
            where TFeatures : struct, IFeatures
        {
            var lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            var one = Vector512.Create(1);
            var two = Vector512.Create(2);
            int split = depth - 1 < SplitLevels ? depth - 1 : SplitLevels;
            for (int b = first; b < end; b++)
            {
                int* f = feature + block[BlockFields * b + 1];
                float* t = threshold + block[BlockFields * b + 1];
                var i = Vector512<int>.Zero;
                if (split >= 1)
                {
                    var w = Vector512.Load(f);
                    i = two + Test(x.Of(w), Vector512.Load(t), w, nan);
                }
                if (split >= 2)
                {
                    // Level 1: nodes 1-2 (rows 1-2), picked by the lane's path p = i − 1.
                    var bit0 = PathBit(i - one, one);
                    var w = Vector512.ConditionalSelect(bit0, Vector512.Load(f + 32), Vector512.Load(f + 16));
                    var v = Vector512.ConditionalSelect(bit0.AsSingle(), Vector512.Load(t + 32), Vector512.Load(t + 16));
                    i = i + i + two + Test(x.Of(w), v, w, nan);
                }
                if (split >= 3)
                {
                    // Level 2: nodes 3-6.
                    var p = i - Vector512.Create(3);
                    var bit0 = PathBit(p, one);
                    var bit1 = PathBit(p, two);
                    var w = Vector512.ConditionalSelect(bit1,
                        Vector512.ConditionalSelect(bit0, Vector512.Load(f + 96), Vector512.Load(f + 80)),
                        Vector512.ConditionalSelect(bit0, Vector512.Load(f + 64), Vector512.Load(f + 48)));
                    var v = Vector512.ConditionalSelect(bit1.AsSingle(),
                        Vector512.ConditionalSelect(bit0.AsSingle(), Vector512.Load(t + 96), Vector512.Load(t + 80)),
                        Vector512.ConditionalSelect(bit0.AsSingle(), Vector512.Load(t + 64), Vector512.Load(t + 48)));
                    i = i + i + two + Test(x.Of(w), v, w, nan);
                }
                if (split >= 4)
                {
                    // Level 3: nodes 7-14.
                    var p = i - Vector512.Create(7);
                    var bit0 = PathBit(p, one);
                    var bit1 = PathBit(p, two);
                    var bit2 = PathBit(p, Vector512.Create(4));
                    int* g = f + 112;
                    float* u = t + 112;
                    var w = Vector512.ConditionalSelect(bit2,
                        Vector512.ConditionalSelect(bit1,
                            Vector512.ConditionalSelect(bit0, Vector512.Load(g + 112), Vector512.Load(g + 96)),
                            Vector512.ConditionalSelect(bit0, Vector512.Load(g + 80), Vector512.Load(g + 64))),
                        Vector512.ConditionalSelect(bit1,
                            Vector512.ConditionalSelect(bit0, Vector512.Load(g + 48), Vector512.Load(g + 32)),
                            Vector512.ConditionalSelect(bit0, Vector512.Load(g + 16), Vector512.Load(g))));
                    var v = Vector512.ConditionalSelect(bit2.AsSingle(),
                        Vector512.ConditionalSelect(bit1.AsSingle(),
                            Vector512.ConditionalSelect(bit0.AsSingle(), Vector512.Load(u + 112), Vector512.Load(u + 96)),
                            Vector512.ConditionalSelect(bit0.AsSingle(), Vector512.Load(u + 80), Vector512.Load(u + 64))),
                        Vector512.ConditionalSelect(bit1.AsSingle(),
                            Vector512.ConditionalSelect(bit0.AsSingle(), Vector512.Load(u + 48), Vector512.Load(u + 32)),
                            Vector512.ConditionalSelect(bit0.AsSingle(), Vector512.Load(u + 16), Vector512.Load(u))));
                    i = i + i + two + Test(x.Of(w), v, w, nan);
                }
                i.Store(slots + b * BlockLanes);
            }

            var firstPacked = Vector512.Create((1 << split) - 1);
            for (int level = split; level < depth - 1; level++)
            {
                for (int b = first; b < end; b++)
                {
                    var i = Vector512.Load(slots + b * BlockLanes);
                    var (t, w) = Entries(node + block[BlockFields * b + 2], ((i - firstPacked) << 4) + lanes, Lanes(trees, b) <= 8);
                    (i + i + two + Test(x.Of(w), t, w, nan)).Store(slots + b * BlockLanes);
                }
            }
            var firstLast = Vector512.Create((1 << (depth - 1)) - 1);
            for (int b = first; b < end; b++)
            {
                int count = Lanes(trees, b);
                var i = Vector512.Load(slots + b * BlockLanes);
                var (t, w) = Entries(node + block[BlockFields * b + 2], ((i - firstPacked) << 4) + lanes, count <= 8);
                var (firstLeaf, secondLeaf) = Entries(leaf + block[BlockFields * b + 3], ((i - firstLast) << 4) + lanes, count <= 8);
                Vector512.ConditionalSelect(Test(x.Of(w), t, w, nan), firstLeaf.AsInt32(), secondLeaf).Store(slots + b * BlockLanes);
                if (sum) total = Add(total, slots + b * BlockLanes, count);
            }
            return total;
        }

        /// <summary>−1 where the lane takes the first child: v ≤ t, or v is NaN and the word's NaN bit is set.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<int> Test(Vector512<float> v, Vector512<float> t, Vector512<int> word, bool nan)
        {
            var first = Vector512.LessThanOrEqual(v, t).AsInt32();
            if (nan) first |= ~Vector512.Equals(v, v).AsInt32() & Vector512.ShiftRightArithmetic(word, 31);
            return first;
        }

        /// <summary>All ones where bit <paramref name="bit"/> of the lane's path is set.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<int> PathBit(Vector512<int> path, Vector512<int> bit) => Vector512.Equals(path & bit, bit);

        /// <summary>
        /// 16 two-int entries (at <c>slot</c> in 64-bit units): their first ints (as floats) and their second ints. With
        /// <paramref name="half"/> (a block of at most 8 trees) lanes 8-15 are not read: zeros.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (Vector512<float> First, Vector512<int> Second) Entries(long* entries, Vector512<int> slot, bool half)
        {
            var low = Join(Avx2.GatherVector256(entries, slot.GetLower().GetLower(), 8), Avx2.GatherVector256(entries, slot.GetLower().GetUpper(), 8));
            var high = half ? Vector512<int>.Zero : Join(Avx2.GatherVector256(entries, slot.GetUpper().GetLower(), 8), Avx2.GatherVector256(entries, slot.GetUpper().GetUpper(), 8));
            var firsts = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            var seconds = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
            return (Avx512F.PermuteVar16x32x2(low, firsts, high).AsSingle(), Avx512F.PermuteVar16x32x2(low, seconds, high));
        }

        /// <summary>Two 256-bit halves as one register (an insert into the low half's register: no dependency on an older value).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<int> Join(Vector256<long> low, Vector256<long> high) =>
            Avx512F.InsertVector256(low.AsInt32().ToVector512Unsafe(), high.AsInt32(), 1);

        // ---- AVX2: the same walk on two 8-lane halves; features gathered ----

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static float CompleteAvx2(float* x, bool nan, int* feature, float* threshold, long* node, long* leaf, int* block, int first, int end, int depth, int* slots,
            int trees, bool sum, float total)
        {
            var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
            var one = Vector256.Create(1);
            var two = Vector256.Create(2);
            int split = depth - 1 < SplitLevels ? depth - 1 : SplitLevels;
            for (int b = first; b < end; b++)
            {
                for (int h = 0; h < Lanes(trees, b); h += 8)
                {
                    int* f = feature + block[BlockFields * b + 1] + h;
                    float* t = threshold + block[BlockFields * b + 1] + h;
                    var i = Vector256<int>.Zero;
                    if (split >= 1)
                    {
                        var w = Avx.LoadVector256(f);
                        i = Avx2.Add(two, Test(x, Avx.LoadVector256(t), w, nan));
                    }
                    for (int level = 1; level < split; level++)
                    {
                        // Level L: the 2^L rows of nodes 2^L − 1 … picked by the path's bits, pairwise (bit 0 first).
                        int count = 1 << level;
                        var path = Avx2.Subtract(i, Vector256.Create(count - 1));
                        int* rowF = f + (count - 1) * BlockLanes;
                        float* rowT = t + (count - 1) * BlockLanes;
                        var w = Pick(rowF, rowT, path, count, out var v);
                        i = Avx2.Add(Avx2.Add(Avx2.Add(i, i), two), Test(x, v, w, nan));
                    }
                    Avx.Store(slots + b * BlockLanes + h, i);
                }
            }

            var firstPacked = Vector256.Create((1 << split) - 1);
            for (int level = split; level < depth - 1; level++)
            {
                for (int b = first; b < end; b++)
                {
                    for (int h = 0; h < Lanes(trees, b); h += 8)
                    {
                        int* s = slots + b * BlockLanes + h;
                        var i = Avx.LoadVector256(s);
                        var w = Entries(node + block[BlockFields * b + 2] + h, Avx2.Add(Avx2.ShiftLeftLogical(Avx2.Subtract(i, firstPacked), 4), lanes), out var t);
                        Avx.Store(s, Avx2.Add(Avx2.Add(Avx2.Add(i, i), two), Test(x, t, w, nan)));
                    }
                }
            }
            var firstLast = Vector256.Create((1 << (depth - 1)) - 1);
            for (int b = first; b < end; b++)
            {
                int count = Lanes(trees, b);
                for (int h = 0; h < count; h += 8)
                {
                    int* s = slots + b * BlockLanes + h;
                    var i = Avx.LoadVector256(s);
                    var w = Entries(node + block[BlockFields * b + 2] + h, Avx2.Add(Avx2.ShiftLeftLogical(Avx2.Subtract(i, firstPacked), 4), lanes), out var t);
                    var second = Entries(leaf + block[BlockFields * b + 3] + h, Avx2.Add(Avx2.ShiftLeftLogical(Avx2.Subtract(i, firstLast), 4), lanes), out var firstLeaf);
                    Avx.Store(s, Avx.BlendVariable(second.AsSingle(), firstLeaf, Test(x, t, w, nan).AsSingle()).AsInt32());
                }
                if (sum) total = Add(total, slots + b * BlockLanes, count);
            }
            return total;
        }

        /// <summary>The node each lane's path selects among <paramref name="count"/> rows: its feature word, and its threshold in <paramref name="threshold"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> Pick(int* rowF, float* rowT, Vector256<int> path, int count, out Vector256<float> threshold)
        {
            var bit0 = PathBit(path, Vector256.Create(1)).AsSingle();
            if (count == 2)
            {
                threshold = Avx.BlendVariable(Avx.LoadVector256(rowT), Avx.LoadVector256(rowT + BlockLanes), bit0);
                return Avx.BlendVariable(Avx.LoadVector256((float*)rowF), Avx.LoadVector256((float*)rowF + BlockLanes), bit0).AsInt32();
            }
            // Four or eight rows: halves picked by the higher bits.
            var bit1 = PathBit(path, Vector256.Create(2)).AsSingle();
            if (count == 4)
            {
                threshold = Quad(rowT, bit0, bit1);
                return Quad((float*)rowF, bit0, bit1).AsInt32();
            }
            var bit2 = PathBit(path, Vector256.Create(4)).AsSingle();
            threshold = Avx.BlendVariable(Quad(rowT, bit0, bit1), Quad(rowT + 4 * BlockLanes, bit0, bit1), bit2);
            return Avx.BlendVariable(Quad((float*)rowF, bit0, bit1), Quad((float*)rowF + 4 * BlockLanes, bit0, bit1), bit2).AsInt32();
        }

        /// <summary>Of four rows from <paramref name="r"/>, the one bits 0 and 1 of the path select.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Quad(float* r, Vector256<float> bit0, Vector256<float> bit1) =>
            Avx.BlendVariable(Avx.BlendVariable(Avx.LoadVector256(r), Avx.LoadVector256(r + BlockLanes), bit0),
                              Avx.BlendVariable(Avx.LoadVector256(r + 2 * BlockLanes), Avx.LoadVector256(r + 3 * BlockLanes), bit0), bit1);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> Test(float* x, Vector256<float> t, Vector256<int> word, bool nan)
        {
            var v = Avx2.GatherVector256(x, Avx2.And(word, Vector256.Create(FeatureMask)), 4);
            var first = Avx.CompareLessThanOrEqual(v, t).AsInt32();
            if (nan) first = Avx2.Or(first, Avx2.And(Avx.CompareUnordered(v, v).AsInt32(), Avx2.ShiftRightArithmetic(word, 31)));
            return first;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> PathBit(Vector256<int> path, Vector256<int> bit) => Avx2.CompareEqual(Avx2.And(path, bit), bit);

        /// <summary>8 two-int entries: their second ints, and their first ints (as floats) in <paramref name="firstInts"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> Entries(long* entries, Vector256<int> slot, out Vector256<float> firstInts)
        {
            // Gather lanes (0, 1, 4, 5) and (2, 3, 6, 7): one in-lane shuffle then puts both halves in lane order.
            var order = Avx2.Permute4x64(slot.AsInt64(), 0xD8).AsInt32();
            var a = Avx2.GatherVector256(entries, order.GetLower(), 8).AsSingle();
            var b = Avx2.GatherVector256(entries, order.GetUpper(), 8).AsSingle();
            firstInts = Avx.Shuffle(a, b, 0x88);
            return Avx.Shuffle(a, b, 0xDD).AsInt32();
        }
    }
}
