// Checks a plan before anything is generated from it: known kernels and facts, well-typed arguments,
// every operand inside its region and at least as long as its kernel touches, and the catalog's
// overlap rules (what a kernel writes lies in the workspace or an output, apart from the step's other
// operands unless the kernel declares it may share them). Generated code is unsafe (pointers), so this
// check is what keeps it from reading or writing out of bounds, or reading what it already overwrote.
using System.Collections.Generic;
using System.Globalization;

namespace QuantGen.Plan
{
    public static class PlanValidator
    {
        /// <summary>Throws <see cref="PlanFormatException"/> describing the first defect.</summary>
        public static void Validate(ModelPlan plan)
        {
            if (plan.WorkspaceBytes < 0) throw Fail("the workspace size is negative");
            if (plan.Weights.ByteCount < 0) throw Fail("the weight size is negative");
            if (plan.Outputs.Count == 0) throw Fail("the model has no outputs");
            var names = new HashSet<string>();
            foreach (var t in Concat(plan.Inputs, plan.Outputs))
            {
                if (t.Name.Length == 0) throw Fail("an input or output has no name");
                if (!names.Add(t.Name)) throw Fail($"two inputs or outputs are named '{t.Name}'");
                for (int i = 0; i < t.Shape.Length; i++)
                {
                    bool batchAxis = i == 0 && plan.Info.IsBatched;
                    if (batchAxis ? t.Shape[i] != -1 : t.Shape[i] < 0)
                        throw Fail($"'{t.Name}' has an invalid shape (only a batched plan has -1, and only on axis 0)");
                }
            }

            for (int s = 0; s < plan.Steps.Count; s++)
            {
                var step = plan.Steps[s];
                string where = string.Format(CultureInfo.InvariantCulture, "step {0} ({1}, {2})", s, step.Kernel, step.Source);
                var kernel = KernelCatalog.Find(step.Kernel) ?? throw Fail($"{where}: unknown kernel '{step.Kernel}'");
                if (step.Arguments.Count != kernel.Parameters.Length)
                    throw Fail($"{where}: {step.Arguments.Count} arguments, the kernel takes {kernel.Parameters.Length}");
                PlanElementType? genericType = null;
                for (int i = 0; i < kernel.Parameters.Length; i++)
                {
                    var p = kernel.Parameters[i];
                    var a = step.Arguments[i];
                    if (a.Name != p.Name) throw Fail($"{where}: argument {i} is '{a.Name}', expected '{p.Name}'");
                    CheckKind(where, p, a.Value);
                    if (a.Value.Operand is { } op)
                    {
                        if (p.ElementType is { } required && op.ElementType != required)
                            throw Fail($"{where}: '{p.Name}' is {PlanElementTypes.Name(op.ElementType)}, the kernel needs {PlanElementTypes.Name(required)}");
                        if (p.ElementType == null)
                        {
                            if (genericType != null && genericType != op.ElementType)
                                throw Fail($"{where}: '{p.Name}' is {PlanElementTypes.Name(op.ElementType)}, other operands are {PlanElementTypes.Name(genericType.Value)}");
                            genericType = op.ElementType;
                        }
                        CheckBounds(plan, where, p.Name, op);
                    }
                }
                if (kernel.CheckExtents(new StepArguments(step)) is { } problem) throw Fail($"{where}: {problem}");
                CheckOverlaps(where, kernel, step);
            }
        }

        /// <summary>Each written operand: in the workspace or an output, and clear of the step's other operands but those its parameter allows.</summary>
        private static void CheckOverlaps(string where, KernelSignature kernel, PlanStep step)
        {
            for (int i = 0; i < kernel.Parameters.Length; i++)
            {
                var p = kernel.Parameters[i];
                if (!p.IsWritten || !(step.Arguments[i].Value.Operand is { } written)) continue;
                if (written.Region == PlanRegion.Weights || written.Region == PlanRegion.Input)
                    throw Fail($"{where}: '{p.Name}' is written but lies in the {(written.Region == PlanRegion.Weights ? "weights" : "caller's input")}; kernels write only the workspace and the outputs");
                for (int j = 0; j < kernel.Parameters.Length; j++)
                {
                    var q = kernel.Parameters[j];
                    if (j == i || !(step.Arguments[j].Value.Operand is { } other) || !Overlap(written, other)) continue;
                    bool named = System.Array.IndexOf(p.OverlapWith, q.Name) >= 0;
                    bool allowed = named && (p.Overlap == KernelOverlap.Any
                        || (p.Overlap == KernelOverlap.InPlace && other.ByteOffset == written.ByteOffset && other.ByteLength >= written.ByteLength));
                    if (!allowed)
                        throw Fail($"{where}: '{p.Name}' ({written}) overlaps '{q.Name}' ({other}); " + (p.Overlap == KernelOverlap.InPlace && named
                            ? $"the kernel writes '{p.Name}' in place of '{q.Name}' only when both start at the same byte and '{q.Name}' is at least as long"
                            : $"the kernel writes '{p.Name}' while it still reads the step's other operands, so they must not share memory"));
                }
            }
        }

        /// <summary>Whether two operands share at least one byte.</summary>
        private static bool Overlap(PlanOperand a, PlanOperand b) =>
            a.Region == b.Region && a.Index == b.Index && a.ByteLength > 0 && b.ByteLength > 0 && a.ByteOffset < b.End && b.ByteOffset < a.End;

        private static void CheckKind(string where, KernelParameter p, PlanValue v)
        {
            bool ok = p.Kind switch
            {
                KernelParameterKind.Tensor => v.Kind == PlanValueKind.Operand || (v.Kind == PlanValueKind.Null && p.Optional),
                KernelParameterKind.Int => v.Kind == PlanValueKind.Int,
                KernelParameterKind.Float => v.Kind == PlanValueKind.Float,
                KernelParameterKind.Ints => v.Kind == PlanValueKind.Ints,
                KernelParameterKind.Floats => v.Kind == PlanValueKind.Floats,
                KernelParameterKind.Symbol => v.Kind == PlanValueKind.Symbol && IsIdentifier(v.Symbol),
                _ => false,
            };
            if (!ok) throw Fail($"{where}: '{p.Name}' has the wrong kind of value ({v})");
        }

        private static void CheckBounds(ModelPlan plan, string where, string name, PlanOperand op)
        {
            if (op.ByteOffset < 0 || op.ElementCount < 0) throw Fail($"{where}: '{name}' has a negative offset or length");
            long limit;
            switch (op.Region)
            {
                case PlanRegion.Workspace: limit = plan.WorkspaceBytes; break;
                case PlanRegion.Weights: limit = plan.Weights.ByteCount; break;
                case PlanRegion.Input:
                case PlanRegion.Output:
                    var list = op.Region == PlanRegion.Input ? plan.Inputs : plan.Outputs;
                    if (op.Index < 0 || op.Index >= list.Count) throw Fail($"{where}: '{name}' names {op.Region.ToString().ToLowerInvariant()} {op.Index}, which does not exist");
                    var t = list[op.Index];
                    if (t.ElementType != op.ElementType) throw Fail($"{where}: '{name}' reads '{t.Name}' as {PlanElementTypes.Name(op.ElementType)}");
                    limit = t.SampleLength * PlanElementTypes.SizeOf(t.ElementType);
                    break;
                default: throw Fail($"{where}: '{name}' has an unknown region");
            }
            if (op.End > limit) throw Fail($"{where}: '{name}' ({op}) ends at byte {op.End}, past its region's {limit} bytes");
        }

        private static bool IsIdentifier(string s)
        {
            if (s.Length == 0 || !(char.IsLetter(s[0]) || s[0] == '_')) return false;
            foreach (char c in s) if (!(char.IsLetterOrDigit(c) || c == '_')) return false;
            return true;
        }

        private static IEnumerable<PlanTensor> Concat(List<PlanTensor> a, List<PlanTensor> b)
        {
            foreach (var t in a) yield return t;
            foreach (var t in b) yield return t;
        }

        private static PlanFormatException Fail(string message) => new PlanFormatException(0, message);
    }
}
