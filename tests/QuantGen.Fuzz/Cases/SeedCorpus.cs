// The models every case starts from: the repository's reference models, their QDQ exports, the ONNX backend
// test models of the conformance suite (as exported, and with their inputs turned into initializers so the whole
// graph folds at build time), and a long chain.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using QuantGen.Onnx.Proto;
using QuantGen.Tests;

namespace QuantGen.Fuzz.Cases
{
    internal sealed class SeedModel
    {
        public SeedModel(string name, byte[] bytes, string group)
        {
            Name = name;
            Bytes = bytes;
            Group = group;
        }

        public string Name { get; }
        public byte[] Bytes { get; }

        /// <summary>"reference", "qdq", "backend", "folded", "trees" or "chain": cases pick a group first, then a seed in it.</summary>
        public string Group { get; }

        /// <summary>One calibration sample's shape (the single float input without its batch axis), or null when the model cannot be calibrated.</summary>
        public int[]? SampleShape { get; set; }

        /// <summary>Calibration samples: the model's own calibration set when it has one, else seeded noise.</summary>
        public List<float[]> Samples { get; } = new List<float[]>();
    }

    internal sealed class SeedCorpus
    {
        private readonly Dictionary<string, List<SeedModel>> _byGroup;

        private SeedCorpus(List<SeedModel> seeds)
        {
            All = seeds;
            _byGroup = new Dictionary<string, List<SeedModel>>(StringComparer.Ordinal);
            foreach (var s in seeds)
            {
                if (!_byGroup.TryGetValue(s.Group, out var list)) _byGroup[s.Group] = list = new List<SeedModel>();
                list.Add(s);
            }
        }

        public IReadOnlyList<SeedModel> All { get; }

        /// <summary>Share of the cases each group gets (the rest of a missing group's share goes to "backend").</summary>
        private static readonly (string Group, int Weight)[] s_weights =
        {
            ("reference", 28), ("qdq", 6), ("backend", 28), ("folded", 26), ("trees", 6), ("chain", 6),
        };

        public SeedModel Pick(Random random)
        {
            int total = s_weights.Sum(w => w.Weight), roll = random.Next(total);
            foreach (var (group, weight) in s_weights)
            {
                if ((roll -= weight) >= 0) continue;
                if (_byGroup.TryGetValue(group, out var list)) return Weighted(random, list);
                break;
            }
            return Weighted(random, _byGroup["backend"]);
        }

        /// <summary>Small models are picked often, the MobileNetV2s rarely (up to seconds a case, 15 s calibrating the QDQ one).</summary>
        private static SeedModel Weighted(Random random, List<SeedModel> list)
        {
            for (int attempt = 0; attempt < 4; attempt++)
            {
                var s = list[random.Next(list.Count)];
                if (s.Bytes.Length < 500_000 || random.Next(16) == 0) return s;
            }
            return list[0];
        }

        public static SeedCorpus Load()
        {
            var seeds = new List<SeedModel>();
            foreach (string name in new[] { "clinical-mlp", "digits-cnn", "mobilenetv2-digits" })
            {
                string folder = RepoPaths.Model(name);
                var seed = new SeedModel(name, File.ReadAllBytes(Path.Combine(folder, "model.onnx")), "reference");
                Describe(seed, ModelProto.Parser.ParseFrom(seed.Bytes), Path.Combine(folder, "data", "calib_x.f32"));
                seeds.Add(seed);
            }
            string qdq = Path.Combine(RepoPaths.Assets, "qdq");
            foreach (string folder in Directory.GetDirectories(qdq).OrderBy(f => f, StringComparer.Ordinal))
            {
                string file = Path.Combine(folder, "model.int8.onnx");
                if (!File.Exists(file) || new FileInfo(file).Length > 1_000_000) continue;
                var seed = new SeedModel("qdq/" + Path.GetFileName(folder), File.ReadAllBytes(file), "qdq");
                Describe(seed, ModelProto.Parser.ParseFrom(seed.Bytes), null);
                seeds.Add(seed);
            }

            // The ai.onnx.ml models (tree ensembles, linear models, scalers and encoders from scikit-learn, XGBoost and ML.NET).
            string trees = Path.Combine(RepoPaths.Assets, "trees");
            if (Directory.Exists(trees))
                foreach (string file in Directory.EnumerateFiles(trees, "*.onnx", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
                {
                    if (new FileInfo(file).Length > 500_000) continue;
                    // No sample shape: a model of ai.onnx.ml operators only compiles in float32 and never reads calibration data.
                    seeds.Add(new SeedModel("trees/" + Path.GetRelativePath(trees, file).Replace('\\', '/'), File.ReadAllBytes(file), "trees"));
                }

            string backend = Path.Combine(RepoPaths.Root, "tests", "QuantGen.Conformance.Tests", "onnx-backend-tests");
            foreach (string model in Directory.EnumerateFiles(backend, "model.onnx", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
            {
                if (new FileInfo(model).Length > 200_000) continue;
                string folder = Path.GetDirectoryName(model)!;
                string name = Path.GetRelativePath(backend, folder).Replace('\\', '/');
                var bytes = File.ReadAllBytes(model);
                var proto = ModelProto.Parser.ParseFrom(bytes);
                var seed = new SeedModel(name, bytes, "backend");
                Describe(seed, proto, null);
                seeds.Add(seed);
                var folded = Fold(proto, Path.Combine(folder, "test_data_set_0"));
                if (folded != null)
                {
                    var f = new SeedModel(name + " (inputs as initializers)", folded.ToByteArray(), "folded");
                    Describe(f, folded, null);
                    seeds.Add(f);
                }
            }

            seeds.Add(Chain("relu-chain-300", 300));
            return new SeedCorpus(seeds);
        }

        /// <summary>
        /// The model with its inputs turned into initializers holding the test data: every node is then evaluated at build
        /// time (constant folding), with whatever values the mutations give those tensors. The first input stays a run-time
        /// input half the time, so some graphs mix folded and run-time parts.
        /// </summary>
        private static ModelProto? Fold(ModelProto proto, string dataFolder)
        {
            if (!Directory.Exists(dataFolder)) return null;
            var model = proto.Clone();
            var graph = model.Graph;
            var inputs = graph.Input.Where(i => graph.Initializer.All(t => t.Name != i.Name)).ToList();
            int keep = inputs.Count > 1 && model.Graph.Name.Length % 2 == 0 ? 1 : 0;
            for (int i = keep; i < inputs.Count; i++)
            {
                string file = Path.Combine(dataFolder, $"input_{i}.pb");
                if (!File.Exists(file)) return null;
                var tensor = TensorProto.Parser.ParseFrom(File.ReadAllBytes(file));
                tensor.Name = inputs[i].Name;
                graph.Initializer.Add(tensor);
                graph.Input.Remove(inputs[i]);
            }
            return model;
        }

        /// <summary>x [N,16] → n Relu nodes → y: the graph the compile-time curve is measured on.</summary>
        public static SeedModel Chain(string name, int length)
        {
            var seed = new SeedModel(name, ChainModel(length).ToByteArray(), "chain");
            Describe(seed, ChainModel(1), null);
            return seed;
        }

        public static ModelProto ChainModel(int length, string op = "Relu", int width = 16)
        {
            var graph = new GraphProto { Name = "chain" };
            graph.Input.Add(FloatInfo("x", new long[] { -1, width }));
            string current = "x";
            for (int i = 0; i < length; i++)
            {
                string next = i == length - 1 ? "y" : "v" + i;
                graph.Node.Add(new NodeProto { Name = op.ToLowerInvariant() + i, OpType = op, Input = { current }, Output = { next } });
                current = next;
            }
            graph.Output.Add(FloatInfo("y", new long[] { -1, width }));
            return new ModelProto { IrVersion = 8, ProducerName = "quantgen-fuzz", OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 13 } }, Graph = graph };
        }

        public static ValueInfoProto FloatInfo(string name, long[] dims)
        {
            var shape = new TensorShapeProto();
            shape.Dim.AddRange(dims.Select(d => d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d }));
            return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
        }

        /// <summary>Sample shape and samples for calibration, when the model has exactly one float run-time input of known shape.</summary>
        private static void Describe(SeedModel seed, ModelProto proto, string? calibrationFile)
        {
            var graph = proto.Graph;
            var inputs = graph.Input.Where(i => graph.Initializer.All(t => t.Name != i.Name)).ToList();
            if (inputs.Count != 1) return;
            var type = inputs[0].Type?.TensorType;
            if (type == null || type.ElemType != 1 || type.Shape == null) return;
            var dims = type.Shape.Dim.ToList();
            if (dims.Skip(1).Any(d => d.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || d.DimValue <= 0)) return;
            bool batchAxis = dims.Count >= 2 && (dims[0].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || dims[0].DimValue == 1);
            var sample = (batchAxis ? dims.Skip(1) : dims).Select(d => (int)d.DimValue).ToArray();
            if (sample.Length == 0 || sample.Any(d => d <= 0)) return;
            long size = sample.Aggregate(1L, (a, d) => a * d);
            if (size > 1 << 16) return;
            seed.SampleShape = sample;
            if (calibrationFile != null && File.Exists(calibrationFile))
            {
                var bytes = File.ReadAllBytes(calibrationFile);
                int count = (int)Math.Min(12, bytes.Length / 4 / size);
                for (int s = 0; s < count; s++)
                {
                    var floats = new float[size];
                    Buffer.BlockCopy(bytes, (int)(s * size * 4), floats, 0, (int)size * 4);
                    seed.Samples.Add(floats);
                }
            }
            if (seed.Samples.Count == 0)
            {
                var random = new Random(seed.Name.Length * 7919 + (int)size);
                for (int s = 0; s < 8; s++) seed.Samples.Add(Enumerable.Range(0, (int)size).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray());
            }
        }
    }
}
