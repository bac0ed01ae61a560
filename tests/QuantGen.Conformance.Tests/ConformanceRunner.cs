// Runs every local backend test case through the whole pipeline once per test run: each case is read and
// compiled to a plan, then ALL plans go through one generator run and one C# compilation (one class per
// namespace), the assembly is loaded once, and each case's outputs are compared with the expected ones.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;
using QuantGen.Compiler.Operators;
using QuantGen.Compiler.Pipeline;
using QuantGen.Onnx;
using QuantGen.Plan;

namespace QuantGen.Conformance.Tests
{
    internal enum Outcome
    {
        Pass,

        /// <summary>A clean QGxxxx error for something QuantGen does not support yet (expected behaviour).</summary>
        Unsupported,

        /// <summary>Wrong numbers, a crash, a generated class that does not compile, or a run-time exception.</summary>
        Fail,
    }

    internal sealed class CaseResult
    {
        public CaseResult(string name) { Name = name; }

        public string Name { get; }
        public Outcome Outcome { get; set; } = Outcome.Pass;

        /// <summary>The diagnostic id (QG0003…) or failure kind ("numbers differ", "C# compile error"…).</summary>
        public string Reason { get; set; } = "";
        public string Detail { get; set; } = "";
        public int Opset { get; set; }
        public SortedSet<string> Operators { get; } = new SortedSet<string>(StringComparer.Ordinal);

        /// <summary>Graph inputs bound to their test value as build-time constants (see <see cref="ConformanceRunner.BindBuildTimeInputs"/>).</summary>
        public List<string> BoundInputs { get; } = new List<string>();

        public void Set(Outcome outcome, string reason, string detail)
        {
            Outcome = outcome;
            Reason = reason;
            Detail = detail;
        }

        public override string ToString() => Outcome == Outcome.Pass ? Name + ": pass" : $"{Name}: {Outcome} ({Reason}) {Detail}";
    }

    internal sealed class ConformanceResults
    {
        public ConformanceResults(Dictionary<string, CaseResult> cases, TimeSpan elapsed)
        {
            Cases = cases;
            Elapsed = elapsed;
        }

        public Dictionary<string, CaseResult> Cases { get; }
        public TimeSpan Elapsed { get; }
    }

    internal static class ConformanceRunner
    {
        // ONNX backend defaults (onnx/backend/test/runner: rtol=1e-3, atol=1e-7).
        public const double RelativeTolerance = 1e-3;
        public const double AbsoluteTolerance = 1e-7;

        /// <summary>QuantGen's "not supported yet" diagnostics: a clean error for an unsupported model is the expected behaviour.</summary>
        private static readonly HashSet<string> s_unsupportedIds = new HashSet<string>(StringComparer.Ordinal)
        {
            DiagnosticIds.UnsupportedOperator, DiagnosticIds.UnsupportedAttribute, DiagnosticIds.UnsupportedDataType, DiagnosticIds.UnsupportedDynamicShape,
        };

        private static readonly Lazy<ConformanceResults> s_results = new Lazy<ConformanceResults>(RunAll);

        public static ConformanceResults Results => s_results.Value;

        private sealed class Prepared
        {
            public Prepared(CaseResult result, string ns) { Result = result; Namespace = ns; }

            public CaseResult Result { get; }
            public string Namespace { get; }
            public ModelPlan? Plan { get; set; }
            public byte[] Weights { get; set; } = Array.Empty<byte>();
            public string ResourceName => "Conformance." + Namespace + ".weights";
            public string PlanPath => "/obj/quantgen/" + Namespace + "/Model.plan";
            public string HintSuffix => Namespace + ".Model.g.cs";

            /// <summary>Per test data set: inputs by plan order, expected outputs by plan order.</summary>
            public List<(string Set, object[] Inputs, Tensor[] Expected)> DataSets { get; } = new List<(string, object[], Tensor[])>();
        }

        private static ConformanceResults RunAll()
        {
            var clock = Stopwatch.StartNew();
            var names = BackendTestScope.LocalCases().ToList();
            var prepared = new Prepared[names.Count];
            Parallel.For(0, names.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
                prepared[i] = Prepare(names[i], "Case" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)));

            var compiled = prepared.Where(p => p.Result.Outcome == Outcome.Pass && p.Plan != null).ToList();
            if (compiled.Count > 0) BuildAndRun(compiled);

            clock.Stop();
            return new ConformanceResults(prepared.ToDictionary(p => p.Result.Name, p => p.Result, StringComparer.Ordinal), clock.Elapsed);
        }

        private static Prepared Prepare(string name, string ns)
        {
            var result = new CaseResult(name);
            var p = new Prepared(result, ns);
            string dir = Path.Combine(BackendTestScope.LocalRoot, name.Replace('/', Path.DirectorySeparatorChar));
            try
            {
                ReadFacts(Path.Combine(dir, "model.onnx"), result);
                Graph graph;
                try
                {
                    graph = OnnxModelReader.Read(Path.Combine(dir, "model.onnx"));
                }
                catch (CompilerException e)
                {
                    Diagnose(result, new[] { e.Diagnostic }, "reader");
                    return p;
                }
                var inputNames = graph.Inputs.Select(v => v.Name).ToList();
                var outputNames = graph.Outputs.Select(v => v.Name).ToList();
                result.BoundInputs.AddRange(BindBuildTimeInputs(graph, dir, inputNames));

                var compile = ModelCompiler.Compile(graph, new CompileOptions { Precision = Precision.Float32, ResourceName = p.ResourceName });
                if (!compile.Succeeded)
                {
                    Diagnose(result, compile.Diagnostics, "compiler");
                    return p;
                }
                p.Plan = compile.Plan;
                p.Weights = compile.Weights;

                foreach (string set in Directory.GetDirectories(dir, "test_data_set_*").OrderBy(d => d, StringComparer.Ordinal))
                {
                    var inputs = new object[p.Plan!.Inputs.Count];
                    var given = new bool[inputs.Length];
                    for (int i = 0; File.Exists(Path.Combine(set, $"input_{i}.pb")); i++)
                    {
                        Tensor t;
                        try { t = TensorFile.Read(Path.Combine(set, $"input_{i}.pb")); }
                        catch (CompilerException e) { Diagnose(result, new[] { e.Diagnostic }, "test data"); return p; }
                        if (i >= inputNames.Count) continue; // an input that is also an initializer: the model's value wins
                        int k = p.Plan.Inputs.FindIndex(x => x.Name == inputNames[i]);
                        if (k < 0) continue; // an input the compiled model does not read
                        inputs[k] = ToArray(t, p.Plan.Inputs[k], out string? problem);
                        if (problem != null) { result.Set(Outcome.Fail, "input mismatch", $"{Path.GetFileName(set)} input '{inputNames[i]}': {problem}"); return p; }
                        given[k] = true;
                    }
                    int missing = Array.IndexOf(given, false);
                    if (missing >= 0) { result.Set(Outcome.Fail, "input mismatch", $"plan input '{p.Plan.Inputs[missing].Name}' has no test data"); return p; }

                    var expected = new Tensor[p.Plan.Outputs.Count];
                    for (int o = 0; o < outputNames.Count && File.Exists(Path.Combine(set, $"output_{o}.pb")); o++)
                    {
                        Tensor t;
                        try { t = TensorFile.Read(Path.Combine(set, $"output_{o}.pb")); }
                        catch (CompilerException e) { Diagnose(result, new[] { e.Diagnostic }, "test data"); return p; }
                        int k = p.Plan.Outputs.FindIndex(x => x.Name == outputNames[o]);
                        if (k >= 0) expected[k] = t;
                    }
                    int noOutput = Array.IndexOf(expected, null);
                    if (noOutput >= 0) { result.Set(Outcome.Fail, "output mismatch", $"plan output '{p.Plan.Outputs[noOutput].Name}' has no expected data"); return p; }
                    p.DataSets.Add((Path.GetFileName(set), inputs, expected));
                }
                if (p.DataSets.Count == 0) result.Set(Outcome.Fail, "no test data", "no test_data_set_* folder");
            }
            catch (Exception e)
            {
                result.Set(Outcome.Fail, "harness exception", e.GetType().Name + ": " + e.Message);
            }
            return p;
        }

        /// <summary>
        /// The node tests feed shape-deciding operands (Reshape's shape, Slice's starts, a reduction's axes, Pad's pads…) as
        /// graph inputs, where exporters emit initializers. QuantGen compiles static shapes, so such an input (every reader
        /// of it wants a build-time value, per <see cref="OperatorDefinition.IsBuildTimeInput"/>) is bound to its test value,
        /// as onnx-mlir's backend tests do with constant inputs, when every data set gives it the same value. The report
        /// lists the cases that rely on this. Returns the bound inputs' names.
        /// </summary>
        internal static List<string> BindBuildTimeInputs(Graph graph, string dir, List<string> inputNames)
        {
            var bound = new List<string>();
            var sets = Directory.GetDirectories(dir, "test_data_set_*").OrderBy(d => d, StringComparer.Ordinal).ToList();
            foreach (var v in graph.Inputs.ToList())
            {
                var uses = graph.Nodes.SelectMany(n => n.Inputs.Select((x, i) => (Node: n, Index: i, Value: x))).Where(u => ReferenceEquals(u.Value, v)).ToList();
                if (uses.Count == 0 || graph.IsGraphOutput(v)) continue;
                if (!uses.All(u => OperatorSet.Find(u.Node)?.IsBuildTimeInput(u.Node, u.Index) == true)) continue;
                int k = inputNames.IndexOf(v.Name);
                Tensor? value = null;
                bool same = sets.Count > 0;
                foreach (string set in sets)
                {
                    string file = Path.Combine(set, $"input_{k}.pb");
                    if (!File.Exists(file)) { same = false; break; }
                    var t = TensorFile.Read(file);
                    if (value == null) value = t;
                    else if (!value.Shape.SequenceEqual(t.Shape) || !value.ToBytes().SequenceEqual(t.ToBytes())) { same = false; break; }
                }
                if (!same || value == null) continue;
                v.Constant = value;
                v.Type = value.Type;
                v.Shape = value.Shape;
                graph.Inputs.Remove(v);
                bound.Add(v.Name);
            }
            return bound;
        }

        /// <summary>Operators and opset straight from the protobuf, so they are known even when the reader rejects the model.</summary>
        private static void ReadFacts(string modelPath, CaseResult result)
        {
            var model = QuantGen.Onnx.Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath));
            foreach (var node in model.Graph.Node) result.Operators.Add(node.Domain.Length == 0 || node.Domain == "ai.onnx" ? node.OpType : node.Domain + "." + node.OpType);
            result.Opset = (int)model.OpsetImport.Where(o => o.Domain.Length == 0 || o.Domain == "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
        }

        private static void Diagnose(CaseResult result, IReadOnlyList<CompilerDiagnostic> diagnostics, string stage)
        {
            var error = diagnostics.FirstOrDefault(d => d.Severity == QuantGen.Ir.Diagnostics.DiagnosticSeverity.Error) ?? diagnostics.FirstOrDefault();
            if (error == null)
            {
                result.Set(Outcome.Fail, "no diagnostic", $"the {stage} failed without a diagnostic");
                return;
            }
            // A "not supported" id is only clean when the compiler got that far on its own: QG0999 is a crash,
            // and QG0007 (invalid graph) on an official test case means the compiler misjudged a valid model.
            result.Set(s_unsupportedIds.Contains(error.Id) ? Outcome.Unsupported : Outcome.Fail, error.Id, error.Message);

            // "Operator X is not supported" for an operator the support matrix lists contradicts the matrix.
            var op = System.Text.RegularExpressions.Regex.Match(error.Message, @"^operator (\S+) \(node");
            if (error.Id == DiagnosticIds.UnsupportedOperator && op.Success && OperatorSet.All.Any(d => d.OpType == op.Groups[1].Value))
                result.Set(Outcome.Fail, error.Id, "the support matrix lists this operator, yet: " + error.Message);
        }

        private static object ToArray(Tensor t, PlanTensor target, out string? problem)
        {
            problem = null;
            if (target.ElementType == PlanElementType.Bool && t.Data is byte[] b) return b.Select(x => x != 0).ToArray();
            Type want = PlanElementTypes.ClrType(target.ElementType);
            if (t.Data.GetType().GetElementType() != want) problem = $"test data is {t.Type}, the plan expects {target.ElementType}";
            return t.Data;
        }

        private static void BuildAndRun(List<Prepared> cases)
        {
            // One adapter per case, in the case's namespace: Run(object[]) calls the typed Run(spans...).
            var adapters = new Dictionary<Prepared, SyntaxTree>();
            foreach (var p in cases)
            {
                var args = p.Plan!.Inputs.Concat(p.Plan.Outputs).Select((t, i) => $"({PlanElementTypes.CSharpName(t.ElementType)}[])a[{i}]");
                string source =
                    "namespace " + p.Namespace + "\n{\n" +
                    "    public static class Adapter\n    {\n" +
                    "        public static void Run(object[] a) => new Model().Run(" + string.Join(", ", args) + ");\n" +
                    "    }\n}\n";
                adapters[p] = InMemoryGenerator.Parse(source, "/adapters/" + p.Namespace + ".cs");
            }

            var plans = cases.Select(p => new PlanInput(p.PlanPath, PlanText.Write(p.Plan!), "Model", p.Namespace)).ToList();
            // For debugging a case: QUANTGEN_CONFORMANCE_PLANS=<folder> writes every plan there, named after its case.
            string? dump = Environment.GetEnvironmentVariable("QUANTGEN_CONFORMANCE_PLANS");
            if (!string.IsNullOrEmpty(dump))
            {
                Directory.CreateDirectory(dump);
                for (int i = 0; i < cases.Count; i++) File.WriteAllText(Path.Combine(dump, cases[i].Result.Name.Replace('/', '_') + ".plan"), plans[i].Text);
            }
            var (output, generatorDiagnostics) = InMemoryGenerator.Run(plans, InMemoryGenerator.CreateCompilation(adapters.Values));

            var live = new List<Prepared>(cases);
            foreach (var d in generatorDiagnostics.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error))
            {
                var p = Owner(live, d.Location.GetLineSpan().Path + " " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
                if (p != null) p.Result.Set(Outcome.Fail, "generator " + d.Id, d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
                else foreach (var q in live) q.Result.Set(Outcome.Fail, "generator " + d.Id, d.ToString());
            }
            live.RemoveAll(p => p.Result.Outcome != Outcome.Pass);

            // Emit; a case whose generated class does not compile is failed and dropped, and the rest are emitted again.
            byte[]? image = null;
            for (int attempt = 0; attempt < 4 && live.Count > 0; attempt++)
            {
                var keep = new HashSet<string>(live.SelectMany(p => new[] { "/adapters/" + p.Namespace + ".cs", p.HintSuffix }), StringComparer.Ordinal);
                var drop = output.SyntaxTrees.Where(t => (t.FilePath.StartsWith("/adapters/", StringComparison.Ordinal) || t.FilePath.EndsWith(".Model.g.cs", StringComparison.Ordinal))
                                                          && !keep.Any(k => t.FilePath.EndsWith(k, StringComparison.Ordinal))).ToList();
                output = output.RemoveSyntaxTrees(drop);

                using var pe = new MemoryStream();
                var resources = live.Where(p => p.Plan!.Weights.Storage == WeightStorage.Resource)
                    .Select(p => new ResourceDescription(p.ResourceName, () => new MemoryStream(p.Weights), isPublic: true)).ToList();
                var emit = output.Emit(pe, manifestResources: resources);
                var errors = emit.Diagnostics.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error).ToList();
                if (errors.Count == 0)
                {
                    image = pe.ToArray();
                    break;
                }
                bool attributed = false;
                foreach (var group in errors.GroupBy(e => e.Location.SourceTree))
                {
                    string path = group.Key?.FilePath ?? "";
                    var owner = live.FirstOrDefault(p => path.EndsWith(p.HintSuffix, StringComparison.Ordinal) || path.EndsWith("/adapters/" + p.Namespace + ".cs", StringComparison.Ordinal));
                    if (owner == null) continue;
                    attributed = true;
                    var first = group.First();
                    int line = first.Location.GetLineSpan().StartLinePosition.Line;
                    string[] lines = group.Key!.GetText().ToString().Split('\n');
                    string excerpt = string.Join("\n", lines.Skip(Math.Max(0, line - 3)).Take(6).Select((l, i) => (Math.Max(0, line - 3) + i + 1).ToString().PadLeft(5) + "  " + l.TrimEnd()));
                    owner.Result.Set(Outcome.Fail, "C# compile error", string.Join("; ", group.Take(3).Select(e => e.ToString())) + "\n" + excerpt);
                }
                if (!attributed)
                {
                    // An error in shared code (the kernels): every case fails with it.
                    string text = string.Join("\n", errors.Take(5).Select(e => e.ToString()));
                    foreach (var p in live) p.Result.Set(Outcome.Fail, "C# compile error (shared code)", text);
                }
                live.RemoveAll(p => p.Result.Outcome != Outcome.Pass);
            }
            if (image == null)
            {
                foreach (var p in live) p.Result.Set(Outcome.Fail, "C# compile error", "the batch did not compile after dropping the failing cases");
                return;
            }

            string file = Path.Combine(Path.GetTempPath(), "quantgen-conformance-" + Guid.NewGuid().ToString("N") + ".dll");
            File.WriteAllBytes(file, image);
            var context = new AssemblyLoadContext("QuantGenConformance", isCollectible: true);
            try
            {
                Assembly assembly = context.LoadFromAssemblyPath(file);
                foreach (var p in live) RunCase(assembly, p);
            }
            finally
            {
                context.Unload();
                try { File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }

        private static Prepared? Owner(List<Prepared> cases, string text) =>
            cases.FirstOrDefault(p => text.Contains("/" + p.Namespace + "/", StringComparison.Ordinal));

        private static void RunCase(Assembly assembly, Prepared p)
        {
            MethodInfo run = assembly.GetType(p.Namespace + ".Adapter", throwOnError: true)!.GetMethod("Run")!;
            foreach (var (set, inputs, expected) in p.DataSets)
            {
                var outputs = expected.Select((t, k) => p.Plan!.Outputs[k].ElementType == PlanElementType.Bool
                    ? new bool[t.ElementCount]
                    : Array.CreateInstance(t.Data.GetType().GetElementType()!, t.ElementCount)).ToArray();
                for (int k = 0; k < expected.Length; k++)
                {
                    var planShape = p.Plan!.Outputs[k].Shape;
                    var want = expected[k].Shape;
                    bool same = planShape.Length == want.Length && planShape.Zip(want, (a, b) => a < 0 || a == b).All(x => x);
                    if (!same)
                    {
                        p.Result.Set(Outcome.Fail, "shape differs", $"{set} output '{p.Plan.Outputs[k].Name}': plan shape [{string.Join(",", planShape)}], expected [{string.Join(",", want)}]");
                        return;
                    }
                    if (outputs[k].GetType() != ExpectedArrayType(p.Plan.Outputs[k].ElementType))
                    {
                        p.Result.Set(Outcome.Fail, "output type differs", $"{set} output '{p.Plan.Outputs[k].Name}': plan {p.Plan.Outputs[k].ElementType}, expected {expected[k].Type}");
                        return;
                    }
                }
                try
                {
                    run.Invoke(null, new object[] { inputs.Concat(outputs).ToArray() });
                }
                catch (TargetInvocationException e) when (e.InnerException != null)
                {
                    p.Result.Set(Outcome.Fail, "run-time exception", $"{set}: {e.InnerException.GetType().Name}: {e.InnerException.Message}");
                    return;
                }
                for (int k = 0; k < expected.Length; k++)
                {
                    string? problem = Compare(outputs[k], expected[k]);
                    if (problem != null)
                    {
                        p.Result.Set(Outcome.Fail, "numbers differ", $"{set} output '{p.Plan!.Outputs[k].Name}': {problem}");
                        return;
                    }
                }
            }
        }

        private static Type ExpectedArrayType(PlanElementType type) =>
            type == PlanElementType.Bool ? typeof(bool[]) : Type.GetType("System." + type switch
            {
                PlanElementType.Float32 => "Single",
                PlanElementType.Float64 => "Double",
                PlanElementType.UInt8 => "Byte",
                PlanElementType.Int8 => "SByte",
                PlanElementType.Int16 => "Int16",
                PlanElementType.UInt16 => "UInt16",
                PlanElementType.Int32 => "Int32",
                _ => "Int64",
            } + "[]")!;

        /// <summary>Null when every element is within the ONNX backend tolerance, else the worst element.</summary>
        internal static string? Compare(Array got, Tensor want)
        {
            bool exact = want.Type != DataType.Float32 && want.Type != DataType.Float64 && want.Type != DataType.Float16;
            int bad = 0, worst = -1;
            double worstError = 0;
            for (int i = 0; i < want.ElementCount; i++)
            {
                double w = want.GetDouble(i);
                double g = got is bool[] bools ? (bools[i] ? 1 : 0) : Convert.ToDouble(got.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
                bool ok;
                double error;
                if (double.IsNaN(w) || double.IsNaN(g)) { ok = double.IsNaN(w) && double.IsNaN(g); error = ok ? 0 : double.PositiveInfinity; }
                else if (double.IsInfinity(w) || double.IsInfinity(g)) { ok = w == g; error = ok ? 0 : double.PositiveInfinity; }
                else
                {
                    error = Math.Abs(g - w);
                    ok = exact ? g == w : error <= AbsoluteTolerance + RelativeTolerance * Math.Abs(w);
                }
                if (!ok)
                {
                    bad++;
                    if (worst < 0 || error > worstError) { worst = i; worstError = error; }
                }
            }
            if (bad == 0) return null;
            var sb = new StringBuilder();
            sb.Append(bad).Append(" of ").Append(want.ElementCount).Append(" elements out of tolerance; max |error| ")
              .Append(worstError.ToString("G6", System.Globalization.CultureInfo.InvariantCulture))
              .Append(" at element ").Append(worst).Append(" (got ")
              .Append((got is bool[] bb ? (bb[worst] ? 1 : 0) : Convert.ToDouble(got.GetValue(worst), System.Globalization.CultureInfo.InvariantCulture)).ToString("G9", System.Globalization.CultureInfo.InvariantCulture))
              .Append(", expected ").Append(want.GetDouble(worst).ToString("G9", System.Globalization.CultureInfo.InvariantCulture)).Append(')');
            return sb.ToString();
        }
    }
}
