// Every generator diagnostic: when it is reported, where, and that nothing broken is emitted with it.
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using QuantGen.Plan;
using Xunit;

namespace QuantGen.Generator.Tests
{
    public class DiagnosticTests
    {
        private const string PlanPath = "/project/obj/quantgen/Model.qgplan";

        [Fact]
        public void UnreadablePlanIsQG1001WithFileAndLine()
        {
            string text = PlanText.Write(TestPlans.ClinicalMlp(out _)).Replace("step SoftmaxF32", "step NoSuchKernel");
            var (driver, _, diagnostics) = GeneratorHarness.Run(new[] { new PlanFile(PlanPath, text, "Model", "MyApp") });
            Diagnostic d = SingleErrorOnThePlan(diagnostics, "QG1001");
            Assert.Contains(PlanPath, d.GetMessage());
            Assert.Contains("NoSuchKernel", d.GetMessage());
            Assert.DoesNotContain(GeneratorHarness.Sources(driver).Keys, k => k.StartsWith("MyApp.", System.StringComparison.Ordinal));

            // A syntax error carries its line.
            (_, _, diagnostics) = GeneratorHarness.Run(new[] { new PlanFile(PlanPath, PlanText.Header + "\nmodel source=\"x\n", "Model", "MyApp") });
            d = Assert.Single(diagnostics);
            Assert.Equal("QG1001", d.Id);
            Assert.Equal(1, d.Location.GetLineSpan().StartLinePosition.Line);
            Assert.Contains("unterminated string", d.GetMessage());
        }

        [Theory]
        [InlineData("catalog", "kernel catalog 0123456789abcdef")]
        [InlineData("format", "plan format 1")]
        public void PlanOfAnotherQuantGenIsQG1008AskingForARebuild(string differs, string messagePart)
        {
            string text = PlanText.Write(TestPlans.ClinicalMlp(out _));
            string header = text.Substring(0, text.IndexOf('\n'));
            string stale = differs == "catalog" ? header.Replace(CatalogFingerprint.Value, "0123456789abcdef") : header.Replace("quantgen-plan " + ModelPlan.FormatVersion, "quantgen-plan 1");
            var (driver, _, diagnostics) = GeneratorHarness.Run(new[] { new PlanFile(PlanPath, stale + text.Substring(header.Length), "Model", "MyApp") });
            Diagnostic d = SingleErrorOnThePlan(diagnostics, "QG1008");
            Assert.Contains(messagePart, d.GetMessage());
            Assert.Contains("Rebuild the project", d.GetMessage());
            Assert.Empty(GeneratorHarness.Sources(driver));
        }

        private static Diagnostic SingleErrorOnThePlan(ImmutableArray<Diagnostic> diagnostics, string id)
        {
            Diagnostic d = Assert.Single(diagnostics);
            Assert.Equal(id, d.Id);
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.Equal(PlanPath, d.Location.GetLineSpan().Path);
            return d;
        }

        [Fact]
        public void ValueOutsideIntIsQG1001()
        {
            var plan = TestPlans.ClinicalMlp(out _);
            plan.Steps[2].Arguments[5] = new PlanArgument("log", PlanValue.Of(5_000_000_000L));
            var (_, _, diagnostics) = GeneratorHarness.Run(new[] { new PlanFile(PlanPath, PlanText.Write(plan), "Model", "MyApp") });
            Diagnostic d = Assert.Single(diagnostics);
            Assert.Equal("QG1001", d.Id);
            Assert.Contains("'log' is 5000000000", d.GetMessage());
        }

        [Fact]
        public void UnknownEnumMemberIsQG1001()
        {
            var plan = TestPlans.ClinicalMlp(out _);
            plan.Steps[0].Arguments[7] = new PlanArgument("act", PlanValue.OfSymbol("Swish"));
            var (_, _, diagnostics) = GeneratorHarness.Run(new[] { new PlanFile(PlanPath, PlanText.Write(plan), "Model", "MyApp") });
            Diagnostic d = Assert.Single(diagnostics);
            Assert.Equal("QG1001", d.Id);
            Assert.Contains("'Swish', which is not a member of the kernels' Activation enum", d.GetMessage());
        }

        [Fact]
        public void UnsafeOffIsQG1002AndNothingIsEmitted()
        {
            var (driver, _, diagnostics) = GeneratorHarness.Run(
                new[] { TestPlans.File("ClinicalMlp", TestPlans.ClinicalMlp(out _)) },
                GeneratorHarness.CreateCompilation(allowUnsafe: false));
            Diagnostic d = Assert.Single(diagnostics);
            Assert.Equal("QG1002", d.Id);
            Assert.Contains("<AllowUnsafeBlocks>true</AllowUnsafeBlocks>", d.GetMessage());
            Assert.Empty(GeneratorHarness.Sources(driver));
        }

        [Fact]
        public void OldFrameworkIsQG1003()
        {
            var compilation = CSharpCompilation.Create("NoReferences", options: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
            var (driver, _, diagnostics) = GeneratorHarness.Run(new[] { TestPlans.File("ClinicalMlp", TestPlans.ClinicalMlp(out _)) }, compilation);
            Assert.Equal("QG1003", Assert.Single(diagnostics).Id);
            Assert.Empty(GeneratorHarness.Sources(driver));
        }

        [Theory]
        [InlineData(null, "MyApp", "QG1004", "QuantGenClassName")]
        [InlineData("Model", null, "QG1004", "QuantGenNamespace")]
        [InlineData("Model", " ", "QG1004", "QuantGenNamespace")]
        [InlineData("My-Model", "MyApp", "QG1005", "class name 'My-Model'")]
        [InlineData("class", "MyApp", "QG1005", "class name 'class'")]
        [InlineData("Model", "MyApp..Models", "QG1005", "namespace 'MyApp..Models'")]
        [InlineData("Run", "MyApp", "QG1005", "is the name of a member of the generated class")]
        [InlineData("Facts", "MyApp", "QG1005", "is the name of a member of the generated class")]
        public void BadMetadataIsReported(string? className, string? ns, string id, string messagePart)
        {
            string text = PlanText.Write(TestPlans.ClinicalMlp(out _));
            var (driver, _, diagnostics) = GeneratorHarness.Run(new[] { new PlanFile(PlanPath, text, className, ns) });
            Diagnostic d = Assert.Single(diagnostics);
            Assert.Equal(id, d.Id);
            Assert.Equal(PlanPath, d.Location.GetLineSpan().Path);
            Assert.Contains(messagePart, d.GetMessage());
            Assert.DoesNotContain(GeneratorHarness.Sources(driver).Keys, k => k.EndsWith("Model.g.cs", System.StringComparison.Ordinal));
        }

        [Fact]
        public void TwoPlansForOneClassIsQG1006AndTheFirstWins()
        {
            string text = PlanText.Write(TestPlans.ClinicalMlp(out _));
            var (driver, output, diagnostics) = GeneratorHarness.Run(new[]
            {
                new PlanFile("/project/b.qgplan", text, "Model", "MyApp"),
                new PlanFile("/project/a.qgplan", text, "Model", "MyApp"),
            });
            Diagnostic d = Assert.Single(diagnostics);
            Assert.Equal("QG1006", d.Id);
            Assert.Equal("/project/b.qgplan", d.Location.GetLineSpan().Path);
            Assert.Contains("/project/a.qgplan", d.GetMessage());
            Assert.Single(GeneratorHarness.Sources(driver).Keys, k => k == "MyApp.Model.g.cs");
        }

        [Fact]
        public void FilesWithoutPlanMetadataAreIgnored()
        {
            var (driver, _, diagnostics) = GeneratorHarness.Run(new[] { new PlanFile("/project/notes.txt", "not a plan", null, null, IsPlan: false) });
            Assert.Empty(diagnostics);
            Assert.Empty(GeneratorHarness.Sources(driver));
        }

        [Fact]
        public void KernelsAreEmittedOnceWithTheAutoGeneratedHeader()
        {
            var (driver, _, _) = GeneratorHarness.Run(new[]
            {
                TestPlans.File("ClinicalMlp", TestPlans.ClinicalMlp(out _)),
                TestPlans.File("OddNames", TestPlans.OddNames()),
            });
            var kernels = GeneratorHarness.Sources(driver).Where(s => s.Key.StartsWith("QuantGen.Kernels.", System.StringComparison.Ordinal)).ToList();
            Assert.Contains(kernels, k => k.Key == "QuantGen.Kernels.GemmF32.g.cs");
            Assert.Contains(kernels, k => k.Key == "QuantGen.Kernels.KernelEnums.g.cs");
            Assert.All(kernels, k => Assert.StartsWith("// <auto-generated/>\n", k.Value));
        }
    }
}
