// Lowering of the operators that move data rather than compute it: views (Reshape, Flatten, Squeeze, Identity,
// Dropout), Transpose, Concat, Gather, Slice and Split, Pad, Resize, and Cast. Except Concat and Resize they run on any
// element type a public span can carry; Slice, Split, Pad and Resize stay channels-last when their input is.
using System.Linq;
using QuantGen.Compiler.Operators;
using QuantGen.Ir;
using QuantGen.Ir.Diagnostics;
using static QuantGen.Compiler.Lowering.LoweringContext;
using static QuantGen.Plan.KernelCatalog;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Compiler.Lowering
{
    internal sealed class TensorLowering : OperatorLowering
    {
        public TensorLowering(LoweringContext context) : base(context)
        {
            Lowers<ViewOperator>(Context.ViewOutput, anyElementType: true);
            Lowers<DropoutOperator>(LowerDropout, anyElementType: true);
            Lowers<TransposeOperator>(LowerTranspose, anyElementType: true);
            Lowers<ConcatOperator>(LowerConcat);
            Lowers<GatherOperator>(LowerGather, anyElementType: true);
            Lowers<SliceOperator>(LowerSlice, anyElementType: true);
            Lowers<SplitOperator>(LowerSplit, anyElementType: true);
            Lowers<PadOperator>(LowerPad, anyElementType: true);
            Lowers<ResizeOperator>(LowerResize);
            Lowers<CastOperator>(LowerCast, anyElementType: true);
        }

        /// <summary>Dropout at inference is a view of its input; its mask (when asked for) is an all-true constant.</summary>
        private void LowerDropout(Node node)
        {
            Context.ViewOutput(node);
            if (node.Outputs.Count < 2 || node.Outputs[1].Name.Length == 0) return;
            var mask = node.Outputs[1];
            var ones = Tensor.Create(DataType.Bool, new[] { (int)mask.ElementCount });
            for (int i = 0; i < ones.ElementCount; i++) ones.Bytes[i] = 1;
            Context.Bind(mask, Layout.Logical, ConstantOf(ones, mask.Name));
        }

        private void LowerTranspose(Node node)
        {
            var x = node.Input(0)!;
            var perm = TransposeOperator.Permutation(node, x.Rank);
            var output = Produce(node.Outputs[0], Layout.Logical);
            Emit(Transpose).Set(X, Logical(x)).Set(Y, output).Set(Shape, x.Shape!).Set(Perm, perm);
        }

        /// <summary>
        /// Concat in the ONNX order: each input's rows (everything from the axis inwards) go to their slot of
        /// every output row, one strided block copy per input; constant inputs come from the weights.
        /// </summary>
        private void LowerConcat(Node node)
        {
            var y = node.Outputs[0];
            int axis = (int)(node.Attributes.GetInt("axis", 0) < 0 ? node.Attributes.GetInt("axis", 0) + y.Rank : node.Attributes.GetInt("axis", 0));
            if (y.Type != DataType.Float32) throw OperatorDefinition.Unsupported(node, $"{DataTypes.Name(y.Type)} data at run time");
            long outer = 1, inner = 1;
            for (int i = 0; i < axis; i++) outer *= y.Shape![i];
            for (int i = axis + 1; i < y.Rank; i++) inner *= y.Shape![i];
            long outRow = y.Shape![axis] * inner;
            var output = Produce(y, Layout.Logical);
            long offset = 0;
            foreach (var input in node.Inputs)
            {
                long row = input!.Shape![axis] * inner;
                var source = Context.Float(input);
                var target = Context.Slice(output, offset, output.Elements - offset, $"{y.Name}[{offset}..]");
                Emit(CopyBlocks).Set(X, source).Set(Y, target).Set(Blocks, outer).Set(BlockLength, row).Set(XStride, row).Set(YStride, outRow);
                offset += row;
            }
        }

        private void LowerGather(Node node)
        {
            var x = node.Input(0)!;
            var indices = node.Input(1)!;
            int axis = (int)node.Attributes.GetInt("axis", 0);
            if (axis < 0) axis += x.Rank;
            Buffer index;
            var kernel = Gather;
            if (indices.IsConstant) index = ConstantOf(Tensor.FromInt64s(new[] { indices.Constant!.ElementCount }, indices.Constant.ToInt64Array()), indices.Name);
            else if (indices.Type == DataType.Int64) index = Logical(indices);
            else if (indices.Type == DataType.Int32)
            {
                index = Logical(indices);
                kernel = GatherInt32;
            }
            else
                throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDataType, DiagnosticSeverity.Error,
                    $"Gather '{node.Name}': {DataTypes.Name(indices.Type)} indices computed at run time are not supported (int64 or int32).", null, node.Name));
            int outer = 1, inner = 1;
            for (int i = 0; i < axis; i++) outer *= x.Shape![i];
            for (int i = axis + 1; i < x.Rank; i++) inner *= x.Shape![i];
            Emit(kernel).Set(X, Context.Data(x)).Set(Indices, index).Set(Y, Produce(node.Outputs[0], Layout.Logical))
                .Set(Outer, outer).Set(Axis, x.Shape![axis]).Set(Inner, inner).Set(Count, indices.ElementCount);
        }

        private void LowerSlice(Node node)
        {
            var x = node.Input(0)!;
            EmitSlice(x, SliceOperator.Axes(node, x.Shape!), node.Outputs[0]);
        }

        /// <summary>
        /// One Strided copy of <paramref name="x"/>'s slice into <paramref name="y"/>: channels-last when x only exists
        /// channels-last (a channel split after a convolution, as in ShuffleNet), else in the ONNX order.
        /// </summary>
        private void EmitSlice(Value x, SliceAxis[] axes, Value y)
        {
            var perm = x.Type == DataType.Float32 ? Context.ChannelsLastOnly(x) : null;
            var order = perm ?? Enumerable.Range(0, x.Rank).ToArray();
            // Element stride of every ONNX axis in the buffer read.
            var physicalStrides = Broadcasting.ContiguousStrides(Permute(x.Shape!, order));
            var strides = new int[x.Rank];
            for (int i = 0; i < order.Length; i++) strides[order[i]] = physicalStrides[i];
            long offset = 0;
            for (int a = 0; a < axes.Length; a++) offset += (long)axes[a].Start * strides[a];
            Emit(StridedCopy).Set(X, perm != null ? ChannelsLast(x) : Context.Data(x)).Set(Y, Produce(y, perm != null ? Layout.Nhwc : Layout.Logical))
                .Set(Shape, order.Select(a => axes[a].Count)).Set(Strides, order.Select(a => strides[a] * axes[a].Step)).Set(Offset, offset);
        }

        private void LowerSplit(Node node)
        {
            var x = node.Input(0)!;
            var (axis, sizes) = SplitOperator.Parts(node, x.Shape!);
            long outer = 1, inner = 1;
            for (int i = 0; i < axis; i++) outer *= x.Shape![i];
            for (int i = axis + 1; i < x.Rank; i++) inner *= x.Shape![i];
            if (outer != 1 || x.IsConstant || (x.Type == DataType.Float32 && Context.ChannelsLastOnly(x) != null))
            {
                // One strided copy per part (channels-last parts stay channels-last).
                int start = 0;
                for (int k = 0; k < sizes.Length; k++)
                {
                    var axes = x.Shape!.Select((d, a) => a == axis ? new SliceAxis(start, 1, sizes[k]) : new SliceAxis(0, 1, d)).ToArray();
                    EmitSlice(x, axes, node.Outputs[k]);
                    start += sizes[k];
                }
                return;
            }
            // Each part is a contiguous run of the input: a view, no copy.
            var source = Logical(x);
            long offset = 0;
            for (int k = 0; k < sizes.Length; k++)
            {
                long block = sizes[k] * inner;
                Context.Bind(node.Outputs[k], Layout.Logical, Context.Slice(source, offset, block, node.Outputs[k].Name));
                offset += block;
            }
        }

        private void LowerPad(Node node)
        {
            var x = node.Input(0)!;
            var maps = PadOperator.Maps(node, x.Shape!);
            var valueInput = PadOperator.Mode(node) == "constant" ? node.Input(2) : null;
            Buffer value;
            if (valueInput != null && !valueInput.IsConstant)
            {
                if (valueInput.Type != x.Type || valueInput.ElementCount != 1) throw OperatorDefinition.Unsupported(node, "a run-time constant_value that is not one element of the data's type");
                value = Logical(valueInput);
            }
            else value = ConstantOf(PadOperator.PaddingValue(node, valueInput?.Constant, x.Type), node.Name + ".value");
            var perm = x.Type == DataType.Float32 ? Context.ChannelsLastOnly(x) : null;
            var order = perm ?? Enumerable.Range(0, x.Rank).ToArray();
            var physicalMaps = order.Select(a => maps[a]).ToArray();
            var starts = new long[maps.Length];
            for (int a = 1; a < maps.Length; a++) starts[a] = starts[a - 1] + physicalMaps[a - 1].Length;
            Emit(Pad).Set(X, perm != null ? ChannelsLast(x) : Context.Data(x)).Set(PadValue, value).Set(Y, Produce(node.Outputs[0], perm != null ? Layout.Nhwc : Layout.Logical))
                .Set(Shape, physicalMaps.Select(m => m.Length)).Set(Strides, Broadcasting.ContiguousStrides(Permute(x.Shape!, order)))
                .Set(Map, physicalMaps.SelectMany(m => m)).Set(Starts, starts);
        }

        private void LowerResize(Node node)
        {
            var x = node.Input(0)!;
            var logicalAxes = ResizeOperator.Plan(node, x.Shape!, Context.Graph.Info.Opset);
            var perm = Context.ChannelsLastOnly(x);
            var order = perm ?? Enumerable.Range(0, x.Rank).ToArray();
            var axes = order.Select(a => logicalAxes[a]).ToArray();
            var starts = new long[axes.Length];
            for (int a = 1; a < axes.Length; a++) starts[a] = starts[a - 1] + axes[a - 1].Index.Length;
            var index = axes.SelectMany(a => a.Index).ToArray();
            var weight = axes.SelectMany(a => a.Weight).ToArray();
            var input = perm != null ? ChannelsLast(x) : Logical(x);
            Emit(ResizeF32).Set(X, input).Set(Index, ConstantOf(new Tensor(DataType.Int32, new[] { index.Length }, index), node.Name + ".index"))
                .Set(Weight, Constant(weight, node.Name + ".weight")).Set(Y, Produce(node.Outputs[0], perm != null ? Layout.Nhwc : Layout.Logical))
                .Set(Shape, axes.Select(a => a.Length)).Set(Strides, Broadcasting.ContiguousStrides(Permute(x.Shape!, order)))
                .Set(Taps, axes.Select(a => a.Taps)).Set(Starts, starts)
                .Set(Extrapolation, node.Attributes.GetFloat("extrapolation_value", 0f));
        }

        /// <summary>Cast at run time: a view when the type does not change, else a conversion to or from float32.</summary>
        private void LowerCast(Node node)
        {
            var x = node.Input(0)!;
            var y = node.Outputs[0];
            if (x.Type == y.Type)
            {
                Context.ViewOutput(node);
                return;
            }
            bool numeric(DataType t) => t == DataType.Float64 || t == DataType.Int8 || t == DataType.Int16 || t == DataType.Int32 || t == DataType.Int64
                                        || t == DataType.UInt8 || t == DataType.UInt16;
            var kernel = y.Type == DataType.Float32 && numeric(x.Type) ? CastToF32 : x.Type == DataType.Float32 && numeric(y.Type) ? CastFromF32 : null;
            if (kernel == null)
                throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.UnsupportedDataType, DiagnosticSeverity.Error,
                    $"Cast '{node.Name}' from {DataTypes.Name(x.Type)} to {DataTypes.Name(y.Type)} at run time is not supported (to and from float32 only, not bool or float16).",
                    null, node.Name));
            Emit(kernel).Set(X, Logical(x)).Set(Y, Produce(y, Layout.Logical)).Set(Count, x.ElementCount);
        }

        /// <summary>The channels-last buffer of a value that has one (<see cref="LoweringContext.ChannelsLastOnly"/> said so).</summary>
        private Buffer ChannelsLast(Value x) => Context.TryNhwc(x, out var b) ? b : throw new System.InvalidOperationException($"'{x.Name}' has no channels-last buffer.");
    }
}
