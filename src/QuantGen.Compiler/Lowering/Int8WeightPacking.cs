// Build-time int8 weight layouts that the integer kernels read (docs/int8-kernels.md, "Weight packing").
using System;
using QuantGen.Kernels;

namespace QuantGen.Compiler.Lowering
{
    public static class Int8WeightPacking
    {
        /// <summary>
        /// Packs B [k, n] (element (row, col) from <paramref name="get"/>) for GemmU8S8: 16-column panels of
        /// k-quads, each quad 16 columns × 4 consecutive k values (GemmLayout.PackedU8S8Index), zero past k and n.
        /// </summary>
        public static sbyte[] PackGemm(int k, int n, Func<int, int, sbyte> get)
        {
            var packed = new sbyte[GemmLayout.PackedU8S8Length(n, k)];
            for (int col = 0; col < n; col++)
                for (int row = 0; row < k; row++) packed[GemmLayout.PackedU8S8Index(row, col, k)] = get(row, col);
            return packed;
        }

        /// <summary>
        /// Depthwise weights [c, 1, kh, kw] in ConvU8S8.Depthwise's tap-pair layout (ConvLayout.DepthwiseU8S8Index):
        /// the same kh·kw·c bytes, each channel's weights of taps 2p and 2p + 1 adjacent.
        /// </summary>
        public static sbyte[] PackDepthwise(sbyte[] w, int c, int kh, int kw)
        {
            int taps = kh * kw;
            var result = new sbyte[(long)taps * c];
            for (int ch = 0; ch < c; ch++)
                for (int t = 0; t < taps; t++) result[ConvLayout.DepthwiseU8S8Index(t, ch, taps, c)] = w[ch * taps + t];
            return result;
        }

        /// <summary>
        /// ONNX Conv weights [oc, ic/group, kh, kw] as one packed GEMM B per group (K = kh·kw·icg in (ky, kx, ci)
        /// order, the NHWC im2col order; N = oc/group), group g at byte g · GemmLayout.PackedU8S8Length(ocg, K).
        /// </summary>
        public static sbyte[] PackConvGemm(sbyte[] w, int oc, int icg, int kh, int kw, int group) =>
            WeightPacking.PerGroup(oc, icg, kh, kw, group, GemmLayout.PackedU8S8Length, (k, ocg, get) => PackGemm(k, ocg, (row, col) => w[get(row, col)]));
    }
}
