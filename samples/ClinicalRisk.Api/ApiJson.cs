// The service's JSON contract, serialized by System.Text.Json source generation (no reflection, NativeAOT-safe).
using System.Collections.Generic;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace QuantGen.Samples.Api
{
    /// <summary><c>POST /predict</c> body: <c>{"features":[30 numbers]}</c>, the raw measurements in the WDBC column order.</summary>
    public sealed class PredictRequest
    {
        public float[]? Features { get; set; }
    }

    /// <summary><c>POST /predict</c> answer; <see cref="Probabilities"/> follow <see cref="ModelInfo.Labels"/>: [P(malignant), P(benign)].</summary>
    public sealed record PredictResponse(float[] Probabilities, string Label);

    public sealed record HealthResponse(string Status, string Model);

    public sealed record TensorInfo(string Name, int[] Shape);

    /// <summary><c>GET /model</c>: what is running, for audit (every value is a constant of the generated class).</summary>
    public sealed record ModelInfo(
        string File,
        string Sha256,
        string WeightsSha256,
        string Precision,
        int Opset,
        string Producer,
        long Parameters,
        long WeightBytes,
        int WorkspaceBytes,
        IReadOnlyList<TensorInfo> Inputs,
        IReadOnlyList<TensorInfo> Outputs,
        IReadOnlyList<string> Labels,
        QuantizationInfo Quantization);

    /// <summary>The build's quantization report, as constants of the generated class: how the INT8 model compares with FP32.</summary>
    public sealed record QuantizationInfo(
        long Float32WeightBytes,
        long CalibrationSamples,
        string CalibrationMethod,
        string Metric,
        double Float32Score,
        double Int8Score,
        double OutputSqnrDb,
        long LayersInFloat);

    /// <summary>An RFC 9457 problem details body (application/problem+json).</summary>
    public sealed record ApiProblem(string Type, string Title, int Status, string Detail);

    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
    [JsonSerializable(typeof(PredictRequest))]
    [JsonSerializable(typeof(PredictResponse))]
    [JsonSerializable(typeof(HealthResponse))]
    [JsonSerializable(typeof(ModelInfo))]
    [JsonSerializable(typeof(ApiProblem))]
    public sealed partial class ApiJsonContext : JsonSerializerContext
    {
        /// <summary>
        /// The context the service writes with: as <see cref="JsonSerializerContext"/>'s default, but quotes in messages stay
        /// <c>"</c> instead of <c>\u0022</c> (the HTML-safe escaping is for JSON embedded in web pages, not for an API).
        /// </summary>
        public static ApiJsonContext Web { get; } = new ApiJsonContext(new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
    }
}
