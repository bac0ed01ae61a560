// ClinicalRisk.Fhir over HTTP: real FHIR R4 JSON in (Bundles and Parameters of Observations), RiskAssessment or OperationOutcome out.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using QuantGen.Onnx;
using QuantGen.Tests;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Samples.Tests
{
    public class ClinicalRiskFhirTests : IClassFixture<FhirServiceHost>
    {
        private const int FeatureCount = 30;
        private const string Path = "/fhir/RiskAssessment/$predict";
        private static readonly string Examples = System.IO.Path.Combine(RepoPaths.Root, "samples", "ClinicalRisk.Fhir", "examples");
        private readonly FhirServiceHost _host;
        private readonly ITestOutputHelper _output;

        public ClinicalRiskFhirTests(FhirServiceHost host, ITestOutputHelper output)
        {
            _host = host;
            _output = output;
        }

        /// <summary>feature-map.json as the test reads it itself: (system, code, unit) per input index.</summary>
        private static readonly Lazy<(string System, string Code, string Unit, string Name)[]> s_map = new(() =>
        {
            using JsonDocument map = JsonDocument.Parse(File.ReadAllText(System.IO.Path.Combine(RepoPaths.Root, "samples", "ClinicalRisk.Fhir", "feature-map.json")));
            string system = map.RootElement.GetProperty("system").GetString()!;
            var result = new (string, string, string, string)[FeatureCount];
            foreach (JsonElement f in map.RootElement.GetProperty("features").EnumerateArray())
                result[f.GetProperty("index").GetInt32()] = (system, f.GetProperty("code").GetString()!, f.GetProperty("unit").GetString()!, f.GetProperty("name").GetString()!);
            return result;
        });

        [Theory]
        [InlineData("bundle.json")]
        [InlineData("parameters.json")]
        public async Task The_shipped_examples_get_a_risk_assessment_like_predict(string file)
        {
            float[] features = SampleData.ReadFloats(RepoPaths.Root + "/samples/ClinicalRisk", "test_x.f32").AsSpan(0, FeatureCount).ToArray();
            using HttpResponseMessage predict = await _host.Client.PostAsync("/predict", new StringContent(ClinicalRiskApiTests.Body(features), Encoding.UTF8, "application/json"));
            float[] expected = JsonDocument.Parse(await predict.Content.ReadAsStringAsync()).RootElement.GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle()).ToArray();

            using HttpResponseMessage response = await Post(File.ReadAllText(System.IO.Path.Combine(Examples, file)));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
            JsonElement assessment = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("RiskAssessment", assessment.GetProperty("resourceType").GetString());
            Assert.Equal("final", assessment.GetProperty("status").GetString());
            Assert.Equal("Patient/example", assessment.GetProperty("subject").GetProperty("reference").GetString());
            Assert.Equal(expected, Probabilities(assessment));
            AssertModelIdentity(assessment);
            // Every Observation used is in the basis (the bundle by fullUrl, the parameters by id), then the model.
            JsonElement[] basis = assessment.GetProperty("basis").EnumerateArray().ToArray();
            Assert.Equal(FeatureCount + 1, basis.Length);
            Assert.Equal(file == "bundle.json" ? "urn:uuid:00000000-0000-4000-8000-000000000000" : "Observation/fna-00", basis[0].GetProperty("reference").GetString());
        }

        public static TheoryData<string> TestVectors() => new TheoryData<string> { "test_data_set_0", "test_data_set_3" };

        /// <summary>The oracle of /predict's tests: ONNX Runtime on QuantGen's QDQ export of the same INT8 model.</summary>
        [Theory]
        [MemberData(nameof(TestVectors))]
        public async Task Bundles_of_the_test_vectors_answer_onnx_runtimes_outputs(string set)
        {
            string folder = System.IO.Path.Combine(RepoPaths.Assets, "qdq", "clinical-mlp", set);
            float[] features = TensorFile.Read(System.IO.Path.Combine(folder, "input_0.pb")).Floats;
            float[] expected = TensorFile.Read(System.IO.Path.Combine(folder, "output_0.pb")).Floats;
            for (int p = 0; p < features.Length / FeatureCount; p++)
            {
                using HttpResponseMessage response = await Post(Bundle(features.AsSpan(p * FeatureCount, FeatureCount)).ToJsonString());
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                float[] probabilities = Probabilities(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
                for (int k = 0; k < 2; k++)
                    Assert.True(Math.Abs(probabilities[k] - expected[p * 2 + k]) <= 1e-5f + 1e-4f * Math.Abs(expected[p * 2 + k]),
                        $"{set} patient {p}: P[{k}] = {probabilities[k]}, expected {expected[p * 2 + k]}");
            }
        }

        [Fact]
        public async Task Missing_observations_are_a_422_naming_each()
        {
            JsonObject bundle = Bundle(Patient(1));
            JsonArray entries = bundle["entry"]!.AsArray();
            entries.RemoveAt(29); // worst fractal dimension
            entries.RemoveAt(3);  // mean area

            (HttpStatusCode status, JsonElement outcome) = await PostExpectingOutcome(bundle.ToJsonString());

            Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
            string[] diagnostics = Issues(outcome).Select(i => i.GetProperty("diagnostics").GetString()!).ToArray();
            Assert.Equal(2, diagnostics.Length);
            Assert.Contains(diagnostics, d => d.StartsWith("mean area (", StringComparison.Ordinal) && d.EndsWith("is missing.", StringComparison.Ordinal));
            Assert.Contains(diagnostics, d => d.StartsWith("worst fractal dimension (", StringComparison.Ordinal));
            Assert.All(Issues(outcome), i => Assert.Equal("required", i.GetProperty("code").GetString()));
        }

        [Fact]
        public async Task Observations_coded_otherwise_are_ignored_and_count_as_missing()
        {
            JsonObject bundle = Bundle(Patient(2));
            // A LOINC-coded body weight among them is not a model input; a feature whose code system is not the map's is not one either.
            bundle["entry"]!.AsArray().Add(Entry(99, "http://loinc.org", "29463-7", 70.5f, "kg", "kg"));
            bundle["entry"]![5]!["resource"]!["code"]!["coding"]![0]!["system"] = "http://loinc.org";

            (HttpStatusCode status, JsonElement outcome) = await PostExpectingOutcome(bundle.ToJsonString());

            Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
            Assert.StartsWith("mean compactness (", Assert.Single(Issues(outcome)).GetProperty("diagnostics").GetString());
        }

        [Theory]
        [InlineData("mm", "http://unitsofmeasure.org")]
        [InlineData("{pixel}", "http://snomed.info/sct")]
        [InlineData(null, null)]
        public async Task A_wrong_unit_is_a_422_naming_the_expected_one(string? unit, string? system)
        {
            JsonObject bundle = Bundle(Patient(3));
            JsonObject quantity = bundle["entry"]![0]!["resource"]!["valueQuantity"]!.AsObject();
            quantity.Remove("unit");
            quantity.Remove("code");
            quantity.Remove("system");
            if (unit != null) quantity["code"] = unit;
            if (system != null) quantity["system"] = system;

            (HttpStatusCode status, JsonElement outcome) = await PostExpectingOutcome(bundle.ToJsonString());

            Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
            string diagnostics = Assert.Single(Issues(outcome)).GetProperty("diagnostics").GetString()!;
            Assert.StartsWith("mean radius (", diagnostics);
            Assert.Contains("the model takes UCUM '{pixel}'", diagnostics);
        }

        [Fact]
        public async Task An_observation_given_twice_or_without_a_number_is_a_422()
        {
            JsonObject bundle = Bundle(Patient(4));
            bundle["entry"]!.AsArray().Add(Entry(30, s_map.Value[7].System, s_map.Value[7].Code, 0.1f, s_map.Value[7].Unit, s_map.Value[7].Unit));
            JsonObject twelve = bundle["entry"]![12]!["resource"]!.AsObject();
            twelve.Remove("valueQuantity");
            twelve["valueString"] = "see report";

            (HttpStatusCode status, JsonElement outcome) = await PostExpectingOutcome(bundle.ToJsonString());

            Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
            string[] diagnostics = Issues(outcome).Select(i => i.GetProperty("diagnostics").GetString()!).ToArray();
            Assert.Contains(diagnostics, d => d.StartsWith(s_map.Value[7].Name + " (", StringComparison.Ordinal) && d.Contains("more than once", StringComparison.Ordinal));
            Assert.Contains(diagnostics, d => d.StartsWith(s_map.Value[12].Name + " (", StringComparison.Ordinal) && d.Contains("no valueQuantity", StringComparison.Ordinal));
        }

        public static TheoryData<string, string, string, int> Malformed()
        {
            string valid = Bundle(Patient(5)).ToJsonString();
            return new TheoryData<string, string, string, int>
            {
                // not FHIR at all
                { "ClinicalRisk.Api's own JSON", ClinicalRiskApiTests.Body(Patient(5)), "application/fhir+json", 400 },
                { "plain text", "mean radius = 17.99", "application/fhir+json", 400 },
                { "cut short", valid.Substring(0, valid.Length / 2), "application/fhir+json", 400 },
                { "empty", "", "application/fhir+json", 400 },
                { "JSON null", "null", "application/fhir+json", 400 },
                { "an array", "[" + valid + "]", "application/fhir+json", 400 },
                { "an unknown resource type", "{\"resourceType\":\"Spaceship\"}", "application/fhir+json", 400 },
                { "a Patient, not observations", "{\"resourceType\":\"Patient\",\"id\":\"example\"}", "application/fhir+json", 400 },
                { "XML", "<Bundle xmlns=\"http://hl7.org/fhir\"/>", "application/fhir+xml", 415 },
                { "no content type", valid, "", 415 },
                // FHIR-shaped but invalid
                { "a number as a string", valid.Replace("\"value\":", "\"value\":\"x", StringComparison.Ordinal).Replace(",\"unit\"", "\",\"unit\"", StringComparison.Ordinal), "application/fhir+json", 400 },
                { "an unknown element", valid.Replace("\"status\":\"final\"", "\"status\":\"final\",\"colour\":\"blue\"", StringComparison.Ordinal), "application/fhir+json", 400 },
                { "an invalid status code", valid.Replace("\"status\":\"final\"", "\"status\":\"done\"", StringComparison.Ordinal), "application/fhir+json", 400 },
                { "a bundle without entries", "{\"resourceType\":\"Bundle\",\"type\":\"collection\"}", "application/fhir+json", 422 },
            };
        }

        [Theory]
        [MemberData(nameof(Malformed))]
        public async Task Malformed_requests_are_4xx_with_an_operation_outcome_never_500(string what, string body, string contentType, int expected)
        {
            using var content = new StringContent(body, Encoding.UTF8);
            content.Headers.ContentType = contentType.Length == 0 ? null : new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
            using HttpResponseMessage response = await _host.Client.PostAsync(Path, content);
            string text = await response.Content.ReadAsStringAsync();
            _output.WriteLine(what + ": " + (int)response.StatusCode + " " + text);

            Assert.Equal(expected, (int)response.StatusCode);
            AssertOutcome(text);
        }

        [Fact]
        public async Task An_oversized_body_is_a_413_operation_outcome()
        {
            JsonObject bundle = Bundle(Patient(6));
            bundle["entry"]![0]!["resource"]!["note"] = new JsonArray(new JsonObject { ["text"] = new string('x', 300 * 1024) });

            (HttpStatusCode status, _) = await PostExpectingOutcome(bundle.ToJsonString());

            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        }

        [Fact]
        public async Task Without_a_key_the_fhir_door_is_closed_too()
        {
            using var content = new StringContent(File.ReadAllText(System.IO.Path.Combine(Examples, "bundle.json")), Encoding.UTF8, "application/fhir+json");
            using HttpResponseMessage response = await _host.Anonymous.PostAsync(Path, content);

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
            Assert.NotEmpty(response.Headers.WwwAuthenticate);
            JsonElement outcome = AssertOutcome(await response.Content.ReadAsStringAsync());
            Assert.Equal("login", Assert.Single(Issues(outcome)).GetProperty("code").GetString());

            // The FHIR door's format is its own: the same service's /predict still refuses with problem+json.
            using var json = new StringContent("{}", Encoding.UTF8, "application/json");
            using HttpResponseMessage predict = await _host.Anonymous.PostAsync("/predict", json);
            Assert.Equal(HttpStatusCode.Unauthorized, predict.StatusCode);
            Assert.Equal("application/problem+json", predict.Content.Headers.ContentType?.MediaType);
        }

        /// <summary>Issue 22's goal: 1,000 valid bundles at concurrency 16, 0 errors, each answer the single-threaded one for that patient.</summary>
        [Fact]
        public async Task A_thousand_bundles_at_concurrency_16_all_succeed()
        {
            const int Requests = 1000, Concurrency = 16;
            float[] all = SampleData.ReadFloats(RepoPaths.Model("clinical-mlp"), "test_x.f32");
            int patients = all.Length / FeatureCount;
            string[] bodies = Enumerable.Range(0, patients).Select(p => Bundle(all.AsSpan(p * FeatureCount, FeatureCount)).ToJsonString()).ToArray();
            var expected = new float[patients][];
            for (int p = 0; p < patients; p++)
            {
                using HttpResponseMessage response = await Post(bodies[p]);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                expected[p] = Probabilities(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
            }

            (TimeSpan elapsed, int errors, string first) = await ConcurrentLoad.RunAsync(Requests, Concurrency, async i =>
            {
                int p = i % patients;
                using HttpResponseMessage response = await Post(bodies[p]);
                string text = await response.Content.ReadAsStringAsync();
                return response.StatusCode == HttpStatusCode.OK && Probabilities(JsonDocument.Parse(text).RootElement).SequenceEqual(expected[p])
                    ? null : (int)response.StatusCode + " " + text.Substring(0, Math.Min(300, text.Length));
            });

            _output.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0} bundles at concurrency {1}: {2:0.00} s, {3:0} bundles/s, {4} errors",
                Requests, Concurrency, elapsed.TotalSeconds, Requests / elapsed.TotalSeconds, errors));
            Assert.True(errors == 0, errors + " errors, first: " + first);
        }

        private Task<HttpResponseMessage> Post(string body) =>
            _host.Client.PostAsync(Path, new StringContent(body, Encoding.UTF8, "application/fhir+json"));

        private async Task<(HttpStatusCode, JsonElement)> PostExpectingOutcome(string body)
        {
            using HttpResponseMessage response = await Post(body);
            string text = await response.Content.ReadAsStringAsync();
            _output.WriteLine((int)response.StatusCode + " " + text);
            return (response.StatusCode, AssertOutcome(text));
        }

        internal static JsonElement AssertOutcome(string text)
        {
            JsonElement outcome = JsonDocument.Parse(text).RootElement;
            Assert.Equal("OperationOutcome", outcome.GetProperty("resourceType").GetString());
            JsonElement[] issues = Issues(outcome);
            Assert.NotEmpty(issues);
            Assert.All(issues, i => Assert.Equal("error", i.GetProperty("severity").GetString()));
            Assert.All(issues, i => Assert.True(i.TryGetProperty("diagnostics", out JsonElement d) && d.GetString()!.Length > 0 ||
                                                i.TryGetProperty("details", out _), i.ToString()));
            return outcome;
        }

        internal static JsonElement[] Issues(JsonElement outcome) => outcome.GetProperty("issue").EnumerateArray().ToArray();

        private static float[] Probabilities(JsonElement assessment)
        {
            JsonElement[] predictions = assessment.GetProperty("prediction").EnumerateArray().ToArray();
            Assert.Equal(new[] { "malignant", "benign" }, predictions.Select(p => p.GetProperty("outcome").GetProperty("coding")[0].GetProperty("code").GetString()));
            return predictions.Select(p => p.GetProperty("probabilityDecimal").GetSingle()).ToArray();
        }

        private static void AssertModelIdentity(JsonElement assessment)
        {
            string sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(RepoPaths.ModelFile("clinical-mlp"))));
            JsonElement[] coding = assessment.GetProperty("method").GetProperty("coding").EnumerateArray().ToArray();
            Assert.Contains(coding, c => c.GetProperty("system").GetString() == "urn:quantgen:model-sha256" && c.GetProperty("code").GetString() == sha);
            Assert.Contains(coding, c => c.GetProperty("system").GetString() == "urn:quantgen:precision" && c.GetProperty("code").GetString() == "Int8");
            JsonElement model = assessment.GetProperty("basis").EnumerateArray().Last();
            Assert.Equal(sha, model.GetProperty("identifier").GetProperty("value").GetString());
        }

        private static float[] Patient(int index) =>
            SampleData.ReadFloats(RepoPaths.Model("clinical-mlp"), "test_x.f32").AsSpan(index * FeatureCount, FeatureCount).ToArray();

        /// <summary>A Bundle of 30 Observations, written as JSON text here (not with the FHIR SDK the service parses with).</summary>
        private static JsonObject Bundle(ReadOnlySpan<float> features)
        {
            var entries = new JsonArray();
            for (int i = 0; i < features.Length; i++)
            {
                (string system, string code, string unit, _) = s_map.Value[i];
                entries.Add(Entry(i, system, code, features[i], unit, unit));
            }
            return new JsonObject { ["resourceType"] = "Bundle", ["type"] = "collection", ["entry"] = entries };
        }

        private static JsonObject Entry(int i, string system, string code, float value, string unit, string ucum) => new JsonObject
        {
            ["fullUrl"] = "urn:uuid:6f1c2a9e-0000-4000-8000-" + i.ToString("D12", CultureInfo.InvariantCulture),
            ["resource"] = new JsonObject
            {
                ["resourceType"] = "Observation",
                ["status"] = "final",
                ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = system, ["code"] = code }) },
                ["subject"] = new JsonObject { ["reference"] = "Patient/p1" },
                ["valueQuantity"] = new JsonObject
                {
                    // The float's shortest round-trip text: the service must read back exactly this float.
                    ["value"] = JsonNode.Parse(value.ToString("R", CultureInfo.InvariantCulture)),
                    ["unit"] = unit,
                    ["system"] = "http://unitsofmeasure.org",
                    ["code"] = ucum,
                },
            },
        };
    }

    /// <summary>The FHIR door over its rate: a 429 OperationOutcome (FHIR's "throttled"), never problem+json or a 5xx.</summary>
    public class ClinicalRiskFhirRateTests : IClassFixture<ThrottledFhirServiceHost>
    {
        private readonly ThrottledFhirServiceHost _host;

        public ClinicalRiskFhirRateTests(ThrottledFhirServiceHost host) => _host = host;

        [Fact]
        public async Task Over_the_rate_is_a_429_operation_outcome()
        {
            string body = File.ReadAllText(Path.Combine(RepoPaths.Root, "samples", "ClinicalRisk.Fhir", "examples", "bundle.json"));
            var statuses = new List<HttpStatusCode>();
            HttpResponseMessage? refused = null;
            for (int i = 0; i < 3 * ThrottledFhirServiceHost.Burst && refused == null; i++)
            {
                using var content = new StringContent(body, Encoding.UTF8, "application/fhir+json");
                HttpResponseMessage response = await _host.Client.PostAsync("/fhir/RiskAssessment/$predict", content);
                statuses.Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.TooManyRequests) refused = response;
                else response.Dispose();
            }

            Assert.NotNull(refused);
            using (refused)
            {
                Assert.All(statuses.Take(ThrottledFhirServiceHost.Burst), s => Assert.Equal(HttpStatusCode.OK, s));
                Assert.Equal("application/fhir+json", refused!.Content.Headers.ContentType?.MediaType);
                Assert.NotNull(refused.Headers.RetryAfter);
                JsonElement outcome = ClinicalRiskFhirTests.AssertOutcome(await refused.Content.ReadAsStringAsync());
                Assert.Equal("throttled", Assert.Single(ClinicalRiskFhirTests.Issues(outcome)).GetProperty("code").GetString());
            }
        }
    }
}
