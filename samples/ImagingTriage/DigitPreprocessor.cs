// Turns a decoded image into the model's input the way the training data was made.
using System;

namespace QuantGen.Samples.Imaging
{
    /// <summary>
    /// The model was trained on scikit-learn's 8x8 digits (light ink on a dark background, intensity 0..16)
    /// scaled to [0, 1], upsampled to 32x32 bilinearly with half-pixel centres (PyTorch's
    /// <c>interpolate(mode="bilinear", align_corners=False)</c>) and copied into three identical channels,
    /// planar [3, 32, 32]. No mean/std normalization: tests/assets/models/mobilenetv2-digits/data/test_x.f32
    /// is exactly the bilinear upsampling of digits-cnn's 8x8 test images (checked by the sample's tests).
    /// </summary>
    public static class DigitPreprocessor
    {
        public const int Size = 32;
        public const int Channels = 3;
        public const int InputLength = Channels * Size * Size;

        /// <summary>Writes the [3, 32, 32] input for <paramref name="image"/> into <paramref name="input"/>.</summary>
        /// <returns>True when the image was dark ink on a light background and was inverted to match the training data.</returns>
        public static bool ToModelInput(DecodedImage image, Span<float> input)
        {
            if (input.Length != InputLength) throw new ArgumentException("expected " + InputLength + " elements", nameof(input));
            float[] grey = ToGrey(image);
            bool inverted = BorderMean(grey, image.Width, image.Height) > 0.5f;
            if (inverted)
                for (int i = 0; i < grey.Length; i++) grey[i] = 1f - grey[i];

            Span<float> plane = input.Slice(0, Size * Size);
            ResizeBilinear(grey, image.Width, image.Height, plane, Size, Size);
            for (int c = 1; c < Channels; c++) plane.CopyTo(input.Slice(c * Size * Size, Size * Size));
            return inverted;
        }

        /// <summary>
        /// Intensity in [0, 1]: grey as is, colour by ITU-R BT.601 luma; transparent pixels are laid over
        /// black (the training background).
        /// </summary>
        public static float[] ToGrey(DecodedImage image)
        {
            var grey = new float[image.Width * image.Height];
            byte[] p = image.Pixels;
            for (int i = 0; i < grey.Length; i++)
            {
                int at = i * image.Channels;
                grey[i] = image.Channels switch
                {
                    1 => p[at] / 255f,
                    2 => p[at] / 255f * (p[at + 1] / 255f),
                    3 => Luma(p[at], p[at + 1], p[at + 2]),
                    _ => Luma(p[at], p[at + 1], p[at + 2]) * (p[at + 3] / 255f),
                };
            }
            return grey;
        }

        // Grey pixels stored as RGB (r = g = b) must come back exactly: the weights sum to 1 and the sum is done in that order.
        private static float Luma(byte r, byte g, byte b) => r == g && g == b ? r / 255f : (0.299f * r + 0.587f * g + 0.114f * b) / 255f;

        /// <summary>
        /// Bilinear resampling with half-pixel centres and clamped edges, as PyTorch's
        /// <c>align_corners=False</c> (so an 8x8 digit becomes exactly the training images).
        /// </summary>
        public static void ResizeBilinear(ReadOnlySpan<float> source, int sourceWidth, int sourceHeight, Span<float> target, int width, int height)
        {
            float scaleX = (float)sourceWidth / width, scaleY = (float)sourceHeight / height;
            for (int y = 0; y < height; y++)
            {
                float sy = Math.Max((y + 0.5f) * scaleY - 0.5f, 0f);
                int y0 = Math.Min((int)sy, sourceHeight - 1), y1 = Math.Min(y0 + 1, sourceHeight - 1);
                float fy = sy - y0;
                for (int x = 0; x < width; x++)
                {
                    float sx = Math.Max((x + 0.5f) * scaleX - 0.5f, 0f);
                    int x0 = Math.Min((int)sx, sourceWidth - 1), x1 = Math.Min(x0 + 1, sourceWidth - 1);
                    float fx = sx - x0;
                    float top = source[y0 * sourceWidth + x0] * (1 - fx) + source[y0 * sourceWidth + x1] * fx;
                    float bottom = source[y1 * sourceWidth + x0] * (1 - fx) + source[y1 * sourceWidth + x1] * fx;
                    target[y * width + x] = top * (1 - fy) + bottom * fy;
                }
            }
        }

        private static float BorderMean(float[] grey, int width, int height)
        {
            double sum = 0;
            int count = 0;
            for (int x = 0; x < width; x++)
            {
                sum += grey[x] + grey[(height - 1) * width + x];
                count += 2;
            }
            for (int y = 1; y < height - 1; y++)
            {
                sum += grey[y * width] + grey[y * width + width - 1];
                count += 2;
            }
            return (float)(sum / count);
        }
    }
}
