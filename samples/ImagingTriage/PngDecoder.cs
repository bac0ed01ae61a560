// A small PNG decoder for the files a scanner or an export tool writes: 8-bit greyscale, greyscale + alpha,
// RGB and RGBA, not interlaced. Everything else is refused with a message that says how to re-save the file.
using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace QuantGen.Samples.Imaging
{
    /// <summary>A decoded image: <see cref="Channels"/> bytes per pixel, rows top to bottom, no padding.</summary>
    public sealed class PngImage
    {
        public PngImage(int width, int height, int channels, byte[] pixels)
        {
            Width = width;
            Height = height;
            Channels = channels;
            Pixels = pixels;
        }

        public int Width { get; }
        public int Height { get; }

        /// <summary>1 (grey), 2 (grey, alpha), 3 (RGB) or 4 (RGBA).</summary>
        public int Channels { get; }

        /// <summary><see cref="Width"/> × <see cref="Height"/> × <see cref="Channels"/> bytes, interleaved.</summary>
        public byte[] Pixels { get; }
    }

    /// <summary>The file is not a PNG this decoder reads; the message says why.</summary>
    public sealed class PngFormatException : Exception
    {
        public PngFormatException(string message) : base(message) { }
        public PngFormatException(string message, Exception inner) : base(message, inner) { }
    }

    public static class PngDecoder
    {
        /// <summary>Pictures larger than this are refused before anything is allocated (a 16-bit-sized length field could ask for gigabytes).</summary>
        public const long MaxPixels = 64L * 1024 * 1024;

        private static ReadOnlySpan<byte> Signature => new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 };

        public static PngImage Decode(string path)
        {
            try
            {
                return Decode(File.ReadAllBytes(path));
            }
            catch (PngFormatException e)
            {
                throw new PngFormatException(path + ": " + e.Message, e);
            }
        }

        /// <exception cref="PngFormatException">Not a PNG, damaged, or a kind this decoder does not read.</exception>
        public static PngImage Decode(ReadOnlySpan<byte> file)
        {
            if (file.Length < Signature.Length || !file.Slice(0, Signature.Length).SequenceEqual(Signature))
                throw new PngFormatException("not a PNG file (the 8-byte PNG signature is missing)");

            Header? header = null;
            using var compressed = new MemoryStream();
            bool ended = false;
            int at = Signature.Length;
            while (!ended)
            {
                if (file.Length - at < 12) throw new PngFormatException("the file is cut short (no IEND chunk)");
                uint length = BinaryPrimitives.ReadUInt32BigEndian(file.Slice(at));
                if (length > int.MaxValue || length > (uint)(file.Length - at - 12))
                    throw new PngFormatException("the file is cut short (a chunk is longer than the rest of the file)");
                ReadOnlySpan<byte> typeAndData = file.Slice(at + 4, 4 + (int)length);
                uint storedCrc = BinaryPrimitives.ReadUInt32BigEndian(file.Slice(at + 8 + (int)length));
                string type = ChunkType(typeAndData.Slice(0, 4));
                if (Crc32.Compute(typeAndData) != storedCrc) throw new PngFormatException("the " + type + " chunk is damaged (CRC mismatch)");
                ReadOnlySpan<byte> data = typeAndData.Slice(4);
                at += 12 + (int)length;

                if (header == null && type != "IHDR") throw new PngFormatException("the first chunk is " + type + ", not IHDR");
                switch (type)
                {
                    case "IHDR":
                        if (header != null) throw new PngFormatException("more than one IHDR chunk");
                        header = ReadHeader(data);
                        break;
                    case "IDAT":
                        compressed.Write(data);
                        break;
                    case "IEND":
                        ended = true;
                        break;
                    case "PLTE":
                        // A suggested palette for truecolour images; the palette colour type itself was refused in ReadHeader.
                        break;
                    default:
                        // Bit 5 of the first letter (lower case) marks an ancillary chunk (gamma, text, time...), safe to skip.
                        if ((typeAndData[0] & 0x20) == 0) throw new PngFormatException("unknown critical chunk " + type);
                        break;
                }
            }

            Header h = header!.Value;
            if (compressed.Length == 0) throw new PngFormatException("no image data (IDAT chunk)");
            int stride = h.Width * h.Channels;
            byte[] filtered = Inflate(compressed, checked((long)h.Height * (stride + 1)));
            byte[] pixels = new byte[(long)h.Height * stride];
            Unfilter(filtered, pixels, h.Height, stride, h.Channels);
            return new PngImage(h.Width, h.Height, h.Channels, pixels);
        }

        private readonly struct Header
        {
            public Header(int width, int height, int channels)
            {
                Width = width;
                Height = height;
                Channels = channels;
            }

            public int Width { get; }
            public int Height { get; }
            public int Channels { get; }
        }

        private static Header ReadHeader(ReadOnlySpan<byte> data)
        {
            if (data.Length != 13) throw new PngFormatException("the IHDR chunk has " + data.Length + " bytes, not 13");
            uint width = BinaryPrimitives.ReadUInt32BigEndian(data);
            uint height = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(4));
            byte bitDepth = data[8], colorType = data[9], compression = data[10], filter = data[11], interlace = data[12];
            if (width == 0 || height == 0) throw new PngFormatException("the image is empty (" + width + "x" + height + ")");
            if ((long)width * height > MaxPixels) throw new PngFormatException("the image is " + width + "x" + height + "; at most " + MaxPixels + " pixels are read");

            int channels = colorType switch
            {
                0 => 1,
                4 => 2,
                2 => 3,
                6 => 4,
                3 => throw new PngFormatException("palette (indexed-colour) PNGs are not supported; re-save it as 8-bit greyscale, RGB or RGBA"),
                _ => throw new PngFormatException("invalid colour type " + colorType),
            };
            if (bitDepth != 8)
                throw new PngFormatException(bitDepth + "-bit samples are not supported; re-save it with 8 bits per channel");
            if (compression != 0 || filter != 0) throw new PngFormatException("unknown compression or filter method (" + compression + ", " + filter + ")");
            if (interlace == 1) throw new PngFormatException("interlaced (Adam7) PNGs are not supported; re-save it without interlacing");
            if (interlace != 0) throw new PngFormatException("invalid interlace method " + interlace);
            return new Header((int)width, (int)height, channels);
        }

        private static byte[] Inflate(MemoryStream compressed, long expected)
        {
            var result = new byte[expected];
            compressed.Position = 0;
            try
            {
                using var zlib = new ZLibStream(compressed, CompressionMode.Decompress);
                int read = 0;
                while (read < result.Length)
                {
                    int n = zlib.Read(result, read, result.Length - read);
                    if (n == 0) throw new PngFormatException("the image data is cut short (" + read + " of " + expected + " bytes)");
                    read += n;
                }
            }
            catch (InvalidDataException e)
            {
                throw new PngFormatException("the image data is damaged (" + e.Message + ")", e);
            }
            return result;
        }

        /// <summary>Undoes the per-row filters (PNG spec, section 9): each row starts with its filter type.</summary>
        private static void Unfilter(byte[] filtered, byte[] pixels, int height, int stride, int bytesPerPixel)
        {
            for (int y = 0; y < height; y++)
            {
                int filter = filtered[y * (stride + 1)];
                ReadOnlySpan<byte> source = filtered.AsSpan(y * (stride + 1) + 1, stride);
                Span<byte> row = pixels.AsSpan(y * stride, stride);
                // The row above is all zeros for the first row.
                ReadOnlySpan<byte> up = y == 0 ? new byte[stride] : pixels.AsSpan((y - 1) * stride, stride);
                switch (filter)
                {
                    case 0: // None
                        source.CopyTo(row);
                        break;
                    case 1: // Sub: left neighbour
                        for (int i = 0; i < stride; i++)
                            row[i] = (byte)(source[i] + (i >= bytesPerPixel ? row[i - bytesPerPixel] : 0));
                        break;
                    case 2: // Up
                        for (int i = 0; i < stride; i++)
                            row[i] = (byte)(source[i] + up[i]);
                        break;
                    case 3: // Average of left and up, in 9-bit arithmetic
                        for (int i = 0; i < stride; i++)
                            row[i] = (byte)(source[i] + (((i >= bytesPerPixel ? row[i - bytesPerPixel] : 0) + up[i]) >> 1));
                        break;
                    case 4: // Paeth
                        for (int i = 0; i < stride; i++)
                        {
                            int left = i >= bytesPerPixel ? row[i - bytesPerPixel] : 0;
                            int upLeft = i >= bytesPerPixel ? up[i - bytesPerPixel] : 0;
                            row[i] = (byte)(source[i] + Paeth(left, up[i], upLeft));
                        }
                        break;
                    default:
                        throw new PngFormatException("row " + y + " has an invalid filter type " + filter);
                }
            }
        }

        /// <summary>The predictor closest to left + up - upLeft; ties go to left, then up (the order matters for the bits).</summary>
        public static int Paeth(int left, int up, int upLeft)
        {
            int p = left + up - upLeft;
            int pa = Math.Abs(p - left), pb = Math.Abs(p - up), pc = Math.Abs(p - upLeft);
            if (pa <= pb && pa <= pc) return left;
            return pb <= pc ? up : upLeft;
        }

        private static string ChunkType(ReadOnlySpan<byte> type)
        {
            Span<char> chars = stackalloc char[4];
            for (int i = 0; i < 4; i++) chars[i] = type[i] is >= 32 and < 127 ? (char)type[i] : '?';
            return new string(chars);
        }
    }

    /// <summary>CRC-32 (ISO 3309, reflected polynomial 0xEDB88320) over a chunk's type and data, as PNG stores it.</summary>
    public static class Crc32
    {
        private static readonly uint[] s_table = CreateTable();

        public static uint Compute(ReadOnlySpan<byte> bytes)
        {
            uint crc = 0xFFFFFFFFu;
            foreach (byte b in bytes) crc = s_table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return crc ^ 0xFFFFFFFFu;
        }

        private static uint[] CreateTable()
        {
            var table = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                table[n] = c;
            }
            return table;
        }
    }
}
