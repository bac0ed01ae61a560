// Value names visible in a graph: its own values, then those of enclosing graphs (ONNX subgraph scoping).
using System;
using System.Collections.Generic;
using QuantGen.Ir;

namespace QuantGen.Onnx.Reading
{
    internal sealed class ValueScope
    {
        private readonly Dictionary<string, Value> _values = new Dictionary<string, Value>(StringComparer.Ordinal);
        private readonly ValueScope? _outer;

        public ValueScope(ValueScope? outer) { _outer = outer; }

        /// <summary>Adds a value; false when this graph already has one with the same name (ONNX names are SSA).</summary>
        public bool TryDeclare(Value value)
        {
            if (_values.ContainsKey(value.Name)) return false;
            _values.Add(value.Name, value);
            return true;
        }

        public Value? FindLocal(string name) => _values.TryGetValue(name, out var v) ? v : null;

        public Value? Find(string name) => FindLocal(name) ?? _outer?.Find(name);
    }
}
