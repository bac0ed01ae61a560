// Reads serialized ONNX TensorProto files (.pb), the format of the ONNX backend test vectors.
using System;
using System.IO;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;
using QuantGen.Onnx.Proto;
using QuantGen.Onnx.Reading;

namespace QuantGen.Onnx
{
    public static class TensorFile
    {
        /// <summary>Reads a .pb file with the default resource limits.</summary>
        public static Tensor Read(string path) => Read(path, limits: null);

        /// <param name="path">The .pb file.</param>
        /// <param name="limits">The largest tensor this reads (checked before allocating); null for the defaults.</param>
        /// <exception cref="CompilerException">QG0001 (cannot read the file, or it is empty), QG0002 (not a TensorProto),
        /// QG0005 (element type QuantGen cannot hold), QG0009 (external data), QG0013 (larger than <paramref name="limits"/>).</exception>
        public static Tensor Read(string path, ResourceLimits? limits)
        {
            if (Directory.Exists(path))
                throw OnnxErrors.Unreadable($"The tensor path '{path}' is a folder, not a file.", path);
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is ArgumentException || e is NotSupportedException)
            {
                throw OnnxErrors.Unreadable($"The tensor file cannot be read: {e.Message}", path);
            }
            return Read(bytes, path, Path.GetDirectoryName(Path.GetFullPath(path)), limits);
        }

        /// <param name="sourcePath">The file name used in diagnostics, when the bytes came from one.</param>
        public static Tensor Read(byte[] bytes, string? sourcePath = null) => Read(bytes, sourcePath, baseDirectory: null, limits: null);

        private static Tensor Read(byte[] bytes, string? sourcePath, string? baseDirectory, ResourceLimits? limits)
        {
            if (bytes == null) throw new ArgumentNullException(nameof(bytes));
            if (bytes.Length == 0) throw OnnxErrors.Unreadable("The tensor file is empty (0 bytes).", sourcePath);
            try
            {
                var proto = ProtoParsing.Parse(TensorProto.Parser, bytes, "a serialized ONNX TensorProto", sourcePath);
                string label = proto.Name.Length > 0 ? $"tensor '{proto.Name}'" : "tensor";
                return new TensorReader(sourcePath, baseDirectory, limits).Read(proto, label);
            }
            catch (CompilerException)
            {
                throw;
            }
            catch (Exception e)
            {
                throw OnnxErrors.Malformed($"The file is not a valid serialized ONNX TensorProto ({e.GetType().Name}: {e.Message}).", sourcePath);
            }
        }
    }
}
