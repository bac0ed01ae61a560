// The plan's contract beyond its records: the header's catalog fingerprint, typed lists, typed facts, and the
// catalog's overlap rules as the validator enforces them (on hand-written steps and on every reference model).
using System;
using System.IO;
using System.Linq;
using QuantGen.Plan;
using QuantGen.Tests;
using Xunit;

namespace QuantGen.Compiler.Tests
{
    public class PlanContractTests
    {
        // ---- Header: format version and catalog fingerprint ----------------------------------------

        [Fact]
        public void The_header_states_the_format_and_the_catalog_fingerprint()
        {
            string text = PlanText.Write(Plan(Activation(Ws(0, 4), Ws(64, 4))));
            Assert.StartsWith("quantgen-plan " + ModelPlan.FormatVersion + " catalog=" + CatalogFingerprint.Value + "\n", text);
            Assert.Matches("^[0-9a-f]{16}$", CatalogFingerprint.Value);
            PlanText.Read(text);
        }

        [Theory]
        [InlineData("catalog=0000000000000000", "kernel catalog 0000000000000000")]
        [InlineData(null, "plan format 1")]
        public void A_plan_from_another_catalog_or_format_is_refused_as_stale(string? catalog, string message)
        {
            string text = PlanText.Write(Plan(Activation(Ws(0, 4), Ws(64, 4))));
            string header = text.Substring(0, text.IndexOf('\n'));
            string stale = catalog != null
                ? header.Replace("catalog=" + CatalogFingerprint.Value, catalog)
                : "quantgen-plan 1";
            var e = Assert.Throws<PlanVersionException>(() => PlanText.Read(stale + text.Substring(header.Length)));
            Assert.Contains(message, e.Message);
        }

        [Fact]
        public void The_fingerprint_covers_every_kernel_its_parameters_and_every_kernel_source()
        {
            string described = CatalogFingerprint.Describe();
            foreach (KernelSignature k in KernelCatalog.All)
                Assert.Contains("kernel " + k.Name + " " + k.Method, described);
            Assert.Contains("  y Tensor float32 writes overlap=InPlace:a,b\n", described);
            string kernels = Path.Combine(RepoPaths.Root, "src", "QuantGen.Kernels");
            var files = Directory.GetFiles(kernels, "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                .Select(f => Path.GetRelativePath(kernels, f).Replace('\\', '/')).ToList();
            Assert.NotEmpty(files);
            foreach (string file in files) Assert.Matches("\nsource " + file.Replace(".", "\\.") + " [0-9a-f]{64}\n", described);
            Assert.Equal(files.Count, described.Split('\n').Count(l => l.StartsWith("source ", StringComparison.Ordinal)));
        }

        // ---- Lists say their type -------------------------------------------------------------------

        [Fact]
        public void Lists_are_written_with_their_type_and_an_untyped_list_is_refused()
        {
            Assert.Equal("ints[]", PlanValue.Of(Array.Empty<long>()).ToString());
            Assert.Equal("floats[]", PlanValue.Of(Array.Empty<float>()).ToString());
            Assert.Equal("ints[1,-2]", PlanValue.Of(new long[] { 1, -2 }).ToString());
            Assert.Equal("floats[0.5f,-1f]", PlanValue.Of(new[] { 0.5f, -1f }).ToString());

            var plan = Plan(Transpose(Ws(0, 6), Ws(64, 6), new[] { 2, 3 }, new[] { 1, 0 }));
            string text = PlanText.Write(plan);
            Assert.Contains(" shape=ints[2,3] perm=ints[1,0]", text);
            var read = PlanText.Read(text);
            Assert.Equal(new long[] { 2, 3 }, read.Steps[0].Find("shape")!.Value.Ints);

            var e = Assert.Throws<PlanFormatException>(() => PlanText.Read(text.Replace("shape=ints[2,3]", "shape=[2,3]")));
            Assert.Contains("does not say its type", e.Message);
            // A float list where the kernel takes ints is the wrong kind, even when empty.
            e = Assert.Throws<PlanFormatException>(() => PlanText.Read(text.Replace("shape=ints[2,3]", "shape=floats[]")));
            Assert.Contains("'shape' has the wrong kind of value", e.Message);
        }

        // ---- Facts are typed -------------------------------------------------------------------------

        [Fact]
        public void Facts_are_read_and_written_through_their_definitions()
        {
            var plan = Plan(Activation(Ws(0, 4), Ws(64, 4)));
            plan.Facts.Add(PlanFacts.Parameters, 1058);
            plan.Facts.Add(PlanFacts.QuantizationOutputSqnrDb, 54.912345);
            plan.Facts.Add(PlanFacts.QuantizationMetric, "top-1");
            string text = PlanText.Write(plan);
            Assert.Contains("fact \"parameters\" \"1058\"\nfact \"quantization.output_sqnr_db\" \"54.9123\"\n", text);
            var read = PlanText.Read(text);
            Assert.Equal(1058, read.Facts.Get(PlanFacts.Parameters));
            Assert.Equal(54.9123, read.Facts.Get(PlanFacts.QuantizationOutputSqnrDb));
            Assert.Equal("top-1", read.Facts.Get(PlanFacts.QuantizationMetric));
            Assert.Null(read.Facts.Get(PlanFacts.CalibrationSamples));

            Assert.Contains("unknown fact 'colour'", Assert.Throws<PlanFormatException>(() => PlanText.Read(text.Replace("\"parameters\"", "\"colour\""))).Message);
            Assert.Contains("not a value of the Integer fact 'parameters'", Assert.Throws<PlanFormatException>(() => PlanText.Read(text.Replace("\"1058\"", "\"many\""))).Message);
            Assert.Throws<ArgumentException>(() => plan.Facts.Add(PlanFacts.Parameters, 1));
            Assert.Equal(PlanFacts.All.Count, PlanFacts.All.Select(f => f.Name).Distinct().Count());
            Assert.DoesNotContain(PlanFacts.All, f => f.Name == "Facts");
        }

        // ---- Overlap rules ---------------------------------------------------------------------------

        [Fact]
        public void An_elementwise_kernel_may_write_in_place_but_not_over_part_of_its_input()
        {
            PlanValidator.Validate(Plan(Activation(Ws(0, 4), Ws(0, 4))));
            Assert.Contains("'y' (ws@4:4:float32) overlaps 'x' (ws@0:4:float32)", Fails(Activation(Ws(0, 4), Ws(4, 4))));
            // In place of a shorter operand would write past what it read.
            Assert.Contains("only when both start at the same byte", Fails(Activation(Ws(0, 2), Ws(0, 4), count: 2)));
        }

        [Fact]
        public void A_kernel_without_an_in_place_rule_keeps_its_output_apart()
        {
            Assert.Contains("must not share memory", Fails(Transpose(Ws(0, 6), Ws(0, 6), new[] { 2, 3 }, new[] { 1, 0 })));
            PlanValidator.Validate(Plan(Transpose(Ws(0, 6), Ws(64, 6), new[] { 2, 3 }, new[] { 1, 0 })));
        }

        [Fact]
        public void Copy_may_overlap_its_input_in_any_way()
        {
            PlanValidator.Validate(Plan(new PlanStep("Copy", "/copy").Add("x", Ws(0, 8)).Add("y", Ws(8, 8)).Add("count", PlanValue.Of(8L))));
        }

        [Fact]
        public void Kernels_write_only_the_workspace_and_the_outputs()
        {
            Assert.Contains("'y' is written but lies in the weights", Fails(Activation(Ws(0, 4), PlanValue.Of(PlanOperand.Weights(0, 4, PlanElementType.Float32)))));
            Assert.Contains("'y' is written but lies in the caller's input", Fails(Activation(Ws(0, 4), PlanValue.Of(PlanOperand.Input(0, 0, 4, PlanElementType.Float32)))));
            PlanValidator.Validate(Plan(Activation(Ws(0, 4), PlanValue.Of(PlanOperand.Output(0, 0, 4, PlanElementType.Float32)))));
        }

        [Fact]
        public void A_broadcast_add_writes_in_place_only_over_an_operand_read_at_its_own_offsets()
        {
            // y [2, 3] = a [2, 3] + b [3]: in place of a is fine; of b (broadcast) or of a read transposed is not.
            PlanValidator.Validate(Plan(Add(Ws(0, 6), Ws(64, 3), Ws(0, 6), aStrides: new[] { 3, 1 })));
            Assert.Contains("in place of 'b', which is not read at y's own offsets", Fails(Add(Ws(0, 6), Ws(64, 3), Ws(64, 6), aStrides: new[] { 3, 1 })));
            Assert.Contains("in place of 'a', which is not read at y's own offsets", Fails(Add(Ws(0, 6), Ws(64, 3), Ws(0, 6), aStrides: new[] { 1, 2 })));
        }

        [Fact]
        public void A_fused_step_keeps_its_output_apart_from_every_input()
        {
            // ConvF32.PointwiseAdd: y = x · w + r, 4 pixels, 2 → 2 channels; w packed as 16-column panels in the weights.
            PlanStep Fused(long y) => new PlanStep("ConvF32.PointwiseAdd", "/conv + /add")
                .Add("x", Ws(0, 8)).Add("w", PlanValue.Of(PlanOperand.Weights(0, 32, PlanElementType.Float32))).Add("bias", PlanValue.Null)
                .Add("r", Ws(64, 8)).Add("y", Ws(y, 8)).Add("pixels", PlanValue.Of(4L)).Add("ic", PlanValue.Of(2L)).Add("oc", PlanValue.Of(2L))
                .Add("act", PlanValue.OfSymbol("None")).Add("alpha", PlanValue.Of(0f)).Add("beta", PlanValue.Of(0f));
            PlanValidator.Validate(Plan(Fused(128)));
            Assert.Contains("'y' (ws@64:8:float32) overlaps 'r'", Fails(Fused(64)));
            Assert.Contains("'y' (ws@0:8:float32) overlaps 'x'", Fails(Fused(0)));
        }

        [Theory]
        [MemberData(nameof(ReferenceModels))]
        public void Every_reference_model_plan_keeps_the_overlap_rules(string model)
        {
            var plan = ModelFixtures.CompileFloat(ModelFixtures.Load(model), _ => { });
            PlanValidator.Validate(plan);
            Assert.Contains(plan.Steps, s => KernelCatalog.Find(s.Kernel)!.Parameters.Any(p => p.IsWritten));
        }

        public static TheoryData<string> ReferenceModels() => new TheoryData<string>(ModelFixtures.Names);

        // ---- Small plans ----------------------------------------------------------------------------

        /// <summary>One float32 input [4], one output [4], a 1 KB workspace, 256 bytes of (zero) weights, and <paramref name="step"/>.</summary>
        private static ModelPlan Plan(PlanStep step)
        {
            var plan = new ModelPlan();
            plan.Info = new PlanModelInfo { Source = "m.onnx", Sha256 = new string('0', 64), Opset = 13, Producer = "test", Precision = "Float32" };
            plan.Inputs.Add(new PlanTensor("x", PlanElementType.Float32, new[] { 4 }));
            plan.Outputs.Add(new PlanTensor("y", PlanElementType.Float32, new[] { 4 }));
            plan.WorkspaceBytes = 1024;
            plan.Weights.Storage = WeightStorage.Inline;
            plan.Weights.InlineData = new byte[256];
            plan.Weights.ByteCount = 256;
            plan.Weights.Sha256 = new string('0', 64);
            plan.Steps.Add(step);
            return plan;
        }

        private static string Fails(PlanStep step) => Assert.Throws<PlanFormatException>(() => PlanValidator.Validate(Plan(step))).Message;

        private static PlanValue Ws(long offset, long count) => PlanValue.Of(PlanOperand.Workspace(offset, count, PlanElementType.Float32));

        private static PlanStep Activation(PlanValue x, PlanValue y, long count = 4) => new PlanStep("ActivationF32", "/relu")
            .Add("x", x).Add("y", y).Add("count", PlanValue.Of(count)).Add("act", PlanValue.OfSymbol("Relu")).Add("alpha", PlanValue.Of(0f)).Add("beta", PlanValue.Of(0f));

        private static PlanStep Transpose(PlanValue x, PlanValue y, int[] shape, int[] perm) => new PlanStep("Transpose", "/transpose")
            .Add("x", x).Add("y", y).Add("shape", PlanValue.Of(shape)).Add("perm", PlanValue.Of(perm));

        private static PlanStep Add(PlanValue a, PlanValue b, PlanValue y, int[] aStrides) => new PlanStep("BinaryF32", "/add")
            .Add("a", a).Add("b", b).Add("y", y).Add("op", PlanValue.OfSymbol("Add"))
            .Add("shape", PlanValue.Of(new[] { 2, 3 })).Add("aStrides", PlanValue.Of(aStrides)).Add("bStrides", PlanValue.Of(new[] { 0, 1 }));
    }
}
