// Builds the CompilerExceptions the ONNX reader throws, so every message names the file it is about.
using QuantGen.Ir.Diagnostics;

namespace QuantGen.Onnx.Reading
{
    internal static class OnnxErrors
    {
        public static CompilerException Error(string id, string message, string? file, string? node = null) =>
            new CompilerException(new CompilerDiagnostic(id, DiagnosticSeverity.Error, message, file, node));

        public static CompilerException Unreadable(string message, string? file) =>
            Error(DiagnosticIds.ModelUnreadable, message, file);

        public static CompilerException Malformed(string message, string? file, string? node = null) =>
            Error(DiagnosticIds.ModelMalformed, message, file, node);

        public static CompilerException InvalidGraph(string message, string? file, string? node = null) =>
            Error(DiagnosticIds.InvalidGraph, message, file, node);

        public static CompilerException UnsupportedDataType(string message, string? file, string? node = null) =>
            Error(DiagnosticIds.UnsupportedDataType, message, file, node);

        public static CompilerException UnsupportedAttribute(string message, string? file, string? node = null) =>
            Error(DiagnosticIds.UnsupportedAttribute, message, file, node);

        public static CompilerException ExternalDataMissing(string message, string? file) =>
            Error(DiagnosticIds.ExternalDataMissing, message, file);
    }
}
