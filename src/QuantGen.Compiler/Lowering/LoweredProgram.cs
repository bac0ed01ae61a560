// The lowered program: buffers (where each tensor lives) and kernel calls over them, before memory
// planning assigns workspace offsets and before it is written as a plan.
using System.Collections.Generic;
using QuantGen.Ir;

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

    /// <summary>One kernel call: the plan kernel name and its arguments in catalog order.</summary>
    public sealed class KernelCall
    {
        public KernelCall(string kernel, string source)
        {
            Kernel = kernel;
            Source = source;
        }

        public string Kernel { get; }
        public string Source { get; }

        /// <summary>Values: Buffer, null (absent operand), long, float, long[], or Symbol.</summary>
        public List<KeyValuePair<string, object?>> Arguments { get; } = new List<KeyValuePair<string, object?>>();

        public KernelCall Arg(string name, object? value)
        {
            Arguments.Add(new KeyValuePair<string, object?>(name, value is int i ? (long)i : value));
            return this;
        }
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
}
