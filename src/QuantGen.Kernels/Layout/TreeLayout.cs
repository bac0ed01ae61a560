// How the tree kernel wants its ensembles laid out: blocks of trees, the block table, the split levels, the node's feature
// word and the scratch, the one place these facts are written. TreeLeavesF32/TreeEnsembleF32 walk them; the compiler's
// TreeEnsembleLayout builds them (QuantGen.Plan compiles this in).
namespace QuantGen.Kernels
{
    /// <summary>Blocks, feature words and scratch of <c>TreeEnsembleF32</c> (the layout itself: <c>TreeLeavesF32</c>'s summary).</summary>
    internal static class TreeLayout
    {
        /// <summary>Trees per block: 16 lanes of an AVX-512 register, two of AVX2.</summary>
        public const int BlockLanes = 16;

        /// <summary>Levels of a complete block stored split (features and thresholds in 16-lane rows); never the last level.</summary>
        public const int SplitLevels = 4;

        /// <summary>Ints per row of the block table: (depth or −1 for a flattened block, first split slot, first packed entry, first leaf pair).</summary>
        public const int BlockFields = 4;

        /// <summary>Feature-word bit: a NaN feature takes the first child (missing-value tracking, or a rewritten &gt;).</summary>
        public const int NanFirstBit = unchecked((int)0x80000000);

        /// <summary>Feature-word test field (bits 28-30): 0 = "x ≤ t", 1 = "x == t", 2 = "x != t" (flattened blocks only).</summary>
        public const int TestShift = 28;

        /// <summary>Feature-word bits that hold the feature index.</summary>
        public const int FeatureMask = (1 << TestShift) - 1;

        /// <summary>Features the AVX-512 walk keeps in registers (four of 16); wider rows are gathered from memory.</summary>
        public const int RegisterFeatures = 64;

        /// <summary>Scratch ints before the leaf slots: the row copied for the AVX-512 walk (<see cref="RegisterFeatures"/> floats).</summary>
        public const int RowScratch = RegisterFeatures;

        /// <summary>A node's feature word: the feature it reads, its test, and whether NaN takes the first child.</summary>
        public static int FeatureWord(int feature, int test, bool nanFirst) => feature | (test << TestShift) | (nanFirst ? NanFirstBit : 0);

        /// <summary>Int32 words of scratch one row needs: the row copy, the leaf entry of every lane of every block, then 2 · classes for the scores.</summary>
        public static long ScratchLength(long blocks, long classes) => RowScratch + blocks * BlockLanes + 2 * classes;
    }
}
