// The model graph: nodes in topological order, runtime inputs, outputs, and model facts.
using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Ir
{
    /// <summary>Facts about the model file, carried to the plan and the generated class.</summary>
    public sealed class ModelInfo
    {
        /// <summary>Version of the default ("ai.onnx") operator set.</summary>
        public int Opset { get; set; }

        /// <summary>Other imported operator sets, e.g. "com.microsoft" → 1.</summary>
        public Dictionary<string, int> OtherOpsets { get; } = new Dictionary<string, int>(StringComparer.Ordinal);

        public long IrVersion { get; set; }
        public string ProducerName { get; set; } = "";
        public string ProducerVersion { get; set; } = "";
        public string GraphName { get; set; } = "";

        /// <summary>The model file as the user named it (for messages).</summary>
        public string SourcePath { get; set; } = "";

        /// <summary>Lower-case hex SHA-256 of the .onnx file's bytes.</summary>
        public string Sha256 { get; set; } = "";
    }

    public sealed class Graph
    {
        public ModelInfo Info { get; set; } = new ModelInfo();

        /// <summary>Nodes in a topological order (every input is produced before it is used).</summary>
        public List<Node> Nodes { get; } = new List<Node>();

        /// <summary>Runtime inputs, in ONNX order (initializers are not listed here).</summary>
        public List<Value> Inputs { get; } = new List<Value>();

        public List<Value> Outputs { get; } = new List<Value>();

        /// <summary>Values that are produced by nobody but carry data (initializers, folded constants).</summary>
        public IEnumerable<Value> Constants =>
            Nodes.SelectMany(n => n.Inputs).Where(v => v != null && v.IsConstant).Distinct()!;

        /// <summary>Every node that reads <paramref name="value"/>.</summary>
        public IEnumerable<Node> Consumers(Value value) => Nodes.Where(n => n.Inputs.Contains(value));

        public bool IsGraphOutput(Value value) => Outputs.Contains(value);

        /// <summary>Makes every reader of <paramref name="old"/> (nodes and graph outputs) read <paramref name="replacement"/>.</summary>
        public void ReplaceAllUses(Value old, Value replacement)
        {
            foreach (var node in Nodes)
            {
                for (int i = 0; i < node.Inputs.Count; i++)
                    if (ReferenceEquals(node.Inputs[i], old)) node.Inputs[i] = replacement;
            }
            for (int i = 0; i < Outputs.Count; i++)
            {
                if (!ReferenceEquals(Outputs[i], old)) continue;
                // A graph output keeps its public name: the replacement takes it over.
                Outputs[i] = replacement;
                replacement.Name = old.Name;
            }
        }

        /// <summary>Re-sorts <see cref="Nodes"/> topologically (stable for already ordered graphs).</summary>
        public void SortTopologically()
        {
            var placed = new HashSet<Value>(Inputs);
            var remaining = new List<Node>(Nodes);
            var order = new List<Node>(Nodes.Count);
            while (remaining.Count > 0)
            {
                int before = order.Count;
                for (int i = 0; i < remaining.Count; i++)
                {
                    var node = remaining[i];
                    if (node.Inputs.All(v => v == null || v.IsConstant || v.Producer == null || placed.Contains(v)))
                    {
                        order.Add(node);
                        foreach (var o in node.Outputs) placed.Add(o);
                        remaining.RemoveAt(i);
                        i--;
                    }
                }
                if (order.Count == before)
                    throw new InvalidOperationException($"The graph has a cycle through node {remaining[0]}.");
            }
            Nodes.Clear();
            Nodes.AddRange(order);
        }

        /// <summary>Removes nodes whose outputs reach no graph output.</summary>
        public int RemoveDeadNodes()
        {
            var live = new HashSet<Value>(Outputs);
            int removed = 0;
            for (int i = Nodes.Count - 1; i >= 0; i--)
            {
                var node = Nodes[i];
                if (node.Outputs.Any(live.Contains))
                {
                    foreach (var input in node.Inputs) if (input != null) live.Add(input);
                }
                else
                {
                    Nodes.RemoveAt(i);
                    removed++;
                }
            }
            return removed;
        }
    }
}
