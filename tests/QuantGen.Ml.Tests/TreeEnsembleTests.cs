// Every tree model against ONNX Runtime on the same rows (NaN, ±inf, values on and beside the thresholds included):
// the same label on every row and scores within 1e-6; and against the trainer that made it (the exporter's check).
using System;
using Xunit;

namespace QuantGen.Ml.Tests
{
    public class TreeEnsembleTests
    {
        [Theory]
        [MemberData(nameof(TreeModels.Names), MemberType = typeof(TreeModels))]
        public void Matches_onnx_runtime(string name)
        {
            var model = TreeModels.Find(name);
            var rows = model.Rows;
            var (ortLabels, ortScores) = OrtRunner.Run(model, rows);
            var (labels, scores) = model.Run(rows);
            Assert.Equal(ortScores.Length, scores.Length);
            Assert.Equal(ortLabels, labels);
            for (int i = 0; i < scores.Length; i++)
            {
                // Both NaN (PROBIT of a score outside (0, 1)) counts as equal; otherwise within 1e-6 absolute (relative for
                // the linear regressor's values, which ONNX Runtime sums in its GEMM's order).
                if (float.IsNaN(ortScores[i]) && float.IsNaN(scores[i])) continue;
                if (float.IsInfinity(ortScores[i]) && ortScores[i] == scores[i]) continue;
                double tolerance = name.StartsWith("pipeline-", StringComparison.Ordinal) && !model.IsClassifier ? 1e-6 * Math.Max(1, Math.Abs(ortScores[i])) : 1e-6;
                Assert.True(Math.Abs(ortScores[i] - scores[i]) <= tolerance,
                    $"{name}: score {i} (row {i / model.Outputs}) is {scores[i]:R}, ONNX Runtime {ortScores[i]:R}");
            }
        }

        [Theory]
        [MemberData(nameof(TreeModels.Names), MemberType = typeof(TreeModels))]
        public void Matches_the_trainer(string name)
        {
            var model = TreeModels.Find(name);
            var expected = model.TrainerPredictions;
            if (expected == null) return; // hand-made edge case: no trainer
            var (_, scores) = model.Run(model.Rows);
            Assert.Equal(expected.Length, scores.Length);
            // The trainers sum in float64 (scikit-learn) or in their own order; the ONNX model sums float32 in tree order.
            double scale = 1;
            foreach (var v in expected) scale = Math.Max(scale, Math.Abs(v));
            for (int i = 0; i < scores.Length; i++)
                Assert.True(Math.Abs(expected[i] - scores[i]) <= 2e-5 * scale, $"{name}: output {i} is {scores[i]:R}, the trainer's {expected[i]:R}");
        }
    }
}
