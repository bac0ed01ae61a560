// The reference evaluator: runs the graph op by op in plain C# (ONNX semantics, NCHW). It is the
// oracle for tests and the engine for constant folding and calibration.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;
using QuantGen.Compiler.Operators;

namespace QuantGen.Compiler.Evaluation
{
    public sealed class ReferenceEvaluator
    {
        private readonly Graph _graph;
        private readonly OperatorContext _context;
        private readonly IReadOnlyDictionary<Node, Value?[]>? _inputsOf;
        private readonly Dictionary<Value, int> _lastUse = new Dictionary<Value, int>();

        /// <param name="inputsOf">
        /// Nodes that read other inputs than the graph gives them (the INT8 simulator's dequantized weights and biases), so one
        /// graph serves several evaluators at once without being changed.
        /// </param>
        public ReferenceEvaluator(Graph graph, IReadOnlyDictionary<Node, Value?[]>? inputsOf = null)
        {
            _graph = graph;
            _inputsOf = inputsOf;
            _context = new OperatorContext(graph.Info.Opset);
            for (int i = 0; i < graph.Nodes.Count; i++)
                foreach (var v in InputsOf(graph.Nodes[i]))
                    if (v != null) _lastUse[v] = i;
        }

        private IReadOnlyList<Value?> InputsOf(Node node) => _inputsOf != null && _inputsOf.TryGetValue(node, out var inputs) ? inputs : node.Inputs;

        /// <summary>
        /// Runs the graph. A batched graph is run one sample at a time (as the generated code does)
        /// and the outputs are concatenated along the batch axis. <paramref name="observe"/> sees
        /// every computed value (per sample), e.g. for calibration.
        /// </summary>
        public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, Action<Value, Tensor>? observe = null)
        {
            bool batched = _graph.Inputs.Any(v => v.IsBatched);
            if (!batched) return RunOne(inputs, observe);
            int batch = inputs[_graph.Inputs.First(v => v.IsBatched).Name].Shape[0];
            var perSample = new List<Dictionary<string, Tensor>>();
            for (int b = 0; b < batch; b++)
            {
                var sample = inputs.ToDictionary(kv => kv.Key, kv => _graph.Inputs.First(v => v.Name == kv.Key).IsBatched ? SliceBatch(kv.Value, b) : kv.Value);
                perSample.Add(RunOne(sample, observe));
            }
            return _graph.Outputs.ToDictionary(o => o.Name, o => o.IsBatched ? ConcatBatch(perSample.Select(s => s[o.Name]).ToList(), batch) : perSample[0][o.Name]);
        }

        /// <summary>
        /// The most bytes of run-time values <see cref="Run"/> holds at once for one sample (inputs, and each node's outputs
        /// until their last reader): what calibrating a model costs, known from the shapes before anything runs.
        /// </summary>
        public static long PeakLiveBytes(Graph graph)
        {
            var lastUse = new Dictionary<Value, int>();
            for (int i = 0; i < graph.Nodes.Count; i++)
                foreach (var v in graph.Nodes[i].Inputs)
                    if (v != null && !v.IsConstant) lastUse[v] = i;
            var outputs = new HashSet<Value>(graph.Outputs);
            long live = graph.Inputs.Sum(Bytes), peak = live;
            for (int i = 0; i < graph.Nodes.Count; i++)
            {
                foreach (var o in graph.Nodes[i].Outputs) live += Bytes(o);
                peak = Math.Max(peak, live);
                foreach (var v in graph.Nodes[i].Inputs.Distinct())
                    if (v != null && !v.IsConstant && lastUse[v] == i && !outputs.Contains(v)) live -= Bytes(v);
            }
            return peak;

            static long Bytes(Value v) => v.Shape == null ? 0 : v.ElementCount * Math.Max(4, DataTypes.SizeOf(v.Type));
        }

        private Dictionary<string, Tensor> RunOne(IReadOnlyDictionary<string, Tensor> inputs, Action<Value, Tensor>? observe)
        {
            var values = new Dictionary<Value, Tensor>();
            foreach (var input in _graph.Inputs)
            {
                if (!inputs.TryGetValue(input.Name, out var t))
                    throw new ArgumentException($"No value was given for input '{input.Name}'.", nameof(inputs));
                values[input] = t;
            }
            for (int i = 0; i < _graph.Nodes.Count; i++)
            {
                var node = _graph.Nodes[i];
                var op = OperatorSet.Require(node, _graph.Info.SourcePath);
                var reads = InputsOf(node);
                var args = reads.Select(v => v == null ? null : v.Constant ?? values[v]).ToArray();
                Tensor[] results;
                try
                {
                    results = op.Evaluate(node, args, _context);
                }
                catch (Exception e) when (!(e is CompilerException) && !(e is OutOfMemoryException))
                {
                    throw CompilerException.Internal(e, "evaluating", _graph.Info.SourcePath, node);
                }
                for (int o = 0; o < node.Outputs.Count && o < results.Length; o++)
                {
                    values[node.Outputs[o]] = results[o];
                    observe?.Invoke(node.Outputs[o], results[o]);
                }
                // Free what no later node reads, so memory stays bounded by the widest point of the graph.
                foreach (var v in reads)
                    if (v != null && _lastUse.TryGetValue(v, out int last) && last == i && !_graph.IsGraphOutput(v)) values.Remove(v);
            }
            return _graph.Outputs.ToDictionary(o => o.Name, o => o.Constant ?? values[o]);
        }

        private static Tensor SliceBatch(Tensor t, int index)
        {
            var shape = (int[])t.Shape.Clone();
            int size = t.ElementCount / shape[0];
            shape[0] = 1;
            var slice = Tensor.Create(t.Type, shape);
            Array.Copy(t.Data, index * size, slice.Data, 0, size);
            return slice;
        }

        private static Tensor ConcatBatch(List<Tensor> parts, int batch)
        {
            var shape = (int[])parts[0].Shape.Clone();
            shape[0] = batch;
            var result = Tensor.Create(parts[0].Type, shape);
            for (int b = 0; b < parts.Count; b++) Array.Copy(parts[b].Data, 0, result.Data, b * parts[b].ElementCount, parts[b].ElementCount);
            return result;
        }
    }
}
