// Calibration over a model streams its samples, and the scheme puts the quantize steps where the research says.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Quantization.Calibration;
using QuantGen.Ir;
using QuantGen.Compiler.Quantization;
using Xunit;

namespace QuantGen.Quantization.Tests
{
    /// <summary>Tests that read the process-wide heap size must not run beside tests that allocate.</summary>
    [CollectionDefinition(nameof(HeapMeasurement), DisableParallelization = true)]
    public sealed class HeapMeasurement
    {
    }

    [Collection(nameof(HeapMeasurement))]
    public class CalibratorTests
    {
        private static IEnumerable<float[]> Generated(int count, int size)
        {
            var random = new Random(21);
            for (int s = 0; s < count; s++)
            {
                var sample = new float[size];
                for (int i = 0; i < size; i++) sample[i] = (float)(random.NextDouble() * Math.Pow(10, i % 4));
                yield return sample;
            }
        }

        [Fact]
        public void Memory_does_not_grow_with_the_number_of_samples()
        {
            var graph = Models.LoadOptimized("clinical-mlp");
            Calibrator.Collect(graph, Generated(200, 30));
            long before = GC.GetTotalMemory(forceFullCollection: true);
            var many = Calibrator.Collect(graph, Generated(6000, 30));
            long after = GC.GetTotalMemory(forceFullCollection: true);
            GC.KeepAlive(many);
            Assert.Equal(6000, many.SampleCount);
            Assert.Equal(6000L * 30, many.Find(graph.Inputs[0].Name)!.Count);
            // The statistics of ~10 values at 2048 bins are ~200 KB; 6000 samples of the model's values would be several MB.
            Assert.True(after - before < 1_500_000, $"calibration kept {after - before} bytes");
        }

        [Fact]
        public void Every_float_value_is_observed_and_ranges_come_from_the_statistics()
        {
            var graph = Models.LoadOptimized("digits-cnn");
            var stats = Calibrator.Collect(graph, Models.Samples(graph, "digits-cnn", "calib_x.f32", 50));
            Assert.Equal(50, stats.SampleCount);
            foreach (var v in graph.Nodes.SelectMany(n => n.Outputs).Concat(graph.Inputs))
                Assert.NotNull(stats.Find(v.Name));
            var image = stats.Range(graph.Inputs[0].Name, CalibrationMethod.MinMax);
            Assert.Equal(0, image.Low);
            Assert.Equal(1, image.High, 6);
        }

        [Fact]
        public void A_model_without_samples_is_QG0101()
        {
            var graph = Models.LoadOptimized("clinical-mlp");
            var e = Assert.Throws<QuantGen.Ir.Diagnostics.CompilerException>(() => Calibrator.Collect(graph, Array.Empty<float[]>()));
            Assert.Equal(CalibrationDiagnostics.DataMissing, e.Diagnostic.Id);
            Assert.Contains("[30] (30 floats)", e.Diagnostic.Message);
        }

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public void Clinical_mlp_is_quantized_after_its_normalization_unless_asked_otherwise(bool afterNormalization)
        {
            var graph = Models.LoadOptimized("clinical-mlp");
            var stats = Calibrator.Collect(graph, Models.Samples(graph, "clinical-mlp", "calib_x.f32", 100));
            var scheme = QuantizationScheme.Build(graph, stats, new QuantizationOptions { FloatInputNormalization = afterNormalization });
            var firstGemm = graph.Nodes.First(n => n.OpType == "Gemm");
            var normalized = firstGemm.Input(0)!;
            Assert.Equal("Div", normalized.Producer!.OpType);
            Assert.Equal(!afterNormalization, scheme.QuantizedOutputs.Contains(graph.Inputs[0].Name));
            Assert.Contains(normalized.Name, scheme.QuantizedOutputs);
            Assert.Equal(afterNormalization ? NodeNumerics.Float : NodeNumerics.Requantizing, scheme.Numerics[normalized.Producer]);
            Assert.All(graph.Nodes.Where(n => n.OpType == "Gemm"), g => Assert.Equal(NodeNumerics.Weighted, scheme.Numerics[g]));
            Assert.Equal(NodeNumerics.Float, scheme.Numerics[graph.Nodes.Single(n => n.OpType == "Softmax")]);
            // The last Gemm feeds Softmax (float): it writes float from its accumulator.
            var lastGemm = graph.Nodes.Last(n => n.OpType == "Gemm");
            Assert.DoesNotContain(lastGemm.Outputs[0].Name, scheme.QuantizedOutputs);
        }
    
        [Fact]
        public void Channel_means_match_the_brute_force_mean_of_the_samples()
        {
            var graph = Models.LoadOptimized("mobilenetv2-digits");
            var samples = Models.Samples(graph, "mobilenetv2-digits", "calib_x.f32", 5);
            var stats = Calibrator.Collect(graph, samples);
            var means = stats.ChannelMeans(graph.Inputs[0].Name)!;
            Assert.Equal(3, means.Length);
            for (int c = 0; c < 3; c++)
            {
                double sum = 0;
                foreach (var s in samples) for (int i = 0; i < 32 * 32; i++) sum += s[c * 32 * 32 + i];
                Assert.Equal(sum / (samples.Count * 32 * 32), means[c], 9);
            }
        }
    }
}
