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
    }
}
