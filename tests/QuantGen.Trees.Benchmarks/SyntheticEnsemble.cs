// Synthetic tree ensembles for the measurements: full binary trees of one depth, random features and thresholds drawn
// from the same distribution as the rows, so every split sends rows both ways (the branch predictor's worst case).
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Ir;
using QuantGen.Onnx;

namespace QuantGen.Trees.Benchmarks
{
    internal sealed class SyntheticEnsemble
    {
        public const int Features = 30;

        public SyntheticEnsemble(int trees, int depth, int seed = 1)
        {
            Trees = trees;
            Depth = depth;
            var random = new Random(seed + 1000 * trees + depth);
            int nodes = (1 << (depth + 1)) - 1, branches = (1 << depth) - 1;
            Feature = new int[trees, branches];
            Threshold = new float[trees, branches];
            Leaf = new float[trees, branches + 1];
            for (int t = 0; t < trees; t++)
            {
                for (int i = 0; i < branches; i++)
                {
                    Feature[t, i] = random.Next(Features);
                    Threshold[t, i] = (float)Normal(random);
                }
                for (int l = 0; l <= branches; l++) Leaf[t, l] = (float)(Normal(random) * 0.1);
            }
            _ = nodes;
        }

        public int Trees { get; }
        public int Depth { get; }

        /// <summary>Branch i of tree t (level order: children 2i+1 when x ≤ t, 2i+2 otherwise); leaves left to right.</summary>
        public int[,] Feature { get; }
        public float[,] Threshold { get; }
        public float[,] Leaf { get; }

        public string Name => $"gbdt-{Trees}x{Depth}";

        /// <summary>Rows drawn like the thresholds.</summary>
        public static float[] Rows(int count, int seed = 7)
        {
            var random = new Random(seed);
            var rows = new float[count * Features];
            for (int i = 0; i < rows.Length; i++) rows[i] = (float)Normal(random);
            return rows;
        }

        /// <summary>A binary classifier as XGBoost exports one: one weight column, LOGISTIC, BRANCH_LEQ.</summary>
        public byte[] ToOnnx()
        {
            var treeIds = new List<long>(); var nodeIds = new List<long>(); var featureIds = new List<long>(); var modes = new List<string>();
            var values = new List<float>(); var trueIds = new List<long>(); var falseIds = new List<long>();
            var classTrees = new List<long>(); var classNodes = new List<long>(); var classIds = new List<long>(); var classWeights = new List<float>();
            int branches = (1 << Depth) - 1;
            for (int t = 0; t < Trees; t++)
            {
                for (int i = 0; i < 2 * branches + 1; i++)
                {
                    treeIds.Add(t); nodeIds.Add(i);
                    if (i < branches)
                    {
                        featureIds.Add(Feature[t, i]); modes.Add("BRANCH_LEQ"); values.Add(Threshold[t, i]); trueIds.Add(2 * i + 1); falseIds.Add(2 * i + 2);
                    }
                    else
                    {
                        featureIds.Add(0); modes.Add("LEAF"); values.Add(0); trueIds.Add(0); falseIds.Add(0);
                        classTrees.Add(t); classNodes.Add(i); classIds.Add(0); classWeights.Add(Leaf[t, i - branches]);
                    }
                }
            }
            var x = new Value("features", DataType.Float32, new[] { -1, Features }) { IsBatched = true };
            var label = new Value("label", DataType.Int64, new[] { -1 }) { IsBatched = true };
            var probabilities = new Value("probabilities", DataType.Float32, new[] { -1, 2 }) { IsBatched = true };
            var node = new Node("trees", "TreeEnsembleClassifier", new[] { x }, new[] { label, probabilities }, "ai.onnx.ml");
            void Ints(string name, List<long> v) => node.Attributes.Set(QuantGen.Ir.Attribute.OfInts(name, v.ToArray()));
            Ints("nodes_treeids", treeIds); Ints("nodes_nodeids", nodeIds); Ints("nodes_featureids", featureIds);
            Ints("nodes_truenodeids", trueIds); Ints("nodes_falsenodeids", falseIds);
            node.Attributes.Set(QuantGen.Ir.Attribute.OfStrings("nodes_modes", modes.ToArray()));
            node.Attributes.Set(QuantGen.Ir.Attribute.OfFloats("nodes_values", values.ToArray()));
            Ints("class_treeids", classTrees); Ints("class_nodeids", classNodes); Ints("class_ids", classIds);
            node.Attributes.Set(QuantGen.Ir.Attribute.OfFloats("class_weights", classWeights.ToArray()));
            Ints("classlabels_int64s", new List<long> { 0, 1 });
            node.Attributes.Set(QuantGen.Ir.Attribute.OfFloats("base_values", new[] { 0f }));
            node.Attributes.Set(QuantGen.Ir.Attribute.OfString("post_transform", "LOGISTIC"));
            var graph = new Graph();
            graph.Info.Opset = 13;
            graph.Info.IrVersion = 8;
            graph.Info.OtherOpsets["ai.onnx.ml"] = 3;
            graph.Inputs.Add(x);
            graph.Nodes.Add(node);
            graph.Outputs.Add(label);
            graph.Outputs.Add(probabilities);
            return OnnxModelWriter.Write(graph);
        }

        /// <summary>Writes the model under the temp folder once; returns its path.</summary>
        public string File()
        {
            string path = Path.Combine(Path.GetTempPath(), "quantgen-trees", Name + ".onnx");
            if (!System.IO.File.Exists(path))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                System.IO.File.WriteAllBytes(path, ToOnnx());
            }
            return path;
        }

        private static double Normal(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());
    }
}
