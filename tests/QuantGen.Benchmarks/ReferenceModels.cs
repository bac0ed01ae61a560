// The four reference models and the generated ResNet-18 compiled by this project in Float32 and Int8, with their first test vector.
using System;
using System.Collections.Generic;
using System.IO;

namespace QuantGen.Benchmarks
{
    /// <summary>Any generated model's Run, for one input and one output.</summary>
    internal delegate void RunModel(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>
    /// A generated class: the model folder's name (tests/assets/models/{Name}, or obj/{Name} for a model the build
    /// generates, <paramref name="MadeByBuild"/>) and the precision it was compiled in ("Float32" or "Int8", as the
    /// csproj's Precision metadata and the class's own <c>Precision</c> say).
    /// </summary>
    internal sealed record ReferenceModel(string Name, string Precision, string ClassName, Func<RunModel> Create, bool MadeByBuild = false)
    {
        public static readonly IReadOnlyList<ReferenceModel> All = new[]
        {
            new ReferenceModel("clinical-mlp", "Float32", nameof(ClinicalMlp), () => new ClinicalMlp().Run),
            new ReferenceModel("digits-cnn", "Float32", nameof(DigitsCnn), () => new DigitsCnn().Run),
            new ReferenceModel("mobilenetv2-digits", "Float32", nameof(MobileNetV2Digits), () => new MobileNetV2Digits().Run),
            new ReferenceModel("mobilenetv2-224", "Float32", nameof(MobileNetV2x224), () => new MobileNetV2x224().Run),
            new ReferenceModel("resnet18", "Float32", nameof(ResNet18), () => new ResNet18().Run, MadeByBuild: true),
            new ReferenceModel("clinical-mlp", "Int8", nameof(ClinicalMlpInt8), () => new ClinicalMlpInt8().Run),
            new ReferenceModel("digits-cnn", "Int8", nameof(DigitsCnnInt8), () => new DigitsCnnInt8().Run),
            new ReferenceModel("mobilenetv2-digits", "Int8", nameof(MobileNetV2DigitsInt8), () => new MobileNetV2DigitsInt8().Run),
            new ReferenceModel("mobilenetv2-224", "Int8", nameof(MobileNetV2x224Int8), () => new MobileNetV2x224Int8().Run),
            new ReferenceModel("resnet18", "Int8", nameof(ResNet18Int8), () => new ResNet18Int8().Run, MadeByBuild: true),
        };

        /// <summary>The classes' own Precision constants, checked against the table above at start-up by <see cref="Find"/>.</summary>
        private static readonly IReadOnlyDictionary<string, string> GeneratedPrecision = new Dictionary<string, string>
        {
            [nameof(ClinicalMlp)] = ClinicalMlp.Precision,
            [nameof(DigitsCnn)] = DigitsCnn.Precision,
            [nameof(MobileNetV2Digits)] = MobileNetV2Digits.Precision,
            [nameof(MobileNetV2x224)] = MobileNetV2x224.Precision,
            [nameof(ResNet18)] = ResNet18.Precision,
            [nameof(ClinicalMlpInt8)] = ClinicalMlpInt8.Precision,
            [nameof(DigitsCnnInt8)] = DigitsCnnInt8.Precision,
            [nameof(MobileNetV2DigitsInt8)] = MobileNetV2DigitsInt8.Precision,
            [nameof(MobileNetV2x224Int8)] = MobileNetV2x224Int8.Precision,
            [nameof(ResNet18Int8)] = ResNet18Int8.Precision,
        };

        /// <summary>The model by asset name and precision (Float32 or Int8, any case).</summary>
        public static ReferenceModel Find(string name, string precision)
        {
            foreach (var model in All)
            {
                if (string.Equals(model.Name, name, StringComparison.Ordinal) && string.Equals(model.Precision, precision, StringComparison.OrdinalIgnoreCase))
                {
                    // A model the build silently compiled in another precision (e.g. Int8 without calibration data falls
                    // back to Float32 with QG0010) would make the table lie.
                    string compiled = GeneratedPrecision[model.ClassName];
                    if (!string.Equals(compiled, model.Precision, StringComparison.Ordinal))
                        throw new InvalidOperationException($"{model.ClassName} was compiled as {compiled}, not {model.Precision}: check the csproj.");
                    return model;
                }
            }
            throw new ArgumentException($"Unknown model '{name}' ({precision}). Known: {string.Join(", ", Names())}; precisions Float32, Int8.");
        }

        public static IEnumerable<string> Names()
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var model in All)
            {
                if (seen.Add(model.Name)) yield return model.Name;
            }
        }

        public string Directory => Path.Combine(MadeByBuild ? BuildMadeModelsDirectory : ModelsDirectory, Name);

        public float[] ReadInput() => TensorProtoFile.ReadFloats(Path.Combine(Directory, "test_data_set_0", "input_0.pb"));

        public float[] ReadExpectedOutput() => TensorProtoFile.ReadFloats(Path.Combine(Directory, "test_data_set_0", "output_0.pb"));

        /// <summary>
        /// QUANTGEN_MODELS_DIR, else tests/assets/models found above the executable (bin/, BenchmarkDotNet's
        /// child folders and the AOT publish folder all sit inside the repository).
        /// </summary>
        public static string ModelsDirectory => s_modelsDirectory.Value;

        /// <summary>QUANTGEN_BUILD_MODELS_DIR, else tests/QuantGen.Benchmarks/obj found above the executable (see the csproj).</summary>
        public static string BuildMadeModelsDirectory => s_buildMadeModelsDirectory.Value;

        // Lazy: a process that runs only one kind of model must not fail for want of the other folder.
        private static readonly Lazy<string> s_modelsDirectory = new(() => Locate("QUANTGEN_MODELS_DIR", "tests", "assets", "models"));
        private static readonly Lazy<string> s_buildMadeModelsDirectory = new(() => Locate("QUANTGEN_BUILD_MODELS_DIR", "tests", "QuantGen.Benchmarks", "obj"));

        private static string Locate(string environmentVariable, params string[] relativePath)
        {
            string? fromEnvironment = Environment.GetEnvironmentVariable(environmentVariable);
            if (!string.IsNullOrEmpty(fromEnvironment)) return fromEnvironment;
            string relative = Path.Combine(relativePath);
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, relative);
                if (System.IO.Directory.Exists(candidate)) return candidate;
            }
            throw new DirectoryNotFoundException($"{relative} not found above {AppContext.BaseDirectory}; set {environmentVariable}.");
        }
    }
}
