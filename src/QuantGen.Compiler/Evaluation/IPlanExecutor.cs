// The port through which the INT8 stage runs plans on the kernels the generated code calls (QuantGen.Engine plugs in).
using System;
using System.Collections.Generic;
using QuantGen.Plan;

namespace QuantGen.Compiler.Evaluation
{
    /// <summary>
    /// Runs plans in the build process on the project's own kernels: the INT8 stage's fast engine for calibration and
    /// the accuracy budget. The build task provides one on .NET 8 and newer (QuantGen.Engine compiles the kernel sources
    /// in); the compiler itself targets netstandard2.0 and cannot, so without one the stage runs on the reference evaluator.
    /// </summary>
    public interface IPlanExecutor
    {
        /// <summary>
        /// Binds every step of <paramref name="plan"/> to its kernel. <paramref name="weights"/> are blobs laid out like the
        /// plan's weights (the same offsets, other values); a run chooses one per step. Throws
        /// <see cref="NotSupportedException"/> for a step it cannot bind.
        /// </summary>
        IPlanProgram Load(ModelPlan plan, IReadOnlyList<byte[]> weights);
    }

    /// <summary>A bound plan: thread-safe; each thread runs it through a worker of its own.</summary>
    public interface IPlanProgram : IDisposable
    {
        /// <summary>A workspace, input and output memory for one thread.</summary>
        IPlanWorker CreateWorker();
    }

    /// <summary>One thread's memory for a bound plan. Not thread-safe.</summary>
    public interface IPlanWorker : IDisposable
    {
        /// <summary>
        /// Runs steps [<paramref name="first"/>, <paramref name="end"/>) in order: the caller runs a plan in segments and
        /// reads or changes its memory between them. Each step reads its weight operands from blob
        /// <paramref name="blobOfStep"/>[step] (null: blob 0).
        /// </summary>
        void Run(int first, int end, IReadOnlyList<int>? blobOfStep = null);

        /// <summary>The memory of <paramref name="operand"/> in this worker (workspace, input or output; not the weights).</summary>
        Span<T> Data<T>(PlanOperand operand) where T : unmanaged;

        /// <summary>Public input <paramref name="index"/>, to fill before a run.</summary>
        Span<T> Input<T>(int index) where T : unmanaged;

        /// <summary>Public output <paramref name="index"/>, as the last run left it.</summary>
        Span<T> Output<T>(int index) where T : unmanaged;
    }
}
