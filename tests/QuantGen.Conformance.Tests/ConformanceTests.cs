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
            string path = Path.Combine(RepoPaths.Root, "docs", "conformance.md");
            string expected = ConformanceReport.Render(ConformanceRunner.Results);
            if (Environment.GetEnvironmentVariable("QUANTGEN_UPDATE_DOCS") == "1")
            {
                File.WriteAllText(path, expected);
                return;
            }
            Assert.True(File.Exists(path), "docs/conformance.md is missing; run the tests with QUANTGEN_UPDATE_DOCS=1");
            Assert.Equal(ConformanceReport.WithoutRunTime(expected), ConformanceReport.WithoutRunTime(File.ReadAllText(path).Replace("\r\n", "\n")));
        }

        /// <summary>
        /// The copy holds exactly the in-scope cases: with the shared data at hand, every shared case is either
        /// copied or listed in out-of-scope.md (an operator added to the compiler brings its tests in).
        /// </summary>
        [Fact]
        public void Copied_cases_are_exactly_the_cases_in_scope()
        {
            var local = BackendTestScope.LocalCases().ToList();
            Assert.NotEmpty(local);
            Assert.True(File.Exists(Path.Combine(BackendTestScope.LocalRoot, "NOTICE")), "onnx-backend-tests/NOTICE is missing");
            string listed = File.ReadAllText(Path.Combine(BackendTestScope.LocalRoot, "out-of-scope.md"));
            if (!Directory.Exists(BackendTestScope.SharedRoot)) return;

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
            Assert.True(stale.Count == 0, "onnx-backend-tests/ is out of date (run the suite with QUANTGEN_IMPORT_BACKEND_TESTS=1): " + string.Join(", ", stale.Take(20)));
        }

        /// <summary>Refreshes onnx-backend-tests/ from ../shared (QUANTGEN_IMPORT_BACKEND_TESTS=1); a no-op otherwise.</summary>
        [Fact]
        public void Import_backend_tests_on_request()
        {
            if (Environment.GetEnvironmentVariable("QUANTGEN_IMPORT_BACKEND_TESTS") != "1") return;
            Assert.True(Directory.Exists(BackendTestScope.SharedRoot), BackendTestScope.SharedRoot + " not found");
            BackendTestScope.Import();
        }
    }
}
