// What the build says about ai.onnx.ml models: ZipMap dropped (QG0020), Int8 with nothing to quantize (QG0021), an
// opset the operators do not implement (QG0003), broken trees (QG0007), string labels (QG0004) — each once, with the node.
using System;
using System.IO;
using System.Linq;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;
using QuantGen.Compiler.Pipeline;
using QuantGen.Onnx;
using QuantGen.Tests;
using Xunit;

namespace QuantGen.Ml.Tests
{
    public class DiagnosticTests
    {
        private static Graph Load(string name) => OnnxModelReader.Read(Path.Combine(RepoPaths.Assets, "trees", name + ".onnx"));

        private static CompileResult Compile(Graph graph, Precision precision = Precision.Float32) =>
            ModelCompiler.Compile(graph, new CompileOptions { Precision = precision, ModelName = "Trees" });

        [Fact]
        public void ZipMap_is_dropped_once_with_an_info_message_and_the_probabilities_become_the_output()
        {
            var result = Compile(Load("sklearn-rf-diabetes-3class"));
            Assert.True(result.Succeeded, string.Join("; ", result.Diagnostics));
            var info = Assert.Single(result.Diagnostics, d => d.Id == DiagnosticIds.ZipMapDropped);
            Assert.Equal(DiagnosticSeverity.Info, info.Severity);
            Assert.Contains("'probabilities'", info.Message);
            Assert.Equal(new[] { "label", "probabilities" }, result.Plan!.Outputs.Select(o => o.Name));
            Assert.Equal(new[] { -1, 3 }, result.Plan.Outputs[1].Shape);
            Assert.Equal(QuantGen.Plan.PlanElementType.Int64, result.Plan.Outputs[0].ElementType);
        }

        [Fact]
        public void Int8_on_a_tree_model_compiles_float32_and_says_so_once()
        {
            var result = Compile(Load("xgboost-breast-cancer"), Precision.Int8);
            Assert.True(result.Succeeded, string.Join("; ", result.Diagnostics));
            var info = Assert.Single(result.Diagnostics, d => d.Id == DiagnosticIds.NothingToQuantize);
            Assert.Equal(DiagnosticSeverity.Info, info.Severity);
            Assert.DoesNotContain(result.Diagnostics, d => d.Id == DiagnosticIds.NoCalibrationData);
            Assert.Equal("Float32", result.Plan!.Info.Precision);
        }

        [Fact]
        public void An_ai_onnx_ml_opset_past_4_is_QG0003_naming_the_node()
        {
            var graph = Load("sklearn-gbc-breast-cancer");
            graph.Info.OtherOpsets["ai.onnx.ml"] = 5;
            var error = Assert.Single(Compile(graph).Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
            Assert.Equal(DiagnosticIds.UnsupportedOperator, error.Id);
            Assert.Contains("opsets 1 to 4", error.Message);
            Assert.Equal(graph.Nodes.First(n => n.OpType == "TreeEnsembleClassifier").Name, error.Node);
        }

        [Theory]
        [InlineData("nodes_truenodeids", "does not exist")]
        [InlineData("cycle", "cycle")]
        [InlineData("nodes_featureids", "reads feature")]
        [InlineData("class_weights", "differ in length")]
        [InlineData("classlabels_strings", "string class labels")]
        public void A_broken_ensemble_is_a_clear_error(string damage, string expected)
        {
            var graph = Load("edge-sparse-3class-none");
            var node = graph.Nodes.First(n => n.OpType == "TreeEnsembleClassifier");
            switch (damage)
            {
                case "nodes_truenodeids": Replace(node, damage, v => { v[0] = 9999; return v; }); break;
                case "cycle":
                    // The root's true child points back at the root (through a node whose child is the root).
                    var trees = node.Attributes.GetInts("nodes_treeids")!;
                    var modes = node.Attributes.Find("nodes_modes")!.Strings;
                    int branch = Enumerable.Range(1, trees.Length - 1).First(i => trees[i] == trees[0] && modes[i] != "LEAF");
                    Replace(node, "nodes_truenodeids", v => { v[branch] = node.Attributes.GetInts("nodes_nodeids")![0]; return v; });
                    break;
                case "nodes_featureids": Replace(node, damage, v => { v[0] = 77; return v; }); break;
                case "class_weights": node.Attributes.Set(QuantGen.Ir.Attribute.OfFloats(damage, new[] { 1f })); break;
                default: node.Attributes.Set(QuantGen.Ir.Attribute.OfStrings(damage, new[] { "a", "b", "c" })); break;
            }
            var error = Assert.Single(Compile(graph).Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
            Assert.Contains(expected, error.Message);
            Assert.Equal(node.Name, error.Node);
            Assert.True(error.Id == DiagnosticIds.InvalidGraph || error.Id == DiagnosticIds.UnsupportedAttribute, error.ToString());
        }

        private static void Replace(Node node, string name, Func<long[], long[]> change) =>
            node.Attributes.Set(QuantGen.Ir.Attribute.OfInts(name, change((long[])node.Attributes.GetInts(name)!.Clone())));
    }
}
