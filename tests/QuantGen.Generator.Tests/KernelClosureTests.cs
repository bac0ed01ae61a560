// A compilation gets only the kernel files its plans reach: for every catalog kernel, a plan of that one step
// compiles (every warning on) with nothing but what the generator emitted for it, and a small model leaves the
// kernels it does not call behind.
using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using QuantGen.Plan;
using Xunit;

namespace QuantGen.Generator.Tests
{
    public class KernelClosureTests
    {
        private const string KernelPrefix = "QuantGen.Kernels.";

        public static IEnumerable<object[]> Kernels() => KernelCatalog.All.Select(k => k.Name).OrderBy(n => n, StringComparer.Ordinal).Select(n => new object[] { n });

        [Theory]
        [MemberData(nameof(Kernels))]
        public void APlanOfOneKernelCompilesWithOnlyTheFilesEmittedForIt(string name)
        {
            var (driver, output, diagnostics) = GeneratorHarness.Run(new[] { TestPlans.File("OneStep", OneStepPlan(KernelCatalog.Find(name)!)) });
            Assert.Empty(diagnostics);
            var kernels = GeneratorHarness.Sources(driver).Keys.Where(k => k.StartsWith(KernelPrefix, StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(kernels);
            var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
            Assert.True(problems.Count == 0, name + " with " + string.Join(", ", kernels) + ":\n" + GeneratorHarness.Describe(output, problems));
        }

        [Fact]
        public void AnMlpGetsItsGemmAndSoftmaxButNoConvolutionPoolingOrIntegerKernels()
        {
            var (driver, _, _) = GeneratorHarness.Run(new[] { TestPlans.File("ClinicalMlp", TestPlans.ClinicalMlp(out _)) });
            var kernels = GeneratorHarness.Sources(driver).Keys.Where(k => k.StartsWith(KernelPrefix, StringComparison.Ordinal)).ToList();
            Assert.Contains(KernelPrefix + "GemmF32.g.cs", kernels);
            Assert.Contains(KernelPrefix + "SoftmaxF32.g.cs", kernels);
            Assert.Contains(KernelPrefix + "KernelEnums.g.cs", kernels);
            Assert.DoesNotContain(KernelPrefix + "ConvF32.g.cs", kernels);
            Assert.DoesNotContain(KernelPrefix + "PoolF32.g.cs", kernels);
            Assert.DoesNotContain(kernels, k => k.StartsWith(KernelPrefix + "Int8.", StringComparison.Ordinal));
        }

        [Fact]
        public void TwoModelsShareOneKernelSetThatCoversBoth()
        {
            var (driver, output, _) = GeneratorHarness.Run(new[]
            {
                TestPlans.File("ClinicalMlp", TestPlans.ClinicalMlp(out _)),
                TestPlans.File("TinyConvNet", TestPlans.TinyConvNet(out _)),
            });
            var kernels = GeneratorHarness.Sources(driver).Keys.Where(k => k.StartsWith(KernelPrefix, StringComparison.Ordinal)).ToList();
            Assert.Equal(kernels.Distinct().Count(), kernels.Count);
            Assert.Contains(KernelPrefix + "GemmF32.g.cs", kernels);
            Assert.Contains(KernelPrefix + "ConvF32.g.cs", kernels);
            Assert.Contains(KernelPrefix + "PoolF32.g.cs", kernels);
            Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        }

        [Theory]
        [InlineData("clinical-mlp", "Float32")]
        [InlineData("clinical-mlp", "Int8")]
        [InlineData("digits-cnn", "Float32")]
        [InlineData("digits-cnn", "Int8")]
        [InlineData("mobilenetv2-digits", "Float32")]
        [InlineData("mobilenetv2-digits", "Int8")]
        public void EachReferenceModelGetsOnlyTheKernelsOfItsArithmetic(string model, string precision)
        {
            string dir = QuantGen.Tests.RepoPaths.Model(model);
            var result = QuantGen.Compiler.Pipeline.ModelCompiler.Compile(QuantGen.Onnx.OnnxModelReader.Read(System.IO.Path.Combine(dir, "model.onnx")),
                new QuantGen.Compiler.Pipeline.CompileOptions
                {
                    Precision = Enum.Parse<QuantGen.Compiler.Pipeline.Precision>(precision),
                    CalibrationData = precision == "Int8" ? System.IO.Path.Combine(dir, "data", "calib_x.f32") : null,
                    CalibrationSamples = 32,
                    ResourceName = GeneratedModel.ResourceName,
                });
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
            var (driver, output, diagnostics) = GeneratorHarness.Run(new[] { new PlanFile("/obj/quantgen/Model.plan", PlanText.Write(result.Plan!), "Model", "Ref") });
            Assert.Empty(diagnostics);
            var kernels = GeneratorHarness.Sources(driver).Where(s => s.Key.StartsWith(KernelPrefix, StringComparison.Ordinal)).ToList();
            _output.WriteLine($"{model} {precision}: {kernels.Count} kernel files, {kernels.Sum(k => k.Value.Count(c => c == '\n'))} lines: " +
                              string.Join(", ", kernels.Select(k => k.Key.Substring(KernelPrefix.Length, k.Key.Length - KernelPrefix.Length - ".g.cs".Length))));
            bool integer = result.Plan!.Steps.Any(s => s.Kernel.Contains("U8", StringComparison.Ordinal));
            Assert.Equal(integer, kernels.Any(k => k.Key.StartsWith(KernelPrefix + "Int8.", StringComparison.Ordinal)));
            Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        }

        private readonly Xunit.Abstractions.ITestOutputHelper _output;

        public KernelClosureTests(Xunit.Abstractions.ITestOutputHelper output)
        {
            _output = output;
        }

        /// <summary>
        /// A valid plan whose one step calls <paramref name="kernel"/>: every tensor its own workspace range of 4096
        /// elements (float32 where the kernel is generic), ints 1, int lists [0], floats 0, float lists empty, each symbol
        /// the first member of its enum. The step is never run; the plan only has to validate and compile.
        /// </summary>
        private static ModelPlan OneStepPlan(KernelSignature kernel)
        {
            const long Elements = 4096;
            var plan = new ModelPlan();
            plan.Info = new PlanModelInfo { Source = "one-step.onnx", Sha256 = new string('0', 64), Opset = 13, Producer = "test", Precision = "Float32" };
            plan.Outputs.Add(new PlanTensor("out", PlanElementType.Float32, new[] { 1 }));
            plan.Weights.Storage = WeightStorage.Inline;
            plan.Weights.Sha256 = TestPlans.Sha256(Array.Empty<byte>());
            var step = new PlanStep(kernel.Name, "/" + kernel.Name);
            long offset = 0;
            foreach (KernelParameter p in kernel.Parameters)
            {
                switch (p.Kind)
                {
                    case KernelParameterKind.Tensor:
                        PlanElementType type = p.ElementType ?? PlanElementType.Float32;
                        step.Add(p.Name, PlanValue.Of(PlanOperand.Workspace(offset, Elements, type)));
                        offset += Elements * PlanElementTypes.SizeOf(type);
                        break;
                    case KernelParameterKind.Int: step.Add(p.Name, PlanValue.Of(1L)); break;
                    case KernelParameterKind.Float: step.Add(p.Name, PlanValue.Of(0f)); break;
                    case KernelParameterKind.Ints: step.Add(p.Name, PlanValue.Of(new long[] { 0 })); break;
                    case KernelParameterKind.Floats: step.Add(p.Name, PlanValue.Of(Array.Empty<float>())); break;
                    default: step.Add(p.Name, PlanValue.OfSymbol(FirstMember(p.SymbolType!))); break;
                }
            }
            plan.WorkspaceBytes = offset;
            plan.Steps.Add(step);
            PlanValidator.Validate(plan);
            return plan;
        }

        private static string FirstMember(string enumType) => enumType switch
        {
            "Activation" => "None",
            "BinaryOp" => "Add",
            "ReduceOp" => "Sum",
            "NormKind" => "Max",
            "TreeOutput" => "SingleTarget",
            "TreeAggregate" => "Sum",
            "TreeTransform" => "None",
            "TreeLeafEntry" => "LeafNumber",
            _ => throw new InvalidOperationException($"a kernel takes a {enumType}: add its first member to this test"),
        };
    }
}
