// C# identifier rules for the generated class and namespace names: derive, validate, explain.
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace QuantGen.Build
{
    internal static class CSharpNames
    {
        /// <summary>
        /// A PascalCase class name from a model file name: "clinical-risk" → "ClinicalRisk",
        /// "mobilenetv2-224" → "Mobilenetv2224". Characters that cannot appear in an identifier split
        /// words; letters inside a word keep their case so "MyModel" stays "MyModel".
        /// </summary>
        public static string ClassNameFromFileName(string fileNameWithoutExtension)
        {
            var sb = new StringBuilder(fileNameWithoutExtension.Length);
            bool startOfWord = true;
            foreach (char c in fileNameWithoutExtension)
            {
                if (!IsIdentifierPart(c) || c == '_')
                {
                    startOfWord = true;
                    continue;
                }
                sb.Append(startOfWord ? char.ToUpperInvariant(c) : c);
                startOfWord = false;
            }
            if (sb.Length == 0) return "";
            // "224net.onnx" would otherwise start with a digit.
            if (!IsIdentifierStart(sb[0])) sb.Insert(0, "Model");
            return sb.ToString();
        }

        /// <summary>True for a plain (non-verbatim) C# identifier that is not a keyword.</summary>
        public static bool IsValidIdentifier(string name)
        {
            if (string.IsNullOrEmpty(name) || !IsIdentifierStart(name[0])) return false;
            for (int i = 1; i < name.Length; i++)
            {
                if (!IsIdentifierPart(name[i])) return false;
            }
            return !Keywords.Contains(name);
        }

        /// <summary>The first segment of a dotted namespace that is not a valid identifier, or null when all are.</summary>
        public static string? FirstInvalidNamespaceSegment(string ns)
        {
            foreach (string segment in ns.Split('.'))
            {
                if (!IsValidIdentifier(segment)) return segment;
            }
            return null;
        }

        // The C# specification's identifier grammar, by Unicode category.
        private static bool IsIdentifierStart(char c) =>
            c == '_' || CharUnicodeInfo.GetUnicodeCategory(c) switch
            {
                UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                    or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.LetterNumber => true,
                _ => false,
            };

        private static bool IsIdentifierPart(char c) =>
            IsIdentifierStart(c) || CharUnicodeInfo.GetUnicodeCategory(c) switch
            {
                UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation or UnicodeCategory.NonSpacingMark
                    or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.Format => true,
                _ => false,
            };

        // Reserved keywords only: contextual ones ("var", "record", "async") are legal identifiers.
        private static readonly HashSet<string> Keywords = new HashSet<string>
        {
            "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const",
            "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit",
            "extern", "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int",
            "interface", "internal", "is", "lock", "long", "namespace", "new", "null", "object", "operator", "out",
            "override", "params", "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed",
            "short", "sizeof", "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try",
            "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "virtual", "void", "volatile", "while",
        };
    }
}
