// InputShapes and DimensionValues (issue 19): a model's free input dimensions get their sizes from the project file.
using System;
using System.Linq;
using QuantGen.Ir;
using QuantGen.Compiler.GraphPasses;
using QuantGen.Compiler.Pipeline;
using Xunit;

namespace QuantGen.Compiler.Tests
{
    public class FreeDimensionsTests
    {
        /// <summary>Two token inputs [batch, sequence] (as MiniLM's), each summed over the sequence by a MatMul with ones.</summary>
        private static Graph Tokens(out GraphBuilder b)
        {
            b = new GraphBuilder();
            foreach (string name in new[] { "input_ids", "attention_mask" })
            {
                var input = b.Input(name, -1, -1);
                input.DimensionNames = new[] { "batch", "sequence" };
            }
            var sum = b.Node("Add", new[] { b.Graph.Inputs[0], b.Graph.Inputs[1] });
            b.Output(b.Node("ReduceSum", new[] { sum }, a => { a.Set(Ir.Attribute.OfInts("axes", new long[] { 1 })); a.Set(Ir.Attribute.OfInt("keepdims", 0)); }));
            return b.Graph;
        }

        private static CompileResult Compile(Graph graph, string? inputShapes, string? dimensionValues) =>
            ModelCompiler.Compile(graph, new CompileOptions { Precision = Precision.Float32, Dimensions = FreeDimensions.Parse(inputShapes, dimensionValues) });

        [Fact]
        public void DimensionValues_sets_a_named_dimension_on_every_input_and_keeps_the_batch()
        {
            var graph = Tokens(out _);
            var result = Compile(graph, null, "sequence:12");
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
            Assert.All(graph.Inputs, v => Assert.Equal(new[] { 1, 12 }, v.Shape));
            Assert.All(graph.Inputs, v => Assert.True(v.IsBatched));
        }

        [Fact]
        public void InputShapes_pins_whole_shapes_batch_included_or_keeps_the_batch_with_N()
        {
            var pinned = Tokens(out _);
            Assert.True(Compile(pinned, "input_ids:1,7;attention_mask:1,7", null).Succeeded);
            Assert.All(pinned.Inputs, v => Assert.False(v.IsBatched));
            Assert.All(pinned.Inputs, v => Assert.Equal(new[] { 1, 7 }, v.Shape));

            var batched = Tokens(out _);
            Assert.True(Compile(batched, "input_ids:N,7;attention_mask:N,7", null).Succeeded);
            Assert.All(batched.Inputs, v => Assert.True(v.IsBatched));
        }

        [Fact]
        public void A_free_dimension_left_open_is_QG0006_naming_the_input_its_shape_and_what_to_write()
        {
            var result = Compile(Tokens(out _), null, null);
            var d = Assert.Single(result.Diagnostics);
            Assert.Equal("QG0006", d.Id);
            Assert.Contains("'input_ids' [batch,sequence]", d.Message);
            Assert.Contains("DimensionValues=\"sequence:128\"", d.Message);
            Assert.Contains("InputShapes=\"input_ids:1,128\"", d.Message);
        }

        [Theory]
        [InlineData("ids:1,8", null, "'ids', which is not an input of the model; its inputs are 'input_ids' [batch,sequence], 'attention_mask' [batch,sequence]")]
        [InlineData("input_ids:1,8,1;attention_mask:1,8", null, "gives input 'input_ids' 3 dimensions, but its ONNX shape [batch,sequence] has 2")]
        [InlineData(null, "seq:8", "'seq', which no free input dimension has; the model's named dimensions are batch, sequence")]
        public void Sizes_that_do_not_fit_the_model_are_QG0030(string? inputShapes, string? dimensionValues, string message)
        {
            var d = Assert.Single(Compile(Tokens(out _), inputShapes, dimensionValues).Diagnostics);
            Assert.Equal("QG0030", d.Id);
            Assert.Contains(message, d.Message);
        }

        [Fact]
        public void A_size_that_contradicts_a_fixed_dimension_is_QG0030()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 1, 30);
            b.Output(b.Node("Relu", new[] { x }));
            var d = Assert.Single(Compile(b.Graph, "x:1,31", null).Diagnostics);
            Assert.Equal("QG0030", d.Id);
            Assert.Contains("axis 1 of input 'x' the size 31, but the model fixes it at 30", d.Message);
            Assert.Contains("InputShapes=\"x:1,30\"", d.Message);
        }

        [Theory]
        [InlineData("input_ids", null)]
        [InlineData("input_ids:", null)]
        [InlineData("input_ids:1,N", null)]
        [InlineData(null, "sequence:0")]
        [InlineData(null, "sequence:65537")]
        [InlineData(null, "sequence:12;sequence:13")]
        public void Bad_syntax_is_a_FormatException_with_an_example(string? inputShapes, string? dimensionValues)
        {
            var e = Assert.Throws<FormatException>(() => FreeDimensions.Parse(inputShapes, dimensionValues));
            Assert.Contains(inputShapes != null ? "InputShapes" : "DimensionValues", e.Message);
        }

        [Fact]
        public void Names_may_contain_colons_and_entries_spaces()
        {
            var d = FreeDimensions.Parse(" serving_default:input:0 : 1, 3 ; ", "height: 224;width:224");
            Assert.Equal(new[] { 1, 3 }, d.InputShapes["serving_default:input:0"]);
            Assert.Equal(224, d.DimensionValues["height"]);
            Assert.Equal(224, d.DimensionValues["width"]);
        }
    }
}
