// Cast: folded for constants of any numeric type; at run time to and from float32 (identity casts are views).
using System;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators
{
    public sealed class CastOperator : OperatorDefinition
    {
        public CastOperator() : base("Cast") { }

        public override string Notes => "constants: any numeric type (folded); at run time: float32 to and from float64 and the integer types, or a same-type view";

        public static DataType Target(Node node)
        {
            long to = node.Attributes.GetInt("to", 0);
            var type = (DataType)to;
            bool known = type == DataType.Float32 || type == DataType.Float64 || type == DataType.Float16 || type == DataType.Int8 || type == DataType.Int16
                || type == DataType.Int32 || type == DataType.Int64 || type == DataType.UInt8 || type == DataType.UInt16 || type == DataType.UInt32
                || type == DataType.UInt64 || type == DataType.Bool;
            if (!known) throw new Ir.Diagnostics.CompilerException(new Ir.Diagnostics.CompilerDiagnostic(Ir.Diagnostics.DiagnosticIds.UnsupportedDataType,
                Ir.Diagnostics.DiagnosticSeverity.Error, $"Cast '{node.Name}' to ONNX element type {to} is not supported.", null, node.Name));
            return type;
        }

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            SetOutput(node, 0, Target(node), x.Shape!, x.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!;
            var to = Target(node);
            if (to == x.Type) return new[] { x };
            if (to == DataType.Float16 || x.Type == DataType.Float16) throw Unsupported(node, "a float16 cast");
            var y = Tensor.Create(to, x.Shape);
            bool integral = x.Type != DataType.Float32 && x.Type != DataType.Float64;
            for (int i = 0; i < x.ElementCount; i++)
            {
                double d = integral ? x.GetInt64(i) : x.GetDouble(i);
                long l = integral ? x.GetInt64(i) : double.IsNaN(d) ? 0 : (long)Math.Truncate(d);
                switch (y.Data)
                {
                    case float[] f: f[i] = (float)d; break;
                    case double[] dd: dd[i] = d; break;
                    case long[] ll: ll[i] = l; break;
                    case int[] n: n[i] = (int)l; break;
                    case short[] s16: s16[i] = (short)l; break;
                    case sbyte[] s8: s8[i] = (sbyte)l; break;
                    case ushort[] u16: u16[i] = (ushort)l; break;
                    case uint[] u32: u32[i] = (uint)l; break;
                    case ulong[] u64: u64[i] = (ulong)l; break;
                    case byte[] b: b[i] = to == DataType.Bool ? (byte)(d != 0 ? 1 : 0) : (byte)l; break;
                }
            }
            return new[] { y };
        }
    }
}
