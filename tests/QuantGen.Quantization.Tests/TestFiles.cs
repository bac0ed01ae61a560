// Writes small calibration files of every format into a temporary folder (the .npy writer lives here).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Google.Protobuf;
using QuantGen.Onnx.Proto;

namespace QuantGen.Quantization.Tests
{
    internal sealed class TempFolder : IDisposable
    {
        public TempFolder()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "qg-calib-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }

    internal static class TestFiles
    {
        /// <summary>Samples whose values say where they came from: sample s, element i → s·1000 + i + offset.</summary>
        public static float[][] Samples(int count, int size, float offset = 0) =>
            Enumerable.Range(0, count).Select(s => Enumerable.Range(0, size).Select(i => s * 1000 + i + offset + 0.25f).ToArray()).ToArray();

        /// <summary>A NumPy .npy file (format <paramref name="version"/>), header padded to 64 bytes as numpy does.</summary>
        public static void WriteNpy(string path, int[] shape, float[] data, int version = 1, string descr = "<f4", bool fortran = false, int? bytesOverride = null)
        {
            string dims = shape.Length == 1 ? shape[0] + "," : string.Join(", ", shape);
            string dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': (" + dims + "), }";
            int prefix = 6 + 2 + (version == 1 ? 2 : 4);
            int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
            string header = dict + new string(' ', total - prefix - dict.Length - 1) + "\n";
            using var stream = System.IO.File.Create(path);
            stream.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0 }, 0, 8);
            int length = header.Length;
            if (version == 1) stream.Write(new[] { (byte)length, (byte)(length >> 8) }, 0, 2);
            else stream.Write(BitConverter.GetBytes(length), 0, 4);
            var headerBytes = Encoding.ASCII.GetBytes(header);
            stream.Write(headerBytes, 0, headerBytes.Length);
            var bytes = Bytes(data);
            stream.Write(bytes, 0, bytesOverride ?? bytes.Length);
        }

        public static void WriteF32(string path, IEnumerable<float[]> samples) =>
            System.IO.File.WriteAllBytes(path, Bytes(samples.SelectMany(s => s).ToArray()));

        public static void WriteCsv(string path, IEnumerable<float[]> samples, string? header = null)
        {
            var sb = new StringBuilder();
            if (header != null) sb.Append(header).Append('\n');
            foreach (var s in samples) sb.Append(string.Join(",", s.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))).Append("\r\n");
            System.IO.File.WriteAllText(path, sb.ToString());
        }

        /// <summary>An ONNX TensorProto, with raw_data (as exporters write) or packed float_data.</summary>
        public static void WritePb(string path, int[] shape, float[] data, bool raw = true, int dataType = 1)
        {
            var proto = new TensorProto { Name = "calibration", DataType = dataType };
            foreach (int d in shape) proto.Dims.Add(d);
            if (raw) proto.RawData = ByteString.CopyFrom(Bytes(data));
            else proto.FloatData.AddRange(data);
            System.IO.File.WriteAllBytes(path, proto.ToByteArray());
        }

        public static byte[] Bytes(float[] data)
        {
            var bytes = new byte[data.Length * 4];
            Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
            return bytes;
        }

        public static float[] Flatten(IEnumerable<float[]> samples) => samples.SelectMany(s => s).ToArray();
    }
}
