// ResNet-18 ImageNet (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0) on real photos against ONNX Runtime.
using System;
using System.IO;
using QuantGen.Compiler.Pipeline;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.RealModels.Tests
{
    /// <summary>The FP32 build, compiled once for the class.</summary>
    public sealed class ResNet18Float32
    {
        public ResNet18Float32()
        {
            var result = CompiledModel.Compile(RealModelFiles.ResNet18, "ResNet18", o => o.Precision = Precision.Float32);
            Model = CompiledModel.Load(Driver.For("ResNet18"), ("ResNet18", result));
        }

        internal CompiledModel Model { get; }
    }

    [Trait("Category", "Slow")]
    public sealed class ResNet18Tests : IClassFixture<ResNet18Float32>
    {
        private readonly ResNet18Float32 _fixture;

        public ResNet18Tests(ResNet18Float32 fixture) => _fixture = fixture;

        [Fact]
        public void Float32_features_match_onnx_runtime_on_every_held_out_photo()
        {
            Assert.Equal(Photos.HeldOut.Length, ResNet18Reference.HeldOutInputs.Length);
            for (int i = 0; i < ResNet18Reference.HeldOutInputs.Length; i++)
            {
                var got = (float[])_fixture.Model.Call("Driver", "Run", ResNet18Reference.HeldOutInputs[i])!;
                double error = Similarity.MaxRelativeError(got, ResNet18Reference.HeldOutFeatures[i]);
                Assert.True(error < 1e-4, $"{Path.GetFileName(Photos.HeldOut[i])}: largest error {error:G3} of the largest feature");
            }
        }
    }

    /// <summary>
    /// The default INT8 build (16 calibration photos). Manual: calibration and the budget's simulation run the reference
    /// evaluator in double precision, about 3 minutes on a quiet 2-core machine and over 20 with the machine shared.
    /// </summary>
    public sealed class ResNet18Int8Tests
    {
        private readonly ITestOutputHelper _output;

        public ResNet18Int8Tests(ITestOutputHelper output) => _output = output;

        /// <summary>
        /// Feature SQNR of the default INT8 build against ONNX Runtime's FP32 features, over all held-out photos. Issue 19's
        /// goal is 30 dB; the floor is what the default build reaches today (22.6 dB, docs/quantization-research.md), so a
        /// change that loses accuracy on real photos fails. The report is written beside the test assembly.
        /// </summary>
        [Fact]
        [Trait("Category", "Manual")]
        public void Int8_default_build_keeps_its_feature_sqnr_on_held_out_photos()
        {
            var result = CompiledModel.Compile(RealModelFiles.ResNet18, "ResNet18Int8", o => o.CalibrationData = ResNet18Reference.WriteCalibrationFile());
            File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "ResNet18Int8.report.md"), result.Report!.Markdown);
            var model = CompiledModel.Load(Driver.For("ResNet18Int8"), ("ResNet18Int8", result));
            double signal = 0, noise = 0;
            for (int i = 0; i < ResNet18Reference.HeldOutInputs.Length; i++)
            {
                var got = (float[])model.Call("Driver", "Run", ResNet18Reference.HeldOutInputs[i])!;
                float[] want = ResNet18Reference.HeldOutFeatures[i];
                for (int k = 0; k < want.Length; k++)
                {
                    signal += (double)want[k] * want[k];
                    noise += ((double)got[k] - want[k]) * ((double)got[k] - want[k]);
                }
                _output.WriteLine($"{Path.GetFileName(Photos.HeldOut[i])}: {Similarity.SqnrDb(got, want):F1} dB");
            }
            double overall = 10 * Math.Log10(signal / noise);
            _output.WriteLine($"held-out feature SQNR {overall:F2} dB; build: {result.Report.Summary}");
            Assert.True(overall >= FloorDb, $"held-out feature SQNR {overall:F2} dB < {FloorDb} dB");
        }

        private const double FloorDb = 22.0;
    }

    internal static class Driver
    {
        /// <summary>Driver.Run(image) → the 512 features of Real.{className}.</summary>
        public static string For(string className) => $$"""
            #pragma warning disable CS1591
            public static class Driver
            {
                public static float[] Run(float[] image) { var o = new float[{{ResNet18Reference.FeatureLength}}]; new Real.{{className}}().Run(image, o); return o; }
            }
            """;
    }
}
