// Semantic search over clinical notes, offline: MiniLM-L6 compiled into C# by QuantGen, mean pooling and L2
// normalisation as sentence-transformers does, cosine similarity between a query and every note.
//
//   dotnet run --project samples/ClinicalNotesSearch -c Release                      # the built-in queries
//   dotnet run --project samples/ClinicalNotesSearch -c Release -- "chest pain"       # your own
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Samples.NotesSearch;

string folder = AppContext.BaseDirectory;
var notes = File.ReadLines(Path.Combine(folder, "notes.txt")).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
var encoder = new SentenceEncoder(Path.Combine(folder, "vocab.txt"));
var noteEmbeddings = notes.Select(encoder.Embed).ToArray();

string[] queries = args.Length > 0 ? args : new[]
{
    "heart attack with chest pain",
    "shortness of breath and fluid retention from heart failure",
    "urinary tract infection",
    "stroke symptoms",
};
Console.WriteLine($"ClinicalNotesSearch: {notes.Length} fictional notes, MiniLM-L6 ({MiniLm.Precision}, {SentenceEncoder.Tokens} tokens), top 3 per query");
foreach (string query in queries)
{
    float[] q = encoder.Embed(query);
    Console.WriteLine();
    Console.WriteLine($"query: {query}");
    foreach (var (score, index) in noteEmbeddings.Select((e, i) => (Dot(q, e), i)).OrderByDescending(p => p.Item1).Take(3))
        Console.WriteLine($"  {score:F3}  {notes[index]}");
}

static float Dot(float[] a, float[] b)
{
    float sum = 0;
    for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
    return sum;
}

/// <summary>Text → a 384-value unit vector: WordPiece ids, MiniLM's last hidden state, the mean over real tokens, L2 norm.</summary>
internal sealed class SentenceEncoder
{
    /// <summary>The sequence length the model was compiled for (DimensionValues="sequence:128" in the project file).</summary>
    public const int Tokens = 128;
    private const int Width = 384;

    private readonly FastBertTokenizer.BertTokenizer _tokenizer = new();
    private readonly MiniLm _model = new();
    private readonly long[] _ids = new long[Tokens], _mask = new long[Tokens], _types = new long[Tokens];
    private readonly float[] _hidden = new float[Tokens * Width], _pooled = new float[Width];

    public SentenceEncoder(string vocabulary)
    {
        using var reader = File.OpenText(vocabulary);
        _tokenizer.LoadVocabulary(reader, convertInputToLowercase: true);
    }

    public float[] Embed(string text)
    {
        Array.Clear(_ids);
        Array.Clear(_mask);
        // Cut to the model's length (the spans' size); the rest stays padding, hidden by the zeros of the mask.
        _tokenizer.Encode(text, _ids, _mask);
        _model.Run(_ids, _mask, _types, _hidden, _pooled);
        // sentence-transformers' pooling: the mean of the token vectors the attention mask keeps, then unit length
        // (the mean's 1/count cancels in the normalisation).
        var embedding = new float[Width];
        for (int t = 0; t < Tokens; t++)
        {
            if (_mask[t] == 0) continue;
            for (int k = 0; k < Width; k++) embedding[k] += _hidden[t * Width + k];
        }
        double norm = Math.Sqrt(embedding.Sum(v => (double)v * v));
        for (int k = 0; k < Width; k++) embedding[k] = (float)(embedding[k] / norm);
        return embedding;
    }
}
