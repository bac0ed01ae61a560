// Builds small ONNX ModelProtos directly, for the cases the IR writer cannot express (broken or unusual files).
using System;
using System.IO;
using System.Linq;
using Google.Protobuf;
using QuantGen.Onnx.Proto;

namespace QuantGen.Onnx.Tests
{
    internal static class ModelProtos
    {
        public static ModelProto Model(GraphProto graph) => new ModelProto
        {
            IrVersion = 7,
            ProducerName = "test",
            OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 13 } },
            Graph = graph,
        };

        /// <summary>A graph with one float input "x" of <paramref name="dims"/> (-1 → symbolic "N") and the given nodes.</summary>
        public static GraphProto Graph(long[] dims, string output, params NodeProto[] nodes)
        {
            var graph = new GraphProto { Name = "test", Input = { FloatInfo("x", dims) }, Output = { FloatInfo(output, null) } };
            graph.Node.AddRange(nodes);
            return graph;
        }

        public static NodeProto Node(string opType, string[] inputs, string[] outputs, string name = "") =>
            new NodeProto { OpType = opType, Name = name, Input = { inputs }, Output = { outputs } };

        public static ValueInfoProto FloatInfo(string name, long[]? dims)
        {
            var tensorType = new TypeProto.Types.Tensor { ElemType = 1 };
            if (dims != null)
            {
                tensorType.Shape = new TensorShapeProto();
                tensorType.Shape.Dim.AddRange(dims.Select(d => d < 0
                    ? new TensorShapeProto.Types.Dimension { DimParam = "N" }
                    : new TensorShapeProto.Types.Dimension { DimValue = d }));
            }
            return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
        }

        public static TensorProto FloatTensor(string name, long[] dims, float[] values)
        {
            var bytes = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            return new TensorProto { Name = name, DataType = 1, Dims = { dims }, RawData = ByteString.CopyFrom(bytes) };
        }

        public static byte[] Bytes(this ModelProto model) => model.ToByteArray();
    }

    /// <summary>A fresh folder under the system temp directory, deleted afterwards.</summary>
    internal sealed class TempFolder : IDisposable
    {
        public TempFolder()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "quantgen-onnx-tests-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); }
            catch (IOException) { /* a leftover temp folder is harmless */ }
        }
    }
}
