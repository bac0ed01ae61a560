// Maps an ONNX GraphProto onto the IR: initializers, runtime inputs, nodes with their attributes, outputs.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir;
using QuantGen.Ir.Diagnostics;
using QuantGen.Onnx.Proto;
using IrAttribute = QuantGen.Ir.Attribute;

namespace QuantGen.Onnx.Reading
{
    internal sealed class GraphReader
    {
        /// <summary>The prefix of the attributes the compiler writes itself (FusedActivation's qg_activation…).</summary>
        private const string ReservedAttributePrefix = "qg_";

        private readonly string? _file;
        private readonly TensorReader _tensors;

        public GraphReader(string? file, string? baseDirectory, ResourceLimits? limits = null)
        {
            _file = file;
            _tensors = new TensorReader(file, baseDirectory, limits);
        }

        /// <param name="outer">Values visible from an enclosing graph (for If/Loop bodies), or null for the main graph.</param>
        /// <param name="namePrefix">Prefix of synthetic node names, so subgraph nodes never collide with the main graph's.</param>
        public Graph Read(GraphProto proto, ValueScope? outer, string namePrefix)
        {
            var graph = new Graph();
            graph.Info.GraphName = proto.Name;
            var scope = new ValueScope(outer);

            // Initializers first: before IR version 4 they were also listed as graph inputs, and those are not runtime inputs.
            foreach (var initializer in proto.Initializer)
            {
                var tensor = _tensors.Read(initializer, $"initializer '{initializer.Name}'");
                var value = new Value(initializer.Name, tensor.Type, tensor.Shape) { Constant = tensor };
                Declare(scope, value, $"initializer '{initializer.Name}'", null);
            }

            foreach (var input in proto.Input)
            {
                if (scope.FindLocal(input.Name) is { IsConstant: true }) continue;
                // The generated Run names a parameter after each input (and each output): ONNX requires the name.
                if (input.Name.Length == 0) throw OnnxErrors.InvalidGraph("A graph input has no name.", _file);
                var value = new Value(input.Name);
                ApplyValueInfo(value, input, withShape: true, $"graph input '{input.Name}'");
                Declare(scope, value, $"graph input '{input.Name}'", null);
                graph.Inputs.Add(value);
            }

            var typesByName = new Dictionary<string, ValueInfoProto>(StringComparer.Ordinal);
            foreach (var info in proto.ValueInfo)
                if (!typesByName.ContainsKey(info.Name)) typesByName.Add(info.Name, info); // value_info is only a hint; a duplicate is harmless
            bool forwardReference = ReadNodes(proto, graph, scope, typesByName, namePrefix);

            var outputNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var output in proto.Output)
            {
                if (output.Name.Length == 0) throw OnnxErrors.InvalidGraph("A graph output has no name.", _file);
                if (!outputNames.Add(output.Name)) throw OnnxErrors.InvalidGraph($"The graph output '{output.Name}' is listed twice.", _file);
                var value = scope.Find(output.Name)
                    ?? throw OnnxErrors.InvalidGraph($"The graph output '{output.Name}' is not produced by any node, graph input or initializer.", _file);
                // The generated Run takes inputs and writes outputs as separate spans; a body graph (If, Loop) may pass one through.
                if (outer == null && graph.Inputs.Contains(value))
                    throw OnnxErrors.UnsupportedAttribute($"The graph output '{output.Name}' is the graph input of that name, passed through unchanged; QuantGen needs every output computed by a node.", _file);
                // Inputs, initializers and enclosing-graph values already carry their type; only this graph's computed values take it from here.
                if (value.Producer != null && scope.FindLocal(output.Name) != null) ApplyValueInfo(value, output, withShape: true, $"graph output '{output.Name}'");
                graph.Outputs.Add(value);
            }

            if (forwardReference) Sort(graph);
            return graph;
        }

        /// <summary>Creates every node; returns true when some node reads a value produced later in the file.</summary>
        private bool ReadNodes(GraphProto proto, Graph graph, ValueScope scope, Dictionary<string, ValueInfoProto> typesByName, string namePrefix)
        {
            var usedNames = new HashSet<string>(proto.Node.Select(n => n.Name).Where(n => n.Length > 0), StringComparer.Ordinal);
            var names = new string[proto.Node.Count];
            var producedAt = new Dictionary<string, int>(StringComparer.Ordinal);

            // Pass 1: declare every node's outputs, so inputs can be resolved even when the file is not topologically sorted.
            var outputs = new List<Value>[proto.Node.Count];
            for (int i = 0; i < proto.Node.Count; i++)
            {
                var node = proto.Node[i];
                names[i] = node.Name.Length > 0 ? node.Name : SyntheticName(namePrefix + node.OpType + "_" + i, usedNames);
                outputs[i] = new List<Value>();
                int count = node.Output.Count;
                while (count > 0 && node.Output[count - 1].Length == 0) count--; // trailing omitted outputs are simply absent
                for (int k = 0; k < count; k++)
                {
                    string name = node.Output[k];
                    if (name.Length == 0)
                    {
                        // An omitted output in the middle keeps its position; nobody can read it.
                        outputs[i].Add(new Value(SyntheticName(names[i] + "_unused_output_" + k, usedNames)));
                        continue;
                    }
                    var value = new Value(name);
                    if (typesByName.TryGetValue(name, out var info)) ApplyValueInfo(value, info, withShape: false, $"value '{name}'");
                    Declare(scope, value, $"output '{name}' of node '{names[i]}'", names[i]);
                    producedAt[name] = i;
                    outputs[i].Add(value);
                }
            }

            // Pass 2: wire inputs and read attributes.
            bool forwardReference = false;
            for (int i = 0; i < proto.Node.Count; i++)
            {
                var node = proto.Node[i];
                var inputs = new List<Value?>(node.Input.Count);
                foreach (string name in node.Input)
                {
                    if (name.Length == 0) { inputs.Add(null); continue; }
                    var value = scope.Find(name) ?? throw OnnxErrors.InvalidGraph(
                        $"The node '{names[i]}' ({node.OpType}) reads '{name}', which is not a graph input, an initializer, or the output of any node.",
                        _file, names[i]);
                    if (producedAt.TryGetValue(name, out int producer) && producer >= i) forwardReference = true;
                    inputs.Add(value);
                }

                string domain = node.Domain == "ai.onnx" ? "" : node.Domain;
                var irNode = new Node(names[i], node.OpType, inputs, outputs[i], domain);
                foreach (var attribute in node.Attribute)
                {
                    // The compiler keeps its own notes on nodes under this prefix (a fused activation); a file may not set them.
                    if (attribute.Name.StartsWith(ReservedAttributePrefix, StringComparison.Ordinal))
                        throw OnnxErrors.UnsupportedAttribute($"The node '{irNode.Name}' ({node.OpType}) has the attribute '{attribute.Name}'; names beginning with '{ReservedAttributePrefix}' are reserved for QuantGen.", _file, irNode.Name);
                    irNode.Attributes.Set(ReadAttribute(attribute, irNode, scope));
                }
                graph.Nodes.Add(irNode);
            }
            return forwardReference;
        }

        private IrAttribute ReadAttribute(AttributeProto proto, Node node, ValueScope scope)
        {
            string name = proto.Name;
            string label = $"attribute '{name}' of node '{node.Name}'";
            switch (AttributeKindOf(proto))
            {
                case AttributeProto.Types.AttributeType.Float: return IrAttribute.OfFloat(name, proto.F);
                case AttributeProto.Types.AttributeType.Int: return IrAttribute.OfInt(name, proto.I);
                case AttributeProto.Types.AttributeType.String: return IrAttribute.OfString(name, proto.S.ToStringUtf8());
                case AttributeProto.Types.AttributeType.Floats: return IrAttribute.OfFloats(name, proto.Floats.ToArray());
                case AttributeProto.Types.AttributeType.Ints: return IrAttribute.OfInts(name, proto.Ints.ToArray());
                case AttributeProto.Types.AttributeType.Strings: return IrAttribute.OfStrings(name, proto.Strings.Select(s => s.ToStringUtf8()).ToArray());
                case AttributeProto.Types.AttributeType.Tensor:
                    return IrAttribute.OfTensor(name, _tensors.Read(proto.T ?? new TensorProto(), label, node.Name));
                case AttributeProto.Types.AttributeType.Graph:
                    // If/Loop/Scan bodies: read with the enclosing values visible, as ONNX scoping allows.
                    var body = Read(proto.G ?? new GraphProto(), scope, node.Name + "/" + name + "/");
                    return IrAttribute.OfGraph(name, body);
                default:
                    throw OnnxErrors.UnsupportedAttribute(
                        $"The {label} ({node.OpType}) has type {proto.Type}, which QuantGen does not support.", _file, node.Name);
            }
        }

        /// <summary>The attribute's type; IR version 1 files left it out, so then it is guessed from the field that is set.</summary>
        private static AttributeProto.Types.AttributeType AttributeKindOf(AttributeProto proto)
        {
            if (proto.Type != AttributeProto.Types.AttributeType.Undefined) return proto.Type;
            if (proto.Ints.Count > 0) return AttributeProto.Types.AttributeType.Ints;
            if (proto.Floats.Count > 0) return AttributeProto.Types.AttributeType.Floats;
            if (proto.Strings.Count > 0) return AttributeProto.Types.AttributeType.Strings;
            if (proto.T != null) return AttributeProto.Types.AttributeType.Tensor;
            if (proto.G != null) return AttributeProto.Types.AttributeType.Graph;
            if (!proto.S.IsEmpty) return AttributeProto.Types.AttributeType.String;
            return proto.F != 0 ? AttributeProto.Types.AttributeType.Float : AttributeProto.Types.AttributeType.Int;
        }

        /// <summary>Sets the element type (and, for graph inputs and outputs, the shape: symbolic or unknown dims become -1).</summary>
        private void ApplyValueInfo(Value value, ValueInfoProto info, bool withShape, string label)
        {
            if (info.Type?.ValueCase != TypeProto.ValueOneofCase.TensorType) return;
            var tensorType = info.Type.TensorType;
            if (tensorType.ElemType != 0) value.Type = _tensors.ElementType(tensorType.ElemType, label, null);
            if (!withShape || tensorType.Shape == null) return;
            value.Shape = tensorType.Shape.Dim
                .Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue >= 0 && d.DimValue <= int.MaxValue
                    ? (int)d.DimValue
                    : -1)
                .ToArray();
        }

        private void Declare(ValueScope scope, Value value, string label, string? node)
        {
            if (!scope.TryDeclare(value))
                throw OnnxErrors.InvalidGraph($"The {label} reuses the name '{value.Name}', which another value in the graph already has.", _file, node);
        }

        private void Sort(Graph graph)
        {
            try
            {
                graph.SortTopologically();
            }
            catch (InvalidOperationException e)
            {
                throw OnnxErrors.InvalidGraph(e.Message, _file);
            }
        }

        private static string SyntheticName(string preferred, HashSet<string> used)
        {
            string name = preferred;
            for (int k = 2; !used.Add(name); k++) name = preferred + "_" + k;
            return name;
        }
    }
}
