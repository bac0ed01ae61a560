// Request metrics: recorded through System.Diagnostics.Metrics, aggregated by a MeterListener, served as Prometheus text.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Linq;
using System.Text;

namespace QuantGen.Samples.Api
{
    /// <summary>
    /// The service's instruments and their in-process aggregation. Recording goes through a <see cref="Meter"/>
    /// (so OpenTelemetry or <c>dotnet-counters</c> can listen too); a <see cref="MeterListener"/> subscribed to
    /// this meter only keeps running totals, which <c>GET /metrics</c> prints in the Prometheus text format
    /// (version 0.0.4). No exporter package: the format is a few lines of text.
    /// </summary>
    public sealed class ApiMetrics : IDisposable
    {
        public const string MeterName = "QuantGen.Samples.ClinicalRisk.Api";

        /// <summary>Upper bounds (seconds) of the latency histogram: 50 µs to 2.5 s, about 2.5x apart.</summary>
        public static readonly double[] LatencyBuckets = { 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5 };

        private readonly Meter _meter;
        private readonly Counter<long> _requests;
        private readonly Histogram<double> _duration;
        private readonly Counter<long> _predictions;
        private readonly MeterListener _listener;

        private readonly ConcurrentDictionary<(string Endpoint, string Status), Total> _requestTotals = new();
        private readonly ConcurrentDictionary<string, LatencyHistogram> _latency = new();
        private readonly ConcurrentDictionary<string, Total> _predictionTotals = new();

        public ApiMetrics()
        {
            // One meter per service instance: two services in one process (tests) never count each other's requests.
            _meter = new Meter(MeterName);
            _requests = _meter.CreateCounter<long>("clinicalrisk.requests", "{request}", "HTTP requests answered, by endpoint and status code");
            _duration = _meter.CreateHistogram<double>("clinicalrisk.request.duration", "s", "Time from the request's arrival to its answer");
            _predictions = _meter.CreateCounter<long>("clinicalrisk.predictions", "{prediction}", "Predictions answered, by label");

            _listener = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (ReferenceEquals(instrument.Meter, _meter)) listener.EnableMeasurementEvents(instrument);
                },
            };
            _listener.SetMeasurementEventCallback<long>(OnMeasurement);
            _listener.SetMeasurementEventCallback<double>(OnMeasurement);
            _listener.Start();
        }

        /// <param name="endpoint">The route pattern ("/predict"), never the raw path: unknown paths share one series.</param>
        public void RecordRequest(string endpoint, int statusCode, double seconds)
        {
            var tags = new TagList { { "endpoint", endpoint }, { "status", StatusText(statusCode) } };
            _requests.Add(1, tags);
            _duration.Record(seconds, new KeyValuePair<string, object?>("endpoint", endpoint));
        }

        public void RecordPrediction(string label) => _predictions.Add(1, new KeyValuePair<string, object?>("label", label));

        private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        {
            if (ReferenceEquals(instrument, _requests))
                _requestTotals.GetOrAdd((Tag(tags, "endpoint"), Tag(tags, "status")), _ => new Total()).Add(value);
            else if (ReferenceEquals(instrument, _predictions))
                _predictionTotals.GetOrAdd(Tag(tags, "label"), _ => new Total()).Add(value);
        }

        private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        {
            if (ReferenceEquals(instrument, _duration))
                _latency.GetOrAdd(Tag(tags, "endpoint"), _ => new LatencyHistogram()).Record(value);
        }

        private static string Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
        {
            foreach (KeyValuePair<string, object?> tag in tags)
                if (tag.Key == name) return tag.Value as string ?? "";
            return "";
        }

        // The common codes as interned strings, so counting a request does not format a number.
        private static string StatusText(int code) => code switch
        {
            200 => "200",
            400 => "400",
            404 => "404",
            405 => "405",
            413 => "413",
            500 => "500",
            _ => code.ToString(CultureInfo.InvariantCulture),
        };

        /// <summary>Every series in the Prometheus text exposition format, version 0.0.4.</summary>
        public string ToPrometheusText()
        {
            var text = new StringBuilder(4096);

            Header(text, "clinicalrisk_requests_total", "counter", "HTTP requests answered, by endpoint and status code.");
            foreach (var series in _requestTotals.OrderBy(s => s.Key.Endpoint, StringComparer.Ordinal).ThenBy(s => s.Key.Status, StringComparer.Ordinal))
                Sample(text, "clinicalrisk_requests_total", Labels(("endpoint", series.Key.Endpoint), ("status", series.Key.Status)), series.Value.Value);

            Header(text, "clinicalrisk_request_duration_seconds", "histogram", "Time from a request's arrival to its answer, by endpoint.");
            foreach (var series in _latency.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                LatencyHistogram.Snapshot h = series.Value.Read();
                long cumulative = 0;
                for (int i = 0; i < LatencyBuckets.Length; i++)
                {
                    cumulative += h.Buckets[i];
                    Sample(text, "clinicalrisk_request_duration_seconds_bucket", Labels(("endpoint", series.Key), ("le", Number(LatencyBuckets[i]))), cumulative);
                }
                Sample(text, "clinicalrisk_request_duration_seconds_bucket", Labels(("endpoint", series.Key), ("le", "+Inf")), h.Count);
                text.Append("clinicalrisk_request_duration_seconds_sum").Append(Labels(("endpoint", series.Key))).Append(' ').Append(Number(h.Sum)).Append('\n');
                Sample(text, "clinicalrisk_request_duration_seconds_count", Labels(("endpoint", series.Key)), h.Count);
            }

            Header(text, "clinicalrisk_predictions_total", "counter", "Predictions answered, by label.");
            foreach (var series in _predictionTotals.OrderBy(s => s.Key, StringComparer.Ordinal))
                Sample(text, "clinicalrisk_predictions_total", Labels(("label", series.Key)), series.Value.Value);

            Header(text, "clinicalrisk_model_info", "gauge", "The model being served (always 1); its identity is in the labels.");
            Sample(text, "clinicalrisk_model_info", Labels(
                ("model", ClinicalRisk.SourceFile),
                ("sha256", ClinicalRisk.ModelSha256),
                ("weights_sha256", ClinicalRisk.WeightsSha256),
                ("precision", ClinicalRisk.Precision),
                ("opset", ClinicalRisk.Opset.ToString(CultureInfo.InvariantCulture))), 1);
            return text.ToString();
        }

        private static void Header(StringBuilder text, string name, string type, string help) =>
            text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
                .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

        private static void Sample(StringBuilder text, string name, string labels, long value) =>
            text.Append(name).Append(labels).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');

        private static string Labels(params (string Name, string Value)[] labels)
        {
            var text = new StringBuilder("{");
            for (int i = 0; i < labels.Length; i++)
            {
                if (i > 0) text.Append(',');
                text.Append(labels[i].Name).Append("=\"");
                // Label values escape backslash, double quote and line feed; nothing else.
                foreach (char c in labels[i].Value)
                {
                    if (c == '\\') text.Append("\\\\");
                    else if (c == '"') text.Append("\\\"");
                    else if (c == '\n') text.Append("\\n");
                    else text.Append(c);
                }
                text.Append('"');
            }
            return text.Append('}').ToString();
        }

        // Shortest round-trip form, invariant culture, as Go's ParseFloat reads it: "0.00025", "1", "2.5", "5e-05".
        private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');

        public void Dispose()
        {
            _listener.Dispose();
            _meter.Dispose();
        }

        private sealed class Total
        {
            private long _value;
            public long Value => System.Threading.Interlocked.Read(ref _value);
            public void Add(long value) => System.Threading.Interlocked.Add(ref _value, value);
        }

        private sealed class LatencyHistogram
        {
            private readonly long[] _buckets = new long[LatencyBuckets.Length];
            private long _count;
            private double _sum;

            public void Record(double seconds)
            {
                int bucket = Array.BinarySearch(LatencyBuckets, seconds);
                if (bucket < 0) bucket = ~bucket; // the first bound >= seconds (le is inclusive)
                // One short lock keeps count, sum and buckets consistent with each other for a scrape.
                lock (_buckets)
                {
                    if (bucket < _buckets.Length) _buckets[bucket]++;
                    _count++;
                    _sum += seconds;
                }
            }

            public Snapshot Read()
            {
                lock (_buckets) return new Snapshot((long[])_buckets.Clone(), _count, _sum);
            }

            public readonly record struct Snapshot(long[] Buckets, long Count, double Sum);
        }
    }
}
