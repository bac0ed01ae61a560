// The integer (INT8) kernels of the catalog: uint8 activations, int8 per-channel weights, int32
// accumulation and fixed-point requantization that gives the same bits on every CPU.
using System.Collections.Generic;

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
        /// <summary>Columns per packed GemmU8S8 panel.</summary>
        public const int GemmU8S8PanelWidth = 16;

        /// <summary>
        /// Bytes of an int8 B matrix [k, n] packed for GemmU8S8: ceil(n / 16) panels of ceil(k / 4) k-quads; quad q of
        /// panel p starts at byte (p · ceil(k / 4) + q) · 64 and holds, for columns j = 0..15, the 4 bytes
        /// B[4q..4q+3, 16p + j] at offset 4 · <see cref="GemmU8S8Slot"/>(j) (zero past k and past n).
        /// </summary>
        public static long PackedGemmU8S8Length(long n, long k) =>
            (n + GemmU8S8PanelWidth - 1) / GemmU8S8PanelWidth * GemmU8S8PanelWidth * ((k + 3) / 4 * 4);

        /// <summary>
        /// The slot of panel column j (0..15) inside a packed k-quad: bits 1 and 2 of j swapped, so each 8-column half holds
        /// columns 0, 1, 4, 5, 2, 3, 6, 7. The AVX2 kernel's vphaddd then yields the columns in order, with no cross-lane
        /// permute per tile row.
        /// </summary>
        public static int GemmU8S8Slot(int j) => (j & ~6) | ((j & 2) << 1) | ((j & 4) >> 1);

        /// <summary>
        /// Where ConvU8S8.Depthwise reads the weight of tap t (= ky · kw + kx) for channel ch: taps (2p, 2p + 1) as pairs
        /// [p][c][2] (each channel's two weights adjacent, the vpmaddwd operand order), then an odd last tap as [c].
        /// </summary>
        public static long DepthwiseU8S8Index(int t, int ch, int taps, int c) =>
            t < (taps & ~1) ? ((long)(t >> 1) * c + ch) * 2 + (t & 1) : (long)(taps - 1) * c + ch;

        /// <summary>
        /// Bytes of im2col scratch ConvU8S8.Gemm needs: one block of whole 4-row tiles (ConvU8S8.Im2ColBlockRows), at most
        /// all output pixels; none for a plain 1×1, stride-1, unpadded, ungrouped convolution.
        /// </summary>
        public static long ConvU8S8ScratchLength(long oh, long ow, long kh, long kw, long sh, long sw, long pt, long pl, long pb, long pr, long icPerGroup, long group) =>
            Im2ColScratchLength(oh, ow, kh, kw, sh, sw, pt, pl, pb, pr, icPerGroup, group, tileRows: 4);

        private static KernelParameter U8(string name, bool optional = false) => T(name, PlanElementType.UInt8, optional);

        private static KernelParameter S8(string name) => T(name, PlanElementType.Int8);

        private static KernelParameter I32(string name, bool optional = false) => T(name, PlanElementType.Int32, optional);

        private static IEnumerable<KernelSignature> Int8Kernels()
        {
            // y[i] = clamp(round_half_even(x[i] * invScale) + zp, 0, 255) for i < count (float multiply, never a divide;
            // x[i] * invScale is clamped to ±4096 before rounding, which cannot change a result; NaN gives an unspecified byte).
            yield return new KernelSignature("QuantizeU8", "QuantizationU8.Quantize", false,
                new[] { T("x"), U8("y").Writes(), I("count"), I("zp"), F("invScale") },
                a => StepArguments.First(a.AtLeast("x", a.Int("count")), a.AtLeast("y", a.Int("count"))));

            // Quantize after a folded per-feature affine map (input normalization): f = i % features (innermost axis),
            // t = x[i] * a[f]; t = t + b[f] (two float roundings, never an FMA); y[i] = clamp(round_half_even(t) + zp, 0, 255).
            // a holds gain / scale, b holds offset / scale (quantized units).
            yield return new KernelSignature("QuantizeAffineU8", "QuantizationU8.QuantizeAffine", false,
                new[] { T("x"), T("a"), T("b"), U8("y").Writes(), I("count"), I("features"), I("zp") },
                a => StepArguments.First(
                    a.AtLeast("x", a.Int("count")),
                    a.AtLeast("a", a.Int("features")),
                    a.AtLeast("b", a.Int("features")),
                    a.AtLeast("y", a.Int("count"))));

            // y[i] = (float)(x[i] − zp) * scale for i < count.
            yield return new KernelSignature("DequantizeU8", "QuantizationU8.Dequantize", false,
                new[] { U8("x"), T("y").Writes(), I("count"), I("zp"), F("scale") },
                a => StepArguments.First(a.AtLeast("x", a.Int("count")), a.AtLeast("y", a.Int("count"))));

            // y[i, j] = clamp(zpOut + Rc(bias[j] + Σ_kk x[i, kk] · B[kk, j], multiplier[j], shift), qmin, qmax) for
            // i < m, j < n; x u8 [m, k] row-major, w = B [k, n] int8 packed (PackedGemmU8S8Length), bias null = 0.
            yield return new KernelSignature("GemmU8S8", "GemmU8S8.Run", false,
                new[] { U8("x"), S8("w"), I32("bias", optional: true), U8("y").Writes(), I32("multiplier"), I("shift"),
                        I("m"), I("n"), I("k"), I("zpOut"), I("qmin"), I("qmax") },
                a => StepArguments.First(
                    a.AtLeast("x", a.Int("m") * a.Int("k")),
                    a.AtLeast("w", PackedGemmU8S8Length(a.Int("n"), a.Int("k"))),
                    a.AtLeast("bias", a.Int("n")),
                    a.AtLeast("y", a.Int("m") * a.Int("n")),
                    a.AtLeast("multiplier", a.Int("n"))));

            // The same product written as float, for a last layer whose consumer is float (logits before Softmax, a graph
            // output): y[i, j] = (float)(bias[j] + Σ_kk x[i, kk] · B[kk, j]) * scale[j], scale[j] = sIn · sW[j].
            yield return new KernelSignature("GemmU8S8.Float", "GemmU8S8.RunFloat", false,
                new[] { U8("x"), S8("w"), I32("bias", optional: true), T("y").Writes(), T("scale"), I("m"), I("n"), I("k") },
                a => StepArguments.First(
                    a.AtLeast("x", a.Int("m") * a.Int("k")),
                    a.AtLeast("w", PackedGemmU8S8Length(a.Int("n"), a.Int("k"))),
                    a.AtLeast("bias", a.Int("n")),
                    a.AtLeast("y", a.Int("m") * a.Int("n")),
                    a.AtLeast("scale", a.Int("n"))));

            // Int8Dynamic: quantize x with parameters measured from x on this call (range including 0, scale = range / 255,
            // zp = round_half_even(−lo / scale)); qparams[0] = scale, qparams[1] = zp (as floats).
            yield return new KernelSignature("QuantizeDynamicU8", "DynamicQuantization.Quantize", false,
                new[] { T("x"), U8("y").Writes(), T("qparams").Writes(), I("count") },
                a => StepArguments.First(a.AtLeast("x", a.Int("count")), a.AtLeast("y", a.Int("count")), a.AtLeast("qparams", 2)));

            // Int8Dynamic: per-call bias and scale of GemmU8S8.Float from qparams: scaleOut[j] = sIn · weightScale[j],
            // biasOut[j] = round_half_even(bias[j] / scaleOut[j]) − zp · columnSums[j] (bias null = 0).
            yield return new KernelSignature("PrepareGemmDynamic", "DynamicQuantization.PrepareGemm", false,
                new[] { T("qparams"), I32("columnSums"), T("weightScale"), T("bias", optional: true), I32("biasOut").Writes(), T("scaleOut").Writes(), I("n") },
                a => StepArguments.First(
                    a.AtLeast("qparams", 2),
                    a.AtLeast("columnSums", a.Int("n")),
                    a.AtLeast("weightScale", a.Int("n")),
                    a.AtLeast("bias", a.Int("n")),
                    a.AtLeast("biasOut", a.Int("n")),
                    a.AtLeast("scaleOut", a.Int("n"))));

            // NHWC convolution through im2col (u8 scratch, padding taps = zpIn) and GemmU8S8, per group g: B_g [K, ocg],
            // K ordered (ky, kx, ci), packed at byte offset g * PackedGemmU8S8Length(ocg, K); y[.., o] = clamp(zpOut +
            // Rc(bias[o] + Σ x·w, multiplier[o], shift), qmin, qmax). scratch may be null when ConvU8S8ScratchLength = 0.
            yield return new KernelSignature("ConvU8S8.Gemm", "ConvU8S8.Gemm", false,
                new[] { U8("x"), S8("w"), I32("bias", optional: true), U8("y").Writes(), I32("multiplier"), I("shift"), U8("scratch", optional: true).Writes(),
                        I("ih"), I("iw"), I("ic"), I("oh"), I("ow"), I("oc"), I("kh"), I("kw"), I("sh"), I("sw"),
                        I("pt"), I("pl"), I("pb"), I("pr"), I("dh"), I("dw"), I("group"), I("zpIn"), I("zpOut"), I("qmin"), I("qmax") },
                a => StepArguments.First(
                    a.AtLeast("x", a.Int("ih") * a.Int("iw") * a.Int("ic")),
                    a.AtLeast("w", a.Int("group") * PackedGemmU8S8Length(a.Int("oc") / a.Int("group"), a.Int("kh") * a.Int("kw") * a.Int("ic") / a.Int("group"))),
                    a.AtLeast("bias", a.Int("oc")),
                    a.AtLeast("y", a.Int("oh") * a.Int("ow") * a.Int("oc")),
                    a.AtLeast("multiplier", a.Int("oc")),
                    a.AtLeast("scratch", ConvU8S8ScratchLength(a.Int("oh"), a.Int("ow"), a.Int("kh"), a.Int("kw"), a.Int("sh"), a.Int("sw"),
                        a.Int("pt"), a.Int("pl"), a.Int("pb"), a.Int("pr"), a.Int("ic") / a.Int("group"), a.Int("group")))));

            // NHWC depthwise convolution (group == ic == oc); w is int8 in tap pairs (DepthwiseU8S8Index, kh*kw*c bytes);
            // taps in the padding read zpIn; y[.., ch] = clamp(zpOut + Rc(bias[ch] + Σ x·w, multiplier[ch], shift), qmin, qmax).
            yield return new KernelSignature("ConvU8S8.Depthwise", "ConvU8S8.Depthwise", false,
                new[] { U8("x"), S8("w"), I32("bias", optional: true), U8("y").Writes(), I32("multiplier"), I("shift"),
                        I("ih"), I("iw"), I("c"), I("oh"), I("ow"), I("kh"), I("kw"), I("sh"), I("sw"),
                        I("pt"), I("pl"), I("dh"), I("dw"), I("zpIn"), I("zpOut"), I("qmin"), I("qmax") },
                a => StepArguments.First(
                    a.AtLeast("x", a.Int("ih") * a.Int("iw") * a.Int("c")),
                    a.AtLeast("w", a.Int("kh") * a.Int("kw") * a.Int("c")),
                    a.AtLeast("bias", a.Int("c")),
                    a.AtLeast("y", a.Int("oh") * a.Int("ow") * a.Int("c")),
                    a.AtLeast("multiplier", a.Int("c"))));

            // A 1×1 expansion then a depthwise convolution, fused: mid = GemmU8S8(x [ih·iw, ic], we, biasE, multiplierE,
            // shiftE, zpMid, qminE, qmaxE) [ih, iw, c]; y = ConvU8S8.Depthwise(mid, wd, biasD, multiplierD, shiftD, zpIn = zpMid).
            // mid is computed bandRows rows at a time into scratch (bandRows · iw · c bytes), so it never exists whole; the
            // bytes are those of the two kernels run one after the other.
            yield return new KernelSignature("ConvU8S8.ExpandDepthwise", "ConvU8S8.ExpandDepthwise", false,
                new[] { U8("x"), S8("we"), I32("biasE", optional: true), I32("multiplierE"), I("shiftE"), I("zpMid"), I("qminE"), I("qmaxE"),
                        S8("wd"), I32("biasD", optional: true), U8("y").Writes(), I32("multiplierD"), I("shiftD"), U8("scratch").Writes(), I("bandRows"),
                        I("ih"), I("iw"), I("ic"), I("c"), I("oh"), I("ow"), I("kh"), I("kw"), I("sh"), I("sw"),
                        I("pt"), I("pl"), I("dh"), I("dw"), I("zpOut"), I("qmin"), I("qmax") },
                a => StepArguments.First(
                    ExpandDepthwiseBandCheck(a.Int("bandRows"), a.Int("kh"), a.Int("dh"), a.Int("sh")),
                    a.AtLeast("x", a.Int("ih") * a.Int("iw") * a.Int("ic")),
                    a.AtLeast("we", PackedGemmU8S8Length(a.Int("c"), a.Int("ic"))),
                    a.AtLeast("biasE", a.Int("c")),
                    a.AtLeast("multiplierE", a.Int("c")),
                    a.AtLeast("wd", a.Int("kh") * a.Int("kw") * a.Int("c")),
                    a.AtLeast("biasD", a.Int("c")),
                    a.AtLeast("y", a.Int("oh") * a.Int("ow") * a.Int("c")),
                    a.AtLeast("multiplierD", a.Int("c")),
                    a.AtLeast("scratch", a.Int("bandRows") * a.Int("iw") * a.Int("c"))));

            // A plain 1×1 convolution with a residual added: mid = GemmU8S8(x [pixels, ic], w, bias, multiplier, shift, zpMid,
            // qminMid, qmaxMid); y = AddU8(mid with zpMid, midMultiplier, midShift; r with rZp, rMultiplier, rShift) into zpOut,
            // yMultiplier, yShift, qmin, qmax. The bytes of ConvU8S8.Gemm then AddU8; y must not overlap x or r.
            yield return new KernelSignature("ConvU8S8.PointwiseAdd", "ConvU8S8.PointwiseAdd", false,
                new[] { U8("x"), S8("w"), I32("bias", optional: true), I32("multiplier"), I("shift"), I("zpMid"), I("qminMid"), I("qmaxMid"),
                        U8("r"), U8("y").Writes(), I("pixels"), I("ic"), I("oc"), I("midMultiplier"), I("midShift"), I("rZp"), I("rMultiplier"), I("rShift"),
                        I("zpOut"), I("yMultiplier"), I("yShift"), I("qmin"), I("qmax") },
                a => StepArguments.First(
                    a.AtLeast("x", a.Int("pixels") * a.Int("ic")),
                    a.AtLeast("w", PackedGemmU8S8Length(a.Int("oc"), a.Int("ic"))),
                    a.AtLeast("bias", a.Int("oc")),
                    a.AtLeast("multiplier", a.Int("oc")),
                    a.AtLeast("r", a.Int("pixels") * a.Int("oc")),
                    a.AtLeast("y", a.Int("pixels") * a.Int("oc"))));

            // Residual add of two same-shape u8 tensors (TFLite style, left shift 20):
            //   y[i] = clamp(yZp + R(R((a[i] − aZp) << 20, aMultiplier, aShift) + R((b[i] − bZp) << 20, bMultiplier, bShift),
            //                        yMultiplier, yShift), qmin, qmax)
            // with real multipliers sA / (2·max(sA, sB)), sB / (2·max(sA, sB)) and 2·max(sA, sB) / (2^20 · sY).
            yield return new KernelSignature("AddU8", "ElementwiseU8.Add", false,
                new[] { U8("a"), U8("b"), U8("y").Writes(), I("count"), I("aZp"), I("aMultiplier"), I("aShift"), I("bZp"), I("bMultiplier"), I("bShift"),
                        I("yZp"), I("yMultiplier"), I("yShift"), I("qmin"), I("qmax") },
                a => StepArguments.First(a.AtLeast("a", a.Int("count")), a.AtLeast("b", a.Int("count")), a.AtLeast("y", a.Int("count"))));

            // y[ch] = clamp(zpOut + R(Σ_{i < hw} x[i, ch] − hw · zpIn, multiplier, shift), 0, 255) (NHWC); real multiplier
            // sIn / (hw · sOut).
            yield return new KernelSignature("PoolU8.GlobalAverage", "PoolU8.GlobalAverage", false,
                new[] { U8("x"), U8("y").Writes(), I("hw"), I("c"), I("zpIn"), I("zpOut"), I("multiplier"), I("shift") },
                a => StepArguments.First(a.AtLeast("x", a.Int("hw") * a.Int("c")), a.AtLeast("y", a.Int("c"))));

            // NHWC max pooling on u8 (input and output share scale and zero point): plain byte max over each window,
            // positions outside the input skipped (never read); an empty window gives 0.
            yield return new KernelSignature("PoolU8.Max", "PoolU8.Max", false,
                new[] { U8("x"), U8("y").Writes(), I("ih"), I("iw"), I("c"), I("oh"), I("ow"), I("kh"), I("kw"), I("sh"), I("sw"), I("pt"), I("pl"), I("dh"), I("dw") },
                a => StepArguments.First(
                    a.AtLeast("x", a.Int("ih") * a.Int("iw") * a.Int("c")),
                    a.AtLeast("y", a.Int("oh") * a.Int("ow") * a.Int("c"))));
        }
    }
}
