// ONNX QuantizeLinear and DequantizeLinear at run time (models quantized elsewhere, run in float32), and the two fused.
namespace QuantGen.Kernels
{
    using System;
    using System.Numerics;

    /// <summary>
    /// The data is viewed as [outer, channels, inner]; channel c uses scale[c] and zeroPoint[c] (channels = 1 for
    /// per-tensor parameters). A null zero point is 0. Scalar loops: a QDQ model spends its time in Conv and Gemm.
    /// </summary>
    internal static unsafe class QuantizeLinearF32
    {
        /// <summary>y = clamp(round_half_even(x / scale) + zeroPoint, qmin, qmax), a float divide as ONNX defines it.</summary>
        public static void Quantize<T>(float* x, float* scale, T* zeroPoint, T* y, int outer, int channels, int inner, int qmin, int qmax)
            where T : unmanaged, INumberBase<T>
        {
            for (int o = 0; o < outer; o++)
            {
                for (int c = 0; c < channels; c++)
                {
                    float s = scale[c];
                    float zp = zeroPoint == null ? 0f : float.CreateTruncating(zeroPoint[c]);
                    long at = ((long)o * channels + c) * inner;
                    for (int j = 0; j < inner; j++)
                        y[at + j] = T.CreateTruncating(Saturate(MathF.Round(x[at + j] / s) + zp, qmin, qmax));
                }
            }
        }

        /// <summary>y = (x − zeroPoint) · scale, the difference taken exactly in int32 first.</summary>
        public static void Dequantize<T>(T* x, float* scale, T* zeroPoint, float* y, int outer, int channels, int inner)
            where T : unmanaged, INumberBase<T>
        {
            for (int o = 0; o < outer; o++)
            {
                for (int c = 0; c < channels; c++)
                {
                    float s = scale[c];
                    int zp = zeroPoint == null ? 0 : int.CreateTruncating(zeroPoint[c]);
                    long at = ((long)o * channels + c) * inner;
                    for (int j = 0; j < inner; j++) y[at + j] = (float)(int.CreateTruncating(x[at + j]) - zp) * s;
                }
            }
        }

        /// <summary>
        /// QuantizeLinear followed by DequantizeLinear with the same parameters ("fake quantization"): the same numbers
        /// as the two kernels, without the integer tensor in between.
        /// </summary>
        public static void Fake(float* x, float* scale, float* zeroPoint, float* y, int outer, int channels, int inner, int qmin, int qmax)
        {
            for (int o = 0; o < outer; o++)
            {
                for (int c = 0; c < channels; c++)
                {
                    float s = scale[c];
                    float zp = zeroPoint == null ? 0f : zeroPoint[c];
                    long at = ((long)o * channels + c) * inner;
                    for (int j = 0; j < inner; j++) y[at + j] = (Saturate(MathF.Round(x[at + j] / s) + zp, qmin, qmax) - zp) * s;
                }
            }
        }

        // NaN goes to qmin (ONNX leaves it unspecified); the clamp keeps the integer conversion in range.
        private static float Saturate(float q, int qmin, int qmax) => q >= qmin ? (q <= qmax ? q : qmax) : qmin;
    }
}
