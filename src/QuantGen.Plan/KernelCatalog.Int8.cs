// The integer (INT8) kernels of the catalog: uint8 activations, int8 per-channel weights, int32
// accumulation and fixed-point requantization that gives the same bits on every CPU.
using QuantGen.Kernels;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Plan
{
    // Numerics shared by every entry below (docs/int8-kernels.md has the full contract):
    // - Activations are uint8 with a zero point zp in [0, 255]; weights int8, symmetric per output channel, values in
    //   [-127, 127]; accumulation in int32 (wrapping). bias is int32 per output channel with the input zero point folded
    //   in at build time: bias' = bias − zpIn · Σ w over the channel's K weights (all taps, padding included).
    // - Per-channel requantization (Gemm, Conv): Rc(v, multiplier, shift) = (int)(((long)v * multiplier + 2^(shift − 1)) >> shift)
    //   (no rounding term for shift 0) with multiplier[o] in [0, 2^31) per output channel and one shift in [0, 62] per
    //   layer: real multiplier = multiplier · 2^−shift (QuantizationMath.QuantizeChannelMultipliers); one rounding, half up;
    //   the cast keeps the low 32 bits. An output is clamp(zpOut + Rc(acc, multiplier[o], shift), qmin, qmax) with zpOut + Rc
    //   in int32 arithmetic (QuantizationMath.RequantizeChannel); qmin/qmax (within [0, 255]) carry a fused Relu
    //   (qmin = zpOut) or ReLU6 (qmax = zpOut + round(6 / sOut)); use 0/255 for none.
    // - Per-tensor requantization (AddU8, GlobalAverage): R(v, multiplier, shift) = (int)(((long)v * multiplier +
    //   (1L << (30 + shift))) >> (31 + shift)), multiplier in [2^30, 2^31) (or 0), shift in [−30, 31]
    //   (QuantizationMath.QuantizeMultiplier / Requantize).
    // - Per-channel multiplier/bias are int32 tensors in the weights blob; tensor operands first, then ints, floats.
    public static partial class KernelCatalog
    {
        /// <summary>
        /// y[i] = clamp(round_half_even(x[i] * invScale) + zp, 0, 255) for i &lt; count (float multiply, never a divide;
        /// x[i] * invScale is clamped to ±4096 before rounding, which cannot change a result; NaN gives an unspecified byte).
        /// </summary>
        public static readonly KernelSignature QuantizeU8 = KernelSignature.Define("QuantizeU8", "QuantizationU8.Quantize")
            .F32(X).U8(Y.Written).Int(Count, Zp).Float(InvScale)
            .Extents(a => StepArguments.First(a.AtLeast(X, a[Count]), a.AtLeast(Y, a[Count])));

        /// <summary>
        /// Quantize after a folded per-feature affine map (input normalization): f = i % features (innermost axis),
        /// t = x[i] * a[f]; t = t + b[f] (two float roundings, never an FMA); y[i] = clamp(round_half_even(t) + zp, 0, 255).
        /// a holds gain / scale, b holds offset / scale (quantized units).
        /// </summary>
        public static readonly KernelSignature QuantizeAffineU8 = KernelSignature.Define("QuantizeAffineU8", "QuantizationU8.QuantizeAffine")
            .F32(X, A, B).U8(Y.Written).Int(Count, Features, Zp)
            .Extents(a => StepArguments.First(
                a.AtLeast(X, a[Count]),
                a.AtLeast(A, a[Features]),
                a.AtLeast(B, a[Features]),
                a.AtLeast(Y, a[Count])));

        /// <summary>y[i] = (float)(x[i] − zp) * scale for i &lt; count.</summary>
        public static readonly KernelSignature DequantizeU8 = KernelSignature.Define("DequantizeU8", "QuantizationU8.Dequantize")
            .U8(X).F32(Y.Written).Int(Count, Zp).Float(Scale)
            .Extents(a => StepArguments.First(a.AtLeast(X, a[Count]), a.AtLeast(Y, a[Count])));

        /// <summary>
        /// y[i, j] = clamp(zpOut + Rc(bias[j] + Σ_kk x[i, kk] · B[kk, j], multiplier[j], shift), qmin, qmax) for i &lt; m, j &lt; n;
        /// x u8 [m, k] row-major, w = B [k, n] int8 packed (GemmLayout.PackedU8S8Length), bias null = 0.
        /// </summary>
        public static readonly KernelSignature GemmU8S8 = KernelSignature.Define("GemmU8S8", "GemmU8S8.Run")
            .U8(X).S8(W).I32(Bias.Optional).U8(Y.Written).I32(Multipliers).Int(Shift, M, N, K, ZpOut, Qmin, Qmax)
            .Extents(a => StepArguments.First(
                a.AtLeast(X, a[M] * a[K]),
                a.AtLeast(W, GemmLayout.PackedU8S8Length(a[N], a[K])),
                a.AtLeast(Bias, a[N]),
                a.AtLeast(Y, a[M] * a[N]),
                a.AtLeast(Multipliers, a[N])));

        /// <summary>
        /// The same product written as float, for a last layer whose consumer is float (logits before Softmax, a graph
        /// output): y[i, j] = (float)(bias[j] + Σ_kk x[i, kk] · B[kk, j]) * scale[j], scale[j] = sIn · sW[j].
        /// </summary>
        public static readonly KernelSignature GemmU8S8Float = KernelSignature.Define("GemmU8S8.Float", "GemmU8S8.RunFloat")
            .U8(X).S8(W).I32(Bias.Optional).F32(Y.Written, Scales).Int(M, N, K)
            .Extents(a => StepArguments.First(
                a.AtLeast(X, a[M] * a[K]),
                a.AtLeast(W, GemmLayout.PackedU8S8Length(a[N], a[K])),
                a.AtLeast(Bias, a[N]),
                a.AtLeast(Y, a[M] * a[N]),
                a.AtLeast(Scales, a[N])));

        /// <summary>
        /// Int8Dynamic: quantize x with parameters measured from x on this call (range including 0, scale = range / 255,
        /// zp = round_half_even(−lo / scale)); qparams[0] = scale, qparams[1] = zp (as floats).
        /// </summary>
        public static readonly KernelSignature QuantizeDynamicU8 = KernelSignature.Define("QuantizeDynamicU8", "DynamicQuantization.Quantize")
            .F32(X).U8(Y.Written).F32(QParams.Written).Int(Count)
            .Extents(a => StepArguments.First(a.AtLeast(X, a[Count]), a.AtLeast(Y, a[Count]), a.AtLeast(QParams, 2)));

        /// <summary>
        /// Int8Dynamic: per-call bias and scale of GemmU8S8.Float from qparams: scaleOut[j] = sIn · weightScale[j],
        /// biasOut[j] = round_half_even(bias[j] / scaleOut[j]) − zp · columnSums[j] (bias null = 0).
        /// </summary>
        public static readonly KernelSignature PrepareGemmDynamic = KernelSignature.Define("PrepareGemmDynamic", "DynamicQuantization.PrepareGemm")
            .F32(QParams).I32(ColumnSums).F32(WeightScale, Bias.Optional).I32(BiasOut.Written).F32(ScaleOut.Written).Int(N)
            .Extents(a => StepArguments.First(
                a.AtLeast(QParams, 2),
                a.AtLeast(ColumnSums, a[N]),
                a.AtLeast(WeightScale, a[N]),
                a.AtLeast(Bias, a[N]),
                a.AtLeast(BiasOut, a[N]),
                a.AtLeast(ScaleOut, a[N])));

        /// <summary>
        /// NHWC convolution through im2col (u8 scratch, padding taps = zpIn) and GemmU8S8, per group g: B_g [K, ocg], K ordered
        /// (ky, kx, ci), packed at byte offset g * GemmLayout.PackedU8S8Length(ocg, K); y[.., o] = clamp(zpOut + Rc(bias[o] +
        /// Σ x·w, multiplier[o], shift), qmin, qmax). scratch may be null when ConvLayout.ScratchU8Length = 0.
        /// </summary>
        public static readonly KernelSignature ConvU8S8Gemm = KernelSignature.Define("ConvU8S8.Gemm")
            .U8(X).S8(W).I32(Bias.Optional).U8(Y.Written).I32(Multipliers).Int(Shift).U8(Scratch.Optional.Written)
            .Int(Ih, Iw, Ic, Oh, Ow, Oc, Kh, Kw, Sh, Sw, Pt, Pl, Pb, Pr, Dh, Dw, Group, ZpIn, ZpOut, Qmin, Qmax)
            .Extents(a => StepArguments.First(
                a.AtLeast(X, a[Ih] * a[Iw] * a[Ic]),
                a.AtLeast(W, a[Group] * GemmLayout.PackedU8S8Length(a[Oc] / a[Group], a[Kh] * a[Kw] * a[Ic] / a[Group])),
                a.AtLeast(Bias, a[Oc]),
                a.AtLeast(Y, a[Oh] * a[Ow] * a[Oc]),
                a.AtLeast(Multipliers, a[Oc]),
                a.AtLeast(Scratch, ConvLayout.ScratchU8Length(a[Oh], a[Ow], a[Kh], a[Kw], a[Sh], a[Sw], a[Pt], a[Pl], a[Pb], a[Pr], a[Ic] / a[Group], a[Group]))));

        /// <summary>
        /// NHWC depthwise convolution (group == ic == oc); w is int8 in tap pairs (ConvLayout.DepthwiseU8S8Index, kh*kw*c
        /// bytes); taps in the padding read zpIn; y[.., ch] = clamp(zpOut + Rc(bias[ch] + Σ x·w, multiplier[ch], shift), qmin, qmax).
        /// </summary>
        public static readonly KernelSignature ConvU8S8Depthwise = KernelSignature.Define("ConvU8S8.Depthwise")
            .U8(X).S8(W).I32(Bias.Optional).U8(Y.Written).I32(Multipliers).Int(Shift)
            .Int(Ih, Iw, C, Oh, Ow, Kh, Kw, Sh, Sw, Pt, Pl, Dh, Dw, ZpIn, ZpOut, Qmin, Qmax)
            .Extents(a => StepArguments.First(
                a.AtLeast(X, a[Ih] * a[Iw] * a[C]),
                a.AtLeast(W, a[Kh] * a[Kw] * a[C]),
                a.AtLeast(Bias, a[C]),
                a.AtLeast(Y, a[Oh] * a[Ow] * a[C]),
                a.AtLeast(Multipliers, a[C])));

        /// <summary>
        /// A 1×1 expansion then a depthwise convolution, fused: mid = GemmU8S8(x [ih·iw, ic], we, biasE, multiplierE, shiftE,
        /// zpMid, qminE, qmaxE) [ih, iw, c]; y = ConvU8S8.Depthwise(mid, wd, biasD, multiplierD, shiftD, zpIn = zpMid). mid is
        /// computed bandRows rows at a time into scratch (bandRows · iw · c bytes), so it never exists whole; the bytes are
        /// those of the two kernels run one after the other.
        /// </summary>
        public static readonly KernelSignature ConvU8S8ExpandDepthwise = KernelSignature.Define("ConvU8S8.ExpandDepthwise")
            .U8(X).S8(We).I32(BiasE.Optional, MultipliersE).Int(ShiftE, ZpMid, QminE, QmaxE)
            .S8(Wd).I32(BiasD.Optional).U8(Y.Written).I32(MultipliersD).Int(ShiftD).U8(Scratch.Written).Int(BandRows)
            .Int(Ih, Iw, Ic, C, Oh, Ow, Kh, Kw, Sh, Sw, Pt, Pl, Dh, Dw, ZpOut, Qmin, Qmax)
            .Extents(a => StepArguments.First(
                ExpandDepthwiseBandCheck(a[BandRows], a[Kh], a[Dh], a[Sh]),
                a.AtLeast(X, a[Ih] * a[Iw] * a[Ic]),
                a.AtLeast(We, GemmLayout.PackedU8S8Length(a[C], a[Ic])),
                a.AtLeast(BiasE, a[C]),
                a.AtLeast(MultipliersE, a[C]),
                a.AtLeast(Wd, a[Kh] * a[Kw] * a[C]),
                a.AtLeast(BiasD, a[C]),
                a.AtLeast(Y, a[Oh] * a[Ow] * a[C]),
                a.AtLeast(MultipliersD, a[C]),
                a.AtLeast(Scratch, a[BandRows] * a[Iw] * a[C])));

        /// <summary>
        /// A plain 1×1 convolution with a residual added: mid = GemmU8S8(x [pixels, ic], w, bias, multiplier, shift, zpMid,
        /// qminMid, qmaxMid); y = AddU8(mid with zpMid, midMultiplier, midShift; r with rZp, rMultiplier, rShift) into zpOut,
        /// yMultiplier, yShift, qmin, qmax. The bytes of ConvU8S8.Gemm then AddU8; y must not overlap x or r.
        /// </summary>
        public static readonly KernelSignature ConvU8S8PointwiseAdd = KernelSignature.Define("ConvU8S8.PointwiseAdd")
            .U8(X).S8(W).I32(Bias.Optional, Multipliers).Int(Shift, ZpMid, QminMid, QmaxMid)
            .U8(R, Y.Written).Int(Pixels, Ic, Oc, MidMultiplier, MidShift, RZp, RMultiplier, RShift, ZpOut, YMultiplier, YShift, Qmin, Qmax)
            .Extents(a => StepArguments.First(
                a.AtLeast(X, a[Pixels] * a[Ic]),
                a.AtLeast(W, GemmLayout.PackedU8S8Length(a[Oc], a[Ic])),
                a.AtLeast(Bias, a[Oc]),
                a.AtLeast(Multipliers, a[Oc]),
                a.AtLeast(R, a[Pixels] * a[Oc]),
                a.AtLeast(Y, a[Pixels] * a[Oc])));

        /// <summary>
        /// Residual add of two same-shape u8 tensors (TFLite style, left shift 20):
        ///   y[i] = clamp(yZp + R(R((a[i] − aZp) &lt;&lt; 20, aMultiplier, aShift) + R((b[i] − bZp) &lt;&lt; 20, bMultiplier, bShift),
        ///                        yMultiplier, yShift), qmin, qmax)
        /// with real multipliers sA / (2·max(sA, sB)), sB / (2·max(sA, sB)) and 2·max(sA, sB) / (2^20 · sY).
        /// </summary>
        public static readonly KernelSignature AddU8 = KernelSignature.Define("AddU8", "ElementwiseU8.Add")
            .U8(A, B, Y.Written).Int(Count, AZp, AMultiplier, AShift, BZp, BMultiplier, BShift, YZp, YMultiplier, YShift, Qmin, Qmax)
            .Extents(a => StepArguments.First(a.AtLeast(A, a[Count]), a.AtLeast(B, a[Count]), a.AtLeast(Y, a[Count])));

        /// <summary>
        /// y[ch] = clamp(zpOut + R(Σ_{i &lt; hw} x[i, ch] − hw · zpIn, multiplier, shift), 0, 255) (NHWC); real multiplier
        /// sIn / (hw · sOut).
        /// </summary>
        public static readonly KernelSignature PoolU8GlobalAverage = KernelSignature.Define("PoolU8.GlobalAverage")
            .U8(X, Y.Written).Int(Hw, C, ZpIn, ZpOut, Multiplier, Shift)
            .Extents(a => StepArguments.First(a.AtLeast(X, a[Hw] * a[C]), a.AtLeast(Y, a[C])));

        /// <summary>
        /// NHWC max pooling on u8 (input and output share scale and zero point): plain byte max over each window, positions
        /// outside the input skipped (never read); an empty window gives 0.
        /// </summary>
        public static readonly KernelSignature PoolU8Max = KernelSignature.Define("PoolU8.Max")
            .U8(X, Y.Written).Int(Ih, Iw, C, Oh, Ow, Kh, Kw, Sh, Sw, Pt, Pl, Dh, Dw)
            .Extents(PoolExtents);
    }
}
