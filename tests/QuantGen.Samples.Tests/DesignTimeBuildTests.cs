// The IDE's view after a fresh clone: a design-time build of a sample must produce the plan, hand it and the generator to the
// compiler, and the compiler (as the IDE runs it) must then see the generated class, before any full build.
using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using QuantGen.EndToEnd.Tests;
using QuantGen.Tests;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Samples.Tests
{
    public class DesignTimeBuildTests
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(15);
        private readonly ITestOutputHelper _output;

        public DesignTimeBuildTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public void A_design_time_build_of_a_fresh_copy_makes_the_generated_class_visible()
        {
            string root = Path.Combine(Path.GetTempPath(), "quantgen-dtb-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            try
            {
                // A fresh clone as far as a build can tell: the sources QuantGen and the sample build from, no bin/ or obj/.
                foreach (string file in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json", "NuGet.config" })
                    if (File.Exists(Path.Combine(RepoPaths.Root, file))) File.Copy(Path.Combine(RepoPaths.Root, file), Path.Combine(root, file).EnsureFolder());
                CopySources(Path.Combine(RepoPaths.Root, "build"), Path.Combine(root, "build"));
                CopySources(Path.Combine(RepoPaths.Root, "src"), Path.Combine(root, "src"));
                foreach (string file in Directory.GetFiles(Path.Combine(RepoPaths.Root, "samples"), "Directory.Build.*"))
                    File.Copy(file, Path.Combine(root, "samples", Path.GetFileName(file)).EnsureFolder());
                CopySources(Path.Combine(RepoPaths.Root, "samples", "ClinicalRisk"), Path.Combine(root, "samples", "ClinicalRisk"));
                string project = Path.Combine(root, "samples", "ClinicalRisk", "ClinicalRisk.csproj");

                // What an IDE does on opening the project: restore, then a design-time build with the properties Visual Studio
                // and the C# Dev Kit set (no project reference is built, the compiler is not run: its command line is returned).
                Run(root, "restore", project, "-nodeReuse:false");
                ProcessResult designTime = Run(root, "msbuild", project, "-t:Compile", "-nodeReuse:false",
                    "-p:DesignTimeBuild=true", "-p:BuildingProject=false", "-p:BuildProjectReferences=false",
                    "-p:SkipCompilerExecution=true", "-p:ProvideCommandLineArgs=true",
                    "-getItem:AdditionalFiles", "-getItem:Analyzer", "-getItem:CscCommandLineArgs", "-getProperty:RoslynTargetsPath");
                using JsonDocument json = JsonDocument.Parse(designTime.Output.Substring(designTime.Output.IndexOf('{')));
                JsonElement items = json.RootElement.GetProperty("Items");

                // Every model of the sample (the MLP in INT8, the default, and in Float32; the gradient-boosted trees): a plan each, written.
                // ClassName, or the file name in PascalCase (the documented default).
                string[] classes = System.Xml.Linq.XDocument.Load(project).Descendants("QuantGenModel")
                    .Select(m => (string?)m.Attribute("ClassName") ?? string.Concat(Path.GetFileNameWithoutExtension((string)m.Attribute("Include")!)
                        .Split('-').Select(w => char.ToUpperInvariant(w[0]) + w.Substring(1))))
                    .OrderBy(n => n, StringComparer.Ordinal).ToArray();
                Assert.Contains("ClinicalRiskFloat32", classes);
                JsonElement[] plans = items.GetProperty("AdditionalFiles").EnumerateArray().Where(i => i.GetProperty("QuantGenPlan").GetString() == "true").ToArray();
                Assert.Equal(classes, plans.Select(p => p.GetProperty("QuantGenClassName").GetString()).OrderBy(n => n, StringComparer.Ordinal));
                Assert.All(plans, p => Assert.True(File.Exists(p.GetProperty("FullPath").GetString()), "no plan at " + p.GetProperty("FullPath").GetString()));
                string generator = items.GetProperty("Analyzer").EnumerateArray().Select(i => i.GetProperty("FullPath").GetString()!)
                                        .Single(p => Path.GetFileName(p) == "QuantGen.Generator.dll");
                Assert.True(File.Exists(generator), "no generator at " + generator);

                // The compiler with exactly that command line, as the IDE's compiler runs it, writing what the generators add.
                string[] arguments = items.GetProperty("CscCommandLineArgs").EnumerateArray().Select(i => i.GetProperty("Identity").GetString()!).ToArray();
                Assert.Contains(arguments, a => a.StartsWith("/additionalfile:", StringComparison.Ordinal) && a.EndsWith("ClinicalRisk.plan", StringComparison.Ordinal));
                string generated = Directory.CreateDirectory(Path.Combine(root, "generated")).FullName;
                string csc = Path.Combine(json.RootElement.GetProperty("Properties").GetProperty("RoslynTargetsPath").GetString()!, "bincore", "csc.dll");
                string responseFile = Path.Combine(root, "csc.rsp");
                File.WriteAllLines(responseFile, arguments.Where(a => !a.StartsWith("/out:", StringComparison.Ordinal) && !a.StartsWith("/refout:", StringComparison.Ordinal))
                    .Select(a => "\"" + a.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"")
                    .Append("/out:" + Path.Combine(root, "ide.dll")).Append("/generatedfilesout:" + generated));
                Run(Path.Combine(root, "samples", "ClinicalRisk"), "exec", csc, "@" + responseFile);

                string[] sources = Directory.GetFiles(generated, "*.cs", SearchOption.AllDirectories);
                _output.WriteLine(string.Join("\n", sources));
                foreach (string className in classes)
                    Assert.Contains(sources, s => Regex.IsMatch(File.ReadAllText(s), @"partial class " + className + @"\b"));
            }
            finally
            {
                if (Directory.Exists(root) && Environment.GetEnvironmentVariable("QUANTGEN_DTB_KEEP") != "1") Directory.Delete(root, recursive: true);
            }
        }

        private ProcessResult Run(string directory, params string[] arguments)
        {
            ProcessResult result = ChildProcess.Dotnet(directory, Timeout, arguments);
            _output.WriteLine(result.CommandLine + " -> " + result.ExitCode + " in " + result.Elapsed.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " s");
            Assert.True(result.ExitCode == 0, result.ToString());
            return result;
        }

        private static void CopySources(string from, string to)
        {
            foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(from, file);
                if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "TestResults")) continue;
                File.Copy(file, Path.Combine(to, relative).EnsureFolder());
            }
        }
    }

    internal static class PathExtensions
    {
        /// <summary>Creates the file's folder if needed and returns the path.</summary>
        public static string EnsureFolder(this string path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            return path;
        }
    }
}
