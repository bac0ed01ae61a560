// Broken or inconsistent model files stop with one CompilerException whose id says what is wrong and which names the file.
using System;
using System.IO;
using System.Linq;
using Google.Protobuf;
using QuantGen.Ir.Diagnostics;
using QuantGen.Onnx.Proto;
using QuantGen.Tests;
using Xunit;
using static QuantGen.Onnx.Tests.ModelProtos;

namespace QuantGen.Onnx.Tests
{
    public class MalformedModelTests
    {
        private const string FileName = "model.onnx";

        [Fact]
        public void TruncatedModelIsQG0002()
        {
            byte[] bytes = File.ReadAllBytes(RepoPaths.ModelFile("digits-cnn"));
            var e = Fails(bytes.Take(bytes.Length / 2).ToArray());
            Assert.Equal(DiagnosticIds.ModelMalformed, e.Diagnostic.Id);
            Assert.Contains("truncated", e.Message);
            Assert.Contains("not a valid ONNX model", e.Message);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        public void RandomBytesAreQG0002(int seed)
        {
            var bytes = new byte[4096];
            new Random(seed).NextBytes(bytes);
            Assert.Equal(DiagnosticIds.ModelMalformed, Fails(bytes).Diagnostic.Id);
        }

        [Fact]
        public void TextFileIsQG0002()
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n");
            Assert.Equal(DiagnosticIds.ModelMalformed, Fails(bytes).Diagnostic.Id);
        }

        /// <summary>Empty is QG0001 (the file is unreadable), not QG0002: it is what a failed copy or a missing LFS pull leaves.</summary>
        [Fact]
        public void EmptyFileIsQG0001()
        {
            using var folder = new TempFolder();
            string path = folder.File(FileName);
            File.WriteAllBytes(path, Array.Empty<byte>());
            var e = Assert.Throws<CompilerException>(() => OnnxModelReader.Read(path));
            Assert.Equal(DiagnosticIds.ModelUnreadable, e.Diagnostic.Id);
            Assert.Equal(path, e.Diagnostic.File);
            Assert.Contains("empty", e.Message);
        }

        [Fact]
        public void MissingFileIsQG0001()
        {
            string path = Path.Combine(RepoPaths.Assets, "no-such-model.onnx");
            var e = Assert.Throws<CompilerException>(() => OnnxModelReader.Read(path));
            Assert.Equal(DiagnosticIds.ModelUnreadable, e.Diagnostic.Id);
            Assert.Equal(path, e.Diagnostic.File);
        }

        [Fact]
        public void DirectoryIsQG0001()
        {
            var e = Assert.Throws<CompilerException>(() => OnnxModelReader.Read(RepoPaths.Assets));
            Assert.Equal(DiagnosticIds.ModelUnreadable, e.Diagnostic.Id);
        }

        [Fact]
        public void ModelWithoutGraphIsQG0002()
        {
            var model = new ModelProto { IrVersion = 7, OpsetImport = { new OperatorSetIdProto { Version = 13 } } };
            var e = Fails(model.Bytes());
            Assert.Equal(DiagnosticIds.ModelMalformed, e.Diagnostic.Id);
            Assert.Contains("no graph", e.Message);
        }

        [Fact]
        public void NodeReadingUnknownValueIsQG0007()
        {
            var graph = Graph(new long[] { -1, 4 }, "y", Node("Add", new[] { "x", "bias" }, new[] { "y" }, name: "add1"));
            var e = Fails(Model(graph).Bytes());
            Assert.Equal(DiagnosticIds.InvalidGraph, e.Diagnostic.Id);
            Assert.Equal("add1", e.Diagnostic.Node);
            Assert.Contains("'bias'", e.Message);
        }

        [Fact]
        public void UnknownGraphOutputIsQG0007()
        {
            var graph = Graph(new long[] { 4 }, "z", Node("Relu", new[] { "x" }, new[] { "y" }));
            Assert.Equal(DiagnosticIds.InvalidGraph, Fails(Model(graph).Bytes()).Diagnostic.Id);
        }

        [Fact]
        public void TwoNodesWritingOneNameIsQG0007()
        {
            var graph = Graph(new long[] { 4 }, "y",
                Node("Relu", new[] { "x" }, new[] { "y" }),
                Node("Neg", new[] { "x" }, new[] { "y" }));
            Assert.Equal(DiagnosticIds.InvalidGraph, Fails(Model(graph).Bytes()).Diagnostic.Id);
        }

        [Fact]
        public void CycleIsQG0007()
        {
            var graph = Graph(new long[] { 4 }, "b",
                Node("Add", new[] { "x", "b" }, new[] { "a" }),
                Node("Relu", new[] { "a" }, new[] { "b" }));
            Assert.Equal(DiagnosticIds.InvalidGraph, Fails(Model(graph).Bytes()).Diagnostic.Id);
        }

        [Fact]
        public void RawDataOfWrongSizeIsQG0002()
        {
            var graph = Graph(new long[] { 4 }, "y", Node("Add", new[] { "x", "w" }, new[] { "y" }));
            graph.Initializer.Add(new TensorProto { Name = "w", DataType = 1, Dims = { 4 }, RawData = ByteString.CopyFrom(new byte[15]) });
            var e = Fails(Model(graph).Bytes());
            Assert.Equal(DiagnosticIds.ModelMalformed, e.Diagnostic.Id);
            Assert.Contains("'w'", e.Message);
        }

        [Theory]
        [InlineData(8, "string")]
        [InlineData(14, "complex64")]
        [InlineData(16, "bfloat16")]
        public void UnsupportedInitializerTypeIsQG0005(int dataType, string typeName)
        {
            var graph = Graph(new long[] { 2 }, "y", Node("Identity", new[] { "x" }, new[] { "y" }));
            graph.Initializer.Add(new TensorProto { Name = "odd", DataType = dataType, Dims = { 2 }, RawData = ByteString.CopyFrom(new byte[4]) });
            var e = Fails(Model(graph).Bytes());
            Assert.Equal(DiagnosticIds.UnsupportedDataType, e.Diagnostic.Id);
            Assert.Contains("'odd'", e.Message);
            Assert.Contains(typeName, e.Message);
        }

        [Fact]
        public void GraphsAttributeIsQG0004()
        {
            var node = Node("Custom", new[] { "x" }, new[] { "y" }, name: "custom1");
            node.Attribute.Add(new AttributeProto { Name = "bodies", Type = AttributeProto.Types.AttributeType.Graphs, Graphs = { new GraphProto() } });
            var e = Fails(Model(Graph(new long[] { 2 }, "y", node)).Bytes());
            Assert.Equal(DiagnosticIds.UnsupportedAttribute, e.Diagnostic.Id);
            Assert.Equal("custom1", e.Diagnostic.Node);
        }

        private static CompilerException Fails(byte[] bytes)
        {
            var e = Assert.Throws<CompilerException>(() => OnnxModelReader.Read(bytes, FileName, baseDirectory: null));
            Assert.Equal(FileName, e.Diagnostic.File);
            Assert.Equal(DiagnosticSeverity.Error, e.Diagnostic.Severity);
            return e;
        }
    }
}
