// Hand-written plans the tests generate from, with the reference math to check the generated code against.
using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using QuantGen.Plan;

namespace QuantGen.Generator.Tests
{
    /// <summary>A plan file as the build would add it: path, text and the item metadata.</summary>
    public sealed record PlanFile(string Path, string Text, string? ClassName, string? Namespace, bool IsPlan = true, string? Parallelism = null);

    public static class TestPlans
    {
        public const string Namespace = "MyApp.Models";

        /// <summary>Every baseline case: (baseline file name, plan file).</summary>
        public static IEnumerable<(string Name, PlanFile File)> Baselines()
        {
            yield return ("ClinicalMlp", File("ClinicalMlp", ClinicalMlp(out _)));
            yield return ("TinyConvNet", File("TinyConvNet", TinyConvNet(out _)));
            yield return ("OddNames", File("OddNames", OddNames()));
            // The batched MLP with Parallelism="2": Run sets the kernels' thread count around the samples.
            yield return ("ClinicalMlpParallel", File("ClinicalMlpParallel", ClinicalMlp(out _)) with { Parallelism = "2" });
        }

        public static PlanFile File(string className, ModelPlan plan) =>
            new PlanFile("/project/obj/quantgen/" + className + ".qgplan", PlanText.Write(plan), className, Namespace);

        // ---- ClinicalMlp: batched, Gemm+Relu → Gemm → Softmax, inline weights -------------------------

        public const int MlpIn = 4, MlpHidden = 8, MlpOut = 3;

        /// <summary>The MLP's unpacked parameters: W1 [in, hidden], b1, W2 [hidden, out], b2.</summary>
        public sealed record MlpWeights(float[] W1, float[] B1, float[] W2, float[] B2);

        public static ModelPlan ClinicalMlp(out MlpWeights weights)
        {
            weights = new MlpWeights(Values(MlpIn * MlpHidden, 1), Values(MlpHidden, 2), Values(MlpHidden * MlpOut, 3), Values(MlpOut, 4));
            float[] w1 = PackGemm(weights.W1, MlpHidden, MlpIn), w2 = PackGemm(weights.W2, MlpOut, MlpHidden);
            var blob = new List<float>();
            int w1At = Append(blob, w1), b1At = Append(blob, weights.B1), w2At = Append(blob, w2), b2At = Append(blob, weights.B2);

            var plan = new ModelPlan();
            plan.Info = Info("clinical-mlp.onnx", "Float32", batched: true);
            plan.Inputs.Add(new PlanTensor("features", PlanElementType.Float32, new[] { -1, MlpIn }));
            plan.Outputs.Add(new PlanTensor("probabilities", PlanElementType.Float32, new[] { -1, MlpOut }));
            plan.WorkspaceBytes = 128;
            SetInline(plan, Bytes(blob.ToArray()));
            plan.Facts.Add(PlanFacts.CalibrationMethod, "none (Float32 <plan>)");
            plan.Steps.Add(new PlanStep("GemmF32", "/fc1/Gemm + /fc1/Relu")
                .Add("x", Op(PlanOperand.Input(0, 0, MlpIn, PlanElementType.Float32)))
                .Add("b", Op(PlanOperand.Weights(w1At * 4, w1.Length, PlanElementType.Float32)))
                .Add("bias", Op(PlanOperand.Weights(b1At * 4, MlpHidden, PlanElementType.Float32)))
                .Add("y", Op(PlanOperand.Workspace(0, MlpHidden, PlanElementType.Float32)))
                .Add("m", PlanValue.Of(1L)).Add("n", PlanValue.Of((long)MlpHidden)).Add("k", PlanValue.Of((long)MlpIn))
                .Add("act", PlanValue.OfSymbol("Relu")).Add("alpha", PlanValue.Of(0f)).Add("beta", PlanValue.Of(0f)));
            plan.Steps.Add(new PlanStep("GemmF32", "/fc2/Gemm")
                .Add("x", Op(PlanOperand.Workspace(0, MlpHidden, PlanElementType.Float32)))
                .Add("b", Op(PlanOperand.Weights(w2At * 4, w2.Length, PlanElementType.Float32)))
                .Add("bias", Op(PlanOperand.Weights(b2At * 4, MlpOut, PlanElementType.Float32)))
                .Add("y", Op(PlanOperand.Workspace(64, MlpOut, PlanElementType.Float32)))
                .Add("m", PlanValue.Of(1L)).Add("n", PlanValue.Of((long)MlpOut)).Add("k", PlanValue.Of((long)MlpHidden))
                .Add("act", PlanValue.OfSymbol("None")).Add("alpha", PlanValue.Of(0f)).Add("beta", PlanValue.Of(0f)));
            plan.Steps.Add(new PlanStep("SoftmaxF32", "/softmax/Softmax")
                .Add("x", Op(PlanOperand.Workspace(64, MlpOut, PlanElementType.Float32)))
                .Add("y", Op(PlanOperand.Output(0, 0, MlpOut, PlanElementType.Float32)))
                .Add("outer", PlanValue.Of(1L)).Add("axis", PlanValue.Of((long)MlpOut)).Add("inner", PlanValue.Of(1L)).Add("log", PlanValue.Of(0L)));
            PlanValidator.Validate(plan);
            return plan;
        }

        /// <summary>softmax(relu(x·W1 + b1)·W2 + b2) per sample, in double precision.</summary>
        public static float[] MlpReference(MlpWeights w, float[] features)
        {
            int batch = features.Length / MlpIn;
            var result = new float[batch * MlpOut];
            for (int s = 0; s < batch; s++)
            {
                var hidden = new double[MlpHidden];
                for (int j = 0; j < MlpHidden; j++)
                {
                    double sum = w.B1[j];
                    for (int k = 0; k < MlpIn; k++) sum += (double)features[s * MlpIn + k] * w.W1[k * MlpHidden + j];
                    hidden[j] = Math.Max(sum, 0);
                }
                var logits = new double[MlpOut];
                double max = double.NegativeInfinity;
                for (int j = 0; j < MlpOut; j++)
                {
                    double sum = w.B2[j];
                    for (int k = 0; k < MlpHidden; k++) sum += hidden[k] * w.W2[k * MlpOut + j];
                    logits[j] = sum;
                    max = Math.Max(max, sum);
                }
                double total = 0;
                for (int j = 0; j < MlpOut; j++) total += Math.Exp(logits[j] - max);
                for (int j = 0; j < MlpOut; j++) result[s * MlpOut + j] = (float)(Math.Exp(logits[j] - max) / total);
            }
            return result;
        }

        // ---- TinyConvNet: not batched, Transpose → depthwise Conv (ReLU6) → GlobalAveragePool, resource weights ----

        public const int ConvC = 3, ConvH = 4, ConvW = 4, ConvK = 3;
        public const string ConvResourceName = "MyApp.Models.TinyConvNet.weights";

        public static ModelPlan TinyConvNet(out byte[] weightBytes)
        {
            float[] w = Values(ConvK * ConvK * ConvC, 5), bias = Values(ConvC, 6);
            var blob = new List<float>();
            int wAt = Append(blob, w), biasAt = Append(blob, bias);
            weightBytes = Bytes(blob.ToArray());

            var plan = new ModelPlan();
            plan.Info = Info("tiny-convnet.onnx", "Float32", batched: false);
            plan.Inputs.Add(new PlanTensor("image", PlanElementType.Float32, new[] { 1, ConvC, ConvH, ConvW }));
            plan.Outputs.Add(new PlanTensor("pooled", PlanElementType.Float32, new[] { 1, ConvC }));
            plan.WorkspaceBytes = 384;
            plan.Weights.Storage = WeightStorage.Resource;
            plan.Weights.ByteCount = weightBytes.Length;
            plan.Weights.Sha256 = Sha256(weightBytes);
            plan.Weights.ResourceName = ConvResourceName;
            int pixels = ConvH * ConvW * ConvC;
            plan.Steps.Add(new PlanStep("Transpose", "/Transpose (NCHW to NHWC)")
                .Add("x", Op(PlanOperand.Input(0, 0, pixels, PlanElementType.Float32)))
                .Add("y", Op(PlanOperand.Workspace(0, pixels, PlanElementType.Float32)))
                .Add("shape", PlanValue.Of(new[] { 1, ConvC, ConvH, ConvW }))
                .Add("perm", PlanValue.Of(new[] { 0, 2, 3, 1 })));
            plan.Steps.Add(new PlanStep("ConvF32.Depthwise", "/conv/Conv + /conv/Clip")
                .Add("x", Op(PlanOperand.Workspace(0, pixels, PlanElementType.Float32)))
                .Add("w", Op(PlanOperand.Weights(wAt * 4, w.Length, PlanElementType.Float32)))
                .Add("bias", Op(PlanOperand.Weights(biasAt * 4, ConvC, PlanElementType.Float32)))
                .Add("y", Op(PlanOperand.Workspace(192, pixels, PlanElementType.Float32)))
                .Add("ih", Int(ConvH)).Add("iw", Int(ConvW)).Add("c", Int(ConvC)).Add("oh", Int(ConvH)).Add("ow", Int(ConvW))
                .Add("kh", Int(ConvK)).Add("kw", Int(ConvK)).Add("sh", Int(1)).Add("sw", Int(1)).Add("pt", Int(1)).Add("pl", Int(1))
                .Add("dh", Int(1)).Add("dw", Int(1))
                .Add("act", PlanValue.OfSymbol("Clip")).Add("alpha", PlanValue.Of(0f)).Add("beta", PlanValue.Of(6f)));
            plan.Steps.Add(new PlanStep("PoolF32.GlobalAverage", "/pool/GlobalAveragePool")
                .Add("x", Op(PlanOperand.Workspace(192, pixels, PlanElementType.Float32)))
                .Add("y", Op(PlanOperand.Output(0, 0, ConvC, PlanElementType.Float32)))
                .Add("hw", Int(ConvH * ConvW)).Add("c", Int(ConvC)));
            PlanValidator.Validate(plan);
            return plan;
        }

        /// <summary>mean over pixels of clip(depthwise3x3(image) + bias, 0, 6), image in NCHW, in double precision.</summary>
        public static float[] ConvReference(byte[] weightBytes, float[] image)
        {
            float[] blob = Floats(weightBytes);
            var result = new float[ConvC];
            for (int c = 0; c < ConvC; c++)
            {
                double total = 0;
                for (int oy = 0; oy < ConvH; oy++)
                for (int ox = 0; ox < ConvW; ox++)
                {
                    double sum = blob[ConvK * ConvK * ConvC + c];
                    for (int ky = 0; ky < ConvK; ky++)
                    for (int kx = 0; kx < ConvK; kx++)
                    {
                        int iy = oy + ky - 1, ix = ox + kx - 1;
                        if (iy < 0 || iy >= ConvH || ix < 0 || ix >= ConvW) continue;
                        sum += (double)image[(c * ConvH + iy) * ConvW + ix] * blob[(ky * ConvK + kx) * ConvC + c];
                    }
                    total += Math.Min(Math.Max(sum, 0), 6);
                }
                result[c] = (float)(total / (ConvH * ConvW));
            }
            return result;
        }

        // ---- OddNames: batched, three inputs and outputs whose ONNX names are not C# identifiers ----------

        public static readonly float[] OddBias = { 0.5f, -1f, 2f, 0.25f };

        public static ModelPlan OddNames()
        {
            var plan = new ModelPlan();
            plan.Info = Info("odd names.onnx", "Float32", batched: true);
            plan.Info.Producer = "tool \"quoted\" \\ backslash";
            plan.Inputs.Add(new PlanTensor("input.1", PlanElementType.Float32, new[] { -1, 4 }));
            plan.Inputs.Add(new PlanTensor("class", PlanElementType.Int64, new[] { -1, 2 }));
            plan.Inputs.Add(new PlanTensor("in0", PlanElementType.UInt8, new[] { -1, 2 }));
            plan.Outputs.Add(new PlanTensor("0", PlanElementType.Float32, new[] { -1, 4 }));
            plan.Outputs.Add(new PlanTensor("batch", PlanElementType.Int64, new[] { -1, 2 }));
            plan.Outputs.Add(new PlanTensor("output0}", PlanElementType.UInt8, new[] { -1, 2 }));
            plan.WorkspaceBytes = 0;
            SetInline(plan, Bytes(OddBias));
            plan.Steps.Add(new PlanStep("BinaryF32", "/Add")
                .Add("a", Op(PlanOperand.Input(0, 0, 4, PlanElementType.Float32)))
                .Add("b", Op(PlanOperand.Weights(0, 4, PlanElementType.Float32)))
                .Add("y", Op(PlanOperand.Output(0, 0, 4, PlanElementType.Float32)))
                .Add("op", PlanValue.OfSymbol("Add"))
                .Add("shape", PlanValue.Of(new[] { 4 })).Add("aStrides", PlanValue.Of(new[] { 1 })).Add("bStrides", PlanValue.Of(new[] { 1 })));
            plan.Steps.Add(new PlanStep("ActivationF32", "/Clip")
                .Add("x", Op(PlanOperand.Output(0, 0, 4, PlanElementType.Float32)))
                .Add("y", Op(PlanOperand.Output(0, 0, 4, PlanElementType.Float32)))
                .Add("count", Int(4)).Add("act", PlanValue.OfSymbol("Clip"))
                .Add("alpha", PlanValue.Of(float.NegativeInfinity)).Add("beta", PlanValue.Of(0.5f)));
            plan.Steps.Add(new PlanStep("ActivationF32", "/LeakyRelu\n\"second line\"")
                .Add("x", Op(PlanOperand.Output(0, 8, 2, PlanElementType.Float32)))
                .Add("y", Op(PlanOperand.Output(0, 8, 2, PlanElementType.Float32)))
                .Add("count", Int(2)).Add("act", PlanValue.OfSymbol("LeakyRelu"))
                .Add("alpha", PlanValue.Of(0.01f)).Add("beta", PlanValue.Of(-0f)));
            plan.Steps.Add(new PlanStep("Copy", "/Identity")
                .Add("x", Op(PlanOperand.Input(1, 0, 2, PlanElementType.Int64)))
                .Add("y", Op(PlanOperand.Output(1, 0, 2, PlanElementType.Int64)))
                .Add("count", Int(2)));
            plan.Steps.Add(new PlanStep("Copy", "/Cast")
                .Add("x", Op(PlanOperand.Input(2, 0, 2, PlanElementType.UInt8)))
                .Add("y", Op(PlanOperand.Output(2, 0, 2, PlanElementType.UInt8)))
                .Add("count", Int(2)));
            PlanValidator.Validate(plan);
            return plan;
        }

        /// <summary>Output "0" of OddNames: clip(x + bias, -inf, 0.5), then LeakyRelu(0.01) on elements 2 and 3.</summary>
        public static float[] OddReference(float[] input)
        {
            var y = new float[input.Length];
            for (int i = 0; i < input.Length; i++)
            {
                float v = Math.Min(input[i] + OddBias[i % 4], 0.5f);
                if (i % 4 >= 2 && v < 0) v *= 0.01f;
                y[i] = v;
            }
            return y;
        }

        // ---- Helpers ----------------------------------------------------------------------------------

        /// <summary>B [k, n] row-major packed into ceil(n/16) panels of k rows × 16 columns, zero-padded.</summary>
        public static float[] PackGemm(float[] b, int n, int k)
        {
            int panels = (n + 15) / 16;
            var packed = new float[panels * 16 * k];
            for (int p = 0; p < panels; p++)
            for (int kk = 0; kk < k; kk++)
            for (int j = 0; j < 16; j++)
            {
                int col = p * 16 + j;
                if (col < n) packed[p * 16 * k + kk * 16 + j] = b[kk * n + col];
            }
            return packed;
        }

        /// <summary>Deterministic small values (exact binary fractions, both signs).</summary>
        public static float[] Values(int count, int seed)
        {
            var v = new float[count];
            for (int i = 0; i < count; i++) v[i] = ((i * 37 + seed * 11) % 23 - 11) / 16f;
            return v;
        }

        public static byte[] Bytes(float[] values)
        {
            var bytes = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            return bytes;
        }

        public static float[] Floats(byte[] bytes)
        {
            var values = new float[bytes.Length / 4];
            Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
            return values;
        }

        public static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

        private static PlanModelInfo Info(string source, string precision, bool batched) => new PlanModelInfo
        {
            Source = source,
            Sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            Opset = 13,
            Producer = "pytorch 2.1.0",
            Precision = precision,
            IsBatched = batched,
        };

        private static void SetInline(ModelPlan plan, byte[] bytes)
        {
            plan.Weights.Storage = WeightStorage.Inline;
            plan.Weights.ByteCount = bytes.Length;
            plan.Weights.Sha256 = Sha256(bytes);
            plan.Weights.InlineData = bytes;
        }

        private static int Append(List<float> blob, float[] values)
        {
            int at = blob.Count;
            blob.AddRange(values);
            return at;
        }

        private static PlanValue Op(PlanOperand operand) => PlanValue.Of(operand);

        private static PlanValue Int(int value) => PlanValue.Of((long)value);
    }
}
