// ImagingTriage's preprocessing and classification against the mobilenetv2-digits test set.
using System;
using System.IO;
using System.Linq;
using QuantGen.Samples.Imaging;
using QuantGen.Tests;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Samples.Tests
{
    public class ImagingTriageTests
    {
        private const int Plane = 32 * 32;
        private readonly ITestOutputHelper _output;

        public ImagingTriageTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public void Resizing_the_8x8_digits_gives_exactly_the_models_test_images()
        {
            // digits-cnn holds the same 450 test digits at their original 8x8 size, scaled to [0, 1].
            float[] small = SampleData.ReadFloats(RepoPaths.Model("digits-cnn"), "test_x.f32");
            Assert.Equal(SampleData.DigitsY, SampleData.ReadInts(RepoPaths.Model("digits-cnn"), "test_y.i32"));
            var resized = new float[Plane];
            double worst = 0;
            for (int i = 0; i < SampleData.DigitsY.Length; i++)
            {
                DigitPreprocessor.ResizeBilinear(small.AsSpan(i * 64, 64), 8, 8, resized, 32, 32);
                for (int p = 0; p < Plane; p++) worst = Math.Max(worst, Math.Abs(resized[p] - SampleData.DigitsX[i * 3 * Plane + p]));
            }
            Assert.True(worst < 1e-6, "largest difference " + worst);
        }

        [Fact]
        public void A_shipped_image_becomes_its_test_input_within_8_bit_rounding()
        {
            var input = new float[DigitPreprocessor.InputLength];
            foreach (string file in Directory.GetFiles(SampleData.ShippedImages, "*.png"))
            {
                int index = SampleData.ParseName(file).Index;
                bool inverted = DigitPreprocessor.ToModelInput(ImageFile.Decode(File.ReadAllBytes(file)), input);

                Assert.False(inverted);
                for (int i = 0; i < input.Length; i++)
                    Assert.True(Math.Abs(input[i] - SampleData.DigitsX[index * input.Length + i]) <= 0.5f / 255 + 1e-6f, $"{file}: element {i}");
            }
        }

        [Fact]
        public void Dark_ink_on_a_light_background_is_inverted()
        {
            // An RGB 16x16 picture: white paper, a black vertical stroke.
            var pixels = new byte[16 * 16 * 3];
            for (int p = 0; p < 256; p++)
            {
                byte v = p % 16 is 7 or 8 && p / 16 is > 2 and < 13 ? (byte)0 : (byte)255;
                pixels[p * 3] = pixels[p * 3 + 1] = pixels[p * 3 + 2] = v;
            }
            var input = new float[DigitPreprocessor.InputLength];

            Assert.True(DigitPreprocessor.ToModelInput(new DecodedImage(16, 16, 3, pixels), input));
            Assert.Equal(0f, input[0]);
            Assert.Equal(1f, input[16 * 32 + 15]);
        }

        [Fact]
        public void The_compiled_model_classifies_the_test_set_and_the_shipped_files_like_the_raw_data()
        {
            var model = new DigitsMobileNet();
            var logits = new float[DigitsMobileNet.LogitsLength];
            int n = SampleData.DigitsY.Length, correct = 0;
            var predicted = new int[n];
            for (int i = 0; i < n; i++)
            {
                model.Run(SampleData.DigitsX.AsSpan(i * DigitsMobileNet.ImageLength, DigitsMobileNet.ImageLength), logits);
                predicted[i] = ArgMax(logits);
                if (predicted[i] == SampleData.DigitsY[i]) correct++;
            }
            // meta.json: 96.0 % in FP32 (PyTorch); ONNX Runtime 1.30 scores 432/450.
            _output.WriteLine($"{DigitsMobileNet.Precision}: {correct}/{n}");
            Assert.True(correct >= 0.955 * n, $"accuracy {correct}/{n}");

            var input = new float[DigitPreprocessor.InputLength];
            // The JPEGs too: quality-95 compression noise must not change the class.
            foreach (string file in Directory.GetFiles(SampleData.ShippedImages, "*.png").Concat(Directory.GetFiles(SampleData.ShippedImages, "*.jpg")))
            {
                DigitPreprocessor.ToModelInput(ImageFile.Decode(File.ReadAllBytes(file)), input);
                model.Run(input, logits);
                Assert.Equal(predicted[SampleData.ParseName(file).Index], ArgMax(logits));
            }
        }

        private static int ArgMax(ReadOnlySpan<float> values)
        {
            int best = 0;
            for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
            return best;
        }
    }
}
