// The pipeline caches: an unrelated edit regenerates nothing, an edited plan re-parses only itself,
// and no step output holds a symbol, syntax or compilation (which would defeat caching and leak memory).
extern alias generator;

using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;
using QuantGenGenerator = generator::QuantGen.Generator.QuantGenGenerator;

namespace QuantGen.Generator.Tests
{
    public class IncrementalTests
    {
        private static readonly string[] s_trackedSteps = typeof(QuantGenGenerator.TrackingNames)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (string)f.GetValue(null)!)
            .ToArray();

        [Fact]
        public void UnrelatedEditLeavesEveryStepCached()
        {
            // A broken plan too, so the diagnostics step has something to cache.
            var plans = TestPlans.Baselines().Select(c => c.File)
                .Append(new PlanFile("/project/obj/quantgen/Broken.qgplan", QuantGen.Plan.PlanText.Header + "\n", "Broken", "MyApp"))
                .ToList();
            CSharpCompilation compilation = GeneratorHarness.CreateCompilation(true, "public class A { }");
            GeneratorDriver driver = GeneratorHarness.CreateDriver(plans).RunGenerators(compilation);
            Assert.Equal("QG1001", Assert.Single(driver.GetRunResult().Diagnostics).Id);

            driver = driver.RunGenerators(compilation.AddSyntaxTrees(
                CSharpSyntaxTree.ParseText("public class B { }", GeneratorHarness.ParseOptions)));
            GeneratorRunResult result = driver.GetRunResult().Results.Single();

            foreach (string name in s_trackedSteps)
            {
                Assert.True(result.TrackedSteps.ContainsKey(name), "step " + name + " was not tracked");
                foreach (IncrementalGeneratorRunStep step in result.TrackedSteps[name])
                {
                    foreach (var (_, reason) in step.Outputs)
                        Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{name}: {reason}");
                }
            }
            Assert.NotEmpty(result.TrackedOutputSteps);
            foreach (var (name, steps) in result.TrackedOutputSteps)
            {
                foreach (IncrementalGeneratorRunStep step in steps)
                {
                    foreach (var (_, reason) in step.Outputs)
                        Assert.True(reason == IncrementalStepRunReason.Cached, $"output {name}: {reason}");
                }
            }
        }

        [Fact]
        public void EditingOnePlanReparsesOnlyThatPlan()
        {
            var plans = TestPlans.Baselines().Select(c => c.File).ToList();
            CSharpCompilation compilation = GeneratorHarness.CreateCompilation();
            GeneratorDriver driver = GeneratorHarness.CreateDriver(plans, GeneratorHarness.TestVersion, out var texts).RunGenerators(compilation);

            var edited = TestPlans.TinyConvNet(out _);
            edited.Info.Producer = "another producer";
            driver = driver.ReplaceAdditionalText(texts[1], new QuantGen.Tests.InMemoryAdditionalText(plans[1].Path, QuantGen.Plan.PlanText.Write(edited)));
            driver = driver.RunGenerators(compilation);
            GeneratorRunResult result = driver.GetRunResult().Results.Single();

            var reasons = result.TrackedSteps[QuantGenGenerator.TrackingNames.Parse].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
            Assert.Equal(1, reasons.Count(r => r == IncrementalStepRunReason.Modified));
            Assert.Equal(plans.Count - 1, reasons.Count(r => r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
            Assert.Contains("another producer", GeneratorHarness.Sources(driver)["MyApp.Models.TinyConvNet.g.cs"]);

            // The model's kernels did not change: neither does the kernel set, nor any kernel file.
            var kernelSet = result.TrackedSteps[QuantGenGenerator.TrackingNames.KernelFiles].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
            Assert.NotEmpty(kernelSet);
            Assert.All(kernelSet, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        }

        [Fact]
        public void APlanThatCallsAnotherKernelChangesTheKernelSet()
        {
            var mlp = TestPlans.File("ClinicalMlp", TestPlans.ClinicalMlp(out _));
            CSharpCompilation compilation = GeneratorHarness.CreateCompilation();
            GeneratorDriver driver = GeneratorHarness.CreateDriver(new[] { mlp }, GeneratorHarness.TestVersion, out var texts).RunGenerators(compilation);
            Assert.DoesNotContain("QuantGen.Kernels.ConvF32.g.cs", GeneratorHarness.Sources(driver).Keys);

            // The same file now holds a convolution (as after the model is replaced and rebuilt).
            driver = driver.ReplaceAdditionalText(texts[0], new QuantGen.Tests.InMemoryAdditionalText(mlp.Path, QuantGen.Plan.PlanText.Write(TestPlans.TinyConvNet(out _))));
            driver = driver.RunGenerators(compilation);
            GeneratorRunResult result = driver.GetRunResult().Results.Single();
            Assert.Contains(IncrementalStepRunReason.Modified, result.TrackedSteps[QuantGenGenerator.TrackingNames.KernelFiles].SelectMany(s => s.Outputs).Select(o => o.Reason));
            var sources = GeneratorHarness.Sources(driver);
            Assert.Contains("QuantGen.Kernels.ConvF32.g.cs", sources.Keys);
            Assert.DoesNotContain("QuantGen.Kernels.SoftmaxF32.g.cs", sources.Keys);
        }

        [Fact]
        public void StepOutputsHoldNoCompilerObjects()
        {
            var plans = TestPlans.Baselines().Select(c => c.File)
                .Append(new PlanFile("/project/obj/quantgen/Broken.qgplan", QuantGen.Plan.PlanText.Header + "\n", "Broken", "MyApp"))
                .ToList();
            GeneratorDriver driver = GeneratorHarness.CreateDriver(plans).RunGenerators(GeneratorHarness.CreateCompilation());
            GeneratorRunResult result = driver.GetRunResult().Results.Single();

            int walked = 0;
            foreach (string name in s_trackedSteps)
            {
                foreach (IncrementalGeneratorRunStep step in result.TrackedSteps[name])
                {
                    foreach (var (value, _) in step.Outputs)
                    {
                        Walk(value, name, new HashSet<object>(ReferenceEqualityComparer.Instance));
                        walked++;
                    }
                }
            }
            Assert.True(walked >= 10, "walked only " + walked + " outputs");
        }

        private static readonly Type[] s_forbidden =
        {
            typeof(ISymbol), typeof(Compilation), typeof(SemanticModel), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Location), typeof(AdditionalText),
        };

        /// <summary>Fails when <paramref name="value"/> or anything it reaches through fields is a compiler object.</summary>
        private static void Walk(object? value, string path, HashSet<object> seen)
        {
            if (value is null) return;
            Type type = value.GetType();
            foreach (Type forbidden in s_forbidden)
                Assert.False(forbidden.IsAssignableFrom(type), $"{path} holds a {type.FullName}");
            if (type.IsPrimitive || type.IsEnum || value is string || value is DiagnosticDescriptor) return;
            if (!type.IsValueType && !seen.Add(value)) return;
            if (value is IEnumerable items)
            {
                int i = 0;
                foreach (object? item in items) Walk(item, path + "[" + i++ + "]", seen);
                if (value is Array) return;
            }
            for (Type? t = type; t is not null && t != typeof(object); t = t.BaseType)
            {
                foreach (FieldInfo field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                    Walk(field.GetValue(value), path + "." + field.Name, seen);
            }
        }
    }
}
