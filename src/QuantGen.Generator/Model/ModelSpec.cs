// What the emitter needs to write one model class: plain, equatable data parsed from a plan.
using QuantGen.Plan;

namespace QuantGen.Generator.Model
{
    /// <summary>One generated class. Built by the parser from a validated plan; the emitter sees only this.</summary>
    internal sealed record ModelSpec(
        string FilePath,
        string ClassName,
        string Namespace,
        ModelInfoSpec Info,
        EquatableArray<TensorSpec> Inputs,
        EquatableArray<TensorSpec> Outputs,
        int WorkspaceBytes,
        WeightsSpec Weights,
        EquatableArray<StepSpec> Steps,
        EquatableArray<FactSpec> Facts,
        int Parallelism = 1)
    {
        /// <summary>The generated file's hint name, e.g. "MyApp.Models.ClinicalMlp.g.cs".</summary>
        public string HintName => Namespace + "." + ClassName + ".g.cs";

        public string FullName => Namespace + "." + ClassName;
    }

    /// <summary>Where the model came from (<see cref="PlanModelInfo"/>).</summary>
    internal sealed record ModelInfoSpec(string Source, string Sha256, int Opset, string Producer, string Precision, bool IsBatched);

    /// <summary>A fact line of the plan, shown in the class documentation.</summary>
    /// <summary>A build fact as its <see cref="PlanFacts"/> definition types it, with the value as the plan spells it.</summary>
    internal sealed record FactSpec(string Key, string Name, PlanFactType Type, string Description, string Value);

    /// <summary>
    /// A public input or output. <see cref="ParameterName"/> is the Run parameter (a C# identifier, possibly
    /// '@'-escaped); <see cref="MemberName"/> prefixes the generated XLength/XShape members.
    /// </summary>
    internal sealed record TensorSpec(
        string OnnxName,
        bool IsInput,
        int Index,
        string ParameterName,
        string MemberName,
        string ElementType,
        EquatableArray<int> Shape,
        int SampleLength)
    {
        /// <summary>The RunSample pointer parameter: in0, in1, …, out0, ….</summary>
        public string PointerName => (IsInput ? "in" : "out") + Index.ToString(System.Globalization.CultureInfo.InvariantCulture);

        /// <summary>The constant holding the elements of one sample (<c>{MemberName}Length</c>).</summary>
        public string LengthName => MemberName + GeneratedMembers.LengthSuffix;

        /// <summary>The property holding the shape (<c>{MemberName}Shape</c>).</summary>
        public string ShapeName => MemberName + GeneratedMembers.ShapeSuffix;
    }

    /// <summary>The weight blob: inline bytes (RVA data) or an embedded resource read in place.</summary>
    internal sealed record WeightsSpec(WeightStorage Storage, long ByteCount, string Sha256, string ResourceName, EquatableArray<byte> InlineData);
}
