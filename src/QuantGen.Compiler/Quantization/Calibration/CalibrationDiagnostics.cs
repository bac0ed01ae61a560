// Diagnostics of calibration data (QG0101–QG0109): what is wrong with the files and what the model expects.
using QuantGen.Ir.Diagnostics;

namespace QuantGen.Compiler.Quantization.Calibration
{
    /// <summary>The calibration-data ids. Ids never change meaning; each message names the file and the expected sample shape.</summary>
    public static class CalibrationDiagnostics
    {
        /// <summary>CalibrationData names nothing: no such file or folder, a glob that matches no file, or no samples in the files.</summary>
        public const string DataMissing = "QG0101";

        /// <summary>A calibration file cannot be read or is malformed (truncated .npy, bad .csv cell, broken TensorProto).</summary>
        public const string DataUnreadable = "QG0102";

        /// <summary>A file type or encoding QuantGen does not read (.txt, .npy of float64 or Fortran order, a non-float TensorProto).</summary>
        public const string FormatUnsupported = "QG0103";

        /// <summary>The samples in a file do not have the model input's size per sample.</summary>
        public const string SampleShapeMismatch = "QG0104";

        /// <summary>The model cannot be calibrated from one data source (it has several runtime inputs or a non-float input).</summary>
        public const string InputNotCalibratable = "QG0105";

        /// <summary>A calibration (or validation) sample holds NaN or infinite values: ranges measured on it would be meaningless.</summary>
        public const string NonFiniteValues = "QG0108";

        internal static CompilerException Error(string id, string message, string? file) =>
            new CompilerException(new CompilerDiagnostic(id, DiagnosticSeverity.Error, message, file));
    }
}
