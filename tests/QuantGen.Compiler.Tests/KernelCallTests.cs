// A kernel call is built from the catalog's typed keys; an argument the kernel does not take, a missing one, or an
// operand of the wrong kind fails at once, naming the kernel, the node and the argument.
using System;
using Buffer = QuantGen.Compiler.Lowering.Buffer;
using QuantGen.Compiler.Lowering;
using QuantGen.Compiler.Planning;
using QuantGen.Ir;
using QuantGen.Plan;
using Xunit;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Compiler.Tests
{
    public class KernelCallTests
    {
        private static Buffer F32(string name, long n) => new Buffer(name, BufferKind.Workspace, DataType.Float32, n);

        private static KernelCall Softmax(Buffer x, Buffer y) =>
            new KernelCall(KernelCatalog.SoftmaxF32, "softmax").Set(X, x).Set(Y, y).Set(Outer, 1).Set(Axis, 10).Set(Inner, 1);

        [Fact]
        public void A_complete_call_keeps_the_signature_order_whatever_the_order_it_was_set_in()
        {
            var x = F32("x", 10);
            var y = F32("y", 10);
            var call = new KernelCall(KernelCatalog.SoftmaxF32, "softmax").Set(Log, 0).Set(Inner, 1).Set(Y, y).Set(Axis, 10).Set(Outer, 1).Set(X, x);
            call.Validate();
            Assert.Equal(new[] { "x", "y", "outer", "axis", "inner", "log" }, System.Linq.Enumerable.Select(call.Arguments, a => a.Key));
            Assert.Same(y, call.Get(Y));
            Assert.Equal(10, call.Get(Axis));
        }

        [Fact]
        public void A_missing_argument_fails_validation_naming_it()
        {
            var call = Softmax(F32("x", 10), F32("y", 10));
            var e = Assert.Throws<InvalidOperationException>(call.Validate);
            Assert.Contains("SoftmaxF32", e.Message);
            Assert.Contains("'softmax'", e.Message);
            Assert.Contains("'log'", e.Message);
        }

        [Fact]
        public void The_plan_builder_refuses_an_incomplete_call()
        {
            var program = new LoweredProgram();
            var x = F32("x", 10);
            var y = F32("y", 10);
            program.Buffers.AddRange(new[] { x, y });
            program.Calls.Add(Softmax(x, y));
            var graph = new Graph { Info = new ModelInfo { SourcePath = "m.onnx", Sha256 = new string('0', 64), Opset = 13 } };
            MemoryPlanner.Plan(program);
            var e = Assert.Throws<InvalidOperationException>(() => PlanBuilder.Build(graph, program, 1024, "Float32", "r", 1 << 20));
            Assert.Contains("'log' was never set", e.Message);
        }

        [Fact]
        public void An_argument_the_kernel_does_not_take_fails_at_once()
        {
            var call = new KernelCall(KernelCatalog.SoftmaxF32, "softmax");
            var e = Assert.Throws<InvalidOperationException>(() => call.Set(Kh, 3));
            Assert.Contains("'kh' is not a parameter", e.Message);
            // The same name with another kind is another parameter: PoolU8.GlobalAverage's multiplier is one int.
            var pool = new KernelCall(KernelCatalog.PoolU8GlobalAverage, "pool");
            Assert.Throws<InvalidOperationException>(() => pool.Set(Multipliers, new Buffer("m", BufferKind.Constant, DataType.Int32, 4)));
            pool.Set(Multiplier, 1 << 30);
        }

        [Fact]
        public void An_argument_set_twice_fails()
        {
            var call = new KernelCall(KernelCatalog.SoftmaxF32, "softmax").Set(Outer, 1);
            Assert.Throws<InvalidOperationException>(() => call.Set(Outer, 2));
        }

        [Fact]
        public void An_operand_of_the_wrong_element_type_or_a_missing_required_one_fails()
        {
            var bytes = new Buffer("q", BufferKind.Workspace, DataType.UInt8, 10);
            var e = Assert.Throws<InvalidOperationException>(() => new KernelCall(KernelCatalog.SoftmaxF32, "softmax").Set(X, bytes));
            Assert.Contains("float32", e.Message);
            Assert.Throws<InvalidOperationException>(() => new KernelCall(KernelCatalog.SoftmaxF32, "softmax").Set(X, null));
            // An optional operand may be absent.
            new KernelCall(KernelCatalog.GemmF32, "gemm").Set(Bias, null);
        }

        [Fact]
        public void Generic_operands_must_share_one_element_type()
        {
            var call = new KernelCall(KernelCatalog.Copy, "copy").Set(X, F32("x", 4)).Set(Y, new Buffer("y", BufferKind.Workspace, DataType.Int32, 4)).Set(Count, 4);
            Assert.Throws<InvalidOperationException>(call.Validate);
        }
    }
}
