// Fuses a residual Add into the 1×1 convolution that produces one of its operands (an inverted-residual block's
// projection, a ResNet block's last 1×1): the convolution's output rows get the residual added a chunk at a time while
// they are still in L1, and the convolution's own output buffer disappears. Runs on the lowered program, before memory
// planning, which then keeps the fused step's output apart from both its inputs (all three are live at the step).
using System.Linq;
using QuantGen.Plan;
using static QuantGen.Compiler.ProgramPasses.LoweredCalls;
using QuantGen.Compiler.Lowering;
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
                bool f32 = conv.Kernel == "ConvF32.Gemm" && add.Kernel == "BinaryF32" && Get(add, "op") is Symbol { Name: "Add" } && IsElementwise(add);
                bool u8 = conv.Kernel == "ConvU8S8.Gemm" && add.Kernel == "AddU8";
                if (!(f32 || u8) || !IsPlainPointwise(conv)) continue;

                // The convolution's output must be a whole workspace buffer that only these two calls touch (batch 1), and
                // exactly one operand of the Add; the residual and the Add's output must be whole tensors of its size.
                if (!(Get(conv, "y") is Buffer mid) || mid.Kind != BufferKind.Workspace || mid.ViewOf != null || uses[mid] != 2) continue;
                var a = Get(add, "a") as Buffer;
                var b = Get(add, "b") as Buffer;
                bool midIsA = ReferenceEquals(a, mid);
                if (midIsA == ReferenceEquals(b, mid)) continue;
                var residual = midIsA ? b : a;
                var y = Get(add, "y") as Buffer;
                long count = Int(conv, "oh") * Int(conv, "ow") * Int(conv, "oc");
                if (residual == null || y == null || residual.ViewOf != null || y.ViewOf != null || residual.Elements != count || y.Elements != count) continue;
                // The kernel writes y while it still reads x and the residual: an Add lowered in place (over either operand)
                // is left alone.
                var x = (Buffer)Get(conv, "x")!;
                if (ReferenceEquals(y.Root, residual.Root) || ReferenceEquals(y.Root, mid) || ReferenceEquals(y.Root, x.Root)) continue;
                // INT8: the Add reads the convolution's output with the zero point the convolution wrote it with.
                if (u8 && Int(add, (midIsA ? "a" : "b") + "Zp") != Int(conv, "zpOut")) continue;

                program.Calls[i] = u8 ? FuseU8(conv, add, residual, y, midIsA) : FuseF32(conv, residual, y);
                program.Calls.RemoveAt(i + 1);
                program.Buffers.Remove(mid);
                fused++;
            }
            return fused;
        }

        private static KernelCall FuseF32(KernelCall conv, Buffer residual, Buffer y) =>
            new KernelCall("ConvF32.PointwiseAdd", conv.Source)
                .Arg("x", Get(conv, "x")).Arg("w", Get(conv, "w")).Arg("bias", Get(conv, "bias")).Arg("r", residual).Arg("y", y)
                .Arg("pixels", Int(conv, "oh") * Int(conv, "ow")).Arg("ic", Get(conv, "ic")).Arg("oc", Get(conv, "oc"))
                .Arg("act", Get(conv, "act")).Arg("alpha", Get(conv, "alpha")).Arg("beta", Get(conv, "beta"));

        private static KernelCall FuseU8(KernelCall conv, KernelCall add, Buffer residual, Buffer y, bool midIsA)
        {
            string mid = midIsA ? "a" : "b", other = midIsA ? "b" : "a";
            return new KernelCall("ConvU8S8.PointwiseAdd", conv.Source)
                .Arg("x", Get(conv, "x")).Arg("w", Get(conv, "w")).Arg("bias", Get(conv, "bias")).Arg("multiplier", Get(conv, "multiplier"))
                .Arg("shift", Get(conv, "shift")).Arg("zpMid", Get(conv, "zpOut")).Arg("qminMid", Get(conv, "qmin")).Arg("qmaxMid", Get(conv, "qmax"))
                .Arg("r", residual).Arg("y", y).Arg("pixels", Int(conv, "oh") * Int(conv, "ow")).Arg("ic", Get(conv, "ic")).Arg("oc", Get(conv, "oc"))
                .Arg("midMultiplier", Get(add, mid + "Multiplier")).Arg("midShift", Get(add, mid + "Shift"))
                .Arg("rZp", Get(add, other + "Zp")).Arg("rMultiplier", Get(add, other + "Multiplier")).Arg("rShift", Get(add, other + "Shift"))
                .Arg("zpOut", Get(add, "yZp")).Arg("yMultiplier", Get(add, "yMultiplier")).Arg("yShift", Get(add, "yShift"))
                .Arg("qmin", Get(add, "qmin")).Arg("qmax", Get(add, "qmax"));
        }

        /// <summary>A BinaryF32 whose operands and output are walked alike, element i with element i (no broadcasting).</summary>
        private static bool IsElementwise(KernelCall add)
        {
            var shape = (long[])Get(add, "shape")!;
            var aStrides = (long[])Get(add, "aStrides")!;
            var bStrides = (long[])Get(add, "bStrides")!;
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
