// The tree models of tests/assets/trees, each as its generated class's Run over a batch of rows.
using System;
using System.Collections.Generic;
using System.IO;
using QuantGen.Ml.Tests.Models;
using QuantGen.Tests;

namespace QuantGen.Ml.Tests
{
    /// <summary>One model: its file, test rows, and the generated class run on a batch (labels empty for regressors).</summary>
    internal sealed record TreeModel(string Name, int Features, int Outputs, bool IsClassifier, Func<float[], (long[] Labels, float[] Scores)> Run)
    {
        public string File => Path.Combine(RepoPaths.Assets, "trees", Name + ".onnx");

        public float[] Rows => ReadFloats(Path.Combine(RepoPaths.Assets, "trees", Name + ".x.f32"));

        /// <summary>The trainer's own predictions (probabilities or values), or null for the hand-made edge cases.</summary>
        public float[]? TrainerPredictions
        {
            get
            {
                var data = ReadFloats(Path.Combine(RepoPaths.Assets, "trees", Name + ".expected.f32"));
                return data.Length > 1 ? data : null;
            }
        }

        public override string ToString() => Name;

        internal static float[] ReadFloats(string path)
        {
            var bytes = System.IO.File.ReadAllBytes(path);
            var data = new float[bytes.Length / 4];
            Buffer.BlockCopy(bytes, 0, data, 0, bytes.Length);
            return data;
        }
    }

    internal static class TreeModels
    {
        private static TreeModel Classifier(string name, int features, int classes, Action<float[], long[], float[]> run) =>
            new TreeModel(name, features, classes, true, x =>
            {
                int rows = x.Length / features;
                var labels = new long[rows];
                var scores = new float[rows * classes];
                run(x, labels, scores);
                return (labels, scores);
            });

        private static TreeModel Regressor(string name, int features, int targets, Action<float[], float[]> run) =>
            new TreeModel(name, features, targets, false, x =>
            {
                var values = new float[x.Length / features * targets];
                run(x, values);
                return (Array.Empty<long>(), values);
            });

        public static readonly TreeModel[] All =
        {
            Classifier("sklearn-gbc-breast-cancer", 30, 2, (x, l, p) => new SklearnGbcBreastCancer().Run(x, l, p)),
            Classifier("sklearn-rf-breast-cancer", 30, 2, (x, l, p) => new SklearnRfBreastCancer().Run(x, l, p)),
            Classifier("sklearn-rf-diabetes-3class", 10, 3, (x, l, p) => new SklearnRfDiabetes3class().Run(x, l, p)),
            Classifier("sklearn-gbc-diabetes-3class", 10, 3, (x, l, p) => new SklearnGbcDiabetes3class().Run(x, l, p)),
            Regressor("sklearn-gbr-diabetes", 10, 1, (x, y) => new SklearnGbrDiabetes().Run(x, y)),
            Regressor("sklearn-rfr-diabetes", 10, 1, (x, y) => new SklearnRfrDiabetes().Run(x, y)),
            Classifier("xgboost-breast-cancer", 30, 2, (x, l, p) => new XgboostBreastCancer().Run(x, l, p)),
            Classifier("xgboost-diabetes-3class", 10, 3, (x, l, p) => new XgboostDiabetes3class().Run(x, l, p)),
            Regressor("xgboost-diabetes", 10, 1, (x, y) => new XgboostDiabetes().Run(x, y)),
            Classifier("edge-modes-3class-softmax-zero", 6, 3, (x, l, p) => new EdgeModes3classSoftmaxZero().Run(x, l, p)),
            Classifier("edge-lt-gte-3class-logistic", 6, 3, (x, l, p) => new EdgeLtGte3classLogistic().Run(x, l, p)),
            Classifier("edge-sparse-3class-none", 6, 3, (x, l, p) => new EdgeSparse3classNone().Run(x, l, p)),
            Classifier("edge-binary-onecolumn-logistic", 6, 2, (x, l, p) => new EdgeBinaryOnecolumnLogistic().Run(x, l, p)),
            Classifier("edge-binary-onecolumn-nobase", 6, 2, (x, l, p) => new EdgeBinaryOnecolumnNobase().Run(x, l, p)),
            Classifier("edge-binary-twocolumn-base2", 6, 2, (x, l, p) => new EdgeBinaryTwocolumnBase2().Run(x, l, p)),
            Classifier("edge-binary-class1-base2", 6, 2, (x, l, p) => new EdgeBinaryClass1Base2().Run(x, l, p)),
            Classifier("edge-probit-3class", 6, 3, (x, l, p) => new EdgeProbit3class().Run(x, l, p)),
            Regressor("edge-regressor-min", 6, 1, (x, y) => new EdgeRegressorMin().Run(x, y)),
            Regressor("edge-regressor-max-multi", 6, 3, (x, y) => new EdgeRegressorMaxMulti().Run(x, y)),
            Regressor("edge-regressor-average-multi-softmax", 6, 2, (x, y) => new EdgeRegressorAverageMultiSoftmax().Run(x, y)),
            Regressor("edge-regressor-sum-probit", 6, 1, (x, y) => new EdgeRegressorSumProbit().Run(x, y)),
            Regressor("edge-deep-flattened", 6, 1, (x, y) => new EdgeDeepFlattened().Run(x, y)),
            Classifier("edge-mixed-blocks", 6, 3, (x, l, p) => new EdgeMixedBlocks().Run(x, l, p)),
            Classifier("layout-wide40-binary", 40, 2, (x, l, p) => new LayoutWide40Binary().Run(x, l, p)),
            Classifier("layout-wide100-3class", 100, 3, (x, l, p) => new LayoutWide1003class().Run(x, l, p)),
            Regressor("layout-stumps-regressor", 12, 1, (x, y) => new LayoutStumpsRegressor().Run(x, y)),
            Classifier("pipeline-scaler-logistic-breast-cancer", 30, 2, (x, l, p) => new PipelineScalerLogisticBreastCancer().Run(x, l, p)),
            Regressor("pipeline-imputer-ridge-diabetes", 10, 1, (x, y) => new PipelineImputerRidgeDiabetes().Run(x, y)),
        };

        public static IEnumerable<object[]> Names()
        {
            foreach (var m in All) yield return new object[] { m.Name };
        }

        public static TreeModel Find(string name) => Array.Find(All, m => m.Name == name) ?? throw new ArgumentException(name);
    }
}
