// The public-domain test photos (tests/assets/photos, see its README for each licence) as ResNet-18 inputs.
using System;
using System.IO;
using System.Linq;
using QuantGen.Tests;
using StbImageSharp;

namespace QuantGen.RealModels.Tests
{
    internal static class Photos
    {
        public const int Side = 224;
        public const int Length = 3 * Side * Side;

        /// <summary>16 crops that calibrate INT8 builds.</summary>
        public static string[] Calibration => Files("calibration");

        /// <summary>16 crops of eight other photos, never used to calibrate.</summary>
        public static string[] HeldOut => Files("held-out");

        private static string[] Files(string group)
        {
            string folder = Path.Combine(RepoPaths.Assets, "photos", group);
            var files = Directory.GetFiles(folder, "*.jpg").OrderBy(f => f, StringComparer.Ordinal).ToArray();
            if (files.Length == 0) throw new FileNotFoundException($"no photos in {folder}", folder);
            return files;
        }

        /// <summary>[3,224,224] RGB, 0–255 floats, planar: ResNetPreprocess's input.</summary>
        public static float[] Read(string path)
        {
            var image = ImageResult.FromMemory(File.ReadAllBytes(path), ColorComponents.RedGreenBlue);
            if (image.Width != Side || image.Height != Side) throw new InvalidDataException($"{path} is {image.Width}x{image.Height}, not {Side}x{Side}");
            var planar = new float[Length];
            for (int i = 0; i < Side * Side; i++)
                for (int c = 0; c < 3; c++)
                    planar[c * Side * Side + i] = image.Data[i * 3 + c];
            return planar;
        }
    }
}
