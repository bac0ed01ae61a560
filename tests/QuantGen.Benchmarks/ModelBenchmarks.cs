// BenchmarkDotNet: one Run per reference model, batch 1, Float32 and Int8 (the Precision parameter).
using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;

namespace QuantGen.Benchmarks
{
    /// <summary>Steady-state latency and allocations of each generated class's Run on its first test vector.</summary>
    [MemoryDiagnoser]
    public class ModelBenchmarks
    {
        /// <summary>Which generated class of each model runs: the Float32 build or the Int8 build (ClassName + "Int8").</summary>
        [Params("Float32", "Int8")]
        public string Precision { get; set; } = "Float32";

        private Case _clinicalMlp = null!;
        private Case _digitsCnn = null!;
        private Case _mobileNetV2Digits = null!;
        private Case _mobileNetV2x224 = null!;
        private Case _resNet18 = null!;

        /// <summary>
        /// Always in-process (BenchmarkDotNet's <c>--inProcess</c>, which applies to every job, also <c>--job short</c>):
        /// its default child project would sit under bin/ and re-run the whole QuantGen build (task and generator)
        /// only to host the same code.
        /// </summary>
        public static int RunAll(string[] args)
        {
            if (Array.IndexOf(args, "--inProcess") < 0 && Array.IndexOf(args, "-i") < 0)
            {
                Array.Resize(ref args, args.Length + 1);
                args[args.Length - 1] = "--inProcess";
            }
            BenchmarkSwitcher.FromAssembly(typeof(ModelBenchmarks).Assembly).Run(args);
            return 0;
        }

        [GlobalSetup]
        public void Setup()
        {
            _clinicalMlp = new Case(ReferenceModel.Find("clinical-mlp", Precision));
            _digitsCnn = new Case(ReferenceModel.Find("digits-cnn", Precision));
            _mobileNetV2Digits = new Case(ReferenceModel.Find("mobilenetv2-digits", Precision));
            _mobileNetV2x224 = new Case(ReferenceModel.Find("mobilenetv2-224", Precision));
            _resNet18 = new Case(ReferenceModel.Find("resnet18", Precision));
        }

        [Benchmark]
        public void ClinicalMlp() => _clinicalMlp.Run();

        [Benchmark]
        public void DigitsCnn() => _digitsCnn.Run();

        [Benchmark]
        public void MobileNetV2Digits() => _mobileNetV2Digits.Run();

        [Benchmark]
        public void MobileNetV2x224() => _mobileNetV2x224.Run();

        [Benchmark]
        public void ResNet18() => _resNet18.Run();

        private sealed class Case
        {
            private readonly RunModel _run;
            private readonly float[] _input;
            private readonly float[] _output;

            public Case(ReferenceModel model)
            {
                _run = model.Create();
                _input = model.ReadInput();
                _output = new float[model.ReadExpectedOutput().Length];
            }

            public void Run() => _run(_input, _output);
        }
    }
}
