// POST /fhir/RiskAssessment/$predict: a FHIR Parameters or Bundle of Observations in, a RiskAssessment (or an OperationOutcome) out.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using QuantGen.Samples.Api;
using Task = System.Threading.Tasks.Task;

namespace QuantGen.Samples.Fhir
{
    public static class FhirService
    {
        public const string PredictPath = "/fhir/RiskAssessment/$predict";

        /// <summary>A Bundle of 30 Observations with subjects, dates and categories is 20–40 KB; 256 KiB leaves room and no more.</summary>
        public const long MaxBodyBytes = 256 * 1024;

        public const string FhirJson = "application/fhir+json";

        /// <summary>The code systems of what QuantGen adds to a RiskAssessment (URNs: no web address is claimed).</summary>
        public const string ModelSystem = "urn:quantgen:model-sha256", PrecisionSystem = "urn:quantgen:precision", OutcomeSystem = "urn:quantgen:wdbc-diagnosis";

        private static readonly JsonSerializerOptions s_fhirJson = new JsonSerializerOptions().ForFhir(Hl7.Fhir.Model.ModelInfo.ModelInspector);

        /// <summary>ClinicalRisk.Api (all of its endpoints, keys, rate limit and metrics) plus <see cref="PredictPath"/>.</summary>
        /// <param name="args">Host arguments; <c>--ClinicalRisk:FeatureMap=path</c> replaces the shipped feature-map.json.</param>
        public static WebApplication Build(string[] args)
        {
            FeatureMap? map = null;
            WebApplication app = ClinicalRiskService.Build(args, routes =>
            {
                var configuration = (Microsoft.Extensions.Configuration.IConfiguration)routes.ServiceProvider.GetService(typeof(Microsoft.Extensions.Configuration.IConfiguration))!;
                string path = configuration["ClinicalRisk:FeatureMap"] is { Length: > 0 } given ? given : Path.Combine(AppContext.BaseDirectory, "feature-map.json");
                map = FeatureMap.Load(path, RiskModel.FeatureCount);
                routes.MapPost(PredictPath, (RequestDelegate)(context => PredictAsync(context, map))).WithMetadata(new ProblemFormat(WriteRefusal));
            }, MaxBodyBytes);
            return app;
        }

        private static async Task PredictAsync(HttpContext context, FeatureMap map)
        {
            string? mediaType = context.Request.ContentType?.Split(';')[0].Trim();
            if (mediaType is not (FhirJson or "application/json"))
            {
                await WriteOutcome(context, StatusCodes.Status415UnsupportedMediaType, OperationOutcome.IssueType.NotSupported,
                    "Send the resource as " + FhirJson + " (Content-Type was " + (mediaType ?? "not given") + ").");
                return;
            }

            string body;
            try
            {
                using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
                body = await reader.ReadToEndAsync(context.RequestAborted);
            }
            catch (BadHttpRequestException e)
            {
                await WriteOutcome(context, e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? OperationOutcome.IssueType.TooLong : OperationOutcome.IssueType.Structure,
                    e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The body is larger than " + MaxBodyBytes / 1024 + " KiB." : e.Message);
                return;
            }

            Resource? resource;
            try
            {
                resource = string.IsNullOrWhiteSpace(body) ? null : JsonSerializer.Deserialize<Resource>(body, s_fhirJson);
            }
            catch (DeserializationFailedException e)
            {
                // The SDK lists every problem it found (unknown elements, wrong types, a missing resourceType...).
                OperationOutcome outcome = e.ToOperationOutcome();
                await Write(context, StatusCodes.Status400BadRequest, outcome);
                return;
            }
            catch (Exception e) when (e is JsonException or FormatException or ArgumentException or InvalidOperationException or NotSupportedException)
            {
                await WriteOutcome(context, StatusCodes.Status400BadRequest, OperationOutcome.IssueType.Structure, "The body is not FHIR JSON: " + e.Message);
                return;
            }
            if (resource == null)
            {
                await WriteOutcome(context, StatusCodes.Status400BadRequest, OperationOutcome.IssueType.Required, "The body is empty: send a Parameters or Bundle resource of Observations.");
                return;
            }

            List<(Observation Observation, string? Reference)>? observations = Observations(resource);
            if (observations == null)
            {
                await WriteOutcome(context, StatusCodes.Status400BadRequest, OperationOutcome.IssueType.NotSupported,
                    "Expected a Parameters or Bundle resource holding Observations, not " + resource.TypeName + ".");
                return;
            }

            var features = new float[RiskModel.FeatureCount];
            var given = new Feature?[RiskModel.FeatureCount];
            var issues = new List<OperationOutcome.IssueComponent>();
            var basis = new List<ResourceReference>();
            foreach ((Observation observation, string? reference) in observations)
            {
                if (observation.Status is ObservationStatus.EnteredInError or ObservationStatus.Cancelled) continue;
                Feature? feature = observation.Code?.Coding.Select(c => map.Find(c.System, c.Code)).FirstOrDefault(f => f != null);
                if (feature == null) continue; // other observations in a records system's bundle are not the model's business
                string where = feature.Name + " (" + feature.System + "|" + feature.Code + ")";
                if (given[feature.Index] != null)
                {
                    issues.Add(Issue(OperationOutcome.IssueType.BusinessRule, where + " is given more than once."));
                    continue;
                }
                if (observation.Value is not Quantity { Value: decimal value } quantity)
                {
                    issues.Add(Issue(OperationOutcome.IssueType.Value, where + " has no valueQuantity with a number."));
                    continue;
                }
                string? unit = quantity.Code ?? quantity.Unit;
                bool ucum = quantity.System is null or "http://unitsofmeasure.org";
                if (unit != feature.Unit || !ucum)
                {
                    issues.Add(Issue(OperationOutcome.IssueType.Value, where + " is in '" + (unit ?? "no unit") + "'" + (ucum ? "" : " of " + quantity.System) +
                                                                        "; the model takes UCUM '" + feature.Unit + "' (no conversion is made)."));
                    continue;
                }
                float number = (float)value;
                if (!float.IsFinite(number))
                {
                    issues.Add(Issue(OperationOutcome.IssueType.Value, where + " = " + value.ToString(CultureInfo.InvariantCulture) + " is beyond a 32-bit number."));
                    continue;
                }
                features[feature.Index] = number;
                given[feature.Index] = feature;
                if (reference != null) basis.Add(new ResourceReference(reference));
            }
            foreach (Feature feature in map.Features)
                if (given[feature.Index] == null && !issues.Any(i => i.Diagnostics?.StartsWith(feature.Name + " (", StringComparison.Ordinal) == true))
                    issues.Add(Issue(OperationOutcome.IssueType.Required, feature.Name + " (" + feature.System + "|" + feature.Code + ", " + feature.Unit + ") is missing."));
            if (issues.Count > 0)
            {
                await Write(context, StatusCodes.Status422UnprocessableEntity, new OperationOutcome { Issue = issues });
                return;
            }

            var probabilities = new float[ClinicalRisk.ProbabilitiesLength];
            RiskModel.Predict(features, probabilities);
            await Write(context, StatusCodes.Status200OK, Assessment(observations.Select(o => o.Observation), basis, probabilities));
        }

        /// <summary>The Observations of a Parameters (each parameter's resource, or a Bundle in one) or of a Bundle; null for anything else.</summary>
        private static List<(Observation, string?)>? Observations(Resource resource)
        {
            var found = new List<(Observation, string?)>();
            void FromBundle(Bundle bundle)
            {
                foreach (Bundle.EntryComponent entry in bundle.Entry)
                    if (entry.Resource is Observation o) found.Add((o, entry.FullUrl ?? (o.Id != null ? "Observation/" + o.Id : null)));
            }
            switch (resource)
            {
                case Bundle bundle:
                    FromBundle(bundle);
                    return found;
                case Parameters parameters:
                    foreach (Parameters.ParameterComponent parameter in parameters.Parameter)
                    {
                        if (parameter.Resource is Observation o) found.Add((o, o.Id != null ? "Observation/" + o.Id : null));
                        else if (parameter.Resource is Bundle b) FromBundle(b);
                    }
                    return found;
                default:
                    return null;
            }
        }

        private static RiskAssessment Assessment(IEnumerable<Observation> observations, List<ResourceReference> basis, float[] probabilities)
        {
            // The model this instance serves (the INT8 MLP, or the trees with CLINICALRISK_MODEL=gbdt), as GET /model describes it.
            QuantGen.Samples.Api.ModelInfo model = RiskModel.Describe();
            string[] subjects = observations.Select(o => o.Subject?.Reference).Where(r => r != null).Distinct().ToArray()!;
            var assessment = new RiskAssessment
            {
                Status = ObservationStatus.Final,
                // subject is required; observations about one patient name it, anything else is said plainly.
                Subject = subjects.Length == 1 ? new ResourceReference(subjects[0]) : new ResourceReference { Display = subjects.Length == 0 ? "not given in the request" : "the observations name several subjects" },
                Occurrence = new FhirDateTime(DateTimeOffset.UtcNow),
                Method = new CodeableConcept
                {
                    Coding = new List<Coding>
                    {
                        new Coding(ModelSystem, model.Sha256, model.File),
                        new Coding(PrecisionSystem, model.Precision),
                    },
                    Text = "QuantGen-compiled " + model.File + " (" + model.Precision + ", ONNX SHA-256 " + model.Sha256 + ")",
                },
                Basis = basis,
            };
            // The model itself is part of the basis: a reference by identifier, so an audit can match it with GET /model.
            assessment.Basis.Add(new ResourceReference
            {
                Identifier = new Identifier(ModelSystem, model.Sha256),
                Display = "model " + model.File + ", precision " + model.Precision,
            });
            for (int k = 0; k < probabilities.Length; k++)
            {
                assessment.Prediction.Add(new RiskAssessment.PredictionComponent
                {
                    Outcome = new CodeableConcept(OutcomeSystem, RiskModel.Labels[k]),
                    // float → decimal through its shortest round-trip text, so the JSON shows the float the model computed.
                    Probability = new FhirDecimal(decimal.Parse(probabilities[k].ToString("R", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture)),
                });
            }
            return assessment;
        }

        /// <summary>The service's own refusals on the FHIR door (no key 401, over the rate 429, a failure 500) as OperationOutcomes.</summary>
        private static Task WriteRefusal(HttpContext context, int status, string title, string detail)
        {
            OperationOutcome.IssueType type = status switch
            {
                StatusCodes.Status401Unauthorized => OperationOutcome.IssueType.Login,
                StatusCodes.Status413PayloadTooLarge => OperationOutcome.IssueType.TooLong,
                StatusCodes.Status429TooManyRequests => OperationOutcome.IssueType.Throttled,
                >= 500 => OperationOutcome.IssueType.Exception,
                _ => OperationOutcome.IssueType.Processing,
            };
            return WriteOutcome(context, status, type, title + ": " + detail);
        }

        private static OperationOutcome.IssueComponent Issue(OperationOutcome.IssueType type, string diagnostics) =>
            new OperationOutcome.IssueComponent { Severity = OperationOutcome.IssueSeverity.Error, Code = type, Diagnostics = diagnostics };

        private static Task WriteOutcome(HttpContext context, int status, OperationOutcome.IssueType type, string diagnostics) =>
            Write(context, status, new OperationOutcome { Issue = new List<OperationOutcome.IssueComponent> { Issue(type, diagnostics) } });

        private static async Task Write(HttpContext context, int status, Resource resource)
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = FhirJson + "; charset=utf-8";
            await context.Response.WriteAsync(JsonSerializer.Serialize(resource, s_fhirJson));
        }
    }
}
