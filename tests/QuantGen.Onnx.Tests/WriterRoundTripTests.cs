// OnnxModelWriter output read back by OnnxModelReader: nodes, attributes, shapes and initializer bytes survive.
using System.IO;
using System.Linq;
using QuantGen.Ir;
using QuantGen.Tests;
using Xunit;
using IrAttribute = QuantGen.Ir.Attribute;

namespace QuantGen.Onnx.Tests
{
    public class WriterRoundTripTests
    {
        [Fact]
        public void PreservesNodesAttributesAndInitializers()
        {
            var original = BuildGemmModel();

            var read = RoundTrip(original);

            Assert.Equal(13, read.Info.Opset);
            Assert.Equal("QuantGen", read.Info.ProducerName);
            var input = Assert.Single(read.Inputs);
            Assert.Equal("x", input.Name);
            Assert.Equal(new[] { -1, 4 }, input.Shape); // the batched axis is written as the symbolic "N"
            Assert.Equal(new[] { "gemm", "clip", "cast" }, read.Nodes.Select(n => n.Name));
            Assert.Equal(new[] { "Gemm", "Clip", "Cast" }, read.Nodes.Select(n => n.OpType));

            var gemm = read.Nodes[0];
            Assert.Equal(0.5f, gemm.Attributes.GetFloat("alpha", 0));
            Assert.Equal(1, gemm.Attributes.GetInt("transB", 0));
            Assert.Equal(new long[] { 1, 2, 3 }, gemm.Attributes.GetInts("ints"));
            Assert.Equal(new[] { 0.25f, -1f }, gemm.Attributes.GetFloats("floats"));
            Assert.Equal("héllo", gemm.Attributes.GetString("text", ""));
            Assert.Equal(new[] { "a", "b" }, gemm.Attributes.Find("texts")!.Strings);
            var tensor = gemm.Attributes.GetTensor("table")!;
            Assert.Equal(DataType.Int64, tensor.Type);
            Assert.Equal(new[] { 7L, -7L }, tensor.Int64s);

            var weights = gemm.Inputs[1]!;
            Assert.True(weights.IsConstant);
            Assert.Equal(original.Nodes[0].Inputs[1]!.Constant!.ToBytes(), weights.Constant!.ToBytes());
            Assert.Equal(new[] { 3, 4 }, weights.Shape);
            Assert.Equal(original.Nodes[0].Inputs[2]!.Constant!.ToBytes(), gemm.Inputs[2]!.Constant!.ToBytes());

            var clip = read.Nodes[1];
            Assert.Same(gemm.Outputs[0], clip.Inputs[0]);
            Assert.Null(clip.Inputs[1]);
            Assert.Equal(6f, clip.Inputs[2]!.Constant!.Floats[0]);

            var output = Assert.Single(read.Outputs);
            Assert.Equal("y", output.Name);
            Assert.Equal(DataType.Int32, output.Type);
            Assert.Equal(new[] { -1, 3 }, output.Shape);
        }

        [Fact]
        public void WritingIsDeterministic()
        {
            Assert.Equal(OnnxModelWriter.Write(BuildGemmModel()), OnnxModelWriter.Write(BuildGemmModel()));
        }

        [Fact]
        public void SubgraphReadingOuterValuesRoundTrips()
        {
            var x = new Value("x", DataType.Float32, new[] { 2 });
            var cond = new Value("cond", DataType.Bool, new int[0]) { Constant = new Tensor(DataType.Bool, new int[0], new byte[] { 1 }) };
            var scale = new Value("scale", DataType.Float32, new int[0]) { Constant = Tensor.Scalar(3f) };
            var body = new Graph();
            var t = new Value("t");
            body.Nodes.Add(new Node("mul", "Mul", new[] { x, scale }, new[] { t }));
            body.Outputs.Add(t);
            var graph = new Graph();
            graph.Inputs.Add(x);
            var y = new Value("y", DataType.Float32);
            var ifNode = new Node("branch", "If", new[] { cond }, new[] { y });
            ifNode.Attributes.Set(IrAttribute.OfGraph("then_branch", body));
            ifNode.Attributes.Set(IrAttribute.OfGraph("else_branch", body));
            graph.Nodes.Add(ifNode);
            graph.Outputs.Add(y);

            var read = RoundTrip(graph);

            var readBody = read.Nodes[0].Attributes.Find("then_branch")!.Graph!;
            Assert.Same(read.Inputs[0], readBody.Nodes[0].Inputs[0]);
            Assert.Equal(3f, readBody.Nodes[0].Inputs[1]!.Constant!.Floats[0]);
        }

        [Theory]
        [InlineData("digits-cnn")]
        [InlineData("mobilenetv2-digits")]
        public void ReferenceModelRoundTrips(string model)
        {
            var original = OnnxModelReader.Read(RepoPaths.ModelFile(model));

            var read = RoundTrip(original);

            Assert.Equal(original.Nodes.Select(n => n.Name), read.Nodes.Select(n => n.Name));
            Assert.Equal(original.Nodes.Select(n => n.OpType), read.Nodes.Select(n => n.OpType));
            Assert.Equal(original.Inputs[0].Shape, read.Inputs[0].Shape);
            Assert.Equal(original.Outputs[0].Shape, read.Outputs[0].Shape);
            for (int i = 0; i < original.Nodes.Count; i++)
            {
                Assert.Equal(original.Nodes[i].Attributes.Names.OrderBy(n => n), read.Nodes[i].Attributes.Names.OrderBy(n => n));
                Assert.Equal(original.Nodes[i].Inputs.Select(v => v?.Name), read.Nodes[i].Inputs.Select(v => v?.Name));
            }
            var originalConstants = original.Constants.ToDictionary(c => c.Name, c => c.Constant!.ToBytes());
            var readConstants = read.Constants.ToDictionary(c => c.Name, c => c.Constant!.ToBytes());
            Assert.Equal(originalConstants, readConstants);
        }

        private static Graph RoundTrip(Graph graph)
        {
            byte[] bytes = OnnxModelWriter.Write(graph);
            return OnnxModelReader.Read(bytes, "written.onnx", baseDirectory: null);
        }

        /// <summary>x[N,4] → Gemm(W[3,4], B[3], transB) → Clip(max 6) → Cast(int32) → y[N,3].</summary>
        private static Graph BuildGemmModel()
        {
            var graph = new Graph();
            var x = new Value("x", DataType.Float32, new[] { 1, 4 }) { IsBatched = true };
            graph.Inputs.Add(x);
            var w = Constant("W", Tensor.FromFloats(new[] { 3, 4 }, Enumerable.Range(0, 12).Select(i => i * 0.1f - 0.5f).ToArray()));
            var b = Constant("B", Tensor.FromFloats(new[] { 3 }, new[] { 1f, 2f, 3f }));
            var max = Constant("max", Tensor.Scalar(6f));

            var h = new Value("h", DataType.Float32);
            var gemm = new Node("gemm", "Gemm", new[] { x, w, b }, new[] { h });
            gemm.Attributes.Set(IrAttribute.OfFloat("alpha", 0.5f));
            gemm.Attributes.Set(IrAttribute.OfInt("transB", 1));
            gemm.Attributes.Set(IrAttribute.OfInts("ints", new long[] { 1, 2, 3 }));
            gemm.Attributes.Set(IrAttribute.OfFloats("floats", new[] { 0.25f, -1f }));
            gemm.Attributes.Set(IrAttribute.OfString("text", "héllo"));
            gemm.Attributes.Set(IrAttribute.OfStrings("texts", new[] { "a", "b" }));
            gemm.Attributes.Set(IrAttribute.OfTensor("table", Tensor.FromInt64s(new[] { 2 }, new[] { 7L, -7L })));
            var clipped = new Value("clipped", DataType.Float32);
            var clip = new Node("clip", "Clip", new Value?[] { h, null, max }, new[] { clipped });
            var y = new Value("y", DataType.Int32, new[] { 1, 3 }) { IsBatched = true };
            var cast = new Node("cast", "Cast", new[] { clipped }, new[] { y });
            cast.Attributes.Set(IrAttribute.OfInt("to", (long)DataType.Int32));

            graph.Nodes.AddRange(new[] { gemm, clip, cast });
            graph.Outputs.Add(y);
            return graph;
        }

        private static Value Constant(string name, Tensor tensor) => new Value(name, tensor.Type, tensor.Shape) { Constant = tensor };
    }
}
