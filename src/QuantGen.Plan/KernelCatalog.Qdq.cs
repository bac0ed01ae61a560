// Catalog entries for ONNX QuantizeLinear and DequantizeLinear run in float32 (models quantized elsewhere).
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Plan
{
    // Each views the data as [outer, channels, inner]: scale and the optional zero point hold one value per channel.
    public static partial class KernelCatalog
    {
        /// <summary>y (T: uint8, int8) = clamp(round_half_even(x / scale) + zeroPoint, qmin, qmax).</summary>
        public static readonly KernelSignature QuantizeLinear = KernelSignature.Define("QuantizeLinear", "QuantizeLinearF32.Quantize")
            .F32(X, Scales).Generic(ZeroPoint.Optional, Y.Written).Int(Outer, Channels, Inner, Qmin, Qmax)
            .Extents(LinearQuantizationExtent);

        /// <summary>y = (x − zeroPoint) · scale, x of T (uint8, int8, int32).</summary>
        public static readonly KernelSignature DequantizeLinear = KernelSignature.Define("DequantizeLinear", "QuantizeLinearF32.Dequantize")
            .Generic(X).F32(Scales).Generic(ZeroPoint.Optional).F32(Y.Written).Int(Outer, Channels, Inner)
            .Extents(LinearQuantizationExtent);

        /// <summary>QuantizeLinear then DequantizeLinear with the same parameters, all in float32 (zeroPoint as float).</summary>
        public static readonly KernelSignature FakeQuantizeF32 = KernelSignature.Define("FakeQuantizeF32", "QuantizeLinearF32.Fake")
            .F32(X, Scales, ZeroPoint.Optional, Y.Written).Int(Outer, Channels, Inner, Qmin, Qmax)
            .Extents(LinearQuantizationExtent);

        private static string? LinearQuantizationExtent(StepArguments a)
        {
            long count = a[Outer] * a[Channels] * a[Inner];
            return StepArguments.First(a.AtLeast(X, count), a.AtLeast(Y, count), a.AtLeast(Scales, a[Channels]), a.AtLeast(ZeroPoint, a[Channels]));
        }
    }
}
