// The INT8 stage on the kernels (the build task's engine) against the same stage on the reference evaluator (the oracle):
// the same calibration ranges within float-vs-double rounding, the same layers kept in float, and the same plan whatever
// the thread count.
using System;
using System.IO;
using System.Linq;
using QuantGen.Compiler.Pipeline;
using QuantGen.Compiler.Quantization;
using QuantGen.Engine;
using QuantGen.Onnx;
using QuantGen.Plan;
using QuantGen.Tests;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Quantization.Tests
{
    public class KernelEngineTests
    {
        private readonly ITestOutputHelper _output;

        public KernelEngineTests(ITestOutputHelper output) { _output = output; }

        private static CompileResult Compile(string model, int samples, bool kernels, int threads, AccuracyBudgetOptions? budget = null)
        {
            var graph = OnnxModelReader.Read(RepoPaths.ModelFile(model));
            var result = ModelCompiler.Compile(graph, new CompileOptions
            {
                Precision = Precision.Int8,
                CalibrationData = Models.DataFile(model, "calib_x.f32"),
                CalibrationSamples = samples,
                Budget = budget,
                PlanExecutor = kernels ? new KernelPlanExecutor() : null,
                BuildThreads = threads,
            });
            Assert.True(result.Plan != null, string.Join("\n", result.Diagnostics));
            return result;
        }

        private static string[] FloatNodes(CompileResult result) => result.Scheme!.Options.FloatNodes.OrderBy(n => n, StringComparer.Ordinal).ToArray();

        public static TheoryData<string, int> ModelsToCompare => new TheoryData<string, int>
        {
            { "clinical-mlp", 200 },
            { "digits-cnn", 64 },
            { "mobilenetv2-digits", 64 },
        };

        [Theory]
        [MemberData(nameof(ModelsToCompare))]
        public void KernelsCalibrateAsTheReferenceEvaluatorDoes(string model, int samples)
        {
            var reference = Compile(model, samples, kernels: false, threads: 1);
            var kernels = Compile(model, samples, kernels: true, threads: 2);
            // The kernels really ran (no fallback note, the report says so).
            Assert.DoesNotContain(kernels.Diagnostics, d => d.Id == "QG0015");
            Assert.Contains("forward passes on the kernels", kernels.Report!.Markdown);
            Assert.Contains("forward passes on the reference evaluator", reference.Report!.Markdown);

            var want = reference.Scheme!.Activations;
            var got = kernels.Scheme!.Activations;
            Assert.Equal(want.Keys.OrderBy(k => k, StringComparer.Ordinal), got.Keys.OrderBy(k => k, StringComparer.Ordinal));
            double worst = 0;
            int zeroPointMoves = 0;
            foreach (var (name, p) in want)
            {
                var q = got[name];
                double relative = Math.Abs(q.Scale - p.Scale) / p.Scale;
                worst = Math.Max(worst, relative);
                if (q.ZeroPoint != p.ZeroPoint) zeroPointMoves++;
                // Float32 activations against double accumulation move a histogram edge by a few ulps, not a range.
                Assert.True(relative <= 1e-4, $"{model} {name}: scale {q.Scale:R} on the kernels, {p.Scale:R} on the reference evaluator");
                Assert.True(Math.Abs(q.ZeroPoint - p.ZeroPoint) <= 1, $"{model} {name}: zero point {q.ZeroPoint} against {p.ZeroPoint}");
            }
            // The budget's measurement of the scheme: float32 sums flip a few values to the neighbouring uint8 step, which
            // compounds through a deep network (measured: 0.035 dB on mobilenetv2-digits, 0 on the others).
            double wantSqnr = reference.Plan!.Facts.Get(PlanFacts.QuantizationOutputSqnrDb)!.Value, gotSqnr = kernels.Plan!.Facts.Get(PlanFacts.QuantizationOutputSqnrDb)!.Value;
            _output.WriteLine($"{model}: {want.Count} activation ranges, worst relative scale difference {worst:E2}, {zeroPointMoves} zero points moved by 1; " +
                $"output SQNR {wantSqnr:F3} dB on the reference evaluator, {gotSqnr:F3} dB on the kernels");
            Assert.True(Math.Abs(gotSqnr - wantSqnr) <= 0.2, $"{model}: output SQNR {gotSqnr} dB on the kernels, {wantSqnr} dB on the reference evaluator");
            Assert.Equal(FloatNodes(reference), FloatNodes(kernels));
        }

        /// <summary>An engine that fails as a kernel bug would: the build must still succeed, on the reference evaluator.</summary>
        private sealed class FailingExecutor : QuantGen.Compiler.Evaluation.IPlanExecutor
        {
            public QuantGen.Compiler.Evaluation.IPlanProgram Load(ModelPlan plan, System.Collections.Generic.IReadOnlyList<byte[]> weights) =>
                throw new InvalidOperationException("a kernel failed");
        }

        [Fact]
        public void AFailingEngineFallsBackToTheReferenceEvaluatorWithANote()
        {
            var graph = OnnxModelReader.Read(RepoPaths.ModelFile("digits-cnn"));
            var failing = ModelCompiler.Compile(graph, new CompileOptions
            {
                Precision = Precision.Int8,
                CalibrationData = Models.DataFile("digits-cnn", "calib_x.f32"),
                CalibrationSamples = 16,
                PlanExecutor = new FailingExecutor(),
            });
            var reference = Compile("digits-cnn", 16, kernels: false, threads: 2);
            Assert.True(failing.Plan != null, string.Join("\n", failing.Diagnostics));
            var note = Assert.Single(failing.Diagnostics, d => d.Id == "QG0015");
            Assert.Contains("a kernel failed", note.Message);
            Assert.Equal(PlanText.Write(reference.Plan!), PlanText.Write(failing.Plan!));
            Assert.Equal(reference.Weights, failing.Weights);
        }

        [Fact]
        public void ThePlanDoesNotDependOnTheThreadCount()
        {
            var one = Compile("mobilenetv2-digits", 40, kernels: true, threads: 1);
            var three = Compile("mobilenetv2-digits", 40, kernels: true, threads: 3);
            Assert.Equal(PlanText.Write(one.Plan!), PlanText.Write(three.Plan!));
            Assert.Equal(one.Weights, three.Weights);
            Assert.Equal(QdqModelWriter.Write(one.OptimizedGraph!, one.Scheme!), QdqModelWriter.Write(three.OptimizedGraph!, three.Scheme!));
        }

        [Fact]
        public void Values_too_large_to_copy_are_observed_as_they_run_with_the_same_plan()
        {
            // A workspace limit below two samples' values (but above what the model needs) makes calibration observe one
            // sample at a time without copies: the statistics, hence the plan, are those of the parallel path. The limit is
            // the unoptimized graph's values, above half of what the optimized graph observes, so the direct path runs.
            var graph = OnnxModelReader.Read(RepoPaths.ModelFile("mobilenetv2-digits"));
            QuantGen.Compiler.GraphPasses.ShapeInference.Run(graph);
            long sampleBytes = graph.Nodes.SelectMany(n => n.Outputs).Concat(graph.Inputs).Where(v => v.Shape != null).Sum(v => v.ElementCount * 4L);
            CompileResult Build(long? limit)
            {
                var options = new CompileOptions
                {
                    Precision = Precision.Int8,
                    CalibrationData = Models.DataFile("mobilenetv2-digits", "calib_x.f32"),
                    CalibrationSamples = 24,
                    BuildThreads = 2,
                };
                if (limit is long bytes) options.Limits.MaxWorkspaceBytes = bytes;
                var result = ModelCompiler.Compile(OnnxModelReader.Read(RepoPaths.ModelFile("mobilenetv2-digits")), options);
                Assert.True(result.Plan != null, string.Join("\n", result.Diagnostics));
                return result;
            }

            var copied = Build(null);
            var direct = Build(sampleBytes);
            Assert.Equal(PlanText.Write(copied.Plan!), PlanText.Write(direct.Plan!));
            Assert.Equal(copied.Weights, direct.Weights);
        }

        [Fact]
        public void TheBudgetSearchChoosesTheSameLayersOnTheKernels()
        {
            // An SQNR budget the all-integer digits CNN misses: the search keeps layers in float on both engines.
            var budget = new AccuracyBudgetOptions { MinOutputSqnr = 45 };
            var reference = Compile("digits-cnn", 32, kernels: false, threads: 1, budget);
            var kernels = Compile("digits-cnn", 32, kernels: true, threads: 2, budget);
            _output.WriteLine("kept in float: " + string.Join(", ", FloatNodes(kernels)));
            Assert.NotEmpty(FloatNodes(kernels));
            Assert.Equal(FloatNodes(reference), FloatNodes(kernels));
        }
    }
}
