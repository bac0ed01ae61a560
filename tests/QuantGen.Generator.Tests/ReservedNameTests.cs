// Names the generated class already uses: a class named after one of its members is QG1005, and an input or output
// named after a member or one of Run's locals still gives a class that compiles and computes the right values.
// The member names are read back from compiled classes, so a member the emitter adds is tested without listing it.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using QuantGen.Plan;
using Xunit;

namespace QuantGen.Generator.Tests
{
    public class ReservedNameTests
    {
        private const string PlanPath = "/project/obj/quantgen/Model.qgplan";

        /// <summary>Run's locals, nameof (which Run calls) and the pointer names of RunSample.</summary>
        private static readonly string[] s_runNames = { "batch", "sample", "ws", "weights", "previousParallelism", "nameof", "in0", "out1" };

        private static readonly Lazy<SortedSet<string>> s_members = new Lazy<SortedSet<string>>(ReadMembers);

        /// <summary>
        /// Every member name of the generated classes but the per-tensor ones: the batched MLP with facts, inline weights
        /// and Parallelism 2, and the convolution with resource weights (between them, every optional member).
        /// </summary>
        private static SortedSet<string> ReadMembers()
        {
            var plans = new[]
            {
                TestPlans.File("ClinicalMlp", TestPlans.ClinicalMlp(out _)) with { Parallelism = "2" },
                TestPlans.File("TinyConvNet", TestPlans.TinyConvNet(out _)),
            };
            var (_, output, diagnostics) = GeneratorHarness.Run(plans);
            Assert.Empty(diagnostics);
            string[] tensorMembers = { "Features", "Probabilities", "Image", "Pooled" };
            var names = new SortedSet<string>(StringComparer.Ordinal);
            foreach (string type in new[] { "MyApp.Models.ClinicalMlp", "MyApp.Models.TinyConvNet" })
            {
                foreach (ISymbol member in output.GetTypeByMetadataName(type)!.GetMembers())
                {
                    if (member is IMethodSymbol { MethodKind: not MethodKind.Ordinary }) continue;
                    if (tensorMembers.Any(t => member.Name == t + "Length" || member.Name == t + "Shape")) continue;
                    names.Add(member.Name);
                }
            }
            return names;
        }

        [Fact]
        public void TheMembersReadBackIncludeEveryOptionalOne()
        {
            foreach (string name in new[] { "Run", "RunSample", "Facts", "InlineWeights", "LoadWeights", "_weights", "s_weights", "Parallelism", "WorkspaceBytes" })
                Assert.Contains(name, s_members.Value);
        }

        [Fact]
        public void ClassNamedAfterAnyMemberIsQG1005()
        {
            string text = PlanText.Write(TestPlans.ClinicalMlp(out _));
            foreach (string name in s_members.Value)
            {
                var (driver, _, diagnostics) = GeneratorHarness.Run(new[] { new PlanFile(PlanPath, text, name, "MyApp") });
                Diagnostic d = Assert.Single(diagnostics);
                Assert.True(d.Id == "QG1005" && d.GetMessage().Contains("'" + name + "', which is the name of a member of the generated class"), name + ": " + d);
                Assert.DoesNotContain(GeneratorHarness.Sources(driver).Keys, k => k.StartsWith("MyApp.", StringComparison.Ordinal));
            }
        }

        [Theory]
        [InlineData("FeaturesLength")]
        [InlineData("ProbabilitiesShape")]
        public void ClassNamedAfterATensorMemberRenamesTheMember(string className)
        {
            var plan = TestPlans.ClinicalMlp(out var weights);
            var outputs = BuildAndRun(plan, className, parallelism: null, resource: null);
            float[] features = Features();
            Assert.Equal(TestPlans.MlpReference(weights, features), outputs[0], new Tolerance());
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void TensorsNamedAfterMembersAndLocalsCompileAndRun(bool resourceWeights)
        {
            var plan = TestPlans.ClinicalMlp(out var weights);
            var names = s_members.Value.Concat(s_runNames).Concat(new[] { "FeaturesLength", "ProbabilitiesShape", "Reserved" }).Distinct().ToList();
            // Each name an output holding a copy of the probabilities.
            foreach (string name in names)
            {
                plan.Outputs.Add(new PlanTensor(name, PlanElementType.Float32, new[] { -1, TestPlans.MlpOut }));
                plan.Steps.Add(new PlanStep("Copy", "/copy to " + name)
                    .Add("x", PlanValue.Of(PlanOperand.Output(0, 0, TestPlans.MlpOut, PlanElementType.Float32)))
                    .Add("y", PlanValue.Of(PlanOperand.Output(plan.Outputs.Count - 1, 0, TestPlans.MlpOut, PlanElementType.Float32)))
                    .Add("count", PlanValue.Of((long)TestPlans.MlpOut)));
            }
            byte[]? resource = null;
            if (resourceWeights)
            {
                resource = plan.Weights.InlineData;
                plan.Weights.Storage = WeightStorage.Resource;
                plan.Weights.ResourceName = "MyApp.Models.Reserved.weights";
                plan.Weights.InlineData = Array.Empty<byte>();
            }
            PlanValidator.Validate(plan);

            var outputs = BuildAndRun(plan, "Reserved", parallelism: "2", resource);
            float[] expected = TestPlans.MlpReference(weights, Features());
            Assert.Equal(names.Count + 1, outputs.Length);
            foreach (float[] output in outputs) Assert.Equal(expected, output, new Tolerance());
        }

        private static float[] Features() => TestPlans.Values(2 * TestPlans.MlpIn, 9);

        /// <summary>Generates class MyApp.Models.{className}, compiles it (no warning), runs two samples and returns every output.</summary>
        private static float[][] BuildAndRun(ModelPlan plan, string className, string? parallelism, byte[]? resource)
        {
            var harness = new StringBuilder();
            harness.AppendLine("#pragma warning disable CS1591 // the test's own driver code");
            harness.AppendLine("public static class Harness");
            harness.AppendLine("{");
            harness.AppendLine("    public static float[][] Run(float[] features)");
            harness.AppendLine("    {");
            harness.AppendLine($"        var model = new MyApp.Models.{className}();");
            harness.AppendLine($"        int samples = features.Length / {TestPlans.MlpIn};");
            var arguments = new List<string> { "features" };
            for (int i = 0; i < plan.Outputs.Count; i++)
            {
                harness.AppendLine($"        var o{i} = new float[samples * {TestPlans.MlpOut}];");
                arguments.Add("o" + i);
            }
            harness.AppendLine($"        model.Run({string.Join(", ", arguments)});");
            harness.AppendLine($"        return new[] {{ {string.Join(", ", arguments.Skip(1))} }};");
            harness.AppendLine("    }");
            harness.AppendLine("}");

            var file = new PlanFile(PlanPath, PlanText.Write(plan), className, TestPlans.Namespace, Parallelism: parallelism);
            var (_, output, diagnostics) = GeneratorHarness.Run(new[] { file }, GeneratorHarness.CreateCompilation(true, harness.ToString()));
            Assert.Empty(diagnostics);
            var resources = resource is null
                ? Array.Empty<ResourceDescription>()
                : new[] { new ResourceDescription(plan.Weights.ResourceName, () => new MemoryStream(resource), isPublic: true) };
            float[][] result = Array.Empty<float[]>();
            GeneratorHarness.WithAssembly(GeneratorHarness.Emit(output, resources),
                assembly => result = (float[][])GeneratorHarness.Call(assembly, "Harness", "Run", Features())!);
            return result;
        }

        private sealed class Tolerance : IEqualityComparer<float>
        {
            public bool Equals(float x, float y) => Math.Abs(x - y) <= 1e-5f + 1e-5f * Math.Abs(x);

            public int GetHashCode(float value) => 0;
        }
    }
}
