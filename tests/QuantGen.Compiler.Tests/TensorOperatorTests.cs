// Reductions, indexing, normalization, Resize and ConvTranspose in the compiler: reference semantics on small hand-checked
// cases, non-float32 public tensors, and the diagnostics for what stays unsupported.
using System.Linq;
using QuantGen.Ir.Diagnostics;
using QuantGen.Compiler.Evaluation;
using QuantGen.Ir;
using QuantGen.Compiler.Pipeline;
using QuantGen.Plan;
using Xunit;

namespace QuantGen.Compiler.Tests
{
    public class TensorOperatorTests
    {
        private static CompileResult CompileFloat(Graph graph) =>
            ModelCompiler.Compile(graph, new CompileOptions { Precision = Precision.Float32, ResourceName = "R" });

        private static Tensor Evaluate(GraphBuilder b, Value output, params (string Name, Tensor Value)[] inputs)
        {
            b.Output(output);
            GraphPasses.ShapeInference.Run(b.Graph);
            return new ReferenceEvaluator(b.Graph).Run(inputs.ToDictionary(i => i.Name, i => i.Value))[output.Name];
        }

        private static Value Int64s(string name, params long[] values) =>
            new Value(name, DataType.Int64, new[] { values.Length }) { Constant = Tensor.FromInt64s(new[] { values.Length }, values) };

        private static Tensor Floats(int[] shape, params float[] data) => Tensor.FromFloats(shape, data);

        [Fact]
        public void ReduceMean_with_axes_input_and_keepdims()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 2, 3);
            var y = Evaluate(b, b.Node("ReduceMean", new[] { x, Int64s("axes", -1) }), ("x", Floats(new[] { 2, 3 }, 1, 2, 3, 4, 5, 9)));
            Assert.Equal(new[] { 2, 1 }, y.Shape);
            Assert.Equal(new[] { 2f, 6f }, y.Floats);
        }

        [Fact]
        public void ReduceMax_without_keepdims_reduces_every_axis_by_default()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 2, 2);
            var y = Evaluate(b, b.Node("ReduceMax", new[] { x }, a => a.Set(Attribute.OfInt("keepdims", 0))), ("x", Floats(new[] { 2, 2 }, 1, 7, -3, 4)));
            Assert.Empty(y.Shape);
            Assert.Equal(7f, y.Floats[0]);
        }

        [Fact]
        public void Slice_with_a_negative_step_and_clamped_bounds()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 5);
            var y = Evaluate(b, b.Node("Slice", new[] { x, Int64s("s", 100), Int64s("e", -100), Int64s("a", 0), Int64s("st", -2) }),
                ("x", Floats(new[] { 5 }, 0, 1, 2, 3, 4)));
            Assert.Equal(new[] { 4f, 2f, 0f }, y.Floats);
        }

        [Fact]
        public void Pad_reflect_and_edge()
        {
            foreach (var (mode, expected) in new[] { ("reflect", new float[] { 3, 2, 1, 2, 3, 2 }), ("edge", new float[] { 1, 1, 1, 2, 3, 3 }) })
            {
                var b = new GraphBuilder();
                var x = b.Input("x", 3);
                var y = Evaluate(b, b.Node("Pad", new[] { x, Int64s("p", 2, 1) }, a => a.Set(Attribute.OfString("mode", mode))), ("x", Floats(new[] { 3 }, 1, 2, 3)));
                Assert.Equal(expected, y.Floats);
            }
        }

        [Fact]
        public void Resize_nearest_asymmetric_and_linear_align_corners()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 1, 2);
            var scales = new Value("scales", DataType.Float32, new[] { 2 }) { Constant = Floats(new[] { 2 }, 1, 2) };
            var nearest = b.Node("Resize", new Value?[] { x, null, scales }, a =>
            {
                a.Set(Attribute.OfString("coordinate_transformation_mode", "asymmetric"));
                a.Set(Attribute.OfString("nearest_mode", "floor"));
            });
            var linear = b.Node("Resize", new Value?[] { x, null, scales }, a =>
            {
                a.Set(Attribute.OfString("mode", "linear"));
                a.Set(Attribute.OfString("coordinate_transformation_mode", "align_corners"));
            });
            b.Output(nearest);
            b.Output(linear);
            GraphPasses.ShapeInference.Run(b.Graph);
            var results = new ReferenceEvaluator(b.Graph).Run(new System.Collections.Generic.Dictionary<string, Tensor> { ["x"] = Floats(new[] { 1, 2 }, 1, 4) });
            Assert.Equal(new[] { 1f, 1f, 4f, 4f }, results[nearest.Name].Floats);
            Assert.Equal(new[] { 1f, 2f, 3f, 4f }, results[linear.Name].Floats);
        }

        [Fact]
        public void ConvTranspose_scatters_the_kernel_with_stride()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 1, 1, 2);
            var w = b.Constant(new float[] { 1, 10 }, 1, 1, 2);
            var y = Evaluate(b, b.Node("ConvTranspose", new[] { x, w }, a => a.Set(Attribute.OfInts("strides", new long[] { 3 }))), ("x", Floats(new[] { 1, 1, 2 }, 1, 2)));
            Assert.Equal(new[] { 1, 1, 5 }, y.Shape);
            Assert.Equal(new[] { 1f, 10f, 0f, 2f, 20f }, y.Floats);
        }

        [Fact]
        public void LayerNormalization_returns_mean_and_inverse_standard_deviation()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 1, 2);
            var scale = b.Constant(new float[] { 1, 1 }, 2);
            var node = new Node("ln", "LayerNormalization", new[] { x, scale }, new[] { new Value("y"), new Value("mean"), new Value("inv") });
            node.Attributes.Set(Attribute.OfFloat("epsilon", 0f));
            b.Graph.Nodes.Add(node);
            foreach (var o in node.Outputs) b.Output(o);
            GraphPasses.ShapeInference.Run(b.Graph);
            var r = new ReferenceEvaluator(b.Graph).Run(new System.Collections.Generic.Dictionary<string, Tensor> { ["x"] = Floats(new[] { 1, 2 }, 1, 3) });
            Assert.Equal(new[] { -1f, 1f }, r["y"].Floats);
            Assert.Equal(2f, r["mean"].Floats[0]);
            Assert.Equal(1f, r["inv"].Floats[0]);
        }

        [Fact]
        public void Int64_indices_and_outputs_become_typed_public_tensors()
        {
            var b = new GraphBuilder();
            var data = b.Constant(4, 3);
            var indices = new Value("indices", DataType.Int64, new[] { 2 });
            b.Graph.Inputs.Add(indices);
            b.Output(b.Node("Gather", new[] { data, indices }));
            var x = b.Input("x", 2, 3);
            b.Output(b.Node("Shape", new[] { x }));
            var result = CompileFloat(b.Graph);
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
            Assert.Equal(PlanElementType.Int64, result.Plan!.Inputs[0].ElementType);
            Assert.Equal(PlanElementType.Float32, result.Plan.Outputs[0].ElementType);
            Assert.Equal(PlanElementType.Int64, result.Plan.Outputs[1].ElementType);
            Assert.Contains(result.Plan.Steps, s => s.Kernel == "Gather");
        }

        [Fact]
        public void Int32_indices_use_their_own_gather()
        {
            var b = new GraphBuilder();
            var indices = new Value("indices", DataType.Int32, new[] { 3 });
            b.Graph.Inputs.Add(indices);
            b.Output(b.Node("Gather", new[] { b.Constant(5, 2), indices }));
            var result = CompileFloat(b.Graph);
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
            Assert.Equal(PlanElementType.Int32, result.Plan!.Inputs[0].ElementType);
            Assert.Contains(result.Plan.Steps, s => s.Kernel == "GatherInt32");
        }

        [Fact]
        public void Integer_math_at_run_time_is_a_clean_data_type_diagnostic()
        {
            var b = new GraphBuilder();
            var x = new Value("x", DataType.Int64, new[] { 3 });
            b.Graph.Inputs.Add(x);
            b.Output(b.Node("Add", new[] { x, x }));
            var result = CompileFloat(b.Graph);
            var d = Assert.Single(result.Diagnostics);
            Assert.Equal(DiagnosticIds.UnsupportedDataType, d.Id);
            Assert.Contains("int64", d.Message);
        }

        [Fact]
        public void A_shape_input_known_only_at_run_time_is_a_dynamic_shape_diagnostic()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 2, 3);
            var shape = new Value("shape", DataType.Int64, new[] { 1 });
            b.Graph.Inputs.Add(shape);
            b.Output(b.Node("Reshape", new[] { x, shape }));
            var result = CompileFloat(b.Graph);
            var d = Assert.Single(result.Diagnostics);
            Assert.Equal(DiagnosticIds.UnsupportedDynamicShape, d.Id);
            Assert.Contains("'shape'", d.Message);
            Assert.Contains("build time", d.Message);
        }

        [Fact]
        public void Float16_inputs_stay_unsupported()
        {
            var b = new GraphBuilder();
            var x = new Value("x", DataType.Float16, new[] { 3 });
            b.Graph.Inputs.Add(x);
            b.Output(b.Node("Relu", new[] { x }));
            var d = Assert.Single(CompileFloat(b.Graph).Diagnostics);
            Assert.Equal(DiagnosticIds.UnsupportedDataType, d.Id);
        }
    }
}
