// A small, dependency-free reader of serialized ONNX TensorProto files (.pb) for calibration data.
using System;
using System.Collections.Generic;
using System.IO;
using QuantGen.Compiler.Ir;

namespace QuantGen.Compiler.Calibration
{
    /// <summary>
    /// Reads the subset of <c>onnx.TensorProto</c> calibration needs: dims, data_type, float_data or
    /// raw_data (float32). The compiler core must not depend on Google.Protobuf, so this walks the
    /// wire format directly; QuantGen.Onnx's TensorFile reads everything else.
    /// </summary>
    public static class TensorProtoFile
    {
        private const int FloatType = 1;

        /// <exception cref="Diagnostics.CompilerException">QG0102 (unreadable, malformed), QG0103 (not float32, external data).</exception>
        public static Tensor Read(string path)
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is NotSupportedException || e is ArgumentException)
            {
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.DataUnreadable, $"the calibration file '{path}' cannot be read: {e.Message}", path);
            }
            return Parse(bytes, path);
        }

        public static Tensor Parse(byte[] bytes, string path)
        {
            if (bytes.Length == 0) throw Malformed(path, "the file is empty");
            var dims = new List<long>();
            var floats = new List<float>();
            byte[]? raw = null;
            long dataType = 0;
            bool external = false;
            int pos = 0;
            try
            {
                while (pos < bytes.Length)
                {
                    ulong key = Varint(bytes, ref pos);
                    int field = (int)(key >> 3), wire = (int)(key & 7);
                    if (field == 0) throw Malformed(path, "field number 0");
                    switch (field)
                    {
                        case 1 when wire == 0: dims.Add((long)Varint(bytes, ref pos)); break;
                        case 1 when wire == 2:
                        {
                            int end = LengthEnd(bytes, ref pos, path);
                            while (pos < end) dims.Add((long)Varint(bytes, ref pos));
                            break;
                        }
                        case 2 when wire == 0: dataType = (long)Varint(bytes, ref pos); break;
                        case 4 when wire == 5: floats.Add(Fixed32(bytes, ref pos)); break;
                        case 4 when wire == 2:
                        {
                            int end = LengthEnd(bytes, ref pos, path);
                            if ((end - pos) % 4 != 0) throw Malformed(path, "float_data is not a whole number of floats");
                            while (pos < end) floats.Add(Fixed32(bytes, ref pos));
                            break;
                        }
                        case 9 when wire == 2:
                        {
                            int end = LengthEnd(bytes, ref pos, path);
                            raw = new byte[end - pos];
                            Buffer.BlockCopy(bytes, pos, raw, 0, raw.Length);
                            pos = end;
                            break;
                        }
                        case 14 when wire == 0: external |= Varint(bytes, ref pos) == 1; break;
                        default: Skip(bytes, ref pos, wire, path); break;
                    }
                }
            }
            catch (IndexOutOfRangeException)
            {
                throw Malformed(path, "the data ends inside a field (truncated)");
            }
            if (external)
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.FormatUnsupported,
                    $"the calibration file '{path}' keeps its data in an external file; save the tensor with its data inline.", path);
            if (dataType != FloatType)
                throw CalibrationDiagnostics.Error(CalibrationDiagnostics.FormatUnsupported,
                    $"the calibration file '{path}' holds a TensorProto of data_type {dataType}; QuantGen reads float32 (data_type 1) tensors.", path);
            var shape = new int[dims.Count];
            for (int i = 0; i < shape.Length; i++)
            {
                if (dims[i] < 0 || dims[i] > int.MaxValue) throw Malformed(path, $"dimension {dims[i]} is out of range");
                shape[i] = (int)dims[i];
            }
            long count = Tensor.ElementCountOf(shape);
            float[] data;
            if (raw != null)
            {
                if (raw.Length != count * 4) throw Malformed(path, $"raw_data has {raw.Length} bytes but shape [{string.Join(",", shape)}] needs {count * 4}");
                data = new float[count];
                if (BitConverter.IsLittleEndian) Buffer.BlockCopy(raw, 0, data, 0, raw.Length);
                else for (int i = 0; i < data.Length; i++) { Array.Reverse(raw, i * 4, 4); data[i] = BitConverter.ToSingle(raw, i * 4); }
            }
            else
            {
                if (floats.Count != count) throw Malformed(path, $"float_data has {floats.Count} values but shape [{string.Join(",", shape)}] needs {count}");
                data = floats.ToArray();
            }
            return Tensor.FromFloats(shape, data);
        }

        private static ulong Varint(byte[] b, ref int pos)
        {
            ulong result = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                byte x = b[pos++];
                result |= (ulong)(x & 0x7F) << shift;
                if ((x & 0x80) == 0) return result;
            }
            throw new IndexOutOfRangeException();
        }

        private static float Fixed32(byte[] b, ref int pos)
        {
            if (pos + 4 > b.Length) throw new IndexOutOfRangeException();
            var v = BitConverter.IsLittleEndian ? BitConverter.ToSingle(b, pos) : BitConverter.ToSingle(new[] { b[pos + 3], b[pos + 2], b[pos + 1], b[pos] }, 0);
            pos += 4;
            return v;
        }

        private static int LengthEnd(byte[] b, ref int pos, string path)
        {
            ulong length = Varint(b, ref pos);
            if (length > (ulong)(b.Length - pos)) throw Malformed(path, "a length-delimited field runs past the end of the file (truncated)");
            return pos + (int)length;
        }

        private static void Skip(byte[] b, ref int pos, int wire, string path)
        {
            switch (wire)
            {
                case 0: Varint(b, ref pos); break;
                case 1: pos += 8; break;
                case 2: pos = LengthEnd(b, ref pos, path); break;
                case 5: pos += 4; break;
                default: throw Malformed(path, $"wire type {wire}");
            }
            if (pos > b.Length) throw new IndexOutOfRangeException();
        }

        private static Diagnostics.CompilerException Malformed(string path, string why) =>
            CalibrationDiagnostics.Error(CalibrationDiagnostics.DataUnreadable, $"the calibration file '{path}' is not a valid ONNX TensorProto: {why}.", path);
    }
}
