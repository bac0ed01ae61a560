// Runs calibration samples through the FP32 model (on the kernels, or the reference evaluator) and keeps streaming
// statistics of every float value.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Pipeline;
using QuantGen.Compiler.Quantization.Simulation;
using QuantGen.Ir;

namespace QuantGen.Compiler.Quantization.Calibration
{
    /// <summary>The per-value statistics of one calibration run, keyed by value name (stable across reloads of a model).</summary>
    public sealed class CalibrationStatistics
    {
        private readonly Dictionary<string, TensorObserver> _observers;
        private readonly Dictionary<string, double[]> _channelSums;

        internal CalibrationStatistics(Dictionary<string, TensorObserver> observers, Dictionary<string, double[]> channelSums, int sampleCount)
        {
            _observers = observers;
            _channelSums = channelSums;
            SampleCount = sampleCount;
        }

        /// <summary>
        /// The mean of each channel (axis 1 of an [N, C, ...] value) over all samples and positions, or
        /// null when the value was not observed: what bias correction needs for E[x].
        /// </summary>
        public double[]? ChannelMeans(string valueName)
        {
            if (!_channelSums.TryGetValue(valueName, out var sums) || SampleCount == 0) return null;
            var o = _observers[valueName];
            long perChannel = (o.Count + o.NonFiniteCount) / sums.Length;
            return sums.Select(v => perChannel == 0 ? 0 : v / perChannel).ToArray();
        }

        public int SampleCount { get; }

        public IReadOnlyDictionary<string, TensorObserver> Observers => _observers;

        public TensorObserver? Find(string valueName) => _observers.TryGetValue(valueName, out var o) ? o : null;

        /// <summary>
        /// The calibrated range of <paramref name="valueName"/>; throws when it was never observed. Each range is estimated
        /// once: the accuracy budget builds a scheme per trial, and the MSE search over a histogram costs milliseconds a value.
        /// </summary>
        public ActivationRange Range(string valueName, CalibrationMethod method, double percentile = RangeEstimator.DefaultPercentile)
        {
            var key = (valueName, method, percentile);
            lock (_ranges)
            {
                if (_ranges.TryGetValue(key, out var known)) return known;
            }
            var range = RangeEstimator.Estimate(Find(valueName) ?? throw new KeyNotFoundException($"value '{valueName}' was not observed during calibration"), method, percentile);
            lock (_ranges) _ranges[key] = range;
            return range;
        }

        private readonly Dictionary<(string, CalibrationMethod, double), ActivationRange> _ranges = new Dictionary<(string, CalibrationMethod, double), ActivationRange>();
    }

    public static class Calibrator
    {
        /// <summary>
        /// Runs every sample of <paramref name="samples"/> (one float[] per sample, shaped like the single
        /// runtime input without its batch axis) through <paramref name="graph"/> (shape-inferred and
        /// optimized, so the observed values are the ones the integer kernels will write) on the reference
        /// evaluator and observes the input and every float node output: the tests' oracle for the build's
        /// calibration on the kernels. Samples are consumed one at a time: memory is bounded by the observers
        /// (O(values × bins)) and one evaluation, not by the sample count.
        /// </summary>
        /// <param name="onOutput">Optional: sees each sample's first graph output (e.g. to keep FP32 references).</param>
        public static CalibrationStatistics Collect(Graph graph, IEnumerable<float[]> samples, int binCount = TensorObserver.DefaultBinCount,
            Action<int, float[]>? onOutput = null)
        {
            using var engine = new ReferenceSimulation(graph);
            return Collect(engine, samples, threads: 1, binCount, onOutput, progress: null);
        }

        /// <summary>
        /// Calibration on <paramref name="engine"/>'s FP32 model with <paramref name="threads"/> workers: samples run in
        /// parallel a chunk of one per worker at a time (memory: one sample's values per worker), and every observer sees
        /// the chunk's samples in sample order, the observers in parallel. A histogram's growth depends on the order it
        /// sees data in, so this order makes the statistics the same whatever the thread count.
        /// </summary>
        /// <param name="maxKeptBytes">
        /// The most memory the copies of every value of a chunk's samples may take (the workspace limit). Past it (a long
        /// chain of large activations), one sample at a time is observed as it runs, copying nothing: the same statistics,
        /// on one thread.
        /// </param>
        internal static CalibrationStatistics Collect(SimulationEngine engine, IEnumerable<float[]> samples, int threads, int binCount,
            Action<int, float[]>? onOutput, BuildProgress? progress, int expectedSamples = 0, long maxKeptBytes = long.MaxValue)
        {
            var values = engine.Values;
            var observers = new TensorObserver[values.Count];
            for (int v = 0; v < observers.Length; v++) observers[v] = new TensorObserver(binCount);
            var channelSums = values.Select(v => v.Channels > 0 ? new double[v.Channels] : null).ToArray();
            long sampleBytes = values.Sum(v => v.Value.ElementCount * sizeof(float));
            bool direct = sampleBytes > maxKeptBytes / Math.Max(1, threads);
            using var workers = new SimulationWorkers(engine, direct ? 1 : threads);
            var records = new SampleRecord[workers.Count];
            for (int w = 0; w < records.Length; w++) records[w] = new SampleRecord(values, keepValues: !direct);
            int count = 0;
            var chunk = new List<float[]>(workers.Count);
            using var sample = samples.GetEnumerator();
            while (true)
            {
                chunk.Clear();
                while (chunk.Count < workers.Count && sample.MoveNext()) chunk.Add(sample.Current);
                if (chunk.Count == 0) break;
                workers.For(chunk.Count, (worker, slot, i) =>
                {
                    var record = records[i];
                    var output = worker.Run(chunk[i], null, (v, data) =>
                    {
                        record.Keep(v, data, values[v].Channels, engine.ChannelsLast(v));
                        if (direct) Add(v, data, record);
                    });
                    if (onOutput != null) record.Output = output.ToArray();
                });
                if (!direct)
                    ParallelFor(values.Count, threads, v =>
                    {
                        for (int i = 0; i < chunk.Count; i++) Add(v, records[i].Values[v], records[i]);
                    });
                for (int i = 0; i < chunk.Count; i++) onOutput?.Invoke(count + i, records[i].Output!);
                count += chunk.Count;
                progress?.Report("calibrating", count, expectedSamples);
            }
            var graph = engine.Graph;
            if (count == 0)
            {
                var input = SingleInput(graph);
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.DataMissing,
                    $"calibration needs at least one sample for input '{input.Name}' shaped {CalibrationDataReader.Describe(CalibrationDataReader.SampleShapeOf(input))}.", graph.Info.SourcePath);
            }
            var byName = new Dictionary<string, TensorObserver>(StringComparer.Ordinal);
            // One sample's view of value v into the statistics (samples in sample order, whatever the thread count).
            void Add(int v, ReadOnlySpan<float> data, SampleRecord record)
            {
                observers[v].Observe(data);
                if (channelSums[v] is { } sums)
                    for (int c = 0; c < sums.Length; c++) sums[c] += record.ChannelSums[v]![c];
            }
            var sumsByName = new Dictionary<string, double[]>(StringComparer.Ordinal);
            for (int v = 0; v < values.Count; v++)
            {
                byName[values[v].Value.Name] = observers[v];
                if (channelSums[v] is { } sums) sumsByName[values[v].Value.Name] = sums;
            }
            return new CalibrationStatistics(byName, sumsByName, count);
        }

        /// <summary><paramref name="body"/>(i) for i in [0, <paramref name="count"/>) on up to <paramref name="threads"/> threads (independent items).</summary>
        internal static void ParallelFor(int count, int threads, Action<int> body)
        {
            if (threads <= 1 || count <= 1)
            {
                for (int i = 0; i < count; i++) body(i);
                return;
            }
            System.Threading.Tasks.Parallel.For(0, count, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = threads }, body);
        }

        /// <summary>One sample's values as a worker saw them, kept until the observers have seen the chunk.</summary>
        private sealed class SampleRecord
        {
            private readonly bool _keepValues;

            public SampleRecord(IReadOnlyList<ObservedValue> values, bool keepValues)
            {
                _keepValues = keepValues;
                Values = values.Select(v => keepValues ? new float[v.Value.ElementCount] : Array.Empty<float>()).ToArray();
                ChannelSums = values.Select(v => v.Channels > 0 ? new double[v.Channels] : null).ToArray();
            }

            public float[][] Values { get; }

            /// <summary>Per value with channels: this sample's sum of each channel.</summary>
            public double[]?[] ChannelSums { get; }

            public float[]? Output { get; set; }

            public void Keep(int value, Span<float> data, int channels, bool channelsLast)
            {
                if (_keepValues) data.CopyTo(Values[value]);
                var sums = ChannelSums[value];
                if (sums == null) return;
                Array.Clear(sums, 0, sums.Length);
                if (channelsLast)
                {
                    for (int i = 0; i < data.Length; i++) sums[i % channels] += data[i];
                }
                else
                {
                    int inner = data.Length / channels;
                    for (int c = 0; c < channels; c++)
                    {
                        double sum = 0;
                        for (int i = c * inner, end = i + inner; i < end; i++) sum += data[i];
                        sums[c] = sum;
                    }
                }
            }
        }

        /// <summary>What to use instead: transformer encoders (several int64 token inputs) are what Int8Dynamic is for.</summary>
        private const string Alternatives =
            "Use Precision=\"Int8Dynamic\" (int8 weights for Gemm/MatMul, activations quantized on every call: no calibration data needed, as ONNX Runtime's quantize_dynamic for BERT-style models), or Precision=\"Float32\".";

        /// <summary>The model's one float32 runtime input (calibration data describes one input).</summary>
        public static Value SingleInput(Graph graph)
        {
            var inputs = graph.Inputs.Where(v => !v.IsConstant).ToList();
            if (inputs.Count != 1)
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.InputNotCalibratable,
                    $"the model has {inputs.Count} runtime inputs ({string.Join(", ", inputs.Select(v => v.Name))}); INT8 calibration data describes exactly one input. {Alternatives}",
                    graph.Info.SourcePath);
            var input = inputs[0];
            if (input.Type != DataType.Float32 || input.Shape == null)
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.InputNotCalibratable,
                    input.Type != DataType.Float32
                        ? $"input '{input.Name}' is {DataTypes.Name(input.Type)}, not float32 (token ids, indices); calibration data describes a float32 input. {Alternatives}"
                        : $"input '{input.Name}' is not a float32 tensor with a static shape; it cannot be calibrated. {Alternatives}",
                    graph.Info.SourcePath);
            if (input.ElementCount == 0)
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.InputNotCalibratable,
                    $"input '{input.Name}' has no elements (shape [{string.Join(",", input.Shape)}]), so samples of it hold nothing to calibrate with. Compile it with Precision=\"Float32\".", graph.Info.SourcePath);
            return input;
        }
    }
}
