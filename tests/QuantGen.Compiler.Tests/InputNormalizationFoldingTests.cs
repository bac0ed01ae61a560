// Folding a per-feature affine chain into the Gemm behind it keeps the model's results (reference evaluator of the
// unfolded graph) and happens in Float32 builds only.
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Evaluation;
using QuantGen.Compiler.GraphPasses;
using QuantGen.Compiler.Pipeline;
using QuantGen.Ir;
using Xunit;

namespace QuantGen.Compiler.Tests
{
    public class InputNormalizationFoldingTests
    {
        private const int Features = 5, Units = 3;

        private static float[] Evaluate(Graph g, Tensor input) =>
            new ReferenceEvaluator(g).Run(new Dictionary<string, Tensor> { [g.Inputs[0].Name] = input })[g.Outputs[0].Name].Floats;

        /// <summary>x → (chain) → Gemm(W, C) → output, the chain written by <paramref name="chain"/>.</summary>
        private static Graph Model(System.Func<GraphBuilder, Value, Value> chain, bool transB = false, bool withBias = true)
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 4, Features);
            var normalized = chain(b, x);
            var w = transB ? b.Constant(Units, Features) : b.Constant(Features, Units);
            var inputs = withBias ? new[] { normalized, w, b.Constant(Units) } : new[] { normalized, w };
            var y = b.Node("Gemm", inputs, a => a.Set(Attribute.OfInt("transB", transB ? 1 : 0)));
            b.Output(y);
            ShapeInference.Run(b.Graph);
            return b.Graph;
        }

        private static Value PerFeature(GraphBuilder b, float offset, bool rank2 = false)
        {
            var data = Enumerable.Range(0, Features).Select(i => offset + 0.5f * i).ToArray();
            return rank2 ? b.Constant(data, 1, Features) : b.Constant(data, Features);
        }

        public static IEnumerable<object[]> Chains() => new[]
        {
            new object[] { "(x - mean) / std", 2, false },
            new object[] { "(x - mean) / std, transB", 2, true },
            new object[] { "c - x, scalar", 1, false },
            new object[] { "x * s + t, [1,K] constants", 2, false },
        };

        private static Value Chain(string which, GraphBuilder b, Value x) => which switch
        {
            "(x - mean) / std" or "(x - mean) / std, transB" =>
                b.Node("Div", new[] { b.Node("Sub", new[] { x, PerFeature(b, -3f) }), PerFeature(b, 0.25f) }),
            "c - x, scalar" => b.Node("Sub", new[] { b.Constant(new[] { 7f }, 1), x }),
            _ => b.Node("Add", new[] { b.Node("Mul", new[] { x, PerFeature(b, 1.5f, rank2: true) }), PerFeature(b, -2f, rank2: true) }),
        };

        [Theory]
        [MemberData(nameof(Chains))]
        public void The_chain_folds_into_the_gemm_with_the_same_results(string which, int removed, bool transB)
        {
            var reference = Model((b, x) => Chain(which, b, x), transB);
            var graph = Model((b, x) => Chain(which, b, x), transB);
            var input = new GraphBuilder().RandomTensor(4, Features);
            // Raw clinical-scale inputs: the fold must hold where the standardization matters.
            var raw = Tensor.FromFloats(new[] { 4, Features }, input.Floats.Select((v, i) => v * 100 + i).ToArray());

            Assert.Equal(removed, InputNormalizationFolding.Run(graph));

            Assert.Equal(new[] { "Gemm" }, graph.Nodes.Select(n => n.OpType));
            Assert.Same(graph.Inputs[0], graph.Nodes[0].Input(0));
            Assert.True(ModelFixtures.MaxRelativeError(Evaluate(graph, raw), Evaluate(reference, raw)) < 1e-5);
        }

        [Fact]
        public void A_gemm_without_bias_gains_one()
        {
            Value chain(GraphBuilder b, Value x) => b.Node("Sub", new[] { x, PerFeature(b, 1f) });
            var reference = Model(chain, withBias: false);
            var graph = Model(chain, withBias: false);
            var input = new GraphBuilder().RandomTensor(4, Features);

            Assert.Equal(1, InputNormalizationFolding.Run(graph));
            Assert.True(ModelFixtures.MaxRelativeError(Evaluate(graph, input), Evaluate(reference, input)) < 1e-5);
        }

        [Fact]
        public void A_single_output_gemm_with_a_scalar_bias_folds()
        {
            // A logistic regression: N = 1 and C a rank-0 scalar (no last axis to compare with N; this threw, QG0999).
            Graph model()
            {
                var b = new GraphBuilder();
                var x = b.Input("x", 4, Features);
                var centred = b.Node("Div", new[] { b.Node("Sub", new[] { x, PerFeature(b, -3f) }), PerFeature(b, 0.25f) });
                var y = b.Node("Gemm", new[] { centred, b.Constant(Features, 1), b.Constant(new[] { 0.75f }) });
                b.Output(y);
                ShapeInference.Run(b.Graph);
                return b.Graph;
            }
            var reference = model();
            var graph = model();
            var input = new GraphBuilder().RandomTensor(4, Features);

            Assert.Equal(2, InputNormalizationFolding.Run(graph));
            Assert.Equal(new[] { "Gemm" }, graph.Nodes.Select(n => n.OpType));
            Assert.True(ModelFixtures.MaxRelativeError(Evaluate(graph, input), Evaluate(reference, input)) < 1e-5);
        }

        [Fact]
        public void What_is_not_affine_per_feature_stays()
        {
            // c / x is not affine; x / 0 must keep its infinities; a value read twice cannot disappear.
            Assert.Equal(0, InputNormalizationFolding.Run(Model((b, x) => b.Node("Div", new[] { PerFeature(b, 1f), x }))));
            Assert.Equal(0, InputNormalizationFolding.Run(Model((b, x) => b.Node("Div", new[] { x, b.Constant(new float[Features], Features) }))));

            var shared = Model((b, x) =>
            {
                var centred = b.Node("Sub", new[] { x, PerFeature(b, 1f) });
                b.Output(centred);
                return centred;
            });
            Assert.Equal(0, InputNormalizationFolding.Run(shared));
            Assert.Equal(new[] { "Sub", "Gemm" }, shared.Nodes.Select(n => n.OpType));
        }

        [Fact]
        public void The_clinical_mlp_folds_in_float32_and_keeps_its_standardization_in_int8()
        {
            var float32 = ModelCompiler.Compile(ModelFixtures.Load("clinical-mlp"), new CompileOptions { Precision = Precision.Float32 });
            Assert.True(float32.Succeeded);
            Assert.DoesNotContain(float32.Plan!.Steps, s => s.Kernel == "BinaryF32");
            Assert.Equal(3, float32.Plan.Steps.Count(s => s.Kernel == "GemmF32"));

            // INT8 quantizes the first Gemm's input: standardized values, not raw ones spanning 0.001 to 4000.
            var int8 = ModelCompiler.Compile(ModelFixtures.Load("clinical-mlp"), new CompileOptions
            {
                Precision = Precision.Int8,
                CalibrationData = System.IO.Path.Combine(QuantGen.Tests.RepoPaths.Model("clinical-mlp"), "data", "calib_x.f32"),
            });
            Assert.True(int8.Succeeded, string.Join("\n", int8.Diagnostics));
            Assert.Contains(int8.OptimizedGraph!.Nodes, n => n.OpType == "Sub");
            Assert.Contains(int8.OptimizedGraph!.Nodes, n => n.OpType == "Div");
        }
    }
}
