// The build facts a plan carries: each defined once here (plan key, C# name, type, meaning). The compiler
// writes them through these keys and the generator turns each into a typed constant of the nested Facts class.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;

namespace QuantGen.Plan
{
    /// <summary>What a fact's value is, and so the type of its generated constant.</summary>
    public enum PlanFactType
    {
        /// <summary>A whole number: <c>long</c>.</summary>
        Integer,

        /// <summary>A measurement: <c>double</c>, written rounded to 4 decimals.</summary>
        Number,

        /// <summary>Free text: <c>string</c>.</summary>
        Text,
    }

    /// <summary>One build fact: its key in the plan file, its constant's name in the generated Facts class, its type and meaning.</summary>
    public abstract class PlanFact
    {
        private protected PlanFact(string key, string name, PlanFactType type, string description)
        {
            Key = key;
            Name = name;
            Type = type;
            Description = description;
        }

        /// <summary>The key in the plan file (<c>fact "key" "value"</c>).</summary>
        public string Key { get; }

        /// <summary>The C# name of the generated constant (<c>{ClassName}.Facts.{Name}</c>).</summary>
        public string Name { get; }

        public PlanFactType Type { get; }

        /// <summary>What the fact means: the generated constant's doc comment.</summary>
        public string Description { get; }

        /// <summary>Whether <paramref name="text"/> is a value of this fact's type as the plan file spells it.</summary>
        public bool Accepts(string text) => Type switch
        {
            PlanFactType.Integer => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            PlanFactType.Number => PlanFacts.TryParseNumber(text, out _),
            _ => true,
        };
    }

    /// <summary>A fact whose values are <typeparamref name="T"/> (<c>long</c>, <c>double</c> or <c>string</c>).</summary>
    public sealed class PlanFact<T> : PlanFact
    {
        internal PlanFact(string key, string name, PlanFactType type, string description)
            : base(key, name, type, description)
        {
        }
    }

    /// <summary>A fact and its value as the plan file spells it (invariant culture).</summary>
    public sealed class PlanFactValue
    {
        public PlanFactValue(PlanFact fact, string text)
        {
            Fact = fact;
            Text = text;
        }

        public PlanFact Fact { get; }

        public string Text { get; }
    }

    /// <summary>Every fact the plan format knows.</summary>
    public static class PlanFacts
    {
        public static readonly PlanFact<long> Parameters = Integer("parameters", "Parameters",
            "Trainable parameters of the model after build-time folding.");

        public static readonly PlanFact<long> WorkspaceUnplanned = Integer("workspace.unplanned", "WorkspaceUnplanned",
            "Workspace bytes the kernels would need without memory planning (compare WorkspaceBytes).");

        public static readonly PlanFact<long> WeightsFloat32Bytes = Integer("weights.float32.bytes", "WeightsFloat32Bytes",
            "Bytes of the model's FP32 weights.");

        public static readonly PlanFact<long> WeightsBytes = Integer("weights.bytes", "WeightsBytes",
            "Bytes of the weights this class carries (INT8 weights, int32 biases, scales).");

        public static readonly PlanFact<long> CalibrationSamples = Integer("calibration.samples", "CalibrationSamples",
            "Calibration samples the INT8 ranges were measured on.");

        public static readonly PlanFact<string> CalibrationMethod = Text("calibration.method", "CalibrationMethod",
            "How activation ranges were chosen from the calibration data.");

        public static readonly PlanFact<string> QuantizationMetric = Text("quantization.metric", "QuantizationMetric",
            "What the accuracy budget measured: top-1, MAE or output SQNR.");

        public static readonly PlanFact<double> QuantizationOutputSqnrDb = Number("quantization.output_sqnr_db", "QuantizationOutputSqnrDb",
            "Output SQNR of this INT8 model against FP32 on the measured samples, in dB.");

        public static readonly PlanFact<double> QuantizationFloat32Score = Number("quantization.float32_score", "QuantizationFloat32Score",
            "The budget's metric for the FP32 model (top-1 as a fraction, or MAE).");

        public static readonly PlanFact<double> QuantizationInt8Score = Number("quantization.int8_score", "QuantizationInt8Score",
            "The budget's metric for this INT8 model (top-1 as a fraction, or MAE).");

        public static readonly PlanFact<long> QuantizationLayersInFloat = Integer("quantization.layers_in_float", "QuantizationLayersInFloat",
            "Integer layers (weighted layers, adds, pools) the accuracy budget kept in float.");

        private static readonly PlanFact[] s_all =
        {
            Parameters, WorkspaceUnplanned, WeightsFloat32Bytes, WeightsBytes, CalibrationSamples, CalibrationMethod, QuantizationMetric,
            QuantizationOutputSqnrDb, QuantizationFloat32Score, QuantizationInt8Score, QuantizationLayersInFloat,
        };

        public static IReadOnlyList<PlanFact> All => s_all;

        public static PlanFact? Find(string key)
        {
            foreach (PlanFact fact in s_all)
            {
                if (fact.Key == key) return fact;
            }
            return null;
        }

        /// <summary>A number as facts spell it: invariant, round-trip; "NaN", "Infinity" and "-Infinity" for the non-finite.</summary>
        public static bool TryParseNumber(string text, out double value) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

        private static PlanFact<long> Integer(string key, string name, string description) => new PlanFact<long>(key, name, PlanFactType.Integer, description);

        private static PlanFact<double> Number(string key, string name, string description) => new PlanFact<double>(key, name, PlanFactType.Number, description);

        private static PlanFact<string> Text(string key, string name, string description) => new PlanFact<string>(key, name, PlanFactType.Text, description);
    }

    /// <summary>A plan's facts in the order they were added; at most one value per fact.</summary>
    public sealed class PlanFactList : IReadOnlyList<PlanFactValue>
    {
        private readonly List<PlanFactValue> _values = new List<PlanFactValue>();

        public int Count => _values.Count;

        public PlanFactValue this[int index] => _values[index];

        public void Add(PlanFact<long> fact, long value) => Add(fact, value.ToString(CultureInfo.InvariantCulture));

        /// <summary>Adds a measurement rounded to 4 decimals (the report's precision), so plans do not churn in the last bits.</summary>
        public void Add(PlanFact<double> fact, double value) => Add(fact, Math.Round(value, 4).ToString("R", CultureInfo.InvariantCulture));

        public void Add(PlanFact<string> fact, string value) => Add((PlanFact)fact, value);

        /// <summary>Adds a value as the plan file spells it; throws when the fact already has one or the text is not of its type.</summary>
        public void Add(PlanFact fact, string text)
        {
            if (Find(fact) != null) throw new ArgumentException($"the fact '{fact.Key}' is set twice", nameof(fact));
            if (!fact.Accepts(text)) throw new ArgumentException($"'{text}' is not a value of the {fact.Type} fact '{fact.Key}'", nameof(text));
            _values.Add(new PlanFactValue(fact, text));
        }

        public long? Get(PlanFact<long> fact) =>
            Find(fact) is { } value ? long.Parse(value.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : (long?)null;

        public double? Get(PlanFact<double> fact) =>
            Find(fact) is { } value && PlanFacts.TryParseNumber(value.Text, out double number) ? number : (double?)null;

        public string? Get(PlanFact<string> fact) => Find(fact)?.Text;

        private PlanFactValue? Find(PlanFact fact)
        {
            foreach (PlanFactValue value in _values)
            {
                if (ReferenceEquals(value.Fact, fact)) return value;
            }
            return null;
        }

        public IEnumerator<PlanFactValue> GetEnumerator() => _values.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
