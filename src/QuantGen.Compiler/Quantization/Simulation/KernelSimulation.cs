// The INT8 stage on the kernels the generated code calls: the graph lowered once in float32, run by the build task's plan
// executor, with the simulated INT8 model's weights and roundings applied per run.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Compiler.Evaluation;
using QuantGen.Compiler.Lowering;
using QuantGen.Compiler.Planning;
using QuantGen.Ir;
using QuantGen.Plan;

namespace QuantGen.Compiler.Quantization.Simulation
{
    /// <summary>
    /// The simulated INT8 model is the FP32 model with two changes (<see cref="FakeQuantizedModel"/>): weighted nodes read
    /// dequantized weights and biases, and the values the scheme writes as uint8 are rounded to their grid as they are
    /// written. So one float32 lowering of the graph (no fusions, every value in memory of its own) serves every scheme:
    /// <list type="bullet">
    /// <item>weights: the lowering's weight blob is laid out by shape alone, so the graph lowered again with dequantized
    /// weights gives a blob with the same layout (checked step by step); a run picks, per step, the FP32 blob or one with
    /// that node's dequantized weights. A node's dequantized bias depends on its input's scale, which a scheme that keeps
    /// other layers in float can change: each blob records the input scale of every node it holds, and a new one is made
    /// only for a scale no blob has.</item>
    /// <item>roundings: after the step that completes a value the scheme writes as uint8, the value is rounded in place
    /// (<see cref="QuantizationMath.FakeQuantizeInPlace"/>), before any later step reads it.</item>
    /// </list>
    /// Observers see each value right after its node's last step, before memory planning lets anything reuse it.
    /// </summary>
    internal sealed class KernelSimulation : SimulationEngine
    {
        private readonly IPlanExecutor _executor;
        private readonly QuantizationOptions _options;
        private readonly ModelPlan _plan;
        private readonly Probe[] _probes;
        private readonly Dictionary<string, int> _valueByName;
        private readonly string[] _stepNode;
        private readonly Dictionary<string, int> _nodeIndex;
        private readonly List<byte[]> _blobs = new List<byte[]>();

        // For each blob after the first (FP32): the nodes whose dequantized weights it holds, with the input scale they were made for.
        private readonly List<Dictionary<Node, float>> _dequantized = new List<Dictionary<Node, float>>();
        private readonly object _gate = new object();
        private IPlanProgram _program;
        private int _programVersion;

        public KernelSimulation(Graph graph, IPlanExecutor executor, QuantizationOptions options, long maxWorkspaceBytes) : base(graph)
        {
            _executor = executor;
            _options = options;
            var (plan, weights, homes) = LowerWith(graph, inputs: null);
            // Every value keeps its own memory here, so a long chain of large activations (a fixed batch axis of 65,536)
            // needs far more than the generated class would: checked before any worker allocates it.
            if (plan.WorkspaceBytes > maxWorkspaceBytes)
                throw new NotSupportedException(string.Format(CultureInfo.InvariantCulture,
                    "one sample with every value kept takes {0:N0} bytes, over the workspace limit of {1:N0} bytes", plan.WorkspaceBytes, maxWorkspaceBytes));
            _plan = plan;
            _blobs.Add(weights);
            _dequantized.Add(new Dictionary<Node, float>());
            _probes = new Probe[Values.Count];
            var roots = new Dictionary<Lowering.Buffer, Value>();
            foreach (var observed in Values)
            {
                var v = observed.Value;
                if (!homes.TryGetValue(v, out var home) || home.Buffers.Count == 0)
                    throw new NotSupportedException($"value '{v.Name}' has no buffer of its own in the lowered program");
                foreach (var (buffer, _) in home.Buffers)
                {
                    if (buffer.Type != DataType.Float32 || buffer.Elements != v.ElementCount)
                        throw new NotSupportedException($"value '{v.Name}' is held as {buffer}");
                    // Each value must own its memory (LowerForSimulation copies views), or rounding it would round another.
                    if (roots.TryGetValue(buffer.Root, out var other) && other != v)
                        throw new NotSupportedException($"values '{other.Name}' and '{v.Name}' share memory");
                    roots[buffer.Root] = v;
                }
                var operands = home.Buffers.Select(b => PlanBuilder.Operand(b.Buffer)).ToArray();
                _probes[observed.Index] = new Probe(home.CallsBefore, operands, home.Buffers[0].Layout == Layout.Nhwc);
            }
            _valueByName = Values.ToDictionary(v => v.Value.Name, v => v.Index, StringComparer.Ordinal);
            _stepNode = plan.Steps.Select(s => s.Source).ToArray();
            _nodeIndex = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < graph.Nodes.Count; i++)
                if (!_nodeIndex.ContainsKey(graph.Nodes[i].Name)) _nodeIndex[graph.Nodes[i].Name] = i;
                else throw new NotSupportedException($"two nodes are named '{graph.Nodes[i].Name}'");
            if (plan.Outputs.Count == 0 || plan.Outputs[0].ElementType != PlanElementType.Float32)
                throw new NotSupportedException("the model's first output is not float32");
            _program = executor.Load(_plan, _blobs);
        }

        public override string Name => "the kernels";

        public override bool ChannelsLast(int value) => _probes[value].ChannelsLast;

        /// <summary>The lowered float32 plan every run executes (for tests).</summary>
        internal ModelPlan Plan => _plan;

        /// <summary>Weight blobs made so far: the FP32 one and one per set of dequantized weights (for tests and the report).</summary>
        internal int BlobCount => _blobs.Count;

        public override SimulatedModel Simulate(QuantizationScheme scheme)
        {
            // The input scale each weighted node's dequantized bias is made for.
            var wanted = new Dictionary<Node, float>();
            if (scheme.Options.SimulateWeights)
                foreach (var p in scheme.Numerics)
                    if (p.Value == NodeNumerics.Weighted) wanted[p.Key] = scheme.Activations[p.Key.Input(0)!.Name].Scale;
            int[] blobOfNode;
            lock (_gate)
            {
                if (wanted.Any(w => BlobHolding(w.Key, w.Value) < 0)) AddBlob(scheme, wanted.Where(w => BlobHolding(w.Key, w.Value) < 0).Select(w => w.Key).ToList());
                blobOfNode = Graph.Nodes.Select(n => wanted.TryGetValue(n, out float scale) ? BlobHolding(n, scale) : 0).ToArray();
            }
            var blobOfStep = _stepNode.Select(name => _nodeIndex.TryGetValue(name, out int i) ? blobOfNode[i] : 0).ToArray();

            var roundings = new List<(int Value, QuantParams Params)>();
            if (scheme.Options.SimulateActivations)
                foreach (var name in scheme.QuantizedOutputs)
                    if (_valueByName.TryGetValue(name, out int v)) roundings.Add((v, scheme.Activations[name]));
            roundings.Sort((a, b) => a.Value.CompareTo(b.Value));
            return new Model(scheme, blobOfStep, roundings);
        }

        public override SimulationWorker CreateWorker() => new Worker(this);

        public override void Dispose()
        {
            lock (_gate) _program.Dispose();
        }

        private int BlobHolding(Node node, float scale)
        {
            for (int b = 1; b < _dequantized.Count; b++)
                if (_dequantized[b].TryGetValue(node, out float s) && s.Equals(scale)) return b;
            return -1;
        }

        /// <summary>Lowers the graph again with the dequantized weights of <paramref name="nodes"/> under <paramref name="scheme"/>, as a new blob.</summary>
        private void AddBlob(QuantizationScheme scheme, List<Node> nodes)
        {
            var simulated = FakeQuantizedModel.SimulatedInputs(Graph, scheme);
            var inputs = nodes.Where(simulated.ContainsKey).ToDictionary(n => n, n => simulated[n]);
            var (plan, weights, _) = LowerWith(Graph, inputs);
            string? difference = StepDifference(_plan, plan);
            if (difference != null)
                throw new NotSupportedException("the model lowered with dequantized weights has other steps than in float32 (" + difference + ")");
            _blobs.Add(weights);
            _dequantized.Add(nodes.ToDictionary(n => n, n => scheme.Activations[n.Input(0)!.Name].Scale));
            // Simulate is called between parallel loops, never during a run: every worker binds the new program at its
            // next run (Worker.Bound), so the old one (and its pins) can go now.
            var old = _program;
            _program = _executor.Load(_plan, _blobs);
            _programVersion++;
            old.Dispose();
        }

        /// <summary>The float32 lowering for simulation, with some nodes reading other inputs (their inputs are put back after).</summary>
        private (ModelPlan Plan, byte[] Weights, Dictionary<Value, ValueHome> Homes) LowerWith(Graph graph, Dictionary<Node, Value?[]>? inputs)
        {
            var saved = new List<(Node Node, Value?[] Inputs)>();
            try
            {
                foreach (var node in graph.Nodes)
                {
                    Value?[]? replaced = inputs != null && inputs.TryGetValue(node, out var r) ? r : null;
                    // Bias correction may give a node without a bias one: the FP32 lowering gets a zero bias, so both blobs
                    // have the same layout.
                    if (replaced == null && _options.BiasCorrection && (node.OpType == "Conv" || node.OpType == "Gemm") && node.Input(2) == null
                        && node.Input(1)?.Constant is { } w && node.Outputs[0].Shape is { } shape)
                    {
                        int channels = node.OpType == "Conv" ? w.Shape[0] : shape[shape.Length - 1];
                        replaced = node.Inputs.Concat(Enumerable.Repeat<Value?>(null, Math.Max(0, 3 - node.Inputs.Count))).ToArray();
                        replaced[2] = new Value(node.Name + ".bias.zero", DataType.Float32, new[] { channels }) { Constant = Tensor.FromFloats(new[] { channels }, new float[channels]) };
                    }
                    if (replaced == null) continue;
                    saved.Add((node, node.Inputs.ToArray()));
                    node.Inputs.Clear();
                    node.Inputs.AddRange(replaced);
                }
                var program = Lowerer.LowerForSimulation(graph, out var homes);
                long workspace = MemoryPlanner.Plan(program);
                var (plan, weights) = PlanBuilder.Build(graph, program, workspace, "Float32", "simulation", inlineLimit: 0);
                return (plan, weights, homes);
            }
            finally
            {
                foreach (var (node, original) in saved)
                {
                    node.Inputs.Clear();
                    node.Inputs.AddRange(original);
                }
            }
        }

        /// <summary>Null when <paramref name="b"/> runs the same kernels with the same arguments as <paramref name="a"/> (weight values aside).</summary>
        private static string? StepDifference(ModelPlan a, ModelPlan b)
        {
            if (a.WorkspaceBytes != b.WorkspaceBytes || a.Weights.ByteCount != b.Weights.ByteCount || a.Steps.Count != b.Steps.Count)
                return string.Format(CultureInfo.InvariantCulture, "{0} steps, {1} weight bytes against {2}, {3}", b.Steps.Count, b.Weights.ByteCount, a.Steps.Count, a.Weights.ByteCount);
            for (int s = 0; s < a.Steps.Count; s++)
            {
                PlanStep x = a.Steps[s], y = b.Steps[s];
                if (x.Kernel != y.Kernel || x.Arguments.Count != y.Arguments.Count) return "step " + s.ToString(CultureInfo.InvariantCulture);
                for (int i = 0; i < x.Arguments.Count; i++)
                    if (x.Arguments[i].Name != y.Arguments[i].Name || x.Arguments[i].Value.ToString() != y.Arguments[i].Value.ToString())
                        return "step " + s.ToString(CultureInfo.InvariantCulture) + " " + x.Arguments[i].Name;
            }
            return null;
        }

        /// <summary>Where a value is complete (after <see cref="CallsBefore"/> steps) and the memory that holds it.</summary>
        private sealed class Probe
        {
            public Probe(int callsBefore, PlanOperand[] operands, bool channelsLast)
            {
                CallsBefore = callsBefore;
                Operands = operands;
                ChannelsLast = channelsLast;
            }

            public int CallsBefore { get; }

            /// <summary>One per layout the value was written in (the first is what observers see).</summary>
            public PlanOperand[] Operands { get; }

            public bool ChannelsLast { get; }
        }

        private sealed class Model : SimulatedModel
        {
            public Model(QuantizationScheme scheme, int[] blobOfStep, List<(int Value, QuantParams Params)> roundings) : base(scheme)
            {
                BlobOfStep = blobOfStep;
                Roundings = roundings;
            }

            public int[] BlobOfStep { get; }

            /// <summary>The values rounded to their uint8 grid, by value index.</summary>
            public List<(int Value, QuantParams Params)> Roundings { get; }
        }

        private sealed class Worker : SimulationWorker
        {
            private readonly KernelSimulation _engine;
            private IPlanWorker? _worker;
            private int _version = -1;

            // What to do after a step: round values, then show values to the observer (ordered by step, then value).
            private readonly List<(int CallsBefore, int Value, bool Round, QuantParams Params)> _events = new List<(int, int, bool, QuantParams)>();

            public Worker(KernelSimulation engine) { _engine = engine; }

            public override ReadOnlySpan<float> Run(float[] sample, SimulatedModel? model, ValueObserver? observer)
            {
                var worker = Bound();
                var probes = _engine._probes;
                var input = worker.Input<float>(0);
                if (sample.Length != input.Length)
                    throw new ArgumentException($"a sample of {sample.Length} values for an input of {input.Length}", nameof(sample));
                sample.AsSpan().CopyTo(input);

                _events.Clear();
                var simulated = (Model?)model;
                if (simulated != null)
                    foreach (var (value, p) in simulated.Roundings) _events.Add((probes[value].CallsBefore, value, true, p));
                if (observer != null)
                    for (int v = 0; v < probes.Length; v++) _events.Add((probes[v].CallsBefore, v, false, default));
                // Stable order: by step, roundings before observations, then by value.
                _events.Sort((a, b) => a.CallsBefore != b.CallsBefore ? a.CallsBefore.CompareTo(b.CallsBefore)
                    : a.Round != b.Round ? (a.Round ? -1 : 1) : a.Value.CompareTo(b.Value));

                int done = 0;
                var blobs = simulated?.BlobOfStep;
                foreach (var e in _events)
                {
                    if (e.CallsBefore > done)
                    {
                        worker.Run(done, e.CallsBefore, blobs);
                        done = e.CallsBefore;
                    }
                    var probe = probes[e.Value];
                    if (e.Round)
                        foreach (var operand in probe.Operands) QuantizationMath.FakeQuantizeInPlace(worker.Data<float>(operand), e.Params);
                    else
                        observer!(e.Value, worker.Data<float>(probe.Operands[0]));
                }
                worker.Run(done, _engine._plan.Steps.Count, blobs);
                return worker.Output<float>(0);
            }

            /// <summary>This worker's memory for the engine's current program (a new blob binds a new one).</summary>
            private IPlanWorker Bound()
            {
                lock (_engine._gate)
                {
                    if (_worker == null || _version != _engine._programVersion)
                    {
                        _worker?.Dispose();
                        _worker = _engine._program.CreateWorker();
                        _version = _engine._programVersion;
                    }
                    return _worker;
                }
            }

            public override void Dispose()
            {
                _worker?.Dispose();
                _worker = null;
            }
        }
    }
}
