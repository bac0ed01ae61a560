// Catalog entries for the ai.onnx.ml kernels (QuantGen.Kernels/Trees): tree ensembles.
using System.Collections.Generic;
using System.Globalization;

namespace QuantGen.Plan
{
    public static partial class KernelCatalog
    {
        /// <summary>Trees per block of the tree kernel (TreeEnsembleF32.BlockLanes).</summary>
        public const int TreeBlockLanes = 16;

        private static IEnumerable<KernelSignature> MlKernels() => new[]
        {
            // One row of a TreeEnsembleClassifier/Regressor: leaves of all trees (blocks of 16, complete or flattened), then
            // ONNX Runtime's aggregation and post transform into y (and the class label). The arrays' contents are the
            // compiler's (indices inside them); their lengths are checked here.
            new KernelSignature("TreeEnsembleF32", "TreeEnsembleF32.Run", false,
                new[] { T("x"), T("feature", PlanElementType.Int32, optional: true), T("threshold", optional: true), T("leaf", PlanElementType.Int32, optional: true),
                        T("child", PlanElementType.Int32, optional: true), T("root", PlanElementType.Int32, optional: true), T("block", PlanElementType.Int32),
                        T("weightStart", PlanElementType.Int32), T("weightClass", PlanElementType.Int32), T("weightValue"),
                        T("baseValues", optional: true), T("classLabels", PlanElementType.Int64, optional: true), T("y").Writes(), T("label", PlanElementType.Int64, optional: true).Writes(),
                        T("scratch", PlanElementType.Int32).Writes(),
                        I("features"), I("nodes"), I("leafSlots"), I("flatNodes"), I("leaves"), I("weights"), I("trees"), I("blocks"), I("classes"), I("baseCount"),
                        I("binaryCase"), I("allPositive"), S("output", "TreeOutput"), S("aggregate", "TreeAggregate"), S("transform", "TreeTransform") },
                a => TreeEnsembleExtent(a)),

            // Scaler: y = (x − offset[i mod per]) · scale[i mod per].
            new KernelSignature("MlScaleF32", "MlTransformsF32.Scale", false,
                new[] { T("x"), T("offset"), T("scale"), T("y").Writes(), I("count"), I("per") },
                a => a.Int("per") < 1 ? "MlScaleF32: per must be at least 1"
                    : StepArguments.First(a.AtLeast("x", a.Int("count")), a.AtLeast("offset", a.Int("per")), a.AtLeast("scale", a.Int("per")), a.AtLeast("y", a.Int("count")))),

            // Binarizer: y = x > threshold ? 1 : 0.
            new KernelSignature("MlBinarizeF32", "MlTransformsF32.Binarize", false,
                new[] { T("x"), T("y").Writes(), I("count"), F("threshold") },
                a => StepArguments.First(a.AtLeast("x", a.Int("count")), a.AtLeast("y", a.Int("count")))),

            // Binarizer followed by a Cast to bool: y = x > threshold.
            new KernelSignature("MlBinarizeToBool", "MlTransformsF32.BinarizeToBool", false,
                new[] { T("x"), T("y", PlanElementType.Bool).Writes(), I("count"), F("threshold") },
                a => StepArguments.First(a.AtLeast("x", a.Int("count")), a.AtLeast("y", a.Int("count")))),

            // Imputer: y = x, or imputed[i mod per] where x is the replaced value (NaN matching NaN).
            new KernelSignature("MlImputeF32", "MlTransformsF32.Impute", false,
                new[] { T("x"), T("imputed"), T("y").Writes(), I("count"), I("per"), F("replaced") },
                a => a.Int("per") < 1 ? "MlImputeF32: per must be at least 1"
                    : StepArguments.First(a.AtLeast("x", a.Int("count")), a.AtLeast("imputed", a.Int("per")), a.AtLeast("y", a.Int("count")))),

            // Normalizer over rows × columns.
            new KernelSignature("MlNormalizeF32", "MlTransformsF32.Normalize", false,
                new[] { T("x"), T("y").Writes(), I("rows"), I("columns"), S("norm", "NormKind") },
                a => StepArguments.First(a.AtLeast("x", a.Int("rows") * a.Int("columns")), a.AtLeast("y", a.Int("rows") * a.Int("columns")))),

            // LinearClassifier / LinearRegressor, one row: scores x · wᵀ + b (w is [targets, features]), label, post transform.
            new KernelSignature("MlLinearF32", "MlTransformsF32.Linear", false,
                new[] { T("x"), T("w"), T("b"), T("classLabels", PlanElementType.Int64, optional: true), T("y").Writes(), T("label", PlanElementType.Int64, optional: true).Writes(),
                        T("scratch").Writes(), I("features"), I("targets"), I("labels"), S("transform", "TreeTransform") },
                a => a.Int("labels") > 0 && a.Length("classLabels") < 0 ? "MlLinearF32: labels counted but not given"
                    : StepArguments.First(a.AtLeast("x", a.Int("features")), a.AtLeast("w", a.Int("targets") * a.Int("features")), a.AtLeast("b", a.Int("targets")),
                        a.AtLeast("classLabels", a.Int("labels")), a.AtLeast("y", a.Int("targets") == 1 && a.Int("labels") == 2 ? 2 : a.Int("targets")),
                        a.AtLeast("label", 1), a.AtLeast("scratch", a.Int("targets")))),

            // OneHotEncoder: y[i, j] = x[i] == categories[j] (x float32, truncated, or int64).
            new KernelSignature("MlOneHot", "MlTransformsF32.OneHot", true,
                new[] { T("x", null), T("categories", PlanElementType.Int64), T("y", PlanElementType.Float32).Writes(), I("count"), I("categoryCount") },
                a => StepArguments.First(a.AtLeast("x", a.Int("count")), a.AtLeast("categories", a.Int("categoryCount")), a.AtLeast("y", a.Int("count") * a.Int("categoryCount")))),

            // LabelEncoder int64 → int64.
            new KernelSignature("MlLabelEncode", "MlTransformsF32.Encode", false,
                new[] { T("x", PlanElementType.Int64), T("keys", PlanElementType.Int64), T("values", PlanElementType.Int64), T("y", PlanElementType.Int64).Writes(),
                        I("count"), I("keyCount"), I("defaultValue") },
                a => StepArguments.First(a.AtLeast("x", a.Int("count")), a.AtLeast("keys", a.Int("keyCount")), a.AtLeast("values", a.Int("keyCount")), a.AtLeast("y", a.Int("count")))),
        };

        private static string? TreeEnsembleExtent(StepArguments a)
        {
            long blocks = a.Int("blocks"), trees = a.Int("trees"), nodes = a.Int("nodes"), flat = a.Int("flatNodes"), classes = a.Int("classes");
            if (trees < 1 || trees > blocks * TreeBlockLanes || trees <= (blocks - 1) * TreeBlockLanes || flat < 0 || flat > nodes || classes < 1)
                return string.Format(CultureInfo.InvariantCulture, "TreeEnsembleF32: {0} trees, {1} blocks, {2} of {3} nodes flattened, {4} classes do not fit together", trees, blocks, flat, nodes, classes);
            if (nodes > 0 && (a.Length("feature") < 0 || a.Length("threshold") < 0)) return "TreeEnsembleF32: nodes without feature or threshold";
            if (a.Int("leafSlots") > 0 && a.Length("leaf") < 0) return "TreeEnsembleF32: leaf slots without a leaf table";
            if (a.Int("baseCount") > 0 && a.Length("baseValues") < 0) return "TreeEnsembleF32: base values counted but not given";
            if (flat > 0 && (a.Length("child") < 0 || a.Length("root") < 0)) return "TreeEnsembleF32: flattened nodes without child and root";
            return StepArguments.First(
                a.AtLeast("x", a.Int("features")),
                a.AtLeast("feature", nodes), a.AtLeast("threshold", nodes), a.AtLeast("leaf", a.Int("leafSlots")),
                a.AtLeast("child", 2 * flat), a.AtLeast("root", blocks * TreeBlockLanes), a.AtLeast("block", 3 * blocks),
                a.AtLeast("weightStart", a.Int("leaves") + 1), a.AtLeast("weightClass", a.Int("weights")), a.AtLeast("weightValue", a.Int("weights")),
                a.AtLeast("baseValues", a.Int("baseCount")), a.AtLeast("classLabels", classes),
                a.AtLeast("y", classes == 1 ? 1 : System.Math.Max(2, classes)), a.AtLeast("label", 1),
                a.AtLeast("scratch", blocks * TreeBlockLanes + 2 * classes));
        }
    }
}
