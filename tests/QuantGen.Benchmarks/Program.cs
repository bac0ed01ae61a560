// Benchmarks of the generated classes: BenchmarkDotNet by default, or the side-by-side modes that
// side-by-side.sh runs against ONNX Runtime (plain JSON lines, no BenchmarkDotNet, NativeAOT-safe).
//
//   (BenchmarkDotNet arguments)            e.g. --filter '*' ; runs in-process (see below)
//   --side-by-side [--runs N] [--rounds R] [--precision Float32|Int8] [--threads T] [--write-output DIR] [--model NAME]... [--onnx FILE]
//        per model and round, one JSON line: median/min/p90 µs over N timed runs (more if N last under 0.25 s) after >= 1 s of warm-up,
//        allocated bytes per call, max relative error and SQNR against the (FP32) test vector;
//        with --write-output, the output as raw float32 in DIR/{model}.{precision}.f32; --threads T runs the
//        kernels as a class built with Parallelism="T" does; with --onnx (one model), ONNX Runtime on FILE in this process
//        (C# API, ORT_ENABLE_ALL, intra-op threads T) alternates with the generated class round by round, and a last line
//        says how close the two outputs are
//   --first-result NAME [Float32|Int8]
//        a fresh process: one JSON line with the time from process start to the first Run done,
//        the wall clock at that moment (for an external measurement) and the peak RSS after 20 more runs
//   --first-result-ort ONNX NAME Float32|Int8
//        the same for ONNX Runtime on ONNX (construct_ms: loading the native library and creating the session)
//   --ort-version
//        ONNX Runtime's version string
//   --fma-peak
//        this machine's single-thread FP32 FMA peak from C# (Vector256/Vector512), GFLOP/s, and its
//        u8×s8 → int32 multiply-accumulate peaks, GOP/s: the exact one the kernels can reach (int8_exact_gops,
//        Int8PeakLoops: AvxVnni, else AVX-512BW or AVX2 vpmaddwd + vpaddd), and the saturating vpmaddubsw route for comparison
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using QuantGen.Benchmarks;

long mainEnteredTimestamp = Stopwatch.GetTimestamp();
DateTime mainEnteredUtc = DateTime.UtcNow;

if (args.Length >= 2 && args[0] == "--first-result")
{
    return FirstResult.Run(args[1], args.Length >= 3 ? args[2] : "Float32", mainEnteredTimestamp, mainEnteredUtc);
}
#if !QUANTGEN_BENCH_AOT
if (args.Length >= 4 && args[0] == "--first-result-ort")
{
    return FirstResult.RunOrt(args[1], args[2], args[3], mainEnteredTimestamp, mainEnteredUtc);
}
if (args.Length >= 1 && args[0] == "--ort-version")
{
    Console.WriteLine(OrtPeer.Version);
    return 0;
}
#endif
if (args.Length >= 1 && args[0] == "--side-by-side")
{
    return SideBySide.Run(args);
}
if (args.Length >= 1 && args[0] == "--fma-peak")
{
    return FmaPeak.Run();
}
#if QUANTGEN_BENCH_AOT
Console.Error.WriteLine("usage: --side-by-side [--runs N] [--precision Float32|Int8] [--model NAME]... | --first-result NAME [Float32|Int8] | --fma-peak (BenchmarkDotNet is not in the AOT build)");
return 2;
#else
return ModelBenchmarks.RunAll(args);
#endif

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// Steady-state latency of each model, timed call by call; with <c>--onnx</c>, ONNX Runtime on that file in this same
    /// process and harness, the two sides alternating round by round (the same minutes of a noisy machine for both).
    /// </summary>
    internal static class SideBySide
    {
        public static int Run(string[] args)
        {
            int runs = 200, rounds = 1;
            string precision = "Float32";
            string? outputDirectory = null, onnx = null;
            int threads = 1;
            var names = new List<string>();
            for (int a = 1; a < args.Length; a++)
            {
                if (args[a] == "--runs" && a + 1 < args.Length) runs = int.Parse(args[++a], CultureInfo.InvariantCulture);
                else if (args[a] == "--rounds" && a + 1 < args.Length) rounds = int.Parse(args[++a], CultureInfo.InvariantCulture);
                else if (args[a] == "--threads" && a + 1 < args.Length) threads = int.Parse(args[++a], CultureInfo.InvariantCulture);
                else if (args[a] == "--model" && a + 1 < args.Length) names.Add(args[++a]);
                else if (args[a] == "--precision" && a + 1 < args.Length) precision = args[++a];
                else if (args[a] == "--write-output" && a + 1 < args.Length) outputDirectory = args[++a];
                else if (args[a] == "--onnx" && a + 1 < args.Length) onnx = args[++a];
                else { Console.Error.WriteLine("unknown argument " + args[a]); return 2; }
            }
            if (names.Count == 0) names.AddRange(ReferenceModel.Names());
            if (onnx != null && names.Count != 1) { Console.Error.WriteLine("--onnx needs exactly one --model"); return 2; }
#if QUANTGEN_BENCH_AOT
            if (onnx != null) { Console.Error.WriteLine("--onnx: ONNX Runtime is not in the NativeAOT variant"); return 2; }
#endif
            // What a class generated with Parallelism="N" sets around its kernels (the kernels are compiled into this
            // assembly, so the benchmark sets it for the classes built with the default Parallelism of 1). The generator
            // puts them in a namespace of this assembly's own: "QuantGen.Kernels." + the assembly name as an identifier +
            // "_" + 8 hex digits of its SHA-256 (docs/generated-api.md); renaming the assembly breaks this line, loudly.
            if (threads > 1) QuantGen.Kernels.QuantGen_Benchmarks_095c8790.KernelThreads.Enter(threads);

            foreach (string name in names)
            {
                var model = ReferenceModel.Find(name, precision);
                RunModel run = model.Create();
                float[] input = model.ReadInput();
                float[] expected = model.ReadExpectedOutput();
                float[] output = new float[expected.Length];
                Action quantGen = () => run(input, output);
                var sides = new List<(string Side, Action Call, float[] Output)> { ("quantgen", quantGen, output) };
#if !QUANTGEN_BENCH_AOT
                float[] ortOutput = new float[expected.Length];
                OrtPeer? peer = onnx == null ? null : new OrtPeer(onnx, threads, input, ortOutput);
                if (peer != null) sides.Add(("ort", peer.Run, ortOutput));
#endif

                // Warm-up long enough for tiered JIT to reach tier 1 (30 calls, then a 100 ms delay and a background
                // compile; loops go through OSR): at least 1 s and 50 calls, each side. The timed count is fixed from it:
                // at least 0.25 s of calls per round (200 calls of a sub-microsecond model last 0.2 ms, too short to
                // average over the machine's frequency and scheduling swings), the same rule for both sides.
                var counts = new int[sides.Count];
                for (int s = 0; s < sides.Count; s++)
                {
                    long warmUpStart = Stopwatch.GetTimestamp(), warmUpEnd = warmUpStart + Stopwatch.Frequency;
                    int warmUpCalls = 0;
                    for (; warmUpCalls < 50 || Stopwatch.GetTimestamp() < warmUpEnd; warmUpCalls++) sides[s].Call();
                    double callSeconds = (double)(Stopwatch.GetTimestamp() - warmUpStart) / Stopwatch.Frequency / warmUpCalls;
                    counts[s] = (int)Math.Max(runs, Math.Min(2_000_000, 0.25 / callSeconds));
                }

                for (int round = 1; round <= rounds; round++)
                {
                    for (int s = 0; s < sides.Count; s++)
                    {
                        for (int i = 0; i < 20; i++) sides[s].Call(); // back in cache after the other side's round
                        var times = new double[counts[s]];
                        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                        for (int i = 0; i < times.Length; i++)
                        {
                            long t0 = Stopwatch.GetTimestamp();
                            sides[s].Call();
                            times[i] = (Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency;
                        }
                        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
                        Array.Sort(times);
                        int measured = times.Length;
                        Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                            "{{\"side\":\"{13}\",\"round\":{14},\"model\":\"{0}\",\"precision\":\"{10}\",\"threads\":{12},\"runs\":{1},\"median_us\":{2:0.###},\"p90_us\":{3:0.###},\"min_us\":{4:0.###},\"allocated_bytes_per_call\":{5},\"max_rel_err\":{6:E3},\"sqnr_db\":{11:0.0},\"vector256\":{7},\"vector512\":{8},\"peak_rss_mb\":{9:0.0}}}",
                            name, measured, times[measured / 2], times[(int)(measured * 0.9)], times[0], (double)allocated / measured,
                            MaxRelativeError(sides[s].Output, expected),
                            Vector256.IsHardwareAccelerated ? "true" : "false", Vector512.IsHardwareAccelerated ? "true" : "false",
                            PeakRssMegabytes(), model.Precision, SqnrDecibels(sides[s].Output, expected), threads, sides[s].Side, round));
                    }
                }
                if (sides.Count == 2)
                {
                    // Both sides on the same test input: how close QuantGen's answer is to ONNX Runtime's (for Int8, the same
                    // quantized model: QuantGen's QDQ export).
                    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{{\"side\":\"agree\",\"model\":\"{0}\",\"precision\":\"{1}\",\"sqnr_db\":{2:0.0},\"argmax_same\":{3}}}",
                        name, model.Precision, Math.Min(999, SqnrDecibels(output, sides[1].Output)), ArgMax(output) == ArgMax(sides[1].Output) ? "true" : "false"));
                }
#if !QUANTGEN_BENCH_AOT
                peer?.Dispose();
#endif
                if (outputDirectory != null)
                {
                    System.IO.Directory.CreateDirectory(outputDirectory);
                    var bytes = new byte[output.Length * sizeof(float)];
                    Buffer.BlockCopy(output, 0, bytes, 0, bytes.Length);
                    System.IO.File.WriteAllBytes(System.IO.Path.Combine(outputDirectory, $"{name}.{model.Precision}.f32"), bytes);
                }
            }
            return 0;
        }

        private static int ArgMax(float[] values)
        {
            int best = 0;
            for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
            return best;
        }

        private static double PeakRssMegabytes()
        {
            using var process = Process.GetCurrentProcess();
            return process.PeakWorkingSet64 / 1048576.0;
        }

        /// <summary>Signal-to-noise ratio of the output against the FP32 test vector (999 when equal): comparable across precisions.</summary>
        public static double SqnrDecibels(float[] output, float[] expected)
        {
            double signal = 0, noise = 0;
            for (int i = 0; i < expected.Length; i++)
            {
                signal += (double)expected[i] * expected[i];
                noise += ((double)output[i] - expected[i]) * ((double)output[i] - expected[i]);
            }
            return noise == 0 ? 999 : 10 * Math.Log10(signal / noise);
        }

        public static double MaxRelativeError(float[] output, float[] expected)
        {
            double worst = 0;
            for (int i = 0; i < expected.Length; i++)
            {
                double error = Math.Abs(output[i] - expected[i]) / (1 + Math.Abs(expected[i]));
                if (!(error <= worst)) worst = error; // NaN sticks
            }
            return worst;
        }
    }

    /// <summary>
    /// What a user's fresh process pays before its first answer: runtime start, weights, workspace, first (cold) Run; then
    /// 20 more runs, so the peak RSS reported is that of a process that has served the model, not only loaded it.
    /// </summary>
    internal static class FirstResult
    {
        public static int Run(string name, string precision, long mainEnteredTimestamp, DateTime mainEnteredUtc)
        {
            var model = ReferenceModel.Find(name, precision);
            float[] input = model.ReadInput();
            long inputReadTimestamp = Stopwatch.GetTimestamp();
            RunModel run = model.Create();
            long constructedTimestamp = Stopwatch.GetTimestamp();
            float[] expected = model.ReadExpectedOutput();
            float[] output = new float[expected.Length];
            long beforeRun = Stopwatch.GetTimestamp();
            run(input, output);
            long doneTimestamp = Stopwatch.GetTimestamp();
            return Report(name, model.Precision, mainEnteredTimestamp, mainEnteredUtc, inputReadTimestamp, constructedTimestamp, beforeRun, doneTimestamp,
                SideBySide.MaxRelativeError(output, expected), () => run(input, output));
        }

#if !QUANTGEN_BENCH_AOT
        /// <summary>The same for ONNX Runtime in a fresh process: loading its native library, creating the session, the first run.</summary>
        public static int RunOrt(string onnx, string name, string precision, long mainEnteredTimestamp, DateTime mainEnteredUtc)
        {
            var model = ReferenceModel.Find(name, precision);
            float[] input = model.ReadInput();
            float[] expected = model.ReadExpectedOutput();
            float[] output = new float[expected.Length];
            long inputReadTimestamp = Stopwatch.GetTimestamp();
            using var peer = new OrtPeer(onnx, 1, input, output);
            long constructedTimestamp = Stopwatch.GetTimestamp();
            peer.Run();
            long doneTimestamp = Stopwatch.GetTimestamp();
            return Report(name, model.Precision, mainEnteredTimestamp, mainEnteredUtc, inputReadTimestamp, constructedTimestamp, constructedTimestamp, doneTimestamp,
                SideBySide.MaxRelativeError(output, expected), peer.Run);
        }
#endif

        private static int Report(string name, string precision, long mainEnteredTimestamp, DateTime mainEnteredUtc, long inputReadTimestamp,
                                  long constructedTimestamp, long beforeRun, long doneTimestamp, double maxRelativeError, Action again)
        {
            DateTime doneUtc = mainEnteredUtc.AddTicks((long)((doneTimestamp - mainEnteredTimestamp) * (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency));
            for (int i = 0; i < 20; i++) again();

            using var process = Process.GetCurrentProcess();
            // Process.StartTime comes from /proc/self/stat in clock ticks (10 ms on Linux): coarse.
            double sinceProcessStartMs = (doneUtc - process.StartTime.ToUniversalTime()).TotalMilliseconds;
            double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
            long doneUnixMicroseconds = (doneUtc - DateTime.UnixEpoch).Ticks / 10;

            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "{{\"model\":\"{0}\",\"precision\":\"{9}\",\"since_process_start_ms\":{1:0.0},\"main_to_result_ms\":{2:0.000},\"read_input_ms\":{3:0.000},\"construct_ms\":{4:0.000},\"first_run_ms\":{5:0.000},\"done_unix_us\":{6},\"peak_rss_mb\":{7:0.0},\"max_rel_err\":{8:E3}}}",
                name, sinceProcessStartMs, Ms(mainEnteredTimestamp, doneTimestamp), Ms(mainEnteredTimestamp, inputReadTimestamp),
                Ms(inputReadTimestamp, constructedTimestamp), Ms(beforeRun, doneTimestamp), doneUnixMicroseconds,
                process.PeakWorkingSet64 / 1048576.0, maxRelativeError, precision));
            return 0;
        }
    }

    /// <summary>Single-thread FP32 FMA throughput with independent accumulators: the ceiling a C# kernel can reach here.</summary>
    internal static class FmaPeak
    {
        public static int Run()
        {
            double gflops256 = Vector256.IsHardwareAccelerated && Fma.IsSupported ? Best(() => Fma256(20_000_000)) : 0;
            double gflops512 = Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? Best(() => Fma512(20_000_000)) : 0;
            double gopsAvx2 = Avx2.IsSupported ? Best(() => Int8Avx2(20_000_000)) : 0;
#if NET9_0_OR_GREATER
            double gopsVnni = AvxVnni.IsSupported ? Best(() => Int8AvxVnni(20_000_000)) : 0;
#else
            double gopsVnni = 0; // AvxVnni is a preview API on net8.0 (the NativeAOT variant)
#endif
            // The exact route the kernels can use (Int8PeakLoops): the C# INT8 peak the GEMM goal is measured against.
            var route = Int8PeakLoops.Route;
            double gopsExact = route.MultiplyAdds > 0 ? Best(() => Int8Exact(2_000_000, route.MultiplyAdds)) : 0;
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "{{\"fma256_gflops\":{0:0.0},\"fma512_gflops\":{1:0.0},\"int8_avx2_gops\":{2:0.0},\"int8_avxvnni_gops\":{3:0.0},\"int8_exact_gops\":{4:0.0},\"int8_exact_route\":\"{5}\"}}",
                gflops256, gflops512, gopsAvx2, gopsVnni, gopsExact, route.Name));
            return 0;
        }

        private static double Best(Func<double> measure)
        {
            double best = 0;
            for (int trial = 0; trial < 5; trial++) best = Math.Max(best, measure());
            return best;
        }

        private static double Int8Exact(int iterations, int multiplyAddsPerInstruction)
        {
            long t0 = Stopwatch.GetTimestamp();
            int sink = Int8PeakLoops.Run(iterations);
            double seconds = (Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency;
            if (sink == 12345) Console.Write(' ');
            return iterations * 10.0 * multiplyAddsPerInstruction * 2 / seconds / 1e9;
        }

        // INT8 ops counted as 2 per u8×s8 multiply-accumulate, like the FP32 FLOPs: 32 per 256-bit vector.
        private static double Int8Avx2(int iterations)
        {
            long t0 = Stopwatch.GetTimestamp();
            int sink = Int8ChainsAvx2(iterations);
            double seconds = (Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency;
            if (sink == 12345) Console.Write(' ');
            return iterations * 8.0 * 32 * 2 / seconds / 1e9;
        }

#if NET9_0_OR_GREATER
        private static double Int8AvxVnni(int iterations)
        {
            long t0 = Stopwatch.GetTimestamp();
            int sink = Int8ChainsAvxVnni(iterations);
            double seconds = (Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency;
            if (sink == 12345) Console.Write(' ');
            return iterations * 8.0 * 32 * 2 / seconds / 1e9;
        }
#endif

        // The AVX2 route an INT8 GEMM micro-kernel takes without VNNI: u8×s8 pairs summed to int16 (vpmaddubsw),
        // pairs of int16 summed to int32 by a multiply with ones (vpmaddwd), accumulated (vpaddd). 8 chains, each
        // with its own activation vector loaded from L1 per step as a micro-kernel does (distinct loads: the JIT
        // can neither hoist nor share the products).
        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        private static unsafe int Int8ChainsAvx2(int iterations)
        {
            byte* p = stackalloc byte[16 * 32];
            for (int i = 0; i < 16 * 32; i++) p[i] = (byte)(i * 7);
            var b = Vector256.Create((sbyte)-2);
            var ones = Vector256.Create((short)1);
            Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
            for (int i = 0; i < iterations; i++)
            {
                byte* q = p + ((i & 1) << 8);
                c0 = Avx2.Add(c0, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx.LoadVector256(q), b), ones));
                c1 = Avx2.Add(c1, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx.LoadVector256(q + 32), b), ones));
                c2 = Avx2.Add(c2, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx.LoadVector256(q + 64), b), ones));
                c3 = Avx2.Add(c3, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx.LoadVector256(q + 96), b), ones));
                c4 = Avx2.Add(c4, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx.LoadVector256(q + 128), b), ones));
                c5 = Avx2.Add(c5, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx.LoadVector256(q + 160), b), ones));
                c6 = Avx2.Add(c6, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx.LoadVector256(q + 192), b), ones));
                c7 = Avx2.Add(c7, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx.LoadVector256(q + 224), b), ones));
            }
            return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7).GetElement(0);
        }

#if NET9_0_OR_GREATER
        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        private static int Int8ChainsAvxVnni(int iterations)
        {
            var a = Vector256.Create((byte)3).AsByte();
            var b = Vector256.Create((sbyte)-2);
            Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
            for (int i = 0; i < iterations; i++)
            {
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, a, b);
                c1 = AvxVnni.MultiplyWideningAndAdd(c1, a, b);
                c2 = AvxVnni.MultiplyWideningAndAdd(c2, a, b);
                c3 = AvxVnni.MultiplyWideningAndAdd(c3, a, b);
                c4 = AvxVnni.MultiplyWideningAndAdd(c4, a, b);
                c5 = AvxVnni.MultiplyWideningAndAdd(c5, a, b);
                c6 = AvxVnni.MultiplyWideningAndAdd(c6, a, b);
                c7 = AvxVnni.MultiplyWideningAndAdd(c7, a, b);
            }
            return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7).GetElement(0);
        }
#endif

        // 10 independent chains cover FMA latency (4 cycles) × 2 pipes with room to spare. The loops sit in their
        // own call-free methods: around the timestamp P/Invoke the JIT kept every accumulator on the stack.
        private static double Fma256(int iterations)
        {
            long t0 = Stopwatch.GetTimestamp();
            float sink = FmaChains256(iterations);
            double seconds = (Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency;
            if (sink == 12345f) Console.Write(' ');
            return iterations * 10.0 * 8 * 2 / seconds / 1e9;
        }

        private static double Fma512(int iterations)
        {
            long t0 = Stopwatch.GetTimestamp();
            float sink = FmaChains512(iterations);
            double seconds = (Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency;
            if (sink == 12345f) Console.Write(' ');
            return iterations * 10.0 * 16 * 2 / seconds / 1e9;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        private static float FmaChains256(int iterations)
        {
            var b = Vector256.Create(0.999999f);
            var c = Vector256.Create(1e-7f);
            Vector256<float> a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b, a8 = b, a9 = b;
            for (int i = 0; i < iterations; i++)
            {
                a0 = Fma.MultiplyAdd(a0, b, c);
                a1 = Fma.MultiplyAdd(a1, b, c);
                a2 = Fma.MultiplyAdd(a2, b, c);
                a3 = Fma.MultiplyAdd(a3, b, c);
                a4 = Fma.MultiplyAdd(a4, b, c);
                a5 = Fma.MultiplyAdd(a5, b, c);
                a6 = Fma.MultiplyAdd(a6, b, c);
                a7 = Fma.MultiplyAdd(a7, b, c);
                a8 = Fma.MultiplyAdd(a8, b, c);
                a9 = Fma.MultiplyAdd(a9, b, c);
            }
            return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9).GetElement(0);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        private static float FmaChains512(int iterations)
        {
            var b = Vector512.Create(0.999999f);
            var c = Vector512.Create(1e-7f);
            Vector512<float> a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b, a8 = b, a9 = b;
            for (int i = 0; i < iterations; i++)
            {
                a0 = Avx512F.FusedMultiplyAdd(a0, b, c);
                a1 = Avx512F.FusedMultiplyAdd(a1, b, c);
                a2 = Avx512F.FusedMultiplyAdd(a2, b, c);
                a3 = Avx512F.FusedMultiplyAdd(a3, b, c);
                a4 = Avx512F.FusedMultiplyAdd(a4, b, c);
                a5 = Avx512F.FusedMultiplyAdd(a5, b, c);
                a6 = Avx512F.FusedMultiplyAdd(a6, b, c);
                a7 = Avx512F.FusedMultiplyAdd(a7, b, c);
                a8 = Avx512F.FusedMultiplyAdd(a8, b, c);
                a9 = Avx512F.FusedMultiplyAdd(a9, b, c);
            }
            return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9).GetElement(0);
        }
    }
}
