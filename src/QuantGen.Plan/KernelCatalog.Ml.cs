// Catalog entries for the ai.onnx.ml kernels (QuantGen.Kernels/Trees, QuantGen.Kernels/Ml): tree ensembles, the
// preprocessing transforms and linear models.
using System.Globalization;
using QuantGen.Kernels;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Plan
{
    public static partial class KernelCatalog
    {
        /// <summary>
        /// One row of a TreeEnsembleClassifier/Regressor: leaves of all trees (blocks of TreeLayout.BlockLanes, complete or
        /// flattened), then ONNX Runtime's aggregation and post transform into y (and the class label). The arrays' contents
        /// are the compiler's (indices inside them); their lengths are checked here.
        /// </summary>
        public static readonly KernelSignature TreeEnsembleF32 = KernelSignature.Define("TreeEnsembleF32", "TreeEnsembleF32.Run")
            .F32(X).I32(Feature.Optional).F32(Thresholds.Optional).I32(PackedNodes.Optional, Leaf.Optional, Child.Optional, Root.Optional, Block, TreeClass.Optional,
                WeightStart.Optional, WeightClass.Optional)
            .F32(WeightValue.Optional, BaseValues.Optional).I64(ClassLabels.Optional).F32(Y.Written).I64(Label.Optional.Written).I32(Scratch.Written)
            .Int(Features, Nodes, NodeInts, LeafInts, FlatNodes, Leaves, Weights, Trees, Blocks, Classes, BaseCount, OneClass, BinaryCase, AllPositive)
            .Symbol(LeafEntry).Symbol(EnsembleOutput).Symbol(EnsembleAggregate).Symbol(PostTransform)
            .Extents(TreeEnsembleExtent);

        /// <summary>Scaler: y = (x − offset[i mod per]) · scale[i mod per].</summary>
        public static readonly KernelSignature MlScaleF32 = KernelSignature.Define("MlScaleF32", "MlTransformsF32.Scale")
            .F32(X, Offsets, Scales, Y.Written).Int(Count, Per)
            .Extents(a => a[Per] < 1 ? "MlScaleF32: per must be at least 1"
                : StepArguments.First(a.AtLeast(X, a[Count]), a.AtLeast(Offsets, a[Per]), a.AtLeast(Scales, a[Per]), a.AtLeast(Y, a[Count])));

        /// <summary>Binarizer: y = x &gt; threshold ? 1 : 0.</summary>
        public static readonly KernelSignature MlBinarizeF32 = KernelSignature.Define("MlBinarizeF32", "MlTransformsF32.Binarize")
            .F32(X, Y.Written).Int(Count).Float(Threshold)
            .Extents(a => StepArguments.First(a.AtLeast(X, a[Count]), a.AtLeast(Y, a[Count])));

        /// <summary>Binarizer followed by a Cast to bool: y = x &gt; threshold.</summary>
        public static readonly KernelSignature MlBinarizeToBool = KernelSignature.Define("MlBinarizeToBool", "MlTransformsF32.BinarizeToBool")
            .F32(X).Bool(Y.Written).Int(Count).Float(Threshold)
            .Extents(a => StepArguments.First(a.AtLeast(X, a[Count]), a.AtLeast(Y, a[Count])));

        /// <summary>Imputer: y = x, or imputed[i mod per] where x is the replaced value (NaN matching NaN).</summary>
        public static readonly KernelSignature MlImputeF32 = KernelSignature.Define("MlImputeF32", "MlTransformsF32.Impute")
            .F32(X, Imputed, Y.Written).Int(Count, Per).Float(Replaced)
            .Extents(a => a[Per] < 1 ? "MlImputeF32: per must be at least 1"
                : StepArguments.First(a.AtLeast(X, a[Count]), a.AtLeast(Imputed, a[Per]), a.AtLeast(Y, a[Count])));

        /// <summary>Normalizer over rows × columns.</summary>
        public static readonly KernelSignature MlNormalizeF32 = KernelSignature.Define("MlNormalizeF32", "MlTransformsF32.Normalize")
            .F32(X, Y.Written).Int(Rows, Columns).Symbol(NormKind)
            .Extents(a => StepArguments.First(a.AtLeast(X, a[Rows] * a[Columns]), a.AtLeast(Y, a[Rows] * a[Columns])));

        /// <summary>LinearClassifier / LinearRegressor, one row: scores x · wᵀ + b (w is [targets, features]), label, post transform.</summary>
        public static readonly KernelSignature MlLinearF32 = KernelSignature.Define("MlLinearF32", "MlTransformsF32.Linear")
            .F32(X, W, B).I64(ClassLabels.Optional).F32(Y.Written).I64(Label.Optional.Written).F32(Scratch.Written)
            .Int(Features, Targets, Labels).Symbol(PostTransform)
            .Extents(a => a[Labels] > 0 && a.Length(ClassLabels) < 0 ? "MlLinearF32: labels counted but not given"
                : StepArguments.First(a.AtLeast(X, a[Features]), a.AtLeast(W, a[Targets] * a[Features]), a.AtLeast(B, a[Targets]),
                    a.AtLeast(ClassLabels, a[Labels]), a.AtLeast(Y, a[Targets] == 1 && a[Labels] == 2 ? 2 : a[Targets]),
                    a.AtLeast(Label, 1), a.AtLeast(Scratch, a[Targets])));

        /// <summary>OneHotEncoder: y[i, j] = x[i] == categories[j] (x float32, truncated, or int64).</summary>
        public static readonly KernelSignature MlOneHot = KernelSignature.Define("MlOneHot", "MlTransformsF32.OneHot")
            .Generic(X).I64(Categories).F32(Y.Written).Int(Count, CategoryCount)
            .Extents(a => StepArguments.First(a.AtLeast(X, a[Count]), a.AtLeast(Categories, a[CategoryCount]), a.AtLeast(Y, a[Count] * a[CategoryCount])));

        /// <summary>LabelEncoder int64 → int64.</summary>
        public static readonly KernelSignature MlLabelEncode = KernelSignature.Define("MlLabelEncode", "MlTransformsF32.Encode")
            .I64(X, Keys, Values, Y.Written).Int(Count, KeyCount, DefaultValue)
            .Extents(a => StepArguments.First(a.AtLeast(X, a[Count]), a.AtLeast(Keys, a[KeyCount]), a.AtLeast(Values, a[KeyCount]), a.AtLeast(Y, a[Count])));

        private static string? TreeEnsembleExtent(StepArguments a)
        {
            long blocks = a[Blocks], trees = a[Trees], nodes = a[Nodes], flat = a[FlatNodes], classes = a[Classes];
            string entry = a[LeafEntry];
            if (trees < 1 || trees > blocks * TreeLayout.BlockLanes || trees <= (blocks - 1) * TreeLayout.BlockLanes || flat < 0 || flat > nodes || classes < 1)
                return string.Format(CultureInfo.InvariantCulture, "TreeEnsembleF32: {0} trees, {1} blocks, {2} of {3} nodes flattened, {4} classes do not fit together", trees, blocks, flat, nodes, classes);
            if (entry == "WeightOneClass" && (a[OneClass] < 0 || a[OneClass] >= classes))
                return string.Format(CultureInfo.InvariantCulture, "TreeEnsembleF32: every weight to class {0} of {1}", a[OneClass], classes);
            if (nodes > 0 && (a.Length(Feature) < 0 || a.Length(Thresholds) < 0)) return "TreeEnsembleF32: nodes without feature or threshold";
            if (a[NodeInts] > 0 && a.Length(PackedNodes) < 0) return "TreeEnsembleF32: packed nodes without a node table";
            if (a[LeafInts] > 0 && a.Length(Leaf) < 0) return "TreeEnsembleF32: leaf pairs without a leaf table";
            if (a[BaseCount] > 0 && a.Length(BaseValues) < 0) return "TreeEnsembleF32: base values counted but not given";
            if (flat > 0 && (a.Length(Child) < 0 || a.Length(Root) < 0)) return "TreeEnsembleF32: flattened nodes without child and root";
            if (entry == "WeightPerTreeClass" && a.Length(TreeClass) < 0) return "TreeEnsembleF32: a class per tree without the tree classes";
            if (entry == "LeafNumber" && (a.Length(WeightStart) < 0 || a.Length(WeightClass) < 0 || a.Length(WeightValue) < 0)) return "TreeEnsembleF32: leaf numbers without the weight tables";
            if (entry != "LeafNumber" && flat > 0 && a.Length(WeightValue) < 0) return "TreeEnsembleF32: flattened blocks without their leaves' weights";
            return StepArguments.First(
                a.AtLeast(X, a[Features]),
                a.AtLeast(Feature, nodes), a.AtLeast(Thresholds, nodes), a.AtLeast(PackedNodes, a[NodeInts]), a.AtLeast(Leaf, a[LeafInts]),
                a.AtLeast(Child, 2 * flat), a.AtLeast(Root, blocks * TreeLayout.BlockLanes), a.AtLeast(Block, TreeLayout.BlockFields * blocks),
                a.AtLeast(TreeClass, entry == "WeightPerTreeClass" ? trees : 0),
                a.AtLeast(WeightStart, a[Leaves] + 1), a.AtLeast(WeightClass, a[Weights]), a.AtLeast(WeightValue, a[Weights]),
                a.AtLeast(BaseValues, a[BaseCount]), a.AtLeast(ClassLabels, classes),
                a.AtLeast(Y, classes == 1 ? 1 : System.Math.Max(2, classes)), a.AtLeast(Label, 1),
                a.AtLeast(Scratch, TreeLayout.ScratchLength(blocks, classes)));
        }
    }
}
