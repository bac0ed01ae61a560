// The accuracy budget: measure the INT8 model (its simulator) against FP32 and keep the most sensitive
// weighted layers in float until the budget holds, or stop the build with the numbers.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using QuantGen.Compiler.Pipeline;
using QuantGen.Compiler.Quantization.Calibration;
using QuantGen.Compiler.Quantization.Simulation;
using QuantGen.Ir;
using QuantGen.Ir.Diagnostics;

namespace QuantGen.Compiler.Quantization
{
    /// <summary>What an INT8 build must preserve, and on which data it is measured.</summary>
    public sealed class AccuracyBudgetOptions
    {
        /// <summary>Validation inputs (same formats as calibration data); null measures output SQNR on calibration samples instead.</summary>
        public string? ValidationData { get; set; }

        /// <summary>One label per validation sample: class ids (.i32, or whole numbers in .csv) or regression targets (.f32).</summary>
        public string? ValidationLabels { get; set; }

        /// <summary>Largest top-1 drop allowed, in percentage points (classification).</summary>
        public double MaxAccuracyDrop { get; set; } = 0.5;

        /// <summary>Largest relative increase of the mean absolute error allowed (regression): 0.01 = 1 %.</summary>
        public double MaxRelativeMaeIncrease { get; set; } = 0.01;

        /// <summary>
        /// Without validation data: the smallest output SQNR against FP32, in dB, on the calibration samples.
        /// 25 dB is noise at 0.3 % of the output's power; a plain per-tensor INT8 scheme gives 12.8 dB on
        /// MobileNetV2-224 (docs/quantization-research.md).
        /// </summary>
        public double MinOutputSqnr { get; set; } = 25;

        /// <summary>At most this many samples are measured per trial (the search runs the simulator a few times).</summary>
        public int MaxSamples { get; set; } = 256;
    }

    /// <summary>The outcome: the scheme to compile and the numbers the report shows.</summary>
    public sealed class BudgetOutcome
    {
        internal BudgetOutcome(QuantizationScheme scheme, string metric, double fp32, double int8, double outputSqnr, IReadOnlyList<string> floatNodes, int samples, int trials,
            IReadOnlyList<LayerSqnrEntry> layers, int layerSamples)
        {
            Layers = layers;
            LayerSamples = layerSamples;
            Scheme = scheme;
            Metric = metric;
            Float32Value = fp32;
            Int8Value = int8;
            OutputSqnr = outputSqnr;
            FloatNodes = floatNodes;
            Samples = samples;
            Trials = trials;
        }

        public QuantizationScheme Scheme { get; }

        /// <summary>"top-1", "MAE" or "output SQNR".</summary>
        public string Metric { get; }

        /// <summary>The metric for FP32 (top-1 as a fraction, MAE, or +∞ dB for SQNR).</summary>
        public double Float32Value { get; }

        public double Int8Value { get; }

        /// <summary>Output SQNR of INT8 against FP32 on the measured samples, in dB.</summary>
        public double OutputSqnr { get; }

        /// <summary>Integer nodes (weighted layers, adds, pools) kept in float to meet the budget, most sensitive first.</summary>
        public IReadOnlyList<string> FloatNodes { get; }

        public int Samples { get; }

        /// <summary>How many schemes were simulated.</summary>
        public int Trials { get; }

        /// <summary>Per-layer SQNR of <see cref="Scheme"/> against FP32 (the report's chart), on the first <see cref="LayerSamples"/> measured samples.</summary>
        public IReadOnlyList<LayerSqnrEntry> Layers { get; }

        public int LayerSamples { get; }
    }

    /// <summary>The samples a budget is measured on, their FP32 outputs, and their labels when the budget is on accuracy.</summary>
    internal sealed class BudgetSamples
    {
        public BudgetSamples(IReadOnlyList<float[]> samples, IReadOnlyList<float[]> references, double[]? labels, bool classification)
        {
            Samples = samples;
            References = references;
            Labels = labels;
            Classification = classification;
        }

        public IReadOnlyList<float[]> Samples { get; }

        /// <summary>The FP32 model's first output for each sample.</summary>
        public IReadOnlyList<float[]> References { get; }

        public double[]? Labels { get; }

        public bool Classification { get; }

        /// <summary>"top-1", "MAE" or "output SQNR".</summary>
        public string Metric => Labels == null ? "output SQNR" : Classification ? "top-1" : "MAE";
    }

    public static class AccuracyBudget
    {
        /// <summary>Id of the error when even the best mixed-precision scheme misses the budget.</summary>
        public const string BudgetMissed = "QG0106";

        /// <summary>Id of a bad ValidationData / ValidationLabels pair.</summary>
        public const string ValidationDataInvalid = "QG0107";

        /// <summary>Per-layer SQNR (the ranking, the report) is measured on at most this many of the budget's samples.</summary>
        public const int LayerSamples = 16;

        /// <summary>
        /// Builds the scheme, measures it, and if the budget does not hold keeps integer layers in float in order
        /// of sensitivity (the SQNR each loses across itself in one simulated pass) — the fewest that meet the
        /// budget, found by doubling then bisection. Every simulation runs on <paramref name="engine"/> with
        /// <paramref name="workers"/>, samples in parallel.
        /// </summary>
        internal static BudgetOutcome Apply(SimulationEngine engine, SimulationWorkers workers, CalibrationStatistics statistics, QuantizationOptions options,
            AccuracyBudgetOptions budget, BudgetSamples data, BuildTimes times, BuildProgress progress)
        {
            var graph = engine.Graph;
            string file = graph.Info.SourcePath;
            var samples = data.Samples;
            var labels = data.Labels;
            bool classification = data.Classification;
            string metric = data.Metric;
            double fp32Value = labels == null ? double.PositiveInfinity : Score(data.References, labels, classification);
            int layerSamples = Math.Min(LayerSamples, samples.Count);

            int trials = 0;
            // One simulated pass over the budget's samples; per-layer SQNR too on the first few when asked.
            (double Value, double Sqnr, IReadOnlyList<LayerSqnrEntry>? Layers) Measure(QuantizationScheme scheme, bool layers)
            {
                trials++;
                var model = engine.Simulate(scheme);
                var outputs = new float[samples.Count][];
                IReadOnlyList<LayerSqnrEntry>? entries = null;
                int from = 0;
                if (layers)
                {
                    entries = LayerSqnr.Measure(workers, engine, model, samples.Take(layerSamples).ToList(), outputs);
                    from = layerSamples;
                }
                workers.For(samples.Count - from, (worker, slot, i) => outputs[from + i] = worker.Run(samples[from + i], model, null).ToArray());
                double sqnr = Sqnr(data.References, outputs);
                return (labels == null ? sqnr : Score(outputs, labels, classification), sqnr, entries);
            }
            bool Holds(double value) => labels == null ? value >= budget.MinOutputSqnr
                : classification ? (fp32Value - value) * 100 <= budget.MaxAccuracyDrop + 1e-9
                : value <= fp32Value * (1 + budget.MaxRelativeMaeIncrease) + 1e-12;

            // Choosing each range from its histogram (MSE search over clipping points) is calibration's last step.
            var baseScheme = times.Time(BuildPhase.Calibrate, () => QuantizationScheme.Build(graph, statistics, options));
            var (baseValue, baseSqnr, baseLayers) = times.Time(BuildPhase.Rank, () => Measure(baseScheme, layers: true));
            if (Holds(baseValue))
                return new BudgetOutcome(baseScheme, metric, fp32Value, baseValue, baseSqnr, Array.Empty<string>(), samples.Count, trials, baseLayers!, layerSamples);
            var ranked = times.Time(BuildPhase.Rank, () => RankBySensitivity(graph, baseScheme, baseLayers!));

            return times.Time(BuildPhase.Search, () =>
            {
                QuantizationScheme WithFloat(IReadOnlyList<string> order, int count)
                {
                    var o = Copy(options);
                    foreach (var name in order.Take(count)) o.FloatNodes.Add(name);
                    return QuantizationScheme.Build(graph, statistics, o);
                }
                // The fewest layers of an ordering that meet the budget: doubling finds a count that holds, bisection the
                // smallest one. Null when even all of them do not, or (with a bound) none below the bound does.
                (int Count, double Value, double Sqnr)? Search(IReadOnlyList<string> order, int bound, ref double allFloat)
                {
                    int low = 0, high = 1;
                    var results = new Dictionary<int, (double Value, double Sqnr)>();
                    while (true)
                    {
                        high = Math.Min(Math.Min(high, order.Count), bound);
                        progress.Report("accuracy budget", string.Format(CultureInfo.InvariantCulture, "trial {0}, {1} of {2} layers in float", trials + 1, high, order.Count));
                        var (value, sqnr, _) = Measure(WithFloat(order, high), layers: false);
                        results[high] = (value, sqnr);
                        if (Holds(value)) break;
                        if (high == order.Count)
                        {
                            allFloat = value;
                            return null;
                        }
                        // Only a count below the bound helps: a search that reaches it without meeting the budget is over.
                        if (high >= bound) return null;
                        low = high;
                        high *= 2;
                    }
                    while (high - low > 1)
                    {
                        int mid = (low + high) / 2;
                        progress.Report("accuracy budget", string.Format(CultureInfo.InvariantCulture, "trial {0}, {1} of {2} layers in float", trials + 1, mid, order.Count));
                        var (value, sqnr, _) = Measure(WithFloat(order, mid), layers: false);
                        results[mid] = (value, sqnr);
                        if (Holds(value)) high = mid; else low = mid;
                    }
                    return (high, results[high].Value, results[high].Sqnr);
                }
                double allFloatValue = double.NaN;
                var found = Search(ranked, ranked.Count, ref allFloatValue);
                if (found == null)
                    throw Error(BudgetMissed, Missed(metric, fp32Value, baseValue, allFloatValue, ranked.Count, budget, labels == null), file);
                var chosen = (IReadOnlyList<string>)ranked;
                // Per-layer loss misses how much a network amplifies early error (MobileNetV2-224 needed 62 of 64 layers
                // by it, while its first blocks alone get it most of the way: docs/quantization-research.md). When the
                // ranking needs more than half of the layers, try the graph order (earliest first) and keep the better:
                // only counts below the ranking's can be better, so that search stops at it.
                if (found.Value.Count > ranked.Count / 2)
                {
                    var earliestFirst = graph.Nodes.Where(n => ranked.Contains(n.Name)).Select(n => n.Name).ToList();
                    var prefix = Search(earliestFirst, found.Value.Count - 1, ref allFloatValue);
                    if (prefix != null && prefix.Value.Count < found.Value.Count)
                    {
                        found = prefix;
                        chosen = earliestFirst;
                    }
                }
                var (count, value, sqnr) = found.Value;
                var scheme = WithFloat(chosen, count);
                // The report shows the scheme that ships: its per-layer SQNR, measured once more on the first samples.
                var layers = LayerSqnr.Measure(workers, engine, engine.Simulate(scheme), samples.Take(layerSamples).ToList(), null);
                return new BudgetOutcome(scheme, metric, fp32Value, value, sqnr, chosen.Take(count).ToList(), samples.Count, trials, layers, layerSamples);
            });
        }

        private static string Missed(string metric, double fp32, double int8, double allFloat, int layers, AccuracyBudgetOptions budget, bool sqnr) =>
            sqnr
                ? string.Format(CultureInfo.InvariantCulture, "the INT8 model reaches an output SQNR of {0:F1} dB against FP32 (budget: at least {1:F1} dB), and {2:F1} dB even with all {3} integer layers in float. Lower MinOutputSqnr, give ValidationData and ValidationLabels to budget on accuracy instead, or use Precision=\"Float32\".", int8, budget.MinOutputSqnr, allFloat, layers)
                : string.Format(CultureInfo.InvariantCulture, "the INT8 model's {0} is {1:G4} against {2:G4} for FP32 (budget: a drop of at most {3} points top-1 or {4:P0} MAE), and {5:G4} even with all {6} integer layers in float. Raise MaxAccuracyDrop, check the calibration data, or use Precision=\"Float32\".", metric, int8, fp32, budget.MaxAccuracyDrop, budget.MaxRelativeMaeIncrease, allFloat, layers);

        /// <summary>
        /// Integer nodes that compute (weighted layers, residual adds, average pools; pass-through nodes follow
        /// their input) ordered by the SQNR they lose across themselves in the simulated model (worst input SQNR
        /// minus output SQNR; the graph input counts as exact): the layers that add the most noise first.
        /// </summary>
        private static List<string> RankBySensitivity(Graph graph, QuantizationScheme scheme, IReadOnlyList<LayerSqnrEntry> entries)
        {
            var byValue = entries.ToDictionary(e => e.ValueName, StringComparer.Ordinal);
            const double Exact = 150;
            double SqnrOf(Value? v) => v != null && byValue.TryGetValue(v.Name, out var e) ? Math.Min(e.Sqnr, Exact) : Exact;
            return graph.Nodes
                .Select((node, index) => (node, index))
                .Where(p => scheme.Numerics.TryGetValue(p.node, out var k) && (k == NodeNumerics.Weighted || k == NodeNumerics.Requantizing))
                .Select(p => (p.node.Name, Loss: p.node.Inputs.Where(v => v != null && !v.IsConstant).Min(v => SqnrOf(v)) - SqnrOf(p.node.Outputs[0]), p.index))
                .OrderByDescending(p => p.Loss).ThenBy(p => p.index)
                .Select(p => p.Name).ToList();
        }

        private static double Sqnr(IReadOnlyList<float[]> reference, IReadOnlyList<float[]> got)
        {
            double signal = 0, noise = 0;
            for (int s = 0; s < reference.Count; s++)
                for (int i = 0; i < reference[s].Length; i++)
                {
                    double y = reference[s][i], d = y - got[s][i];
                    signal += y * y;
                    noise += d * d;
                }
            return noise == 0 ? 150 : Math.Min(150, 10 * Math.Log10(signal / noise));
        }

        /// <summary>Top-1 accuracy (fraction) or mean absolute error of the outputs against the labels.</summary>
        private static double Score(IReadOnlyList<float[]> outputs, double[] labels, bool classification)
        {
            double total = 0;
            for (int s = 0; s < outputs.Count; s++)
            {
                var o = outputs[s];
                if (classification)
                {
                    int best = 0;
                    for (int i = 1; i < o.Length; i++) if (o[i] > o[best]) best = i;
                    if (best == (int)labels[s]) total++;
                }
                else
                {
                    total += Math.Abs(o[0] - labels[s]);
                }
            }
            return total / outputs.Count;
        }

        /// <summary>Labels: raw int32 (.i32), raw float32 (.f32), or one number per line (.csv/.txt).</summary>
        public static double[] ReadLabels(string path)
        {
            if (!File.Exists(path)) throw Error(ValidationDataInvalid, $"ValidationLabels '{path}' does not exist.", path);
            string ext = Path.GetExtension(path).ToLowerInvariant();
            var bytes = File.ReadAllBytes(path);
            switch (ext)
            {
                case ".i32":
                case ".f32":
                    if (bytes.Length % 4 != 0) throw Error(ValidationDataInvalid, $"ValidationLabels '{path}' has {bytes.Length} bytes, not a whole number of 4-byte labels.", path);
                    var result = new double[bytes.Length / 4];
                    for (int i = 0; i < result.Length; i++)
                        result[i] = ext == ".i32" ? BitConverter.ToInt32(bytes, i * 4) : BitConverter.ToSingle(bytes, i * 4);
                    return result;
                case ".csv":
                case ".txt":
                    return File.ReadAllLines(path).Where(l => l.Trim().Length > 0).Select((l, i) =>
                        double.TryParse(l.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
                            : throw Error(ValidationDataInvalid, $"ValidationLabels '{path}' line {i + 1}: '{l.Trim()}' is not a number.", path)).ToArray();
                default:
                    throw Error(ValidationDataInvalid, $"ValidationLabels '{path}': use .i32 (class ids), .f32 (regression targets) or .csv (one label per line).", path);
            }
        }

        private static QuantizationOptions Copy(QuantizationOptions o) => new QuantizationOptions
        {
            Method = o.Method,
            Percentile = o.Percentile,
            FloatInputNormalization = o.FloatInputNormalization,
            FloatOutputs = o.FloatOutputs,
            WeightMseClipping = o.WeightMseClipping,
            BiasCorrection = o.BiasCorrection,
            FloatNodes = new HashSet<string>(o.FloatNodes, StringComparer.Ordinal),
        };

        internal static CompilerException Error(string id, string message, string? file) =>
            new CompilerException(new CompilerDiagnostic(id, DiagnosticSeverity.Error, message, file));
    }
}
