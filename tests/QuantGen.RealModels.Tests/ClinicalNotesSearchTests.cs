// The ClinicalNotesSearch sample, run as a user runs it, against the same search done with ONNX Runtime's FP32 MiniLM.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using QuantGen.EndToEnd.Tests;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.RealModels.Tests
{
    [Collection(MiniLmCollection.Name)]
    public sealed class ClinicalNotesSearchTests
    {
        /// <summary>The sample's sequence length (DimensionValues="sequence:128" in its project file).</summary>
        private const int Tokens = 128;

        private readonly MiniLmFixture _fixture;
        private readonly ITestOutputHelper _output;

        public ClinicalNotesSearchTests(MiniLmFixture fixture, ITestOutputHelper output)
        {
            _fixture = fixture;
            _output = output;
        }

        /// <summary>
        /// Issue 19's INT8 goal for the sample: its Int8Dynamic build returns, for every built-in query, the same three
        /// notes in the same order as FP32 MiniLM in ONNX Runtime, and each printed score is ONNX Runtime's cosine within
        /// 0.02: int8 weights and activations move a score by about 0.01, a pooling or tokenization mistake by far more
        /// (averaging the padding too moved them by 0.1 to 0.4 and changed the top 3).
        /// </summary>
        [Fact]
        public void The_samples_top_3_are_onnx_runtimes_fp32_top_3()
        {
            string sample = typeof(ClinicalNotesSearchTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "ClinicalNotesSearch").Value!;
            Assert.True(File.Exists(sample), $"{sample} is missing: build this project (it builds the sample first).");
            var run = ChildProcess.Dotnet(Path.GetDirectoryName(sample)!, TimeSpan.FromMinutes(2), sample);
            _output.WriteLine(run.ToString());
            Assert.True(run.ExitCode == 0, run.ToString());
            var answers = ParseAnswers(run.Output);
            Assert.True(answers.Count >= 4, "expected the sample's four built-in queries:\n" + run);

            string[] notes = File.ReadLines(Path.Combine(Path.GetDirectoryName(sample)!, "notes.txt")).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
            var noteEmbeddings = notes.Select(Embed).ToArray();
            double worstScore = 0, smallestMargin = double.MaxValue;
            foreach (var (query, got) in answers)
            {
                float[] q = Embed(query);
                var ranked = noteEmbeddings.Select((e, i) => (Score: Similarity.Cosine(q, e), Note: notes[i])).OrderByDescending(p => p.Score).ToArray();
                var want = ranked.Take(3).ToArray();
                _output.WriteLine($"{query}: ONNX Runtime FP32 {string.Join(", ", want.Select(w => $"{w.Score:F4} {w.Note[..20]}"))}; 4th {ranked[3].Score:F4}");
                Assert.Equal(want.Select(w => w.Note), got.Select(g => g.Note));
                for (int k = 0; k < 3; k++)
                {
                    worstScore = Math.Max(worstScore, Math.Abs(got[k].Score - want[k].Score));
                    Assert.True(Math.Abs(got[k].Score - want[k].Score) <= 0.02, $"'{query}', '{got[k].Note}': the sample prints {got[k].Score}, ONNX Runtime FP32 gives {want[k].Score:F4}");
                }
                smallestMargin = Math.Min(smallestMargin, Enumerable.Range(0, 3).Min(k => ranked[k].Score - ranked[k + 1].Score));
            }
            _output.WriteLine($"largest score difference {worstScore:F4}; smallest gap between neighbours in ONNX Runtime's top 4: {smallestMargin:F4}");
        }

        /// <summary>ONNX Runtime's FP32 sentence embedding: the text padded to the sample's length, mean pooling, unit length.</summary>
        private float[] Embed(string text)
        {
            var (ids, mask, count) = MiniLmTests.Tokenize(text, Tokens);
            float[] hidden = _fixture.Reference.Run(new Dictionary<string, long[]> { ["input_ids"] = ids, ["attention_mask"] = mask, ["token_type_ids"] = new long[Tokens] }, new long[] { 1, Tokens });
            return MiniLmTests.Pool(hidden, count);
        }

        /// <summary>The sample's answers: "query: …" then three lines "  score  note".</summary>
        private static List<(string Query, (double Score, string Note)[] Results)> ParseAnswers(string output)
        {
            var answers = new List<(string, (double, string)[])>();
            string[] lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
            for (int i = 0; i < lines.Length; i++)
            {
                if (!lines[i].StartsWith("query: ", StringComparison.Ordinal)) continue;
                var results = lines.Skip(i + 1).Take(3).Select(l =>
                {
                    string trimmed = l.TrimStart();
                    int gap = trimmed.IndexOf("  ", StringComparison.Ordinal);
                    Assert.True(gap > 0, $"not a result line: '{l}'");
                    return (double.Parse(trimmed[..gap], System.Globalization.CultureInfo.InvariantCulture), trimmed[(gap + 2)..]);
                }).ToArray();
                Assert.Equal(3, results.Length);
                answers.Add((lines[i]["query: ".Length..], results));
            }
            return answers;
        }
    }
}
