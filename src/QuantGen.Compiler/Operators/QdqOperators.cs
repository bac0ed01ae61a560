// QuantizeLinear and DequantizeLinear (opset 10–13): the linear quantization of models quantized elsewhere (QDQ form).
using System;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators
{
    /// <summary>
    /// What QuantizeLinear and DequantizeLinear share: the scale (input 1) and the optional zero point (input 2) are either
    /// one value for the whole tensor or, from opset 13, one per slice of <c>axis</c> (default 1).
    /// </summary>
    public abstract class LinearQuantizationOperator : OperatorDefinition
    {
        protected LinearQuantizationOperator(string opType) : base(opType, 10) { }

        /// <summary>x, scale and the optional zero point.</summary>
        public override (int Min, int Max) InputCount => (2, 3);

        /// <summary>
        /// The tensor viewed as [outer, channels, inner] around the quantization axis: channels = 1 for per-tensor
        /// parameters (a scalar or a 1-element scale, as in opset 10).
        /// </summary>
        public static (long Outer, int Channels, long Inner, int Axis) Extents(Node node, int[] shape, int[] scaleShape)
        {
            long count = Tensor.ElementCountOf(shape);
            long scaleCount = Tensor.ElementCountOf(scaleShape);
            if (scaleShape.Length == 0 || (scaleShape.Length == 1 && scaleCount == 1 && !node.Attributes.Has("axis")))
                return (1, 1, count, -1);
            if (scaleShape.Length != 1) throw Unsupported(node, $"a rank-{scaleShape.Length} scale (blocked quantization)");
            int axis = Axis(node, node.Attributes.GetInt("axis", 1), shape.Length);
            if (scaleShape[0] != shape[axis])
                throw Invalid(node, $"the scale has {scaleShape[0]} elements but axis {axis} of the input has {shape[axis]}");
            long outer = 1, inner = 1;
            for (int i = 0; i < axis; i++) outer *= shape[i];
            for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
            return (outer, shape[axis], inner, axis);
        }

        /// <summary>The quantized element type's range; int32 (DequantizeLinear only) has no saturation here.</summary>
        public static (int Min, int Max) Range(DataType type) => type switch
        {
            DataType.UInt8 => (byte.MinValue, byte.MaxValue),
            DataType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
            _ => (int.MinValue, int.MaxValue),
        };

        protected void CheckParameters(Node node, DataType quantizedType, bool allowInt32)
        {
            if (node.Attributes.Has("block_size") && node.Attributes.GetInt("block_size", 0) != 0) throw Unsupported(node, "blocked quantization (block_size)");
            if (node.Attributes.Has("saturate") || node.Attributes.Has("output_dtype")) throw Unsupported(node, "the opset 19+ attributes saturate and output_dtype");
            bool ok = quantizedType == DataType.UInt8 || quantizedType == DataType.Int8 || (allowInt32 && quantizedType == DataType.Int32);
            if (!ok)
                throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDataType, DiagnosticSeverity.Error,
                    $"{node.OpType} '{node.Name}' on {DataTypes.Name(quantizedType)} values is not supported (uint8 and int8{(allowInt32 ? ", int32" : "")}).", null, node.Name));
            var scale = In(node, 1);
            if (scale.Type != DataType.Float32) throw Unsupported(node, $"a {DataTypes.Name(scale.Type)} scale (float32 only)");
            var zp = node.Input(2);
            if (zp != null)
            {
                if (zp.Type != quantizedType) throw Invalid(node, $"the zero point is {DataTypes.Name(zp.Type)} but the quantized values are {DataTypes.Name(quantizedType)}");
                if (Tensor.ElementCountOf(zp.Shape!) != Tensor.ElementCountOf(scale.Shape!)) throw Invalid(node, "the zero point and the scale differ in size");
            }
            Extents(node, ShapeOf(node, 0), scale.Shape!);
        }

        protected static int ZeroPoint(Tensor? zp, int channel) => zp == null ? 0 : (int)zp.GetInt64(zp.ElementCount == 1 ? 0 : channel);

        protected static float Scale(Tensor scale, int channel) => (float)scale.GetDouble(scale.ElementCount == 1 ? 0 : channel);
    }

    /// <summary>y = saturate(round_half_even(x / scale) + zero_point), to uint8 (the default) or the zero point's type.</summary>
    public sealed class QuantizeLinearOperator : LinearQuantizationOperator
    {
        public QuantizeLinearOperator() : base("QuantizeLinear") { }

        public override string Notes => "per tensor, and per axis (opset 13); to uint8 (the default) or int8; followed by a DequantizeLinear with the same constant parameters, both run as one float kernel";

        public static DataType OutputType(Node node) => node.Input(2)?.Type ?? DataType.UInt8;

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            if (x.Type != DataType.Float32) throw Unsupported(node, $"{DataTypes.Name(x.Type)} input (float32 only)");
            CheckParameters(node, OutputType(node), allowInt32: false);
            SetOutput(node, 0, OutputType(node), x.Shape!, x.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!;
            var scale = inputs[1]!;
            var zp = inputs.Length > 2 ? inputs[2] : null;
            var type = zp?.Type ?? DataType.UInt8;
            var (outer, channels, inner, _) = Extents(node, x.Shape, scale.Shape);
            var (min, max) = Range(type);
            var y = Tensor.Create(type, x.Shape);
            var xs = x.ToFloatArray();
            long i = 0;
            for (long o = 0; o < outer; o++)
                for (int c = 0; c < channels; c++)
                {
                    float s = Scale(scale, c);
                    int z0 = ZeroPoint(zp, c);
                    for (long j = 0; j < inner; j++, i++)
                    {
                        int q = Quantize(xs[i], s, z0, min, max);
                        if (type == DataType.UInt8) y.Bytes[i] = (byte)q;
                        else y.SBytes[i] = (sbyte)q;
                    }
                }
            return new[] { y };
        }

        /// <summary>The ONNX definition in float32, as the QuantizeLinearF32 kernels compute it (a divide, not a reciprocal).</summary>
        public static int Quantize(float x, float scale, int zeroPoint, int min, int max)
        {
            float r = (float)Math.Round(x / scale, MidpointRounding.ToEven) + zeroPoint;
            if (float.IsNaN(r)) return min; // unspecified by ONNX; the kernels' clamp gives the low end too
            return r <= min ? min : r >= max ? max : (int)r;
        }
    }

    /// <summary>y = (x − zero_point) · scale in float32.</summary>
    public sealed class DequantizeLinearOperator : LinearQuantizationOperator
    {
        public DequantizeLinearOperator() : base("DequantizeLinear") { }

        public override string Notes => "per tensor, and per axis (opset 13); from uint8, int8 or int32; of constants (QDQ weights and biases) folded at build time";

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            CheckParameters(node, x.Type, allowInt32: true);
            SetOutput(node, 0, DataType.Float32, x.Shape!, x.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!;
            var scale = inputs[1]!;
            var zp = inputs.Length > 2 ? inputs[2] : null;
            var (outer, channels, inner, _) = Extents(node, x.Shape, scale.Shape);
            var y = new float[x.ElementCount];
            long i = 0;
            for (long o = 0; o < outer; o++)
                for (int c = 0; c < channels; c++)
                {
                    float s = Scale(scale, c);
                    int z0 = ZeroPoint(zp, c);
                    for (long j = 0; j < inner; j++, i++) y[i] = (float)(x.GetInt64((int)i) - z0) * s;
                }
            return new[] { Tensor.FromFloats(x.Shape, y) };
        }
    }
}
