// Catalog entries for ONNX QuantizeLinear and DequantizeLinear run in float32 (models quantized elsewhere).
using System.Collections.Generic;

namespace QuantGen.Plan
{
    public static partial class KernelCatalog
    {
        // Each views the data as [outer, channels, inner]: scale and the optional zero point hold one value per channel.
        private static IEnumerable<KernelSignature> QdqKernels() => new[]
        {
            // y (T: uint8, int8) = clamp(round_half_even(x / scale) + zeroPoint, qmin, qmax).
            new KernelSignature("QuantizeLinear", "QuantizeLinearF32.Quantize", true,
                new[] { T("x"), T("scale"), T("zeroPoint", null, optional: true), T("y", null).Writes(), I("outer"), I("channels"), I("inner"), I("qmin"), I("qmax") },
                a => LinearQuantizationExtent(a, "x", "y")),

            // y = (x − zeroPoint) · scale, x of T (uint8, int8, int32).
            new KernelSignature("DequantizeLinear", "QuantizeLinearF32.Dequantize", true,
                new[] { T("x", null), T("scale"), T("zeroPoint", null, optional: true), T("y").Writes(), I("outer"), I("channels"), I("inner") },
                a => LinearQuantizationExtent(a, "x", "y")),

            // QuantizeLinear then DequantizeLinear with the same parameters, all in float32 (zeroPoint as float).
            new KernelSignature("FakeQuantizeF32", "QuantizeLinearF32.Fake", false,
                new[] { T("x"), T("scale"), T("zeroPoint", optional: true), T("y").Writes(), I("outer"), I("channels"), I("inner"), I("qmin"), I("qmax") },
                a => LinearQuantizationExtent(a, "x", "y")),
        };

        private static string? LinearQuantizationExtent(StepArguments a, string x, string y)
        {
            long count = a.Int("outer") * a.Int("channels") * a.Int("inner");
            return StepArguments.First(a.AtLeast(x, count), a.AtLeast(y, count), a.AtLeast("scale", a.Int("channels")), a.AtLeast("zeroPoint", a.Int("channels")));
        }
    }
}
