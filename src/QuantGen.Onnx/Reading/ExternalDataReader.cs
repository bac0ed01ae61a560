// Reads a tensor's bytes from an external data file (data_location = EXTERNAL), as large ONNX models store weights.
using System;
using System.Globalization;
using System.IO;
using QuantGen.Ir.Diagnostics;
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

        /// <summary>
        /// Returns exactly <paramref name="expectedLength"/> bytes, or throws QG0009 (the file) / QG0002 (bad keys). The file
        /// is checked before it is opened: inside the model's folder once symlinks are resolved, and a plain file holding the
        /// bytes asked for (a named pipe or a device reports no length, so it is never opened).
        /// </summary>
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
            if (length == 0) return Array.Empty<byte>();
            long size = InputFiles.Length(path);
            if (size < 0)
                throw OnnxErrors.ExternalDataMissing($"The external data file '{location}' of the {label} is not a file. Copy the model's data files next to it.", _file);
            if (size == 0)
                throw OnnxErrors.ExternalDataMissing($"The external data file '{location}' of the {label} is empty, or not a regular file (a named pipe, a device or a socket), which QuantGen does not open.", _file);
            if (offset > size || size - offset < length)
            {
                throw OnnxErrors.ExternalDataMissing(
                    $"The external data file '{location}' is {size} bytes long, but the {label} needs bytes {offset} to {offset + length}. Copy the complete file next to the model.",
                    _file);
            }
            try
            {
                var bytes = new byte[length];
                if (!InputFiles.ReadExactly(path, offset, bytes))
                    throw OnnxErrors.ExternalDataMissing($"The external data file '{location}' ended before the {length} bytes of the {label}.", _file);
                return bytes;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw OnnxErrors.ExternalDataMissing(
                    $"The external data file '{location}' for the {label} cannot be read ({e.Message}). Keep external data files next to the model.",
                    _file);
            }
        }

        /// <summary>
        /// ONNX requires locations relative to the model's folder. Refusing others, after resolving symlinks on both sides,
        /// stops a model from reading any other file at build time (its bytes would end up in the built assembly).
        /// </summary>
        private string Resolve(string location, string label)
        {
            if (location.IndexOf('\0') >= 0)
                throw OnnxErrors.ExternalDataMissing($"The {label} names an external data file with a NUL character in its name, which no file has.", _file);
            string outside = $"The {label} names the external data file '{location}', which is outside the model's folder; ONNX requires a path relative to the model, and QuantGen reads no file outside that folder (symlinks included).";
            if (Path.IsPathRooted(location)) throw OnnxErrors.ExternalDataMissing(outside, _file);
            string root = InputFiles.RealPath(_baseDirectory!) ?? Path.GetFullPath(_baseDirectory!);
            string path;
            try
            {
                path = Path.GetFullPath(Path.Combine(root, location));
            }
            catch (Exception e) when (e is ArgumentException || e is NotSupportedException || e is PathTooLongException)
            {
                throw OnnxErrors.ExternalDataMissing($"The {label} names the external data file '{location}', which is not a valid path.", _file);
            }
            // The name as written must stay inside (no ".." out), and so must the file it leads to once links are followed.
            if (!InputFiles.IsInside(path, root)) throw OnnxErrors.ExternalDataMissing(outside, _file);
            string? real = InputFiles.RealPath(path);
            if (real == null)
                throw OnnxErrors.ExternalDataMissing($"The external data file '{location}' of the {label} does not exist (or is a broken or looping symlink). Copy the model's data files next to it.", _file);
            if (!InputFiles.IsInside(real, root)) throw OnnxErrors.ExternalDataMissing(outside, _file);
            return real;
        }

        private long ParseNumber(StringStringEntryProto entry, string label)
        {
            if (long.TryParse(entry.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long value)) return value;
            throw OnnxErrors.Malformed($"The {label} has external data {entry.Key} '{entry.Value}', which is not a non-negative integer.", _file);
        }
    }
}
