// The few Linux facilities the fuzzer needs: named pipes, and the kernel's own peak-memory counter.
using System;
using System.IO;
using System.Runtime.InteropServices;

namespace QuantGen.Fuzz.Running
{
    internal static class Native
    {
        [DllImport("libc", SetLastError = true, EntryPoint = "mkfifo")]
        private static extern int MakeFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

        public static void CreateFifo(string path)
        {
            if (MakeFifo(path, Convert.ToUInt32("644", 8)) != 0)
                throw new IOException($"mkfifo '{path}' failed (errno {Marshal.GetLastWin32Error()})");
        }

        public static bool IsLinux => RuntimeInformation.IsOSPlatform(OSPlatform.Linux);

        /// <summary>Resets the process's peak resident set (VmHWM) to its current size (Linux 4.0+; a no-op elsewhere).</summary>
        public static void ResetPeakMemory()
        {
            if (!IsLinux) return;
            try { File.WriteAllText("/proc/self/clear_refs", "5"); }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException) { }
        }

        /// <summary>The process's peak resident set since the last reset, in bytes (the working set elsewhere).</summary>
        public static long PeakMemory() => StatusField("VmHWM:") ?? Environment.WorkingSet;

        /// <summary>The process's resident set now, in bytes.</summary>
        public static long CurrentMemory() => StatusField("VmRSS:") ?? Environment.WorkingSet;

        private static long? StatusField(string name)
        {
            if (!IsLinux) return null;
            try
            {
                foreach (var line in File.ReadLines("/proc/self/status"))
                {
                    if (!line.StartsWith(name, StringComparison.Ordinal)) continue;
                    var parts = line.Substring(name.Length).Trim().Split(' ');
                    return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
                }
            }
            catch (IOException) { }
            return null;
        }
    }
}
