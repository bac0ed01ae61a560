// Compiling the reference models to plans: valid, round-trippable, memory planned, diagnostics on bad input.
using System.Collections.Generic;
using System.Linq;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;
using QuantGen.Kernels;
using QuantGen.Compiler.Lowering;
using QuantGen.Compiler.Planning;
using QuantGen.Compiler.ProgramPasses;
using QuantGen.Compiler.Pipeline;
using QuantGen.Plan;
using Xunit;

namespace QuantGen.Compiler.Tests
{
    public class PlanTests
    {
        public static IEnumerable<object[]> Models => ModelFixtures.Names.Select(n => new object[] { n });

        private static CompileResult CompileFloat(Graph graph) =>
            ModelCompiler.Compile(graph, new CompileOptions { Precision = Precision.Float32, ResourceName = "R" });

        [Theory]
        [MemberData(nameof(Models))]
        public void Every_reference_model_compiles_to_a_valid_plan_that_round_trips(string model)
        {
            var result = CompileFloat(ModelFixtures.Load(model));
            Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
            var plan = result.Plan!;
            Assert.Equal("Float32", plan.Info.Precision);
            Assert.Equal(13, plan.Info.Opset);

            string text = PlanText.Write(plan);
            var read = PlanText.Read(text);
            Assert.Equal(text, PlanText.Write(read));
            Assert.Equal(plan.Steps.Count, read.Steps.Count);

            // Weights: 4 bytes per parameter plus packing padding, never less.
            long parameters = plan.Facts.Get(PlanFacts.Parameters)!.Value;
            Assert.True(result.Weights.Length >= parameters * 4, $"{result.Weights.Length} bytes for {parameters} parameters");
            Assert.True(plan.WorkspaceBytes <= plan.Facts.Get(PlanFacts.WorkspaceUnplanned));
        }

        [Fact]
        public void Batched_models_keep_a_symbolic_leading_axis()
        {
            var plan = CompileFloat(ModelFixtures.Load("clinical-mlp")).Plan!;
            Assert.True(plan.Info.IsBatched);
            Assert.Equal(new[] { -1, 30 }, plan.Inputs[0].Shape);
            Assert.Equal(new[] { -1, 2 }, plan.Outputs[0].Shape);
            // Weights this small are inlined (RVA data) rather than embedded as a resource.
            Assert.Equal(WeightStorage.Inline, plan.Weights.Storage);
        }

        [Fact]
        public void Large_weights_go_to_a_resource()
        {
            var plan = CompileFloat(ModelFixtures.Load("mobilenetv2-digits")).Plan!;
            Assert.Equal(WeightStorage.Resource, plan.Weights.Storage);
            Assert.Equal("R", plan.Weights.ResourceName);
        }

        [Theory]
        [InlineData("mobilenetv2-digits")]
        [InlineData("mobilenetv2-224")] // largest-first alone left 0.8 MB above the bound here
        public void Memory_plan_never_overlaps_buffers_that_are_live_together_and_reaches_the_bound(string model)
        {
            var graph = ModelFixtures.Load(model);
            CompilationPipeline.Optimize(graph);
            var program = Lowerer.Lower(graph);
            // The program the pipeline plans: after both fusion passes.
            ExpandDepthwiseFusion.Apply(program, FusedConvLayout.ExpandDepthwiseBandBytes);
            ResidualAddFusion.Apply(program);
            long size = MemoryPlanner.Plan(program);
            var live = new Dictionary<Buffer, (int First, int Last)>();
            for (int i = 0; i < program.Calls.Count; i++)
                foreach (var b in program.Calls[i].Arguments.Select(a => a.Value).OfType<Buffer>().Select(b => b.Root).Where(b => b.Kind == BufferKind.Workspace))
                    live[b] = live.TryGetValue(b, out var l) ? (l.First, i) : (i, i);
            var list = live.ToList();
            for (int i = 0; i < list.Count; i++)
            {
                var (a, la) = (list[i].Key, list[i].Value);
                Assert.True(a.Offset % MemoryPlanner.Alignment == 0);
                Assert.True(a.Offset + a.Bytes <= size);
                for (int j = i + 1; j < list.Count; j++)
                {
                    var (b, lb) = (list[j].Key, list[j].Value);
                    bool together = la.First <= lb.Last && lb.First <= la.Last;
                    bool overlap = a.Offset < b.Offset + b.Bytes && b.Offset < a.Offset + a.Bytes;
                    Assert.False(together && overlap, $"{a} and {b} overlap");
                }
            }
            // Reuse must pay off on a 50-layer network.
            Assert.True(size * 3 < MemoryPlanner.UnplannedBytes(program), $"{size} vs {MemoryPlanner.UnplannedBytes(program)}");
            // No arena can be smaller than the bytes live at one step; every page above that is touched for nothing.
            long bound = Enumerable.Range(0, program.Calls.Count)
                .Max(i => list.Where(e => e.Value.First <= i && i <= e.Value.Last).Sum(e => MemoryPlanner.AlignUp(e.Key.Bytes)));
            Assert.Equal(bound, size);
        }

        /// <summary>
        /// Four buffers where every forward order (largest first, or windows of steps in execution order) leaves a
        /// 64-byte hole and needs 704 bytes; placing the windows against execution order reaches the bound, 640.
        /// </summary>
        [Fact]
        public void Memory_plan_tries_orders_against_execution_order()
        {
            var program = new LoweredProgram();
            // (first step, last step, bytes)
            var lifetimes = new[] { (3, 5, 192), (3, 4, 192), (1, 3, 256), (0, 2, 256) };
            var buffers = lifetimes.Select((l, i) => new Buffer("b" + i, BufferKind.Workspace, DataType.Float32, l.Item3 / 4)).ToList();
            program.Buffers.AddRange(buffers);
            // Each step touches the live buffers as operands of one call (the planner reads operands, not the kernel);
            // buffers 0 and 3 are never live together, so they can share an operand.
            var operands = new[] { KernelParameters.A, KernelParameters.B, KernelParameters.Y, KernelParameters.A };
            for (int step = 0; step <= 5; step++)
            {
                var call = new KernelCall(KernelCatalog.BinaryF32, "step" + step);
                for (int i = 0; i < buffers.Count; i++)
                    if (lifetimes[i].Item1 <= step && step <= lifetimes[i].Item2) call.Set(operands[i], buffers[i]);
                program.Calls.Add(call);
            }
            Assert.Equal(640, MemoryPlanner.Plan(program));
            // Live together at step 3: buffers 0, 1 and 2; at step 2: 2 and 3.
            Assert.True(buffers[0].Offset + 192 <= buffers[1].Offset || buffers[1].Offset + 192 <= buffers[0].Offset);
            Assert.True(buffers[2].Offset + 256 <= buffers[3].Offset || buffers[3].Offset + 256 <= buffers[2].Offset);
        }

        [Fact]
        public void Unsupported_operator_is_QG0003_naming_node_and_file()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 1, 4);
            b.Output(b.Node("Einsum", new[] { x, x }, name: "my_einsum"));
            var result = CompileFloat(b.Graph);
            var d = Assert.Single(result.Diagnostics);
            Assert.False(result.Succeeded);
            Assert.Equal("QG0003", d.Id);
            Assert.Equal("my_einsum", d.Node);
            Assert.Equal("test.onnx", d.File);
            Assert.Contains("Einsum", d.Message);
            Assert.Contains("operators.md", d.Message);
        }

        [Fact]
        public void Symbolic_inner_axis_is_QG0006()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 1, -1);
            b.Output(b.Node("Relu", new[] { x }));
            var d = Assert.Single(CompileFloat(b.Graph).Diagnostics);
            Assert.Equal("QG0006", d.Id);
        }

        [Fact]
        public void Ops_that_mix_the_batch_are_QG0006()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", -1, 4);
            b.Output(b.Node("Softmax", new[] { x }, a => a.Set(Attribute.OfInt("axis", 0)), name: "batch_softmax"));
            var d = Assert.Single(CompileFloat(b.Graph).Diagnostics);
            Assert.Equal("QG0006", d.Id);
            Assert.Equal("batch_softmax", d.Node);
        }

        [Fact]
        public void Int8_request_warns_and_compiles_float32()
        {
            var result = ModelCompiler.Compile(ModelFixtures.Load("clinical-mlp"), new CompileOptions());
            Assert.True(result.Succeeded);
            Assert.Equal("Float32", result.Plan!.Info.Precision);
            var d = Assert.Single(result.Diagnostics);
            Assert.Equal("QG0010", d.Id);
            Assert.Contains("CalibrationData", d.Message);
            Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        }
    }
}
