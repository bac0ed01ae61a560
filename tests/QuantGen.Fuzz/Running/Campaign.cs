// Runs a range of cases on worker processes and collects their results. A worker that hangs past the time limit
// (plus a grace period) is killed; one that dies (a stack overflow ends a .NET process) is a crash of that case.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using QuantGen.Fuzz.Cases;

namespace QuantGen.Fuzz.Running
{
    public sealed class CampaignOptions
    {
        public int Seed { get; set; } = 1;
        public long First { get; set; }
        public long Cases { get; set; } = 2000;
        public int Jobs { get; set; } = 2;
        /// <summary>Processor time per case (see WorkerOptions.TimeLimit; blocked cases are stopped by a wall-clock limit of six times it, at least 2 minutes).</summary>
        public TimeSpan TimeLimit { get; set; } = TimeSpan.FromSeconds(20);

        /// <summary>Peak resident memory a case may reach (the goal: 1 GB for models up to 1 MB).</summary>
        public long MemoryLimit { get; set; } = 1L << 30;

        /// <summary>The workers' GC heap limit (DOTNET_GCHeapHardLimit): a runaway allocation fails fast instead of swapping.</summary>
        public long HeapLimit { get; set; } = 2L << 30;

        public string WorkDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "quantgen-fuzz-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

        /// <summary>Progress lines (null: quiet).</summary>
        public TextWriter? Progress { get; set; }
    }

    public sealed class CampaignResult
    {
        public CampaignResult(CampaignOptions options, IReadOnlyList<CaseResult> cases, TimeSpan elapsed)
        {
            Options = options;
            Cases = cases;
            Elapsed = elapsed;
        }

        public CampaignOptions Options { get; }
        public IReadOnlyList<CaseResult> Cases { get; }
        public TimeSpan Elapsed { get; }

        public int Count(Verdict v) => Cases.Count(c => c.Verdict == v);
        public IEnumerable<CaseResult> Failures => Cases.Where(c => c.IsFailure);
        public double CasesPerSecond => Cases.Count / Math.Max(1e-9, Elapsed.TotalSeconds);
    }

    public static class Campaign
    {
        public static CampaignResult Run(CampaignOptions options)
        {
            var results = new CaseResult?[options.Cases];
            long next = -1;
            int done = 0;
            var clock = Stopwatch.StartNew();
            Directory.CreateDirectory(options.WorkDirectory);
            var jobs = Enumerable.Range(0, Math.Max(1, options.Jobs)).Select(_ => Task.Factory.StartNew(() =>
            {
                WorkerProcess? worker = null;
                try
                {
                    while (true)
                    {
                        long i = Interlocked.Increment(ref next);
                        if (i >= options.Cases) break;
                        long index = options.First + i;
                        worker ??= WorkerProcess.Start(options);
                        var result = worker.Run(index, TimeSpan.FromSeconds(Math.Max(120, options.TimeLimit.TotalSeconds * 6) + 60));
                        if (!worker.IsAlive) { worker.Dispose(); worker = null; }
                        if (result.Seed.Length == 0) Describe(result, options);
                        results[i] = result;
                        int n = Interlocked.Increment(ref done);
                        if (options.Progress != null && (result.IsFailure || n % 1000 == 0))
                        {
                            lock (options.Progress)
                            {
                                if (result.IsFailure) options.Progress.WriteLine($"  #{result.Index} {result.Verdict} {result.Code}: {Trim(result.Message, 200)} [{result.Seed}: {Trim(result.Mutations, 200)}]");
                                if (n % 1000 == 0) options.Progress.WriteLine($"{n} cases, {n / clock.Elapsed.TotalSeconds:0.0}/s");
                            }
                        }
                    }
                }
                finally
                {
                    worker?.Dispose();
                }
            }, TaskCreationOptions.LongRunning)).ToArray();
            Task.WaitAll(jobs);
            try { Directory.Delete(options.WorkDirectory, recursive: true); }
            catch (IOException) { }
            return new CampaignResult(options, results.Select(r => r!).ToList(), clock.Elapsed);
        }

        private static CaseGenerator? s_generator;

        /// <summary>A result the worker could not write (it hung hard or died): the case is re-made here to say what it was.</summary>
        private static void Describe(CaseResult result, CampaignOptions options)
        {
            lock (typeof(Campaign))
            {
                s_generator ??= new CaseGenerator(SeedCorpus.Load(), options.Seed);
                var c = s_generator.Make(result.Index);
                result.Seed = c.Seed;
                result.Family = c.Family;
                result.Mutations = string.Join(" + ", c.Mutations);
                result.ModelBytes = c.Model.Length;
            }
        }

        /// <summary>
        /// How to start this tool in another process (`dotnet exec QuantGen.Fuzz.dll …`) with its GC heap limited to
        /// <paramref name="heapLimit"/> bytes: a runaway allocation then fails at once, in that process only.
        /// </summary>
        public static ProcessStartInfo StartInfo(long heapLimit, params string[] arguments)
        {
            string dll = typeof(Campaign).Assembly.Location;
            var info = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in new[] { "exec", "--runtimeconfig", Path.ChangeExtension(dll, ".runtimeconfig.json"), "--depsfile", Path.ChangeExtension(dll, ".deps.json"), dll }.Concat(arguments))
                info.ArgumentList.Add(a);
            info.Environment["DOTNET_GCHeapHardLimit"] = "0x" + heapLimit.ToString("X", CultureInfo.InvariantCulture);
            info.Environment["DOTNET_gcServer"] = "0";
            return info;
        }

        private static string DotnetHost()
        {
            string? current = Environment.ProcessPath;
            if (current != null && Path.GetFileNameWithoutExtension(current) == "dotnet") return current;
            return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        }

        internal static string Trim(string s, int max) => s.Length <= max ? s : s.Substring(0, max) + "…";

        /// <summary>One worker: `dotnet QuantGen.Fuzz.dll worker …`, talking over its stdin/stdout.</summary>
        private sealed class WorkerProcess : IDisposable
        {
            private readonly Process _process;
            private readonly Queue<string> _stderr = new Queue<string>();

            private WorkerProcess(Process process)
            {
                _process = process;
                _process.ErrorDataReceived += (_, e) =>
                {
                    if (e.Data == null) return;
                    lock (_stderr)
                    {
                        _stderr.Enqueue(e.Data);
                        while (_stderr.Count > 20) _stderr.Dequeue();
                    }
                };
                _process.BeginErrorReadLine();
            }

            public bool IsAlive => !_process.HasExited;

            public static WorkerProcess Start(CampaignOptions options)
            {
                var info = StartInfo(options.HeapLimit,
                    "worker", "--seed", options.Seed.ToString(CultureInfo.InvariantCulture), "--work", options.WorkDirectory,
                    "--time-limit", options.TimeLimit.TotalSeconds.ToString(CultureInfo.InvariantCulture),
                    "--memory-limit-mb", (options.MemoryLimit >> 20).ToString(CultureInfo.InvariantCulture));
                info.RedirectStandardInput = true;
                return new WorkerProcess(Process.Start(info) ?? throw new InvalidOperationException("cannot start a fuzz worker"));
            }

            public CaseResult Run(long index, TimeSpan deadline)
            {
                try
                {
                    _process.StandardInput.WriteLine(index.ToString(CultureInfo.InvariantCulture));
                    _process.StandardInput.Flush();
                }
                catch (IOException)
                {
                    return Crash(index);
                }
                var clock = Stopwatch.StartNew();
                while (true)
                {
                    var read = _process.StandardOutput.ReadLineAsync();
                    var left = deadline - clock.Elapsed;
                    if (left <= TimeSpan.Zero || !read.Wait(left))
                    {
                        Kill();
                        return new CaseResult { Index = index, Verdict = Verdict.Hang, Code = "time", Message = $"the worker did not answer in {deadline.TotalSeconds:0} s and was killed", Seconds = clock.Elapsed.TotalSeconds };
                    }
                    string? line = read.Result;
                    if (line == null) return Crash(index);
                    if (!line.StartsWith(Worker.ResultPrefix, StringComparison.Ordinal)) continue;
                    var result = JsonSerializer.Deserialize<CaseResult>(line.Substring(Worker.ResultPrefix.Length))!;
                    if (result.WorkerEnds && !_process.WaitForExit(10000)) Kill();
                    return result;
                }
            }

            private CaseResult Crash(long index)
            {
                _process.WaitForExit(5000);
                string tail;
                lock (_stderr) tail = string.Join(" | ", _stderr);
                return new CaseResult
                {
                    Index = index,
                    Verdict = Verdict.InternalError,
                    Code = "crash",
                    Message = $"the worker process died (exit code {(_process.HasExited ? _process.ExitCode : -1)}): {Trim(tail, 600)}",
                };
            }

            private void Kill()
            {
                try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
                catch (InvalidOperationException) { }
                _process.WaitForExit(5000);
            }

            public void Dispose()
            {
                try { _process.StandardInput.Close(); }
                catch (IOException) { }
                if (!_process.WaitForExit(10000)) Kill();
                _process.Dispose();
            }
        }
    }
}
