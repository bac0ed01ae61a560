// How large the tensors a build materializes may be: one tensor (an initializer, a folded constant, one sample of an
// activation), the weights, the workspace. A policy, checked before anything of that size is allocated, so a broken or
// hostile model gets QG0013 with the numbers instead of gigabytes of memory; MSBuild properties raise each limit.
using System;
using System.Globalization;

namespace QuantGen.Ir.Diagnostics
{
    public sealed class ResourceLimits
    {
        /// <summary>64 Mi elements: 256 MiB of float32; the evaluator's temporaries stay below 8 bytes an element.</summary>
        public const long DefaultMaxTensorElements = 64L << 20;

        /// <summary>256 MiB: a BERT-base embedding table (94 MB) fits with room; a folded constant this large is already suspicious.</summary>
        public const long DefaultMaxTensorBytes = 256L << 20;

        /// <summary>1 GiB: a 440 MB BERT-base in FP32 fits; the weights end up in the assembly as a resource.</summary>
        public const long DefaultMaxWeightBytes = 1L << 30;

        /// <summary>256 MiB of arena per instance of the generated class (MobileNetV2-224 needs 3.2 MB in FP32).</summary>
        public const long DefaultMaxWorkspaceBytes = 256L << 20;

        /// <summary>The largest arena the generated class can hold: one array of at most Array.MaxLength bytes, less 64 of alignment slack.</summary>
        public const long GeneratorMaxWorkspaceBytes = int.MaxValue - 1024;

        public long MaxTensorElements { get; set; } = DefaultMaxTensorElements;
        public long MaxTensorBytes { get; set; } = DefaultMaxTensorBytes;
        public long MaxWeightBytes { get; set; } = DefaultMaxWeightBytes;
        public long MaxWorkspaceBytes { get; set; } = DefaultMaxWorkspaceBytes;

        // The MSBuild properties that raise each limit, named in every message.
        public const string TensorElementsProperty = "QuantGenMaxTensorElements";
        public const string TensorBytesProperty = "QuantGenMaxTensorBytes";
        public const string WeightBytesProperty = "QuantGenMaxWeightBytes";
        public const string WorkspaceBytesProperty = "QuantGenMaxWorkspaceBytes";

        /// <summary>
        /// Throws QG0013 when a tensor of <paramref name="shape"/> and <paramref name="type"/> passes a limit. The count
        /// saturates instead of overflowing, and a single axis longer than the element limit is refused even when another
        /// axis is 0 (tables and strides are built per axis).
        /// </summary>
        /// <param name="what">The tensor as the message names it, e.g. "output 'y' of ConstantOfShape 'c'".</param>
        public void CheckTensor(int[] shape, DataType type, string what, string? file, string? node)
        {
            long elements = 1;
            int longest = 0;
            foreach (int d in shape)
            {
                longest = Math.Max(longest, d);
                elements = d != 0 && elements > long.MaxValue / d ? long.MaxValue : elements * d;
            }
            if (longest > MaxTensorElements) elements = Math.Max(elements, longest);
            CheckTensor(elements, DataTypes.SizeOf(type), $"{what} ({DataTypes.Name(type)}[{string.Join(",", shape)}])", file, node);
        }

        /// <summary>Throws QG0013 when <paramref name="elements"/> of <paramref name="elementSize"/> bytes pass a limit.</summary>
        public void CheckTensor(long elements, int elementSize, string what, string? file, string? node)
        {
            long bytes = elements > long.MaxValue / Math.Max(elementSize, 1) ? long.MaxValue : elements * Math.Max(elementSize, 1);
            if (elements > MaxTensorElements)
                throw Exceeded($"{what} has {Count(elements)} elements, over the limit of {Count(MaxTensorElements)} elements for one tensor", TensorElementsProperty, file, node);
            if (bytes > MaxTensorBytes)
                throw Exceeded($"{what} takes {Size(bytes)}, over the limit of {Size(MaxTensorBytes)} for one tensor", TensorBytesProperty, file, node);
        }

        /// <summary>Throws QG0013 when <paramref name="bytes"/> of weights pass the weight limit.</summary>
        public void CheckWeights(long bytes, string what, string? file, string? node = null)
        {
            if (bytes > MaxWeightBytes)
                throw Exceeded($"{what} take {Size(bytes)}, over the limit of {Size(MaxWeightBytes)} of weights", WeightBytesProperty, file, node);
        }

        /// <summary>
        /// The multiply-adds (or element steps) one node may take to evaluate at build time when all its inputs are
        /// constants: about a second in the reference evaluator. Past it, a few hundred bytes of model (a MatMul of two
        /// large constants) would keep the build busy for hours.
        /// </summary>
        public const long MaxFoldOperations = 1L << 30;

        /// <summary>
        /// Throws QG0013 before constant folding makes <paramref name="bytes"/> more of constants (on top of
        /// <paramref name="folded"/>). Folding transforms the model's own tensors (dequantizing int8 weights makes them four
        /// times larger), so it may compute four times the bytes the model brought (<paramref name="own"/>), at least one
        /// tensor's limit, at most the weight limit: past that a tiny model is asking for gigabytes.
        /// </summary>
        public void CheckFolding(long folded, long bytes, long own, string? file, string? node)
        {
            long budget = Math.Min(MaxWeightBytes, Math.Max(MaxTensorBytes, own > long.MaxValue / 4 ? long.MaxValue : 4 * own));
            if (folded + bytes > budget)
                throw Exceeded($"the constants computed at build time (constant folding) would take {Size(folded + bytes)}, over the {Size(budget)} this model may fold (four times the {Size(own)} of its own tensors, at least {TensorBytesProperty}, at most {WeightBytesProperty})",
                    own * 4 >= MaxTensorBytes ? WeightBytesProperty : TensorBytesProperty, file, node);
        }

        /// <summary>Throws QG0013 when evaluating one node at build time would take more than <see cref="MaxFoldOperations"/>.</summary>
        public static void CheckFoldCost(long operations, string what, string? file, string? node)
        {
            if (operations > MaxFoldOperations)
                throw new CompilerException(new CompilerDiagnostic(DiagnosticIds.ResourceLimit, DiagnosticSeverity.Error,
                    $"evaluating {what} at build time (all its inputs are constants) would take about {Count(operations)} operations, over the limit of {Count(MaxFoldOperations)} (about a second). No model QuantGen targets folds this much; a broken or hostile model is refused here.",
                    file, node));
        }

        /// <summary>Throws QG0013 when the instance's arena passes the workspace limit.</summary>
        public void CheckWorkspace(long bytes, string what, string? file)
        {
            if (bytes > MaxWorkspaceBytes)
                throw Exceeded($"{what} takes {Size(bytes)}, over the limit of {Size(MaxWorkspaceBytes)} of workspace", WorkspaceBytesProperty, file, null);
        }

        private static CompilerException Exceeded(string message, string property, string? file, string? node) =>
            new CompilerException(new CompilerDiagnostic(DiagnosticIds.ResourceLimit, DiagnosticSeverity.Error,
                $"{message}. If the model really needs it, raise the limit with the MSBuild property {property}; a broken or hostile model is refused here, before the memory is taken.",
                file, node));

        public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

        /// <summary>"6.0 GiB (6,400,000,000 bytes)": both, so the number can be compared with the property's value.</summary>
        public static string Size(long bytes)
        {
            if (bytes < 1024) return $"{Count(bytes)} bytes";
            string unit = bytes >= 1L << 30 ? (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB"
                : bytes >= 1L << 20 ? (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB"
                : (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB";
            return $"{unit} ({Count(bytes)} bytes)";
        }
    }
}
