// Measures simulated INT8 (fake quantization on the reference evaluator) against FP32 on a reference model.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using QuantGen.Compiler.Quantization.Calibration;
using QuantGen.Compiler.Evaluation;
using QuantGen.Ir;
using QuantGen.Compiler.Quantization;

namespace QuantGen.Quantization.Tests
{
    /// <summary>One measured configuration.</summary>
    internal sealed record Int8Result(string Model, string Placement, CalibrationMethod Method, int Samples,
        double? Fp32Top1, double? Int8Top1, double Sqnr, double Seconds)
    {
        public string Row() => string.Format(CultureInfo.InvariantCulture,
            "| {0} | {1} | {2} | {3} | {4} | {5} | {6:F1} | {7:F0} |",
            Model, Placement, Method, Samples,
            Fp32Top1 is { } f ? (100 * f).ToString("F1", CultureInfo.InvariantCulture) + " %" : "—",
            Int8Top1 is { } q ? (100 * q).ToString("F1", CultureInfo.InvariantCulture) + " %" : "—",
            Sqnr, Seconds);
    }

    internal sealed class Int8Measurement
    {
        private readonly string _model;
        private readonly List<float[]> _test;
        private readonly int[]? _labels;
        private readonly List<float[]> _fp32;
        public CalibrationStatistics Statistics { get; }
        public double CalibrationSeconds { get; }

        /// <param name="testFile">null: measure on the calibration samples (mobilenetv2-224 has no test set).</param>
        public Int8Measurement(string model, string calibFile, string? testFile, string? labelFile, int maxCalibration = int.MaxValue, int maxTest = int.MaxValue)
        {
            _model = model;
            var graph = Models.LoadOptimized(model);
            var calibration = Models.Samples(graph, model, calibFile, maxCalibration);
            var output = graph.Outputs[0].Name;
            var clock = Stopwatch.StartNew();
            var fp32OnCalibration = new List<float[]>();
            Statistics = Calibrator.Collect(graph, calibration, onOutput: (i, first) => fp32OnCalibration.Add(first));
            CalibrationSeconds = clock.Elapsed.TotalSeconds;
            if (testFile == null)
            {
                _test = calibration;
                _fp32 = fp32OnCalibration;
            }
            else
            {
                _test = Models.Samples(graph, model, testFile, maxTest);
                var evaluator = new ReferenceEvaluator(graph);
                var input = Calibrator.SingleInput(graph);
                _fp32 = _test.Select(s => evaluator.Run(new Dictionary<string, Tensor> { [input.Name] = Tensor.FromFloats(input.Shape!, s) })[output].Floats).ToList();
            }
            if (labelFile != null) _labels = Models.Labels(model, labelFile).Take(_test.Count).ToArray();
        }

        public double? Fp32Top1 => _labels == null ? null : Top1(_fp32);

        public Int8Result Run(QuantizationOptions options)
        {
            var clock = Stopwatch.StartNew();
            var graph = Models.LoadOptimized(_model);
            var scheme = QuantizationScheme.Build(graph, Statistics, options);
            var simulated = FakeQuantizedModel.Apply(graph, scheme);
            string output = graph.Outputs[0].Name;
            var int8 = _test.Select(s => simulated.Run(s)[output].Floats).ToList();
            string placement = options.FloatInputNormalization ? "after normalization" : "raw input";
            return new Int8Result(_model, placement, options.Method, _test.Count, Fp32Top1, _labels == null ? null : Top1(int8),
                Models.Sqnr(_fp32, int8), clock.Elapsed.TotalSeconds);
        }

        private double Top1(List<float[]> outputs)
        {
            int right = 0;
            for (int i = 0; i < outputs.Count; i++) if (Models.ArgMax(outputs[i]) == _labels![i]) right++;
            return (double)right / outputs.Count;
        }
    }
}
