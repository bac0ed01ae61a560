// Every KernelCatalog entry must map to a kernel method with the same parameter names, order and types.
using System;
using System.Collections.Generic;
using System.Reflection;
using QuantGen.Plan;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    public class CatalogSignatureTests
    {
        private static readonly Assembly KernelAssembly = typeof(GemmF32).Assembly;

        public static IEnumerable<object[]> Kernels()
        {
            foreach (var k in KernelCatalog.All) yield return new object[] { k.Name };
        }

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

        [Fact]
        public void EveryKernelClassIsInTheCatalog()
        {
            var catalogTypes = new HashSet<string>(StringComparer.Ordinal);
            foreach (var k in KernelCatalog.All) catalogTypes.Add(k.Method.Substring(0, k.Method.LastIndexOf('.')));
            foreach (string t in new[] { "DataMovement", "ConvF32", "GemmF32", "PoolF32", "ElementwiseF32", "SoftmaxF32", "ReduceF32", "NormalizationF32", "Indexing", "ResizeF32", "Im2ColF32", "Cast" })
                Assert.Contains(t, catalogTypes);
        }

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

        private static Type ElementType(PlanElementType t) => t switch
        {
            PlanElementType.Float32 => typeof(float),
            PlanElementType.Float64 => typeof(double),
            PlanElementType.UInt8 => typeof(byte),
            PlanElementType.Int8 => typeof(sbyte),
            PlanElementType.Int16 => typeof(short),
            PlanElementType.UInt16 => typeof(ushort),
            PlanElementType.Int32 => typeof(int),
            PlanElementType.Int64 => typeof(long),
            PlanElementType.Bool => typeof(bool),
            _ => throw new ArgumentOutOfRangeException(nameof(t)),
        };
    }
}
