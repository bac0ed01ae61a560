// The four reference models compiled by this project, with their first test vector.
using System;
using System.Collections.Generic;
using System.IO;

namespace QuantGen.Benchmarks
{
    /// <summary>Any generated model's Run, for one input and one output.</summary>
    internal delegate void RunModel(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>A generated class under its asset folder's name (tests/assets/models/{Name}).</summary>
    internal sealed record ReferenceModel(string Name, Func<RunModel> Create)
    {
        public static readonly IReadOnlyList<ReferenceModel> All = new[]
        {
            new ReferenceModel("clinical-mlp", () => new ClinicalMlp().Run),
            new ReferenceModel("digits-cnn", () => new DigitsCnn().Run),
            new ReferenceModel("mobilenetv2-digits", () => new MobileNetV2Digits().Run),
            new ReferenceModel("mobilenetv2-224", () => new MobileNetV2x224().Run),
        };

        public static ReferenceModel Find(string name)
        {
            foreach (var model in All)
            {
                if (string.Equals(model.Name, name, StringComparison.Ordinal)) return model;
            }
            throw new ArgumentException($"Unknown model '{name}'. Known: {string.Join(", ", Names())}.");
        }

        public static IEnumerable<string> Names()
        {
            foreach (var model in All) yield return model.Name;
        }

        public string Directory => Path.Combine(ModelsDirectory, Name);

        public float[] ReadInput() => TensorProtoFile.ReadFloats(Path.Combine(Directory, "test_data_set_0", "input_0.pb"));

        public float[] ReadExpectedOutput() => TensorProtoFile.ReadFloats(Path.Combine(Directory, "test_data_set_0", "output_0.pb"));

        /// <summary>
        /// QUANTGEN_MODELS_DIR, else tests/assets/models found above the executable (bin/, BenchmarkDotNet's
        /// child folders and the AOT publish folder all sit inside the repository).
        /// </summary>
        public static string ModelsDirectory { get; } = LocateModels();

        private static string LocateModels()
        {
            string? fromEnvironment = Environment.GetEnvironmentVariable("QUANTGEN_MODELS_DIR");
            if (!string.IsNullOrEmpty(fromEnvironment)) return fromEnvironment;
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "tests", "assets", "models");
                if (System.IO.Directory.Exists(candidate)) return candidate;
            }
            throw new DirectoryNotFoundException("tests/assets/models not found above " + AppContext.BaseDirectory + "; set QUANTGEN_MODELS_DIR.");
        }
    }
}
