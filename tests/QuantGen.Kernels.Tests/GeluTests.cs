// Gelu (ActivationMath.GeluOperator): the same bits from the 256-bit, 128-bit and scalar forms, so a vector body, its
// scalar tail, a GEMM epilogue and every instruction set agree. Its accuracy against a double-precision GELU is checked
// with the other activations (ElementwiseF32Tests.ActivateMatchesReference).
using System;
using System.Collections.Generic;
using System.Runtime.Intrinsics;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    public class GeluTests
    {
        [Fact]
        public void Vector_and_scalar_forms_give_the_same_bits()
        {
            var points = new List<float>();
            for (int i = -40000; i <= 40000; i++) points.Add(i * (10f / 40000));
            points.AddRange(new[] { 1e-30f, -1e-30f, 0f, -0f, 1.2374369f, -1.2374369f, 5.656854f, -5.656854f, 30f, -30f, 1e6f, -1e6f, float.MaxValue, -float.MaxValue, float.Epsilon });
            while (points.Count % 8 != 0) points.Add(0.5f);
            var op = new ActivationMath.GeluOperator();
            for (int i = 0; i < points.Count; i += 8)
            {
                var v8 = op.Invoke(Vector256.Create(points.GetRange(i, 8).ToArray()));
                var lo = op.Invoke(Vector128.Create(points.GetRange(i, 4).ToArray()));
                var hi = op.Invoke(Vector128.Create(points.GetRange(i + 4, 4).ToArray()));
                for (int j = 0; j < 8; j++)
                {
                    int scalar = BitConverter.SingleToInt32Bits(op.Invoke(points[i + j]));
                    Assert.True(scalar == BitConverter.SingleToInt32Bits(v8[j]), $"Vector256 differs at x = {points[i + j]:R}");
                    Assert.True(scalar == BitConverter.SingleToInt32Bits(j < 4 ? lo[j] : hi[j - 4]), $"Vector128 differs at x = {points[i + j]:R}");
                }
            }
        }
    }
}
