// Runs ClinicalRisk.Api in the test process on Kestrel with a free port, reached through a real HttpClient over TCP.
using System;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using QuantGen.Samples.Api;
using Xunit;

namespace QuantGen.Samples.Tests
{
    /// <summary>
    /// The service under test. With the environment variable <c>QUANTGEN_SAMPLES_API_URL</c> set (for example to
    /// a NativeAOT build started by hand: <c>out/ClinicalRisk.Api --urls http://127.0.0.1:8080</c>), the tests talk
    /// to that process instead; nothing else may call it meanwhile, as the metrics test counts requests.
    /// </summary>
    public sealed class ServiceHost : IAsyncLifetime
    {
        public const string ExternalUrlVariable = "QUANTGEN_SAMPLES_API_URL";

        private WebApplication? _app;

        public HttpClient Client { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            string? external = Environment.GetEnvironmentVariable(ExternalUrlVariable);
            string address;
            if (!string.IsNullOrEmpty(external))
            {
                address = external;
            }
            else
            {
                // Port 0: the OS picks a free port; Kestrel reports the one it bound in Urls once started.
                _app = ClinicalRiskService.Build(new[] { "--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning" });
                await _app.StartAsync();
                address = _app.Urls.Single();
            }
            Client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
        }

        public async Task DisposeAsync()
        {
            Client?.Dispose();
            if (_app != null)
            {
                await _app.StopAsync();
                await _app.DisposeAsync();
            }
        }
    }
}
