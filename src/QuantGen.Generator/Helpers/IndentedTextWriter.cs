// A small text writer for generated code: four-space indentation, '\n' newlines, nothing culture-dependent.
using System;
using System.Text;

namespace QuantGen.Generator
{
    internal sealed class IndentedTextWriter
    {
        private readonly StringBuilder _builder = new StringBuilder();
        private int _indent;

        public void Indent() => _indent++;

        public void Unindent() => _indent--;

        /// <summary>Writes "{" on its own line and indents what follows.</summary>
        public void OpenBlock()
        {
            WriteLine("{");
            _indent++;
        }

        /// <summary>Unindents and writes "}" (plus <paramref name="suffix"/>, e.g. ";").</summary>
        public void CloseBlock(string suffix = "")
        {
            _indent--;
            WriteLine("}" + suffix);
        }

        /// <summary>Writes one line at the current indentation; an empty line is written without trailing spaces.</summary>
        public void WriteLine(string line = "")
        {
            if (line.Length > 0) _builder.Append(' ', _indent * 4).Append(line);
            _builder.Append('\n');
        }

        /// <summary>Writes each line of <paramref name="text"/> (split on '\n') at the current indentation.</summary>
        public void WriteLines(string text)
        {
            foreach (string line in text.Split('\n')) WriteLine(line);
        }

        public override string ToString() => _builder.ToString();
    }
}
