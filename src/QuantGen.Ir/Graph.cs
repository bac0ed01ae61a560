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

        /// <summary>
        /// Re-sorts <see cref="Nodes"/> topologically (stable for already ordered graphs): the order of repeated passes over
        /// the list, each placing every node whose inputs are placed. A node's pass is computed from its producers' in one
        /// walk (a producer later in the list is placed a pass later), so a graph listed backwards costs linear time, not a
        /// pass per node.
        /// </summary>
        public void SortTopologically()
        {
            var index = new Dictionary<Node, int>(Nodes.Count);
            for (int i = 0; i < Nodes.Count; i++) index[Nodes[i]] = i;
            var producers = new List<Node>[Nodes.Count];
            var readers = new List<int>[Nodes.Count];
            var waiting = new int[Nodes.Count];
            for (int i = 0; i < Nodes.Count; i++)
            {
                producers[i] = Nodes[i].Inputs
                    .Where(v => v != null && !v.IsConstant && v.Producer != null && index.ContainsKey(v.Producer))
                    .Select(v => v!.Producer!).Distinct().ToList();
                waiting[i] = producers[i].Count;
                foreach (var p in producers[i]) (readers[index[p]] ??= new List<int>()).Add(i);
            }
            var pass = new int[Nodes.Count];
            var ready = new Queue<int>(Enumerable.Range(0, Nodes.Count).Where(i => waiting[i] == 0));
            int done = 0;
            while (ready.Count > 0)
            {
                int i = ready.Dequeue();
                done++;
                foreach (var p in producers[i])
                    pass[i] = Math.Max(pass[i], pass[index[p]] + (index[p] > i ? 1 : 0));
                foreach (int r in readers[i] ?? (IEnumerable<int>)Array.Empty<int>())
                    if (--waiting[r] == 0) ready.Enqueue(r);
            }
            if (done < Nodes.Count)
                throw new InvalidOperationException($"The graph has a cycle through node {Nodes.First(n => waiting[index[n]] > 0)}.");
            var order = Enumerable.Range(0, Nodes.Count).OrderBy(i => pass[i]).ThenBy(i => i).Select(i => Nodes[i]).ToList();
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
