// Calibration data, good and broken: the four formats (.f32, .npy, .csv, .pb), folders and globs, then damage
// (truncation, NaN/Inf, wrong shapes, lying headers, pipes and symlinks among the files).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Google.Protobuf;
using QuantGen.Fuzz.Cases;
using QuantGen.Onnx.Proto;

namespace QuantGen.Fuzz.Mutation
{
    internal static class DataMutations
    {
        /// <summary>From the data folder (project/data) to the secret no build may read.</summary>
        private const string SecretFromData = "../../outside/secret.bin";

        /// <summary>
        /// Adds calibration files for samples shaped <paramref name="sampleShape"/> to the case and points
        /// CalibrationData at them; <paramref name="damage"/> breaks them in one way.
        /// </summary>
        public static void Calibration(Random random, FuzzCase c, int[] sampleShape, IReadOnlyList<float[]> samples, bool damage)
        {
            string format = random.Pick(new[] { ".f32", ".f32", ".npy", ".npy", ".csv", ".pb" });
            if (format == ".csv" && samples[0].Length > 4096) format = ".npy";
            var list = samples.Select(s => (float[])s.Clone()).ToList();
            string target = "data/calib" + format;
            c.Set("CalibrationData", target);
            // Always a few: a mutation that shrinks the input turns the same bytes into thousands of samples, and calibrating
            // on all of them is slow the way a user's large data set is, not a hang.
            c.Set("CalibrationSamples", (2 + random.Next(6)).ToString(CultureInfo.InvariantCulture));
            if (!damage)
            {
                c.Files.Add(CaseFile.Of(target, Encode(format, sampleShape, list)));
                c.Mutations.Add($"calibration {format}, {list.Count} samples");
                return;
            }

            c.Family = "calibration";
            switch (random.Next(14))
            {
                case 0:
                {
                    int count = random.Pick(new[] { 1, 7, list.Count * sampleShape.Length });
                    for (int i = 0; i < count; i++) list[random.Next(list.Count)][random.Next(list[0].Length)] = random.Pick(new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity });
                    c.Files.Add(CaseFile.Of(target, Encode(format, sampleShape, list)));
                    c.Mutations.Add($"calibration {format} with {count} NaN/Inf values");
                    break;
                }
                case 1:
                {
                    var bytes = Encode(format, sampleShape, list);
                    int keep = random.Next(bytes.Length);
                    c.Files.Add(CaseFile.Of(target, bytes.AsSpan(0, keep).ToArray()));
                    c.Mutations.Add($"calibration {format} cut to {keep} of {bytes.Length} bytes");
                    break;
                }
                case 2:
                {
                    int delta = random.Pick(new[] { -1, 1, 7 });
                    var reshaped = list.Select(s => s.Take(Math.Max(0, s.Length + delta)).Concat(Enumerable.Repeat(0.5f, Math.Max(0, delta))).ToArray()).ToList();
                    var shape = (int[])sampleShape.Clone();
                    shape[shape.Length - 1] = Math.Max(0, shape[shape.Length - 1] + delta);
                    c.Files.Add(CaseFile.Of(target, Encode(format, shape, reshaped)));
                    c.Mutations.Add($"calibration {format} with samples of {reshaped[0].Length} values instead of {list[0].Length}");
                    break;
                }
                case 3:
                {
                    c.Files.Add(CaseFile.Of(target, Array.Empty<byte>()));
                    c.Mutations.Add($"calibration {format}, empty file");
                    break;
                }
                case 4:
                {
                    c.Files.Add(CaseFile.Of("data/calib.npy", BadNpy(random, sampleShape, list, c.Mutations)));
                    c.Set("CalibrationData", "data/calib.npy");
                    break;
                }
                case 5:
                {
                    c.Files.Add(CaseFile.Of("data/calib.csv", BadCsv(random, list, c.Mutations)));
                    c.Set("CalibrationData", "data/calib.csv");
                    break;
                }
                case 6:
                {
                    c.Files.Add(CaseFile.Of("data/calib.pb", BadTensorProto(random, sampleShape, list, c.Mutations)));
                    c.Set("CalibrationData", "data/calib.pb");
                    break;
                }
                case 7:
                {
                    // A folder of good files with a named pipe among them: the reader must not block on it.
                    c.Files.Add(CaseFile.Of("data/a.f32", Encode(".f32", sampleShape, list)));
                    c.Files.Add(CaseFile.Fifo("data/b" + random.Pick(new[] { ".f32", ".npy", ".csv", ".pb" })));
                    c.Set("CalibrationData", random.Next(2) == 0 ? "data" : "data/*");
                    c.Mutations.Add("calibration folder with a named pipe (FIFO) among the files");
                    break;
                }
                case 8:
                {
                    // The link sorts first, so a reader that stops after the samples it needs still reaches it.
                    c.Files.Add(CaseFile.Link("data/a.f32", SecretFromData));
                    c.Files.Add(CaseFile.Of("data/b.f32", Encode(".f32", sampleShape, list)));
                    c.Set("CalibrationData", random.Next(2) == 0 ? "data" : "data/*.f32");
                    c.ReachesOutside = true;
                    c.Mutations.Add("calibration folder with a symlink to a file outside it");
                    break;
                }
                case 9:
                {
                    c.Files.Add(CaseFile.Link("data/calib.f32", SecretFromData));
                    c.Set("CalibrationData", "data/calib.f32");
                    c.ReachesOutside = true;
                    c.Mutations.Add("calibration file is a symlink to a file outside the data folder");
                    break;
                }
                case 10:
                {
                    c.Files.Add(CaseFile.Fifo("data/calib.f32"));
                    c.Set("CalibrationData", "data/calib.f32");
                    c.Mutations.Add("calibration file is a named pipe (FIFO)");
                    break;
                }
                case 11:
                {
                    string device = random.Pick(new[] { "/dev/zero", "/dev/urandom", "/dev/null" });
                    c.Set("CalibrationData", device);
                    c.Mutations.Add($"calibration data is {device}");
                    break;
                }
                case 12:
                {
                    c.Files.Add(CaseFile.Folder("data/calib.f32"));
                    c.Files.Add(CaseFile.Of("data/calib.f32/x.f32", Encode(".f32", sampleShape, list)));
                    c.Set("CalibrationData", random.Next(2) == 0 ? "data/calib.f32" : "data/**/*.f32");
                    c.Mutations.Add("calibration folder named like a file");
                    break;
                }
                default:
                {
                    // Validation data alongside: the budget's reader sees the same damage.
                    c.Files.Add(CaseFile.Of(target, Encode(format, sampleShape, list)));
                    var bad = list.Select(s => (float[])s.Clone()).ToList();
                    bad[0][0] = float.NaN;
                    c.Files.Add(CaseFile.Of("data/valid.f32", Encode(".f32", sampleShape, bad)));
                    var labels = new byte[4 * bad.Count];
                    if (random.Next(2) == 0) labels = labels.AsSpan(0, labels.Length - 4).ToArray();
                    c.Files.Add(CaseFile.Of("data/valid.i32", labels));
                    c.Set("ValidationData", "data/valid.f32");
                    c.Set("ValidationLabels", "data/valid.i32");
                    c.Mutations.Add("validation data with a NaN (and maybe a label short)");
                    break;
                }
            }
        }

        public static byte[] Encode(string format, int[] sampleShape, IReadOnlyList<float[]> samples)
        {
            var floats = samples.SelectMany(s => s).ToArray();
            var raw = new byte[floats.Length * 4];
            Buffer.BlockCopy(floats, 0, raw, 0, raw.Length);
            var shape = new[] { samples.Count }.Concat(sampleShape).ToArray();
            switch (format)
            {
                case ".npy":
                    return Npy("'<f4'", "False", "(" + string.Join(", ", shape) + (shape.Length == 1 ? "," : "") + ")", raw, 1, null);
                case ".csv":
                    var text = new StringBuilder();
                    foreach (var s in samples) text.Append(string.Join(",", s.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))).Append('\n');
                    return Encoding.UTF8.GetBytes(text.ToString());
                case ".pb":
                    var t = new TensorProto { DataType = 1, RawData = ByteString.CopyFrom(raw) };
                    t.Dims.AddRange(shape.Select(d => (long)d));
                    return t.ToByteArray();
                default:
                    return raw;
            }
        }

        private static byte[] Npy(string descr, string fortran, string shape, byte[] data, int version, long? headerLengthLie)
        {
            string dict = "{'descr': " + descr + ", 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
            int prefix = version == 1 ? 10 : 12;
            int padded = (prefix + dict.Length + 1 + 63) / 64 * 64;
            dict = dict.PadRight(padded - prefix - 1) + "\n";
            var output = new MemoryStream();
            output.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0 });
            long length = headerLengthLie ?? dict.Length;
            if (version == 1) { output.WriteByte((byte)length); output.WriteByte((byte)(length >> 8)); }
            else output.Write(BitConverter.GetBytes((uint)length));
            output.Write(Encoding.ASCII.GetBytes(dict));
            output.Write(data);
            return output.ToArray();
        }

        private static byte[] BadNpy(Random random, int[] sampleShape, IReadOnlyList<float[]> samples, List<string> log)
        {
            var floats = samples.SelectMany(s => s).ToArray();
            var raw = new byte[floats.Length * 4];
            Buffer.BlockCopy(floats, 0, raw, 0, raw.Length);
            string shape = "(" + string.Join(", ", new[] { samples.Count }.Concat(sampleShape)) + ")";
            switch (random.Next(9))
            {
                case 0:
                    log.Add("calibration .npy declaring 2147483647 samples");
                    return Npy("'<f4'", "False", "(2147483647, " + string.Join(", ", sampleShape) + ")", raw, 1, null);
                case 1:
                    log.Add("calibration .npy of float64");
                    return Npy("'<f8'", "False", shape, raw, 1, null);
                case 2:
                    log.Add("calibration .npy in Fortran order");
                    return Npy("'<f4'", "True", shape, raw, 1, null);
                case 3:
                    log.Add("calibration .npy with a header length past the end");
                    return Npy("'<f4'", "False", shape, raw, 2, uint.MaxValue);
                case 4:
                    log.Add("calibration .npy with a negative dimension");
                    return Npy("'<f4'", "False", "(-3, " + string.Join(", ", sampleShape) + ")", raw, 1, null);
                case 5:
                    log.Add("calibration .npy with an unclosed shape tuple");
                    return Npy("'<f4'", "False", "(" + samples.Count + ", ", raw, 1, null);
                case 6:
                    log.Add("calibration .npy version 9");
                    return Npy("'<f4'", "False", shape, raw, 9, null);
                case 7:
                    log.Add("calibration .npy with huge dimensions whose product overflows");
                    return Npy("'<f4'", "False", "(65536, 65536, 65536)", raw, 3, null);
                default:
                    log.Add("calibration .npy of big-endian floats");
                    return Npy("'>f4'", "False", shape, raw, 1, null);
            }
        }

        private static byte[] BadCsv(Random random, IReadOnlyList<float[]> samples, List<string> log)
        {
            var rows = samples.Select(s => string.Join(",", s.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))).ToList();
            switch (random.Next(6))
            {
                case 0:
                    rows[Math.Min(2, rows.Count - 1)] = "1,two,3";
                    log.Add("calibration .csv with a word in a cell");
                    break;
                case 1:
                    rows[rows.Count - 1] += ",1";
                    log.Add("calibration .csv with a ragged row");
                    break;
                case 2:
                    rows[0] = rows[0].Replace(",", ",nan,").TrimEnd(',');
                    log.Add("calibration .csv with nan cells");
                    break;
                case 3:
                    rows = new List<string> { "a,b,c" };
                    log.Add("calibration .csv with only a header");
                    break;
                case 4:
                    rows.Insert(0, new string('9', 200_000));
                    log.Add("calibration .csv with a 200,000-character cell");
                    break;
                default:
                    rows[0] = "inf," + rows[0];
                    rows[0] = rows[0].Substring(0, rows[0].LastIndexOf(','));
                    log.Add("calibration .csv with inf");
                    break;
            }
            return Encoding.UTF8.GetBytes(string.Join("\n", rows));
        }

        private static byte[] BadTensorProto(Random random, int[] sampleShape, IReadOnlyList<float[]> samples, List<string> log)
        {
            var good = TensorProto.Parser.ParseFrom(Encode(".pb", sampleShape, samples));
            switch (random.Next(4))
            {
                case 0:
                    good.DataLocation = TensorProto.Types.DataLocation.External;
                    good.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = SecretFromData });
                    good.RawData = ByteString.Empty;
                    log.Add("calibration .pb whose data is external, outside the folder");
                    break;
                case 1:
                    good.DataType = 7;
                    log.Add("calibration .pb of int64");
                    break;
                default:
                    var local = new List<string>();
                    GraphMutations.MutateTensor(random, good, local);
                    log.Add("calibration .pb: " + string.Join(", ", local));
                    break;
            }
            return good.ToByteArray();
        }
    }
}
