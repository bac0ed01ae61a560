// The int8 weights and int32 bias of one weighted node: the one computation the simulator, the lowering and the QDQ export share.
using System;
using QuantGen.Ir;

namespace QuantGen.Compiler.Quantization
{
    /// <summary>
    /// What a weighted node (<see cref="NodeNumerics.Weighted"/>) computes with in an INT8 model:
    /// per-output-channel int8 weights with their scales, and the bias, either as int32 with scale
    /// input scale × weight scale of its channel (<see cref="QuantizedBias"/>) or left as it is
    /// (<see cref="QuantizedBias"/> null: no constant per-channel bias, or a Gemm with alpha/beta ≠ 1).
    /// With <see cref="QuantizationOptions.BiasCorrection"/> the bias quantized is the corrected one.
    /// </summary>
    public sealed class QuantizedWeights
    {
        private QuantizedWeights(int axis, int[] weightShape, sbyte[] values, float[] scales, float inputScale, int[]? bias, int[]? biasShape, bool biasCorrected)
        {
            Axis = axis;
            WeightShape = weightShape;
            Values = values;
            Scales = scales;
            InputScale = inputScale;
            QuantizedBias = bias;
            BiasShape = biasShape;
            BiasCorrected = biasCorrected;
        }

        /// <summary>The output channel axis of the weights (<see cref="QuantizationScheme.WeightChannelAxis"/>).</summary>
        public int Axis { get; }

        public int[] WeightShape { get; }

        /// <summary>The int8 weights, row-major in <see cref="WeightShape"/>, in [−127, 127].</summary>
        public sbyte[] Values { get; }

        /// <summary>One scale per output channel.</summary>
        public float[] Scales { get; }

        /// <summary>The scale of the node's uint8 input.</summary>
        public float InputScale { get; }

        /// <summary>The int32 bias (scale <see cref="InputScale"/> × <see cref="Scales"/>[c]), or null when the bias stays as it is.</summary>
        public int[]? QuantizedBias { get; }

        /// <summary>The shape of <see cref="QuantizedBias"/> (the original bias's, or [C] for a bias that correction created).</summary>
        public int[]? BiasShape { get; }

        /// <summary><see cref="QuantizedBias"/> is the quantization of the bias-corrected bias, not of the model's.</summary>
        public bool BiasCorrected { get; }

        /// <summary>Quantizes the weights and bias of <paramref name="node"/>, which <paramref name="scheme"/> runs as <see cref="NodeNumerics.Weighted"/>.</summary>
        public static QuantizedWeights Of(Node node, QuantizationScheme scheme)
        {
            var x = node.Input(0)!;
            var inputParams = scheme.Activations[x.Name];
            var wt = node.Input(1)!.Constant ?? throw new ArgumentException($"{node} has no constant weights.", nameof(node));
            int axis = QuantizationScheme.WeightChannelAxis(node);
            var (q, scales) = QuantizationMath.QuantizeWeightsPerChannel(wt.ToFloatArray(), wt.Shape, axis, scheme.Options.WeightMseClipping);
            var result = new QuantizedWeights(axis, wt.Shape, q, scales, inputParams.Scale, null, null, false);

            var b = node.Input(2)?.Constant;
            var biasShape = b?.Shape;
            bool corrected = false;
            float[]? bias = b?.ToFloatArray();
            bool alphaBetaOne = node.OpType != "Gemm" || (node.Attributes.GetFloat("alpha", 1f) == 1f && node.Attributes.GetFloat("beta", 1f) == 1f);
            if (scheme.Options.BiasCorrection && alphaBetaOne && scheme.Statistics.ChannelMeans(x.Name) is { } means
                && CorrectBias(node, wt, result.DequantizedWeights(), means, scales.Length) is { } correctedBias)
            {
                bias = correctedBias;
                biasShape ??= new[] { scales.Length };
                corrected = true;
            }
            if (bias == null || bias.Length != scales.Length || !alphaBetaOne) return result;
            return new QuantizedWeights(axis, wt.Shape, q, scales, inputParams.Scale, QuantizationMath.QuantizeBias(bias, inputParams.Scale, scales), biasShape, corrected);
        }

        /// <summary>q · scale of each weight, in float: what the integer weights stand for.</summary>
        public float[] DequantizedWeights()
        {
            int inner = 1;
            for (int i = Axis + 1; i < WeightShape.Length; i++) inner *= WeightShape[i];
            var dq = new float[Values.Length];
            for (int i = 0; i < Values.Length; i++) dq[i] = Values[i] * Scales[i / inner % Scales.Length];
            return dq;
        }

        /// <summary>q · input scale · weight scale of each channel of <see cref="QuantizedBias"/> (computed in double, rounded once).</summary>
        public float[] DequantizedBias()
        {
            var qb = QuantizedBias ?? throw new InvalidOperationException("The bias of this node is not quantized.");
            var db = new float[qb.Length];
            for (int c = 0; c < qb.Length; c++) db[c] = (float)(qb[c] * (double)InputScale * Scales[c]);
            return db;
        }

        /// <summary>
        /// The bias minus the expected output shift the weight rounding causes, ΔW·E[x] per output
        /// channel; null when the layout is not one this handles.
        /// </summary>
        private static float[]? CorrectBias(Node node, Tensor w, float[] dq, double[] means, int outputs)
        {
            var original = w.ToFloatArray();
            var bias = node.Input(2)?.Constant?.ToFloatArray() ?? new float[outputs];
            if (bias.Length != outputs) return null;
            var shift = new double[outputs];
            if (node.OpType == "Conv")
            {
                int group = (int)node.Attributes.GetInt("group", 1);
                int perGroupIn = w.Shape[1], perGroupOut = outputs / group, taps = w.Shape[2] * w.Shape[3];
                if (means.Length != perGroupIn * group) return null;
                for (int o = 0; o < outputs; o++)
                    for (int c = 0; c < perGroupIn; c++)
                    {
                        double mean = means[o / perGroupOut * perGroupIn + c];
                        int at = (o * perGroupIn + c) * taps;
                        for (int k = 0; k < taps; k++) shift[o] += (dq[at + k] - (double)original[at + k]) * mean;
                    }
            }
            else
            {
                if (node.Attributes.GetInt("transA", 0) != 0) return null;
                bool transposed = node.OpType == "Gemm" && node.Attributes.GetInt("transB", 0) != 0;
                int depth = transposed ? w.Shape[1] : w.Shape[0];
                if (means.Length != depth) return null;
                for (int n = 0; n < outputs; n++)
                    for (int k = 0; k < depth; k++)
                    {
                        int at = transposed ? n * depth + k : k * outputs + n;
                        shift[n] += (dq[at] - (double)original[at]) * means[k];
                    }
            }
            var corrected = new float[outputs];
            for (int o = 0; o < outputs; o++) corrected[o] = (float)(bias[o] - shift[o]);
            return corrected;
        }
    }
}
