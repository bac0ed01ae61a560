// One operator application: ONNX op type, inputs, outputs and attributes.
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Ir
{
    public sealed class Node
    {
        public Node(string name, string opType, IEnumerable<Value?> inputs, IEnumerable<Value> outputs, string domain = "")
        {
            Name = name;
            OpType = opType;
            Domain = domain;
            Inputs = inputs.ToList();
            Outputs = outputs.ToList();
            foreach (var o in Outputs) o.Producer = this;
        }

        /// <summary>The ONNX node name; the loader gives unnamed nodes a stable synthetic one.</summary>
        public string Name { get; set; }

        public string OpType { get; set; }

        /// <summary>"" for the default ONNX domain ("ai.onnx"); "com.microsoft" and others as given.</summary>
        public string Domain { get; set; }

        /// <summary>Inputs in ONNX order; null marks an omitted optional input ("" in ONNX).</summary>
        public List<Value?> Inputs { get; }

        public List<Value> Outputs { get; }

        public AttributeMap Attributes { get; } = new AttributeMap();

        /// <summary>Input <paramref name="index"/>, or null when it is absent or omitted.</summary>
        public Value? Input(int index) => index < Inputs.Count ? Inputs[index] : null;

        public override string ToString() => $"{OpType} '{Name}'";
    }
}
