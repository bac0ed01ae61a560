// ML.NET FastTree and LightGBM on the breast-cancer split of the clinical MLP (tests/assets/models/clinical-mlp/data),
// exported by ML.NET's ONNX converter; also writes each model's test rows and ML.NET's own scores.
using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;

string here = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", ".."));  // tests/assets/trees
string data = Path.Combine(here, "..", "models", "clinical-mlp", "data");
float[] Floats(string file) { var b = File.ReadAllBytes(Path.Combine(data, file)); var f = new float[b.Length / 4]; Buffer.BlockCopy(b, 0, f, 0, b.Length); return f; }
int[] Ints(string file) { var b = File.ReadAllBytes(Path.Combine(data, file)); var f = new int[b.Length / 4]; Buffer.BlockCopy(b, 0, f, 0, b.Length); return f; }
Row[] Rows(float[] x, int[]? y) => Enumerable.Range(0, x.Length / 30).Select(i => new Row { Features = x.Skip(i * 30).Take(30).ToArray(), Label = y != null && y[i] == 1 }).ToArray();

var ml = new MLContext(seed: 0);
var train = ml.Data.LoadFromEnumerable(Rows(Floats("calib_x.f32"), Ints("calib_y.i32")));
var testX = Floats("test_x.f32");
var test = ml.Data.LoadFromEnumerable(Rows(testX, null));
var trainers = new (string Name, IEstimator<ITransformer> Trainer)[]
{
    ("mlnet-fasttree-breast-cancer", ml.BinaryClassification.Trainers.FastTree(numberOfLeaves: 16, numberOfTrees: 100, minimumExampleCountPerLeaf: 5)),
    ("mlnet-lightgbm-breast-cancer", ml.BinaryClassification.Trainers.LightGbm(numberOfLeaves: 31, numberOfIterations: 100, minimumExampleCountPerLeaf: 5)),
};
foreach (var (name, trainer) in trainers)
{
    var model = trainer.Fit(train);
    using (var stream = File.Create(Path.Combine(here, name + ".onnx"))) ml.Model.ConvertToOnnx(model, train, stream);
    var scored = model.Transform(test);
    var probability = scored.GetColumn<float>("Probability").ToArray();
    File.WriteAllBytes(Path.Combine(here, name + ".x.f32"), testX.SelectMany(BitConverter.GetBytes).ToArray());
    File.WriteAllBytes(Path.Combine(here, name + ".expected.f32"), probability.SelectMany(BitConverter.GetBytes).ToArray());
    Console.WriteLine($"{name}: {probability.Length} rows, first probability {probability[0]}");
}

public sealed class Row
{
    [VectorType(30)] public float[] Features { get; set; } = Array.Empty<float>();
    public bool Label { get; set; }
}
