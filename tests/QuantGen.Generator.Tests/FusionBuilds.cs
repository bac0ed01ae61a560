// The fusion tests' shared steps: mobilenetv2-digits compiled with one fusion on and off, and the two generated classes
// run on the same 50 test images, whose outputs must match bit for bit.
using System;
using System.IO;
using QuantGen.Compiler.Pipeline;
using QuantGen.Onnx;
using QuantGen.Tests;
using Xunit;

namespace QuantGen.Generator.Tests
{
    internal static class FusionBuilds
    {
        public static string ModelDirectory => RepoPaths.Model("mobilenetv2-digits");

        /// <summary>mobilenetv2-digits in <paramref name="precision"/> (INT8 calibrated on 64 samples), options adjusted by <paramref name="configure"/>.</summary>
        public static CompileResult Compile(string precision, Action<CompileOptions> configure)
        {
            var options = new CompileOptions
            {
                Precision = Enum.Parse<Precision>(precision),
                CalibrationData = precision == "Int8" ? Path.Combine(ModelDirectory, "data", "calib_x.f32") : null,
                CalibrationSamples = 64,
                ResourceName = GeneratedModel.ResourceName,
            };
            configure(options);
            var result = ModelCompiler.Compile(OnnxModelReader.Read(Path.Combine(ModelDirectory, "model.onnx")), options);
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
            return result;
        }

        /// <summary>Both classes on the first 50 test images: the same output bits; the fused class allocates nothing per call.</summary>
        public static void AssertSameOutputs(CompileResult fused, CompileResult apart)
        {
            float[] testX = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(ModelDirectory, "data", "test_x.f32"))).ToArray();
            int inputLength = (int)fused.Plan!.Inputs[0].SampleLength, outputLength = (int)fused.Plan.Outputs[0].SampleLength;
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
