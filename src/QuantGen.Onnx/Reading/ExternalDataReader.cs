// Reads a tensor's bytes from an external data file (data_location = EXTERNAL), as large ONNX models store weights.
using System;
using System.Globalization;
using System.IO;
using QuantGen.Onnx.Proto;

namespace QuantGen.Onnx.Reading
{
    internal sealed class ExternalDataReader
    {
        private readonly string? _file;
        private readonly string? _baseDirectory;

        public ExternalDataReader(string? file, string? baseDirectory)
        {
            _file = file;
            _baseDirectory = baseDirectory;
        }

        /// <summary>Returns exactly <paramref name="expectedLength"/> bytes, or throws QG0009 (file) / QG0002 (bad keys).</summary>
        public byte[] Read(TensorProto proto, string label, long expectedLength)
        {
            string? location = null;
            long offset = 0;
            long length = expectedLength;
            foreach (var entry in proto.ExternalData)
            {
                switch (entry.Key)
                {
                    case "location": location = entry.Value; break;
                    case "offset": offset = ParseNumber(entry, label); break;
                    case "length": length = ParseNumber(entry, label); break;
                }
            }

            if (string.IsNullOrEmpty(location))
                throw OnnxErrors.Malformed($"The {label} is stored externally but has no 'location' entry.", _file);
            if (length != expectedLength)
                throw OnnxErrors.Malformed($"The {label} declares {length} bytes of external data, but its shape needs {expectedLength}.", _file);
            if (_baseDirectory == null)
                throw OnnxErrors.ExternalDataMissing($"The {label} is stored in the external file '{location}', but the model was read from memory, so there is no folder to look in.", _file);

            string path = Resolve(location!, label);
            try
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
                if (stream.Length < offset + length)
                {
                    throw OnnxErrors.ExternalDataMissing(
                        $"The external data file '{path}' is {stream.Length} bytes long, but the {label} needs bytes {offset} to {offset + length}. Copy the complete file next to the model.",
                        _file);
                }
                stream.Position = offset;
                var bytes = new byte[length];
                int read = 0;
                while (read < bytes.Length)
                {
                    int n = stream.Read(bytes, read, bytes.Length - read);
                    if (n == 0) break;
                    read += n;
                }
                if (read != bytes.Length)
                    throw OnnxErrors.ExternalDataMissing($"The external data file '{path}' ended after {read} of the {length} bytes of the {label}.", _file);
                return bytes;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw OnnxErrors.ExternalDataMissing(
                    $"The external data file '{path}' for the {label} cannot be read ({e.Message}). Keep external data files next to the model.",
                    _file);
            }
        }

        /// <summary>ONNX requires locations relative to the model's folder; refusing others stops a model from reading arbitrary files at build time.</summary>
        private string Resolve(string location, string label)
        {
            string root = Path.GetFullPath(_baseDirectory!);
            string path = Path.GetFullPath(Path.Combine(root, location));
            string rootWithSeparator = root.EndsWith(Path.DirectorySeparatorChar.ToString(), StringComparison.Ordinal) ? root : root + Path.DirectorySeparatorChar;
            if (Path.IsPathRooted(location) || !path.StartsWith(rootWithSeparator, StringComparison.Ordinal))
                throw OnnxErrors.ExternalDataMissing($"The {label} names the external data file '{location}', which is outside the model's folder; ONNX requires a path relative to the model.", _file);
            return path;
        }

        private long ParseNumber(StringStringEntryProto entry, string label)
        {
            if (long.TryParse(entry.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long value)) return value;
            throw OnnxErrors.Malformed($"The {label} has external data {entry.Key} '{entry.Value}', which is not a non-negative integer.", _file);
        }
    }
}
