// The lowered program: buffers (where each tensor lives) and kernel calls over them, before memory
// planning assigns workspace offsets and before it is written as a plan.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir;
using QuantGen.Plan;

namespace QuantGen.Compiler.Lowering
{
    public enum BufferKind
    {
        /// <summary>Public input (read-only): the caller's span for the current sample.</summary>
        Input,

        /// <summary>Public output: the caller's span for the current sample.</summary>
        Output,

        /// <summary>Build-time data in the weight blob, already in the kernel's layout.</summary>
        Constant,

        /// <summary>Intermediate data in the workspace; placed by the memory planner.</summary>
        Workspace,
    }

    /// <summary>Memory order of a rank-4 activation.</summary>
    public enum Layout
    {
        /// <summary>The ONNX order (NCHW for images); every tensor that is not rank-4 is in this order.</summary>
        Logical,

        /// <summary>Channels last: the order the convolution and pooling kernels use.</summary>
        Nhwc,
    }

    public sealed class Buffer
    {
        public Buffer(string name, BufferKind kind, DataType type, long elements)
        {
            Name = name;
            Kind = kind;
            Type = type;
            Elements = elements;
        }

        public string Name { get; }
        public BufferKind Kind { get; set; }
        public DataType Type { get; }
        public long Elements { get; }

        /// <summary>Input/output ordinal for <see cref="BufferKind.Input"/> and <see cref="BufferKind.Output"/>.</summary>
        public int Index { get; set; }

        /// <summary>Constant data in kernel layout.</summary>
        public Tensor? Data { get; set; }

        /// <summary>Set when this buffer is another buffer's memory seen with another shape (Flatten, Reshape…).</summary>
        public Buffer? ViewOf { get; set; }

        public Buffer Root => ViewOf?.Root ?? this;

        /// <summary>For a view: where it starts inside <see cref="ViewOf"/>, in elements (one image of a batch, say).</summary>
        public long ViewOffset { get; set; }

        /// <summary>Bytes from the start of <see cref="Root"/> to the start of this buffer.</summary>
        public long ByteOffsetInRoot => ViewOf == null ? 0 : ViewOf.ByteOffsetInRoot + ViewOffset * DataTypes.SizeOf(Type);

        /// <summary>Byte offset in the workspace or weight blob, set by planning.</summary>
        public long Offset { get; set; } = -1;

        public long Bytes => Elements * DataTypes.SizeOf(Type);

        public override string ToString() => $"{Name} ({Kind}, {Elements} x {DataTypes.Name(Type)})";
    }

    /// <summary>
    /// One kernel call: a catalog signature and its arguments, set by key (<see cref="KernelParameters"/>) in any order and
    /// kept in the signature's order. A key the kernel does not take, a value set twice, a null where an operand is
    /// required or an operand of the wrong element type throws at once; <see cref="Validate"/> also throws for a missing one.
    /// </summary>
    public sealed class KernelCall
    {
        private static readonly object s_unset = new object();
        private readonly object?[] _values;

        public KernelCall(KernelSignature kernel, string source)
        {
            Signature = kernel;
            Source = source;
            _values = new object?[kernel.Parameters.Length];
            for (int i = 0; i < _values.Length; i++) _values[i] = s_unset;
        }

        public KernelSignature Signature { get; }

        /// <summary>The plan name of the kernel.</summary>
        public string Kernel => Signature.Name;

        public string Source { get; }

        /// <summary>The arguments set so far, in the signature's order. Values: Buffer, null (absent operand), long, float, long[], or Symbol.</summary>
        public IEnumerable<KeyValuePair<string, object?>> Arguments
        {
            get
            {
                for (int i = 0; i < _values.Length; i++)
                    if (!ReferenceEquals(_values[i], s_unset)) yield return new KeyValuePair<string, object?>(Signature.Parameters[i].Name, _values[i]);
            }
        }

        /// <summary>Every buffer the call reads or writes.</summary>
        public IEnumerable<Buffer> Buffers => _values.OfType<Buffer>();

        public KernelCall Set(TensorKey key, Buffer? value)
        {
            var p = Signature.Parameters[Slot(key)];
            if (value == null && !p.Optional) throw Wrong(key, "is a required operand but was given none");
            if (value != null && p.ElementType is { } type && PlanTypes.Of(value.Type) != type)
                throw Wrong(key, $"needs {PlanElementTypes.Name(type)} data but was given {value}");
            return Put(key, value);
        }

        public KernelCall Set(IntKey key, long value) => Put(key, value);

        public KernelCall Set(FloatKey key, float value) => Put(key, value);

        public KernelCall Set(IntsKey key, long[] value) => Put(key, value);

        public KernelCall Set(IntsKey key, IEnumerable<int> value) => Put(key, value.Select(v => (long)v).ToArray());

        /// <summary>A symbol: a member name of the parameter's kernel enum (e.g. "Relu" of Activation).</summary>
        public KernelCall Set(SymbolKey key, string member) => Put(key, new Symbol(member));

        public Buffer? Get(TensorKey key) => (Buffer?)Value(key);

        public long Get(IntKey key) => (long)Value(key)!;

        public float Get(FloatKey key) => (float)Value(key)!;

        public long[] Get(IntsKey key) => (long[])Value(key)!;

        public string Get(SymbolKey key) => ((Symbol)Value(key)!).Name;

        /// <summary>Throws unless every parameter is set and the kernel's generic operands share one element type.</summary>
        public void Validate()
        {
            DataType? generic = null;
            for (int i = 0; i < _values.Length; i++)
            {
                var p = Signature.Parameters[i];
                if (ReferenceEquals(_values[i], s_unset))
                    throw new InvalidOperationException($"{Kernel} (node '{Source}'): argument '{p.Name}' was never set.");
                if (p.Kind == KernelParameterKind.Tensor && p.ElementType == null && _values[i] is Buffer b)
                {
                    if (generic != null && generic != b.Type)
                        throw new InvalidOperationException($"{Kernel} (node '{Source}'): '{p.Name}' is {DataTypes.Name(b.Type)}, other operands are {DataTypes.Name(generic.Value)}.");
                    generic = b.Type;
                }
            }
        }

        private KernelCall Put(ParameterKey key, object? value)
        {
            int i = Slot(key);
            if (!ReferenceEquals(_values[i], s_unset)) throw Wrong(key, "is set twice");
            _values[i] = value;
            return this;
        }

        private object? Value(ParameterKey key)
        {
            var value = _values[Slot(key)];
            return ReferenceEquals(value, s_unset) ? throw Wrong(key, "was never set") : value;
        }

        private int Slot(ParameterKey key)
        {
            int i = Signature.IndexOf(key);
            return i >= 0 ? i : throw Wrong(key, "is not a parameter of this kernel");
        }

        private InvalidOperationException Wrong(ParameterKey key, string what) =>
            new InvalidOperationException($"{Kernel} (node '{Source}'): argument '{key.Name}' {what}.");
    }

    /// <summary>An enum member name for a Symbol argument (e.g. Activation.Relu → "Relu").</summary>
    public sealed class Symbol
    {
        public Symbol(string name) { Name = name; }

        public string Name { get; }
    }

    public sealed class LoweredProgram
    {
        public List<Buffer> Buffers { get; } = new List<Buffer>();
        public List<KernelCall> Calls { get; } = new List<KernelCall>();
        public List<Buffer> Inputs { get; } = new List<Buffer>();
        public List<Buffer> Outputs { get; } = new List<Buffer>();
    }

    /// <summary>The plan's name for each IR element type a buffer can hold.</summary>
    public static class PlanTypes
    {
        public static PlanElementType Of(DataType type) => type switch
        {
            DataType.Float32 => PlanElementType.Float32,
            DataType.Float64 => PlanElementType.Float64,
            DataType.UInt8 => PlanElementType.UInt8,
            DataType.Int8 => PlanElementType.Int8,
            DataType.Int16 => PlanElementType.Int16,
            DataType.UInt16 => PlanElementType.UInt16,
            DataType.Int32 => PlanElementType.Int32,
            DataType.Int64 => PlanElementType.Int64,
            DataType.Bool => PlanElementType.Bool,
            _ => throw new NotSupportedException($"{DataTypes.Name(type)} tensors cannot be planned."),
        };
    }
}
