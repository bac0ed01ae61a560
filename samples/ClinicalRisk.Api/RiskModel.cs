// Runs the generated ClinicalRisk class from any number of request threads.
using System;

namespace QuantGen.Samples.Api
{
    /// <summary>
    /// A generated model instance owns one workspace and is not thread-safe. Each thread-pool thread gets
    /// its own instance the first time it serves a prediction (448 bytes of workspace; the weights are shared
    /// static data), so a prediction takes no lock and allocates nothing. Callers must not <c>await</c>
    /// between <see cref="Predict"/>'s start and end, which is why it is synchronous.
    /// </summary>
    public static class RiskModel
    {
        /// <summary>Class names in the order of the model's outputs (scikit-learn's load_breast_cancer: 0 = malignant, 1 = benign).</summary>
        public static readonly string[] Labels = { "malignant", "benign" };

        public const int FeatureCount = ClinicalRisk.FeaturesLength;

        [ThreadStatic]
        private static ClinicalRisk? t_model;

        [ThreadStatic]
        private static ClinicalRiskGbdt? t_trees;

        /// <summary>
        /// Which model serves: the INT8 MLP, or with <c>CLINICALRISK_MODEL=gbdt</c> the gradient-boosted trees trained on the
        /// same split (ClinicalRiskGbdt: same features, same [P(malignant), P(benign)] output). Read once at start-up.
        /// </summary>
        public static readonly bool ServesTrees = string.Equals(Environment.GetEnvironmentVariable("CLINICALRISK_MODEL"), "gbdt", StringComparison.OrdinalIgnoreCase);

        /// <summary>Writes [P(malignant), P(benign)] for one patient's <see cref="FeatureCount"/> raw measurements.</summary>
        public static void Predict(ReadOnlySpan<float> features, Span<float> probabilities)
        {
            if (ServesTrees)
            {
                Span<long> label = stackalloc long[1];
                (t_trees ??= new ClinicalRiskGbdt()).Run(features, label, probabilities);
                return;
            }
            ClinicalRisk model = t_model ??= new ClinicalRisk();
            model.Run(features, probabilities);
        }

        /// <summary>The more probable class; a tie is reported as malignant, the answer that asks for a second look.</summary>
        public static string LabelOf(ReadOnlySpan<float> probabilities) => probabilities[1] > probabilities[0] ? Labels[1] : Labels[0];

        public static ModelInfo Describe() => ServesTrees ? DescribeTrees() : new ModelInfo(
            File: ClinicalRisk.SourceFile,
            Sha256: ClinicalRisk.ModelSha256,
            WeightsSha256: ClinicalRisk.WeightsSha256,
            Precision: ClinicalRisk.Precision,
            Opset: ClinicalRisk.Opset,
            Producer: ClinicalRisk.Producer,
            // The build's facts are constants of ClinicalRisk.Facts, including the INT8 quantization report.
            Parameters: ClinicalRisk.Facts.Parameters,
            WeightBytes: ClinicalRisk.WeightBytes,
            WorkspaceBytes: ClinicalRisk.WorkspaceBytes,
            Inputs: new[] { new TensorInfo("features", ClinicalRisk.FeaturesShape.ToArray()) },
            Outputs: new[] { new TensorInfo("probabilities", ClinicalRisk.ProbabilitiesShape.ToArray()) },
            Labels: Labels,
            Quantization: new QuantizationInfo(
                Float32WeightBytes: ClinicalRisk.Facts.WeightsFloat32Bytes,
                CalibrationSamples: ClinicalRisk.Facts.CalibrationSamples,
                CalibrationMethod: ClinicalRisk.Facts.CalibrationMethod,
                Metric: ClinicalRisk.Facts.QuantizationMetric,
                Float32Score: ClinicalRisk.Facts.QuantizationFloat32Score,
                Int8Score: ClinicalRisk.Facts.QuantizationInt8Score,
                OutputSqnrDb: ClinicalRisk.Facts.QuantizationOutputSqnrDb,
                LayersInFloat: ClinicalRisk.Facts.QuantizationLayersInFloat));

        private static ModelInfo DescribeTrees() => new ModelInfo(
            File: ClinicalRiskGbdt.SourceFile,
            Sha256: ClinicalRiskGbdt.ModelSha256,
            WeightsSha256: ClinicalRiskGbdt.WeightsSha256,
            Precision: ClinicalRiskGbdt.Precision,
            Opset: ClinicalRiskGbdt.Opset,
            Producer: ClinicalRiskGbdt.Producer,
            Parameters: ClinicalRiskGbdt.Facts.Parameters,
            WeightBytes: ClinicalRiskGbdt.WeightBytes,
            WorkspaceBytes: ClinicalRiskGbdt.WorkspaceBytes,
            Inputs: new[] { new TensorInfo("features", ClinicalRiskGbdt.FeaturesShape.ToArray()) },
            Outputs: new[] { new TensorInfo("probabilities", ClinicalRiskGbdt.ProbabilitiesShape.ToArray()) },
            Labels: Labels,
            Quantization: null!); // trees run in float32: no quantization report ("quantization": null)
    }
}
