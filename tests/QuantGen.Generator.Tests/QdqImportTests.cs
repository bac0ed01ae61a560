// Models quantized elsewhere, compiled with Precision="Float32": the QDQ exports in tests/assets/qdq (ONNX
// QuantizeLinear/DequantizeLinear around Conv, Gemm, pooling) through compiler → generator → C# → run, against
// ONNX Runtime 1.30's committed outputs on the same files.
using System;
using System.IO;
using System.Linq;
using QuantGen.Compiler.Pipeline;
using QuantGen.Onnx;
using QuantGen.Plan;
using QuantGen.Tests;
using Xunit;

namespace QuantGen.Generator.Tests
{
    public class QdqImportTests
    {
        /// <summary>
        /// The dequantized model in float32 against ONNX Runtime, which ran the same file with its fused integer kernels:
        /// not bit-exact (integer accumulation and requantization there, float here), so SQNR ≥ 30 dB and the same top-1.
        /// </summary>
        [Theory]
        [InlineData("clinical-mlp")]
        [InlineData("digits-cnn")]
        [InlineData("mobilenetv2-digits")]
        public void A_qdq_model_compiled_in_float32_agrees_with_onnx_runtime(string model)
        {
            string qdq = Path.Combine(RepoPaths.Assets, "qdq", model);
            var result = ModelCompiler.Compile(OnnxModelReader.Read(Path.Combine(qdq, "model.int8.onnx")),
                new CompileOptions { Precision = Precision.Float32, ResourceName = GeneratedModel.ResourceName });
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
            // Weights arrive as DequantizeLinear of constants, folded at build time; activations keep their Q → DQ pair as one kernel.
            Assert.DoesNotContain(result.Plan!.Steps, s => s.Kernel == "QuantizeLinear" || s.Kernel == "DequantizeLinear");
            Assert.Contains(result.Plan.Steps, s => s.Kernel == "FakeQuantizeF32");
            AgreesWithOnnxRuntime(model, qdq, result, "Float32");
        }

        /// <summary>
        /// Precision="Int8" without calibration data: the integer kernels with the model's own scales and zero points (no
        /// Q/DQ step left, no float weighted layer), against the same ONNX Runtime outputs.
        /// </summary>
        [Theory]
        [InlineData("clinical-mlp")]
        [InlineData("digits-cnn")]
        [InlineData("mobilenetv2-digits")]
        public void A_qdq_model_compiled_in_int8_runs_the_integer_kernels_with_its_own_parameters_and_agrees_with_onnx_runtime(string model)
        {
            string qdq = Path.Combine(RepoPaths.Assets, "qdq", model);
            var result = ModelCompiler.Compile(OnnxModelReader.Read(Path.Combine(qdq, "model.int8.onnx")),
                new CompileOptions { Precision = Precision.Int8, ResourceName = GeneratedModel.ResourceName });
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
            Assert.Empty(result.Diagnostics);
            Assert.Equal("Int8", result.Plan!.Info.Precision);
            Assert.DoesNotContain(result.Plan.Steps, s => s.Kernel.Contains("uantizeLinear") || s.Kernel == "FakeQuantizeF32"
                || s.Kernel.StartsWith("ConvF32", StringComparison.Ordinal) || s.Kernel.StartsWith("GemmF32", StringComparison.Ordinal));
            Assert.Contains(result.Plan.Steps, s => s.Kernel.StartsWith("GemmU8S8", StringComparison.Ordinal) || s.Kernel.StartsWith("ConvU8S8", StringComparison.Ordinal));
            Console.WriteLine($"{model}: " + string.Join(", ", result.Plan.Steps.GroupBy(s => s.Kernel).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} ×{g.Count()}")));
            AgreesWithOnnxRuntime(model, qdq, result, "Int8");
        }

        /// <summary>
        /// An NCHW image input ([N, 3, 32, 32] here) is quantized in its own order and then reordered to channels-last as
        /// bytes, not as floats first: per-tensor quantization is elementwise, so the bytes are the same (the test above
        /// checks the outputs against ONNX Runtime) and the reorder moves a quarter of the data.
        /// </summary>
        [Fact]
        public void An_nchw_image_input_is_quantized_before_it_is_reordered()
        {
            string qdq = Path.Combine(RepoPaths.Assets, "qdq", "mobilenetv2-digits");
            var result = ModelCompiler.Compile(OnnxModelReader.Read(Path.Combine(qdq, "model.int8.onnx")),
                new CompileOptions { Precision = Precision.Int8, ResourceName = GeneratedModel.ResourceName });
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
            var steps = result.Plan!.Steps;
            Assert.Equal(new[] { "QuantizeU8", "Transpose" }, steps.Take(2).Select(st => st.Kernel));
            Assert.Equal(PlanElementType.Float32, steps[0].Find("x")!.Value.Operand!.ElementType);
            Assert.Equal(PlanRegion.Input, steps[0].Find("x")!.Value.Operand!.Region);
            Assert.Equal(PlanElementType.UInt8, steps[1].Find("x")!.Value.Operand!.ElementType);
            Assert.Equal(new long[] { 1, 3, 32, 32 }, steps[1].Find("shape")!.Value.Ints);
            Assert.Equal(steps[1].Find("y")!.Value.Operand, steps[2].Find("x")!.Value.Operand);
        }

        private static void AgreesWithOnnxRuntime(string model, string qdq, CompileResult result, string precision)
        {

            var sets = Directory.GetDirectories(qdq, "test_data_set_*").OrderBy(d => d, StringComparer.Ordinal).ToList();
            var inputs = sets.Select(d => TensorFile.Read(Path.Combine(d, "input_0.pb")).Floats).ToList();
            var expected = sets.Select(d => TensorFile.Read(Path.Combine(d, "output_0.pb")).Floats).ToList();
            int classes = expected[0].Length, inputLength = inputs[0].Length;
            float[]? got = null;
            GeneratedModel.Run(result, a => got = GeneratedModel.RunAll(a, inputs.SelectMany(x => x).ToArray(), inputLength, classes));

            double signal = 0, noise = 0;
            int agree = 0;
            for (int s = 0; s < sets.Count; s++)
            {
                var mine = got!.AsSpan(s * classes, classes);
                if (GeneratedModel.ArgMax(expected[s]) == GeneratedModel.ArgMax(mine)) agree++;
                for (int c = 0; c < classes; c++)
                {
                    signal += (double)expected[s][c] * expected[s][c];
                    noise += ((double)mine[c] - expected[s][c]) * ((double)mine[c] - expected[s][c]);
                }
            }
            double sqnr = 10 * Math.Log10(signal / Math.Max(noise, 1e-30));
            string numbers = $"{model}: generated {precision} class of the QDQ model vs ONNX Runtime: {sqnr:F1} dB, argmax {agree}/{sets.Count}";
            Console.WriteLine(numbers);
            Assert.True(sqnr >= 30, numbers);
            Assert.Equal(sets.Count, agree);
        }

        private const string LayoutHarness = """
            #pragma warning disable CS1591 // the test's own driver code
            public static class LayoutHarness
            {
                public static object[] Run(float[] input, int[] lengths)
                {
                    var a = new float[lengths[0]];
                    var b = new float[lengths[1]];
                    var c = new sbyte[lengths[2]];
                    new Qdq.Model().Run(input, a, b, c);
                    return new object[] { a, b, c };
                }
            }
            """;

        /// <summary>
        /// QuantizeLinear and DequantizeLinear on a convolution's channels-last output: per-axis (the channel axis, innermost
        /// there) and per-tensor, fused into one kernel and not, int8 to a public output. Against the reference evaluator;
        /// a Conv sum rounded differently may land on the other side of a rounding boundary, so one step is allowed, rarely.
        /// </summary>
        [Fact]
        public void Quantize_and_dequantize_on_channels_last_data_match_the_reference_evaluator()
        {
            var result = ModelCompiler.Compile(LayoutGraph(), new CompileOptions { Precision = Precision.Float32, ResourceName = "Qdq.weights" });
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
            Assert.Equal(new[] { "DequantizeLinear", "FakeQuantizeF32", "QuantizeLinear", "QuantizeLinear" },
                result.Plan!.Steps.Select(s => s.Kernel).Where(k => k.Contains("uantize")).OrderBy(k => k, StringComparer.Ordinal));

            var reference = LayoutGraph();
            Compiler.GraphPasses.ShapeInference.Run(reference);
            var input = Enumerable.Range(0, 60).Select(i => 3 * (float)Math.Sin(i)).ToArray();
            var expected = new Compiler.Evaluation.ReferenceEvaluator(reference)
                .Run(new System.Collections.Generic.Dictionary<string, Ir.Tensor> { ["x"] = Ir.Tensor.FromFloats(new[] { 1, 2, 6, 5 }, input) });
            var (_, output, diagnostics) = GeneratorHarness.Run(
                new[] { new PlanFile("/obj/quantgen/Model.plan", PlanText.Write(result.Plan), "Model", "Qdq") },
                GeneratorHarness.CreateCompilation(true, LayoutHarness));
            Assert.Empty(diagnostics);
            GeneratorHarness.WithAssembly(GeneratorHarness.Emit(output), assembly =>
            {
                var lengths = reference.Outputs.Select(o => (int)o.ElementCount).ToArray();
                var got = (object[])GeneratorHarness.Call(assembly, "LayoutHarness", "Run", input, lengths)!;
                int steps = 0, total = 0;
                for (int k = 0; k < 3; k++)
                {
                    var want = expected[reference.Outputs[k].Name];
                    for (int i = 0; i < want.ElementCount; i++, total++)
                    {
                        double g = k == 2 ? ((sbyte[])got[k])[i] : ((float[])got[k])[i];
                        double w = want.GetDouble(i);
                        double step = k == 2 ? 1 : k == 1 ? 0.25 * 1.01 : 0.05;
                        Assert.True(Math.Abs(g - w) <= step, $"output {k} element {i}: got {g}, expected {w}");
                        if (k != 0 && g != w) steps++;
                    }
                }
                Assert.True(steps <= total / 20, $"{steps} of {total} values one step away from the reference");
            });
        }

        private static Ir.Graph LayoutGraph()
        {
            var random = new Random(7);
            float[] Floats(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            Ir.Value Const<T>(string name, Ir.DataType type, int[] shape, T[] data) =>
                new Ir.Value(name, type, shape) { Constant = new Ir.Tensor(type, shape, data) };
            var g = new Ir.Graph { Info = new Ir.ModelInfo { Opset = 13, SourcePath = "qdq.onnx", Sha256 = new string('0', 64) } };
            var x = new Ir.Value("x", Ir.DataType.Float32, new[] { 1, 2, 6, 5 });
            g.Inputs.Add(x);
            Ir.Value Add(string op, Ir.Value?[] inputs, long? axis = null)
            {
                var y = new Ir.Value(op + g.Nodes.Count);
                var node = new Ir.Node(op + "_" + g.Nodes.Count, op, inputs, new[] { y });
                if (axis != null) node.Attributes.Set(Ir.Attribute.OfInt("axis", axis.Value));
                g.Nodes.Add(node);
                return y;
            }
            var F32 = Ir.DataType.Float32;
            var conv = Add("Conv", new[] { x, Const("w", F32, new[] { 4, 2, 3, 3 }, Floats(72)), Const("b", F32, new[] { 4 }, Floats(4)) });
            // Per channel, int8, read back with other parameters (no fusion) by a second convolution.
            var channelScale = Const("cs", F32, new[] { 4 }, new[] { 0.02f, 0.05f, 0.03f, 0.1f });
            var q = Add("QuantizeLinear", new[] { conv, channelScale, Const("czp", Ir.DataType.Int8, new[] { 4 }, new sbyte[] { 0, -3, 5, 100 }) }, axis: 1);
            var dq = Add("DequantizeLinear", new[] { q, Const("ds", F32, new[] { 4 }, new[] { 0.01f, 0.02f, 0.03f, 0.04f }),
                Const("dzp", Ir.DataType.Int8, new[] { 4 }, new sbyte[] { 1, 2, 3, 4 }) }, axis: 1);
            g.Outputs.Add(Add("Conv", new[] { dq, Const("w1", F32, new[] { 3, 4, 1, 1 }, Floats(12)) }));
            // Per tensor, uint8, the same parameters on both sides: one fake-quantize kernel.
            var s = Const("s", F32, Array.Empty<int>(), new[] { 0.25f });
            var zp = Const("zp", Ir.DataType.UInt8, Array.Empty<int>(), new byte[] { 10 });
            g.Outputs.Add(Add("DequantizeLinear", new[] { Add("QuantizeLinear", new[] { conv, s, zp }), s, zp }));
            // Per channel into a public int8 output.
            g.Outputs.Add(Add("QuantizeLinear", new[] { conv, Const("cs2", F32, new[] { 4 }, new[] { 0.05f, 0.1f, 0.04f, 0.2f }), Const("czp2", Ir.DataType.Int8, new[] { 4 }, new sbyte[] { 0, 0, 0, 0 }) }, axis: 1));
            return g;
        }
    }
}
