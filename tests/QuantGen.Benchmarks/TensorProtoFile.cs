// Reads the float data of a serialized onnx.TensorProto (test_data_set_K/input_0.pb) without a protobuf library.
using System;
using System.IO;
using System.Runtime.InteropServices;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// The few TensorProto fields a test vector uses: dims (1), data_type (2), float_data (4), raw_data (9).
    /// Kept dependency-free so the first-result process loads nothing but the generated model: the tests read
    /// vectors with QuantGen.Onnx's TensorFile, which would bring Google.Protobuf and the compiler into the process
    /// whose start-up time and peak RSS docs/benchmarks.md reports (measured in a fresh JIT process reading
    /// MobileNetV2-224's input: peak RSS 30.3 MB against 27.8 MB, and tens of ms of loading and JIT outside the timed
    /// window that also warms the runtime for it).
    /// </summary>
    internal static class TensorProtoFile
    {
        private const int FloatDataType = 1;

        public static float[] ReadFloats(string path)
        {
            byte[] bytes = File.ReadAllBytes(path);
            int position = 0;
            long dataType = FloatDataType;
            float[]? raw = null;
            var listed = new System.Collections.Generic.List<float>();
            while (position < bytes.Length)
            {
                ulong key = ReadVarint(bytes, ref position);
                int field = (int)(key >> 3);
                int wire = (int)(key & 7);
                if (field == 2 && wire == 0)
                {
                    dataType = (long)ReadVarint(bytes, ref position);
                }
                else if (field == 9 && wire == 2)
                {
                    int length = checked((int)ReadVarint(bytes, ref position));
                    raw = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(position, length)).ToArray();
                    position += length;
                }
                else if (field == 4 && wire == 2)
                {
                    int length = checked((int)ReadVarint(bytes, ref position));
                    listed.AddRange(MemoryMarshal.Cast<byte, float>(bytes.AsSpan(position, length)).ToArray());
                    position += length;
                }
                else if (field == 4 && wire == 5)
                {
                    listed.Add(BitConverter.ToSingle(bytes, position));
                    position += 4;
                }
                else
                {
                    Skip(bytes, ref position, wire, path);
                }
            }

            if (dataType != FloatDataType) throw new InvalidDataException($"{path}: data type {dataType} is not float32.");
            return raw ?? listed.ToArray();
        }

        private static ulong ReadVarint(byte[] bytes, ref int position)
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                byte b = bytes[position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
            throw new InvalidDataException("Malformed varint.");
        }

        private static void Skip(byte[] bytes, ref int position, int wire, string path)
        {
            switch (wire)
            {
                case 0: ReadVarint(bytes, ref position); break;
                case 1: position += 8; break;
                case 2:
                    int length = checked((int)ReadVarint(bytes, ref position));
                    position += length;
                    break;
                case 5: position += 4; break;
                default: throw new InvalidDataException($"{path}: wire type {wire} is not supported.");
            }
        }
    }
}
