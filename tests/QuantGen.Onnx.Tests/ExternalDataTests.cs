// Initializers stored in a separate file next to the model (data_location = EXTERNAL), as large ONNX models do.
using System;
using System.IO;
using Google.Protobuf;
using QuantGen.Ir.Diagnostics;
using QuantGen.Onnx.Proto;
using Xunit;
using static QuantGen.Onnx.Tests.ModelProtos;

namespace QuantGen.Onnx.Tests
{
    public class ExternalDataTests
    {
        private static readonly float[] s_weights = { 1.5f, -2f, 3.25f, 0f };

        [Fact]
        public void ReadsInitializerFromExternalFileAtOffset()
        {
            using var folder = new TempFolder();
            string model = WriteModel(folder, "weights.bin", offset: 16);
            var data = new byte[16 + 16];
            Buffer.BlockCopy(s_weights, 0, data, 16, 16);
            File.WriteAllBytes(folder.File("weights.bin"), data);

            var graph = OnnxModelReader.Read(model);

            Assert.Equal(s_weights, graph.Nodes[0].Inputs[1]!.Constant!.Floats);
        }

        [Fact]
        public void MissingExternalFileIsQG0009()
        {
            using var folder = new TempFolder();
            string model = WriteModel(folder, "weights.bin", offset: 0);

            var e = Assert.Throws<CompilerException>(() => OnnxModelReader.Read(model));
            Assert.Equal(DiagnosticIds.ExternalDataMissing, e.Diagnostic.Id);
            Assert.Equal(model, e.Diagnostic.File);
            Assert.Contains("weights.bin", e.Message);
        }

        [Fact]
        public void ShortExternalFileIsQG0009()
        {
            using var folder = new TempFolder();
            string model = WriteModel(folder, "weights.bin", offset: 8);
            File.WriteAllBytes(folder.File("weights.bin"), new byte[20]);

            var e = Assert.Throws<CompilerException>(() => OnnxModelReader.Read(model));
            Assert.Equal(DiagnosticIds.ExternalDataMissing, e.Diagnostic.Id);
            Assert.Contains("20 bytes", e.Message);
        }

        [Fact]
        public void LocationOutsideModelFolderIsQG0009()
        {
            using var folder = new TempFolder();
            string model = WriteModel(folder, "../weights.bin", offset: 0);
            var e = Assert.Throws<CompilerException>(() => OnnxModelReader.Read(model));
            Assert.Equal(DiagnosticIds.ExternalDataMissing, e.Diagnostic.Id);
        }

        [Fact]
        public void ModelInMemoryWithoutFolderIsQG0009()
        {
            using var folder = new TempFolder();
            string model = WriteModel(folder, "weights.bin", offset: 0);
            var e = Assert.Throws<CompilerException>(() => OnnxModelReader.Read(File.ReadAllBytes(model), model, baseDirectory: null));
            Assert.Equal(DiagnosticIds.ExternalDataMissing, e.Diagnostic.Id);
        }

        private static string WriteModel(TempFolder folder, string location, long offset)
        {
            var graph = Graph(new long[] { 4 }, "y", Node("Mul", new[] { "x", "w" }, new[] { "y" }));
            graph.Initializer.Add(new TensorProto
            {
                Name = "w",
                DataType = 1,
                Dims = { 4 },
                DataLocation = TensorProto.Types.DataLocation.External,
                ExternalData =
                {
                    new StringStringEntryProto { Key = "location", Value = location },
                    new StringStringEntryProto { Key = "offset", Value = offset.ToString() },
                    new StringStringEntryProto { Key = "length", Value = "16" },
                },
            });
            string path = folder.File("model.onnx");
            File.WriteAllBytes(path, Model(graph).ToByteArray());
            return path;
        }
    }
}
