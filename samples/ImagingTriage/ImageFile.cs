// Reads a PNG or JPEG file into pixels with StbImageSharp (a managed port of stb_image), refusing what is damaged or too large.
using System;
using System.Buffers.Binary;
using System.IO;
using StbImageSharp;

namespace QuantGen.Samples.Imaging
{
    /// <summary>A decoded image: <see cref="Channels"/> bytes per pixel, rows top to bottom, no padding.</summary>
    public sealed class DecodedImage
    {
        public DecodedImage(int width, int height, int channels, byte[] pixels)
        {
            Width = width;
            Height = height;
            Channels = channels;
            Pixels = pixels;
        }

        public int Width { get; }
        public int Height { get; }

        /// <summary>1 (grey), 2 (grey, alpha), 3 (RGB) or 4 (RGBA), as the file stores it.</summary>
        public int Channels { get; }

        /// <summary><see cref="Width"/> × <see cref="Height"/> × <see cref="Channels"/> bytes, interleaved.</summary>
        public byte[] Pixels { get; }
    }

    /// <summary>The file is not a PNG or JPEG this sample reads; the message says why.</summary>
    public sealed class ImageFormatException : Exception
    {
        public ImageFormatException(string message) : base(message) { }
        public ImageFormatException(string message, Exception inner) : base(message, inner) { }
    }

    public static class ImageFile
    {
        /// <summary>
        /// Pictures with more pixels than this are refused from their header, before anything is decoded: a 20-byte
        /// header can claim 4 G pixels. 64 M pixels is four times a 16 MP camera photo (256 MB of RGBA at most).
        /// </summary>
        public const long MaxPixels = 64L * 1024 * 1024;

        /// <summary>The file names the sample picks up from a folder.</summary>
        public static readonly string[] Patterns = { "*.png", "*.jpg", "*.jpeg" };

        private static ReadOnlySpan<byte> PngSignature => new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 };
        private static ReadOnlySpan<byte> JpegStart => new byte[] { 0xFF, 0xD8, 0xFF };

        /// <exception cref="ImageFormatException">Not a PNG or JPEG, damaged, or too large.</exception>
        public static DecodedImage Decode(byte[] file)
        {
            // stb_image also reads BMP, GIF, TGA, PSD...: the sample promises PNG and JPEG, and says so for anything else.
            string kind = file.AsSpan().StartsWith(PngSignature) ? "PNG" : file.AsSpan().StartsWith(JpegStart) ? "JPEG"
                : throw new ImageFormatException("not a PNG or JPEG file (" + (file.Length == 0 ? "the file is empty" : "its first bytes are neither signature") + ")");

            (int width, int height) = ReadHeader(file, kind);
            if ((long)width * height > MaxPixels)
                throw new ImageFormatException("the image is " + width + "x" + height + "; at most " + MaxPixels + " pixels are read");

            ImageInfo? info;
            try
            {
                info = ImageInfo.FromStream(new MemoryStream(file, writable: false));
            }
            catch (Exception e) when (e is InvalidOperationException or IndexOutOfRangeException or ArgumentException or IOException)
            {
                throw Damaged(kind, e);
            }
            if (info is not ImageInfo header) throw new ImageFormatException("the " + kind + " header is damaged or cut short");
            if (header.Width <= 0 || header.Height <= 0) throw new ImageFormatException("the image is empty (" + header.Width + "x" + header.Height + ")");
            if ((long)header.Width * header.Height > MaxPixels)
                throw new ImageFormatException("the image is " + header.Width + "x" + header.Height + "; at most " + MaxPixels + " pixels are read");

            ImageResult result;
            try
            {
                result = ImageResult.FromMemory(file, ColorComponents.Default);
            }
            // stb_image reports a damaged file by throwing with its reason ("bad zlib header", "bad huffman code"...);
            // a damaged file can also run off the end of its buffers or seek before the start of its stream.
            catch (Exception e) when (e is InvalidOperationException or IndexOutOfRangeException or ArgumentException or NullReferenceException or OverflowException or IOException)
            {
                throw Damaged(kind, e);
            }
            int channels = (int)result.Comp;
            if (result.Data == null || result.Data.Length != (long)result.Width * result.Height * channels)
                throw new ImageFormatException("the " + kind + " image data is damaged or cut short");
            return new DecodedImage(result.Width, result.Height, channels, result.Data);
        }

        public static DecodedImage Decode(string path)
        {
            try
            {
                return Decode(File.ReadAllBytes(path));
            }
            catch (ImageFormatException e)
            {
                throw new ImageFormatException(path + ": " + e.Message, e);
            }
        }

        /// <summary>
        /// Width and height as the header states them: PNG's IHDR (always the first chunk), or JPEG's start-of-frame marker.
        /// A JPEG's marker segments up to its scan are walked and each must fit in the file: StbImageSharp 2.30.16 loops
        /// forever on a JPEG cut short inside them (reading past the end gives zeros), so such a file never reaches it.
        /// stb_image's own checks would also refuse huge sizes, but only as "corrupt": this says what is wrong.
        /// </summary>
        private static (int Width, int Height) ReadHeader(ReadOnlySpan<byte> file, string kind)
        {
            var damaged = new ImageFormatException("the " + kind + " header is damaged or cut short");
            if (kind == "PNG")
            {
                if (file.Length < 33 || !file.Slice(12, 4).SequenceEqual("IHDR"u8)) throw damaged;
                return ((int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(file.Slice(16))),
                        (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(file.Slice(20))));
            }
            (int, int)? frame = null;
            int at = 2; // after SOI
            while (true)
            {
                if (at >= file.Length || file[at] != 0xFF) throw damaged;
                while (at < file.Length && file[at] == 0xFF) at++; // fill bytes
                if (at >= file.Length) throw damaged;
                byte marker = file[at++];
                if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue; // TEM, RSTn: no length
                if (marker == 0xD8 || marker == 0xD9 || at + 2 > file.Length) throw damaged; // SOI/EOI before a scan
                int length = BinaryPrimitives.ReadUInt16BigEndian(file.Slice(at));
                if (length < 2 || at + length > file.Length) throw damaged;
                // SOF0..SOF15 but DHT (C4), JPG (C8) and DAC (CC): precision, height, width.
                if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC)
                {
                    if (length < 7) throw damaged;
                    frame = (BinaryPrimitives.ReadUInt16BigEndian(file.Slice(at + 5)), BinaryPrimitives.ReadUInt16BigEndian(file.Slice(at + 3)));
                }
                if (marker == 0xDA) return frame ?? throw damaged; // start of scan: the entropy-coded data follows
                at += length;
            }
        }

        private static ImageFormatException Damaged(string kind, Exception e) =>
            new ImageFormatException("the " + kind + " file is damaged or of a kind not read (" + e.Message.TrimEnd('.') + ")", e);
    }
}
