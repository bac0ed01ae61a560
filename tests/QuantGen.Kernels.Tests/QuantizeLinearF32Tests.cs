// QuantizeLinearF32 (ONNX QuantizeLinear / DequantizeLinear at run time) against the ONNX definition written out here.
using System;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    public unsafe class QuantizeLinearF32Tests
    {
        // [outer 2, channels 3, inner 4]: per-axis parameters, values across the saturation points and on exact halves.
        private const int Outer = 2, Channels = 3, Inner = 4, Count = Outer * Channels * Inner;
        private static readonly float[] Scale = { 0.5f, 0.02f, 3f };

        private static float[] Input()
        {
            var x = TestData.Random(11, Count, -4f, 4f);
            x[0] = 0.25f;   // 0.5 → 0 (half to even)
            x[1] = 0.75f;   // 1.5 → 2
            x[2] = -0.25f;  // −0.5 → −0
            x[3] = float.NaN;
            return x;
        }

        private static int Reference(float x, float scale, int zp, int qmin, int qmax)
        {
            if (float.IsNaN(x)) return qmin;
            double r = Math.Round((double)(x / scale), MidpointRounding.ToEven) + zp;
            return (int)Math.Clamp(r, qmin, qmax);
        }

        [Fact]
        public void Quantize_to_uint8_and_int8_per_axis_rounds_half_to_even_and_saturates()
        {
            var x = Input();
            var zpU8 = new byte[] { 128, 0, 255 };
            var zpS8 = new sbyte[] { 0, -100, 7 };
            var yU8 = new byte[Count];
            var yS8 = new sbyte[Count];
            fixed (float* px = x, ps = Scale)
            fixed (byte* pz = zpU8, py = yU8)
            fixed (sbyte* pz8 = zpS8, py8 = yS8)
            {
                QuantizeLinearF32.Quantize<byte>(px, ps, pz, py, Outer, Channels, Inner, 0, 255);
                QuantizeLinearF32.Quantize<sbyte>(px, ps, pz8, py8, Outer, Channels, Inner, -128, 127);
            }
            for (int i = 0; i < Count; i++)
            {
                int c = i / Inner % Channels;
                Assert.Equal(Reference(x[i], Scale[c], zpU8[c], 0, 255), yU8[i]);
                Assert.Equal(Reference(x[i], Scale[c], zpS8[c], -128, 127), yS8[i]);
            }
            Assert.Equal(new byte[] { 128, 130, 128, 0 }, yU8[..4]);
        }

        [Fact]
        public void Dequantize_int32_without_zero_point_and_fake_quantize_equals_quantize_then_dequantize()
        {
            var q = new int[Count];
            for (int i = 0; i < Count; i++) q[i] = (i - 10) * 1000003;
            var y = new float[Count];
            fixed (int* pq = q)
            fixed (float* ps = Scale, py = y)
                QuantizeLinearF32.Dequantize<int>(pq, ps, null, py, Outer, Channels, Inner);
            for (int i = 0; i < Count; i++) Assert.Equal((float)q[i] * Scale[i / Inner % Channels], y[i]);

            var x = Input();
            var zp = new byte[] { 3, 128, 250 };
            var zpFloat = new float[] { 3, 128, 250 };
            var u8 = new byte[Count];
            var twoSteps = new float[Count];
            var fused = new float[Count];
            fixed (float* px = x, ps = Scale, pf = zpFloat, pt = twoSteps, pu = fused)
            fixed (byte* pz = zp, pq = u8)
            {
                QuantizeLinearF32.Quantize<byte>(px, ps, pz, pq, Outer, Channels, Inner, 0, 255);
                QuantizeLinearF32.Dequantize<byte>(pq, ps, pz, pt, Outer, Channels, Inner);
                QuantizeLinearF32.Fake(px, ps, pf, pu, Outer, Channels, Inner, 0, 255);
            }
            Assert.Equal(twoSteps, fused);
        }
    }
}
