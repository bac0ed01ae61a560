// Node attributes, as ONNX's AttributeProto: one typed value per name.
using System;
using System.Collections.Generic;

namespace QuantGen.Ir
{
    public enum AttributeKind
    {
        Float,
        Int,
        String,
        Tensor,
        Graph,
        Floats,
        Ints,
        Strings,
    }

    public sealed class Attribute
    {
        private Attribute(string name, AttributeKind kind) { Name = name; Kind = kind; }

        public string Name { get; }
        public AttributeKind Kind { get; }
        public float Float { get; private set; }
        public long Int { get; private set; }
        public string String { get; private set; } = "";
        public Tensor? Tensor { get; private set; }
        public Graph? Graph { get; private set; }
        public float[] Floats { get; private set; } = Array.Empty<float>();
        public long[] Ints { get; private set; } = Array.Empty<long>();
        public string[] Strings { get; private set; } = Array.Empty<string>();

        public static Attribute OfFloat(string name, float value) => new Attribute(name, AttributeKind.Float) { Float = value };
        public static Attribute OfInt(string name, long value) => new Attribute(name, AttributeKind.Int) { Int = value };
        public static Attribute OfString(string name, string value) => new Attribute(name, AttributeKind.String) { String = value };
        public static Attribute OfTensor(string name, Tensor value) => new Attribute(name, AttributeKind.Tensor) { Tensor = value };
        public static Attribute OfGraph(string name, Graph value) => new Attribute(name, AttributeKind.Graph) { Graph = value };
        public static Attribute OfFloats(string name, float[] value) => new Attribute(name, AttributeKind.Floats) { Floats = value };
        public static Attribute OfInts(string name, long[] value) => new Attribute(name, AttributeKind.Ints) { Ints = value };
        public static Attribute OfStrings(string name, string[] value) => new Attribute(name, AttributeKind.Strings) { Strings = value };
    }

    /// <summary>The attributes of one node, looked up by name with ONNX defaults.</summary>
    public sealed class AttributeMap
    {
        private readonly Dictionary<string, Attribute> _byName = new Dictionary<string, Attribute>(StringComparer.Ordinal);

        public IEnumerable<Attribute> All => _byName.Values;

        public IEnumerable<string> Names => _byName.Keys;

        public void Set(Attribute attribute) => _byName[attribute.Name] = attribute;

        public bool Remove(string name) => _byName.Remove(name);

        public bool Has(string name) => _byName.ContainsKey(name);

        public Attribute? Find(string name) => _byName.TryGetValue(name, out var a) ? a : null;

        public long GetInt(string name, long defaultValue) => Find(name) is { } a ? a.Int : defaultValue;

        public float GetFloat(string name, float defaultValue) => Find(name) is { } a ? a.Float : defaultValue;

        public string GetString(string name, string defaultValue) => Find(name) is { } a ? a.String : defaultValue;

        public long[]? GetInts(string name) => Find(name)?.Ints;

        public float[]? GetFloats(string name) => Find(name)?.Floats;

        public Tensor? GetTensor(string name) => Find(name)?.Tensor;

        public AttributeMap Clone()
        {
            var copy = new AttributeMap();
            foreach (var a in _byName.Values) copy.Set(a);
            return copy;
        }
    }
}
