// What a plan's steps mean, as one hash: the kernel catalog and the kernel sources that implement it. A plan
// states the fingerprint of the QuantGen that wrote it; a reader with another fingerprint refuses the plan.
using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;

namespace QuantGen.Plan
{
    /// <summary>
    /// The fingerprint of the kernel catalog: SHA-256 (first 8 bytes, hex) of <see cref="Describe"/>, which lists
    /// <see cref="ModelPlan.FormatVersion"/>, every <see cref="KernelCatalog"/> entry in ordinal order (name, method,
    /// genericity, and each parameter's name, kind, element type, optionality, symbol type and overlap rule) and the
    /// SHA-256 of every kernel source file.
    /// </summary>
    /// <remarks>
    /// The sources are in because a step's meaning is more than its signature: the packed weight layouts, scratch
    /// sizes and rounding the kernels implement are decided in their code, and a plan packed for one layout and run by
    /// another gives wrong numbers, not an error. Hashing the code (with '\n' newlines, so every checkout agrees)
    /// refuses such a plan; the price is that any kernel edit retires the plans of earlier builds, which the next build
    /// rewrites anyway (the task's assembly is one of its inputs). The sources are read from this assembly's
    /// resources (<see cref="EmbeddedKernelSources"/>), as the generator reads them.
    /// </remarks>
    public static class CatalogFingerprint
    {
        private static readonly Lazy<string> s_value = new Lazy<string>(() => Hash(Describe()));

        /// <summary>16 lower-case hex digits.</summary>
        public static string Value => s_value.Value;

        /// <summary>The text the fingerprint hashes, one fact a line ('\n').</summary>
        public static string Describe()
        {
            var sb = new StringBuilder();
            sb.Append("format ").Append(ModelPlan.FormatVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
            var kernels = new List<KernelSignature>(KernelCatalog.All);
            kernels.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            foreach (KernelSignature k in kernels)
            {
                sb.Append("kernel ").Append(k.Name).Append(' ').Append(k.Method).Append(k.IsGeneric ? " generic" : "").Append('\n');
                foreach (KernelParameter p in k.Parameters)
                {
                    sb.Append("  ").Append(p.Name).Append(' ').Append(p.Kind)
                      .Append(' ').Append(p.ElementType is { } t ? PlanElementTypes.Name(t) : "-")
                      .Append(p.Optional ? " optional" : "")
                      .Append(p.SymbolType is { } s ? " symbol=" + s : "");
                    if (p.IsWritten) sb.Append(" writes overlap=").Append(p.Overlap).Append(':').Append(string.Join(",", p.OverlapWith));
                    sb.Append('\n');
                }
            }
            foreach (KeyValuePair<string, string> source in EmbeddedKernelSources.Read())
                sb.Append("source ").Append(source.Key).Append(' ').Append(Hash(source.Value, full: true)).Append('\n');
            return sb.ToString();
        }

        private static string Hash(string text, bool full = false)
        {
            byte[] hash;
            using (var sha = SHA256.Create()) hash = sha.ComputeHash(Encoding.UTF8.GetBytes(text));
            var sb = new StringBuilder();
            for (int i = 0; i < (full ? hash.Length : 8); i++) sb.Append(hash[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            return sb.ToString();
        }
    }
}
