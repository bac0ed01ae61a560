// Build-time weight layouts that the FP32 kernels read, laid out by the kernels' own layout functions (QuantGen.Kernels.GemmLayout, ConvLayout).
using System;
using QuantGen.Kernels;

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
            var packed = new float[GemmLayout.PackedF32Length(n, k)];
            for (int col = 0; col < n; col++)
                for (int row = 0; row < k; row++) packed[GemmLayout.PackedF32Index(row, col, k)] = get(row, col);
            return packed;
        }

        /// <summary>
        /// ONNX Conv weights [oc, ic/group, kh, kw] as one packed GEMM B per group: K = kh·kw·icg in
        /// (ky, kx, ci) order, matching the NHWC im2col rows; N = oc/group.
        /// </summary>
        public static float[] PackConvGemm(float[] w, int oc, int icg, int kh, int kw, int group) =>
            PerGroup(oc, icg, kh, kw, group, GemmLayout.PackedF32Length, (k, ocg, get) => PackGemmB(k, ocg, (row, col) => w[get(row, col)]));

        /// <summary>
        /// The packing of each group's GEMM B [K, N] (K = kh·kw·icg in (ky, kx, ci) order, N = oc/group) laid out one
        /// group after another, <paramref name="groupLength"/>(N, K) elements apart; <paramref name="pack"/> gets K, N
        /// and the index in the ONNX weights of B's element (row, col). Shared by the FP32 and INT8 packers.
        /// </summary>
        internal static T[] PerGroup<T>(int oc, int icg, int kh, int kw, int group, Func<long, long, long> groupLength, Func<int, int, Func<int, int, int>, T[]> pack)
        {
            int ocg = oc / group, k = kh * kw * icg;
            long per = groupLength(ocg, k);
            var result = new T[per * group];
            for (int g = 0; g < group; g++)
            {
                int first = g * ocg;
                var packed = pack(k, ocg, (row, col) =>
                {
                    int ci = row % icg, tap = row / icg, ky = tap / kw, kx = tap % kw;
                    return (((first + col) * icg + ci) * kh + ky) * kw + kx;
                });
                Array.Copy(packed, 0, result, g * per, packed.Length);
            }
            return result;
        }

        /// <summary>Depthwise weights [c, 1, kh, kw] as [kh·kw, c]: one vector of channels per tap (ConvLayout.DepthwiseF32Index).</summary>
        public static float[] PackDepthwise(float[] w, int c, int kh, int kw)
        {
            var result = new float[kh * kw * c];
            for (int ch = 0; ch < c; ch++)
                for (int t = 0; t < kh * kw; t++) result[ConvLayout.DepthwiseF32Index(t, ch, c)] = w[ch * kh * kw + t];
            return result;
        }
    }
}
