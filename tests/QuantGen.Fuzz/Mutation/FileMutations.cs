// Attacks through the file system: external-data locations that climb out of the model's folder, symlinks that
// lead out, named pipes that block a reader forever, devices that never end, NULs and folders where files belong.
using System;
using System.Linq;
using Google.Protobuf;
using QuantGen.Fuzz.Cases;
using QuantGen.Onnx.Proto;

namespace QuantGen.Fuzz.Mutation
{
    internal static class FileMutations
    {
        /// <summary>From the model's folder (project/models) to the secret no build may read.</summary>
        public const string SecretFromModels = "../../outside/secret.bin";

        /// <summary>Moves one initializer's bytes to an external data file, named in one of many good and bad ways.</summary>
        public static void ExternalData(Random random, ModelProto model, FuzzCase c)
        {
            var candidates = model.Graph?.Initializer.Where(t => t.RawData.Length > 0).ToList();
            if (candidates == null || candidates.Count == 0) { ModelPath(random, c); return; }
            var t = random.Pick(candidates);
            byte[] data = t.RawData.ToByteArray();
            long offset = 0;
            string location;
            string what;
            switch (random.Next(22))
            {
                case 0: case 1: case 2:
                    location = "weights.bin"; what = "next to the model";
                    offset = random.Next(2) == 0 ? 0 : 64;
                    c.Files.Add(CaseFile.Of("models/weights.bin", new byte[offset].Concat(data).ToArray()));
                    break;
                case 3:
                    location = "sub/../weights.bin"; what = "inside, through sub/..";
                    c.Files.Add(CaseFile.Folder("models/sub"));
                    c.Files.Add(CaseFile.Of("models/weights.bin", data));
                    break;
                case 4:
                    location = SecretFromModels; what = "traversal to a file outside";
                    c.ReachesOutside = true;
                    break;
                case 5:
                    location = "../models/../../outside/secret.bin"; what = "traversal spelled the long way";
                    c.ReachesOutside = true;
                    break;
                case 6:
                    location = "link.bin"; what = "a symlink in the model's folder to a file outside";
                    c.Files.Add(CaseFile.Link("models/link.bin", SecretFromModels));
                    c.ReachesOutside = true;
                    break;
                case 7:
                    location = "dir/secret.bin"; what = "a symlinked folder that leads outside";
                    c.Files.Add(CaseFile.Link("models/dir", "../../outside"));
                    c.ReachesOutside = true;
                    break;
                case 8:
                    location = "good.bin"; what = "a symlink that stays inside";
                    c.Files.Add(CaseFile.Of("models/real/weights.bin", data));
                    c.Files.Add(CaseFile.Link("models/good.bin", "real/weights.bin"));
                    break;
                case 9:
                    location = "pipe.bin"; what = "a named pipe (FIFO)";
                    c.Files.Add(CaseFile.Fifo("models/pipe.bin"));
                    break;
                case 10:
                    location = "/dev/zero"; what = "an absolute device path";
                    c.ReachesOutside = true;
                    break;
                case 11:
                    location = random.Pick(new[] { "/proc/self/fd/0", "/dev/stdin", "/etc/passwd", "/proc/self/environ" }); what = "an absolute system path";
                    c.ReachesOutside = true;
                    break;
                case 12:
                    location = "weights\0.bin"; what = "a NUL inside the name";
                    c.Files.Add(CaseFile.Of("models/weights", data));
                    break;
                case 13:
                    location = "folder.bin"; what = "a folder";
                    c.Files.Add(CaseFile.Folder("models/folder.bin"));
                    break;
                case 14:
                    location = random.Pick(new[] { "", "missing.bin", "weights.bin/", "./", ".", "..", new string('a', 5000), "file:///etc/passwd", "~/weights.bin", "..\\..\\outside\\secret.bin" });
                    what = "a strange name";
                    break;
                case 15:
                    location = "weights.bin"; what = "an offset past the end";
                    offset = random.Pick(new[] { 1L << 40, long.MaxValue, int.MaxValue, data.Length + 1L });
                    c.Files.Add(CaseFile.Of("models/weights.bin", data));
                    break;
                case 16:
                    location = "short.bin"; what = "a file shorter than the tensor";
                    c.Files.Add(CaseFile.Of("models/short.bin", data.AsSpan(0, data.Length / 2).ToArray()));
                    break;
                case 17:
                    location = "loop.bin"; what = "a symlink loop";
                    c.Files.Add(CaseFile.Link("models/loop.bin", "loop2.bin"));
                    c.Files.Add(CaseFile.Link("models/loop2.bin", "loop.bin"));
                    break;
                case 18:
                    location = "dangling.bin"; what = "a dangling symlink";
                    c.Files.Add(CaseFile.Link("models/dangling.bin", "nowhere.bin"));
                    break;
                case 19:
                    location = "device.bin"; what = "a symlink to a device";
                    c.Files.Add(CaseFile.Link("models/device.bin", "/dev/zero"));
                    c.ReachesOutside = true;
                    break;
                default:
                    location = "weights.bin"; what = "odd offset/length entries";
                    c.Files.Add(CaseFile.Of("models/weights.bin", data));
                    t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = random.Pick(new[] { "-1", "abc", "99999999999999999999", "0", (data.Length + 4).ToString(System.Globalization.CultureInfo.InvariantCulture) }) });
                    break;
            }
            t.RawData = ByteString.Empty;
            t.DataLocation = TensorProto.Types.DataLocation.External;
            t.ExternalData.Insert(0, new StringStringEntryProto { Key = "location", Value = location });
            if (offset != 0) t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            c.Mutations.Add($"initializer '{t.Name}' ({data.Length} bytes) external: {what} ('{Printable(location)}')");
        }

        /// <summary>The model item itself is not a plain file.</summary>
        public static void ModelPath(Random random, FuzzCase c)
        {
            switch (random.Next(5))
            {
                case 0:
                    c.ItemSpec = "models/pipe.onnx";
                    c.Files.Add(CaseFile.Fifo("models/pipe.onnx"));
                    c.Mutations.Add("the model is a named pipe (FIFO)");
                    break;
                case 1:
                    c.ItemSpec = random.Pick(new[] { "/dev/zero", "/dev/urandom", "/dev/null" });
                    c.Mutations.Add($"the model is the device {c.ItemSpec}");
                    break;
                case 2:
                    c.ItemSpec = "models/folder.onnx";
                    c.Files.Add(CaseFile.Folder("models/folder.onnx"));
                    c.Mutations.Add("the model is a folder");
                    break;
                case 3:
                    c.ItemSpec = "models/link.onnx";
                    c.Files.Add(CaseFile.Link("models/link.onnx", "model.onnx"));
                    c.Mutations.Add("the model is a symlink to the real model");
                    break;
                default:
                    c.ItemSpec = "models/pipe-link.onnx";
                    c.Files.Add(CaseFile.Fifo("models/pipe2.onnx"));
                    c.Files.Add(CaseFile.Link("models/pipe-link.onnx", "pipe2.onnx"));
                    c.Mutations.Add("the model is a symlink to a named pipe");
                    break;
            }
        }

        private static string Printable(string s) =>
            s.Length > 60 ? s.Substring(0, 20) + $"…({s.Length} chars)" : s.Replace("\0", "\\0");
    }
}
