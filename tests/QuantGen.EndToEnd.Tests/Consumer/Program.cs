// The packaged consumer: runs every compiled model on its reference vectors and reports error and allocations.
// Usage: Consumer (model input.f32 expected.f32)...   Prints one "RESULT" line per vector; exit code 1 on any failure.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using Consumer;

var models = new Dictionary<string, RunModel>
{
    ["clinical-mlp"] = new ClinicalMlp().Run,
    ["digits-cnn"] = new DigitsCnn().Run,
    ["mobilenetv2-digits"] = new MobileNetV2Digits().Run,
    ["mobilenetv2-224"] = new MobileNetV2x224().Run,
};

bool ok = true;
for (int a = 0; a + 2 < args.Length; a += 3)
{
    string name = args[a];
    float[] input = ReadFloats(args[a + 1]);
    float[] expected = ReadFloats(args[a + 2]);
    float[] output = new float[expected.Length];
    RunModel run = models[name];

    run(input, output);
    double maxRelativeError = 0;
    for (int i = 0; i < expected.Length; i++)
    {
        double error = Math.Abs(output[i] - expected[i]) / Math.Max(1.0, Math.Abs(expected[i]));
        if (!(error <= maxRelativeError)) maxRelativeError = error; // NaN sticks
    }

    // Warm up (tier-0 JIT, static constructors), then count what 100 calls allocate on this thread.
    for (int i = 0; i < 3; i++) run(input, output);
    long before = GC.GetAllocatedBytesForCurrentThread();
    for (int i = 0; i < 100; i++) run(input, output);
    long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

    bool pass = maxRelativeError <= 1e-4 && allocated == 0;
    ok &= pass;
    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "RESULT {0} {1} maxrel={2:E3} allocated={3} {4}",
        name, Path.GetFileName(Path.GetDirectoryName(args[a + 1])), maxRelativeError, allocated, pass ? "PASS" : "FAIL"));
}
return ok ? 0 : 1;

static float[] ReadFloats(string path) => MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();

/// <summary>Any generated model's Run, for one input and one output.</summary>
internal delegate void RunModel(ReadOnlySpan<float> input, Span<float> output);
