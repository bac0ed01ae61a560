// TreeEnsembleClassifier and TreeEnsembleRegressor (ai.onnx.ml 1-4; opset 3 added the "_as_tensor" attributes): the
// gradient-boosted trees and random forests of scikit-learn, XGBoost, LightGBM and ML.NET exports.
using System;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators.Ml
{
    public abstract class TreeEnsembleOperator : MlOperator
    {
        protected TreeEnsembleOperator(string opType) : base(opType, 1, 4) { }

        protected abstract bool IsClassifier { get; }

        /// <summary>A classifier writes the label and, optionally, the probabilities.</summary>
        public override int MaxOutputs => IsClassifier ? 2 : 1;

        public override string Notes =>
            "float32 features [N, F] or [F]; every nodes_modes (BRANCH_LEQ/LT/GTE/GT/EQ/NEQ), missing-value tracking, base_values, " +
            (IsClassifier ? "int64 class labels (string labels: QG0004), the one-column binary layout, " : "aggregate_function SUM/AVERAGE/MIN/MAX, n_targets, ") +
            "post_transform NONE/LOGISTIC/SOFTMAX/SOFTMAX_ZERO/PROBIT, as ONNX Runtime computes them (float32 comparisons and sums, trees in model order); float64 _as_tensor attributes: QG0004";

        /// <summary>The node's trees, checked against the feature count of its input.</summary>
        public TreeEnsemble Ensemble(Node node)
        {
            RequireFloat(node, 0);
            return TreeEnsemble.Read(node, IsClassifier, Matrix(node, 0).Columns);
        }

        public override void InferShapes(Node node, OperatorContext context)
        {
            var ensemble = Ensemble(node);
            int rows = Matrix(node, 0).Rows;
            bool batched = In(node, 0).IsBatched;
            if (IsClassifier)
            {
                SetOutput(node, 0, DataType.Int64, new[] { rows }, batched);
                if (node.Outputs.Count > 1) SetOutput(node, 1, DataType.Float32, new[] { rows, ensemble.Targets }, batched);
            }
            else
            {
                SetOutput(node, 0, DataType.Float32, new[] { rows, ensemble.Targets }, batched);
            }
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var ensemble = Ensemble(node);
            var (rows, columns) = Matrix(node, 0);
            var x = inputs[0]!.ToFloatArray();
            var scores = new float[rows * ensemble.Targets];
            var labels = new long[rows];
            for (int r = 0; r < rows; r++)
            {
                var (s, label) = ensemble.Evaluate(x, r * columns);
                Array.Copy(s, 0, scores, r * ensemble.Targets, ensemble.Targets);
                labels[r] = label;
            }
            var z = Tensor.FromFloats(new[] { rows, ensemble.Targets }, scores);
            return IsClassifier ? new[] { Tensor.FromInt64s(new[] { rows }, labels), z } : new[] { z };
        }
    }

    public sealed class TreeEnsembleClassifierOperator : TreeEnsembleOperator
    {
        public TreeEnsembleClassifierOperator() : base("TreeEnsembleClassifier") { }

        protected override bool IsClassifier => true;
    }

    public sealed class TreeEnsembleRegressorOperator : TreeEnsembleOperator
    {
        public TreeEnsembleRegressorOperator() : base("TreeEnsembleRegressor") { }

        protected override bool IsClassifier => false;
    }

    /// <summary>
    /// ZipMap turns a probability tensor into a sequence of {label: probability} maps, which no span can carry. The
    /// compiler drops it before shape inference (<see cref="GraphPasses.MlGraphRewrites"/>) and exposes the tensor it reads
    /// (QG0020, info); one that another node reads is QG0004.
    /// </summary>
    public sealed class ZipMapOperator : MlOperator
    {
        public ZipMapOperator() : base("ZipMap") { }

        public override string Notes => "dropped at build time when it makes a graph output: Run returns the probability tensor it reads (one float per class, in class order; QG0020 says so)";

        public override void InferShapes(Node node, OperatorContext context) =>
            throw Unsupported(node, "a ZipMap whose map output another node reads");

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context) =>
            throw Unsupported(node, "a ZipMap whose map output another node reads");
    }
}
