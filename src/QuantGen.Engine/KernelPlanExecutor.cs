// Runs a plan's steps in this process by calling the compiled-in kernels, as the generated class does.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using QuantGen.Compiler.Evaluation;
using QuantGen.Plan;

namespace QuantGen.Engine
{
    /// <summary>
    /// The plan interpreter: each step becomes one call of its kernel with the step's arguments, over a workspace, input
    /// and output memory of the worker's own and the weight blob the caller chooses per step. The generated class makes
    /// the same calls with the same arguments (as literals), so the two compute the same bits.
    /// </summary>
    public sealed class KernelPlanExecutor : IPlanExecutor
    {
        public IPlanProgram Load(ModelPlan plan, IReadOnlyList<byte[]> weights)
        {
            if (weights.Count == 0) throw new ArgumentException("at least one weight blob is needed", nameof(weights));
            foreach (var blob in weights)
                if (blob.LongLength != plan.Weights.ByteCount)
                    throw new ArgumentException($"a weight blob of {blob.LongLength} bytes for a plan of {plan.Weights.ByteCount}", nameof(weights));
            return new BoundPlan(plan, weights);
        }
    }

    internal sealed unsafe class BoundPlan : IPlanProgram
    {
        private readonly GCHandle[] _pins;

        public BoundPlan(ModelPlan plan, IReadOnlyList<byte[]> weights)
        {
            Plan = plan;
            Steps = new BoundStep[plan.Steps.Count];
            for (int i = 0; i < Steps.Length; i++) Steps[i] = BoundStep.Bind(plan.Steps[i]);
            _pins = new GCHandle[weights.Count];
            Blobs = new byte*[weights.Count];
            for (int i = 0; i < weights.Count; i++)
            {
                _pins[i] = GCHandle.Alloc(weights[i], GCHandleType.Pinned);
                Blobs[i] = (byte*)_pins[i].AddrOfPinnedObject();
            }
        }

        public ModelPlan Plan { get; }

        public BoundStep[] Steps { get; }

        public byte*[] Blobs { get; }

        public IPlanWorker CreateWorker() => new PlanWorker(this);

        public void Dispose()
        {
            foreach (var pin in _pins) if (pin.IsAllocated) pin.Free();
        }
    }

    /// <summary>A step's kernel and its arguments: operands to resolve per run, the rest fixed.</summary>
    internal sealed class BoundStep
    {
        private BoundStep(Action<StepFrame> call, PlanOperand?[] operands, StepFrame frame)
        {
            Call = call;
            Operands = operands;
            Frame = frame;
        }

        public Action<StepFrame> Call { get; }

        /// <summary>One per tensor parameter, in the kernel's order; null for an absent optional operand.</summary>
        public PlanOperand?[] Operands { get; }

        public StepFrame Frame { get; }

        public static BoundStep Bind(PlanStep step)
        {
            var signature = KernelCatalog.Find(step.Kernel) ?? throw new NotSupportedException($"kernel {step.Kernel} is not in the catalog");
            var operands = new List<PlanOperand?>();
            var ints = new List<int>();
            var floats = new List<float>();
            var intLists = new List<int[]>();
            var floatLists = new List<float[]>();
            PlanElementType? generic = null;
            foreach (var p in signature.Parameters)
            {
                var value = step.Find(p.Name)?.Value ?? throw new NotSupportedException($"{step.Kernel} ({step.Source}): no argument '{p.Name}'");
                switch (p.Kind)
                {
                    case KernelParameterKind.Tensor:
                        operands.Add(value.Operand);
                        if (p.ElementType == null && value.Operand != null) generic ??= value.Operand.ElementType;
                        break;
                    case KernelParameterKind.Int:
                        ints.Add(checked((int)value.Int));
                        break;
                    case KernelParameterKind.Symbol:
                        var type = typeof(BoundStep).Assembly.GetType("QuantGen.Kernels." + p.SymbolType)
                            ?? throw new NotSupportedException($"{step.Kernel}: no kernel enum {p.SymbolType}");
                        ints.Add((int)Enum.Parse(type, value.Symbol));
                        break;
                    case KernelParameterKind.Float:
                        floats.Add(value.Float);
                        break;
                    case KernelParameterKind.Ints:
                        intLists.Add(Array.ConvertAll(value.Ints, v => checked((int)v)));
                        break;
                    case KernelParameterKind.Floats:
                        floatLists.Add(value.Floats);
                        break;
                }
            }
            var call = KernelBinding.Bind(signature, signature.IsGeneric ? generic : null);
            return new BoundStep(call, operands.ToArray(), new StepFrame(operands.Count, ints.ToArray(), floats.ToArray(), intLists.ToArray(), floatLists.ToArray()));
        }
    }

    /// <summary>One thread's workspace, inputs and outputs (64-byte aligned, zeroed once, as a generated instance's).</summary>
    internal sealed unsafe class PlanWorker : IPlanWorker
    {
        private readonly BoundPlan _program;
        private readonly StepFrame[] _frames;
        private readonly byte* _workspace;
        private readonly byte*[] _inputs, _outputs;
        private readonly long[] _inputBytes, _outputBytes;
        private bool _disposed;

        public PlanWorker(BoundPlan program)
        {
            _program = program;
            _frames = Array.ConvertAll(program.Steps, s => s.Frame.Clone());
            var plan = program.Plan;
            _workspace = Allocate(plan.WorkspaceBytes);
            (_inputs, _inputBytes) = AllocateAll(plan.Inputs);
            (_outputs, _outputBytes) = AllocateAll(plan.Outputs);
        }

        public void Run(int first, int end, IReadOnlyList<int>? blobOfStep = null)
        {
            if (_disposed) throw new ObjectDisposedException(nameof(PlanWorker));
            var steps = _program.Steps;
            if (first < 0 || end > steps.Length || first > end) throw new ArgumentOutOfRangeException(nameof(first));
            for (int s = first; s < end; s++)
            {
                var step = steps[s];
                var frame = _frames[s];
                byte* weights = _program.Blobs[blobOfStep == null ? 0 : blobOfStep[s]];
                for (int k = 0; k < step.Operands.Length; k++)
                    frame.Pointers[k] = step.Operands[k] is { } o ? (nint)(Base(o, weights) + o.ByteOffset) : 0;
                step.Call(frame);
            }
        }

        public Span<T> Data<T>(PlanOperand operand) where T : unmanaged
        {
            if (operand.Region == PlanRegion.Weights) throw new ArgumentException("weights are not a worker's memory", nameof(operand));
            if (operand.ByteLength % sizeof(T) != 0) throw new ArgumentException($"{operand} is not a whole number of {typeof(T).Name}", nameof(operand));
            return new Span<T>(Base(operand, null) + operand.ByteOffset, checked((int)(operand.ByteLength / sizeof(T))));
        }

        public Span<T> Input<T>(int index) where T : unmanaged => new Span<T>(_inputs[index], checked((int)(_inputBytes[index] / sizeof(T))));

        public Span<T> Output<T>(int index) where T : unmanaged => new Span<T>(_outputs[index], checked((int)(_outputBytes[index] / sizeof(T))));

        private byte* Base(PlanOperand o, byte* weights) => o.Region switch
        {
            PlanRegion.Workspace => _workspace,
            PlanRegion.Input => _inputs[o.Index],
            PlanRegion.Output => _outputs[o.Index],
            _ => weights,
        };

        private static (byte*[] Pointers, long[] Bytes) AllocateAll(List<PlanTensor> tensors)
        {
            var pointers = new byte*[tensors.Count];
            var bytes = new long[tensors.Count];
            for (int i = 0; i < tensors.Count; i++)
            {
                bytes[i] = tensors[i].SampleLength * PlanElementTypes.SizeOf(tensors[i].ElementType);
                pointers[i] = Allocate(bytes[i]);
            }
            return (pointers, bytes);
        }

        private static byte* Allocate(long bytes)
        {
            var p = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), 64);
            NativeMemory.Clear(p, (nuint)Math.Max(bytes, 1));
            return p;
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            NativeMemory.AlignedFree(_workspace);
            foreach (var p in _inputs) NativeMemory.AlignedFree(p);
            foreach (var p in _outputs) NativeMemory.AlignedFree(p);
        }
    }
}
