// The generated model classes compared with checked-in baselines (Baselines/*.g.cs). Set
// QUANTGEN_UPDATE=1 to rewrite them (and delete stale ones), then review the diff.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Tests;
using Xunit;

namespace QuantGen.Generator.Tests
{
    public class BaselineTests
    {
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

            Baseline.Text(Path.Combine(BaselineDirectory, name + ".g.cs"), actual, detail: "\n" + GeneratorHarness.Numbered(actual));
        }

        [Fact]
        public void NoStaleBaselines()
        {
            var expected = new HashSet<string>(TestPlans.Baselines().Select(c => c.Name + ".g.cs"), StringComparer.Ordinal);
            Baseline.NoStale(Directory.Exists(BaselineDirectory)
                ? Directory.GetFiles(BaselineDirectory, "*.g.cs").Where(p => !expected.Contains(Path.GetFileName(p)))
                : Enumerable.Empty<string>());
        }
    }
}
