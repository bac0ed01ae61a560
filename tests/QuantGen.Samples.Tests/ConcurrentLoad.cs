// Drives a service with many requests from a fixed number of concurrent callers and counts every failure.
using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace QuantGen.Samples.Tests
{
    internal static class ConcurrentLoad
    {
        /// <summary>
        /// Sends requests 0..<paramref name="requests"/>-1 from <paramref name="concurrency"/> callers; <paramref name="send"/>
        /// returns null for a right answer or says what was wrong (an exception counts as wrong too).
        /// </summary>
        public static async Task<(TimeSpan Elapsed, int Errors, string FirstFailures)> RunAsync(int requests, int concurrency, Func<int, Task<string?>> send)
        {
            int next = -1, errors = 0;
            var failures = new ConcurrentQueue<string>();
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
            {
                for (int i = Interlocked.Increment(ref next); i < requests; i = Interlocked.Increment(ref next))
                {
                    string? failure;
                    try
                    {
                        failure = await send(i);
                    }
                    catch (Exception e)
                    {
                        failure = e.Message;
                    }
                    if (failure != null)
                    {
                        Interlocked.Increment(ref errors);
                        failures.Enqueue(i + ": " + failure);
                    }
                }
            })));
            clock.Stop();
            return (clock.Elapsed, errors, string.Join(" | ", failures.Take(3)));
        }
    }
}
