// Finds the repository's folders from a test's output directory (tests run from bin/…).
using System;
using System.IO;

namespace QuantGen.Tests
{
    internal static class RepoPaths
    {
        private static readonly Lazy<string> s_root = new Lazy<string>(() =>
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "QuantGen.sln"))) return dir.FullName;
            throw new InvalidOperationException("QuantGen.sln not found above " + AppContext.BaseDirectory);
        });

        public static string Root => s_root.Value;

        /// <summary>tests/assets: the test data that ships with the repository.</summary>
        public static string Assets => Path.Combine(Root, "tests", "assets");

        /// <summary>tests/assets/models/{name} (copies of the shared reference models with their test vectors).</summary>
        public static string Model(string name) => Path.Combine(Assets, "models", name);

        /// <summary>tests/assets/models/{name}/model.onnx.</summary>
        public static string ModelFile(string name) => Path.Combine(Model(name), "model.onnx");
    }
}
