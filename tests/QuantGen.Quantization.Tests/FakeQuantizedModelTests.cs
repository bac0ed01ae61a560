// The INT8 simulator: exact FP32 when nothing is simulated, and every written activation on its uint8 grid.
using System;
using System.Linq;
using QuantGen.Compiler.Quantization.Calibration;
using QuantGen.Compiler.Evaluation;
using QuantGen.Ir;
using QuantGen.Compiler.Quantization;
using Xunit;

namespace QuantGen.Quantization.Tests
{
    public class FakeQuantizedModelTests
    {
        [Fact]
        public void With_nothing_simulated_it_is_the_FP32_model()
        {
            var fp32 = Models.LoadOptimized("digits-cnn");
            var samples = Models.Samples(fp32, "digits-cnn", "test_x.f32", 20);
            var stats = Calibrator.Collect(fp32, samples);
            var graph = Models.LoadOptimized("digits-cnn");
            var sim = FakeQuantizedModel.Apply(graph, QuantizationScheme.Build(graph, stats, new QuantizationOptions { SimulateWeights = false, SimulateActivations = false }));
            var evaluator = new ReferenceEvaluator(fp32);
            var input = fp32.Inputs[0];
            foreach (var s in samples)
            {
                var want = evaluator.Run(new System.Collections.Generic.Dictionary<string, Tensor> { [input.Name] = Tensor.FromFloats(input.Shape!, s) })[fp32.Outputs[0].Name].Floats;
                Assert.Equal(want, sim.Run(s)[graph.Outputs[0].Name].Floats);
            }
        }

        [Fact]
        public void Written_activations_lie_on_their_uint8_grid_and_weights_on_their_int8_grid()
        {
            var graph = Models.LoadOptimized("digits-cnn");
            var samples = Models.Samples(graph, "digits-cnn", "test_x.f32", 10);
            var stats = Calibrator.Collect(graph, samples);
            var scheme = QuantizationScheme.Build(graph, stats, new QuantizationOptions());
            Assert.Equal(CalibrationMethod.Mse, scheme.Options.Method);
            var sim = FakeQuantizedModel.Apply(graph, scheme);
            int checkedValues = 0;
            sim.Run(samples[0], (v, t) =>
            {
                if (!scheme.Activations.TryGetValue(v.Name, out var p)) return;
                foreach (var x in t.Floats)
                {
                    double q = x / (double)p.Scale + p.ZeroPoint;
                    Assert.True(Math.Abs(q - Math.Round(q)) < 1e-3 && q > -1e-3 && q < 255 + 1e-3, $"{v.Name}: {x} is not on the grid of {p}");
                }
                checkedValues++;
            });
            Assert.True(checkedValues >= 4);
            foreach (var conv in graph.Nodes.Where(n => scheme.Numerics[n] == NodeNumerics.Weighted))
            {
                // The simulator reads weights of its own; the graph keeps the FP32 ones.
                var simulated = sim.InputsOf(conv)[1]!;
                Assert.DoesNotContain(".int8", conv.Input(1)!.Name);
                var w = simulated.Constant!;
                int axis = QuantizationScheme.WeightChannelAxis(conv);
                Assert.EndsWith(".int8", simulated.Name);
                int inner = 1;
                for (int i = axis + 1; i < w.Rank; i++) inner *= w.Shape[i];
                var maxAbs = new double[w.Shape[axis]];
                for (int i = 0; i < w.ElementCount; i++) maxAbs[i / inner % w.Shape[axis]] = Math.Max(maxAbs[i / inner % w.Shape[axis]], Math.Abs(w.Floats[i]));
                for (int i = 0; i < w.ElementCount; i++)
                {
                    double step = maxAbs[i / inner % w.Shape[axis]] / 127;
                    if (step == 0) continue;
                    double q = w.Floats[i] / step;
                    Assert.True(Math.Abs(q - Math.Round(q)) < 1e-3, $"{conv}: weight {i} is not on its channel's int8 grid");
                }
            }
        }
    
        [Fact]
        public void Layer_sqnr_covers_every_node_output_and_ends_at_the_output_sqnr()
        {
            var fp32 = Models.LoadOptimized("digits-cnn");
            var samples = Models.Samples(fp32, "digits-cnn", "test_x.f32", 20);
            var stats = Calibrator.Collect(fp32, samples);
            var graph = Models.LoadOptimized("digits-cnn");
            var sim = FakeQuantizedModel.Apply(graph, QuantizationScheme.Build(graph, stats, new QuantizationOptions()));
            var layers = LayerSqnr.Measure(fp32, sim, samples);
            Assert.Equal(fp32.Nodes.Count, layers.Count);
            Assert.Equal(fp32.Nodes.Select(n => n.Outputs[0].Name), layers.Select(l => l.ValueName));
            Assert.All(layers.Where(l => l.Quantized), l => Assert.InRange(l.LocalSqnr, 30, 80));
            Assert.Contains(layers, l => l.OpType == "Conv" && l.Activation == "Relu" && l.Quantized);
            var evaluator = new ReferenceEvaluator(fp32);
            var input = fp32.Inputs[0];
            string output = fp32.Outputs[0].Name;
            var want = samples.Select(s => evaluator.Run(new System.Collections.Generic.Dictionary<string, Tensor> { [input.Name] = Tensor.FromFloats(input.Shape!, s) })[output].Floats).ToList();
            var got = samples.Select(s => sim.Run(s)[output].Floats).ToList();
            Assert.Equal(Models.Sqnr(want, got), layers.Last().Sqnr, 6);
            Assert.False(layers.Last().Quantized);
        }
    
        [Fact]
        public void Bias_correction_reduces_the_error_of_int8_weights()
        {
            var m = new Int8Measurement("digits-cnn", "calib_x.f32", "test_x.f32", "test_y.i32", maxCalibration: 200, maxTest: 100);
            var plain = m.Run(new QuantizationOptions { SimulateActivations = false });
            var corrected = m.Run(new QuantizationOptions { SimulateActivations = false, BiasCorrection = true });
            Assert.True(corrected.Sqnr > plain.Sqnr + 1, $"{plain.Sqnr:F1} dB → {corrected.Sqnr:F1} dB");
        }
    }
}
