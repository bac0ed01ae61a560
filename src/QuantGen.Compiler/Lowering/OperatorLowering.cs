// A family's lowering: which operator definitions it lowers, each with the method that turns such a node into kernel
// calls. The lowerer finds a node's method through its definition's type, so nothing depends on the order of a switch.
using System;
using System.Collections.Generic;
using QuantGen.Compiler.Operators;
using QuantGen.Ir;
using QuantGen.Plan;

namespace QuantGen.Compiler.Lowering
{
    internal abstract class OperatorLowering
    {
        private readonly List<Lowering> _lowerings = new List<Lowering>();

        protected OperatorLowering(LoweringContext context) { Context = context; }

        protected LoweringContext Context { get; }

        internal IReadOnlyList<Lowering> Lowerings => _lowerings;

        // The context's helpers, as the families use them on every line.
        protected KernelCall Emit(KernelSignature kernel) => Context.Emit(kernel);

        protected Buffer NewBuffer(string name, BufferKind kind, DataType type, long elements) => Context.NewBuffer(name, kind, type, elements);

        protected Buffer Constant(float[] data, string name) => Context.Constant(data, name);

        protected Buffer Constant(int[] data, string name) => Context.Constant(data, name);

        protected Buffer Constant(sbyte[] data, string name) => Context.Constant(data, name);

        protected Buffer ConstantOf(Tensor t, string name) => Context.ConstantOf(t, name);

        protected Buffer Logical(Value v) => Context.Logical(v);

        protected Buffer Nhwc(Value v) => Context.Nhwc(v);

        protected Buffer Produce(Value v, Layout layout) => Context.Produce(v, layout);

        /// <summary>
        /// Nodes whose definition is a <typeparamref name="TDefinition"/> (or derives from it) are lowered by
        /// <paramref name="lower"/>. Their run-time inputs must be float32 unless <paramref name="anyElementType"/>: kernels
        /// that only move or convert data take any element type a public span can carry.
        /// </summary>
        protected void Lowers<TDefinition>(Action<Node, TDefinition> lower, bool anyElementType = false) where TDefinition : OperatorDefinition =>
            _lowerings.Add(new Lowering(typeof(TDefinition), (node, op) => lower(node, (TDefinition)op), anyElementType));

        /// <inheritdoc cref="Lowers{TDefinition}(Action{Node, TDefinition}, bool)"/>
        protected void Lowers<TDefinition>(Action<Node> lower, bool anyElementType = false) where TDefinition : OperatorDefinition =>
            _lowerings.Add(new Lowering(typeof(TDefinition), (node, _) => lower(node), anyElementType));

        internal sealed class Lowering
        {
            public Lowering(Type definition, Action<Node, OperatorDefinition> lower, bool anyElementType)
            {
                Definition = definition;
                Lower = lower;
                AnyElementType = anyElementType;
            }

            public Type Definition { get; }
            public Action<Node, OperatorDefinition> Lower { get; }
            public bool AnyElementType { get; }
        }
    }

    /// <summary>
    /// A lowering that runs some nodes in integer arithmetic whatever their float family: the calibrated INT8 scheme's
    /// integer nodes, or Int8Dynamic's matrix products. The lowerer asks it first.
    /// </summary>
    internal abstract class IntegerLowering : OperatorLowering
    {
        private LoweringTable? _table;

        protected IntegerLowering(LoweringContext context) : base(context) { }

        /// <summary>Whether <paramref name="node"/> runs in integers here.</summary>
        public abstract bool Runs(Node node, OperatorDefinition op);

        public void Lower(Node node, OperatorDefinition op)
        {
            _table ??= new LoweringTable(this);
            var lowering = _table.Find(op) ?? throw NotInIntegers(node);
            lowering.Lower(node, op);
        }

        /// <summary>The scheme asked for integer arithmetic this lowering does not have.</summary>
        protected abstract Exception NotInIntegers(Node node);
    }

    /// <summary>Definition type → its lowering, over a set of families; two families lowering one definition is an error.</summary>
    internal sealed class LoweringTable
    {
        private readonly Dictionary<Type, OperatorLowering.Lowering> _byDefinition = new Dictionary<Type, OperatorLowering.Lowering>();

        public LoweringTable(params OperatorLowering[] families)
        {
            foreach (var family in families)
                foreach (var lowering in family.Lowerings)
                {
                    if (_byDefinition.ContainsKey(lowering.Definition))
                        throw new InvalidOperationException($"{lowering.Definition.Name} has two lowerings (the second in {family.GetType().Name}).");
                    _byDefinition.Add(lowering.Definition, lowering);
                }
        }

        /// <summary>The lowering of the definition's own type, else of the nearest base type that has one; null when none does.</summary>
        public OperatorLowering.Lowering? Find(OperatorDefinition op)
        {
            for (var type = op.GetType(); type != null && type != typeof(OperatorDefinition); type = type.BaseType)
                if (_byDefinition.TryGetValue(type, out var lowering)) return lowering;
            return null;
        }
    }
}
