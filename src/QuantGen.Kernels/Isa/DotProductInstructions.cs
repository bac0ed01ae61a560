// The 4-way byte dot-product instructions (x64 AVX-VNNI vpdpbusd, Arm64 sdot) behind methods whose portable forms give the same bits.
namespace QuantGen.Kernels
{
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;
    using System.Runtime.Intrinsics.Arm;
#if NET9_0_OR_GREATER
    using System.Runtime.Intrinsics.X86;
#endif

    /// <summary>
    /// acc[i] + Σ_{t &lt; 4} a[4i + t] · b[4i + t] per int32 lane, exactly (no int16 step, so no saturation): one instruction
    /// where the CPU has it, a portable form elsewhere, so the kernels built on it run and are tested on every machine.
    /// </summary>
    internal static unsafe class DotProductInstructions
    {
        /// <summary>
        /// Whether <see cref="MultiplyAccumulate(Vector256{int}, Vector256{byte}, Vector256{sbyte})"/> is one vpdpbusd
        /// (AVX-VNNI; the API is a preview feature on .NET 8, so code built for net8.0 never takes it).
        /// </summary>
        public static bool IsVnniAccelerated
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
#if NET9_0_OR_GREATER
            get => AvxVnni.IsSupported;
#else
            get => false;
#endif
        }

        /// <summary>vpdpbusd (AVX-VNNI): uint8 × int8, four products per int32 lane added to acc (wrapping).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> MultiplyAccumulate(Vector256<int> acc, Vector256<byte> a, Vector256<sbyte> b)
        {
#if NET9_0_OR_GREATER
            if (AvxVnni.IsSupported) return AvxVnni.MultiplyWideningAndAdd(acc, a, b);
#endif
            return MultiplyAccumulatePortable(acc, a, b);
        }

        internal static Vector256<int> MultiplyAccumulatePortable(Vector256<int> acc, Vector256<byte> a, Vector256<sbyte> b)
        {
            int* lanes = stackalloc int[8];
            for (int i = 0; i < 8; i++)
            {
                int s = acc.GetElement(i);
                for (int t = 0; t < 4; t++) s = unchecked(s + a.GetElement(4 * i + t) * b.GetElement(4 * i + t));
                lanes[i] = s;
            }
            return Vector256.Load(lanes);
        }

        /// <summary>Whether <see cref="MultiplyAccumulate(Vector128{int}, Vector128{sbyte}, Vector128{sbyte})"/> is one sdot (Arm64 DotProd).</summary>
        public static bool IsArmDotAccelerated
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => Dp.IsSupported;
        }

        /// <summary>sdot (Arm64 DotProd): int8 × int8, four products per int32 lane added to acc (wrapping).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<int> MultiplyAccumulate(Vector128<int> acc, Vector128<sbyte> a, Vector128<sbyte> b) =>
            Dp.IsSupported ? Dp.DotProduct(acc, a, b) : MultiplyAccumulatePortable(acc, a, b);

        internal static Vector128<int> MultiplyAccumulatePortable(Vector128<int> acc, Vector128<sbyte> a, Vector128<sbyte> b)
        {
            int* lanes = stackalloc int[4];
            for (int i = 0; i < 4; i++)
            {
                int s = acc.GetElement(i);
                for (int t = 0; t < 4; t++) s = unchecked(s + a.GetElement(4 * i + t) * b.GetElement(4 * i + t));
                lanes[i] = s;
            }
            return Vector128.Load(lanes);
        }
    }
}
