// Two projects with models, one granting InternalsVisibleTo to the other: each carries its own kernels, and
// neither may see the other's as a conflicting type (CS0436, an error under TreatWarningsAsErrors).
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace QuantGen.Generator.Tests
{
    public class CrossAssemblyTests
    {
        private const string LibraryHarness = """
            [assembly: System.Runtime.CompilerServices.InternalsVisibleTo("ModelApp")]
            """;

        // B uses its own model and A's, so both assemblies' generated code is bound in one compilation.
        private const string AppHarness = """
            #pragma warning disable CS1591 // the test's own driver code
            public static class Harness
            {
                public static float[] Run(float[] features)
                {
                    var probabilities = new float[features.Length / MyApp.Models.ClinicalMlp.FeaturesLength * MyApp.Models.ClinicalMlp.ProbabilitiesLength];
                    new MyApp.Models.ClinicalMlp().Run(features, probabilities);
                    var again = new float[probabilities.Length];
                    new Library.Models.ClinicalMlp().Run(features, again);
                    for (int i = 0; i < again.Length; i++) probabilities[i] -= again[i];
                    return probabilities;
                }
            }
            """;

        [Fact]
        public void ModelsInTwoAssembliesWithInternalsVisibleToCompileWarningFree()
        {
            var libraryPlan = TestPlans.File("ClinicalMlp", TestPlans.ClinicalMlp(out _)) with { Namespace = "Library.Models", Path = "/library/obj/quantgen/ClinicalMlp.qgplan" };
            var (_, library, diagnostics) = GeneratorHarness.Run(new[] { libraryPlan }, GeneratorHarness.CreateCompilation("ModelLibrary", true, LibraryHarness));
            Assert.Empty(diagnostics);
            byte[] image = GeneratorHarness.Emit(library);

            var appPlans = new[] { TestPlans.File("ClinicalMlp", TestPlans.ClinicalMlp(out _)), TestPlans.File("OddNames", TestPlans.OddNames()) };
            CSharpCompilation app = GeneratorHarness.CreateCompilation("ModelApp", true, AppHarness)
                .AddReferences(MetadataReference.CreateFromImage(image));
            var (_, output, appDiagnostics) = GeneratorHarness.Run(appPlans, app);
            Assert.Empty(appDiagnostics);
            // No warning at all (CS0436 among them): what TreatWarningsAsErrors would make an error.
            GeneratorHarness.Emit(output);
        }
    }
}
