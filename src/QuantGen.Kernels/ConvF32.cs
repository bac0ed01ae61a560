// FP32 NHWC convolution: general (grouped, strided, dilated, padded) through im2col + packed GEMM, and depthwise.
namespace QuantGen.Kernels
{
    using System;
    using System.Runtime.CompilerServices;
    using System.Runtime.Intrinsics;

    internal static unsafe partial class ConvF32
    {
        /// <summary>
        /// y[oh, ow, oc] = act(conv(x[ih, iw, ic], w) + bias). Per group g, w holds a packed GEMM B [K, ocg] (K ordered
        /// ky, kx, ci) at float offset g * <see cref="GemmLayout.PackedF32Length"/>(ocg, K). scratch holds one im2col
        /// block (<see cref="ConvLayout.ScratchF32Length"/> floats) for the calling thread (workers use their own); for a
        /// plain 1×1 convolution (<see cref="ConvLayout.ReadsInputDirectly"/>) it may be null and x is A directly. pb and pr only
        /// document the padding: oh/ow fix the output. group == ic == oc works but belongs in <see cref="Depthwise"/>.
        /// </summary>
        public static void Gemm(float* x, float* w, float* bias, float* y, float* scratch,
            int ih, int iw, int ic, int oh, int ow, int oc, int kh, int kw, int sh, int sw,
            int pt, int pl, int pb, int pr, int dh, int dw, int group, Activation act, float alpha, float beta)
        {
            int pixels = oh * ow;
            if (pixels <= 0 || oc <= 0) return;
            int icg = ic / group;
            int ocg = oc / group;
            int k = kh * kw * icg;

            if (ConvLayout.ReadsInputDirectly(kh, kw, sh, sw, pt, pl, pb, pr, group))
            {
                GemmF32.Multiply(x, ic, w, bias, y, oc, pixels, oc, ic, act, alpha, beta);
                return;
            }
            if (scratch == null) throw new ArgumentNullException(nameof(scratch), "This convolution needs im2col scratch (ConvLayout.ScratchF32Length).");

            var job = new GemmJob { X = x, W = w, Bias = bias, Y = y, Scratch = scratch, Ih = ih, Iw = iw, Ic = ic, Ow = ow, Oc = oc,
                Kh = kh, Kw = kw, Sh = sh, Sw = sw, Pt = pt, Pl = pl, Dh = dh, Dw = dw, Group = group, Act = act, Alpha = alpha, Beta = beta, Pixels = pixels };
            KernelThreads.For(ref job, KernelThreads.PartsFor((long)pixels * ocg * k * group, pixels));
        }

        /// <summary>
        /// Output pixels [start, end) of an im2col convolution, a block at a time through one block of scratch: the plan's
        /// for the calling thread, its own for a worker (<see cref="KernelThreads.WorkerScratch"/>). Part boundaries fall
        /// on the GEMM's 6-row tiles.
        /// </summary>
        private struct GemmJob : IKernelPart
        {
            public float* X; public float* W; public float* Bias; public float* Y; public float* Scratch;
            public int Ih, Iw, Ic, Ow, Oc, Kh, Kw, Sh, Sw, Pt, Pl, Dh, Dw, Group, Pixels;
            public Activation Act; public float Alpha, Beta;

            public void Run(int part, int parts)
            {
                (int start, int end) = KernelThreads.Share(Pixels, part, parts, GemmLayout.F32TileRows);
                int icg = Ic / Group, ocg = Oc / Group, k = Kh * Kw * icg;
                long packedPerGroup = GemmLayout.PackedF32Length(ocg, k);
                int blockRows = ConvLayout.Im2ColBlockRows(k, GemmLayout.F32TileRows);
                float* scratch = KernelThreads.IsWorker ? (float*)KernelThreads.WorkerScratch((long)blockRows * k * sizeof(float)) : Scratch;
                for (int g = 0; g < Group; g++)
                {
                    float* wg = W + g * packedPerGroup;
                    float* biasG = Bias != null ? Bias + g * ocg : null;
                    for (int p0 = start; p0 < end; p0 += blockRows)
                    {
                        int rows = Math.Min(blockRows, end - p0);
                        Im2Col.ChannelsLast(X, scratch, p0, rows, Ih, Iw, Ic, Ow, Kh, Kw, Sh, Sw, Pt, Pl, Dh, Dw, g * icg, icg, 0f);
                        GemmF32.MultiplyRows(scratch, k, wg, biasG, Y + (long)p0 * Oc + g * ocg, Oc, rows, ocg, k, Act, Alpha, Beta);
                    }
                }
            }
        }

        /// <summary>
        /// Depthwise NHWC convolution (group == ic == oc): w is [kh * kw, c], tap-major with channels contiguous.
        /// Taps falling in the padding contribute nothing; the work is vectorized across channels.
        /// </summary>
        public static void Depthwise(float* x, float* w, float* bias, float* y,
            int ih, int iw, int c, int oh, int ow, int kh, int kw, int sh, int sw,
            int pt, int pl, int dh, int dw, Activation act, float alpha, float beta)
        {
            var job = new DepthwiseJob { X = x, W = w, Bias = bias, Y = y, Ih = ih, Iw = iw, C = c, Oh = oh, Ow = ow, Kh = kh, Kw = kw,
                Sh = sh, Sw = sw, Pt = pt, Pl = pl, Dh = dh, Dw = dw, Act = act, Alpha = alpha, Beta = beta };
            KernelThreads.For(ref job, KernelThreads.PartsFor((long)oh * ow * c * kh * kw, oh));
        }

        /// <summary>
        /// A 1×1 expansion (GEMM of x [ih·iw, ic] by the packed we into c channels, actE) followed by a depthwise
        /// convolution of the expanded tensor (act), computed in bands of output rows so the expanded tensor never exists
        /// whole: scratch holds <paramref name="bandRows"/> expanded rows (bandRows · iw · c floats). Each expanded row is
        /// computed once (<see cref="ExpandedBands"/>), so every output equals <see cref="Gemm"/> then <see cref="Depthwise"/>.
        /// </summary>
        public static void ExpandDepthwise(float* x, float* we, float* biasE, Activation actE, float alphaE, float betaE,
            float* wd, float* biasD, float* y, float* scratch, int bandRows,
            int ih, int iw, int ic, int c, int oh, int ow, int kh, int kw, int sh, int sw,
            int pt, int pl, int dh, int dw, Activation act, float alpha, float beta)
        {
            if (oh <= 0 || ow <= 0 || c <= 0) return;
            var job = new ExpandDepthwiseJob { X = x, We = we, BiasE = biasE, ActE = actE, AlphaE = alphaE, BetaE = betaE, Wd = wd, BiasD = biasD, Y = y,
                Scratch = scratch, BandRows = bandRows, Ih = ih, Iw = iw, Ic = ic, C = c, Oh = oh, Ow = ow, Kh = kh, Kw = kw, Sh = sh, Sw = sw,
                Pt = pt, Pl = pl, Dh = dh, Dw = dw, Act = act, Alpha = alpha, Beta = beta };
            KernelThreads.For(ref job, KernelThreads.PartsFor((long)ih * iw * ic * c + (long)oh * ow * c * kh * kw, oh));
        }

        /// <summary>
        /// Output rows [start, end) of a fused expansion + depthwise step, band by band on this thread. A worker thread
        /// bands in its own scratch (<see cref="KernelThreads.WorkerScratch"/>); the caller's parts use the plan's.
        /// </summary>
        private struct ExpandDepthwiseJob : IKernelPart
        {
            public float* X; public float* We; public float* BiasE; public Activation ActE; public float AlphaE, BetaE;
            public float* Wd; public float* BiasD; public float* Y; public float* Scratch; public int BandRows;
            public int Ih, Iw, Ic, C, Oh, Ow, Kh, Kw, Sh, Sw, Pt, Pl, Dh, Dw;
            public Activation Act; public float Alpha, Beta;

            public void Run(int part, int parts)
            {
                (int start, int end) = KernelThreads.Share(Oh, part, parts, 1);
                if (start >= end) return;
                long rowFloats = (long)Iw * C;
                float* scratch = KernelThreads.IsWorker ? (float*)KernelThreads.WorkerScratch(BandRows * rowFloats * sizeof(float)) : Scratch;
                var bands = new ExpandedBands(BandRows, Ih, Kh, Sh, Pt, Dh, start, end);
                while (bands.Next((byte*)scratch, rowFloats * sizeof(float)))
                {
                    // The whole expansion is a matrix-vector product only when the image is one pixel (as ConvF32.Gemm decides).
                    GemmF32.MultiplyRows(X + (long)bands.ComputeFrom * Iw * Ic, Ic, We, BiasE, scratch + (bands.ComputeFrom - bands.First) * rowFloats, C,
                        (bands.ComputeTo - bands.ComputeFrom) * Iw, C, Ic, ActE, AlphaE, BetaE, matrixVector: (long)Ih * Iw == 1);
                    // The band is a depthwise convolution of its own: its output row 0 is OutputStart, its input row 0 is First.
                    var depthwise = new DepthwiseJob { X = scratch, W = Wd, Bias = BiasD, Y = Y + (long)bands.OutputStart * Ow * C, Ih = bands.Rows, Iw = Iw, C = C,
                        Oh = bands.OutputEnd - bands.OutputStart, Ow = Ow, Kh = Kh, Kw = Kw, Sh = Sh, Sw = Sw, Pt = bands.LocalPadTop, Pl = Pl, Dh = Dh, Dw = Dw,
                        Act = Act, Alpha = Alpha, Beta = Beta };
                    depthwise.Run(0, 1);
                }
            }
        }

        /// <summary>
        /// A 1×1 convolution with a residual added: y = act(x [pixels, ic] · w + bias) + r, w packed as GemmF32's B [ic, oc]
        /// (<see cref="Gemm"/> of a plain 1×1 convolution, then <see cref="ElementwiseF32.Binary"/> adding r, the same
        /// values). Rows go in chunks of about <see cref="FusedConvLayout.ResidualChunkBytes"/> of y, each added to while it is in L1, so
        /// the convolution's output makes no round trip of its own through memory. y must not overlap x or r.
        /// </summary>
        public static void PointwiseAdd(float* x, float* w, float* bias, float* r, float* y, int pixels, int ic, int oc,
            Activation act, float alpha, float beta)
        {
            if (pixels <= 0 || oc <= 0) return;
            var job = new PointwiseAddJob { X = x, W = w, Bias = bias, R = r, Y = y, Pixels = pixels, Ic = ic, Oc = oc, Act = act, Alpha = alpha, Beta = beta };
            KernelThreads.For(ref job, KernelThreads.PartsFor((long)pixels * oc * ic, (pixels + GemmF32.MaxRows - 1) / GemmF32.MaxRows));
        }

        /// <summary>Rows [start, end) of <see cref="PointwiseAdd"/>, chunk by chunk, on whole GEMM tiles.</summary>
        private struct PointwiseAddJob : IKernelPart
        {
            public float* X; public float* W; public float* Bias; public float* R; public float* Y;
            public int Pixels, Ic, Oc; public Activation Act; public float Alpha, Beta;

            public void Run(int part, int parts)
            {
                (int start, int end) = KernelThreads.Share(Pixels, part, parts, GemmF32.MaxRows);
                int chunk = FusedConvLayout.ResidualChunkRows(Oc, sizeof(float), GemmF32.MaxRows);
                for (int r0 = start; r0 < end; r0 += chunk)
                {
                    int rows = Math.Min(chunk, end - r0);
                    float* y = Y + (long)r0 * Oc;
                    // A row's bits do not depend on how the rows are sliced; the whole product decides matrix-vector, as in Gemm.
                    GemmF32.MultiplyRows(X + (long)r0 * Ic, Ic, W, Bias, y, Oc, rows, Oc, Ic, Act, Alpha, Beta, matrixVector: Pixels == 1);
                    ElementwiseF32.Add(R + (long)r0 * Oc, y, y, rows * Oc);
                }
            }
        }

        /// <summary>Output rows [start, end) of a depthwise convolution: the rows' own y, the same taps, the same order.</summary>
        private struct DepthwiseJob : IKernelPart
        {
            public float* X; public float* W; public float* Bias; public float* Y;
            public int Ih, Iw, C, Oh, Ow, Kh, Kw, Sh, Sw, Pt, Pl, Dh, Dw;
            public Activation Act; public float Alpha, Beta;

            public void Run(int part, int parts)
            {
                (int start, int end) = KernelThreads.Share(Oh, part, parts, 1);
                // Rows [start, end) are a convolution of their own: output row start reads input rows from start · sh − pt.
                float* y = Y + (long)start * Ow * C;
                int pt = Pt - start * Sh;
                int rows = end - start;
                switch (Act)
                {
                    case Activation.Relu: Depthwise(X, W, Bias, y, Ih, Iw, C, rows, Ow, Kh, Kw, Sh, Sw, pt, Pl, Dh, Dw, new ActivationMath.ReluOperator(), Activation.None, 0f, 0f); break;
                    case Activation.Clip: Depthwise(X, W, Bias, y, Ih, Iw, C, rows, Ow, Kh, Kw, Sh, Sw, pt, Pl, Dh, Dw, new ActivationMath.ClipOperator(Alpha, Beta), Activation.None, 0f, 0f); break;
                    case Activation.LeakyRelu: Depthwise(X, W, Bias, y, Ih, Iw, C, rows, Ow, Kh, Kw, Sh, Sw, pt, Pl, Dh, Dw, new ActivationMath.LeakyReluOperator(Alpha), Activation.None, 0f, 0f); break;
                    case Activation.HardSwish: Depthwise(X, W, Bias, y, Ih, Iw, C, rows, Ow, Kh, Kw, Sh, Sw, pt, Pl, Dh, Dw, new ActivationMath.HardSwishOperator(), Activation.None, 0f, 0f); break;
                    default: Depthwise(X, W, Bias, y, Ih, Iw, C, rows, Ow, Kh, Kw, Sh, Sw, pt, Pl, Dh, Dw, new ActivationMath.IdentityOperator(), Act, Alpha, Beta); break;
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Depthwise<TActivation>(float* x, float* w, float* bias, float* y,
            int ih, int iw, int c, int oh, int ow, int kh, int kw, int sh, int sw,
            int pt, int pl, int dh, int dw, TActivation fused, Activation act, float alpha, float beta)
            where TActivation : struct, ActivationMath.IUnaryOperator
        {
            // 3×3 fast path: output columns whose whole window lies inside the input run without bounds checks, with
            // the nine tap weights of an 8-channel block held in registers across the row.
            bool fast = Vector256.IsHardwareAccelerated && kh == 3 && kw == 3;
            int oxLo = Math.Min(ow, (pl + sw - 1) / sw);
            int lastStart = iw - 1 - 2 * dw + pl;
            int oxHi = lastStart < 0 ? 0 : Math.Min(ow, lastStart / sw + 1);
            if (oxHi < oxLo) oxHi = oxLo;

            // The interior runs channel block by channel block over a segment of the row; segments are sized (about
            // 32 KB of input over the three window rows) so the last channel block still finds its input in L1.
            // Measured: +20% on 112×112×96 stride 2, neutral (within noise) on the smaller MobileNetV2 layers.
            int segment = Math.Max(16, Math.Min(64, 32768 / Math.Max(1, 3 * sw * c * sizeof(float))));

            for (int oy = 0; oy < oh; oy++)
            {
                int iy0 = oy * sh - pt;
                float* yRow = y + (long)oy * ow * c;
                bool rowInside = iy0 >= 0 && iy0 + 2 * dh < ih;
                if (fast && rowInside && oxLo < oxHi)
                {
                    for (int ox = 0; ox < oxLo; ox++)
                        DepthwisePixel(x, w, bias, yRow + (long)ox * c, ih, iw, c, kh, kw, iy0, ox * sw - pl, dh, dw, fused);
                    for (int s0 = oxLo; s0 < oxHi; s0 += segment)
                        Depthwise3x3Interior(x + (long)iy0 * iw * c, w, bias, yRow, iw, c, s0, Math.Min(oxHi, s0 + segment), sw, pl, (long)dh * iw * c, dw, fused);
                    for (int ox = oxHi; ox < ow; ox++)
                        DepthwisePixel(x, w, bias, yRow + (long)ox * c, ih, iw, c, kh, kw, iy0, ox * sw - pl, dh, dw, fused);
                }
                else
                {
                    for (int ox = 0; ox < ow; ox++)
                        DepthwisePixel(x, w, bias, yRow + (long)ox * c, ih, iw, c, kh, kw, iy0, ox * sw - pl, dh, dw, fused);
                }
                if (act != Activation.None) ActivationMath.Apply(yRow, yRow, ow * c, act, alpha, beta);
            }
        }

        /// <summary>
        /// Output columns [ox0, ox1) of one row of a 3×3 depthwise convolution whose windows are fully inside the input;
        /// xRow0 is the first input row of the window, rowStep the distance between window rows (dh rows).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Depthwise3x3Interior<TActivation>(float* xRow0, float* w, float* bias, float* yRow, int iw, int c,
            int ox0, int ox1, int sw, int pl, long rowStep, int dw, TActivation fused)
            where TActivation : struct, ActivationMath.IUnaryOperator
        {
            long step = (long)sw * c;
            long d = (long)dw * c;
            long first = (long)(ox0 * sw - pl) * c;
            int ch = Vector512.IsHardwareAccelerated ? Depthwise3x3Interior512(xRow0, w, bias, yRow, c, ox0, ox1, step, d, first, rowStep, fused) : 0;
            for (; ch + 8 <= c; ch += 8)
            {
                Vector256<float> w00 = Vector256.Load(w + ch), w01 = Vector256.Load(w + c + ch), w02 = Vector256.Load(w + 2 * c + ch);
                Vector256<float> w10 = Vector256.Load(w + 3 * c + ch), w11 = Vector256.Load(w + 4 * c + ch), w12 = Vector256.Load(w + 5 * c + ch);
                Vector256<float> w20 = Vector256.Load(w + 6 * c + ch), w21 = Vector256.Load(w + 7 * c + ch), w22 = Vector256.Load(w + 8 * c + ch);
                Vector256<float> b = bias != null ? Vector256.Load(bias + ch) : Vector256<float>.Zero;
                float* p0 = xRow0 + first + ch;
                float* yp = yRow + (long)ox0 * c + ch;
                int ox = ox0;
                if (step == d)
                {
                    // Stride equal to dilation (stride 1): neighbouring outputs share two window columns, so two outputs per
                    // iteration load 12 inputs instead of 18. Each output keeps the single-output order below, bit for
                    // bit. Measured 8-18 % faster on MobileNetV2's stride-1 layers.
                    for (; ox + 2 <= ox1; ox += 2)
                    {
                        float* p1 = p0 + rowStep;
                        float* p2 = p1 + rowStep;
                        Vector256<float> xa = Vector256.Load(p0 + d), xb = Vector256.Load(p0 + 2 * d);
                        Vector256<float> s0 = SimdMath.MultiplyAdd(Vector256.Load(p0), w00, b);
                        Vector256<float> t0 = SimdMath.MultiplyAdd(xa, w00, b);
                        Vector256<float> s1 = xa * w01;
                        Vector256<float> t1 = xb * w01;
                        s0 = SimdMath.MultiplyAdd(xb, w02, s0);
                        t0 = SimdMath.MultiplyAdd(Vector256.Load(p0 + 3 * d), w02, t0);
                        xa = Vector256.Load(p1 + d);
                        xb = Vector256.Load(p1 + 2 * d);
                        s1 = SimdMath.MultiplyAdd(Vector256.Load(p1), w10, s1);
                        t1 = SimdMath.MultiplyAdd(xa, w10, t1);
                        s0 = SimdMath.MultiplyAdd(xa, w11, s0);
                        t0 = SimdMath.MultiplyAdd(xb, w11, t0);
                        s1 = SimdMath.MultiplyAdd(xb, w12, s1);
                        t1 = SimdMath.MultiplyAdd(Vector256.Load(p1 + 3 * d), w12, t1);
                        xa = Vector256.Load(p2 + d);
                        xb = Vector256.Load(p2 + 2 * d);
                        s0 = SimdMath.MultiplyAdd(Vector256.Load(p2), w20, s0);
                        t0 = SimdMath.MultiplyAdd(xa, w20, t0);
                        s1 = SimdMath.MultiplyAdd(xa, w21, s1);
                        t1 = SimdMath.MultiplyAdd(xb, w21, t1);
                        s0 = SimdMath.MultiplyAdd(xb, w22, s0);
                        t0 = SimdMath.MultiplyAdd(Vector256.Load(p2 + 3 * d), w22, t0);
                        fused.Invoke(s0 + s1).Store(yp);
                        fused.Invoke(t0 + t1).Store(yp + c);
                        p0 += 2 * step;
                        yp += 2 * c;
                    }
                }
                for (; ox < ox1; ox++)
                {
                    float* p1 = p0 + rowStep;
                    float* p2 = p1 + rowStep;
                    Vector256<float> s0 = SimdMath.MultiplyAdd(Vector256.Load(p0), w00, b);
                    Vector256<float> s1 = Vector256.Load(p0 + d) * w01;
                    s0 = SimdMath.MultiplyAdd(Vector256.Load(p0 + 2 * d), w02, s0);
                    s1 = SimdMath.MultiplyAdd(Vector256.Load(p1), w10, s1);
                    s0 = SimdMath.MultiplyAdd(Vector256.Load(p1 + d), w11, s0);
                    s1 = SimdMath.MultiplyAdd(Vector256.Load(p1 + 2 * d), w12, s1);
                    s0 = SimdMath.MultiplyAdd(Vector256.Load(p2), w20, s0);
                    s1 = SimdMath.MultiplyAdd(Vector256.Load(p2 + d), w21, s1);
                    s0 = SimdMath.MultiplyAdd(Vector256.Load(p2 + 2 * d), w22, s0);
                    fused.Invoke(s0 + s1).Store(yp);
                    p0 += step;
                    yp += c;
                }
            }
            for (; ch < c; ch++)
            {
                float* p0 = xRow0 + first + ch;
                float* yp = yRow + (long)ox0 * c + ch;
                for (int ox = ox0; ox < ox1; ox++)
                {
                    float s = bias != null ? bias[ch] : 0f;
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++)
                            s = SimdMath.MultiplyAdd(p0[ky * rowStep + kx * d], w[(ky * 3 + kx) * c + ch], s);
                    *yp = fused.Invoke(s);
                    p0 += step;
                    yp += c;
                }
            }
        }

        // One output pixel, all channels: channel blocks of 32 (4 vectors) held in registers across every tap.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void DepthwisePixel<TActivation>(float* x, float* w, float* bias, float* yp, int ih, int iw, int c,
            int kh, int kw, int iy0, int ix0, int dh, int dw, TActivation fused)
            where TActivation : struct, ActivationMath.IUnaryOperator
        {
            int ch = Vector512.IsHardwareAccelerated ? DepthwisePixel512(x, w, bias, yp, ih, iw, c, kh, kw, iy0, ix0, dh, dw, fused) : 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; ch + 32 <= c; ch += 32)
                {
                    Vector256<float> s0, s1, s2, s3;
                    if (bias != null)
                    {
                        s0 = Vector256.Load(bias + ch); s1 = Vector256.Load(bias + ch + 8);
                        s2 = Vector256.Load(bias + ch + 16); s3 = Vector256.Load(bias + ch + 24);
                    }
                    else
                    {
                        s0 = s1 = s2 = s3 = Vector256<float>.Zero;
                    }
                    for (int ky = 0; ky < kh; ky++)
                    {
                        int iy = iy0 + ky * dh;
                        if ((uint)iy >= (uint)ih) continue;
                        for (int kx = 0; kx < kw; kx++)
                        {
                            int ix = ix0 + kx * dw;
                            if ((uint)ix >= (uint)iw) continue;
                            float* xp = x + ((long)iy * iw + ix) * c + ch;
                            float* wp = w + (long)(ky * kw + kx) * c + ch;
                            s0 = SimdMath.MultiplyAdd(Vector256.Load(xp), Vector256.Load(wp), s0);
                            s1 = SimdMath.MultiplyAdd(Vector256.Load(xp + 8), Vector256.Load(wp + 8), s1);
                            s2 = SimdMath.MultiplyAdd(Vector256.Load(xp + 16), Vector256.Load(wp + 16), s2);
                            s3 = SimdMath.MultiplyAdd(Vector256.Load(xp + 24), Vector256.Load(wp + 24), s3);
                        }
                    }
                    fused.Invoke(s0).Store(yp + ch); fused.Invoke(s1).Store(yp + ch + 8); fused.Invoke(s2).Store(yp + ch + 16); fused.Invoke(s3).Store(yp + ch + 24);
                }
                for (; ch + 8 <= c; ch += 8)
                {
                    Vector256<float> s = bias != null ? Vector256.Load(bias + ch) : Vector256<float>.Zero;
                    for (int ky = 0; ky < kh; ky++)
                    {
                        int iy = iy0 + ky * dh;
                        if ((uint)iy >= (uint)ih) continue;
                        for (int kx = 0; kx < kw; kx++)
                        {
                            int ix = ix0 + kx * dw;
                            if ((uint)ix >= (uint)iw) continue;
                            s = SimdMath.MultiplyAdd(Vector256.Load(x + ((long)iy * iw + ix) * c + ch), Vector256.Load(w + (long)(ky * kw + kx) * c + ch), s);
                        }
                    }
                    fused.Invoke(s).Store(yp + ch);
                }
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                for (; ch + 4 <= c; ch += 4)
                {
                    Vector128<float> s = bias != null ? Vector128.Load(bias + ch) : Vector128<float>.Zero;
                    for (int ky = 0; ky < kh; ky++)
                    {
                        int iy = iy0 + ky * dh;
                        if ((uint)iy >= (uint)ih) continue;
                        for (int kx = 0; kx < kw; kx++)
                        {
                            int ix = ix0 + kx * dw;
                            if ((uint)ix >= (uint)iw) continue;
                            s = SimdMath.MultiplyAdd(Vector128.Load(x + ((long)iy * iw + ix) * c + ch), Vector128.Load(w + (long)(ky * kw + kx) * c + ch), s);
                        }
                    }
                    fused.Invoke(s).Store(yp + ch);
                }
            }
            for (; ch < c; ch++)
            {
                float s = bias != null ? bias[ch] : 0f;
                for (int ky = 0; ky < kh; ky++)
                {
                    int iy = iy0 + ky * dh;
                    if ((uint)iy >= (uint)ih) continue;
                    for (int kx = 0; kx < kw; kx++)
                    {
                        int ix = ix0 + kx * dw;
                        if ((uint)ix >= (uint)iw) continue;
                        s = SimdMath.MultiplyAdd(x[((long)iy * iw + ix) * c + ch], w[(long)(ky * kw + kx) * c + ch], s);
                    }
                }
                yp[ch] = fused.Invoke(s);
            }
        }
    }
}
