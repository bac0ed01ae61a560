// ResNet-18's inputs and ONNX Runtime's features for the test photos, computed once per test run.
using System;
using System.IO;
using System.Linq;

namespace QuantGen.RealModels.Tests
{
    internal static class ResNet18Reference
    {
        public const int FeatureLength = 512;

        private static readonly long[] s_shape = { 1, 3, Photos.Side, Photos.Side };

        private static readonly Lazy<(float[][] Calibration, float[][] HeldOut, float[][] Features)> s_data = new(() =>
        {
            using var preprocess = new OnnxRuntimeReference(RealModelFiles.ResNetPreprocess);
            using var resnet = new OnnxRuntimeReference(RealModelFiles.ResNet18);
            float[][] Prepare(string[] files) => files.Select(f => preprocess.Run(Photos.Read(f), s_shape)).ToArray();
            var heldOut = Prepare(Photos.HeldOut);
            return (Prepare(Photos.Calibration), heldOut, heldOut.Select(x => resnet.Run(x, s_shape)).ToArray());
        });

        /// <summary>The calibration photos preprocessed by ONNX Runtime (BGR minus the mean image): ResNet18.onnx's input.</summary>
        public static float[][] CalibrationInputs => s_data.Value.Calibration;

        public static float[][] HeldOutInputs => s_data.Value.HeldOut;

        /// <summary>ONNX Runtime's features of the held-out photos.</summary>
        public static float[][] HeldOutFeatures => s_data.Value.Features;

        /// <summary>The calibration inputs as the .npy file a user would give CalibrationData.</summary>
        public static string WriteCalibrationFile()
        {
            string path = Path.Combine(AppContext.BaseDirectory, "resnet18-calibration.npy");
            Npy.WriteFloat32(path, CalibrationInputs, new[] { 3, Photos.Side, Photos.Side });
            return path;
        }
    }
}
