// Lowering of the ai.onnx.ml operators: tree ensembles here; the preprocessing operators and linear models lower
// themselves (MlElementwiseOperator.Lower) through the small ILoweringHost this family gives them.
using QuantGen.Compiler.Operators;
using QuantGen.Compiler.Operators.Ml;
using QuantGen.Ir;
using QuantGen.Kernels;
using QuantGen.Plan;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Compiler.Lowering.Ml
{
    /// <summary>What an ai.onnx.ml operator's lowering needs: the buffers of values, constants, and typed kernel calls.</summary>
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

        /// <summary>A call of <paramref name="kernel"/> for the node being lowered; set its arguments on it.</summary>
        KernelCall Call(KernelSignature kernel);
    }

    internal sealed class MlLowering : OperatorLowering
    {
        private readonly ILoweringHost _host;

        public MlLowering(LoweringContext context) : base(context)
        {
            _host = new Host(context);
            // Labels, categories and keys are int64: the float32 type rule does not apply.
            Lowers<TreeEnsembleOperator>(LowerTreeEnsemble, anyElementType: true);
            Lowers<MlElementwiseOperator>((node, op) => op.Lower(node, _host), anyElementType: true);
        }

        /// <summary>One TreeEnsembleF32 call per row (the batch axis is the generated Run's loop; a fixed [R, F] input is R calls).</summary>
        private void LowerTreeEnsemble(Node node, TreeEnsembleOperator op)
        {
            var e = op.Ensemble(node);
            var layout = TreeEnsembleLayout.Build(e);
            var x = _host.Input(node.Input(0)!);
            bool classifier = e.Output == TreeOutput.Classifier;
            var scoresValue = classifier ? (node.Outputs.Count > 1 ? node.Outputs[1] : null) : node.Outputs[0];
            var y = scoresValue != null ? _host.Output(scoresValue) : _host.Workspace(node.Name + ".scores", DataType.Float32, e.Targets);
            var label = classifier ? _host.Output(node.Outputs[0]) : null;
            int rows = (int)(x.Elements / e.Features);
            LoweringContext.RequireFewImages(node, rows, "rows");
            string name = node.Name;
            Buffer? Int32s(int[] data, string suffix) => data.Length == 0 ? null : _host.Constant(new Tensor(DataType.Int32, new[] { data.Length }, data), name + suffix);
            Buffer? Floats(float[] data, string suffix) => data.Length == 0 ? null : _host.Constant(Tensor.FromFloats(new[] { data.Length }, data), name + suffix);
            var feature = Int32s(layout.Feature, ".feature");
            var threshold = Floats(layout.Threshold, ".threshold");
            var packed = Int32s(layout.Node, ".node");
            var leaf = Int32s(layout.Leaf, ".leaf");
            var child = Int32s(layout.Child, ".child");
            var root = layout.FlatNodes == 0 ? null : Int32s(layout.Root, ".root");
            var block = Int32s(layout.Block, ".block")!;
            var treeClass = Int32s(layout.TreeClass, ".tree_class");
            var weightStart = Int32s(layout.WeightStart, ".weight_start");
            var weightClass = Int32s(layout.WeightClass, ".weight_class");
            var weightValue = Floats(layout.WeightValue, ".weight_value");
            var baseValues = Floats(e.BaseValues, ".base_values");
            var classLabels = classifier ? _host.Constant(Tensor.FromInt64s(new[] { e.ClassLabels.Length }, e.ClassLabels), name + ".class_labels") : null;
            var scratch = _host.Workspace(name + ".leaves", DataType.Int32, TreeLayout.ScratchLength(layout.Blocks, e.Targets));
            for (int r = 0; r < rows; r++)
            {
                _host.Call(KernelCatalog.TreeEnsembleF32)
                    .Set(X, Row(_host, x, r, e.Features)).Set(Feature, feature).Set(Thresholds, threshold).Set(PackedNodes, packed).Set(Leaf, leaf)
                    .Set(Child, child).Set(Root, root).Set(Block, block).Set(TreeClass, treeClass)
                    .Set(WeightStart, weightStart).Set(WeightClass, weightClass).Set(WeightValue, weightValue)
                    .Set(BaseValues, baseValues).Set(ClassLabels, classLabels).Set(Y, Row(_host, y, r, e.Targets)).Set(Label, label == null ? null : Row(_host, label, r, 1))
                    .Set(Scratch, scratch)
                    .Set(Features, e.Features).Set(Nodes, layout.Feature.Length).Set(NodeInts, layout.Node.Length).Set(LeafInts, layout.Leaf.Length)
                    .Set(FlatNodes, layout.FlatNodes).Set(Leaves, System.Math.Max(0, layout.WeightStart.Length - 1)).Set(Weights, layout.WeightValue.Length)
                    .Set(Trees, e.Roots.Length).Set(Blocks, layout.Blocks).Set(Classes, e.Targets).Set(BaseCount, e.BaseValues.Length)
                    .Set(OneClass, layout.OneClass).Set(BinaryCase, e.BinaryCase ? 1 : 0).Set(AllPositive, e.AllPositive ? 1 : 0)
                    .Set(LeafEntry, layout.LeafEntry.ToString()).Set(EnsembleOutput, e.Output.ToString()).Set(EnsembleAggregate, e.Aggregate.ToString())
                    .Set(PostTransform, e.Transform.ToString());
            }
        }

        /// <summary>Row r of a [rows, length] buffer (the buffer itself for one row).</summary>
        internal static Buffer Row(ILoweringHost host, Buffer matrix, int r, long length) =>
            matrix.Elements == length ? matrix : host.Slice(matrix, r * length, length, $"{matrix.Name}[{r}]");

        /// <summary>The lowering context as the ai.onnx.ml operators see it.</summary>
        private sealed class Host : ILoweringHost
        {
            private readonly LoweringContext _context;

            public Host(LoweringContext context) { _context = context; }

            public Buffer Input(Value value) => _context.Data(value);

            public Buffer Output(Value value) => _context.Produce(value, Layout.Logical);

            public Buffer Constant(Tensor data, string name) => _context.ConstantOf(data, name);

            public Buffer Workspace(string name, DataType type, long elements) => _context.NewBuffer(name, BufferKind.Workspace, type, elements);

            public Buffer Slice(Buffer source, long offset, long elements, string name) => _context.Slice(source, offset, elements, name);

            public KernelCall Call(KernelSignature kernel) => _context.Emit(kernel);
        }
    }
}
