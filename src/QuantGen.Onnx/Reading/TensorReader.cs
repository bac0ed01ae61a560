// Decodes an ONNX TensorProto (inline raw bytes, typed fields, or external data) into an IR Tensor.
using System;
using System.Collections.Generic;
using System.Globalization;
using QuantGen.Ir;
using QuantGen.Ir.Diagnostics;
using QuantGen.Onnx.Proto;
using Tensor = QuantGen.Ir.Tensor;

namespace QuantGen.Onnx.Reading
{
    internal sealed class TensorReader
    {
        private readonly string? _file;
        private readonly string? _baseDirectory;
        private readonly ResourceLimits _limits;
        private long _bytesRead;

        /// <param name="file">The model (or .pb) file named in diagnostics.</param>
        /// <param name="baseDirectory">Where external data files live; null when the bytes came from memory.</param>
        /// <param name="limits">The largest tensor, and the most bytes of tensors in all, this reader allocates.</param>
        public TensorReader(string? file, string? baseDirectory, ResourceLimits? limits = null)
        {
            _file = file;
            _baseDirectory = baseDirectory;
            _limits = limits ?? new ResourceLimits();
        }

        /// <summary>
        /// Decodes one tensor. The declared shape is checked against the limits and against the bytes actually present
        /// (raw_data, the typed field, the external file) before its array is allocated: dims that claim 2^31 elements and
        /// carry none cost nothing.
        /// </summary>
        /// <param name="label">How the tensor reads in messages, e.g. "initializer 'fc.weight'".</param>
        public Tensor Read(TensorProto proto, string label, string? node = null)
        {
            var type = ElementType(proto.DataType, label, node);
            var shape = Shape(proto, label, node);
            long count = Tensor.ElementCountOf(shape);
            int size = DataTypes.SizeOf(type);
            _limits.CheckTensor(shape, type, "the " + label, _file, node);
            _bytesRead += count * size;
            _limits.CheckWeights(_bytesRead, "the model's tensors (initializers and constants)", _file, node);

            if (proto.DataLocation == TensorProto.Types.DataLocation.External)
            {
                byte[] bytes = new ExternalDataReader(_file, _baseDirectory).Read(proto, label, count * size);
                var data = Array.CreateInstance(Tensor.StorageType(type), count);
                Buffer.BlockCopy(bytes, 0, data, 0, bytes.Length);
                return new Tensor(type, shape, data);
            }
            if (!proto.RawData.IsEmpty || count == 0)
            {
                if (proto.RawData.Length != count * size)
                {
                    throw OnnxErrors.Malformed(
                        $"The {label} has {proto.RawData.Length} bytes of raw_data, but its shape {Format(shape)} of {DataTypes.Name(type)} needs {count * size}.",
                        _file, node);
                }
                var data = Array.CreateInstance(Tensor.StorageType(type), count);
                // raw_data is little-endian by the ONNX spec, which is the byte order of every platform .NET runs QuantGen on.
                Buffer.BlockCopy(proto.RawData.ToByteArray(), 0, data, 0, proto.RawData.Length);
                return new Tensor(type, shape, data);
            }
            var typed = Array.CreateInstance(Tensor.StorageType(type), TypedFieldCount(proto, type, count, label, node));
            CopyTypedFields(proto, type, typed, label, node);
            return new Tensor(type, shape, typed);
        }

        /// <summary>How many values the typed field holds, which must be the shape's count (checked before anything is allocated).</summary>
        private int TypedFieldCount(TensorProto proto, DataType type, long count, string label, string? node)
        {
            var (held, field) = type switch
            {
                DataType.Float32 => (proto.FloatData.Count, "float_data"),
                DataType.Float64 => (proto.DoubleData.Count, "double_data"),
                DataType.Int64 => (proto.Int64Data.Count, "int64_data"),
                DataType.UInt32 or DataType.UInt64 => (proto.Uint64Data.Count, "uint64_data"),
                _ => (proto.Int32Data.Count, "int32_data"),
            };
            if (held != count)
                throw OnnxErrors.Malformed($"The {label} has {held} values in {field} (and no raw_data), but its shape {Format(proto.Dims)} needs {count}.", _file, node);
            return held;
        }

        /// <summary>Maps ONNX's data_type number (the IR enum uses the same numbers) or reports QG0005.</summary>
        public DataType ElementType(int onnxType, string label, string? node)
        {
            if (IsSupported(onnxType)) return (DataType)onnxType;
            throw OnnxErrors.UnsupportedDataType(
                $"The {label} has element type {OnnxTypeName(onnxType)}, which QuantGen does not support.",
                _file, node);
        }

        /// <summary>The ONNX element types the IR can hold: every numeric type except bfloat16 and complex, plus bool.</summary>
        public static bool IsSupported(int onnxType) =>
            onnxType >= (int)DataType.Float32 && onnxType <= (int)DataType.UInt64 && onnxType != (int)DataType.String;

        public static string OnnxTypeName(int onnxType) => onnxType switch
        {
            0 => "undefined",
            8 => "string",
            14 => "complex64",
            15 => "complex128",
            16 => "bfloat16",
            _ when IsSupported(onnxType) => DataTypes.Name((DataType)onnxType),
            _ => "#" + onnxType.ToString(CultureInfo.InvariantCulture),
        };

        private static string Format(IEnumerable<long> dims) => "[" + string.Join(",", dims) + "]";

        private int[] Shape(TensorProto proto, string label, string? node)
        {
            var shape = new int[proto.Dims.Count];
            long count = 1;
            for (int i = 0; i < shape.Length; i++)
            {
                long d = proto.Dims[i];
                count = d >= 0 && d <= int.MaxValue ? count * d : -1;
                // Arrays are limited to int.MaxValue elements; a larger constant would not fit in the IR anyway.
                if (count < 0 || count > int.MaxValue)
                {
                    throw OnnxErrors.Malformed(
                        $"The {label} has dims [{string.Join(",", proto.Dims)}], which is not a valid tensor shape of at most {int.MaxValue} elements.",
                        _file, node);
                }
                shape[i] = (int)d;
            }
            return shape;
        }

        private void CopyTypedFields(TensorProto proto, DataType type, Array data, string label, string? node)
        {
            // ONNX stores the narrow integer types, bool and float16 (as bits) widened to int32, and uint32 in uint64_data.
            switch (type)
            {
                case DataType.Float32: Copy(proto.FloatData, (float[])data, v => v, "float_data"); break;
                case DataType.Float64: Copy(proto.DoubleData, (double[])data, v => v, "double_data"); break;
                case DataType.Int64: Copy(proto.Int64Data, (long[])data, v => v, "int64_data"); break;
                case DataType.Int32: Copy(proto.Int32Data, (int[])data, v => v, "int32_data"); break;
                case DataType.Int8: Copy(proto.Int32Data, (sbyte[])data, v => unchecked((sbyte)v), "int32_data"); break;
                case DataType.UInt8:
                case DataType.Bool: Copy(proto.Int32Data, (byte[])data, v => unchecked((byte)v), "int32_data"); break;
                case DataType.Int16: Copy(proto.Int32Data, (short[])data, v => unchecked((short)v), "int32_data"); break;
                case DataType.UInt16:
                case DataType.Float16: Copy(proto.Int32Data, (ushort[])data, v => unchecked((ushort)v), "int32_data"); break;
                case DataType.UInt32: Copy(proto.Uint64Data, (uint[])data, v => unchecked((uint)v), "uint64_data"); break;
                case DataType.UInt64: Copy(proto.Uint64Data, (ulong[])data, v => v, "uint64_data"); break;
                default: throw OnnxErrors.UnsupportedDataType($"The {label} has element type {DataTypes.Name(type)}, which QuantGen does not support.", _file, node);
            }

            void Copy<TField, TElement>(IList<TField> field, TElement[] target, Func<TField, TElement> convert, string fieldName)
            {
                if (field.Count != target.Length)
                {
                    throw OnnxErrors.Malformed(
                        $"The {label} has {field.Count} values in {fieldName} (and no raw_data), but its shape needs {target.Length}.",
                        _file, node);
                }
                for (int i = 0; i < target.Length; i++) target[i] = convert(field[i]);
            }
        }

        internal static string Format(int[] shape) =>
            "[" + string.Join(",", Array.ConvertAll(shape, d => d.ToString(CultureInfo.InvariantCulture))) + "]";
    }
}
