// Values that break code: boundaries of the integer types, zero, negatives, huge sizes, NaN and infinities.
using System;
using System.Collections.Generic;

namespace QuantGen.Fuzz.Mutation
{
    internal static class Interesting
    {
        public static readonly long[] Integers =
        {
            0, 1, -1, 2, -2, 3, 7, 16, 255, 256, -128, 65535, 1_000_000, 1_000_000_000, 2_000_000_000,
            int.MaxValue, (long)int.MaxValue + 1, int.MinValue, uint.MaxValue, 1L << 40, long.MaxValue, long.MinValue, long.MinValue + 1,
        };

        /// <summary>Sizes: what a dimension, a count or a length might be set to.</summary>
        public static readonly long[] Sizes = { 0, 1, 2, 3, 1000, 65536, 1_000_000, int.MaxValue, (long)int.MaxValue + 1, -1, -2 };

        public static readonly float[] Floats =
        {
            0f, -0f, 1f, -1f, -2f, 0.5f, 1e-30f, 1e9f, -1e9f, 3.4e38f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon,
        };

        public static T Pick<T>(this Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

        public static long Integer(Random random) => random.Next(4) == 0 ? random.Next(-5, 40) : random.Pick(Integers);

        /// <summary>A plausible small value: a model that stays valid but takes paths the reference models never do.</summary>
        public static long Small(Random random) => random.Next(1, 6);

        public static long Size(Random random) => random.Next(3) == 0 ? random.Next(0, 10) : random.Pick(Sizes);

        public static float Float(Random random) => random.Next(4) == 0 ? (float)(random.NextDouble() * 20 - 10) : random.Pick(Floats);
    }
}
