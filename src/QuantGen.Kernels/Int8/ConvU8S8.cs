// uint8 × int8 NHWC convolution: general (grouped, strided, dilated, padded) through im2col + GemmU8S8, and depthwise.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;
    using System.Runtime.Intrinsics.X86;

    internal static unsafe partial class ConvU8S8
    {
        /// <summary>
        /// y[oh, ow, oc] = clamp(zpOut + Rc(bias[o] + Σ x·w, multiplier[o], shift), qmin, qmax) with taps in the padding
        /// reading zpIn. Per group g, w holds a packed GemmU8S8 B [K, ocg] (K ordered ky, kx, ci) at byte offset
        /// g * <see cref="GemmLayout.PackedU8S8Length"/>(ocg, K). scratch holds one im2col block (<see cref="ConvLayout.ScratchU8Length"/>
        /// bytes) for the calling thread (workers use their own); for a plain 1×1 convolution
        /// (<see cref="ConvLayout.ReadsInputDirectly"/>) it may be null and x is A directly. pb and pr only document padding.
        /// </summary>
        public static void Gemm(byte* x, sbyte* w, int* bias, byte* y, int* multiplier, int shift, byte* scratch,
            int ih, int iw, int ic, int oh, int ow, int oc, int kh, int kw, int sh, int sw,
            int pt, int pl, int pb, int pr, int dh, int dw, int group, int zpIn, int zpOut, int qmin, int qmax)
        {
            int pixels = oh * ow;
            if (pixels <= 0 || oc <= 0) return;
            int k = kh * kw * (ic / group);

            if (ConvLayout.ReadsInputDirectly(kh, kw, sh, sw, pt, pl, pb, pr, group))
            {
                GemmU8S8.Multiply(x, ic, w, bias, y, oc, pixels, oc, ic, multiplier, shift, zpOut, qmin, qmax);
                return;
            }
            if (scratch == null) throw new ArgumentNullException(nameof(scratch), "This convolution needs im2col scratch (ConvLayout.ScratchU8Length).");

            var job = new GemmJob { X = x, W = w, Bias = bias, Y = y, Multiplier = multiplier, Shift = shift, Scratch = scratch,
                Ih = ih, Iw = iw, Ic = ic, Ow = ow, Oc = oc, Kh = kh, Kw = kw, Sh = sh, Sw = sw, Pt = pt, Pl = pl, Dh = dh, Dw = dw,
                Group = group, ZpIn = zpIn, ZpOut = zpOut, QMin = qmin, QMax = qmax, Pixels = pixels };
            KernelThreads.For(ref job, KernelThreads.PartsFor((long)pixels * oc * k / group, pixels));
        }

        /// <summary>
        /// Output pixels [start, end) of an im2col convolution, a block at a time through one block of scratch: the plan's
        /// for the calling thread, its own for a worker (<see cref="KernelThreads.WorkerScratch"/>).
        /// </summary>
        private struct GemmJob : IKernelPart
        {
            public byte* X; public sbyte* W; public int* Bias; public byte* Y; public int* Multiplier; public int Shift; public byte* Scratch;
            public int Ih, Iw, Ic, Ow, Oc, Kh, Kw, Sh, Sw, Pt, Pl, Dh, Dw, Group, ZpIn, ZpOut, QMin, QMax, Pixels;

            public void Run(int part, int parts)
            {
                (int start, int end) = KernelThreads.Share(Pixels, part, parts, GemmLayout.U8S8TileRows);
                int icg = Ic / Group, ocg = Oc / Group, k = Kh * Kw * icg;
                long packedPerGroup = GemmLayout.PackedU8S8Length(ocg, k);
                int blockRows = ConvLayout.Im2ColBlockRows(k, GemmLayout.U8S8TileRows);
                byte* scratch = KernelThreads.IsWorker ? (byte*)KernelThreads.WorkerScratch((long)blockRows * k) : Scratch;
                for (int g = 0; g < Group; g++)
                {
                    sbyte* wg = W + g * packedPerGroup;
                    int* biasG = Bias != null ? Bias + g * ocg : null;
                    for (int p0 = start; p0 < end; p0 += blockRows)
                    {
                        int rows = Math.Min(blockRows, end - p0);
                        Im2Col.ChannelsLast(X, scratch, p0, rows, Ih, Iw, Ic, Ow, Kh, Kw, Sh, Sw, Pt, Pl, Dh, Dw, g * icg, icg, (byte)ZpIn);
                        GemmU8S8.MultiplyRows(scratch, k, wg, biasG, Y + (long)p0 * Oc + g * ocg, Oc, rows, ocg, k,
                            Multiplier + g * ocg, Shift, ZpOut, QMin, QMax);
                    }
                }
            }
        }

        /// <summary>
        /// Depthwise NHWC convolution (group == ic == oc): y[.., ch] = clamp(zpOut + Rc(bias[ch] + Σ_taps x·w,
        /// multiplier[ch], shift), qmin, qmax), where taps in the padding read zpIn (so a bias with zpIn·Σw folded out is
        /// exact at the borders too). w is int8 in tap pairs (<see cref="ConvLayout.DepthwiseU8S8Index"/>): taps t = ky·kw + kx, pair
        /// p = (2p, 2p + 1) stored [p][c][2] so each channel's two weights are adjacent (the vpmaddwd operand order), then
        /// an odd last tap as [c].
        /// </summary>
        public static void Depthwise(byte* x, sbyte* w, int* bias, byte* y, int* multiplier, int shift,
            int ih, int iw, int c, int oh, int ow, int kh, int kw, int sh, int sw,
            int pt, int pl, int dh, int dw, int zpIn, int zpOut, int qmin, int qmax)
        {
            int taps = kh * kw;
            if (oh <= 0 || ow <= 0 || c <= 0 || taps <= 0) return;
            var job = new DepthwiseJob { X = x, W = w, Bias = bias, Y = y, Multiplier = multiplier, Shift = shift, Ih = ih, Iw = iw, C = c,
                Oh = oh, Ow = ow, Kh = kh, Kw = kw, Sh = sh, Sw = sw, Pt = pt, Pl = pl, Dh = dh, Dw = dw, ZpIn = zpIn, ZpOut = zpOut, QMin = qmin, QMax = qmax };
            KernelThreads.For(ref job, KernelThreads.PartsFor((long)oh * ow * c * taps, oh));
        }

        /// <summary>Output rows [start, end) of a depthwise convolution.</summary>
        private struct DepthwiseJob : IKernelPart
        {
            public byte* X; public sbyte* W; public int* Bias; public byte* Y; public int* Multiplier; public int Shift;
            public int Ih, Iw, C, Oh, Ow, Kh, Kw, Sh, Sw, Pt, Pl, Dh, Dw, ZpIn, ZpOut, QMin, QMax;

            public void Run(int part, int parts)
            {
                (int start, int end) = KernelThreads.Share(Oh, part, parts, 1);
                DepthwiseRows(X, W, Bias, Y, Multiplier, Shift, Ih, Iw, C, Oh, Ow, Kh, Kw, Sh, Sw, Pt, Pl, Dh, Dw, ZpIn, ZpOut, QMin, QMax, start, end);
            }
        }

        /// <summary>
        /// A 1×1 convolution with a residual added: mid = GemmU8S8(x [pixels, ic], w, bias, multiplier, shift, zpMid,
        /// qminMid, qmaxMid), then y = ElementwiseU8.Add of mid (zero point zpMid, midMultiplier, midShift) and r (rZp,
        /// rMultiplier, rShift) into zpOut, yMultiplier, yShift, qmin, qmax: the bytes of <see cref="Gemm"/> then the Add
        /// (whose integer sum does not depend on operand order). Rows go in chunks of about 16 KB of y, each added to while
        /// it is in L1, so mid never exists whole. y must not overlap x or r.
        /// </summary>
        public static void PointwiseAdd(byte* x, sbyte* w, int* bias, int* multiplier, int shift, int zpMid, int qminMid, int qmaxMid,
            byte* r, byte* y, int pixels, int ic, int oc, int midMultiplier, int midShift, int rZp, int rMultiplier, int rShift,
            int zpOut, int yMultiplier, int yShift, int qmin, int qmax)
        {
            if (pixels <= 0 || oc <= 0) return;
            var job = new PointwiseAddJob { X = x, W = w, Bias = bias, Multiplier = multiplier, Shift = shift, ZpMid = zpMid, QMinMid = qminMid, QMaxMid = qmaxMid,
                R = r, Y = y, Pixels = pixels, Ic = ic, Oc = oc, MidMultiplier = midMultiplier, MidShift = midShift, RZp = rZp, RMultiplier = rMultiplier,
                RShift = rShift, ZpOut = zpOut, YMultiplier = yMultiplier, YShift = yShift, QMin = qmin, QMax = qmax };
            KernelThreads.For(ref job, KernelThreads.PartsFor((long)pixels * oc * ic, (pixels + GemmU8S8.TileRows - 1) / GemmU8S8.TileRows));
        }

        /// <summary>Rows [start, end) of <see cref="PointwiseAdd"/>, chunk by chunk, on whole GEMM tiles.</summary>
        private struct PointwiseAddJob : IKernelPart
        {
            public byte* X; public sbyte* W; public int* Bias; public int* Multiplier; public int Shift, ZpMid, QMinMid, QMaxMid;
            public byte* R; public byte* Y; public int Pixels, Ic, Oc, MidMultiplier, MidShift, RZp, RMultiplier, RShift, ZpOut, YMultiplier, YShift, QMin, QMax;

            public void Run(int part, int parts)
            {
                (int start, int end) = KernelThreads.Share(Pixels, part, parts, GemmU8S8.TileRows);
                int chunk = FusedConvLayout.ResidualChunkRows(Oc, sizeof(byte), GemmU8S8.TileRows);
                for (int r0 = start; r0 < end; r0 += chunk)
                {
                    int rows = Math.Min(chunk, end - r0);
                    byte* y = Y + (long)r0 * Oc;
                    GemmU8S8.MultiplyRows(X + (long)r0 * Ic, Ic, W, Bias, y, Oc, rows, Oc, Ic, Multiplier, Shift, ZpMid, QMinMid, QMaxMid);
                    ElementwiseU8.Add(y, R + (long)r0 * Oc, y, rows * Oc, ZpMid, MidMultiplier, MidShift, RZp, RMultiplier, RShift,
                        ZpOut, YMultiplier, YShift, QMin, QMax);
                }
            }
        }

        /// <summary>
        /// A 1×1 expansion (GemmU8S8 over x [ih·iw, ic] into c channels) followed by a depthwise convolution of the
        /// expanded tensor, computed in bands of output rows so the expanded tensor never exists whole: scratch holds
        /// <paramref name="bandRows"/> expanded input rows (bandRows · iw · c bytes, at least the window's (kh − 1)·dh + 1
        /// rows). Rows a band shares with the next (the window overlap) are moved to the front of scratch, never
        /// recomputed, so every output byte equals <see cref="GemmU8S8.Run"/> then <see cref="Depthwise"/>.
        /// </summary>
        public static void ExpandDepthwise(byte* x, sbyte* we, int* biasE, int* multiplierE, int shiftE, int zpMid, int qminE, int qmaxE,
            sbyte* wd, int* biasD, byte* y, int* multiplierD, int shiftD, byte* scratch, int bandRows,
            int ih, int iw, int ic, int c, int oh, int ow, int kh, int kw, int sh, int sw,
            int pt, int pl, int dh, int dw, int zpOut, int qmin, int qmax)
        {
            if (oh <= 0 || ow <= 0 || c <= 0) return;
            var job = new ExpandDepthwiseJob { X = x, We = we, BiasE = biasE, MultiplierE = multiplierE, ShiftE = shiftE, ZpMid = zpMid, QMinE = qminE, QMaxE = qmaxE,
                Wd = wd, BiasD = biasD, Y = y, MultiplierD = multiplierD, ShiftD = shiftD, Scratch = scratch, BandRows = bandRows,
                Ih = ih, Iw = iw, Ic = ic, C = c, Oh = oh, Ow = ow, Kh = kh, Kw = kw, Sh = sh, Sw = sw, Pt = pt, Pl = pl, Dh = dh, Dw = dw,
                ZpOut = zpOut, QMin = qmin, QMax = qmax };
            KernelThreads.For(ref job, KernelThreads.PartsFor((long)ih * iw * ic * c + (long)oh * ow * c * kh * kw, oh));
        }

        /// <summary>
        /// Output rows [start, end) of a fused expansion + depthwise step, band by band on this thread. A worker thread
        /// bands in its own scratch (<see cref="KernelThreads.WorkerScratch"/>); the caller's parts use the plan's.
        /// </summary>
        private struct ExpandDepthwiseJob : IKernelPart
        {
            public byte* X; public sbyte* We; public int* BiasE; public int* MultiplierE; public int ShiftE, ZpMid, QMinE, QMaxE;
            public sbyte* Wd; public int* BiasD; public byte* Y; public int* MultiplierD; public int ShiftD; public byte* Scratch; public int BandRows;
            public int Ih, Iw, Ic, C, Oh, Ow, Kh, Kw, Sh, Sw, Pt, Pl, Dh, Dw, ZpOut, QMin, QMax;

            public void Run(int part, int parts)
            {
                (int start, int end) = KernelThreads.Share(Oh, part, parts, 1);
                if (start >= end) return;
                long rowBytes = (long)Iw * C;
                byte* scratch = KernelThreads.IsWorker ? (byte*)KernelThreads.WorkerScratch(BandRows * rowBytes) : Scratch;
                var bands = new ExpandedBands(BandRows, Ih, Kh, Sh, Pt, Dh, start, end);
                while (bands.Next(scratch, rowBytes))
                {
                    GemmU8S8.MultiplyRows(X + (long)bands.ComputeFrom * Iw * Ic, Ic, We, BiasE, scratch + (bands.ComputeFrom - bands.First) * rowBytes, C,
                        (bands.ComputeTo - bands.ComputeFrom) * Iw, C, Ic, MultiplierE, ShiftE, ZpMid, QMinE, QMaxE);
                    // The band is a depthwise convolution of its own: its output row 0 is OutputStart, its input row 0 is First.
                    DepthwiseRows(scratch, Wd, BiasD, Y + (long)bands.OutputStart * Ow * C, MultiplierD, ShiftD, bands.Rows, Iw, C, bands.OutputEnd - bands.OutputStart, Ow,
                        Kh, Kw, Sh, Sw, bands.LocalPadTop, Pl, Dh, Dw, ZpMid, ZpOut, QMin, QMax, 0, bands.OutputEnd - bands.OutputStart);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void DepthwiseRows(byte* x, sbyte* w, int* bias, byte* y, int* multiplier, int shift,
            int ih, int iw, int c, int oh, int ow, int kh, int kw, int sh, int sw,
            int pt, int pl, int dh, int dw, int zpIn, int zpOut, int qmin, int qmax, int oyStart, int oyEnd)
        {
            // The paired path needs AVX2 (its 512-bit pixels run where the CPU has AVX-512BW too).
            if (Avx2.IsSupported && TakesPaired(c, ow, kh, kw, sw, dh, dw))
            {
                DepthwiseRowsPaired(x, w, bias, y, multiplier, shift, ih, iw, c, ow, kh, kw, sh, sw, pt, pl, zpIn, zpOut, qmin, qmax, oyStart, oyEnd,
                    wide: Avx512BW.IsSupported && Vector512.IsHardwareAccelerated);
                return;
            }
            int taps = kh * kw;
            // Per output pixel, one pointer per tap: into x, or into a row of zpIn bytes for a tap in the padding, so
            // border and interior pixels run the same channel loop.
            byte** tap = stackalloc byte*[taps];
            long* offset = stackalloc long[taps];
            byte* pad = stackalloc byte[c];
            new Span<byte>(pad, c).Fill((byte)zpIn);
            for (int ky = 0, t = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++, t++) offset[t] = ((long)ky * dh * iw + (long)kx * dw) * c;
            var rq = Avx2.IsSupported ? new ChannelRequantAvx2(shift, zpOut, qmin, qmax) : default;
            // Output columns whose window lies inside the input horizontally.
            int oxFirst = Math.Min(ow, (pl + sw - 1) / sw);
            int oxEnd = Math.Max(oxFirst, Math.Min(ow, (iw - 1 + pl - (kw - 1) * dw) / sw + 1));
            if (iw - 1 + pl - (kw - 1) * dw < 0) oxEnd = oxFirst;
            for (int oy = oyStart; oy < oyEnd; oy++)
            {
                int iy0 = oy * sh - pt;
                bool rowsInside = iy0 >= 0 && iy0 + (kh - 1) * dh < ih;
                for (int ox = 0; ox < ow;)
                {
                    int ix0 = ox * sw - pl;
                    byte* origin = x + ((long)iy0 * iw + ix0) * c;
                    int run = 1;
                    if (rowsInside && ox >= oxFirst && ox < oxEnd)
                    {
                        // A run of interior pixels: the taps of the next pixel are these plus sw · c.
                        run = oxEnd - ox;
                        for (int t = 0; t < taps; t++) tap[t] = origin + offset[t];
                    }
                    else
                    {
                        for (int ky = 0, t = 0; ky < kh; ky++)
                        {
                            int iy = iy0 + ky * dh;
                            for (int kx = 0; kx < kw; kx++, t++)
                            {
                                int ix = ix0 + kx * dw;
                                tap[t] = (uint)iy < (uint)ih && (uint)ix < (uint)iw ? origin + offset[t] : pad;
                            }
                        }
                    }
                    DepthwiseRun(tap, taps, (long)sw * c, run, w, bias, y + ((long)oy * ow + ox) * c, multiplier, shift, c, zpOut, qmin, qmax, in rq);
                    ox += run;
                }
            }
        }

        // The paired AVX2 depthwise path. The input rows a window needs are kept (rolling, one slot per kernel row) as int16
        // pairs (x[ix], x[ix + 1]) per channel, each built once, in one sequential pass over the row's pixels. A pixel then
        // costs, per kernel row and per pair of horizontally adjacent taps, one load and one vpmaddwd per 8 channels
        // against weights widened once per call; an odd last tap pairs with a zero weight. No per-tap interleave or
        // widening is left in the pixel loop (it was three of every four instructions there).
        private const int PairedBlock = 16;
        private const int MaxPairedBytes = 128 * 1024;

        /// <summary>Whether a depthwise convolution takes the paired path (AVX2 and AVX-512): 16-channel blocks, stride 1 or 2, no dilation, ≤ 128 KB of stack.</summary>
        internal static bool TakesPaired(int c, int ow, int kh, int kw, int sw, int dh, int dw) =>
            (sw == 1 || sw == 2) && dh == 1 && dw == 1 && c % PairedBlock == 0 && PairedStackBytes(ow, kh, kw, sw, c) <= MaxPairedBytes;

        /// <summary>
        /// Paired entries per input row: with stride 1 every ix in [−pl, (ow − 1) + kw − 1]; with stride 2 only the even
        /// offsets from −pl, the only ones a window reads (pixel ox, tap pair j: offset 2·ox + 2j).
        /// </summary>
        private static int PairedEntries(int ow, int sw, int kw) => sw == 1 ? ow - 1 + kw : ow + (kw - 1) / 2;

        /// <summary>Stack the paired path takes: kh paired rows (every entry × every channel × two int16) and the widened weights.</summary>
        private static long PairedStackBytes(int ow, int kh, int kw, int sw, int c) =>
            ((long)kh * PairedEntries(ow, sw, kw) + (long)kh * ((kw + 1) >> 1)) * c * 2 * sizeof(short);

        /// <summary>
        /// Output rows [oyStart, oyEnd) of a depthwise convolution that <see cref="TakesPaired"/>: the pixels with AVX2, or
        /// with 512-bit vectors when <paramref name="wide"/> (<see cref="PairedBlockRow512"/>; that form runs on any CPU).
        /// </summary>
        // SkipLocalsInit: the stack buffers (up to 128 KB) are written before they are read; zeroing them per call is waste.
        [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
        internal static void DepthwiseRowsPaired(byte* x, sbyte* w, int* bias, byte* y, int* multiplier, int shift,
            int ih, int iw, int c, int ow, int kh, int kw, int sh, int sw, int pt, int pl, int zpIn, int zpOut, int qmin, int qmax,
            int oyStart, int oyEnd, bool wide)
        {
            int taps = kh * kw;
            int pairsPerRow = (kw + 1) >> 1;
            int blocks = c / PairedBlock;
            int entries = PairedEntries(ow, sw, kw);
            const int entryShorts = PairedBlock * 2;        // 16 channels × (x[ix], x[ix + 1])
            // Paired row layout: [block][entry][16 channels × 2]; a block's entries are contiguous for the pixel loop.
            long rowShorts = (long)blocks * entries * entryShorts;
            short* rows = stackalloc short[(int)(kh * rowShorts)];
            int* rowHeld = stackalloc int[kh];              // which input row each slot holds
            short** window = stackalloc short*[kh];         // the slots of the current output row's kernel rows
            for (int slot = 0; slot < kh; slot++) rowHeld[slot] = int.MinValue;
            // Weights as int16 pairs (w[ky, 2j], w[ky, 2j + 1]) per channel, (w[ky, kw − 1], 0) for an odd kw: [block][ky][j].
            int blockWeights = kh * pairsPerRow * entryShorts;
            short* weights = stackalloc short[blocks * blockWeights];
            // Built 8 channels at a time with vector ops: a scalar loop here cost more than the 7 × 7 layers' arithmetic.
            for (int b = 0; b < blocks; b++)
                for (int ky = 0; ky < kh; ky++)
                    for (int j = 0; j < pairsPerRow; j++)
                    {
                        short* wv = weights + b * blockWeights + (ky * pairsPerRow + j) * entryShorts;
                        int t = ky * kw + 2 * j;
                        for (int half = 0; half < 2; half++)
                        {
                            int ch = b * PairedBlock + half * 8;
                            if (!Avx2.IsSupported)
                            {
                                // The same pairs element by element: the 512-bit form of this path also runs (in tests) without AVX2.
                                for (int i = 0; i < 8; i++)
                                {
                                    wv[half * 16 + 2 * i] = w[ConvLayout.DepthwiseU8S8Index(t, ch + i, taps, c)];
                                    wv[half * 16 + 2 * i + 1] = 2 * j + 1 < kw ? w[ConvLayout.DepthwiseU8S8Index(t + 1, ch + i, taps, c)] : (short)0;
                                }
                                continue;
                            }
                            Vector256<int> first = TapWeights(w, t, ch, taps, c);
                            Vector256<int> second = 2 * j + 1 < kw ? TapWeights(w, t + 1, ch, taps, c) : Vector256<int>.Zero;
                            // Per channel the int16 pair (first, second): the low half of each lane, then the next tap's weight above it.
                            Avx2.Blend(first.AsInt16(), Avx2.ShiftLeftLogical(second, 16).AsInt16(), 0b1010_1010).Store(wv + half * 16);
                        }
                    }
            var rq = new ChannelRequantAvx2(shift, zpOut, qmin, qmax);
            var rq512 = wide ? new ChannelRequant512(shift, zpOut, qmin, qmax) : default;
            int pairStep = 2 / sw * entryShorts;            // from tap pair j to j + 1 (entries 2 or 1 apart)
            for (int oy = oyStart; oy < oyEnd; oy++)
            {
                int iy0 = oy * sh - pt;
                for (int ky = 0; ky < kh; ky++)
                {
                    int iy = iy0 + ky;
                    int slot = ((iy % kh) + kh) % kh;
                    window[ky] = rows + slot * rowShorts;
                    if (rowHeld[slot] != iy)
                    {
                        PairRow(x, window[ky], iy, ih, iw, c, blocks, entries, entryShorts, pl, sw, zpIn);
                        rowHeld[slot] = iy;
                    }
                }
                if (wide)
                {
                    // 16 channels per zmm (ConvU8S8.Vector512.cs): the same int16 pairs and sums, one vpmaddwd per tap pair.
                    for (int b = 0; b < blocks; b++)
                    {
                        int ch = b * PairedBlock;
                        short* wb = weights + b * blockWeights;
                        long blockOffset = (long)b * entries * entryShorts;
                        PairedBlockRow512(window, blockOffset, wb, kh, kw, pairsPerRow, ow, pairStep, bias != null ? bias + ch : null, multiplier + ch,
                            y + (long)oy * ow * c + ch, c, in rq512);
                    }
                    continue;
                }
                for (int b = 0; b < blocks; b++)
                {
                    int ch = b * PairedBlock;
                    Vector256<int> b0 = bias != null ? Vector256.Load(bias + ch) : Vector256<int>.Zero;
                    Vector256<int> b1 = bias != null ? Vector256.Load(bias + ch + 8) : Vector256<int>.Zero;
                    Vector256<int> m0 = Vector256.Load(multiplier + ch), m1 = Vector256.Load(multiplier + ch + 8);
                    Vector256<int> mOdd0 = Avx2.Shuffle(m0, 0xF5), mOdd1 = Avx2.Shuffle(m1, 0xF5);
                    long blockOffset = (long)b * entries * entryShorts;
                    short* wb = weights + b * blockWeights;
                    byte* yRow = y + (long)oy * ow * c + ch;
                    if (kh == 3 && kw == 3)
                    {
                        Row3x3(window[0] + blockOffset, window[1] + blockOffset, window[2] + blockOffset, wb, ow, pairStep,
                            b0, b1, m0, m1, mOdd0, mOdd1, yRow, c, in rq);
                        continue;
                    }
                    for (int ox = 0; ox < ow; ox++)
                    {
                        Vector256<int> s0 = b0, s1 = b1;
                        for (int ky = 0; ky < kh; ky++)
                        {
                            short* z = window[ky] + blockOffset + (long)ox * entryShorts;
                            short* wv = wb + ky * pairsPerRow * entryShorts;
                            for (int j = 0; j < pairsPerRow; j++, z += pairStep, wv += entryShorts)
                            {
                                s0 += Avx2.MultiplyAddAdjacent(Vector256.Load(z), Vector256.Load(wv));
                                s1 += Avx2.MultiplyAddAdjacent(Vector256.Load(z + 16), Vector256.Load(wv + 16));
                            }
                        }
                        rq.Pack16(rq.ApplyWithZeroPoint(s0, m0, mOdd0), rq.ApplyWithZeroPoint(s1, m1, mOdd1)).Store(yRow + (long)ox * c);
                    }
                }
            }
        }

        /// <summary>One output row of one 16-channel block of a 3×3 kernel from its three paired rows (12 weight vectors).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Row3x3(short* r0, short* r1, short* r2, short* weights, int ow, int pairStep, Vector256<int> b0, Vector256<int> b1,
            Vector256<int> m0, Vector256<int> m1, Vector256<int> mOdd0, Vector256<int> mOdd1, byte* yRow, int c, in ChannelRequantAvx2 rq)
        {
            // weights: per kernel row ky, pair 0 (kx = 0, 1) then pair 1 (kx = 2 with 0), each 16 channels as two vectors.
            Vector256<short> w00 = Vector256.Load(weights), w01 = Vector256.Load(weights + 16);
            Vector256<short> w02 = Vector256.Load(weights + 32), w03 = Vector256.Load(weights + 48);
            Vector256<short> w10 = Vector256.Load(weights + 64), w11 = Vector256.Load(weights + 80);
            Vector256<short> w12 = Vector256.Load(weights + 96), w13 = Vector256.Load(weights + 112);
            Vector256<short> w20 = Vector256.Load(weights + 128), w21 = Vector256.Load(weights + 144);
            Vector256<short> w22 = Vector256.Load(weights + 160), w23 = Vector256.Load(weights + 176);
            for (int ox = 0; ox < ow; ox++, r0 += 2 * PairedBlock, r1 += 2 * PairedBlock, r2 += 2 * PairedBlock)
            {
                // The kx = 2 tap is the entry pairStep further, against (w, 0).
                Vector256<int> s0 = b0 + Avx2.MultiplyAddAdjacent(Vector256.Load(r0), w00) + Avx2.MultiplyAddAdjacent(Vector256.Load(r0 + pairStep), w02)
                    + (Avx2.MultiplyAddAdjacent(Vector256.Load(r1), w10) + Avx2.MultiplyAddAdjacent(Vector256.Load(r1 + pairStep), w12))
                    + (Avx2.MultiplyAddAdjacent(Vector256.Load(r2), w20) + Avx2.MultiplyAddAdjacent(Vector256.Load(r2 + pairStep), w22));
                Vector256<int> s1 = b1 + Avx2.MultiplyAddAdjacent(Vector256.Load(r0 + 16), w01) + Avx2.MultiplyAddAdjacent(Vector256.Load(r0 + pairStep + 16), w03)
                    + (Avx2.MultiplyAddAdjacent(Vector256.Load(r1 + 16), w11) + Avx2.MultiplyAddAdjacent(Vector256.Load(r1 + pairStep + 16), w13))
                    + (Avx2.MultiplyAddAdjacent(Vector256.Load(r2 + 16), w21) + Avx2.MultiplyAddAdjacent(Vector256.Load(r2 + pairStep + 16), w23));
                rq.Pack16(rq.ApplyWithZeroPoint(s0, m0, mOdd0), rq.ApplyWithZeroPoint(s1, m1, mOdd1)).Store(yRow + (long)ox * c);
            }
        }

        /// <summary>
        /// Input row iy as paired entries for every channel block: entry e (ix = −pl + e·sw) holds, per channel, x[iy, ix]
        /// and x[iy, ix + 1] as int16 (channels 0..7 of the block, then 8..15); positions outside the image read zpIn.
        /// One pass over the row's pixels, all channels of each.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void PairRow(byte* x, short* row, int iy, int ih, int iw, int c, int blocks, int entries, int entryShorts,
            int pl, int sw, int zpIn)
        {
            long blockShorts = (long)entries * entryShorts;
            if ((uint)iy >= (uint)ih)
            {
                Vector256<short> padPair = Vector256.Create((short)zpIn);
                for (long i = 0; i < blocks * blockShorts; i += 16) padPair.Store(row + i);
                return;
            }
            byte* xr = x + (long)iy * iw * c;
            Vector128<byte> pad = Vector128.Create((byte)zpIn);
            for (int e = 0; e < entries; e++)
            {
                int ix = e * sw - pl;
                bool aIn = (uint)ix < (uint)iw, bIn = (uint)(ix + 1) < (uint)iw;
                byte* xa = xr + (long)ix * c, xb = xa + c;
                short* z = row + (long)e * entryShorts;
                for (int b = 0; b < blocks; b++, z += blockShorts)
                {
                    Vector128<byte> va = aIn ? Vector128.Load(xa + b * PairedBlock) : pad;
                    Vector128<byte> vb = bIn ? Vector128.Load(xb + b * PairedBlock) : pad;
                    if (Avx2.IsSupported)
                    {
                        Avx2.ConvertToVector256Int16(Sse2.UnpackLow(va, vb)).AsInt16().Store(z);
                        Avx2.ConvertToVector256Int16(Sse2.UnpackHigh(va, vb)).AsInt16().Store(z + 16);
                    }
                    else
                    {
                        // The same entry element by element (the 512-bit form of this path runs in tests without AVX2).
                        for (int i = 0; i < PairedBlock; i++) { z[2 * i] = va.GetElement(i); z[2 * i + 1] = vb.GetElement(i); }
                    }
                }
            }
        }

        /// <summary>
        /// All channels of <paramref name="pixels"/> consecutive output pixels: the first reads its taps at tap[t], each
        /// next one <paramref name="step"/> bytes further (a run of interior pixels; a border pixel is a run of one).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void DepthwiseRun(byte** tap, int taps, long step, int pixels, sbyte* w, int* bias, byte* y, int* multiplier, int shift, int c,
            int zpOut, int qmin, int qmax, in ChannelRequantAvx2 rq)
        {
            for (int px = 0; px < pixels; px++, y += c)
                DepthwisePixel(tap, px * step, taps, w, bias, y, multiplier, shift, c, zpOut, qmin, qmax, in rq);
        }

        /// <summary>All channels of one output pixel from its tap pointers (each indexed by channel) plus <paramref name="at"/>.</summary>
        // Too large for the JIT to inline even when asked: without AggressiveOptimization it would run as tier-0 code
        // (Vector helpers as calls) for the first ~100 ms of a process (measured: MobileNetV2-224's first INT8 run 2× slower).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void DepthwisePixel(byte** tap, long at, int taps, sbyte* w, int* bias, byte* y, int* multiplier, int shift, int c,
            int zpOut, int qmin, int qmax, in ChannelRequantAvx2 rq)
        {
            int pairs = taps >> 1;
            bool odd = (taps & 1) != 0;
            sbyte* wOdd = w + (long)(taps - 1) * c;
            int ch = 0;
            if (Avx2.IsSupported)
            {
                // Per tap pair, the two taps' bytes interleaved (vpunpck{l,h}bw) and zero-extended are the x operand of
                // vpmaddwd; the packed weights, sign-extended, are the other: one instruction per 8 channels and 2 taps.
                for (; ch + 16 <= c; ch += 16)
                {
                    Vector256<int> s0 = bias != null ? Vector256.Load(bias + ch) : Vector256<int>.Zero;
                    Vector256<int> s1 = bias != null ? Vector256.Load(bias + ch + 8) : Vector256<int>.Zero;
                    sbyte* wp = w + 2L * ch;
                    for (int p = 0; p < pairs; p++, wp += 2L * c) Pair16(tap[2 * p] + at + ch, tap[2 * p + 1] + at + ch, wp, ref s0, ref s1);
                    if (odd) Single16(tap[taps - 1] + at + ch, wOdd + ch, ref s0, ref s1);
                    Vector256<int> m0 = Vector256.Load(multiplier + ch), m1 = Vector256.Load(multiplier + ch + 8);
                    rq.Pack16(rq.ApplyWithZeroPoint(s0, m0, Avx2.Shuffle(m0, 0xF5)), rq.ApplyWithZeroPoint(s1, m1, Avx2.Shuffle(m1, 0xF5))).Store(y + ch);
                }
                for (; ch + 8 <= c; ch += 8)
                {
                    Vector256<int> s0 = bias != null ? Vector256.Load(bias + ch) : Vector256<int>.Zero;
                    sbyte* wp = w + 2L * ch;
                    for (int p = 0; p < pairs; p++, wp += 2L * c)
                    {
                        Vector128<byte> a = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(tap[2 * p] + at + ch)).AsByte();
                        Vector128<byte> b = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(tap[2 * p + 1] + at + ch)).AsByte();
                        s0 += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Sse2.UnpackLow(a, b)), Avx2.ConvertToVector256Int16(wp));
                    }
                    if (odd)
                    {
                        Vector128<byte> a = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(tap[taps - 1] + at + ch)).AsByte();
                        Vector128<sbyte> wv = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(wOdd + ch)).AsSByte();
                        s0 += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Sse2.UnpackLow(a, Vector128<byte>.Zero)), Avx2.ConvertToVector256Int16(Sse2.UnpackLow(wv, wv)));
                    }
                    Vector256<int> m0 = Vector256.Load(multiplier + ch);
                    Requantization.StoreBytes(rq.Output(s0, m0, Avx2.Shuffle(m0, 0xF5)), y + ch);
                }
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                // Portable form of the same pairs (the ARM64 path): the two taps' 8 bytes interleaved by one shuffle, int16
                // products (exact: 255 · 128 < 2^15), and each int32 lane's two halves summed with shifts.
                Vector128<byte> interleave = Vector128.Create((byte)0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
                Vector128<int> zv = Vector128.Create(zpOut), lo = Vector128.Create(qmin), hi = Vector128.Create(qmax);
                for (; ch + 8 <= c; ch += 8)
                {
                    Vector128<int> s0 = bias != null ? Vector128.Load(bias + ch) : Vector128<int>.Zero;
                    Vector128<int> s1 = bias != null ? Vector128.Load(bias + ch + 4) : Vector128<int>.Zero;
                    sbyte* wp = w + 2L * ch;
                    for (int p = 0; p < pairs; p++, wp += 2L * c)
                    {
                        Vector128<byte> ab = Vector128.Shuffle(Vector128.Create(Unsafe.ReadUnaligned<ulong>(tap[2 * p] + at + ch), Unsafe.ReadUnaligned<ulong>(tap[2 * p + 1] + at + ch)).AsByte(), interleave);
                        (Vector128<ushort> x0, Vector128<ushort> x1) = Vector128.Widen(ab);
                        (Vector128<short> w0, Vector128<short> w1) = Vector128.Widen(Vector128.Load(wp));
                        s0 += SumHalves((x0.AsInt16() * w0).AsInt32());
                        s1 += SumHalves((x1.AsInt16() * w1).AsInt32());
                    }
                    if (odd)
                    {
                        Vector128<short> xv = Vector128.WidenLower(Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(tap[taps - 1] + at + ch)).AsByte()).AsInt16();
                        Vector128<short> wv = Vector128.WidenLower(Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(wOdd + ch)).AsSByte());
                        (Vector128<int> p0, Vector128<int> p1) = Vector128.Widen(xv * wv);
                        s0 += p0;
                        s1 += p1;
                    }
                    s0 = Requantization.ApplyChannel(s0, Vector128.Load(multiplier + ch), shift);
                    s1 = Requantization.ApplyChannel(s1, Vector128.Load(multiplier + ch + 4), shift);
                    Requantization.StoreBytes(Vector128.Min(Vector128.Max(s0 + zv, lo), hi), y + ch);
                    Requantization.StoreBytes(Vector128.Min(Vector128.Max(s1 + zv, lo), hi), y + ch + 4);
                }
            }
            for (; ch < c; ch++)
            {
                int s = bias != null ? bias[ch] : 0;
                for (int t = 0; t < taps; t++) s += tap[t][at + ch] * w[ConvLayout.DepthwiseU8S8Index(t, ch, taps, c)];
                y[ch] = Requantization.Output(Requantization.ApplyChannel(s, multiplier[ch], shift), zpOut, qmin, qmax);
            }
        }

        /// <summary>16 channels of one tap pair: a, b are the two taps' inputs at the channel, wp their 32 interleaved weights.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Pair16(byte* a, byte* b, sbyte* wp, ref Vector256<int> s0, ref Vector256<int> s1)
        {
            Vector128<byte> xa = Vector128.Load(a), xb = Vector128.Load(b);
            s0 += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Sse2.UnpackLow(xa, xb)), Avx2.ConvertToVector256Int16(wp));
            s1 += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Sse2.UnpackHigh(xa, xb)), Avx2.ConvertToVector256Int16(wp + 16));
        }

        /// <summary>16 channels of the odd last tap alone: (x, 0) pairs against (w, w).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Single16(byte* a, sbyte* weights, ref Vector256<int> s0, ref Vector256<int> s1)
        {
            Vector128<byte> x = Vector128.Load(a);
            Vector128<sbyte> wv = Vector128.Load(weights);
            s0 += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Sse2.UnpackLow(x, Vector128<byte>.Zero)), Avx2.ConvertToVector256Int16(Sse2.UnpackLow(wv, wv)));
            s1 += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Sse2.UnpackHigh(x, Vector128<byte>.Zero)), Avx2.ConvertToVector256Int16(Sse2.UnpackHigh(wv, wv)));
        }

        /// <summary>
        /// Tap t's weights of channels ch..ch + 7 (tap-pair layout, see <see cref="ConvLayout.DepthwiseU8S8Index"/>) in the low 16 bits of the
        /// int32 lanes; the high 16 bits are unspecified (the caller's blend keeps only the low ones).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> TapWeights(sbyte* w, int t, int ch, int taps, int c)
        {
            if (t >= (taps & ~1)) return Avx2.ConvertToVector256Int32(w + ConvLayout.DepthwiseU8S8Index(t, ch, taps, c));
            // 8 channels' (tap 2p, tap 2p + 1) pairs widened: one int32 lane per channel, tap 2p in its low half.
            Vector256<int> pairs = Avx2.ConvertToVector256Int16(w + ConvLayout.DepthwiseU8S8Index(t & ~1, ch, taps, c)).AsInt32();
            return (t & 1) == 0 ? pairs : Avx2.ShiftRightLogical(pairs, 16);
        }

        /// <summary>Each int32 lane as the sum of its two int16 halves.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<int> SumHalves(Vector128<int> v) =>
            Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(v, 16), 16) + Vector128.ShiftRightArithmetic(v, 16);
    }
}
