// A linear layer on tokens (MatMul by a constant, then Add of a constant row, then optionally GELU) with its bias and
// activation moved into the GEMM: the generated class against the reference evaluator, in Float32 and Int8Dynamic, for
// two samples of a symbolic batch.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Evaluation;
using QuantGen.Compiler.GraphPasses;
using QuantGen.Compiler.Pipeline;
using QuantGen.Ir;
using QuantGen.Plan;
using Xunit;

namespace QuantGen.Generator.Tests
{
    public class GemmEpilogueFusionTests
    {
        private const int Rows = 6, Depth = 40, Width = 24, Samples = 2;

        private const string Harness = """
            #pragma warning disable CS1591 // the test's own driver code
            public static class Harness
            {
                public static float[] Run(float[] x, int outputLength)
                {
                    var y = new float[outputLength];
                    new Linear.Model().Run(x, y);
                    return y;
                }
            }
            """;

        /// <summary>x [batch, 6, 40] · W [40, 24] + b [24], then Gelu when <paramref name="gelu"/>.</summary>
        private static Graph Build(int batch, bool gelu)
        {
            var random = new Random(5);
            float[] Floats(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var g = new Graph { Info = new ModelInfo { Opset = 13, SourcePath = "linear.onnx", Sha256 = new string('0', 64) } };
            var x = new Value("x", DataType.Float32, new[] { batch, Rows, Depth });
            g.Inputs.Add(x);
            var w = new Value("w", DataType.Float32, new[] { Depth, Width }) { Constant = Tensor.FromFloats(new[] { Depth, Width }, Floats(Depth * Width)) };
            var b = new Value("b", DataType.Float32, new[] { Width }) { Constant = Tensor.FromFloats(new[] { Width }, Floats(Width).Select(v => 4 * v).ToArray()) };
            var product = new Value("product");
            g.Nodes.Add(new Node("matmul", "MatMul", new[] { x, w }, new[] { product }));
            var sum = new Value(gelu ? "sum" : "y");
            g.Nodes.Add(new Node("bias", "Add", new[] { product, b }, new[] { sum }));
            var y = sum;
            if (gelu)
            {
                y = new Value("y");
                g.Nodes.Add(new Node("gelu", "Gelu", new[] { sum }, new[] { y }));
            }
            g.Outputs.Add(y);
            return g;
        }

        /// <summary>Float32: within 1e-5 of the largest output (one rounding more or less per element); Int8Dynamic: ≥ 30 dB per sample.</summary>
        [Theory]
        [InlineData(Precision.Float32, false)]
        [InlineData(Precision.Float32, true)]
        [InlineData(Precision.Int8Dynamic, false)]
        [InlineData(Precision.Int8Dynamic, true)]
        public void The_fused_layer_computes_matmul_plus_bias(Precision precision, bool gelu)
        {
            var result = ModelCompiler.Compile(Build(-1, gelu), new CompileOptions { Precision = precision, ResourceName = "Linear.weights" });
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
            Assert.DoesNotContain(result.Plan!.Steps, s => s.Kernel == "BinaryF32");

            var random = new Random(11);
            var x = Enumerable.Range(0, Samples * Rows * Depth).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
            var reference = Build(1, gelu);
            ShapeInference.Run(reference);
            var evaluator = new ReferenceEvaluator(reference);
            var (_, output, diagnostics) = GeneratorHarness.Run(
                new[] { new PlanFile("/obj/quantgen/Model.plan", PlanText.Write(result.Plan), "Model", "Linear") },
                GeneratorHarness.CreateCompilation(true, Harness));
            Assert.Empty(diagnostics);
            GeneratorHarness.WithAssembly(GeneratorHarness.Emit(output), assembly =>
            {
                var got = (float[])GeneratorHarness.Call(assembly, "Harness", "Run", x, Samples * Rows * Width)!;
                for (int s = 0; s < Samples; s++)
                {
                    var want = evaluator.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromFloats(new[] { 1, Rows, Depth }, x.AsSpan(s * Rows * Depth, Rows * Depth).ToArray()) })["y"].Floats;
                    var mine = got.AsSpan(s * Rows * Width, Rows * Width).ToArray();
                    double scale = want.Max(v => Math.Abs((double)v)), worst = 0, signal = 0, noise = 0;
                    for (int i = 0; i < want.Length; i++)
                    {
                        worst = Math.Max(worst, Math.Abs((double)mine[i] - want[i]));
                        signal += (double)want[i] * want[i];
                        noise += ((double)mine[i] - want[i]) * ((double)mine[i] - want[i]);
                    }
                    if (precision == Precision.Float32)
                        Assert.True(worst <= 1e-5 * scale, $"sample {s}: largest difference {worst:G3} of {scale:G3}");
                    else
                        Assert.True(10 * Math.Log10(signal / Math.Max(noise, 1e-30)) >= 30, $"sample {s}: {10 * Math.Log10(signal / Math.Max(noise, 1e-30)):F1} dB");
                }
            });
        }
    }
}
