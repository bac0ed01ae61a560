// Runs every shared model on its test vectors and prints what must not depend on the instruction set (see the csproj).
//
//   QuantGen.IsaCheck MODELS_DIR [--expect DIGESTS_FILE]
//
// One line per model: "name precision digest-of-outputs max-error allocated-bytes-per-call" (the digest is a 64-bit
// FNV-1a of the output bytes: no cryptographic library, which a bare qemu-user Arm64 root does not have). INT8 lines must match the
// expected file (a run on another instruction set) digest for digest; FP32 lines must be within 1e-4 relative of the
// test vectors. Exit code 1 on any mismatch, error or allocation.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.Intrinsics;
using QuantGen.Benchmarks;
using QuantGen.IsaCheck;

if (args.Length < 1) { Console.Error.WriteLine("usage: QuantGen.IsaCheck MODELS_DIR [--expect DIGESTS_FILE]"); return 2; }
string modelsDir = args[0];
Dictionary<string, string>? expected = null;
if (args.Length >= 3 && args[1] == "--expect")
{
    expected = new Dictionary<string, string>();
    foreach (string line in File.ReadAllLines(args[2]))
    {
        string[] f = line.Split(' ');
        if (f.Length >= 3 && f[1] == "Int8") expected[f[0]] = f[2];
    }
}

Console.Error.WriteLine($"isa: {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}, Vector512 {Vector512.IsHardwareAccelerated}, " +
    $"Avx512BW {System.Runtime.Intrinsics.X86.Avx512BW.IsSupported}, Vector256 {Vector256.IsHardwareAccelerated}, Fma {System.Runtime.Intrinsics.X86.Fma.IsSupported}, " +
    $"Vector128 {Vector128.IsHardwareAccelerated}, AdvSimd {System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported}, Dp {System.Runtime.Intrinsics.Arm.Dp.IsSupported}");
var models = new (string Folder, string Precision, Func<RunModel> Create)[]
{
    ("clinical-mlp", "Float32", () => new ClinicalMlp().Run),
    ("digits-cnn", "Float32", () => new DigitsCnn().Run),
    ("mobilenetv2-digits", "Float32", () => new MobileNetV2Digits().Run),
    ("mobilenetv2-224", "Float32", () => new MobileNetV2x224().Run),
    ("clinical-mlp", "Int8", () => new ClinicalMlpInt8().Run),
    ("digits-cnn", "Int8", () => new DigitsCnnInt8().Run),
    ("mobilenetv2-digits", "Int8", () => new MobileNetV2DigitsInt8().Run),
    ("mobilenetv2-224", "Int8", () => new MobileNetV2x224Int8().Run),
};
int failures = 0;
foreach (var (folder, precision, create) in models)
{
    RunModel run = create();
    ulong hash = 14695981039346656037UL;
    double worst = 0;
    long allocated = 0;
    for (int set = 0; Directory.Exists(Path.Combine(modelsDir, folder, $"test_data_set_{set}")); set++)
    {
        string dir = Path.Combine(modelsDir, folder, $"test_data_set_{set}");
        float[] input = TensorProtoFile.ReadFloats(Path.Combine(dir, "input_0.pb"));
        float[] reference = TensorProtoFile.ReadFloats(Path.Combine(dir, "output_0.pb"));
        float[] output = new float[reference.Length];
        run(input, output);
        long before = GC.GetAllocatedBytesForCurrentThread();
        run(input, output);
        allocated = Math.Max(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        var bytes = new byte[output.Length * sizeof(float)];
        Buffer.BlockCopy(output, 0, bytes, 0, bytes.Length);
        foreach (byte b in bytes) hash = (hash ^ b) * 1099511628211UL;
        for (int i = 0; i < output.Length; i++)
        {
            double error = Math.Abs(output[i] - reference[i]) / Math.Max(1, Math.Abs(reference[i]));
            if (!(error <= worst)) worst = error;
        }
    }
    string digest = hash.ToString("x16", CultureInfo.InvariantCulture);
    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0} {1} {2} {3:E2} {4}", folder, precision, digest, worst, allocated));
    if (allocated != 0) { Console.Error.WriteLine($"{folder} {precision}: {allocated} bytes allocated per call"); failures++; }
    if (precision == "Float32" && !(worst <= 1e-4)) { Console.Error.WriteLine($"{folder} Float32: error {worst:E2} against the test vectors, above 1e-4"); failures++; }
    if (precision == "Int8" && expected != null && (!expected.TryGetValue(folder, out string? want) || want != digest))
    {
        Console.Error.WriteLine($"{folder} Int8: outputs differ from the expected run ({digest} here)");
        failures++;
    }
}
return failures == 0 ? 0 : 1;

namespace QuantGen.IsaCheck
{
    /// <summary>A generated model's Run for one input and one output.</summary>
    internal delegate void RunModel(ReadOnlySpan<float> input, Span<float> output);
}
