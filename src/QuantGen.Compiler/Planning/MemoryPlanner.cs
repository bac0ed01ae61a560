// Static memory planning: every workspace buffer gets a byte offset in one arena, reusing memory
// between buffers whose lifetimes (first write … last read, in kernel-call order) do not overlap.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Compiler.Lowering;
using Buffer = QuantGen.Compiler.Lowering.Buffer;

namespace QuantGen.Compiler.Planning
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

            // Packing buffers into the least memory is NP-hard. Greedy first fit in a few orders, each tried, reaches the
            // bound (the most bytes live at one step) on the reference models; the smallest arena wins, ties to the
            // earlier order, so the plan is deterministic.
            var position = new Dictionary<Buffer, int>();
            for (int i = 0; i < program.Buffers.Count; i++) position[program.Buffers[i]] = i;
            var ids = first.Keys.ToDictionary(b => b, b => position.TryGetValue(b, out int i) ? i : -1);
            long best = long.MaxValue;
            var bestOffsets = new Dictionary<Buffer, long>();
            foreach (int window in s_windows)
            {
                foreach (bool backward in window == int.MaxValue ? new[] { false } : new[] { false, true })
                {
                    // Buffers first used in the same window of steps, largest first, the windows in execution order or
                    // against it. One window of the whole program is plain largest first.
                    var order = first.Keys.OrderBy(b => backward ? -(first[b] / window) : first[b] / window).ThenByDescending(b => b.Bytes)
                        .ThenBy(b => first[b]).ThenBy(b => ids[b]).ToList();
                    var offsets = PlaceFirstFit(order, first, last, program.Calls.Count, out long size);
                    if (size < best) (best, bestOffsets) = (size, offsets);
                }
            }
            foreach (var entry in bestOffsets) entry.Key.Offset = entry.Value;
            return AlignUp(best);
        }

        // Steps per window of the placement orders above, the whole program first (the order of earlier plans).
        private static readonly int[] s_windows = { int.MaxValue, 1, 2, 4, 8, 16 };

        /// <summary>Places buffers in <paramref name="order"/>, each at the lowest aligned offset clear of every placed buffer whose lifetime overlaps its own.</summary>
        private static Dictionary<Buffer, long> PlaceFirstFit(List<Buffer> order, Dictionary<Buffer, int> first, Dictionary<Buffer, int> last, int steps, out long size)
        {
            var offsets = new Dictionary<Buffer, long>();
            // The placed buffers a new one overlaps are those live at its first step, and those starting later within its
            // lifetime: both found through per-step lists, so the cost is the lifetimes' total and the overlaps, not a scan
            // of every placed buffer per buffer (which made a 16,000-node chain take minutes).
            var liveAt = new List<(Buffer Buffer, int Placed)>?[steps];
            var startingAt = new List<(Buffer Buffer, int Placed)>?[steps];
            var conflicts = new List<(long Offset, int Placed, Buffer Buffer)>();
            size = 0;
            int placed = 0;
            foreach (var b in order)
            {
                int from = first[b], to = last[b];
                conflicts.Clear();
                foreach (var p in liveAt[from] ?? Empty) conflicts.Add((offsets[p.Buffer], p.Placed, p.Buffer));
                for (int s = from + 1; s <= to; s++)
                    foreach (var p in startingAt[s] ?? Empty) conflicts.Add((offsets[p.Buffer], p.Placed, p.Buffer));
                // By offset, then in the order placed: what scanning every placed buffer in order gave.
                conflicts.Sort((x, y) => x.Offset != y.Offset ? x.Offset.CompareTo(y.Offset) : x.Placed.CompareTo(y.Placed));
                long offset = 0;
                foreach (var (at, _, other) in conflicts)
                {
                    if (offset + b.Bytes <= at) break;
                    offset = Math.Max(offset, AlignUp(at + other.Bytes));
                }
                offsets[b] = offset;
                size = Math.Max(size, offset + b.Bytes);
                (startingAt[from] ??= new List<(Buffer, int)>()).Add((b, placed));
                for (int s = from; s <= to; s++) (liveAt[s] ??= new List<(Buffer, int)>()).Add((b, placed));
                placed++;
            }
            return offsets;
        }

        private static readonly List<(Buffer Buffer, int Placed)> Empty = new List<(Buffer Buffer, int Placed)>();

        public static long AlignUp(long value) => (value + Alignment - 1) / Alignment * Alignment;

        /// <summary>Peak bytes if every workspace buffer had its own memory (to report what planning saved).</summary>
        public static long UnplannedBytes(LoweredProgram program) =>
            program.Buffers.Where(b => b.ViewOf == null && b.Kind == BufferKind.Workspace).Sum(b => AlignUp(b.Bytes));
    }
}
