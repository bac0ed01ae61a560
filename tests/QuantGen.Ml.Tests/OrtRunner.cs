// ONNX Runtime 1.32 in this process: the oracle (one thread, all graph optimizations, as the benchmarks run it).
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace QuantGen.Ml.Tests
{
    internal static class OrtRunner
    {
        /// <summary>Every output of <paramref name="file"/> for the given inputs, by name, as float (int64 and bool converted exactly).</summary>
        public static Dictionary<string, double[]> RunAll(string file, params NamedOnnxValue[] inputs)
        {
            using var options = Options();
            using var session = new InferenceSession(file, options);
            using var results = session.Run(inputs);
            var outputs = new Dictionary<string, double[]>();
            foreach (var r in results)
            {
                outputs[r.Name] = r.ElementType switch
                {
                    TensorElementType.Int64 => r.AsEnumerable<long>().Select(v => (double)v).ToArray(),
                    TensorElementType.Bool => r.AsEnumerable<bool>().Select(v => v ? 1.0 : 0.0).ToArray(),
                    _ => r.AsEnumerable<float>().Select(v => (double)v).ToArray(),
                };
            }
            return outputs;
        }

        public static SessionOptions Options()
        {
            var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 1, InterOpNumThreads = 1 };
            return options;
        }

        /// <summary>Labels (classifiers: from the int64 output) and scores (the ZipMap's maps read back in class order, or the values).</summary>
        public static (long[] Labels, float[] Scores) Run(TreeModel model, float[] rows)
        {
            using var options = Options();
            using var session = new InferenceSession(model.File, options);
            int n = rows.Length / model.Features;
            var input = new DenseTensor<float>(rows, new[] { n, model.Features });
            using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor("features", input) });
            if (!model.IsClassifier) return (new long[0], results.First().AsEnumerable<float>().ToArray());
            var labels = results.First(r => r.Name == "label").AsEnumerable<long>().ToArray();
            var tensor = results.FirstOrDefault(r => r.Name == "probabilities");
            if (tensor != null) return (labels, tensor.AsEnumerable<float>().ToArray());
            var scores = new List<float>();
            foreach (var map in results.First(r => r.Name == "output_probability").AsEnumerable<DisposableNamedOnnxValue>())
            {
                var dictionary = map.AsDictionary<long, float>();
                scores.AddRange(dictionary.OrderBy(kv => kv.Key).Select(kv => kv.Value));
            }
            return (labels, scores.ToArray());
        }
    }
}
