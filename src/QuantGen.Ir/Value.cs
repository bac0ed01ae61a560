// A tensor-valued edge of the graph: a graph input, an initializer, or a node output.
using System.Linq;

namespace QuantGen.Ir
{
    public sealed class Value
    {
        public Value(string name, DataType type = DataType.Undefined, int[]? shape = null)
        {
            Name = name;
            Type = type;
            Shape = shape;
        }

        /// <summary>The ONNX name; unique within a graph.</summary>
        public string Name { get; set; }

        public DataType Type { get; set; }

        /// <summary>
        /// Static dimensions, or null before shape inference. When <see cref="IsBatched"/> is set the
        /// leading axis is the model's symbolic batch axis and is stored here as 1 (one sample).
        /// </summary>
        public int[]? Shape { get; set; }

        /// <summary>The leading axis is the symbolic batch axis; the compiled code runs one sample at a time.</summary>
        public bool IsBatched { get; set; }

        /// <summary>Known data (initializer or folded constant), or null for a runtime value.</summary>
        public Tensor? Constant { get; set; }

        /// <summary>The node that produces this value, or null for graph inputs and constants.</summary>
        public Node? Producer { get; set; }

        public bool IsConstant => Constant != null;

        public int Rank => Shape?.Length ?? -1;

        public long ElementCount => Shape == null ? -1 : Tensor.ElementCountOf(Shape);

        public override string ToString() =>
            $"{Name}: {DataTypes.Name(Type)}[{(Shape == null ? "?" : string.Join(",", Shape.Select((d, i) => i == 0 && IsBatched ? "N" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))))}]";
    }
}
