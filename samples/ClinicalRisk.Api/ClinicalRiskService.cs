// The service: a minimal API over the generated ClinicalRisk class, NativeAOT-compatible (slim builder, source-generated JSON, no reflection).
using System;
using System.Diagnostics;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace QuantGen.Samples.Api
{
    public static class ClinicalRiskService
    {
        /// <summary>A request body larger than this is refused (413): 30 numbers need well under 1 KB.</summary>
        public const long MaxBodyBytes = 16 * 1024;

        private const string ProblemJson = "application/problem+json";

        /// <summary>The one endpoint open to anyone (orchestrators' liveness probes carry no key).</summary>
        public const string HealthPath = "/health";

        /// <summary>Builds the service; <c>args</c> are the usual host arguments (<c>--urls http://0.0.0.0:8080</c>).</summary>
        /// <param name="mapMore">Endpoints of a host that extends this service (the FHIR sample), protected like /predict.</param>
        /// <param name="maxBodyBytes">The cap on every request body (a FHIR Bundle of 30 Observations needs more than /predict's JSON).</param>
        public static WebApplication Build(string[] args, Action<IEndpointRouteBuilder>? mapMore = null, long maxBodyBytes = MaxBodyBytes)
        {
            WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
            // The slim builder leaves HTTPS out; this lets Kestrel:Endpoints:*:Certificate serve the hospital's own certificate.
            builder.WebHost.UseKestrelHttpsConfiguration();
            // Every request body, on every endpoint, is capped; /predict answers the overflow with a 413 problem.
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = maxBodyBytes);
            builder.Services.AddSingleton<ApiMetrics>();
            // One log line per request at Information would cost more than the prediction; keep warnings and errors.
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
            builder.Logging.AddFilter(typeof(ApiKeyHandler).FullName, LogLevel.Warning); // "was challenged" on every 401

            CallerSettings callers = CallerSettings.From(builder.Configuration);
            builder.Services.AddAuthentication(ApiKeyHandler.SchemeName).AddScheme<ApiKeyOptions, ApiKeyHandler>(ApiKeyHandler.SchemeName, options =>
            {
                foreach (var key in callers.ApiKeys) options.KeyHashes[key.Key] = SHA256.HashData(Encoding.UTF8.GetBytes(key.Value));
            });
            builder.Services.AddAuthorization();
            builder.Services.AddRateLimiter(options =>
            {
                options.GlobalLimiter = callers.CreateLimiter();
                options.OnRejected = (rejected, _) =>
                {
                    rejected.HttpContext.Response.Headers.RetryAfter = "1";
                    return new ValueTask(WriteProblem(rejected.HttpContext, StatusCodes.Status429TooManyRequests, "Too many requests",
                        "This caller is limited to " + callers.PermitsPerSecond + " requests per second on average (bursts of " + callers.Burst + "); retry later."));
                };
            });

            WebApplication app = builder.Build();
            ApiMetrics metrics = app.Services.GetRequiredService<ApiMetrics>();
            ILogger log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ClinicalRisk.Api");
            if (callers.ApiKeys.Count == 0)
                log.LogWarning("No API key is configured ({Section}:ApiKeys:<caller>=<key>): every endpoint but {Health} answers 401.", CallerSettings.Section, HealthPath);

            // Outermost: time and count every request, and turn an unexpected exception into a problem+json 500.
            app.Use(async (HttpContext context, RequestDelegate next) =>
            {
                long start = Stopwatch.GetTimestamp();
                try
                {
                    await next(context);
                }
                catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
                {
                    log.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
                    context.Response.Clear();
                    await WriteProblem(context, StatusCodes.Status500InternalServerError, "Internal error", "The service failed to answer; the error is in its log.");
                }
                string endpoint = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
                metrics.RecordRequest(endpoint, context.Response.StatusCode, Stopwatch.GetElapsedTime(start).TotalSeconds);
            });
            // Routing first so the metrics above see the endpoint; the caller is known before the rate limit partitions by it,
            // and a request over the rate is refused before authorization (401) or the endpoint runs.
            app.UseRouting();
            app.UseAuthentication();
            app.UseRateLimiter();
            app.UseAuthorization();

            app.MapPost("/predict", (RequestDelegate)(context => PredictAsync(context, metrics))).RequireAuthorization();
            app.MapGet(HealthPath, (RequestDelegate)(context =>
                context.Response.WriteAsJsonAsync(new HealthResponse("healthy", ClinicalRisk.SourceFile), ApiJsonContext.Web.HealthResponse)));
            app.MapGet("/model", (RequestDelegate)(context => context.Response.WriteAsJsonAsync(RiskModel.Describe(), ApiJsonContext.Web.ModelInfo))).RequireAuthorization();
            app.MapMetrics("/metrics", metrics.Registry).RequireAuthorization();
            if (mapMore != null)
            {
                var group = app.MapGroup("").RequireAuthorization();
                mapMore(group);
            }
            return app;
        }

        private static async Task PredictAsync(HttpContext context, ApiMetrics metrics)
        {
            IHttpMaxRequestBodySizeFeature? limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
            if (limit is { IsReadOnly: false }) limit.MaxRequestBodySize = MaxBodyBytes;

            PredictRequest? request;
            try
            {
                request = await JsonSerializer.DeserializeAsync(context.Request.Body, ApiJsonContext.Web.PredictRequest, context.RequestAborted);
            }
            catch (JsonException e)
            {
                // Empty bodies, broken JSON and non-numbers all land here; the path says where the reader stopped.
                string where = e.Path is { Length: > 0 } ? " at " + e.Path : "";
                await WriteProblem(context, StatusCodes.Status400BadRequest, "Invalid JSON",
                    "The body must be JSON of the form {\"features\":[" + RiskModel.FeatureCount + " numbers]}; it could not be read" + where +
                    (e.BytePositionInLine is long column ? " (line " + (e.LineNumber + 1) + ", byte " + (column + 1) + ")." : "."));
                return;
            }
            catch (BadHttpRequestException e)
            {
                await WriteProblem(context, e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Body too large" : "Bad request", e.Message);
                return;
            }

            float[]? features = request?.Features;
            if (features == null)
            {
                await WriteProblem(context, StatusCodes.Status400BadRequest, "Missing features",
                    "The body must be a JSON object with a \"features\" array of " + RiskModel.FeatureCount + " numbers.");
                return;
            }
            if (features.Length != RiskModel.FeatureCount)
            {
                await WriteProblem(context, StatusCodes.Status400BadRequest, "Wrong number of features",
                    "\"features\" has " + features.Length + (features.Length == 1 ? " number" : " numbers") + "; the model takes exactly " + RiskModel.FeatureCount + ".");
                return;
            }
            for (int i = 0; i < features.Length; i++)
            {
                if (!float.IsFinite(features[i]))
                {
                    await WriteProblem(context, StatusCodes.Status400BadRequest, "Feature out of range",
                        "features[" + i + "] is not a finite 32-bit number.");
                    return;
                }
            }

            var probabilities = new float[ClinicalRisk.ProbabilitiesLength];
            RiskModel.Predict(features, probabilities);
            string label = RiskModel.LabelOf(probabilities);
            metrics.RecordPrediction(label);
            await context.Response.WriteAsJsonAsync(new PredictResponse(probabilities, label), ApiJsonContext.Web.PredictResponse);
        }

        /// <summary>
        /// Answers an RFC 9457 problem (application/problem+json), or, on an endpoint that carries a <see cref="ProblemFormat"/>,
        /// in that endpoint's own format: refusals made before the endpoint runs (401, 429, 500) speak its protocol too.
        /// </summary>
        public static Task WriteProblem(HttpContext context, int status, string title, string detail)
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<ProblemFormat>() is { } format) return format.Write(context, status, title, detail);
            context.Response.StatusCode = status;
            var problem = new ApiProblem(ProblemType(status), title, status, detail);
            return context.Response.WriteAsJsonAsync(problem, ApiJsonContext.Web.ApiProblem, ProblemJson);
        }

        // The RFC section that defines each status code this service sends.
        private static string ProblemType(int status) => status switch
        {
            401 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2",
            413 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14",
            422 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.21",
            429 => "https://www.rfc-editor.org/rfc/rfc6585#section-4",
            500 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.1",
            _ => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1",
        };
    }

    /// <summary>Writes a refusal (status, short title, what to do) in an endpoint's own format.</summary>
    public delegate Task ProblemWriter(HttpContext context, int status, string title, string detail);

    /// <summary>Endpoint metadata: how <see cref="ClinicalRiskService.WriteProblem"/> answers on this endpoint (a FHIR door answers OperationOutcomes).</summary>
    public sealed class ProblemFormat
    {
        public ProblemFormat(ProblemWriter write) => Write = write;

        public ProblemWriter Write { get; }
    }
}
