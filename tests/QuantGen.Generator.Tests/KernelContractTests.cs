// The generator calls kernels positionally, so every KernelCatalog entry must match a kernel method in
// the emitted sources: same name, parameters in the same order with the types the emitter passes.
using System;
using System.Collections.Generic;
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

        private static List<MethodDeclarationSyntax> EmittedKernelMethods()
        {
            var (driver, _, _) = GeneratorHarness.Run(new[] { TestPlans.File("ClinicalMlp", TestPlans.ClinicalMlp(out _)) });
            return GeneratorHarness.Sources(driver)
                .Where(s => s.Key.StartsWith("QuantGen.Kernels.", StringComparison.Ordinal))
                .SelectMany(s => CSharpSyntaxTree.ParseText(s.Value).GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
                .ToList();
        }
    }
}
