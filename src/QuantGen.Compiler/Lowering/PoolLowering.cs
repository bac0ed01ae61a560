// Lowering of pooling in float32, channels-last: windowed MaxPool and AveragePool (windows clipped to the input), and
// global average and max pooling over H·W.
using QuantGen.Compiler.Operators;
using QuantGen.Ir;
using static QuantGen.Compiler.Lowering.LoweringContext;
using static QuantGen.Plan.KernelCatalog;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Compiler.Lowering
{
    internal sealed class PoolLowering : OperatorLowering
    {
        public PoolLowering(LoweringContext context) : base(context)
        {
            Lowers<WindowPoolOperator>(LowerPool);
            Lowers<GlobalPoolOperator>(LowerGlobalPool);
        }

        private void LowerPool(Node node)
        {
            var x = node.Input(0)!;
            var g = WindowGeometry.Resolve(node, x.Shape!, null);
            bool max = node.OpType == "MaxPool";
            bool includePad = node.Attributes.GetInt("count_include_pad", 0) != 0;
            // The kernel divides by kh·kw when counting pads; windows that overhang the padded input (ceil_mode) would differ.
            if (!max && includePad && node.Attributes.GetInt("ceil_mode", 0) != 0) throw OperatorDefinition.Unsupported(node, "count_include_pad with ceil_mode");
            var input = Nhwc(x);
            var output = Produce(node.Outputs[0], Layout.Nhwc);
            foreach (var (xi, yi) in Context.Images(input, output, x.Shape![0]))
            {
                var call = Emit(max ? PoolF32Max : PoolF32Average).Set(X, xi).Set(Y, yi).Set(C, x.Shape[1]).SetWindow(g);
                if (!max) call.Set(CountIncludePad, includePad ? 1 : 0);
            }
        }

        private void LowerGlobalPool(Node node)
        {
            var x = node.Input(0)!;
            if (x.Rank != 4 && x.Rank != 3) throw OperatorDefinition.Unsupported(node, $"a rank-{x.Rank} input (only NCW and NCHW)");
            var input = Nhwc(x);
            var output = Produce(node.Outputs[0], Layout.Nhwc);
            var image = Image4D(x);
            foreach (var (xi, yi) in Context.Images(input, output, x.Shape![0]))
                Emit(node.OpType == "GlobalMaxPool" ? PoolF32GlobalMax : PoolF32GlobalAverage)
                    .Set(X, xi).Set(Y, yi).Set(Hw, image[2] * image[3]).Set(C, image[1]);
        }
    }
}
