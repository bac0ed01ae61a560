// Simulates an INT8 model on the reference evaluator: quantize-dequantize weights, biases and activations in float.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Evaluation;
using QuantGen.Compiler.Ir;

namespace QuantGen.Compiler.Quantization
{
    /// <summary>
    /// The float twin of an INT8 model ("fake quantization"): every weighted node's weights are
    /// replaced by their per-channel int8 values times their scales, its bias by its int32 value
    /// times input scale × weight scale, and every value the scheme writes as uint8 is rounded to
    /// its grid when it is produced. Up to float rounding of the accumulation, this computes what
    /// the integer kernels compute, so it measures the accuracy of a quantization scheme before the
    /// kernels exist and stays the oracle for them afterwards.
    /// </summary>
    public sealed class FakeQuantizedModel
    {
        private readonly Graph _graph;
        private readonly ReferenceEvaluator _evaluator;
        private readonly Dictionary<Value, QuantParams> _writes;

        private FakeQuantizedModel(Graph graph, QuantizationScheme scheme, Dictionary<Value, QuantParams> writes)
        {
            _graph = graph;
            Scheme = scheme;
            _writes = writes;
            _evaluator = new ReferenceEvaluator(graph);
        }

        public QuantizationScheme Scheme { get; }

        /// <summary>
        /// Rewrites <paramref name="graph"/>'s weight and bias constants IN PLACE to their quantized
        /// values (load the model again for an FP32 graph) and returns the simulator.
        /// </summary>
        public static FakeQuantizedModel Apply(Graph graph, QuantizationScheme scheme)
        {
            foreach (var node in graph.Nodes)
            {
                if (!scheme.Options.SimulateWeights || !scheme.Numerics.TryGetValue(node, out var kind) || kind != NodeNumerics.Weighted) continue;
                var x = node.Input(0)!;
                var inputParams = scheme.Activations[x.Name];
                var w = node.Input(1)!;
                var wt = w.Constant!;
                int axis = QuantizationScheme.WeightChannelAxis(node);
                var (q, scales) = QuantizationMath.QuantizeWeightsPerChannel(wt.ToFloatArray(), wt.Shape, axis, scheme.Options.WeightMseClipping);
                int inner = 1;
                for (int i = axis + 1; i < wt.Rank; i++) inner *= wt.Shape[i];
                var dq = new float[q.Length];
                for (int i = 0; i < q.Length; i++) dq[i] = q[i] * scales[i / inner % scales.Length];
                node.Inputs[1] = new Value(w.Name + ".int8", DataType.Float32, wt.Shape) { Constant = Tensor.FromFloats(wt.Shape, dq) };

                var b = node.Input(2);
                bool alphaBetaOne = node.OpType != "Gemm" || (node.Attributes.GetFloat("alpha", 1f) == 1f && node.Attributes.GetFloat("beta", 1f) == 1f);
                if (scheme.Options.BiasCorrection && alphaBetaOne && scheme.Statistics.ChannelMeans(x.Name) is { } means
                    && CorrectBias(node, wt, dq, means, scales.Length) is { } corrected)
                {
                    var shape = b?.Constant?.Shape ?? new[] { scales.Length };
                    b = new Value((b?.Name ?? node.Name + ".bias") + ".corrected", DataType.Float32, shape) { Constant = Tensor.FromFloats(shape, corrected) };
                    while (node.Inputs.Count < 3) node.Inputs.Add(null);
                    node.Inputs[2] = b;
                }
                if (b?.Constant != null && b.Constant.ElementCount == scales.Length && alphaBetaOne)
                {
                    var bias = b.Constant.ToFloatArray();
                    var qb = QuantizationMath.QuantizeBias(bias, inputParams.Scale, scales);
                    var db = new float[qb.Length];
                    for (int c = 0; c < qb.Length; c++) db[c] = (float)(qb[c] * (double)inputParams.Scale * scales[c]);
                    node.Inputs[2] = new Value(b.Name + ".int32", DataType.Float32, b.Constant.Shape) { Constant = Tensor.FromFloats(b.Constant.Shape, db) };
                }
            }
            var byName = graph.Nodes.SelectMany(n => n.Outputs).Concat(graph.Inputs).GroupBy(v => v.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var writes = new Dictionary<Value, QuantParams>();
            foreach (var name in scheme.Options.SimulateActivations ? scheme.QuantizedOutputs : Array.Empty<string>())
                if (byName.TryGetValue(name, out var v)) writes[v] = scheme.Activations[name];
            return new FakeQuantizedModel(graph, scheme, writes);
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

        /// <summary>
        /// Runs one sample (shaped like the single runtime input) through the simulated INT8 model;
        /// <paramref name="observe"/> sees every value as the integer model holds it (after rounding),
        /// e.g. for per-layer SQNR against FP32.
        /// </summary>
        public Dictionary<string, Tensor> Run(float[] sample, Action<Value, Tensor>? observe = null)
        {
            var input = _graph.Inputs.First(v => !v.IsConstant);
            var data = (float[])sample.Clone();
            if (_writes.TryGetValue(input, out var p)) FakeQuantizeInPlace(data, p);
            var feeds = new Dictionary<string, Tensor> { [input.Name] = Tensor.FromFloats(input.Shape!, data) };
            // The evaluator hands the observer the tensor it stores, so rounding it in place here is what
            // every later node reads (see the hook requested in docs/quantization-research.md).
            return _evaluator.Run(feeds, (v, t) =>
            {
                if (_writes.TryGetValue(v, out var q)) FakeQuantizeInPlace(t.Floats, q);
                observe?.Invoke(v, t);
            });
        }

        public static void FakeQuantizeInPlace(float[] data, QuantParams p)
        {
            for (int i = 0; i < data.Length; i++) data[i] = QuantizationMath.FakeQuantizeActivation(data[i], p);
        }
    }
}
