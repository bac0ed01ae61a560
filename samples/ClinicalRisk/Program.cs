// Classifies the 114 held-out patients of the Wisconsin breast-cancer test set with the MLP compiled twice at build
// time, INT8 (ClinicalRisk) and FP32 (ClinicalRiskFloat32), and with a gradient-boosted tree ensemble trained on the
// same split (ClinicalRiskGbdt), and compares them.
using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using QuantGen.Samples;

string dataDir = Path.Combine(AppContext.BaseDirectory, "data");
float[] features = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dataDir, "test_x.f32"))).ToArray();
int[] labels = MemoryMarshal.Cast<byte, int>(File.ReadAllBytes(Path.Combine(dataDir, "test_y.i32"))).ToArray();

// Labels follow scikit-learn's load_breast_cancer: 0 = malignant, 1 = benign.
string[] classes = { "malignant", "benign" };
const int FeatureCount = 30;
var int8 = new ClinicalRisk();
var fp32 = new ClinicalRiskFloat32();
var gbdt = new ClinicalRiskGbdt();
long[] treeLabel = new long[1];
float[] pTrees = new float[2];
int correctTrees = 0;

float[] p8 = new float[2];
float[] p32 = new float[2];
int correct8 = 0, correct32 = 0, agree = 0;
for (int patient = 0; patient < labels.Length; patient++)
{
    var x = features.AsSpan(patient * FeatureCount, FeatureCount);
    int8.Run(x, p8);
    fp32.Run(x, p32);
    int predicted8 = p8[1] > p8[0] ? 1 : 0, predicted32 = p32[1] > p32[0] ? 1 : 0;
    if (predicted8 == labels[patient]) correct8++;
    if (predicted32 == labels[patient]) correct32++;
    if (predicted8 == predicted32) agree++;
    gbdt.Run(x, treeLabel, pTrees);
    if (treeLabel[0] == labels[patient]) correctTrees++;
    if (patient < 5)
        Console.WriteLine(Format("patient {0,3}: {1,-9} P(malignant) INT8 {2:0.0000} / FP32 {3:0.0000}, actual {4}",
            patient, classes[predicted8], p8[0], p32[0], classes[labels[patient]]));
}

Console.WriteLine();
Console.WriteLine("             accuracy            latency (median of 20000)  weights");
Console.WriteLine(Format("INT8   {0,4}/{1} = {2,5:0.0} %     {3,8:0.00} µs              {4,6} bytes", correct8, labels.Length, 100.0 * correct8 / labels.Length, MedianMicroseconds(x => int8.Run(x, p8)), ClinicalRisk.Facts.WeightsBytes));
Console.WriteLine(Format("FP32   {0,4}/{1} = {2,5:0.0} %     {3,8:0.00} µs              {4,6} bytes", correct32, labels.Length, 100.0 * correct32 / labels.Length, MedianMicroseconds(x => fp32.Run(x, p32)), ClinicalRisk.Facts.WeightsFloat32Bytes));
Console.WriteLine(Format("GBDT   {0,4}/{1} = {2,5:0.0} %     {3,8:0.00} µs              {4,6} bytes  (100 trees, depth 3)", correctTrees, labels.Length, 100.0 * correctTrees / labels.Length, MedianMicroseconds(x => gbdt.Run(x, treeLabel, pTrees)), ClinicalRiskGbdt.WeightBytes));
Console.WriteLine(Format("INT8 and FP32 agree on {0}/{1} patients; the build measured INT8 against FP32 at {2:0.0} dB output SQNR.", agree, labels.Length, ClinicalRisk.Facts.QuantizationOutputSqnrDb));
return correct8 * 10 >= labels.Length * 9 && correct32 - correct8 <= 1 && correctTrees * 10 >= labels.Length * 9 ? 0 : 1;

// Median time of one Run over the test patients, after a warm-up (single thread; the machine's noise applies).
double MedianMicroseconds(RunOne run)
{
    var times = new double[20000];
    for (int i = 0; i < 2000; i++) run(features.AsSpan(i % labels.Length * FeatureCount, FeatureCount));
    for (int i = 0; i < times.Length; i++)
    {
        long start = Stopwatch.GetTimestamp();
        run(features.AsSpan(i % labels.Length * FeatureCount, FeatureCount));
        times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds * 1000;
    }
    Array.Sort(times);
    return times[times.Length / 2];
}

static string Format(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);

delegate void RunOne(ReadOnlySpan<float> features);
