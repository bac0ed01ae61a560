// Runs a compiled plan as the user gets it: generator → C# compilation (with the weights as a resource when
// large) → a collectible assembly, with a small driver that feeds samples to the generated Ref.Model class.
using System;
using System.IO;
using System.Reflection;
using Microsoft.CodeAnalysis;
using QuantGen.Compiler.Pipeline;
using QuantGen.Plan;
using Xunit;

namespace QuantGen.Generator.Tests
{
    internal static class GeneratedModel
    {
        /// <summary>The manifest resource name the tests compile large weights under.</summary>
        public const string ResourceName = "QuantGen.Ref.Model.weights";

        /// <summary>The driver: Harness.RunAll (samples in a row), Harness.AllocatedBytes, Harness.Precision.</summary>
        public const string Harness = """
            #pragma warning disable CS1591 // the test's own driver code
            using System;

            public static class Harness
            {
                /// <summary>Runs every sample (rows of <c>inputs</c>) on one instance and returns the outputs, one row each.</summary>
                public static float[] RunAll(float[] inputs, int inputLength, int outputLength)
                {
                    var model = new Ref.Model();
                    int count = inputs.Length / inputLength;
                    var outputs = new float[count * outputLength];
                    for (int i = 0; i < count; i++)
                        model.Run(inputs.AsSpan(i * inputLength, inputLength), outputs.AsSpan(i * outputLength, outputLength));
                    return outputs;
                }

                /// <summary>Bytes allocated by 20 calls after 20 warm-up calls.</summary>
                public static long AllocatedBytes(float[] input, int outputLength)
                {
                    var model = new Ref.Model();
                    var output = new float[outputLength];
                    for (int i = 0; i < 20; i++) model.Run(input, output);
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < 20; i++) model.Run(input, output);
                    return GC.GetAllocatedBytesForCurrentThread() - before;
                }

                public static string Precision => Ref.Model.Precision;

                public static int Parallelism => Ref.Model.Parallelism;
            }
            """;

        /// <summary>Generates, compiles and loads <paramref name="result"/>'s class (plus <paramref name="extraSources"/>), then calls <paramref name="run"/>.</summary>
        public static void Run(CompileResult result, Action<Assembly> run, params string[] extraSources) =>
            Run(result, null, run, extraSources);

        /// <summary>The same with the Parallelism metadata (null: not set).</summary>
        public static void Run(CompileResult result, string? parallelism, Action<Assembly> run, params string[] extraSources)
        {
            var sources = new string[extraSources.Length + 1];
            sources[0] = Harness;
            extraSources.CopyTo(sources, 1);
            var (_, output, diagnostics) = GeneratorHarness.Run(
                new[] { new PlanFile("/obj/quantgen/Model.plan", PlanText.Write(result.Plan!), "Model", "Ref", Parallelism: parallelism) },
                GeneratorHarness.CreateCompilation(true, sources));
            Assert.Empty(diagnostics);
            var resources = result.Plan!.Weights.Storage == WeightStorage.Resource
                ? new[] { new ResourceDescription(ResourceName, () => new MemoryStream(result.Weights), isPublic: true) }
                : Array.Empty<ResourceDescription>();
            GeneratorHarness.WithAssembly(GeneratorHarness.Emit(output, resources), run);
        }

        /// <summary>Harness.RunAll: every sample through one instance.</summary>
        public static float[] RunAll(Assembly assembly, float[] inputs, int inputLength, int outputLength) =>
            (float[])GeneratorHarness.Call(assembly, "Harness", "RunAll", inputs, inputLength, outputLength)!;

        public static int ArgMax(ReadOnlySpan<float> values)
        {
            int best = 0;
            for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
            return best;
        }

        /// <summary>10·log10(Σ want² / Σ (got − want)²) in dB; 300 when they are identical.</summary>
        public static double Sqnr(ReadOnlySpan<float> want, ReadOnlySpan<float> got)
        {
            double signal = 0, noise = 0;
            for (int i = 0; i < want.Length; i++)
            {
                signal += (double)want[i] * want[i];
                noise += ((double)got[i] - want[i]) * ((double)got[i] - want[i]);
            }
            return noise == 0 ? 300 : 10 * Math.Log10(signal / noise);
        }
    }
}
