// How a case ended, and the rules that decide it from what the build logged.
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace QuantGen.Fuzz.Running
{
    public enum Verdict
    {
        /// <summary>The model compiled: a plan was written.</summary>
        Success,

        /// <summary>The build failed with QGxxxx errors that name the file, with no internal error among them.</summary>
        CleanError,

        /// <summary>QG0999, an exception's type name or a stack trace in a message, an error without a QG code,
        /// an exception out of a task, a task that failed without an error (MSB4181), or a crashed worker.</summary>
        InternalError,

        /// <summary>The case used more processor time than the limit, or stayed blocked past the wall-clock limit.</summary>
        Hang,

        /// <summary>The case ran out of memory (an out-of-memory error, or a peak above the memory limit).</summary>
        Memory,

        /// <summary>A build that read a file outside the project folder succeeded.</summary>
        Escape,
    }

    public sealed class CaseResult
    {
        public long Index { get; set; }
        public Verdict Verdict { get; set; }
        /// <summary>Wall-clock seconds of the build (on a loaded machine, much more than <see cref="CpuSeconds"/>).</summary>
        public double Seconds { get; set; }

        /// <summary>Processor seconds the worker used during the case (the build, and the runtime's own threads).</summary>
        public double CpuSeconds { get; set; }
        public long PeakBytes { get; set; }
        public long ModelBytes { get; set; }
        public string Seed { get; set; } = "";
        public string Family { get; set; } = "";
        public string Mutations { get; set; } = "";

        /// <summary>The first error's code (or the reason for the verdict), e.g. "QG0007".</summary>
        public string Code { get; set; } = "";

        /// <summary>The first error's message (or what happened).</summary>
        public string Message { get; set; } = "";

        /// <summary>Whether the first error names a node ("node '…': …").</summary>
        public bool NamesNode { get; set; }

        /// <summary>The worker process ends after this case (a hang, or memory it could not give back): the campaign starts another.</summary>
        public bool WorkerEnds { get; set; }

        public bool IsFailure => Verdict == Verdict.InternalError || Verdict == Verdict.Hang || Verdict == Verdict.Memory || Verdict == Verdict.Escape;
    }

    public static class Classifier
    {
        /// <summary>The compiler's internal-error id: a bug, whatever the input.</summary>
        public const string InternalErrorCode = "QG0999";

        /// <summary>The task's out-of-memory id (the model is too large for the memory the build has).</summary>
        public const string OutOfMemoryCode = "QG0014";

        private static readonly Regex s_qgCode = new Regex(@"^QG\d{4}$", RegexOptions.CultureInvariant);

        // A .NET exception's type name (NullReferenceException, System.IO.IOException…) or a stack frame leaking into a message.
        private static readonly Regex s_leak = new Regex(@"\b[A-Z][A-Za-z]*Exception\b|^\s+at \S+\(|\bat [A-Z][\w.]+\.[\w<>]+\(", RegexOptions.CultureInvariant | RegexOptions.Multiline);

        /// <summary>Why the logged errors are not a clean rejection, or null when they are.</summary>
        public static string? InternalReason(IReadOnlyList<LoggedDiagnostic> errors)
        {
            foreach (var e in errors)
            {
                if (!s_qgCode.IsMatch(e.Code)) return $"error without a QG code ({(e.Code.Length == 0 ? "none" : e.Code)})";
                if (e.Code == InternalErrorCode) return "internal error QG0999";
                if (s_leak.Match(e.Message) is { Success: true } m) return $"{e.Code} leaks '{m.Value.Trim()}'";
                if (e.File.Length == 0) return $"{e.Code} names no file";
            }
            return null;
        }

        public static bool IsOutOfMemory(IReadOnlyList<LoggedDiagnostic> errors) => errors.Any(e => e.Code == OutOfMemoryCode);

        /// <summary>"node 'x': …" is how the task prefixes an error that one node is at fault for.</summary>
        public static bool NamesNode(string message) => message.StartsWith("node '", System.StringComparison.Ordinal);
    }
}
