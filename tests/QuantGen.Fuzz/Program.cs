// QuantGen.Fuzz: a seeded mutational fuzzer of the build task.
//
//   campaign --cases N [--first F] [--seed S] [--jobs J] [--time-limit SEC] [--memory-limit-mb MB] [--out DIR]
//       runs cases F..F+N-1 on J worker processes; writes DIR/summary.md and DIR/results.tsv; exit code 1 on any
//       internal error, hang, memory failure or escape
//   run CASE [--seed S] [--keep DIR]     builds one case in this process and prints everything the tasks logged
//   curve [--max NODES] [--op Relu] [--reversed] [--precision Float32|Int8]
//                                         compile time of a chain of NODES nodes (doubling from 1000): is it linear?
//                                         (--reversed lists the nodes last to first, as a hostile file may)
//   build MODEL [--precision P] [--calibration-data PATH] [--max-tensor-bytes N] [--max-tensor-elements N]
//         [--max-weight-bytes N] [--max-workspace-bytes N]
//                                         builds one model file through the tasks, prints the log; exit code 1 on an error
//   worker …                              (used by campaign)
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Google.Protobuf;
using QuantGen.Fuzz.Cases;
using QuantGen.Fuzz.Running;

namespace QuantGen.Fuzz
{
    internal static class Program
    {
        private static int Main(string[] args)
        {
            if (args.Length == 0)
            {
                Console.Error.WriteLine("usage: QuantGen.Fuzz campaign|run|curve|worker [options] (see Program.cs)");
                return 2;
            }
            var options = Options(args.Skip(1));
            switch (args[0])
            {
                case "worker":
                    return Worker.Run(new WorkerOptions
                    {
                        Seed = Int(options, "seed", 1),
                        WorkDirectory = options.TryGetValue("work", out var work) ? work : Path.Combine(Path.GetTempPath(), "quantgen-fuzz"),
                        TimeLimit = TimeSpan.FromSeconds(double.Parse(options.GetValueOrDefault("time-limit", "20"), CultureInfo.InvariantCulture)),
                        MemoryLimit = (long)Int(options, "memory-limit-mb", 1024) << 20,
                    });
                case "campaign":
                    return RunCampaign(options);
                case "run":
                    return RunOne(long.Parse(args[1], CultureInfo.InvariantCulture), Options(args.Skip(2)));
                case "curve":
                    return Curve(Int(options, "max", 16000), options.GetValueOrDefault("op", "Relu"), options.ContainsKey("reversed"), options.GetValueOrDefault("precision", "Float32"));
                case "build":
                    return BuildModel(args[1], Options(args.Skip(2)));
                default:
                    Console.Error.WriteLine($"unknown command '{args[0]}'");
                    return 2;
            }
        }

        private static int RunCampaign(Dictionary<string, string> options)
        {
            var campaign = new CampaignOptions
            {
                Seed = Int(options, "seed", 1),
                First = Int(options, "first", 0),
                Cases = Int(options, "cases", 2000),
                Jobs = Int(options, "jobs", 2),
                TimeLimit = TimeSpan.FromSeconds(Int(options, "time-limit", 20)),
                MemoryLimit = (long)Int(options, "memory-limit-mb", 1024) << 20,
                Progress = Console.Out,
            };
            string output = options.GetValueOrDefault("out", "fuzz-results");
            Directory.CreateDirectory(output);
            Console.WriteLine($"fuzzing cases {campaign.First}..{campaign.First + campaign.Cases - 1} (seed {campaign.Seed}) on {campaign.Jobs} workers");
            var result = Campaign.Run(campaign);
            string summary = Summary.Markdown(result, Machine());
            File.WriteAllText(Path.Combine(output, "summary.md"), summary);
            Summary.WriteTsv(result, Path.Combine(output, "results.tsv"));
            Console.WriteLine(summary.Substring(0, summary.IndexOf("Clean errors", StringComparison.Ordinal)));
            Console.WriteLine($"summary: {Path.GetFullPath(Path.Combine(output, "summary.md"))}");
            return result.Failures.Any() ? 1 : 0;
        }

        private static int RunOne(long index, Dictionary<string, string> options)
        {
            var generator = new CaseGenerator(SeedCorpus.Load(), Int(options, "seed", 1));
            var c = generator.Make(index);
            Console.WriteLine(CaseGenerator.Describe(c));
            string root = options.TryGetValue("keep", out var keep) ? Path.GetFullPath(keep) : Path.Combine(Path.GetTempPath(), "quantgen-fuzz-run-" + index);
            string project = TaskHarness.Materialize(c, root);
            var outcome = TaskHarness.Build(c, project);
            foreach (var e in outcome.Log.Errors) Console.WriteLine($"error {e.Code}: {e.File}: {e.Message}");
            foreach (var w in outcome.Log.Warnings) Console.WriteLine($"warning {w.Code}: {w.File}: {w.Message}");
            if (outcome.Escaped != null) Console.WriteLine("escaped: " + outcome.Escaped);
            var result = TaskHarness.Judge(c, outcome);
            Console.WriteLine($"{result.Verdict} in {outcome.Seconds:0.00} s, peak {Native.PeakMemory() >> 20} MiB");
            if (keep == null) TaskHarness.Delete(root);
            else Console.WriteLine($"case files: {project}");
            return result.IsFailure ? 1 : 0;
        }

        /// <summary>One model file through the tasks, as a project would build it: for a look at the messages, and for tests in a process with a small heap.</summary>
        private static int BuildModel(string model, Dictionary<string, string> options)
        {
            var c = new FuzzCase(0, model) { Model = File.ReadAllBytes(model) };
            c.Set("Precision", options.GetValueOrDefault("precision", "Float32"));
            if (options.TryGetValue("calibration-data", out var data)) c.Set("CalibrationData", Path.GetFullPath(data));
            foreach (var (option, parameter) in new[] { ("max-tensor-bytes", "MaxTensorBytes"), ("max-tensor-elements", "MaxTensorElements"), ("max-weight-bytes", "MaxWeightBytes"), ("max-workspace-bytes", "MaxWorkspaceBytes") })
                if (options.TryGetValue(option, out var value)) c.Limits[parameter] = value;
            string root = Path.Combine(Path.GetTempPath(), "quantgen-fuzz-build-" + Environment.ProcessId);
            var outcome = TaskHarness.Build(c, TaskHarness.Materialize(c, root));
            foreach (var e in outcome.Log.Errors) Console.WriteLine($"error {e.Code}: {e.File}: {e.Message}");
            foreach (var w in outcome.Log.Warnings) Console.WriteLine($"warning {w.Code}: {w.File}: {w.Message}");
            foreach (var m in outcome.Log.Messages.Where(m => m.StartsWith("QuantGen:", StringComparison.Ordinal))) Console.WriteLine(m);
            if (outcome.Escaped != null) Console.WriteLine("escaped: " + outcome.Escaped);
            TaskHarness.Delete(root);
            return outcome.Succeeded ? 0 : 1;
        }

        /// <summary>Builds chains of 1000, 2000, 4000… nodes through the task and prints seconds per size (after a warm-up build).</summary>
        private static int Curve(int max, string op, bool reversed, string precision)
        {
            string root = Path.Combine(Path.GetTempPath(), "quantgen-fuzz-curve-" + Environment.ProcessId);
            Console.WriteLine($"compile time of a chain of {op} nodes{(reversed ? " listed last to first" : "")} through CompileQuantGenModel ({precision}), {Machine()}");
            // Processor time beside the wall clock: on a shared machine the wall clock also counts other people's work.
            Console.WriteLine("| nodes | seconds | CPU seconds | µs per node (CPU) |");
            Console.WriteLine("| ---: | ---: | ---: | ---: |");
            foreach (int n in new[] { 100 }.Concat(Sizes(max)))
            {
                var model = SeedCorpus.ChainModel(n, op);
                if (reversed)
                {
                    var nodes = model.Graph.Node.Reverse().ToList();
                    model.Graph.Node.Clear();
                    model.Graph.Node.AddRange(nodes);
                }
                var c = new FuzzCase(n, "chain") { Model = model.ToByteArray() };
                c.Set("Precision", precision);
                if (precision == "Int8")
                {
                    // Eight samples of the chain's 16 inputs, and no accuracy budget to search: the time is calibration's and the scheme's.
                    var samples = Enumerable.Range(0, 8).Select(i => Enumerable.Range(0, 16).Select(j => (float)Math.Sin(i * 16 + j)).ToArray()).ToList();
                    c.Files.Add(CaseFile.Of("data/calib.f32", Mutation.DataMutations.Encode(".f32", new[] { 16 }, samples)));
                    c.Set("CalibrationData", "data/calib.f32");
                    c.Set("MinOutputSqnr", "0");
                }
                string project = TaskHarness.Materialize(c, root);
                var clock = Stopwatch.StartNew();
                var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                var outcome = TaskHarness.Build(c, project);
                double seconds = clock.Elapsed.TotalSeconds;
                double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
                if (!outcome.Succeeded)
                {
                    Console.WriteLine($"{n} nodes failed: {outcome.Escaped?.Message ?? string.Join("; ", outcome.Log.Errors.Select(e => e.Code + " " + e.Message))}");
                    return 1;
                }
                if (n == 100) continue; // warm-up: JIT
                Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "| {0} | {1:0.00} | {2:0.00} | {3:0} |", n, seconds, cpu, cpu * 1e6 / n));
            }
            TaskHarness.Delete(root);
            return 0;

            static IEnumerable<int> Sizes(int max)
            {
                for (int n = 1000; n <= max; n *= 2) yield return n;
            }
        }

        internal static string Machine()
        {
            string cpu = "";
            try
            {
                cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "";
            }
            catch (IOException) { }
            string load = "";
            try { load = File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
            catch (IOException) { }
            return $"Machine: {cpu}, {Environment.ProcessorCount} cores, load average {load} at the end.";
        }

        private static Dictionary<string, string> Options(IEnumerable<string> args)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            string? key = null;
            foreach (string a in args)
            {
                if (a.StartsWith("--", StringComparison.Ordinal)) { key = a.Substring(2); result[key] = "true"; }
                else if (key != null) { result[key] = a; key = null; }
            }
            return result;
        }

        private static int Int(Dictionary<string, string> options, string name, int fallback) =>
            options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
    }
}
