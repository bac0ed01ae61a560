// Elementwise uint8 arithmetic with requantization: the residual Add of integer networks.
namespace QuantGen.Kernels
{
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;
    using System.Runtime.Intrinsics.X86;

    internal static unsafe class ElementwiseU8
    {
        /// <summary>Inputs are moved to a common fixed-point scale with this many fractional bits (TFLite's left_shift).</summary>
        public const int LeftShift = 20;

        /// <summary>
        /// y[i] = clamp(yZp + R(R((a[i] − aZp) &lt;&lt; 20, aMultiplier, aShift) + R((b[i] − bZp) &lt;&lt; 20, bMultiplier, bShift),
        /// yMultiplier, yShift), qmin, qmax), R as in <see cref="Requantization"/> (zero point and clamp not applied to the
        /// inner terms). |(x − zp) &lt;&lt; 20| &lt; 2^28, so nothing overflows.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Add(byte* a, byte* b, byte* y, int count, int aZp, int aMultiplier, int aShift, int bZp, int bMultiplier, int bShift,
            int yZp, int yMultiplier, int yShift, int qmin, int qmax)
        {
            int i = 0;
            if (Avx2.IsSupported)
            {
                // R(v, m, s) is Rc(v, m, 31 + s): each of the three steps is the per-channel form with one count for all
                // lanes (a uniform multiplier is its own odd-lane shuffle).
                var ra = new ChannelRequantAvx2(31 + aShift, 0, 0, 0);
                var rb = new ChannelRequantAvx2(31 + bShift, 0, 0, 0);
                var ry = new ChannelRequantAvx2(31 + yShift, yZp, qmin, qmax);
                Vector256<int> az = Vector256.Create(aZp), am = Vector256.Create(aMultiplier);
                Vector256<int> bz = Vector256.Create(bZp), bm = Vector256.Create(bMultiplier), ym = Vector256.Create(yMultiplier);
                for (; i + 8 <= count; i += 8)
                {
                    Vector256<int> av = Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(a + i) - az, LeftShift);
                    Vector256<int> bv = Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(b + i) - bz, LeftShift);
                    Vector256<int> sum = ra.ApplyWithZeroPoint(av, am, am) + rb.ApplyWithZeroPoint(bv, bm, bm);
                    Requantization.StoreBytes(ry.Output(sum, ym, ym), y + i);
                }
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                Vector128<int> az = Vector128.Create(aZp), am = Vector128.Create(aMultiplier);
                Vector128<int> bz = Vector128.Create(bZp), bm = Vector128.Create(bMultiplier);
                Vector128<int> yz = Vector128.Create(yZp), ym = Vector128.Create(yMultiplier);
                Vector128<int> lo = Vector128.Create(qmin), hi = Vector128.Create(qmax);
                for (; i + 4 <= count; i += 4)
                {
                    Vector128<int> av = Vector128.ShiftLeft(Load4(a + i) - az, LeftShift);
                    Vector128<int> bv = Vector128.ShiftLeft(Load4(b + i) - bz, LeftShift);
                    Vector128<int> sum = Requantization.ApplyChannel(av, am, 31 + aShift) + Requantization.ApplyChannel(bv, bm, 31 + bShift);
                    Vector128<int> q = Requantization.ApplyChannel(sum, ym, 31 + yShift) + yz;
                    Requantization.StoreBytes(Vector128.Min(Vector128.Max(q, lo), hi), y + i);
                }
            }
            for (; i < count; i++)
            {
                int sum = Requantization.Apply((a[i] - aZp) << LeftShift, aMultiplier, aShift) + Requantization.Apply((b[i] - bZp) << LeftShift, bMultiplier, bShift);
                y[i] = Requantization.Output(Requantization.Apply(sum, yMultiplier, yShift), yZp, qmin, qmax);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<int> Load4(byte* p) =>
            Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalar(Unsafe.ReadUnaligned<uint>(p)).AsByte())).AsInt32();
    }
}
