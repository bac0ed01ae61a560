// Element type conversions to and from float32 (ONNX Cast), for any numeric element type through .NET generic math.
namespace QuantGen.Kernels
{
    using System.Numerics;

    internal static unsafe class Cast
    {
        /// <summary>y[i] = (float)x[i]: integers exactly or rounded to nearest, float64 rounded to nearest.</summary>
        public static void ToF32<T>(T* x, float* y, int count) where T : unmanaged, INumberBase<T>
        {
            for (int i = 0; i < count; i++) y[i] = float.CreateTruncating(x[i]);
        }

        /// <summary>y[i] = (T)x[i]: to float64 exactly; to an integer type truncated toward zero (saturating, NaN → 0).</summary>
        public static void FromF32<T>(float* x, T* y, int count) where T : unmanaged, INumberBase<T>
        {
            for (int i = 0; i < count; i++) y[i] = T.CreateTruncating(x[i]);
        }
    }
}
