// ONNX Runtime through its C# API, in this process: the peer the generated classes are timed against.
#if !QUANTGEN_BENCH_AOT
using System;
using System.Linq;
using Microsoft.ML.OnnxRuntime;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// One ONNX Runtime session on one model (CPU execution provider, <c>ORT_ENABLE_ALL</c>: BASIC and EXTENDED ran 3–4×
    /// slower on MobileNetV2 here), fed from and writing into the benchmark's own arrays: the input and output are
    /// <see cref="OrtValue"/>s over pinned managed memory made once, so a call costs ONNX Runtime's own work plus one
    /// P/Invoke, as in an application that uses the C# API well.
    /// </summary>
    internal sealed class OrtPeer : IDisposable
    {
        private readonly InferenceSession _session;
        private readonly RunOptions _runOptions = new RunOptions();
        private readonly string[] _inputNames, _outputNames;
        private readonly OrtValue[] _inputs, _outputs;

        /// <param name="threads">Intra-op threads (1 for the one-thread rows); inter-op is sequential.</param>
        public OrtPeer(string onnxPath, int threads, float[] input, float[] output)
        {
            using var options = new SessionOptions
            {
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                IntraOpNumThreads = threads,
                InterOpNumThreads = 1,
            };
            _session = new InferenceSession(onnxPath, options);
            var inputMeta = _session.InputMetadata.Single();
            var outputMeta = _session.OutputMetadata.First();
            _inputNames = new[] { inputMeta.Key };
            _outputNames = new[] { outputMeta.Key };
            _inputs = new[] { OrtValue.CreateTensorValueFromMemory(input, BatchOfOne(inputMeta.Value.Dimensions, input.Length, onnxPath)) };
            _outputs = new[] { OrtValue.CreateTensorValueFromMemory(output, BatchOfOne(outputMeta.Value.Dimensions, output.Length, onnxPath)) };
        }

        public static string Version => OrtEnv.Instance().GetVersionString();

        public void Run() => _session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);

        // A symbolic (batch) axis is 1; the element count must then be the test vector's.
        private static long[] BatchOfOne(int[] dimensions, int length, string onnxPath)
        {
            long[] shape = dimensions.Select(d => d < 0 ? 1L : d).ToArray();
            if (shape.Aggregate(1L, (a, b) => a * b) != length)
                throw new InvalidOperationException($"{onnxPath}: shape [{string.Join(",", dimensions)}] does not hold the test vector's {length} values");
            return shape;
        }

        public void Dispose()
        {
            foreach (OrtValue value in _inputs.Concat(_outputs)) value.Dispose();
            _runOptions.Dispose();
            _session.Dispose();
        }
    }
}
#endif
