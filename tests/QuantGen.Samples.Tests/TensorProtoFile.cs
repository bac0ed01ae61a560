// Reads the float tensors of an ONNX test vector (test_data_set_K/*.pb, a serialized onnx.TensorProto) without a protobuf library.
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;

namespace QuantGen.Samples.Tests
{
    internal static class TensorProtoFile
    {
        /// <summary>The dims and the float32 values (from float_data or raw_data) of a TensorProto file.</summary>
        public static (long[] Dims, float[] Values) ReadFloat(string path)
        {
            byte[] bytes = File.ReadAllBytes(path);
            var dims = new List<long>();
            var values = new List<float>();
            int at = 0;
            while (at < bytes.Length)
            {
                ulong key = Varint(bytes, ref at);
                int field = (int)(key >> 3), wire = (int)(key & 7);
                switch (field, wire)
                {
                    case (1, 0): dims.Add((long)Varint(bytes, ref at)); break;
                    case (1, 2): // packed dims
                        int dimsEnd = Length(bytes, ref at);
                        while (at < dimsEnd) dims.Add((long)Varint(bytes, ref at));
                        break;
                    case (2, 0):
                        ulong type = Varint(bytes, ref at);
                        if (type != 1) throw new InvalidDataException(path + ": data_type " + type + " is not FLOAT");
                        break;
                    case (4, 2): // packed float_data
                    case (9, 2): // raw_data, little-endian
                        int end = Length(bytes, ref at);
                        values.AddRange(MemoryMarshal.Cast<byte, float>(bytes.AsSpan(at, end - at)).ToArray());
                        at = end;
                        break;
                    case (4, 5):
                        values.Add(BitConverter.ToSingle(bytes, at));
                        at += 4;
                        break;
                    default:
                        Skip(bytes, ref at, wire);
                        break;
                }
            }
            return (dims.ToArray(), values.ToArray());
        }

        private static ulong Varint(byte[] bytes, ref int at)
        {
            ulong value = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = bytes[at++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
        }

        private static int Length(byte[] bytes, ref int at)
        {
            int length = (int)Varint(bytes, ref at);
            return at + length;
        }

        private static void Skip(byte[] bytes, ref int at, int wire)
        {
            switch (wire)
            {
                case 0: Varint(bytes, ref at); break;
                case 1: at += 8; break;
                case 2: at = Length(bytes, ref at); break;
                case 5: at += 4; break;
                default: throw new InvalidDataException("unsupported protobuf wire type " + wire);
            }
        }
    }
}
