// BenchmarkDotNet: the generated class (compiled in memory by the real pipeline) against ONNX Runtime's C# API in this
// process (one thread, all graph optimizations), on synthetic full-depth binary classifiers; batch 1 and 1,000.
using System;
using System.Linq;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace QuantGen.Trees.Benchmarks
{
    [MemoryDiagnoser]
    public class TreeBenchmarks
    {
        [Params("100x6", "500x8")]
        public string Ensemble { get; set; } = "100x6";

        [Params(1, 1000)]
        public int Batch { get; set; } = 1;

        private CompiledModel _model = null!;
        private InferenceSession _session = null!;
        private float[] _rows = null!;
        private long[] _labels = null!;
        private float[] _probabilities = null!;
        private OrtValue _input = null!, _label = null!, _output = null!;
        private RunOptions _runOptions = null!;
        private string[] _inputNames = null!, _outputNames = null!;

        [GlobalSetup]
        public void Setup()
        {
            var parts = Ensemble.Split('x').Select(int.Parse).ToArray();
            var e = new SyntheticEnsemble(parts[0], parts[1]);
            _model = CompiledModel.Build(e.File(), "Gbdt" + parts[0] + "x" + parts[1]);
            _rows = SyntheticEnsemble.Rows(Batch);
            _pool = SyntheticEnsemble.Rows(1024, seed: 11);
            _labels = new long[Batch];
            _probabilities = new float[2 * Batch];
            var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 1, InterOpNumThreads = 1 };
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            _session = new InferenceSession(e.File(), options);
            // Pre-bound OrtValues over our own arrays: the cheapest way through ONNX Runtime's C# API (no copies, no allocation of tensors).
            _input = OrtValue.CreateTensorValueFromMemory(_rows, new long[] { Batch, SyntheticEnsemble.Features });
            _label = OrtValue.CreateTensorValueFromMemory(new long[Batch], new long[] { Batch });
            _output = OrtValue.CreateTensorValueFromMemory(new float[2 * Batch], new long[] { Batch, 2 });
            _runOptions = new RunOptions();
            _inputNames = new[] { "features" };
            _outputNames = new[] { "label", "probabilities" };
            QuantGen();
            OnnxRuntime();
        }

        private float[] _pool = null!;
        private int _next;

        /// <summary>Batch 1 takes the next of 1,024 different rows each call (one row over and over would let ONNX Runtime's branchy walk predict every branch).</summary>
        private void NextRow()
        {
            if (Batch != 1) return;
            Array.Copy(_pool, _next * SyntheticEnsemble.Features, _rows, 0, SyntheticEnsemble.Features);
            _next = (_next + 1) & 1023;
        }

        [Benchmark(Baseline = true)]
        public void OnnxRuntime()
        {
            NextRow();
            _session.Run(_runOptions, _inputNames, new[] { _input }, _outputNames, new[] { _label, _output });
        }

        [Benchmark]
        public void QuantGen()
        {
            NextRow();
            _model.Run(_rows, _labels, _probabilities);
        }

        [GlobalCleanup]
        public void Cleanup()
        {
            _session.Dispose();
            _input.Dispose();
            _label.Dispose();
            _output.Dispose();
            _runOptions.Dispose();
        }
    }
}
