// The generated model classes compared with checked-in baselines (Baselines/*.g.cs). Set
// QUANTGEN_UPDATE_BASELINES=1 to rewrite them (and delete stale ones), then review the diff.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

namespace QuantGen.Generator.Tests
{
    public class BaselineTests
    {
        private static bool UpdateBaselines => Environment.GetEnvironmentVariable("QUANTGEN_UPDATE_BASELINES") == "1";

        private static string BaselineDirectory => Path.Combine(GeneratorHarness.SourceDirectory(), "Baselines");

        public static IEnumerable<object[]> Cases() => TestPlans.Baselines().Select(c => new object[] { c.Name });

        [Theory]
        [MemberData(nameof(Cases))]
        public void GeneratedClassMatchesBaseline(string name)
        {
            PlanFile file = TestPlans.Baselines().Single(c => c.Name == name).File;
            var (driver, _, diagnostics) = GeneratorHarness.Run(new[] { file });
            Assert.Empty(diagnostics);

            string hintName = file.Namespace + "." + file.ClassName + ".g.cs";
            Dictionary<string, string> sources = GeneratorHarness.Sources(driver);
            Assert.True(sources.ContainsKey(hintName), "no " + hintName + " among: " + string.Join(", ", sources.Keys));
            string actual = sources[hintName];

            string path = Path.Combine(BaselineDirectory, name + ".g.cs");
            if (UpdateBaselines)
            {
                Directory.CreateDirectory(BaselineDirectory);
                File.WriteAllText(path, actual);
                return;
            }
            Assert.True(File.Exists(path), $"Baseline {path} is missing; run the tests with QUANTGEN_UPDATE_BASELINES=1.\n{GeneratorHarness.Numbered(actual)}");
            string expected = File.ReadAllText(path).Replace("\r\n", "\n");
            if (expected != actual)
            {
                int line = FirstDifferentLine(expected, actual);
                Assert.Fail($"{name}.g.cs differs from the baseline at line {line} (QUANTGEN_UPDATE_BASELINES=1 rewrites it).\n" + GeneratorHarness.Numbered(actual));
            }
        }

        [Fact]
        public void NoStaleBaselines()
        {
            var expected = new HashSet<string>(TestPlans.Baselines().Select(c => c.Name + ".g.cs"), StringComparer.Ordinal);
            var stale = Directory.Exists(BaselineDirectory)
                ? Directory.GetFiles(BaselineDirectory, "*.g.cs").Where(p => !expected.Contains(Path.GetFileName(p))).ToList()
                : new List<string>();
            if (UpdateBaselines)
            {
                foreach (string path in stale) File.Delete(path);
                return;
            }
            Assert.True(stale.Count == 0, "Stale baselines (QUANTGEN_UPDATE_BASELINES=1 deletes them): " + string.Join(", ", stale));
        }

        private static int FirstDifferentLine(string expected, string actual)
        {
            string[] a = expected.Split('\n'), b = actual.Split('\n');
            for (int i = 0; i < Math.Min(a.Length, b.Length); i++)
            {
                if (a[i] != b[i]) return i + 1;
            }
            return Math.Min(a.Length, b.Length) + 1;
        }
    }
}
