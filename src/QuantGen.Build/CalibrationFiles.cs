// Expands CalibrationData (a file, a folder, or a glob) into the files it names, for incremental-build Inputs.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace QuantGen.Build
{
    internal static class CalibrationFiles
    {
        /// <summary>
        /// Every file <paramref name="fullPath"/> names, sorted ordinally so the list (and the compiler's
        /// sample order) does not depend on the file system's enumeration order. A folder means every
        /// file directly in it; a glob may use * and ? in its last segment and "**" for "any depth".
        /// </summary>
        public static List<string> Find(string fullPath)
        {
            if (File.Exists(fullPath)) return new List<string> { fullPath };
            if (Directory.Exists(fullPath)) return Sorted(Directory.EnumerateFiles(fullPath));

            int wildcard = fullPath.IndexOfAny(new[] { '*', '?' });
            if (wildcard < 0) return new List<string>();

            // The folder before the first wildcard is the fixed root; the rest is the pattern.
            int rootEnd = fullPath.LastIndexOfAny(new[] { '/', '\\' }, wildcard);
            string root = rootEnd < 0 ? "." : fullPath.Substring(0, rootEnd);
            string pattern = fullPath.Substring(rootEnd + 1).Replace('\\', '/');
            if (!Directory.Exists(root)) return new List<string>();

            string[] parts = pattern.Split('/');
            string filePattern = parts[parts.Length - 1];
            bool recursive = parts.Contains("**");
            if (parts.Length > 2 || (parts.Length == 2 && !recursive))
            {
                // Wildcards in folder names other than "**" are not supported; match nothing rather than guess.
                return new List<string>();
            }
            var option = recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly;
            return Sorted(Directory.EnumerateFiles(root, filePattern == "**" ? "*" : filePattern, option));
        }

        private static List<string> Sorted(IEnumerable<string> files)
        {
            var list = files.Select(Path.GetFullPath).ToList();
            list.Sort(StringComparer.Ordinal);
            return list;
        }
    }
}
