// The QG2xxx diagnostics the MSBuild tasks report about QuantGenModel items (the compiler owns QG0xxx).
namespace QuantGen.Build
{
    /// <summary>Ids never change meaning. Each is tested in tests/QuantGen.EndToEnd.Tests (ResolveQuantGenModelsTests, PackagedBuildTests), all but the I/O failure QG2007 and QG2011 (tests/QuantGen.Fuzz.Tests).</summary>
    internal static class BuildDiagnosticIds
    {
        /// <summary>Precision metadata is not one of the supported values.</summary>
        public const string InvalidPrecision = "QG2001";

        /// <summary>Two QuantGenModel items in one project resolve to the same ClassName.</summary>
        public const string DuplicateClassName = "QG2002";

        /// <summary>ClassName (given or derived from the file name) is not a valid C# identifier.</summary>
        public const string InvalidClassName = "QG2003";

        /// <summary>Namespace (given or RootNamespace) has a segment that is not a valid C# identifier.</summary>
        public const string InvalidNamespace = "QG2004";

        /// <summary>CalibrationData names a file, folder or glob that matches no file.</summary>
        public const string CalibrationDataNotFound = "QG2005";

        /// <summary>CalibrationSamples is not a positive whole number.</summary>
        public const string InvalidCalibrationSamples = "QG2006";

        /// <summary>The plan or weights file could not be written.</summary>
        public const string OutputNotWritten = "QG2007";

        /// <summary>ValidationData or ValidationLabels names no file, or one is given without the other.</summary>
        public const string ValidationDataNotFound = "QG2008";

        /// <summary>MaxAccuracyDrop or MinOutputSqnr is not a number in range.</summary>
        public const string InvalidBudget = "QG2009";

        /// <summary>Parallelism is not a whole number from 1 to 64.</summary>
        public const string InvalidParallelism = "QG2010";

        /// <summary>A QuantGenMax… resource-limit property is not a positive whole number, or above what the generated code can hold.</summary>
        public const string InvalidLimit = "QG2011";

        /// <summary>A warning: the INT8 report's QDQ ONNX export cannot express this graph and is not written (the compiled model is fine).</summary>
        public const string QdqExportSkipped = "QG2012";

        /// <summary>
        /// A warning: PublishAot for x64 without IlcInstructionSet (the kernels run their 128-bit paths). Written by
        /// build/QuantGen.targets (a Warning task, no code here); listed so no other diagnostic takes the id. Tested in
        /// tests/QuantGen.EndToEnd.Tests (InstructionSetWarningTests).
        /// </summary>
        public const string AotWithoutInstructionSet = "QG2013";

        /// <summary>The subcategory of every QuantGen error and warning ("file : QuantGen error QG0002: …"), so logs can be filtered.</summary>
        /// <summary>InputShapes or DimensionValues is not written as 'name:value;…' with whole-number sizes.</summary>
        public const string InvalidFreeDimensions = "QG2030";

        public const string Subcategory = "QuantGen";
    }
}
