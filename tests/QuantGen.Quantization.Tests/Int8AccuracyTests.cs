// Simulated INT8 accuracy on the reference models: one fast end-to-end check, and the full (slow) measurement.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Compiler.Quantization.Calibration;
using QuantGen.Compiler.Quantization;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Quantization.Tests
{
    public class Int8AccuracyTests
    {
        private readonly ITestOutputHelper _output;

        public Int8AccuracyTests(ITestOutputHelper output) { _output = output; }

        [Fact]
        public void Clinical_mlp_quantized_after_normalization_keeps_top1_within_half_a_point()
        {
            var m = new Int8Measurement("clinical-mlp", "calib_x.f32", "test_x.f32", "test_y.i32");
            var result = m.Run(new QuantizationOptions());
            _output.WriteLine(result.Row());
            Assert.True(result.Int8Top1 >= result.Fp32Top1 - 0.005, result.Row());
        }

        [Fact]
        [Trait("Category", "Slow")]
        public void Measure_all_models_and_methods()
        {
            string log = Environment.GetEnvironmentVariable("QG_MEASURE_LOG") ?? Path.Combine(Path.GetTempPath(), "qg-int8-measurement.md");
            void Write(string line)
            {
                _output.WriteLine(line);
                File.AppendAllText(log, line + Environment.NewLine);
            }
            var only = Environment.GetEnvironmentVariable("QG_MEASURE_MODELS");
            var methods = new[] { CalibrationMethod.MinMax, CalibrationMethod.Percentile, CalibrationMethod.Entropy, CalibrationMethod.Mse };
            var runs = new List<(string Model, string Calib, string? Test, string? Labels)>
            {
                ("clinical-mlp", "calib_x.f32", "test_x.f32", "test_y.i32"),
                ("digits-cnn", "calib_x.f32", "test_x.f32", "test_y.i32"),
                ("mobilenetv2-digits", "calib_x.f32", "test_x.f32", "test_y.i32"),
                ("mobilenetv2-224", "calib_x.f32", null, null),
            };
            Write($"<!-- {DateTime.UtcNow:u} {Environment.MachineName} {Environment.ProcessorCount} cores -->");
            foreach (var (model, calib, test, labels) in runs)
            {
                if (only != null && !only.Split(',').Contains(model)) continue;
                var m = new Int8Measurement(model, calib, test, labels);
                Write($"<!-- {model}: calibration {m.Statistics.SampleCount} samples in {m.CalibrationSeconds:F1} s -->");
                foreach (bool afterNormalization in model == "clinical-mlp" ? new[] { false, true } : new[] { true })
                    foreach (var method in methods)
                    {
                        var result = m.Run(new QuantizationOptions { Method = method, FloatInputNormalization = afterNormalization });
                        Write(result.Row());
                        // The goal for the labelled models, with the default settings (MSE, input quantized after normalization).
                        if (labels != null && afterNormalization && method == new QuantizationOptions().Method)
                            Assert.True(result.Int8Top1 >= result.Fp32Top1 - 0.005, result.Row());
                    }
            }
        }
    
        /// <summary>
        /// How much a model amplifies a perturbation: Gaussian noise at a given SNR on the FP32 input,
        /// output SQNR against FP32. Explains why mobilenetv2-224 cannot reach 25 dB with uint8 activations.
        /// </summary>
        [Theory]
        [Trait("Category", "Slow")]
        [InlineData("mobilenetv2-digits", 50)]
        [InlineData("mobilenetv2-224", 2)]
        public void Measure_input_noise_amplification(string model, int samples)
        {
            var graph = Models.LoadOptimized(model);
            var input = Calibrator.SingleInput(graph);
            var evaluator = new QuantGen.Compiler.Evaluation.ReferenceEvaluator(graph);
            float[] Output(float[] x) => evaluator.Run(new Dictionary<string, QuantGen.Ir.Tensor> { [input.Name] = QuantGen.Ir.Tensor.FromFloats(input.Shape!, x) })[graph.Outputs[0].Name].Floats;
            var data = Models.Samples(graph, model, "calib_x.f32", samples);
            var clean = data.Select(Output).ToList();
            double previous = double.NegativeInfinity;
            foreach (double snr in new[] { 40.0, 50.0, 60.0 })
            {
                var random = new Random(1);
                var noisy = data.Select(s =>
                {
                    double power = s.Sum(v => (double)v * v) / s.Length, sigma = Math.Sqrt(power / Math.Pow(10, snr / 10));
                    return Output(s.Select(v => (float)(v + sigma * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()))).ToArray());
                }).ToList();
                double sqnr = Models.Sqnr(clean, noisy);
                _output.WriteLine($"{model}: input noise at {snr} dB SNR -> output SQNR {sqnr:F1} dB ({samples} samples)");
                // Less input noise must give a cleaner output, or the measurement itself is broken.
                Assert.True(sqnr > previous, $"{snr} dB input noise gave {sqnr:F1} dB, not more than {previous:F1} dB");
                previous = sqnr;
            }
        }
    }
}
