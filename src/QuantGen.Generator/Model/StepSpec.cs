// One kernel call of a model, with its arguments as typed values (the emitter renders them).
namespace QuantGen.Generator.Model
{
    /// <summary>
    /// A call of <c>global::QuantGen.Kernels.{Method}</c> (with <see cref="TypeArgument"/> when the kernel is
    /// generic); <see cref="Source"/> names the ONNX node(s) for the comment above the call.
    /// </summary>
    internal sealed record StepSpec(string Source, string Method, string? TypeArgument, EquatableArray<ArgumentSpec> Arguments);

    internal enum ArgumentKind
    {
        /// <summary>An absent optional tensor: <c>null</c>.</summary>
        Null,

        /// <summary>An int literal (<see cref="ArgumentSpec.Number"/>).</summary>
        Int,

        /// <summary>A float literal; <see cref="ArgumentSpec.Number"/> holds its bits so -0 and NaN payloads compare exactly.</summary>
        Float,

        /// <summary>A ReadOnlySpan&lt;int&gt; of constants (<see cref="ArgumentSpec.Numbers"/>).</summary>
        Ints,

        /// <summary>A ReadOnlySpan&lt;float&gt; of constants (<see cref="ArgumentSpec.Numbers"/> hold the bits).</summary>
        Floats,

        /// <summary>A kernel enum member: <c>global::QuantGen.Kernels.{SymbolType}.{Symbol}</c> (<see cref="ArgumentSpec.Text"/>).</summary>
        Symbol,

        /// <summary>A pointer into the workspace at byte offset <see cref="ArgumentSpec.Number"/>.</summary>
        Workspace,

        /// <summary>A pointer into the weights at byte offset <see cref="ArgumentSpec.Number"/>.</summary>
        Weights,

        /// <summary>A pointer into input <see cref="ArgumentSpec.Index"/> (current sample) at byte offset <see cref="ArgumentSpec.Number"/>.</summary>
        Input,

        /// <summary>A pointer into output <see cref="ArgumentSpec.Index"/> (current sample) at byte offset <see cref="ArgumentSpec.Number"/>.</summary>
        Output,
    }

    /// <summary>
    /// One argument. Which fields matter depends on <see cref="Kind"/>; <see cref="ElementType"/> is the C#
    /// element type of a pointer argument, <see cref="Text"/> the "Type.Member" of a symbol.
    /// </summary>
    internal sealed record ArgumentSpec(string Name, ArgumentKind Kind, long Number, int Index, EquatableArray<long> Numbers, string Text, string ElementType)
    {
        public static ArgumentSpec Simple(string name, ArgumentKind kind, long number = 0) =>
            new ArgumentSpec(name, kind, number, 0, EquatableArray<long>.Empty, "", "");
    }
}
