// ImagingTriage's PNG decoder: the shipped files against the raw test set they were made from, every filter, every refusal.
using System;
using System.IO;
using System.Linq;
using QuantGen.Samples.Imaging;
using Xunit;

namespace QuantGen.Samples.Tests
{
    public class PngDecoderTests
    {
        private const int Plane = 32 * 32;

        public static TheoryData<string> ShippedImages()
        {
            var data = new TheoryData<string>();
            foreach (string file in Directory.GetFiles(SampleData.ShippedImages, "*.png").OrderBy(f => f, StringComparer.Ordinal))
                data.Add(Path.GetFileName(file));
            return data;
        }

        [Fact]
        public void The_sample_ships_two_images_of_every_digit_in_every_colour_type()
        {
            string[] files = Directory.GetFiles(SampleData.ShippedImages, "*.png");
            Assert.Equal(20, files.Length);
            Assert.All(Enumerable.Range(0, 10), digit => Assert.Equal(2, files.Count(f => SampleData.ParseName(f).Label == digit)));
            var channels = files.Select(f => PngDecoder.Decode(File.ReadAllBytes(f)).Channels).Distinct().OrderBy(c => c);
            Assert.Equal(new[] { 1, 2, 3, 4 }, channels);
        }

        /// <summary>The files were written by images/make_images.py, an encoder independent of this decoder, from test_x.f32.</summary>
        [Theory]
        [MemberData(nameof(ShippedImages))]
        public void A_shipped_image_decodes_to_the_test_set_pixels_it_was_made_from(string name)
        {
            (int label, int index) = SampleData.ParseName(name);
            Assert.Equal(SampleData.DigitsY[index], label);

            PngImage image = PngDecoder.Decode(File.ReadAllBytes(Path.Combine(SampleData.ShippedImages, name)));

            Assert.Equal(32, image.Width);
            Assert.Equal(32, image.Height);
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

        [Theory]
        [InlineData(0, 0)]
        [InlineData(0, 1)]
        [InlineData(0, 2)]
        [InlineData(0, 3)]
        [InlineData(0, 4)]
        [InlineData(2, 4)]
        [InlineData(4, 3)]
        [InlineData(6, 1)]
        [InlineData(6, 2)]
        [InlineData(6, 4)]
        [InlineData(2, -1)]
        public void Every_filter_and_colour_type_round_trips(byte colourType, int filter)
        {
            int width = 13, height = 7, channels = TestPngEncoder.Channels(colourType);
            var random = new Random(colourType * 10 + filter + 1);
            byte[] pixels = new byte[width * height * channels];
            random.NextBytes(pixels);
            // -1: every row a different filter, each following row depending on the one before.
            byte[] png = TestPngEncoder.Encode(width, height, colourType, pixels, y => filter >= 0 ? filter : y % 5);

            PngImage image = PngDecoder.Decode(png);

            Assert.Equal((width, height, channels), (image.Width, image.Height, image.Channels));
            Assert.Equal(pixels, image.Pixels);
        }

        [Fact]
        public void Image_data_split_over_several_chunks_and_ancillary_chunks_are_read()
        {
            byte[] pixels = Enumerable.Range(0, 40 * 30 * 3).Select(i => (byte)(i * 7 + i / 97)).ToArray();
            byte[] png = TestPngEncoder.Encode(40, 30, 2, pixels, y => 4 - y % 5, idatChunks: 5, ancillaryChunk: true);

            Assert.Equal(pixels, PngDecoder.Decode(png).Pixels);
        }

        [Theory]
        [InlineData(10, 20, 5, 20)]   // p = 25: pa 15, pb 5, pc 20: up
        [InlineData(105, 90, 100, 90)] // p = 95: pa 10, pb 5, pc 5: a tie between up and up-left goes to up
        [InlineData(10, 20, 20, 10)]  // p = 10: left exact
        [InlineData(20, 10, 15, 15)]  // p = 15: pa 5, pb 5, pc 0: up-left
        [InlineData(0, 255, 0, 255)]  // p = 255: up exact
        [InlineData(100, 101, 180, 100)] // p = 21: pa 79, pb 80, pc 159: left
        public void Paeth_picks_the_specified_neighbour(int left, int up, int upLeft, int expected) =>
            Assert.Equal(expected, PngDecoder.Paeth(left, up, upLeft));

        [Theory]
        [InlineData(3, 8, 0, "palette")]
        [InlineData(0, 16, 0, "16-bit")]
        [InlineData(2, 4, 0, "4-bit")]
        [InlineData(6, 8, 1, "interlaced")]
        [InlineData(5, 8, 0, "invalid colour type 5")]
        public void Unsupported_kinds_are_refused_with_a_clear_message(byte colourType, byte bitDepth, byte interlace, string expected)
        {
            byte[] png = TestPngEncoder.Encode(4, 4, colourType == 5 ? (byte)0 : colourType, new byte[4 * 4 * TestPngEncoder.Channels(colourType == 5 ? (byte)0 : colourType)], _ => 0,
                                               bitDepth: bitDepth, interlace: interlace);
            if (colourType == 5)
            {
                png[8 + 8 + 9] = 5;
                RewriteCrc(png, 8);
            }

            var e = Assert.Throws<PngFormatException>(() => PngDecoder.Decode(png));
            Assert.Contains(expected, e.Message);
        }

        [Fact]
        public void Damaged_files_are_refused_with_a_clear_message()
        {
            byte[] good = TestPngEncoder.Encode(8, 8, 0, new byte[64], _ => 2);

            Assert.Contains("signature", Assert.Throws<PngFormatException>(() => PngDecoder.Decode(new byte[] { 1, 2, 3 })).Message);
            Assert.Contains("signature", Assert.Throws<PngFormatException>(() => PngDecoder.Decode("GIF89a......"u8)).Message);

            byte[] crc = (byte[])good.Clone();
            crc[8 + 8 + 3] ^= 1; // a bit of the IHDR width
            Assert.Contains("CRC", Assert.Throws<PngFormatException>(() => PngDecoder.Decode(crc)).Message);

            Assert.Contains("cut short", Assert.Throws<PngFormatException>(() => PngDecoder.Decode(good.AsSpan(0, good.Length - 20))).Message);

            byte[] badFilter = TestPngEncoder.Encode(8, 8, 0, new byte[64], y => y == 3 ? 7 : 0);
            Assert.Contains("invalid filter type 7", Assert.Throws<PngFormatException>(() => PngDecoder.Decode(badFilter)).Message);

            using var unknown = new MemoryStream();
            unknown.Write(good.AsSpan(0, 8 + 25));
            TestPngEncoder.WriteChunk(unknown, "ABCD", new byte[] { 1 });
            unknown.Write(good.AsSpan(8 + 25));
            Assert.Contains("unknown critical chunk ABCD", Assert.Throws<PngFormatException>(() => PngDecoder.Decode(unknown.ToArray())).Message);

            using var noData = new MemoryStream();
            noData.Write(good.AsSpan(0, 8 + 25));
            TestPngEncoder.WriteChunk(noData, "IEND", ReadOnlySpan<byte>.Empty);
            Assert.Contains("no image data", Assert.Throws<PngFormatException>(() => PngDecoder.Decode(noData.ToArray())).Message);

            // Image data that inflates to fewer bytes than the header promises.
            byte[] shortData = TestPngEncoder.Encode(8, 4, 0, new byte[32], _ => 0);
            BitConverterBigEndian(shortData, 8 + 8 + 4, 8);
            RewriteCrc(shortData, 8);
            Assert.Contains("cut short", Assert.Throws<PngFormatException>(() => PngDecoder.Decode(shortData)).Message);
        }

        [Fact]
        public void Huge_dimensions_are_refused_before_allocating()
        {
            byte[] png = TestPngEncoder.Encode(4, 4, 0, new byte[16], _ => 0);
            BitConverterBigEndian(png, 8 + 8, 100_000);
            BitConverterBigEndian(png, 8 + 8 + 4, 100_000);
            RewriteCrc(png, 8);

            Assert.Contains("at most", Assert.Throws<PngFormatException>(() => PngDecoder.Decode(png)).Message);
        }

        private static void BitConverterBigEndian(byte[] bytes, int at, uint value) =>
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at), value);

        /// <summary>Recomputes the CRC of the chunk starting at <paramref name="chunk"/> after a test edited it.</summary>
        private static void RewriteCrc(byte[] png, int chunk)
        {
            int length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(chunk));
            uint crc = Crc32.Compute(png.AsSpan(chunk + 4, 4 + length));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(chunk + 8 + length), crc);
        }
    }
}
