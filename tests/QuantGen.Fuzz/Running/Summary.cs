// The campaign's report: outcome counts, by mutation family and by QG code, peak memory, the slowest cases and
// every failure with the case number that reproduces it.
using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace QuantGen.Fuzz.Running
{
    public static class Summary
    {
        public static string Markdown(CampaignResult r, string machine)
        {
            var o = r.Options;
            var s = new StringBuilder();
            var inv = CultureInfo.InvariantCulture;
            s.AppendLine("# QuantGen fuzz campaign").AppendLine();
            s.AppendLine(string.Format(inv, "Seed {0}, cases {1} to {2} ({3}), {4} worker processes, {5:0} s of processor time and {6} MiB per case, GC heap limit {7} MiB per worker.",
                o.Seed, o.First, o.First + o.Cases - 1, r.Cases.Count, o.Jobs, o.TimeLimit.TotalSeconds, o.MemoryLimit >> 20, o.HeapLimit >> 20));
            s.AppendLine(string.Format(inv, "{0:0} s, {1:0.0} cases/s. {2}", r.Elapsed.TotalSeconds, r.CasesPerSecond, machine)).AppendLine();

            s.AppendLine("| outcome | cases |").AppendLine("| --- | ---: |");
            foreach (Verdict v in Enum.GetValues(typeof(Verdict))) s.AppendLine(string.Format(inv, "| {0} | {1} |", v, r.Count(v)));
            s.AppendLine();

            s.AppendLine("| family | cases | success | clean error | internal error | hang | memory | escape |").AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var g in r.Cases.GroupBy(c => c.Family).OrderBy(g => g.Key, StringComparer.Ordinal))
                s.AppendLine(string.Format(inv, "| {0} | {1} | {2} | {3} | {4} | {5} | {6} | {7} |", g.Key.Length == 0 ? "?" : g.Key, g.Count(),
                    g.Count(c => c.Verdict == Verdict.Success), g.Count(c => c.Verdict == Verdict.CleanError), g.Count(c => c.Verdict == Verdict.InternalError),
                    g.Count(c => c.Verdict == Verdict.Hang), g.Count(c => c.Verdict == Verdict.Memory), g.Count(c => c.Verdict == Verdict.Escape)));
            s.AppendLine();

            s.AppendLine("Clean errors by code (the first error of each case), and how many name the node:").AppendLine();
            s.AppendLine("| code | cases | name a node |").AppendLine("| --- | ---: | ---: |");
            foreach (var g in r.Cases.Where(c => c.Verdict == Verdict.CleanError).GroupBy(c => c.Code).OrderBy(g => g.Key, StringComparer.Ordinal))
                s.AppendLine(string.Format(inv, "| {0} | {1} | {2} |", g.Key, g.Count(), g.Count(c => c.NamesNode)));
            s.AppendLine();

            var measured = r.Cases.Where(c => c.PeakBytes > 0).ToList();
            if (measured.Count > 0)
            {
                var small = measured.Where(c => c.ModelBytes <= 1_000_000).ToList();
                var top = measured.OrderByDescending(c => c.PeakBytes).First();
                s.AppendLine(string.Format(inv, "Peak resident memory of a worker during one case (runtime included): highest {0} MiB (#{1}); models up to 1 MB: highest {2} MiB, median {3} MiB.",
                    top.PeakBytes >> 20, top.Index, small.Count == 0 ? 0 : small.Max(c => c.PeakBytes) >> 20,
                    small.Count == 0 ? 0 : small.OrderBy(c => c.PeakBytes).ElementAt(small.Count / 2).PeakBytes >> 20));
                s.AppendLine();
            }

            s.AppendLine("Slowest cases (processor time; wall clock in brackets, longer on a loaded machine):").AppendLine()
                .AppendLine("| case | CPU s | outcome | seed | mutations |").AppendLine("| ---: | ---: | --- | --- | --- |");
            foreach (var c in r.Cases.OrderByDescending(c => c.CpuSeconds).Take(10))
                s.AppendLine(string.Format(inv, "| {0} | {1:0.00} ({2:0.0}) | {3} {4} | {5} | {6} |", c.Index, c.CpuSeconds, c.Seconds, c.Verdict, c.Code, Cell(c.Seed), Cell(Campaign.Trim(c.Mutations, 160))));
            s.AppendLine();

            var failures = r.Failures.ToList();
            s.AppendLine(string.Format(inv, "Failures ({0}; reproduce one with `dotnet run --project tests/QuantGen.Fuzz -c Release -- run <case> --seed {1}`):", failures.Count, o.Seed)).AppendLine();
            if (failures.Count > 0)
            {
                s.AppendLine("| case | outcome | code | message | seed | mutations |").AppendLine("| ---: | --- | --- | --- | --- | --- |");
                foreach (var c in failures.Take(300))
                    s.AppendLine(string.Format(inv, "| {0} | {1} | {2} | {3} | {4} | {5} |", c.Index, c.Verdict, c.Code, Cell(Campaign.Trim(c.Message, 240)), Cell(c.Seed), Cell(Campaign.Trim(c.Mutations, 200))));
            }
            return s.ToString();
        }

        public static void WriteTsv(CampaignResult r, string path)
        {
            using var w = new StreamWriter(path);
            w.WriteLine("case\tverdict\tcode\tseconds\tcpu_seconds\tpeak_mib\tmodel_bytes\tfamily\tseed\tmutations\tmessage");
            foreach (var c in r.Cases)
                w.WriteLine(string.Join("\t", c.Index.ToString(CultureInfo.InvariantCulture), c.Verdict, c.Code, c.Seconds.ToString("0.000", CultureInfo.InvariantCulture), c.CpuSeconds.ToString("0.000", CultureInfo.InvariantCulture),
                    (c.PeakBytes >> 20).ToString(CultureInfo.InvariantCulture), c.ModelBytes.ToString(CultureInfo.InvariantCulture), c.Family, Tsv(c.Seed), Tsv(c.Mutations), Tsv(Campaign.Trim(c.Message, 400))));
        }

        private static string Cell(string s) => s.Replace("|", "\\|").Replace("\n", " ").Replace("\r", " ").Replace("\0", "\\0");

        private static string Tsv(string s) => s.Replace("\t", " ").Replace("\n", " ").Replace("\r", " ").Replace("\0", "\\0");
    }
}
