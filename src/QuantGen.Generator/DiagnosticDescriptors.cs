// The generator's diagnostics (QG1xxx). Each message names the plan file and says what to do.
using Microsoft.CodeAnalysis;

namespace QuantGen.Generator
{
    internal static class DiagnosticDescriptors
    {
        private const string Category = "QuantGen";

        /// <summary>The plan cannot be read or cannot be turned into code.</summary>
        public static readonly DiagnosticDescriptor InvalidPlan = new DiagnosticDescriptor(
            id: "QG1001",
            title: "Invalid QuantGen plan",
            messageFormat: "The QuantGen plan '{0}' is invalid: {1}. Rebuild so the QuantGen task regenerates it; if the error persists, report it with the model.",
            category: Category,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor UnsafeBlocksRequired = new DiagnosticDescriptor(
            id: "QG1002",
            title: "QuantGen needs unsafe code",
            messageFormat: "QuantGen's generated code needs <AllowUnsafeBlocks>true</AllowUnsafeBlocks>; the QuantGen package sets it — check the project does not turn it off",
            category: Category,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor TargetFrameworkTooOld = new DiagnosticDescriptor(
            id: "QG1003",
            title: "QuantGen needs .NET 8 or newer",
            messageFormat: "QuantGen's generated code needs net8.0 or newer (it uses System.Runtime.Intrinsics.Vector512<T>, which this compilation does not reference); target net8.0 or later",
            category: Category,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor MissingMetadata = new DiagnosticDescriptor(
            id: "QG1004",
            title: "QuantGen plan lacks item metadata",
            messageFormat: "The QuantGen plan '{0}' has no '{1}' metadata; the QuantGen targets set it on the AdditionalFiles item from the QuantGenModel item — do not add plan files to AdditionalFiles by hand",
            category: Category,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor InvalidName = new DiagnosticDescriptor(
            id: "QG1005",
            title: "Invalid QuantGen class name or namespace",
            messageFormat: "The QuantGen plan '{0}' asks for {1} '{2}', which {3}; set ClassName/Namespace on the QuantGenModel item",
            category: Category,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor InvalidParallelism = new DiagnosticDescriptor(
            id: "QG1007",
            title: "Invalid QuantGen Parallelism",
            messageFormat: "The QuantGen plan '{0}' asks for Parallelism '{1}', which is not a whole number from 1 to 64; set Parallelism on the QuantGenModel item",
            category: Category,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true);

        /// <summary>The plan was written by another QuantGen (another format or kernel catalog): a stale plan in obj/, most often.</summary>
        public static readonly DiagnosticDescriptor StalePlan = new DiagnosticDescriptor(
            id: "QG1008",
            title: "QuantGen plan from another QuantGen version",
            messageFormat: "The QuantGen plan '{0}' was written by another QuantGen version: {1}. Rebuild the project so the QuantGen task rewrites it with this version (a plan left in obj/ by an earlier package is rewritten by the next build).",
            category: Category,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor DuplicateClass = new DiagnosticDescriptor(
            id: "QG1006",
            title: "Two QuantGen models generate the same class",
            messageFormat: "The QuantGen plan '{0}' generates class '{1}', which the plan '{2}' already generates; give one of the QuantGenModel items another ClassName or Namespace",
            category: Category,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true);
    }
}
