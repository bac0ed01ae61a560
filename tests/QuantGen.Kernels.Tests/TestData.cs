// Shared test helpers: seeded random tensors, tolerance checks, guard-padded buffers and the 16-column B packer.
using System;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    internal static class TestData
    {
        /// <summary>Guard elements appended after every output buffer to catch writes past the kernel's extent.</summary>
        public const int Guard = 37;

        public const float GuardValue = -12345.5f;

        public static float[] Random(int seed, int count, float lo = -1f, float hi = 1f)
        {
            var rng = new Random(seed);
            var data = new float[count];
            for (int i = 0; i < count; i++) data[i] = lo + (float)rng.NextDouble() * (hi - lo);
            return data;
        }

        /// <summary>An output buffer of count elements followed by <see cref="Guard"/> sentinel elements.</summary>
        public static float[] Output(int count)
        {
            var y = new float[count + Guard];
            for (int i = 0; i < y.Length; i++) y[i] = GuardValue;
            return y;
        }

        public static void AssertGuardIntact(float[] y, int count)
        {
            for (int i = count; i < y.Length; i++)
                Assert.True(y[i] == GuardValue, $"kernel wrote past its extent at element {i} (extent {count})");
        }

        /// <summary>|actual - expected| ≤ abs + rel · |expected| for the first count elements.</summary>
        public static void AssertClose(double[] expected, float[] actual, int count, string what, double rel = 1e-4, double abs = 1e-5)
        {
            for (int i = 0; i < count; i++)
            {
                double e = expected[i];
                double a = actual[i];
                if (double.IsNaN(e) && double.IsNaN(a)) continue;
                if (float.IsInfinity((float)e) && (float)e == actual[i]) continue; // beyond float range: must overflow
                double tol = abs + rel * Math.Abs(e);
                Assert.True(Math.Abs(a - e) <= tol, $"{what}: element {i} is {a:R}, expected {e:R} (tolerance {tol:G3})");
            }
        }

        /// <summary>
        /// Packs B [k, n] (row-major) into ceil(n / 16) panels; panel p at p * 16 * k holds k rows of the 16 columns
        /// 16p..16p+15, zero past n. The layout the compiler's packer produces.
        /// </summary>
        public static float[] PackB(float[] b, int k, int n)
        {
            int panels = (n + 15) / 16;
            var packed = new float[panels * 16 * k];
            for (int p = 0; p < panels; p++)
                for (int kk = 0; kk < k; kk++)
                    for (int j = 0; j < 16; j++)
                    {
                        int col = p * 16 + j;
                        packed[(p * k + kk) * 16 + j] = col < n ? b[kk * n + col] : 0f;
                    }
            return packed;
        }

        /// <summary>Straightforward double-precision activation, independent of the kernels' ActivationMath.</summary>
        public static double Activate(double x, Activation act, double alpha, double beta)
        {
            switch (act)
            {
                case Activation.None: return x;
                case Activation.Relu: return Math.Max(x, 0);
                case Activation.Clip: return Math.Min(Math.Max(x, alpha), beta);
                case Activation.LeakyRelu: return x >= 0 ? x : alpha * x;
                case Activation.Sigmoid: return 1 / (1 + Math.Exp(-x));
                case Activation.Tanh: return Math.Tanh(x);
                case Activation.HardSigmoid: return Math.Max(0, Math.Min(1, alpha * x + beta));
                case Activation.HardSwish: return x * Math.Max(0, Math.Min(1, x / 6 + 0.5));
                case Activation.Elu: return x >= 0 ? x : alpha * (Math.Exp(x) - 1);
                case Activation.Selu: return beta * (x > 0 ? x : alpha * (Math.Exp(x) - 1));
                case Activation.Softplus: return Math.Log(1 + Math.Exp(x));
                case Activation.Neg: return -x;
                case Activation.Abs: return Math.Abs(x);
                case Activation.Sqrt: return Math.Sqrt(x);
                case Activation.Exp: return Math.Exp(x);
                case Activation.Log: return Math.Log(x);
                case Activation.Erf: return Erf(x);
                default: throw new ArgumentOutOfRangeException(nameof(act));
            }
        }

        /// <summary>
        /// erf(x) = 2/√π ∫₀ˣ e^(−t²) dt by composite Simpson over 4,000 intervals (error below 1e-11, far under a float ulp),
        /// clamped at |x| = 6 where erf is 1 in double: independent of the kernel's polynomials and of the compiler's series.
        /// </summary>
        public static double Erf(double x)
        {
            if (double.IsNaN(x)) return x;
            double a = Math.Min(Math.Abs(x), 6);
            const int n = 4000;
            double h = a / n, sum = 1 + Math.Exp(-a * a);
            for (int i = 1; i < n; i++)
            {
                double t = i * h;
                sum += (i % 2 == 1 ? 4 : 2) * Math.Exp(-t * t);
            }
            return Math.CopySign(2 / Math.Sqrt(Math.PI) * h / 3 * sum, x);
        }

        /// <summary>Typical (alpha, beta) per activation.</summary>
        public static (float Alpha, float Beta) Parameters(Activation act) => act switch
        {
            Activation.Clip => (0f, 6f),
            Activation.LeakyRelu => (0.1f, 0f),
            Activation.HardSigmoid => (0.2f, 0.5f),
            Activation.Elu => (1.0f, 0f),
            Activation.Selu => (1.67326f, 1.0507f),
            _ => (0f, 0f),
        };
    }
}
