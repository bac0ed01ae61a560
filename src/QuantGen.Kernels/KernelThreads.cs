// The Parallelism option: persistent worker threads that split one kernel call into parts, with no allocation per call.
namespace QuantGen.Kernels
{
    using System;
    using System.Diagnostics;
    using System.Runtime.ExceptionServices;
    using System.Runtime.InteropServices;
    using System.Threading;

    /// <summary>One share of a split kernel call: part <c>part</c> of <c>parts</c>, disjoint outputs, the same arithmetic.</summary>
    internal interface IKernelPart
    {
        void Run(int part, int parts);
    }

    /// <summary>
    /// A generated class built with <c>Parallelism="N"</c> sets N for its thread during <c>Run</c> (<see cref="Enter"/>);
    /// the large kernels then split their rows across the caller and N − 1 persistent workers. Each output element is
    /// computed exactly as without the split (the split is over output rows, never over a sum), so results are
    /// bit-identical at every setting. The workers spin briefly between kernel calls (a blocked thread takes tens of
    /// microseconds to wake), then sleep. When another Run already uses the workers, a call runs its parts inline.
    /// </summary>
    internal static unsafe class KernelThreads
    {
        // Below this many multiply-adds per part, the hand-off and the shared cache lines cost more than the work:
        // measured on mobilenetv2-digits (kernels of 0.1–0.5 M multiply-adds), 2 threads at 128 K per part ran 1.5×
        // slower than one thread.
        private const long MinWorkPerPart = 512 * 1024;

        // How long an idle worker spins for the next part before it blocks.
        private static readonly long s_spinTicks = Stopwatch.Frequency / 5000; // 200 µs

        [ThreadStatic] private static int t_parts;

        // Set on the worker threads only; their scratch blocks (WorkerScratch) live as long as they do.
        [ThreadStatic] private static bool t_isWorker;
        [ThreadStatic] private static void* t_scratch;
        [ThreadStatic] private static long t_scratchBytes;

        private static Worker[] s_workers = Array.Empty<Worker>();
        private static int s_busy;
        private static int s_remaining;
        private static Exception? s_failure;

        /// <summary>Sets the parts kernels called on this thread may split into; returns the previous setting for <see cref="Exit"/>.</summary>
        public static int Enter(int parts)
        {
            int previous = t_parts;
            t_parts = parts;
            return previous;
        }

        public static void Exit(int previous) => t_parts = previous;

        /// <summary>Whether this thread is one of the persistent workers (not the caller, which also runs parts inline when the workers are busy).</summary>
        public static bool IsWorker => t_isWorker;

        /// <summary>
        /// This worker's own scratch of at least <paramref name="bytes"/> bytes (64-byte aligned), for a kernel whose plan
        /// scratch serves the caller's part only. Grown when a larger block is first asked for, then kept for every later
        /// call: no allocation per call once the largest kernel has run.
        /// </summary>
        public static void* WorkerScratch(long bytes)
        {
            Debug.Assert(t_isWorker);
            if (bytes > t_scratchBytes)
            {
                if (t_scratch != null) NativeMemory.AlignedFree(t_scratch);
                t_scratch = NativeMemory.AlignedAlloc((nuint)bytes, 64);
                t_scratchBytes = bytes;
            }
            return t_scratch;
        }

        /// <summary>How many parts a call with <paramref name="work"/> multiply-adds and <paramref name="units"/> splittable rows should use.</summary>
        public static int PartsFor(long work, long units)
        {
            int parts = t_parts;
            if (parts <= 1) return 1;
            long useful = Math.Min(Math.Min(parts, Environment.ProcessorCount), Math.Min(units, work / MinWorkPerPart));
            return (int)Math.Max(1, useful);
        }

        /// <summary>Rows [start, end) of part <paramref name="part"/>: near-equal shares, boundaries on multiples of <paramref name="align"/>.</summary>
        public static (int Start, int End) Share(int count, int part, int parts, int align)
        {
            long blocks = (count + align - 1) / align;
            int start = (int)Math.Min(count, blocks * part / parts * align);
            int end = (int)Math.Min(count, blocks * (part + 1) / parts * align);
            return (start, end);
        }

        /// <summary>Runs job.Run(part, parts) for every part, part 0 on this thread, and returns when all are done.</summary>
        public static void For<TJob>(ref TJob job, int parts) where TJob : unmanaged, IKernelPart
        {
            if (parts <= 1 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
            {
                for (int p = 0; p < parts; p++) job.Run(p, parts);
                return;
            }
            try
            {
                fixed (TJob* state = &job)
                {
                    Worker[] workers = EnsureWorkers(parts - 1);
                    Volatile.Write(ref s_remaining, parts - 1);
                    for (int p = 1; p < parts; p++) workers[p - 1].Post(&Invoke<TJob>, state, p, parts);
                    job.Run(0, parts);
                    SpinWait spin = default;
                    while (Volatile.Read(ref s_remaining) != 0) spin.SpinOnce(-1);
                }
                if (s_failure is { } failure)
                {
                    s_failure = null;
                    ExceptionDispatchInfo.Capture(failure).Throw();
                }
            }
            finally
            {
                Volatile.Write(ref s_busy, 0);
            }
        }

        private static void Invoke<TJob>(void* state, int part, int parts) where TJob : unmanaged, IKernelPart =>
            ((TJob*)state)->Run(part, parts);

        // Only the thread holding s_busy grows the pool, so no lock is needed.
        private static Worker[] EnsureWorkers(int count)
        {
            Worker[] workers = s_workers;
            if (workers.Length >= count) return workers;
            var grown = new Worker[count];
            Array.Copy(workers, grown, workers.Length);
            for (int i = workers.Length; i < count; i++) grown[i] = new Worker(i + 1);
            s_workers = grown;
            return grown;
        }

        private sealed class Worker
        {
            private readonly object _gate = new object();
            private delegate*<void*, int, int, void> _body;
            private void* _state;
            private int _part;
            private int _parts;
            private int _posted;

            public Worker(int index)
            {
                var thread = new Thread(Loop) { IsBackground = true, Name = "QuantGen kernel worker " + index };
                thread.Start();
            }

            public void Post(delegate*<void*, int, int, void> body, void* state, int part, int parts)
            {
                _body = body;
                _state = state;
                _part = part;
                _parts = parts;
                lock (_gate)
                {
                    Volatile.Write(ref _posted, 1);
                    Monitor.Pulse(_gate);
                }
            }

            private void Loop()
            {
                t_isWorker = true;
                while (true)
                {
                    long spinUntil = Stopwatch.GetTimestamp() + s_spinTicks;
                    while (Volatile.Read(ref _posted) == 0)
                    {
                        if (Stopwatch.GetTimestamp() < spinUntil)
                        {
                            Thread.SpinWait(16);
                            continue;
                        }
                        lock (_gate)
                        {
                            while (_posted == 0) Monitor.Wait(_gate);
                        }
                    }
                    Volatile.Write(ref _posted, 0);
                    try
                    {
                        _body(_state, _part, _parts);
                    }
                    catch (Exception e)
                    {
                        s_failure = e;
                    }
                    Interlocked.Decrement(ref s_remaining);
                }
            }
        }
    }
}
