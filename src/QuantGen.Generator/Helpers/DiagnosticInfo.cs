// A diagnostic as plain data (descriptor, file, line, message arguments) so pipeline steps that carry it stay cacheable.
using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace QuantGen.Generator
{
    /// <summary>
    /// Everything needed to report a diagnostic later, without a <see cref="Location"/> (which would hold
    /// a syntax tree). Plan files are additional files, so the location is rebuilt from the path and line.
    /// </summary>
    internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, string? FilePath, int Line, EquatableArray<string> Arguments)
    {
        /// <summary>A diagnostic on <paramref name="filePath"/> (line is 1-based; 0 when no line applies).</summary>
        public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, string? filePath, int line, params string[] arguments) =>
            new DiagnosticInfo(descriptor, filePath, line, new EquatableArray<string>(arguments));

        public Diagnostic ToDiagnostic()
        {
            Location location = Location.None;
            if (FilePath is { Length: > 0 })
            {
                var position = new LinePosition(Math.Max(Line - 1, 0), 0);
                location = Location.Create(FilePath, default(TextSpan), new LinePositionSpan(position, position));
            }
            var args = new object[Arguments.Count];
            for (int i = 0; i < args.Length; i++) args[i] = Arguments[i];
            return Diagnostic.Create(Descriptor, location, args);
        }
    }
}
