// Reads the four shared reference models and checks them against their meta.json and an independent SHA-256.
using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text.Json;
using QuantGen.Ir;
using QuantGen.Tests;
using Xunit;

namespace QuantGen.Onnx.Tests
{
    public class ReferenceModelTests
    {
        [Theory]
        [InlineData("clinical-mlp", "features", new[] { -1, 30 }, "probabilities", new[] { -1, 2 })]
        [InlineData("digits-cnn", "image", new[] { -1, 1, 8, 8 }, "logits", new[] { -1, 10 })]
        [InlineData("mobilenetv2-digits", "image", new[] { -1, 3, 32, 32 }, "logits", new[] { -1, 10 })]
        [InlineData("mobilenetv2-224", "image", new[] { 1, 3, 224, 224 }, "logits", new[] { 1, 1000 })]
        public void ReadsModelAsDescribedByMeta(string model, string input, int[] inputShape, string output, int[] outputShape)
        {
            string path = RepoPaths.ModelFile(model);
            using var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Model(model), "meta.json")));

            var graph = OnnxModelReader.Read(path);

            Assert.Equal(13, graph.Info.Opset);
            Assert.Equal(meta.RootElement.GetProperty("opset").GetInt32(), graph.Info.Opset);
            Assert.Empty(graph.Info.OtherOpsets);
            Assert.Equal(7, graph.Info.IrVersion);
            Assert.Equal("pytorch", graph.Info.ProducerName);
            Assert.Equal(path, graph.Info.SourcePath);

            var inputValue = Assert.Single(graph.Inputs);
            Assert.Equal(input, inputValue.Name);
            Assert.Equal(DataType.Float32, inputValue.Type);
            Assert.Equal(inputShape, inputValue.Shape);
            var outputValue = Assert.Single(graph.Outputs);
            Assert.Equal(output, outputValue.Name);
            Assert.Equal(DataType.Float32, outputValue.Type);
            Assert.Equal(outputShape, outputValue.Shape);

            Assert.Equal(meta.RootElement.GetProperty("nodes").GetInt32(), graph.Nodes.Count);
            var ops = meta.RootElement.GetProperty("ops").EnumerateArray().Select(e => e.GetString()).OrderBy(s => s, StringComparer.Ordinal);
            Assert.Equal(ops, graph.Nodes.Select(n => n.OpType).Distinct().OrderBy(s => s, StringComparer.Ordinal));
            long parameters = graph.Constants.Sum(c => (long)c.Constant!.ElementCount);
            Assert.Equal(meta.RootElement.GetProperty("params").GetInt64(), parameters);

            Assert.Equal(Sha256Hex(File.ReadAllBytes(path)), graph.Info.Sha256);
        }

        [Theory]
        [InlineData("clinical-mlp")]
        [InlineData("digits-cnn")]
        [InlineData("mobilenetv2-digits")]
        public void NodesAreWiredAndOrdered(string model)
        {
            var graph = OnnxModelReader.Read(RepoPaths.ModelFile(model));

            var available = graph.Inputs.ToHashSet();
            foreach (var node in graph.Nodes)
            {
                Assert.False(string.IsNullOrEmpty(node.Name));
                Assert.Equal("", node.Domain);
                foreach (var input in node.Inputs.Where(v => v != null))
                    Assert.True(input!.IsConstant || available.Contains(input), $"{node} reads {input} before it is produced");
                foreach (var output in node.Outputs)
                {
                    Assert.Same(node, output.Producer);
                    available.Add(output);
                }
            }
            Assert.All(graph.Outputs, o => Assert.Contains(o, available));
        }

        [Fact]
        public void ReadsAttributesOfEachKind()
        {
            var graph = OnnxModelReader.Read(RepoPaths.ModelFile("mobilenetv2-digits"));

            var conv = graph.Nodes.First(n => n.OpType == "Conv");
            Assert.Equal(new long[] { 3, 3 }, conv.Attributes.GetInts("kernel_shape"));
            Assert.Equal(1, conv.Attributes.GetInt("group", -1));
            var gemm = graph.Nodes.Single(n => n.OpType == "Gemm");
            Assert.Equal(1f, gemm.Attributes.GetFloat("alpha", 0f));
            Assert.Equal(1, gemm.Attributes.GetInt("transB", 0));
            // PyTorch exports ReLU6 as Clip with min/max from Constant nodes holding float scalars.
            var constant = graph.Nodes.First(n => n.OpType == "Constant");
            var value = constant.Attributes.GetTensor("value")!;
            Assert.Equal(DataType.Float32, value.Type);
            Assert.Empty(value.Shape);
            Assert.Contains(value.Floats[0], new[] { 0f, 6f });
        }

        private static string Sha256Hex(byte[] bytes)
        {
            using var sha = SHA256.Create();
            return string.Concat(sha.ComputeHash(bytes).Select(b => b.ToString("x2")));
        }
    }
}
