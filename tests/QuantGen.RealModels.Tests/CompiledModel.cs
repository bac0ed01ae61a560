// A real model as a user gets it: compiled by QuantGen, generated, compiled by Roslyn and loaded, once per fixture.
using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using QuantGen.Ir;
using QuantGen.Compiler.Pipeline;
using QuantGen.Generator.Tests;
using QuantGen.Onnx;
using QuantGen.Plan;

namespace QuantGen.RealModels.Tests
{
    internal sealed class CompiledModel
    {
        public const string Namespace = "Real";

        private CompiledModel(Assembly assembly)
        {
            Assembly = assembly;
        }

        /// <summary>The generated class Real.{ClassName} and the test's driver, loaded for the rest of the test run.</summary>
        public Assembly Assembly { get; }

        /// <summary>Reads and compiles <paramref name="modelPath"/>; throws with the diagnostics when QuantGen refuses it.</summary>
        public static CompileResult Compile(string modelPath, string className, Action<CompileOptions> configure)
        {
            Graph graph = OnnxModelReader.Read(modelPath);
            var options = new CompileOptions { ModelName = className, ResourceName = $"QuantGen.{Namespace}.{className}.weights" };
            configure(options);
            var result = ModelCompiler.Compile(graph, options);
            if (!result.Succeeded) throw new InvalidOperationException(string.Join(Environment.NewLine, result.Diagnostics));
            return result;
        }

        /// <summary>Generates the classes of <paramref name="models"/>, compiles them with <paramref name="driver"/> (the test's calls into them) and loads them.</summary>
        public static CompiledModel Load(string driver, params (string ClassName, CompileResult Result)[] models)
        {
            var plans = models.Select(m => new PlanFile($"/obj/quantgen/{m.ClassName}.plan", PlanText.Write(m.Result.Plan!), m.ClassName, Namespace)).ToArray();
            var (_, output, diagnostics) = GeneratorHarness.Run(plans, GeneratorHarness.CreateCompilation(true, driver));
            if (!diagnostics.IsEmpty) throw new InvalidOperationException(string.Join(Environment.NewLine, diagnostics));
            var resources = models.Where(m => m.Result.Plan!.Weights.Storage == WeightStorage.Resource)
                .Select(m => new ResourceDescription(m.Result.Plan!.Weights.ResourceName, () => new MemoryStream(m.Result.Weights), isPublic: true))
                .ToArray();
            byte[] image = GeneratorHarness.Emit(output, resources);
            // Loaded from a file, as an app's assembly is, so the weight resource is mapped in place; it stays loaded
            // for the test run (the fixtures share it).
            string path = Path.Combine(Path.GetTempPath(), $"quantgen-real-{Guid.NewGuid():N}.dll");
            File.WriteAllBytes(path, image);
            var assembly = new AssemblyLoadContext("QuantGen.RealModels").LoadFromAssemblyPath(path);
            return new CompiledModel(assembly);
        }

        /// <summary>Calls the driver's public static method.</summary>
        public object? Call(string type, string method, params object?[] args) => GeneratorHarness.Call(Assembly, type, method, args);
    }
}
