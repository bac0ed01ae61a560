// ConvU8S8's 512-bit depthwise pixels: a 16-channel block of the paired path in one zmm, the same int32 sums and bytes.
namespace QuantGen.Kernels
{
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;

    internal static unsafe partial class ConvU8S8
    {
        /// <summary>
        /// One output row of one 16-channel block of the paired depthwise path (<see cref="DepthwiseRowsPaired"/>): an
        /// entry of a paired row (16 channels × (x[ix], x[ix + 1]) as int16) is one zmm, so each tap pair is one vpmaddwd
        /// for the whole block, and the block is requantized in one zmm (<see cref="ChannelRequant512"/>).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void PairedBlockRow512(short** window, long blockOffset, short* weights, int kh, int kw, int pairsPerRow, int ow, int pairStep,
            int* bias, int* multiplier, byte* yRow, int c, in ChannelRequant512 rq)
        {
            const int entryShorts = 2 * PairedBlock;
            Vector512<int> b = bias != null ? Vector512.Load(bias) : Vector512<int>.Zero;
            Vector512<int> m = Vector512.Load(multiplier);
            Vector512<int> mOdd = ChannelRequant512.OddLanes(m);
            if (kh == 3 && kw == 3)
            {
                // Per kernel row: pair 0 (kx = 0, 1), then pair 1 (kx = 2 against (w, 0)), the entry pairStep further.
                Vector512<short> w00 = Vector512.Load(weights), w01 = Vector512.Load(weights + entryShorts);
                Vector512<short> w10 = Vector512.Load(weights + 2 * entryShorts), w11 = Vector512.Load(weights + 3 * entryShorts);
                Vector512<short> w20 = Vector512.Load(weights + 4 * entryShorts), w21 = Vector512.Load(weights + 5 * entryShorts);
                short* r0 = window[0] + blockOffset, r1 = window[1] + blockOffset, r2 = window[2] + blockOffset;
                for (int ox = 0; ox < ow; ox++, r0 += entryShorts, r1 += entryShorts, r2 += entryShorts)
                {
                    Vector512<int> s = b + Avx512Instructions.MultiplyAddPairs(Vector512.Load(r0), w00) + Avx512Instructions.MultiplyAddPairs(Vector512.Load(r0 + pairStep), w01)
                        + (Avx512Instructions.MultiplyAddPairs(Vector512.Load(r1), w10) + Avx512Instructions.MultiplyAddPairs(Vector512.Load(r1 + pairStep), w11))
                        + (Avx512Instructions.MultiplyAddPairs(Vector512.Load(r2), w20) + Avx512Instructions.MultiplyAddPairs(Vector512.Load(r2 + pairStep), w21));
                    rq.OutputBytes(s, m, mOdd).Store(yRow + (long)ox * c);
                }
                return;
            }
            for (int ox = 0; ox < ow; ox++)
            {
                Vector512<int> s = b;
                for (int ky = 0; ky < kh; ky++)
                {
                    short* z = window[ky] + blockOffset + (long)ox * entryShorts;
                    short* wv = weights + ky * pairsPerRow * entryShorts;
                    for (int j = 0; j < pairsPerRow; j++, z += pairStep, wv += entryShorts)
                        s += Avx512Instructions.MultiplyAddPairs(Vector512.Load(z), Vector512.Load(wv));
                }
                rq.OutputBytes(s, m, mOdd).Store(yRow + (long)ox * c);
            }
        }
    }
}
