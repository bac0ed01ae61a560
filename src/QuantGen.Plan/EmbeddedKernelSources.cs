// The kernel sources as embedded in this assembly (QuantGen.Plan, and the generator, which compiles this file in):
// what CatalogFingerprint hashes and what the generator emits. Both projects embed src/QuantGen.Kernels/**/*.cs
// under the same resource names.
using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Text;

namespace QuantGen.Plan
{
    internal static class EmbeddedKernelSources
    {
        private const string ResourcePrefix = "QuantGen.Kernels/";

        /// <summary>(path under src/QuantGen.Kernels with '/' separators, text with '\n' newlines), in ordinal order of path.</summary>
        public static List<KeyValuePair<string, string>> Read()
        {
            Assembly assembly = typeof(EmbeddedKernelSources).Assembly;
            var sources = new List<KeyValuePair<string, string>>();
            foreach (string name in assembly.GetManifestResourceNames())
            {
                // The resource names keep the folder separator of the OS that built the assembly.
                string path = name.Replace('\\', '/');
                if (!path.StartsWith(ResourcePrefix, StringComparison.Ordinal) || !path.EndsWith(".cs", StringComparison.OrdinalIgnoreCase)) continue;
                using (var reader = new StreamReader(assembly.GetManifestResourceStream(name)!, Encoding.UTF8))
                    sources.Add(new KeyValuePair<string, string>(path.Substring(ResourcePrefix.Length), reader.ReadToEnd().Replace("\r\n", "\n")));
            }
            if (sources.Count == 0) throw new InvalidOperationException("the kernel sources are not embedded in " + assembly.GetName().Name);
            sources.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return sources;
        }
    }
}
