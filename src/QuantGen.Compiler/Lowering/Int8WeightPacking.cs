// Build-time int8 weight layouts that the integer kernels read (docs/int8-kernels.md, "Weight packing").
using System;
using QuantGen.Plan;

namespace QuantGen.Compiler.Lowering
{
    public static class Int8WeightPacking
    {
        /// <summary>
        /// Packs B [k, n] (element (row, col) from <paramref name="get"/>) for GemmU8S8: 16-column panels of
        /// k-quads, each quad 16 columns × 4 consecutive k values (column j in slot KernelCatalog.GemmU8S8Slot(j)), zero
        /// past k and n.
        /// </summary>
        public static sbyte[] PackGemm(int k, int n, Func<int, int, sbyte> get)
        {
            const int w = KernelCatalog.GemmU8S8PanelWidth;
            var packed = new sbyte[KernelCatalog.PackedGemmU8S8Length(n, k)];
            int quads = (k + 3) / 4, panels = (n + w - 1) / w;
            for (int p = 0; p < panels; p++)
                for (int q = 0; q < quads; q++)
                    for (int j = 0; j < w; j++)
                    {
                        int col = p * w + j;
                        if (col >= n) continue;
                        for (int t = 0; t < 4; t++)
                        {
                            int row = 4 * q + t;
                            if (row < k) packed[(p * quads + q) * 64 + 4 * KernelCatalog.GemmU8S8Slot(j) + t] = get(row, col);
                        }
                    }
            return packed;
        }

        /// <summary>
        /// Depthwise weights [c, 1, kh, kw] in ConvU8S8.Depthwise's tap-pair layout (KernelCatalog.DepthwiseU8S8Index):
        /// the same kh·kw·c bytes, each channel's weights of taps 2p and 2p + 1 adjacent.
        /// </summary>
        public static sbyte[] PackDepthwise(sbyte[] w, int c, int kh, int kw)
        {
            int taps = kh * kw;
            var result = new sbyte[(long)taps * c];
            for (int ch = 0; ch < c; ch++)
                for (int t = 0; t < taps; t++) result[KernelCatalog.DepthwiseU8S8Index(t, ch, taps, c)] = w[ch * taps + t];
            return result;
        }

        /// <summary>
        /// ONNX Conv weights [oc, ic/group, kh, kw] as one packed GEMM B per group (K = kh·kw·icg in (ky, kx, ci)
        /// order, the NHWC im2col order; N = oc/group), group g at byte g · PackedGemmU8S8Length(ocg, K).
        /// </summary>
        public static sbyte[] PackConvGemm(sbyte[] w, int oc, int icg, int kh, int kw, int group) =>
            WeightPacking.PerGroup(oc, icg, kh, kw, group, KernelCatalog.PackedGemmU8S8Length, (k, ocg, get) => PackGemm(k, ocg, (row, col) => w[get(row, col)]));
    }
}
