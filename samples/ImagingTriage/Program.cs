// Classifies PNG and JPEG image files with a MobileNetV2 compiled into C# at build time; prints the top 3 classes per image.
// Usage: ImagingTriage [file.png | file.jpg | folder]...   (default: the images/ folder shipped next to the program)
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using QuantGen.Samples.Imaging;

var files = new List<string>();
foreach (string arg in args.Length > 0 ? args : new[] { Path.Combine(AppContext.BaseDirectory, "images") })
{
    if (Directory.Exists(arg))
    {
        var found = new List<string>();
        foreach (string pattern in ImageFile.Patterns) found.AddRange(Directory.GetFiles(arg, pattern));
        found.Sort(StringComparer.Ordinal);
        files.AddRange(found);
    }
    else files.Add(arg);
}
if (files.Count == 0)
{
    Console.Error.WriteLine("no PNG or JPEG files given or found");
    return 2;
}

// Below this top-1 probability an image is flagged for review.
const float ReviewBelow = 0.8f;

var model = new DigitsMobileNet();
float[] input = new float[DigitsMobileNet.ImageLength];
float[] logits = new float[DigitsMobileNet.LogitsLength];
float[] probabilities = new float[DigitsMobileNet.LogitsLength];
int[] top = new int[3];
int labelled = 0, correct = 0, unreadable = 0;
long inferenceTicks = 0;

Console.WriteLine("file                 size   top 3: class probability");
foreach (string file in files)
{
    string name = Path.GetFileName(file);
    DecodedImage image;
    try
    {
        image = ImageFile.Decode(File.ReadAllBytes(file));
    }
    catch (Exception e) when (e is ImageFormatException or IOException or UnauthorizedAccessException)
    {
        Console.WriteLine(name + ": skipped: " + e.Message);
        unreadable++;
        continue;
    }

    bool inverted = DigitPreprocessor.ToModelInput(image, input);
    long start = Stopwatch.GetTimestamp();
    model.Run(input, logits);
    inferenceTicks += Stopwatch.GetTimestamp() - start;
    Softmax(logits, probabilities);

    TopK(probabilities, top);
    int? label = LabelFromName(name);
    // Triage: a confident answer goes through, an unsure one is flagged for a person to look at.
    string verdict = probabilities[top[0]] < ReviewBelow ? "  REVIEW" : "";
    if (label is int expected)
    {
        labelled++;
        bool right = top[0] == expected;
        if (right) correct++;
        verdict += right ? "  ok" : "  wrong (labelled " + expected.ToString(CultureInfo.InvariantCulture) + ")";
    }
    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-20} {1}x{2}{3}  {4} {5:0.000}  {6} {7:0.000}  {8} {9:0.000}{10}",
        name, image.Width, image.Height, inverted ? " inverted" : "",
        top[0], probabilities[top[0]], top[1], probabilities[top[1]], top[2], probabilities[top[2]], verdict));
}

int classified = files.Count - unreadable;
if (classified > 0)
{
    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0} images, {1:0.00} ms per inference ({2}, {3})",
        classified, inferenceTicks * 1000.0 / Stopwatch.Frequency / classified, DigitsMobileNet.SourceFile, DigitsMobileNet.Precision));
}
if (labelled > 0)
{
    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "accuracy: {0}/{1} = {2:0.0} %", correct, labelled, 100.0 * correct / labelled));
    if (correct < 0.8 * labelled) return 1; // a smoke test for CI; the test set's accuracy is checked by tests/QuantGen.Samples.Tests
}
return unreadable > 0 ? 2 : 0;

// The model outputs logits; probabilities are their softmax (shifted by the maximum so exp cannot overflow).
static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities)
{
    float max = float.NegativeInfinity;
    foreach (float v in logits) max = Math.Max(max, v);
    float sum = 0;
    for (int i = 0; i < logits.Length; i++) sum += probabilities[i] = MathF.Exp(logits[i] - max);
    for (int i = 0; i < logits.Length; i++) probabilities[i] /= sum;
}

static void TopK(ReadOnlySpan<float> scores, Span<int> top)
{
    for (int k = 0; k < top.Length; k++)
    {
        int best = -1;
        for (int i = 0; i < scores.Length; i++)
        {
            if (top.Slice(0, k).Contains(i)) continue;
            if (best < 0 || scores[i] > scores[best]) best = i;
        }
        top[k] = best;
    }
}

// Files named like "digit-7-0012.png" carry their label (7); others are classified without a verdict.
static int? LabelFromName(string name) =>
    name.StartsWith("digit-", StringComparison.Ordinal) && name.Length > 7 && char.IsAsciiDigit(name[6]) && name[7] == '-'
        ? name[6] - '0'
        : null;
