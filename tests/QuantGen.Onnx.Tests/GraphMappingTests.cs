// How ONNX graph details map onto the IR: names, optional inputs, shapes, opsets, subgraphs, typed tensor fields.
using System.Linq;
using Google.Protobuf;
using QuantGen.Ir;
using QuantGen.Onnx.Proto;
using Xunit;
using static QuantGen.Onnx.Tests.ModelProtos;

namespace QuantGen.Onnx.Tests
{
    public class GraphMappingTests
    {
        [Fact]
        public void UnnamedNodesGetStableSyntheticNames()
        {
            var graph = Read(Graph(new long[] { 4 }, "b",
                Node("Relu", new[] { "x" }, new[] { "a" }),
                Node("Relu", new[] { "a" }, new[] { "b" }, name: "Relu_0")));
            // "Relu_0" is taken by the second node, so the first one's synthetic name moves aside.
            Assert.Equal(new[] { "Relu_0_2", "Relu_0" }, graph.Nodes.Select(n => n.Name));
        }

        [Fact]
        public void InitializersListedAsInputsAreNotRuntimeInputs()
        {
            var proto = Graph(new long[] { -1, 4 }, "y", Node("Add", new[] { "x", "w" }, new[] { "y" }));
            proto.Initializer.Add(FloatTensor("w", new long[] { 4 }, new[] { 1f, 2f, 3f, 4f }));
            proto.Input.Add(FloatInfo("w", new long[] { 4 })); // IR version < 4 style
            var graph = Read(proto);

            var input = Assert.Single(graph.Inputs);
            Assert.Equal("x", input.Name);
            var w = graph.Nodes[0].Inputs[1]!;
            Assert.True(w.IsConstant);
            Assert.Equal(new[] { 4 }, w.Shape);
            Assert.Equal(DataType.Float32, w.Type);
            Assert.Equal(new[] { 1f, 2f, 3f, 4f }, w.Constant!.Floats);
        }

        [Fact]
        public void SymbolicAndUnknownDimsAreMinusOneAndMissingShapeIsNull()
        {
            var proto = Graph(new long[] { -1, 3 }, "y", Node("Add", new[] { "x", "z" }, new[] { "y" }));
            proto.Input[0].Type.TensorType.Shape.Dim.Add(new TensorShapeProto.Types.Dimension()); // neither value nor param
            proto.Input.Add(FloatInfo("z", null));
            var graph = Read(proto);

            Assert.Equal(new[] { -1, 3, -1 }, graph.Inputs[0].Shape);
            Assert.Null(graph.Inputs[1].Shape);
            Assert.Equal(DataType.Float32, graph.Inputs[1].Type);
        }

        [Fact]
        public void OmittedInputsAreNullAndTrailingOmittedOutputsAreDropped()
        {
            var graph = Read(Graph(new long[] { 4 }, "y", Node("Clip", new[] { "x", "", "" }, new[] { "y", "" })));
            var clip = graph.Nodes.Single();
            Assert.Equal(new Value?[] { graph.Inputs[0], null, null }, clip.Inputs);
            Assert.Single(clip.Outputs);
        }

        [Fact]
        public void NodesOutOfOrderAreSorted()
        {
            var graph = Read(Graph(new long[] { 4 }, "b",
                Node("Neg", new[] { "a" }, new[] { "b" }, name: "second"),
                Node("Relu", new[] { "x" }, new[] { "a" }, name: "first")));
            Assert.Equal(new[] { "first", "second" }, graph.Nodes.Select(n => n.Name));
        }

        [Fact]
        public void OpsetsAndDomainsAreRecorded()
        {
            var model = Model(Graph(new long[] { 4 }, "y", Node("Relu", new[] { "x" }, new[] { "y" })));
            model.Graph.Node[0].Domain = "ai.onnx";
            model.OpsetImport.Clear();
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "ai.onnx", Version = 17 });
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
            var graph = OnnxModelReader.Read(model.Bytes(), "m.onnx", null);

            Assert.Equal(17, graph.Info.Opset);
            Assert.Equal(1, graph.Info.OtherOpsets["com.microsoft"]);
            Assert.Equal("", graph.Nodes[0].Domain);
            Assert.Equal("test", graph.Info.ProducerName);
            Assert.Equal("test", graph.Info.GraphName);
            Assert.Equal(64, graph.Info.Sha256.Length);
        }

        [Fact]
        public void SubgraphsSeeOuterValues()
        {
            var thenBranch = new GraphProto { Name = "then", Node = { Node("Relu", new[] { "x" }, new[] { "t" }) }, Output = { FloatInfo("t", null) } };
            var elseBranch = new GraphProto { Name = "else", Node = { Node("Neg", new[] { "x" }, new[] { "e" }) }, Output = { FloatInfo("e", null) } };
            var ifNode = Node("If", new[] { "cond" }, new[] { "y" }, name: "branch");
            ifNode.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = thenBranch });
            ifNode.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = elseBranch });
            var proto = Graph(new long[] { 4 }, "y", ifNode);
            proto.Initializer.Add(new TensorProto { Name = "cond", DataType = (int)DataType.Bool, Int32Data = { 1 } });
            var graph = Read(proto);

            var body = graph.Nodes[0].Attributes.Find("then_branch")!.Graph!;
            Assert.Same(graph.Inputs[0], body.Nodes[0].Inputs[0]);
            Assert.Equal("branch/then_branch/Relu_0", body.Nodes[0].Name);
            Assert.Equal("t", Assert.Single(body.Outputs).Name);
            Assert.Equal(new byte[] { 1 }, graph.Nodes[0].Inputs[0]!.Constant!.Bytes);
        }

        [Fact]
        public void TypedFieldsDecodeEveryElementType()
        {
            Assert.Equal(new sbyte[] { -128, 5 }, (sbyte[])Decode(new TensorProto { DataType = (int)DataType.Int8, Dims = { 2 }, Int32Data = { -128, 5 } }).Data);
            Assert.Equal(new byte[] { 0, 1 }, (byte[])Decode(new TensorProto { DataType = (int)DataType.Bool, Dims = { 2 }, Int32Data = { 0, 1 } }).Data);
            Assert.Equal(new ushort[] { 0x3C00 }, (ushort[])Decode(new TensorProto { DataType = (int)DataType.Float16, Dims = { 1 }, Int32Data = { 0x3C00 } }).Data);
            Assert.Equal(new short[] { -2 }, (short[])Decode(new TensorProto { DataType = (int)DataType.Int16, Dims = { 1 }, Int32Data = { -2 } }).Data);
            Assert.Equal(new uint[] { 4000000000 }, (uint[])Decode(new TensorProto { DataType = (int)DataType.UInt32, Dims = { 1 }, Uint64Data = { 4000000000 } }).Data);
            Assert.Equal(new ulong[] { ulong.MaxValue }, (ulong[])Decode(new TensorProto { DataType = (int)DataType.UInt64, Dims = { 1 }, Uint64Data = { ulong.MaxValue } }).Data);
            Assert.Equal(new[] { 0.5 }, (double[])Decode(new TensorProto { DataType = (int)DataType.Float64, Dims = { 1 }, DoubleData = { 0.5 } }).Data);
            Assert.Equal(new[] { -1L, 1L << 40 }, (long[])Decode(new TensorProto { DataType = (int)DataType.Int64, Dims = { 2 }, Int64Data = { -1, 1L << 40 } }).Data);
            Assert.Equal(new[] { 7 }, (int[])Decode(new TensorProto { DataType = (int)DataType.Int32, Dims = { 1 }, Int32Data = { 7 } }).Data);
            // raw_data wins over typed fields and is little-endian.
            Assert.Equal(new[] { 0x04030201 }, (int[])Decode(new TensorProto { DataType = (int)DataType.Int32, Dims = { 1 }, RawData = ByteString.CopyFrom(1, 2, 3, 4) }).Data);
        }

        [Fact]
        public void UnpackedRepeatedFieldsAsProto2WritersEmitThemAreRead()
        {
            // dims=1 and float_data=4 written one element per tag (wire type 0 and 5), not packed.
            var bytes = new byte[] { 0x08, 0x02, 0x10, 0x01, 0x25, 0x00, 0x00, 0x80, 0x3F, 0x25, 0x00, 0x00, 0x00, 0x40 };
            var tensor = TensorFile.Read(bytes);
            Assert.Equal(new[] { 2 }, tensor.Shape);
            Assert.Equal(new[] { 1f, 2f }, tensor.Floats);
        }

        private static Tensor Decode(TensorProto proto) => TensorFile.Read(proto.ToByteArray());

        private static QuantGen.Ir.Graph Read(GraphProto graph) => OnnxModelReader.Read(Model(graph).Bytes(), "m.onnx", null);
    }
}
