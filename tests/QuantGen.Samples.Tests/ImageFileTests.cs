// ImagingTriage's image reading (StbImageSharp): the shipped PNGs and JPEGs against the pixels they were made from, every refusal.
using System;
using System.IO;
using System.Linq;
using QuantGen.Samples.Imaging;
using Xunit;

namespace QuantGen.Samples.Tests
{
    public class ImageFileTests
    {
        private const int Plane = 32 * 32;

        public static TheoryData<string> ShippedPngs() => Shipped("*.png");

        public static TheoryData<string> ShippedJpegs() => Shipped("*.jpg");

        private static TheoryData<string> Shipped(string pattern)
        {
            var data = new TheoryData<string>();
            foreach (string file in Directory.GetFiles(SampleData.ShippedImages, pattern).OrderBy(f => f, StringComparer.Ordinal))
                data.Add(Path.GetFileName(file));
            return data;
        }

        [Fact]
        public void The_sample_ships_two_pngs_of_every_digit_in_every_colour_type_and_grey_and_colour_jpegs()
        {
            string[] pngs = Directory.GetFiles(SampleData.ShippedImages, "*.png");
            Assert.Equal(20, pngs.Length);
            Assert.All(Enumerable.Range(0, 10), digit => Assert.Equal(2, pngs.Count(f => SampleData.ParseName(f).Label == digit)));
            Assert.Equal(new[] { 1, 2, 3, 4 }, pngs.Select(f => ImageFile.Decode(f).Channels).Distinct().OrderBy(c => c));

            string[] jpegs = Directory.GetFiles(SampleData.ShippedImages, "*.jpg");
            Assert.Equal(4, jpegs.Length);
            Assert.Equal(new[] { 1, 3 }, jpegs.Select(f => ImageFile.Decode(f).Channels).Distinct().OrderBy(c => c));
        }

        /// <summary>
        /// images/make_images.py wrote each PNG from test_x.f32 as round(255 · value). The hand-written decoder this sample had
        /// before StbImageSharp decoded every shipped file to exactly these bytes (its test asserted this very comparison
        /// and passed on the last commit that had it), so the expectation is the old decoder's output as well as the source's.
        /// </summary>
        [Theory]
        [MemberData(nameof(ShippedPngs))]
        public void A_shipped_png_decodes_to_the_test_set_pixels_it_was_made_from(string name)
        {
            (int label, int index) = SampleData.ParseName(name);
            Assert.Equal(SampleData.DigitsY[index], label);

            DecodedImage image = ImageFile.Decode(Path.Combine(SampleData.ShippedImages, name));

            Assert.Equal((32, 32), (image.Width, image.Height));
            ReadOnlySpan<float> source = SampleData.DigitsX.AsSpan(index * 3 * Plane, Plane);
            for (int p = 0; p < Plane; p++)
            {
                byte expected = (byte)Math.Round(255 * source[p], MidpointRounding.ToEven);
                for (int c = 0; c < image.Channels; c++)
                {
                    bool alpha = image.Channels is 2 or 4 && c == image.Channels - 1;
                    Assert.True(image.Pixels[p * image.Channels + c] == (alpha ? 255 : expected),
                        $"{name}: pixel {p} channel {c} is {image.Pixels[p * image.Channels + c]}, expected {(alpha ? 255 : expected)} (test_x {source[p]})");
                }
            }
        }

        /// <summary>
        /// images/make_jpegs.py saved each JPEG with libjpeg-turbo (Pillow) and wrote the pixels libjpeg-turbo decodes from it
        /// to ImageOracle/. Two JPEG decoders may differ by rounding in the inverse DCT and colour conversion: at most 2 levels.
        /// Against the source pixels, quality 95 keeps every pixel within 12 levels (measured: see the output).
        /// </summary>
        [Theory]
        [MemberData(nameof(ShippedJpegs))]
        public void A_shipped_jpeg_decodes_like_libjpeg_turbo_and_close_to_its_source(string name)
        {
            byte[] oracle = File.ReadAllBytes(Path.Combine(SampleData.ImageOracle, name + ".u8"));
            DecodedImage image = ImageFile.Decode(Path.Combine(SampleData.ShippedImages, name));

            Assert.Equal((32, 32), (image.Width, image.Height));
            Assert.Equal(oracle.Length, image.Pixels.Length);
            int worstVsLibjpeg = 0, worstVsSource = 0;
            int index = SampleData.ParseName(name).Index;
            for (int i = 0; i < oracle.Length; i++)
            {
                worstVsLibjpeg = Math.Max(worstVsLibjpeg, Math.Abs(image.Pixels[i] - oracle[i]));
                byte source = (byte)Math.Round(255 * SampleData.DigitsX[index * 3 * Plane + i / image.Channels], MidpointRounding.ToEven);
                worstVsSource = Math.Max(worstVsSource, Math.Abs(image.Pixels[i] - source));
            }
            Assert.True(worstVsLibjpeg <= 2, $"{name}: {worstVsLibjpeg} levels from libjpeg-turbo's pixels");
            Assert.True(worstVsSource <= 12, $"{name}: {worstVsSource} levels from the source pixels");
        }

        [Theory]
        [InlineData(0, 0)]
        [InlineData(0, 4)]
        [InlineData(2, 3)]
        [InlineData(4, 1)]
        [InlineData(6, 2)]
        [InlineData(6, -1)]
        public void Pngs_of_every_colour_type_and_filter_from_an_independent_encoder_decode_exactly(byte colourType, int filter)
        {
            int width = 13, height = 7, channels = TestPngEncoder.Channels(colourType);
            var random = new Random(colourType * 10 + filter + 1);
            byte[] pixels = new byte[width * height * channels];
            random.NextBytes(pixels);
            // -1: every row a different filter, each following row depending on the one before.
            byte[] png = TestPngEncoder.Encode(width, height, colourType, pixels, y => filter >= 0 ? filter : y % 5, idatChunks: 3, ancillaryChunk: true);

            DecodedImage image = ImageFile.Decode(png);

            Assert.Equal((width, height, channels), (image.Width, image.Height, image.Channels));
            Assert.Equal(pixels, image.Pixels);
        }

        public static TheoryData<string, byte[], string> NotImages() => new TheoryData<string, byte[], string>
        {
            { "empty", Array.Empty<byte>(), "empty" },
            { "text", "patient,radius\n1,17.99\n"u8.ToArray(), "not a PNG or JPEG" },
            { "a GIF", "GIF89a\x01\0\x01\0\0\0\0;"u8.ToArray(), "not a PNG or JPEG" },
            { "a BMP", new byte[] { (byte)'B', (byte)'M', 0, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0 }, "not a PNG or JPEG" },
            { "only a PNG signature", new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }, "PNG" },
            { "only a JPEG start", new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }, "JPEG" },
        };

        [Theory]
        [MemberData(nameof(NotImages))]
        public void What_is_not_a_png_or_jpeg_is_refused_with_a_clear_message(string what, byte[] file, string expected)
        {
            var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(file));
            Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), what + ": " + e.Message);
        }

        [Fact]
        public void Damaged_pngs_and_jpegs_are_refused_with_a_clear_message_never_another_exception()
        {
            byte[] png = File.ReadAllBytes(Path.Combine(SampleData.ShippedImages, "digit-3-0030.png"));
            byte[] jpeg = File.ReadAllBytes(Path.Combine(SampleData.ShippedImages, "digit-3-0030.jpg"));
            byte[] greyJpeg = File.ReadAllBytes(Path.Combine(SampleData.ShippedImages, "digit-0-0001.jpg"));
            int refused = 0, read = 0;
            var random = new Random(22);
            // Every way of cutting the files short, every byte of them overwritten, and random damage: each is either decoded
            // (a damaged pixel is not detectable everywhere: JPEG has no checksum, stb_image skips PNG's CRCs) or refused
            // with ImageFormatException; any other exception fails the test, and a hang (StbImageSharp 2.30.16 loops forever
            // on a JPEG cut short in its header, which ImageFile therefore checks first) times the test run out.
            foreach (byte[] original in new[] { png, jpeg, greyJpeg })
            {
                for (int length = 0; length < original.Length; length++)
                    Count(original.AsSpan(0, length).ToArray());
                for (int at = 0; at < original.Length; at++)
                {
                    foreach (byte flip in new byte[] { 0x5A, 0xFF })
                    {
                        byte[] damaged = (byte[])original.Clone();
                        damaged[at] ^= flip;
                        Count(damaged);
                    }
                }
                for (int i = 0; i < 500; i++)
                {
                    byte[] damaged = (byte[])original.Clone();
                    for (int k = random.Next(1, 6); k > 0; k--) damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
                    Count(random.Next(3) == 0 ? damaged.AsSpan(0, random.Next(damaged.Length)).ToArray() : damaged);
                }
            }
            Assert.True(refused > 100, refused + " refused, " + read + " read");

            void Count(byte[] file)
            {
                try
                {
                    DecodedImage image = ImageFile.Decode(file);
                    Assert.Equal((long)image.Width * image.Height * image.Channels, image.Pixels.Length);
                    read++;
                }
                catch (ImageFormatException e)
                {
                    Assert.False(string.IsNullOrWhiteSpace(e.Message));
                    refused++;
                }
            }
        }

        [Fact]
        public void A_png_claiming_huge_dimensions_is_refused_before_decoding()
        {
            byte[] png = TestPngEncoder.Encode(4, 4, 0, new byte[16], _ => 0);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(8 + 8), 100_000);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(8 + 8 + 4), 100_000);
            TestPngEncoder.RewriteCrc(png, 8);

            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(png));
            Assert.Contains("100000x100000; at most", e.Message);
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        }

        [Fact]
        public void A_jpeg_claiming_huge_dimensions_is_refused_before_decoding()
        {
            byte[] jpeg = File.ReadAllBytes(Path.Combine(SampleData.ShippedImages, "digit-0-0001.jpg"));
            // The baseline frame header (FF C0, length, precision, height, width): 65535 x 65535.
            int sof = jpeg.AsSpan().IndexOf(new byte[] { 0xFF, 0xC0 });
            Assert.True(sof > 0);
            jpeg[sof + 5] = jpeg[sof + 6] = jpeg[sof + 7] = jpeg[sof + 8] = 0xFF;

            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(jpeg));
            Assert.Contains("65535x65535; at most", e.Message);
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        }

        [Fact]
        public void A_file_path_is_named_in_the_message()
        {
            string path = Path.Combine(Path.GetTempPath(), "quantgen-not-an-image-" + Guid.NewGuid().ToString("N") + ".png");
            File.WriteAllText(path, "hello");
            try
            {
                var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(path));
                Assert.StartsWith(path + ": not a PNG or JPEG file", e.Message);
            }
            finally
            {
                File.Delete(path);
            }
        }
    }
}
