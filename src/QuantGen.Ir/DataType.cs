// Element types of tensors, numbered as ONNX's TensorProto.DataType so the reader maps them 1:1.
namespace QuantGen.Ir
{
    public enum DataType
    {
        Undefined = 0,
        Float32 = 1,
        UInt8 = 2,
        Int8 = 3,
        UInt16 = 4,
        Int16 = 5,
        Int32 = 6,
        Int64 = 7,
        String = 8,
        Bool = 9,
        Float16 = 10,
        Float64 = 11,
        UInt32 = 12,
        UInt64 = 13,
    }

    public static class DataTypes
    {
        /// <summary>Bytes per element, or 0 for types the compiler does not compute with.</summary>
        public static int SizeOf(DataType type) => type switch
        {
            DataType.Float32 => 4,
            DataType.UInt8 => 1,
            DataType.Int8 => 1,
            DataType.UInt16 => 2,
            DataType.Int16 => 2,
            DataType.Int32 => 4,
            DataType.Int64 => 8,
            DataType.Bool => 1,
            DataType.Float16 => 2,
            DataType.Float64 => 8,
            DataType.UInt32 => 4,
            DataType.UInt64 => 8,
            _ => 0,
        };

        /// <summary>The lower-case ONNX spelling, used in messages and in the plan.</summary>
        public static string Name(DataType type) => type switch
        {
            DataType.Float32 => "float32",
            DataType.UInt8 => "uint8",
            DataType.Int8 => "int8",
            DataType.UInt16 => "uint16",
            DataType.Int16 => "int16",
            DataType.Int32 => "int32",
            DataType.Int64 => "int64",
            DataType.String => "string",
            DataType.Bool => "bool",
            DataType.Float16 => "float16",
            DataType.Float64 => "float64",
            DataType.UInt32 => "uint32",
            DataType.UInt64 => "uint64",
            _ => "undefined",
        };
    }
}
