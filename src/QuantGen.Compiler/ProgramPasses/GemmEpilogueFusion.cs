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
        public static int Apply(LoweredProgram program) => FuseBiasRows(program) + FuseActivations(program);

        /// <summary>(bias-less GEMM, Add of a constant row to its output) → the GEMM with that bias.</summary>
        private static int FuseBiasRows(LoweredProgram program)
        {
            // Uses are counted once: a fusion only drops the GEMM's output buffer, which no later pair shares.
            var uses = CountUses(program);
            var removed = new HashSet<KernelCall>();
            var dropped = new HashSet<Buffer>();
            int fused = 0;
            for (int i = 0; i + 1 < program.Calls.Count; i++)
            {
                var gemm = program.Calls[i];
                var add = program.Calls[i + 1];
                // GemmF32 adds its bias before the activation; the Int8Dynamic finish step has none (it follows apart).
                bool f32 = gemm.Signature == GemmF32 && gemm.Get(Act) == "None";
                bool dynamicRows = gemm.Signature == FinishGemmDynamicRows && i > 0 && program.Calls[i - 1].Signature == GemmU8S8Float;
                if (!(f32 || dynamicRows) || gemm.Get(Bias) != null) continue;
                if (add.Signature != BinaryF32 || add.Get(BinaryOp) != "Add") continue;

                var mid = gemm.Get(Y)!;
                long rows = f32 ? gemm.Get(M) : gemm.Get(Rows), n = gemm.Get(N);
                var a = add.Get(A);
                var b = add.Get(B);
                bool midIsA = ReferenceEquals(a, mid);
                if (midIsA == ReferenceEquals(b, mid)) continue;
                var row = midIsA ? b : a;
                if (row == null || row.Kind != BufferKind.Constant || row.ViewOf != null || row.Elements != n) continue;
                if (!IsRowBroadcast(add, midIsA, rows, n)) continue;

                // Where the sum goes: over the GEMM's output, or into the Add's own output, which the GEMM then writes
                // directly when nothing else reads its output. The GEMM never writes over its own input.
                var y = add.Get(Y)!;
                var producers = f32 ? new[] { gemm } : new[] { program.Calls[i - 1], gemm };
                if (!ReferenceEquals(y, mid))
                {
                    if (mid.Kind != BufferKind.Workspace || mid.ViewOf != null || uses[mid] != producers.Length + 1) continue;
                    if (y.Elements < rows * n) continue;
                    var x = producers[0].Get(X)!;
                    if (ReferenceEquals(y.Root, x.Root)) continue;
                    foreach (var p in producers) p.Replace(Y, y);
                    dropped.Add(mid);
                }
                gemm.Replace(Bias, row);
                gemm.Validate();
                removed.Add(add);
                i++;
                fused++;
            }
            Remove(program, removed, dropped);
            return fused;
        }

        /// <summary>(GemmF32 without activation, activation over its whole output) → the GEMM with that activation.</summary>
        private static int FuseActivations(LoweredProgram program)
        {
            var uses = CountUses(program);
            var removed = new HashSet<KernelCall>();
            var dropped = new HashSet<Buffer>();
            int fused = 0;
            for (int i = 0; i + 1 < program.Calls.Count; i++)
            {
                var gemm = program.Calls[i];
                var act = program.Calls[i + 1];
                if (gemm.Signature != GemmF32 || gemm.Get(Act) != "None" || act.Signature != ActivationF32) continue;
                var mid = gemm.Get(Y)!;
                if (!ReferenceEquals(act.Get(X), mid) || act.Get(Count) != gemm.Get(M) * gemm.Get(N)) continue;
                var y = act.Get(Y)!;
                if (!ReferenceEquals(y, mid))
                {
                    if (mid.Kind != BufferKind.Workspace || mid.ViewOf != null || uses[mid] != 2) continue;
                    if (ReferenceEquals(y.Root, gemm.Get(X)!.Root)) continue;
                    gemm.Replace(Y, y);
                    dropped.Add(mid);
                }
                gemm.Replace(Act, act.Get(Act)).Replace(Alpha, act.Get(Alpha)).Replace(Beta, act.Get(Beta));
                gemm.Validate();
                removed.Add(act);
                i++;
                fused++;
            }
            Remove(program, removed, dropped);
            return fused;
        }

        /// <summary>Drops the fused steps and the buffers only they shared, in one pass each (linear in the program).</summary>
        private static void Remove(LoweredProgram program, HashSet<KernelCall> calls, HashSet<Buffer> buffers)
        {
            if (calls.Count > 0) program.Calls.RemoveAll(calls.Contains);
            if (buffers.Count > 0) program.Buffers.RemoveAll(buffers.Contains);
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
