// ResNet-18 ImageNet (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0) on real photos against ONNX Runtime.
using System;
using System.IO;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.RealModels.Tests
{
    [Trait("Category", "Slow")]
    public sealed class ResNet18Tests : IClassFixture<ResNet18Fixture>
    {
        private readonly ResNet18Fixture _fixture;
        private readonly ITestOutputHelper _output;

        public ResNet18Tests(ResNet18Fixture fixture, ITestOutputHelper output)
        {
            _fixture = fixture;
            _output = output;
        }

        [Fact]
        public void Float32_features_match_onnx_runtime_on_every_held_out_photo()
        {
            Assert.Equal(Photos.HeldOut.Length, _fixture.HeldOutInputs.Length);
            for (int i = 0; i < _fixture.HeldOutInputs.Length; i++)
            {
                float[] got = _fixture.RunFloat32(_fixture.HeldOutInputs[i]);
                double error = Similarity.MaxRelativeError(got, _fixture.HeldOutReference[i]);
                Assert.True(error < 1e-4, $"{Path.GetFileName(Photos.HeldOut[i])}: largest error {error:G3} of the largest feature");
            }
        }

        /// <summary>
        /// Feature SQNR of the default INT8 build against ONNX Runtime's FP32 features, over all held-out photos' features.
        /// Issue 19's goal is 30 dB; the floor here is what this build reaches today (docs/quantization-research.md), so a
        /// change that loses accuracy on real photos fails.
        /// </summary>
        [Fact]
        public void Int8_default_build_keeps_feature_sqnr_on_held_out_photos()
        {
            double signal = 0, noise = 0, worst = double.PositiveInfinity;
            for (int i = 0; i < _fixture.HeldOutInputs.Length; i++)
            {
                float[] got = _fixture.RunInt8(_fixture.HeldOutInputs[i]);
                float[] want = _fixture.HeldOutReference[i];
                for (int k = 0; k < want.Length; k++)
                {
                    signal += (double)want[k] * want[k];
                    noise += ((double)got[k] - want[k]) * ((double)got[k] - want[k]);
                }
                double sqnr = Similarity.SqnrDb(got, want);
                worst = Math.Min(worst, sqnr);
                _output.WriteLine($"{Path.GetFileName(Photos.HeldOut[i])}: {sqnr:F1} dB");
            }
            double overall = 10 * Math.Log10(signal / noise);
            _output.WriteLine($"held-out feature SQNR {overall:F2} dB (worst photo {worst:F1} dB); build: {_fixture.Int8.Report?.Summary}");
            Assert.True(overall >= ResNet18Int8FloorDb, $"held-out feature SQNR {overall:F2} dB < {ResNet18Int8FloorDb} dB");
        }

        internal const double ResNet18Int8FloorDb = 26.0;
    }
}
