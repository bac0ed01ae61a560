// Per-layer SQNR of a simulated INT8 model against FP32: the sensitivity signal for reports and accuracy budgets.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Operators;
using QuantGen.Compiler.Quantization.Simulation;
using QuantGen.Ir;

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
        /// <paramref name="simulated"/> on the reference evaluator and returns one entry per float node
        /// output, in graph order. Memory holds one sample's FP32 values.
        /// </summary>
        public static IReadOnlyList<LayerSqnrEntry> Measure(Graph fp32, FakeQuantizedModel simulated, IEnumerable<float[]> samples)
        {
            using var engine = new ReferenceSimulation(fp32);
            using var workers = new SimulationWorkers(engine, 1);
            return Measure(workers, engine, engine.Wrap(simulated), samples.ToList(), null);
        }

        /// <summary>
        /// Per-layer SQNR of <paramref name="model"/> on <paramref name="samples"/>: each sample runs through the FP32 model,
        /// whose values the worker keeps, then through the simulated model, compared value by value as it is written
        /// (memory: one sample's FP32 values per worker). Sums are per sample, added in sample order, so the result does not
        /// depend on the thread count. <paramref name="outputs"/>[i], when given, receives sample i's simulated output.
        /// </summary>
        internal static IReadOnlyList<LayerSqnrEntry> Measure(SimulationWorkers workers, SimulationEngine engine, SimulatedModel model,
            IReadOnlyList<float[]> samples, float[][]? outputs)
        {
            var values = engine.Values;
            var scheme = model.Scheme;
            var written = new HashSet<string>(scheme.Options.SimulateActivations ? scheme.QuantizedOutputs : Array.Empty<string>(), StringComparer.Ordinal);
            var quantized = values.Select(v => written.Contains(v.Value.Name) ? scheme.Activations[v.Value.Name] : (QuantParams?)null).ToArray();
            // Per sample, per value: Σy², Σ(y − ŷ)², Σ(y − round(y))².
            var sums = new double[samples.Count][];
            var kept = new float[workers.Count][][];
            workers.For(samples.Count, (worker, slot, i) =>
            {
                var reference = kept[slot] ??= values.Select(v => new float[v.Value.ElementCount]).ToArray();
                var s = sums[i] = new double[values.Count * 3];
                worker.Run(samples[i], null, (v, data) =>
                {
                    data.CopyTo(reference[v]);
                    if (quantized[v] is { } p) s[3 * v + 2] = RoundingNoise(data, p);
                });
                var output = worker.Run(samples[i], model, (v, data) =>
                {
                    var want = reference[v];
                    double signal = 0, noise = 0;
                    for (int k = 0; k < want.Length; k++)
                    {
                        double y = want[k], d = y - data[k];
                        signal += y * y;
                        noise += d * d;
                    }
                    s[3 * v] = signal;
                    s[3 * v + 1] = noise;
                });
                if (outputs != null) outputs[i] = output.ToArray();
            });
            var entries = new List<LayerSqnrEntry>();
            foreach (var v in values)
            {
                if (v.Value.Producer == null) continue;
                var e = new LayerSqnrEntry(v.Value.Name, v.Value.Producer, quantized[v.Index] != null);
                foreach (var s in sums)
                {
                    e.Signal += s[3 * v.Index];
                    e.Noise += s[3 * v.Index + 1];
                    e.LocalNoise += s[3 * v.Index + 2];
                }
                entries.Add(e);
            }
            return entries;
        }

        /// <summary>Σ(x − fake_quantize(x))²: what rounding the FP32 value alone to its grid costs.</summary>
        private static double RoundingNoise(Span<float> data, QuantParams p)
        {
            double noise = 0;
            for (int i = 0; i < data.Length; i++)
            {
                double d = data[i] - QuantizationMath.FakeQuantizeActivation(data[i], p);
                noise += d * d;
            }
            return noise;
        }
    }
}
