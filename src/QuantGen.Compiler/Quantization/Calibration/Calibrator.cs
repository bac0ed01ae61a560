// Runs calibration samples through the reference evaluator and keeps streaming statistics of every float value.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Evaluation;
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

        /// <summary>The calibrated range of <paramref name="valueName"/>; throws when it was never observed.</summary>
        public ActivationRange Range(string valueName, CalibrationMethod method, double percentile = RangeEstimator.DefaultPercentile) =>
            RangeEstimator.Estimate(Find(valueName) ?? throw new KeyNotFoundException($"value '{valueName}' was not observed during calibration"), method, percentile);
    }

    public static class Calibrator
    {
        /// <summary>
        /// Runs every sample of <paramref name="samples"/> (one float[] per sample, shaped like the single
        /// runtime input without its batch axis) through <paramref name="graph"/> (shape-inferred and
        /// optimized, so the observed values are the ones the integer kernels will write) and observes
        /// the input and every float node output. Samples are consumed one at a time: memory is bounded
        /// by the observers (O(values × bins)) and one evaluation, not by the sample count.
        /// </summary>
        /// <param name="onOutputs">Optional: sees each sample's graph outputs (e.g. to keep FP32 references).</param>
        public static CalibrationStatistics Collect(Graph graph, IEnumerable<float[]> samples, int binCount = TensorObserver.DefaultBinCount,
            Action<int, Dictionary<string, Tensor>>? onOutputs = null)
        {
            var input = SingleInput(graph);
            var evaluator = new ReferenceEvaluator(graph);
            var observers = new Dictionary<string, TensorObserver>(StringComparer.Ordinal);
            TensorObserver For(Value v)
            {
                if (!observers.TryGetValue(v.Name, out var o)) observers[v.Name] = o = new TensorObserver(binCount);
                return o;
            }
            var channelSums = new Dictionary<string, double[]>(StringComparer.Ordinal);
            void SumChannels(Value v, Tensor t)
            {
                if (t.Rank < 2 || t.Shape[0] != 1) return;
                int channels = t.Shape[1], inner = t.ElementCount / Math.Max(channels, 1);
                if (!channelSums.TryGetValue(v.Name, out var sums)) channelSums[v.Name] = sums = new double[channels];
                var data = t.Floats;
                for (int c = 0; c < channels; c++)
                {
                    double sum = 0;
                    for (int i = c * inner, end = i + inner; i < end; i++) sum += data[i];
                    sums[c] += sum;
                }
            }
            int count = 0;
            foreach (var sample in samples)
            {
                var tensor = Tensor.FromFloats(input.Shape!, sample);
                For(input).Observe(sample);
                SumChannels(input, tensor);
                var outputs = evaluator.Run(new Dictionary<string, Tensor> { [input.Name] = tensor }, (v, t) =>
                {
                    if (t.Type != DataType.Float32) return;
                    For(v).Observe(t.Floats);
                    SumChannels(v, t);
                });
                onOutputs?.Invoke(count, outputs);
                count++;
            }
            if (count == 0)
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.DataMissing,
                    $"calibration needs at least one sample for input '{input.Name}' shaped {CalibrationDataReader.Describe(CalibrationDataReader.SampleShapeOf(input))}.", graph.Info.SourcePath);
            return new CalibrationStatistics(observers, channelSums, count);
        }

        /// <summary>The model's one float32 runtime input (calibration data describes one input).</summary>
        public static Value SingleInput(Graph graph)
        {
            var inputs = graph.Inputs.Where(v => !v.IsConstant).ToList();
            if (inputs.Count != 1)
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.InputNotCalibratable,
                    $"the model has {inputs.Count} runtime inputs ({string.Join(", ", inputs.Select(v => v.Name))}); INT8 calibration data describes exactly one input. Compile it with Precision=\"Float32\".",
                    graph.Info.SourcePath);
            var input = inputs[0];
            if (input.Type != DataType.Float32 || input.Shape == null)
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.InputNotCalibratable,
                    $"input '{input.Name}' is not a float32 tensor with a static shape; it cannot be calibrated.", graph.Info.SourcePath);
            if (input.ElementCount == 0)
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.InputNotCalibratable,
                    $"input '{input.Name}' has no elements (shape [{string.Join(",", input.Shape)}]), so samples of it hold nothing to calibrate with. Compile it with Precision=\"Float32\".", graph.Info.SourcePath);
            return input;
        }
    }
}
