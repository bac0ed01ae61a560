// How the tree kernel wants its ensembles laid out: blocks of trees and the node's feature word, the one place these facts
// are written. TreeEnsembleF32 walks them; the compiler's TreeEnsembleLayout builds them (QuantGen.Plan compiles this in).
namespace QuantGen.Kernels
{
    /// <summary>Blocks, feature words and scratch of <c>TreeEnsembleF32</c>.</summary>
    internal static class TreeLayout
    {
        /// <summary>Trees per block: two AVX2 vectors of 8 lanes.</summary>
        public const int BlockLanes = 16;

        /// <summary>Feature-word bit: a NaN feature takes the first child (missing-value tracking, or a rewritten &gt;).</summary>
        public const int NanFirstBit = unchecked((int)0x80000000);

        /// <summary>Feature-word test field (bits 28-30): 0 = "x ≤ t", 1 = "x == t", 2 = "x != t".</summary>
        public const int TestShift = 28;

        /// <summary>Feature-word bits that hold the feature index.</summary>
        public const int FeatureMask = (1 << TestShift) - 1;

        /// <summary>A node's feature word: the feature it reads, its test, and whether NaN takes the first child.</summary>
        public static int FeatureWord(int feature, int test, bool nanFirst) => feature | (test << TestShift) | (nanFirst ? NanFirstBit : 0);

        /// <summary>Int32 words of scratch one row needs: the leaf of every lane of every block, then 2 · classes for the scores.</summary>
        public static long ScratchLength(long blocks, long classes) => blocks * BlockLanes + 2 * classes;
    }
}
