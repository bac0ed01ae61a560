// Build-time weight layouts that the FP32 kernels read (see QuantGen.Plan.KernelCatalog).
using System;
using QuantGen.Plan;

namespace QuantGen.Compiler.Lowering
{
    public static class WeightPacking
    {
        /// <summary>
        /// Packs B [k, n] (element (row, col) from <paramref name="get"/>) into 16-column panels: panel p
        /// holds, for each row, columns 16p … 16p+15 (zero past n), so the GEMM micro-kernel reads B
        /// with unit stride.
        /// </summary>
        public static float[] PackGemmB(int k, int n, Func<int, int, float> get)
        {
            const int w = KernelCatalog.GemmF32PanelWidth;
            var packed = new float[KernelCatalog.PackedGemmF32Length(n, k)];
            int panels = (n + w - 1) / w;
            for (int p = 0; p < panels; p++)
                for (int row = 0; row < k; row++)
                    for (int j = 0; j < w; j++)
                    {
                        int col = p * w + j;
                        if (col < n) packed[(p * k + row) * w + j] = get(row, col);
                    }
            return packed;
        }

        /// <summary>
        /// ONNX Conv weights [oc, ic/group, kh, kw] as one packed GEMM B per group: K = kh·kw·icg in
        /// (ky, kx, ci) order, matching the NHWC im2col rows; N = oc/group.
        /// </summary>
        public static float[] PackConvGemm(float[] w, int oc, int icg, int kh, int kw, int group)
        {
            int ocg = oc / group, k = kh * kw * icg;
            long per = KernelCatalog.PackedGemmF32Length(ocg, k);
            var result = new float[per * group];
            for (int g = 0; g < group; g++)
            {
                var packed = PackGemmB(k, ocg, (row, col) =>
                {
                    int ci = row % icg, tap = row / icg, ky = tap / kw, kx = tap % kw;
                    return w[(((g * ocg + col) * icg + ci) * kh + ky) * kw + kx];
                });
                Array.Copy(packed, 0, result, g * per, packed.Length);
            }
            return result;
        }

        /// <summary>Depthwise weights [c, 1, kh, kw] as [kh·kw, c]: one vector of channels per tap.</summary>
        public static float[] PackDepthwise(float[] w, int c, int kh, int kw)
        {
            var result = new float[kh * kw * c];
            for (int ch = 0; ch < c; ch++)
                for (int t = 0; t < kh * kw; t++) result[t * c + ch] = w[ch * kh * kw + t];
            return result;
        }
    }
}
