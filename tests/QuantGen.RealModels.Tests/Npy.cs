// Writes NumPy .npy files (format 1.0), the calibration format users hand QuantGen.
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace QuantGen.RealModels.Tests
{
    internal static class Npy
    {
        /// <summary>Samples of <paramref name="sampleShape"/> stacked along a leading axis, little-endian float32.</summary>
        public static void WriteFloat32(string path, IReadOnlyList<float[]> samples, int[] sampleShape)
        {
            using var writer = new BinaryWriter(File.Create(path));
            WriteHeader(writer, "<f4", samples.Count, sampleShape);
            foreach (var s in samples) foreach (float v in s) writer.Write(v);
        }

        /// <summary>Samples stacked along a leading axis, little-endian int64 (token ids).</summary>
        public static void WriteInt64(string path, IReadOnlyList<long[]> samples, int[] sampleShape)
        {
            using var writer = new BinaryWriter(File.Create(path));
            WriteHeader(writer, "<i8", samples.Count, sampleShape);
            foreach (var s in samples) foreach (long v in s) writer.Write(v);
        }

        private static void WriteHeader(BinaryWriter writer, string descr, int count, int[] sampleShape)
        {
            string shape = string.Join(", ", new[] { count }.Concat(sampleShape));
            string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({shape}), }}";
            int total = 10 + dict.Length + 1;
            dict = dict.PadRight(dict.Length + (64 - total % 64) % 64) + "\n";
            writer.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 });
            writer.Write((ushort)dict.Length);
            writer.Write(Encoding.ASCII.GetBytes(dict));
        }
    }
}
