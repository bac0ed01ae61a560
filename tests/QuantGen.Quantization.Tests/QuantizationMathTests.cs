// The integer arithmetic against exact (BigInteger) and double computation, edge cases included.
using System;
using System.Linq;
using System.Numerics;
using QuantGen.Compiler.Operators;
using QuantGen.Compiler.Quantization;
using Xunit;

namespace QuantGen.Quantization.Tests
{
    public class QuantizationMathTests
    {
        [Theory]
        [InlineData(-1.0, 3.0)]
        [InlineData(0.0, 6.0)]
        [InlineData(-6.0, 0.0)]
        [InlineData(0.3, 5.0)]
        [InlineData(-2.0, -0.5)]
        [InlineData(-0.0123, 1234.5)]
        public void Activation_params_contain_the_range_and_represent_zero_exactly(double low, double high)
        {
            var p = QuantizationMath.ActivationParams(low, high);
            double lo = Math.Min(low, 0), hi = Math.Max(high, 0);
            Assert.Equal((float)((hi - lo) / 255), p.Scale);
            Assert.InRange(p.ZeroPoint, 0, 255);
            Assert.Equal(p.ZeroPoint, QuantizationMath.QuantizeActivation(0f, p));
            Assert.Equal(0f, QuantizationMath.Dequantize(p.ZeroPoint, p));
            // Nudging moves each end by at most half a step.
            Assert.InRange(p.Low, lo - p.Scale / 2 - 1e-9, lo + p.Scale / 2 + 1e-9);
            Assert.InRange(p.High, hi - p.Scale / 2 - 1e-9, hi + p.Scale / 2 + 1e-9);
        }

        [Fact]
        public void Activation_params_of_a_relu_range_have_zero_point_0_and_of_an_empty_range_scale_1()
        {
            Assert.Equal(0, QuantizationMath.ActivationParams(0, 6).ZeroPoint);
            Assert.Equal(255, QuantizationMath.ActivationParams(-6, 0).ZeroPoint);
            var empty = QuantizationMath.ActivationParams(0, 0);
            Assert.Equal(1f, empty.Scale);
            Assert.Equal(0, empty.ZeroPoint);
        }

        [Fact]
        public void Quantize_activation_rounds_half_to_even_and_saturates()
        {
            var p = new QuantParams(0.5f, 10);
            Assert.Equal(10, QuantizationMath.QuantizeActivation(0.25f, p));   // 0.5 → 0
            Assert.Equal(12, QuantizationMath.QuantizeActivation(0.75f, p));   // 1.5 → 2
            Assert.Equal(10, QuantizationMath.QuantizeActivation(-0.25f, p));  // −0.5 → −0
            Assert.Equal(255, QuantizationMath.QuantizeActivation(1e6f, p));
            Assert.Equal(0, QuantizationMath.QuantizeActivation(-1e6f, p));
        }

        [Fact]
        public void Per_channel_weights_use_the_full_int8_range_and_err_at_most_half_a_step()
        {
            var random = new Random(11);
            foreach (var (shape, axis) in new[] { (new[] { 8, 3, 3, 3 }, 0), (new[] { 20, 6 }, 1), (new[] { 6, 20 }, 0) })
            {
                int n = 1;
                foreach (int d in shape) n *= d;
                var w = new float[n];
                for (int i = 0; i < n; i++) w[i] = (float)((random.NextDouble() - 0.5) * (1 + i % 7));
                int inner = 1;
                for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
                // Zero one channel entirely.
                for (int i = 0; i < n; i++) if (i / inner % shape[axis] == 1) w[i] = 0;
                var (q, scales) = QuantizationMath.QuantizeWeightsPerChannel(w, shape, axis);
                Assert.Equal(shape[axis], scales.Length);
                Assert.Equal(1f, scales[1]);
                var maxQ = new int[shape[axis]];
                for (int i = 0; i < n; i++)
                {
                    int c = i / inner % shape[axis];
                    Assert.InRange(q[i], -127, 127);
                    Assert.True(Math.Abs(w[i] - q[i] * (double)scales[c]) <= scales[c] / 2 * (1 + 1e-6), $"element {i}");
                    maxQ[c] = Math.Max(maxQ[c], Math.Abs((int)q[i]));
                }
                for (int c = 0; c < shape[axis]; c++) Assert.Equal(c == 1 ? 0 : 127, maxQ[c]);
            }
        }

        [Fact]
        public void Bias_is_rounded_at_input_scale_times_weight_scale_and_saturates()
        {
            var q = QuantizationMath.QuantizeBias(new[] { 1f, -0.3f, 1e9f }, 0.02f, new[] { 0.5f, 0.1f, 1e-6f });
            Assert.Equal(100, q[0]);
            Assert.Equal(-150, q[1]);
            Assert.Equal(int.MaxValue, q[2]);
        }

        [Fact]
        public void Quantize_multiplier_is_a_normalized_Q31_value_within_one_part_in_2_to_the_31()
        {
            var random = new Random(12);
            for (int i = 0; i < 20000; i++)
            {
                double m = Math.Pow(2, random.NextDouble() * 62 - 32);
                var (multiplier, shift) = QuantizationMath.QuantizeMultiplier(m);
                Assert.InRange(multiplier, 1 << 30, int.MaxValue);
                Assert.InRange(shift, -30, 31);
                Assert.True(Math.Abs(QuantizationMath.MultiplierValue(multiplier, shift) - m) <= m * Math.Pow(2, -31), $"M = {m:R}");
            }
        }

        [Theory]
        [InlineData(1.0, 1 << 30, -1)]
        [InlineData(0.5, 1 << 30, 0)]
        [InlineData(0.75, 3 << 29, 0)]
        [InlineData(0.9999999999999, 1 << 30, -1)]        // rounds up to 2^31: renormalized
        [InlineData(1e-12, 0, 0)]                          // below 2^−32: maps everything to the zero point
        public void Quantize_multiplier_edge_cases(double m, int expectedMultiplier, int expectedShift)
        {
            Assert.Equal((expectedMultiplier, expectedShift), QuantizationMath.QuantizeMultiplier(m));
        }

        [Fact]
        public void Channel_multipliers_share_one_shift_that_gives_the_largest_31_bits()
        {
            var random = new Random(14);
            for (int trial = 0; trial < 2000; trial++)
            {
                double top = Math.Pow(2, random.NextDouble() * 50 - 40);
                var reals = Enumerable.Range(0, 1 + random.Next(40)).Select(_ => top * Math.Pow(2, -random.NextDouble() * 24)).ToList();
                reals.Add(top);
                var (multipliers, shift) = QuantizationMath.QuantizeChannelMultipliers(reals);
                Assert.InRange(shift, 0, QuantizationMath.ChannelShiftMax);
                Assert.InRange(multipliers.Max(), shift == QuantizationMath.ChannelShiftMax ? 0 : 1 << 30, int.MaxValue);
                for (int c = 0; c < reals.Count; c++)
                    Assert.True(Math.Abs(multipliers[c] - reals[c] * Math.Pow(2, shift)) <= 0.5, $"channel {c}: {multipliers[c]} for {reals[c]:R} at shift {shift}");
            }
            var (zeros, zeroShift) = QuantizationMath.QuantizeChannelMultipliers(new[] { 0.0, 0.0 });
            Assert.Equal(new[] { 0, 0 }, zeros);
            Assert.Equal(0, zeroShift);
            Assert.Equal(1 << 30, QuantizationMath.QuantizeChannelMultipliers(new[] { 0.5 }).Multipliers[0]);
            Assert.Throws<ArgumentOutOfRangeException>(() => QuantizationMath.QuantizeChannelMultipliers(new[] { Math.Pow(2, 31) }));
        }

        [Fact]
        public void Channel_requantization_is_one_exact_rounding_of_the_product()
        {
            var random = new Random(15);
            for (int i = 0; i < 20000; i++)
            {
                int acc = random.Next(int.MinValue, int.MaxValue), multiplier = random.Next(0, int.MaxValue), shift = random.Next(0, 63);
                int zp = random.Next(0, 256);
                var numerator = (BigInteger)acc * multiplier + (shift == 0 ? BigInteger.Zero : BigInteger.Pow(2, shift - 1));
                var denominator = BigInteger.Pow(2, shift);
                var quotient = BigInteger.Divide(numerator, denominator);
                if (numerator.Sign < 0 && quotient * denominator != numerator) quotient -= 1;
                int low32 = unchecked((int)(uint)(quotient & uint.MaxValue));
                int expected = Math.Clamp(unchecked(low32 + zp), 0, 255);
                Assert.Equal(expected, QuantizationMath.RequantizeChannel(acc, multiplier, shift, zp, 0, 255));
            }
            // 2.5 → 3, −2.5 → −2: half up, as the per-tensor form.
            Assert.Equal(3, QuantizationMath.RequantizeChannel(5, 1 << 30, 31, 0, -100, 100));
            Assert.Equal(-2, QuantizationMath.RequantizeChannel(-5, 1 << 30, 31, 0, -100, 100));
        }

        /// <summary>The defining formula with unbounded integers: floor((acc·mult + 2^(30+s)) / 2^(31+s)) + zp, clamped.</summary>
        private static int Exact(int acc, int multiplier, int shift, int zeroPoint, int min, int max)
        {
            var numerator = (BigInteger)acc * multiplier + BigInteger.Pow(2, 30 + shift);
            var denominator = BigInteger.Pow(2, 31 + shift);
            var quotient = BigInteger.Divide(numerator, denominator);
            if (numerator.Sign < 0 && quotient * denominator != numerator) quotient -= 1;   // floor, as >> does
            var v = quotient + zeroPoint;
            return v < min ? min : v > max ? max : (int)v;
        }

        [Fact]
        public void Requantize_is_one_exact_rounding_and_within_half_a_step_of_double_math()
        {
            var random = new Random(13);
            for (int i = 0; i < 200_000; i++)
            {
                double m = Math.Pow(2, -random.NextDouble() * 30);            // (2^−30, 1]: Conv/Gemm/pool multipliers
                var (multiplier, shift) = QuantizationMath.QuantizeMultiplier(m);
                int acc = i % 3 == 0 ? random.Next(int.MinValue, int.MaxValue) : random.Next(-1 << 20, 1 << 20);
                int zp = random.Next(0, 256);
                int got = QuantizationMath.Requantize(acc, multiplier, shift, zp, int.MinValue, int.MaxValue);
                Assert.Equal(Exact(acc, multiplier, shift, zp, int.MinValue, int.MaxValue), got);
                double ideal = acc * m + zp;
                Assert.True(Math.Abs(got - ideal) <= 0.5 + 1e-6 * Math.Abs(acc * m), $"acc {acc}, M {m:R}: {got} vs {ideal:R}");
                int clamped = QuantizationMath.Requantize(acc, multiplier, shift, zp, 0, 255);
                Assert.Equal(Math.Max(0, Math.Min(255, got)), clamped);
            }
        }

        [Fact]
        public void Requantize_handles_multipliers_at_and_above_one_and_tiny_ones()
        {
            var random = new Random(14);
            foreach (double m in new[] { 1.0, 1.5, 3.999, 100.0, 1e-9, 3e-10 })
            {
                var (multiplier, shift) = QuantizationMath.QuantizeMultiplier(m);
                for (int i = 0; i < 20000; i++)
                {
                    int acc = random.Next(-(int)Math.Min(1 << 30, (1 << 30) / m), (int)Math.Min(1 << 30, (1 << 30) / m));
                    int got = QuantizationMath.Requantize(acc, multiplier, shift, 0, int.MinValue, int.MaxValue);
                    Assert.Equal(Exact(acc, multiplier, shift, 0, int.MinValue, int.MaxValue), got);
                    Assert.True(Math.Abs(got - acc * m) <= 0.5 + 1e-6 * Math.Abs(acc * m), $"acc {acc}, M {m:R}");
                }
            }
        }

        [Fact]
        public void Requantize_rounds_ties_up_for_negative_accumulators_and_saturates()
        {
            var (half, shift) = QuantizationMath.QuantizeMultiplier(0.5);
            Assert.Equal(-2, QuantizationMath.Requantize(-5, half, shift, 0, -100, 100));    // −2.5 → −2
            Assert.Equal(-1, QuantizationMath.Requantize(-3, half, shift, 0, -100, 100));    // −1.5 → −1
            Assert.Equal(3, QuantizationMath.Requantize(5, half, shift, 0, -100, 100));      // 2.5 → 3
            Assert.Equal(0, QuantizationMath.Requantize(-1, half, shift, 0, -100, 100));     // −0.5 → 0
            Assert.Equal(255, QuantizationMath.Requantize(int.MaxValue, half, shift, 128, 0, 255));
            Assert.Equal(0, QuantizationMath.Requantize(int.MinValue, half, shift, 128, 0, 255));
            var (nearOne, s1) = QuantizationMath.QuantizeMultiplier(0.9999999);
            Assert.Equal(Exact(int.MinValue, nearOne, s1, 0, int.MinValue, int.MaxValue), QuantizationMath.Requantize(int.MinValue, nearOne, s1, 0, int.MinValue, int.MaxValue));
        }

        [Fact]
        public void Fused_activations_become_uint8_clamps()
        {
            var p = QuantizationMath.ActivationParams(-1, 7);
            Assert.Equal((p.ZeroPoint, 255), QuantizationMath.ActivationClamp(new ActivationSpec("Relu"), p));
            var clip = QuantizationMath.ActivationClamp(new ActivationSpec("Clip", 0, 6), p)!.Value;
            Assert.Equal(p.ZeroPoint, clip.Min);
            Assert.Equal(QuantizationMath.QuantizeActivation(6f, p), clip.Max);
            Assert.Equal((0, 255), QuantizationMath.ActivationClamp(ActivationSpec.None, p));
            Assert.Null(QuantizationMath.ActivationClamp(new ActivationSpec("LeakyRelu", 0.1f), p));
        }
    }
}
