// Encodes an IR Tensor as a TensorProto with little-endian raw_data, the compact form every ONNX reader accepts.
using Google.Protobuf;
using QuantGen.Onnx.Proto;
using Tensor = QuantGen.Ir.Tensor;

namespace QuantGen.Onnx.Writing
{
    internal static class TensorWriter
    {
        public static TensorProto Write(Tensor tensor, string name)
        {
            var proto = new TensorProto { Name = name, DataType = (int)tensor.Type, RawData = ByteString.CopyFrom(tensor.ToBytes()) };
            foreach (int d in tensor.Shape) proto.Dims.Add(d);
            return proto;
        }
    }
}
