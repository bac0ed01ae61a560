// A plan file as the pipeline first sees it: path, text and the item metadata the build put on it.
namespace QuantGen.Generator.Model
{
    /// <summary>
    /// One AdditionalFiles item marked <c>QuantGenPlan=true</c>. Only strings, so an edit elsewhere in
    /// the project leaves it equal and everything after it cached.
    /// </summary>
    internal sealed record PlanInput(string Path, string? Text, string? ClassName, string? Namespace, string? Parallelism = null);
}
