// The fused 1×1 convolution + residual add steps in a generated class: the same outputs, bit for bit, as the class
// built with the Adds apart. mobilenetv2-digits has 10 residual blocks; MobileNetV2-224 (also 10) is checked against
// the test vectors in ReferenceModelTests and, on two threads, in ParallelismTests.
using System.Linq;
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
            var fused = FusionBuilds.Compile(precision, o => o.FuseResidualAdds = true);
            var apart = FusionBuilds.Compile(precision, o => o.FuseResidualAdds = false);
            Assert.Equal(10, fused.Plan!.Steps.Count(s => s.Kernel == fusedKernel));
            Assert.DoesNotContain(apart.Plan!.Steps, s => s.Kernel == fusedKernel);
            Assert.Equal(apart.Plan.Steps.Count - 10, fused.Plan.Steps.Count);
            FusionBuilds.AssertSameOutputs(fused, apart);
        }
    }
}
