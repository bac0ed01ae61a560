// The reference evaluator reproduces the ONNX Runtime-checked test vectors, before and after the graph rewrites.
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Evaluation;
using QuantGen.Ir;
using QuantGen.Compiler.GraphPasses;
using Xunit;

namespace QuantGen.Compiler.Tests
{
    public class ReferenceEvaluatorTests
    {
        public static IEnumerable<object[]> Models => ModelFixtures.Names.Select(n => new object[] { n });

        [Theory]
        [MemberData(nameof(Models))]
        public void Optimized_graph_reproduces_test_vectors(string model)
        {
            var graph = ModelFixtures.Load(model);
            ShapeInference.Run(graph);
            GraphRewrites.Run(graph);
            var evaluator = new ReferenceEvaluator(graph);
            int sets = 0;
            foreach (var (inputs, outputs) in ModelFixtures.TestVectors(model))
            {
                var feeds = graph.Inputs.Select((v, i) => (v.Name, inputs[i])).ToDictionary(p => p.Name, p => p.Item2);
                var results = evaluator.Run(feeds);
                for (int i = 0; i < outputs.Length; i++)
                {
                    var got = results[graph.Outputs[i].Name];
                    Assert.Equal(outputs[i].Shape, got.Shape);
                    Assert.True(ModelFixtures.MaxRelativeError(got.Floats, outputs[i].Floats) < 1e-4, $"{model} output {i}");
                }
                sets++;
            }
            Assert.True(sets >= 1);
        }

        /// <summary>
        /// Erf against the official backend test (node/test_erf: 3,072 values of the correctly rounded erf): the reference
        /// evaluator's double-precision erf, rounded to float, is off by at most one ulp (a double rounding).
        /// </summary>
        [Fact]
        public void Erf_matches_the_backend_test_vectors()
        {
            string dir = System.IO.Path.Combine(QuantGen.Tests.RepoPaths.Root, "tests", "QuantGen.Conformance.Tests", "onnx-backend-tests", "node", "test_erf");
            var graph = Onnx.OnnxModelReader.Read(System.IO.Path.Combine(dir, "model.onnx"));
            ShapeInference.Run(graph);
            var input = Onnx.TensorFile.Read(System.IO.Path.Combine(dir, "test_data_set_0", "input_0.pb"));
            var want = Onnx.TensorFile.Read(System.IO.Path.Combine(dir, "test_data_set_0", "output_0.pb")).Floats;
            var got = new ReferenceEvaluator(graph).Run(new Dictionary<string, Tensor> { [graph.Inputs[0].Name] = input })[graph.Outputs[0].Name].Floats;
            Assert.Equal(want.Length, got.Length);
            Assert.True(want.Length > 1000);
            for (int i = 0; i < want.Length; i++)
                Assert.True(System.Math.Abs(System.BitConverter.SingleToInt32Bits(got[i]) - System.BitConverter.SingleToInt32Bits(want[i])) <= 1,
                    $"erf({input.Floats[i]:R}) = {got[i]:R}, expected {want[i]:R}");
        }

        [Fact]
        public void Gemm_without_a_C_input_is_a_plain_product()
        {
            // ONNX Gemm's C is optional; an exporter may leave the input out entirely (2 inputs, not an empty name).
            var b = new GraphBuilder();
            var x = b.Input("x", 2, 3);
            var w = b.Constant(new float[] { 1, 2, 3, 4, 5, 6 }, 3, 2);
            b.Output(b.Node("Gemm", new Value?[] { x, w }));
            ShapeInference.Run(b.Graph);
            var y = new ReferenceEvaluator(b.Graph).Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromFloats(new[] { 2, 3 }, new float[] { 1, 0, -1, 2, 1, 0 }) });
            Assert.Equal(new float[] { 1 - 5, 2 - 6, 2 + 3, 4 + 4 }, y.Values.Single().Floats);
        }
    }
}
