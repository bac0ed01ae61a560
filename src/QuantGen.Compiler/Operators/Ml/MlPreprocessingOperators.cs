// The scikit-learn pipeline operators of ai.onnx.ml that surround a model (and ML.NET's exports): scaling, imputing,
// binarizing, normalizing, encoding, column selection and linear models. Semantics as ONNX Runtime computes them.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Lowering.Ml;
using QuantGen.Ir;
using QuantGen.Plan;
using static QuantGen.Plan.KernelCatalog;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Compiler.Operators.Ml
{
    /// <summary>An ai.onnx.ml operator that lowers itself to a few kernel calls.</summary>
    public abstract class MlElementwiseOperator : MlOperator
    {
        protected MlElementwiseOperator(string opType, int sinceOpset = 1, int lastOpset = int.MaxValue) : base(opType, sinceOpset, lastOpset) { }

        internal abstract void Lower(Node node, ILoweringHost host);

        /// <summary>A float32 output of the input's shape (Scaler, Binarizer, Imputer, Normalizer).</summary>
        protected static void SameShape(Node node, DataType type)
        {
            var x = In(node, 0);
            SetOutput(node, 0, type, (int[])x.Shape!.Clone(), x.IsBatched);
        }

        private protected static Lowering.Buffer FloatConstant(ILoweringHost host, float[] data, string name) =>
            host.Constant(Tensor.FromFloats(new[] { data.Length }, data), name);

        private protected static Lowering.Buffer LongConstant(ILoweringHost host, long[] data, string name) =>
            host.Constant(Tensor.FromInt64s(new[] { data.Length }, data), name);
    }

    public static class MlPreprocessingOperators
    {
        public static IEnumerable<MlOperator> All() => new MlOperator[]
        {
            new ScalerOperator(), new BinarizerOperator(), new ImputerOperator(), new NormalizerOperator(), new LinearOperator("LinearClassifier"),
            new LinearOperator("LinearRegressor"), new OneHotEncoderOperator(), new ArrayFeatureExtractorOperator(), new LabelEncoderOperator(),
        };
    }

    public sealed class ScalerOperator : MlElementwiseOperator
    {
        public ScalerOperator() : base("Scaler") { }

        public override string Notes => "float32 input; scale and offset of one value or one per column";

        private static (float[] Offset, float[] Scale, int Per) Parameters(Node node)
        {
            RequireFloat(node, 0);
            var scale = Floats(node, "scale");
            var offset = Floats(node, "offset");
            int columns = Matrix(node, 0).Columns;
            if (scale.Length == 0 || scale.Length != offset.Length || (scale.Length != 1 && scale.Length != columns))
                throw Invalid(node, $"scale ({scale.Length}) and offset ({offset.Length}) must both have 1 or {columns} values");
            return (offset, scale, scale.Length);
        }

        public override void InferShapes(Node node, OperatorContext context)
        {
            Parameters(node);
            SameShape(node, DataType.Float32);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var (offset, scale, per) = Parameters(node);
            var x = inputs[0]!.Floats;
            return new[] { Tensor.FromFloats(inputs[0]!.Shape, x.Select((v, i) => (v - offset[i % per]) * scale[i % per]).ToArray()) };
        }

        internal override void Lower(Node node, ILoweringHost host)
        {
            var (offset, scale, per) = Parameters(node);
            var x = host.Input(node.Input(0)!);
            host.Call(MlScaleF32).Set(X, x).Set(Offsets, FloatConstant(host, offset, node.Name + ".offset")).Set(Scales, FloatConstant(host, scale, node.Name + ".scale"))
                .Set(Y, host.Output(node.Outputs[0])).Set(Count, x.Elements).Set(Per, per);
        }
    }

    public sealed class BinarizerOperator : MlElementwiseOperator
    {
        public BinarizerOperator() : base("Binarizer") { }

        public override string Notes => "float32; NaN gives 0 (ONNX Runtime fails the run); followed by a Cast to bool (ML.NET's predicted label) it writes bool";

        /// <summary>Bool when a Cast to bool was fused into it (<see cref="GraphPasses.MlGraphRewrites.FuseBinarizerCasts"/>).</summary>
        private static bool WritesBool(Node node) => node.Attributes.GetInt("to", 0) == (long)DataType.Bool;

        public override void InferShapes(Node node, OperatorContext context)
        {
            RequireFloat(node, 0);
            SameShape(node, WritesBool(node) ? DataType.Bool : DataType.Float32);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            float t = node.Attributes.GetFloat("threshold", 1f);
            var x = inputs[0]!.Floats;
            return new[] { WritesBool(node) ? new Tensor(DataType.Bool, inputs[0]!.Shape, x.Select(v => v > t ? (byte)1 : (byte)0).ToArray())
                                            : Tensor.FromFloats(inputs[0]!.Shape, x.Select(v => v > t ? 1f : 0f).ToArray()) };
        }

        internal override void Lower(Node node, ILoweringHost host)
        {
            var x = host.Input(node.Input(0)!);
            host.Call(WritesBool(node) ? MlBinarizeToBool : MlBinarizeF32).Set(X, x).Set(Y, host.Output(node.Outputs[0])).Set(Count, x.Elements)
                .Set(Threshold, node.Attributes.GetFloat("threshold", 1f));
        }
    }

    public sealed class ImputerOperator : MlElementwiseOperator
    {
        public ImputerOperator() : base("Imputer") { }

        public override string Notes => "float32 (imputed_value_floats, one value or one per column; replaced_value_float NaN matches NaN)";

        private static (float[] Imputed, float Replaced, int Per) Parameters(Node node)
        {
            RequireFloat(node, 0);
            var imputed = Floats(node, "imputed_value_floats");
            if (imputed.Length == 0) throw Unsupported(node, "int64 imputation (imputed_value_int64s); float32 only");
            int columns = Matrix(node, 0).Columns;
            return (imputed, node.Attributes.GetFloat("replaced_value_float", 0f), imputed.Length == columns ? columns : 1);
        }

        public override void InferShapes(Node node, OperatorContext context)
        {
            Parameters(node);
            SameShape(node, DataType.Float32);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var (imputed, replaced, per) = Parameters(node);
            var x = inputs[0]!.Floats;
            return new[] { Tensor.FromFloats(inputs[0]!.Shape, x.Select((v, i) => (float.IsNaN(replaced) && float.IsNaN(v)) || v == replaced ? imputed[i % per] : v).ToArray()) };
        }

        internal override void Lower(Node node, ILoweringHost host)
        {
            var (imputed, replaced, per) = Parameters(node);
            var x = host.Input(node.Input(0)!);
            host.Call(MlImputeF32).Set(X, x).Set(Imputed, FloatConstant(host, imputed, node.Name + ".imputed")).Set(Y, host.Output(node.Outputs[0]))
                .Set(Count, x.Elements).Set(Per, per).Set(Replaced, replaced);
        }
    }

    public sealed class NormalizerOperator : MlElementwiseOperator
    {
        public NormalizerOperator() : base("Normalizer") { }

        public override string Notes => "float32, 1-D or 2-D, norm MAX/L1/L2 per row";

        private static string Norm(Node node)
        {
            RequireFloat(node, 0);
            string norm = node.Attributes.GetString("norm", "MAX");
            return norm switch { "MAX" => "Max", "L1" => "L1", "L2" => "L2", _ => throw Invalid(node, $"norm '{norm}'") };
        }

        public override void InferShapes(Node node, OperatorContext context)
        {
            Norm(node);
            Matrix(node, 0);
            SameShape(node, DataType.Float32);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            string norm = Norm(node);
            var (rows, columns) = Matrix(node, 0);
            var x = inputs[0]!.Floats;
            var y = new float[x.Length];
            for (int r = 0; r < rows; r++)
            {
                var row = x.Skip(r * columns).Take(columns).ToArray();
                float z = norm == "Max" ? row.Aggregate(float.MinValue, Math.Max) : norm == "L1" ? row.Aggregate(0f, (s, v) => s + Math.Abs(v)) : row.Aggregate(0f, (s, v) => s + v * v);
                for (int c = 0; c < columns; c++)
                {
                    float v = row[c];
                    y[r * columns + c] = z == 0f ? v : norm == "L2" ? (v < 0 ? -1 : 1) * (float)Math.Sqrt(v * v / z) : v / z;
                }
            }
            return new[] { Tensor.FromFloats(inputs[0]!.Shape, y) };
        }

        internal override void Lower(Node node, ILoweringHost host)
        {
            var (rows, columns) = Matrix(node, 0);
            host.Call(MlNormalizeF32).Set(X, host.Input(node.Input(0)!)).Set(Y, host.Output(node.Outputs[0])).Set(Rows, rows).Set(Columns, columns)
                .Set(NormKind, Norm(node));
        }
    }

    /// <summary>LinearClassifier (label, scores) and LinearRegressor (values): x · coefficientsᵀ + intercepts, then post_transform.</summary>
    public sealed class LinearOperator : MlElementwiseOperator
    {
        public LinearOperator(string opType) : base(opType) { }

        private bool IsClassifier => OpType == "LinearClassifier";

        /// <summary>A classifier writes the label and, optionally, the scores.</summary>
        public override int MaxOutputs => IsClassifier ? 2 : 1;

        public override string Notes => IsClassifier
            ? "float32 features; int64 labels; one coefficient row with two labels gives [1 − s, s] as ONNX Runtime does; post_transform NONE/LOGISTIC/SOFTMAX/SOFTMAX_ZERO/PROBIT"
            : "float32 features; targets, intercepts, post_transform as ONNX Runtime";

        private (float[] W, float[] B, long[] Labels, int Targets, TreeTransform Transform) Parameters(Node node)
        {
            RequireFloat(node, 0);
            var w = Floats(node, "coefficients");
            int features = Matrix(node, 0).Columns;
            int targets = IsClassifier ? Floats(node, "intercepts").Length : (int)node.Attributes.GetInt("targets", 1);
            if (IsClassifier && Strings(node, "classlabels_strings").Length > 0) throw Unsupported(node, "string class labels (classlabels_strings)");
            var labels = IsClassifier ? Ints(node, "classlabels_ints") : Array.Empty<long>();
            if (targets < 1 || w.Length != targets * features) throw Invalid(node, $"coefficients has {w.Length} values, {targets} targets × {features} features expected");
            var b = Floats(node, "intercepts");
            if (b.Length == 0) b = new float[targets];
            if (b.Length != targets) throw Invalid(node, $"intercepts has {b.Length} values, {targets} expected");
            if (IsClassifier && targets > 1 && labels.Length != targets) throw Invalid(node, $"{labels.Length} class labels for {targets} coefficient rows");
            return (w, b, labels, targets, TreeEnsemble.ParseTransform(node, node.Attributes.GetString("post_transform", "NONE")));
        }

        private int Columns(Node node) { var p = Parameters(node); return p.Targets == 1 && p.Labels.Length == 2 ? 2 : p.Targets; }

        public override void InferShapes(Node node, OperatorContext context)
        {
            int rows = Matrix(node, 0).Rows;
            bool batched = In(node, 0).IsBatched;
            if (IsClassifier)
            {
                SetOutput(node, 0, DataType.Int64, new[] { rows }, batched);
                if (node.Outputs.Count > 1) SetOutput(node, 1, DataType.Float32, new[] { rows, Columns(node) }, batched);
            }
            else SetOutput(node, 0, DataType.Float32, new[] { rows, Parameters(node).Targets }, batched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context) =>
            throw Unsupported(node, "evaluating at build time (constant inputs)");

        internal override void Lower(Node node, ILoweringHost host)
        {
            var (w, b, labels, targets, transform) = Parameters(node);
            var (rows, features) = Matrix(node, 0);
            int columns = Columns(node);
            var x = host.Input(node.Input(0)!);
            var scoresValue = IsClassifier ? (node.Outputs.Count > 1 ? node.Outputs[1] : null) : node.Outputs[0];
            var y = scoresValue != null ? host.Output(scoresValue) : host.Workspace(node.Name + ".scores", DataType.Float32, (long)rows * columns);
            var label = IsClassifier ? host.Output(node.Outputs[0]) : null;
            var wb = FloatConstant(host, w, node.Name + ".coefficients");
            var bb = FloatConstant(host, b, node.Name + ".intercepts");
            var lb = labels.Length > 0 ? LongConstant(host, labels, node.Name + ".labels") : null;
            var scratch = host.Workspace(node.Name + ".scratch", DataType.Float32, targets);
            for (int r = 0; r < rows; r++)
                host.Call(MlLinearF32).Set(X, MlLowering.Row(host, x, r, features)).Set(W, wb).Set(B, bb).Set(ClassLabels, lb)
                    .Set(Y, MlLowering.Row(host, y, r, columns)).Set(Label, label == null ? null : MlLowering.Row(host, label, r, 1)).Set(Scratch, scratch)
                    .Set(Features, features).Set(Targets, targets).Set(Labels, labels.Length).Set(PostTransform, transform.ToString());
        }
    }

    public sealed class OneHotEncoderOperator : MlElementwiseOperator
    {
        public OneHotEncoderOperator() : base("OneHotEncoder") { }

        public override string Notes => "int64 categories (cats_int64s) of int64 or float32 input (truncated); an unknown value gives zeros (zeros = 0 is QG0004)";

        private static long[] Categories(Node node)
        {
            var x = In(node, 0);
            if (x.Type != DataType.Int64 && x.Type != DataType.Float32) throw Unsupported(node, $"{DataTypes.Name(x.Type)} input (int64 or float32)");
            var categories = Ints(node, "cats_int64s");
            if (categories.Length == 0) throw Unsupported(node, "string categories (cats_strings)");
            if (node.Attributes.GetInt("zeros", 1) == 0) throw Unsupported(node, "zeros = 0 (a run-time error for unknown values)");
            return categories;
        }

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            SetOutput(node, 0, DataType.Float32, x.Shape!.Concat(new[] { Categories(node).Length }).ToArray(), x.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var categories = Categories(node);
            var x = inputs[0]!;
            var y = new float[x.ElementCount * categories.Length];
            for (int i = 0; i < x.ElementCount; i++)
            {
                long v = x.Type == DataType.Float32 ? (long)x.Floats[i] : x.Int64s[i];
                for (int j = 0; j < categories.Length; j++) y[i * categories.Length + j] = categories[j] == v ? 1f : 0f;
            }
            return new[] { Tensor.FromFloats(x.Shape.Concat(new[] { categories.Length }).ToArray(), y) };
        }

        internal override void Lower(Node node, ILoweringHost host)
        {
            var categories = Categories(node);
            var x = host.Input(node.Input(0)!);
            host.Call(MlOneHot).Set(X, x).Set(KernelParameters.Categories, LongConstant(host, categories, node.Name + ".categories")).Set(Y, host.Output(node.Outputs[0]))
                .Set(Count, x.Elements).Set(CategoryCount, categories.Length);
        }
    }

    /// <summary>ArrayFeatureExtractor: the columns of X (last axis) that the constant indices Y name, as a Gather.</summary>
    public sealed class ArrayFeatureExtractorOperator : MlElementwiseOperator
    {
        public ArrayFeatureExtractorOperator() : base("ArrayFeatureExtractor") { }

        public override string Notes => "any element type; constant int64 indices along the last axis";

        public override bool IsBuildTimeInput(Node node, int index) => index == 1;

        public override (int Min, int Max) InputCount => (2, 2);

        private static long[] Indices(Node node)
        {
            var x = In(node, 0);
            if (x.Rank == 0) throw Invalid(node, "X is a scalar; the indices select columns of its last axis");
            RequireType(node, 1, DataType.Int64, DataType.Int32);
            int last = x.Shape![x.Rank - 1];
            var indices = In(node, 1).Constant!.ToInt64Array();
            foreach (var i in indices) if (i < 0 || i >= last) throw Invalid(node, $"index {i} is outside the {last} columns");
            return indices;
        }

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            var shape = (int[])x.Shape!.Clone();
            shape[shape.Length - 1] = Indices(node).Length;
            if (x.Rank == 1) shape = new[] { 1, Indices(node).Length };
            SetOutput(node, 0, x.Type, shape, x.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var indices = Indices(node);
            var x = inputs[0]!;
            int last = x.Shape[x.Rank - 1], outer = x.ElementCount / last;
            var y = Tensor.Create(x.Type, x.Rank == 1 ? new[] { 1, indices.Length } : x.Shape.Take(x.Rank - 1).Concat(new[] { indices.Length }).ToArray());
            for (int o = 0; o < outer; o++)
                for (int j = 0; j < indices.Length; j++) y.Data.SetValue(x.Data.GetValue(o * last + indices[j]), o * indices.Length + j);
            return new[] { y };
        }

        internal override void Lower(Node node, ILoweringHost host)
        {
            var indices = Indices(node);
            var x = node.Input(0)!;
            int last = x.Shape![x.Rank - 1];
            var input = host.Input(x);
            host.Call(Gather).Set(X, input).Set(KernelParameters.Indices, LongConstant(host, indices, node.Name + ".indices")).Set(Y, host.Output(node.Outputs[0]))
                .Set(Outer, input.Elements / last).Set(KernelParameters.Axis, last).Set(Inner, 1).Set(Count, indices.Length);
        }
    }

    /// <summary>LabelEncoder (ai.onnx.ml 2+) from int64 keys to int64 values.</summary>
    public sealed class LabelEncoderOperator : MlElementwiseOperator
    {
        public LabelEncoderOperator() : base("LabelEncoder", 2) { }

        public override string Notes => "int64 → int64 (keys_int64s, values_int64s, default_int64); string and float maps: QG0004";

        private static (long[] Keys, long[] Values, long Default) Map(Node node)
        {
            if (In(node, 0).Type != DataType.Int64) throw Unsupported(node, $"{DataTypes.Name(In(node, 0).Type)} input (int64 only)");
            var keys = Ints(node, "keys_int64s");
            var values = Ints(node, "values_int64s");
            if (keys.Length == 0 || values.Length == 0) throw Unsupported(node, "a map other than int64 → int64");
            if (keys.Length != values.Length) throw Invalid(node, $"{keys.Length} keys and {values.Length} values");
            long fallback = node.Attributes.GetInt("default_int64", -1);
            if (fallback < int.MinValue || fallback > int.MaxValue) throw Unsupported(node, $"default_int64 {fallback} (outside the int32 range)");
            return (keys, values, fallback);
        }

        public override void InferShapes(Node node, OperatorContext context)
        {
            Map(node);
            SameShape(node, DataType.Int64);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var (keys, values, fallback) = Map(node);
            var x = inputs[0]!.ToInt64Array();
            return new[] { Tensor.FromInt64s(inputs[0]!.Shape, x.Select(v => { int k = Array.IndexOf(keys, v); return k < 0 ? fallback : values[k]; }).ToArray()) };
        }

        internal override void Lower(Node node, ILoweringHost host)
        {
            var (keys, values, fallback) = Map(node);
            var x = host.Input(node.Input(0)!);
            host.Call(MlLabelEncode).Set(X, x).Set(Keys, LongConstant(host, keys, node.Name + ".keys")).Set(Values, LongConstant(host, values, node.Name + ".values"))
                .Set(Y, host.Output(node.Outputs[0])).Set(Count, x.Elements).Set(KeyCount, keys.Length).Set(DefaultValue, fallback);
        }
    }
}
