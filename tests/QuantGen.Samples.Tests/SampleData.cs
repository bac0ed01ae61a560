// The raw test sets the samples are checked against (tests/assets/models/*/data).
using System;
using System.IO;
using System.Runtime.InteropServices;
using QuantGen.Tests;

namespace QuantGen.Samples.Tests
{
    internal static class SampleData
    {
        private static readonly Lazy<float[]> s_digitsX = new Lazy<float[]>(() => ReadFloats(RepoPaths.Model("mobilenetv2-digits"), "test_x.f32"));
        private static readonly Lazy<int[]> s_digitsY = new Lazy<int[]>(() => ReadInts(RepoPaths.Model("mobilenetv2-digits"), "test_y.i32"));

        /// <summary>mobilenetv2-digits test images, [450, 3, 32, 32] in [0, 1].</summary>
        public static float[] DigitsX => s_digitsX.Value;
        public static int[] DigitsY => s_digitsY.Value;

        /// <summary>samples/ImagingTriage/images.</summary>
        public static string ShippedImages => Path.Combine(RepoPaths.Root, "samples", "ImagingTriage", "images");

        /// <summary>Pixels libjpeg-turbo decodes from the shipped JPEGs (samples/ImagingTriage/images/make_jpegs.py).</summary>
        public static string ImageOracle => Path.Combine(RepoPaths.Root, "tests", "QuantGen.Samples.Tests", "ImageOracle");

        public static float[] ReadFloats(string model, string file) =>
            MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(model, "data", file))).ToArray();

        public static int[] ReadInts(string model, string file) =>
            MemoryMarshal.Cast<byte, int>(File.ReadAllBytes(Path.Combine(model, "data", file))).ToArray();

        /// <summary>"digit-7-0012.png" → label 7, test index 12.</summary>
        public static (int Label, int Index) ParseName(string path)
        {
            string[] parts = Path.GetFileNameWithoutExtension(path).Split('-');
            return (int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
