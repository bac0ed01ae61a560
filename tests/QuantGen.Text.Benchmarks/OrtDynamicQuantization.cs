// MiniLM in the form ONNX Runtime's quantize_dynamic writes (onnxruntime/python/tools/quantization, IntegerOps mode, its
// defaults: MatMulConstBOnly, int8 weights per tensor and symmetric, uint8 activations, no reduce_range), written here
// because PyPI (and so the Python tool) is not reachable. Every MatMul whose B is a float initializer becomes
//   DynamicQuantizeLinear(A) → MatMulInteger(a_q, B_q, a_zp, b_zp) → Cast(float) → Mul(·, a_scale · b_scale),
// which ONNX Runtime's graph optimizer (ORT_ENABLE_ALL) fuses into its DynamicQuantizeMatMul / MatMulIntegerToFloat
// kernels, as it does for a model quantize_dynamic wrote. Gather (the embedding tables) stays float: quantize_dynamic
// would store those as uint8 too, which changes the file's size, not the time.
using System;
using System.IO;
using System.Linq;
using QuantGen.Ir;
using QuantGen.Onnx;
using IrAttribute = QuantGen.Ir.Attribute;

namespace QuantGen.Text.Benchmarks
{
    internal static class OrtDynamicQuantization
    {
        /// <summary>Writes the dynamically quantized form of <paramref name="modelPath"/> beside the benchmark; returns its path and how many MatMuls it quantized.</summary>
        public static (string Path, int MatMuls) Write(string modelPath, string directory)
        {
            var graph = OnnxModelReader.Read(modelPath);
            int quantized = 0;
            for (int i = 0; i < graph.Nodes.Count; i++)
            {
                var node = graph.Nodes[i];
                if (node.OpType != "MatMul" || node.Input(1)?.Constant is not { Type: DataType.Float32, Rank: 2 } weights) continue;
                var replacement = Quantize(node, weights);
                graph.Nodes.RemoveAt(i);
                graph.Nodes.InsertRange(i, replacement);
                i += replacement.Length - 1;
                quantized++;
            }
            Directory.CreateDirectory(directory);
            string path = Path.Combine(directory, "minilm.dynamic-int8.onnx");
            File.WriteAllBytes(path, OnnxModelWriter.Write(graph));
            return (path, quantized);
        }

        private static Node[] Quantize(Node matMul, Tensor weights)
        {
            string name = matMul.Name;
            float[] w = weights.Floats;
            // Symmetric int8 over [−127, 127] with zero point 0, as quantize_dynamic's default QInt8 weights.
            float absMax = w.Max(MathF.Abs);
            float scale = absMax > 0 ? absMax / 127f : 1f;
            var q = new sbyte[w.Length];
            for (int k = 0; k < w.Length; k++) q[k] = (sbyte)Math.Clamp(MathF.Round(w[k] / scale, MidpointRounding.ToEven), -127f, 127f);

            var a = matMul.Inputs[0]!;
            var y = matMul.Outputs[0];
            var aq = new Value(name + "_a_quantized", DataType.UInt8);
            var aScale = new Value(name + "_a_scale", DataType.Float32);
            var aZeroPoint = new Value(name + "_a_zero_point", DataType.UInt8);
            var bq = Constant(name + "_b_quantized", new Tensor(DataType.Int8, weights.Shape, q));
            var bScale = Constant(name + "_b_scale", Tensor.Scalar(scale));
            var bZeroPoint = Constant(name + "_b_zero_point", new Tensor(DataType.Int8, Array.Empty<int>(), new sbyte[] { 0 }));
            var product = new Value(name + "_output_quantized", DataType.Int32);
            var productFloat = new Value(name + "_output_quantized_cast_output", DataType.Float32);
            var scales = new Value(name + "_scales_mul", DataType.Float32);
            var cast = new Node(name + "_output_quantized_cast", "Cast", new[] { product }, new[] { productFloat });
            cast.Attributes.Set(IrAttribute.OfInt("to", (long)DataType.Float32));
            return new[]
            {
                new Node(name + "_a_quantize", "DynamicQuantizeLinear", new[] { a }, new[] { aq, aScale, aZeroPoint }),
                new Node(name + "_quant", "MatMulInteger", new[] { aq, bq, aZeroPoint, bZeroPoint }, new[] { product }),
                cast,
                new Node(name + "_scales_mul", "Mul", new[] { aScale, bScale }, new[] { scales }),
                new Node(name + "_output_scale_mul", "Mul", new[] { productFloat, scales }, new[] { y }),
            };
        }

        private static Value Constant(string name, Tensor tensor) => new Value(name, tensor.Type, tensor.Shape) { Constant = tensor };
    }
}
