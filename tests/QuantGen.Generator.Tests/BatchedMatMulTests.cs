// Attention's batched MatMul under a symbolic batch (issue 19): Q·Kᵀ and softmax(scores)·V multiply two batched
// [N, heads, m, k] tensors, one product per sample and head. The generated class runs three samples in one call;
// each sample must equal the reference evaluator's result for that sample alone.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Evaluation;
using QuantGen.Ir;
using QuantGen.Compiler.GraphPasses;
using QuantGen.Compiler.Pipeline;
using QuantGen.Plan;
using Xunit;
using IrAttribute = QuantGen.Ir.Attribute;

namespace QuantGen.Generator.Tests
{
    public class BatchedMatMulTests
    {
        private const int Heads = 2, Rows = 3, Depth = 4, Keys = 5;
        private static readonly int QLength = Heads * Rows * Depth, KLength = Heads * Depth * Keys, VLength = Heads * Keys * Depth, YLength = Heads * Rows * Depth;

        private const string Harness = """
            #pragma warning disable CS1591 // the test's own driver code
            public static class Harness
            {
                public static float[] Run(float[] q, float[] k, float[] v, int outputLength)
                {
                    var y = new float[outputLength];
                    new Attention.Model().Run(q, k, v, y);
                    return y;
                }
            }
            """;

        /// <summary>softmax(Q·K / 2)·V over [batch, 2 heads, …]; batch is symbolic (-1) or 1.</summary>
        private static Graph Build(int batch)
        {
            var g = new Graph { Info = new ModelInfo { Opset = 13, SourcePath = "attention.onnx", Sha256 = new string('0', 64) } };
            Value Input(string name, int m, int n)
            {
                var v = new Value(name, DataType.Float32, new[] { batch, Heads, m, n }) { DimensionNames = new[] { "batch", null, null, null } };
                g.Inputs.Add(v);
                return v;
            }
            var q = Input("q", Rows, Depth);
            var k = Input("k", Depth, Keys);
            var v = Input("v", Keys, Depth);
            Value Add(string op, Value[] inputs, params IrAttribute[] attributes)
            {
                var y = new Value(op + g.Nodes.Count);
                var node = new Node(op + "_" + g.Nodes.Count, op, inputs, new[] { y });
                foreach (var a in attributes) node.Attributes.Set(a);
                g.Nodes.Add(node);
                return y;
            }
            var half = new Value("half", DataType.Float32, Array.Empty<int>()) { Constant = Tensor.FromFloats(Array.Empty<int>(), new[] { 0.5f }) };
            var scores = Add("Mul", new[] { Add("MatMul", new[] { q, k }), half });
            var weights = Add("Softmax", new[] { scores }, IrAttribute.OfInt("axis", -1));
            g.Outputs.Add(Add("MatMul", new[] { weights, v }));
            return g;
        }

        [Fact]
        public void Each_sample_of_a_batched_attention_product_is_that_sample_alone()
        {
            var result = ModelCompiler.Compile(Build(-1), new CompileOptions { Precision = Precision.Float32, ResourceName = "Attention.weights" });
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));

            const int samples = 3;
            float[] Data(int length, int seed) => Enumerable.Range(0, samples * length).Select(i => (float)Math.Sin(i * 0.7 + seed)).ToArray();
            float[] qs = Data(QLength, 1), ks = Data(KLength, 2), vs = Data(VLength, 3);

            var reference = Build(1);
            ShapeInference.Run(reference);
            var evaluator = new ReferenceEvaluator(reference);

            var (_, output, diagnostics) = GeneratorHarness.Run(
                new[] { new PlanFile("/obj/quantgen/Model.plan", PlanText.Write(result.Plan!), "Model", "Attention") },
                GeneratorHarness.CreateCompilation(true, Harness));
            Assert.Empty(diagnostics);
            GeneratorHarness.WithAssembly(GeneratorHarness.Emit(output), assembly =>
            {
                var got = (float[])GeneratorHarness.Call(assembly, "Harness", "Run", qs, ks, vs, samples * YLength)!;
                for (int s = 0; s < samples; s++)
                {
                    Tensor Slice(float[] all, int length, int m, int n) => Tensor.FromFloats(new[] { 1, Heads, m, n }, all.AsSpan(s * length, length).ToArray());
                    var want = evaluator.Run(new Dictionary<string, Tensor>
                    {
                        ["q"] = Slice(qs, QLength, Rows, Depth), ["k"] = Slice(ks, KLength, Depth, Keys), ["v"] = Slice(vs, VLength, Keys, Depth),
                    })[reference.Outputs[0].Name].Floats;
                    for (int i = 0; i < YLength; i++)
                        Assert.True(Math.Abs(got[s * YLength + i] - want[i]) <= 1e-5 * Math.Max(1, Math.Abs(want[i])),
                            $"sample {s} element {i}: got {got[s * YLength + i]}, expected {want[i]}");
                }
            });
        }

        [Fact]
        public void A_product_across_samples_is_still_refused()
        {
            // A constant [3,1] × a batched [N,5]: B's batch axis is the product's inner axis, so each output sums over samples.
            var g = new Graph { Info = new ModelInfo { Opset = 13, SourcePath = "mix.onnx", Sha256 = new string('0', 64) } };
            var a = new Value("a", DataType.Float32, new[] { 3, 1 }) { Constant = Tensor.FromFloats(new[] { 3, 1 }, new float[3]) };
            var b = new Value("b", DataType.Float32, new[] { -1, 5 });
            g.Inputs.Add(b);
            var y = new Value("y");
            g.Nodes.Add(new Node("mm", "MatMul", new[] { a, b }, new[] { y }));
            g.Outputs.Add(y);
            var result = ModelCompiler.Compile(g, new CompileOptions { Precision = Precision.Float32 });
            Assert.False(result.Succeeded);
            Assert.Contains(result.Diagnostics, d => d.Id == "QG0006");
        }
    }
}
