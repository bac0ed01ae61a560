// Compiles the generated classes together with the emitted kernels (C# 12, every warning on), loads
// them into a collectible context and checks the numbers against independent reference math.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Xunit;

namespace QuantGen.Generator.Tests
{
    public class CompileAndRunTests
    {
        // Driver code compiled next to the generated class: spans cannot cross reflection, arrays can.
        private const string MlpHarness = """
            #pragma warning disable CS1591 // the test's own driver code; only generated code must be documented
            using System;
            using MyApp.Models;

            public static class Harness
            {
                public static float[] Run(float[] features)
                {
                    var model = new ClinicalMlp();
                    var probabilities = new float[features.Length / ClinicalMlp.FeaturesLength * ClinicalMlp.ProbabilitiesLength];
                    model.Run(features, probabilities);
                    return probabilities;
                }

                public static long AllocatedBytes(float[] features, int iterations)
                {
                    var model = new ClinicalMlp();
                    var probabilities = new float[features.Length / ClinicalMlp.FeaturesLength * ClinicalMlp.ProbabilitiesLength];
                    for (int i = 0; i < 1000; i++) model.Run(features, probabilities);
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < iterations; i++) model.Run(features, probabilities);
                    return GC.GetAllocatedBytesForCurrentThread() - before;
                }

                public static ArgumentException? Misuse(int features, int probabilities)
                {
                    try
                    {
                        new ClinicalMlp().Run(new float[features], new float[probabilities]);
                        return null;
                    }
                    catch (ArgumentException e)
                    {
                        return e;
                    }
                }

                public static int[] Shape() => ClinicalMlp.FeaturesShape.ToArray();
            }
            """;

        private const string ConvHarness = """
            #pragma warning disable CS1591 // the test's own driver code; only generated code must be documented
            using System;
            using MyApp.Models;

            public static class Harness
            {
                public static float[] Run(float[] image)
                {
                    var pooled = new float[TinyConvNet.PooledLength];
                    new TinyConvNet().Run(image, pooled);
                    return pooled;
                }

                public static long AllocatedBytes(float[] image, int iterations)
                {
                    var model = new TinyConvNet();
                    var pooled = new float[TinyConvNet.PooledLength];
                    for (int i = 0; i < 1000; i++) model.Run(image, pooled);
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < iterations; i++) model.Run(image, pooled);
                    return GC.GetAllocatedBytesForCurrentThread() - before;
                }
            }
            """;

        private const string OddHarness = """
            #pragma warning disable CS1591 // the test's own driver code; only generated code must be documented
            using System;
            using MyApp.Models;

            public static class Harness
            {
                public static object[] Run(float[] input, long[] classes, byte[] bytes)
                {
                    int batch = input.Length / OddNames.Input1Length;
                    var y0 = new float[batch * OddNames.Output0Length];
                    var y1 = new long[batch * OddNames.BatchLength];
                    var y2 = new byte[batch * OddNames.Output0_2Length];
                    new OddNames().Run(input, classes, bytes, y0, y1, y2);
                    return new object[] { y0, y1, y2 };
                }

                public static ArgumentException? Misuse()
                {
                    try
                    {
                        new OddNames().Run(new float[8], new long[4], new byte[4], new float[8], new long[2], new byte[4]);
                        return null;
                    }
                    catch (ArgumentException e)
                    {
                        return e;
                    }
                }
            }
            """;

        [Fact]
        public void MlpComputesSoftmaxOfTwoGemms()
        {
            byte[] image = Build(TestPlans.File("ClinicalMlp", TestPlans.ClinicalMlp(out var weights)), MlpHarness);
            float[] features = TestPlans.Values(5 * TestPlans.MlpIn, 9);
            GeneratorHarness.WithAssembly(image, assembly =>
            {
                var actual = (float[])GeneratorHarness.Call(assembly, "Harness", "Run", features)!;
                AssertClose(TestPlans.MlpReference(weights, features), actual);

                // An empty batch is valid and does nothing.
                Assert.Empty((float[])GeneratorHarness.Call(assembly, "Harness", "Run", Array.Empty<float>())!);
                Assert.Equal(new[] { -1, TestPlans.MlpIn }, (int[])GeneratorHarness.Call(assembly, "Harness", "Shape")!);
            });
        }

        [Fact]
        public void RunAllocatesNothing()
        {
            byte[] mlp = Build(TestPlans.File("ClinicalMlp", TestPlans.ClinicalMlp(out _)), MlpHarness);
            GeneratorHarness.WithAssembly(mlp, assembly =>
                Assert.Equal(0L, (long)GeneratorHarness.Call(assembly, "Harness", "AllocatedBytes", TestPlans.Values(3 * TestPlans.MlpIn, 2), 100)!));

            // The Transpose step passes constant int lists as ReadOnlySpan<int>: they must come from RVA data, not arrays.
            byte[] conv = Build(TestPlans.File("TinyConvNet", TestPlans.TinyConvNet(out byte[] weights)), ConvHarness, ConvResource(weights));
            GeneratorHarness.WithAssembly(conv, assembly =>
                Assert.Equal(0L, (long)GeneratorHarness.Call(assembly, "Harness", "AllocatedBytes", TestPlans.Values(48, 4), 100)!));
        }

        [Fact]
        public void WrongLengthsNameTheParameter()
        {
            byte[] image = Build(TestPlans.File("ClinicalMlp", TestPlans.ClinicalMlp(out _)), MlpHarness);
            GeneratorHarness.WithAssembly(image, assembly =>
            {
                // Not a whole number of samples.
                var e = (ArgumentException)GeneratorHarness.Call(assembly, "Harness", "Misuse", 5, 3)!;
                Assert.Equal("features", e.ParamName);
                Assert.Contains("multiple of 4", e.Message);

                // Whole samples, but the output holds another batch size.
                e = (ArgumentException)GeneratorHarness.Call(assembly, "Harness", "Misuse", 8, 3)!;
                Assert.Equal("probabilities", e.ParamName);
                Assert.Contains("expected 6 elements", e.Message);

                Assert.Null(GeneratorHarness.Call(assembly, "Harness", "Misuse", 8, 6));
            });

            byte[] odd = Build(TestPlans.File("OddNames", TestPlans.OddNames()), OddHarness);
            GeneratorHarness.WithAssembly(odd, assembly =>
            {
                var e = (ArgumentException)GeneratorHarness.Call(assembly, "Harness", "Misuse")!;
                Assert.Equal("batch_2", e.ParamName);
                Assert.Contains("output 'batch'", e.Message);
            });
        }

        [Fact]
        public void ResourceWeightsAreReadInPlace()
        {
            byte[] image = Build(TestPlans.File("TinyConvNet", TestPlans.TinyConvNet(out byte[] weights)), ConvHarness, ConvResource(weights));
            float[] input = TestPlans.Values(TestPlans.ConvC * TestPlans.ConvH * TestPlans.ConvW, 7);
            GeneratorHarness.WithAssembly(image, assembly =>
                AssertClose(TestPlans.ConvReference(weights, input), (float[])GeneratorHarness.Call(assembly, "Harness", "Run", input)!));
        }

        [Fact]
        public void MissingOrWrongSizedResourceFailsClearly()
        {
            PlanFile file = TestPlans.File("TinyConvNet", TestPlans.TinyConvNet(out byte[] weights));
            float[] input = new float[48];

            byte[] missing = Build(file, ConvHarness);
            GeneratorHarness.WithAssembly(missing, assembly =>
            {
                var e = Assert.Throws<InvalidOperationException>(() => GeneratorHarness.Call(assembly, "Harness", "Run", input));
                Assert.Contains("'" + TestPlans.ConvResourceName + "'", e.Message);
                Assert.Contains("missing", e.Message);
            });

            byte[] truncated = Build(file, ConvHarness, ConvResource(weights.AsSpan(0, 100).ToArray()));
            GeneratorHarness.WithAssembly(truncated, assembly =>
            {
                var e = Assert.Throws<InvalidOperationException>(() => GeneratorHarness.Call(assembly, "Harness", "Run", input));
                Assert.Contains("has 100 bytes", e.Message);
            });
        }

        [Fact]
        public void OddNamesRunWithEveryElementType()
        {
            byte[] image = Build(TestPlans.File("OddNames", TestPlans.OddNames()), OddHarness);
            float[] input = { 0.1f, 0.2f, -3f, -4f, 1f, 2f, 3f, 4f };
            long[] classes = { 1, -2, long.MaxValue, long.MinValue };
            byte[] bytes = { 0, 255, 7, 8 };
            GeneratorHarness.WithAssembly(image, assembly =>
            {
                var outputs = (object[])GeneratorHarness.Call(assembly, "Harness", "Run", input, classes, bytes)!;
                AssertClose(TestPlans.OddReference(input), (float[])outputs[0]);
                Assert.Equal(classes, (long[])outputs[1]);
                Assert.Equal(bytes, (byte[])outputs[2]);
            });
        }

        [Fact]
        public void EveryBaselinePlanCompilesAgainstNet8()
        {
            string directory = typeof(CompileAndRunTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "Net8ReferenceDirectory").Value!;
            Assert.True(Directory.Exists(directory), "net8.0 reference assemblies not found at " + directory);
            var references = Directory.GetFiles(directory, "*.dll").OrderBy(p => p, StringComparer.Ordinal).Select(p => MetadataReference.CreateFromFile(p));
            var compilation = GeneratorHarness.CreateCompilation().WithReferences(references);
            var (driver, output, diagnostics) = GeneratorHarness.Run(TestPlans.Baselines().Select(c => c.File), compilation);
            Assert.Empty(diagnostics);
            Assert.Equal(TestPlans.Baselines().Count(), GeneratorHarness.Sources(driver).Keys.Count(k => k.StartsWith("MyApp.Models.", StringComparison.Ordinal)));
            GeneratorHarness.Emit(output);
        }

        /// <summary>Generates, compiles (no errors, no warnings) and returns the assembly image.</summary>
        private static byte[] Build(PlanFile plan, string harness, params ResourceDescription[] resources)
        {
            var (driver, output, diagnostics) = GeneratorHarness.Run(new[] { plan }, GeneratorHarness.CreateCompilation(true, harness));
            Assert.True(diagnostics.IsEmpty, string.Join("\n", diagnostics));
            var sources = GeneratorHarness.Sources(driver);
            Assert.Contains(sources.Keys, k => k.StartsWith("QuantGen.Kernels.", StringComparison.Ordinal));
            return GeneratorHarness.Emit(output, resources);
        }

        private static ResourceDescription ConvResource(byte[] bytes) =>
            new ResourceDescription(TestPlans.ConvResourceName, () => new MemoryStream(bytes), isPublic: true);

        private static void AssertClose(float[] expected, float[] actual)
        {
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f + 1e-5f * Math.Abs(expected[i]),
                    $"element {i}: expected {expected[i]}, got {actual[i]}\nexpected [{string.Join(", ", expected)}]\nactual   [{string.Join(", ", actual)}]");
            }
        }
    }
}
