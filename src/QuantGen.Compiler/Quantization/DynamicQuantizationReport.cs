// The report of an Int8Dynamic build: which Gemm/MatMul layers run with int8 weights, and what rounding their weights
// to int8 costs each one (activations are quantized on every call with their own range, so only the weights are fixed
// at build time and can be measured without data).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using QuantGen.Ir;

namespace QuantGen.Compiler.Quantization
{
    public static class DynamicQuantizationReport
    {
        /// <summary>A layer whose weights keep less than this SQNR is listed in the report's warning line.</summary>
        public const double LowWeightSqnr = 30;

        public static QuantizationReport Create(string modelName, Graph graph, long float32WeightBytes, long weightBytes, double seconds)
        {
            var c = CultureInfo.InvariantCulture;
            var layers = new List<(Node Node, int[] Shape, double Sqnr)>();
            int floatLayers = 0;
            foreach (var node in graph.Nodes.Where(n => n.OpType == "Gemm" || n.OpType == "MatMul"))
            {
                if (!QuantizationScheme.RunsAsIntegerGemm(node))
                {
                    floatLayers++;
                    continue;
                }
                var w = node.Input(1)!.Constant!;
                float[] weights = w.ToFloatArray();
                int axis = QuantizationScheme.WeightChannelAxis(node);
                var (values, scales) = QuantizationMath.QuantizeWeightsPerChannel(weights, w.Shape, axis);
                layers.Add((node, w.Shape, WeightSqnr(weights, values, scales, w.Shape, axis)));
            }
            double ratio = float32WeightBytes == 0 ? 0 : (double)weightBytes / float32WeightBytes;
            string summary = string.Format(c, "{0}: Int8Dynamic weights {1} -> {2} ({3:P1}), {4} Gemm/MatMul layers with int8 weights (lowest weight SQNR {5:F1} dB), {6} with run-time operands in float, {7:F1} s",
                modelName, QuantizationReport.Size(float32WeightBytes), QuantizationReport.Size(weightBytes), ratio, layers.Count,
                layers.Count == 0 ? double.NaN : layers.Min(l => l.Sqnr), floatLayers, seconds);
            var low = layers.Where(l => l.Sqnr < LowWeightSqnr).Select(l => l.Node.Name).ToList();

            var md = new StringBuilder();
            md.Append("# QuantGen Int8Dynamic report: ").Append(modelName).Append("\n\n");
            md.Append("`Precision=\"Int8Dynamic\"`: each Gemm/MatMul with constant weights runs with int8 per-channel weights; its input is quantized to uint8 ")
              .Append("with its own range on every call (as ONNX Runtime's `quantize_dynamic`; one range per row when the input has several rows, a transformer's tokens), ")
              .Append("so no calibration data is needed. Everything else runs in float. ")
              .Append("Compare the outputs with the Float32 build on your own inputs before you deploy it.\n\n");
            md.Append("| fact | value |\n| --- | --- |\n");
            md.AppendFormat(c, "| weights | {0} FP32 → {1} ({2:P1}) |\n", QuantizationReport.Size(float32WeightBytes), QuantizationReport.Size(weightBytes), ratio);
            md.AppendFormat(c, "| int8 layers | {0} Gemm/MatMul |\n", layers.Count);
            md.AppendFormat(c, "| float layers | {0} Gemm/MatMul with two run-time operands (attention's products) |\n", floatLayers);
            md.AppendFormat(c, "| build | {0:F1} s |\n\n", seconds);
            md.Append("## Weight rounding per layer\n\nSQNR of each layer's int8 weights against its float weights (per output channel, symmetric). ")
              .AppendFormat(c, "Below {0} dB a layer's weights have outliers that stretch their channel's range.\n\n", LowWeightSqnr);
            md.Append("| layer | op | weights | weight SQNR (dB) |\n| --- | --- | --- | ---: |\n");
            foreach (var (node, shape, sqnr) in layers)
                md.AppendFormat(c, "| `{0}` | {1} | [{2}] | {3:F1} |\n", node.Name, node.OpType, string.Join("×", shape), sqnr);
            return new QuantizationReport(md.ToString(), "", summary, low);
        }

        /// <summary>10·log10(Σw² / Σ(w − scale·q)²) over the whole tensor.</summary>
        private static double WeightSqnr(float[] weights, sbyte[] values, float[] scales, int[] shape, int axis)
        {
            int inner = 1;
            for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
            int channels = shape[axis];
            double signal = 0, noise = 0;
            for (int i = 0; i < weights.Length; i++)
            {
                double restored = scales[i / inner % channels] * (double)values[i];
                signal += (double)weights[i] * weights[i];
                noise += (weights[i] - restored) * (weights[i] - restored);
            }
            return noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(signal / noise);
        }
    }
}
