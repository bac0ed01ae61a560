// Decides where an INT8 model holds uint8 activations and int8 weights, and with which parameters.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Quantization.Calibration;
using QuantGen.Ir;
using QuantGen.Compiler.Operators;

namespace QuantGen.Compiler.Quantization
{
    public sealed class QuantizationOptions
    {
        public CalibrationMethod Method { get; set; } = QuantizationScheme.DefaultMethod;

        /// <summary>For <see cref="CalibrationMethod.Percentile"/>.</summary>
        public double Percentile { get; set; } = RangeEstimator.DefaultPercentile;

        /// <summary>
        /// Elementwise ops with a constant operand on the way from the model input to the first
        /// integer op (the Sub/Div of input normalization) run in float, and the data is quantized
        /// after them, where its scale is uniform. Off gives ONNX Runtime's plain QDQ placement
        /// (quantize the raw input), which costs clinical-mlp 27 points: a measurement switch for
        /// the simulator only (the lowering has no integer arithmetic with a constant).
        /// </summary>
        public bool FloatInputNormalization { get; set; } = true;

        /// <summary>
        /// A Gemm or MatMul whose output is a graph output (or only feeds float ops such as Softmax)
        /// writes float straight from its int32 accumulator instead of a uint8 tensor.
        /// </summary>
        public bool FloatOutputs { get; set; } = true;

        /// <summary>Per-channel weight scales minimize the squared weight error instead of covering max|w| (see QuantizeWeightsPerChannel).</summary>
        public bool WeightMseClipping { get; set; }

        /// <summary>
        /// Bias correction for weight rounding: each weighted node's bias absorbs −ΔW·E[x] (ΔW the
        /// int8 rounding error of its weights, E[x] the calibrated per-channel mean of its input), so
        /// the quantized layer's expected output equals the float one (Nagel et al. 2019, ignoring
        /// the zero padding at borders).
        /// </summary>
        public bool BiasCorrection { get; set; }

        /// <summary>Nodes (by name) kept in float, e.g. by an accuracy budget that falls back on sensitive layers.</summary>
        public ISet<string> FloatNodes { get; set; } = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>Measurement switch: simulate int8 weights and int32 biases (off isolates activation error).</summary>
        public bool SimulateWeights { get; set; } = true;

        /// <summary>Measurement switch: simulate uint8 activations (off isolates weight error).</summary>
        public bool SimulateActivations { get; set; } = true;
    }

    /// <summary>How a node runs in an INT8 model.</summary>
    public enum NodeNumerics
    {
        /// <summary>Stays float (Softmax, the input normalization, unsupported ops).</summary>
        Float,

        /// <summary>Integer op with int8 per-channel weights and an int32 bias (Conv, Gemm, MatMul by a constant).</summary>
        Weighted,

        /// <summary>Integer op that requantizes its uint8 inputs to a new scale (Add, average pools, Concat, unfused Relu/Clip).</summary>
        Requantizing,

        /// <summary>Moves or selects uint8 values without arithmetic; the output shares the input's parameters.</summary>
        PassThrough,
    }

    /// <summary>
    /// The quantization decisions for one optimized graph: which values are uint8 (with their
    /// per-tensor parameters) and which nodes run in integers. Per-channel weight parameters follow
    /// from the weights alone (<see cref="QuantizationMath.QuantizeWeightsPerChannel"/>).
    /// </summary>
    public sealed partial class QuantizationScheme
    {
        /// <summary>
        /// The method used without a user choice. MSE-optimal clipping had the best output SQNR on the
        /// three CNNs, top-1 within 0.4 points of FP32 everywhere, is stable from 32 calibration samples,
        /// and unlike MinMax cannot be ruined by one outlier; Entropy lost ~2–3 dB on the small CNNs.
        /// docs/quantization-research.md has the table.
        /// </summary>
        public const CalibrationMethod DefaultMethod = CalibrationMethod.Mse;

        // Ops the integer kernels run. Everything else stays float, with a dequantize before it and a
        // quantize after it where integer code resumes (docs/int8-kernels.md lists the kernels).
        private static readonly HashSet<string> s_passThrough = new HashSet<string>(StringComparer.Ordinal)
        {
            "MaxPool", "GlobalMaxPool", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze",
        };

        private static readonly HashSet<string> s_constantArithmetic = new HashSet<string>(StringComparer.Ordinal) { "Add", "Sub", "Mul", "Div" };

        private static readonly HashSet<string> s_weighted = new HashSet<string>(StringComparer.Ordinal) { "Conv", "Gemm", "MatMul" };

        private QuantizationScheme(Dictionary<Node, NodeNumerics> numerics, Dictionary<string, QuantParams> activations, HashSet<string> requantized, QuantizationOptions options, CalibrationStatistics statistics)
        {
            Options = options;
            Statistics = statistics;
            Numerics = numerics;
            Activations = activations;
            QuantizedOutputs = requantized;
        }

        public QuantizationOptions Options { get; }

        /// <summary>The calibration the parameters came from.</summary>
        public CalibrationStatistics Statistics { get; }

        public IReadOnlyDictionary<Node, NodeNumerics> Numerics { get; }

        /// <summary>Every uint8 value (by name) with its parameters, including pass-through outputs.</summary>
        public IReadOnlyDictionary<string, QuantParams> Activations { get; }

        /// <summary>
        /// The values whose float data becomes uint8 at the point they are written: the graph input or
        /// the output of a float op where integer code starts (a quantize step), and every output an
        /// integer op requantizes. (Pass-through outputs are already on the grid.)
        /// </summary>
        public IReadOnlyCollection<string> QuantizedOutputs { get; }

        public static QuantizationScheme Build(Graph graph, CalibrationStatistics statistics, QuantizationOptions options)
        {
            var numerics = new Dictionary<Node, NodeNumerics>();
            var activations = new Dictionary<string, QuantParams>(StringComparer.Ordinal);
            var written = new HashSet<string>(StringComparer.Ordinal);
            QuantParams Calibrated(Value v)
            {
                var range = statistics.Range(v.Name, options.Method, options.Percentile);
                return QuantizationMath.ActivationParams(range.Low, range.High);
            }

            foreach (var node in graph.Nodes)
            {
                var runtime = node.Inputs.Where(v => v != null && !v.IsConstant).Cast<Value>().ToList();
                var kind = options.FloatNodes.Contains(node.Name) ? NodeNumerics.Float : Classify(node, runtime, activations, options);
                numerics[node] = kind;
                if (kind == NodeNumerics.Float) continue;
                if (kind == NodeNumerics.PassThrough)
                {
                    activations[node.Outputs[0].Name] = activations[runtime[0].Name];
                    continue;
                }
                foreach (var input in runtime)
                {
                    if (activations.ContainsKey(input.Name)) continue;
                    activations[input.Name] = Calibrated(input);
                    written.Add(input.Name);
                }
                var output = node.Outputs[0];
                var consumers = graph.Consumers(output).ToList();
                bool floatOnly = graph.IsGraphOutput(output) || consumers.Count == 0 || consumers.All(c => IsFloatConsumer(c));
                // Only the GEMM kernel has a float epilogue (GemmU8S8.Float); a conv or an add writes uint8 and is dequantized.
                if (options.FloatOutputs && floatOnly && kind == NodeNumerics.Weighted && node.OpType != "Conv") continue;
                activations[output.Name] = Calibrated(output);
                written.Add(output.Name);
            }
            return new QuantizationScheme(numerics, activations, written, options, statistics);
        }

        private static NodeNumerics Classify(Node node, List<Value> runtime, Dictionary<string, QuantParams> quantized, QuantizationOptions options)
        {
            if (node.Outputs.Count != 1 || runtime.Count == 0 || runtime.Any(v => v.Type != DataType.Float32)) return NodeNumerics.Float;
            string op = node.OpType;
            if (s_passThrough.Contains(op))
                return quantized.ContainsKey(runtime[0].Name) && PassThroughFits(node) ? NodeNumerics.PassThrough : NodeNumerics.Float;
            if (s_weighted.Contains(op)) return IsIntegerWeighted(node, runtime) ? NodeNumerics.Weighted : NodeNumerics.Float;
            // A residual add of two same-shape tensors (AddU8); an add with a constant or broadcasting stays float.
            if (op == "Add" && runtime.Count == 2 && node.Inputs.Count == 2 && SameShape(runtime[0], runtime[1]) && SameShape(runtime[0], node.Outputs[0]))
                return NodeNumerics.Requantizing;
            if (op == "GlobalAveragePool" && (runtime[0].Rank == 4 || runtime[0].Rank == 3)) return NodeNumerics.Requantizing;
            // Research switch only (ONNX Runtime's plain QDQ placement, for measurements): quantize the raw input
            // ahead of the normalization. The integer kernels have no arithmetic with a constant, so the
            // lowering rejects this scheme.
            if (!options.FloatInputNormalization && s_constantArithmetic.Contains(op) && runtime.Count == 1 && node.Inputs.Count == 2)
                return NodeNumerics.Requantizing;
            return NodeNumerics.Float;
        }

        /// <summary>
        /// Conv (1-D or 2-D), Gemm without transA, alpha or beta, and MatMul by a constant matrix, with constant
        /// weights and bias and a fused activation the requantization clamp expresses (none, Relu, Clip).
        /// </summary>
        /// <summary>A Gemm (no transA, alpha = beta = 1, row bias) or MatMul by a constant matrix with a clamp-able activation: what GemmU8S8 runs.</summary>
        public static bool RunsAsIntegerGemm(Node node)
        {
            var runtime = node.Inputs.Where(v => v != null && !v.IsConstant).Cast<Value>().ToList();
            return node.Outputs.Count == 1 && runtime.Count == 1 && runtime[0].Type == DataType.Float32 && node.OpType != "Conv" && IsIntegerWeighted(node, runtime);
        }

        private static bool IsIntegerWeighted(Node node, List<Value> runtime)
        {
            if (runtime.Count != 1 || node.Input(0) != runtime[0] || node.Input(1)?.Constant == null) return false;
            var kind = FusedActivation.Of(node).Kind;
            if (!(FusedActivation.Of(node).IsNone || kind == "Relu" || kind == "Clip")) return false;
            var w = node.Input(1)!;
            var bias = node.Input(2);
            switch (node.OpType)
            {
                case "Conv":
                    return (w.Rank == 4 || w.Rank == 3) && (bias == null || bias.Constant != null);
                case "Gemm":
                {
                    if (node.Attributes.GetInt("transA", 0) != 0 || node.Attributes.GetFloat("alpha", 1f) != 1f || node.Attributes.GetFloat("beta", 1f) != 1f) return false;
                    int n = node.Outputs[0].Shape![1];
                    return bias == null || (bias.Constant != null && bias.ElementCount == n && (bias.Rank == 1 || (bias.Rank == 2 && bias.Shape![0] == 1)));
                }
                default:
                    return w.Rank == 2 && runtime[0].Rank >= 2 && node.Inputs.Count == 2;
            }
        }

        private static bool PassThroughFits(Node node) =>
            node.OpType != "MaxPool" || (node.Outputs.Count == 1 && node.Input(0)!.Rank is 3 or 4 && node.Attributes.GetInt("storage_order", 0) == 0);

        private static bool SameShape(Value a, Value b) => a.Shape != null && b.Shape != null && a.Shape.SequenceEqual(b.Shape);

        /// <summary>A consumer that reads float (so an integer producer may write float for it).</summary>
        private static bool IsFloatConsumer(Node consumer) =>
            !(s_passThrough.Contains(consumer.OpType) || s_weighted.Contains(consumer.OpType) || consumer.OpType == "Add" || consumer.OpType == "GlobalAveragePool");

        /// <summary>
        /// How an Int8 build runs <paramref name="opType"/> (for the support matrix): in integers, as a move of uint8
        /// data, or null when it stays float (between a dequantize and a quantize).
        /// </summary>
        public static string? IntegerForm(string opType)
        {
            if (s_weighted.Contains(opType))
                return opType == "Conv" ? "integer (int8 per-channel weights; 1-D/2-D, groups, depthwise; fused Relu/Clip)"
                    : "integer (int8 per-channel weights; " + (opType == "Gemm" ? "no transA, alpha = beta = 1" : "constant B") + "; fused Relu/Clip; float logits for float consumers)";
            if (opType == "Add") return "integer (residual add of two same-shape tensors)";
            if (opType == "GlobalAveragePool") return "integer";
            if (s_passThrough.Contains(opType)) return "uint8 pass-through";
            return null;
        }

        /// <summary>The output channel axis of a weighted node's weights (Conv: 0; Gemm: 0 with transB, else 1; MatMul: 1).</summary>
        public static int WeightChannelAxis(Node node) => node.OpType switch
        {
            "Conv" => 0,
            "Gemm" => node.Attributes.GetInt("transB", 0) != 0 ? 0 : 1,
            _ => 1,
        };
    }
}
