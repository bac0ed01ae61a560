// Int8Dynamic over several rows (a transformer's tokens): each row of a MatMul's input gets its own range, so a row of
// small values keeps its resolution beside a row of large ones. The generated class against the reference evaluator.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Evaluation;
using QuantGen.Ir;
using QuantGen.Compiler.GraphPasses;
using QuantGen.Compiler.Pipeline;
using QuantGen.Plan;
using Xunit;

namespace QuantGen.Generator.Tests
{
    public class DynamicRowsTests
    {
        private const int Rows = 6, Depth = 40, Width = 24;

        private const string Harness = """
            #pragma warning disable CS1591 // the test's own driver code
            public static class Harness
            {
                public static float[] Run(float[] x, int outputLength)
                {
                    var y = new float[outputLength];
                    new Tokens.Model().Run(x, y);
                    return y;
                }
            }
            """;

        /// <summary>x [batch, 6, 40] · W [40, 24], then a Relu (fused into the product).</summary>
        private static Graph Build(int batch)
        {
            var random = new Random(3);
            var g = new Graph { Info = new ModelInfo { Opset = 13, SourcePath = "tokens.onnx", Sha256 = new string('0', 64) } };
            var x = new Value("x", DataType.Float32, new[] { batch, Rows, Depth });
            g.Inputs.Add(x);
            var wData = Enumerable.Range(0, Depth * Width).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var w = new Value("w", DataType.Float32, new[] { Depth, Width }) { Constant = Tensor.FromFloats(new[] { Depth, Width }, wData) };
            var product = new Value("product");
            g.Nodes.Add(new Node("matmul", "MatMul", new[] { x, w }, new[] { product }));
            var y = new Value("y");
            g.Nodes.Add(new Node("relu", "Relu", new[] { product }, new[] { y }));
            g.Outputs.Add(y);
            return g;
        }

        [Fact]
        public void Each_row_keeps_its_own_resolution()
        {
            var result = ModelCompiler.Compile(Build(-1), new CompileOptions { Precision = Precision.Int8Dynamic, ResourceName = "Tokens.weights" });
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
            Assert.Contains(result.Plan!.Steps, s => s.Kernel == "QuantizeDynamicU8.Rows");
            Assert.Contains(result.Plan.Steps, s => s.Kernel == "FinishGemmDynamicRows");

            // Two samples; row r spans about ±3^r, so one range for the whole tensor would leave row 0 almost no steps.
            const int samples = 2;
            var random = new Random(9);
            var x = new float[samples * Rows * Depth];
            for (int i = 0; i < x.Length; i++) x[i] = (float)((random.NextDouble() * 2 - 0.5) * Math.Pow(3, i / Depth % Rows));

            var reference = Build(1);
            ShapeInference.Run(reference);
            var evaluator = new ReferenceEvaluator(reference);
            var (_, output, diagnostics) = GeneratorHarness.Run(
                new[] { new PlanFile("/obj/quantgen/Model.plan", PlanText.Write(result.Plan), "Model", "Tokens") },
                GeneratorHarness.CreateCompilation(true, Harness));
            Assert.Empty(diagnostics);
            GeneratorHarness.WithAssembly(GeneratorHarness.Emit(output), assembly =>
            {
                var got = (float[])GeneratorHarness.Call(assembly, "Harness", "Run", x, samples * Rows * Width)!;
                for (int s = 0; s < samples; s++)
                {
                    var want = evaluator.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromFloats(new[] { 1, Rows, Depth }, x.AsSpan(s * Rows * Depth, Rows * Depth).ToArray()) })["y"].Floats;
                    for (int r = 0; r < Rows; r++)
                    {
                        double signal = 0, noise = 0;
                        for (int j = 0; j < Width; j++)
                        {
                            double wv = want[r * Width + j], gv = got[(s * Rows + r) * Width + j];
                            signal += wv * wv;
                            noise += (gv - wv) * (gv - wv);
                        }
                        double sqnr = 10 * Math.Log10(signal / Math.Max(noise, 1e-30));
                        Assert.True(sqnr >= 30, $"sample {s} row {r}: {sqnr:F1} dB");
                    }
                }
            });
        }
    }
}
