// Sizes for a model's free (symbolic) input dimensions, chosen in the project file instead of by re-exporting the
// model: InputShapes="input_ids:1,128;attention_mask:1,128" (onnx-simplifier's --overwrite-input-shape syntax) and
// DimensionValues="sequence:128" (ONNX Runtime's free-dimension overrides, by the dimension's name).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;

namespace QuantGen.Compiler.GraphPasses
{
    public sealed class FreeDimensions
    {
        /// <summary>Written in InputShapes for a leading axis that stays the symbolic batch.</summary>
        public const string BatchMark = "N";

        /// <summary>Largest size accepted for one dimension: a typo must not plan gigabytes of workspace.</summary>
        public const int MaxSize = 65536;

        /// <summary>Internal mark for <see cref="BatchMark"/> in <see cref="InputShapes"/>.</summary>
        private const int Batch = -1;

        private FreeDimensions(Dictionary<string, int[]> inputShapes, Dictionary<string, int> dimensionValues)
        {
            InputShapes = inputShapes;
            DimensionValues = dimensionValues;
        }

        public static readonly FreeDimensions None = new FreeDimensions(new Dictionary<string, int[]>(), new Dictionary<string, int>());

        /// <summary>Whole shapes by input name; -1 marks a leading axis left as the batch.</summary>
        public IReadOnlyDictionary<string, int[]> InputShapes { get; }

        /// <summary>Sizes by ONNX dimension name (dim_param).</summary>
        public IReadOnlyDictionary<string, int> DimensionValues { get; }

        public bool IsEmpty => InputShapes.Count == 0 && DimensionValues.Count == 0;

        /// <summary>
        /// Parses the two metadata values (null or empty: none). Entries are separated by ';', a name from its value by the
        /// last ':' (ONNX names may contain ':'). Throws <see cref="FormatException"/> with a message a user can act on.
        /// </summary>
        public static FreeDimensions Parse(string? inputShapes, string? dimensionValues)
        {
            var shapes = new Dictionary<string, int[]>(StringComparer.Ordinal);
            foreach (var (name, text) in Entries(inputShapes, "InputShapes", "input_ids:1,128"))
            {
                string[] parts = text.Split(',');
                var dims = new int[parts.Length];
                for (int i = 0; i < parts.Length; i++)
                {
                    string part = parts[i].Trim();
                    if (i == 0 && part == BatchMark) dims[i] = Batch;
                    else if (!TrySize(part, out dims[i]))
                        throw new FormatException($"InputShapes gives input '{name}' the dimension '{part}'; each dimension is a whole number from 1 to {MaxSize} (or {BatchMark} for a leading batch axis), e.g. InputShapes=\"{name}:1,128\".");
                }
                if (shapes.ContainsKey(name)) throw new FormatException($"InputShapes names input '{name}' twice.");
                shapes.Add(name, dims);
            }
            var values = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var (name, text) in Entries(dimensionValues, "DimensionValues", "sequence:128"))
            {
                if (!TrySize(text.Trim(), out int size))
                    throw new FormatException($"DimensionValues gives dimension '{name}' the size '{text.Trim()}'; a size is a whole number from 1 to {MaxSize}, e.g. DimensionValues=\"{name}:128\".");
                if (values.ContainsKey(name)) throw new FormatException($"DimensionValues names dimension '{name}' twice.");
                values.Add(name, size);
            }
            return shapes.Count == 0 && values.Count == 0 ? None : new FreeDimensions(shapes, values);
        }

        private static IEnumerable<(string Name, string Value)> Entries(string? text, string metadata, string example)
        {
            if (string.IsNullOrWhiteSpace(text)) yield break;
            foreach (string raw in text!.Split(';'))
            {
                string entry = raw.Trim();
                if (entry.Length == 0) continue;
                int colon = entry.LastIndexOf(':');
                if (colon <= 0 || colon == entry.Length - 1)
                    throw new FormatException($"{metadata} entry '{entry}' is not 'name:value'; entries are separated by ';', e.g. {metadata}=\"{example}\".");
                yield return (entry.Substring(0, colon).Trim(), entry.Substring(colon + 1));
            }
        }

        private static bool TrySize(string text, out int size) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out size) && size >= 1 && size <= MaxSize;

        /// <summary>
        /// Replaces the free dimensions of <paramref name="graph"/>'s inputs with the chosen sizes. An input InputShapes
        /// names takes that whole shape; other inputs take DimensionValues by dimension name. A size that contradicts the
        /// model (a fixed dimension, the rank, an unknown name) is QG0030.
        /// </summary>
        public void Apply(Graph graph)
        {
            if (IsEmpty) return;
            string file = graph.Info.SourcePath;
            foreach (string name in InputShapes.Keys)
                if (!graph.Inputs.Any(v => v.Name == name))
                    throw Mismatch(file, $"InputShapes names '{name}', which is not an input of the model; its inputs are {string.Join(", ", graph.Inputs.Select(Describe))}.");
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var input in graph.Inputs)
            {
                if (input.Shape == null) continue;
                var shape = (int[])input.Shape.Clone();
                if (InputShapes.TryGetValue(input.Name, out int[]? given))
                {
                    if (given.Length != shape.Length)
                        throw Mismatch(file, $"InputShapes gives input '{input.Name}' {given.Length} dimensions, but its ONNX shape {DescribeShape(input)} has {shape.Length}; e.g. InputShapes=\"{input.Name}:{Example(input)}\".");
                    for (int i = 0; i < given.Length; i++)
                    {
                        if (given[i] == Batch)
                        {
                            if (shape[i] >= 0)
                                throw Mismatch(file, $"InputShapes marks axis 0 of input '{input.Name}' as the batch ({BatchMark}), but it is fixed at {shape[i]} in its ONNX shape {DescribeShape(input)}.");
                            continue;
                        }
                        if (shape[i] >= 0 && shape[i] != given[i])
                            throw Mismatch(file, $"InputShapes gives axis {i} of input '{input.Name}' the size {given[i]}, but the model fixes it at {shape[i]} (ONNX shape {DescribeShape(input)}); e.g. InputShapes=\"{input.Name}:{Example(input)}\".");
                        shape[i] = given[i];
                    }
                }
                else
                {
                    for (int i = 0; i < shape.Length; i++)
                    {
                        string? dimName = input.DimensionNames != null && i < input.DimensionNames.Length ? input.DimensionNames[i] : null;
                        if (shape[i] >= 0 || dimName == null || !DimensionValues.TryGetValue(dimName, out int size)) continue;
                        shape[i] = size;
                        used.Add(dimName);
                    }
                }
                input.Shape = shape;
            }
            foreach (string name in DimensionValues.Keys)
                if (!used.Contains(name))
                {
                    var names = graph.Inputs.SelectMany(v => v.DimensionNames ?? Array.Empty<string?>()).Where(n => n != null).Distinct().ToList();
                    throw Mismatch(file, $"DimensionValues names the dimension '{name}', which no free input dimension has; " +
                        (names.Count == 0 ? "the model's inputs have no named dimensions (use InputShapes)." : $"the model's named dimensions are {string.Join(", ", names)}."));
                }
        }

        /// <summary>'input_ids' [batch,sequence]: the ONNX shape with names where the model gives them, '?' where it gives none.</summary>
        public static string Describe(Value input) => $"'{input.Name}' {DescribeShape(input)}";

        public static string DescribeShape(Value input) =>
            input.Shape == null ? "(no shape)" : "[" + string.Join(",", input.Shape.Select((d, i) =>
                d >= 0 ? d.ToString(CultureInfo.InvariantCulture)
                : input.DimensionNames != null && i < input.DimensionNames.Length && input.DimensionNames[i] != null ? input.DimensionNames[i]
                : "?")) + "]";

        /// <summary>A shape to suggest: fixed dimensions as they are, the batch as 1, other free ones as 128.</summary>
        public static string Example(Value input) =>
            string.Join(",", input.Shape!.Select((d, i) => d >= 0 ? d.ToString(CultureInfo.InvariantCulture) : i == 0 ? "1" : "128"));

        private static CompilerException Mismatch(string file, string message) =>
            new CompilerException(new CompilerDiagnostic(DiagnosticIds.FreeDimensionMismatch, DiagnosticSeverity.Error, message, file));
    }
}
