// Gives every IR value a unique ONNX name, keeping its own name whenever that is still free.
using System;
using System.Collections.Generic;
using System.Globalization;
using QuantGen.Ir;

namespace QuantGen.Onnx.Writing
{
    internal sealed class ValueNames
    {
        // Reference identity: rewrites may leave two distinct values with the same (or an empty) name.
        private readonly Dictionary<Value, string> _byValue = new Dictionary<Value, string>(ReferenceComparer.Instance);
        private readonly HashSet<string> _taken = new HashSet<string>(StringComparer.Ordinal);

        public void Reserve(Value value) => Of(value);

        public string Of(Value value)
        {
            if (_byValue.TryGetValue(value, out var name)) return name;
            string preferred = value.Name.Length > 0 ? value.Name : "value";
            name = preferred;
            for (int k = 2; !_taken.Add(name); k++) name = preferred + "_" + k.ToString(CultureInfo.InvariantCulture);
            _byValue.Add(value, name);
            return name;
        }

        private sealed class ReferenceComparer : IEqualityComparer<Value>
        {
            public static readonly ReferenceComparer Instance = new ReferenceComparer();
            public bool Equals(Value? x, Value? y) => ReferenceEquals(x, y);
            public int GetHashCode(Value obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
        }
    }
}
