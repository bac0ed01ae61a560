// Operators of the ai.onnx.ml domain (scikit-learn, XGBoost, LightGBM and ML.NET exports): their own opset numbering,
// read from the model's opset imports, and the shapes they share ([N, F] features in, per-row results out).
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators.Ml
{
    /// <summary>An ai.onnx.ml operator: <see cref="OperatorDefinition.SinceOpset"/> counts in the ai.onnx.ml opset.</summary>
    public abstract class MlOperator : OperatorDefinition
    {
        public const string DomainName = "ai.onnx.ml";

        protected MlOperator(string opType, int sinceOpset = 1, int lastOpset = int.MaxValue)
            : base(opType, sinceOpset)
        {
            LastOpset = lastOpset;
        }

        /// <summary>The newest ai.onnx.ml opset whose semantics this definition implements.</summary>
        public int LastOpset { get; }

        /// <summary>The [rows, columns] view of a 1-D or 2-D input, as the ai.onnx.ml operators read it (1-D is one row).</summary>
        protected static (int Rows, int Columns) Matrix(Node node, int index)
        {
            var shape = ShapeOf(node, index);
            if (shape.Length == 1) return (1, shape[0]);
            if (shape.Length == 2) return (shape[0], shape[1]);
            throw Unsupported(node, $"a rank-{shape.Length} input (1-D or 2-D only)");
        }

        /// <summary>Requires a float32 input (the generated code compares and sums in float32, as ONNX Runtime does for float input).</summary>
        protected static void RequireFloat(Node node, int index)
        {
            var v = In(node, index);
            if (v.Type != DataType.Float32)
                throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDataType, DiagnosticSeverity.Error,
                    $"{node.OpType} '{node.Name}': input '{v.Name}' is {DataTypes.Name(v.Type)}; only float32 features are supported (cast them to float32 before the model).",
                    null, node.Name));
        }

        internal static long[] Ints(Node node, string name) => node.Attributes.GetInts(name) ?? Array.Empty<long>();

        /// <summary>A float list attribute, or its opset-3 "_as_tensor" twin when that is float32 (float64 tensors are not supported).</summary>
        internal static float[] Floats(Node node, string name)
        {
            var tensor = node.Attributes.GetTensor(name + "_as_tensor");
            if (tensor == null) return node.Attributes.GetFloats(name) ?? Array.Empty<float>();
            if (tensor.Type != DataType.Float32) throw Unsupported(node, $"{name}_as_tensor of type {DataTypes.Name(tensor.Type)} (float32 only)");
            return tensor.Floats;
        }

        internal static string[] Strings(Node node, string name) => node.Attributes.Find(name)?.Strings ?? Array.Empty<string>();
    }

    /// <summary>The ai.onnx.ml operators the compiler implements.</summary>
    public static class MlOperatorSet
    {
        private static readonly Dictionary<string, MlOperator> s_byType = Build().ToDictionary(d => d.OpType, StringComparer.Ordinal);

        public static IEnumerable<MlOperator> All => s_byType.Values.OrderBy(d => d.OpType, StringComparer.Ordinal);

        public static MlOperator? Find(Node node) => node.Domain == MlOperator.DomainName && s_byType.TryGetValue(node.OpType, out var d) ? d : null;

        /// <summary>
        /// Checks the model's ai.onnx.ml opset import against what <paramref name="op"/> implements: a newer opset may
        /// change the semantics (as opset 5 deprecates TreeEnsemble* for TreeEnsemble), so it is QG0003, not a guess.
        /// </summary>
        public static void CheckOpset(MlOperator op, Node node, ModelInfo info)
        {
            int opset = info.OtherOpsets.TryGetValue(MlOperator.DomainName, out var v) ? v : 1;
            if (opset >= op.SinceOpset && opset <= op.LastOpset) return;
            throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedOperator, DiagnosticSeverity.Error,
                $"operator {MlOperator.DomainName}.{node.OpType} (node '{node.Name}') is supported in ai.onnx.ml opsets {op.SinceOpset} to {op.LastOpset}, and the model imports opset {opset}. Supported operators: {DiagnosticIds.SupportedOperatorsLink}",
                info.SourcePath, node.Name));
        }

        private static IEnumerable<MlOperator> Build()
        {
            yield return new TreeEnsembleClassifierOperator();
            yield return new TreeEnsembleRegressorOperator();
            yield return new ZipMapOperator();
            foreach (var op in MlPreprocessingOperators.All()) yield return op;
        }
    }
}
