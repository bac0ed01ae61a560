// Who may ask, and how often: API keys from configuration (401 without one) and a per-caller request rate (429 above it).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Threading.RateLimiting;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace QuantGen.Samples.Api
{
    /// <summary>
    /// The service's settings for callers, read from the configuration section <c>ClinicalRisk</c> (appsettings.json,
    /// environment variables such as <c>ClinicalRisk__ApiKeys__records=...</c>, or <c>--ClinicalRisk:ApiKeys:records=...</c>).
    /// </summary>
    public sealed class CallerSettings
    {
        public const string Section = "ClinicalRisk";

        /// <summary>
        /// Caller name → API key. A request must carry one of the keys (<c>X-API-Key: key</c> or
        /// <c>Authorization: ApiKey key</c>); the name is the caller's identity in logs and in the rate limit.
        /// With no key configured every protected endpoint answers 401: the service never falls open.
        /// </summary>
        public Dictionary<string, string> ApiKeys { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

        /// <summary>Requests per second each caller may make on average (token bucket, refilled continuously).</summary>
        public int PermitsPerSecond { get; set; } = 200;

        /// <summary>Requests a caller may make at once above the average (the bucket's size).</summary>
        public int Burst { get; set; } = 400;

        /// <summary>Reads the section by hand (the configuration binder's reflection is not NativeAOT-safe).</summary>
        public static CallerSettings From(IConfiguration configuration)
        {
            IConfigurationSection section = configuration.GetSection(Section);
            var settings = new CallerSettings();
            foreach (IConfigurationSection key in section.GetSection("ApiKeys").GetChildren())
                if (!string.IsNullOrEmpty(key.Value)) settings.ApiKeys[key.Key] = key.Value;
            settings.PermitsPerSecond = PositiveInt(section, "RateLimit:PermitsPerSecond", settings.PermitsPerSecond);
            settings.Burst = PositiveInt(section, "RateLimit:Burst", settings.Burst);
            return settings;
        }

        private static int PositiveInt(IConfigurationSection section, string key, int fallback)
        {
            string? text = section[key];
            if (string.IsNullOrEmpty(text)) return fallback;
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < 1)
                throw new InvalidOperationException(Section + ":" + key + " must be a whole number of at least 1, not '" + text + "'.");
            return value;
        }

        /// <summary>
        /// One token bucket per caller (authenticated name, else the client address, so unauthenticated floods are limited
        /// too). The bucket refills in small steps rather than once a second, so a burst never doubles at a period edge.
        /// </summary>
        public PartitionedRateLimiter<HttpContext> CreateLimiter() => PartitionedRateLimiter.Create<HttpContext, string>(context =>
        {
            if (context.Request.Path.Equals(ClinicalRiskService.HealthPath, StringComparison.Ordinal))
                return RateLimitPartition.GetNoLimiter("health");
            string caller = context.User.Identity?.IsAuthenticated == true
                ? "key:" + context.User.Identity.Name
                : "address:" + context.Connection.RemoteIpAddress;
            return RateLimitPartition.GetTokenBucketLimiter(caller, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = Burst,
                TokensPerPeriod = Math.Max(1, PermitsPerSecond / 100),
                ReplenishmentPeriod = TimeSpan.FromSeconds(Math.Max(1, PermitsPerSecond / 100) / (double)PermitsPerSecond),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        });
    }

    public sealed class ApiKeyOptions : AuthenticationSchemeOptions
    {
        /// <summary>Caller name → SHA-256 of its key: requests are compared in constant time, and the keys are not kept.</summary>
        public Dictionary<string, byte[]> KeyHashes { get; } = new Dictionary<string, byte[]>(StringComparer.Ordinal);
    }

    /// <summary>Authenticates a request by its API key; a missing or unknown key is a 401 problem with <c>WWW-Authenticate: ApiKey</c>.</summary>
    public sealed class ApiKeyHandler : AuthenticationHandler<ApiKeyOptions>
    {
        public const string SchemeName = "ApiKey";
        public const string HeaderName = "X-API-Key";

        public ApiKeyHandler(IOptionsMonitor<ApiKeyOptions> options, ILoggerFactory logger, UrlEncoder encoder) : base(options, logger, encoder) { }

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            string? key = Request.Headers[HeaderName];
            if (string.IsNullOrEmpty(key))
            {
                string? authorization = Request.Headers.Authorization;
                if (authorization != null && authorization.StartsWith(SchemeName + " ", StringComparison.OrdinalIgnoreCase))
                    key = authorization.Substring(SchemeName.Length + 1).Trim();
            }
            if (string.IsNullOrEmpty(key)) return Task.FromResult(AuthenticateResult.NoResult());

            byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
            string? caller = null;
            // Every key is compared, whichever matches, so the time taken says nothing about which one was close.
            foreach (KeyValuePair<string, byte[]> known in Options.KeyHashes)
                if (CryptographicOperations.FixedTimeEquals(hash, known.Value)) caller = known.Key;
            if (caller == null) return Task.FromResult(AuthenticateResult.Fail("unknown API key"));

            var identity = new ClaimsIdentity(new[] { new Claim(ClaimTypes.Name, caller) }, SchemeName);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
        }

        protected override Task HandleChallengeAsync(AuthenticationProperties properties)
        {
            Response.Headers.WWWAuthenticate = SchemeName + " header=\"" + HeaderName + "\"";
            bool sent = Request.Headers.ContainsKey(HeaderName) || Request.Headers.Authorization.Count > 0;
            return ClinicalRiskService.WriteProblem(Context, StatusCodes.Status401Unauthorized, "Not authenticated",
                sent ? "The API key is not one this service knows."
                     : "Send an API key in the " + HeaderName + " header (or Authorization: " + SchemeName + " <key>).");
        }
    }
}
