// How the INT8 stage runs the optimized graph on samples: as it is (FP32) and as a scheme's integer model computes it
// (simulated INT8), on the kernels (KernelSimulation, the build's engine) or on the reference evaluator (ReferenceSimulation).
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using QuantGen.Compiler.Evaluation;
using QuantGen.Ir;
using QuantGen.Ir.Diagnostics;

namespace QuantGen.Compiler.Quantization.Simulation
{
    /// <summary>A float value the stage observes: the runtime input (index 0), then every float node output in graph order.</summary>
    internal sealed class ObservedValue
    {
        public ObservedValue(int index, Value value)
        {
            Index = index;
            Value = value;
            Channels = value.Rank >= 2 && value.Shape![0] == 1 ? value.Shape[1] : 0;
        }

        public int Index { get; }

        public Value Value { get; }

        /// <summary>Axis 1 of a single-sample [1, C, …] value (per-channel means for bias correction), else 0.</summary>
        public int Channels { get; }

        public static IReadOnlyList<ObservedValue> Of(Graph graph)
        {
            var values = new List<Value> { Calibration.Calibrator.SingleInput(graph) };
            foreach (var node in graph.Nodes)
                foreach (var v in node.Outputs)
                    if (v.Type == DataType.Float32 && v.Shape != null && v.ElementCount > 0 && !values.Contains(v)) values.Add(v);
            return values.Select((v, i) => new ObservedValue(i, v)).ToList();
        }
    }

    /// <summary>Sees value <paramref name="value"/> (an <see cref="ObservedValue.Index"/>) as the model holds it when it is written.</summary>
    internal delegate void ValueObserver(int value, Span<float> data);

    /// <summary>One way to run the optimized graph: FP32, or simulated INT8 for a scheme (<see cref="Simulate"/>).</summary>
    internal abstract class SimulationEngine : IDisposable
    {
        protected SimulationEngine(Graph graph)
        {
            Graph = graph;
            Values = ObservedValue.Of(graph);
        }

        public Graph Graph { get; }

        /// <summary>The values observers see, by index.</summary>
        public IReadOnlyList<ObservedValue> Values { get; }

        /// <summary>What runs the model, for the report ("the kernels", "the reference evaluator").</summary>
        public abstract string Name { get; }

        /// <summary>Whether value <paramref name="value"/> reaches observers channels-last ([H, W, C]) rather than in the ONNX order.</summary>
        public abstract bool ChannelsLast(int value);

        /// <summary>The simulated INT8 model of <paramref name="scheme"/>; throws <see cref="NotSupportedException"/> when this engine cannot run it.</summary>
        public abstract SimulatedModel Simulate(QuantizationScheme scheme);

        /// <summary>Memory for one thread's runs.</summary>
        public abstract SimulationWorker CreateWorker();

        public virtual void Dispose() { }

        /// <summary>
        /// The kernels when the build task provides an executor and the graph lowers for simulation, else the reference
        /// evaluator; <paramref name="note"/> hears why the kernels could not be used.
        /// </summary>
        /// <param name="maxWorkspaceBytes">The most one worker's memory may take: the kernels keep every value of a sample, the reference evaluator only those live at once.</param>
        public static SimulationEngine Create(Graph graph, IPlanExecutor? executor, QuantizationOptions options, Action<string>? note,
            long maxWorkspaceBytes = ResourceLimits.DefaultMaxWorkspaceBytes)
        {
            if (executor != null)
            {
                try
                {
                    return new KernelSimulation(graph, executor, options, maxWorkspaceBytes);
                }
                catch (Exception e) when (e is NotSupportedException || e is CompilerException)
                {
                    note?.Invoke("calibration runs on the reference evaluator (slower): the kernels cannot run this model's simulation (" + e.Message + ")");
                }
            }
            return new ReferenceSimulation(graph);
        }
    }

    /// <summary>A scheme's simulated INT8 model, prepared for an engine's workers.</summary>
    internal abstract class SimulatedModel
    {
        protected SimulatedModel(QuantizationScheme scheme) { Scheme = scheme; }

        public QuantizationScheme Scheme { get; }
    }

    /// <summary>One thread's runs. Not thread-safe.</summary>
    internal abstract class SimulationWorker : IDisposable
    {
        /// <summary>
        /// Runs one sample through the FP32 model (<paramref name="model"/> null) or the simulated one; <paramref name="observer"/>
        /// sees each value as that model holds it (rounded to its grid where the scheme writes uint8; it may read, not
        /// change it). Returns the graph's first output, valid until the next run.
        /// </summary>
        public abstract ReadOnlySpan<float> Run(float[] sample, SimulatedModel? model, ValueObserver? observer);

        public virtual void Dispose() { }
    }

    /// <summary>
    /// A fixed set of workers, one per thread: item i of a loop runs on worker i mod threads, so which worker computes
    /// what never depends on scheduling. Results are per item; callers reduce them in item order (deterministic sums).
    /// </summary>
    internal sealed class SimulationWorkers : IDisposable
    {
        private readonly SimulationEngine _engine;
        private readonly SimulationWorker?[] _workers;

        public SimulationWorkers(SimulationEngine engine, int threads)
        {
            _engine = engine;
            _workers = new SimulationWorker?[Math.Max(1, threads)];
        }

        public int Count => _workers.Length;

        /// <summary>Runs <paramref name="body"/>(worker, worker's slot, item) for items [0, <paramref name="count"/>) on the workers in parallel.</summary>
        public void For(int count, Action<SimulationWorker, int, int> body)
        {
            int threads = Math.Min(_workers.Length, count);
            if (threads <= 1)
            {
                for (int i = 0; i < count; i++) body(Worker(0), 0, i);
                return;
            }
            try
            {
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    var worker = Worker(t);
                    for (int i = t; i < count; i += threads) body(worker, t, i);
                });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
            {
                // The first failure as it was thrown (a CompilerException keeps its QG diagnostic).
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            }
        }

        private SimulationWorker Worker(int t) => _workers[t] ??= _engine.CreateWorker();

        public void Dispose()
        {
            for (int i = 0; i < _workers.Length; i++)
            {
                _workers[i]?.Dispose();
                _workers[i] = null;
            }
        }
    }
}
