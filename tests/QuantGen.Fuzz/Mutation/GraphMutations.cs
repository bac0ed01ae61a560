// Structure-aware edits of an ONNX model: the graph stays parseable protobuf, but its meaning breaks (inputs
// renamed or removed, op types swapped, attributes out of range, lying dims, odd graph outputs, cycles, huge folds).
using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using QuantGen.Fuzz.Cases;
using QuantGen.Onnx.Proto;

namespace QuantGen.Fuzz.Mutation
{
    internal static class GraphMutations
    {
        /// <summary>Op types a node may be swapped to: QuantGen's own set, plus a few it does not have.</summary>
        private static readonly string[] s_opTypes = QuantGen.Compiler.Operators.OperatorSet.All.Select(d => d.OpType)
            .Concat(new[] { "If", "Loop", "NonZero", "Unknown", "", "relu" }).ToArray();

        private static readonly (string Name, AttributeProto.Types.AttributeType Type)[] s_knownAttributes =
        {
            ("axis", AttributeProto.Types.AttributeType.Int), ("axes", AttributeProto.Types.AttributeType.Ints),
            ("kernel_shape", AttributeProto.Types.AttributeType.Ints), ("pads", AttributeProto.Types.AttributeType.Ints),
            ("strides", AttributeProto.Types.AttributeType.Ints), ("dilations", AttributeProto.Types.AttributeType.Ints),
            ("group", AttributeProto.Types.AttributeType.Int), ("perm", AttributeProto.Types.AttributeType.Ints),
            ("transA", AttributeProto.Types.AttributeType.Int), ("transB", AttributeProto.Types.AttributeType.Int),
            ("keepdims", AttributeProto.Types.AttributeType.Int), ("output_padding", AttributeProto.Types.AttributeType.Ints),
            ("output_shape", AttributeProto.Types.AttributeType.Ints), ("split", AttributeProto.Types.AttributeType.Ints),
            ("ceil_mode", AttributeProto.Types.AttributeType.Int), ("count_include_pad", AttributeProto.Types.AttributeType.Int),
            ("to", AttributeProto.Types.AttributeType.Int), ("allowzero", AttributeProto.Types.AttributeType.Int),
            ("epsilon", AttributeProto.Types.AttributeType.Float), ("alpha", AttributeProto.Types.AttributeType.Float),
            ("beta", AttributeProto.Types.AttributeType.Float), ("min", AttributeProto.Types.AttributeType.Float),
            ("max", AttributeProto.Types.AttributeType.Float), ("scales", AttributeProto.Types.AttributeType.Floats),
            ("mode", AttributeProto.Types.AttributeType.String), ("auto_pad", AttributeProto.Types.AttributeType.String),
            ("coordinate_transformation_mode", AttributeProto.Types.AttributeType.String), ("value", AttributeProto.Types.AttributeType.Tensor),
            ("block_size", AttributeProto.Types.AttributeType.Int), ("saturate", AttributeProto.Types.AttributeType.Int),
        };

        private static readonly string[] s_strings = { "", "constant", "reflect", "edge", "nearest", "linear", "cubic", "SAME_UPPER", "SAME_LOWER", "VALID", "NOTSET", "half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize", "bogus" };

        /// <summary>Applies one structural mutation to <paramref name="model"/>.</summary>
        public static void Apply(Random random, ModelProto model, FuzzCase c)
        {
            var graph = model.Graph ??= new GraphProto();
            var log = c.Mutations;
            switch (random.Next(19))
            {
                case 16: case 17: Plausible(random, graph, log); break;
                case 18: Sibling(random, graph, log); break;
                case 0: case 1: NodeInputs(random, graph, log); break;
                case 2: NodeOutputs(random, graph, log); break;
                case 3: OpType(random, graph, log); break;
                case 4: case 5: case 6: Attribute(random, graph, log); break;
                case 7: ValueInfoDims(random, graph, log); break;
                case 8: case 9: Initializer(random, graph, log); break;
                case 10: GraphOutputs(random, graph, log); break;
                case 11: NodeOrder(random, graph, log); break;
                case 12: Opset(random, model, log); break;
                case 13: HugeFold(random, graph, log); break;
                case 14: Batch(random, graph, log); break;
                default: Chain(random, graph, log); break;
            }
        }

        /// <summary>
        /// An edit that keeps the model plausible (small sizes, small attribute values) so it reaches lowering, memory
        /// planning and the plan validator: a tiny image under a big kernel, a stride larger than the input, a group count
        /// that divides the channels.
        /// </summary>
        private static void Plausible(Random random, GraphProto g, List<string> log)
        {
            if (random.Next(2) == 0 && g.Input.Count > 0)
            {
                var input = random.Pick(g.Input);
                var dims = input.Type?.TensorType?.Shape?.Dim;
                if (dims != null && dims.Count > 1)
                {
                    for (int k = 1; k < dims.Count; k++)
                        if (random.Next(2) == 0) dims[k] = new TensorShapeProto.Types.Dimension { DimValue = Interesting.Small(random) };
                    log.Add($"value '{input.Name}': small dims [{string.Join(",", dims.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture) : d.DimParam))}]");
                    return;
                }
            }
            var node = AnyNode(random, g);
            if (node == null) { Chain(random, g, log); return; }
            var (name, type) = random.Pick(s_knownAttributes.Where(a => a.Type == AttributeProto.Types.AttributeType.Int || a.Type == AttributeProto.Types.AttributeType.Ints).ToList());
            if (node.Attribute.FirstOrDefault(a => a.Name == name) is { } old) node.Attribute.Remove(old);
            var attribute = new AttributeProto { Name = name, Type = type };
            if (type == AttributeProto.Types.AttributeType.Int) attribute.I = random.Next(-1, 4);
            else for (int i = 0, n = random.Pick(new[] { 1, 2, 4 }); i < n; i++) attribute.Ints.Add(random.Next(0, 4));
            node.Attribute.Add(attribute);
            log.Add($"{Label(node)}: {name}={Describe(attribute)}");
        }

        /// <summary>An op swapped for one of the same family and arity: Relu for Sigmoid, Add for Max, MaxPool for AveragePool.</summary>
        private static void Sibling(Random random, GraphProto g, List<string> log)
        {
            var families = new[]
            {
                new[] { "Relu", "Sigmoid", "Tanh", "Neg", "Abs", "Exp", "Log", "Sqrt", "Softplus", "HardSwish", "Elu", "LeakyRelu", "Identity", "Softmax", "LogSoftmax" },
                new[] { "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "PRelu" },
                new[] { "MaxPool", "AveragePool" },
                new[] { "GlobalAveragePool", "GlobalMaxPool" },
                new[] { "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin" },
                new[] { "Gemm", "MatMul" },
                new[] { "Conv", "ConvTranspose" },
                new[] { "Squeeze", "Unsqueeze", "Flatten", "Identity" },
            };
            var candidates = g.Node.Where(n => families.Any(f => f.Contains(n.OpType))).ToList();
            if (candidates.Count == 0) { OpType(random, g, log); return; }
            var node = random.Pick(candidates);
            var family = families.First(f => f.Contains(node.OpType));
            string op = random.Pick(family);
            log.Add($"{Label(node)}: op type -> {op}");
            node.OpType = op;
        }

        private static List<string> ValueNames(GraphProto g) =>
            g.Input.Select(i => i.Name).Concat(g.Initializer.Select(t => t.Name)).Concat(g.Node.SelectMany(n => n.Output)).Where(n => n.Length > 0).ToList();

        private static NodeProto? AnyNode(Random random, GraphProto g) => g.Node.Count == 0 ? null : g.Node[random.Next(g.Node.Count)];

        private static string Label(NodeProto n) => $"{n.OpType} '{n.Name}'";

        private static void NodeInputs(Random random, GraphProto g, List<string> log)
        {
            var node = AnyNode(random, g);
            if (node == null) { Chain(random, g, log); return; }
            int k = node.Input.Count == 0 ? -1 : random.Next(node.Input.Count);
            switch (random.Next(6))
            {
                case 0 when k >= 0:
                    string other = random.Pick(ValueNames(g));
                    log.Add($"{Label(node)}: input {k} -> '{other}'");
                    node.Input[k] = other;
                    break;
                case 1 when k >= 0:
                    log.Add($"{Label(node)}: input {k} -> ''");
                    node.Input[k] = "";
                    break;
                case 2 when k >= 0:
                    log.Add($"{Label(node)}: input {k} removed");
                    node.Input.RemoveAt(k);
                    break;
                case 3:
                    log.Add($"{Label(node)}: all {node.Input.Count} inputs removed");
                    node.Input.Clear();
                    break;
                case 4:
                    string extra = random.Next(3) == 0 ? "" : random.Pick(ValueNames(g));
                    log.Add($"{Label(node)}: extra input '{extra}'");
                    node.Input.Add(extra);
                    break;
                default:
                    if (k < 0) goto case 4;
                    // Read its own output: a cycle.
                    string own = node.Output.Count > 0 ? node.Output[0] : "nothing";
                    log.Add($"{Label(node)}: input {k} -> its own output '{own}'");
                    node.Input[k] = own;
                    break;
            }
        }

        private static void NodeOutputs(Random random, GraphProto g, List<string> log)
        {
            var node = AnyNode(random, g);
            if (node == null) { Chain(random, g, log); return; }
            switch (random.Next(4))
            {
                case 0 when node.Output.Count > 0:
                    string other = random.Pick(ValueNames(g));
                    log.Add($"{Label(node)}: output 0 -> '{other}' (a duplicate name)");
                    node.Output[0] = other;
                    break;
                case 1:
                    log.Add($"{Label(node)}: outputs removed");
                    node.Output.Clear();
                    break;
                case 2:
                    log.Add($"{Label(node)}: extra output");
                    node.Output.Add(node.Name + "_extra_out");
                    break;
                default:
                    log.Add($"{Label(node)}: name -> duplicate or empty");
                    node.Name = random.Next(2) == 0 ? "" : g.Node[0].Name;
                    break;
            }
        }

        private static void OpType(Random random, GraphProto g, List<string> log)
        {
            var node = AnyNode(random, g);
            if (node == null) { Chain(random, g, log); return; }
            if (random.Next(8) == 0)
            {
                string domain = random.Pick(new[] { "com.microsoft", "ai.onnx.ml", "ai.onnx", "x" });
                log.Add($"{Label(node)}: domain '{domain}'");
                node.Domain = domain;
                return;
            }
            string op = random.Pick(s_opTypes);
            log.Add($"{Label(node)}: op type -> {op}");
            node.OpType = op;
        }

        private static void Attribute(Random random, GraphProto g, List<string> log)
        {
            var node = AnyNode(random, g);
            if (node == null) { Chain(random, g, log); return; }
            if (node.Attribute.Count == 0 || random.Next(4) == 0)
            {
                var (name, type) = random.Pick(s_knownAttributes);
                if (node.Attribute.FirstOrDefault(a => a.Name == name) is { } old) node.Attribute.Remove(old);
                var a = new AttributeProto { Name = name, Type = type };
                Randomize(random, a, type);
                node.Attribute.Add(a);
                log.Add($"{Label(node)}: add {name}={Describe(a)}");
                return;
            }
            var attribute = node.Attribute[random.Next(node.Attribute.Count)];
            switch (random.Next(6))
            {
                case 0:
                    node.Attribute.Remove(attribute);
                    log.Add($"{Label(node)}: remove {attribute.Name}");
                    break;
                case 1:
                    var type = (AttributeProto.Types.AttributeType)random.Next(0, 15);
                    log.Add($"{Label(node)}: {attribute.Name} type {attribute.Type} -> {type}");
                    attribute.Type = type;
                    break;
                default:
                    Randomize(random, attribute, attribute.Type);
                    log.Add($"{Label(node)}: {attribute.Name}={Describe(attribute)}");
                    break;
            }
        }

        private static void Randomize(Random random, AttributeProto a, AttributeProto.Types.AttributeType type)
        {
            switch (type)
            {
                case AttributeProto.Types.AttributeType.Int:
                    a.I = Interesting.Integer(random);
                    break;
                case AttributeProto.Types.AttributeType.Float:
                    a.F = Interesting.Float(random);
                    break;
                case AttributeProto.Types.AttributeType.Ints:
                    if (a.Ints.Count == 0 || random.Next(3) == 0)
                    {
                        int n = random.Pick(new[] { 0, 1, 2, 3, 4, 6, 8, 64 });
                        a.Ints.Clear();
                        for (int i = 0; i < n; i++) a.Ints.Add(random.Next(2) == 0 ? random.Next(-2, 5) : Interesting.Integer(random));
                    }
                    else
                    {
                        a.Ints[random.Next(a.Ints.Count)] = Interesting.Integer(random);
                    }
                    break;
                case AttributeProto.Types.AttributeType.Floats:
                    if (a.Floats.Count == 0 || random.Next(3) == 0)
                    {
                        int n = random.Pick(new[] { 0, 1, 2, 4, 5 });
                        a.Floats.Clear();
                        for (int i = 0; i < n; i++) a.Floats.Add(Interesting.Float(random));
                    }
                    else
                    {
                        a.Floats[random.Next(a.Floats.Count)] = Interesting.Float(random);
                    }
                    break;
                case AttributeProto.Types.AttributeType.String:
                    a.S = ByteString.CopyFromUtf8(random.Pick(s_strings));
                    break;
                case AttributeProto.Types.AttributeType.Tensor:
                    a.T ??= new TensorProto { DataType = 1, Dims = { 1 }, FloatData = { 1f } };
                    MutateTensor(random, a.T, new List<string>());
                    break;
                case AttributeProto.Types.AttributeType.Graph:
                    a.G = new GraphProto { Name = "body" };
                    break;
                default:
                    a.I = Interesting.Integer(random);
                    break;
            }
        }

        private static string Describe(AttributeProto a) => a.Type switch
        {
            AttributeProto.Types.AttributeType.Int => a.I.ToString(System.Globalization.CultureInfo.InvariantCulture),
            AttributeProto.Types.AttributeType.Float => a.F.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            AttributeProto.Types.AttributeType.Ints => "[" + string.Join(",", a.Ints.Take(8)) + (a.Ints.Count > 8 ? ",…" : "") + "]",
            AttributeProto.Types.AttributeType.Floats => "[" + string.Join(",", a.Floats.Take(8).Select(f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]",
            AttributeProto.Types.AttributeType.String => "'" + a.S.ToStringUtf8() + "'",
            AttributeProto.Types.AttributeType.Tensor => "tensor dims [" + string.Join(",", a.T?.Dims ?? (IEnumerable<long>)Array.Empty<long>()) + "]",
            _ => a.Type.ToString(),
        };

        private static void ValueInfoDims(Random random, GraphProto g, List<string> log)
        {
            var infos = g.Input.Concat(g.Output).ToList();
            if (infos.Count == 0) { GraphOutputs(random, g, log); return; }
            var info = random.Pick(infos);
            var tensor = info.Type?.TensorType;
            if (tensor == null || random.Next(10) == 0)
            {
                log.Add($"value '{info.Name}': type removed");
                info.Type = null;
                return;
            }
            if (random.Next(6) == 0)
            {
                int elem = random.Next(0, 18);
                log.Add($"value '{info.Name}': element type {tensor.ElemType} -> {elem}");
                tensor.ElemType = elem;
                return;
            }
            tensor.Shape ??= new TensorShapeProto();
            var dims = tensor.Shape.Dim;
            switch (random.Next(5))
            {
                case 0 when dims.Count > 0:
                    int k = random.Next(dims.Count);
                    long size = Interesting.Size(random);
                    log.Add($"value '{info.Name}': dim {k} -> {size}");
                    dims[k] = new TensorShapeProto.Types.Dimension { DimValue = size };
                    break;
                case 1 when dims.Count > 0:
                    int s = random.Next(dims.Count);
                    log.Add($"value '{info.Name}': dim {s} symbolic");
                    dims[s] = new TensorShapeProto.Types.Dimension { DimParam = random.Next(2) == 0 ? "N" : "M" };
                    break;
                case 2:
                    log.Add($"value '{info.Name}': extra dim");
                    dims.Insert(random.Next(dims.Count + 1), new TensorShapeProto.Types.Dimension { DimValue = Interesting.Size(random) });
                    break;
                case 3 when dims.Count > 0:
                    log.Add($"value '{info.Name}': dim removed");
                    dims.RemoveAt(random.Next(dims.Count));
                    break;
                default:
                    log.Add($"value '{info.Name}': shape removed");
                    tensor.Shape = null;
                    break;
            }
        }

        private static void Initializer(Random random, GraphProto g, List<string> log)
        {
            if (g.Initializer.Count == 0) { HugeFold(random, g, log); return; }
            var t = g.Initializer[random.Next(g.Initializer.Count)];
            var local = new List<string>();
            MutateTensor(random, t, local);
            foreach (var m in local) log.Add($"initializer '{t.Name}': {m}");
        }

        /// <summary>Lying dims, another element type, cut or missing data, or boundary values in the data.</summary>
        public static void MutateTensor(Random random, TensorProto t, List<string> log)
        {
            switch (random.Next(7))
            {
                case 0:
                {
                    if (t.Dims.Count == 0) t.Dims.Add(1);
                    int k = random.Next(t.Dims.Count);
                    long d = Interesting.Size(random);
                    log.Add($"dim {k} {t.Dims[k]} -> {d} (data unchanged)");
                    t.Dims[k] = d;
                    break;
                }
                case 1:
                {
                    var dims = random.Pick(new[] { new long[] { 0 }, new long[] { int.MaxValue }, new long[] { 1L << 33 }, new long[] { 65536, 65536 }, new long[] { -1 }, new long[] { 100000, 100000 }, Array.Empty<long>() });
                    log.Add($"dims -> [{string.Join(",", dims)}] (data unchanged)");
                    t.Dims.Clear();
                    t.Dims.AddRange(dims);
                    break;
                }
                case 2:
                {
                    int type = random.Next(0, 18);
                    log.Add($"data type {t.DataType} -> {type}");
                    t.DataType = type;
                    break;
                }
                case 3:
                {
                    if (t.RawData.Length > 0)
                    {
                        int keep = random.Next(t.RawData.Length);
                        log.Add($"raw_data cut to {keep} of {t.RawData.Length}");
                        t.RawData = ByteString.CopyFrom(t.RawData.Span.Slice(0, keep));
                    }
                    else
                    {
                        log.Add("typed data cleared");
                        t.FloatData.Clear(); t.Int64Data.Clear(); t.Int32Data.Clear(); t.DoubleData.Clear();
                    }
                    break;
                }
                default:
                    Values(random, t, log);
                    break;
            }
        }

        /// <summary>Boundary values in the data: a shape, axes, pads or scales initializer decides what the compiler builds.</summary>
        private static void Values(Random random, TensorProto t, List<string> log)
        {
            int count = 1;
            foreach (long d in t.Dims) count = (int)Math.Min(int.MaxValue, Math.Max(0, count * Math.Max(0, d)));
            if (t.DataType == (int)TensorProto.Types.DataType.Int64 || t.DataType == (int)TensorProto.Types.DataType.Int32)
            {
                int size = t.DataType == (int)TensorProto.Types.DataType.Int64 ? 8 : 4;
                var values = Decode(t, size, count);
                if (values.Length == 0) return;
                int n = 1 + random.Next(Math.Min(3, values.Length));
                for (int i = 0; i < n; i++) values[random.Next(values.Length)] = size == 8 ? Interesting.Integer(random) : (int)Interesting.Integer(random);
                log.Add($"values -> [{string.Join(",", values.Take(8))}]");
                var bytes = new byte[values.Length * size];
                for (int i = 0; i < values.Length; i++)
                {
                    if (size == 8) BitConverter.TryWriteBytes(bytes.AsSpan(i * 8), values[i]);
                    else BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), (int)values[i]);
                }
                t.Int64Data.Clear(); t.Int32Data.Clear();
                t.RawData = ByteString.CopyFrom(bytes);
            }
            else if (t.DataType == (int)TensorProto.Types.DataType.Float)
            {
                float[] floats;
                if (t.RawData.Length > 0) { floats = new float[t.RawData.Length / 4]; Buffer.BlockCopy(t.RawData.ToByteArray(), 0, floats, 0, floats.Length * 4); }
                else floats = t.FloatData.ToArray();
                if (floats.Length == 0) return;
                int n = 1 + random.Next(Math.Min(4, floats.Length));
                for (int i = 0; i < n; i++) floats[random.Next(floats.Length)] = Interesting.Float(random);
                if (random.Next(6) == 0) Array.Fill(floats, Interesting.Float(random));
                log.Add($"{n} float values -> boundary values");
                var bytes = new byte[floats.Length * 4];
                Buffer.BlockCopy(floats, 0, bytes, 0, bytes.Length);
                t.FloatData.Clear();
                t.RawData = ByteString.CopyFrom(bytes);
            }
            else
            {
                var raw = t.RawData.ToByteArray();
                if (raw.Length == 0) return;
                raw[random.Next(raw.Length)] = (byte)random.Next(256);
                log.Add("one byte of data changed");
                t.RawData = ByteString.CopyFrom(raw);
            }
        }

        private static long[] Decode(TensorProto t, int size, int count)
        {
            if (t.RawData.Length > 0)
            {
                var raw = t.RawData.Span;
                var values = new long[raw.Length / size];
                for (int i = 0; i < values.Length; i++) values[i] = size == 8 ? BitConverter.ToInt64(raw.Slice(i * 8)) : BitConverter.ToInt32(raw.Slice(i * 4));
                return values;
            }
            return size == 8 ? t.Int64Data.ToArray() : t.Int32Data.Select(v => (long)v).ToArray();
        }

        private static void GraphOutputs(Random random, GraphProto g, List<string> log)
        {
            switch (random.Next(6))
            {
                case 0 when g.Initializer.Count > 0:
                    string init = random.Pick(g.Initializer).Name;
                    log.Add($"graph output -> initializer '{init}'");
                    g.Output.Add(new ValueInfoProto { Name = init });
                    break;
                case 1 when g.Input.Count > 0:
                    string input = random.Pick(g.Input).Name;
                    log.Add($"graph output -> graph input '{input}'");
                    if (random.Next(2) == 0) g.Output.Clear();
                    g.Output.Add(g.Input.First(i => i.Name == input).Clone());
                    break;
                case 2 when g.Output.Count > 0:
                    log.Add($"graph output '{g.Output[0].Name}' listed twice");
                    g.Output.Add(g.Output[0].Clone());
                    break;
                case 3:
                    log.Add("graph outputs removed");
                    g.Output.Clear();
                    break;
                case 4:
                    var names = ValueNames(g);
                    if (names.Count == 0) goto case 3;
                    string any = random.Pick(names);
                    log.Add($"graph output -> value '{any}'");
                    g.Output.Add(new ValueInfoProto { Name = any });
                    break;
                default:
                    string missing = random.Next(2) == 0 ? "" : "no_such_value";
                    log.Add($"graph output -> '{missing}'");
                    g.Output.Add(new ValueInfoProto { Name = missing });
                    break;
            }
        }

        private static void NodeOrder(Random random, GraphProto g, List<string> log)
        {
            if (g.Node.Count == 0) { Chain(random, g, log); return; }
            switch (random.Next(4))
            {
                case 0:
                    var nodes = g.Node.ToList();
                    nodes.Reverse();
                    g.Node.Clear();
                    g.Node.AddRange(nodes);
                    log.Add("nodes reversed");
                    break;
                case 1:
                    var removed = g.Node[random.Next(g.Node.Count)];
                    g.Node.Remove(removed);
                    log.Add($"{Label(removed)} deleted");
                    break;
                case 2:
                    var copy = g.Node[random.Next(g.Node.Count)];
                    g.Node.Add(copy.Clone());
                    log.Add($"{Label(copy)} duplicated (same outputs)");
                    break;
                default:
                    // Two nodes reading each other's outputs: a cycle the file order cannot hide.
                    if (g.Node.Count < 2) goto case 2;
                    var a = g.Node[random.Next(g.Node.Count)];
                    var b = g.Node[random.Next(g.Node.Count)];
                    if (a.Input.Count > 0 && b.Output.Count > 0) a.Input[0] = b.Output[0];
                    if (b.Input.Count > 0 && a.Output.Count > 0) b.Input[0] = a.Output[0];
                    log.Add($"{Label(a)} and {Label(b)} read each other");
                    break;
            }
        }

        private static void Opset(Random random, ModelProto model, List<string> log)
        {
            switch (random.Next(3))
            {
                case 0:
                    long version = random.Pick(new long[] { 0, 1, 5, 6, 7, 9, 10, 11, 12, 17, 21, 99, -1, long.MaxValue });
                    model.OpsetImport.Clear();
                    model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = version });
                    log.Add($"opset {version}");
                    break;
                case 1:
                    model.OpsetImport.Clear();
                    log.Add("opset imports removed");
                    break;
                default:
                    model.IrVersion = Interesting.Integer(random);
                    log.Add($"ir_version {model.IrVersion}");
                    break;
            }
        }

        /// <summary>A node whose result is a huge constant: folding it at build time would take gigabytes.</summary>
        private static void HugeFold(Random random, GraphProto g, List<string> log)
        {
            long[] shape = random.Pick(new[] { new long[] { 40000, 40000 }, new long[] { 1_000_000, 1_000_000 }, new long[] { 1 << 16, 1 << 14 }, new long[] { 2_000_000_000 }, new long[] { 3, -1 }, new long[] { 0, 5 } });
            string name = "fuzz_shape" + g.Initializer.Count;
            var bytes = new byte[shape.Length * 8];
            for (int i = 0; i < shape.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 8), shape[i]);
            g.Initializer.Add(new TensorProto { Name = name, DataType = 7, Dims = { shape.Length }, RawData = ByteString.CopyFrom(bytes) });
            string op = random.Pick(new[] { "ConstantOfShape", "Expand", "Reshape", "Tile" });
            var node = new NodeProto { Name = "fuzz_" + op, OpType = op, Output = { "fuzz_big" } };
            switch (op)
            {
                case "ConstantOfShape": node.Input.Add(name); break;
                case "Expand": node.Input.Add(Scalar(g, 1f)); node.Input.Add(name); break;
                case "Reshape": node.Input.Add(Scalar(g, 1f)); node.Input.Add(name); break;
                default: node.Input.Add(Scalar(g, 1f)); node.Input.Add(name); break;
            }
            g.Node.Add(node);
            g.Output.Add(new ValueInfoProto { Name = "fuzz_big" });
            log.Add($"{op} to [{string.Join(",", shape)}] as a graph output");
        }

        private static string Scalar(GraphProto g, float value)
        {
            string name = "fuzz_scalar" + g.Initializer.Count;
            g.Initializer.Add(new TensorProto { Name = name, DataType = 1, Dims = { 1, 1 }, FloatData = { value } });
            return name;
        }

        /// <summary>The leading axis of the inputs fixed to 0, a huge batch, or made symbolic.</summary>
        private static void Batch(Random random, GraphProto g, List<string> log)
        {
            long batch = random.Pick(new long[] { 0, 1_000_000, 65536, -1 });
            foreach (var input in g.Input)
            {
                var dims = input.Type?.TensorType?.Shape?.Dim;
                if (dims == null || dims.Count == 0) continue;
                dims[0] = batch < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = batch };
            }
            log.Add($"batch axis -> {(batch < 0 ? "N" : batch.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
        }

        /// <summary>A long chain of unary nodes after the first graph output: compile time must stay linear in the node count.</summary>
        private static void Chain(Random random, GraphProto g, List<string> log)
        {
            if (g.Output.Count == 0) { GraphOutputs(random, g, log); return; }
            int length = random.Pick(new[] { 10, 100, 1000, 3000 });
            string op = random.Pick(new[] { "Relu", "Identity", "Neg", "Sigmoid" });
            string current = g.Output[0].Name;
            for (int i = 0; i < length; i++)
            {
                string next = $"fuzz_chain_{i}";
                g.Node.Add(new NodeProto { Name = next, OpType = op, Input = { current }, Output = { next } });
                current = next;
            }
            g.Output[0] = new ValueInfoProto { Name = current, Type = g.Output[0].Type };
            log.Add($"{length} {op} nodes appended");
        }
    }
}
