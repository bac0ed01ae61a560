// Loads the reference models (optimized as the compiler sees them) and their calibration and test sets.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Compiler.Quantization.Calibration;
using QuantGen.Ir;
using QuantGen.Compiler.GraphPasses;
using QuantGen.Onnx;
using QuantGen.Tests;

namespace QuantGen.Quantization.Tests
{
    internal static class Models
    {
        /// <summary>The model after shape inference and rewrites (fused activations), as calibration sees it.</summary>
        public static Graph LoadOptimized(string name)
        {
            var graph = OnnxModelReader.Read(Path.Combine(RepoPaths.Model(name), "model.onnx"));
            ShapeInference.Run(graph);
            GraphRewrites.Run(graph);
            return graph;
        }

        public static string DataFile(string name, string file) => Path.Combine(RepoPaths.Model(name), "data", file);

        public static List<float[]> Samples(Graph graph, string name, string file, int max = int.MaxValue)
        {
            var input = Calibrator.SingleInput(graph);
            return new CalibrationDataReader(CalibrationDataReader.SampleShapeOf(input), input.Name).ReadSamples(DataFile(name, file), max).ToList();
        }

        public static int[] Labels(string name, string file)
        {
            var bytes = File.ReadAllBytes(DataFile(name, file));
            var labels = new int[bytes.Length / 4];
            Buffer.BlockCopy(bytes, 0, labels, 0, bytes.Length);
            return labels;
        }

        public static int ArgMax(float[] values)
        {
            int best = 0;
            for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
            return best;
        }

        /// <summary>10·log10(Σy² / Σ(y − ŷ)²) over all outputs.</summary>
        public static double Sqnr(IReadOnlyList<float[]> reference, IReadOnlyList<float[]> test)
        {
            double signal = 0, noise = 0;
            for (int s = 0; s < reference.Count; s++)
                for (int i = 0; i < reference[s].Length; i++)
                {
                    double y = reference[s][i], d = y - test[s][i];
                    signal += y * y;
                    noise += d * d;
                }
            return noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(signal / noise);
        }
    }
}
