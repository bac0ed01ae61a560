// The members a generated model class declares besides the per-tensor ones: the emitter writes them through these
// names, and the parser keeps the class name, the tensor members and Run's parameters clear of them.
namespace QuantGen.Generator
{
    internal static class GeneratedMembers
    {
        public const string Run = "Run";
        public const string RunSample = "RunSample";
        public const string WorkspaceBytes = "WorkspaceBytes";
        public const string WeightBytes = "WeightBytes";
        public const string WeightsSha256 = "WeightsSha256";
        public const string ModelSha256 = "ModelSha256";
        public const string Opset = "Opset";
        public const string Producer = "Producer";
        public const string Precision = "Precision";
        public const string SourceFile = "SourceFile";
        public const string Parallelism = "Parallelism";
        public const string Facts = "Facts";
        public const string InlineWeights = "InlineWeights";
        public const string LoadWeights = "LoadWeights";
        public const string Workspace = "_workspace";
        public const string WorkspacePointer = "_ws";
        public const string Weights = "_weights";
        public const string WeightsLock = "s_weightsLock";
        public const string SharedWeights = "s_weights";
        public const string WeightsCopy = "s_weightsCopy";

        /// <summary>Per input and output: <c>{Member}Length</c> and <c>{Member}Shape</c>.</summary>
        public const string LengthSuffix = "Length";
        public const string ShapeSuffix = "Shape";

        /// <summary>Every name above that a class declares (some only for some models: the weights' members, Facts).</summary>
        public static readonly string[] All =
        {
            Run, RunSample, WorkspaceBytes, WeightBytes, WeightsSha256, ModelSha256, Opset, Producer, Precision, SourceFile, Parallelism, Facts,
            InlineWeights, LoadWeights, Workspace, WorkspacePointer, Weights, WeightsLock, SharedWeights, WeightsCopy,
        };

        /// <summary>Locals of the generated Run, and nameof, which it calls: its parameters must not shadow them (in0…/out0… are kept clear by prefix).</summary>
        public static readonly string[] RunLocals = { "batch", "sample", "ws", "weights", "previousParallelism", "nameof" };
    }
}
