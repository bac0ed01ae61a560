// Reads an .onnx file into the compiler's graph IR; every failure is a CompilerException with a QGxxxx id.
using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;
using QuantGen.Onnx.Proto;
using QuantGen.Onnx.Reading;

namespace QuantGen.Onnx
{
    public static class OnnxModelReader
    {
        /// <summary>Protobuf cannot hold a message of 2 GiB or more, so no .onnx file is that large (larger weights go to external data).</summary>
        private const long MaxModelBytes = int.MaxValue;

        /// <summary>Reads the model at <paramref name="path"/>; external data files are looked up next to it.</summary>
        /// <exception cref="CompilerException">QG0001 (cannot read the file, or it is empty), QG0002 (not a valid model),
        /// QG0004/QG0005 (attribute or element type QuantGen cannot hold), QG0007 (inconsistent graph), QG0009 (external data),
        /// QG0013 (a tensor past <paramref name="limits"/>).</exception>
        public static Graph Read(string path, ResourceLimits? limits = null)
        {
            if (Directory.Exists(path))
                throw OnnxErrors.Unreadable($"The model path '{path}' is a folder, not a file.", path);
            // Never opened unless stat says it is a plain file with bytes: opening a named pipe blocks, a device never ends.
            long length = InputFiles.Length(path);
            if (length < 0) throw OnnxErrors.Unreadable($"The model file '{path}' does not exist.", path);
            if (length == 0)
                throw OnnxErrors.Unreadable("The model file is empty (0 bytes), or not a regular file (a named pipe or a device). If it is stored with Git LFS, run 'git lfs pull'.", path);
            if (length > MaxModelBytes)
                throw OnnxErrors.Malformed($"The file is {length} bytes long; no ONNX model is 2 GiB or larger (protobuf's limit; larger weights are stored as external data).", path);
            byte[] bytes = new byte[length];
            try
            {
                if (!InputFiles.ReadExactly(path, 0, bytes))
                    throw OnnxErrors.Unreadable("The model file became shorter while it was read.", path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is ArgumentException || e is NotSupportedException)
            {
                throw OnnxErrors.Unreadable($"The model file cannot be read: {e.Message}", path);
            }
            return Read(bytes, path, Path.GetDirectoryName(Path.GetFullPath(path)), limits);
        }

        /// <summary>Reads a model already in memory.</summary>
        /// <param name="sourcePath">The file name used in diagnostics and <see cref="ModelInfo.SourcePath"/>.</param>
        /// <param name="baseDirectory">The folder of external data files, or null when the model has none.</param>
        public static Graph Read(byte[] bytes, string sourcePath, string? baseDirectory) => Read(bytes, sourcePath, baseDirectory, null);

        /// <summary>Reads a model already in memory, allocating no tensor past <paramref name="limits"/> (null: the defaults).</summary>
        public static Graph Read(byte[] bytes, string sourcePath, string? baseDirectory, ResourceLimits? limits)
        {
            if (bytes == null) throw new ArgumentNullException(nameof(bytes));
            // An empty file is what an interrupted copy or a Git LFS checkout gone wrong leaves behind: a file problem, not a format problem.
            if (bytes.Length == 0)
                throw OnnxErrors.Unreadable("The model file is empty (0 bytes). If it is stored with Git LFS, run 'git lfs pull'.", sourcePath);

            try
            {
                var model = ProtoParsing.Parse(ModelProto.Parser, bytes, "a valid ONNX model", sourcePath);
                if (model.Graph == null)
                    throw OnnxErrors.Malformed("The file is not a valid ONNX model (it has no graph).", sourcePath);

                var graph = new GraphReader(sourcePath, baseDirectory, limits).Read(model.Graph, outer: null, namePrefix: "");
                FillInfo(graph.Info, model, bytes, sourcePath);
                return graph;
            }
            catch (CompilerException)
            {
                throw;
            }
            catch (OutOfMemoryException)
            {
                throw;
            }
            catch (Exception e)
            {
                // Protobuf's own failures are QG0002 (ProtoParsing); anything else here is a bug in this reader.
                throw CompilerException.Internal(e, "reading the model", sourcePath, null);
            }
        }

        private static void FillInfo(ModelInfo info, ModelProto model, byte[] bytes, string sourcePath)
        {
            foreach (var opset in model.OpsetImport)
            {
                int version = (int)Math.Min(opset.Version, int.MaxValue);
                if (opset.Domain.Length == 0 || opset.Domain == "ai.onnx") info.Opset = version;
                else info.OtherOpsets[opset.Domain] = version;
            }
            info.IrVersion = model.IrVersion;
            info.ProducerName = model.ProducerName;
            info.ProducerVersion = model.ProducerVersion;
            info.GraphName = model.Graph.Name;
            info.SourcePath = sourcePath;
            info.Sha256 = Sha256Hex(bytes);
        }

        private static string Sha256Hex(byte[] bytes)
        {
            using var sha = SHA256.Create();
            var hash = sha.ComputeHash(bytes);
            var text = new StringBuilder(hash.Length * 2);
            foreach (byte b in hash) text.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            return text.ToString();
        }
    }
}
