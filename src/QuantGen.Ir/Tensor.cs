// A dense tensor held in memory: constants (initializers, folded values) and evaluator values.
using System;
using System.Linq;

namespace QuantGen.Ir
{
    /// <summary>
    /// Row-major data with a static shape. <see cref="Data"/> is a typed array whose element type
    /// follows <see cref="Type"/>: float[] (Float32), double[] (Float64), long[] (Int64), int[] (Int32),
    /// byte[] (UInt8, Bool), sbyte[] (Int8), short[] (Int16), ushort[] (UInt16, Float16 bits).
    /// </summary>
    public sealed class Tensor
    {
        public Tensor(DataType type, int[] shape, Array data)
        {
            Type = type;
            Shape = shape ?? throw new ArgumentNullException(nameof(shape));
            Data = data ?? throw new ArgumentNullException(nameof(data));
            long count = ElementCountOf(shape);
            if (data.Length != count)
                throw new ArgumentException($"Tensor data has {data.Length} elements but shape [{string.Join(",", shape)}] needs {count}.", nameof(data));
            if (data.GetType().GetElementType() != StorageType(type))
                throw new ArgumentException($"Tensor of type {DataTypes.Name(type)} cannot be stored in {data.GetType().Name}.", nameof(data));
        }

        public DataType Type { get; }
        public int[] Shape { get; }
        public Array Data { get; }
        public int Rank => Shape.Length;
        public int ElementCount => Data.Length;

        public float[] Floats => (float[])Data;
        public long[] Int64s => (long[])Data;
        public int[] Int32s => (int[])Data;
        public byte[] Bytes => (byte[])Data;
        public sbyte[] SBytes => (sbyte[])Data;
        public double[] Doubles => (double[])Data;

        public static Tensor Create(DataType type, int[] shape) =>
            new Tensor(type, shape, Array.CreateInstance(StorageType(type), checked((int)ElementCountOf(shape))));

        public static Tensor FromFloats(int[] shape, float[] data) => new Tensor(DataType.Float32, shape, data);
        public static Tensor FromInt64s(int[] shape, long[] data) => new Tensor(DataType.Int64, shape, data);
        public static Tensor Scalar(float value) => new Tensor(DataType.Float32, Array.Empty<int>(), new[] { value });
        public static Tensor Scalar(long value) => new Tensor(DataType.Int64, Array.Empty<int>(), new[] { value });

        /// <summary>The CLR element type that stores elements of <paramref name="type"/>.</summary>
        public static Type StorageType(DataType type) => type switch
        {
            DataType.Float32 => typeof(float),
            DataType.Float64 => typeof(double),
            DataType.Int64 => typeof(long),
            DataType.Int32 => typeof(int),
            DataType.UInt8 => typeof(byte),
            DataType.Bool => typeof(byte),
            DataType.Int8 => typeof(sbyte),
            DataType.Int16 => typeof(short),
            DataType.UInt16 => typeof(ushort),
            DataType.Float16 => typeof(ushort),
            DataType.UInt32 => typeof(uint),
            DataType.UInt64 => typeof(ulong),
            _ => throw new NotSupportedException($"Tensors of type {DataTypes.Name(type)} are not supported."),
        };

        public static long ElementCountOf(int[] shape)
        {
            long count = 1;
            foreach (int d in shape)
            {
                if (d < 0) throw new ArgumentException($"Shape [{string.Join(",", shape)}] has a negative dimension.");
                count *= d;
            }
            return count;
        }

        // Dispatch on Type, not on the array's runtime type: the runtime's array covariance lets an sbyte[] match byte[]
        // (short[]/ushort[], int[]/uint[], long[]/ulong[] likewise), which read int8 −3 as 253.

        /// <summary>Element <paramref name="index"/> converted to double (any numeric type).</summary>
        public double GetDouble(int index) => Type switch
        {
            DataType.Float32 => ((float[])Data)[index],
            DataType.Float64 => ((double[])Data)[index],
            DataType.UInt64 => ((ulong[])Data)[index],
            _ => GetInt64(index),
        };

        /// <summary>Element <paramref name="index"/> as a 64-bit integer (integer and bool types).</summary>
        public long GetInt64(int index) => Type switch
        {
            DataType.Int64 => ((long[])Data)[index],
            DataType.Int32 => ((int[])Data)[index],
            DataType.Int8 => ((sbyte[])Data)[index],
            DataType.UInt8 or DataType.Bool => ((byte[])Data)[index],
            DataType.Int16 => ((short[])Data)[index],
            DataType.UInt16 or DataType.Float16 => ((ushort[])Data)[index],
            DataType.UInt32 => ((uint[])Data)[index],
            DataType.UInt64 => (long)((ulong[])Data)[index],
            DataType.Float32 => (long)((float[])Data)[index],
            DataType.Float64 => (long)((double[])Data)[index],
            _ => throw new NotSupportedException(),
        };

        /// <summary>All elements as 64-bit integers (shape inputs such as Reshape's shape or Slice's starts).</summary>
        public long[] ToInt64Array()
        {
            var result = new long[ElementCount];
            for (int i = 0; i < result.Length; i++) result[i] = GetInt64(i);
            return result;
        }

        public float[] ToFloatArray()
        {
            if (Data is float[] f) return f;
            var result = new float[ElementCount];
            for (int i = 0; i < result.Length; i++) result[i] = (float)GetDouble(i);
            return result;
        }

        /// <summary>The same data seen with another shape of equal element count.</summary>
        public Tensor Reshape(int[] shape) => new Tensor(Type, shape, Data);

        /// <summary>Raw little-endian bytes of the data, as stored in plans and ONNX raw_data.</summary>
        public byte[] ToBytes()
        {
            int size = DataTypes.SizeOf(Type);
            var bytes = new byte[ElementCount * size];
            Buffer.BlockCopy(Data, 0, bytes, 0, bytes.Length);
            return bytes;
        }

        public override string ToString() => $"{DataTypes.Name(Type)}[{string.Join(",", Shape.Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
    }
}
