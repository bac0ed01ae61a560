// Writes a case to disk and builds it through the MSBuild tasks' own entry points, in this process.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using QuantGen.Build;
using QuantGen.Fuzz.Cases;

namespace QuantGen.Fuzz.Running
{
    /// <summary>What the tasks did with one case: their log, and anything that escaped them.</summary>
    public sealed class BuildOutcome
    {
        public BuildLog Log { get; } = new BuildLog();
        public bool Succeeded { get; set; }

        /// <summary>An exception that left a task's Execute (MSBuild would print MSB4018 and a stack trace).</summary>
        public Exception? Escaped { get; set; }

        /// <summary>A task returned false without logging an error (MSBuild's MSB4181).</summary>
        public bool FailedSilently { get; set; }

        public string? PlanFile { get; set; }
        public double Seconds { get; set; }
    }

    internal static class TaskHarness
    {
        /// <summary>The bytes of <c>outside/secret.bin</c>: float32 7777.0, which no seed model contains.</summary>
        public static byte[] SecretBytes()
        {
            var floats = Enumerable.Repeat(7777f, 1024).ToArray();
            var bytes = new byte[floats.Length * 4];
            Buffer.BlockCopy(floats, 0, bytes, 0, bytes.Length);
            return bytes;
        }

        /// <summary>Creates the case's folders under <paramref name="root"/> (emptied first); returns the project folder.</summary>
        public static string Materialize(FuzzCase c, string root)
        {
            Delete(root);
            string project = Path.Combine(root, "project");
            Directory.CreateDirectory(Path.Combine(project, "models"));
            Directory.CreateDirectory(Path.Combine(root, "outside"));
            File.WriteAllBytes(Path.Combine(root, "outside", "secret.bin"), SecretBytes());
            File.WriteAllBytes(Path.Combine(project, "models", "model.onnx"), c.Model);
            foreach (var f in c.Files)
            {
                string path = Path.Combine(project, f.Path.Replace('/', Path.DirectorySeparatorChar));
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                switch (f.Kind)
                {
                    case CaseFileKind.Bytes: File.WriteAllBytes(path, f.Bytes!); break;
                    case CaseFileKind.Symlink: File.CreateSymbolicLink(path, f.Target!); break;
                    case CaseFileKind.Fifo: Native.CreateFifo(path); break;
                    case CaseFileKind.Directory: Directory.CreateDirectory(path); break;
                }
            }
            return project;
        }

        /// <summary>Runs ResolveQuantGenModels then CompileQuantGenModel for each resolved item, as QuantGen.targets does.</summary>
        public static BuildOutcome Build(FuzzCase c, string project)
        {
            var outcome = new BuildOutcome();
            var clock = Stopwatch.StartNew();
            try
            {
                var item = new TaskItem(c.ItemSpec);
                foreach (var kv in c.Metadata) item.SetMetadata(kv.Key, kv.Value);
                var resolve = new ResolveQuantGenModels
                {
                    BuildEngine = outcome.Log,
                    Models = new ITaskItem[] { item },
                    RootNamespace = "Fuzz",
                    IntermediateDirectory = "obj/quantgen/",
                    ProjectDirectory = project,
                };
                bool ok = Execute(resolve, outcome);
                foreach (var resolved in ok ? resolve.ResolvedModels : Array.Empty<ITaskItem>())
                {
                    var compile = new CompileQuantGenModel
                    {
                        BuildEngine = outcome.Log,
                        Model = resolved,
                        MaxTensorElements = c.Limits.GetValueOrDefault("MaxTensorElements"),
                        MaxTensorBytes = c.Limits.GetValueOrDefault("MaxTensorBytes"),
                        MaxWeightBytes = c.Limits.GetValueOrDefault("MaxWeightBytes"),
                        MaxWorkspaceBytes = c.Limits.GetValueOrDefault("MaxWorkspaceBytes"),
                    };
                    ok &= Execute(compile, outcome);
                    outcome.PlanFile = resolved.GetMetadata("PlanFile");
                }
                outcome.Succeeded = ok && outcome.Log.Errors.Count == 0 && outcome.PlanFile != null && File.Exists(outcome.PlanFile);
            }
            catch (Exception e)
            {
                outcome.Escaped = e;
            }
            outcome.Seconds = clock.Elapsed.TotalSeconds;
            return outcome;
        }

        private static bool Execute(Task task, BuildOutcome outcome)
        {
            int before = outcome.Log.Errors.Count;
            bool ok = task.Execute();
            if (!ok && outcome.Log.Errors.Count == before) outcome.FailedSilently = true;
            return ok;
        }

        /// <summary>The verdict for a build that finished (hangs and memory peaks are judged by the worker).</summary>
        public static CaseResult Judge(FuzzCase c, BuildOutcome o)
        {
            var r = new CaseResult
            {
                Index = c.Index,
                Seed = c.Seed,
                Family = c.Family,
                Mutations = string.Join(" + ", c.Mutations),
                Seconds = o.Seconds,
                ModelBytes = c.Model.Length,
            };
            var first = o.Log.Errors.FirstOrDefault();
            if (first != null)
            {
                r.Code = first.Code;
                r.Message = first.Message;
                r.NamesNode = Classifier.NamesNode(first.Message);
            }
            if (o.Escaped is OutOfMemoryException || (o.Escaped is AggregateException a && a.InnerExceptions.Any(e => e is OutOfMemoryException)))
            {
                r.Verdict = Verdict.Memory;
                r.Code = "OutOfMemoryException";
                r.Message = "escaped the task: " + o.Escaped.Message;
            }
            else if (o.Escaped != null)
            {
                r.Verdict = Verdict.InternalError;
                r.Code = o.Escaped.GetType().Name;
                r.Message = "escaped the task: " + o.Escaped.Message + " " + FirstFrame(o.Escaped);
            }
            else if (Classifier.IsOutOfMemory(o.Log.Errors))
            {
                r.Verdict = Verdict.Memory;
            }
            else if (Classifier.InternalReason(o.Log.Errors) is { } reason)
            {
                r.Verdict = Verdict.InternalError;
                r.Code = reason.StartsWith("internal", StringComparison.Ordinal) ? Classifier.InternalErrorCode : r.Code;
                r.Message = reason + ": " + r.Message;
            }
            else if (o.FailedSilently)
            {
                r.Verdict = Verdict.InternalError;
                r.Code = "MSB4181";
                r.Message = "a task returned false without logging an error";
            }
            else if (o.Succeeded)
            {
                r.Verdict = c.ReachesOutside ? Verdict.Escape : Verdict.Success;
                if (c.ReachesOutside) r.Message = "the build read a file outside the project folder and succeeded";
            }
            else
            {
                r.Verdict = o.Log.Errors.Count > 0 ? Verdict.CleanError : Verdict.InternalError;
                if (o.Log.Errors.Count == 0) { r.Code = "no-plan"; r.Message = "the tasks succeeded but wrote no plan"; }
            }
            return r;
        }

        private static string FirstFrame(Exception e)
        {
            var line = (e.StackTrace ?? "").Split('\n').FirstOrDefault(l => l.Contains("QuantGen.", StringComparison.Ordinal));
            return line == null ? "" : "(" + line.Trim() + ")";
        }

        public static void Delete(string root)
        {
            if (!Directory.Exists(root)) return;
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // A file still open by an abandoned case: leave the folder; the next case uses a fresh name.
            }
        }

        internal static IEnumerable<string> OutputFiles(string project) =>
            Directory.Exists(Path.Combine(project, "obj")) ? Directory.EnumerateFiles(Path.Combine(project, "obj"), "*", SearchOption.AllDirectories) : Enumerable.Empty<string>();
    }
}
