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
        public long[] Encode(string text, int maximumTokens = 512)
        {
            var (ids, _, _) = _tokenizer.Encode(text, maximumTokens);
            return ids.ToArray();
        }
    }
}
