// Argument values of plan steps: numbers, lists, symbols and memory operands.
using System;
using System.Globalization;

namespace QuantGen.Plan
{
    public enum PlanElementType
    {
        Float32,
        Float64,
        UInt8,
        Int8,
        Int16,
        UInt16,
        Int32,
        Int64,
        Bool,
    }

    public static class PlanElementTypes
    {
        public static int SizeOf(PlanElementType type) => type switch
        {
            PlanElementType.Float32 => 4,
            PlanElementType.Float64 => 8,
            PlanElementType.UInt8 => 1,
            PlanElementType.Int8 => 1,
            PlanElementType.Int16 => 2,
            PlanElementType.UInt16 => 2,
            PlanElementType.Int32 => 4,
            PlanElementType.Int64 => 8,
            PlanElementType.Bool => 1,
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };

        /// <summary>The C# element type of a tensor of <paramref name="type"/> in the kernels (bool tensors are bools).</summary>
        public static Type ClrType(PlanElementType type) => type switch
        {
            PlanElementType.Float32 => typeof(float),
            PlanElementType.Float64 => typeof(double),
            PlanElementType.UInt8 => typeof(byte),
            PlanElementType.Int8 => typeof(sbyte),
            PlanElementType.Int16 => typeof(short),
            PlanElementType.UInt16 => typeof(ushort),
            PlanElementType.Int32 => typeof(int),
            PlanElementType.Int64 => typeof(long),
            PlanElementType.Bool => typeof(bool),
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };

        /// <summary>The spelling used in plan files ("float32", "uint8", ...).</summary>
        public static string Name(PlanElementType type) => type switch
        {
            PlanElementType.Float32 => "float32",
            PlanElementType.Float64 => "float64",
            PlanElementType.UInt8 => "uint8",
            PlanElementType.Int8 => "int8",
            PlanElementType.Int16 => "int16",
            PlanElementType.UInt16 => "uint16",
            PlanElementType.Int32 => "int32",
            PlanElementType.Int64 => "int64",
            PlanElementType.Bool => "bool",
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };

        /// <summary>The C# keyword for the element type (bool tensors are stored as bytes).</summary>
        public static string CSharpName(PlanElementType type) => type switch
        {
            PlanElementType.Float32 => "float",
            PlanElementType.Float64 => "double",
            PlanElementType.UInt8 => "byte",
            PlanElementType.Int8 => "sbyte",
            PlanElementType.Int16 => "short",
            PlanElementType.UInt16 => "ushort",
            PlanElementType.Int32 => "int",
            PlanElementType.Int64 => "long",
            PlanElementType.Bool => "bool",
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };

        public static bool TryParse(string text, out PlanElementType type)
        {
            foreach (PlanElementType t in Enum.GetValues(typeof(PlanElementType)))
            {
                if (Name(t) == text)
                {
                    type = t;
                    return true;
                }
            }
            type = default;
            return false;
        }
    }

    /// <summary>Where an operand lives.</summary>
    public enum PlanRegion
    {
        /// <summary>The instance's workspace (arena), at a byte offset.</summary>
        Workspace,

        /// <summary>Public input number <see cref="PlanOperand.Index"/> (the current sample).</summary>
        Input,

        /// <summary>Public output number <see cref="PlanOperand.Index"/> (the current sample).</summary>
        Output,

        /// <summary>The model's weight blob, at a byte offset.</summary>
        Weights,
    }

    /// <summary>A typed memory range a kernel reads or writes: region, byte offset, element count.</summary>
    public sealed class PlanOperand : IEquatable<PlanOperand>
    {
        public PlanOperand(PlanRegion region, int index, long byteOffset, long elementCount, PlanElementType elementType)
        {
            Region = region;
            Index = index;
            ByteOffset = byteOffset;
            ElementCount = elementCount;
            ElementType = elementType;
        }

        public PlanRegion Region { get; }

        /// <summary>Input or output ordinal; 0 for the workspace and weights.</summary>
        public int Index { get; }

        public long ByteOffset { get; }

        public long ElementCount { get; }

        public PlanElementType ElementType { get; }

        public long ByteLength => ElementCount * PlanElementTypes.SizeOf(ElementType);

        public long End => ByteOffset + ByteLength;

        public static PlanOperand Workspace(long byteOffset, long elementCount, PlanElementType type) => new PlanOperand(PlanRegion.Workspace, 0, byteOffset, elementCount, type);

        public static PlanOperand Weights(long byteOffset, long elementCount, PlanElementType type) => new PlanOperand(PlanRegion.Weights, 0, byteOffset, elementCount, type);

        public static PlanOperand Input(int index, long byteOffset, long elementCount, PlanElementType type) => new PlanOperand(PlanRegion.Input, index, byteOffset, elementCount, type);

        public static PlanOperand Output(int index, long byteOffset, long elementCount, PlanElementType type) => new PlanOperand(PlanRegion.Output, index, byteOffset, elementCount, type);

        /// <summary>Plan-file spelling: ws@OFFSET:COUNT:TYPE, w@…, in0@…, out1@….</summary>
        public override string ToString()
        {
            string region = Region switch
            {
                PlanRegion.Workspace => "ws",
                PlanRegion.Weights => "w",
                PlanRegion.Input => "in" + Index.ToString(CultureInfo.InvariantCulture),
                _ => "out" + Index.ToString(CultureInfo.InvariantCulture),
            };
            return region + "@" + ByteOffset.ToString(CultureInfo.InvariantCulture) + ":" +
                   ElementCount.ToString(CultureInfo.InvariantCulture) + ":" + PlanElementTypes.Name(ElementType);
        }

        public bool Equals(PlanOperand? other) =>
            other is not null && Region == other.Region && Index == other.Index && ByteOffset == other.ByteOffset &&
            ElementCount == other.ElementCount && ElementType == other.ElementType;

        public override bool Equals(object? obj) => Equals(obj as PlanOperand);

        public override int GetHashCode() => unchecked((((int)Region * 31 + Index) * 31 + ByteOffset.GetHashCode()) * 31 + ElementCount.GetHashCode());
    }

    public enum PlanValueKind
    {
        Null,
        Int,
        Float,
        Ints,
        Floats,
        Symbol,
        Operand,
    }

    /// <summary>An argument value: an integer, a float, a list of either, a symbol (enum member name), an operand, or null.</summary>
    public sealed class PlanValue
    {
        /// <summary>Plan-file spelling of a list of integers: "ints[1,2]", "ints[]".</summary>
        public const string IntsPrefix = "ints";

        /// <summary>Plan-file spelling of a list of floats: "floats[0.5f,1f]", "floats[]".</summary>
        public const string FloatsPrefix = "floats";

        private PlanValue(PlanValueKind kind) { Kind = kind; }

        public PlanValueKind Kind { get; }
        public long Int { get; private set; }
        public float Float { get; private set; }
        public long[] Ints { get; private set; } = Array.Empty<long>();
        public float[] Floats { get; private set; } = Array.Empty<float>();
        public string Symbol { get; private set; } = "";
        public PlanOperand? Operand { get; private set; }

        public static readonly PlanValue Null = new PlanValue(PlanValueKind.Null);

        public static PlanValue Of(long value) => new PlanValue(PlanValueKind.Int) { Int = value };
        public static PlanValue Of(float value) => new PlanValue(PlanValueKind.Float) { Float = value };
        public static PlanValue Of(long[] values) => new PlanValue(PlanValueKind.Ints) { Ints = values };
        public static PlanValue Of(int[] values) => new PlanValue(PlanValueKind.Ints) { Ints = Array.ConvertAll(values, v => (long)v) };
        public static PlanValue Of(float[] values) => new PlanValue(PlanValueKind.Floats) { Floats = values };
        public static PlanValue Of(PlanOperand? operand) => operand == null ? Null : new PlanValue(PlanValueKind.Operand) { Operand = operand };
        public static PlanValue OfSymbol(string symbol) => new PlanValue(PlanValueKind.Symbol) { Symbol = symbol };

        /// <summary>Plan-file spelling. Floats are written round-trip ("R") so the generator emits the same bits.</summary>
        public override string ToString() => Kind switch
        {
            PlanValueKind.Null => "null",
            PlanValueKind.Int => Int.ToString(CultureInfo.InvariantCulture),
            PlanValueKind.Float => FormatFloat(Float),
            PlanValueKind.Ints => IntsPrefix + "[" + string.Join(",", Array.ConvertAll(Ints, v => v.ToString(CultureInfo.InvariantCulture))) + "]",
            PlanValueKind.Floats => FloatsPrefix + "[" + string.Join(",", Array.ConvertAll(Floats, FormatFloat)) + "]",
            PlanValueKind.Symbol => Symbol,
            _ => Operand!.ToString(),
        };

        /// <summary>Invariant, round-trip float text with an "f" suffix so it can never be read as an integer.</summary>
        public static string FormatFloat(float value)
        {
            if (float.IsPositiveInfinity(value)) return "inf" + "f";
            if (float.IsNegativeInfinity(value)) return "-inf" + "f";
            if (float.IsNaN(value)) return "nan" + "f";
            return value.ToString("R", CultureInfo.InvariantCulture) + "f";
        }
    }
}
