// What follows a GEMM moves into its epilogue, where the output tile is still in L1:
//  - the bias row: a linear layer as exporters write it for rank-3 inputs (MatMul by a constant matrix, then Add of a
//    constant row: every projection of a transformer, PyTorch's nn.Linear on [batch, tokens, features]) lowers to a GEMM
//    and a broadcast Add over its whole output; the row becomes the GEMM's own bias (GemmF32's, or the Int8Dynamic
//    finish step's);
//  - then an activation of any kind over the float GEMM's output (GELU after the feed-forward layer's bias): GemmF32
//    applies it tile by tile with the same ActivationMath the separate step runs (the graph's activation fusion takes
//    only those a bias-less producer's epilogue clamps, as the INT8 kernels need).
// Each removes a pass over the output. Runs on the lowered program, so the graph, the reference evaluator and the QDQ
// export keep ONNX's MatMul, Add and activation.
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Lowering;
using static QuantGen.Compiler.ProgramPasses.LoweredCalls;
using static QuantGen.Plan.KernelCatalog;
using static QuantGen.Plan.KernelParameters;
using Buffer = QuantGen.Compiler.Lowering.Buffer;

namespace QuantGen.Compiler.ProgramPasses
{
    public static class GemmEpilogueFusion
    {
        /// <summary>Moves every bias row, then every activation, that follows a GEMM into it; returns how many steps it removed.</summary>
        public static int Apply(LoweredProgram program) => FusePairs(program, TryBiasRow) + FusePairs(program, TryActivation);

        /// <summary>Whether call i took in call i + 1 (then rewritten in place; buffers it no longer needs go in dropped).</summary>
        private delegate bool PairFusion(LoweredProgram program, int i, Dictionary<Buffer, int> uses, HashSet<Buffer> dropped);

        /// <summary>
        /// Tries each adjacent pair; the fused followers and dropped buffers leave in one pass at the end, so the pass is
        /// linear in the program. Uses are counted once: a fusion only drops the GEMM's output, which no later pair shares.
        /// </summary>
        private static int FusePairs(LoweredProgram program, PairFusion fuse)
        {
            var uses = CountUses(program);
            var removed = new HashSet<KernelCall>();
            var dropped = new HashSet<Buffer>();
            for (int i = 0; i + 1 < program.Calls.Count; i++)
            {
                if (!fuse(program, i, uses, dropped)) continue;
                program.Calls[i].Validate();
                removed.Add(program.Calls[i + 1]);
                i++;
            }
            if (removed.Count > 0) program.Calls.RemoveAll(removed.Contains);
            if (dropped.Count > 0) program.Buffers.RemoveAll(dropped.Contains);
            return removed.Count;
        }

        /// <summary>(bias-less GEMM, Add of a constant row to its output) → the GEMM with that bias.</summary>
        private static bool TryBiasRow(LoweredProgram program, int i, Dictionary<Buffer, int> uses, HashSet<Buffer> dropped)
        {
            var gemm = program.Calls[i];
            var add = program.Calls[i + 1];
            // GemmF32 adds its bias before the activation; the Int8Dynamic finish step has none (it follows apart).
            bool f32 = gemm.Signature == GemmF32 && gemm.Get(Act) == "None";
            bool dynamicRows = gemm.Signature == FinishGemmDynamicRows && i > 0 && program.Calls[i - 1].Signature == GemmU8S8Float;
            if (!(f32 || dynamicRows) || gemm.Get(Bias) != null) return false;
            if (add.Signature != BinaryF32 || add.Get(BinaryOp) != "Add") return false;

            var mid = gemm.Get(Y)!;
            long rows = f32 ? gemm.Get(M) : gemm.Get(Rows), n = gemm.Get(N);
            bool midIsA = ReferenceEquals(add.Get(A), mid);
            if (midIsA == ReferenceEquals(add.Get(B), mid)) return false;
            var row = midIsA ? add.Get(B) : add.Get(A);
            if (row == null || row.Kind != BufferKind.Constant || row.ViewOf != null || row.Elements != n) return false;
            if (!IsRowBroadcast(add, midIsA, rows, n)) return false;

            var writers = f32 ? new[] { gemm } : new[] { program.Calls[i - 1], gemm };
            if (!WriteInto(writers, mid, add.Get(Y)!, rows * n, uses, dropped)) return false;
            gemm.Replace(Bias, row);
            return true;
        }

        /// <summary>(GemmF32 without activation, activation over its whole output) → the GEMM with that activation.</summary>
        private static bool TryActivation(LoweredProgram program, int i, Dictionary<Buffer, int> uses, HashSet<Buffer> dropped)
        {
            var gemm = program.Calls[i];
            var act = program.Calls[i + 1];
            if (gemm.Signature != GemmF32 || gemm.Get(Act) != "None" || act.Signature != ActivationF32) return false;
            var mid = gemm.Get(Y)!;
            long count = gemm.Get(M) * gemm.Get(N);
            if (!ReferenceEquals(act.Get(X), mid) || act.Get(Count) != count) return false;
            if (!WriteInto(new[] { gemm }, mid, act.Get(Y)!, count, uses, dropped)) return false;
            gemm.Replace(Act, act.Get(Act)).Replace(Alpha, act.Get(Alpha)).Replace(Beta, act.Get(Beta));
            return true;
        }

        /// <summary>
        /// Where the follower's result goes: over the GEMM's output (nothing moves), or into the follower's own output, which
        /// the GEMM's writers then write directly when only they and the follower touch the GEMM's output. A GEMM never
        /// writes over its own input.
        /// </summary>
        private static bool WriteInto(KernelCall[] writers, Buffer mid, Buffer y, long elements, Dictionary<Buffer, int> uses, HashSet<Buffer> dropped)
        {
            if (ReferenceEquals(y, mid)) return true;
            if (mid.Kind != BufferKind.Workspace || mid.ViewOf != null || uses[mid] != writers.Length + 1 || y.Elements < elements) return false;
            if (ReferenceEquals(y.Root, writers[0].Get(X)!.Root)) return false;
            foreach (var w in writers) w.Replace(Y, y);
            dropped.Add(mid);
            return true;
        }

        /// <summary>The Add walks the GEMM's output [rows, n] in order and the row along its last axis only.</summary>
        private static bool IsRowBroadcast(KernelCall add, bool midIsA, long rows, long n)
        {
            var shape = add.Get(Shape);
            var outputStrides = add.Get(midIsA ? AStrides : BStrides);
            var rowStrides = add.Get(midIsA ? BStrides : AStrides);
            if (shape.Length == 0 || shape[shape.Length - 1] != n || shape.Aggregate(1L, (p, d) => p * d) != rows * n) return false;
            long stride = 1;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                if (shape[d] != 1)
                {
                    if (outputStrides[d] != stride) return false;
                    if (rowStrides[d] != (d == shape.Length - 1 ? 1 : 0)) return false;
                }
                stride *= shape[d];
            }
            return true;
        }
    }
}
