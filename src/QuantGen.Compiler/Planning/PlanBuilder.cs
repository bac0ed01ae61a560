// Writes a lowered, memory-planned program as a plan: operands become region@offset, constants are
// laid out in one 64-byte-aligned weight blob, and the result is validated before it leaves.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using QuantGen.Ir;
using QuantGen.Plan;
using QuantGen.Compiler.Lowering;
using Buffer = QuantGen.Compiler.Lowering.Buffer;

namespace QuantGen.Compiler.Planning
{
    public static class PlanBuilder
    {
        public static (ModelPlan Plan, byte[] Weights) Build(Graph graph, LoweredProgram program, long workspaceBytes, string precision, string resourceName, long inlineLimit)
        {
            var weights = LayOutConstants(program);
            var plan = new ModelPlan
            {
                WorkspaceBytes = workspaceBytes,
                Info = new PlanModelInfo
                {
                    Source = Path.GetFileName(graph.Info.SourcePath),
                    Sha256 = graph.Info.Sha256,
                    Opset = graph.Info.Opset,
                    Producer = (graph.Info.ProducerName + " " + graph.Info.ProducerVersion).Trim(),
                    Precision = precision,
                    IsBatched = graph.Inputs.Any(v => v.IsBatched),
                },
            };
            foreach (var v in graph.Inputs) plan.Inputs.Add(PublicTensor(v));
            foreach (var v in graph.Outputs) plan.Outputs.Add(PublicTensor(v));
            bool inline = weights.Length <= inlineLimit;
            plan.Weights = new PlanWeights
            {
                Storage = inline ? WeightStorage.Inline : WeightStorage.Resource,
                ByteCount = weights.Length,
                Sha256 = Sha256Hex(weights),
                ResourceName = inline ? "" : resourceName,
                InlineData = inline ? weights : Array.Empty<byte>(),
            };
            foreach (var call in program.Calls)
            {
                call.Validate();
                var step = new PlanStep(call.Kernel, call.Source);
                foreach (var arg in call.Arguments) step.Add(arg.Key, ToPlanValue(arg.Value));
                plan.Steps.Add(step);
            }
            PlanValidator.Validate(plan);
            return (plan, weights);
        }

        private static PlanTensor PublicTensor(Value v)
        {
            var shape = (int[])v.Shape!.Clone();
            if (v.IsBatched) shape[0] = -1;
            return new PlanTensor(v.Name, ElementType(v.Type), shape);
        }

        /// <summary>Places each distinct constant once, in first-use order, 64-byte aligned.</summary>
        private static byte[] LayOutConstants(LoweredProgram program)
        {
            var ordered = new List<Buffer>();
            var seen = new HashSet<Buffer>();
            foreach (var call in program.Calls)
                foreach (var arg in call.Arguments)
                    if (arg.Value is Buffer b && b.Root.Kind == BufferKind.Constant && b.Root.Offset < 0 && seen.Add(b.Root))
                        ordered.Add(b.Root);
            long size = 0;
            foreach (var b in ordered)
            {
                b.Offset = size;
                size = MemoryPlanner.AlignUp(size + b.Bytes);
            }
            var blob = new byte[size];
            foreach (var b in ordered)
            {
                var bytes = b.Data!.ToBytes();
                System.Buffer.BlockCopy(bytes, 0, blob, (int)b.Offset, bytes.Length);
            }
            return blob;
        }

        private static PlanValue ToPlanValue(object? value) => value switch
        {
            null => PlanValue.Null,
            Lowering.Buffer b => PlanValue.Of(Operand(b)),
            long l => PlanValue.Of(l),
            float f => PlanValue.Of(f),
            long[] ls => PlanValue.Of(ls),
            float[] fs => PlanValue.Of(fs),
            Symbol s => PlanValue.OfSymbol(s.Name),
            _ => throw new InvalidOperationException($"Unexpected kernel argument {value.GetType().Name}."),
        };

        /// <summary>Where <paramref name="b"/> lives once planned: region, byte offset, count and type.</summary>
        internal static PlanOperand Operand(Lowering.Buffer b)
        {
            var root = b.Root;
            var type = ElementType(b.Type);
            long offset = b.ByteOffsetInRoot;
            return root.Kind switch
            {
                BufferKind.Input => PlanOperand.Input(root.Index, offset, b.Elements, type),
                BufferKind.Output => PlanOperand.Output(root.Index, offset, b.Elements, type),
                BufferKind.Constant => PlanOperand.Weights(root.Offset + offset, b.Elements, type),
                _ => PlanOperand.Workspace(root.Offset + offset, b.Elements, type),
            };
        }

        public static PlanElementType ElementType(DataType type) => PlanTypes.Of(type);

        public static string Sha256Hex(byte[] bytes)
        {
            using var sha = SHA256.Create();
            return string.Concat(sha.ComputeHash(bytes).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        }
    }
}
