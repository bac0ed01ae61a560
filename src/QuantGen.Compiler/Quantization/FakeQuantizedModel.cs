// Simulates an INT8 model on the reference evaluator: quantize-dequantize weights, biases and activations in float.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Evaluation;
using QuantGen.Ir;

namespace QuantGen.Compiler.Quantization
{
    /// <summary>
    /// The float twin of an INT8 model ("fake quantization"): every weighted node's weights are
    /// replaced by their per-channel int8 values times their scales, its bias by its int32 value
    /// times input scale × weight scale, and every value the scheme writes as uint8 is rounded to
    /// its grid when it is produced. Up to float rounding of the accumulation, this computes what
    /// the integer kernels compute, so it measures the accuracy of a quantization scheme before the
    /// kernels exist and stays the oracle for them afterwards. The build runs the same simulation on
    /// the kernels (<see cref="Simulation.KernelSimulation"/>); this one, in double, is the tests' reference.
    /// </summary>
    public sealed class FakeQuantizedModel
    {
        private readonly Graph _graph;
        private readonly ReferenceEvaluator _evaluator;
        private readonly Dictionary<Value, QuantParams> _writes;
        private readonly Dictionary<Node, Value?[]> _inputs;

        private FakeQuantizedModel(Graph graph, QuantizationScheme scheme, Dictionary<Node, Value?[]> inputs, Dictionary<Value, QuantParams> writes)
        {
            _graph = graph;
            Scheme = scheme;
            _inputs = inputs;
            _writes = writes;
            _evaluator = new ReferenceEvaluator(graph, inputs);
        }

        public QuantizationScheme Scheme { get; }

        /// <summary>
        /// The simulator of <paramref name="scheme"/> on <paramref name="graph"/>, which stays as it is (the FP32 model): the
        /// simulated weights and biases are inputs of the simulator's own (<see cref="InputsOf"/>).
        /// </summary>
        public static FakeQuantizedModel Apply(Graph graph, QuantizationScheme scheme)
        {
            var byName = graph.Nodes.SelectMany(n => n.Outputs).Concat(graph.Inputs).GroupBy(v => v.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var writes = new Dictionary<Value, QuantParams>();
            foreach (var name in scheme.Options.SimulateActivations ? scheme.QuantizedOutputs : Array.Empty<string>())
                if (byName.TryGetValue(name, out var v)) writes[v] = scheme.Activations[name];
            return new FakeQuantizedModel(graph, scheme, SimulatedInputs(graph, scheme), writes);
        }

        /// <summary>
        /// The inputs of each weighted node in the simulated model: its weights dequantized from int8, its bias from int32
        /// (a bias that correction adds becomes a third input). Nodes not listed read what the graph gives them.
        /// </summary>
        public static Dictionary<Node, Value?[]> SimulatedInputs(Graph graph, QuantizationScheme scheme)
        {
            var result = new Dictionary<Node, Value?[]>();
            foreach (var node in graph.Nodes)
            {
                if (!scheme.Options.SimulateWeights || !scheme.Numerics.TryGetValue(node, out var kind) || kind != NodeNumerics.Weighted) continue;
                var inputs = node.Inputs.ToList();
                var w = node.Input(1)!;
                var weights = QuantizedWeights.Of(node, scheme);
                inputs[1] = new Value(w.Name + ".int8", DataType.Float32, w.Constant!.Shape) { Constant = Tensor.FromFloats(w.Constant.Shape, weights.DequantizedWeights()) };
                if (weights.QuantizedBias != null)
                {
                    var b = node.Input(2);
                    string biasName = weights.BiasCorrected ? (b?.Name ?? node.Name + ".bias") + ".corrected" : b!.Name;
                    var shape = weights.BiasShape!;
                    while (inputs.Count < 3) inputs.Add(null);
                    inputs[2] = new Value(biasName + ".int32", DataType.Float32, shape) { Constant = Tensor.FromFloats(shape, weights.DequantizedBias()) };
                }
                result[node] = inputs.ToArray();
            }
            return result;
        }

        /// <summary>The inputs <paramref name="node"/> reads in the simulated model.</summary>
        public IReadOnlyList<Value?> InputsOf(Node node) => _inputs.TryGetValue(node, out var inputs) ? inputs : node.Inputs;

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

        public static void FakeQuantizeInPlace(float[] data, QuantParams p) => QuantizationMath.FakeQuantizeInPlace(data, p);
    }
}
