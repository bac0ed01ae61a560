// Sliding-window geometry shared by Conv and pooling: kernel, strides, dilations, pads, output size.
using System;
using System.Linq;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators
{
    /// <summary>Resolved 2-D window parameters (ONNX attributes after auto_pad and ceil_mode).</summary>
    public sealed class WindowGeometry
    {
        public int KernelH, KernelW, StrideH, StrideW, DilationH, DilationW;
        public int PadTop, PadLeft, PadBottom, PadRight;
        public int InH, InW, OutH, OutW;

        /// <summary>True for a 1-D window over [N, C, W], handled as a 2-D window over [N, C, 1, W].</summary>
        public bool OneDimensional;

        /// <summary>The output shape in the input's rank: [N, C, OutW] for 1-D, [N, C, OutH, OutW] for 2-D.</summary>
        public int[] OutputShape(int n, int c) => OneDimensional ? new[] { n, c, OutW } : new[] { n, c, OutH, OutW };

        /// <summary>
        /// Reads kernel_shape (or <paramref name="kernel"/>: the weights' spatial dims), strides, dilations,
        /// pads, auto_pad, ceil_mode for an NCHW (or NCW) input. A 1-D window (NCW, as 1-D convolutions over
        /// signals such as ECGs) becomes the same 2-D window with height 1, which is the same memory.
        /// </summary>
        public static WindowGeometry Resolve(Node node, int[] inputShape, int[]? kernel)
        {
            bool oneD = inputShape.Length == 3;
            if (!oneD && inputShape.Length != 4)
                throw OperatorDefinition.Unsupported(node, $"a {inputShape.Length - 2}-D window (only 1-D and 2-D, NCW/NCHW inputs)");
            int spatial = oneD ? 1 : 2;
            var a = node.Attributes;
            // Every size must be positive and pads non-negative; the window's span and the padded input are then computed in
            // long, so no attribute value wraps around into a plausible-looking geometry.
            var k = OperatorDefinition.IntsAttribute(node, "kernel_shape", 1, int.MaxValue) ?? kernel
                ?? throw OperatorDefinition.Invalid(node, "kernel_shape is missing");
            if (k.Length != spatial) throw OperatorDefinition.Unsupported(node, $"kernel_shape of rank {k.Length} on a rank-{inputShape.Length} input");
            if (kernel != null && !k.SequenceEqual(kernel))
                throw OperatorDefinition.Invalid(node, $"kernel_shape [{string.Join(",", k)}] does not match the weights' window [{string.Join(",", kernel)}]");
            var s = (OperatorDefinition.IntsAttribute(node, "strides", 1, int.MaxValue) ?? Enumerable.Repeat(1, spatial).ToArray()).Select(v => (long)v).ToArray();
            var d = (OperatorDefinition.IntsAttribute(node, "dilations", 1, int.MaxValue) ?? Enumerable.Repeat(1, spatial).ToArray()).Select(v => (long)v).ToArray();
            var p = (OperatorDefinition.IntsAttribute(node, "pads", 0, int.MaxValue) ?? new int[2 * spatial]).Select(v => (long)v).ToArray();
            if (s.Length != spatial || d.Length != spatial || p.Length != 2 * spatial) throw OperatorDefinition.Invalid(node, "strides, dilations or pads do not match the kernel");
            if (oneD)
            {
                k = new[] { 1, k[0] };
                s = new[] { 1L, s[0] };
                d = new[] { 1L, d[0] };
                p = new[] { 0L, p[0], 0L, p[1] };
            }
            var g = new WindowGeometry
            {
                OneDimensional = oneD,
                KernelH = k[0], KernelW = k[1], StrideH = (int)s[0], StrideW = (int)s[1], DilationH = (int)d[0], DilationW = (int)d[1],
                PadTop = (int)p[0], PadLeft = (int)p[1], PadBottom = (int)p[2], PadRight = (int)p[3],
                InH = oneD ? 1 : inputShape[2], InW = oneD ? inputShape[2] : inputShape[3],
            };
            if (g.StrideH < 1 || g.StrideW < 1 || g.DilationH < 1 || g.DilationW < 1 || g.KernelH < 1 || g.KernelW < 1)
                throw OperatorDefinition.Invalid(node, "kernel, strides and dilations must be positive");
            string autoPad = a.GetString("auto_pad", "NOTSET");
            bool ceil = a.GetInt("ceil_mode", 0) != 0;
            long spanH = (long)(g.KernelH - 1) * g.DilationH + 1, spanW = (long)(g.KernelW - 1) * g.DilationW + 1;
            if (spanH > int.MaxValue || spanW > int.MaxValue || g.InH + (long)g.PadTop + g.PadBottom > int.MaxValue || g.InW + (long)g.PadLeft + g.PadRight > int.MaxValue)
                throw OperatorDefinition.Invalid(node, $"the window ({g.KernelH}x{g.KernelW}, dilations {g.DilationH}x{g.DilationW}) or the pads are larger than any input");
            // A pad wider than the window adds outputs that see nothing but padding: no exporter writes one, and a
            // few bytes of attribute would otherwise make each image tens of thousands of pixels wider (and its
            // calibration take hours).
            if (Math.Max(g.PadTop, g.PadBottom) > spanH || Math.Max(g.PadLeft, g.PadRight) > spanW)
                throw OperatorDefinition.Unsupported(node, $"pads [{string.Join(",", p)}] wider than the {spanH}x{spanW} window");
            if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER")
            {
                g.OutH = (int)((g.InH + (long)g.StrideH - 1) / g.StrideH);
                g.OutW = (int)((g.InW + (long)g.StrideW - 1) / g.StrideW);
                long totalH = Math.Max(0, (g.OutH - 1L) * g.StrideH + spanH - g.InH);
                long totalW = Math.Max(0, (g.OutW - 1L) * g.StrideW + spanW - g.InW);
                if (totalH > int.MaxValue || totalW > int.MaxValue) throw OperatorDefinition.Invalid(node, "the padding SAME needs does not fit any input");
                bool upper = autoPad == "SAME_UPPER";
                g.PadTop = (int)(upper ? totalH / 2 : totalH - totalH / 2);
                g.PadBottom = (int)totalH - g.PadTop;
                g.PadLeft = (int)(upper ? totalW / 2 : totalW - totalW / 2);
                g.PadRight = (int)totalW - g.PadLeft;
                return g;
            }
            if (autoPad == "VALID") g.PadTop = g.PadLeft = g.PadBottom = g.PadRight = 0;
            else if (autoPad != "NOTSET") throw OperatorDefinition.Unsupported(node, $"auto_pad={autoPad}");
            g.OutH = OutputSize(g.InH, g.KernelH, g.StrideH, g.DilationH, g.PadTop, g.PadBottom, ceil);
            g.OutW = OutputSize(g.InW, g.KernelW, g.StrideW, g.DilationW, g.PadLeft, g.PadRight, ceil);
            if (g.OutH < 1 || g.OutW < 1) throw OperatorDefinition.Invalid(node, $"the window does not fit the {g.InH}x{g.InW} input");
            return g;
        }

        private static int OutputSize(int input, int kernel, int stride, int dilation, int padBegin, int padEnd, bool ceil)
        {
            long span = (long)(kernel - 1) * dilation + 1;
            long numerator = (long)input + padBegin + padEnd - span;
            if (numerator < 0) return 0;
            int output = (int)((ceil ? (numerator + stride - 1) / stride : numerator / stride) + 1);
            // As PyTorch and ONNX Runtime: with ceil_mode the last window must start inside the input or its begin pad.
            if (ceil && (output - 1) * stride >= input + padBegin) output--;
            return output;
        }
    }
}
