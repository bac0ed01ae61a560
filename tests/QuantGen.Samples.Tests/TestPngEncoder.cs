// A minimal PNG writer for the image tests: any filter per row, split image data, and deliberately bad headers.
using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace QuantGen.Samples.Tests
{
    internal static class TestPngEncoder
    {
        /// <summary>Samples per pixel for each PNG colour type this writer handles (8-bit).</summary>
        public static int Channels(byte colourType) => colourType switch { 0 => 1, 4 => 2, 2 => 3, 6 => 4, 3 => 1, _ => throw new ArgumentOutOfRangeException(nameof(colourType)) };

        public static byte[] Encode(int width, int height, byte colourType, byte[] pixels, Func<int, int> filterOfRow,
                                    byte bitDepth = 8, byte interlace = 0, int idatChunks = 1, bool ancillaryChunk = false)
        {
            int bpp = Channels(colourType);
            int stride = width * bpp;
            var raw = new byte[height * (stride + 1)];
            for (int y = 0; y < height; y++)
            {
                int filter = filterOfRow(y);
                raw[y * (stride + 1)] = (byte)filter;
                for (int i = 0; i < stride; i++)
                {
                    int x = pixels[y * stride + i];
                    int a = i >= bpp ? pixels[y * stride + i - bpp] : 0;
                    int b = y > 0 ? pixels[(y - 1) * stride + i] : 0;
                    int c = y > 0 && i >= bpp ? pixels[(y - 1) * stride + i - bpp] : 0;
                    int predictor = filter switch
                    {
                        0 => 0,
                        1 => a,
                        2 => b,
                        3 => (a + b) / 2,
                        4 => PaethBySpec(a, b, c),
                        _ => 0, // an invalid filter type on purpose: bytes stored unchanged
                    };
                    raw[y * (stride + 1) + 1 + i] = (byte)(x - predictor);
                }
            }

            byte[] compressed;
            using (var buffer = new MemoryStream())
            {
                using (var zlib = new ZLibStream(buffer, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(raw);
                compressed = buffer.ToArray();
            }

            using var png = new MemoryStream();
            png.Write(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 });
            var header = new byte[13];
            BinaryPrimitives.WriteUInt32BigEndian(header, (uint)width);
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)height);
            header[8] = bitDepth;
            header[9] = colourType;
            header[12] = interlace;
            WriteChunk(png, "IHDR", header);
            if (ancillaryChunk) WriteChunk(png, "tEXt", System.Text.Encoding.ASCII.GetBytes("Comment\0made by a test"));
            int part = (compressed.Length + idatChunks - 1) / idatChunks;
            for (int at = 0; at < compressed.Length; at += part)
                WriteChunk(png, "IDAT", compressed.AsSpan(at, Math.Min(part, compressed.Length - at)));
            WriteChunk(png, "IEND", ReadOnlySpan<byte>.Empty);
            return png.ToArray();
        }

        public static void WriteChunk(Stream png, string type, ReadOnlySpan<byte> data)
        {
            var typeAndData = new byte[4 + data.Length];
            for (int i = 0; i < 4; i++) typeAndData[i] = (byte)type[i];
            data.CopyTo(typeAndData.AsSpan(4));
            Span<byte> word = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
            png.Write(word);
            png.Write(typeAndData);
            BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeAndData));
            png.Write(word);
        }

        /// <summary>Recomputes the CRC of the chunk starting at <paramref name="chunk"/> after a test edited it.</summary>
        public static void RewriteCrc(byte[] png, int chunk)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(chunk));
            BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(chunk + 8 + length), Crc32(png.AsSpan(chunk + 4, 4 + length)));
        }

        // PNG's CRC-32 (ISO 3309, reflected polynomial 0xEDB88320), bit by bit: slow and obviously the specification's.
        private static uint Crc32(ReadOnlySpan<byte> bytes)
        {
            uint crc = 0xFFFFFFFFu;
            foreach (byte b in bytes)
            {
                crc ^= b;
                for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
            return crc ^ 0xFFFFFFFFu;
        }

        // Written from the specification's pseudo-code (section 9.4), not shared with the decoder.
        private static int PaethBySpec(int a, int b, int c)
        {
            int p = a + b - c;
            int pa = Math.Abs(p - a);
            int pb = Math.Abs(p - b);
            int pc = Math.Abs(p - c);
            if (pa <= pb && pa <= pc) return a;
            else if (pb <= pc) return b;
            else return c;
        }
    }
}
