// The service: a minimal API over the generated ClinicalRisk class, NativeAOT-compatible (slim builder, source-generated JSON, no reflection).
using System;
using System.Diagnostics;
using System.IO;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace QuantGen.Samples.Api
{
    public static class ClinicalRiskService
    {
        /// <summary>A request body larger than this is refused (413): 30 numbers need well under 1 KB.</summary>
        public const long MaxBodyBytes = 16 * 1024;

        private const string ProblemJson = "application/problem+json";

        /// <summary>Builds the service; <c>args</c> are the usual host arguments (<c>--urls http://0.0.0.0:8080</c>).</summary>
        public static WebApplication Build(string[] args)
        {
            WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
            builder.Services.AddSingleton<ApiMetrics>();
            // One log line per request at Information would cost more than the prediction; keep warnings and errors.
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

            WebApplication app = builder.Build();
            ApiMetrics metrics = app.Services.GetRequiredService<ApiMetrics>();
            ILogger log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ClinicalRisk.Api");

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

            app.MapPost("/predict", (RequestDelegate)(context => PredictAsync(context, metrics)));
            app.MapGet("/health", (RequestDelegate)(context =>
                context.Response.WriteAsJsonAsync(new HealthResponse("healthy", ClinicalRisk.SourceFile), ApiJsonContext.Web.HealthResponse)));
            app.MapGet("/model", (RequestDelegate)(context => context.Response.WriteAsJsonAsync(RiskModel.Describe(), ApiJsonContext.Web.ModelInfo)));
            app.MapGet("/metrics", (RequestDelegate)(context =>
            {
                context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                return context.Response.WriteAsync(metrics.ToPrometheusText());
            }));
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

        private static Task WriteProblem(HttpContext context, int status, string title, string detail)
        {
            context.Response.StatusCode = status;
            var problem = new ApiProblem("https://www.rfc-editor.org/rfc/rfc9110#section-" + ProblemSection(status), title, status, detail);
            return context.Response.WriteAsJsonAsync(problem, ApiJsonContext.Web.ApiProblem, ProblemJson);
        }

        // RFC 9110's section for each status code this service sends.
        private static string ProblemSection(int status) => status switch
        {
            413 => "15.5.14",
            500 => "15.6.1",
            _ => "15.5.1",
        };
    }
}
