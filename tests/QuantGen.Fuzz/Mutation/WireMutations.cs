// Protobuf wire-level damage: lying lengths, wrong wire types, out-of-range varints, repeated and missing fields,
// deep nesting. Works on any message without its schema, so it also reaches fields the reader never looks at.
using System;
using System.Collections.Generic;
using System.IO;

namespace QuantGen.Fuzz.Mutation
{
    internal static class WireMutations
    {
        private sealed class Field
        {
            public int Number;
            public int WireType;
            public ulong Varint;
            public byte[] Payload = Array.Empty<byte>();
            public List<Field>? Children;
            public long? LengthOverride;
        }

        public static byte[] Apply(Random random, byte[] data, List<string> log)
        {
            var fields = Parse(data, 0);
            if (fields == null || fields.Count == 0) return ByteMutations.Apply(random, data, data, log);
            var all = new List<(List<Field> Parent, Field Field)>();
            Collect(fields, all);
            var (parent, field) = all[random.Next(all.Count)];
            switch (random.Next(9))
            {
                case 0:
                    field.WireType = 0;
                    field.Varint = (ulong)Interesting.Integer(random);
                    field.Children = null;
                    log.Add($"field {field.Number}: varint {(long)field.Varint}");
                    break;
                case 1:
                    if (field.WireType != 2) goto case 0;
                    long real = field.Children != null ? Serialize(field.Children).Length : field.Payload.Length;
                    field.LengthOverride = random.Next(3) switch { 0 => real + 1 + random.Next(8), 1 => Math.Max(0, real - 1 - random.Next(8)), _ => int.MaxValue };
                    log.Add($"field {field.Number}: length {field.LengthOverride} (is {real})");
                    break;
                case 2:
                    int wireType = random.Pick(new[] { 0, 1, 2, 3, 4, 5, 6, 7 });
                    log.Add($"field {field.Number}: wire type {field.WireType} -> {wireType}");
                    field.WireType = wireType;
                    break;
                case 3:
                    parent.Insert(parent.IndexOf(field), Clone(field));
                    log.Add($"field {field.Number}: repeated");
                    break;
                case 4:
                    parent.Remove(field);
                    log.Add($"field {field.Number}: removed");
                    break;
                case 5:
                    field.WireType = 2;
                    field.Children = null;
                    field.Payload = new byte[random.Next(24)];
                    random.NextBytes(field.Payload);
                    log.Add($"field {field.Number}: {field.Payload.Length} random bytes");
                    break;
                case 6:
                    int number = random.Next(4) == 0 ? random.Next(1, 536870911) : random.Next(1, 24);
                    log.Add($"field {field.Number} -> number {number}");
                    field.Number = number;
                    break;
                case 7:
                    // Deep nesting: a stack-hungry recursive reader would overflow (the process dies, no catch helps).
                    int depth = random.Pick(new[] { 100, 1000, 20_000, 200_000 });
                    field.WireType = 2;
                    field.Children = null;
                    field.Payload = Nested(depth);
                    log.Add($"field {field.Number}: nested {depth} deep");
                    break;
                default:
                    if (field.WireType != 2 || field.Children == null || field.Children.Count < 2) goto case 3;
                    int i = random.Next(field.Children.Count), j = random.Next(field.Children.Count);
                    (field.Children[i], field.Children[j]) = (field.Children[j], field.Children[i]);
                    log.Add($"field {field.Number}: swapped two sub-fields");
                    break;
            }
            return Serialize(fields);
        }

        private static void Collect(List<Field> fields, List<(List<Field>, Field)> all)
        {
            foreach (var f in fields)
            {
                all.Add((fields, f));
                if (f.Children != null) Collect(f.Children, all);
            }
        }

        private static Field Clone(Field f) => new Field
        {
            Number = f.Number, WireType = f.WireType, Varint = f.Varint, Payload = f.Payload, LengthOverride = f.LengthOverride,
            Children = f.Children == null ? null : f.Children.ConvertAll(Clone),
        };

        /// <summary>The fields of a message, or null when the bytes are not one. Sub-messages are guessed: a length-delimited
        /// payload that parses cleanly as fields is treated as a message (strings sometimes do; damaging them is fine too).</summary>
        private static List<Field>? Parse(byte[] data, int depth)
        {
            var fields = new List<Field>();
            int at = 0;
            while (at < data.Length)
            {
                if (!ReadVarint(data, ref at, out ulong tag)) return null;
                int number = (int)(tag >> 3), wireType = (int)(tag & 7);
                if (number <= 0 || number > 20000) return null;
                var f = new Field { Number = number, WireType = wireType };
                switch (wireType)
                {
                    case 0:
                        if (!ReadVarint(data, ref at, out f.Varint)) return null;
                        break;
                    case 1:
                    case 5:
                        int size = wireType == 1 ? 8 : 4;
                        if (at + size > data.Length) return null;
                        f.Payload = data.AsSpan(at, size).ToArray();
                        at += size;
                        break;
                    case 2:
                        if (!ReadVarint(data, ref at, out ulong length) || length > (ulong)(data.Length - at)) return null;
                        f.Payload = data.AsSpan(at, (int)length).ToArray();
                        at += (int)length;
                        if (depth < 8 && f.Payload.Length > 1) f.Children = Parse(f.Payload, depth + 1);
                        break;
                    default:
                        return null;
                }
                fields.Add(f);
            }
            return fields;
        }

        private static byte[] Serialize(List<Field> fields)
        {
            var output = new MemoryStream();
            foreach (var f in fields)
            {
                WriteVarint(output, ((ulong)(uint)f.Number << 3) | (uint)f.WireType);
                switch (f.WireType)
                {
                    case 0:
                        WriteVarint(output, f.Varint);
                        break;
                    case 2:
                        var payload = f.Children != null ? Serialize(f.Children) : f.Payload;
                        WriteVarint(output, (ulong)(f.LengthOverride ?? payload.Length));
                        output.Write(payload, 0, payload.Length);
                        break;
                    default:
                        // Wire types 1, 5 (fixed) and the invalid 3, 4, 6, 7: whatever bytes the field had.
                        output.Write(f.Payload, 0, f.Payload.Length);
                        if (f.Payload.Length == 0) WriteVarint(output, f.Varint);
                        break;
                }
            }
            return output.ToArray();
        }

        private static byte[] Nested(int depth)
        {
            // Each level is field 1, length-delimited, holding the level below: sizes from the inside out, bytes from the outside in.
            var sizes = new long[depth + 1];
            for (int i = 1; i <= depth; i++) sizes[i] = 1 + VarintLength((ulong)sizes[i - 1]) + sizes[i - 1];
            var output = new MemoryStream((int)sizes[depth]);
            for (int i = depth; i >= 1; i--)
            {
                output.WriteByte(0x0A);
                WriteVarint(output, (ulong)sizes[i - 1]);
            }
            return output.ToArray();
        }

        private static bool ReadVarint(byte[] data, ref int at, out ulong value)
        {
            value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (at >= data.Length) return false;
                byte b = data[at++];
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return true;
            }
            return false;
        }

        private static int VarintLength(ulong value)
        {
            int n = 1;
            while (value >= 0x80) { value >>= 7; n++; }
            return n;
        }

        private static void WriteVarint(Stream output, ulong value)
        {
            while (value >= 0x80)
            {
                output.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }
            output.WriteByte((byte)value);
        }
    }
}
