// MiniLM-L6 speed, batch 1, one thread (issue 19's goals): the generated classes against ONNX Runtime 1.32 in this process.
//
//   dotnet run -c Release [-- --rounds R] [--calls C]
//
// Four sides on the same 64 token ids (a clinical note cut to the model's length): QuantGen Float32, QuantGen Int8Dynamic,
// ONNX Runtime on MiniLM's FP32 model and on its dynamically quantized form (OrtDynamicQuantization.cs). ONNX Runtime has
// one intra-op thread (it then runs on the calling thread), all graph optimizations, and its inputs and outputs bound once
// as OrtValues over pinned arrays. After a warm-up of at least 2 s per side, each round runs every side for C calls in a
// rotating order, timed in this thread's CPU time (the machine is shared: wall time would count other people's work) and
// in wall time. Each side's figure is its median round; each ratio is the median over rounds of that round's ratio (the
// sides of a round ran within the same second or two of a noisy machine). Say how loaded the machine was (`uptime`).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace QuantGen.Text.Benchmarks
{
    public static class Program
    {
        private const int Tokens = 64, Width = 384;

        private const string Note =
            "Fictional note: 71-year-old man admitted with a three-day history of productive cough, fever to 38.9 C and " +
            "pleuritic chest pain; crackles and bronchial breathing at the right base, oxygen saturation 91% on air. Chest " +
            "X-ray shows right lower lobe consolidation. Started on amoxicillin and clarithromycin, oxygen to target 94-98%, " +
            "and intravenous fluids; CURB-65 score 2. Past history of type 2 diabetes and hypertension.";

        public static int Main(string[] args)
        {
            CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
            int rounds = 15, calls = 10;
            for (int a = 0; a < args.Length; a++)
            {
                if (args[a] == "--rounds" && a + 1 < args.Length) rounds = int.Parse(args[++a], CultureInfo.InvariantCulture);
                else if (args[a] == "--calls" && a + 1 < args.Length) calls = int.Parse(args[++a], CultureInfo.InvariantCulture);
                else { Console.Error.WriteLine("usage: [--rounds R] [--calls C]"); return 2; }
            }

            string model = Metadata("MiniLmModel");
            var tokenizer = new FastBertTokenizer.BertTokenizer();
            using (var vocabulary = File.OpenText(Metadata("MiniLmVocabulary"))) tokenizer.LoadVocabulary(vocabulary, convertInputToLowercase: true);
            long[] ids = new long[Tokens], mask = new long[Tokens], types = new long[Tokens];
            int count = tokenizer.Encode(Note, ids, mask);
            if (count != Tokens) throw new InvalidOperationException($"the note gives {count} tokens, not {Tokens}");

            var (dynamicModel, matMuls) = OrtDynamicQuantization.Write(model, Path.Combine(AppContext.BaseDirectory, "models"));
            var fp32 = new MiniLmFloat32();
            var int8 = new MiniLmInt8Dynamic();
            var sides = new List<Side>
            {
                new Side("QuantGen Float32", (h, p) => fp32.Run(ids, mask, types, h, p)),
                new Side("QuantGen Int8Dynamic", (h, p) => int8.Run(ids, mask, types, h, p)),
            };
            using var ortFp32 = new OrtSide("ONNX Runtime FP32", model, ids, mask, types);
            using var ortInt8 = new OrtSide($"ONNX Runtime dynamic INT8 ({matMuls} MatMuls)", dynamicModel, ids, mask, types);
            sides.Add(ortFp32.Side);
            sides.Add(ortInt8.Side);

            Console.WriteLine($"MiniLM-L6, {Tokens} tokens, batch 1, one thread; ONNX Runtime {OrtEnv.Instance().GetVersionString()}; " +
                              $"{RuntimeInformation.ProcessArchitecture}, {Environment.ProcessorCount} cores, AVX-512F {System.Runtime.Intrinsics.X86.Avx512F.IsSupported}, " +
                              $"AVX2 {System.Runtime.Intrinsics.X86.Avx2.IsSupported}, AVX-VNNI {System.Runtime.Intrinsics.X86.AvxVnni.IsSupported}; {rounds} rounds of {calls} calls per side");
            foreach (var side in sides) side.Call();
            var reference = Pool(ortFp32.Side.Hidden, count);
            foreach (var side in sides)
                Console.WriteLine($"  {side.Name}: embedding cosine to ONNX Runtime FP32 {Cosine(Pool(side.Hidden, count), reference):F6}");

            foreach (var side in sides)
            {
                var clock = Stopwatch.StartNew();
                int n = 0;
                while (clock.Elapsed.TotalSeconds < 2 || n < 20) { side.Call(); n++; }
            }
            var cpu = sides.Select(_ => new List<double>()).ToArray();
            var wall = sides.Select(_ => new List<double>()).ToArray();
            for (int round = 0; round < rounds; round++)
            {
                for (int j = 0; j < sides.Count; j++)
                {
                    int k = (j + round) % sides.Count;
                    long wall0 = Stopwatch.GetTimestamp(), cpu0 = ThreadCpuNanoseconds();
                    for (int c = 0; c < calls; c++) sides[k].Call();
                    cpu[k].Add((ThreadCpuNanoseconds() - cpu0) / 1e6 / calls);
                    wall[k].Add(Stopwatch.GetElapsedTime(wall0).TotalMilliseconds / calls);
                }
            }
            int ort = sides.IndexOf(ortFp32.Side), ortQ = sides.IndexOf(ortInt8.Side);
            Console.WriteLine();
            Console.WriteLine("| side | CPU ms (median round) | CPU ms (best round) | wall ms (median round) | ÷ ORT FP32 (median of rounds) | ÷ ORT dynamic INT8 |");
            Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
            for (int k = 0; k < sides.Count; k++)
            {
                double toOrt = Median(cpu[k].Select((v, r) => v / cpu[ort][r]));
                double toOrtQ = Median(cpu[k].Select((v, r) => v / cpu[ortQ][r]));
                Console.WriteLine($"| {sides[k].Name} | {Median(cpu[k]):F2} | {cpu[k].Min():F2} | {Median(wall[k]):F2} | {toOrt:F3} | {toOrtQ:F3} |");
            }
            Console.WriteLine($"rounds' ratio spread (QuantGen FP32 ÷ ORT FP32): {Spread(cpu[0], cpu[ort])}; (QuantGen Int8Dynamic ÷ ORT FP32): {Spread(cpu[1], cpu[ort])}");
            return 0;
        }

        private static string Metadata(string key) =>
            typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

        private static double Median(IEnumerable<double> values)
        {
            var sorted = values.OrderBy(v => v).ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }

        private static string Spread(List<double> a, List<double> b)
        {
            var ratios = a.Select((v, r) => v / b[r]).ToArray();
            return $"{ratios.Min():F3}–{ratios.Max():F3}";
        }

        /// <summary>sentence-transformers' pooling: the mean of the real tokens' vectors, then unit length.</summary>
        private static float[] Pool(float[] hidden, int count)
        {
            var e = new double[Width];
            for (int t = 0; t < count; t++)
                for (int k = 0; k < Width; k++) e[k] += hidden[t * Width + k];
            double norm = Math.Sqrt(e.Sum(v => v * v));
            return e.Select(v => (float)(v / norm)).ToArray();
        }

        private static double Cosine(float[] a, float[] b)
        {
            double dot = 0, na = 0, nb = 0;
            for (int i = 0; i < a.Length; i++) { dot += (double)a[i] * b[i]; na += (double)a[i] * a[i]; nb += (double)b[i] * b[i]; }
            return dot / Math.Sqrt(na * nb);
        }

        /// <summary>CPU time of the calling thread, in nanoseconds (tests/Shared/ThreadCpuClock.cs).</summary>
        private static long ThreadCpuNanoseconds() => QuantGen.Tests.ThreadCpuClock.Nanoseconds();

        /// <summary>One contestant: a call that writes the last hidden state [64, 384] and the pooled output [384].</summary>
        private sealed class Side
        {
            private readonly Action<float[], float[]> _run;

            public Side(string name, Action<float[], float[]> run)
            {
                Name = name;
                _run = run;
            }

            public string Name { get; }
            public float[] Hidden { get; } = new float[Tokens * Width];
            public float[] Pooled { get; } = new float[Width];

            public void Call() => _run(Hidden, Pooled);
        }

        /// <summary>An ONNX Runtime session with its inputs and both outputs bound once (as an application using the C# API well).</summary>
        private sealed class OrtSide : IDisposable
        {
            private readonly InferenceSession _session;
            private readonly RunOptions _runOptions = new RunOptions();
            private readonly OrtValue[] _inputs, _outputs;
            private readonly string[] _inputNames, _outputNames;

            public OrtSide(string name, string model, long[] ids, long[] mask, long[] types)
            {
                using var options = new SessionOptions
                {
                    GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                    ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                    IntraOpNumThreads = 1,
                    InterOpNumThreads = 1,
                };
                _session = new InferenceSession(model, options);
                Side = new Side(name, (_, _) => _session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs));
                long[] shape = { 1, Tokens };
                _inputNames = new[] { "input_ids", "attention_mask", "token_type_ids" };
                _inputs = new[] { ids, mask, types }.Select(v => OrtValue.CreateTensorValueFromMemory(v, shape)).ToArray();
                _outputNames = _session.OutputNames.ToArray();
                if (_outputNames.Length != 2) throw new InvalidOperationException($"{model}: {_outputNames.Length} outputs, expected the hidden state and the pooled vector");
                _outputs = new[]
                {
                    OrtValue.CreateTensorValueFromMemory(Side.Hidden, new long[] { 1, Tokens, Width }),
                    OrtValue.CreateTensorValueFromMemory(Side.Pooled, new long[] { 1, Width }),
                };
            }

            public Side Side { get; }

            public void Dispose()
            {
                foreach (var v in _inputs.Concat(_outputs)) v.Dispose();
                _runOptions.Dispose();
                _session.Dispose();
            }
        }
    }
}
