// The compiler's front door: an ONNX graph in, a validated plan and its weight blob out.
using System;
using System.Collections.Generic;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;
using QuantGen.Plan;

namespace QuantGen.Compiler.Pipeline
{
    public enum Precision
    {
        /// <summary>Calibrated INT8: int8 weights, uint8 activations with build-time scales (needs calibration data).</summary>
        Int8,

        Float32,

        /// <summary>Int8 weights for Gemm/MatMul, activations quantized with their own range on every call (no calibration data).</summary>
        Int8Dynamic,
    }

    public sealed class CompileOptions
    {
        public Precision Precision { get; set; } = Precision.Int8;

        /// <summary>Calibration data (file, folder or glob) for Int8; null when none was given.</summary>
        public string? CalibrationData { get; set; }

        /// <summary>At most this many calibration samples are read (the first ones, in file order); null for all.</summary>
        public int? CalibrationSamples { get; set; }

        /// <summary>The accuracy budget for Int8 (null: the defaults, 25 dB output SQNR on calibration samples without validation data).</summary>
        public Quantization.AccuracyBudgetOptions? Budget { get; set; }

        /// <summary>The model's name in reports and messages (the class name).</summary>
        public string ModelName { get; set; } = "Model";

        /// <summary>Quantization settings for Int8 (null: the defaults, chosen by measurement).</summary>
        public Quantization.QuantizationOptions? Quantization { get; set; }

        /// <summary>Manifest resource name the weights get when they are too large to inline.</summary>
        public string ResourceName { get; set; } = "QuantGen.Model.weights";

        /// <summary>
        /// Weight blobs up to this many bytes are inlined in the plan and emitted as RVA data; larger
        /// ones become an embedded resource. See docs/how-it-works.md for the measurement behind it.
        /// </summary>
        public long InlineWeightLimit { get; set; } = DefaultInlineWeightLimit;

        public const long DefaultInlineWeightLimit = 32 * 1024;

        /// <summary>
        /// Bytes of expanded rows per band when a 1×1 expansion is fused into the depthwise convolution that reads it
        /// (<see cref="Lowering.ExpandDepthwiseFusion"/>); 0 keeps every layer whole. Tests lower it to run many bands on
        /// small models.
        /// </summary>
        public long ExpandDepthwiseBandBytes { get; set; } = Kernels.FusedConvLayout.ExpandDepthwiseBandBytes;

        /// <summary>How large a tensor, the weights and the workspace may be (QG0013 past them); the MSBuild properties set them.</summary>
        public ResourceLimits Limits { get; set; } = new ResourceLimits();

        /// <summary>
        /// Runs plans on the kernels in this process (the build task's QuantGen.Engine): the INT8 stage's calibration and
        /// accuracy budget then run at inference speed. Null: they run on the reference evaluator (the same decisions, slower).
        /// </summary>
        public Evaluation.IPlanExecutor? PlanExecutor { get; set; }

        /// <summary>
        /// Threads the INT8 stage runs samples on (default: the machine's cores). Plans, weights and reports' numbers are
        /// the same for every value.
        /// </summary>
        public int BuildThreads { get; set; } = Environment.ProcessorCount;

        /// <summary>Hears a progress line every few seconds during a long INT8 build (null: silent).</summary>
        public Action<string>? Progress { get; set; }

        /// <summary>
        /// Fuse each residual Add into the 1×1 convolution that produces one of its operands
        /// (<see cref="Lowering.ResidualAddFusion"/>). Tests turn it off to compare against the unfused steps.
        /// </summary>
        public bool FuseResidualAdds { get; set; } = true;
    }

    public sealed class CompileResult
    {
        public CompileResult(ModelPlan? plan, byte[] weights, IReadOnlyList<CompilerDiagnostic> diagnostics)
        {
            Plan = plan;
            Weights = weights;
            Diagnostics = diagnostics;
        }

        /// <summary>The plan, or null when an error was reported.</summary>
        public ModelPlan? Plan { get; }

        /// <summary>The weight blob the plan's w@ operands index (also inlined in the plan when small).</summary>
        public byte[] Weights { get; }

        public IReadOnlyList<CompilerDiagnostic> Diagnostics { get; }

        public bool Succeeded => Plan != null;

        /// <summary>The INT8 report (Markdown, SVG chart, one-line summary); null for Float32.</summary>
        public Quantization.QuantizationReport? Report { get; set; }

        /// <summary>The integer scheme compiled (null for Float32), with <see cref="OptimizedGraph"/> the graph it names: what a QDQ export writes.</summary>
        public Quantization.QuantizationScheme? Scheme { get; set; }

        /// <summary>The optimized FP32 graph the plan was lowered from (null when compilation failed).</summary>
        public Ir.Graph? OptimizedGraph { get; set; }

        /// <summary>Seconds per phase of the build (zero for the phases it did not have).</summary>
        public BuildTimes Times { get; set; } = new BuildTimes();
    }

    public static class ModelCompiler
    {
        /// <summary>
        /// Compiles <paramref name="graph"/> (as read by QuantGen.Onnx's OnnxModelReader). Never throws for
        /// bad models: problems come back as diagnostics with QGxxxx ids.
        /// </summary>
        public static CompileResult Compile(Graph graph, CompileOptions options)
        {
            var diagnostics = new List<CompilerDiagnostic>();
            try
            {
                return CompilationPipeline.Run(graph, options, diagnostics);
            }
            catch (CompilerException e)
            {
                diagnostics.Add(e.Diagnostic);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                diagnostics.Add(new CompilerDiagnostic(DiagnosticIds.InternalError, DiagnosticSeverity.Error,
                    $"QuantGen failed to compile this model: {e.GetType().Name}: {e.Message}. Please report it with the model.", graph.Info.SourcePath));
            }
            return new CompileResult(null, Array.Empty<byte>(), diagnostics);
        }
    }
}
