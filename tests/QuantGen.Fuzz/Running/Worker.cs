// The worker process: reads case numbers on stdin, builds each case with a time limit and a memory watch,
// writes one result line per case. A hang or a runaway allocation ends the process; the campaign starts another.
using System;
using System.IO;
using System.Runtime;
using System.Text.Json;
using System.Threading;
using QuantGen.Fuzz.Cases;

namespace QuantGen.Fuzz.Running
{
    internal sealed class WorkerOptions
    {
        public int Seed { get; set; } = 1;
        public string WorkDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "quantgen-fuzz");
        /// <summary>
        /// The processor time a case may use. CPU time, not the wall clock: on a shared machine a case that needs 10 s of
        /// CPU can take a minute, which is not a hang; a case blocked on a pipe uses none, which <see cref="WallLimit"/> catches.
        /// </summary>
        public TimeSpan TimeLimit { get; set; } = TimeSpan.FromSeconds(20);

        /// <summary>The wall-clock time a case may take, whatever it does (blocked on a pipe, a lock, the disk).</summary>
        public TimeSpan WallLimit => TimeSpan.FromSeconds(Math.Max(120, TimeLimit.TotalSeconds * 6));

        /// <summary>A case whose peak resident memory passes this is a memory failure.</summary>
        public long MemoryLimit { get; set; } = 1L << 30;

        /// <summary>Past this the worker stops at once, mid-case (the machine is shared).</summary>
        public long KillLimit { get; set; } = 3L << 30;
    }

    internal static class Worker
    {
        /// <summary>Marks result lines, so stray output of the code under test cannot be mistaken for one.</summary>
        public const string ResultPrefix = "@@";

        public static int Run(WorkerOptions options)
        {
            var generator = new CaseGenerator(SeedCorpus.Load(), options.Seed);
            var output = Console.Out;
            // Anything else the build prints must not reach the result channel.
            Console.SetOut(TextWriter.Null);
            string work = Path.Combine(options.WorkDirectory, "w" + Environment.ProcessId);
            Directory.CreateDirectory(work);
            try
            {
                string? line;
                while ((line = Console.In.ReadLine()) != null)
                {
                    if (!long.TryParse(line, out long index)) continue;
                    var (result, stop) = RunCase(generator, index, work, options, output);
                    result.WorkerEnds = stop;
                    output.WriteLine(ResultPrefix + JsonSerializer.Serialize(result));
                    output.Flush();
                    if (stop) return 0;
                }
            }
            finally
            {
                TaskHarness.Delete(work);
            }
            return 0;
        }

        /// <summary>Runs one case; <c>stop</c> says the process should be replaced (a hang, or memory it cannot give back).</summary>
        private static (CaseResult Result, bool Stop) RunCase(CaseGenerator generator, long index, string work, WorkerOptions options, TextWriter output)
        {
            var c = generator.Make(index);
            string root = Path.Combine(work, "c" + index);
            string project = TaskHarness.Materialize(c, root);
            Settle();
            Native.ResetPeakMemory();

            BuildOutcome? outcome = null;
            var thread = new Thread(() => outcome = TaskHarness.Build(c, project)) { IsBackground = true, Name = "case " + index };
            using var watch = new Timer(_ =>
            {
                // Past the kill limit there is nothing to wait for: report and go, before the machine swaps.
                if (Native.CurrentMemory() <= options.KillLimit) return;
                var r = Blank(c);
                r.Verdict = Verdict.Memory;
                r.Code = "rss";
                r.Message = $"resident memory passed {options.KillLimit >> 20} MiB";
                r.PeakBytes = Native.PeakMemory();
                r.WorkerEnds = true;
                output.WriteLine(ResultPrefix + JsonSerializer.Serialize(r));
                output.Flush();
                Environment.Exit(3);
            }, null, 20, 20);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var process = System.Diagnostics.Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            thread.Start();
            while (!thread.Join(250))
            {
                process.Refresh();
                var cpu = process.TotalProcessorTime - cpuBefore;
                if (cpu < options.TimeLimit && clock.Elapsed < options.WallLimit) continue;
                var hang = Blank(c);
                hang.Verdict = Verdict.Hang;
                hang.Code = "time";
                hang.Message = cpu >= options.TimeLimit
                    ? $"still running after {cpu.TotalSeconds:0} s of processor time ({clock.Elapsed.TotalSeconds:0} s)"
                    : $"still running after {clock.Elapsed.TotalSeconds:0} s, using {cpu.TotalSeconds:0.0} s of processor time (blocked)";
                hang.Seconds = clock.Elapsed.TotalSeconds;
                hang.CpuSeconds = cpu.TotalSeconds;
                hang.PeakBytes = Native.PeakMemory();
                return (hang, true);
            }
            watch.Change(Timeout.Infinite, Timeout.Infinite);
            process.Refresh();

            var result = TaskHarness.Judge(c, outcome!);
            result.CpuSeconds = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
            result.PeakBytes = Native.PeakMemory();
            if (result.PeakBytes > options.MemoryLimit && !result.IsFailure)
            {
                result.Verdict = Verdict.Memory;
                result.Message = $"peak resident memory {result.PeakBytes >> 20} MiB (limit {options.MemoryLimit >> 20} MiB); {result.Code} {result.Message}";
                result.Code = "rss";
            }
            TaskHarness.Delete(root);
            return (result, result.PeakBytes > options.MemoryLimit / 2 && Native.CurrentMemory() > options.MemoryLimit / 2);
        }

        private static CaseResult Blank(FuzzCase c) => new CaseResult
        {
            Index = c.Index, Seed = c.Seed, Family = c.Family, Mutations = string.Join(" + ", c.Mutations), ModelBytes = c.Model.Length,
        };

        /// <summary>Gives back what the previous case left, so each case's peak is its own.</summary>
        private static void Settle()
        {
            if (GC.GetTotalMemory(false) < 64L << 20) return;
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
    }
}
