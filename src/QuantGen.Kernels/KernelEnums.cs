// Enums that plan steps name as symbols (the kernel catalog, QuantGen.Plan, names each parameter's enum).
namespace QuantGen.Kernels
{
    /// <summary>An activation applied elementwise, alone or fused into a Conv/Gemm epilogue.</summary>
    internal enum Activation
    {
        /// <summary>Identity.</summary>
        None,

        /// <summary>max(x, 0).</summary>
        Relu,

        /// <summary>min(max(x, alpha), beta) (Clip, ReLU6).</summary>
        Clip,

        /// <summary>x &gt;= 0 ? x : alpha * x.</summary>
        LeakyRelu,

        /// <summary>1 / (1 + exp(-x)).</summary>
        Sigmoid,

        /// <summary>tanh(x).</summary>
        Tanh,

        /// <summary>max(0, min(1, alpha * x + beta)).</summary>
        HardSigmoid,

        /// <summary>x * max(0, min(1, x / 6 + 1 / 2)).</summary>
        HardSwish,

        /// <summary>x &gt;= 0 ? x : alpha * (exp(x) - 1).</summary>
        Elu,

        /// <summary>beta * (x &gt; 0 ? x : alpha * (exp(x) - 1)) (alpha, beta = ONNX's alpha, gamma).</summary>
        Selu,

        /// <summary>log(1 + exp(x)).</summary>
        Softplus,

        /// <summary>-x.</summary>
        Neg,

        /// <summary>|x|.</summary>
        Abs,

        /// <summary>sqrt(x).</summary>
        Sqrt,

        /// <summary>exp(x).</summary>
        Exp,

        /// <summary>log(x).</summary>
        Log,

        /// <summary>erf(x), the Gauss error function (transformer GELU: x · (1 + erf(x / √2)) / 2).</summary>
        Erf,
    }

    /// <summary>A binary elementwise operation with numpy broadcasting.</summary>
    internal enum BinaryOp
    {
        Add,
        Sub,
        Mul,
        Div,
        Pow,
        Max,
        Min,

        /// <summary>a &gt;= 0 ? a : b * a (PRelu with slope b).</summary>
        PRelu,
    }
}
