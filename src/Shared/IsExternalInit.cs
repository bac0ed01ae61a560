// Polyfill: lets netstandard2.0 projects declare records and init-only setters.
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit
    {
    }
}
