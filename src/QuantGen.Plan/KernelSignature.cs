// What the plan knows about one kernel: its name, the C# method behind it, its parameters in call order, and the memory
// each operand must span. Declared in the catalog with KernelSignature.Define(...), from the keys of KernelParameters.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace QuantGen.Plan
{
    public enum KernelParameterKind
    {
        /// <summary>A pointer to elements (a <see cref="PlanOperand"/> in the plan; may be null when optional).</summary>
        Tensor,
        Int,
        Float,
        Ints,
        Floats,

        /// <summary>A member of a kernel enum (<see cref="KernelParameter.SymbolType"/>).</summary>
        Symbol,
    }

    /// <summary>How a tensor the kernel writes may share memory with the step's other tensors (PlanValidator checks it).</summary>
    public enum KernelOverlap
    {
        /// <summary>Apart from every other operand of the step: the kernel reads its inputs after it has begun writing.</summary>
        None,

        /// <summary>
        /// May be exactly one of <see cref="KernelParameter.OverlapWith"/> (same memory, same first byte, at least as long as
        /// the output): the kernel reads each element before it writes that position. Apart from everything else.
        /// </summary>
        InPlace,

        /// <summary>May overlap <see cref="KernelParameter.OverlapWith"/> in any way (the kernel moves memory as memmove does).</summary>
        Any,
    }

    public sealed class KernelParameter
    {
        public KernelParameter(string name, KernelParameterKind kind, PlanElementType? elementType = null, bool optional = false, string? symbolType = null)
        {
            Name = name;
            Kind = kind;
            ElementType = elementType;
            Optional = optional;
            SymbolType = symbolType;
        }

        /// <summary>The kernel writes this tensor (every tensor not marked so it only reads).</summary>
        public bool IsWritten { get; private set; }

        /// <summary>For a written tensor: how it may share memory with the tensors named in <see cref="OverlapWith"/>.</summary>
        public KernelOverlap Overlap { get; private set; }

        /// <summary>The read tensors a written one may share memory with, as <see cref="Overlap"/> says.</summary>
        public string[] OverlapWith { get; private set; } = Array.Empty<string>();

        /// <summary>This tensor, written by the kernel and apart from every other operand of the step.</summary>
        public KernelParameter Writes() => Writes(KernelOverlap.None);

        /// <summary>This tensor, written by the kernel, which may share memory with <paramref name="with"/> as <paramref name="overlap"/> says.</summary>
        public KernelParameter Writes(KernelOverlap overlap, params string[] with) =>
            new KernelParameter(Name, Kind, ElementType, Optional, SymbolType) { IsWritten = true, Overlap = overlap, OverlapWith = with };

        public string Name { get; }
        public KernelParameterKind Kind { get; }

        /// <summary>For tensors: the required element type, or null when the kernel is generic over it.</summary>
        public PlanElementType? ElementType { get; }

        /// <summary>A null operand is allowed (e.g. a missing bias).</summary>
        public bool Optional { get; }

        /// <summary>For symbols: the kernel enum's simple name (e.g. "Activation").</summary>
        public string? SymbolType { get; }
    }

    /// <summary>
    /// One kernel: plan name (e.g. "ConvF32.Depthwise"), the static C# method in the kernel library (namespace
    /// QuantGen.Kernels), its parameters in call order, and a check that every operand is at least as long as the kernel
    /// will touch given the integer arguments (so generated code never reads or writes out of bounds).
    /// </summary>
    public sealed class KernelSignature
    {
        public KernelSignature(string name, string method, bool isGeneric, KernelParameter[] parameters, Func<StepArguments, string?> checkExtents)
        {
            Name = name;
            Method = method;
            IsGeneric = isGeneric;
            Parameters = parameters;
            CheckExtents = checkExtents;
        }

        public string Name { get; }

        /// <summary>Type-qualified method name inside namespace QuantGen.Kernels, e.g. "ConvF32.Depthwise".</summary>
        public string Method { get; }

        /// <summary>The method takes one type argument T: the element type of its tensor parameters whose element type is not fixed (null).</summary>
        public bool IsGeneric { get; }

        public KernelParameter[] Parameters { get; }

        /// <summary>Returns an error message when an operand is shorter than the kernel's access, else null.</summary>
        public Func<StepArguments, string?> CheckExtents { get; }

        /// <summary>The position of <paramref name="key"/> among <see cref="Parameters"/>, or −1.</summary>
        public int IndexOf(ParameterKey key)
        {
            for (int i = 0; i < Parameters.Length; i++)
                if (Parameters[i].Name == key.Name && Parameters[i].Kind == key.Kind) return i;
            return -1;
        }

        public override string ToString() => Name;

        /// <summary>
        /// Starts a signature: list its parameters in the kernel method's order, then finish with <see cref="Builder.Extents"/>.
        /// <paramref name="method"/> defaults to <paramref name="name"/>.
        /// </summary>
        public static Builder Define(string name, string? method = null) => new Builder(name, method ?? name);

        /// <summary>
        /// Declares a signature's parameters in order: the element type of a tensor is the method that adds it; a tensor is
        /// read unless marked <see cref="TensorKey.Written"/> (or <see cref="TensorKey.WrittenOver"/>), optional when marked so.
        /// </summary>
        public sealed class Builder
        {
            private readonly string _name, _method;
            private readonly List<KernelParameter> _parameters = new List<KernelParameter>();

            internal Builder(string name, string method)
            {
                _name = name;
                _method = method;
            }

            public Builder F32(params TensorSlot[] tensors) => Tensors(PlanElementType.Float32, tensors);

            public Builder U8(params TensorSlot[] tensors) => Tensors(PlanElementType.UInt8, tensors);

            public Builder S8(params TensorSlot[] tensors) => Tensors(PlanElementType.Int8, tensors);

            public Builder I32(params TensorSlot[] tensors) => Tensors(PlanElementType.Int32, tensors);

            public Builder I64(params TensorSlot[] tensors) => Tensors(PlanElementType.Int64, tensors);

            public Builder Bool(params TensorSlot[] tensors) => Tensors(PlanElementType.Bool, tensors);

            /// <summary>Tensors of the method's type argument T (any element type, the same for all of them).</summary>
            public Builder Generic(params TensorSlot[] tensors) => Tensors(null, tensors);

            public Builder Int(params IntKey[] keys)
            {
                foreach (var k in keys) _parameters.Add(new KernelParameter(k.Name, KernelParameterKind.Int));
                return this;
            }

            public Builder Float(params FloatKey[] keys)
            {
                foreach (var k in keys) _parameters.Add(new KernelParameter(k.Name, KernelParameterKind.Float));
                return this;
            }

            public Builder Ints(params IntsKey[] keys)
            {
                foreach (var k in keys) _parameters.Add(new KernelParameter(k.Name, KernelParameterKind.Ints));
                return this;
            }

            public Builder Symbol(SymbolKey key)
            {
                _parameters.Add(new KernelParameter(key.Name, KernelParameterKind.Symbol, symbolType: key.SymbolType));
                return this;
            }

            /// <summary>A fused activation: <c>act</c>, <c>alpha</c>, <c>beta</c>.</summary>
            public Builder Activation() => Symbol(KernelParameters.Act).Float(KernelParameters.Alpha, KernelParameters.Beta);

            /// <summary>Finishes the signature with its extent check and adds it to <see cref="KernelCatalog.All"/>.</summary>
            public KernelSignature Extents(Func<StepArguments, string?> checkExtents)
            {
                bool generic = _parameters.Exists(p => p.Kind == KernelParameterKind.Tensor && p.ElementType == null);
                var signature = new KernelSignature(_name, _method, generic, _parameters.ToArray(), checkExtents);
                KernelCatalog.Register(signature);
                return signature;
            }

            private Builder Tensors(PlanElementType? type, TensorSlot[] tensors)
            {
                foreach (var t in tensors)
                {
                    var p = new KernelParameter(t.Key.Name, KernelParameterKind.Tensor, type, t.IsOptional);
                    _parameters.Add(t.IsWritten ? p.Writes(t.Overlap, t.OverlapWith.Select(k => k.Name).ToArray()) : p);
                }
                return this;
            }
        }
    }

    /// <summary>Typed access to a step's arguments for extent checks.</summary>
    public sealed class StepArguments
    {
        private readonly PlanStep _step;

        public StepArguments(PlanStep step) { _step = step; }

        public long this[IntKey key] => _step.Find(key.Name)!.Value.Int;

        public long[] this[IntsKey key] => _step.Find(key.Name)!.Value.Ints;

        /// <summary>The enum member a symbol argument names.</summary>
        public string this[SymbolKey key] => _step.Find(key.Name)!.Value.Symbol;

        /// <summary>Element count of an operand, or -1 when the operand is null.</summary>
        public long Length(TensorKey key) => _step.Find(key.Name)!.Value.Operand?.ElementCount ?? -1;

        /// <summary>Whether operands <paramref name="a"/> and <paramref name="b"/> start at the same byte of the same memory (one is written in place of the other).</summary>
        public bool SameStart(TensorKey a, TensorKey b) =>
            _step.Find(a.Name)!.Value.Operand is { } x && _step.Find(b.Name)!.Value.Operand is { } y && x.Region == y.Region && x.Index == y.Index && x.ByteOffset == y.ByteOffset;

        /// <summary>Checks that operand <paramref name="key"/> holds at least <paramref name="needed"/> elements.</summary>
        public string? AtLeast(TensorKey key, long needed)
        {
            long have = Length(key);
            if (have < 0 || have >= needed) return null;
            return string.Format(CultureInfo.InvariantCulture, "operand '{0}' has {1} elements but the kernel touches {2}", key.Name, have, needed);
        }

        /// <summary>The first non-null message of <paramref name="checks"/>.</summary>
        public static string? First(params string?[] checks)
        {
            foreach (var c in checks) if (c != null) return c;
            return null;
        }
    }
}
