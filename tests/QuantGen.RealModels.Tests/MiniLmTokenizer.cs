// Token ids for MiniLM: FastBertTokenizer over the model's own vocab.txt (chosen over Microsoft.ML.Tokenizers by the
// measurement in docs/quantization-research.md: same ids on every sentence tested, faster, no dependencies on net8+).
using System;
using System.IO;

namespace QuantGen.RealModels.Tests
{
    internal sealed class MiniLmTokenizer
    {
        private readonly FastBertTokenizer.BertTokenizer _tokenizer = new FastBertTokenizer.BertTokenizer();

        private MiniLmTokenizer()
        {
            using var vocabulary = File.OpenText(RealModelFiles.MiniLmVocabulary);
            _tokenizer.LoadVocabulary(vocabulary, convertInputToLowercase: true);
        }

        private static readonly Lazy<MiniLmTokenizer> s_shared = new Lazy<MiniLmTokenizer>(() => new MiniLmTokenizer());

        public static MiniLmTokenizer Shared => s_shared.Value;

        /// <summary>[CLS] pieces [SEP], at most <paramref name="maximumTokens"/>, unpadded.</summary>
        /// <remarks>
        /// Through the span overload: the allocating <c>Encode(text, maximumTokens)</c> reuses a buffer sized by its
        /// largest earlier call and truncates to that buffer, not to <c>maximumTokens</c> (FastBertTokenizer 1.2.6).
        /// </remarks>
        public long[] Encode(string text, int maximumTokens = 512)
        {
            var ids = new long[maximumTokens];
            int count = _tokenizer.Encode(text, ids, new long[maximumTokens]);
            return ids.AsSpan(0, count).ToArray();
        }
    }
}
