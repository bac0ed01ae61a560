// Lowering of the ai.onnx.ml operators: each node becomes kernel calls over buffers the host (the lowerer) provides.
using System.Linq;
using QuantGen.Compiler.Ir;
using QuantGen.Compiler.Operators;
using QuantGen.Compiler.Operators.Ml;

namespace QuantGen.Compiler.Lowering.Ml
{
    /// <summary>What a family's lowering needs from the lowerer: the buffers of values, constants, and calls.</summary>
    internal interface ILoweringHost
    {
        /// <summary>The value's data in the ONNX order (a constant from the weights).</summary>
        Buffer Input(Value value);

        /// <summary>The buffer a node writes <paramref name="value"/> into.</summary>
        Buffer Output(Value value);

        Buffer Constant(Tensor data, string name);

        Buffer Workspace(string name, DataType type, long elements);

        /// <summary><paramref name="elements"/> of <paramref name="source"/> from element <paramref name="offset"/>, without a copy.</summary>
        Buffer Slice(Buffer source, long offset, long elements, string name);

        KernelCall Call(string kernel);
    }

    internal static class MlLowering
    {
        public static void Lower(Node node, MlOperator op, ILoweringHost host)
        {
            switch (op)
            {
                case TreeEnsembleOperator trees: LowerTreeEnsemble(node, trees, host); break;
                case MlElementwiseOperator elementwise: elementwise.Lower(node, host); break;
                default: throw OperatorDefinition.Unsupported(node, "running this operator on data known only at run time");
            }
        }

        /// <summary>One TreeEnsembleF32 call per row (the batch axis is the generated Run's loop; a fixed [R, F] input is R calls).</summary>
        private static void LowerTreeEnsemble(Node node, TreeEnsembleOperator op, ILoweringHost host)
        {
            var e = op.Ensemble(node);
            var layout = TreeEnsembleLayout.Build(e);
            var x = host.Input(node.Input(0)!);
            bool classifier = e.Output == TreeOutput.Classifier;
            var scoresValue = classifier ? (node.Outputs.Count > 1 ? node.Outputs[1] : null) : node.Outputs[0];
            var y = scoresValue != null ? host.Output(scoresValue) : host.Workspace(node.Name + ".scores", DataType.Float32, e.Targets);
            var label = classifier ? host.Output(node.Outputs[0]) : null;
            int rows = (int)(x.Elements / e.Features);
            string name = node.Name;
            Buffer? Int32s(int[] data, string suffix) => data.Length == 0 ? null : host.Constant(new Tensor(DataType.Int32, new[] { data.Length }, data), name + suffix);
            var feature = Int32s(layout.Feature, ".feature");
            var threshold = layout.Threshold.Length == 0 ? null : host.Constant(Tensor.FromFloats(new[] { layout.Threshold.Length }, layout.Threshold), name + ".threshold");
            var leaf = Int32s(layout.Leaf, ".leaf");
            var child = Int32s(layout.Child, ".child");
            var root = layout.FlatNodes == 0 ? null : Int32s(layout.Root, ".root");
            var block = Int32s(layout.Block, ".block")!;
            var weightStart = Int32s(layout.WeightStart, ".weight_start")!;
            var weightClass = Int32s(layout.WeightClass, ".weight_class")!;
            var weightValue = host.Constant(Tensor.FromFloats(new[] { layout.WeightValue.Length }, layout.WeightValue), name + ".weight_value");
            var baseValues = e.BaseValues.Length == 0 ? null : host.Constant(Tensor.FromFloats(new[] { e.BaseValues.Length }, e.BaseValues), name + ".base_values");
            var classLabels = classifier ? host.Constant(Tensor.FromInt64s(new[] { e.ClassLabels.Length }, e.ClassLabels), name + ".class_labels") : null;
            var scratch = host.Workspace(name + ".leaves", DataType.Int32, layout.Blocks * TreeEnsembleLayout.BlockLanes + 2L * e.Targets);
            for (int r = 0; r < rows; r++)
            {
                host.Call("TreeEnsembleF32")
                    .Arg("x", Row(host, x, r, e.Features)).Arg("feature", feature).Arg("threshold", threshold).Arg("leaf", leaf).Arg("child", child).Arg("root", root)
                    .Arg("block", block).Arg("weightStart", weightStart).Arg("weightClass", weightClass).Arg("weightValue", weightValue)
                    .Arg("baseValues", baseValues).Arg("classLabels", classLabels).Arg("y", Row(host, y, r, e.Targets)).Arg("label", label == null ? null : Row(host, label, r, 1))
                    .Arg("scratch", scratch)
                    .Arg("features", e.Features).Arg("nodes", layout.Feature.Length).Arg("leafSlots", layout.Leaf.Length).Arg("flatNodes", layout.FlatNodes)
                    .Arg("leaves", layout.WeightStart.Length - 1).Arg("weights", layout.WeightValue.Length).Arg("trees", e.Roots.Length).Arg("blocks", layout.Blocks)
                    .Arg("classes", e.Targets).Arg("baseCount", e.BaseValues.Length).Arg("binaryCase", e.BinaryCase ? 1 : 0).Arg("allPositive", e.AllPositive ? 1 : 0)
                    .Arg("output", new Symbol(e.Output.ToString())).Arg("aggregate", new Symbol(e.Aggregate.ToString())).Arg("transform", new Symbol(e.Transform.ToString()));
            }
        }

        /// <summary>Row r of a [rows, length] buffer (the buffer itself for one row).</summary>
        internal static Buffer Row(ILoweringHost host, Buffer matrix, int r, long length) =>
            matrix.Elements == length ? matrix : host.Slice(matrix, r * length, length, $"{matrix.Name}[{r}]");
    }
}
