// The INT8 stage on the reference evaluator (double accumulation, ONNX order): the tests' oracle and the engine of a task
// that has no kernels to run (the netstandard2.0 build, for Visual Studio's .NET Framework MSBuild).
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Evaluation;
using QuantGen.Ir;

namespace QuantGen.Compiler.Quantization.Simulation
{
    internal sealed class ReferenceSimulation : SimulationEngine
    {
        private readonly ReferenceEvaluator _fp32;
        private readonly Dictionary<string, int> _index;
        private readonly Value _input;

        public ReferenceSimulation(Graph graph) : base(graph)
        {
            _fp32 = new ReferenceEvaluator(graph);
            _index = Values.ToDictionary(v => v.Value.Name, v => v.Index, StringComparer.Ordinal);
            _input = Values[0].Value;
        }

        public override string Name => "the reference evaluator";

        public override bool ChannelsLast(int value) => false;

        public override SimulatedModel Simulate(QuantizationScheme scheme) => new Model(scheme, FakeQuantizedModel.Apply(Graph, scheme));

        /// <summary>A simulator built elsewhere (on another load of the same model: values are matched by name).</summary>
        public SimulatedModel Wrap(FakeQuantizedModel simulator) => new Model(simulator.Scheme, simulator);

        public override SimulationWorker CreateWorker() => new Worker(this);

        private sealed class Model : SimulatedModel
        {
            public Model(QuantizationScheme scheme, FakeQuantizedModel simulator) : base(scheme) { Simulator = simulator; }

            public FakeQuantizedModel Simulator { get; }
        }

        private sealed class Worker : SimulationWorker
        {
            private readonly ReferenceSimulation _engine;

            public Worker(ReferenceSimulation engine) { _engine = engine; }

            public override ReadOnlySpan<float> Run(float[] sample, SimulatedModel? model, ValueObserver? observer)
            {
                var index = _engine._index;
                Action<Value, Tensor>? observe = observer == null ? null : (v, t) =>
                {
                    if (t.Type == DataType.Float32 && index.TryGetValue(v.Name, out int i)) observer(i, t.Floats);
                };
                var graph = _engine.Graph;
                Dictionary<string, Tensor> outputs;
                if (model == null)
                {
                    observer?.Invoke(0, (float[])sample.Clone());
                    outputs = _engine._fp32.Run(new Dictionary<string, Tensor> { [_engine._input.Name] = Tensor.FromFloats(_engine._input.Shape!, sample) }, observe);
                }
                else
                {
                    var scheme = model.Scheme;
                    if (observer != null)
                    {
                        // The input as the simulated model reads it (FakeQuantizedModel rounds its own copy).
                        var data = (float[])sample.Clone();
                        if (scheme.Options.SimulateActivations && scheme.QuantizedOutputs.Contains(_engine._input.Name))
                            QuantizationMath.FakeQuantizeInPlace(data, scheme.Activations[_engine._input.Name]);
                        observer(0, data);
                    }
                    outputs = ((Model)model).Simulator.Run(sample, observe);
                }
                return outputs[graph.Outputs[0].Name].ToFloatArray();
            }
        }
    }
}
