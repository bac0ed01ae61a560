// Unary elementwise operators (activations and math), with the parameters kernels need.
using System;
using System.Collections.Generic;
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators
{
    /// <summary>The kernel-side activation (names match QuantGen.Kernels.Activation) and its two parameters.</summary>
    public readonly struct ActivationSpec
    {
        public ActivationSpec(string kind, float alpha = 0, float beta = 0)
        {
            Kind = kind;
            Alpha = alpha;
            Beta = beta;
        }

        public string Kind { get; }
        public float Alpha { get; }
        public float Beta { get; }

        public static ActivationSpec None => new ActivationSpec("None");

        public bool IsNone => Kind == null || Kind == "None";

        /// <summary>The same function the kernels compute, in float (the reference for tests and folding).</summary>
        public float Apply(float x) => Kind switch
        {
            "Relu" => x > 0 ? x : 0,
            "Clip" => Math.Min(Math.Max(x, Alpha), Beta),
            "LeakyRelu" => x >= 0 ? x : Alpha * x,
            "Sigmoid" => 1f / (1f + (float)Math.Exp(-x)),
            "Tanh" => (float)Math.Tanh(x),
            "HardSigmoid" => Math.Max(0f, Math.Min(1f, Alpha * x + Beta)),
            "HardSwish" => x * Math.Max(0f, Math.Min(1f, x / 6f + 0.5f)),
            "Elu" => x >= 0 ? x : Alpha * ((float)Math.Exp(x) - 1f),
            "Selu" => Beta * (x > 0 ? x : Alpha * ((float)Math.Exp(x) - 1f)),
            "Softplus" => (float)Math.Log(1 + Math.Exp(x)),
            "Neg" => -x,
            "Abs" => Math.Abs(x),
            "Sqrt" => (float)Math.Sqrt(x),
            "Exp" => (float)Math.Exp(x),
            "Log" => (float)Math.Log(x),
            "Erf" => (float)Erf(x),
            _ => x,
        };

        /// <summary>
        /// erf in double, for the reference: the Maclaurin series below |x| = 2.5 (alternating terms stay below 16, so about
        /// 1e-14 relative), else 1 − erfc from its continued fraction, summed backwards from 60 terms; ±1 beyond |x| = 6.
        /// </summary>
        public static double Erf(double x)
        {
            double ax = Math.Abs(x);
            if (ax < 2.5)
            {
                // erf(x) = 2/√π · Σ (−1)^n x^(2n+1) / (n! (2n + 1))
                double term = x, sum = x, x2 = x * x;
                for (int n = 1; n < 60 && Math.Abs(term) > 1e-17 * Math.Abs(sum); n++)
                {
                    term *= -x2 / n;
                    sum += term / (2 * n + 1);
                }
                return 2 / Math.Sqrt(Math.PI) * sum;
            }
            if (ax > 6) return x > 0 ? 1 : -1;
            // erfc(t) = e^(−t²)/√π · 1/(t + (1/2)/(t + 1/(t + (3/2)/(t + …))))
            double f = 0;
            for (int k = 60; k >= 1; k--) f = k / 2.0 / (ax + f);
            double erfc = Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / (ax + f);
            return x > 0 ? 1 - erfc : erfc - 1;
        }
    }

    public sealed class ActivationOperator : OperatorDefinition
    {
        private readonly Func<Node, ActivationSpec> _spec;

        public ActivationOperator(string opType, Func<Node, ActivationSpec> spec, int sinceOpset = 1)
            : base(opType, sinceOpset)
        {
            _spec = spec;
        }

        public override string Notes => OpType == "Clip" ? "min/max as attributes, constants (fused into a preceding Conv/Gemm/MatMul) or run-time inputs" : "";

        /// <summary>The activation a node of this op computes (Clip reads its min/max inputs, which must be constant).</summary>
        public ActivationSpec SpecOf(Node node) => _spec(node);

        /// <summary>Clip's min and max are optional inputs since opset 11; every other activation takes one input.</summary>
        public override (int Min, int Max) InputCount => OpType == "Clip" ? (1, 3) : (1, 1);

        public override void InferShapes(Node node, OperatorContext context)
        {
            var x = In(node, 0);
            // Neg, Abs and Relu also fold int64 shape arithmetic; the rest compute in float.
            if (OpType == "Neg" || OpType == "Abs" || OpType == "Relu") RequireType(node, 0, DataType.Float32, DataType.Int64);
            else RequireType(node, 0, DataType.Float32);
            if (OpType == "Clip")
            {
                RequireScalar(node, 1);
                RequireScalar(node, 2);
                RequireSameType(node, 0, 1, 2);
            }
            SetOutput(node, 0, x.Type, x.Shape!, x.IsBatched);
        }

        public override Tensor[] Evaluate(Node node, Tensor?[] inputs, OperatorContext context)
        {
            var x = inputs[0]!;
            // Clip's bounds may be run-time inputs: the evaluator has their values.
            var spec = HasRuntimeBounds(node)
                ? new ActivationSpec("Clip", Bound(inputs, 1, float.NegativeInfinity), Bound(inputs, 2, float.PositiveInfinity))
                : _spec(node);
            if (x.Type == DataType.Float32)
            {
                var y = Tensor.Create(DataType.Float32, x.Shape);
                var fx = x.Floats; var fy = y.Floats;
                for (int i = 0; i < fx.Length; i++) fy[i] = spec.Apply(fx[i]);
                return new[] { y };
            }
            if (x.Type == DataType.Int64 && (spec.Kind == "Neg" || spec.Kind == "Abs" || spec.Kind == "Relu"))
            {
                var src = x.Int64s;
                var r = new long[src.Length];
                for (int i = 0; i < r.Length; i++) r[i] = spec.Kind == "Neg" ? -src[i] : spec.Kind == "Abs" ? Math.Abs(src[i]) : Math.Max(0, src[i]);
                return new[] { Tensor.FromInt64s(x.Shape, r) };
            }
            throw Unsupported(node, $"{DataTypes.Name(x.Type)} input");
        }

        /// <summary>A Clip (opset 11+) whose min or max is computed at run time: lowered as Max and Min steps, never fused.</summary>
        public static bool HasRuntimeBounds(Node node) =>
            node.OpType == "Clip" && !node.Attributes.Has("min") && !node.Attributes.Has("max")
            && ((node.Input(1) is { } min && !min.IsConstant) || (node.Input(2) is { } max && !max.IsConstant));

        private static float Bound(Tensor?[] inputs, int index, float fallback) =>
            index < inputs.Length && inputs[index] is { } t && t.ElementCount > 0 ? (float)t.GetDouble(0) : fallback;

        private static float ConstantScalar(Node node, int index, float fallback)
        {
            var v = node.Input(index);
            if (v == null) return fallback;
            if (v.Constant == null) throw Unsupported(node, $"a non-constant input {index}");
            return (float)v.Constant.GetDouble(0);
        }

        public static IEnumerable<OperatorDefinition> All() => new[]
        {
            new ActivationOperator("Relu", _ => new ActivationSpec("Relu")),
            new ActivationOperator("LeakyRelu", n => new ActivationSpec("LeakyRelu", n.Attributes.GetFloat("alpha", 0.01f))),
            new ActivationOperator("Sigmoid", _ => new ActivationSpec("Sigmoid")),
            new ActivationOperator("Tanh", _ => new ActivationSpec("Tanh")),
            new ActivationOperator("HardSigmoid", n => new ActivationSpec("HardSigmoid", n.Attributes.GetFloat("alpha", 0.2f), n.Attributes.GetFloat("beta", 0.5f))),
            new ActivationOperator("HardSwish", _ => new ActivationSpec("HardSwish")),
            new ActivationOperator("Elu", n => new ActivationSpec("Elu", n.Attributes.GetFloat("alpha", 1f))),
            new ActivationOperator("Selu", n => new ActivationSpec("Selu", n.Attributes.GetFloat("alpha", 1.67326319217681884765625f), n.Attributes.GetFloat("gamma", 1.05070102214813232421875f))),
            new ActivationOperator("Softplus", _ => new ActivationSpec("Softplus")),
            new ActivationOperator("Neg", _ => new ActivationSpec("Neg")),
            new ActivationOperator("Abs", _ => new ActivationSpec("Abs")),
            new ActivationOperator("Sqrt", _ => new ActivationSpec("Sqrt")),
            new ActivationOperator("Exp", _ => new ActivationSpec("Exp")),
            new ActivationOperator("Log", _ => new ActivationSpec("Log")),
            // Erf (opset 9; 13 only adds bfloat16): the error function of transformer GELU, float32 here.
            new ActivationOperator("Erf", _ => new ActivationSpec("Erf"), sinceOpset: 9),
            // Clip: min/max are attributes before opset 11 and optional inputs since.
            new ActivationOperator("Clip", n => n.Attributes.Has("min") || n.Attributes.Has("max")
                ? new ActivationSpec("Clip", n.Attributes.GetFloat("min", float.NegativeInfinity), n.Attributes.GetFloat("max", float.PositiveInfinity))
                : new ActivationSpec("Clip", ConstantScalar(n, 1, float.NegativeInfinity), ConstantScalar(n, 2, float.PositiveInfinity))),
        };
    }
}
