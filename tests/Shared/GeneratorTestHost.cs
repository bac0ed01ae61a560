// In-memory stand-ins for what MSBuild hands a source generator: additional files and their
// editorconfig metadata. Shared by the generator tests and the conformance suite.
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace QuantGen.Tests
{
    internal sealed class InMemoryAdditionalText : AdditionalText
    {
        private readonly SourceText _text;

        public InMemoryAdditionalText(string path, string text)
        {
            Path = path;
            _text = SourceText.From(text, Encoding.UTF8);
        }

        public override string Path { get; }

        public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
    }

    /// <summary>Metadata as the generator reads it: "build_metadata.AdditionalFiles.X" and "build_property.X" keys.</summary>
    internal sealed class DictionaryOptions : AnalyzerConfigOptions
    {
        private readonly Dictionary<string, string> _values;

        public DictionaryOptions(Dictionary<string, string> values)
        {
            _values = new Dictionary<string, string>(values, KeyComparer);
        }

        public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) => _values.TryGetValue(key, out value);
    }

    /// <summary>Global properties plus per-file metadata, looked up by the additional file's path.</summary>
    internal sealed class TestOptionsProvider : AnalyzerConfigOptionsProvider
    {
        private static readonly AnalyzerConfigOptions s_empty = new DictionaryOptions(new Dictionary<string, string>());
        private readonly Dictionary<string, AnalyzerConfigOptions> _files;

        public TestOptionsProvider(AnalyzerConfigOptions global, Dictionary<string, AnalyzerConfigOptions> files)
        {
            GlobalOptions = global;
            _files = files;
        }

        public override AnalyzerConfigOptions GlobalOptions { get; }

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => s_empty;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => _files.TryGetValue(textFile.Path, out var options) ? options : s_empty;
    }
}
