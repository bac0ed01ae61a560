// QuantizeLinear and DequantizeLinear in the compiler: ONNX reference semantics (round half to even, saturation, per
// axis, int8 and int32), folding of constants, the kernels lowering chooses, and the diagnostics of unsupported forms.
using System;
using System.Linq;
using QuantGen.Compiler.Evaluation;
using QuantGen.Compiler.Ir;
using QuantGen.Compiler.Pipeline;
using Xunit;

namespace QuantGen.Compiler.Tests
{
    public class QdqOperatorTests
    {
        private static Value Const<T>(string name, DataType type, int[] shape, params T[] data) =>
            new Value(name, type, shape) { Constant = new Tensor(type, shape, data) };

        private static Value Scalar(float scale) => Const("s" + scale, DataType.Float32, Array.Empty<int>(), scale);

        private static Tensor Run(GraphBuilder b, Value output, Tensor x)
        {
            b.Output(output);
            Passes.ShapeInference.Run(b.Graph);
            return new ReferenceEvaluator(b.Graph).Run(new System.Collections.Generic.Dictionary<string, Tensor> { ["x"] = x })[output.Name];
        }

        [Fact]
        public void QuantizeLinear_rounds_half_to_even_and_saturates_to_uint8()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 8);
            var zp = Const("zp", DataType.UInt8, Array.Empty<int>(), (byte)128);
            var y = Run(b, b.Node("QuantizeLinear", new[] { x, Scalar(2), zp }),
                Tensor.FromFloats(new[] { 8 }, new float[] { 1, 3, 5, -1, -3, 1000, -1000, float.NaN }));
            Assert.Equal(DataType.UInt8, y.Type);
            // x / 2 = 0.5 → 0, 1.5 → 2, 2.5 → 2, −0.5 → 0, −1.5 → −2; saturated at 255 and 0; NaN goes to the low end.
            Assert.Equal(new byte[] { 128, 130, 130, 128, 126, 255, 0, 0 }, y.Bytes);
        }

        [Fact]
        public void QuantizeLinear_without_zero_point_is_uint8_with_zero_point_0()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 3);
            var y = Run(b, b.Node("QuantizeLinear", new[] { x, Scalar(0.5f) }), Tensor.FromFloats(new[] { 3 }, new float[] { -1, 0.75f, 200 }));
            Assert.Equal(DataType.UInt8, y.Type);
            Assert.Equal(new byte[] { 0, 2, 255 }, y.Bytes);
        }

        [Fact]
        public void QuantizeLinear_per_axis_to_int8()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 2, 2, 2);
            var scale = Const("scale", DataType.Float32, new[] { 2 }, 1f, 0.5f);
            var zp = Const("zp", DataType.Int8, new[] { 2 }, (sbyte)0, (sbyte)-1);
            var y = Run(b, b.Node("QuantizeLinear", new[] { x, scale, zp }, a => a.Set(Ir.Attribute.OfInt("axis", -2))),
                Tensor.FromFloats(new[] { 2, 2, 2 }, new float[] { 1, -200, 1, -1, 2.5f, 300, 0.25f, -0.25f }));
            Assert.Equal(DataType.Int8, y.Type);
            // Channel 1 (scale 0.5, zp −1): 1 → 1, −1 → −3, 0.25 → 0 (0.5 rounds to 0) − 1, −0.25 → −1 (−0.5 → −0) − 1.
            Assert.Equal(new sbyte[] { 1, -128, 1, -3, 2, 127, -1, -1 }, y.SBytes);
        }

        [Fact]
        public void DequantizeLinear_of_constants_folds_at_build_time_per_axis_and_from_int32()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 2);
            var w = Const("w", DataType.Int8, new[] { 2, 2 }, (sbyte)-3, (sbyte)4, (sbyte)-128, (sbyte)127);
            var wScale = Const("ws", DataType.Float32, new[] { 2 }, 0.5f, 2f);
            var wZp = Const("wzp", DataType.Int8, new[] { 2 }, (sbyte)1, (sbyte)0);
            var weights = b.Node("DequantizeLinear", new[] { w, wScale, wZp }, a => a.Set(Ir.Attribute.OfInt("axis", 0)));
            var bias = b.Node("DequantizeLinear", new[] { Const("bq", DataType.Int32, new[] { 2 }, 100000, -7), Scalar(0.25f) });
            b.Output(weights);
            b.Output(bias);
            b.Output(b.Node("Add", new[] { x, bias }));
            Passes.ShapeInference.Run(b.Graph);
            Assert.Equal(new[] { "Add" }, b.Graph.Nodes.Select(n => n.OpType));
            Assert.Equal(new float[] { -2, 1.5f, -256, 254 }, weights.Constant!.Floats);
            Assert.Equal(new float[] { 25000, -1.75f }, bias.Constant!.Floats);
        }

        [Fact]
        public void A_quantize_dequantize_pair_with_the_same_parameters_lowers_to_one_fake_quantize_kernel()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 1, 4);
            var s = Scalar(0.1f);
            var zp = Const("zp", DataType.UInt8, Array.Empty<int>(), (byte)3);
            var fake = b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { x, s, zp }), s, zp });
            var other = b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { x, s, zp }), Scalar(0.2f), zp });
            b.Output(fake);
            b.Output(other);
            var result = ModelCompiler.Compile(b.Graph, new CompileOptions { Precision = Precision.Float32, ResourceName = "R" });
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
            Assert.Equal(new[] { "FakeQuantizeF32", "QuantizeLinear", "DequantizeLinear" }, result.Plan!.Steps.Select(st => st.Kernel));
        }

        [Fact]
        public void A_quantized_graph_output_keeps_its_integer_type()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 5);
            b.Output(b.Node("QuantizeLinear", new[] { x, Scalar(0.1f), Const("zp", DataType.Int8, Array.Empty<int>(), (sbyte)0) }));
            var result = ModelCompiler.Compile(b.Graph, new CompileOptions { Precision = Precision.Float32, ResourceName = "R" });
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
            Assert.Equal(Plan.PlanElementType.Int8, result.Plan!.Outputs[0].ElementType);
        }

        [Fact]
        public void Int8_without_calibration_data_runs_a_qdq_model_on_the_integer_kernels_with_its_own_parameters()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 1, 4);
            var s = Scalar(0.05f);
            var zp = Const("zp", DataType.UInt8, Array.Empty<int>(), (byte)128);
            var xq = b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { x, s, zp }), s, zp });
            var w = b.Node("DequantizeLinear", new[]
            {
                Const("wq", DataType.Int8, new[] { 3, 4 }, Enumerable.Range(0, 12).Select(i => (sbyte)(i * 23 % 255 - 127)).ToArray()),
                Const("ws", DataType.Float32, new[] { 3 }, 0.01f, 0.02f, 0.03f),
                Const("wzp", DataType.Int8, new[] { 3 }, (sbyte)0, (sbyte)0, (sbyte)0),
            }, a => a.Set(Ir.Attribute.OfInt("axis", 0)));
            var bias = b.Node("DequantizeLinear", new[] { Const("bq", DataType.Int32, new[] { 3 }, 10, -20, 30), Const("bs", DataType.Float32, new[] { 3 }, 0.0005f, 0.001f, 0.0015f) },
                a => a.Set(Ir.Attribute.OfInt("axis", 0)));
            b.Output(b.Node("Gemm", new[] { xq, w, bias }, a => a.Set(Ir.Attribute.OfInt("transB", 1))));
            var result = ModelCompiler.Compile(b.Graph, new CompileOptions { Precision = Precision.Int8, ResourceName = "R" });
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
            Assert.Empty(result.Diagnostics);
            Assert.Equal(new[] { "QuantizeU8", "GemmU8S8.Float" }, result.Plan!.Steps.Select(st => st.Kernel));
            Assert.Equal(0.05f, result.Scheme!.Activations["x"].Scale);
            Assert.Equal(128, result.Scheme.Activations["x"].ZeroPoint);
        }

        [Fact]
        public void A_float_model_has_no_scheme_of_its_own_and_Int8_without_calibration_data_still_warns()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 1, 4);
            b.Output(b.Node("Gemm", new[] { x, b.Constant(3, 4) }, a => a.Set(Ir.Attribute.OfInt("transB", 1))));
            Passes.ShapeInference.Run(b.Graph);
            Assert.Null(Quantization.QuantizationScheme.FromQdq(b.Graph));
            var result = ModelCompiler.Compile(b.Graph, new CompileOptions { Precision = Precision.Int8, ResourceName = "R" });
            Assert.Equal("QG0010", result.Diagnostics.Single().Id);
            Assert.Equal("Float32", result.Plan!.Info.Precision);
        }

        [Fact]
        public void Unsupported_forms_are_named()
        {
            // A float zero point (float8 and friends are opset 19+) and blocked quantization (opset 21).
            var b = new GraphBuilder();
            var x = b.Input("x", 4);
            b.Output(b.Node("QuantizeLinear", new[] { x, Scalar(1), Const("zp", DataType.Int16, Array.Empty<int>(), (short)0) }));
            var result = ModelCompiler.Compile(b.Graph, new CompileOptions { Precision = Precision.Float32, ResourceName = "R" });
            Assert.False(result.Succeeded);
            Assert.Equal("QG0005", result.Diagnostics.Single().Id);
            Assert.Contains("int16", result.Diagnostics.Single().Message);

            b = new GraphBuilder();
            x = b.Input("x", 4, 4);
            b.Output(b.Node("DequantizeLinear", new[] { x, Const("s", DataType.Float32, new[] { 4, 2 }, new float[8]) }, a => a.Set(Ir.Attribute.OfInt("block_size", 2))));
            result = ModelCompiler.Compile(b.Graph, new CompileOptions { Precision = Precision.Float32, ResourceName = "R" });
            Assert.False(result.Succeeded);
            Assert.Contains("block_size", result.Diagnostics.Single().Message);
        }
    }
}
