// One catalog kernel bound to its method among the compiled-in kernel sources, callable with a step's arguments.
using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using QuantGen.Plan;

namespace QuantGen.Engine
{
    /// <summary>
    /// A step's arguments in the order its kernel takes them, sorted by kind: pointers (one per tensor operand, set before
    /// each call), integers and enum members, floats, and integer and float lists.
    /// </summary>
    internal sealed class StepFrame
    {
        public StepFrame(int pointers, int[] ints, float[] floats, int[][] intLists, float[][] floatLists)
        {
            Pointers = new nint[pointers];
            Ints = ints;
            Floats = floats;
            IntLists = intLists;
            FloatLists = floatLists;
        }

        public readonly nint[] Pointers;
        public readonly int[] Ints;
        public readonly float[] Floats;
        public readonly int[][] IntLists;
        public readonly float[][] FloatLists;

        /// <summary>The same constant arguments with pointers of its own (one frame per worker).</summary>
        public StepFrame Clone() => new StepFrame(Pointers.Length, Ints, Floats, IntLists, FloatLists);
    }

    /// <summary>
    /// Finds a kernel's method by the catalog's name for it (<see cref="KernelSignature.Method"/>, inside namespace
    /// QuantGen.Kernels), checks that its parameters are the catalog's in kind, name and order, and compiles a call that
    /// reads them from a <see cref="StepFrame"/>. The kernels take pointers and read-only spans, which reflection cannot
    /// pass, hence a small dynamic method per kernel (built once per process and element type).
    /// </summary>
    internal static class KernelBinding
    {
        private static readonly ConcurrentDictionary<(string Kernel, Type? Element), Action<StepFrame>> s_bound =
            new ConcurrentDictionary<(string, Type?), Action<StepFrame>>();

        public static Action<StepFrame> Bind(KernelSignature signature, PlanElementType? genericType)
        {
            var element = genericType is { } g ? PlanElementTypes.ClrType(g) : null;
            return s_bound.GetOrAdd((signature.Name, element), key => Compile(signature, Method(signature, key.Element)));
        }

        private static MethodInfo Method(KernelSignature signature, Type? element)
        {
            int dot = signature.Method.LastIndexOf('.');
            string typeName = "QuantGen.Kernels." + signature.Method.Substring(0, dot), methodName = signature.Method.Substring(dot + 1);
            var type = typeof(KernelBinding).Assembly.GetType(typeName)
                ?? throw new NotSupportedException($"kernel {signature.Name}: no type {typeName} among the compiled-in kernels");
            var candidates = type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
                .Where(m => m.Name == methodName && m.GetParameters().Length == signature.Parameters.Length && m.IsGenericMethodDefinition == signature.IsGeneric)
                .ToList();
            if (candidates.Count != 1)
                throw new NotSupportedException($"kernel {signature.Name}: {candidates.Count} methods {signature.Method} take {signature.Parameters.Length} parameters");
            var method = candidates[0];
            if (signature.IsGeneric)
                method = method.MakeGenericMethod(element ?? throw new NotSupportedException($"kernel {signature.Name}: a generic kernel without a typed operand"));
            var parameters = method.GetParameters();
            for (int i = 0; i < parameters.Length; i++)
            {
                var want = signature.Parameters[i];
                var have = parameters[i];
                if (have.Name != want.Name || !Fits(want, have.ParameterType))
                    throw new NotSupportedException($"kernel {signature.Name}: parameter {i} is {have.ParameterType.Name} {have.Name}, the catalog says {want.Kind} {want.Name}");
            }
            return method;
        }

        private static bool Fits(KernelParameter p, Type t) => p.Kind switch
        {
            KernelParameterKind.Tensor => t.IsPointer,
            KernelParameterKind.Int => t == typeof(int),
            KernelParameterKind.Float => t == typeof(float),
            KernelParameterKind.Ints => t == typeof(ReadOnlySpan<int>),
            KernelParameterKind.Floats => t == typeof(ReadOnlySpan<float>),
            KernelParameterKind.Symbol => t.IsEnum && t.Name == p.SymbolType && Enum.GetUnderlyingType(t) == typeof(int),
            _ => false,
        };

        private static Action<StepFrame> Compile(KernelSignature signature, MethodInfo method)
        {
            var dm = new DynamicMethod("Call" + signature.Name.Replace('.', '_'), null, new[] { typeof(StepFrame) }, typeof(KernelBinding).Module, skipVisibility: true);
            var il = dm.GetILGenerator();
            int pointers = 0, ints = 0, floats = 0, intLists = 0, floatLists = 0;
            foreach (var p in signature.Parameters)
            {
                il.Emit(OpCodes.Ldarg_0);
                switch (p.Kind)
                {
                    case KernelParameterKind.Tensor:
                        Element(il, nameof(StepFrame.Pointers), pointers++, OpCodes.Ldelem_I);
                        break;
                    case KernelParameterKind.Int:
                    case KernelParameterKind.Symbol:
                        Element(il, nameof(StepFrame.Ints), ints++, OpCodes.Ldelem_I4);
                        break;
                    case KernelParameterKind.Float:
                        Element(il, nameof(StepFrame.Floats), floats++, OpCodes.Ldelem_R4);
                        break;
                    case KernelParameterKind.Ints:
                        Element(il, nameof(StepFrame.IntLists), intLists++, OpCodes.Ldelem_Ref);
                        il.Emit(OpCodes.Call, typeof(ReadOnlySpan<int>).GetMethod("op_Implicit", new[] { typeof(int[]) })!);
                        break;
                    case KernelParameterKind.Floats:
                        Element(il, nameof(StepFrame.FloatLists), floatLists++, OpCodes.Ldelem_Ref);
                        il.Emit(OpCodes.Call, typeof(ReadOnlySpan<float>).GetMethod("op_Implicit", new[] { typeof(float[]) })!);
                        break;
                }
            }
            il.Emit(OpCodes.Call, method);
            il.Emit(OpCodes.Ret);
            return (Action<StepFrame>)dm.CreateDelegate(typeof(Action<StepFrame>));
        }

        private static void Element(ILGenerator il, string field, int index, OpCode load)
        {
            il.Emit(OpCodes.Ldfld, typeof(StepFrame).GetField(field)!);
            il.Emit(OpCodes.Ldc_I4, index);
            il.Emit(load);
        }
    }
}
