// Who may ask ClinicalRisk.Api, and how often: API keys (401 without), /health open, the body cap (413), the rate limit (429), TLS.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Xunit;

namespace QuantGen.Samples.Tests
{
    public class ClinicalRiskApiAccessTests : IClassFixture<ServiceHost>
    {
        private static readonly string Patient = "{\"features\":[" + string.Join(",", Enumerable.Repeat("1.5", 30)) + "]}";
        private readonly ServiceHost _host;

        public ClinicalRiskApiAccessTests(ServiceHost host) => _host = host;

        public static TheoryData<string, string> ProtectedEndpoints() => new TheoryData<string, string>
        {
            { "POST", "/predict" },
            { "GET", "/model" },
            { "GET", "/metrics" },
        };

        [Theory]
        [MemberData(nameof(ProtectedEndpoints))]
        public async Task Without_a_key_the_answer_is_401_with_a_challenge(string method, string path)
        {
            using HttpResponseMessage response = await _host.Anonymous.SendAsync(Request(method, path));

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("ApiKey", response.Headers.WwwAuthenticate.Single().Scheme);
            await ClinicalRiskApiTests.AssertProblem(response, 401);
        }

        [Theory]
        [MemberData(nameof(ProtectedEndpoints))]
        public async Task An_unknown_key_is_401(string method, string path)
        {
            using HttpClient stranger = _host.NewClient("not-a-key-of-this-service");
            using HttpResponseMessage response = await stranger.SendAsync(Request(method, path));

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            await ClinicalRiskApiTests.AssertProblem(response, 401);
        }

        [Fact]
        public async Task A_key_of_a_known_caller_differing_in_one_character_is_401()
        {
            string key = HostedService.ApiKey;
            string near = key.Substring(0, key.Length - 1) + (key[^1] == 'x' ? 'y' : 'x');
            using HttpClient client = _host.NewClient(near);

            using HttpResponseMessage response = await client.PostAsync("/predict", Json(Patient));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        [Fact]
        public async Task The_key_is_accepted_in_the_authorization_header_too()
        {
            using HttpRequestMessage request = Request("POST", "/predict");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("ApiKey", HostedService.OtherApiKey);
            using HttpResponseMessage response = await _host.Anonymous.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        [Fact]
        public async Task Health_is_open_to_anyone()
        {
            using HttpResponseMessage response = await _host.Anonymous.GetAsync("/health");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        [Fact]
        public async Task An_oversized_body_without_a_key_is_refused_before_it_is_read()
        {
            string huge = "{\"features\":[" + string.Join(",", Enumerable.Repeat("1.000000000", 3000)) + "]}";
            using HttpResponseMessage response = await _host.Anonymous.PostAsync("/predict", Json(huge));

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        internal static HttpRequestMessage Request(string method, string path)
        {
            var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method == "POST") request.Content = Json(Patient);
            return request;
        }

        internal static StringContent Json(string body) => new StringContent(body, Encoding.UTF8, "application/json");
    }

    /// <summary>The rate limit and TLS, on a host with its own certificate and 1 request per second per caller (bursts of 5).</summary>
    public class ClinicalRiskApiLimitTests : IClassFixture<TlsServiceHost>
    {
        private readonly TlsServiceHost _host;

        public ClinicalRiskApiLimitTests(TlsServiceHost host) => _host = host;

        [Fact]
        public async Task The_service_presents_the_configured_certificate()
        {
            X509Seen seen = new X509Seen();
            using var handler = new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = (_, presented, _, _) =>
                    {
                        seen.Hash = presented?.GetCertHashString();
                        return presented != null;
                    },
                },
            };
            using var client = new HttpClient(handler) { BaseAddress = _host.Address };

            using HttpResponseMessage response = await client.GetAsync("/health");

            Assert.Equal("https", _host.Address.Scheme);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(_host.Certificate.GetCertHashString(), seen.Hash);
        }

        [Fact]
        public async Task Over_the_rate_a_caller_gets_429_and_other_callers_do_not()
        {
            var statuses = new List<HttpStatusCode>();
            HttpResponseMessage? refused = null;
            // The bucket holds 5 and refills 1 per second: 12 requests in a row cannot all pass unless they take 7 s.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (int i = 0; i < 12; i++)
            {
                HttpResponseMessage response = await _host.Client.SendAsync(ClinicalRiskApiAccessTests.Request("POST", "/predict"));
                statuses.Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.TooManyRequests && refused == null) refused = response;
                else response.Dispose();
            }
            clock.Stop();

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), "12 requests took " + clock.Elapsed + ": too slow to meet the limit");
            Assert.All(statuses.Take(TlsServiceHost.Burst), s => Assert.Equal(HttpStatusCode.OK, s));
            Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
            Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, "status " + s));
            Assert.NotNull(refused);
            using (HttpResponseMessage first429 = refused)
            {
                Assert.Equal("1", first429.Headers.GetValues("Retry-After").Single());
                await ClinicalRiskApiTests.AssertProblem(first429, 429);
            }

            // Another caller has its own bucket; /health has none.
            using HttpClient other = _host.NewClient(HostedService.OtherApiKey);
            using HttpResponseMessage otherResponse = await other.SendAsync(ClinicalRiskApiAccessTests.Request("POST", "/predict"));
            Assert.Equal(HttpStatusCode.OK, otherResponse.StatusCode);
            for (int i = 0; i < 2 * TlsServiceHost.Burst; i++)
            {
                using HttpResponseMessage health = await _host.Anonymous.GetAsync("/health");
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            }
        }

        private sealed class X509Seen
        {
            public string? Hash { get; set; }
        }
    }
}
