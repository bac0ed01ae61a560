// Fuses an inverted-residual block's 1×1 expansion into the depthwise convolution that reads it, so the expanded
// tensor (the block's largest, e.g. 112×112×96) is computed a band of rows at a time and stays in cache instead of
// making a round trip through memory. Runs on the lowered program, before memory planning.
using System.Collections.Generic;
using System.Linq;
using System;
using QuantGen.Compiler.Lowering;
using QuantGen.Ir;
using QuantGen.Kernels;
using QuantGen.Plan;
using static QuantGen.Compiler.ProgramPasses.LoweredCalls;
using static QuantGen.Plan.KernelCatalog;
using static QuantGen.Plan.KernelParameters;
using Buffer = QuantGen.Compiler.Lowering.Buffer;

namespace QuantGen.Compiler.ProgramPasses
{
    public static class ExpandDepthwiseFusion
    {
        // The (expansion, depthwise) kernel pairs that fuse, and the fused kernel.
        private static readonly (KernelSignature Expansion, KernelSignature Depthwise, KernelSignature Fused)[] s_pairs =
        {
            (ConvU8S8Gemm, ConvU8S8Depthwise, ConvU8S8ExpandDepthwise),
            (ConvF32Gemm, ConvF32Depthwise, ConvF32ExpandDepthwise),
        };

        /// <summary>
        /// Replaces every fusable (1×1 expansion, depthwise) pair of adjacent calls by one fused call whose scratch holds
        /// about <paramref name="bandBytes"/> of expanded rows; returns how many. An expanded tensor smaller than two
        /// bands stays whole (it fits in cache anyway, and a band loop would only add calls); 0 turns fusion off.
        /// </summary>
        public static int Apply(LoweredProgram program, long bandBytes)
        {
            if (bandBytes <= 0) return 0;
            var readers = LoweredCalls.CountUses(program);
            int fused = 0;
            for (int i = 0; i + 1 < program.Calls.Count; i++)
            {
                var expansion = program.Calls[i];
                var depthwise = program.Calls[i + 1];
                var kernels = s_pairs.FirstOrDefault(p => p.Expansion == expansion.Signature && p.Depthwise == depthwise.Signature);
                if (kernels.Fused == null || !IsPlainPointwise(expansion)) continue;
                if (!(expansion.Get(Y) is Buffer mid) || !ReferenceEquals(depthwise.Get(X), mid)) continue;
                if (expansion.Get(Oc) != depthwise.Get(C) || expansion.Get(Oh) != depthwise.Get(Ih) || expansion.Get(Ow) != depthwise.Get(Iw)) continue;
                // The expanded tensor must be a whole workspace buffer that only these two calls touch (batch 1).
                if (mid.Kind != BufferKind.Workspace || mid.ViewOf != null || readers[mid] != 2 || mid.Bytes < 2 * bandBytes) continue;

                var call = new KernelCall(kernels.Fused, depthwise.Source);
                if (kernels.Fused == ConvU8S8ExpandDepthwise) FuseU8(call, expansion, depthwise);
                else FuseF32(call, expansion, depthwise);
                ReplacePair(program, i, Geometry(call, expansion, depthwise, program, mid, bandBytes), mid);
                fused++;
            }
            return fused;
        }

        private static void FuseU8(KernelCall call, KernelCall e, KernelCall d) =>
            call.Set(X, e.Get(X)).Set(We, e.Get(W)).Set(BiasE, e.Get(Bias)).Set(MultipliersE, e.Get(Multipliers))
                .Set(ShiftE, e.Get(Shift)).Set(ZpMid, e.Get(ZpOut)).Set(QminE, e.Get(Qmin)).Set(QmaxE, e.Get(Qmax))
                .Set(Wd, d.Get(W)).Set(BiasD, d.Get(Bias)).Set(Y, d.Get(Y)).Set(MultipliersD, d.Get(Multipliers)).Set(ShiftD, d.Get(Shift))
                .Set(ZpOut, d.Get(ZpOut)).Set(Qmin, d.Get(Qmin)).Set(Qmax, d.Get(Qmax));

        private static void FuseF32(KernelCall call, KernelCall e, KernelCall d) =>
            call.Set(X, e.Get(X)).Set(We, e.Get(W)).Set(BiasE, e.Get(Bias))
                .Set(ActE, e.Get(Act)).Set(AlphaE, e.Get(Alpha)).Set(BetaE, e.Get(Beta))
                .Set(Wd, d.Get(W)).Set(BiasD, d.Get(Bias)).Set(Y, d.Get(Y))
                .Set(Act, d.Get(Act)).Set(Alpha, d.Get(Alpha)).Set(Beta, d.Get(Beta));

        /// <summary>The band scratch and the shared geometry arguments.</summary>
        private static KernelCall Geometry(KernelCall call, KernelCall e, KernelCall d, LoweredProgram program, Buffer mid, long bandBytes)
        {
            long ih = d.Get(Ih), iw = d.Get(Iw), c = d.Get(C);
            long bandRows = FusedConvLayout.ExpandDepthwiseBandRows(ih, iw, c, d.Get(Kh), d.Get(Sh), d.Get(Dh), DataTypes.SizeOf(mid.Type), bandBytes);
            var scratch = new Buffer(mid.Name + ".band", BufferKind.Workspace, mid.Type, bandRows * iw * c);
            program.Buffers.Add(scratch);
            call.Set(Scratch, scratch).Set(BandRows, bandRows).Set(Ih, ih).Set(Iw, iw).Set(Ic, e.Get(Ic)).Set(C, c);
            foreach (var key in new[] { Oh, Ow, Kh, Kw, Sh, Sw, Pt, Pl, Dh, Dw }) call.Set(key, d.Get(key));
            return call;
        }
    }
}
