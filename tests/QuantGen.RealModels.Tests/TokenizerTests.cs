// MiniLM's tokenization: the two maintained WordPiece libraries against BERT's uncased tokenization of clinical text.
// The expected pieces were worked out by hand from vocab.txt (longest match first, "##" for a word's continuation);
// an id is the piece's line number in vocab.txt, looked up here, so each expectation can be checked by reading the file.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

namespace QuantGen.RealModels.Tests
{
    public sealed class TokenizerTests
    {
        public static readonly TheoryData<string, string> Sentences = new TheoryData<string, string>
        {
            { "Patient reports dyspnea on exertion and bilateral ankle edema.",
              "[CLS] patient reports d ##ys ##p ##nea on ex ##ert ##ion and bilateral ankle ed ##ema . [SEP]" },
            { "No history of myocardial infarction; troponin negative x2.",
              "[CLS] no history of my ##oca ##rdial in ##far ##ction ; tr ##op ##oni ##n negative x ##2 . [SEP]" },
            { "Started metformin 500 mg BID for type 2 diabetes (HbA1c 8.1%).",
              "[CLS] started met ##form ##in 500 mg bid for type 2 diabetes ( h ##ba ##1 ##c 8 . 1 % ) . [SEP]" },
            // Accents are stripped and punctuation splits words, as BERT's uncased basic tokenizer does.
            { "Café-au-lait macules noted on the trunk.",
              "[CLS] cafe - au - lai ##t mac ##ules noted on the trunk . [SEP]" },
        };

        private static readonly Lazy<Dictionary<string, long>> s_vocabulary = new Lazy<Dictionary<string, long>>(() =>
            File.ReadLines(RealModelFiles.MiniLmVocabulary).Select((piece, line) => (piece, line)).ToDictionary(p => p.piece, p => (long)p.line));

        private static long[] ExpectedIds(string pieces) => pieces.Split(' ').Select(p => s_vocabulary.Value[p]).ToArray();

        [Theory]
        [MemberData(nameof(Sentences))]
        public void FastBertTokenizer_gives_the_vocabulary_ids(string text, string pieces)
        {
            Assert.Equal(ExpectedIds(pieces), MiniLmTokenizer.Shared.Encode(text));
        }

        [Theory]
        [MemberData(nameof(Sentences))]
        public void Microsoft_ML_Tokenizers_gives_the_vocabulary_ids(string text, string pieces)
        {
            var tokenizer = Microsoft.ML.Tokenizers.BertTokenizer.Create(RealModelFiles.MiniLmVocabulary,
                new Microsoft.ML.Tokenizers.BertOptions { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true });
            Assert.Equal(ExpectedIds(pieces), tokenizer.EncodeToIds(text).Select(i => (long)i).ToArray());
        }
    }
}
