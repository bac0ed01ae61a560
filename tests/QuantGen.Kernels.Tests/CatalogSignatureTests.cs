// The one contract between the plan side and the kernels: every catalog entry is a kernel method with the parameters the
// generated code passes, and every kernel method is in the catalog. Both sides are discovered by reflection.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using QuantGen.Plan;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    /// <summary>
    /// The kernels reach users as source text compiled into their projects, and the catalog lives in the netstandard2.0 plan
    /// contract the build task and the generator share: the two cannot be one declaration, so this checks the interface
    /// between them (the call the generator emits against the method it calls), as a P/Invoke signature is checked against
    /// its export. No value is copied between them; every layout fact both need is one file both compile
    /// (src/QuantGen.Kernels/Layout).
    /// </summary>
    public class CatalogSignatureTests
    {
        private static readonly Assembly KernelAssembly = typeof(GemmF32).Assembly;

        public static IEnumerable<object[]> Kernels() => KernelCatalog.All.Select(k => new object[] { k.Name });

        [Theory]
        [MemberData(nameof(Kernels))]
        public void MethodMatchesCatalog(string name)
        {
            KernelSignature sig = KernelCatalog.Find(name)!;
            int dot = sig.Method.LastIndexOf('.');
            string typeName = "QuantGen.Kernels." + sig.Method.Substring(0, dot);
            string methodName = sig.Method.Substring(dot + 1);

            Type? type = KernelAssembly.GetType(typeName);
            Assert.True(type != null, $"{name}: type {typeName} not found");
            Assert.True(type!.IsAbstract && type.IsSealed && !type.IsPublic, $"{name}: {typeName} must be an internal static class");

            MethodInfo? method = type.GetMethod(methodName, BindingFlags.Public | BindingFlags.Static);
            Assert.True(method != null, $"{name}: public static {typeName}.{methodName} not found");
            Assert.Equal(typeof(void), method!.ReturnType);
            Assert.Equal(sig.IsGeneric, method.IsGenericMethodDefinition);
            if (sig.IsGeneric) Assert.Single(method.GetGenericArguments());

            ParameterInfo[] parameters = method.GetParameters();
            Assert.Equal(sig.Parameters.Length, parameters.Length);
            for (int i = 0; i < parameters.Length; i++)
            {
                KernelParameter expected = sig.Parameters[i];
                ParameterInfo actual = parameters[i];
                Assert.True(expected.Name == actual.Name, $"{name}: parameter {i} is '{actual.Name}', catalog says '{expected.Name}'");
                AssertType(name, method, expected, actual.ParameterType);
            }
        }

        /// <summary>
        /// A kernel is a public static void method of the kernel library taking operands (pointers) and only what a plan step
        /// can pass; helpers the kernels share are internal. Each must be in the catalog, or no plan can call it.
        /// </summary>
        [Fact]
        public void EveryKernelMethodIsInTheCatalog()
        {
            var cataloged = new HashSet<string>(KernelCatalog.All.Select(k => k.Method), StringComparer.Ordinal);
            var kernels = KernelAssembly.GetTypes()
                .Where(t => t.Namespace == "QuantGen.Kernels" && t.IsAbstract && t.IsSealed)
                .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly).Select(m => (Type: t, Method: m)))
                .Where(k => k.Method.ReturnType == typeof(void) && IsKernelSignature(k.Method))
                .Select(k => k.Type.Name + "." + k.Method.Name)
                .ToList();
            Assert.Equal(Array.Empty<string>(), kernels.Where(k => !cataloged.Contains(k)).ToArray());
            // The rule finds every cataloged kernel too, so it cannot pass by finding none.
            Assert.Equal(Array.Empty<string>(), cataloged.Where(k => !kernels.Contains(k)).ToArray());
        }

        private static bool IsKernelSignature(MethodInfo method)
        {
            var parameters = method.GetParameters().Select(p => p.ParameterType).ToList();
            return parameters.Any(t => t.IsPointer) && parameters.All(t =>
                (t.IsPointer && (t.GetElementType()!.IsGenericParameter || PlanTypes.ContainsKey(t.GetElementType()!)))
                || t == typeof(int) || t == typeof(float) || t == typeof(ReadOnlySpan<int>) || t == typeof(ReadOnlySpan<float>)
                || (t.IsEnum && t.Namespace == "QuantGen.Kernels"));
        }

        private static readonly Dictionary<Type, PlanElementType> PlanTypes = Enum.GetValues<PlanElementType>().ToDictionary(ElementType);

        private static void AssertType(string kernel, MethodInfo method, KernelParameter p, Type actual)
        {
            string where = $"{kernel}: parameter '{p.Name}'";
            switch (p.Kind)
            {
                case KernelParameterKind.Tensor:
                    Assert.True(actual.IsPointer, $"{where} must be a pointer, is {actual}");
                    Type element = actual.GetElementType()!;
                    if (p.ElementType == null)
                        Assert.True(element.IsGenericParameter && element == method.GetGenericArguments()[0], $"{where} must be T*");
                    else
                        Assert.True(element == ElementType(p.ElementType.Value), $"{where} must be {ElementType(p.ElementType.Value)}*, is {actual}");
                    break;
                case KernelParameterKind.Int:
                    Assert.True(actual == typeof(int), $"{where} must be int, is {actual}");
                    break;
                case KernelParameterKind.Float:
                    Assert.True(actual == typeof(float), $"{where} must be float, is {actual}");
                    break;
                case KernelParameterKind.Ints:
                    Assert.True(actual == typeof(ReadOnlySpan<int>), $"{where} must be ReadOnlySpan<int>, is {actual}");
                    break;
                case KernelParameterKind.Floats:
                    Assert.True(actual == typeof(ReadOnlySpan<float>), $"{where} must be ReadOnlySpan<float>, is {actual}");
                    break;
                case KernelParameterKind.Symbol:
                    Assert.True(actual.IsEnum && actual.Name == p.SymbolType && actual.Namespace == "QuantGen.Kernels",
                        $"{where} must be the enum {p.SymbolType}, is {actual}");
                    break;
                default:
                    Assert.Fail($"{where}: unknown kind {p.Kind}");
                    break;
            }
        }

        private static Type ElementType(PlanElementType t) => PlanElementTypes.ClrType(t);
    }
}
