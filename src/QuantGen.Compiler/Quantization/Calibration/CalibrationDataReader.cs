// Reads calibration samples (.npy, .csv, .f32, .pb) from a file, a folder or a glob, one sample at a time.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;
using QuantGen.Onnx;

namespace QuantGen.Compiler.Quantization.Calibration
{
    /// <summary>
    /// Turns the <c>CalibrationData</c> metadata into a lazy stream of float samples shaped like one
    /// model input without its batch axis. Files are opened one at a time and read row by row, so
    /// memory does not grow with the number of samples (a .pb file is the exception: one
    /// TensorProto is parsed whole, as protobuf requires).
    /// </summary>
    public sealed class CalibrationDataReader
    {
        /// <summary>The extensions a folder or glob picks up, in the casing users write them.</summary>
        public static readonly IReadOnlyList<string> SupportedExtensions = new[] { ".npy", ".csv", ".f32", ".pb" };

        private readonly ResourceLimits _limits;

        /// <param name="sampleShape">One sample's shape (the model input without the batch axis).</param>
        /// <param name="inputName">The model input's name, for messages.</param>
        /// <param name="limits">The largest .pb file (one tensor, parsed whole) this reader loads; null for the defaults.</param>
        public CalibrationDataReader(int[] sampleShape, string inputName = "input", ResourceLimits? limits = null)
        {
            _limits = limits ?? new ResourceLimits();
            SampleShape = sampleShape ?? throw new ArgumentNullException(nameof(sampleShape));
            SampleSize = checked((int)Tensor.ElementCountOf(sampleShape));
            if (SampleSize == 0) throw new ArgumentException("the sample shape has no elements", nameof(sampleShape));
            InputName = inputName;
        }

        public int[] SampleShape { get; }

        /// <summary>Floats per sample.</summary>
        public int SampleSize { get; }

        public string InputName { get; }

        /// <summary>
        /// The sample shape of a model input: the shape without its leading axis when that axis is the
        /// batch axis (symbolic, or a fixed 1 on an input of rank ≥ 2), else the whole shape.
        /// </summary>
        public static int[] SampleShapeOf(Value input)
        {
            var shape = input.Shape ?? throw new ArgumentException($"input '{input.Name}' has no shape", nameof(input));
            bool leadingBatch = input.IsBatched || (shape.Length >= 2 && shape[0] == 1);
            return leadingBatch ? shape.Skip(1).ToArray() : (int[])shape.Clone();
        }

        /// <summary>
        /// The samples of <paramref name="source"/> (a file, a folder, or a glob), in file order (sorted
        /// ordinally), at most <paramref name="maxSamples"/>. Which files are meant is resolved at once
        /// (QG0101 here when there are none); reading is lazy: a file is opened when the enumeration
        /// reaches it, and its errors (QG0102–QG0104) surface there as <see cref="CompilerException"/>.
        /// </summary>
        public IEnumerable<float[]> ReadSamples(string source, int maxSamples = int.MaxValue)
        {
            if (maxSamples < 0) throw new ArgumentOutOfRangeException(nameof(maxSamples));
            return Enumerate(ResolveFiles(source), source, maxSamples);
        }

        /// <summary>Like <see cref="ReadSamples"/> with each sample wrapped as a tensor of the model input's shape.</summary>
        public IEnumerable<Tensor> ReadTensors(string source, int[] inputShape, int maxSamples = int.MaxValue) =>
            ReadSamples(source, maxSamples).Select(s => Tensor.FromFloats(inputShape, s));

        private IEnumerable<float[]> Enumerate(IReadOnlyList<string> files, string source, int maxSamples)
        {
            int count = 0;
            if (maxSamples == 0) yield break;
            // Every file is checked before any is read, so a link out of the folder is refused even when the samples the
            // build asks for come before it.
            string folder = DataFolder(source);
            var checkedFiles = files.Select(f => (File: f, Real: Checked(f, folder))).ToList();
            int unopened = checkedFiles.Count(f => f.Real == null);
            foreach (var (file, real) in checkedFiles)
            {
                if (real == null) continue;
                int index = 0;
                foreach (var sample in ReadFile(real))
                {
                    RequireFinite(sample, file, index++);
                    yield return sample;
                    if (++count >= maxSamples) yield break;
                }
            }
            if (count == 0)
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.DataMissing,
                    $"the calibration data '{source}' holds no samples; expected samples shaped {Describe(SampleShape)} for input '{InputName}'." +
                    (unopened > 0 ? $" {unopened} of its files {(unopened == 1 ? "is" : "are")} empty or not regular files (named pipes, devices), which QuantGen does not open." : ""), source);
        }

        /// <summary>
        /// The files <paramref name="source"/> names, sorted ordinally: the file itself; every supported
        /// file directly in a folder; or, for a glob, the files matching <c>*</c> and <c>?</c> in the last
        /// segment (a <c>**</c> segment before it searches sub-folders).
        /// </summary>
        public static IReadOnlyList<string> ResolveFiles(string source)
        {
            if (string.IsNullOrWhiteSpace(source))
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.DataMissing, "no calibration data was given (CalibrationData is empty).", null);
            if (File.Exists(source)) return new[] { source };
            if (Directory.Exists(source))
            {
                var inFolder = Sorted(Directory.EnumerateFiles(source).Where(IsSupported));
                if (inFolder.Count == 0)
                    throw CalibrationDiagnostics.Error(CalibrationDiagnostics.DataMissing,
                        $"the calibration folder '{source}' holds no {string.Join(", ", SupportedExtensions)} files.", source);
                return inFolder;
            }
            int wildcard = source.IndexOfAny(new[] { '*', '?' });
            if (wildcard < 0)
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.DataMissing, $"the calibration data '{source}' does not exist.", source);
            int rootEnd = source.LastIndexOfAny(new[] { '/', '\\' }, wildcard);
            string root = rootEnd < 0 ? "." : source.Substring(0, rootEnd);
            string[] parts = source.Substring(rootEnd + 1).Replace('\\', '/').Split('/');
            bool recursive = parts.Length == 2 && parts[0] == "**";
            if (parts.Length > 2 || (parts.Length == 2 && !recursive))
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.DataMissing,
                    $"the calibration glob '{source}' has a wildcard in a folder name; only the file name may use * and ?, after an optional **/ for sub-folders.", source);
            string pattern = parts[parts.Length - 1];
            var matches = Directory.Exists(root)
                ? Sorted(Directory.EnumerateFiles(root, "*", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
                    .Where(f => WildcardMatch(pattern, Path.GetFileName(f))))
                : new List<string>();
            if (matches.Count == 0)
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.DataMissing, $"the calibration glob '{source}' matches no file.", source);
            return matches;
        }

        /// <summary>The folder CalibrationData names: the folder itself, a file's folder, or a glob's folder before its wildcard.</summary>
        private static string DataFolder(string source)
        {
            if (Directory.Exists(source)) return source;
            if (File.Exists(source)) return Path.GetDirectoryName(Path.GetFullPath(source)) ?? ".";
            int wildcard = source.IndexOfAny(new[] { '*', '?' });
            int rootEnd = wildcard < 0 ? -1 : source.LastIndexOfAny(new[] { '/', '\\' }, wildcard);
            return rootEnd < 0 ? "." : source.Substring(0, rootEnd);
        }

        /// <summary>
        /// The real path of a file to read, once it is known to be safe to open: inside the data's folder once symlinks are
        /// followed (the user named the folder, not whatever a link in it points to). Null for a file that reports no bytes:
        /// empty, or not a regular file (a named pipe or a device report none, and opening a pipe would block the build
        /// forever), so it is never opened and holds no samples.
        /// </summary>
        private string? Checked(string file, string folder)
        {
            string? real = InputFiles.RealPath(file);
            if (real == null)
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.DataUnreadable, $"the calibration file '{file}' does not exist (or is a broken or looping symlink).", file);
            string root = InputFiles.RealPath(folder) ?? Path.GetFullPath(folder);
            if (!InputFiles.IsInside(real, root))
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.DataUnreadable,
                    $"the calibration file '{file}' leads to '{real}', outside the data's folder '{folder}'; QuantGen reads calibration data only from inside the folder CalibrationData names. Copy the file there, or point CalibrationData at its real location.", file);
            long length = InputFiles.Length(real);
            if (length < 0)
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.DataUnreadable, $"the calibration file '{file}' is not a file.", file);
            if (length == 0) return null;
            if (Path.GetExtension(file).Equals(".pb", StringComparison.OrdinalIgnoreCase) && length > _limits.MaxTensorBytes)
                _limits.CheckTensor(length / 4, 4, $"the calibration file '{file}' (one TensorProto, read whole)", file, null);
            return real;
        }

        /// <summary>NaN or an infinity would stretch (or poison) every range measured on the sample: refused, with where it is.</summary>
        private static void RequireFinite(float[] sample, string file, int index)
        {
            int bad = 0, first = -1;
            for (int i = 0; i < sample.Length; i++)
            {
                if (!float.IsNaN(sample[i]) && !float.IsInfinity(sample[i])) continue;
                bad++;
                if (first < 0) first = i;
            }
            if (bad > 0)
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.NonFiniteValues,
                    $"the calibration file '{file}' sample {index} holds {bad} NaN or infinite value{(bad == 1 ? "" : "s")} (the first at element {first}); value ranges measured on it would be meaningless. Remove or repair the samples with missing or overflowing values.", file);
        }

        /// <summary>"[3,32,32] (3072 floats)": how messages name the expected sample.</summary>
        public static string Describe(int[] shape) =>
            "[" + string.Join(",", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "] (" +
            Tensor.ElementCountOf(shape).ToString(CultureInfo.InvariantCulture) + (Tensor.ElementCountOf(shape) == 1 ? " float)" : " floats)");

        private IEnumerable<float[]> ReadFile(string file)
        {
            switch (Path.GetExtension(file).ToLowerInvariant())
            {
                case ".npy": return ReadNpy(file);
                case ".csv": return ReadCsv(file);
                case ".f32": return ReadRaw(file);
                case ".pb": return ReadTensorProto(file);
                default:
                    throw CalibrationDiagnostics.Error(CalibrationDiagnostics.FormatUnsupported,
                        $"the calibration file '{file}' has an unsupported type; use .npy (float32), .csv, .f32 (raw little-endian float32) or .pb (ONNX TensorProto).", file);
            }
        }

        // ---- raw .f32: consecutive samples, no header ----

        private IEnumerable<float[]> ReadRaw(string file)
        {
            using var stream = Open(file);
            long bytes = stream.Length;
            if (bytes % 4 != 0 || bytes / 4 % SampleSize != 0)
                throw Mismatch(file, bytes % 4 != 0
                    ? $"the file is {bytes} bytes, not a whole number of float32 values"
                    : $"the file holds {bytes / 4} floats, which is not a multiple of {SampleSize}");
            long samples = bytes / 4 / SampleSize;
            if (samples == 0) yield break;
            var buffer = new byte[SampleSize * 4];
            for (long s = 0; s < samples; s++)
            {
                ReadExactly(stream, buffer, file);
                yield return ToFloats(buffer);
            }
        }

        // ---- NumPy .npy, format versions 1–3 ----

        private IEnumerable<float[]> ReadNpy(string file)
        {
            using var stream = Open(file);
            var header = NpyHeader.Read(stream, file);
            if (header.FortranOrder)
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.FormatUnsupported,
                    $"the calibration file '{file}' stores its array in Fortran order; save it in C order (numpy.ascontiguousarray) before use.", file);
            if (header.Descr != "<f4" && header.Descr != "|f4")
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.FormatUnsupported,
                    $"the calibration file '{file}' holds '{header.Descr}' data; QuantGen reads little-endian float32 ('<f4'). Convert it with array.astype(numpy.float32).", file);
            long count = SamplesIn(header.Shape, file, "an array shaped");
            long dataBytes = stream.Length - stream.Position;
            if (dataBytes < count * SampleSize * 4L)
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.DataUnreadable,
                    $"the calibration file '{file}' is truncated: its header declares shape {Dims(header.Shape)} but only {dataBytes} data bytes follow.", file);
            var buffer = new byte[SampleSize * 4];
            for (long s = 0; s < count; s++)
            {
                ReadExactly(stream, buffer, file);
                yield return ToFloats(buffer);
            }
        }

        // ---- CSV: one sample per row, comma-separated, optional header row ----

        private IEnumerable<float[]> ReadCsv(string file)
        {
            using var stream = Open(file);
            using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            int lineNumber = 0;
            bool firstRow = true;
            string? line;
            while ((line = ReadLine(reader, file)) != null)
            {
                lineNumber++;
                if (line.Trim().Length == 0) continue;
                var cells = line.Split(',');
                var sample = new float[cells.Length];
                int bad = -1;
                for (int i = 0; i < cells.Length; i++)
                {
                    if (!TryParseCell(cells[i], out sample[i])) { bad = i; break; }
                }
                if (bad >= 0)
                {
                    // Only the first row may be a header: any non-numeric cell there marks it as one.
                    if (firstRow) { firstRow = false; continue; }
                    throw CalibrationDiagnostics.Error(CalibrationDiagnostics.DataUnreadable,
                        $"the calibration file '{file}' line {lineNumber}, column {bad + 1}: '{cells[bad].Trim()}' is not a number.", file);
                }
                firstRow = false;
                if (sample.Length != SampleSize)
                    throw Mismatch(file, $"the file holds {sample.Length} values per row (line {lineNumber})");
                yield return sample;
            }
        }

        private static bool TryParseCell(string cell, out float value)
        {
            string s = cell.Trim();
            if (s.Length >= 2 && s[0] == '"' && s[s.Length - 1] == '"') s = s.Substring(1, s.Length - 2).Trim();
            if (s.Equals("nan", StringComparison.OrdinalIgnoreCase)) { value = float.NaN; return true; }
            if (s.Equals("inf", StringComparison.OrdinalIgnoreCase) || s.Equals("+inf", StringComparison.OrdinalIgnoreCase)) { value = float.PositiveInfinity; return true; }
            if (s.Equals("-inf", StringComparison.OrdinalIgnoreCase)) { value = float.NegativeInfinity; return true; }
            return float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }

        // ---- ONNX TensorProto .pb: one tensor, [N, ...sample] or one sample ----

        private IEnumerable<float[]> ReadTensorProto(string file)
        {
            Tensor tensor;
            try
            {
                tensor = TensorFile.Read(file, _limits);
            }
            catch (CompilerException e) when (!e.Diagnostic.Id.StartsWith("QG01", StringComparison.Ordinal) && e.Diagnostic.Id != DiagnosticIds.ResourceLimit)
            {
                // The ONNX reader's ids (QG0001/QG0002/QG0005) become calibration ids, keeping its message; a resource
                // limit (QG0013, naming the file and the property that raises it) stays what it is.
                string id = e.Diagnostic.Id == DiagnosticIds.UnsupportedDataType ? CalibrationDiagnostics.FormatUnsupported : CalibrationDiagnostics.DataUnreadable;
                throw CalibrationDiagnostics.Error(id, $"the calibration file '{file}' cannot be read: {e.Diagnostic.Message}", file);
            }
            if (tensor.Type != DataType.Float32)
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.FormatUnsupported,
                    $"the calibration file '{file}' holds a {DataTypes.Name(tensor.Type)} tensor; QuantGen reads float32 tensors.", file);
            long count = SamplesIn(tensor.Shape, file, "a tensor shaped");
            var data = tensor.Floats;
            for (long s = 0; s < count; s++)
            {
                var sample = new float[SampleSize];
                Array.Copy(data, s * SampleSize, sample, 0, SampleSize);
                yield return sample;
            }
        }

        /// <summary>
        /// How many samples an array holds: [N, ...sample] (any trailing dims with the sample's element
        /// count), or exactly one sample shaped like the input.
        /// </summary>
        private long SamplesIn(int[] shape, string file, string what)
        {
            if (shape.Length == SampleShape.Length && shape.SequenceEqual(SampleShape) && shape.Length != 1) return 1;
            if (shape.Length >= 1)
            {
                long perRow = Tensor.ElementCountOf(shape.Skip(1).ToArray());
                if (perRow == SampleSize) return shape[0];
                if (shape.Length == 1 && shape[0] == SampleSize) return 1;
                throw Mismatch(file, $"the file holds {what} {Dims(shape)} ({perRow} values per sample)");
            }
            if (SampleSize == 1) return 1;
            throw Mismatch(file, $"the file holds a scalar");
        }

        // ---- helpers ----

        private CompilerException Mismatch(string file, string holds) =>
            CalibrationDiagnostics.Error(CalibrationDiagnostics.SampleShapeMismatch,
                $"the calibration file '{file}' does not fit input '{InputName}': expected samples shaped {Describe(SampleShape)}, {holds}.", file);

        private static FileStream Open(string file)
        {
            try
            {
                return new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is NotSupportedException || e is ArgumentException)
            {
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.DataUnreadable, $"the calibration file '{file}' cannot be read: {e.Message}", file);
            }
        }

        private static string? ReadLine(StreamReader reader, string file)
        {
            try
            {
                return reader.ReadLine();
            }
            catch (IOException e)
            {
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.DataUnreadable, $"the calibration file '{file}' cannot be read: {e.Message}", file);
            }
        }

        internal static void ReadExactly(Stream stream, byte[] buffer, string file)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                int n = stream.Read(buffer, done, buffer.Length - done);
                if (n <= 0)
                    throw CalibrationDiagnostics.Error(CalibrationDiagnostics.DataUnreadable, $"the calibration file '{file}' ended early (truncated).", file);
                done += n;
            }
        }

        private static float[] ToFloats(byte[] bytes)
        {
            var result = new float[bytes.Length / 4];
            if (BitConverter.IsLittleEndian)
            {
                Buffer.BlockCopy(bytes, 0, result, 0, bytes.Length);
            }
            else
            {
                for (int i = 0; i < result.Length; i++)
                {
                    Array.Reverse(bytes, i * 4, 4);
                    result[i] = BitConverter.ToSingle(bytes, i * 4);
                }
            }
            return result;
        }

        private static bool IsSupported(string file) =>
            SupportedExtensions.Contains(Path.GetExtension(file).ToLowerInvariant());

        private static List<string> Sorted(IEnumerable<string> files)
        {
            var list = files.ToList();
            list.Sort(StringComparer.Ordinal);
            return list;
        }

        /// <summary>Ordinal match of <c>*</c> (any run) and <c>?</c> (one character); no 8.3-name quirks.</summary>
        internal static bool WildcardMatch(string pattern, string name)
        {
            int p = 0, n = 0, star = -1, mark = 0;
            while (n < name.Length)
            {
                if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == name[n])) { p++; n++; }
                else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = n; }
                else if (star >= 0) { p = star + 1; n = ++mark; }
                else return false;
            }
            while (p < pattern.Length && pattern[p] == '*') p++;
            return p == pattern.Length;
        }

        private static string Dims(int[] shape) => "[" + string.Join(",", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

        /// <summary>The .npy header: magic, version, little-endian header length, then a Python dict literal.</summary>
        private sealed class NpyHeader
        {
            public string Descr = "";
            public bool FortranOrder;
            public int[] Shape = Array.Empty<int>();

            public static NpyHeader Read(Stream stream, string file)
            {
                var prefix = new byte[8];
                ReadExactly(stream, prefix, file);
                if (prefix[0] != 0x93 || prefix[1] != (byte)'N' || prefix[2] != (byte)'U' || prefix[3] != (byte)'M' || prefix[4] != (byte)'P' || prefix[5] != (byte)'Y')
                    throw Unreadable(file, "it does not start with the NumPy magic \\x93NUMPY");
                int major = prefix[6];
                // Version 1 stores the header length in 2 bytes, versions 2 and 3 in 4 (little-endian).
                if (major < 1 || major > 3) throw Unreadable(file, $"it uses .npy format version {major}, which QuantGen does not read (versions 1 to 3)");
                var len = new byte[major == 1 ? 2 : 4];
                ReadExactly(stream, len, file);
                long headerLength = 0;
                for (int i = len.Length - 1; i >= 0; i--) headerLength = (headerLength << 8) | len[i];
                if (headerLength > 1 << 24) throw Unreadable(file, "its header length is implausible");
                var text = new byte[headerLength];
                ReadExactly(stream, text, file);
                string dict = (major == 3 ? Encoding.UTF8 : Encoding.ASCII).GetString(text).Trim();
                return Parse(dict, file);
            }

            private static NpyHeader Parse(string dict, string file)
            {
                var h = new NpyHeader();
                string? descr = StringField(dict, "descr");
                if (descr == null) throw Unreadable(file, "its header has no 'descr'");
                h.Descr = descr;
                string? fortran = RawField(dict, "fortran_order");
                h.FortranOrder = fortran != null && fortran.StartsWith("True", StringComparison.Ordinal);
                string? shape = RawField(dict, "shape");
                if (shape == null || !shape.StartsWith("(", StringComparison.Ordinal)) throw Unreadable(file, "its header has no 'shape' tuple");
                int close = shape.IndexOf(')');
                if (close < 0) throw Unreadable(file, "its 'shape' tuple is not closed");
                var dims = new List<int>();
                foreach (var part in shape.Substring(1, close - 1).Split(','))
                {
                    string t = part.Trim().TrimEnd('L');
                    if (t.Length == 0) continue;
                    if (!int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int d)) throw Unreadable(file, $"its shape has a bad dimension '{part.Trim()}'");
                    dims.Add(d);
                }
                h.Shape = dims.ToArray();
                return h;
            }

            /// <summary>The text after <c>'key':</c> up to the end of the dict.</summary>
            private static string? RawField(string dict, string key)
            {
                int at = dict.IndexOf("'" + key + "'", StringComparison.Ordinal);
                if (at < 0) at = dict.IndexOf("\"" + key + "\"", StringComparison.Ordinal);
                if (at < 0) return null;
                int colon = dict.IndexOf(':', at + key.Length + 2);
                return colon < 0 ? null : dict.Substring(colon + 1).TrimStart();
            }

            private static string? StringField(string dict, string key)
            {
                string? raw = RawField(dict, key);
                if (raw == null || raw.Length < 2 || (raw[0] != '\'' && raw[0] != '"')) return null;
                int end = raw.IndexOf(raw[0], 1);
                return end < 0 ? null : raw.Substring(1, end - 1);
            }

            private static CompilerException Unreadable(string file, string why) =>
                CalibrationDiagnostics.Error(CalibrationDiagnostics.DataUnreadable, $"the calibration file '{file}' is not a valid .npy file: {why}.", file);
        }
    }
}
