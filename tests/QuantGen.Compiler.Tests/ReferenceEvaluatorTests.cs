// The reference evaluator reproduces the ONNX Runtime-checked test vectors, before and after the graph rewrites.
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Evaluation;
using QuantGen.Compiler.Passes;
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
    }
}
