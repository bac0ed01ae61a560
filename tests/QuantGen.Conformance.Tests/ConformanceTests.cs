// The official ONNX backend tests, one xunit case per test folder. A case passes when its outputs match
// (rtol 1e-3, atol 1e-7) or when QuantGen rejects it with a clean "not supported yet" diagnostic; it fails
// on wrong numbers, a compiler crash (QG0999), a generated class that does not compile, or a run-time error.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Tests;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Conformance.Tests
{
    public class ConformanceTests
    {
        private readonly ITestOutputHelper _output;

        public ConformanceTests(ITestOutputHelper output) { _output = output; }

        public static IEnumerable<object[]> Cases => BackendTestScope.LocalCases().Select(c => new object[] { c });

        [Theory]
        [MemberData(nameof(Cases))]
        public void Backend_test(string name)
        {
            CaseResult result = ConformanceRunner.Results.Cases[name];
            if (result.Outcome == Outcome.Unsupported) _output.WriteLine($"not supported yet: {result.Reason}: {result.Detail}");
            Assert.True(result.Outcome != Outcome.Fail, $"{name} [{string.Join(", ", result.Operators)}, opset {result.Opset}]: {result.Reason}: {result.Detail}");
        }

        [Fact]
        public void Conformance_md_is_up_to_date()
        {
            Baseline.Text(Path.Combine(RepoPaths.Root, "docs", "conformance.md"), ConformanceReport.Render(ConformanceRunner.Results), ConformanceReport.WithoutRunTime);
        }

        /// <summary>
        /// The copy holds exactly the in-scope cases: every case of the shared data is either copied or listed in
        /// out-of-scope.md (an operator added to the compiler brings its tests in). It needs ../shared beside the
        /// repository and is skipped without it (CI has it and fails on any skip); QUANTGEN_UPDATE=1 refreshes the
        /// copy from it.
        /// </summary>
        [SkippableFact]
        public void Copied_cases_are_exactly_the_cases_in_scope()
        {
            var local = BackendTestScope.LocalCases().ToList();
            if (!Baseline.Updating)
            {
                Assert.NotEmpty(local);
                Assert.True(File.Exists(Path.Combine(BackendTestScope.LocalRoot, "NOTICE")), "onnx-backend-tests/NOTICE is missing");
            }
            Skip.IfNot(Directory.Exists(BackendTestScope.SharedRoot),
                $"{BackendTestScope.SharedRoot} not found: clone the repository with shared/ beside it, as CI does, to check the copy against the official data");

            if (Baseline.Updating)
            {
                BackendTestScope.Import();
                var now = BackendTestScope.LocalCases().ToList();
                // This run's cases were listed before the import: the new ones have not run, and conformance.md does not show them.
                Assert.True(now.SequenceEqual(local), $"onnx-backend-tests/ was refreshed ({now.Except(local).Count()} cases added, " +
                    $"{local.Except(now).Count()} removed): run the tests with {Baseline.UpdateVariable}=1 once more to update docs/conformance.md");
                return;
            }

            string listed = File.ReadAllText(Path.Combine(BackendTestScope.LocalRoot, "out-of-scope.md"));
            var stale = new List<string>();
            foreach (string suite in BackendTestScope.Suites)
            {
                foreach (string dir in Directory.GetDirectories(Path.Combine(BackendTestScope.SharedRoot, suite)))
                {
                    string name = suite + "/" + Path.GetFileName(dir);
                    bool inScope = BackendTestScope.OutOfScopeReason(dir) == null;
                    if (inScope != local.Contains(name) || (!inScope && !listed.Contains("| " + name + " |", StringComparison.Ordinal))) stale.Add(name);
                }
            }
            Assert.True(stale.Count == 0, $"onnx-backend-tests/ is out of date (run the suite with {Baseline.UpdateVariable}=1): " + string.Join(", ", stale.Take(20)));
        }
    }
}
