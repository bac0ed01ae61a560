// Graph rewrites keep the model's results (checked with the reference evaluator) while removing nodes.
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Evaluation;
using QuantGen.Ir;
using QuantGen.Compiler.GraphPasses;
using Xunit;

namespace QuantGen.Compiler.Tests
{
    public class RewriteTests
    {
        private static float[] Evaluate(Graph g, Tensor input) =>
            new ReferenceEvaluator(g).Run(new Dictionary<string, Tensor> { [g.Inputs[0].Name] = input })[g.Outputs[0].Name].Floats;

        private static (Graph Graph, Tensor Input) ConvBatchNormRelu()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 1, 3, 6, 6);
            var conv = b.Node("Conv", new[] { x, b.Constant(4, 3, 3, 3), b.Constant(4) }, a => a.Set(Attribute.OfInts("pads", new long[] { 1, 1, 1, 1 })));
            var var = b.Constant(new[] { 0.5f, 1.5f, 2f, 0.25f }, 4);
            var bn = b.Node("BatchNormalization", new[] { conv, b.Constant(4), b.Constant(4), b.Constant(4), var });
            var id = b.Node("Identity", new[] { bn });
            var relu = b.Node("Relu", new[] { id });
            b.Output(relu);
            return (b.Graph, b.RandomTensor(1, 3, 6, 6));
        }

        [Fact]
        public void BatchNorm_identity_and_relu_fold_into_the_conv()
        {
            var (reference, input) = ConvBatchNormRelu();
            ShapeInference.Run(reference);
            var expected = Evaluate(reference, input);

            var (graph, _) = ConvBatchNormRelu();
            ShapeInference.Run(graph);
            var counts = GraphRewrites.Run(graph);

            Assert.Equal(1, counts.Identities);
            Assert.Equal(1, counts.BatchNormsFolded);
            Assert.Equal(1, counts.ActivationsFused);
            Assert.Equal(new[] { "Conv" }, graph.Nodes.Select(n => n.OpType));
            Assert.Equal(graph.Outputs[0].Name, reference.Outputs[0].Name);
            Assert.True(ModelFixtures.MaxRelativeError(Evaluate(graph, input), expected) < 1e-5);
        }

        /// <summary>LayerNorm as PyTorch exported it before opset 17 (MiniLM): ReduceMean, Sub, Pow, ReduceMean, Add ε, Sqrt, Div, · γ, + β.</summary>
        private static (Graph Graph, Tensor Input) DecomposedLayerNorm(bool affine, bool squareAsMul, bool exposeDeviation)
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 1, 5, 8);
            void Last(AttributeMap a) => a.Set(Attribute.OfInts("axes", new long[] { -1 }));
            var h = b.Node("Relu", new[] { x });
            var mean = b.Node("ReduceMean", new[] { h }, Last);
            var d = b.Node("Sub", new[] { h, mean });
            var square = squareAsMul ? b.Node("Mul", new[] { d, d }) : b.Node("Pow", new[] { d, b.Constant(new[] { 2f }) });
            var variance = b.Node("ReduceMean", new[] { square }, Last);
            var std = b.Node("Sqrt", new[] { b.Node("Add", new[] { variance, b.Constant(new[] { 1e-5f }) }) });
            var y = b.Node("Div", new[] { d, std });
            if (affine) y = b.Node("Add", new[] { b.Node("Mul", new[] { y, b.Constant(8) }), b.Constant(8) });
            b.Output(b.Node("Tanh", new[] { y }));
            if (exposeDeviation) b.Output(d);
            return (b.Graph, b.RandomTensor(1, 5, 8));
        }

        [Theory]
        [InlineData(true, false)]
        [InlineData(false, true)]
        public void A_layer_norm_written_out_becomes_one_LayerNormalization(bool affine, bool squareAsMul)
        {
            var (reference, input) = DecomposedLayerNorm(affine, squareAsMul, exposeDeviation: false);
            ShapeInference.Run(reference);
            var expected = Evaluate(reference, input);

            var (graph, _) = DecomposedLayerNorm(affine, squareAsMul, exposeDeviation: false);
            ShapeInference.Run(graph);
            var counts = GraphRewrites.Run(graph);

            Assert.Equal(1, counts.LayerNormsFused);
            Assert.Equal(new[] { "Relu", "LayerNormalization", "Tanh" }, graph.Nodes.Select(n => n.OpType));
            var fused = graph.Nodes[1];
            Assert.Equal(2, fused.Attributes.GetInt("axis", 0));
            Assert.Equal(1e-5f, fused.Attributes.GetFloat("epsilon", 0));
            Assert.True(ModelFixtures.MaxRelativeError(Evaluate(graph, input), expected) < 1e-5);
        }

        [Fact]
        public void A_layer_norm_whose_deviation_is_read_elsewhere_stays_as_written()
        {
            var (graph, _) = DecomposedLayerNorm(affine: true, squareAsMul: false, exposeDeviation: true);
            ShapeInference.Run(graph);
            Assert.Equal(0, GraphRewrites.Run(graph).LayerNormsFused);
            Assert.Contains(graph.Nodes, n => n.OpType == "Sqrt");
        }

        [Fact]
        public void Constant_shape_arithmetic_folds_away()
        {
            // Shape → Gather → Concat → Reshape, as exporters write a channel shuffle or a flatten.
            var b = new GraphBuilder();
            var x = b.Input("x", 1, 4, 2, 2);
            var shape = b.Node("Shape", new[] { x });
            var first = b.Node("Gather", new[] { shape, new Value("i0", DataType.Int64, new int[0]) { Constant = Tensor.Scalar(0L) } }, a => a.Set(Attribute.OfInt("axis", 0)));
            var unsq = b.Node("Unsqueeze", new[] { first, new Value("ax", DataType.Int64, new[] { 1 }) { Constant = Tensor.FromInt64s(new[] { 1 }, new long[] { 0 }) } });
            var minusOne = new Value("m1", DataType.Int64, new[] { 1 }) { Constant = Tensor.FromInt64s(new[] { 1 }, new long[] { -1 }) };
            var target = b.Node("Concat", new[] { unsq, minusOne }, a => a.Set(Attribute.OfInt("axis", 0)));
            var reshaped = b.Node("Reshape", new[] { x, target });
            b.Output(reshaped);
            ShapeInference.Run(b.Graph);
            Assert.Equal(new[] { "Reshape" }, b.Graph.Nodes.Select(n => n.OpType));
            Assert.Equal(new[] { 1, 16 }, b.Graph.Outputs[0].Shape);
        }

        [Fact]
        public void MobileNetV2_rewrites_fuse_every_clip()
        {
            var graph = ModelFixtures.Load("mobilenetv2-digits");
            ShapeInference.Run(graph);
            int clips = graph.Nodes.Count(n => n.OpType == "Clip");
            var counts = GraphRewrites.Run(graph);
            Assert.True(clips > 0);
            Assert.Equal(clips, counts.ActivationsFused);
            Assert.DoesNotContain(graph.Nodes, n => n.OpType == "Clip" || n.OpType == "Constant");
        }

        /// <summary>GELU as PyTorch exported it before opset 20 (MiniLM): x / √2 → Erf → + 1, then · x and · 0.5 grouped as <paramref name="grouping"/>.</summary>
        private static (Graph Graph, Tensor Input) DecomposedGelu(string grouping, float root = 1.4142135f, bool exposeErf = false)
        {
            var b = new GraphBuilder();
            var x = b.Node("Relu", new[] { b.Input("x", 1, 6, 16) });
            x = b.Node("Sub", new[] { x, b.Constant(new[] { 1.5f }) });
            var scaled = grouping == "mul-scale" ? b.Node("Mul", new[] { x, b.Constant(new[] { 0.70710677f }) }) : b.Node("Div", new[] { x, b.Constant(new[] { root }) });
            var erf = b.Node("Erf", new[] { scaled });
            var onePlus = b.Node("Add", new[] { erf, b.Constant(new[] { 1f }) });
            var half = b.Constant(new[] { 0.5f });
            var y = grouping switch
            {
                "half-first" => b.Node("Mul", new[] { b.Node("Mul", new[] { x, half }), onePlus }),
                "half-of-sum" => b.Node("Mul", new[] { x, b.Node("Mul", new[] { onePlus, half }) }),
                _ => b.Node("Mul", new[] { b.Node("Mul", new[] { x, onePlus }), half }),
            };
            b.Output(b.Node("Tanh", new[] { y }));
            if (exposeErf) b.Output(erf);
            return (b.Graph, b.RandomTensor(1, 6, 16));
        }

        [Theory]
        [InlineData("x-first")]
        [InlineData("half-first")]
        [InlineData("half-of-sum")]
        [InlineData("mul-scale")]
        public void A_gelu_written_out_becomes_one_Gelu(string grouping)
        {
            var (reference, input) = DecomposedGelu(grouping);
            ShapeInference.Run(reference);
            var expected = Evaluate(reference, input);

            var (graph, _) = DecomposedGelu(grouping);
            ShapeInference.Run(graph);
            Assert.Equal(1, GraphRewrites.Run(graph).GelusFused);
            Assert.Equal(new[] { "Relu", "Sub", "Gelu", "Tanh" }, graph.Nodes.Select(n => n.OpType));
            Assert.True(ModelFixtures.MaxRelativeError(Evaluate(graph, input), expected) < 1e-6);
        }

        [Fact]
        public void Another_scale_or_an_erf_read_elsewhere_stays_as_written()
        {
            foreach (var (graph, _) in new[] { DecomposedGelu("x-first", root: 1.5f), DecomposedGelu("x-first", exposeErf: true) })
            {
                ShapeInference.Run(graph);
                Assert.Equal(0, GraphRewrites.Run(graph).GelusFused);
                Assert.Contains(graph.Nodes, n => n.OpType == "Erf");
            }
        }
    }
}
