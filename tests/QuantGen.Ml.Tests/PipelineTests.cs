// ML.NET's own exports (FastTree and LightGBM through Microsoft.ML.OnnxConverter) and the pipeline operators, output by
// output against ONNX Runtime on the same rows.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using QuantGen.Ml.Tests.Models;
using QuantGen.Tests;
using Xunit;

namespace QuantGen.Ml.Tests
{
    public class PipelineTests
    {
        private static string Asset(string file) => Path.Combine(RepoPaths.Assets, "trees", file);

        private static void AssertClose(string what, double[] expected, IEnumerable<double> actual, double tolerance)
        {
            var a = actual.ToArray();
            Assert.Equal(expected.Length, a.Length);
            for (int i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(expected[i] - a[i]) <= tolerance, $"{what}[{i}] is {a[i]:R}, ONNX Runtime {expected[i]:R}");
        }

        [Theory]
        [InlineData("mlnet-fasttree-breast-cancer")]
        [InlineData("mlnet-lightgbm-breast-cancer")]
        public void MlNet_export_matches_onnx_runtime_and_ml_net(string name)
        {
            var x = TreeModel.ReadFloats(Asset(name + ".x.f32"));
            int n = x.Length / 30;
            var label = new bool[n];
            var ort = OrtRunner.RunAll(Asset(name + ".onnx"),
                NamedOnnxValue.CreateFromTensor("Features", new DenseTensor<float>(x, new[] { n, 30 })),
                NamedOnnxValue.CreateFromTensor("Label", new DenseTensor<bool>(label, new[] { n, 1 })));
            var features = new float[x.Length];
            var labelOut = new bool[n];
            var predicted = new bool[n];
            var score = new float[n];
            var probability = new float[n];
            if (name.Contains("fasttree")) new MlnetFasttreeBreastCancer().Run(x, label, features, labelOut, predicted, score, probability);
            else new MlnetLightgbmBreastCancer().Run(x, label, features, labelOut, predicted, score, probability);
            AssertClose("Score", ort["Score.output"], score.Select(v => (double)v), 1e-5 * Math.Max(1, ort["Score.output"].Max(Math.Abs)));
            AssertClose("Probability", ort["Probability.output"], probability.Select(v => (double)v), 1e-6);
            Assert.Equal(ort["PredictedLabel.output"], predicted.Select(v => v ? 1.0 : 0.0).ToArray());
            Assert.Equal(x, features);
            var mlnet = TreeModel.ReadFloats(Asset(name + ".expected.f32"));
            AssertClose("Probability vs ML.NET", mlnet.Select(v => (double)v).ToArray(), probability.Select(v => (double)v), 1e-5);
        }

        [Fact]
        public void Pipeline_operators_match_onnx_runtime()
        {
            var x = TreeModel.ReadFloats(Asset("pipeline-operators.x.f32"));
            var bytes = File.ReadAllBytes(Asset("pipeline-operators.codes.i64"));
            var codes = new long[bytes.Length / 8];
            Buffer.BlockCopy(bytes, 0, codes, 0, bytes.Length);
            int n = codes.Length;
            var ort = OrtRunner.RunAll(Asset("pipeline-operators.onnx"),
                NamedOnnxValue.CreateFromTensor("features", new DenseTensor<float>(x, new[] { n, 6 })),
                NamedOnnxValue.CreateFromTensor("codes", new DenseTensor<long>(codes, new[] { n })));
            float[] onehot = new float[n * 4], binary = new float[n * 6], max = new float[n * 6], l1 = new float[n * 6], l2 = new float[n * 6], scaled = new float[n * 6];
            long[] encoded = new long[n], linearLabel = new long[n];
            float[] codesOnehot = new float[n * 3], linearScores = new float[n * 3];
            new PipelineOperators().Run(x, codes, onehot, binary, max, l1, l2, scaled, encoded, codesOnehot, linearLabel, linearScores);
            static IEnumerable<double> D(float[] v) => v.Select(f => (double)f);
            AssertClose("onehot", ort["onehot"], D(onehot), 0);
            AssertClose("binary", ort["binary"], D(binary), 0);
            AssertClose("max", ort["max"], D(max), 1e-6);
            AssertClose("l1", ort["l1"], D(l1), 1e-6);
            AssertClose("l2", ort["l2"], D(l2), 1e-6);
            AssertClose("scaled", ort["scaled"], D(scaled), 1e-6);
            AssertClose("encoded", ort["encoded"], encoded.Select(v => (double)v), 0);
            AssertClose("codes_onehot", ort["codes_onehot"], D(codesOnehot), 0);
            AssertClose("linear_label", ort["linear_label"], linearLabel.Select(v => (double)v), 0);
            AssertClose("linear_scores", ort["linear_scores"], D(linearScores), 1e-6);
        }
    }
}
