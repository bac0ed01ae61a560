// Loads the reference models and their ONNX Runtime-checked test vectors.
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Ir;
using QuantGen.Compiler.Pipeline;
using QuantGen.Onnx;
using QuantGen.Tests;

namespace QuantGen.Compiler.Tests
{
    internal static class ModelFixtures
    {
        public static readonly string[] Names = { "clinical-mlp", "digits-cnn", "mobilenetv2-digits", "mobilenetv2-224" };

        public static Graph Load(string name) => OnnxModelReader.Read(Path.Combine(RepoPaths.Model(name), "model.onnx"));

        /// <summary>A Float32 plan of <paramref name="graph"/>, the options adjusted by <paramref name="configure"/>; the compile must succeed.</summary>
        public static QuantGen.Plan.ModelPlan CompileFloat(Graph graph, System.Action<CompileOptions> configure)
        {
            var options = new CompileOptions { Precision = Precision.Float32, ResourceName = "R" };
            configure(options);
            var result = ModelCompiler.Compile(graph, options);
            Xunit.Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
            return result.Plan!;
        }

        /// <summary>(inputs, expected outputs) of every test_data_set_K folder.</summary>
        public static IEnumerable<(Tensor[] Inputs, Tensor[] Outputs)> TestVectors(string name)
        {
            foreach (var set in Directory.GetDirectories(RepoPaths.Model(name), "test_data_set_*").OrderBy(d => d))
            {
                var inputs = Directory.GetFiles(set, "input_*.pb").OrderBy(f => f).Select(TensorFile.Read).ToArray();
                var outputs = Directory.GetFiles(set, "output_*.pb").OrderBy(f => f).Select(TensorFile.Read).ToArray();
                yield return (inputs, outputs);
            }
        }

        /// <summary>Largest |got − want| / max(1, |want|).</summary>
        public static double MaxRelativeError(float[] got, float[] want)
        {
            Xunit.Assert.Equal(want.Length, got.Length);
            double worst = 0;
            for (int i = 0; i < want.Length; i++)
                worst = System.Math.Max(worst, System.Math.Abs(got[i] - want[i]) / System.Math.Max(1.0, System.Math.Abs(want[i])));
            return worst;
        }
    }
}
