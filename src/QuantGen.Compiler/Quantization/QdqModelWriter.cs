// Writes an INT8 model as a standard QDQ ONNX file, so ONNX Runtime can run and Netron can show what QuantGen computes.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir;
using QuantGen.Compiler.Operators;
using QuantGen.Onnx;

namespace QuantGen.Compiler.Quantization
{
    /// <summary>
    /// The QDQ ("quantize-dequantize") form of a quantization scheme, the interchange format ONNX
    /// Runtime's own quantizer writes: every value the scheme stores as uint8 is followed by
    /// QuantizeLinear → DequantizeLinear with its scale and zero point, and every weighted node reads
    /// its weights through DequantizeLinear of the int8 per-channel values (stored as uint8 q + 128 by
    /// default, see <see cref="QdqWeightType"/>) and its bias through DequantizeLinear of the int32
    /// bias. The numbers are exactly those of
    /// <see cref="FakeQuantizedModel"/> (both come from <see cref="QuantizedWeights"/> and the
    /// scheme's parameters), so ONNX Runtime's outputs on this file can be compared with QuantGen's.
    /// </summary>
    public static class QdqModelWriter
    {
        /// <summary>Per-axis DequantizeLinear (the per-channel weights) needs opset 13.</summary>
        public const int MinimumOpset = 13;

        /// <summary>
        /// Serializes <paramref name="optimizedFp32Graph"/> (shape-inferred and rewritten, as
        /// calibration saw it; not a graph <see cref="FakeQuantizedModel.Apply"/> rewrote) quantized by
        /// <paramref name="scheme"/>. Fused activations become their ONNX ops again after the node
        /// (Relu, Clip with min/max inputs, LeakyRelu); QuantGen's internal attributes are dropped.
        /// The graph is not modified, and the same input gives the same bytes.
        /// </summary>
        public static byte[] Write(Graph optimizedFp32Graph, QuantizationScheme scheme) => Write(optimizedFp32Graph, scheme, QdqWeightType.UInt8);

        /// <inheritdoc cref="Write(Graph, QuantizationScheme)"/>
        /// <param name="weightType">How the int8 weights are stored (<see cref="QdqWeightType"/>: the values are the same).</param>
        public static byte[] Write(Graph optimizedFp32Graph, QuantizationScheme scheme, QdqWeightType weightType)
        {
            if (optimizedFp32Graph == null) throw new ArgumentNullException(nameof(optimizedFp32Graph));
            if (scheme == null) throw new ArgumentNullException(nameof(scheme));
            return OnnxModelWriter.Write(new QdqGraphBuilder(optimizedFp32Graph, scheme, weightType).Build());
        }

        private sealed class QdqGraphBuilder
        {
            private const string InternalAttributePrefix = "qg_";
            private const byte UInt8WeightZeroPoint = 128;

            private readonly Graph _source;
            private readonly QuantizationScheme _scheme;
            private readonly QdqWeightType _weightType;
            private readonly HashSet<string> _quantized;
            private readonly Graph _result = new Graph();

            // What readers of a source value read in the result: its copy, or the DequantizeLinear after it.
            private readonly Dictionary<Value, Value> _readAs = new Dictionary<Value, Value>();

            public QdqGraphBuilder(Graph source, QuantizationScheme scheme, QdqWeightType weightType)
            {
                _source = source;
                _scheme = scheme;
                _weightType = weightType;
                _quantized = new HashSet<string>(scheme.Options.SimulateActivations ? scheme.QuantizedOutputs : Array.Empty<string>(), StringComparer.Ordinal);
            }

            public Graph Build()
            {
                var info = _source.Info;
                _result.Info = new ModelInfo
                {
                    Opset = Math.Max(info.Opset, MinimumOpset),
                    IrVersion = Math.Max(info.IrVersion, OnnxModelWriter.DefaultIrVersion),
                    GraphName = info.GraphName,
                    SourcePath = info.SourcePath,
                };
                foreach (var opset in info.OtherOpsets) _result.Info.OtherOpsets[opset.Key] = opset.Value;

                foreach (var input in _source.Inputs)
                {
                    var copy = Copy(input);
                    _result.Inputs.Add(copy);
                    _readAs[input] = input.IsConstant || !_quantized.Contains(input.Name) ? copy : QuantizeDequantize(copy, _scheme.Activations[input.Name], input.Name);
                }
                foreach (var node in _source.Nodes) WriteNode(node);
                foreach (var output in _source.Outputs) _result.Outputs.Add(Read(output)!);
                return _result;
            }

            private void WriteNode(Node node)
            {
                var inputs = node.Inputs.Select(Read).ToList();
                Value? biasAfter = null;
                if (_scheme.Options.SimulateWeights && _scheme.Numerics.TryGetValue(node, out var kind) && kind == NodeNumerics.Weighted)
                    biasAfter = QuantizeWeights(node, inputs);

                var activation = FusedActivation.Of(node);
                var outputs = node.Outputs.Select(Copy).ToList();
                if (activation.IsNone && biasAfter == null)
                {
                    AddNode(node, inputs, outputs);
                }
                else
                {
                    // The node computes the raw product; a bias Add and the activation op after it write the original output.
                    var final = outputs[0];
                    Value Intermediate(string suffix) => new Value(final.Name + suffix, final.Type, final.Shape) { IsBatched = final.IsBatched };
                    var current = outputs[0] = Intermediate(biasAfter != null ? "_product" : "_preact");
                    AddNode(node, inputs, outputs);
                    if (biasAfter != null)
                    {
                        var biased = activation.IsNone ? final : Intermediate("_preact");
                        _result.Nodes.Add(new Node(node.Name + "_bias", "Add", new[] { current, biasAfter }, new[] { biased }));
                        current = biased;
                    }
                    if (!activation.IsNone) WriteActivation(node.Name + "_" + activation.Kind, activation, current, final);
                    outputs[0] = final;
                }

                for (int i = 0; i < node.Outputs.Count; i++)
                {
                    var source = node.Outputs[i];
                    var value = outputs[i];
                    if (!_quantized.Contains(source.Name))
                    {
                        _readAs[source] = value;
                        continue;
                    }
                    // A graph output keeps its public name on the dequantized value that now carries it.
                    bool graphOutput = _source.IsGraphOutput(source);
                    if (graphOutput) value.Name = source.Name + "_float";
                    var dq = QuantizeDequantize(value, _scheme.Activations[source.Name], source.Name);
                    if (graphOutput) dq.Name = source.Name;
                    _readAs[source] = dq;
                }
            }

            private void AddNode(Node source, List<Value?> inputs, List<Value> outputs)
            {
                var copy = new Node(source.Name, source.OpType, inputs, outputs, source.Domain);
                foreach (var attribute in source.Attributes.All)
                    if (!attribute.Name.StartsWith(InternalAttributePrefix, StringComparison.Ordinal)) copy.Attributes.Set(attribute);
                // 0: a graph built in code, which uses today's forms.
                if (copy.Domain.Length == 0 && _source.Info.Opset > 0 && _source.Info.Opset < MinimumOpset) UpgradeToOpset13(copy, source, _source.Info.Opset);
                _result.Nodes.Add(copy);
            }

            /// <summary>
            /// Rewrites a node of an opset 7–12 model into its opset 13 form (the file is opset 13, for
            /// per-axis DequantizeLinear): attributes that became inputs move, softmax's 2-D coercion
            /// becomes an explicit axis. Forms with no local rewrite fail with the node's name.
            /// </summary>
            private static void UpgradeToOpset13(Node node, Node source, int opset)
            {
                switch (node.OpType)
                {
                    case "Clip" when node.Attributes.Has("min") || node.Attributes.Has("max"):
                    {
                        var spec = new ActivationSpec("Clip", node.Attributes.GetFloat("min", float.NegativeInfinity), node.Attributes.GetFloat("max", float.PositiveInfinity));
                        node.Attributes.Remove("min");
                        node.Attributes.Remove("max");
                        node.Inputs.RemoveRange(1, node.Inputs.Count - 1);
                        node.Inputs.AddRange(ClipBounds(source.Name, spec));
                        break;
                    }
                    case "Squeeze":
                    case "Unsqueeze":
                    case "ReduceSum":
                        MoveIntsToInput(node, "axes", 1);
                        break;
                    case "Split":
                        MoveIntsToInput(node, "split", 1);
                        break;
                    case "TopK" when node.Attributes.Has("k"):
                        node.Inputs.Add(Int64Constant(node.Name + "_k", new[] { node.Attributes.GetInt("k", 0) }));
                        node.Attributes.Remove("k");
                        break;
                    case "Pad" when node.Attributes.Has("pads"):
                    {
                        float value = node.Attributes.GetFloat("value", 0f);
                        node.Inputs.Add(Int64Constant(node.Name + "_pads", node.Attributes.GetInts("pads")!));
                        node.Inputs.Add(new Value(node.Name + "_value", DataType.Float32, Array.Empty<int>()) { Constant = Tensor.Scalar(value) });
                        node.Attributes.Remove("pads");
                        node.Attributes.Remove("value");
                        break;
                    }
                    case "Slice" when node.Attributes.Has("starts"):
                    {
                        node.Inputs.Add(Int64Constant(node.Name + "_starts", node.Attributes.GetInts("starts")!));
                        node.Inputs.Add(Int64Constant(node.Name + "_ends", node.Attributes.GetInts("ends") ?? Array.Empty<long>()));
                        if (node.Attributes.GetInts("axes") is { } axes) node.Inputs.Add(Int64Constant(node.Name + "_axes", axes));
                        node.Attributes.Remove("starts");
                        node.Attributes.Remove("ends");
                        node.Attributes.Remove("axes");
                        break;
                    }
                    case "Softmax":
                    case "LogSoftmax":
                    case "Hardmax":
                    {
                        // Before 13 these flatten to 2-D at axis (default 1); that is opset 13's single axis when every later dimension is 1.
                        var shape = source.Input(0)?.Shape ?? throw Unsupported(source, "its input shape is unknown");
                        long axis = node.Attributes.GetInt("axis", 1);
                        if (axis < 0) axis += shape.Length;
                        int last = shape.Length - 1;
                        while (last > axis && shape[last] == 1) last--;
                        if (last != axis) throw Unsupported(source, "it normalizes over several axes, which opset 13 expresses only with reshapes");
                        node.Attributes.Set(QuantGen.Ir.Attribute.OfInt("axis", axis));
                        break;
                    }
                    case "Upsample":
                        throw Unsupported(source, "Upsample was removed in opset 10");
                    case "Resize" when opset < 11:
                        throw Unsupported(source, "opset 10 Resize's coordinate rules differ from every opset 13 mode");
                }
            }

            private static void MoveIntsToInput(Node node, string attribute, int index)
            {
                if (node.Attributes.GetInts(attribute) is not { } values) return;
                while (node.Inputs.Count < index) node.Inputs.Add(null);
                node.Inputs.Insert(index, Int64Constant(node.Name + "_" + attribute, values));
                node.Attributes.Remove(attribute);
            }

            private static Value Int64Constant(string name, long[] values) =>
                new Value(name, DataType.Int64, new[] { values.Length }) { Constant = Tensor.FromInt64s(new[] { values.Length }, values) };

            private static NotSupportedException Unsupported(Node node, string why) =>
                new NotSupportedException($"The QDQ export writes opset {MinimumOpset} and cannot convert {node} of this older model: {why}.");

            private void WriteActivation(string name, ActivationSpec activation, Value input, Value output)
            {
                Node node;
                switch (activation.Kind)
                {
                    case "Relu":
                        node = new Node(name, "Relu", new[] { input }, new[] { output });
                        break;
                    case "Clip":
                        node = new Node(name, "Clip", new[] { input }.Concat(ClipBounds(name, activation)), new[] { output });
                        break;
                    case "LeakyRelu":
                        node = new Node(name, "LeakyRelu", new[] { input }, new[] { output });
                        node.Attributes.Set(QuantGen.Ir.Attribute.OfFloat("alpha", activation.Alpha));
                        break;
                    default:
                        throw new NotSupportedException($"The fused activation {activation.Kind} of node '{name}' has no ONNX form in the QDQ export.");
                }
                _result.Nodes.Add(node);
            }

            /// <summary>Clip's optional min and max inputs; an infinite bound is left out ("" in ONNX).</summary>
            private static Value?[] ClipBounds(string name, ActivationSpec clip)
            {
                Value? Bound(float v, string suffix) => float.IsInfinity(v) ? null : new Value(name + suffix, DataType.Float32, Array.Empty<int>()) { Constant = Tensor.Scalar(v) };
                var min = Bound(clip.Alpha, "_min");
                var max = Bound(clip.Beta, "_max");
                return max != null ? new[] { min, max } : min != null ? new[] { min } : Array.Empty<Value?>();
            }

            /// <summary>
            /// Replaces the weight and bias inputs of a weighted node by DequantizeLinear of their int8 and
            /// int32 values; returns the dequantized bias instead when the op has no bias input (MatMul
            /// with a bias from bias correction), for an Add after the node.
            /// </summary>
            private Value? QuantizeWeights(Node node, List<Value?> inputs)
            {
                var weights = QuantizedWeights.Of(node, _scheme);
                var w = node.Input(1)!;
                int channels = weights.Scales.Length;
                var scales = Tensor.FromFloats(new[] { channels }, weights.Scales);
                var shape = (int[])weights.WeightShape.Clone();
                if (_weightType == QdqWeightType.Int8)
                {
                    inputs[1] = Dequantize(w.Name, new Tensor(DataType.Int8, shape, weights.Values), scales,
                        new Tensor(DataType.Int8, new[] { channels }, new sbyte[channels]), weights.Axis);
                }
                else
                {
                    // q + 128 in [1, 255] with zero point 128: (q + 128) − 128 is q, exactly.
                    var offset = new byte[weights.Values.Length];
                    for (int i = 0; i < offset.Length; i++) offset[i] = (byte)(weights.Values[i] + UInt8WeightZeroPoint);
                    var zeroPoints = new byte[channels];
                    for (int c = 0; c < channels; c++) zeroPoints[c] = UInt8WeightZeroPoint;
                    inputs[1] = Dequantize(w.Name, new Tensor(DataType.UInt8, shape, offset), scales,
                        new Tensor(DataType.UInt8, new[] { channels }, zeroPoints), weights.Axis);
                }
                if (weights.QuantizedBias == null) return null;

                var b = node.Input(2);
                string biasName = weights.BiasCorrected ? (b?.Name ?? node.Name + ".bias") + ".corrected" : b!.Name;
                var biasShape = (int[])weights.BiasShape!.Clone();
                // The int32 bias's scale is input scale × weight scale of its channel, on the bias's channel axis.
                var biasScales = new float[channels];
                for (int c = 0; c < channels; c++) biasScales[c] = (float)((double)weights.InputScale * weights.Scales[c]);
                var bias = Dequantize(biasName,
                    new Tensor(DataType.Int32, biasShape, weights.QuantizedBias),
                    Tensor.FromFloats(new[] { channels }, biasScales),
                    zeroPoint: null,
                    Math.Max(0, Array.IndexOf(biasShape, channels)));
                if (node.OpType == "MatMul") return bias;
                while (inputs.Count < 3) inputs.Add(null);
                inputs[2] = bias;
                return null;
            }

            private Value Dequantize(string name, Tensor quantized, Tensor scale, Tensor? zeroPoint, int axis)
            {
                var q = new Value(name + "_quantized", quantized.Type, quantized.Shape) { Constant = quantized };
                var s = new Value(name + "_scale", DataType.Float32, scale.Shape) { Constant = scale };
                var zp = zeroPoint == null ? null : new Value(name + "_zero_point", zeroPoint.Type, zeroPoint.Shape) { Constant = zeroPoint };
                var output = new Value(name + "_dequantized", DataType.Float32, quantized.Shape);
                var node = new Node(name + "_DequantizeLinear", "DequantizeLinear", zp == null ? new[] { q, s } : new[] { q, s, zp }, new[] { output });
                node.Attributes.Set(QuantGen.Ir.Attribute.OfInt("axis", axis));
                _result.Nodes.Add(node);
                return output;
            }

            /// <summary>Appends QuantizeLinear → DequantizeLinear (uint8, per tensor) after <paramref name="value"/>; returns the dequantized value.</summary>
            private Value QuantizeDequantize(Value value, QuantParams p, string name)
            {
                var scale = new Value(name + "_scale", DataType.Float32, Array.Empty<int>()) { Constant = Tensor.Scalar(p.Scale) };
                var zeroPoint = new Value(name + "_zero_point", DataType.UInt8, Array.Empty<int>())
                {
                    Constant = new Tensor(DataType.UInt8, Array.Empty<int>(), new[] { (byte)p.ZeroPoint }),
                };
                var q = new Value(name + "_quantized", DataType.UInt8, value.Shape) { IsBatched = value.IsBatched };
                _result.Nodes.Add(new Node(name + "_QuantizeLinear", "QuantizeLinear", new[] { value, scale, zeroPoint }, new[] { q }));
                var dq = new Value(name + "_dequantized", DataType.Float32, value.Shape) { IsBatched = value.IsBatched };
                _result.Nodes.Add(new Node(name + "_DequantizeLinear", "DequantizeLinear", new[] { q, scale, zeroPoint }, new[] { dq }));
                return dq;
            }

            private Value? Read(Value? value)
            {
                if (value == null) return null;
                if (_readAs.TryGetValue(value, out var read)) return read;
                if (!value.IsConstant) throw new InvalidOperationException($"Value '{value.Name}' is read before it is produced; the graph is not in topological order.");
                return _readAs[value] = Copy(value);
            }

            private static Value Copy(Value value) =>
                new Value(value.Name, value.Type, value.Shape == null ? null : (int[])value.Shape.Clone()) { IsBatched = value.IsBatched, Constant = value.Constant };
        }
    }

    /// <summary>How the int8 weights are stored in the QDQ file; both dequantize to exactly the same values.</summary>
    public enum QdqWeightType
    {
        /// <summary>
        /// uint8 q + 128 with zero point 128 per channel. ONNX Runtime then runs its U8U8 integer kernels,
        /// which accumulate exactly on every CPU: on x86 with AVX2 but no VNNI its U8S8 kernels (used for
        /// int8 weights) sum pairs of products in saturating int16 (VPMADDUBSW), and full-range int8
        /// weights with uint8 activations overflow it (measured: 13.5 dB agreement on digits-cnn instead of
        /// bit-exact). The default, so the file runs right wherever someone opens it.
        /// </summary>
        UInt8,

        /// <summary>int8 q with zero point 0: the symmetric weights as QuantGen holds them (ONNX Runtime's own default).</summary>
        Int8,
    }
}
