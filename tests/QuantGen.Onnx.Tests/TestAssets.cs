// Finds tests/assets by walking up from the test binaries, so tests run from any output folder.
using System;
using System.IO;

namespace QuantGen.Onnx.Tests
{
    internal static class TestAssets
    {
        private static readonly Lazy<string> s_root = new Lazy<string>(FindRoot);

        /// <summary>The tests/assets folder.</summary>
        public static string Root => s_root.Value;

        public static string ModelFolder(string model) => Path.Combine(Root, "models", model);

        public static string ModelPath(string model) => Path.Combine(ModelFolder(model), "model.onnx");

        private static string FindRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                string assets = Path.Combine(dir.FullName, "tests", "assets");
                if (Directory.Exists(assets)) return assets;
                if (File.Exists(Path.Combine(dir.FullName, "QuantGen.sln")))
                    throw new DirectoryNotFoundException($"Found QuantGen.sln in '{dir.FullName}' but no tests/assets folder next to it.");
            }
            throw new DirectoryNotFoundException($"No tests/assets folder above '{AppContext.BaseDirectory}'.");
        }
    }
}
