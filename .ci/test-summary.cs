// CI's test summary, read from the test runners' own result files (the .trx that `dotnet test --logger trx`
// writes), not from console output. One row per test assembly and run: passed, failed, skipped, and the
// instruction-set path the run's kernels took (the "ISA path:" line IsaPathTests writes). Exits 1 when a run
// has a failed test, a test host error, no results, a missing expected assembly, or a skipped test where the
// run allows none.
//
//   dotnet run .ci/test-summary.cs -- [--expect A,B,...] [--skips-allowed] RUN_DIR  [[options] RUN_DIR]...
//
// Options apply to the RUN_DIR that follows them; a run's label is its directory's name.
//   --expect A,B       these test assemblies must have results in the run (the solution's test projects)
//   --skips-allowed    skipped tests are listed but do not fail the run (a run that turns an instruction set off)
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Xml.Linq;

XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
var rows = new List<(string Run, string Assembly, int Passed, int Failed, int Skipped, string Isa)>();
var problems = new List<string>();
var allowedSkips = new List<(string Run, string Reason)>();
string[] expect = Array.Empty<string>();
bool skipsAllowed = false;

for (int a = 0; a < args.Length; a++)
{
    if (args[a] == "--expect" && a + 1 < args.Length) { expect = args[++a].Split(',', StringSplitOptions.RemoveEmptyEntries); continue; }
    if (args[a] == "--skips-allowed") { skipsAllowed = true; continue; }
    if (args[a].StartsWith("--", StringComparison.Ordinal)) { Console.Error.WriteLine("test-summary: unknown option " + args[a]); return 2; }

    string dir = args[a], run = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir));
    string[] files = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.trx", SearchOption.AllDirectories) : Array.Empty<string>();
    if (files.Length == 0) problems.Add($"{run}: no .trx result file in {dir} (the run did not start, or its logger was not set)");
    var seen = new HashSet<string>(StringComparer.Ordinal);
    foreach (string file in files.OrderBy(f => f, StringComparer.Ordinal))
    {
        XElement root = XDocument.Load(file).Root!;
        // testId -> the test assembly's name, from the definitions' code base.
        var assemblyOf = root.Descendants(ns + "UnitTest").ToDictionary(
            t => (string)t.Attribute("id")!,
            t => Path.GetFileNameWithoutExtension((string?)t.Element(ns + "TestMethod")?.Attribute("codeBase") ?? "?"));
        var results = root.Descendants(ns + "UnitTestResult").ToList();
        if (results.Count == 0) problems.Add($"{run}: {Path.GetFileName(file)} holds no test result");
        foreach (XElement info in root.Descendants(ns + "RunInfo").Where(i => (string?)i.Attribute("outcome") == "Error"))
            problems.Add($"{run}: test host error: {FirstLine((string?)info.Element(ns + "Text"))}");

        foreach (var group in results.GroupBy(r => assemblyOf.GetValueOrDefault((string)r.Attribute("testId")!, "?")))
        {
            int passed = 0, failed = 0, skipped = 0;
            string isa = "";
            foreach (XElement r in group)
            {
                string name = (string)r.Attribute("testName")!, outcome = (string)r.Attribute("outcome")!;
                string? message = (string?)r.Element(ns + "Output")?.Element(ns + "ErrorInfo")?.Element(ns + "Message");
                string? stdout = (string?)r.Element(ns + "Output")?.Element(ns + "StdOut");
                string? isaLine = stdout?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("ISA path: ", StringComparison.Ordinal));
                if (isaLine != null) isa = isaLine.Substring("ISA path: ".Length).Split(" (")[0];
                switch (outcome)
                {
                    case "Passed": passed++; break;
                    case "NotExecuted":
                        skipped++;
                        if (skipsAllowed) allowedSkips.Add((run, FirstLine(message)));
                        else problems.Add($"{run}: skipped {name}, and this run must run every test: {FirstLine(message)}");
                        break;
                    default:
                        failed++;
                        problems.Add($"{run}: {outcome.ToLowerInvariant()} {name}: {FirstLine(message)}");
                        break;
                }
            }
            if (passed + failed == 0) problems.Add($"{run}: {group.Key} ran no test");
            rows.Add((run, group.Key, passed, failed, skipped, isa));
            seen.Add(group.Key);
        }
    }
    foreach (string missing in expect.Where(e => !seen.Contains(e))) problems.Add($"{run}: no results from {missing}");
    expect = Array.Empty<string>();
    skipsAllowed = false;
}

Console.WriteLine();
Console.WriteLine($"{"run",-26} {"test assembly",-30} {"passed",7} {"failed",7} {"skipped",8}  ISA path");
foreach (var r in rows)
    Console.WriteLine($"{r.Run,-26} {r.Assembly,-30} {r.Passed,7} {r.Failed,7} {r.Skipped,8}  {r.Isa}");
foreach (var skip in allowedSkips.GroupBy(s => s))
    Console.WriteLine($"  {skip.Key.Run}: {skip.Count()} skipped (allowed in this run): {skip.Key.Reason}");
foreach (string problem in problems) Console.WriteLine("  FAIL " + problem);
Console.WriteLine($"tests: {rows.Sum(r => r.Passed)} passed, {rows.Sum(r => r.Failed)} failed, {rows.Sum(r => r.Skipped)} skipped");
return problems.Count == 0 ? 0 : 1;

static string FirstLine(string? text) => (text ?? "(no message)").Trim().Split('\n')[0].Trim();
