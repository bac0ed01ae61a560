// The whole pipeline in memory, on the real reference models: ONNX → compiler → plan → generator →
// C# compilation → run, compared with the ONNX Runtime-checked test vectors (1e-4 relative).
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Compiler.Pipeline;
using QuantGen.Onnx;
using QuantGen.Tests;
using Xunit;

namespace QuantGen.Generator.Tests
{
    public class ReferenceModelTests
    {
        public static IEnumerable<object[]> Models => new[] { "clinical-mlp", "digits-cnn", "mobilenetv2-digits", "mobilenetv2-224" }.Select(m => new object[] { m });

        [Theory]
        [MemberData(nameof(Models))]
        public void Generated_class_reproduces_the_test_vectors_without_allocating(string model)
        {
            string dir = RepoPaths.Model(model);
            var result = ModelCompiler.Compile(OnnxModelReader.Read(Path.Combine(dir, "model.onnx")),
                new CompileOptions { Precision = Precision.Float32, ResourceName = GeneratedModel.ResourceName });
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));

            GeneratedModel.Run(result, assembly =>
            {
                int sets = 0;
                foreach (var set in Directory.GetDirectories(dir, "test_data_set_*").OrderBy(d => d, StringComparer.Ordinal))
                {
                    var input = TensorFile.Read(Path.Combine(set, "input_0.pb")).Floats;
                    var expected = TensorFile.Read(Path.Combine(set, "output_0.pb")).Floats;
                    var got = GeneratedModel.RunAll(assembly, input, input.Length, expected.Length);
                    for (int i = 0; i < expected.Length; i++)
                        Assert.True(Math.Abs(got[i] - expected[i]) <= 1e-4 * Math.Max(1, Math.Abs(expected[i])),
                            $"{model} {Path.GetFileName(set)} element {i}: got {got[i]}, expected {expected[i]}");
                    if (sets++ == 0)
                        Assert.Equal(0L, (long)GeneratorHarness.Call(assembly, "Harness", "AllocatedBytes", input, expected.Length)!);
                }
                Assert.True(sets >= 1);
            });
        }
    }
}
