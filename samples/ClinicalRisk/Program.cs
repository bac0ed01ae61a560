// Classifies the 114 held-out patients of the Wisconsin breast-cancer test set with the compiled model.
using System;
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

var model = new ClinicalRisk();
Span<float> probabilities = stackalloc float[2];
int correct = 0;
for (int patient = 0; patient < labels.Length; patient++)
{
    model.Run(features.AsSpan(patient * FeatureCount, FeatureCount), probabilities);
    int predicted = probabilities[1] > probabilities[0] ? 1 : 0;
    if (predicted == labels[patient]) correct++;
    if (patient < 5)
    {
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "patient {0,3}: {1,-9} (P(malignant) = {2:0.0000}), actual {3}",
            patient, classes[predicted], probabilities[0], classes[labels[patient]]));
    }
}

double accuracy = (double)correct / labels.Length;
Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "accuracy: {0}/{1} = {2:0.0} %", correct, labels.Length, 100 * accuracy));
return accuracy >= 0.9 ? 0 : 1;
