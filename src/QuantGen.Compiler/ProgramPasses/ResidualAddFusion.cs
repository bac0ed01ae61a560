// Fuses a residual Add into the 1×1 convolution that produces one of its operands (an inverted-residual block's
// projection, a ResNet block's last 1×1): the convolution's output rows get the residual added a chunk at a time while
// they are still in L1, and the convolution's own output buffer disappears. Runs on the lowered program, before memory
// planning, which then keeps the fused step's output apart from both its inputs (all three are live at the step).
using System.Linq;
using QuantGen.Compiler.Lowering;
using static QuantGen.Compiler.ProgramPasses.LoweredCalls;
using static QuantGen.Plan.KernelCatalog;
using static QuantGen.Plan.KernelParameters;
using Buffer = QuantGen.Compiler.Lowering.Buffer;

namespace QuantGen.Compiler.ProgramPasses
{
    public static class ResidualAddFusion
    {
        /// <summary>Replaces every (plain 1×1 convolution, Add of its output and a same-shape tensor) pair of adjacent calls by one call; returns how many.</summary>
        public static int Apply(LoweredProgram program)
        {
            var uses = CountUses(program);
            int fused = 0;
            for (int i = 0; i + 1 < program.Calls.Count; i++)
            {
                var conv = program.Calls[i];
                var add = program.Calls[i + 1];
                bool f32 = conv.Signature == ConvF32Gemm && add.Signature == BinaryF32 && add.Get(BinaryOp) == "Add" && IsElementwise(add);
                bool u8 = conv.Signature == ConvU8S8Gemm && add.Signature == AddU8;
                if (!(f32 || u8) || !IsPlainPointwise(conv)) continue;

                // The convolution's output must be a whole workspace buffer that only these two calls touch (batch 1), and
                // exactly one operand of the Add; the residual and the Add's output must be whole tensors of its size.
                if (!(conv.Get(Y) is Buffer mid) || mid.Kind != BufferKind.Workspace || mid.ViewOf != null || uses[mid] != 2) continue;
                var a = add.Get(A);
                var b = add.Get(B);
                bool midIsA = ReferenceEquals(a, mid);
                if (midIsA == ReferenceEquals(b, mid)) continue;
                var residual = midIsA ? b : a;
                var y = add.Get(Y);
                long count = conv.Get(Oh) * conv.Get(Ow) * conv.Get(Oc);
                if (residual == null || y == null || residual.ViewOf != null || y.ViewOf != null || residual.Elements != count || y.Elements != count) continue;
                // The kernel writes y while it still reads x and the residual: an Add lowered in place (over either operand)
                // is left alone.
                var x = conv.Get(X)!;
                if (ReferenceEquals(y.Root, residual.Root) || ReferenceEquals(y.Root, mid) || ReferenceEquals(y.Root, x.Root)) continue;
                // INT8: the Add reads the convolution's output with the zero point the convolution wrote it with.
                if (u8 && add.Get(midIsA ? AZp : BZp) != conv.Get(ZpOut)) continue;

                ReplacePair(program, i, u8 ? FuseU8(conv, add, residual, y, midIsA) : FuseF32(conv, residual, y), mid);
                fused++;
            }
            return fused;
        }

        private static KernelCall FuseF32(KernelCall conv, Buffer residual, Buffer y) =>
            new KernelCall(ConvF32PointwiseAdd, conv.Source)
                .Set(X, conv.Get(X)).Set(W, conv.Get(W)).Set(Bias, conv.Get(Bias)).Set(R, residual).Set(Y, y)
                .Set(Pixels, conv.Get(Oh) * conv.Get(Ow)).Set(Ic, conv.Get(Ic)).Set(Oc, conv.Get(Oc))
                .Set(Act, conv.Get(Act)).Set(Alpha, conv.Get(Alpha)).Set(Beta, conv.Get(Beta));

        private static KernelCall FuseU8(KernelCall conv, KernelCall add, Buffer residual, Buffer y, bool midIsA) =>
            new KernelCall(ConvU8S8PointwiseAdd, conv.Source)
                .Set(X, conv.Get(X)).Set(W, conv.Get(W)).Set(Bias, conv.Get(Bias)).Set(Multipliers, conv.Get(Multipliers))
                .Set(Shift, conv.Get(Shift)).Set(ZpMid, conv.Get(ZpOut)).Set(QminMid, conv.Get(Qmin)).Set(QmaxMid, conv.Get(Qmax))
                .Set(R, residual).Set(Y, y).Set(Pixels, conv.Get(Oh) * conv.Get(Ow)).Set(Ic, conv.Get(Ic)).Set(Oc, conv.Get(Oc))
                .Set(MidMultiplier, add.Get(midIsA ? AMultiplier : BMultiplier)).Set(MidShift, add.Get(midIsA ? AShift : BShift))
                .Set(RZp, add.Get(midIsA ? BZp : AZp)).Set(RMultiplier, add.Get(midIsA ? BMultiplier : AMultiplier)).Set(RShift, add.Get(midIsA ? BShift : AShift))
                .Set(ZpOut, add.Get(YZp)).Set(YMultiplier, add.Get(YMultiplier)).Set(YShift, add.Get(YShift))
                .Set(Qmin, add.Get(Qmin)).Set(Qmax, add.Get(Qmax));

        /// <summary>A BinaryF32 whose operands and output are walked alike, element i with element i (no broadcasting).</summary>
        private static bool IsElementwise(KernelCall add)
        {
            var shape = add.Get(Shape);
            var aStrides = add.Get(AStrides);
            var bStrides = add.Get(BStrides);
            long stride = 1;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                if (shape[d] != 1 && (aStrides[d] != stride || bStrides[d] != stride)) return false;
                stride *= shape[d];
            }
            return true;
        }
    }
}
