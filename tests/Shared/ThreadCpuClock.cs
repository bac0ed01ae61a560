// The calling thread's CPU time (Linux clock_gettime(CLOCK_THREAD_CPUTIME_ID)): the benchmarks' clock on a shared
// machine, where wall time also counts other sessions' work. ONNX Runtime with one intra-op thread runs on the calling
// thread, so both sides of a comparison are measured alike.
using System.Runtime.InteropServices;

namespace QuantGen.Tests
{
    internal static class ThreadCpuClock
    {
        private const int ThreadCpuTimeId = 3;

        [StructLayout(LayoutKind.Sequential)]
        private struct TimeSpec { public long Seconds, Nanoseconds; }

        [DllImport("libc", EntryPoint = "clock_gettime")]
        private static extern int ClockGetTime(int clock, out TimeSpec time);

        /// <summary>CPU time of the calling thread, in nanoseconds.</summary>
        public static long Nanoseconds()
        {
            ClockGetTime(ThreadCpuTimeId, out var t);
            return t.Seconds * 1_000_000_000 + t.Nanoseconds;
        }
    }
}
