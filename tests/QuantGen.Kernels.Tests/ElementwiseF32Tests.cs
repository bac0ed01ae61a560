// ElementwiseF32.Binary (every op, broadcasting patterns, in place) and ElementwiseF32.Activate (every activation).
using System;
using System.Collections.Generic;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    public unsafe class ElementwiseF32Tests
    {
        // Each case: output shape, then a's and b's shapes (numpy broadcasting, right-aligned); null = same as output.
        private static readonly (string Name, int[] Shape, int[]? A, int[]? B)[] Cases =
        {
            ("same shape", new[] { 2, 3, 4, 5 }, null, null),
            ("long contiguous", new[] { 1000 }, null, null),
            ("b scalar", new[] { 4, 7 }, null, new int[0]),
            ("a scalar", new[] { 3, 11 }, new int[0], null),
            ("nhwc channel", new[] { 2, 4, 5, 19 }, null, new[] { 19 }),
            ("nchw channel", new[] { 2, 19, 4, 5 }, null, new[] { 1, 19, 1, 1 }),
            ("nchw channel on a", new[] { 2, 9, 3, 8 }, new[] { 9, 1, 1 }, null),
            ("outer product", new[] { 6, 9 }, new[] { 6, 1 }, new[] { 1, 9 }),
            ("rank 0", new int[0], new int[0], new int[0]),
            ("rank 6", new[] { 2, 1, 3, 2, 4, 5 }, new[] { 2, 1, 3, 1, 4, 1 }, new[] { 1, 1, 2, 1, 5 }),
            ("size-1 axes", new[] { 1, 7, 1, 9 }, null, new[] { 7, 1, 1 }),
            ("empty", new[] { 3, 0, 2 }, null, null),
        };

        public static IEnumerable<object[]> BinaryCases()
        {
            foreach (BinaryOp op in Enum.GetValues<BinaryOp>())
                for (int c = 0; c < Cases.Length; c++) yield return new object[] { op, c };
        }

        [Theory]
        [MemberData(nameof(BinaryCases))]
        public void BinaryMatchesReference(object opValue, int caseIndex)
        {
            BinaryOp op = (BinaryOp)opValue;
            var (name, shape, aShape, bShape) = Cases[caseIndex];
            aShape ??= shape;
            bShape ??= shape;
            int[] aStrides = BroadcastStrides(aShape, shape);
            int[] bStrides = BroadcastStrides(bShape, shape);
            int count = Product(shape);
            bool powLike = op == BinaryOp.Pow;
            float[] a = TestData.Random(41, Math.Max(1, Product(aShape)), powLike ? 0.1f : -2f, 2f);
            float[] b = TestData.Random(42, Math.Max(1, Product(bShape)), powLike ? -2f : 0.25f, 2f);
            if (!powLike) for (int i = 0; i < b.Length; i += 2) b[i] = -b[i];

            var expected = new double[count];
            var idx = new int[shape.Length];
            for (int e = 0; e < count; e++)
            {
                int rem = e, ao = 0, bo = 0;
                for (int d = shape.Length - 1; d >= 0; d--)
                {
                    idx[d] = rem % shape[d];
                    rem /= shape[d];
                    ao += idx[d] * aStrides[d];
                    bo += idx[d] * bStrides[d];
                }
                expected[e] = Reference(op, a[ao], b[bo]);
            }

            float[] y = TestData.Output(count);
            fixed (float* pa = a, pb = b, py = y)
                ElementwiseF32.Binary(pa, pb, py, op, shape, aStrides, bStrides);
            TestData.AssertClose(expected, y, count, $"{op} {name}");
            TestData.AssertGuardIntact(y, count);
        }

        [Theory]
        [InlineData(BinaryOp.Add, true)]
        [InlineData(BinaryOp.Sub, false)]
        [InlineData(BinaryOp.Mul, true)]
        [InlineData(BinaryOp.Div, false)]
        [InlineData(BinaryOp.PRelu, true)]
        public void BinaryInPlace(object opValue, bool intoA)
        {
            BinaryOp op = (BinaryOp)opValue;
            int[] shape = { 3, 5, 21 };
            int count = Product(shape);
            float[] a = TestData.Random(43, count);
            float[] b = TestData.Random(44, count, 0.5f, 2f);
            int[] full = BroadcastStrides(shape, shape);
            int[] channel = { 0, 0, 1 };

            // In place over the full operand; the other operand broadcast per channel.
            var expected = new double[count];
            for (int i = 0; i < count; i++)
                expected[i] = intoA ? Reference(op, a[i], b[i % 21]) : Reference(op, a[i % 21], b[i]);

            fixed (float* pa = a, pb = b)
            {
                if (intoA) ElementwiseF32.Binary(pa, pb, pa, op, shape, full, channel);
                else ElementwiseF32.Binary(pa, pb, pb, op, shape, channel, full);
            }
            TestData.AssertClose(expected, intoA ? a : b, count, $"{op} in place");
        }

        public static IEnumerable<object[]> Activations()
        {
            foreach (Activation act in Enum.GetValues<Activation>())
                foreach (int count in new[] { 1, 7, 8, 33, 100, 1000 })
                    yield return new object[] { act, count };
        }

        [Theory]
        [MemberData(nameof(Activations))]
        public void ActivateMatchesReference(object activation, int count)
        {
            Activation act = (Activation)activation;
            (float alpha, float beta) = TestData.Parameters(act);
            bool positive = act == Activation.Sqrt || act == Activation.Log;
            float[] x = TestData.Random(51, count, positive ? 0.01f : -8f, 8f);
            if (!positive && count >= 100)
            {
                // Exp's edges: tiny arguments, overflow and underflow, and the polynomial/exp switch in tanh.
                float[] edges = { 0f, -0f, 1e-4f, -1e-4f, 0.624f, -0.626f, 20f, -20f, 88f, -87f, 89f, -104f, 0.5f, -0.5f };
                Array.Copy(edges, 0, x, 50, edges.Length);
            }
            var expected = new double[count];
            for (int i = 0; i < count; i++) expected[i] = TestData.Activate(x[i], act, alpha, beta);

            float[] y = TestData.Output(count);
            float[] inPlace = (float[])x.Clone();
            fixed (float* px = x, py = y, pi = inPlace)
            {
                ElementwiseF32.Activate(px, py, count, act, alpha, beta);
                ElementwiseF32.Activate(pi, pi, count, act, alpha, beta);
            }
            TestData.AssertClose(expected, y, count, $"{act}");
            TestData.AssertClose(expected, inPlace, count, $"{act} in place");
            TestData.AssertGuardIntact(y, count);
        }

        private static double Reference(BinaryOp op, double a, double b) => op switch
        {
            BinaryOp.Add => a + b,
            BinaryOp.Sub => a - b,
            BinaryOp.Mul => a * b,
            BinaryOp.Div => a / b,
            BinaryOp.Pow => Math.Pow(a, b),
            BinaryOp.Max => Math.Max(a, b),
            BinaryOp.Min => Math.Min(a, b),
            BinaryOp.PRelu => a >= 0 ? a : a * b,
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        };

        /// <summary>Element strides of a (right-aligned, numpy) broadcast operand over the output shape; 0 where broadcast.</summary>
        internal static int[] BroadcastStrides(int[] operand, int[] output)
        {
            var strides = new int[output.Length];
            int s = 1;
            for (int i = output.Length - 1, j = operand.Length - 1; i >= 0; i--, j--)
            {
                if (j >= 0 && operand[j] != 1)
                {
                    strides[i] = s;
                    s *= operand[j];
                }
            }
            return strides;
        }

        private static int Product(int[] shape)
        {
            int p = 1;
            foreach (int d in shape) p *= d;
            return p;
        }
    }
}
