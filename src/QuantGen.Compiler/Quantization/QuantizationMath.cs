// The integer arithmetic of INT8 models: activation/weight/bias quantization and fixed-point requantization.
using System;
using System.Collections.Generic;
using QuantGen.Compiler.Operators;

namespace QuantGen.Compiler.Quantization
{
    /// <summary>Affine quantization of one tensor (or one channel): real = Scale · (q − ZeroPoint).</summary>
    public readonly struct QuantParams
    {
        public QuantParams(float scale, int zeroPoint)
        {
            Scale = scale;
            ZeroPoint = zeroPoint;
        }

        public float Scale { get; }
        public int ZeroPoint { get; }

        /// <summary>The representable range of uint8 with these parameters.</summary>
        public double Low => Scale * (double)(QuantizationMath.ActivationMin - ZeroPoint);
        public double High => Scale * (double)(QuantizationMath.ActivationMax - ZeroPoint);

        public override string ToString() => FormattableString.Invariant($"scale {Scale:R}, zero point {ZeroPoint}");
    }

    /// <summary>
    /// The one definition of QuantGen's integer arithmetic. Build-time code (weights, biases, the
    /// multipliers) and every kernel path (scalar, SIMD, generated) must reproduce these bits:
    /// <list type="bullet">
    /// <item>float → integer rounding (weights, biases, the quantization of a float input) is round
    /// half to even, the default of Math.Round and of the x86 cvtps2dq / Arm FCVTNS instructions, so
    /// a SIMD input quantizer needs no extra fix-up;</item>
    /// <item>requantization is one rounding of an exact 64-bit product, round half up
    /// (<see cref="Requantize"/>), as gemmlowp's and TFLite's reference kernels with a single
    /// rounding step;</item>
    /// <item>activations are uint8 asymmetric per tensor, weights int8 symmetric per output channel in
    /// [−127, 127] (−128 unused: symmetric, so −w never overflows), biases int32 with scale input
    /// scale × weight scale, accumulation exact in int32.</item>
    /// </list>
    /// </summary>
    public static class QuantizationMath
    {
        public const int ActivationMin = 0;
        public const int ActivationMax = 255;
        public const int WeightMax = 127;

        /// <summary>
        /// uint8 parameters for the float range [<paramref name="low"/>, <paramref name="high"/>],
        /// widened to contain 0 and nudged so that 0 is exactly representable (zero padding and ReLU
        /// zeros cost no error): scale = (high − low) / 255, zero point = round(−low / scale).
        /// </summary>
        public static QuantParams ActivationParams(double low, double high)
        {
            low = Math.Min(low, 0);
            high = Math.Max(high, 0);
            if (!(high - low > 1e-30) || double.IsInfinity(high - low)) return new QuantParams(1f, 0);
            float scale = (float)((high - low) / (ActivationMax - ActivationMin));
            double zero = ActivationMin - low / scale;
            int zeroPoint = (int)RoundHalfEven(zero);
            if (zeroPoint < ActivationMin) zeroPoint = ActivationMin;
            if (zeroPoint > ActivationMax) zeroPoint = ActivationMax;
            return new QuantParams(scale, zeroPoint);
        }

        /// <summary>Round half to even (the rounding of every float → integer conversion).</summary>
        public static double RoundHalfEven(double x) => Math.Round(x, MidpointRounding.ToEven);

        /// <summary>1 / scale rounded to float: run-time quantizers multiply by it (QuantGen.Kernels' QuantizationU8.Quantize takes it).</summary>
        public static float InverseScale(QuantParams p) => 1f / p.Scale;

        /// <summary>
        /// q = clamp(round_half_even(x · (1/scale)) + zero point, 0, 255), the product taken in float
        /// with <see cref="InverseScale"/>: bit for bit what the run-time quantize kernel computes.
        /// </summary>
        public static int QuantizeActivation(float x, QuantParams p)
        {
            float t = x * InverseScale(p);
            if (float.IsNaN(t)) return p.ZeroPoint;
            double q = RoundHalfEven(t) + p.ZeroPoint;
            return q < ActivationMin ? ActivationMin : q > ActivationMax ? ActivationMax : (int)q;
        }

        public static float Dequantize(int q, QuantParams p) => (float)(p.Scale * (double)(q - p.ZeroPoint));

        /// <summary>x → quantize → dequantize with uint8 parameters (what an INT8 pipeline stores for x).</summary>
        public static float FakeQuantizeActivation(float x, QuantParams p) => Dequantize(QuantizeActivation(x, p), p);

        /// <summary>
        /// <see cref="FakeQuantizeActivation"/> of every element, in place, with the same bits: the 256 dequantized values
        /// are computed once (the simulator rounds millions of activations per sample).
        /// </summary>
        public static void FakeQuantizeInPlace(Span<float> data, QuantParams p)
        {
            Span<float> grid = stackalloc float[ActivationMax - ActivationMin + 1];
            for (int q = ActivationMin; q <= ActivationMax; q++) grid[q - ActivationMin] = Dequantize(q, p);
            float inverse = InverseScale(p);
            int zeroPoint = p.ZeroPoint;
            for (int i = 0; i < data.Length; i++)
            {
                float t = data[i] * inverse;
                int q;
                if (float.IsNaN(t)) q = zeroPoint;
                else
                {
                    double r = RoundHalfEven(t) + zeroPoint;
                    q = r < ActivationMin ? ActivationMin : r > ActivationMax ? ActivationMax : (int)r;
                }
                data[i] = grid[q - ActivationMin];
            }
        }

        /// <summary>
        /// Per-output-channel symmetric int8: channel c of <paramref name="weights"/> (row-major,
        /// <paramref name="shape"/>, channels on <paramref name="axis"/>) gets scale max|w_c| / 127
        /// and q = clamp(round(w / scale), −127, 127). An all-zero channel gets scale 1.
        /// </summary>
        /// <param name="clipForMse">
        /// Instead of max|w_c| / 127, search the scale in [0.5, 1] · max|w_c| / 127 that minimizes the
        /// channel's squared rounding-plus-clipping error (weight-side MSE calibration).
        /// </param>
        public static (sbyte[] Values, float[] Scales) QuantizeWeightsPerChannel(float[] weights, int[] shape, int axis, bool clipForMse = false)
        {
            int channels = shape[axis];
            int inner = 1;
            for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
            var scales = new float[channels];
            var maxAbs = new double[channels];
            for (int i = 0; i < weights.Length; i++)
            {
                int c = i / inner % channels;
                maxAbs[c] = Math.Max(maxAbs[c], Math.Abs((double)weights[i]));
            }
            for (int c = 0; c < channels; c++) scales[c] = maxAbs[c] > 0 ? (float)(maxAbs[c] / WeightMax) : 1f;
            if (clipForMse) ClipScalesForMse(weights, channels, inner, maxAbs, scales);
            var values = new sbyte[weights.Length];
            for (int i = 0; i < weights.Length; i++)
            {
                double q = RoundHalfEven(weights[i] / (double)scales[i / inner % channels]);
                values[i] = (sbyte)(q > WeightMax ? WeightMax : q < -WeightMax ? -WeightMax : q);
            }
            return (values, scales);
        }

        private static void ClipScalesForMse(float[] weights, int channels, int inner, double[] maxAbs, float[] scales)
        {
            const int Candidates = 50;
            var error = new double[channels * (Candidates + 1)];
            for (int i = 0; i < weights.Length; i++)
            {
                int c = i / inner % channels;
                if (maxAbs[c] == 0) continue;
                double w = weights[i];
                for (int k = 0; k <= Candidates; k++)
                {
                    double scale = (float)(maxAbs[c] * (0.5 + 0.5 * k / Candidates) / WeightMax);
                    double q = RoundHalfEven(w / scale);
                    if (q > WeightMax) q = WeightMax; else if (q < -WeightMax) q = -WeightMax;
                    double d = w - q * scale;
                    error[c * (Candidates + 1) + k] += d * d;
                }
            }
            for (int c = 0; c < channels; c++)
            {
                if (maxAbs[c] == 0) continue;
                int best = Candidates;
                for (int k = 0; k < Candidates; k++) if (error[c * (Candidates + 1) + k] < error[c * (Candidates + 1) + best]) best = k;
                scales[c] = (float)(maxAbs[c] * (0.5 + 0.5 * best / Candidates) / WeightMax);
            }
        }

        /// <summary>int32 bias of channel c: round(b_c / (input scale · weight scale_c)), saturated.</summary>
        public static int[] QuantizeBias(float[] bias, float inputScale, float[] weightScales)
        {
            var result = new int[bias.Length];
            for (int c = 0; c < bias.Length; c++)
            {
                double scale = (double)inputScale * weightScales[weightScales.Length == 1 ? 0 : c];
                double q = RoundHalfEven(bias[c] / scale);
                result[c] = q >= int.MaxValue ? int.MaxValue : q <= int.MinValue ? int.MinValue : (int)q;
            }
            return result;
        }

        /// <summary>
        /// Splits a positive real multiplier M (e.g. input scale · weight scale / output scale) into a
        /// Q31 integer multiplier in [2^30, 2^31) and a right shift with M ≈ multiplier · 2^−(31 + shift),
        /// as TFLite's QuantizeMultiplier (there the shift is a left shift, here −shift). Valid for
        /// 2^−32 ≤ M &lt; 2^31 (shift in [−31, 31]); smaller multipliers give (0, 0), which maps every
        /// accumulator below 2^31 to the zero point, exactly as M · acc rounds.
        /// </summary>
        public static (int Multiplier, int Shift) QuantizeMultiplier(double realMultiplier)
        {
            if (double.IsNaN(realMultiplier) || realMultiplier < 0) throw new ArgumentOutOfRangeException(nameof(realMultiplier), "the multiplier must be a non-negative number");
            if (realMultiplier == 0) return (0, 0);
            // frexp: realMultiplier = fraction · 2^exponent with fraction in [0.5, 1).
            int exponent = (int)Math.Floor(Math.Log(realMultiplier, 2)) + 1;
            double fraction = realMultiplier / Math.Pow(2, exponent);
            while (fraction >= 1) { fraction /= 2; exponent++; }
            while (fraction < 0.5) { fraction *= 2; exponent--; }
            long fixedPoint = (long)Math.Round(fraction * (1L << 31), MidpointRounding.AwayFromZero);
            if (fixedPoint == 1L << 31)
            {
                fixedPoint /= 2;
                exponent++;
            }
            int shift = -exponent;
            if (shift > 31) return (0, 0);
            if (shift < -30) throw new ArgumentOutOfRangeException(nameof(realMultiplier), "the multiplier must be below 2^31");
            return ((int)fixedPoint, shift);
        }

        /// <summary>
        /// The per-channel requantization of one layer: multipliers in [0, 2^31) with one right shift s in [0, 62] for
        /// all channels, M[c] ≈ multiplier[c] · 2^−s (<see cref="RequantizeChannel"/>). s is the largest that keeps the
        /// biggest multiplier below 2^31, so that channel keeps 31 bits and a channel k times smaller 31 − log2(k)
        /// (at 2^−20 of the largest still 11 bits, relative error ≤ 2^−12). One shift per layer lets the kernels shift
        /// all lanes by one count and saves 4 bytes per channel. Multipliers of 2^31 or more are not representable.
        /// </summary>
        public static (int[] Multipliers, int Shift) QuantizeChannelMultipliers(IReadOnlyList<double> realMultipliers)
        {
            double max = 0;
            foreach (double m in realMultipliers)
            {
                if (double.IsNaN(m) || m < 0) throw new ArgumentOutOfRangeException(nameof(realMultipliers), "a multiplier must be a non-negative number");
                max = Math.Max(max, m);
            }
            var result = new int[realMultipliers.Count];
            if (max == 0) return (result, 0);
            if (max >= 1L << 31) throw new ArgumentOutOfRangeException(nameof(realMultipliers), "the multipliers must be below 2^31");
            int shift = ChannelShiftMax;
            while (shift > 0 && Math.Round(max * Math.Pow(2, shift), MidpointRounding.AwayFromZero) >= 1L << 31) shift--;
            for (int c = 0; c < result.Length; c++)
                result[c] = (int)Math.Round(realMultipliers[c] * Math.Pow(2, shift), MidpointRounding.AwayFromZero);
            return (result, shift);
        }

        /// <summary>The largest per-layer shift: v · multiplier + 2^(s−1) stays below 2^63 for every int32 v.</summary>
        public const int ChannelShiftMax = 62;

        /// <summary>
        /// clamp(zeroPoint + (int)floor((acc · multiplier + 2^(shift−1)) / 2^shift), min, max) (no rounding term for
        /// shift 0): the per-channel requantization with one shift per layer, one rounding of the exact 64-bit product,
        /// half up; the cast keeps the low 32 bits and zeroPoint + R is int32 arithmetic. Every kernel path produces these bits.
        /// </summary>
        public static int RequantizeChannel(int acc, int multiplier, int shift, int zeroPoint, int min, int max)
        {
            int value = unchecked((int)(((long)acc * multiplier + ((1L << shift) >> 1)) >> shift) + zeroPoint);
            return value < min ? min : value > max ? max : value;
        }

        /// <summary>The real multiplier a (multiplier, shift) pair stands for.</summary>
        public static double MultiplierValue(int multiplier, int shift) => multiplier * Math.Pow(2, -(31 + shift));

        /// <summary>
        /// clamp(round_half_up(acc · multiplier / 2^(31+shift)) + zeroPoint, min, max), computed exactly as
        /// <c>(int)(((long)acc * multiplier + (1L &lt;&lt; (30 + shift))) &gt;&gt; (31 + shift)) + zeroPoint</c>:
        /// one rounding of the exact 64-bit product. Every kernel path must produce these bits.
        /// Precondition: |acc · M| + 255 &lt; 2^31, so neither the int cast nor the + zeroPoint wraps
        /// (Conv/Gemm/pooling accumulators times M &lt; 1 are far below it; the compiler must check
        /// rescales with M ≥ 1). QuantGen.Kernels' Requantization implements shift in [0, 31] (M &lt; 1).
        /// </summary>
        public static int Requantize(int acc, int multiplier, int shift, int zeroPoint, int min, int max)
        {
            int value = (int)(((long)acc * multiplier + (1L << (30 + shift))) >> (31 + shift)) + zeroPoint;
            return value < min ? min : value > max ? max : value;
        }

        /// <summary>
        /// The uint8 clamp a fused activation becomes on an output quantized with <paramref name="output"/>:
        /// Relu → [zero point, 255], Clip(a, b) → [q(a), q(b)] within [0, 255], none → [0, 255].
        /// LeakyRelu has no clamp form (it needs a second multiplier) and returns null.
        /// </summary>
        public static (int Min, int Max)? ActivationClamp(ActivationSpec activation, QuantParams output)
        {
            if (activation.IsNone) return (ActivationMin, ActivationMax);
            switch (activation.Kind)
            {
                case "Relu":
                    return (Math.Max(ActivationMin, output.ZeroPoint), ActivationMax);
                case "Clip":
                {
                    int lo = float.IsNegativeInfinity(activation.Alpha) ? ActivationMin : QuantizeActivation(activation.Alpha, output);
                    int hi = float.IsPositiveInfinity(activation.Beta) ? ActivationMax : QuantizeActivation(activation.Beta, output);
                    return (lo, hi);
                }
                default:
                    return null;
            }
        }
    }
}
