// The oracle: ONNX Runtime 1.32.0 in this process, all graph optimizations on (as users deploy it), one thread.
using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;

namespace QuantGen.RealModels.Tests
{
    internal sealed class OnnxRuntimeReference : IDisposable
    {
        private readonly InferenceSession _session;

        public OnnxRuntimeReference(string modelPath)
        {
            using var options = new SessionOptions
            {
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                IntraOpNumThreads = 1,
                InterOpNumThreads = 1,
            };
            _session = new InferenceSession(modelPath, options);
        }

        /// <summary>The first output for one float input of <paramref name="shape"/>.</summary>
        public float[] Run(float[] input, long[] shape)
        {
            string name = _session.InputMetadata.Keys.Single();
            using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
            return RunFirst(new[] { name }, new[] { value });
        }

        /// <summary>The first output for int64 inputs, all of <paramref name="shape"/>, by name.</summary>
        public float[] Run(IReadOnlyDictionary<string, long[]> inputs, long[] shape)
        {
            var names = inputs.Keys.ToArray();
            var values = names.Select(n => OrtValue.CreateTensorValueFromMemory(inputs[n], shape)).ToArray();
            try
            {
                return RunFirst(names, values);
            }
            finally
            {
                foreach (var v in values) v.Dispose();
            }
        }

        private float[] RunFirst(string[] names, OrtValue[] values)
        {
            using var runOptions = new RunOptions();
            string output = _session.OutputNames[0];
            using var results = _session.Run(runOptions, names, values, new[] { output });
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }

        public void Dispose() => _session.Dispose();
    }
}
