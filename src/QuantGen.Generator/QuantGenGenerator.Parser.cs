// Plan file → ModelSpec: reads and validates the plan with the same PlanText/PlanValidator the build
// task writes it with, chooses the C# names, and checks what the emitted code needs (int ranges).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using QuantGen.Generator.Model;
using QuantGen.Plan;

namespace QuantGen.Generator
{
    public sealed partial class QuantGenGenerator
    {
        internal static class Parser
        {
            /// <summary>Largest workspace: the array holds it plus 64 bytes of alignment slack and must stay under Array.MaxLength.</summary>
            private const int MaxWorkspaceBytes = int.MaxValue - 1024;

            /// <summary>The file's path, text and metadata when it is a plan (<c>QuantGenPlan=true</c>), else null.</summary>
            public static PlanInput? ReadPlanInput(AdditionalText file, AnalyzerConfigOptions options, CancellationToken cancellationToken)
            {
                if (!options.TryGetValue(PlanMetadata, out string? isPlan) || !string.Equals(isPlan?.Trim(), "true", StringComparison.OrdinalIgnoreCase))
                    return null;
                string? text = file.GetText(cancellationToken)?.ToString();
                return new PlanInput(file.Path, text, Metadata(options, ClassNameMetadata), Metadata(options, NamespaceMetadata), Metadata(options, ParallelismMetadata));
            }

            private static string? Metadata(AnalyzerConfigOptions options, string key) =>
                options.TryGetValue(key, out string? value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

            public static ParseResult Parse(PlanInput input, CancellationToken cancellationToken)
            {
                var diagnostics = new List<DiagnosticInfo>();
                if (input.ClassName is null)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingMetadata, input.Path, 0, input.Path, "QuantGenClassName"));
                else if (!IsTypeName(input.ClassName))
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidName, input.Path, 0, input.Path, "class name", input.ClassName, "is not a valid C# identifier"));
                else if (Array.IndexOf(GeneratedMembers.All, input.ClassName) >= 0)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidName, input.Path, 0, input.Path, "class name", input.ClassName, "is the name of a member of the generated class"));
                if (input.Namespace is null)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingMetadata, input.Path, 0, input.Path, "QuantGenNamespace"));
                else if (!IsNamespace(input.Namespace))
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidName, input.Path, 0, input.Path, "namespace", input.Namespace, "is not a valid C# namespace"));

                int parallelism = 1;
                if (input.Parallelism is not null
                    && (!int.TryParse(input.Parallelism, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out parallelism) || parallelism < 1 || parallelism > 64))
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidParallelism, input.Path, 0, input.Path, input.Parallelism));

                ModelSpec? model = null;
                try
                {
                    if (input.Text is null) throw new PlanFormatException(0, "the file could not be read");
                    cancellationToken.ThrowIfCancellationRequested();
                    ModelPlan plan = PlanText.Read(input.Text);
                    cancellationToken.ThrowIfCancellationRequested();
                    if (diagnostics.Count == 0) model = CreateSpec(input.Path, input.ClassName!, input.Namespace!, plan) with { Parallelism = parallelism };
                }
                catch (PlanVersionException e)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StalePlan, input.Path, e.Line, input.Path, e.Message));
                }
                catch (PlanFormatException e)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidPlan, input.Path, e.Line, input.Path, e.Message));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The reader validates, but arithmetic on hostile numbers (overflow, a zero group) can still throw.
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidPlan, input.Path, 0, input.Path, e.GetType().Name + ": " + e.Message));
                }
                return new ParseResult(model, new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()));
            }

            private static ModelSpec CreateSpec(string path, string className, string ns, ModelPlan plan)
            {
                if (plan.WorkspaceBytes > MaxWorkspaceBytes)
                    throw Fail($"the workspace ({plan.WorkspaceBytes} bytes) is larger than one array can hold");

                // Members first: Run's parameters must then avoid every member name, or they would hide the members Run uses.
                var names = new NameScope(className);
                var inputMembers = new string[plan.Inputs.Count];
                for (int i = 0; i < inputMembers.Length; i++) inputMembers[i] = names.Member(plan.Inputs[i].Name, "Input", i);
                var outputMembers = new string[plan.Outputs.Count];
                for (int i = 0; i < outputMembers.Length; i++) outputMembers[i] = names.Member(plan.Outputs[i].Name, "Output", i);
                var inputs = new TensorSpec[plan.Inputs.Count];
                for (int i = 0; i < inputs.Length; i++) inputs[i] = CreateTensor(plan.Inputs[i], true, i, inputMembers[i], names);
                var outputs = new TensorSpec[plan.Outputs.Count];
                for (int i = 0; i < outputs.Length; i++) outputs[i] = CreateTensor(plan.Outputs[i], false, i, outputMembers[i], names);
                if (plan.Info.IsBatched)
                {
                    TensorSpec first = inputs.Length > 0 ? inputs[0] : outputs[0];
                    if (first.SampleLength == 0)
                        throw Fail($"'{first.OnnxName}' has no elements per sample, so the batch size cannot be derived from its length");
                }

                var steps = new StepSpec[plan.Steps.Count];
                for (int s = 0; s < steps.Length; s++) steps[s] = CreateStep(plan.Steps[s], s);

                var w = plan.Weights;
                var weights = new WeightsSpec(w.Storage, w.ByteCount, w.Sha256, w.Storage == WeightStorage.Resource ? w.ResourceName : "",
                    w.Storage == WeightStorage.Inline ? new EquatableArray<byte>(w.InlineData) : EquatableArray<byte>.Empty);

                var facts = new List<FactSpec>();
                foreach (PlanFactValue fact in plan.Facts) facts.Add(new FactSpec(fact.Fact.Key, fact.Fact.Name, fact.Fact.Type, fact.Fact.Description, fact.Text));

                var info = plan.Info;
                return new ModelSpec(path, className, ns,
                    new ModelInfoSpec(info.Source, info.Sha256, info.Opset, info.Producer, info.Precision, info.IsBatched),
                    new EquatableArray<TensorSpec>(inputs), new EquatableArray<TensorSpec>(outputs),
                    (int)plan.WorkspaceBytes, weights, new EquatableArray<StepSpec>(steps), new EquatableArray<FactSpec>(facts.ToArray()));
            }

            private static TensorSpec CreateTensor(PlanTensor tensor, bool isInput, int index, string member, NameScope names)
            {
                long sampleLength = tensor.SampleLength;
                if (sampleLength > int.MaxValue)
                    throw Fail($"'{tensor.Name}' has {sampleLength} elements per sample, more than a span can hold");
                return new TensorSpec(
                    tensor.Name, isInput, index,
                    names.Parameter(tensor.Name),
                    member,
                    PlanElementTypes.CSharpName(tensor.ElementType),
                    new EquatableArray<int>((int[])tensor.Shape.Clone()),
                    (int)sampleLength);
            }

            private static StepSpec CreateStep(PlanStep step, int number)
            {
                // The plan is validated: the kernel exists and the arguments match its parameters in order and kind.
                KernelSignature kernel = KernelCatalog.Find(step.Kernel)!;
                if (!KernelSources.Declares(Emitter.TypeOf(kernel.Method)))
                    throw Fail($"step {number} ({step.Kernel}, {step.Source}) calls {kernel.Method}, which the kernel sources this generator carries do not declare");
                string? typeArgument = null;
                var arguments = new ArgumentSpec[kernel.Parameters.Length];
                for (int i = 0; i < arguments.Length; i++)
                {
                    KernelParameter parameter = kernel.Parameters[i];
                    PlanValue value = step.Arguments[i].Value;
                    string where = string.Format(CultureInfo.InvariantCulture, "step {0} ({1}, {2}): '{3}'", number, step.Kernel, step.Source, parameter.Name);
                    arguments[i] = CreateArgument(parameter, value, where);
                    // T is the element type of the first tensor the kernel does not fix (as PlanValidator checks it).
                    if (kernel.IsGeneric && typeArgument is null && parameter.ElementType is null && value.Operand is { } operand)
                        typeArgument = PlanElementTypes.CSharpName(operand.ElementType);
                }
                if (kernel.IsGeneric && typeArgument is null)
                    throw Fail($"step {number} ({step.Kernel}, {step.Source}) calls a generic kernel without any tensor to take the element type from");
                return new StepSpec(step.Source, kernel.Method, typeArgument, new EquatableArray<ArgumentSpec>(arguments));
            }

            private static ArgumentSpec CreateArgument(KernelParameter parameter, PlanValue value, string where)
            {
                string name = parameter.Name;
                switch (value.Kind)
                {
                    case PlanValueKind.Null:
                        return ArgumentSpec.Simple(name, ArgumentKind.Null);
                    case PlanValueKind.Int:
                        return ArgumentSpec.Simple(name, ArgumentKind.Int, ToInt(value.Int, where));
                    case PlanValueKind.Float:
                        return ArgumentSpec.Simple(name, ArgumentKind.Float, FloatBits(value.Float));
                    case PlanValueKind.Ints:
                        var ints = new long[value.Ints.Length];
                        for (int i = 0; i < ints.Length; i++) ints[i] = ToInt(value.Ints[i], where);
                        return new ArgumentSpec(name, ArgumentKind.Ints, 0, 0, new EquatableArray<long>(ints), "", "");
                    case PlanValueKind.Floats:
                        var bits = new long[value.Floats.Length];
                        for (int i = 0; i < bits.Length; i++) bits[i] = FloatBits(value.Floats[i]);
                        return new ArgumentSpec(name, ArgumentKind.Floats, 0, 0, new EquatableArray<long>(bits), "", "");
                    case PlanValueKind.Symbol:
                        if (!KernelSources.HasEnumMember(parameter.SymbolType!, value.Symbol))
                            throw Fail($"{where} is '{value.Symbol}', which is not a member of the kernels' {parameter.SymbolType} enum (the plan was written by another QuantGen version?)");
                        return new ArgumentSpec(name, ArgumentKind.Symbol, 0, 0, EquatableArray<long>.Empty, parameter.SymbolType + "." + value.Symbol, "");
                    default:
                        PlanOperand operand = value.Operand!;
                        ArgumentKind kind = operand.Region switch
                        {
                            PlanRegion.Workspace => ArgumentKind.Workspace,
                            PlanRegion.Weights => ArgumentKind.Weights,
                            PlanRegion.Input => ArgumentKind.Input,
                            _ => ArgumentKind.Output,
                        };
                        return new ArgumentSpec(name, kind, operand.ByteOffset, operand.Index, EquatableArray<long>.Empty, "", PlanElementTypes.CSharpName(operand.ElementType));
                }
            }

            private static int ToInt(long value, string where) =>
                value >= int.MinValue && value <= int.MaxValue ? (int)value : throw Fail($"{where} is {value}, which does not fit in the kernel's int parameter");

            internal static long FloatBits(float value) => BitConverter.ToInt32(BitConverter.GetBytes(value), 0);

            internal static float FromBits(long bits) => BitConverter.ToSingle(BitConverter.GetBytes((int)bits), 0);

            private static PlanFormatException Fail(string message) => new PlanFormatException(0, message);

            private static bool IsTypeName(string name) =>
                SyntaxFacts.IsValidIdentifier(name) && SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None;

            private static bool IsNamespace(string name)
            {
                foreach (string part in name.Split('.'))
                {
                    if (!IsTypeName(part)) return false;
                }
                return true;
            }

            /// <summary>
            /// Chooses the C# names of inputs and outputs deterministically (plan order): members get a PascalCase
            /// prefix ("input.1" → Input1Length) clear of the class name and <see cref="GeneratedMembers"/>; then Run's
            /// parameters keep the ONNX name as far as C# allows ("input.1" → input_1, "class" → @class, "0" → _0), clear
            /// of Run's locals and of every member name (a parameter would hide the member Run uses). Clashes get "_2", "_3", ….
            /// </summary>
            private sealed class NameScope
            {
                private readonly HashSet<string> _parameters = new HashSet<string>(GeneratedMembers.RunLocals, StringComparer.Ordinal);
                private readonly HashSet<string> _members = new HashSet<string>(StringComparer.Ordinal);
                private readonly HashSet<string> _reservedMembers = new HashSet<string>(GeneratedMembers.All, StringComparer.Ordinal);

                public NameScope(string className)
                {
                    _reservedMembers.Add(className);
                    _parameters.UnionWith(_reservedMembers);
                }

                public string Parameter(string onnxName)
                {
                    var sb = new System.Text.StringBuilder(onnxName.Length + 1);
                    foreach (char c in onnxName) sb.Append(SyntaxFacts.IsIdentifierPartCharacter(c) && !char.IsControl(c) ? c : '_');
                    if (sb.Length == 0 || !SyntaxFacts.IsIdentifierStartCharacter(sb[0])) sb.Insert(0, '_');
                    string candidate = sb.ToString();
                    if (IsPointerName(candidate)) candidate += "_";
                    string unique = Unique(candidate, _parameters);
                    return SyntaxFacts.GetKeywordKind(unique) != SyntaxKind.None ? "@" + unique : unique;
                }

                public string Member(string onnxName, string role, int index)
                {
                    var sb = new System.Text.StringBuilder(onnxName.Length);
                    bool upper = true;
                    foreach (char c in onnxName)
                    {
                        if (char.IsLetterOrDigit(c) && SyntaxFacts.IsIdentifierPartCharacter(c))
                        {
                            sb.Append(upper ? char.ToUpperInvariant(c) : c);
                            upper = false;
                        }
                        else upper = true;
                    }
                    // "0" → Output0, "" → Input2: a role prefix where the name cannot start an identifier.
                    string candidate = sb.Length == 0 ? role + index.ToString(CultureInfo.InvariantCulture)
                        : !SyntaxFacts.IsIdentifierStartCharacter(sb[0]) ? role + sb : sb.ToString();
                    while (true)
                    {
                        while (_reservedMembers.Contains(candidate + GeneratedMembers.LengthSuffix) || _reservedMembers.Contains(candidate + GeneratedMembers.ShapeSuffix)) candidate += "_";
                        string member = Unique(candidate, _members);
                        if (_reservedMembers.Contains(member + GeneratedMembers.LengthSuffix) || _reservedMembers.Contains(member + GeneratedMembers.ShapeSuffix))
                        {
                            _members.Remove(member);
                            candidate = member + "_";
                            continue;
                        }
                        _parameters.Add(member + GeneratedMembers.LengthSuffix);
                        _parameters.Add(member + GeneratedMembers.ShapeSuffix);
                        return member;
                    }
                }

                private static bool IsPointerName(string name)
                {
                    string digits = name.StartsWith("in", StringComparison.Ordinal) ? name.Substring(2) : name.StartsWith("out", StringComparison.Ordinal) ? name.Substring(3) : "";
                    if (digits.Length == 0) return false;
                    foreach (char c in digits) if (c < '0' || c > '9') return false;
                    return true;
                }

                private static string Unique(string candidate, HashSet<string> taken)
                {
                    string name = candidate;
                    for (int n = 2; !taken.Add(name); n++) name = candidate + "_" + n.ToString(CultureInfo.InvariantCulture);
                    return name;
                }
            }
        }
    }
}
