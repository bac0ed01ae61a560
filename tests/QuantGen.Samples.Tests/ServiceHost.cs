// Runs a sample service in the test process on Kestrel with a free port, reached through a real HttpClient over TCP.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using QuantGen.Samples.Api;
using Xunit;

namespace QuantGen.Samples.Tests
{
    /// <summary>
    /// A service under test. With the environment variable <see cref="ExternalUrlVariable"/> set (for example to a
    /// NativeAOT build started by hand or by .ci/run), the tests talk to that process instead; nothing else may call it
    /// meanwhile, as the metrics test counts requests. Such a process must know the API keys below
    /// (<c>--ClinicalRisk:ApiKeys:tests=$QUANTGEN_SAMPLES_API_KEY</c>).
    /// </summary>
    public abstract class HostedService : IAsyncLifetime
    {
        /// <summary>The key the tests send; a process started outside the tests gets the same one from this variable.</summary>
        public const string ApiKeyVariable = "QUANTGEN_SAMPLES_API_KEY";

        /// <summary>A second caller's key (the rate limit is per caller).</summary>
        public const string OtherApiKeyVariable = "QUANTGEN_SAMPLES_API_KEY_OTHER";

        public static string ApiKey => FromEnvironment(ApiKeyVariable) ?? "qg-tests-5b1f0c9e7a";
        public static string OtherApiKey => FromEnvironment(OtherApiKeyVariable) ?? "qg-tests-other-81d2";

        private WebApplication? _app;

        /// <summary>Sends the tests' API key with every request.</summary>
        public HttpClient Client { get; private set; } = null!;

        /// <summary>Sends no credentials.</summary>
        public HttpClient Anonymous { get; private set; } = null!;

        public Uri Address { get; private set; } = null!;

        protected abstract string ExternalUrlVariable { get; }

        /// <summary>Configuration for the in-process service, as command-line arguments.</summary>
        protected virtual IEnumerable<string> Settings => new[]
        {
            "--urls", "http://127.0.0.1:0",
            // High enough that the load tests never meet the rate limit (AccessLimitTests check it on another host).
            "--ClinicalRisk:RateLimit:PermitsPerSecond=1000000", "--ClinicalRisk:RateLimit:Burst=1000000",
        };

        protected abstract WebApplication Build(string[] args);

        public HttpClient NewClient(string? apiKey)
        {
            var client = new HttpClient(CreateHandler()) { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
            if (apiKey != null) client.DefaultRequestHeaders.Add(ApiKeyHandler.HeaderName, apiKey);
            return client;
        }

        protected virtual HttpMessageHandler CreateHandler() => new SocketsHttpHandler();

        public virtual async Task InitializeAsync()
        {
            string? external = FromEnvironment(ExternalUrlVariable);
            if (external != null)
            {
                Address = new Uri(external);
            }
            else
            {
                // Port 0: the OS picks a free port; Kestrel reports the one it bound in Urls once started.
                string[] args = Settings.Concat(new[]
                {
                    "--Logging:LogLevel:Default=Warning",
                    "--ClinicalRisk:ApiKeys:tests=" + ApiKey,
                    "--ClinicalRisk:ApiKeys:other=" + OtherApiKey,
                }).ToArray();
                _app = Build(args);
                await _app.StartAsync();
                Address = new Uri(_app.Urls.Single());
            }
            Client = NewClient(ApiKey);
            Anonymous = NewClient(null);
        }

        public virtual async Task DisposeAsync()
        {
            Client?.Dispose();
            Anonymous?.Dispose();
            if (_app != null)
            {
                await _app.StopAsync();
                await _app.DisposeAsync();
            }
        }

        private static string? FromEnvironment(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
    }

    /// <summary>ClinicalRisk.Api with a rate limit too high to meet; <c>QUANTGEN_SAMPLES_API_URL</c> points the tests at another process.</summary>
    public sealed class ServiceHost : HostedService
    {
        public const string UrlVariable = "QUANTGEN_SAMPLES_API_URL";

        protected override string ExternalUrlVariable => UrlVariable;

        protected override WebApplication Build(string[] args) => ClinicalRiskService.Build(args);
    }

    /// <summary>ClinicalRisk.Fhir (JIT only); <c>QUANTGEN_SAMPLES_FHIR_URL</c> points the tests at another process.</summary>
    public sealed class FhirServiceHost : HostedService
    {
        protected override string ExternalUrlVariable => "QUANTGEN_SAMPLES_FHIR_URL";

        protected override WebApplication Build(string[] args) => QuantGen.Samples.Fhir.FhirService.Build(args);
    }

    /// <summary>ClinicalRisk.Fhir with a rate limit of 1 request per second per caller, bursts of <see cref="Burst"/>.</summary>
    public sealed class ThrottledFhirServiceHost : HostedService
    {
        public const int Burst = 3;

        protected override string ExternalUrlVariable => "QUANTGEN_SAMPLES_FHIR_THROTTLED_URL";

        protected override IEnumerable<string> Settings => new[]
        {
            "--urls", "http://127.0.0.1:0",
            "--ClinicalRisk:RateLimit:PermitsPerSecond=1", "--ClinicalRisk:RateLimit:Burst=" + Burst,
        };

        protected override WebApplication Build(string[] args) => QuantGen.Samples.Fhir.FhirService.Build(args);
    }

    /// <summary>
    /// ClinicalRisk.Api over HTTPS with a certificate from PEM files (as a hospital deploys its own), and a low rate limit
    /// (1 request per second per caller, bursts of 5). Outside the tests: <c>QUANTGEN_SAMPLES_API_TLS_URL</c> and
    /// <c>QUANTGEN_SAMPLES_API_TLS_CERT</c> (the PEM certificate that process serves; the client trusts only it).
    /// </summary>
    public sealed class TlsServiceHost : HostedService
    {
        public const string UrlVariable = "QUANTGEN_SAMPLES_API_TLS_URL";
        public const string CertificateVariable = "QUANTGEN_SAMPLES_API_TLS_CERT";
        public const int Burst = 5;

        private readonly string _folder = Path.Combine(Path.GetTempPath(), "quantgen-tls-" + Guid.NewGuid().ToString("N"));

        /// <summary>The certificate the service must present.</summary>
        public X509Certificate2 Certificate { get; private set; } = null!;

        protected override string ExternalUrlVariable => UrlVariable;

        protected override IEnumerable<string> Settings => new[]
        {
            "--urls", "https://127.0.0.1:0",
            "--Kestrel:Certificates:Default:Path=" + Path.Combine(_folder, "cert.pem"),
            "--Kestrel:Certificates:Default:KeyPath=" + Path.Combine(_folder, "key.pem"),
            "--ClinicalRisk:RateLimit:PermitsPerSecond=1", "--ClinicalRisk:RateLimit:Burst=" + Burst,
        };

        protected override WebApplication Build(string[] args) => ClinicalRiskService.Build(args);

        public override Task InitializeAsync()
        {
            string? external = Environment.GetEnvironmentVariable(CertificateVariable);
            if (!string.IsNullOrEmpty(external) && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(UrlVariable)))
            {
                Certificate = X509Certificate2.CreateFromPem(File.ReadAllText(external));
            }
            else
            {
                // A self-signed stand-in for the hospital's certificate, written as the PEM pair Kestrel is configured with.
                Directory.CreateDirectory(_folder);
                using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                var request = new CertificateRequest("CN=clinicalrisk.test", key, HashAlgorithmName.SHA256);
                var names = new SubjectAlternativeNameBuilder();
                names.AddIpAddress(System.Net.IPAddress.Loopback);
                request.CertificateExtensions.Add(names.Build());
                using X509Certificate2 issued = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
                File.WriteAllText(Path.Combine(_folder, "cert.pem"), issued.ExportCertificatePem());
                File.WriteAllText(Path.Combine(_folder, "key.pem"), key.ExportPkcs8PrivateKeyPem());
                Certificate = X509Certificate2.CreateFromPem(issued.ExportCertificatePem());
            }
            return base.InitializeAsync();
        }

        /// <summary>Trusts exactly the configured certificate (pinned), as a client of a self-signed hospital service would.</summary>
        protected override HttpMessageHandler CreateHandler() => new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented != null && presented.GetCertHashString() == Certificate.GetCertHashString() },
        };

        public override async Task DisposeAsync()
        {
            await base.DisposeAsync();
            Certificate?.Dispose();
            if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
        }
    }
}
