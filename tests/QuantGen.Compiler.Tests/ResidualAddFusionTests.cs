// The fusion of a residual Add into the 1×1 convolution that produces one of its operands: which pairs fuse, what the
// fused step holds, and that memory planning keeps its output apart from its inputs. That the fused kernels compute the
// same values is checked in QuantGen.Kernels.Tests and, through the generated classes, in QuantGen.Generator.Tests.
using System.Linq;
using QuantGen.Ir;
using QuantGen.Kernels;
using QuantGen.Compiler.Lowering;
using QuantGen.Compiler.Planning;
using QuantGen.Compiler.ProgramPasses;
using QuantGen.Plan;
using static QuantGen.Plan.KernelParameters;
using Xunit;

namespace QuantGen.Compiler.Tests
{
    public class ResidualAddFusionTests
    {
        private static ModelPlan CompileFloat(Graph graph, bool fuse) => ModelFixtures.CompileFloat(graph, o => o.FuseResidualAdds = fuse);

        [Fact]
        public void MobileNetV2_fuses_each_residual_add_into_its_projection()
        {
            var fused = CompileFloat(ModelFixtures.Load("mobilenetv2-digits"), fuse: true);
            var apart = CompileFloat(ModelFixtures.Load("mobilenetv2-digits"), fuse: false);
            // MobileNetV2 has 10 residual blocks; every Add follows its block's projection.
            var steps = fused.Steps.Where(s => s.Kernel == "ConvF32.PointwiseAdd").ToList();
            Assert.Equal(10, steps.Count);
            Assert.Equal(10, apart.Steps.Count(s => s.Kernel == "BinaryF32"));
            Assert.DoesNotContain(fused.Steps, s => s.Kernel == "BinaryF32");
            Assert.Equal(apart.Steps.Count - 10, fused.Steps.Count);
            Assert.All(steps, s => Assert.EndsWith("conv.2/Conv", s.Source));
        }

        [Fact]
        public void A_convolution_output_with_another_reader_is_added_apart()
        {
            // x → 1×1 conv → Add(x, conv); the convolution's output is also a graph output.
            Graph Build(bool secondReader)
            {
                var b = new GraphBuilder();
                var x = b.Input("x", 1, 16, 8, 8);
                var conv = b.Node("Conv", new[] { x, b.Constant(16, 16, 1, 1), b.Constant(16) }, name: "project");
                b.Output(b.Node("Add", new[] { x, conv }, name: "add"));
                if (secondReader) b.Output(conv);
                return b.Graph;
            }
            Assert.DoesNotContain(CompileFloat(Build(secondReader: true), fuse: true).Steps, s => s.Kernel == "ConvF32.PointwiseAdd");
            var step = Assert.Single(CompileFloat(Build(secondReader: false), fuse: true).Steps, s => s.Kernel == "ConvF32.PointwiseAdd");
            Assert.Equal("project", step.Source);
        }

        [Fact]
        public void A_broadcast_add_or_a_strided_convolution_stays_apart()
        {
            var b = new GraphBuilder();
            var x = b.Input("x", 1, 16, 8, 8);
            var conv = b.Node("Conv", new[] { x, b.Constant(16, 16, 1, 1), b.Constant(16) }, name: "project");
            b.Output(b.Node("Add", new[] { conv, b.Constant(1, 16, 1, 1) }, name: "bias"));     // a per-channel constant, broadcast
            Assert.DoesNotContain(CompileFloat(b.Graph, fuse: true).Steps, s => s.Kernel == "ConvF32.PointwiseAdd");

            var c = new GraphBuilder();
            var x2 = c.Input("x", 1, 16, 8, 8);
            var strided = c.Node("Conv", new[] { x2, c.Constant(16, 16, 1, 1), c.Constant(16) }, a => a.Set(Attribute.OfInts("strides", new long[] { 2, 2 })), name: "strided");
            var residual = c.Input("r", 1, 16, 4, 4);
            c.Output(c.Node("Add", new[] { strided, residual }, name: "add"));
            Assert.DoesNotContain(CompileFloat(c.Graph, fuse: true).Steps, s => s.Kernel == "ConvF32.PointwiseAdd");
        }

        [Fact]
        public void An_add_written_over_an_operand_is_left_apart()
        {
            // A lowered program whose Add writes its result over the residual (the fused kernel would overwrite the
            // residual rows with the convolution's before adding them), then over the convolution's output.
            var program = new LoweredProgram();
            Buffer Workspace(string name, long n) { var b = new Buffer(name, BufferKind.Workspace, DataType.Float32, n); program.Buffers.Add(b); return b; }
            var x = Workspace("x", 64 * 8);
            var w = new Buffer("w", BufferKind.Constant, DataType.Float32, GemmLayout.PackedF32Length(8, 8));
            var mid = Workspace("mid", 64 * 8);
            var residual = Workspace("r", 64 * 8);
            program.Calls.Add(Conv(x, w, mid));
            program.Calls.Add(Add(residual, mid, residual));
            Assert.Equal(0, ResidualAddFusion.Apply(program));
            program.Calls[1] = Add(residual, mid, mid);
            Assert.Equal(0, ResidualAddFusion.Apply(program));

            program.Calls[1] = Add(residual, mid, Workspace("y", 64 * 8));
            Assert.Equal(1, ResidualAddFusion.Apply(program));
            var fused = Assert.Single(program.Calls);
            Assert.Same(residual, fused.Get(R));
            Assert.DoesNotContain(mid, program.Buffers);

            // The planner keeps the fused step's output apart from both inputs (all three are live at the step).
            MemoryPlanner.Plan(program);
            var buffers = new[] { x, residual, fused.Get(Y)! };
            for (int i = 0; i < 3; i++)
                for (int j = i + 1; j < 3; j++)
                    Assert.False(buffers[i].Offset < buffers[j].Offset + buffers[j].Bytes && buffers[j].Offset < buffers[i].Offset + buffers[i].Bytes,
                        $"{buffers[i]} and {buffers[j]} overlap");
        }

        private static KernelCall Conv(Buffer x, Buffer w, Buffer y) =>
            new KernelCall(KernelCatalog.ConvF32Gemm, "conv").Set(X, x).Set(W, w).Set(Bias, null).Set(Y, y).Set(Scratch, null)
                .Set(Ih, 8).Set(Iw, 8).Set(Ic, 8).Set(Oh, 8).Set(Ow, 8).Set(Oc, 8).Set(Kh, 1).Set(Kw, 1).Set(Sh, 1).Set(Sw, 1)
                .Set(Pt, 0).Set(Pl, 0).Set(Pb, 0).Set(Pr, 0).Set(Dh, 1).Set(Dw, 1).Set(Group, 1)
                .Set(Act, "None").Set(Alpha, 0f).Set(Beta, 0f);

        private static KernelCall Add(Buffer a, Buffer b, Buffer y) =>
            new KernelCall(KernelCatalog.BinaryF32, "add").Set(A, a).Set(B, b).Set(Y, y).Set(BinaryOp, "Add")
                .Set(Shape, new long[] { 1, 8, 8, 8 }).Set(AStrides, new long[] { 512, 64, 8, 1 }).Set(BStrides, new long[] { 512, 64, 8, 1 });
    }
}
