// The lowerer as host of the ai.onnx.ml family's lowering (Lowering/Ml): the few buffer and call primitives it uses.
using QuantGen.Compiler.Ir;
using QuantGen.Compiler.Lowering.Ml;
using QuantGen.Compiler.Operators.Ml;

namespace QuantGen.Compiler.Lowering
{
    public sealed partial class Lowerer : ILoweringHost
    {
        private void LowerMl(Node node, MlOperator op) => MlLowering.Lower(node, op, this);

        Buffer ILoweringHost.Input(Value value) => Data(value);

        Buffer ILoweringHost.Output(Value value) => Produce(value, Layout.Logical);

        Buffer ILoweringHost.Constant(Tensor data, string name) => ConstantOf(data, name);

        Buffer ILoweringHost.Workspace(string name, DataType type, long elements) => NewBuffer(name, BufferKind.Workspace, type, elements);

        Buffer ILoweringHost.Slice(Buffer source, long offset, long elements, string name) => Slice(source, offset, elements, name);

        KernelCall ILoweringHost.Call(string kernel) => Call(kernel);
    }
}
