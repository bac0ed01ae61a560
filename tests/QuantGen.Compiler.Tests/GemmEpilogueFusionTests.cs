// The bias row of a linear layer (MatMul by a constant, then Add of a constant row) and the activation after it moved
// into the GEMM: which steps fuse, in Float32 and Int8Dynamic. That the fused steps compute the layer is checked against the reference evaluator in
// QuantGen.Generator.Tests (GemmEpilogueFusionTests) and on MiniLM against ONNX Runtime in QuantGen.RealModels.Tests.
using System;
using System.Linq;
using QuantGen.Compiler.Pipeline;
using QuantGen.Ir;
using QuantGen.Plan;
using Xunit;

namespace QuantGen.Compiler.Tests
{
    public class GemmEpilogueFusionTests
    {
        /// <summary>x [1, 6, 40] · W [40, 24] + b (shaped <paramref name="biasShape"/>); the product is also an output when asked.</summary>
        private static Graph Linear(int[] biasShape, bool productIsOutput = false, string? between = null, string? after = null)
        {
            var g = new GraphBuilder();
            var x = g.Input("x", 1, 6, 40);
            var product = g.Node("MatMul", new[] { x, g.Constant(40, 24) }, name: "matmul");
            var operand = between == null ? product : g.Node(between, new[] { product }, name: "between");
            var sum = g.Node("Add", new[] { operand, g.Constant(biasShape) }, name: "bias");
            g.Output(after == null ? sum : g.Node(after, new[] { sum }, name: "after"));
            if (productIsOutput) g.Output(product);
            return g.Graph;
        }

        private static ModelPlan Compile(Graph graph, Precision precision)
        {
            var result = ModelCompiler.Compile(graph, new CompileOptions { Precision = precision, ResourceName = "R" });
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
            return result.Plan!;
        }

        [Theory]
        [InlineData(Precision.Float32, "GemmF32")]
        [InlineData(Precision.Int8Dynamic, "FinishGemmDynamicRows")]
        public void A_linear_layers_bias_row_goes_into_the_gemm(Precision precision, string kernel)
        {
            foreach (var biasShape in new[] { new[] { 24 }, new[] { 1, 1, 24 } })
            {
                var plan = Compile(Linear(biasShape), precision);
                Assert.DoesNotContain(plan.Steps, s => s.Kernel == "BinaryF32");
                var step = Assert.Single(plan.Steps, s => s.Kernel == kernel);
                Assert.Equal("matmul", step.Source);
            }
        }

        [Theory]
        [InlineData(Precision.Float32)]
        [InlineData(Precision.Int8Dynamic)]
        public void A_column_an_activation_between_or_a_second_reader_keeps_the_add(Precision precision)
        {
            Assert.Contains(Compile(Linear(new[] { 6, 1 }), precision).Steps, s => s.Kernel == "BinaryF32");          // one value per token
            Assert.Contains(Compile(Linear(new[] { 6, 24 }), precision).Steps, s => s.Kernel == "BinaryF32");         // a full matrix
            Assert.Contains(Compile(Linear(new[] { 24 }, between: "Relu"), precision).Steps, s => s.Kernel == "BinaryF32");
            Assert.Contains(Compile(Linear(new[] { 24 }, productIsOutput: true), precision).Steps, s => s.Kernel == "BinaryF32");
        }

        [Fact]
        public void The_activation_after_the_bias_runs_in_the_float_gemm()
        {
            var f32 = Compile(Linear(new[] { 24 }, after: "Gelu"), Precision.Float32);
            var step = Assert.Single(f32.Steps);
            Assert.Equal("GemmF32", step.Kernel);
            Assert.Equal("Gelu", step.Find("act")!.Value.Symbol);
            // Int8Dynamic: the finish step has no activation; it follows as its own step.
            var int8 = Compile(Linear(new[] { 24 }, after: "Gelu"), Precision.Int8Dynamic);
            Assert.Equal(new[] { "QuantizeDynamicU8.Rows", "GemmU8S8.Float", "FinishGemmDynamicRows", "ActivationF32" }, int8.Steps.Select(s => s.Kernel));
        }
    }
}
