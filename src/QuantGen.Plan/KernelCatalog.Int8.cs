// The integer (INT8) kernels of the catalog: uint8 activations, int8 per-channel weights, int32
// accumulation and fixed-point requantization that gives the same bits on every CPU.
using System.Collections.Generic;

namespace QuantGen.Plan
{
    public static partial class KernelCatalog
    {
        private static IEnumerable<KernelSignature> Int8Kernels()
        {
            yield break;
        }
    }
}
