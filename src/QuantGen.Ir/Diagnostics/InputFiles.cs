// Opening the files a model or its data names (external weights, calibration samples) safely: the real path (symlinks
// followed) must stay inside the folder the user gave, and nothing is opened that is not a plain file with the bytes
// needed, since opening a named pipe blocks forever and a device never ends.
using System;
using System.IO;
using System.Runtime.InteropServices;

namespace QuantGen.Ir.Diagnostics
{
    public static class InputFiles
    {
        /// <summary>
        /// The canonical path of an existing file or folder: absolute, every symlink and ".." resolved (realpath(3) on Unix;
        /// Windows paths are made absolute). Null when it does not exist, or a link dangles or loops.
        /// </summary>
        public static string? RealPath(string path)
        {
            if (path.IndexOf('\0') >= 0) return null;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                string full = Path.GetFullPath(path);
                return File.Exists(full) || Directory.Exists(full) ? full : null;
            }
            IntPtr resolved = Native.realpath(path, IntPtr.Zero);
            if (resolved == IntPtr.Zero) return null;
            try
            {
                return Marshal.PtrToStringAnsi(resolved);
            }
            finally
            {
                Native.free(resolved);
            }
        }

        /// <summary>Whether the real path <paramref name="path"/> lies inside the real folder <paramref name="folder"/>.</summary>
        public static bool IsInside(string path, string folder)
        {
            string root = folder.EndsWith(Path.DirectorySeparatorChar.ToString(), StringComparison.Ordinal) ? folder : folder + Path.DirectorySeparatorChar;
            var comparison = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            return path.StartsWith(root, comparison);
        }

        /// <summary>
        /// The length of the file <paramref name="path"/> leads to (symlinks followed) as stat(2) reports it, without opening
        /// it; 0 for what is not a plain file (a named pipe, a device, a socket report 0), and -1 for a folder or nothing.
        /// Callers never open a file whose length is 0 and never read past the length, so a pipe cannot block and /dev/zero
        /// cannot fill memory.
        /// </summary>
        public static long Length(string path)
        {
            try
            {
                // FileInfo describes a symlink itself (its length is its target's name), so ask about the target.
                var info = new FileInfo(RealPath(path) ?? path);
                return info.Exists ? info.Length : -1;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is ArgumentException || e is NotSupportedException)
            {
                return -1;
            }
        }

        /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/> on; false when the file ends first.</summary>
        public static bool ReadExactly(string path, long offset, byte[] buffer)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            stream.Position = offset;
            int done = 0;
            while (done < buffer.Length)
            {
                int n = stream.Read(buffer, done, buffer.Length - done);
                if (n <= 0) return false;
                done += n;
            }
            return true;
        }

        private static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr realpath([MarshalAs(UnmanagedType.LPStr)] string path, IntPtr resolved);

            [DllImport("libc")]
            public static extern void free(IntPtr pointer);
        }
    }
}
