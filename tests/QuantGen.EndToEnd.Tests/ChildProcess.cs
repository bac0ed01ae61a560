// Runs `dotnet` and the consumer as child processes, capturing their whole output for assertions and failure messages.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;

namespace QuantGen.EndToEnd.Tests
{
    public sealed record ProcessResult(string CommandLine, int ExitCode, string Output, TimeSpan Elapsed)
    {
        public override string ToString() =>
            $"> {CommandLine}\n(exit code {ExitCode}, {Elapsed.TotalSeconds:0.0} s)\n{Output}";
    }

    internal static class ChildProcess
    {
        public static ProcessResult Run(string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout)
        {
            var start = new ProcessStartInfo(fileName)
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string a in arguments) start.ArgumentList.Add(a);

            // The test host runs under `dotnet test`, whose MSBuild variables would redirect the child's
            // SDK resolution; the child must build exactly like a user's shell would.
            foreach (string key in new List<string>(start.Environment.Keys))
            {
                if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
                    start.Environment.Remove(key);
            }
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["DOTNET_NOLOGO"] = "1";
            start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
            // Build logs are parsed: keep them in English whatever the machine's locale.
            start.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";

            var output = new StringBuilder();
            var stopwatch = Stopwatch.StartNew();
            using var process = new Process { StartInfo = start };
            process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            string commandLine = fileName + " " + string.Join(" ", start.ArgumentList);
            if (!process.WaitForExit((int)timeout.TotalMilliseconds))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                lock (output) throw new TimeoutException($"Timed out after {timeout.TotalMinutes:0} min:\n> {commandLine}\n{output}");
            }
            process.WaitForExit(); // flushes the asynchronous output readers
            stopwatch.Stop();
            lock (output) return new ProcessResult(commandLine, process.ExitCode, output.ToString(), stopwatch.Elapsed);
        }

        public static ProcessResult Dotnet(string workingDirectory, TimeSpan timeout, params string[] arguments) =>
            Run("dotnet", arguments, workingDirectory, timeout);
    }
}
