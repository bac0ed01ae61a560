// Turns an IR graph (and, recursively, its subgraphs) into a GraphProto.
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using QuantGen.Ir;
using QuantGen.Onnx.Proto;
using IrAttribute = QuantGen.Ir.Attribute;

namespace QuantGen.Onnx.Writing
{
    internal sealed class GraphWriter
    {
        private readonly ValueNames _names;

        // Constants declared as initializers by this graph or an enclosing one: a body that reads an enclosing
        // graph's constant must not declare it again (ONNX names are unique across scopes), but sibling bodies each need their own.
        private readonly HashSet<Value> _visibleConstants;

        public GraphWriter() : this(new ValueNames(), new HashSet<Value>()) { }

        private GraphWriter(ValueNames names, HashSet<Value> enclosingConstants)
        {
            _names = names;
            _visibleConstants = new HashSet<Value>(enclosingConstants, enclosingConstants.Comparer);
        }

        public GraphProto Write(Graph graph, bool isMain)
        {
            var proto = new GraphProto { Name = graph.Info.GraphName.Length > 0 ? graph.Info.GraphName : (isMain ? "main" : "body") };

            // Public names first, so rewrites that renamed internal values never take a graph input's or output's name.
            foreach (var input in graph.Inputs) _names.Reserve(input);
            foreach (var output in graph.Outputs) _names.Reserve(output);

            var constants = graph.Nodes.SelectMany(n => n.Inputs).Concat(graph.Outputs)
                .Where(v => v != null && v.IsConstant).Distinct().ToList();
            foreach (var constant in constants.Where(c => _visibleConstants.Add(c!)))
                proto.Initializer.Add(TensorWriter.Write(constant!.Constant!, _names.Of(constant)));

            foreach (var input in graph.Inputs) proto.Input.Add(ValueInfo(input));
            foreach (var node in graph.Nodes) proto.Node.Add(WriteNode(node));
            foreach (var output in graph.Outputs) proto.Output.Add(ValueInfo(output));
            return proto;
        }

        private NodeProto WriteNode(Node node)
        {
            var proto = new NodeProto { Name = node.Name, OpType = node.OpType, Domain = node.Domain };
            foreach (var input in node.Inputs) proto.Input.Add(input == null ? "" : _names.Of(input));
            foreach (var output in node.Outputs) proto.Output.Add(_names.Of(output));
            // Sorted so that the same graph always serializes to the same bytes.
            foreach (var attribute in node.Attributes.All.OrderBy(a => a.Name, System.StringComparer.Ordinal))
                proto.Attribute.Add(WriteAttribute(attribute));
            return proto;
        }

        private AttributeProto WriteAttribute(IrAttribute attribute)
        {
            var proto = new AttributeProto { Name = attribute.Name };
            switch (attribute.Kind)
            {
                case AttributeKind.Float: proto.Type = AttributeProto.Types.AttributeType.Float; proto.F = attribute.Float; break;
                case AttributeKind.Int: proto.Type = AttributeProto.Types.AttributeType.Int; proto.I = attribute.Int; break;
                case AttributeKind.String: proto.Type = AttributeProto.Types.AttributeType.String; proto.S = ByteString.CopyFromUtf8(attribute.String); break;
                case AttributeKind.Floats: proto.Type = AttributeProto.Types.AttributeType.Floats; proto.Floats.AddRange(attribute.Floats); break;
                case AttributeKind.Ints: proto.Type = AttributeProto.Types.AttributeType.Ints; proto.Ints.AddRange(attribute.Ints); break;
                case AttributeKind.Strings:
                    proto.Type = AttributeProto.Types.AttributeType.Strings;
                    proto.Strings.AddRange(attribute.Strings.Select(ByteString.CopyFromUtf8));
                    break;
                case AttributeKind.Tensor: proto.Type = AttributeProto.Types.AttributeType.Tensor; proto.T = TensorWriter.Write(attribute.Tensor!, ""); break;
                case AttributeKind.Graph:
                    proto.Type = AttributeProto.Types.AttributeType.Graph;
                    // A body shares the names of the enclosing graph, since it may read its values.
                    proto.G = new GraphWriter(_names, _visibleConstants).Write(attribute.Graph!, isMain: false);
                    break;
            }
            return proto;
        }

        private ValueInfoProto ValueInfo(Value value)
        {
            var info = new ValueInfoProto { Name = _names.Of(value) };
            if (value.Type == DataType.Undefined && value.Shape == null) return info;

            var tensorType = new TypeProto.Types.Tensor { ElemType = (int)value.Type };
            if (value.Shape != null)
            {
                tensorType.Shape = new TensorShapeProto();
                for (int i = 0; i < value.Shape.Length; i++)
                {
                    // The batch axis is stored as 1 in the IR but is symbolic in the model; unknown dims become symbolic too.
                    bool symbolic = value.Shape[i] < 0 || (i == 0 && value.IsBatched);
                    tensorType.Shape.Dim.Add(symbolic
                        ? new TensorShapeProto.Types.Dimension { DimParam = "N" }
                        : new TensorShapeProto.Types.Dimension { DimValue = value.Shape[i] });
                }
            }
            info.Type = new TypeProto { TensorType = tensorType };
            return info;
        }
    }
}
