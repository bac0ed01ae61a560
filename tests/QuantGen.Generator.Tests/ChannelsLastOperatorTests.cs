// Reductions, Resize, Pad and ConvTranspose reading a convolution's channels-last output: the generated class (whole
// pipeline in memory) against the compiler's reference evaluator on the same graph.
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
    public class ChannelsLastOperatorTests
    {
        private const string Harness = """
            #pragma warning disable CS1591 // the test's own driver code
            public static class Harness
            {
                public static float[][] Run(float[] input, int[] lengths)
                {
                    var o = new float[lengths.Length][];
                    for (int i = 0; i < o.Length; i++) o[i] = new float[lengths[i]];
                    new Nhwc.Model().Run(input, o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]);
                    return o;
                }
            }
            """;

        private static Graph Build()
        {
            var random = new Random(5);
            float[] Floats(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            Value Const(int[] shape, float[] data, string name) => new Value(name, DataType.Float32, shape) { Constant = Tensor.FromFloats(shape, data) };
            var g = new Graph { Info = new ModelInfo { Opset = 13, SourcePath = "nhwc.onnx", Sha256 = new string('0', 64) } };
            var x = new Value("x", DataType.Float32, new[] { 1, 2, 6, 5 });
            g.Inputs.Add(x);
            Value Add(string op, Value?[] inputs, params IrAttribute[] attributes)
            {
                var y = new Value(op + g.Nodes.Count);
                var node = new Node(op + "_" + g.Nodes.Count, op, inputs, new[] { y });
                foreach (var a in attributes) node.Attributes.Set(a);
                g.Nodes.Add(node);
                return y;
            }
            var conv = Add("Conv", new[] { x, Const(new[] { 4, 2, 3, 3 }, Floats(72), "w"), Const(new[] { 4 }, Floats(4), "b") },
                IrAttribute.OfInts("pads", new long[] { 1, 1, 1, 1 }));
            var scales = Const(new[] { 4 }, new float[] { 1, 1, 2, 1.5f }, "scales");
            var resized = Add("Resize", new Value?[] { conv, null, scales }, IrAttribute.OfString("mode", "linear"));
            g.Outputs.Add(Add("Conv", new[] { resized, Const(new[] { 3, 4, 1, 1 }, Floats(12), "w1") }));
            var padded = Add("Pad", new[] { conv, new Value("pads", DataType.Int64, new[] { 8 }) { Constant = Tensor.FromInt64s(new[] { 8 }, new long[] { 0, 0, 2, 1, 0, 0, 1, 2 }) } },
                IrAttribute.OfString("mode", "reflect"));
            g.Outputs.Add(Add("Conv", new[] { padded, Const(new[] { 2, 4, 3, 3 }, Floats(72), "w2") }));
            g.Outputs.Add(Add("ReduceMean", new[] { conv }, IrAttribute.OfInts("axes", new long[] { 2, 3 })));
            g.Outputs.Add(Add("ReduceMax", new[] { conv }, IrAttribute.OfInts("axes", new long[] { 1 }), IrAttribute.OfInt("keepdims", 0)));
            g.Outputs.Add(Add("ConvTranspose", new[] { conv, Const(new[] { 4, 3, 2, 2 }, Floats(48), "wt") }, IrAttribute.OfInts("strides", new long[] { 2, 2 })));
            // A channel split (ShuffleNet) and a strided slice, each feeding a 1×1 convolution.
            var parts = new[] { new Value("part0"), new Value("part1") };
            var split = new Node("split", "Split", new[] { conv }, parts);
            split.Attributes.Set(IrAttribute.OfInt("axis", 1));
            g.Nodes.Add(split);
            g.Outputs.Add(Add("Conv", new[] { parts[0], Const(new[] { 2, 2, 1, 1 }, Floats(4), "w3") }));
            g.Outputs.Add(Add("Conv", new[] { parts[1], Const(new[] { 2, 2, 1, 1 }, Floats(4), "w4") }));
            Value Ints(string name, params long[] v) => new Value(name, DataType.Int64, new[] { v.Length }) { Constant = Tensor.FromInt64s(new[] { v.Length }, v) };
            var sliced = Add("Slice", new[] { conv, Ints("starts", 1, 5), Ints("ends", 4, 0), Ints("axes", 1, 2), Ints("steps", 2, -2) });
            g.Outputs.Add(Add("Conv", new[] { sliced, Const(new[] { 3, 2, 1, 1 }, Floats(6), "w5") }));
            return g;
        }

        [Fact]
        public void Generated_class_matches_the_reference_evaluator()
        {
            var result = ModelCompiler.Compile(Build(), new CompileOptions { Precision = Precision.Float32, ResourceName = "Nhwc.weights" });
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
            // x goes channels-last once; Resize, Pad, the reductions, ConvTranspose, Split and Slice read the Conv's
            // channels-last output as it is (and the Convs after them take theirs channels-last), so the only other
            // transposes are the six convolution results going back to the ONNX order at the graph boundary.
            Assert.Equal(7, result.Plan!.Steps.Count(s => s.Kernel == "Transpose"));

            var reference = Build();
            ShapeInference.Run(reference);
            var input = Enumerable.Range(0, 60).Select(i => (float)Math.Sin(i)).ToArray();
            var expected = new ReferenceEvaluator(reference).Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromFloats(new[] { 1, 2, 6, 5 }, input) });

            var (_, output, diagnostics) = GeneratorHarness.Run(
                new[] { new PlanFile("/obj/quantgen/Model.plan", PlanText.Write(result.Plan), "Model", "Nhwc") },
                GeneratorHarness.CreateCompilation(true, Harness));
            Assert.Empty(diagnostics);
            byte[] image = GeneratorHarness.Emit(output);
            GeneratorHarness.WithAssembly(image, assembly =>
            {
                var lengths = reference.Outputs.Select(o => (int)o.ElementCount).ToArray();
                var got = (float[][])GeneratorHarness.Call(assembly, "Harness", "Run", input, lengths)!;
                for (int k = 0; k < lengths.Length; k++)
                {
                    var want = expected[reference.Outputs[k].Name].Floats;
                    for (int i = 0; i < want.Length; i++)
                        Assert.True(Math.Abs(got[k][i] - want[i]) <= 1e-4 * Math.Max(1, Math.Abs(want[i])),
                            $"output {k} ({reference.Outputs[k].Producer!.OpType}) element {i}: got {got[k][i]}, expected {want[i]}");
                }
            });
        }
    }
}
