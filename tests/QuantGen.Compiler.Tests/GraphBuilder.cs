// Small graphs built in code for unit tests.
using System;
using System.Linq;
using QuantGen.Ir;

namespace QuantGen.Compiler.Tests
{
    internal sealed class GraphBuilder
    {
        private readonly Random _random = new Random(1234);
        private int _next;

        public Graph Graph { get; } = new Graph { Info = new ModelInfo { Opset = 13, SourcePath = "test.onnx", Sha256 = new string('0', 64) } };

        public Value Input(string name, params int[] shape)
        {
            var v = new Value(name, DataType.Float32, shape);
            Graph.Inputs.Add(v);
            return v;
        }

        public Value Constant(params int[] shape) => Constant(RandomFloats((int)Tensor.ElementCountOf(shape)), shape);

        public Value Constant(float[] data, params int[] shape) =>
            new Value("c" + _next++, DataType.Float32, shape) { Constant = Tensor.FromFloats(shape, data) };

        public Value Node(string op, Value?[] inputs, Action<AttributeMap>? attributes = null, string? name = null)
        {
            var output = new Value("v" + _next++);
            var node = new Node(name ?? op + "_" + _next++, op, inputs, new[] { output });
            attributes?.Invoke(node.Attributes);
            Graph.Nodes.Add(node);
            return output;
        }

        public void Output(Value v) => Graph.Outputs.Add(v);

        public float[] RandomFloats(int n) => Enumerable.Range(0, n).Select(_ => (float)(_random.NextDouble() * 2 - 1)).ToArray();

        public Tensor RandomTensor(params int[] shape) => Tensor.FromFloats(shape, RandomFloats((int)Tensor.ElementCountOf(shape)));
    }
}
