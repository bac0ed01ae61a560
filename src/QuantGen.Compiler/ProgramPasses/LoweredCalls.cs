// Reading a lowered program's calls: the fusion passes' shared lookups.
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Lowering;
using Buffer = QuantGen.Compiler.Lowering.Buffer;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Compiler.ProgramPasses
{
    internal static class LoweredCalls
    {
        /// <summary>Per workspace root: how many calls reference it (through any view).</summary>
        public static Dictionary<Buffer, int> CountUses(LoweredProgram program)
        {
            var uses = new Dictionary<Buffer, int>();
            foreach (var call in program.Calls)
            {
                foreach (var root in call.Buffers.Select(b => b.Root).Distinct())
                    uses[root] = uses.TryGetValue(root, out int n) ? n + 1 : 1;
            }
            return uses;
        }

        /// <summary>
        /// Puts <paramref name="fused"/> (checked complete) in place of calls <paramref name="i"/> and i + 1, and drops the
        /// buffer only those two shared.
        /// </summary>
        public static void ReplacePair(LoweredProgram program, int i, KernelCall fused, Buffer between)
        {
            fused.Validate();
            program.Calls[i] = fused;
            program.Calls.RemoveAt(i + 1);
            program.Buffers.Remove(between);
        }

        /// <summary>A 1×1, stride-1, unpadded, ungrouped convolution (ConvF32.Gemm, ConvU8S8.Gemm): a plain GEMM over the pixels, row for row.</summary>
        public static bool IsPlainPointwise(KernelCall call) =>
            call.Get(Kh) == 1 && call.Get(Kw) == 1 && call.Get(Sh) == 1 && call.Get(Sw) == 1 && call.Get(Group) == 1
            && call.Get(Pt) == 0 && call.Get(Pl) == 0 && call.Get(Pb) == 0 && call.Get(Pr) == 0
            && call.Get(Ih) == call.Get(Oh) && call.Get(Iw) == call.Get(Ow);
    }
}
