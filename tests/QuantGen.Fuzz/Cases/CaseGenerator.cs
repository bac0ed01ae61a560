// Makes case number i of a campaign: a seed model, a precision, one family of mutations, calibration data.
using System;
using System.Globalization;
using Google.Protobuf;
using QuantGen.Fuzz.Mutation;
using QuantGen.Onnx.Proto;

namespace QuantGen.Fuzz.Cases
{
    internal sealed class CaseGenerator
    {
        private readonly SeedCorpus _corpus;
        private readonly int _campaignSeed;

        public CaseGenerator(SeedCorpus corpus, int campaignSeed)
        {
            _corpus = corpus;
            _campaignSeed = campaignSeed;
        }

        /// <summary>The mutation families and their shares of the cases.</summary>
        private static readonly (string Family, int Weight)[] s_families =
        {
            ("bytes", 16), ("wire", 12), ("graph", 44), ("files", 10), ("calibration", 18),
        };

        public FuzzCase Make(long index)
        {
            // One independent stream per case: case i is the same whatever ran before it, on any worker.
            var random = new Random(unchecked((int)Mix((ulong)_campaignSeed * 0x9E3779B97F4A7C15UL + (ulong)index)));
            var seed = _corpus.Pick(random);
            var c = new FuzzCase(index, seed.Name);

            string family = Pick(random);
            bool calibratable = seed.SampleShape != null;
            string precision = family == "calibration" && calibratable ? "Int8"
                : random.Next(100) switch { < 45 => "Float32", < 82 when calibratable => "Int8", < 82 => "Float32", _ => "Int8Dynamic" };
            if (family == "calibration" && !calibratable) family = "graph";
            c.Family = family;
            c.Set("Precision", precision);

            byte[] model = seed.Bytes;
            switch (family)
            {
                case "bytes":
                {
                    int rounds = 1 + random.Next(3);
                    var other = _corpus.All[random.Next(_corpus.All.Count)].Bytes;
                    for (int i = 0; i < rounds; i++) model = ByteMutations.Apply(random, model, other, c.Mutations);
                    break;
                }
                case "wire":
                    model = WireMutations.Apply(random, model, c.Mutations);
                    if (random.Next(3) == 0) model = WireMutations.Apply(random, model, c.Mutations);
                    break;
                case "graph":
                {
                    var proto = ModelProto.Parser.ParseFrom(model);
                    int rounds = 1 + random.Next(3);
                    for (int i = 0; i < rounds; i++) GraphMutations.Apply(random, proto, c);
                    model = proto.ToByteArray();
                    break;
                }
                case "files":
                {
                    var proto = ModelProto.Parser.ParseFrom(model);
                    if (random.Next(6) == 0) FileMutations.ModelPath(random, c);
                    else FileMutations.ExternalData(random, proto, c);
                    model = proto.ToByteArray();
                    break;
                }
            }
            c.Model = model;

            if (precision == "Int8" && calibratable)
                DataMutations.Calibration(random, c, seed.SampleShape!, seed.Samples, damage: family == "calibration");
            return c;
        }

        private static string Pick(Random random)
        {
            int total = 0;
            foreach (var f in s_families) total += f.Weight;
            int roll = random.Next(total);
            foreach (var (family, weight) in s_families)
                if ((roll -= weight) < 0) return family;
            return "graph";
        }

        private static ulong Mix(ulong x)
        {
            // SplitMix64's finalizer: neighbouring indices give unrelated streams.
            x ^= x >> 30; x *= 0xBF58476D1CE4E5B9UL;
            x ^= x >> 27; x *= 0x94D049BB133111EBUL;
            return x ^ (x >> 31);
        }

        public static string Describe(FuzzCase c) =>
            string.Format(CultureInfo.InvariantCulture, "#{0} {1} [{2}] {3}: {4}", c.Index, c.Seed, c.Family, c.Get("Precision"), string.Join(" + ", c.Mutations));
    }
}
