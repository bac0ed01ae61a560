// Errors and warnings the compiler reports to the user, each with a stable QGxxxx id.
using System;

namespace QuantGen.Ir.Diagnostics
{
    public enum DiagnosticSeverity
    {
        Info,
        Warning,
        Error,
    }

    /// <summary>One message for the build log: id, text, and where (model file and node) it applies.</summary>
    public sealed class CompilerDiagnostic
    {
        public CompilerDiagnostic(string id, DiagnosticSeverity severity, string message, string? file = null, string? node = null)
        {
            Id = id;
            Severity = severity;
            Message = message;
            File = file;
            Node = node;
        }

        public string Id { get; }
        public DiagnosticSeverity Severity { get; }
        public string Message { get; }

        /// <summary>The model (or data) file the message is about.</summary>
        public string? File { get; }

        /// <summary>The ONNX node name, when one node is at fault.</summary>
        public string? Node { get; }

        public override string ToString() =>
            $"{File}: {Severity.ToString().ToLowerInvariant()} {Id}: {Message}";
    }

    /// <summary>Thrown inside the compiler to stop with one user-facing diagnostic; never escapes to MSBuild.</summary>
    public sealed class CompilerException : Exception
    {
        public CompilerException(CompilerDiagnostic diagnostic)
            : base(diagnostic.Message)
        {
            Diagnostic = diagnostic;
        }

        public CompilerDiagnostic Diagnostic { get; }

        /// <summary>The same diagnostic with the file and node filled in where it had none (an operator knows neither the file nor, always, the node).</summary>
        public CompilerException At(string? file, string? node)
        {
            var d = Diagnostic;
            if ((d.File != null || file == null) && (d.Node != null || node == null)) return this;
            return new CompilerException(new CompilerDiagnostic(d.Id, d.Severity, d.Message, d.File ?? file, d.Node ?? node));
        }

        /// <summary>
        /// QG0999 for an exception the compiler did not expect: a bug, whatever the input. It names the node and the stage
        /// at work, so the report says where to look.
        /// </summary>
        public static CompilerException Internal(Exception e, string stage, string? file, Ir.Node? node) =>
            new CompilerException(new CompilerDiagnostic(DiagnosticIds.InternalError, DiagnosticSeverity.Error,
                $"QuantGen failed while {stage}{(node == null ? "" : $" {node.OpType} '{node.Name}'")}: {e.GetType().Name}: {e.Message}. Please report it with the model.",
                file, node?.Name));
    }

    /// <summary>The catalog of compiler diagnostics. Ids never change meaning; docs/msbuild.md lists each with its fix.</summary>
    public static class DiagnosticIds
    {
        /// <summary>The model file cannot be read (missing, locked, empty).</summary>
        public const string ModelUnreadable = "QG0001";

        /// <summary>The file is not a valid ONNX model (malformed or truncated protobuf, no graph).</summary>
        public const string ModelMalformed = "QG0002";

        /// <summary>An operator (op type, domain or opset) the compiler does not implement.</summary>
        public const string UnsupportedOperator = "QG0003";

        /// <summary>A supported operator with an attribute value or input form the compiler does not implement.</summary>
        public const string UnsupportedAttribute = "QG0004";

        /// <summary>A tensor element type the compiler does not implement (e.g. string, float16 inputs).</summary>
        public const string UnsupportedDataType = "QG0005";

        /// <summary>A symbolic dimension other than a leading batch axis, or a batch axis that ops mix.</summary>
        public const string UnsupportedDynamicShape = "QG0006";

        /// <summary>The graph is inconsistent: unknown input name, cycle, shapes that do not agree.</summary>
        public const string InvalidGraph = "QG0007";

        /// <summary>A QuantGenModel item has bad metadata (Precision, ClassName, Namespace).</summary>
        public const string InvalidMetadata = "QG0008";

        /// <summary>A tensor's external data file is missing or too short.</summary>
        public const string ExternalDataMissing = "QG0009";

        /// <summary>Precision=Int8 without CalibrationData: activation ranges cannot be measured, so the model compiles in Float32.</summary>
        public const string NoCalibrationData = "QG0010";

        /// <summary>Some quantized tensors lose much of their signal to rounding on their own (outliers stretch their range).</summary>
        public const string LowLayerSqnr = "QG0011";

        /// <summary>The accuracy budget kept more than half of the integer layers in float.</summary>
        public const string MostlyFloat = "QG0012";

        /// <summary>A tensor, the weights or the workspace would pass a resource limit (QuantGenMaxTensorBytes…); the message has both numbers.</summary>
        public const string ResourceLimit = "QG0013";

        /// <summary>The build ran out of memory compiling the model (the task reports it; the model's own size or a limit set too high).</summary>
        public const string OutOfMemory = "QG0014";

        /// <summary>Info: the INT8 stage (calibration, accuracy budget) ran on the reference evaluator, not the kernels: a slower build, the same decisions.</summary>
        public const string ReferenceEngine = "QG0015";

        /// <summary>Info: a ZipMap (ai.onnx.ml) was dropped; Run returns the probability tensor it read.</summary>
        public const string ZipMapDropped = "QG0020";

        /// <summary>Info: Precision="Int8" on a model with nothing to quantize (tree ensembles and the other ai.onnx.ml operators run in float32).</summary>
        public const string NothingToQuantize = "QG0021";

        /// <summary>An internal compiler failure; the message carries the exception text for a bug report.</summary>
        public const string InternalError = "QG0999";

        /// <summary>Where users find the list of supported operators.</summary>
        public const string SupportedOperatorsLink = "docs/operators.md in the QuantGen repository and package";
    }
}
