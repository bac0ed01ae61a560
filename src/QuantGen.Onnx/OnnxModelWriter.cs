// Writes a graph IR back out as an ONNX model: for tests that build models in code, and for exporting rewritten models.
using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using QuantGen.Ir;
using QuantGen.Onnx.Proto;
using QuantGen.Onnx.Writing;

namespace QuantGen.Onnx
{
    public static class OnnxModelWriter
    {
        /// <summary>The IR version written when the graph does not carry one: 7 is the version that goes with opset 13.</summary>
        public const long DefaultIrVersion = 7;

        /// <summary>The default opset written when the graph does not carry one.</summary>
        public const int DefaultOpset = 13;

        /// <summary>Serializes <paramref name="graph"/> as a ModelProto; constants become initializers with raw_data.</summary>
        public static byte[] Write(Graph graph)
        {
            if (graph == null) throw new ArgumentNullException(nameof(graph));
            var model = new ModelProto
            {
                IrVersion = graph.Info.IrVersion > 0 ? graph.Info.IrVersion : DefaultIrVersion,
                ProducerName = "QuantGen",
                ProducerVersion = typeof(OnnxModelWriter).Assembly.GetName().Version?.ToString(3) ?? "",
                Graph = new GraphWriter().Write(graph, isMain: true),
            };
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = graph.Info.Opset > 0 ? graph.Info.Opset : DefaultOpset });
            foreach (var opset in graph.Info.OtherOpsets.OrderBy(o => o.Key, StringComparer.Ordinal))
                model.OpsetImport.Add(new OperatorSetIdProto { Domain = opset.Key, Version = opset.Value });
            return model.ToByteArray();
        }
    }
}
