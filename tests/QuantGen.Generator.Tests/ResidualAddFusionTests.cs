// The fused 1×1 convolution + residual add steps in a generated class: the same outputs, bit for bit, as the class
// built with the Adds apart. mobilenetv2-digits has 10 residual blocks; MobileNetV2-224 (also 10) is checked against
// the test vectors in ReferenceModelTests and, on two threads, in ParallelismTests.
using System;
using System.IO;
using System.Linq;
using QuantGen.Compiler.Pipeline;
using QuantGen.Onnx;
using QuantGen.Tests;
using Xunit;

namespace QuantGen.Generator.Tests
{
    public class ResidualAddFusionTests
    {
        [Theory]
        [InlineData("Float32", "ConvF32.PointwiseAdd")]
        [InlineData("Int8", "ConvU8S8.PointwiseAdd")]
        public void Fused_adds_give_the_outputs_of_the_separate_steps_bit_for_bit(string precision, string fusedKernel)
        {
            string dir = RepoPaths.Model("mobilenetv2-digits");
            CompileResult Compile(bool fuse)
            {
                var result = ModelCompiler.Compile(OnnxModelReader.Read(Path.Combine(dir, "model.onnx")), new CompileOptions
                {
                    Precision = Enum.Parse<Precision>(precision),
                    CalibrationData = precision == "Int8" ? Path.Combine(dir, "data", "calib_x.f32") : null,
                    CalibrationSamples = 64,
                    ResourceName = GeneratedModel.ResourceName,
                    FuseResidualAdds = fuse,
                });
                Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
                return result;
            }
            var fused = Compile(true);
            var apart = Compile(false);
            Assert.Equal(10, fused.Plan!.Steps.Count(s => s.Kernel == fusedKernel));
            Assert.DoesNotContain(apart.Plan!.Steps, s => s.Kernel == fusedKernel);
            Assert.Equal(apart.Plan.Steps.Count - 10, fused.Plan.Steps.Count);

            float[] testX = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, "data", "test_x.f32"))).ToArray();
            int inputLength = (int)fused.Plan.Inputs[0].SampleLength, outputLength = (int)fused.Plan.Outputs[0].SampleLength;
            testX = testX.AsSpan(0, 50 * inputLength).ToArray();
            float[]? expected = null;
            GeneratedModel.Run(apart, assembly => expected = GeneratedModel.RunAll(assembly, testX, inputLength, outputLength));
            GeneratedModel.Run(fused, assembly =>
            {
                float[] got = GeneratedModel.RunAll(assembly, testX, inputLength, outputLength);
                for (int i = 0; i < expected!.Length; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(got[i]),
                        $"output {i}: fused {got[i]:R}, apart {expected[i]:R}");
                Assert.Equal(0L, (long)GeneratorHarness.Call(assembly, "Harness", "AllocatedBytes", testX.AsSpan(0, inputLength).ToArray(), outputLength)!);
            });
        }
    }
}
