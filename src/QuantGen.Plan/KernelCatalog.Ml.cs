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
                        T("baseValues", optional: true), T("classLabels", PlanElementType.Int64, optional: true), T("y"), T("label", PlanElementType.Int64, optional: true),
                        T("scratch", PlanElementType.Int32),
                        I("features"), I("nodes"), I("leafSlots"), I("flatNodes"), I("leaves"), I("weights"), I("trees"), I("blocks"), I("classes"), I("baseCount"),
                        I("binaryCase"), I("allPositive"), S("output", "TreeOutput"), S("aggregate", "TreeAggregate"), S("transform", "TreeTransform") },
                a => TreeEnsembleExtent(a)),
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
