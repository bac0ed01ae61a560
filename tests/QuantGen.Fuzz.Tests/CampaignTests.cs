// The CI-sized fuzz campaign: a few thousand mutated models and calibration files through the MSBuild tasks, on worker
// processes with a time limit and a memory watch. Any internal error, hang, memory failure or read outside the project
// fails the build; longer campaigns run with tests/QuantGen.Fuzz/run-campaign.sh.
using System;
using System.Linq;
using QuantGen.Fuzz.Running;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Fuzz.Tests
{
    public class CampaignTests
    {
        /// <summary>Fixed, so CI is reproducible: a failure names the case, and `run CASE` rebuilds it.</summary>
        private const int Seed = 1;

        /// <summary>About a minute on two shared cores (41 cases/s measured at load 35).</summary>
        private const int Cases = 3000;

        private readonly ITestOutputHelper _output;

        public CampaignTests(ITestOutputHelper output) { _output = output; }

        [Fact]
        [Trait("Category", "Slow")]
        public void Thousands_of_broken_inputs_give_clean_errors_or_working_plans()
        {
            var result = Campaign.Run(new CampaignOptions { Seed = Seed, Cases = Cases, Jobs = 2 });
            _output.WriteLine(Summary.Markdown(result, ""));

            var failures = result.Failures.ToList();
            Assert.True(failures.Count == 0, $"{failures.Count} failures, e.g.:\n" + string.Join("\n",
                failures.Take(20).Select(f => $"#{f.Index} {f.Verdict} {f.Code}: {f.Message} [{f.Seed}: {f.Mutations}] (rebuild: dotnet run --project tests/QuantGen.Fuzz -c Release -- run {f.Index} --seed {Seed})")));

            // A fuzzer that only ever hits the reader's first check proves little: every family must reach deep enough to
            // build some cases, and the clean errors must come from all the stages.
            Assert.Equal(Cases, result.Cases.Count);
            foreach (var family in new[] { "bytes", "wire", "graph", "files", "calibration" })
                Assert.True(result.Cases.Count(c => c.Family == family && c.Verdict == Verdict.Success) >= 10, $"family {family} built fewer than 10 cases");
            foreach (var code in new[] { "QG0002", "QG0003", "QG0004", "QG0005", "QG0006", "QG0007", "QG0009", "QG0013", "QG0102", "QG0108" })
                Assert.True(result.Cases.Any(c => c.Code == code), $"no case was refused with {code}");
            Assert.True(result.Cases.Where(c => c.ModelBytes <= 1_000_000).All(c => c.PeakBytes <= 1L << 30));
        }
    }
}
