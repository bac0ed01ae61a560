// ResNet-18 ImageNet, compiled once per test run in FP32 and in INT8 (default settings, 16 calibration photos),
// with ONNX Runtime's features for every photo.
using System;
using System.IO;
using System.Linq;
using QuantGen.Compiler.Pipeline;

namespace QuantGen.RealModels.Tests
{
    public sealed class ResNet18Fixture
    {
        public const int FeatureLength = 512;

        private const string Driver = """
            #pragma warning disable CS1591
            public static class Driver
            {
                public static float[] Float32(float[] image) { var o = new float[512]; new Real.ResNet18().Run(image, o); return o; }
                public static float[] Int8(float[] image) { var o = new float[512]; new Real.ResNet18Int8().Run(image, o); return o; }
            }
            """;

        public ResNet18Fixture()
        {
            using var preprocess = new OnnxRuntimeReference(RealModelFiles.ResNetPreprocess);
            using var resnet = new OnnxRuntimeReference(RealModelFiles.ResNet18);
            long[] shape = { 1, 3, Photos.Side, Photos.Side };
            float[][] Prepare(string[] files) => files.Select(f => preprocess.Run(Photos.Read(f), shape)).ToArray();
            CalibrationInputs = Prepare(Photos.Calibration);
            HeldOutInputs = Prepare(Photos.HeldOut);
            HeldOutReference = HeldOutInputs.Select(x => resnet.Run(x, shape)).ToArray();

            CalibrationFile = Path.Combine(AppContext.BaseDirectory, "resnet18-calibration.npy");
            Npy.WriteFloat32(CalibrationFile, CalibrationInputs, new[] { 3, Photos.Side, Photos.Side });

            Float32 = CompiledModel.Compile(RealModelFiles.ResNet18, "ResNet18", o => o.Precision = Precision.Float32);
            Int8 = CompiledModel.Compile(RealModelFiles.ResNet18, "ResNet18Int8", o =>
            {
                o.Precision = Precision.Int8;
                o.CalibrationData = CalibrationFile;
            });
            Model = CompiledModel.Load(Driver, ("ResNet18", Float32), ("ResNet18Int8", Int8));
        }

        /// <summary>Preprocessed (BGR minus the mean image) calibration photos.</summary>
        public float[][] CalibrationInputs { get; }

        public float[][] HeldOutInputs { get; }

        /// <summary>ONNX Runtime's features of the held-out photos.</summary>
        public float[][] HeldOutReference { get; }

        public string CalibrationFile { get; }

        public CompileResult Float32 { get; }

        public CompileResult Int8 { get; }

        internal CompiledModel Model { get; }

        public float[] RunFloat32(float[] input) => (float[])Model.Call("Driver", "Float32", input)!;

        public float[] RunInt8(float[] input) => (float[])Model.Call("Driver", "Int8", input)!;
    }
}
