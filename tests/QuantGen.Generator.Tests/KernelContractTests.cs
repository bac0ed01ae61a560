// The generator calls kernels positionally, so every KernelCatalog entry must match a kernel method in
// the emitted sources: same name, parameters in the same order with the types the emitter passes.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using QuantGen.Plan;
using Xunit;

namespace QuantGen.Generator.Tests
{
    public class KernelContractTests
    {
        public static IEnumerable<object[]> Kernels() => KernelCatalog.All.Select(k => new object[] { k.Name });

        [Theory]
        [MemberData(nameof(Kernels))]
        public void CatalogEntryMatchesKernelMethod(string name)
        {
            KernelSignature kernel = KernelCatalog.Find(name)!;
            string[] parts = kernel.Method.Split('.');
            Assert.Equal(2, parts.Length);

            var candidates = EmittedKernelMethods()
                .Where(m => m.Identifier.ValueText == parts[1] && m.Parent is ClassDeclarationSyntax c && c.Identifier.ValueText == parts[0])
                .Where(m => m.Modifiers.Any(SyntaxKind.PublicKeyword) && m.Modifiers.Any(SyntaxKind.StaticKeyword))
                .ToList();
            MethodDeclarationSyntax method = Assert.Single(candidates);

            Assert.Equal(kernel.IsGeneric ? 1 : 0, method.TypeParameterList?.Parameters.Count ?? 0);
            string? typeParameter = method.TypeParameterList?.Parameters[0].Identifier.ValueText;
            var actual = method.ParameterList.Parameters.Select(p => p.Identifier.ValueText + ": " + p.Type!.ToString().Replace(" ", "")).ToList();
            var expected = kernel.Parameters.Select(p => p.Name + ": " + ExpectedType(p, typeParameter)).ToList();
            Assert.Equal(expected, actual);
        }

        private static string ExpectedType(KernelParameter p, string? typeParameter) => p.Kind switch
        {
            KernelParameterKind.Tensor => (p.ElementType is { } t ? PlanElementTypes.CSharpName(t) : typeParameter) + "*",
            KernelParameterKind.Int => "int",
            KernelParameterKind.Float => "float",
            KernelParameterKind.Ints => "ReadOnlySpan<int>",
            KernelParameterKind.Floats => "ReadOnlySpan<float>",
            _ => p.SymbolType!,
        };

        /// <summary>Every kernel method: the sources the generator embeds (a compilation is given only the files its plans reach).</summary>
        private static List<MethodDeclarationSyntax> EmittedKernelMethods() =>
            Directory.GetFiles(Path.Combine(QuantGen.Tests.RepoPaths.Root, "src", "QuantGen.Kernels"), "*.cs", SearchOption.AllDirectories)
                .Where(p => !p.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                .SelectMany(p => CSharpSyntaxTree.ParseText(File.ReadAllText(p)).GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
                .ToList();
    }
}
