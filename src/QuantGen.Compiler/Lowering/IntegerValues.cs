// Where float and integer code meet (docs/int8-kernels.md): values integer code writes live as uint8 in the layout it
// wrote them; a float op reads them dequantized, and integer code quantizes a float value on first use, so the two
// halves of a partly quantized model meet lazily, one conversion per value and layout.
using System;
using System.Collections.Generic;
using QuantGen.Compiler.Operators;
using QuantGen.Compiler.Quantization;
using QuantGen.Ir;
using static QuantGen.Plan.KernelCatalog;
using static QuantGen.Plan.KernelParameters;

namespace QuantGen.Compiler.Lowering
{
    internal sealed class IntegerValues
    {
        private readonly LoweringContext _context;
        private readonly QuantizationScheme? _scheme;
        private readonly Dictionary<Value, Buffer> _logical = new Dictionary<Value, Buffer>();
        private readonly Dictionary<Value, Buffer> _nhwc = new Dictionary<Value, Buffer>();

        public IntegerValues(LoweringContext context, QuantizationScheme? scheme)
        {
            _context = context;
            _scheme = scheme;
        }

        /// <summary>The calibrated scheme's scales and zero points (null: a float or Int8Dynamic build).</summary>
        public QuantizationScheme? Scheme => _scheme;

        /// <summary>Whether a uint8 buffer of <paramref name="v"/> exists channels-last.</summary>
        public bool HasNhwc(Value v) => _nhwc.ContainsKey(v);

        /// <summary>
        /// <paramref name="v"/> as uint8 in <paramref name="layout"/>: reordered from the other layout when only that
        /// exists, else quantized from its float buffer (the graph input, or the output of a float op).
        /// </summary>
        public Buffer U8(Value v, Layout layout)
        {
            var map = layout == Layout.Nhwc ? _nhwc : _logical;
            if (map.TryGetValue(v, out var b)) return b;
            var other = layout == Layout.Nhwc ? _logical : _nhwc;
            if (other.TryGetValue(v, out var source))
            {
                b = LoweringContext.LayoutIsIrrelevant(v) ? _context.View(source, v.Name + ".u8." + layout)
                    : layout == Layout.Nhwc ? _context.Transposed(source, LoweringContext.Image4D(v), LoweringContext.ToNhwc, v.Name + ".u8.nhwc")
                    : _context.Transposed(source, LoweringContext.Permute(LoweringContext.Image4D(v), LoweringContext.ToNhwc), LoweringContext.ToNchw, v.Name + ".u8.nchw");
            }
            else if (layout == Layout.Nhwc && (v.Rank == 4 || v.Rank == 3) && !LoweringContext.LayoutIsIrrelevant(v) && !_context.Has(v, Layout.Nhwc))
            {
                // Only the ONNX-order float exists (a graph input such as an NCHW image): quantized in that order, then the
                // bytes reordered, not the floats first. Per-tensor quantization is elementwise, so the bytes are the same
                // either way, and the transpose moves a quarter of the data.
                b = _context.Transposed(U8(v, Layout.Logical), LoweringContext.Image4D(v), LoweringContext.ToNhwc, v.Name + ".u8.nhwc");
            }
            else
            {
                var f = layout == Layout.Nhwc ? _context.Nhwc(v) : _context.Logical(v);
                var p = Params(v);
                b = _context.NewBuffer(v.Name + ".u8", BufferKind.Workspace, DataType.UInt8, f.Elements);
                _context.Emit(QuantizeU8).Set(X, f).Set(Y, b).Set(Count, f.Elements).Set(Zp, p.ZeroPoint).Set(InvScale, QuantizationMath.InverseScale(p));
            }
            map[v] = b;
            return b;
        }

        /// <summary>The uint8 buffer integer code writes value <paramref name="v"/> into, in <paramref name="layout"/>.</summary>
        public Buffer Produce(Value v, Layout layout) => Bind(v, layout, _context.NewBuffer(v.Name + ".u8", BufferKind.Workspace, DataType.UInt8, v.ElementCount));

        /// <summary>Records <paramref name="buffer"/> as where uint8 value <paramref name="v"/> lives in <paramref name="layout"/>.</summary>
        public Buffer Bind(Value v, Layout layout, Buffer buffer)
        {
            (layout == Layout.Nhwc ? _nhwc : _logical)[v] = buffer;
            return buffer;
        }

        /// <summary>Gives a value that integer code produced a float buffer (dequantized, in its uint8 layout) before a float op reads it.</summary>
        public void EnsureFloat(Value v)
        {
            if (_context.Has(v, Layout.Logical) || _context.Has(v, Layout.Nhwc)) return;
            bool nhwc = _nhwc.TryGetValue(v, out var q);
            if (!nhwc && !_logical.TryGetValue(v, out q)) return;
            var p = Params(v);
            var f = _context.NewBuffer(v.Name + ".f32", BufferKind.Workspace, DataType.Float32, q!.Elements);
            _context.Emit(DequantizeU8).Set(X, q).Set(Y, f).Set(Count, q.Elements).Set(Zp, p.ZeroPoint).Set(Scale, p.Scale);
            _context.Bind(v, nhwc ? Layout.Nhwc : Layout.Logical, f);
        }

        /// <summary>The scale and zero point the scheme gave <paramref name="v"/>.</summary>
        public QuantParams Params(Value v) =>
            _scheme!.Activations.TryGetValue(v.Name, out var p) ? p : throw new InvalidOperationException($"'{v.Name}' has no quantization parameters.");

        /// <summary>The output clamp of <paramref name="node"/>: its fused Relu or ReLU6 in quantized units, else [0, 255].</summary>
        public (int Min, int Max) Clamp(Node node, QuantParams output) =>
            QuantizationMath.ActivationClamp(FusedActivation.Of(node), output)
            ?? throw OperatorDefinition.Unsupported(node, $"a fused {FusedActivation.Of(node).Kind} in integer arithmetic");

        /// <summary>A per-tensor requantization multiplier the kernels support (below 2^30: shift ≥ −30).</summary>
        public (int Multiplier, int Shift) Multiplier(double real)
        {
            if (!(real < (1 << 30))) throw OperatorDefinition.Unsupported(_context.Current!, $"a requantization multiplier of {real:G3} (scales too far apart for int32 fixed point)");
            return QuantizationMath.QuantizeMultiplier(real);
        }
    }
}
