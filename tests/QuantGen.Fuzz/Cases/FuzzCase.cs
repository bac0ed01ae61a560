// One fuzz case: the files of a small project (model, external data, calibration data, traps) and the item's metadata.
using System.Collections.Generic;

namespace QuantGen.Fuzz.Cases
{
    /// <summary>What a file of a case is on disk.</summary>
    internal enum CaseFileKind
    {
        Bytes,
        /// <summary>A symbolic link; <see cref="CaseFile.Target"/> is relative to the link's folder.</summary>
        Symlink,
        /// <summary>A named pipe nobody writes to: opening it for reading blocks forever.</summary>
        Fifo,
        Directory,
    }

    internal sealed class CaseFile
    {
        private CaseFile(string path, CaseFileKind kind, byte[]? bytes, string? target)
        {
            Path = path;
            Kind = kind;
            Bytes = bytes;
            Target = target;
        }

        /// <summary>Relative to the case's project folder, '/'-separated.</summary>
        public string Path { get; }
        public CaseFileKind Kind { get; }
        public byte[]? Bytes { get; }
        public string? Target { get; }

        public static CaseFile Of(string path, byte[] bytes) => new CaseFile(path, CaseFileKind.Bytes, bytes, null);
        public static CaseFile Link(string path, string target) => new CaseFile(path, CaseFileKind.Symlink, null, target);
        public static CaseFile Fifo(string path) => new CaseFile(path, CaseFileKind.Fifo, null, null);
        public static CaseFile Folder(string path) => new CaseFile(path, CaseFileKind.Directory, null, null);
    }

    /// <summary>
    /// A case is a function of (campaign seed, index) alone, so any case can be re-made and re-run from its number.
    /// Layout on disk: <c>project/models/model.onnx</c> (the item), its neighbours, <c>project/data/…</c>, and
    /// <c>outside/secret.bin</c>, a file no build may read (a symlink or a traversal that reaches it is an escape).
    /// </summary>
    internal sealed class FuzzCase
    {
        public FuzzCase(long index, string seed)
        {
            Index = index;
            Seed = seed;
        }

        public long Index { get; }

        /// <summary>The seed model the case was made from.</summary>
        public string Seed { get; }

        /// <summary>What was done to the seed, in order (for the summary and for reproducing by hand).</summary>
        public List<string> Mutations { get; } = new List<string>();

        /// <summary>The QuantGenModel item's Include, relative to the project folder (or absolute).</summary>
        public string ItemSpec { get; set; } = "models/model.onnx";

        /// <summary>The model file's bytes (written to project/models/model.onnx).</summary>
        public byte[] Model { get; set; } = System.Array.Empty<byte>();

        public List<CaseFile> Files { get; } = new List<CaseFile>();

        /// <summary>QuantGenModel metadata (Precision, CalibrationData, CalibrationSamples, …).</summary>
        public List<KeyValuePair<string, string>> Metadata { get; } = new List<KeyValuePair<string, string>>();

        /// <summary>The build's resource-limit properties (MaxTensorBytes… as the task takes them; unset: the defaults).</summary>
        public Dictionary<string, string> Limits { get; } = new Dictionary<string, string>(System.StringComparer.Ordinal);

        /// <summary>
        /// The case makes the model or its data name a file outside the project folder (traversal, a symlink
        /// out): the build must refuse it, so a success is an escape.
        /// </summary>
        public bool ReachesOutside { get; set; }

        /// <summary>The mutation family, for the summary's table ("bytes", "wire", "graph", "calibration", "files").</summary>
        public string Family { get; set; } = "";

        public void Set(string name, string value)
        {
            Metadata.RemoveAll(kv => kv.Key == name);
            Metadata.Add(new KeyValuePair<string, string>(name, value));
        }

        public string? Get(string name)
        {
            foreach (var kv in Metadata) if (kv.Key == name) return kv.Value;
            return null;
        }
    }
}
