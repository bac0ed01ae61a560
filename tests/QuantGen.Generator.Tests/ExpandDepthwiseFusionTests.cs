// The fused expansion + depthwise steps in a generated class: the same outputs, bit for bit, as the class built with
// every layer whole. mobilenetv2-digits is small enough that nothing fuses by default, so these builds use 64-byte
// bands: all 16 expansions fuse and every band is a single window, the most band steps the kernels can take.
// (MobileNetV2-224 fuses 13 blocks by default; ReferenceModelTests and ParallelismTests check it against the test vectors.)
using System;
using System.IO;
using System.Linq;
using QuantGen.Onnx;
using QuantGen.Tests;
using Xunit;

namespace QuantGen.Generator.Tests
{
    public class ExpandDepthwiseFusionTests
    {
        [Theory]
        [InlineData("Float32", "ConvF32.ExpandDepthwise")]
        [InlineData("Int8", "ConvU8S8.ExpandDepthwise")]
        public void Fused_blocks_give_the_outputs_of_the_whole_layers_bit_for_bit(string precision, string fusedKernel)
        {
            var fused = FusionBuilds.Compile(precision, o => o.ExpandDepthwiseBandBytes = 64);
            var whole = FusionBuilds.Compile(precision, o => o.ExpandDepthwiseBandBytes = 0);
            Assert.Equal(16, fused.Plan!.Steps.Count(s => s.Kernel == fusedKernel));
            Assert.DoesNotContain(whole.Plan!.Steps, s => s.Kernel == fusedKernel);
            FusionBuilds.AssertSameOutputs(fused, whole);

            // And the FP32 build against ONNX Runtime's test vectors (the INT8 one is held to the FP32 model elsewhere).
            if (precision != "Float32") return;
            GeneratedModel.Run(fused, assembly =>
            {
                string[] sets = Directory.GetDirectories(FusionBuilds.ModelDirectory, "test_data_set_*");
                Assert.True(sets.Length > 0, "no test_data_set_* under " + FusionBuilds.ModelDirectory);
                foreach (var set in sets)
                {
                    var input = TensorFile.Read(Path.Combine(set, "input_0.pb")).Floats;
                    var want = TensorFile.Read(Path.Combine(set, "output_0.pb")).Floats;
                    var got = GeneratedModel.RunAll(assembly, input, input.Length, want.Length);
                    for (int i = 0; i < want.Length; i++)
                        Assert.True(Math.Abs(got[i] - want[i]) <= 1e-4 * Math.Max(1, Math.Abs(want[i])), $"{Path.GetFileName(set)} element {i}: got {got[i]}, expected {want[i]}");
                }
            });
        }
    }
}
