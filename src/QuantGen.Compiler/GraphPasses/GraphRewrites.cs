// Graph rewrites run after shape inference: each is exact in float (up to rounding) and local.
using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir;
using QuantGen.Compiler.Operators;

namespace QuantGen.Compiler.GraphPasses
{
    public static class GraphRewrites
    {
        /// <summary>Runs every rewrite in a fixed order; returns how many nodes each removed (for the log and tests).</summary>
        public static RewriteCounts Run(Graph graph)
        {
            var counts = new RewriteCounts
            {
                Identities = RemoveIdentities(graph),
                BatchNormsFolded = FoldBatchNormIntoConv(graph),
                BiasAddsFolded = FoldBiasAddIntoConv(graph),
                BatchNormsDecomposed = DecomposeBatchNorm(graph),
                ActivationsFused = FuseActivations(graph),
            };
            counts.DeadNodes = graph.RemoveDeadNodes();
            return counts;
        }

        /// <summary>Identity and (inference) Dropout forward their input.</summary>
        public static int RemoveIdentities(Graph graph)
        {
            // Each removed output is forwarded to its input, and every reader rewired once at the end: rewiring the whole
            // graph per removal made a chain of Identity nodes quadratic.
            var forward = new Dictionary<Value, Value>();
            Value Resolve(Value v)
            {
                while (forward.TryGetValue(v, out var next)) v = next;
                return v;
            }
            var read = new HashSet<Value>(graph.Nodes.SelectMany(n => n.Inputs).Where(v => v != null)!);
            var outputs = new HashSet<Value>(graph.Outputs);
            var removed = new HashSet<Node>();
            foreach (var node in graph.Nodes.Where(n => n.OpType == "Identity" || n.OpType == "Dropout").ToList())
            {
                var input = Resolve(node.Input(0)!);
                var output = node.Outputs[0];
                // A graph output must stay a distinct buffer when it would otherwise be a graph input or a constant.
                if (outputs.Contains(output) && (input.Producer == null || outputs.Contains(input))) continue;
                if (node.Outputs.Skip(1).Any(m => read.Contains(m) || outputs.Contains(m))) continue;
                removed.Add(node);
                forward[output] = input;
                if (read.Contains(output)) read.Add(input);
                if (outputs.Remove(output))
                {
                    // A graph output keeps its public name: the value that replaces it takes it over.
                    for (int i = 0; i < graph.Outputs.Count; i++)
                        if (ReferenceEquals(graph.Outputs[i], output)) graph.Outputs[i] = input;
                    input.Name = output.Name;
                    outputs.Add(input);
                }
            }
            if (removed.Count == 0) return 0;
            graph.Nodes.RemoveAll(removed.Contains);
            foreach (var node in graph.Nodes)
                for (int i = 0; i < node.Inputs.Count; i++)
                    if (node.Inputs[i] is { } v && forward.ContainsKey(v)) node.Inputs[i] = Resolve(v);
            return removed.Count;
        }

        /// <summary>Conv → BatchNormalization with constant parameters becomes one Conv with scaled weights and bias.</summary>
        public static int FoldBatchNormIntoConv(Graph graph)
        {
            int folded = 0;
            foreach (var bn in graph.Nodes.Where(n => n.OpType == "BatchNormalization").ToList())
            {
                var conv = SoleProducer(graph, bn.Input(0)!, "Conv");
                if (conv == null || !FusedActivation.Of(conv).IsNone) continue;
                var w = conv.Input(1)!.Constant;
                if (w == null || bn.Inputs.Skip(1).Take(4).Any(v => v?.Constant == null)) continue;
                var (scale, shift) = BatchNormalizationOperator.Affine(bn, bn.Input(1)!.Constant!, bn.Input(2)!.Constant!, bn.Input(3)!.Constant!, bn.Input(4)!.Constant!);
                int oc = w.Shape[0], per = w.ElementCount / oc;
                var nw = (float[])w.ToFloatArray().Clone();
                for (int o = 0; o < oc; o++)
                    for (int i = 0; i < per; i++) nw[o * per + i] *= scale[o];
                var oldBias = conv.Input(2)?.Constant?.ToFloatArray();
                var nb = new float[oc];
                for (int o = 0; o < oc; o++) nb[o] = (oldBias?[o] ?? 0) * scale[o] + shift[o];
                SetConstantInput(conv, 1, Tensor.FromFloats(w.Shape, nw), conv.Name + ".weight_bn");
                SetConstantInput(conv, 2, Tensor.FromFloats(new[] { oc }, nb), conv.Name + ".bias_bn");
                Bypass(graph, bn, conv.Outputs[0]);
                folded++;
            }
            return folded;
        }

        /// <summary>Conv → Add(per-channel constant) (as opset 7–8 exporters emit the bias) folds into the Conv bias.</summary>
        public static int FoldBiasAddIntoConv(Graph graph)
        {
            int folded = 0;
            foreach (var add in graph.Nodes.Where(n => n.OpType == "Add").ToList())
            {
                for (int side = 0; side < 2; side++)
                {
                    var conv = SoleProducer(graph, add.Input(side)!, "Conv");
                    var c = add.Input(1 - side)!.Constant;
                    if (conv == null || c == null || !FusedActivation.Of(conv).IsNone) continue;
                    int oc = conv.Outputs[0].Shape![1];
                    // Accept [C], [C,1,1] and [1,C,1,1]: exactly one non-unit axis, which is the channel axis.
                    var nonUnit = c.Shape.Select((d, i) => (d, i)).Where(p => p.d != 1).ToList();
                    bool perChannel = c.ElementCount == oc && c.Rank <= 4 && (oc == 1 || (nonUnit.Count == 1 && c.Rank - nonUnit[0].i == 3));
                    if (!perChannel || add.Outputs[0].Shape!.SequenceEqual(conv.Outputs[0].Shape!) == false) continue;
                    var oldBias = conv.Input(2)?.Constant?.ToFloatArray();
                    var extra = c.ToFloatArray();
                    var nb = new float[oc];
                    for (int o = 0; o < oc; o++) nb[o] = (oldBias?[o] ?? 0) + extra[o];
                    SetConstantInput(conv, 2, Tensor.FromFloats(new[] { oc }, nb), conv.Name + ".bias_add");
                    Bypass(graph, add, conv.Outputs[0]);
                    folded++;
                    break;
                }
            }
            return folded;
        }

        /// <summary>A BatchNormalization that could not fold becomes Mul and Add by per-channel constants.</summary>
        public static int DecomposeBatchNorm(Graph graph)
        {
            int count = 0;
            foreach (var bn in graph.Nodes.Where(n => n.OpType == "BatchNormalization").ToList())
            {
                if (bn.Inputs.Skip(1).Take(4).Any(v => v?.Constant == null)) continue;
                var (scale, shift) = BatchNormalizationOperator.Affine(bn, bn.Input(1)!.Constant!, bn.Input(2)!.Constant!, bn.Input(3)!.Constant!, bn.Input(4)!.Constant!);
                var x = bn.Input(0)!;
                var channelShape = new int[x.Rank - 1];
                channelShape[0] = scale.Length;
                for (int i = 1; i < channelShape.Length; i++) channelShape[i] = 1;
                var mulOut = new Value(bn.Name + ".scaled", x.Type, x.Shape) { IsBatched = x.IsBatched };
                var mul = new Node(bn.Name + ".mul", "Mul", new[] { x, new Value(bn.Name + ".scale", DataType.Float32, channelShape) { Constant = Tensor.FromFloats(channelShape, scale) } }, new[] { mulOut });
                var output = bn.Outputs[0];
                int at = graph.Nodes.IndexOf(bn);
                graph.Nodes[at] = mul;
                var add = new Node(bn.Name + ".shift", "Add", new[] { mulOut, new Value(bn.Name + ".shift_value", DataType.Float32, channelShape) { Constant = Tensor.FromFloats(channelShape, shift) } }, new[] { output });
                graph.Nodes.Insert(at + 1, add);
                count++;
            }
            return count;
        }

        /// <summary>Relu, Clip and LeakyRelu after Conv/Gemm/MatMul run in the producer's epilogue.</summary>
        public static int FuseActivations(Graph graph)
        {
            int fused = 0;
            foreach (var act in graph.Nodes.Where(n => OperatorSet.Find(n) is ActivationOperator && !ActivationOperator.HasRuntimeBounds(n)).ToList())
            {
                var spec = ((ActivationOperator)OperatorSet.Find(act)!).SpecOf(act);
                if (!FusedActivation.CanFuse(spec)) continue;
                var producer = act.Input(0)!.Producer;
                if (producer == null || !(producer.OpType == "Conv" || producer.OpType == "Gemm" || producer.OpType == "MatMul")) continue;
                if (SoleProducer(graph, act.Input(0)!, producer.OpType) == null || !FusedActivation.Of(producer).IsNone) continue;
                FusedActivation.Set(producer, spec);
                Bypass(graph, act, producer.Outputs[0]);
                fused++;
            }
            return fused;
        }

        /// <summary>The producer of <paramref name="value"/> when it has op <paramref name="opType"/> and nobody else reads the value.</summary>
        private static Node? SoleProducer(Graph graph, Value value, string opType)
        {
            var p = value.Producer;
            if (p == null || p.OpType != opType || graph.IsGraphOutput(value)) return null;
            return graph.Consumers(value).Count() == 1 ? p : null;
        }

        /// <summary>Removes <paramref name="node"/>; its output is now computed by <paramref name="replacement"/>'s producer.</summary>
        private static void Bypass(Graph graph, Node node, Value replacement)
        {
            graph.Nodes.Remove(node);
            var output = node.Outputs[0];
            graph.ReplaceAllUses(output, replacement);
            replacement.Shape = output.Shape;
        }

        internal static void SetConstantInput(Node node, int index, Tensor value, string name)
        {
            var v = new Value(name, value.Type, value.Shape) { Constant = value };
            while (node.Inputs.Count <= index) node.Inputs.Add(null);
            node.Inputs[index] = v;
        }
    }

    public sealed class RewriteCounts
    {
        public int Identities { get; set; }
        public int BatchNormsFolded { get; set; }
        public int BiasAddsFolded { get; set; }
        public int BatchNormsDecomposed { get; set; }
        public int ActivationsFused { get; set; }
        public int DeadNodes { get; set; }

        public override string ToString() =>
            $"identities {Identities}, batchnorm folded {BatchNormsFolded}, bias adds folded {BiasAddsFolded}, batchnorm decomposed {BatchNormsDecomposed}, activations fused {ActivationsFused}, dead {DeadNodes}";
    }
}
