// Byte-level damage, blind to the format: what a bad disk, a cut download or a wrong tool does to a file.
using System;
using System.Collections.Generic;

namespace QuantGen.Fuzz.Mutation
{
    internal static class ByteMutations
    {
        /// <summary>Applies one random byte-level mutation; <paramref name="other"/> is a second file for splices.</summary>
        public static byte[] Apply(Random random, byte[] data, byte[] other, List<string> log)
        {
            if (data.Length == 0) return new byte[] { (byte)random.Next(256) };
            switch (random.Next(8))
            {
                case 0:
                {
                    int flips = 1 << random.Next(4);
                    var copy = (byte[])data.Clone();
                    for (int i = 0; i < flips; i++) copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
                    log.Add($"flip {flips} bits");
                    return copy;
                }
                case 1:
                {
                    var copy = (byte[])data.Clone();
                    int at = random.Next(copy.Length);
                    copy[at] = random.Pick(new byte[] { 0, 0xFF, 0x7F, 0x80, 0x01 });
                    log.Add($"set byte {at}");
                    return copy;
                }
                case 2:
                {
                    // Cut the file: a download or copy that stopped early (often right inside the last field).
                    int keep = random.Next(2) == 0 ? random.Next(data.Length) : data.Length - 1 - random.Next(Math.Min(64, data.Length));
                    log.Add($"truncate to {keep} of {data.Length}");
                    return data.AsSpan(0, Math.Max(0, keep)).ToArray();
                }
                case 3:
                {
                    int a = random.Next(data.Length), b = random.Next(other.Length + 1);
                    var splice = new byte[a + other.Length - b];
                    Array.Copy(data, splice, a);
                    Array.Copy(other, b, splice, a, other.Length - b);
                    log.Add($"splice at {a} with another file from {b}");
                    return splice;
                }
                case 4:
                {
                    int at = random.Next(data.Length + 1), count = 1 + random.Next(16);
                    var grown = new byte[data.Length + count];
                    Array.Copy(data, grown, at);
                    for (int i = 0; i < count; i++) grown[at + i] = (byte)random.Next(256);
                    Array.Copy(data, at, grown, at + count, data.Length - at);
                    log.Add($"insert {count} bytes at {at}");
                    return grown;
                }
                case 5:
                {
                    int at = random.Next(data.Length), count = Math.Min(data.Length - at, 1 + random.Next(64));
                    var shrunk = new byte[data.Length - count];
                    Array.Copy(data, shrunk, at);
                    Array.Copy(data, at + count, shrunk, at, data.Length - at - count);
                    log.Add($"delete {count} bytes at {at}");
                    return shrunk;
                }
                case 6:
                {
                    // A repeated chunk: what a buggy writer or a bad merge of a binary file does.
                    int at = random.Next(data.Length), count = Math.Min(data.Length - at, 1 + random.Next(256));
                    var grown = new byte[data.Length + count];
                    Array.Copy(data, grown, at + count);
                    Array.Copy(data, at, grown, at + count, data.Length - at);
                    log.Add($"duplicate {count} bytes at {at}");
                    return grown;
                }
                default:
                {
                    var copy = (byte[])data.Clone();
                    int at = random.Next(copy.Length), count = Math.Min(copy.Length - at, 1 + random.Next(32));
                    for (int i = 0; i < count; i++) copy[at + i] = (byte)random.Next(256);
                    log.Add($"randomize {count} bytes at {at}");
                    return copy;
                }
            }
        }
    }
}
