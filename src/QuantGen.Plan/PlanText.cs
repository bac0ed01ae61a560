// The plan file format: line-oriented UTF-8 text, invariant culture, one record per line.
//
//   quantgen-plan 2 catalog=5d0c…            (FormatVersion, then CatalogFingerprint.Value)
//   model source="m.onnx" sha256=… opset=13 producer="pytorch 1.13.1" precision=Float32 batched=true
//   input "features" float32 [-1,30]
//   output "probabilities" float32 [-1,2]
//   workspace 256
//   weights inline 16760 sha256=…            (or: weights resource 13987328 sha256=… name="…")
//   fact "parameters" "1058"                 (keys and types: PlanFacts)
//   step GemmF32 "/fc1/Gemm" x=in0@0:30:float32 b=w@0:960:float32 … m=1 n=32 k=30 act=Relu alpha=0f beta=0f
//   step BinaryF32 "/add" … shape=ints[1,30] aStrides=ints[0,1] …   (lists say their type: ints[…], floats[0.5f,…])
//   data                                     (inline weights, base64, 76 characters a line)
//   …
//   end
//
// Text (not binary) because Roslyn reads additional files as text, and because a reviewer can diff it.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace QuantGen.Plan
{
    /// <summary>A plan file that cannot be read: the message says what is wrong and <see cref="Line"/> where (0: no one line).</summary>
    public class PlanFormatException : Exception
    {
        public PlanFormatException(int line, string message)
            : base(line > 0 ? $"line {line}: {message}" : message)
        {
            Line = line;
        }

        public int Line { get; }
    }

    /// <summary>A plan written by another QuantGen: another format version or another kernel catalog (<see cref="CatalogFingerprint"/>).</summary>
    public sealed class PlanVersionException : PlanFormatException
    {
        public PlanVersionException(string message)
            : base(1, message)
        {
        }
    }

    public static class PlanText
    {
        private const string Magic = "quantgen-plan";

        private const string CatalogKey = "catalog=";

        /// <summary>The first line of every plan this QuantGen writes (no newline).</summary>
        public static string Header => Magic + " " + ModelPlan.FormatVersion.ToString(CultureInfo.InvariantCulture) + " " + CatalogKey + CatalogFingerprint.Value;

        public static string Write(ModelPlan plan)
        {
            var sb = new StringBuilder();
            sb.Append(Header).Append('\n');
            var info = plan.Info;
            sb.Append("model source=").Append(Quote(info.Source))
              .Append(" sha256=").Append(info.Sha256)
              .Append(" opset=").Append(info.Opset.ToString(CultureInfo.InvariantCulture))
              .Append(" producer=").Append(Quote(info.Producer))
              .Append(" precision=").Append(info.Precision)
              .Append(" batched=").Append(info.IsBatched ? "true" : "false").Append('\n');
            foreach (var t in plan.Inputs) WriteTensor(sb, "input", t);
            foreach (var t in plan.Outputs) WriteTensor(sb, "output", t);
            sb.Append("workspace ").Append(plan.WorkspaceBytes.ToString(CultureInfo.InvariantCulture)).Append('\n');
            var w = plan.Weights;
            sb.Append("weights ").Append(w.Storage == WeightStorage.Inline ? "inline" : "resource")
              .Append(' ').Append(w.ByteCount.ToString(CultureInfo.InvariantCulture))
              .Append(" sha256=").Append(w.Sha256);
            if (w.Storage == WeightStorage.Resource) sb.Append(" name=").Append(Quote(w.ResourceName));
            sb.Append('\n');
            foreach (var f in plan.Facts) sb.Append("fact ").Append(Quote(f.Fact.Key)).Append(' ').Append(Quote(f.Text)).Append('\n');
            foreach (var step in plan.Steps)
            {
                sb.Append("step ").Append(step.Kernel).Append(' ').Append(Quote(step.Source));
                foreach (var a in step.Arguments) sb.Append(' ').Append(a.Name).Append('=').Append(a.Value.ToString());
                sb.Append('\n');
            }
            if (w.Storage == WeightStorage.Inline && w.InlineData.Length > 0)
            {
                sb.Append("data\n");
                string b64 = Convert.ToBase64String(w.InlineData);
                for (int i = 0; i < b64.Length; i += 76) sb.Append(b64, i, Math.Min(76, b64.Length - i)).Append('\n');
            }
            sb.Append("end\n");
            return sb.ToString();
        }

        private static void WriteTensor(StringBuilder sb, string keyword, PlanTensor t)
        {
            sb.Append(keyword).Append(' ').Append(Quote(t.Name)).Append(' ').Append(PlanElementTypes.Name(t.ElementType)).Append(" [")
              .Append(string.Join(",", Array.ConvertAll(t.Shape, d => d.ToString(CultureInfo.InvariantCulture)))).Append("]\n");
        }

        /// <summary>Parses and validates a plan. Throws <see cref="PlanFormatException"/> with the line on any defect.</summary>
        public static ModelPlan Read(string text)
        {
            var plan = new ModelPlan();
            var lines = text.Split('\n');
            int n = 0;
            string Next() => n < lines.Length ? lines[n++].TrimEnd('\r') : throw new PlanFormatException(n, "unexpected end of plan (no 'end' line)");

            ReadHeader(Tokenize(Next(), n));

            bool sawEnd = false, sawModel = false, sawWorkspace = false, sawWeights = false;
            var data = new StringBuilder();
            bool inData = false;
            while (n < lines.Length)
            {
                string line = Next();
                if (line.Length == 0) continue;
                if (inData)
                {
                    if (line == "end") { sawEnd = true; break; }
                    data.Append(line);
                    continue;
                }
                var tokens = Tokenize(line, n);
                switch (tokens[0])
                {
                    case "model":
                        sawModel = true;
                        var kv = KeyValues(tokens, 1, n);
                        plan.Info.Source = Required(kv, "source", n);
                        plan.Info.Sha256 = Required(kv, "sha256", n);
                        plan.Info.Opset = (int)ParseInt(Required(kv, "opset", n), n);
                        plan.Info.Producer = Required(kv, "producer", n);
                        plan.Info.Precision = Required(kv, "precision", n);
                        plan.Info.IsBatched = Required(kv, "batched", n) == "true";
                        break;
                    case "input":
                    case "output":
                        if (tokens.Count != 4) throw new PlanFormatException(n, $"'{tokens[0]}' needs a name, a type and a shape");
                        if (!PlanElementTypes.TryParse(tokens[2], out var et)) throw new PlanFormatException(n, $"unknown element type '{tokens[2]}'");
                        var shape = Array.ConvertAll(ParseIntList(tokens[3], n), v => checked((int)v));
                        (tokens[0] == "input" ? plan.Inputs : plan.Outputs).Add(new PlanTensor(tokens[1], et, shape));
                        break;
                    case "workspace":
                        sawWorkspace = true;
                        plan.WorkspaceBytes = ParseInt(tokens.Count == 2 ? tokens[1] : "", n);
                        break;
                    case "weights":
                        sawWeights = true;
                        if (tokens.Count < 3) throw new PlanFormatException(n, "'weights' needs a storage and a byte count");
                        plan.Weights.Storage = tokens[1] switch
                        {
                            "inline" => WeightStorage.Inline,
                            "resource" => WeightStorage.Resource,
                            _ => throw new PlanFormatException(n, $"unknown weight storage '{tokens[1]}'"),
                        };
                        plan.Weights.ByteCount = ParseInt(tokens[2], n);
                        var wkv = KeyValues(tokens, 3, n);
                        plan.Weights.Sha256 = Required(wkv, "sha256", n);
                        if (plan.Weights.Storage == WeightStorage.Resource) plan.Weights.ResourceName = Required(wkv, "name", n);
                        break;
                    case "fact":
                        if (tokens.Count != 3) throw new PlanFormatException(n, "'fact' needs a key and a value");
                        var fact = PlanFacts.Find(tokens[1]) ?? throw new PlanFormatException(n, $"unknown fact '{tokens[1]}'");
                        try { plan.Facts.Add(fact, tokens[2]); }
                        catch (ArgumentException e) { throw new PlanFormatException(n, e.Message); }
                        break;
                    case "step":
                        plan.Steps.Add(ParseStep(tokens, n));
                        break;
                    case "data":
                        inData = true;
                        break;
                    case "end":
                        sawEnd = true;
                        break;
                    default:
                        throw new PlanFormatException(n, $"unknown record '{tokens[0]}'");
                }
                if (sawEnd) break;
            }
            if (!sawEnd) throw new PlanFormatException(n, "the plan is truncated (no 'end' line)");
            if (!sawModel || !sawWorkspace || !sawWeights) throw new PlanFormatException(0, "the plan lacks a 'model', 'workspace' or 'weights' record");
            if (plan.Weights.Storage == WeightStorage.Inline)
            {
                try { plan.Weights.InlineData = Convert.FromBase64String(data.ToString()); }
                catch (FormatException) { throw new PlanFormatException(0, "the inline weight data is not valid base64"); }
                if (plan.Weights.InlineData.Length != plan.Weights.ByteCount)
                    throw new PlanFormatException(0, $"the inline weight data has {plan.Weights.InlineData.Length} bytes, the header says {plan.Weights.ByteCount}");
            }
            PlanValidator.Validate(plan);
            return plan;
        }

        /// <summary>"quantgen-plan VERSION catalog=FINGERPRINT": a plan of another format or catalog is refused as stale.</summary>
        private static void ReadHeader(List<string> header)
        {
            if (header.Count < 2 || header[0] != Magic) throw new PlanFormatException(1, "not a QuantGen plan");
            string version = header[1];
            string? catalog = header.Count == 3 && header[2].StartsWith(CatalogKey, StringComparison.Ordinal) ? header[2].Substring(CatalogKey.Length) : null;
            if (version != ModelPlan.FormatVersion.ToString(CultureInfo.InvariantCulture))
                throw new PlanVersionException($"it is in plan format {version}, and this QuantGen reads format {ModelPlan.FormatVersion}");
            if (catalog == null || header.Count != 3) throw new PlanFormatException(1, $"the header does not end with '{CatalogKey}' and the kernel catalog's fingerprint");
            if (catalog != CatalogFingerprint.Value)
                throw new PlanVersionException($"it was written for kernel catalog {catalog}, and this QuantGen's kernels are catalog {CatalogFingerprint.Value}");
        }

        private static PlanStep ParseStep(List<string> tokens, int line)
        {
            if (tokens.Count < 3) throw new PlanFormatException(line, "'step' needs a kernel and a source");
            var step = new PlanStep(tokens[1], tokens[2]);
            for (int i = 3; i < tokens.Count; i++)
            {
                int eq = tokens[i].IndexOf('=');
                if (eq <= 0) throw new PlanFormatException(line, $"argument '{tokens[i]}' is not name=value");
                step.Add(tokens[i].Substring(0, eq), ParseValue(tokens[i].Substring(eq + 1), line));
            }
            return step;
        }

        private static PlanValue ParseValue(string text, int line)
        {
            if (text == "null") return PlanValue.Null;
            if (text.Length == 0) throw new PlanFormatException(line, "empty argument value");
            if (text.StartsWith(PlanValue.IntsPrefix + "[", StringComparison.Ordinal))
                return PlanValue.Of(ParseIntList(text.Substring(PlanValue.IntsPrefix.Length), line));
            if (text.StartsWith(PlanValue.FloatsPrefix + "[", StringComparison.Ordinal))
                return PlanValue.Of(Array.ConvertAll(ListItems(text.Substring(PlanValue.FloatsPrefix.Length), line), s => ParseFloat(s, line)));
            if (text[0] == '[') throw new PlanFormatException(line, $"the list '{text}' does not say its type (ints[…] or floats[…])");
            int at = text.IndexOf('@');
            if (at > 0) return PlanValue.Of(ParseOperand(text, at, line));
            if (text[text.Length - 1] == 'f' && (char.IsDigit(text[0]) || text[0] == '-' || text[0] == 'i' || text[0] == 'n'))
                return PlanValue.Of(ParseFloat(text, line));
            if (char.IsDigit(text[0]) || text[0] == '-') return PlanValue.Of(ParseInt(text, line));
            return PlanValue.OfSymbol(text);
        }

        private static PlanOperand ParseOperand(string text, int at, int line)
        {
            string region = text.Substring(0, at);
            var parts = text.Substring(at + 1).Split(':');
            if (parts.Length != 3) throw new PlanFormatException(line, $"operand '{text}' is not REGION@OFFSET:COUNT:TYPE");
            long offset = ParseInt(parts[0], line), count = ParseInt(parts[1], line);
            if (!PlanElementTypes.TryParse(parts[2], out var type)) throw new PlanFormatException(line, $"unknown element type '{parts[2]}'");
            if (region == "ws") return PlanOperand.Workspace(offset, count, type);
            if (region == "w") return PlanOperand.Weights(offset, count, type);
            if (region.StartsWith("in", StringComparison.Ordinal) && int.TryParse(region.Substring(2), NumberStyles.None, CultureInfo.InvariantCulture, out int i))
                return PlanOperand.Input(i, offset, count, type);
            if (region.StartsWith("out", StringComparison.Ordinal) && int.TryParse(region.Substring(3), NumberStyles.None, CultureInfo.InvariantCulture, out int o))
                return PlanOperand.Output(o, offset, count, type);
            throw new PlanFormatException(line, $"unknown operand region '{region}'");
        }

        private static long ParseInt(string text, int line)
        {
            if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
                throw new PlanFormatException(line, $"'{text}' is not an integer");
            return v;
        }

        private static float ParseFloat(string text, int line)
        {
            if (text.Length < 2 || text[text.Length - 1] != 'f') throw new PlanFormatException(line, $"'{text}' is not a float (floats end in 'f')");
            string body = text.Substring(0, text.Length - 1);
            if (body == "inf") return float.PositiveInfinity;
            if (body == "-inf") return float.NegativeInfinity;
            if (body == "nan") return float.NaN;
            if (!float.TryParse(body, NumberStyles.Float, CultureInfo.InvariantCulture, out float v))
                throw new PlanFormatException(line, $"'{text}' is not a float");
            return v;
        }

        private static long[] ParseIntList(string text, int line) => Array.ConvertAll(ListItems(text, line), s => ParseInt(s, line));

        /// <summary>The comma-separated items of "[a,b,…]" ("[]": none).</summary>
        private static string[] ListItems(string text, int line)
        {
            if (text.Length < 2 || text[0] != '[' || text[text.Length - 1] != ']') throw new PlanFormatException(line, $"'{text}' is not a [list]");
            var inner = text.Substring(1, text.Length - 2);
            return inner.Length == 0 ? Array.Empty<string>() : inner.Split(',');
        }

        private static Dictionary<string, string> KeyValues(List<string> tokens, int start, int line)
        {
            var kv = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = start; i < tokens.Count; i++)
            {
                int eq = tokens[i].IndexOf('=');
                if (eq <= 0) throw new PlanFormatException(line, $"'{tokens[i]}' is not key=value");
                kv[tokens[i].Substring(0, eq)] = tokens[i].Substring(eq + 1);
            }
            return kv;
        }

        private static string Required(Dictionary<string, string> kv, string key, int line) =>
            kv.TryGetValue(key, out var v) ? v : throw new PlanFormatException(line, $"missing '{key}='");

        /// <summary>Splits on spaces; "quoted strings" (with \" \\ \n escapes) are one token, unquoted.</summary>
        private static List<string> Tokenize(string line, int lineNumber)
        {
            var tokens = new List<string>();
            var sb = new StringBuilder();
            int i = 0;
            while (i < line.Length)
            {
                while (i < line.Length && line[i] == ' ') i++;
                if (i >= line.Length) break;
                sb.Clear();
                while (i < line.Length && line[i] != ' ')
                {
                    if (line[i] == '"')
                    {
                        i++;
                        while (true)
                        {
                            if (i >= line.Length) throw new PlanFormatException(lineNumber, "unterminated string");
                            char c = line[i++];
                            if (c == '"') break;
                            if (c == '\\')
                            {
                                if (i >= line.Length) throw new PlanFormatException(lineNumber, "bad escape");
                                char e = line[i++];
                                sb.Append(e == 'n' ? '\n' : e);
                            }
                            else sb.Append(c);
                        }
                    }
                    else sb.Append(line[i++]);
                }
                tokens.Add(sb.ToString());
            }
            if (tokens.Count == 0) throw new PlanFormatException(lineNumber, "empty record");
            return tokens;
        }

        private static string Quote(string s)
        {
            var sb = new StringBuilder(s.Length + 2).Append('"');
            foreach (char c in s)
            {
                if (c == '"' || c == '\\') sb.Append('\\').Append(c);
                else if (c == '\n') sb.Append("\\n");
                else if (c == '\r') continue;
                else sb.Append(c);
            }
            return sb.Append('"').ToString();
        }
    }
}
