// The same plans give byte-identical output on every run and in every culture.
using System.Globalization;
using System.Linq;
using Xunit;

namespace QuantGen.Generator.Tests
{
    public class DeterminismTests
    {
        [Fact]
        public void IndependentRunsAreByteIdentical()
        {
            var plans = TestPlans.Baselines().Select(c => c.File).ToList();
            var first = GeneratorHarness.Sources(GeneratorHarness.Run(plans).Driver);
            var second = GeneratorHarness.Sources(GeneratorHarness.Run(plans.AsEnumerable().Reverse()).Driver);
            Assert.Equal(first.Keys.OrderBy(k => k, System.StringComparer.Ordinal), second.Keys.OrderBy(k => k, System.StringComparer.Ordinal));
            foreach (var (hint, text) in first) Assert.Equal(text, second[hint]);
            Assert.All(first.Values, text => Assert.DoesNotContain("\r", text));
        }

        [Theory]
        [InlineData("de-DE")]   // decimal comma
        [InlineData("sv-SE")]   // U+2212 minus sign
        [InlineData("ar-SA")]
        public void OutputDoesNotDependOnCulture(string culture)
        {
            var plans = TestPlans.Baselines().Select(c => c.File).ToList();
            var invariant = GeneratorHarness.Sources(GeneratorHarness.Run(plans).Driver);
            CultureInfo saved = CultureInfo.CurrentCulture;
            try
            {
                CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo(culture);
                var localized = GeneratorHarness.Sources(GeneratorHarness.Run(plans).Driver);
                foreach (var (hint, text) in invariant) Assert.Equal(text, localized[hint]);
            }
            finally
            {
                CultureInfo.CurrentCulture = saved;
            }
        }

        [Theory]
        [InlineData(0.1f, "0.1f")]
        [InlineData(-2.5f, "-2.5f")]
        [InlineData(1e-5f, "1E-05f")]
        [InlineData(3.4028235E+38f, "3.4028235E+38f")]
        [InlineData(float.Epsilon, "1E-45f")]
        [InlineData(-0f, "-0f")]
        [InlineData(float.NaN, "float.NaN")]
        [InlineData(float.NegativeInfinity, "float.NegativeInfinity")]
        public void FloatArgumentsAreRoundTripLiterals(float value, string expected)
        {
            var plan = TestPlans.OddNames();
            plan.Steps[1].Arguments[5] = new QuantGen.Plan.PlanArgument("beta", QuantGen.Plan.PlanValue.Of(value));
            var sources = GeneratorHarness.Sources(GeneratorHarness.Run(new[] { TestPlans.File("OddNames", plan) }).Driver);
            Assert.Contains(".Activation.Clip, float.NegativeInfinity, " + expected + ");", sources["MyApp.Models.OddNames.g.cs"]);
        }
    }
}
