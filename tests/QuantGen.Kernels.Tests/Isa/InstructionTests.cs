// Each ISA helper (src/QuantGen.Kernels/Isa): its portable form against the instruction's definition written out here,
// on every machine, and the instruction against the portable form where the CPU has it.
using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using Xunit;

namespace QuantGen.Kernels.Tests.Isa
{
    public unsafe class InstructionTests
    {
        private const int Trials = 200;

        private static Vector512<short> Shorts(Random rng)
        {
            short* lanes = stackalloc short[32];
            for (int i = 0; i < 32; i++) lanes[i] = rng.Next(8) == 0 ? short.MinValue : (short)rng.Next(short.MinValue, short.MaxValue + 1);
            return Vector512.Load(lanes);
        }

        private static Vector512<int> Ints(Random rng)
        {
            int* lanes = stackalloc int[16];
            for (int i = 0; i < 16; i++) lanes[i] = rng.Next(6) == 0 ? (rng.Next(2) == 0 ? int.MinValue : int.MaxValue) : rng.Next(int.MinValue, int.MaxValue);
            return Vector512.Load(lanes);
        }

        [Fact]
        public void MultiplyAddPairsIsVpmaddwd()
        {
            var rng = new Random(1);
            for (int trial = 0; trial < Trials; trial++)
            {
                Vector512<short> a = Shorts(rng), b = Shorts(rng);
                Vector512<int> portable = Avx512Instructions.MultiplyAddPairsPortable(a, b);
                for (int i = 0; i < 16; i++)
                    Assert.Equal(unchecked(a.GetElement(2 * i) * b.GetElement(2 * i) + a.GetElement(2 * i + 1) * b.GetElement(2 * i + 1)), portable.GetElement(i));
                if (Avx512BW.IsSupported) Assert.Equal(portable, Avx512Instructions.MultiplyAddPairs(a, b));
            }
        }

        [Fact]
        public void ExtensionsAreVpmovsxbwAndVpmovzxbw()
        {
            var rng = new Random(2);
            byte* bytes = stackalloc byte[32];
            for (int trial = 0; trial < Trials; trial++)
            {
                for (int i = 0; i < 32; i++) bytes[i] = (byte)rng.Next(256);
                Vector512<short> signed = Avx512Instructions.SignExtendToInt16Portable((sbyte*)bytes);
                Vector512<short> unsigned = Avx512Instructions.ZeroExtendToInt16Portable(bytes);
                for (int i = 0; i < 32; i++)
                {
                    Assert.Equal((short)(sbyte)bytes[i], signed.GetElement(i));
                    Assert.Equal((short)bytes[i], unsigned.GetElement(i));
                }
                if (Avx512BW.IsSupported)
                {
                    Assert.Equal(signed, Avx512Instructions.SignExtendToInt16((sbyte*)bytes));
                    Assert.Equal(unsigned, Avx512Instructions.ZeroExtendToInt16(bytes));
                }
            }
        }

        [Fact]
        public void MultiplyEvenLanesIsVpmuldq()
        {
            var rng = new Random(3);
            for (int trial = 0; trial < Trials; trial++)
            {
                Vector512<int> a = Ints(rng), b = Ints(rng);
                Vector512<long> portable = Avx512Instructions.MultiplyEvenLanesPortable(a, b);
                for (int i = 0; i < 8; i++) Assert.Equal((long)a.GetElement(2 * i) * b.GetElement(2 * i), portable.GetElement(i));
                if (Avx512F.IsSupported) Assert.Equal(portable, Avx512Instructions.MultiplyEvenLanes(a, b));
            }
        }

        [Fact]
        public void PermuteTwoIsVpermt2d()
        {
            var rng = new Random(4);
            for (int trial = 0; trial < Trials; trial++)
            {
                Vector512<int> lower = Ints(rng), upper = Ints(rng), indices = Ints(rng);
                Vector512<int> portable = Avx512Instructions.PermuteTwoPortable(lower, indices, upper);
                for (int i = 0; i < 16; i++)
                {
                    int index = indices.GetElement(i);
                    Assert.Equal((index & 16) != 0 ? upper.GetElement(index & 15) : lower.GetElement(index & 15), portable.GetElement(i));
                }
                if (Avx512F.IsSupported) Assert.Equal(portable, Avx512Instructions.PermuteTwo(lower, indices, upper));
            }
        }

        [Fact]
        public void TruncateToBytesIsVpmovdb()
        {
            var rng = new Random(5);
            for (int trial = 0; trial < Trials; trial++)
            {
                Vector512<int> v = Ints(rng);
                Vector128<byte> portable = Avx512Instructions.TruncateToBytesPortable(v);
                for (int i = 0; i < 16; i++) Assert.Equal(unchecked((byte)v.GetElement(i)), portable.GetElement(i));
                if (Avx512F.IsSupported) Assert.Equal(portable, Avx512Instructions.TruncateToBytes(v));
            }
        }

        [Fact]
        public void MultiplyAddIsOneRounding()
        {
            var rng = new Random(6);
            float* a = stackalloc float[16], b = stackalloc float[16], c = stackalloc float[16];
            for (int trial = 0; trial < Trials; trial++)
            {
                for (int i = 0; i < 16; i++)
                {
                    // Operands whose product needs more than 24 bits, so a separate multiply and add would round twice.
                    a[i] = (float)(rng.NextDouble() * 2 - 1) * (1 << rng.Next(10));
                    b[i] = 1f + (float)rng.NextDouble();
                    c[i] = -a[i] * b[i] * (1 + (float)rng.NextDouble() * 1e-6f);
                }
                Vector512<float> va = Vector512.Load(a), vb = Vector512.Load(b), vc = Vector512.Load(c);
                Vector512<float> portable = Avx512Instructions.MultiplyAddPortable(va, vb, vc);
                for (int i = 0; i < 16; i++)
                    Assert.Equal(BitConverter.SingleToInt32Bits(MathF.FusedMultiplyAdd(a[i], b[i], c[i])), BitConverter.SingleToInt32Bits(portable.GetElement(i)));
                if (Avx512F.IsSupported) Assert.Equal(portable.AsInt32(), Avx512Instructions.MultiplyAdd(va, vb, vc).AsInt32());
            }
        }

        [Fact]
        public void PairSumsArePmaddwdAndPhaddd()
        {
            var rng = new Random(8);
            for (int trial = 0; trial < Trials; trial++)
            {
                Vector128<short> a = Shorts(rng).GetLower().GetLower(), b = Shorts(rng).GetLower().GetLower();
                Vector128<int> pairs = Sse2Instructions.MultiplyAddPairsPortable(a, b);
                for (int i = 0; i < 4; i++)
                    Assert.Equal(unchecked(a.GetElement(2 * i) * b.GetElement(2 * i) + a.GetElement(2 * i + 1) * b.GetElement(2 * i + 1)), pairs.GetElement(i));
                Assert.Equal(pairs, Sse2Instructions.MultiplyAddPairs(a, b));
                Vector128<int> c = Ints(rng).GetLower().GetLower(), d = Ints(rng).GetLower().GetLower();
                Vector128<int> sums = Sse2Instructions.AddPairsPortable(c, d);
                Assert.Equal(Vector128.Create(unchecked(c.GetElement(0) + c.GetElement(1)), unchecked(c.GetElement(2) + c.GetElement(3)),
                    unchecked(d.GetElement(0) + d.GetElement(1)), unchecked(d.GetElement(2) + d.GetElement(3))), sums);
                // The instruction (phaddd), its SSE2 shuffle form or the portable one, whichever this CPU takes.
                Assert.Equal(sums, Sse2Instructions.AddPairs(c, d));
            }
        }

        [Fact]
        public void DotProductsAreVpdpbusdAndSdot()
        {
            var rng = new Random(7);
            byte* u = stackalloc byte[32];
            sbyte* s = stackalloc sbyte[32], t = stackalloc sbyte[32];
            int* acc = stackalloc int[8];
            for (int trial = 0; trial < Trials; trial++)
            {
                for (int i = 0; i < 32; i++) { u[i] = (byte)rng.Next(256); s[i] = (sbyte)rng.Next(-128, 128); t[i] = (sbyte)rng.Next(-128, 128); }
                for (int i = 0; i < 8; i++) acc[i] = rng.Next(int.MinValue, int.MaxValue);
                Vector256<int> wide = DotProductInstructions.MultiplyAccumulatePortable(Vector256.Load(acc), Vector256.Load(u), Vector256.Load(s));
                Vector128<int> narrow = DotProductInstructions.MultiplyAccumulatePortable(Vector128.Load(acc), Vector128.Load(s), Vector128.Load(t));
                for (int i = 0; i < 8; i++)
                {
                    int expected = acc[i];
                    for (int j = 0; j < 4; j++) expected = unchecked(expected + u[4 * i + j] * s[4 * i + j]);
                    Assert.Equal(expected, wide.GetElement(i));
                }
                for (int i = 0; i < 4; i++)
                {
                    int expected = acc[i];
                    for (int j = 0; j < 4; j++) expected = unchecked(expected + s[4 * i + j] * t[4 * i + j]);
                    Assert.Equal(expected, narrow.GetElement(i));
                }
                if (DotProductInstructions.IsVnniAccelerated)
                    Assert.Equal(wide, DotProductInstructions.MultiplyAccumulate(Vector256.Load(acc), Vector256.Load(u), Vector256.Load(s)));
                if (Dp.IsSupported)
                    Assert.Equal(narrow, DotProductInstructions.MultiplyAccumulate(Vector128.Load(acc), Vector128.Load(s), Vector128.Load(t)));
            }
        }
    }
}
