// The fusion of a 1×1 expansion into the depthwise convolution that reads it: which pairs fuse, what the fused step
// holds, and what it saves. That the fused kernels compute the same values is checked in QuantGen.Kernels.Tests and,
// through the generated classes, in QuantGen.Generator.Tests.
using System.Linq;
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
    public class ExpandDepthwiseFusionTests
    {
        private static ModelPlan CompileFloat(Graph graph, long bandBytes) => ModelFixtures.CompileFloat(graph, o => o.ExpandDepthwiseBandBytes = bandBytes);

        private static long Int(PlanStep step, string name) => step.Find(name)!.Value.Int;

        [Fact]
        public void MobileNetV2_224_fuses_every_block_whose_expanded_tensor_outgrows_two_bands()
        {
            var fused = CompileFloat(ModelFixtures.Load("mobilenetv2-224"), FusedConvLayout.ExpandDepthwiseBandBytes);
            var whole = CompileFloat(ModelFixtures.Load("mobilenetv2-224"), 0);

            var steps = fused.Steps.Where(s => s.Kernel == "ConvF32.ExpandDepthwise").ToList();
            // 16 blocks have an expansion; the three at 7×7 (7·7·960·4 = 188 KB) stay whole.
            Assert.Equal(13, steps.Count);
            Assert.DoesNotContain(whole.Steps, s => s.Kernel == "ConvF32.ExpandDepthwise");
            Assert.Equal(whole.Steps.Count - 13, fused.Steps.Count);
            foreach (var step in steps)
            {
                long rowBytes = Int(step, "iw") * Int(step, "c") * 4, window = (Int(step, "kh") - 1) * Int(step, "dh") + 1;
                Assert.True(Int(step, "bandRows") * rowBytes <= FusedConvLayout.ExpandDepthwiseBandBytes || Int(step, "bandRows") == window,
                    $"{step.Source}: {Int(step, "bandRows")} rows of {rowBytes} bytes");
                Assert.Equal(Int(step, "bandRows") * Int(step, "iw") * Int(step, "c"), step.Find("scratch")!.Value.Operand!.ElementCount);
            }
            // Whole, the first block's expansion holds its input and the 112×112×96 expanded tensor at once; fused, the
            // workspace is smaller than the expanded tensor alone.
            Assert.True(whole.WorkspaceBytes >= 112L * 112 * (16 + 96) * 4, $"{whole.WorkspaceBytes} bytes");
            Assert.True(fused.WorkspaceBytes < 112L * 112 * 96 * 4, $"{fused.WorkspaceBytes} bytes");
        }

        [Theory]
        [InlineData("bandRows=3 ", "bandRows=2 ", "bandRows 2 is less than the window's 3 rows")]
        [InlineData(" sh=2 ", " sh=0 ", "must be at least 1")]
        public void A_plan_whose_band_cannot_hold_a_window_is_rejected(string from, string to, string message)
        {
            // The first fused step of MobileNetV2-224 FP32 (112×112×96, stride 2) has a 3-row band.
            string text = PlanText.Write(CompileFloat(ModelFixtures.Load("mobilenetv2-224"), FusedConvLayout.ExpandDepthwiseBandBytes));
            int step = text.IndexOf("step ConvF32.ExpandDepthwise", System.StringComparison.Ordinal);
            int end = text.IndexOf('\n', step);
            string line = text.Substring(step, end - step);
            Assert.Contains(from, line);
            string broken = text.Substring(0, step) + line.Replace(from, to) + text.Substring(end);
            var e = Assert.Throws<PlanFormatException>(() => PlanValidator.Validate(PlanText.Read(broken)));
            Assert.Contains(message, e.Message);
        }

        [Fact]
        public void Small_expanded_tensors_stay_whole_unless_the_band_is_smaller()
        {
            // mobilenetv2-digits: 32×32 input, its largest expanded tensor is 16·16·48·4 = 48 KB; with 64-byte bands all 16 expansions fuse.
            Assert.DoesNotContain(CompileFloat(ModelFixtures.Load("mobilenetv2-digits"), FusedConvLayout.ExpandDepthwiseBandBytes).Steps, s => s.Kernel == "ConvF32.ExpandDepthwise");
            var small = CompileFloat(ModelFixtures.Load("mobilenetv2-digits"), 64);
            Assert.Equal(16, small.Steps.Count(s => s.Kernel == "ConvF32.ExpandDepthwise"));
            Assert.DoesNotContain(small.Steps, s => s.Kernel == "ConvF32.Depthwise" && s.Source.Contains("conv.1.0"));
        }

        [Fact]
        public void An_expanded_tensor_with_another_reader_stays_whole()
        {
            // x → 1×1 conv (16 → 64 channels at 32×32: 256 KB) → depthwise 3×3; the expanded tensor is also a graph output.
            var b = new GraphBuilder();
            var x = b.Input("x", 1, 16, 32, 32);
            var expanded = b.Node("Conv", new[] { x, b.Constant(64, 16, 1, 1), b.Constant(64) }, name: "expand");
            var depthwise = b.Node("Conv", new[] { expanded, b.Constant(64, 1, 3, 3), b.Constant(64) },
                a => { a.Set(Attribute.OfInt("group", 64)); a.Set(Attribute.OfInts("pads", new long[] { 1, 1, 1, 1 })); }, name: "depthwise");
            b.Output(depthwise);
            b.Output(expanded);
            Assert.DoesNotContain(CompileFloat(b.Graph, 4096).Steps, s => s.Kernel == "ConvF32.ExpandDepthwise");

            // The same graph without the second reader fuses.
            var c = new GraphBuilder();
            var x2 = c.Input("x", 1, 16, 32, 32);
            var expanded2 = c.Node("Conv", new[] { x2, c.Constant(64, 16, 1, 1), c.Constant(64) }, name: "expand");
            c.Output(c.Node("Conv", new[] { expanded2, c.Constant(64, 1, 3, 3), c.Constant(64) },
                a => { a.Set(Attribute.OfInt("group", 64)); a.Set(Attribute.OfInts("pads", new long[] { 1, 1, 1, 1 })); }, name: "depthwise"));
            var step = Assert.Single(CompileFloat(c.Graph, 4096).Steps, s => s.Kernel == "ConvF32.ExpandDepthwise");
            Assert.Equal("depthwise", step.Source);
        }

        [Fact]
        public void A_strided_or_padded_first_convolution_is_not_an_expansion()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 1, 16, 32, 32);
            var strided = b.Node("Conv", new[] { x, b.Constant(64, 16, 1, 1), b.Constant(64) }, a => a.Set(Attribute.OfInts("strides", new long[] { 2, 2 })), name: "strided");
            b.Output(b.Node("Conv", new[] { strided, b.Constant(64, 1, 3, 3), b.Constant(64) },
                a => { a.Set(Attribute.OfInt("group", 64)); a.Set(Attribute.OfInts("pads", new long[] { 1, 1, 1, 1 })); }, name: "depthwise"));
            Assert.DoesNotContain(CompileFloat(b.Graph, 1024).Steps, s => s.Kernel == "ConvF32.ExpandDepthwise");
        }

        [Fact]
        public void The_fused_step_reads_and_writes_memory_no_live_buffer_shares()
        {
            var graph = ModelFixtures.Load("mobilenetv2-digits");
            CompilationPipeline.Optimize(graph);
            var program = Lowerer.Lower(graph);
            Assert.Equal(16, ExpandDepthwiseFusion.Apply(program, 64));
            MemoryPlanner.Plan(program);
            foreach (var call in program.Calls.Where(c => c.Kernel == "ConvF32.ExpandDepthwise"))
            {
                var buffers = call.Arguments.Select(a => a.Value).OfType<Buffer>().Where(b => b.Root.Kind == BufferKind.Workspace).ToList();
                for (int i = 0; i < buffers.Count; i++)
                    for (int j = i + 1; j < buffers.Count; j++)
                    {
                        Buffer p = buffers[i], q = buffers[j];
                        long ps = p.Root.Offset + p.ByteOffsetInRoot, qs = q.Root.Offset + q.ByteOffsetInRoot;
                        Assert.False(ps < qs + q.Bytes && qs < ps + p.Bytes, $"{call.Source}: {p} and {q} overlap");
                    }
            }
            Assert.DoesNotContain(program.Buffers, b => program.Calls.All(c => !c.Arguments.Any(a => a.Value is Buffer v && v.Root == b)) && b.Kind == BufferKind.Workspace && b.ViewOf == null);
        }
    }
}
