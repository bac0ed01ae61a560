// Resize (opset 10+) and Upsample (opset 7–9): nearest, linear and cubic, every coordinate transformation mode of
// opset 13. Each output axis becomes a table of taps (input index, weight) computed at build time exactly as the ONNX
// reference interpolates (neighbours of the original coordinate, edge-clamped, exclude_outside renormalized), so the
// kernel is one separable weighted gather.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators
{
    /// <summary>One output axis of a resize: <see cref="Taps"/> (index, weight) pairs per output position; index −1 extrapolates.</summary>
    public sealed class ResizeAxis
    {
        public ResizeAxis(int taps, int[] index, float[] weight)
        {
            Taps = taps;
            Index = index;
            Weight = weight;
        }

        public int Taps { get; }
        public int[] Index { get; }
        public float[] Weight { get; }
        public int Length => Index.Length / Taps;
    }

    public sealed class ResizeOperator : OperatorDefinition
    {
        public ResizeOperator(string opType) : base(opType) { }

        public override string Notes => OpType == "Upsample"
            ? "nearest and linear; scales known at build time"
            : "nearest (all nearest_mode), linear and cubic (cubic_coeff_a, exclude_outside), every coordinate_transformation_mode; scales/sizes/roi known at build time";

        public override bool IsBuildTimeInput(Node node, int index) => index >= 1;

        /// <summary>Each output blends up to four taps per axis (cubic).</summary>
        public override long EvaluationCost(Node node) => Products(node.Outputs[0].ElementCount, (long)Math.Pow(4, Math.Min(In(node, 0).Rank, 30)));

        /// <summary>X, then (opset 10, Upsample) scales or (opset 11+) roi, scales and sizes.</summary>
        public override (int Min, int Max) InputCount => OpType == "Upsample" ? (1, 2) : (1, 4);

        private static float[]? Floats(Node node, int index)
        {
            var v = node.Input(index);
            if (v == null) return null;
            if (v.Constant == null) throw Unsupported(node, $"input {index} computed at run time");
            if (v.Type != DataType.Float32) throw Invalid(node, $"input {index} ('{v.Name}') is {DataTypes.Name(v.Type)}, not float32");
            return v.Constant.ElementCount == 0 ? null : v.Constant.ToFloatArray();
        }

        /// <summary>
        /// The output shape and each axis' scale, checked before anything is built from them: scales finite and positive,
        /// sizes and the resulting lengths within int (a table per axis is built from each length).
        /// </summary>
        public static (int[] Shape, double[] Scale) OutputShape(Node node, int[] shape, int opset)
        {
            bool legacy = node.OpType == "Upsample" || opset < 11;
            float[]? scales, sizes = null;
            if (node.OpType == "Upsample" && opset < 9) scales = node.Attributes.GetFloats("scales") ?? throw Invalid(node, "scales are missing");
            else if (legacy) scales = Floats(node, 1);
            else
            {
                scales = Floats(node, 2);
                if (node.Input(3) is { } s)
                {
                    if (s.Constant == null) throw Unsupported(node, "sizes computed at run time");
                    if (s.Type != DataType.Int64) throw Invalid(node, $"sizes are {DataTypes.Name(s.Type)}, not int64");
                    if (s.Constant.ElementCount > 0)
                    {
                        var requested = s.Constant.ToInt64Array();
                        if (requested.Any(d => d < 0 || d > int.MaxValue)) throw Invalid(node, $"sizes [{string.Join(",", requested)}] are not a tensor shape");
                        sizes = requested.Select(d => (float)d).ToArray();
                    }
                }
            }
            int rank = shape.Length;
            var outShape = new int[rank];
            var scale = new double[rank];
            if (sizes != null)
            {
                if (sizes.Length != rank) throw Invalid(node, $"{sizes.Length} sizes for rank {rank}");
                for (int i = 0; i < rank; i++)
                {
                    outShape[i] = (int)sizes[i];
                    scale[i] = shape[i] == 0 ? 1 : (double)outShape[i] / shape[i];
                }
                return (outShape, scale);
            }
            if (scales == null || scales.Length != rank) throw Invalid(node, "scales are missing or do not match the rank");
            for (int i = 0; i < rank; i++)
            {
                if (!(scales[i] > 0) || float.IsInfinity(scales[i])) throw Invalid(node, $"scale {scales[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture)} on axis {i} (scales must be finite and positive)");
                double length = Math.Floor(shape[i] * (double)scales[i]);
                if (length > int.MaxValue) throw Invalid(node, $"scale {scales[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture)} makes axis {i} {length} elements long");
                scale[i] = scales[i];
                outShape[i] = (int)length;
            }
            return (outShape, scale);
        }

        /// <summary>The interpolation the node asks for, checked (unsupported modes, a roi that does not fit).</summary>
        private static (string Mode, string Transform, string Nearest, float CubicA, bool ExcludeOutside, float[]? Roi) Settings(Node node, int rank, int opset)
        {
            bool legacy = node.OpType == "Upsample" || opset < 11;
            string mode = node.Attributes.GetString("mode", "nearest");
            if (mode != "nearest" && mode != "linear" && mode != "cubic" || (legacy && mode == "cubic")) throw Unsupported(node, $"mode '{mode}'");
            string transform = legacy ? "asymmetric" : node.Attributes.GetString("coordinate_transformation_mode", "half_pixel");
            string nearest = legacy ? "floor" : node.Attributes.GetString("nearest_mode", "round_prefer_floor");
            if (mode == "nearest" && !new[] { "round_prefer_floor", "round_prefer_ceil", "floor", "ceil" }.Contains(nearest)) throw Unsupported(node, $"nearest_mode '{nearest}'");
            float a = node.Attributes.GetFloat("cubic_coeff_a", -0.75f);
            bool excludeOutside = node.Attributes.GetInt("exclude_outside", 0) != 0;
            if (node.Attributes.Has("axes")) throw Unsupported(node, "the axes attribute (opset 18)");
            if (node.Attributes.Has("keep_aspect_ratio_policy")) throw Unsupported(node, "keep_aspect_ratio_policy (opset 18)");
            float[]? roi = legacy ? null : Floats(node, 1);
            if (transform == "tf_crop_and_resize" && (roi == null || roi.Length != 2 * rank)) throw Invalid(node, "tf_crop_and_resize needs a roi of 2·rank values");
            if (!new[] { "half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize" }.Contains(transform))
                throw Unsupported(node, $"coordinate_transformation_mode '{transform}'");
            return (mode, transform, nearest, a, excludeOutside, roi);
        }

        /// <summary>The output shape and the tap table of every axis for an input of <paramref name="shape"/>.</summary>
        public static ResizeAxis[] Plan(Node node, int[] shape, int opset)
        {
            int rank = shape.Length;
            var (mode, transform, nearest, a, excludeOutside, roi) = Settings(node, rank, opset);
            var (outShape, scale) = OutputShape(node, shape, opset);

            var axes = new ResizeAxis[rank];
            for (int i = 0; i < rank; i++)
            {
                int inLen = shape[i], outLen = outShape[i];
                bool identity = inLen == outLen && scale[i] == 1 && transform != "tf_crop_and_resize";
                if (identity)
                {
                    axes[i] = new ResizeAxis(1, Enumerable.Range(0, outLen).ToArray(), Enumerable.Repeat(1f, outLen).ToArray());
                    continue;
                }
                int n = mode == "cubic" ? 4 : 2;
                var index = new int[outLen * n];
                var weight = new float[outLen * n];
                for (int j = 0; j < outLen; j++)
                {
                    double x = Original(transform, j, scale[i], inLen, outLen, roi, i, rank);
                    if (transform == "tf_crop_and_resize" && (x < 0 || x > inLen - 1))
                    {
                        for (int t = 0; t < n; t++) { index[j * n + t] = -1; weight[j * n + t] = t == 0 ? 1 : 0; }
                        continue;
                    }
                    // The reference prefers the pixel on the left: an integral coordinate has ratio 1 to its left neighbour.
                    double floor = Math.Floor(x);
                    double ratio = x == floor ? 1 : x - floor;
                    int left = (int)floor - (x == floor ? 1 : 0);
                    double[] c = mode == "nearest" ? NearestCoefficients(ratio, nearest, node)
                               : mode == "linear" ? new[] { 1 - ratio, ratio }
                               : CubicCoefficients(ratio, a);
                    int first = left - (n / 2 - 1);
                    if (excludeOutside)
                    {
                        double sum = 0;
                        for (int t = 0; t < n; t++)
                        {
                            int idx = first + t;
                            if (idx < 0 || idx >= inLen) c[t] = 0;
                            sum += c[t];
                        }
                        if (sum != 0) for (int t = 0; t < n; t++) c[t] /= sum;
                    }
                    for (int t = 0; t < n; t++)
                    {
                        index[j * n + t] = Math.Max(0, Math.Min(inLen - 1, first + t));
                        weight[j * n + t] = (float)c[t];
                    }
                }
                axes[i] = Compact(new ResizeAxis(n, index, weight));
            }
            return axes;
        }

        /// <summary>Nearest neighbour (and any table with one weight of 1 per position) needs one tap, not two.</summary>
        private static ResizeAxis Compact(ResizeAxis axis)
        {
            int n = axis.Taps, len = axis.Length;
            var index = new int[len];
            for (int j = 0; j < len; j++)
            {
                int pick = -2;
                for (int t = 0; t < n; t++)
                {
                    float w = axis.Weight[j * n + t];
                    if (w == 0) continue;
                    if (w != 1 || pick != -2) return axis;
                    pick = axis.Index[j * n + t];
                }
                if (pick == -2) return axis;
                index[j] = pick;
            }
            return new ResizeAxis(1, index, Enumerable.Repeat(1f, len).ToArray());
        }

        private static double Original(string transform, int j, double scale, int inLen, int outLen, float[]? roi, int axis, int rank)
        {
            switch (transform)
            {
                case "half_pixel": return (j + 0.5) / scale - 0.5;
                case "pytorch_half_pixel": return outLen > 1 ? (j + 0.5) / scale - 0.5 : 0;
                // The reference uses the unrounded output length scale · input length here (not the integer size).
                case "align_corners": return scale * inLen == 1 ? 0 : j * (inLen - 1) / (scale * inLen - 1);
                case "asymmetric": return j / scale;
                case "tf_half_pixel_for_nn": return (j + 0.5) / scale;
                default:
                    double start = roi![axis], end = roi[axis + rank];
                    return outLen > 1 ? start * (inLen - 1) + j * (end - start) * (inLen - 1) / (outLen - 1) : 0.5 * (start + end) * (inLen - 1);
            }
        }

        // An integral coordinate (ratio 1 to the left neighbour) is that pixel itself, whatever the rounding mode.
        private static double[] NearestCoefficients(double ratio, string mode, Node node) => ratio == 1 ? new[] { 0, 1.0 } : mode switch
        {
            "round_prefer_floor" => ratio <= 0.5 ? new[] { 1.0, 0 } : new[] { 0, 1.0 },
            "round_prefer_ceil" => ratio < 0.5 ? new[] { 1.0, 0 } : new[] { 0, 1.0 },
            "floor" => new[] { 1.0, 0 },
            "ceil" => new[] { 0, 1.0 },
            _ => throw Unsupported(node, $"nearest_mode '{mode}'"),
        };

        private static double[] CubicCoefficients(double r, double a) => new[]
        {
            ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
            ((a + 2) * r - (a + 3)) * r * r + 1,
            ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1,
            ((a * (2 - r) - 5 * a) * (2 - r) + 8 * a) * (2 - r) - 4 * a,
        };

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            RequireType(node, 0, DataType.Float32);
            // Not Plan: the tap tables it builds are as long as the output axes, which the limits check after this.
            var settings = Settings(node, x.Rank, context.Opset);
            var (shape, scale) = OutputShape(node, x.Shape!, context.Opset);
            if (x.IsBatched) RequireSampleWise(node, x.Rank > 0 && shape[0] == x.Shape![0] && scale[0] == 1 && settings.Transform != "tf_crop_and_resize", "resizes the batch axis");
            SetOutput(node, 0, x.Type, shape, x.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!;
            var axes = Plan(node, x.Shape, context.Opset);
            float extrapolation = node.Attributes.GetFloat("extrapolation_value", 0f);
            var shape = axes.Select(a => a.Length).ToArray();
            var fx = x.ToFloatArray();
            var strides = Broadcasting.ContiguousStrides(x.Shape);
            var y = new float[Tensor.ElementCountOf(shape)];
            var pos = new int[shape.Length];
            for (int o = 0; o < y.Length; o++)
            {
                int rest = o;
                for (int d = shape.Length - 1; d >= 0; d--) { pos[d] = rest % shape[d]; rest /= shape[d]; }
                y[o] = (float)Sum(axes, pos, strides, fx, 0, 0, extrapolation);
            }
            return new[] { Tensor.FromFloats(shape, y) };
        }

        private static double Sum(ResizeAxis[] axes, int[] pos, int[] strides, float[] x, int axis, int offset, float extrapolation)
        {
            if (axis == axes.Length) return x[offset];
            var a = axes[axis];
            double sum = 0;
            for (int t = 0; t < a.Taps; t++)
            {
                int idx = a.Index[pos[axis] * a.Taps + t];
                if (idx < 0) return extrapolation;
                float w = a.Weight[pos[axis] * a.Taps + t];
                if (w != 0) sum += w * Sum(axes, pos, strides, x, axis + 1, offset + idx * strides[axis], extrapolation);
            }
            return sum;
        }
    }
}
