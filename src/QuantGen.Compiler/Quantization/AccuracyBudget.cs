// The accuracy budget: measure the INT8 model (its simulator) against FP32 and keep the most sensitive
// weighted layers in float until the budget holds, or stop the build with the numbers.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using QuantGen.Compiler.Quantization.Calibration;
using QuantGen.Ir.Diagnostics;
using QuantGen.Compiler.Evaluation;
using QuantGen.Ir;

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
        internal BudgetOutcome(QuantizationScheme scheme, string metric, double fp32, double int8, double outputSqnr, IReadOnlyList<string> floatNodes, int samples, int trials)
        {
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
    }

    public static class AccuracyBudget
    {
        /// <summary>Id of the error when even the best mixed-precision scheme misses the budget.</summary>
        public const string BudgetMissed = "QG0106";

        /// <summary>Id of a bad ValidationData / ValidationLabels pair.</summary>
        public const string ValidationDataInvalid = "QG0107";

        /// <summary>
        /// Builds the scheme, measures it, and if the budget does not hold keeps integer layers in float in order
        /// of sensitivity (the SQNR each loses across itself in one simulated pass) — the fewest that meet the
        /// budget, found by doubling then bisection.
        /// </summary>
        public static BudgetOutcome Apply(Graph graph, CalibrationStatistics statistics, QuantizationOptions options,
            AccuracyBudgetOptions budget, IReadOnlyList<float[]> calibrationSamples)
        {
            var input = Calibrator.SingleInput(graph);
            string file = graph.Info.SourcePath;
            List<float[]> samples;
            double[]? labels = null;
            if (budget.ValidationData != null)
            {
                if (budget.ValidationLabels == null)
                    throw Error(ValidationDataInvalid, "ValidationData needs ValidationLabels (one class id or target per sample).", file);
                samples = new CalibrationDataReader(CalibrationDataReader.SampleShapeOf(input), input.Name).ReadSamples(budget.ValidationData, budget.MaxSamples).ToList();
                labels = ReadLabels(budget.ValidationLabels);
                if (labels.Length < samples.Count)
                    throw Error(ValidationDataInvalid, $"ValidationLabels '{budget.ValidationLabels}' holds {labels.Length} labels for {samples.Count} validation samples.", file);
            }
            else
            {
                samples = calibrationSamples.Take(budget.MaxSamples).ToList();
            }
            bool classification = labels != null && !budget.ValidationLabels!.EndsWith(".f32", StringComparison.OrdinalIgnoreCase);
            string metric = labels == null ? "output SQNR" : classification ? "top-1" : "MAE";

            // FP32 reference outputs (first graph output), computed once.
            var evaluator = new ReferenceEvaluator(graph);
            var output = graph.Outputs[0].Name;
            // Samples are independent (the evaluator keeps no state between runs): use every core, keep the order.
            var reference = samples.AsParallel().AsOrdered()
                .Select(s => evaluator.Run(new Dictionary<string, Tensor> { [input.Name] = Tensor.FromFloats(input.Shape!, s) })[output].ToFloatArray()).ToList();
            double fp32Value = labels == null ? double.PositiveInfinity : Score(reference, labels, classification);

            int trials = 0;
            (double Value, double Sqnr) Measure(QuantizationScheme scheme)
            {
                trials++;
                var outputs = Simulate(graph, scheme, samples, output);
                double sqnr = Sqnr(reference, outputs);
                return (labels == null ? sqnr : Score(outputs, labels, classification), sqnr);
            }
            bool Holds(double value) => labels == null ? value >= budget.MinOutputSqnr
                : classification ? (fp32Value - value) * 100 <= budget.MaxAccuracyDrop + 1e-9
                : value <= fp32Value * (1 + budget.MaxRelativeMaeIncrease) + 1e-12;

            var baseScheme = QuantizationScheme.Build(graph, statistics, options);
            var (baseValue, baseSqnr) = Measure(baseScheme);
            if (Holds(baseValue)) return new BudgetOutcome(baseScheme, metric, fp32Value, baseValue, baseSqnr, Array.Empty<string>(), samples.Count, trials);

            var ranked = RankBySensitivity(graph, baseScheme, samples);
            QuantizationScheme WithFloat(IReadOnlyList<string> order, int count)
            {
                var o = Copy(options);
                foreach (var name in order.Take(count)) o.FloatNodes.Add(name);
                return QuantizationScheme.Build(graph, statistics, o);
            }
            // The fewest layers of an ordering that meet the budget: doubling finds a count that holds, bisection the
            // smallest one. Null when even all of them do not.
            (int Count, double Value, double Sqnr)? Search(IReadOnlyList<string> order, ref double allFloat)
            {
                int low = 0, high = 1;
                var results = new Dictionary<int, (double Value, double Sqnr)>();
                while (true)
                {
                    high = Math.Min(high, order.Count);
                    var r = Measure(WithFloat(order, high));
                    results[high] = r;
                    if (Holds(r.Value)) break;
                    if (high == order.Count)
                    {
                        allFloat = r.Value;
                        return null;
                    }
                    low = high;
                    high *= 2;
                }
                while (high - low > 1)
                {
                    int mid = (low + high) / 2;
                    var r = Measure(WithFloat(order, mid));
                    results[mid] = r;
                    if (Holds(r.Value)) high = mid; else low = mid;
                }
                return (high, results[high].Value, results[high].Sqnr);
            }
            double allFloatValue = double.NaN;
            var found = Search(ranked, ref allFloatValue);
            if (found == null)
                throw Error(BudgetMissed, Missed(metric, fp32Value, baseValue, allFloatValue, ranked.Count, budget, labels == null), file);
            var chosen = (IReadOnlyList<string>)ranked;
            // Per-layer loss misses how much a network amplifies early error (MobileNetV2-224 needed 62 of 64 layers
            // by it, while its first blocks alone get it most of the way: docs/quantization-research.md). When the
            // ranking needs more than half of the layers, try the graph order (earliest first) and keep the better.
            if (found.Value.Count > ranked.Count / 2)
            {
                var earliestFirst = graph.Nodes.Where(n => ranked.Contains(n.Name)).Select(n => n.Name).ToList();
                var prefix = Search(earliestFirst, ref allFloatValue);
                if (prefix != null && prefix.Value.Count < found.Value.Count)
                {
                    found = prefix;
                    chosen = earliestFirst;
                }
            }
            var (count, value, sqnr) = found.Value;
            return new BudgetOutcome(WithFloat(chosen, count), metric, fp32Value, value, sqnr, chosen.Take(count).ToList(), samples.Count, trials);
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
        private static List<string> RankBySensitivity(Graph graph, QuantizationScheme scheme, IReadOnlyList<float[]> samples)
        {
            var saved = Save(graph);
            IReadOnlyList<LayerSqnrEntry> entries;
            try
            {
                entries = LayerSqnr.Measure(graph, FakeQuantizedModel.Apply(graph, scheme), samples.Take(16));
            }
            finally
            {
                Restore(graph, saved);
            }
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

        /// <summary>Runs the simulator of <paramref name="scheme"/> on <paramref name="graph"/> and puts the graph's constants back.</summary>
        private static List<float[]> Simulate(Graph graph, QuantizationScheme scheme, IReadOnlyList<float[]> samples, string output)
        {
            var saved = Save(graph);
            try
            {
                var simulator = FakeQuantizedModel.Apply(graph, scheme);
                return samples.AsParallel().AsOrdered().Select(s => simulator.Run(s)[output].ToFloatArray()).ToList();
            }
            finally
            {
                Restore(graph, saved);
            }
        }

        // The simulator replaces weight and bias inputs in place; the graph must come back unchanged for lowering.
        private static List<Value?[]> Save(Graph graph) => graph.Nodes.Select(n => n.Inputs.ToArray()).ToList();

        private static void Restore(Graph graph, List<Value?[]> saved)
        {
            for (int i = 0; i < saved.Count; i++)
            {
                graph.Nodes[i].Inputs.Clear();
                graph.Nodes[i].Inputs.AddRange(saved[i]);
            }
        }

        private static double Sqnr(List<float[]> reference, List<float[]> got)
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
        private static double Score(List<float[]> outputs, double[] labels, bool classification)
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

        private static CompilerException Error(string id, string message, string? file) =>
            new CompilerException(new CompilerDiagnostic(id, DiagnosticSeverity.Error, message, file));
    }
}
