// Files that tests generate and the repository keeps: the generator baselines, docs/operators.md,
// docs/conformance.md, the QDQ exports, the copy of the ONNX backend tests. Every run compares them with what
// the code produces now; QUANTGEN_UPDATE=1 rewrites them instead and deletes the stale ones, for review in the
// diff (tests/README.md).
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

namespace QuantGen.Tests
{
    internal static class Baseline
    {
        public const string UpdateVariable = "QUANTGEN_UPDATE";

        /// <summary>The switches this one replaced: set now, they would do nothing, silently.</summary>
        private static readonly string[] s_retired = { "QUANTGEN_UPDATE_BASELINES", "QUANTGEN_UPDATE_DOCS", "QG_UPDATE_QDQ", "QUANTGEN_IMPORT_BACKEND_TESTS" };

        /// <summary>True under QUANTGEN_UPDATE=1: tests write what they generate instead of comparing it.</summary>
        public static bool Updating
        {
            get
            {
                string? retired = s_retired.FirstOrDefault(v => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v)));
                if (retired != null) throw new InvalidOperationException($"{retired} is retired: set {UpdateVariable}=1 to rewrite every generated baseline and doc.");
                return Environment.GetEnvironmentVariable(UpdateVariable) == "1";
            }
        }

        /// <summary>What to do about a difference, for failure messages.</summary>
        public static string Hint => $"run the tests with {UpdateVariable}=1 to rewrite it, then review the diff";

        /// <summary>
        /// Compares the checked-in text file with <paramref name="generated"/>, line endings and what
        /// <paramref name="normalize"/> removes aside; when updating, writes it if it differs.
        /// </summary>
        public static void Text(string path, string generated, Func<string, string>? normalize = null, string? detail = null)
        {
            normalize ??= s => s;
            string? committed = File.Exists(path) ? File.ReadAllText(path).Replace("\r\n", "\n") : null;
            string? want = committed == null ? null : normalize(committed);
            string got = normalize(generated);
            if (Updating)
            {
                if (want != got) File.WriteAllText(CreateFolderOf(path), generated);
                return;
            }
            Assert.True(want != null, $"{Relative(path)} is missing; {Hint}.{detail}");
            if (want == got) return;
            string[] a = want!.Split('\n'), b = got.Split('\n');
            int line = 0;
            while (line < a.Length && line < b.Length && a[line] == b[line]) line++;
            Assert.Fail($"{Relative(path)} differs from what the code generates now, first at line {line + 1}:\n" +
                $"  committed: {(line < a.Length ? a[line] : "(end of file)")}\n  generated: {(line < b.Length ? b[line] : "(end of file)")}\n{Hint}.{detail}");
        }

        /// <summary>Compares the checked-in binary file with <paramref name="generated"/> after <paramref name="normalize"/>; when updating, writes it if it differs.</summary>
        public static void Bytes(string path, byte[] generated, Func<byte[], byte[]>? normalize = null, string? detail = null)
        {
            normalize ??= b => b;
            byte[]? want = File.Exists(path) ? normalize(File.ReadAllBytes(path)) : null;
            byte[] got = normalize(generated);
            bool same = want != null && want.AsSpan().SequenceEqual(got);
            if (Updating)
            {
                if (!same) File.WriteAllBytes(CreateFolderOf(path), generated);
                return;
            }
            Assert.True(want != null, $"{Relative(path)} is missing; {Hint}.{detail}");
            Assert.True(same, $"{Relative(path)} differs from what the code generates now ({got.Length} bytes, committed {want!.Length}); {Hint}.{detail}");
        }

        /// <summary>Files or folders that no test generates any more: deleted when updating, a failure otherwise.</summary>
        public static void NoStale(IEnumerable<string> stalePaths)
        {
            var stale = stalePaths.OrderBy(p => p, StringComparer.Ordinal).ToList();
            if (Updating)
            {
                foreach (string path in stale)
                {
                    if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
                    else File.Delete(path);
                }
                return;
            }
            Assert.True(stale.Count == 0, $"Stale generated files ({UpdateVariable}=1 deletes them): " + string.Join(", ", stale.Select(Relative)));
        }

        private static string CreateFolderOf(string path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            return path;
        }

        private static string Relative(string path) => Path.GetRelativePath(RepoPaths.Root, path).Replace('\\', '/');
    }
}
