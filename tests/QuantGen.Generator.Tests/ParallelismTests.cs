// Parallelism="N": the generated Run splits large kernels across threads and must give exactly the one-thread outputs,
// still with no allocation per call; a bad value is a clear diagnostic.
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
    public class ParallelismTests
    {
        [Theory]
        // MobileNetV2-224's kernels are large enough to split (the small model's stay whole, but its class still
        // sets the thread count); the INT8 kernels' splits are checked byte for byte in QuantGen.Kernels.Tests.
        [InlineData("mobilenetv2-224", "Float32", 3)]
        [InlineData("mobilenetv2-digits", "Int8", 40)]
        public void Two_threads_give_the_one_thread_outputs_bit_for_bit_with_no_allocation(string modelName, string precision, int samples)
        {
            string dir = RepoPaths.Model(modelName);
            var result = ModelCompiler.Compile(OnnxModelReader.Read(Path.Combine(dir, "model.onnx")), new CompileOptions
            {
                Precision = Enum.Parse<Precision>(precision),
                CalibrationData = precision == "Int8" ? Path.Combine(dir, "data", "calib_x.f32") : null,
                CalibrationSamples = 64,
                ResourceName = GeneratedModel.ResourceName,
            });
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
            float[] testX = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, "data", "calib_x.f32"))).ToArray();
            int inputLength = (int)result.Plan!.Inputs[0].SampleLength, outputLength = (int)result.Plan.Outputs[0].SampleLength;
            testX = testX.AsSpan(0, samples * inputLength).ToArray();

            float[]? serial = null;
            GeneratedModel.Run(result, null, assembly =>
            {
                Assert.Equal(1, (int)GeneratorHarness.Call(assembly, "Harness", "get_Parallelism")!);
                serial = GeneratedModel.RunAll(assembly, testX, inputLength, outputLength);
            });
            GeneratedModel.Run(result, "2", assembly =>
            {
                Assert.Equal(2, (int)GeneratorHarness.Call(assembly, "Harness", "get_Parallelism")!);
                float[] split = GeneratedModel.RunAll(assembly, testX, inputLength, outputLength);
                for (int i = 0; i < serial!.Length; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(serial[i]) == BitConverter.SingleToInt32Bits(split[i]),
                        $"output {i}: {split[i]:R} with 2 threads, {serial[i]:R} with one");
                // The caller's allocations (the workers run only the kernels, which allocate nothing).
                Assert.Equal(0L, (long)GeneratorHarness.Call(assembly, "Harness", "AllocatedBytes", testX.AsSpan(0, inputLength).ToArray(), outputLength)!);
            });
        }

        [Theory]
        [InlineData("0")]
        [InlineData("65")]
        [InlineData("two")]
        [InlineData("-1")]
        public void A_bad_parallelism_is_QG1007(string parallelism)
        {
            var plans = new[] { new PlanFile("/obj/quantgen/Model.plan", PlanText.Write(TestPlans.ClinicalMlp(out _)), "Model", "MyApp", Parallelism: parallelism) };
            var (_, _, diagnostics) = GeneratorHarness.Run(plans);
            var diagnostic = Assert.Single(diagnostics, d => d.Id == "QG1007");
            Assert.Contains("'" + parallelism + "'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
