// QuantizeLinear and DequantizeLinear in the compiler: ONNX reference semantics (round half to even, saturation, per
// axis, int8 and int32), folding of constants, the kernels lowering chooses, and the diagnostics of unsupported forms.
using System;
using System.Linq;
using QuantGen.Compiler.Evaluation;
using QuantGen.Ir;
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
            GraphPasses.ShapeInference.Run(b.Graph);
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
            GraphPasses.ShapeInference.Run(b.Graph);
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
            GraphPasses.ShapeInference.Run(b.Graph);
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
    
        // ---- the integer operators (MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv, DynamicQuantizeLinear) ----

        private static Value IntInput(GraphBuilder b, string name, DataType type, params int[] shape)
        {
            var v = b.Input(name, shape);
            v.Type = type;
            return v;
        }

        private static Tensor RunInteger(GraphBuilder b, Value output, Tensor x)
        {
            b.Output(output);
            GraphPasses.ShapeInference.Run(b.Graph);
            return new ReferenceEvaluator(b.Graph).Run(new System.Collections.Generic.Dictionary<string, Tensor> { ["x"] = x })[output.Name];
        }

        private static Tensor U8(int[] shape, params byte[] data) => new Tensor(DataType.UInt8, shape, data);

        [Fact]
        public void MatMulInteger_subtracts_the_zero_points_and_accumulates_in_int32()
        {
            // The ONNX operator documentation's example.
            var b = new GraphBuilder();
            var x = IntInput(b, "x", DataType.UInt8, 4, 3);
            var w = Const("w", DataType.UInt8, new[] { 3, 2 }, (byte)1, (byte)4, (byte)2, (byte)5, (byte)3, (byte)6);
            var y = RunInteger(b, b.Node("MatMulInteger", new[] { x, w, Const("za", DataType.UInt8, Array.Empty<int>(), (byte)12), Const("zb", DataType.UInt8, Array.Empty<int>(), (byte)0) }),
                U8(new[] { 4, 3 }, 11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0));
            Assert.Equal(DataType.Int32, y.Type);
            Assert.Equal(new[] { 4, 2 }, y.Shape);
            Assert.Equal(new[] { -38, -83, -44, -98, -50, -113, -56, -128 }, y.Int32s);
        }

        [Fact]
        public void ConvInteger_subtracts_the_zero_point_of_the_input()
        {
            var b = new GraphBuilder();
            var x = IntInput(b, "x", DataType.UInt8, 1, 1, 3, 3);
            var w = Const("w", DataType.UInt8, new[] { 1, 1, 2, 2 }, (byte)1, (byte)1, (byte)1, (byte)1);
            var y = RunInteger(b, b.Node("ConvInteger", new[] { x, w, Const("zx", DataType.UInt8, Array.Empty<int>(), (byte)1) }),
                U8(new[] { 1, 1, 3, 3 }, 2, 3, 4, 5, 6, 7, 8, 9, 10));
            Assert.Equal(DataType.Int32, y.Type);
            Assert.Equal(new[] { 12, 16, 24, 28 }, y.Int32s);
        }

        private static Value QLinearMatMul2D(GraphBuilder b, Value a) =>
            b.Node("QLinearMatMul", new[]
            {
                a, Scalar(0.0066f), Const("za", DataType.UInt8, Array.Empty<int>(), (byte)113),
                Const("b", DataType.UInt8, new[] { 4, 3 }, new byte[] { 152, 51, 244, 60, 26, 255, 0, 127, 246, 127, 254, 247 }),
                Scalar(0.00705f), Const("zb", DataType.UInt8, Array.Empty<int>(), (byte)114),
                Scalar(0.0107f), Const("zy", DataType.UInt8, Array.Empty<int>(), (byte)118),
            });

        [Fact]
        public void QLinearMatMul_requantizes_with_the_float32_multiplier()
        {
            // The ONNX backend test test_qlinearmatmul_2D.
            var b = new GraphBuilder();
            var x = IntInput(b, "x", DataType.UInt8, 2, 4);
            var y = RunInteger(b, QLinearMatMul2D(b, x), U8(new[] { 2, 4 }, 208, 236, 0, 238, 3, 214, 255, 29));
            Assert.Equal(DataType.UInt8, y.Type);
            Assert.Equal(new byte[] { 168, 115, 255, 1, 66, 151 }, y.Bytes);
        }

        [Fact]
        public void QLinearConv_adds_the_bias_and_requantizes_per_output_channel()
        {
            // x − 1 = [1..9]; a 2×2 window of ones sums to 12, 16, 24, 28; channel 1 has weights 2 (zero point 1 → 1) and bias 4.
            var b = new GraphBuilder();
            var x = IntInput(b, "x", DataType.UInt8, 1, 1, 3, 3);
            var w = Const("w", DataType.Int8, new[] { 2, 1, 2, 2 }, (sbyte)1, (sbyte)1, (sbyte)1, (sbyte)1, (sbyte)2, (sbyte)2, (sbyte)2, (sbyte)2);
            var y = RunInteger(b, b.Node("QLinearConv", new[]
            {
                x, Scalar(1f), Const("zx", DataType.UInt8, Array.Empty<int>(), (byte)1),
                w, Const("sw", DataType.Float32, new[] { 2 }, 0.5f, 2f), Const("zw", DataType.Int8, new[] { 2 }, (sbyte)0, (sbyte)1),
                Scalar(4f), Const("zy", DataType.UInt8, Array.Empty<int>(), (byte)10),
                Const("bias", DataType.Int32, new[] { 2 }, 0, 4),
            }), U8(new[] { 1, 1, 3, 3 }, 2, 3, 4, 5, 6, 7, 8, 9, 10));
            Assert.Equal(new[] { 1, 2, 2, 2 }, y.Shape);
            // Channel 0: acc · 0.125 = 1.5, 2, 3, 3.5 → 2, 2, 3, 4 (half to even); channel 1: (acc + 4) · 0.5 = 8, 10, 14, 16.
            Assert.Equal(new byte[] { 12, 12, 13, 14, 18, 20, 24, 26 }, y.Bytes);
            var result = ModelCompiler.Compile(b.Graph, new CompileOptions { Precision = Precision.Float32, ResourceName = "R" });
            Assert.True(result.Succeeded, string.Join("; ", result.Diagnostics.Select(d => d.Message)));
            Assert.Equal("QuantizeLinear", result.Plan!.Steps.Last().Kernel);
        }

        [Fact]
        public void DynamicQuantizeLinear_takes_the_range_with_zero_and_rounds_half_to_even()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 6);
            var y = b.Node("DynamicQuantizeLinear", new[] { x });
            var node = b.Graph.Nodes.Last();
            var scale = new Value("scale");
            var zp = new Value("zp");
            node.Outputs.Add(scale); node.Outputs.Add(zp);
            scale.Producer = node; zp.Producer = node;
            b.Output(y); b.Output(scale); b.Output(zp);
            GraphPasses.ShapeInference.Run(b.Graph);
            var r = new ReferenceEvaluator(b.Graph).Run(new System.Collections.Generic.Dictionary<string, Tensor> { ["x"] = Tensor.FromFloats(new[] { 6 }, new[] { 0f, 2f, -3f, -2.5f, 1.34f, 0.5f }) });
            // The ONNX backend test test_dynamicquantizelinear.
            Assert.Equal(new byte[] { 153, 255, 0, 26, 221, 179 }, r[y.Name].Bytes);
            Assert.Equal(0.019607844f, r["scale"].Floats[0]);
            Assert.Equal((byte)153, r["zp"].Bytes[0]);
            var result = ModelCompiler.Compile(b.Graph, new CompileOptions { Precision = Precision.Float32, ResourceName = "R" });
            Assert.True(result.Succeeded, string.Join("; ", result.Diagnostics.Select(d => d.Message)));
            Assert.Equal(3, result.Plan!.Outputs.Count);
        }

        [Fact]
        public void QLinearMatMul_lowers_to_float_kernels_and_keeps_its_uint8_output()
        {
            var b = new GraphBuilder();
            var x = IntInput(b, "x", DataType.UInt8, 2, 4);
            b.Output(QLinearMatMul2D(b, x));
            var result = ModelCompiler.Compile(b.Graph, new CompileOptions { Precision = Precision.Float32, ResourceName = "R" });
            Assert.True(result.Succeeded, string.Join("; ", result.Diagnostics.Select(d => d.Message)));
            var kernels = result.Plan!.Steps.Select(st => st.Kernel).ToList();
            Assert.Contains("DequantizeLinear", kernels);
            Assert.Contains("MatMulF32", kernels);
            Assert.Equal("QuantizeLinear", kernels.Last());
        }

        [Fact]
        public void Integer_products_that_could_leave_the_exact_float32_range_are_not_supported()
        {
            // 300 products of up to 255 · 255 may reach 2^24 and more: float32 sums would no longer be exact.
            var b = new GraphBuilder();
            var x = IntInput(b, "x", DataType.UInt8, 1, 300);
            b.Output(b.Node("MatMulInteger", new[] { x, Const("w", DataType.UInt8, new[] { 300, 1 }, new byte[300]), Const("za", DataType.UInt8, Array.Empty<int>(), (byte)0) }));
            var result = ModelCompiler.Compile(b.Graph, new CompileOptions { Precision = Precision.Float32, ResourceName = "R" });
            Assert.False(result.Succeeded);
            Assert.Equal("QG0004", result.Diagnostics.Single().Id);
            Assert.Contains("2^24", result.Diagnostics.Single().Message);
        }
    }
}
