// The code-generation strategies measured for the crossover (docs/how-it-works.md "Tree ensembles"). Each computes the
// probability of class 1 of the same synthetic classifier for one row. The two kernel layouts are the product's
// (QuantGen.Kernels TreeEnsembleF32); nested comparisons and QuickScorer exist only here, to be measured.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using QuantGen.Compiler.Lowering.Ml;
using QuantGen.Compiler.Operators.Ml;
using QuantGen.Kernels;
using QuantGen.Onnx;

namespace QuantGen.Trees.Benchmarks
{
    internal abstract unsafe class Strategy : IDisposable
    {
        public abstract string Name { get; }

        /// <summary>P(class 1) of one row.</summary>
        public abstract float Run(float* row);

        /// <summary>Seconds spent compiling C# for this strategy (0 when it needs none beyond the kernel).</summary>
        public double CompileSeconds { get; protected set; }

        public virtual void Dispose() { }

        protected static T* Copy<T>(T[] data) where T : unmanaged
        {
            var p = (T*)NativeMemory.AlignedAlloc((nuint)(Math.Max(1, data.Length) * sizeof(T)), 64);
            data.AsSpan().CopyTo(new Span<T>(p, data.Length));
            return p;
        }
    }

    /// <summary>The product kernel over a layout: complete blocks up to <c>maxCompleteDepth</c> (vectorized), flattened beyond.</summary>
    internal sealed unsafe class KernelStrategy : Strategy
    {
        private readonly string _name;
        private readonly int* _feature, _node, _leaf, _child, _root, _block, _treeClass, _weightStart, _weightClass, _scratch;
        private readonly float* _threshold, _weightValue, _base, _y;
        private readonly long* _labels, _label;
        private readonly int _features, _trees, _blocks, _nodes, _nodeInts, _leafInts, _flat, _leaves, _weights, _classes, _leafClass, _binary, _allPositive;
        private readonly QuantGen.Kernels.TreeLeafEntry _entry;
        private readonly TreeEnsemble _e;

        public KernelStrategy(TreeEnsemble e, int maxCompleteDepth, string name)
        {
            _name = name;
            _e = e;
            var layout = TreeEnsembleLayout.Build(e, maxCompleteDepth);
            _feature = Copy(layout.Feature); _threshold = Copy(layout.Threshold); _node = Copy(layout.Node); _leaf = Copy(layout.Leaf); _child = Copy(layout.Child);
            _root = Copy(layout.Root); _block = Copy(layout.Block); _treeClass = Copy(layout.TreeClass); _weightStart = Copy(layout.WeightStart); _weightClass = Copy(layout.WeightClass);
            _weightValue = Copy(layout.WeightValue); _base = Copy(e.BaseValues); _labels = Copy(e.ClassLabels);
            _scratch = Copy(new int[QuantGen.Kernels.TreeLayout.ScratchLength(layout.Blocks, e.Targets)]); _y = Copy(new float[Math.Max(2, e.Targets)]); _label = Copy(new long[1]);
            _features = e.Features; _trees = e.Roots.Length; _blocks = layout.Blocks; _nodes = layout.Feature.Length; _nodeInts = layout.Node.Length; _leafInts = layout.Leaf.Length;
            _flat = layout.FlatNodes; _leaves = Math.Max(0, layout.WeightStart.Length - 1); _weights = layout.WeightValue.Length; _classes = e.Targets;
            _leafClass = layout.OneClass; _entry = (QuantGen.Kernels.TreeLeafEntry)(int)layout.LeafEntry; _binary = e.BinaryCase ? 1 : 0; _allPositive = e.AllPositive ? 1 : 0;
        }

        public override string Name => _name;

        public override float Run(float* row)
        {
            TreeEnsembleF32.Run(row, _feature, _threshold, _node, _leaf, _child, _root, _block, _treeClass, _weightStart, _weightClass, _weightValue, _base, _labels, _y, _label, _scratch,
                _features, _nodes, _nodeInts, _leafInts, _flat, _leaves, _weights, _trees, _blocks, _classes, _e.BaseValues.Length, _leafClass, _binary, _allPositive, _entry,
                (Kernels.TreeOutput)(int)_e.Output, (Kernels.TreeAggregate)(int)_e.Aggregate, (Kernels.TreeTransform)(int)_e.Transform);
            return _y[1];
        }
    }

    /// <summary>Each tree as nested if/else with its thresholds as literals (m2cgen's and treelite's C output), compiled by Roslyn.</summary>
    internal sealed unsafe class NestedIfStrategy : Strategy
    {
        private readonly delegate*<float*, float> _score;

        public NestedIfStrategy(SyntheticEnsemble e)
        {
            var sb = new StringBuilder("namespace Nested { public static unsafe class Model {\n");
            sb.Append("public static float Score(float* x) { float s = 0f;\n");
            for (int t = 0; t < e.Trees; t++) sb.Append("s += T").Append(t).Append("(x);\n");
            sb.Append("return s; }\n");
            for (int t = 0; t < e.Trees; t++)
            {
                sb.Append("static float T").Append(t).Append("(float* x) {\n");
                Emit(sb, e, t, 0, 0);
                sb.Append("}\n");
            }
            sb.Append("} }\n");
            var clock = Stopwatch.StartNew();
            var compilation = CSharpCompilation.Create("Nested" + e.Name.Replace("-", ""), new[] { CSharpSyntaxTree.ParseText(sb.ToString()) },
                new[] { MetadataReference.CreateFromFile(typeof(object).Assembly.Location) },
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, optimizationLevel: OptimizationLevel.Release));
            using var pe = new MemoryStream();
            var result = compilation.Emit(pe);
            if (!result.Success) throw new InvalidOperationException(result.Diagnostics.First().ToString());
            CompileSeconds = clock.Elapsed.TotalSeconds;
            var method = Assembly.Load(pe.ToArray()).GetType("Nested.Model")!.GetMethod("Score")!;
            _score = (delegate*<float*, float>)method.MethodHandle.GetFunctionPointer();
        }

        private static void Emit(StringBuilder sb, SyntheticEnsemble e, int t, int i, int level)
        {
            if (level == e.Depth)
            {
                sb.Append("return ").Append(e.Leaf[t, i - ((1 << e.Depth) - 1)].ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append("f;\n");
                return;
            }
            sb.Append("if (x[").Append(e.Feature[t, i]).Append("] <= ").Append(e.Threshold[t, i].ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append("f) {\n");
            Emit(sb, e, t, 2 * i + 1, level + 1);
            sb.Append("} else {\n");
            Emit(sb, e, t, 2 * i + 2, level + 1);
            sb.Append("}\n");
        }

        public override string Name => "nested if (Roslyn)";

        public override float Run(float* row) => Kernels.TreeEnsembleF32.Logistic(_score(row));
    }

    /// <summary>
    /// QuickScorer (Lucchese et al., SIGIR 2015): per feature, the branches sorted by threshold; a row clears, in each
    /// tree's leaf bitvector, the leaves left of every branch it fails (x &gt; t); the exit leaf is the lowest bit left.
    /// </summary>
    internal sealed unsafe class QuickScorerStrategy : Strategy
    {
        private readonly int _trees, _words;
        private readonly float[][] _thresholds;  // per feature, ascending
        private readonly int[][] _tree;          // per feature, the branch's tree
        private readonly ulong[][] _masks;       // per feature, _words masks per branch
        private readonly ulong[] _v;
        private readonly float[] _leaves;        // tree · 2^depth + leaf

        public QuickScorerStrategy(SyntheticEnsemble e)
        {
            _trees = e.Trees;
            int leaves = 1 << e.Depth;
            _words = (leaves + 63) / 64;
            _v = new ulong[_trees * _words];
            _leaves = new float[_trees * leaves];
            var perFeature = Enumerable.Range(0, SyntheticEnsemble.Features).Select(_ => new List<(float T, int Tree, ulong[] Mask)>()).ToArray();
            for (int t = 0; t < e.Trees; t++)
            {
                for (int l = 0; l < leaves; l++) _leaves[t * leaves + l] = e.Leaf[t, l];
                for (int i = 0; i < leaves - 1; i++)
                {
                    // Branch i at level d covers leaves [first, first + span); its left half is unreachable when x > t.
                    int level = 31 - BitOperations.LeadingZeroCount((uint)(i + 1));
                    int span = leaves >> level, first = (i + 1 - (1 << level)) * span;
                    var mask = Enumerable.Repeat(ulong.MaxValue, _words).ToArray();
                    for (int l = first; l < first + span / 2; l++) mask[l / 64] &= ~(1UL << (l % 64));
                    perFeature[e.Feature[t, i]].Add((e.Threshold[t, i], t, mask));
                }
            }
            _thresholds = perFeature.Select(f => f.OrderBy(b => b.T).Select(b => b.T).ToArray()).ToArray();
            _tree = perFeature.Select(f => f.OrderBy(b => b.T).Select(b => b.Tree).ToArray()).ToArray();
            _masks = perFeature.Select(f => f.OrderBy(b => b.T).SelectMany(b => b.Mask).ToArray()).ToArray();
        }

        public override string Name => "QuickScorer";

        public override float Run(float* row)
        {
            Array.Fill(_v, ulong.MaxValue);
            for (int f = 0; f < _thresholds.Length; f++)
            {
                float x = row[f];
                var thresholds = _thresholds[f];
                var tree = _tree[f];
                var masks = _masks[f];
                for (int k = 0; k < thresholds.Length && x > thresholds[k]; k++)
                    for (int w = 0; w < _words; w++) _v[tree[k] * _words + w] &= masks[k * _words + w];
            }
            float s = 0f;
            int leaves = _words * 64 < _leaves.Length / _trees ? 0 : _leaves.Length / _trees;
            for (int t = 0; t < _trees; t++)
            {
                int w = 0;
                while (_v[t * _words + w] == 0) w++;
                s += _leaves[t * leaves + w * 64 + BitOperations.TrailingZeroCount(_v[t * _words + w])];
            }
            return Kernels.TreeEnsembleF32.Logistic(s);
        }
    }
}

namespace QuantGen.Trees.Benchmarks
{
    using Microsoft.ML.OnnxRuntime;

    /// <summary>ONNX Runtime's C# API, one row per Run, its OrtValues bound to fixed buffers once (the peer).</summary>
    internal sealed unsafe class OrtStrategy : Strategy
    {
        private readonly InferenceSession _session;
        private readonly float[] _row = new float[SyntheticEnsemble.Features];
        private readonly float[] _probabilities = new float[2];
        private readonly OrtValue _input, _label, _output;
        private readonly RunOptions _options = new RunOptions();
        private static readonly string[] s_inputs = { "features" }, s_outputs = { "label", "probabilities" };

        public OrtStrategy(SyntheticEnsemble e)
        {
            var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 1, InterOpNumThreads = 1 };
            _session = new InferenceSession(e.File(), options);
            _input = OrtValue.CreateTensorValueFromMemory(_row, new long[] { 1, SyntheticEnsemble.Features });
            _label = OrtValue.CreateTensorValueFromMemory(new long[1], new long[] { 1 });
            _output = OrtValue.CreateTensorValueFromMemory(_probabilities, new long[] { 1, 2 });
        }

        public override string Name => "ONNX Runtime";

        public override float Run(float* row)
        {
            new ReadOnlySpan<float>(row, SyntheticEnsemble.Features).CopyTo(_row);
            _session.Run(_options, s_inputs, new[] { _input }, s_outputs, new[] { _label, _output });
            return _probabilities[1];
        }

        public override void Dispose()
        {
            _session.Dispose();
            _input.Dispose();
            _label.Dispose();
            _output.Dispose();
            _options.Dispose();
        }
    }
}
