// Per-layer SQNR of a simulated INT8 model against FP32: the sensitivity signal for reports and accuracy budgets.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Quantization.Calibration;
using QuantGen.Compiler.Evaluation;
using QuantGen.Ir;
using QuantGen.Compiler.Operators;

namespace QuantGen.Compiler.Quantization
{
    /// <summary>One node output's signal-to-quantization-noise ratio over the measured samples.</summary>
    public sealed class LayerSqnrEntry
    {
        internal LayerSqnrEntry(string value, Node producer, bool quantized)
        {
            ValueName = value;
            NodeName = producer.Name;
            OpType = producer.OpType;
            Activation = FusedActivation.Of(producer).Kind;
            Quantized = quantized;
        }

        public string ValueName { get; }
        public string NodeName { get; }
        public string OpType { get; }

        /// <summary>The fused activation ("None" when there is none).</summary>
        public string Activation { get; }

        /// <summary>The INT8 model writes this value as uint8.</summary>
        public bool Quantized { get; }

        /// <summary>10·log10(Σy² / Σ(y − ŷ)²) of the simulated value against FP32: all error up to and including this layer.</summary>
        public double Sqnr => 10 * Math.Log10(Signal / Math.Max(Noise, double.Epsilon));

        /// <summary>
        /// SQNR of rounding the FP32 value alone to its uint8 grid (what this tensor's quantization adds
        /// by itself, without inherited error); NaN when the value is not quantized.
        /// </summary>
        public double LocalSqnr => Quantized ? 10 * Math.Log10(Signal / Math.Max(LocalNoise, double.Epsilon)) : double.NaN;

        internal double Signal, Noise, LocalNoise;
    }

    public static class LayerSqnr
    {
        /// <summary>
        /// Runs each sample through <paramref name="fp32"/> (the optimized float graph) and
        /// <paramref name="simulated"/> (built from another load of the same model) and returns one
        /// entry per float node output, in graph order. Memory holds one sample's FP32 values.
        /// </summary>
        public static IReadOnlyList<LayerSqnrEntry> Measure(Graph fp32, FakeQuantizedModel simulated, IEnumerable<float[]> samples)
        {
            var input = Calibrator.SingleInput(fp32);
            var evaluator = new ReferenceEvaluator(fp32);
            var entries = new Dictionary<string, LayerSqnrEntry>(StringComparer.Ordinal);
            var order = new List<LayerSqnrEntry>();
            var activations = simulated.Scheme.Activations;
            var written = new HashSet<string>(simulated.Scheme.Options.SimulateActivations ? simulated.Scheme.QuantizedOutputs : Array.Empty<string>(), StringComparer.Ordinal);
            foreach (var sample in samples)
            {
                var reference = new Dictionary<string, float[]>(StringComparer.Ordinal);
                evaluator.Run(new Dictionary<string, Tensor> { [input.Name] = Tensor.FromFloats(input.Shape!, sample) }, (v, t) =>
                {
                    if (t.Type != DataType.Float32 || v.Producer == null) return;
                    reference[v.Name] = (float[])t.Floats.Clone();
                    if (!entries.TryGetValue(v.Name, out var e))
                    {
                        entries[v.Name] = e = new LayerSqnrEntry(v.Name, v.Producer, written.Contains(v.Name));
                        order.Add(e);
                    }
                    if (e.Quantized)
                    {
                        var p = activations[v.Name];
                        foreach (var x in t.Floats)
                        {
                            double d = x - QuantizationMath.FakeQuantizeActivation(x, p);
                            e.LocalNoise += d * d;
                        }
                    }
                });
                simulated.Run(sample, (v, t) =>
                {
                    if (!reference.TryGetValue(v.Name, out var want) || !entries.TryGetValue(v.Name, out var e)) return;
                    var got = t.Floats;
                    for (int i = 0; i < want.Length; i++)
                    {
                        double y = want[i], d = y - got[i];
                        e.Signal += y * y;
                        e.Noise += d * d;
                    }
                });
            }
            return order;
        }
    }
}
