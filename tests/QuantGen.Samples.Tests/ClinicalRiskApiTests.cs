// ClinicalRisk.Api over HTTP: predictions against the model's test vectors, every kind of bad input, /metrics, /model, and load.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using QuantGen.Onnx;
using QuantGen.Tests;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Samples.Tests
{
    public class ClinicalRiskApiTests : IClassFixture<ServiceHost>
    {
        private const int FeatureCount = 30;
        private readonly HttpClient _client;
        private readonly ITestOutputHelper _output;

        public ClinicalRiskApiTests(ServiceHost host, ITestOutputHelper output)
        {
            _client = host.Client;
            _output = output;
        }

        // The service runs the INT8 build of clinical-mlp (calibrated on its calibration set, as the QDQ export in
        // tests/assets/qdq was): its oracle is ONNX Runtime 1.30 on that QDQ model, not the FP32 vectors.
        public static TheoryData<string> TestVectors() => new TheoryData<string> { "test_data_set_0", "test_data_set_3", "test_data_set_7" };

        [Theory]
        [MemberData(nameof(TestVectors))]
        public async Task Predict_answers_onnx_runtimes_outputs_on_the_int8_model(string set)
        {
            string folder = Path.Combine(RepoPaths.Assets, "qdq", "clinical-mlp", set);
            var input = TensorFile.Read(Path.Combine(folder, "input_0.pb"));
            float[] features = input.Floats, expected = TensorFile.Read(Path.Combine(folder, "output_0.pb")).Floats;
            Assert.Equal(FeatureCount, input.Shape[^1]);
            int patients = features.Length / FeatureCount;
            Assert.Equal(patients * 2, expected.Length);

            for (int p = 0; p < patients; p++)
            {
                using HttpResponseMessage response = await Post(Body(features.AsSpan(p * FeatureCount, FeatureCount)));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
                using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                float[] probabilities = json.RootElement.GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle()).ToArray();
                Assert.Equal(2, probabilities.Length);
                for (int k = 0; k < 2; k++)
                    Assert.True(Math.Abs(probabilities[k] - expected[p * 2 + k]) <= 1e-5f + 1e-4f * Math.Abs(expected[p * 2 + k]),
                        $"{set} patient {p}: P[{k}] = {probabilities[k]}, expected {expected[p * 2 + k]}");
                // meta.json: 0 = malignant, 1 = benign.
                string label = expected[p * 2 + 1] > expected[p * 2] ? "benign" : "malignant";
                Assert.Equal(label, json.RootElement.GetProperty("label").GetString());
            }
        }

        public static TheoryData<string, string?> BadBodies()
        {
            string thirty = string.Join(",", Enumerable.Repeat("1.5", FeatureCount));
            return new TheoryData<string, string?>
            {
                // wrong length
                { "three numbers", "{\"features\":[1,2,3]}" },
                { "no numbers", "{\"features\":[]}" },
                { "31 numbers", "{\"features\":[" + thirty + ",1]}" },
                // non-numbers
                { "a string among numbers", "{\"features\":[\"1\"," + string.Join(",", Enumerable.Repeat("1", FeatureCount - 1)) + "]}" },
                { "a null among numbers", "{\"features\":[null," + string.Join(",", Enumerable.Repeat("1", FeatureCount - 1)) + "]}" },
                { "a boolean", "{\"features\":[true]}" },
                { "features a string", "{\"features\":\"1,2,3\"}" },
                { "features an object", "{\"features\":{\"0\":1}}" },
                { "NaN literal", "{\"features\":[NaN," + string.Join(",", Enumerable.Repeat("1", FeatureCount - 1)) + "]}" },
                { "too large for float32", "{\"features\":[1e39," + string.Join(",", Enumerable.Repeat("1", FeatureCount - 1)) + "]}" },
                { "too small for float32", "{\"features\":[-3.5e38," + string.Join(",", Enumerable.Repeat("1", FeatureCount - 1)) + "]}" },
                // bad JSON
                { "cut short", "{\"features\":[1,2" },
                { "not JSON", "features=1,2,3" },
                { "trailing text", "{\"features\":[" + thirty + "]} and more" },
                { "single quotes", "{'features':[" + thirty + "]}" },
                // missing data
                { "empty object", "{}" },
                { "features null", "{\"features\":null}" },
                { "JSON null", "null" },
                { "a bare array", "[" + thirty + "]" },
                { "a number", "42" },
                { "empty body", "" },
                { "whitespace body", "  \n " },
                { "no body at all", null },
            };
        }

        [Theory]
        [MemberData(nameof(BadBodies))]
        public async Task Bad_input_is_a_400_problem(string what, string? body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/predict");
            if (body != null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            using HttpResponseMessage response = await _client.SendAsync(request);

            string text = await response.Content.ReadAsStringAsync();
            _output.WriteLine(what + ": " + text);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            await AssertProblem(response, 400);
        }

        [Fact]
        public async Task An_oversized_body_is_a_413_problem()
        {
            string huge = "{\"features\":[" + string.Join(",", Enumerable.Repeat("1.000000000", 3000)) + "]}";
            using HttpResponseMessage response = await Post(huge);

            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            await AssertProblem(response, 413);
        }

        [Fact]
        public async Task Health_answers()
        {
            using HttpResponseMessage response = await _client.GetAsync("/health");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("healthy", json.RootElement.GetProperty("status").GetString());
        }

        [Fact]
        public async Task Model_reports_the_sha256_of_the_onnx_file_it_was_compiled_from()
        {
            using HttpResponseMessage response = await _client.GetAsync("/model");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            JsonElement model = json.RootElement;

            string file = Path.Combine(RepoPaths.Root, "samples", "ClinicalRisk", "models", "clinical-risk.onnx");
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))), model.GetProperty("sha256").GetString());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(RepoPaths.ModelFile("clinical-mlp")))), model.GetProperty("sha256").GetString());
            Assert.Equal("clinical-risk.onnx", model.GetProperty("file").GetString());
            Assert.Equal("Int8", model.GetProperty("precision").GetString());
            // The quantization report's facts: budgeted on the labelled calibration split (top-1 within 0.5 points).
            JsonElement quantization = model.GetProperty("quantization");
            Assert.Equal("top-1", quantization.GetProperty("metric").GetString());
            Assert.Equal(455, quantization.GetProperty("calibrationSamples").GetInt64());
            Assert.True(quantization.GetProperty("float32Score").GetDouble() - quantization.GetProperty("int8Score").GetDouble() <= 0.005);
            Assert.True(quantization.GetProperty("outputSqnrDb").GetDouble() >= 25);
            Assert.True(model.GetProperty("weightBytes").GetInt64() < quantization.GetProperty("float32WeightBytes").GetInt64() / 2);
            Assert.Equal(13, model.GetProperty("opset").GetInt32());
            Assert.Equal(4190, model.GetProperty("parameters").GetInt64()); // meta.json: "params": 4190
            Assert.Equal(new[] { "malignant", "benign" }, model.GetProperty("labels").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(new[] { -1, 30 }, model.GetProperty("inputs")[0].GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Matches("^[0-9a-f]{64}$", model.GetProperty("weightsSha256").GetString());
        }

        [Fact]
        public async Task Metrics_parse_as_prometheus_text_and_count_requests()
        {
            Dictionary<string, double> before = Parse(await Metrics());
            for (int i = 0; i < 5; i++) (await Post(Body(Patient(i)))).Dispose();
            (await Post("{}")).Dispose();
            (await _client.GetAsync("/no-such-page")).Dispose();
            Dictionary<string, double> after = Parse(await Metrics());

            Assert.Equal(5, Delta(before, after, "clinicalrisk_requests_total{endpoint=\"/predict\",status=\"200\"}"));
            Assert.Equal(1, Delta(before, after, "clinicalrisk_requests_total{endpoint=\"/predict\",status=\"400\"}"));
            Assert.Equal(1, Delta(before, after, "clinicalrisk_requests_total{endpoint=\"unmatched\",status=\"404\"}"));
            Assert.Equal(6, Delta(before, after, "clinicalrisk_request_duration_seconds_count{endpoint=\"/predict\"}"));
            Assert.Equal(6, Delta(before, after, "clinicalrisk_request_duration_seconds_bucket{endpoint=\"/predict\",le=\"+Inf\"}"));
            Assert.True(Delta(before, after, "clinicalrisk_request_duration_seconds_sum{endpoint=\"/predict\"}") > 0);
            Assert.Equal(5, after.Where(s => s.Key.StartsWith("clinicalrisk_predictions_total", StringComparison.Ordinal)).Sum(s => s.Value)
                          - before.Where(s => s.Key.StartsWith("clinicalrisk_predictions_total", StringComparison.Ordinal)).Sum(s => s.Value));

            // Histogram buckets are cumulative and end at the count.
            double[] buckets = after.Where(s => s.Key.StartsWith("clinicalrisk_request_duration_seconds_bucket{endpoint=\"/predict\"", StringComparison.Ordinal))
                                    .Select(s => s.Value).ToArray();
            Assert.Equal(16, buckets.Length);
            for (int i = 1; i < buckets.Length; i++) Assert.True(buckets[i] >= buckets[i - 1]);
            Assert.Equal(after["clinicalrisk_request_duration_seconds_count{endpoint=\"/predict\"}"], buckets[^1]);

            string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(RepoPaths.ModelFile("clinical-mlp"))));
            Assert.Contains(after, s => s.Key.StartsWith("clinicalrisk_model_info{model=\"clinical-risk.onnx\",sha256=\"" + sha + "\"", StringComparison.Ordinal) && s.Value == 1);
        }

        [Fact]
        public async Task Four_thousand_requests_at_concurrency_16_all_succeed()
        {
            const int Requests = 4000, Concurrency = 16;
            float[] all = SampleData.ReadFloats(RepoPaths.Model("clinical-mlp"), "test_x.f32");
            int patients = all.Length / FeatureCount;
            string[] bodies = Enumerable.Range(0, patients).Select(p => Body(all.AsSpan(p * FeatureCount, FeatureCount))).ToArray();
            // The single-threaded answer for every patient, to check that concurrent requests never mix workspaces.
            string[] expected = new string[patients];
            for (int p = 0; p < patients; p++)
            {
                using HttpResponseMessage response = await Post(bodies[p]);
                expected[p] = await response.Content.ReadAsStringAsync();
            }

            (TimeSpan elapsed, int errors, string first) = await ConcurrentLoad.RunAsync(Requests, Concurrency, async i =>
            {
                int p = i % patients;
                using HttpResponseMessage response = await Post(bodies[p]);
                string text = await response.Content.ReadAsStringAsync();
                return response.StatusCode == HttpStatusCode.OK && text == expected[p] ? null : (int)response.StatusCode + " " + text;
            });

            _output.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0} requests at concurrency {1}: {2:0.00} s, {3:0} requests/s, {4} errors",
                Requests, Concurrency, elapsed.TotalSeconds, Requests / elapsed.TotalSeconds, errors));
            Assert.True(errors == 0, errors + " errors, first: " + first);
        }

        private Task<HttpResponseMessage> Post(string body) =>
            _client.PostAsync("/predict", new StringContent(body, Encoding.UTF8, "application/json"));

        private async Task<string> Metrics()
        {
            using HttpResponseMessage response = await _client.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            return await response.Content.ReadAsStringAsync();
        }

        private static float[] Patient(int index) =>
            SampleData.ReadFloats(RepoPaths.Model("clinical-mlp"), "test_x.f32").AsSpan(index * FeatureCount, FeatureCount).ToArray();

        internal static string Body(ReadOnlySpan<float> features)
        {
            var text = new StringBuilder("{\"features\":[");
            for (int i = 0; i < features.Length; i++)
                text.Append(i > 0 ? "," : "").Append(features[i].ToString("R", CultureInfo.InvariantCulture));
            return text.Append("]}").ToString();
        }

        internal static async Task AssertProblem(HttpResponseMessage response, int status)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(status, json.RootElement.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrWhiteSpace(json.RootElement.GetProperty("title").GetString()));
            Assert.False(string.IsNullOrWhiteSpace(json.RootElement.GetProperty("detail").GetString()));
            Assert.StartsWith("https://", json.RootElement.GetProperty("type").GetString());
        }

        /// <summary>
        /// Parses the Prometheus text format strictly enough to catch a malformed line: "# HELP"/"# TYPE" comments,
        /// then "name{labels} value" samples whose metric family was declared by a TYPE line.
        /// </summary>
        private static Dictionary<string, double> Parse(string text)
        {
            var samples = new Dictionary<string, double>(StringComparer.Ordinal);
            var families = new HashSet<string>(StringComparer.Ordinal);
            foreach (string line in text.Split('\n'))
            {
                if (line.Length == 0) continue;
                if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
                {
                    string[] parts = line.Split(' ');
                    Assert.Equal(4, parts.Length);
                    Assert.Contains(parts[3], new[] { "counter", "gauge", "histogram", "summary", "untyped" });
                    families.Add(parts[2]);
                    continue;
                }
                if (line.StartsWith("# HELP ", StringComparison.Ordinal)) continue;
                Assert.Matches("^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\\n]|\\\\.)*\",?)*\\})? [^ ]+$", line);
                int space = line.LastIndexOf(' ');
                string series = line.Substring(0, space);
                string name = series.Split('{')[0];
                Assert.True(families.Contains(name) || families.Any(f => name == f + "_bucket" || name == f + "_sum" || name == f + "_count"), "undeclared metric " + name);
                Assert.True(double.TryParse(line.Substring(space + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double value), line);
                Assert.True(samples.TryAdd(series, value), "duplicate series " + series);
            }
            return samples;
        }

        private static double Delta(Dictionary<string, double> before, Dictionary<string, double> after, string series) =>
            after.GetValueOrDefault(series) - before.GetValueOrDefault(series);
    }
}
