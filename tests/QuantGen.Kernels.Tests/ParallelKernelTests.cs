// The Parallelism option: a kernel split across worker threads writes exactly the bytes it writes on one thread.
using System;
using System.Threading.Tasks;
using QuantGen.Plan;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    // One collection: xunit runs its classes one at a time. A split call made while another test holds the workers
    // runs its parts on the caller (by design), which the worker-thread assertions below would misread.
    [Collection(nameof(KernelThreads))]
    public unsafe class ParallelKernelTests
    {
        private static readonly int[] s_partCounts = { 2, 3, 4 };

        /// <summary>Runs <paramref name="kernel"/> on one thread and split into 2, 3 and 4 parts; every output must match byte for byte.</summary>
        private static void AssertSplitIsExact(int outputBytes, Action<IntPtr> kernel, string what)
        {
            byte[] serial = Output(outputBytes);
            fixed (byte* p = serial) kernel((IntPtr)p);
            Assert.NotEqual(Output(outputBytes), serial);
            foreach (int parts in s_partCounts)
            {
                byte[] split = Output(outputBytes);
                int previous = KernelThreads.Enter(parts);
                try
                {
                    fixed (byte* p = split) kernel((IntPtr)p);
                }
                finally
                {
                    KernelThreads.Exit(previous);
                }
                for (int i = 0; i < serial.Length; i++)
                    Assert.True(serial[i] == split[i], $"{what}, {parts} parts: byte {i} is {split[i]}, on one thread {serial[i]} (guard bytes included)");
            }
        }

        // Guard bytes after the output: a part writing past its rows would show here.
        private static byte[] Output(int bytes)
        {
            var y = new byte[bytes + 64];
            y.AsSpan().Fill(0xA5);
            return y;
        }

        private static float[] Floats(int seed, long count)
        {
            var rng = new Random(seed);
            var data = new float[count];
            for (long i = 0; i < count; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
            return data;
        }

        [Theory]
        [InlineData(333, 96, 144)]     // m not a multiple of the 4-row tile
        [InlineData(2000, 48, 32)]
        public void GemmU8S8(int m, int n, int k)
        {
            byte[] x = Int8.Int8Reference.Bytes(1, m * k);
            sbyte[] w = Int8.Int8Reference.Weights(2, (int)GemmLayout.PackedU8S8Length(n, k));
            int[] bias = Int8.Int8Reference.Ints(3, n, -5000, 5000);
            (int[] mult, int shift) = Int8.Int8Reference.Requant(4, n, Int8.Int8Reference.ShiftFor(k));
            AssertSplitIsExact(m * n, y =>
            {
                fixed (byte* px = x) fixed (sbyte* pw = w) fixed (int* pb = bias, pm = mult)
                    QuantGen.Kernels.GemmU8S8.Run(px, pw, pb, (byte*)y, pm, shift, m, n, k, 128, 0, 255);
            }, "GemmU8S8");
        }

        [Theory]
        // ih, iw, ic, oc, kh, kw, stride, pad, group
        [InlineData(57, 57, 16, 48, 3, 3, 1, 1, 1)]
        [InlineData(120, 121, 8, 24, 3, 3, 2, 1, 2)]
        public void ConvU8S8Gemm(int ih, int iw, int ic, int oc, int kh, int kw, int stride, int pad, int group)
        {
            int oh = (ih + 2 * pad - kh) / stride + 1, ow = (iw + 2 * pad - kw) / stride + 1, k = kh * kw * ic / group;
            byte[] x = Int8.Int8Reference.Bytes(5, ih * iw * ic);
            sbyte[] w = Int8.Int8Reference.Weights(6, (int)(group * GemmLayout.PackedU8S8Length(oc / group, k)));
            int[] bias = Int8.Int8Reference.Ints(7, oc, -5000, 5000);
            (int[] mult, int shift) = Int8.Int8Reference.Requant(8, oc, Int8.Int8Reference.ShiftFor(k));
            // The plan's scratch serves the calling thread only: guards after it catch a worker writing there.
            int scratchLength = (int)ConvLayout.ScratchU8Length(oh, ow, kh, kw, stride, stride, pad, pad, pad, pad, ic / group, group);
            byte[] scratch = Int8.Int8Reference.Output(scratchLength);
            AssertSplitIsExact(oh * ow * oc, y =>
            {
                fixed (byte* px = x, ps = scratch) fixed (sbyte* pw = w) fixed (int* pb = bias, pm = mult)
                    ConvU8S8.Gemm(px, pw, pb, (byte*)y, pm, shift, ps, ih, iw, ic, oh, ow, oc, kh, kw, stride, stride,
                        pad, pad, pad, pad, 1, 1, group, 128, 128, 0, 255);
            }, "ConvU8S8.Gemm");
            for (int i = scratchLength; i < scratch.Length; i++)
                Assert.True(scratch[i] == Int8.Int8Reference.GuardByte, $"ConvU8S8.Gemm wrote past its scratch at byte {i} (extent {scratchLength})");
        }

        [Theory]
        [InlineData(56, 56, 144, 1)]
        [InlineData(225, 225, 32, 2)]
        public void ConvU8S8Depthwise(int ih, int iw, int c, int stride)
        {
            int oh = (ih + 2 - 3) / stride + 1, ow = (iw + 2 - 3) / stride + 1;
            byte[] x = Int8.Int8Reference.Bytes(9, ih * iw * c);
            sbyte[] w = Int8.Int8Reference.Weights(10, 9 * c);
            int[] bias = Int8.Int8Reference.Ints(11, c, -5000, 5000);
            (int[] mult, int shift) = Int8.Int8Reference.Requant(12, c, Int8.Int8Reference.ShiftFor(9));
            AssertSplitIsExact(oh * ow * c, y =>
            {
                fixed (byte* px = x) fixed (sbyte* pw = w) fixed (int* pb = bias, pm = mult)
                    ConvU8S8.Depthwise(px, pw, pb, (byte*)y, pm, shift, ih, iw, c, oh, ow, 3, 3, stride, stride, 1, 1, 1, 1, 128, 128, 0, 255);
            }, "ConvU8S8.Depthwise");
        }

        [Theory]
        [InlineData(301, 40, 200, (int)Activation.None)]
        [InlineData(2000, 16, 64, (int)Activation.Relu)]
        public void GemmF32(int m, int n, int k, int activation)
        {
            float[] x = Floats(13, (long)m * k), b = Floats(14, GemmLayout.PackedF32Length(n, k)), bias = Floats(15, n);
            AssertSplitIsExact(m * n * sizeof(float), y =>
            {
                fixed (float* px = x, pb = b, pbias = bias)
                    QuantGen.Kernels.GemmF32.Run(px, pb, pbias, (float*)y, m, n, k, (Activation)activation, 0f, 0f);
            }, "GemmF32");
        }

        [Theory]
        [InlineData(45, 47, 16, 32, 3, 1, (int)Activation.Clip)]
        [InlineData(116, 116, 3, 32, 2, 1, (int)Activation.None)]
        public void ConvF32Gemm(int ih, int iw, int ic, int oc, int stride, int pad, int activation)
        {
            int oh = (ih + 2 * pad - 3) / stride + 1, ow = (iw + 2 * pad - 3) / stride + 1, k = 9 * ic;
            float[] x = Floats(16, (long)ih * iw * ic), w = Floats(17, GemmLayout.PackedF32Length(oc, k)), bias = Floats(18, oc);
            // The plan's scratch serves the calling thread only: guards after it catch a worker writing there.
            int scratchLength = (int)ConvLayout.ScratchF32Length(oh, ow, 3, 3, stride, stride, pad, pad, pad, pad, ic, 1);
            float[] scratch = TestData.Output(scratchLength);
            AssertSplitIsExact(oh * ow * oc * sizeof(float), y =>
            {
                fixed (float* px = x, pw = w, pbias = bias, ps = scratch)
                    ConvF32.Gemm(px, pw, pbias, (float*)y, ps, ih, iw, ic, oh, ow, oc, 3, 3, stride, stride, pad, pad, pad, pad, 1, 1, 1, (Activation)activation, 0f, 6f);
            }, "ConvF32.Gemm");
            TestData.AssertGuardIntact(scratch, scratchLength);
        }

        [Theory]
        [InlineData(56, 56, 96, 1, (int)Activation.Clip)]
        [InlineData(113, 111, 40, 2, (int)Activation.HardSwish)]
        public void ConvF32Depthwise(int ih, int iw, int c, int stride, int activation)
        {
            int oh = (ih + 2 - 3) / stride + 1, ow = (iw + 2 - 3) / stride + 1;
            float[] x = Floats(19, (long)ih * iw * c), w = Floats(20, 9 * c), bias = Floats(21, c);
            AssertSplitIsExact(oh * ow * c * sizeof(float), y =>
            {
                fixed (float* px = x, pw = w, pbias = bias)
                    ConvF32.Depthwise(px, pw, pbias, (float*)y, ih, iw, c, oh, ow, 3, 3, stride, stride, 1, 1, 1, 1, (Activation)activation, 0f, 6f);
            }, "ConvF32.Depthwise");
        }

        [Theory]
        // ih, iw, ic, c, stride, bandRows: each band's GEMM and depthwise split on their own
        [InlineData(56, 57, 24, 144, 1, 12)]
        [InlineData(113, 111, 16, 96, 2, 13)]
        public void ConvU8S8ExpandDepthwise(int ih, int iw, int ic, int c, int stride, int bandRows)
        {
            int oh = (ih + 2 - 3) / stride + 1, ow = (iw + 2 - 3) / stride + 1;
            byte[] x = Int8.Int8Reference.Bytes(26, ih * iw * ic);
            sbyte[] we = Int8.Int8Reference.Weights(27, (int)GemmLayout.PackedU8S8Length(c, ic)), wd = Int8.Int8Reference.Weights(28, 9 * c);
            int[] biasE = Int8.Int8Reference.Ints(29, c, -5000, 5000), biasD = Int8.Int8Reference.Ints(30, c, -5000, 5000);
            (int[] multE, int shiftE) = Int8.Int8Reference.Requant(31, c, Int8.Int8Reference.ShiftFor(ic));
            (int[] multD, int shiftD) = Int8.Int8Reference.Requant(32, c, Int8.Int8Reference.ShiftFor(9));
            var scratch = new byte[bandRows * iw * c];
            AssertSplitIsExact(oh * ow * c, y =>
            {
                fixed (byte* px = x, ps = scratch) fixed (sbyte* pwe = we, pwd = wd) fixed (int* pbe = biasE, pme = multE, pbd = biasD, pmd = multD)
                    ConvU8S8.ExpandDepthwise(px, pwe, pbe, pme, shiftE, 3, 3, 200, pwd, pbd, (byte*)y, pmd, shiftD, ps, bandRows,
                        ih, iw, ic, c, oh, ow, 3, 3, stride, stride, 1, 1, 1, 1, 128, 0, 255);
            }, "ConvU8S8.ExpandDepthwise");
        }

        [Theory]
        [InlineData(56, 57, 24, 144, 1, 4)]
        [InlineData(113, 111, 16, 96, 2, 5)]
        [InlineData(60, 7, 32, 192, 1, 3)]     // one new row of 7 pixels per band: a GEMM slice with a single leftover row
        public void ConvF32ExpandDepthwise(int ih, int iw, int ic, int c, int stride, int bandRows)
        {
            int oh = (ih + 2 - 3) / stride + 1, ow = (iw + 2 - 3) / stride + 1;
            float[] x = Floats(33, (long)ih * iw * ic), we = Floats(34, GemmLayout.PackedF32Length(c, ic)), wd = Floats(35, 9 * c);
            float[] biasE = Floats(36, c), biasD = Floats(37, c), scratch = new float[bandRows * iw * c];
            AssertSplitIsExact(oh * ow * c * sizeof(float), y =>
            {
                fixed (float* px = x, pwe = we, pwd = wd, pbe = biasE, pbd = biasD, ps = scratch)
                    ConvF32.ExpandDepthwise(px, pwe, pbe, Activation.Clip, 0f, 6f, pwd, pbd, (float*)y, ps, bandRows,
                        ih, iw, ic, c, oh, ow, 3, 3, stride, stride, 1, 1, 1, 1, Activation.Clip, 0f, 6f);
            }, "ConvF32.ExpandDepthwise");
        }

        [Theory]
        [InlineData(3136, 144, 24)]     // several chunks per part
        [InlineData(49, 960, 320)]      // parts of a few chunks, a 1-row tail
        public void ConvF32PointwiseAdd(int pixels, int ic, int oc)
        {
            float[] x = Floats(38, (long)pixels * ic), w = Floats(39, GemmLayout.PackedF32Length(oc, ic)), bias = Floats(40, oc), r = Floats(41, (long)pixels * oc);
            AssertSplitIsExact(pixels * oc * sizeof(float), y =>
            {
                fixed (float* px = x, pw = w, pb = bias, pr = r)
                    ConvF32.PointwiseAdd(px, pw, pb, pr, (float*)y, pixels, ic, oc, Activation.None, 0f, 0f);
            }, "ConvF32.PointwiseAdd");
        }

        [Theory]
        [InlineData(3136, 144, 24)]
        [InlineData(49, 960, 320)]
        public void ConvU8S8PointwiseAdd(int pixels, int ic, int oc)
        {
            byte[] x = Int8.Int8Reference.Bytes(42, pixels * ic), r = Int8.Int8Reference.Bytes(43, pixels * oc);
            sbyte[] w = Int8.Int8Reference.Weights(44, (int)GemmLayout.PackedU8S8Length(oc, ic));
            int[] bias = Int8.Int8Reference.Ints(45, oc, -5000, 5000);
            (int[] mult, int shift) = Int8.Int8Reference.Requant(46, oc, Int8.Int8Reference.ShiftFor(ic));
            (int midM, int midS) = Int8.Int8KernelTests.Quantize(0.3);
            (int rM, int rS) = Int8.Int8KernelTests.Quantize(0.5);
            (int yM, int yS) = Int8.Int8KernelTests.Quantize(0.1 / ((1 << 20) * 0.06));
            AssertSplitIsExact(pixels * oc, y =>
            {
                fixed (byte* px = x, pr = r) fixed (sbyte* pw = w) fixed (int* pb = bias, pm = mult)
                    ConvU8S8.PointwiseAdd(px, pw, pb, pm, shift, 120, 0, 255, pr, (byte*)y, pixels, ic, oc,
                        midM, midS, 131, rM, rS, 126, yM, yS, 0, 255);
            }, "ConvU8S8.PointwiseAdd");
        }

        /// <summary>GemmU8S8 of x (m × 96 by a fixed 96 × 64 B) 200 times with Parallelism 2, each result checked against one-thread math.</summary>
        internal static void RepeatSplitGemm(int seed)
        {
            const int m = 800, n = 64, k = 96;
            byte[] x = Int8.Int8Reference.Bytes(seed, m * k);
            sbyte[] w = Int8.Int8Reference.Weights(24, (int)GemmLayout.PackedU8S8Length(n, k));
            (int[] mult, int shift) = Int8.Int8Reference.Requant(25, n, Int8.Int8Reference.ShiftFor(k));
            var expected = new byte[m * n];
            fixed (byte* px = x, py = expected) fixed (sbyte* pw = w) fixed (int* pm = mult)
                QuantGen.Kernels.GemmU8S8.Run(px, pw, null, py, pm, shift, m, n, k, 128, 0, 255);
            int previous = KernelThreads.Enter(2);
            try
            {
                var y = new byte[m * n];
                for (int i = 0; i < 200; i++)
                {
                    fixed (byte* px = x, py = y) fixed (sbyte* pw = w) fixed (int* pm = mult)
                        QuantGen.Kernels.GemmU8S8.Run(px, pw, null, py, pm, shift, m, n, k, 128, 0, 255);
                    Assert.Equal(expected, y);
                }
            }
            finally
            {
                KernelThreads.Exit(previous);
            }
        }

        private struct ThreadRecorder : IKernelPart
        {
            public fixed int ThreadIds[8];
            public fixed int Parts[8];

            public void Run(int part, int parts)
            {
                ThreadIds[part] = Environment.CurrentManagedThreadId;
                Parts[part] = parts;
            }
        }

        [Fact]
        public void PartsRunOnPersistentWorkerThreadsAndTheCaller()
        {
            var first = new ThreadRecorder();
            KernelThreads.For(ref first, 3);
            var second = new ThreadRecorder();
            KernelThreads.For(ref second, 3);
            Assert.Equal(Environment.CurrentManagedThreadId, first.ThreadIds[0]);
            Assert.NotEqual(first.ThreadIds[0], first.ThreadIds[1]);
            Assert.NotEqual(first.ThreadIds[0], first.ThreadIds[2]);
            Assert.NotEqual(first.ThreadIds[1], first.ThreadIds[2]);
            for (int p = 0; p < 3; p++)
            {
                Assert.Equal(3, first.Parts[p]);
                Assert.Equal(first.ThreadIds[p], second.ThreadIds[p]);   // the same workers again, not new threads
            }
        }

        [Fact]
        public void TheTestShapesAreLargeEnoughToSplit()
        {
            int previous = KernelThreads.Enter(2);
            try
            {
                int two = Math.Min(2, Environment.ProcessorCount);                   // never more parts than cores
                Assert.Equal(two, KernelThreads.PartsFor(2000L * 16 * 64, 334));     // the smallest GEMM above (GemmF32)
                Assert.Equal(two, KernelThreads.PartsFor(240L * 32 * 144, 240));     // the smallest convolution above
                Assert.Equal(1, KernelThreads.PartsFor(300_000, 1000));              // a small model's kernel stays whole
                Assert.Equal(1, KernelThreads.PartsFor(1000, 1000));                 // tiny work stays on one thread
            }
            finally
            {
                KernelThreads.Exit(previous);
            }
            Assert.Equal(1, KernelThreads.PartsFor(1L << 40, 1000));                 // without Enter: never split
        }

        [Fact]
        public void ShareCoversEveryRowOnceOnAlignedBoundaries()
        {
            foreach (int count in new[] { 0, 1, 5, 6, 7, 100, 1001 })
                foreach (int parts in new[] { 1, 2, 3, 7 })
                    foreach (int align in new[] { 1, 4, 6 })
                    {
                        int next = 0;
                        for (int p = 0; p < parts; p++)
                        {
                            (int start, int end) = KernelThreads.Share(count, p, parts, align);
                            Assert.Equal(next, start);
                            Assert.True(end >= start);
                            Assert.True(start % align == 0 || start == count, $"start {start} of part {p}/{parts}, align {align}");
                            next = end;
                        }
                        Assert.Equal(count, next);
                    }
        }
    }

    [Collection(nameof(KernelThreads))]
    public class ParallelKernelConcurrencyTests
    {
        [Fact]
        public async Task TwoThreadsSplittingAtOnceBothGetExactResults()
        {
            // The second caller finds the workers busy and runs its parts inline; neither may see the other's data.
            await Task.WhenAll(Task.Run(() => ParallelKernelTests.RepeatSplitGemm(22)), Task.Run(() => ParallelKernelTests.RepeatSplitGemm(23)));
        }
    }
}
