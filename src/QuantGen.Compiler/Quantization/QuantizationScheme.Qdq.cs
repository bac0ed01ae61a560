// A quantization scheme read from a model quantized elsewhere (QDQ form): its own scales and zero points, no calibration.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Quantization.Calibration;
using QuantGen.Ir;
using QuantGen.Compiler.Operators;

namespace QuantGen.Compiler.Quantization
{
    public sealed partial class QuantizationScheme
    {
        /// <summary>
        /// The scheme a QDQ model states, for <paramref name="graph"/> after shape inference and rewrites (its weight and
        /// bias DequantizeLinear nodes are folded into float constants by then). Every QuantizeLinear → DequantizeLinear
        /// pair on an activation (per tensor, uint8, constant parameters, with the same parameters on both sides) gives
        /// its value those parameters and is removed from the graph; the nodes then run in integers exactly where
        /// <see cref="Build"/> would put them, and a node whose values have no parameters in the model stays float.
        /// Weights are re-quantized per channel from the folded constants: a symmetric int8 (or uint8 with zero point
        /// 128) weight tensor whose channels reach ±127, as ONNX Runtime and QuantGen write them, comes back bit for bit.
        /// Returns null, leaving the graph unchanged, when the graph has no such pair.
        /// </summary>
        public static QuantizationScheme? FromQdq(Graph graph)
        {
            var stated = new Dictionary<string, QuantParams>(StringComparer.Ordinal);
            var pairs = new List<(Node Q, List<Node> Dq)>();
            foreach (var q in graph.Nodes.Where(n => n.OpType == "QuantizeLinear"))
            {
                var readers = graph.Consumers(q.Outputs[0]).ToList();
                if (graph.IsGraphOutput(q.Outputs[0]) || readers.Count == 0 || !readers.All(r => IsMatchingDequantize(r, q)) || !(ActivationParams(q) is { } p)) continue;
                if (readers.Any(r => graph.IsGraphOutput(r.Outputs[0]))) continue;
                stated[q.Input(0)!.Name] = p;
                pairs.Add((q, readers));
            }
            if (pairs.Count == 0) return null;
            foreach (var (q, dqs) in pairs)
            {
                foreach (var dq in dqs)
                {
                    graph.ReplaceAllUses(dq.Outputs[0], q.Input(0)!);
                    graph.Nodes.Remove(dq);
                }
                graph.Nodes.Remove(q);
            }

            var options = new QuantizationOptions();
            var numerics = new Dictionary<Node, NodeNumerics>();
            var activations = new Dictionary<string, QuantParams>(StringComparer.Ordinal);
            var written = new HashSet<string>(StringComparer.Ordinal);
            foreach (var node in graph.Nodes)
            {
                var runtime = node.Inputs.Where(v => v != null && !v.IsConstant).Cast<Value>().ToList();
                var kind = Classify(node, runtime, activations, options);
                var output = node.Outputs[0];
                if (kind == NodeNumerics.Weighted || kind == NodeNumerics.Requantizing)
                {
                    bool floatOnly = graph.IsGraphOutput(output) || graph.Consumers(output).All(c => IsFloatConsumer(c));
                    bool floatOutput = options.FloatOutputs && floatOnly && kind == NodeNumerics.Weighted && node.OpType != "Conv";
                    bool inputsStated = runtime.All(v => activations.ContainsKey(v.Name) || stated.ContainsKey(v.Name));
                    if (!inputsStated || (!floatOutput && !stated.ContainsKey(output.Name))) kind = NodeNumerics.Float;
                    else
                    {
                        foreach (var input in runtime.Where(v => !activations.ContainsKey(v.Name)))
                        {
                            activations[input.Name] = stated[input.Name];
                            written.Add(input.Name);
                        }
                        if (!floatOutput)
                        {
                            activations[output.Name] = stated[output.Name];
                            written.Add(output.Name);
                        }
                    }
                }
                else if (kind == NodeNumerics.PassThrough)
                    activations[output.Name] = activations[runtime[0].Name];
                numerics[node] = kind;
            }
            var empty = new CalibrationStatistics(new Dictionary<string, TensorObserver>(), new Dictionary<string, double[]>(), 0);
            return new QuantizationScheme(numerics, activations, written, options, empty);
        }

        /// <summary>Per-tensor uint8 parameters of a QuantizeLinear with constant scale and zero point, or null.</summary>
        private static QuantParams? ActivationParams(Node q)
        {
            var scale = q.Input(1);
            var zp = q.Input(2);
            if (scale?.Constant == null || scale.ElementCount != 1 || zp?.Constant == null || zp.Type != DataType.UInt8 || zp.ElementCount != 1) return null;
            float s = (float)scale.Constant.GetDouble(0);
            if (!(s > 0) || float.IsInfinity(s)) return null;
            return new QuantParams(s, (int)zp.Constant.GetInt64(0));
        }

        private static bool IsMatchingDequantize(Node dq, Node q)
        {
            if (dq.OpType != "DequantizeLinear" || dq.Input(0) != q.Outputs[0]) return false;
            bool same(Value? a, Value? b) => a == b || (a?.Constant != null && b?.Constant != null && a.Type == b.Type && a.ElementCount == 1 && b.ElementCount == 1
                                                        && a.Constant.GetDouble(0) == b.Constant.GetDouble(0));
            return same(q.Input(1), dq.Input(1)) && same(q.Input(2), dq.Input(2));
        }
    }
}
