// Fuses an inverted-residual block's 1×1 expansion into the depthwise convolution that reads it, so the expanded
// tensor (the block's largest, e.g. 112×112×96) is computed a band of rows at a time and stays in cache instead of
// making a round trip through memory. Runs on the lowered program, before memory planning.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir;
using QuantGen.Plan;
using static QuantGen.Compiler.ProgramPasses.LoweredCalls;
using QuantGen.Compiler.Lowering;
using Buffer = QuantGen.Compiler.Lowering.Buffer;

namespace QuantGen.Compiler.ProgramPasses
{
    public static class ExpandDepthwiseFusion
    {
        // The (expansion, depthwise) kernel pairs that fuse: into ConvU8S8.ExpandDepthwise (FuseU8), ConvF32.ExpandDepthwise (FuseF32).
        private static readonly (string Expansion, string Depthwise, DataType Type)[] s_pairs =
        {
            ("ConvU8S8.Gemm", "ConvU8S8.Depthwise", DataType.UInt8),
            ("ConvF32.Gemm", "ConvF32.Depthwise", DataType.Float32),
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
                var kernels = s_pairs.FirstOrDefault(p => p.Expansion == expansion.Kernel && p.Depthwise == depthwise.Kernel);
                if (kernels.Expansion == null || !IsPlainPointwise(expansion)) continue;
                if (!(Get(expansion, "y") is Buffer mid) || !ReferenceEquals(Get(depthwise, "x"), mid)) continue;
                if (Int(expansion, "oc") != Int(depthwise, "c") || Int(expansion, "oh") != Int(depthwise, "ih") || Int(expansion, "ow") != Int(depthwise, "iw")) continue;
                // The expanded tensor must be a whole workspace buffer that only these two calls touch (batch 1).
                if (mid.Kind != BufferKind.Workspace || mid.ViewOf != null || readers[mid] != 2 || mid.Bytes < 2 * bandBytes) continue;

                program.Calls[i] = kernels.Type == DataType.UInt8 ? FuseU8(expansion, depthwise, program, mid, bandBytes) : FuseF32(expansion, depthwise, program, mid, bandBytes);
                program.Calls.RemoveAt(i + 1);
                program.Buffers.Remove(mid);
                fused++;
            }
            return fused;
        }

        private static KernelCall FuseU8(KernelCall e, KernelCall d, LoweredProgram program, Buffer mid, long bandBytes)
        {
            var call = new KernelCall("ConvU8S8.ExpandDepthwise", d.Source)
                .Arg("x", Get(e, "x")).Arg("we", Get(e, "w")).Arg("biasE", Get(e, "bias")).Arg("multiplierE", Get(e, "multiplier"))
                .Arg("shiftE", Get(e, "shift")).Arg("zpMid", Get(e, "zpOut")).Arg("qminE", Get(e, "qmin")).Arg("qmaxE", Get(e, "qmax"))
                .Arg("wd", Get(d, "w")).Arg("biasD", Get(d, "bias")).Arg("y", Get(d, "y")).Arg("multiplierD", Get(d, "multiplier")).Arg("shiftD", Get(d, "shift"));
            return Geometry(call, e, d, program, mid, bandBytes).Arg("zpOut", Get(d, "zpOut")).Arg("qmin", Get(d, "qmin")).Arg("qmax", Get(d, "qmax"));
        }

        private static KernelCall FuseF32(KernelCall e, KernelCall d, LoweredProgram program, Buffer mid, long bandBytes)
        {
            var call = new KernelCall("ConvF32.ExpandDepthwise", d.Source)
                .Arg("x", Get(e, "x")).Arg("we", Get(e, "w")).Arg("biasE", Get(e, "bias"))
                .Arg("actE", Get(e, "act")).Arg("alphaE", Get(e, "alpha")).Arg("betaE", Get(e, "beta"))
                .Arg("wd", Get(d, "w")).Arg("biasD", Get(d, "bias")).Arg("y", Get(d, "y"));
            return Geometry(call, e, d, program, mid, bandBytes).Arg("act", Get(d, "act")).Arg("alpha", Get(d, "alpha")).Arg("beta", Get(d, "beta"));
        }

        /// <summary>The band scratch and the shared geometry arguments, in the fused kernels' order.</summary>
        private static KernelCall Geometry(KernelCall call, KernelCall e, KernelCall d, LoweredProgram program, Buffer mid, long bandBytes)
        {
            long ih = Int(d, "ih"), iw = Int(d, "iw"), c = Int(d, "c");
            long bandRows = Kernels.FusedConvLayout.ExpandDepthwiseBandRows(ih, iw, c, Int(d, "kh"), Int(d, "sh"), Int(d, "dh"), DataTypes.SizeOf(mid.Type), bandBytes);
            var scratch = new Buffer(mid.Name + ".band", BufferKind.Workspace, mid.Type, bandRows * iw * c);
            program.Buffers.Add(scratch);
            call.Arg("scratch", scratch).Arg("bandRows", bandRows).Arg("ih", ih).Arg("iw", iw).Arg("ic", Int(e, "ic")).Arg("c", c);
            foreach (string name in new[] { "oh", "ow", "kh", "kw", "sh", "sw", "pt", "pl", "dh", "dw" }) call.Arg(name, Get(d, name));
            return call;
        }
    }
}
