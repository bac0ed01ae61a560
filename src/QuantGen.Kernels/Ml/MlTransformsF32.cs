// The ai.onnx.ml operators around a model (scikit-learn pipelines, ML.NET exports): Scaler, Binarizer, Imputer,
// Normalizer, LinearClassifier/LinearRegressor, OneHotEncoder, LabelEncoder. Plain loops over one sample, in the
// operation order ONNX Runtime uses (float32).
namespace QuantGen.Kernels
{
    using System;

    /// <summary>Normalizer's norm.</summary>
    internal enum NormKind
    {
        Max,
        L1,
        L2,
    }

    internal static unsafe class MlTransformsF32
    {
        /// <summary>Scaler: y[i] = (x[i] − offset[i mod k]) · scale[i mod k], k = <paramref name="per"/> (1 or the row length).</summary>
        public static void Scale(float* x, float* offset, float* scale, float* y, int count, int per)
        {
            for (int i = 0; i < count; i++) y[i] = (x[i] - offset[i % per]) * scale[i % per];
        }

        /// <summary>Binarizer: 1 where x &gt; threshold, else 0 (ONNX Runtime rejects NaN; it gives 0 here).</summary>
        public static void Binarize(float* x, float* y, int count, float threshold)
        {
            for (int i = 0; i < count; i++) y[i] = x[i] > threshold ? 1f : 0f;
        }

        /// <summary>Binarizer then Cast to bool (ML.NET's predicted label): x &gt; threshold.</summary>
        public static void BinarizeToBool(float* x, bool* y, int count, float threshold)
        {
            for (int i = 0; i < count; i++) y[i] = x[i] > threshold;
        }

        /// <summary>Imputer: x where it is not the replaced value (NaN matches NaN), else imputed[i mod k].</summary>
        public static void Impute(float* x, float* imputed, float* y, int count, int per, float replaced)
        {
            bool nan = float.IsNaN(replaced);
            for (int i = 0; i < count; i++) y[i] = (nan && float.IsNaN(x[i])) || x[i] == replaced ? imputed[i % per] : x[i];
        }

        /// <summary>Normalizer over rows of <paramref name="columns"/>: by the max, the L1 or the L2 norm (a zero norm copies the row).</summary>
        public static void Normalize(float* x, float* y, int rows, int columns, NormKind norm)
        {
            for (int r = 0; r < rows; r++)
            {
                float* a = x + r * columns, b = y + r * columns;
                if (norm == NormKind.Max)
                {
                    float max = float.MinValue;
                    for (int c = 0; c < columns; c++) max = Math.Max(max, a[c]);
                    for (int c = 0; c < columns; c++) b[c] = max != 0f ? a[c] / max : a[c];
                }
                else if (norm == NormKind.L1)
                {
                    float sum = 0f;
                    for (int c = 0; c < columns; c++) sum += Math.Abs(a[c]);
                    for (int c = 0; c < columns; c++) b[c] = sum != 0f ? a[c] / sum : a[c];
                }
                else
                {
                    float sum = 0f;
                    for (int c = 0; c < columns; c++) sum += a[c] * a[c];
                    for (int c = 0; c < columns; c++)
                    {
                        float v = sum != 0f ? MathF.Sqrt(a[c] * a[c] / sum) : a[c];
                        b[c] = sum != 0f && a[c] < 0f ? -v : v;
                    }
                }
            }
        }

        /// <summary>
        /// LinearClassifier / LinearRegressor on one row: s[k] = Σ x[f]·w[k, f] + b[k]. A classifier with one weight row and
        /// two labels gives [1 − s, s] (ONNX Runtime ignores the transform there) and label s &gt; 0; otherwise the argmax label
        /// and post_transform(s). A regressor (label null, no labels) writes post_transform(s).
        /// </summary>
        public static void Linear(float* x, float* w, float* b, long* classLabels, float* y, long* label, float* scratch,
            int features, int targets, int labels, TreeTransform transform)
        {
            for (int k = 0; k < targets; k++)
            {
                float s = 0f;
                for (int f = 0; f < features; f++) s += x[f] * w[k * features + f];
                scratch[k] = s + b[k];
            }
            if (targets == 1 && labels == 2)
            {
                float s = scratch[0];
                if (label != null) label[0] = s > 0f ? classLabels[1] : classLabels[0];
                if (transform == TreeTransform.Probit)
                {
                    y[0] = TreeEnsembleF32.Probit(s);
                    y[1] = 0f;
                    return;
                }
                y[0] = 1f - s;
                y[1] = s;
                return;
            }
            if (label != null && labels > 0)
            {
                if (targets == 1) label[0] = scratch[0] > 0f ? 1 : 0;
                else
                {
                    int best = 0;
                    for (int k = 1; k < targets; k++) if (scratch[k] > scratch[best]) best = k;
                    label[0] = classLabels[best];
                }
            }
            if (targets == 1)
            {
                y[0] = transform == TreeTransform.Probit ? TreeEnsembleF32.Probit(scratch[0]) : scratch[0];
                return;
            }
            TreeEnsembleF32.TransformAll(scratch, targets, transform, y);
        }

        /// <summary>OneHotEncoder: y[i, j] = 1 where category j equals x[i] (a float input truncated to int64), else 0.</summary>
        public static void OneHot<T>(T* x, long* categories, float* y, int count, int categoryCount) where T : unmanaged
        {
            for (int i = 0; i < count; i++)
            {
                long v = typeof(T) == typeof(float) ? (long)*(float*)(x + i) : *(long*)(x + i);
                for (int j = 0; j < categoryCount; j++) y[i * categoryCount + j] = categories[j] == v ? 1f : 0f;
            }
        }

        /// <summary>LabelEncoder int64 → int64: values[j] where keys[j] equals x[i] (the first match), else the default.</summary>
        public static void Encode(long* x, long* keys, long* values, long* y, int count, int keyCount, int defaultValue)
        {
            for (int i = 0; i < count; i++)
            {
                long v = defaultValue;
                for (int j = 0; j < keyCount; j++)
                {
                    if (keys[j] == x[i])
                    {
                        v = values[j];
                        break;
                    }
                }
                y[i] = v;
            }
        }
    }
}
