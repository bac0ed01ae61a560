// feature-map.json: which Observation code (and unit) is which of the model's 30 inputs.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace QuantGen.Samples.Fhir
{
    /// <summary>One model input: its place in the input vector, its name, the Observation coding that carries it and the UCUM unit.</summary>
    public sealed record Feature(int Index, string Name, string System, string Code, string Unit);

    /// <summary>The mapping from Observation codings to the model's inputs, read once at start-up.</summary>
    public sealed class FeatureMap
    {
        private readonly Dictionary<(string System, string Code), Feature> _byCoding = new();

        public FeatureMap(IReadOnlyList<Feature> features, int inputCount)
        {
            Features = features;
            var seen = new bool[inputCount];
            foreach (Feature feature in features)
            {
                if (feature.Index < 0 || feature.Index >= inputCount) throw new InvalidDataException($"feature '{feature.Name}': index {feature.Index} is outside 0..{inputCount - 1}");
                if (seen[feature.Index]) throw new InvalidDataException($"feature '{feature.Name}': index {feature.Index} is mapped twice");
                if (!_byCoding.TryAdd((feature.System, feature.Code), feature)) throw new InvalidDataException($"feature '{feature.Name}': code {feature.System}|{feature.Code} is mapped twice");
                seen[feature.Index] = true;
            }
            int missing = Array.IndexOf(seen, false);
            if (missing >= 0) throw new InvalidDataException($"input {missing} has no feature: the map must name all {inputCount}");
        }

        public IReadOnlyList<Feature> Features { get; }

        public Feature? Find(string? system, string? code) =>
            system != null && code != null && _byCoding.TryGetValue((system, code), out Feature? feature) ? feature : null;

        /// <summary>Reads the map (see feature-map.json): a default <c>system</c> and a list of features, each may give its own system.</summary>
        public static FeatureMap Load(string path, int inputCount)
        {
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
            string? defaultSystem = json.RootElement.TryGetProperty("system", out JsonElement s) ? s.GetString() : null;
            var features = new List<Feature>();
            foreach (JsonElement f in json.RootElement.GetProperty("features").EnumerateArray())
            {
                string name = f.GetProperty("name").GetString() ?? throw new InvalidDataException(path + ": a feature has no name");
                string system = f.TryGetProperty("system", out JsonElement fs) ? fs.GetString()! : defaultSystem ?? throw new InvalidDataException(path + ": feature '" + name + "' has no system");
                features.Add(new Feature(f.GetProperty("index").GetInt32(), name, system, f.GetProperty("code").GetString()!, f.GetProperty("unit").GetString()!));
            }
            try
            {
                return new FeatureMap(features, inputCount);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException(path + ": " + e.Message, e);
            }
        }
    }
}
