// Which official ONNX backend tests this suite runs, and why the others are left out. The copy under
// onnx-backend-tests/ and its out-of-scope.md are produced from ../shared by Import (run the suite with
// QUANTGEN_UPDATE=1); nothing is dropped without a written reason.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using QuantGen.Compiler.Operators;
using QuantGen.Onnx.Proto;

namespace QuantGen.Conformance.Tests
{
    internal static class BackendTestScope
    {
        /// <summary>The suites of the official test data, in the order the report lists them.</summary>
        public static readonly string[] Suites = { "node", "pytorch-converted", "pytorch-operator", "simple" };

        /// <summary>Cases larger than this (model plus test vectors) stay out of the repository.</summary>
        public const long MaxCaseBytes = 2 * 1024 * 1024;

        /// <summary>
        /// Operators the issue "operator coverage" asks for, beyond those the compiler already has: their
        /// tests are in scope so that they turn green as the operators land.
        /// </summary>
        public static readonly string[] PlannedOperators =
        {
            "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Exp", "Log", "Neg", "Abs",
            "Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Softplus", "Clip",
            "Softmax", "LogSoftmax", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization",
            "InstanceNormalization", "LayerNormalization", "Flatten", "Reshape", "Transpose", "Concat", "Split", "Slice",
            "Squeeze", "Unsqueeze", "Pad", "ReduceMean", "ReduceMax", "ReduceSum", "Gather", "Shape", "Cast", "Constant",
            "ConstantOfShape", "Identity", "Dropout", "Resize", "Upsample",
            "QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger", "DynamicQuantizeLinear",
        };

        public static readonly HashSet<string> InScopeOperators =
            new HashSet<string>(OperatorSet.All.Select(d => d.OpType).Concat(PlannedOperators), StringComparer.Ordinal);

        /// <summary>The repository's copy: tests/QuantGen.Conformance.Tests/onnx-backend-tests.</summary>
        public static string LocalRoot => Path.Combine(QuantGen.Tests.RepoPaths.Root, "tests", "QuantGen.Conformance.Tests", "onnx-backend-tests");

        /// <summary>The shared, complete test data next to the repository (CI has it; without it the copy check is skipped).</summary>
        public static string SharedRoot => Path.GetFullPath(Path.Combine(QuantGen.Tests.RepoPaths.Root, "..", "shared", "onnx-backend-tests"));

        /// <summary>Every case of the local copy as "suite/folder", ordered.</summary>
        public static IEnumerable<string> LocalCases() =>
            Suites.Where(s => Directory.Exists(Path.Combine(LocalRoot, s)))
                .SelectMany(s => Directory.GetDirectories(Path.Combine(LocalRoot, s))
                    .Select(d => s + "/" + Path.GetFileName(d))
                    .OrderBy(n => n, StringComparer.Ordinal));

        /// <summary>Null when the case is in scope, else why it is not.</summary>
        public static string? OutOfScopeReason(string caseDirectory)
        {
            ModelProto model;
            try
            {
                model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(caseDirectory, "model.onnx")));
            }
            catch (Exception e)
            {
                return "model cannot be parsed by QuantGen's ONNX schema (" + e.GetType().Name + ")";
            }

            var ops = new SortedSet<string>(StringComparer.Ordinal);
            CollectOperators(model.Graph, ops);
            var foreign = ops.Where(o => !InScopeOperators.Contains(o)).ToList();
            if (foreign.Count > 0) return "operator " + string.Join(", ", foreign) + " (not in QuantGen's operator set or the coverage issue)";

            var values = model.Graph.Input.Concat(model.Graph.Output).ToList();
            if (values.Any(v => v.Type?.TensorType == null))
                return "sequence, map or optional values (tensors only)";
            var types = values.Select(v => v.Type.TensorType.ElemType).ToList();
            if (types.Contains(StringType)) return "string tensors";
            if (types.Count > 0 && types.All(t => t == BoolType)) return "bool-only tensors";

            long bytes = Directory.EnumerateFiles(caseDirectory, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            if (bytes > MaxCaseBytes) return $"test data is {bytes / 1024} KiB (over the {MaxCaseBytes / 1024 / 1024} MiB kept in the repository)";
            return null;
        }

        private const int StringType = 8;
        private const int BoolType = 9;

        private static void CollectOperators(GraphProto? graph, SortedSet<string> ops)
        {
            if (graph == null) return;
            foreach (NodeProto node in graph.Node)
            {
                ops.Add(node.Domain.Length == 0 || node.Domain == "ai.onnx" ? node.OpType : node.Domain + "." + node.OpType);
                foreach (AttributeProto a in node.Attribute)
                {
                    CollectOperators(a.G, ops);
                    foreach (GraphProto g in a.Graphs) CollectOperators(g, ops);
                }
            }
        }

        /// <summary>Copies the in-scope cases from the shared data and writes out-of-scope.md and NOTICE.</summary>
        public static void Import()
        {
            if (Directory.Exists(LocalRoot))
                foreach (string suite in Suites)
                    if (Directory.Exists(Path.Combine(LocalRoot, suite))) Directory.Delete(Path.Combine(LocalRoot, suite), recursive: true);
            Directory.CreateDirectory(LocalRoot);

            var outOfScope = new List<(string Case, string Reason)>();
            int copied = 0;
            foreach (string suite in Suites)
            {
                foreach (string dir in Directory.GetDirectories(Path.Combine(SharedRoot, suite)).OrderBy(d => d, StringComparer.Ordinal))
                {
                    string name = suite + "/" + Path.GetFileName(dir);
                    string? reason = OutOfScopeReason(dir);
                    if (reason != null)
                    {
                        outOfScope.Add((name, reason));
                        continue;
                    }
                    CopyDirectory(dir, Path.Combine(LocalRoot, suite, Path.GetFileName(dir)));
                    copied++;
                }
            }

            var sb = new StringBuilder();
            sb.Append("# ONNX backend tests left out of the conformance suite\n\n");
            sb.Append("<!-- Generated by tests/QuantGen.Conformance.Tests/BackendTestScope.cs (QUANTGEN_UPDATE=1). Do not edit. -->\n\n");
            sb.Append($"Source: the official ONNX backend test data (ONNX 1.12.0). In scope: {copied} cases whose operators are in QuantGen's ");
            sb.Append("operator set or on the coverage issue's list, with tensor inputs and outputs, at most 2 MiB each. ");
            sb.Append($"Left out: {outOfScope.Count} cases.\n\n");
            sb.Append("| reason | cases |\n| --- | --- |\n");
            foreach (var g in outOfScope.GroupBy(o => Summary(o.Reason)).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal))
                sb.Append("| ").Append(g.Key).Append(" | ").Append(g.Count()).Append(" |\n");
            sb.Append("\n| case | reason |\n| --- | --- |\n");
            foreach (var (c, r) in outOfScope) sb.Append("| ").Append(c).Append(" | ").Append(r).Append(" |\n");
            File.WriteAllText(Path.Combine(LocalRoot, "out-of-scope.md"), sb.ToString());

            string copyright = Path.Combine(SharedRoot, "COPYRIGHT.debian");
            var notice = new StringBuilder();
            notice.Append("The files under this folder are a subset of the ONNX backend test data (https://github.com/onnx/onnx,\n");
            notice.Append("onnx/backend/test/data, release 1.12.0, as packaged by Debian's libonnx-testdata), copied unmodified.\n");
            notice.Append("Their copyright and license terms are those of the Debian copyright file, reproduced in full below.\n\n");
            notice.Append(File.ReadAllText(copyright));
            File.WriteAllText(Path.Combine(LocalRoot, "NOTICE"), notice.ToString());
        }

        /// <summary>The reason without the case-specific detail, for the summary table.</summary>
        private static string Summary(string reason) =>
            reason.StartsWith("operator ", StringComparison.Ordinal) ? "operator not in QuantGen's operator set or the coverage issue"
            : reason.StartsWith("test data is ", StringComparison.Ordinal) ? "test data over 2 MiB"
            : reason;

        private static void CopyDirectory(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (string f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)), overwrite: true);
            foreach (string d in Directory.GetDirectories(from)) CopyDirectory(d, Path.Combine(to, Path.GetFileName(d)));
        }
    }
}
