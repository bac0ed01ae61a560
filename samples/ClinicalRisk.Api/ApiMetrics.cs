// Request metrics through prometheus-net: the service's own series in a registry of its own, served at GET /metrics.
using Prometheus;

namespace QuantGen.Samples.Api
{
    /// <summary>
    /// The service's Prometheus series. prometheus-net (not OpenTelemetry's exporter) because it is a stable release that
    /// writes the names below unchanged, and the Prometheus text format is what a hospital's monitoring already
    /// scrapes; OpenTelemetry's Prometheus exporter is still a beta, renames series (unit suffixes, scope labels) and
    /// needs explicit histogram buckets for seconds. Both published NativeAOT with no warnings (issue 22).
    /// </summary>
    public sealed class ApiMetrics
    {
        /// <summary>Upper bounds (seconds) of the latency histogram: 50 µs to 2.5 s, about 2.5x apart.</summary>
        public static readonly double[] LatencyBuckets = { 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5 };

        private readonly Counter _requests;
        private readonly Histogram _duration;
        private readonly Counter _predictions;

        public ApiMetrics()
        {
            // One registry per service instance: two services in one process (tests) never count each other's requests.
            Registry = Metrics.NewCustomRegistry();
            MetricFactory factory = Metrics.WithCustomRegistry(Registry);
            // No exemplars: they need the OpenMetrics format and a trace, and would cost a lookup per request.
            factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();

            _requests = factory.CreateCounter("clinicalrisk_requests_total", "HTTP requests answered, by endpoint and status code.", "endpoint", "status");
            _duration = factory.CreateHistogram("clinicalrisk_request_duration_seconds", "Time from a request's arrival to its answer, by endpoint.",
                new HistogramConfiguration { LabelNames = new[] { "endpoint" }, Buckets = LatencyBuckets });
            _predictions = factory.CreateCounter("clinicalrisk_predictions_total", "Predictions answered, by label.", "label");
            factory.CreateGauge("clinicalrisk_model_info", "The model being served (always 1); its identity is in the labels.",
                    "model", "sha256", "weights_sha256", "precision", "opset")
                .WithLabels(Served.File, Served.Sha256, Served.WeightsSha256, Served.Precision, Served.Opset.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Set(1);
        }

        // The model this instance serves (the INT8 MLP, or the trees with CLINICALRISK_MODEL=gbdt), as GET /model describes it.
        private static readonly ModelInfo Served = RiskModel.Describe();

        /// <summary>What <c>GET /metrics</c> serves.</summary>
        public CollectorRegistry Registry { get; }

        /// <param name="endpoint">The route pattern ("/predict"), never the raw path: unknown paths share one series.</param>
        public void RecordRequest(string endpoint, int statusCode, double seconds)
        {
            _requests.WithLabels(endpoint, StatusText(statusCode)).Inc();
            _duration.WithLabels(endpoint).Observe(seconds);
        }

        public void RecordPrediction(string label) => _predictions.WithLabels(label).Inc();

        // The common codes as interned strings, so counting a request does not format a number.
        private static string StatusText(int code) => code switch
        {
            200 => "200",
            400 => "400",
            401 => "401",
            404 => "404",
            405 => "405",
            413 => "413",
            422 => "422",
            429 => "429",
            500 => "500",
            _ => code.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }
}
