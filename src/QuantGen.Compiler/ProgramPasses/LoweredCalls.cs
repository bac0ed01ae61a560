// Reading a lowered program's calls: the fusion passes' shared lookups.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Lowering;
using Buffer = QuantGen.Compiler.Lowering.Buffer;

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
                foreach (var root in call.Arguments.Select(a => a.Value).OfType<Buffer>().Select(b => b.Root).Distinct())
                    uses[root] = uses.TryGetValue(root, out int n) ? n + 1 : 1;
            }
            return uses;
        }

        public static object? Get(KernelCall call, string name)
        {
            foreach (var a in call.Arguments)
                if (a.Key == name) return a.Value;
            throw new InvalidOperationException($"{call.Kernel} has no argument '{name}'.");
        }

        public static long Int(KernelCall call, string name) => (long)Get(call, name)!;

        /// <summary>A 1×1, stride-1, unpadded, ungrouped convolution: a plain GEMM over the pixels, row for row.</summary>
        public static bool IsPlainPointwise(KernelCall call) =>
            Int(call, "kh") == 1 && Int(call, "kw") == 1 && Int(call, "sh") == 1 && Int(call, "sw") == 1 && Int(call, "group") == 1
            && Int(call, "pt") == 0 && Int(call, "pl") == 0 && Int(call, "pb") == 0 && Int(call, "pr") == 0
            && Int(call, "ih") == Int(call, "oh") && Int(call, "iw") == Int(call, "ow");
    }
}
