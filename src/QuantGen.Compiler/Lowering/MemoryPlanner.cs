// Static memory planning: every workspace buffer gets a byte offset in one arena, reusing memory
// between buffers whose lifetimes (first write … last read, in kernel-call order) do not overlap.
using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Compiler.Lowering
{
    public static class MemoryPlanner
    {
        /// <summary>Offsets are multiples of this, so every buffer starts on a cache line (and SIMD loads are aligned).</summary>
        public const int Alignment = 64;

        /// <summary>Assigns <see cref="Buffer.Offset"/> to every workspace root and returns the arena size in bytes.</summary>
        public static long Plan(LoweredProgram program)
        {
            var first = new Dictionary<Buffer, int>();
            var last = new Dictionary<Buffer, int>();
            for (int i = 0; i < program.Calls.Count; i++)
            {
                foreach (var arg in program.Calls[i].Arguments)
                {
                    if (!(arg.Value is Buffer b)) continue;
                    var root = b.Root;
                    if (root.Kind != BufferKind.Workspace) continue;
                    if (!first.ContainsKey(root)) first[root] = i;
                    last[root] = i;
                }
            }

            // Largest first (ties by first use, then creation order) packs big activations tightly and is deterministic.
            var order = first.Keys
                .Select(b => (Buffer: b, Id: program.Buffers.IndexOf(b)))
                .OrderByDescending(t => t.Buffer.Bytes).ThenBy(t => first[t.Buffer]).ThenBy(t => t.Id)
                .Select(t => t.Buffer).ToList();
            var placed = new List<Buffer>();
            long size = 0;
            foreach (var b in order)
            {
                var conflicts = placed.Where(p => first[p] <= last[b] && first[b] <= last[p]).OrderBy(p => p.Offset).ToList();
                long offset = 0;
                foreach (var p in conflicts)
                {
                    if (offset + b.Bytes <= p.Offset) break;
                    offset = Math.Max(offset, AlignUp(p.Offset + p.Bytes));
                }
                b.Offset = offset;
                placed.Add(b);
                size = Math.Max(size, offset + b.Bytes);
            }
            return AlignUp(size);
        }

        public static long AlignUp(long value) => (value + Alignment - 1) / Alignment * Alignment;

        /// <summary>Peak bytes if every workspace buffer had its own memory (to report what planning saved).</summary>
        public static long UnplannedBytes(LoweredProgram program) =>
            program.Buffers.Where(b => b.ViewOf == null && b.Kind == BufferKind.Workspace).Sum(b => AlignUp(b.Bytes));
    }
}
