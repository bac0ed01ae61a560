// One minimal model per class of failure the fuzzing campaigns found (issue 21), built through the MSBuild tasks: each must
// now be a clean QG error naming the model and the node at fault, allocating nothing of the size it asks for.
using System;
using System.Linq;
using QuantGen.Fuzz.Running;
using QuantGen.Onnx.Proto;
using Xunit;
using static QuantGen.Fuzz.Tests.TestModel;

namespace QuantGen.Fuzz.Tests
{
    public class RegressionTests
    {
        // ---- constant folding evaluated operators without validating them (IndexOutOfRange, NullReference, InvalidCast) ----

        [Fact]
        public void A_relu_without_inputs_is_QG0007_naming_the_node()
        {
            var c = new TestModel().Input("x", -1, 4).Node("Relu", Array.Empty<string>(), new[] { "y" }, "relu").Output("y").Case();
            Build.Rejects(c, "QG0007", "relu", "takes 1 input, not 0");
        }

        [Fact]
        public void A_conv_without_inputs_is_QG0007_naming_the_node()
        {
            var c = new TestModel().Input("x", -1, 1, 8, 8).Node("Conv", Array.Empty<string>(), new[] { "y" }, "conv").Output("y").Case();
            Build.Rejects(c, "QG0007", "conv", "takes 2 to 3 inputs, not 0");
        }

        private static TestModel Conv(string input = "x", params AttributeProto[] attributes) => new TestModel()
            .Input("x", -1, 1, 8, 8)
            .Floats("w", new long[] { 2, 1, 3, 3 }, new float[18])
            .Floats("b", new long[] { 2 }, 0.5f, -0.5f)
            .Node("Conv", new[] { input, "w", "b" }, new[] { "y" }, "conv", attributes).Output("y");

        [Fact]
        public void A_conv_input_renamed_to_a_constant_is_refused_before_it_is_folded()
        {
            // Every input constant: the node used to go straight to evaluation, which indexed a rank-1 tensor as an image.
            Build.Rejects(Conv(input: "b").Case(), "QG0004", "conv", "weights of rank 4");
        }

        [Fact]
        public void A_required_input_renamed_to_empty_is_QG0007()
        {
            Build.Rejects(Conv(input: "").Case(), "QG0007", "conv", "input 0 is required but empty");
        }

        [Fact]
        public void An_op_type_changed_to_Shape_is_QG0007()
        {
            var c = new TestModel().Input("x", -1, 4).Floats("w", new long[] { 4 }, 1, 2, 3, 4)
                .Node("Shape", new[] { "x", "w" }, new[] { "y" }, "shape").Output("y").Case();
            Build.Rejects(c, "QG0007", "shape", "takes 1 input, not 2");
        }

        [Fact]
        public void An_initializer_with_dims_0_is_QG0007_not_an_index_error()
        {
            var c = new TestModel().Input("x", -1, 4).Floats("w", new long[] { 0 })
                .Node("Add", new[] { "x", "w" }, new[] { "y" }, "add").Output("y").Case();
            Build.Rejects(c, "QG0007", "add", "do not broadcast");
        }

        [Fact]
        public void A_conv_kernel_shape_that_disagrees_with_its_weights_is_QG0007()
        {
            // Weight packing used to trust kernel_shape and read past the weights.
            Build.Rejects(Conv("x", Ints("kernel_shape", 5, 5)).Case(), "QG0007", "conv", "does not match the weights' window [3,3]");
            Build.Rejects(Conv("x", Ints("kernel_shape", 1_000_000_000, 1_000_000_000)).Case(), "QG0007", "conv", "does not match the weights' window");
        }

        [Fact]
        public void Unsqueeze_with_a_repeated_axis_is_QG0007()
        {
            var c = new TestModel().Input("x", -1, 4).Int64s("axes", new long[] { 2 }, 1, 1)
                .Node("Unsqueeze", new[] { "x", "axes" }, new[] { "y" }, "unsqueeze").Output("y").Case();
            Build.Rejects(c, "QG0007", "unsqueeze", "name an axis twice");
        }

        [Fact]
        public void A_conv_with_int8_weights_is_QG0005_not_an_invalid_cast()
        {
            var c = new TestModel().Input("x", -1, 1, 4, 4)
                .Initializer(new TensorProto { Name = "w", DataType = 3, Dims = { 1, 1, 1, 1 }, RawData = Google.Protobuf.ByteString.CopyFrom(new byte[] { 2 }) })
                .Node("Conv", new[] { "x", "w" }, new[] { "y" }, "conv").Output("y").Case();
            Build.Rejects(c, "QG0005", "conv", "int8 data ('w', input 1)");
        }

        [Fact]
        public void Int64_min_divided_by_minus_one_folds_without_overflow()
        {
            // Folding long.MinValue / -1 threw OverflowException; it wraps, as two's complement does.
            var c = new TestModel().Input("x", -1, 2)
                .Int64s("a", new long[] { 2 }, long.MinValue, 7).Int64s("b", new long[] { 2 }, -1, 2)
                .Node("Div", new[] { "a", "b" }, new[] { "q" }, "div")
                .Node("Cast", new[] { "q" }, new[] { "qf" }, "cast", Int("to", 1))
                .Node("Add", new[] { "x", "qf" }, new[] { "y" }, "add").Output("y").Case();
            var outcome = Build.Run(c);
            Assert.True(outcome.Succeeded, string.Join("\n", outcome.Log.Errors));
        }

        // ---- graph outputs the plan cannot express ----

        [Fact]
        public void A_graph_output_listed_twice_is_QG0007()
        {
            var c = Relu().Output("y").Case();
            Build.Rejects(c, "QG0007", null, "The graph output 'y' is listed twice");
        }

        [Fact]
        public void A_graph_output_that_is_the_graph_input_is_QG0004()
        {
            var c = Relu().Output("x").Case();
            Build.Rejects(c, "QG0004", null, "The graph output 'x' is the graph input");
        }

        [Fact]
        public void A_graph_input_or_output_without_a_name_is_QG0007()
        {
            Build.Rejects(new TestModel().Input("", -1, 4).Node("Relu", new[] { "" }, new[] { "y" }, "relu").Output("y").Case(), "QG0007", null, "A graph input has no name");
            Build.Rejects(Relu().Output("").Case(), "QG0007", null, "A graph output has no name");
        }

        [Fact]
        public void A_matmul_broadcasting_the_batch_axis_against_B_is_QG0006()
        {
            // a [N,3,4] times b [2,4,3]: the output's leading axis is B's 2, not the batch; the plan's output was too small.
            var c = new TestModel().Input("a", -1, 3, 4).Floats("b", new long[] { 2, 4, 3 }, new float[24])
                .Node("MatMul", new[] { "a", "b" }, new[] { "c" }, "matmul").Output("c").Case();
            Build.Rejects(c, "QG0006", "matmul", "multiplies along the batch axis");
        }

        [Fact]
        public void A_conv_pad_wider_than_its_window_is_QG0004()
        {
            // Left pad 65535 on an 8-pixel row: a 264-byte change made calibrating take 273 s.
            Build.Rejects(Conv("x", Ints("pads", 1, 65535, 1, 1)).Case(), "QG0004", "conv", "wider than the 3x3 window");
        }

        [Fact]
        public void A_constant_graph_output_of_a_batched_model_is_QG0006()
        {
            var c = AddWeights().Output("w").Case();
            Build.Rejects(c, "QG0006", null, "graph output 'w' does not carry the batch axis");
        }

        // ---- sizes: checked arithmetic overflows, and allocations made before anything was checked ----

        [Theory]
        [InlineData(-2f, "scales must be finite and positive")]
        [InlineData(float.PositiveInfinity, "scales must be finite and positive")]
        [InlineData(float.NaN, "scales must be finite and positive")]
        [InlineData(1e9f, "makes axis 2 4000000000 elements long")]
        public void Resize_scales_out_of_range_are_QG0007(float scale, string fragment)
        {
            var c = new TestModel().Input("x", -1, 1, 4, 4).Floats("roi", new long[] { 0 }).Floats("scales", new long[] { 4 }, 1, 1, scale, 2)
                .Node("Resize", new[] { "x", "roi", "scales" }, new[] { "y" }, "resize").Output("y").Case();
            var (_, allocated) = Build.Measured(c);
            Build.Rejects(c, "QG0007", "resize", fragment);
            Assert.True(allocated < 64 << 20, $"{allocated} bytes allocated");
        }

        [Fact]
        public void Reshape_to_2_pow_31_is_QG0007()
        {
            var c = new TestModel().Input("x", -1, 4).Int64s("shape", new long[] { 3 }, 1, 1L << 31, 1)
                .Node("Reshape", new[] { "x", "shape" }, new[] { "y" }, "reshape").Output("y").Case();
            Build.Rejects(c, "QG0007", "reshape", "has the dimension 2147483648");
        }

        [Theory]
        [InlineData(40_000L, 40_000L)]
        [InlineData(1_000_000L, 1_000_000L)]
        public void A_huge_ConstantOfShape_is_QG0013_before_it_is_folded(long rows, long columns)
        {
            // [40000, 40000] used to build successfully after 103 s at 6.6 GB.
            var c = Relu().Int64s("shape", new long[] { 2 }, rows, columns)
                .Node("ConstantOfShape", new[] { "shape" }, new[] { "big" }, "fill").Case();
            var (outcome, allocated) = Build.Measured(c);
            Build.Rejects(c, "QG0013", "fill", "over the limit of 67,108,864 elements for one tensor");
            Assert.Contains("QuantGenMaxTensorElements", outcome.Log.Errors[0].Message);
            Assert.True(allocated < 64 << 20, $"{allocated} bytes allocated");
        }

        [Fact]
        public void Folding_may_compute_only_so_many_bytes_more_than_the_model_brought()
        {
            // Each ConstantOfShape fits the one-tensor limit; two, and their sum, took 1 GB for a 265-byte model.
            var c = Relu().Int64s("shape", new long[] { 2 }, 8192, 4096)
                .Node("ConstantOfShape", new[] { "shape" }, new[] { "a" }, "fill_a")
                .Node("ConstantOfShape", new[] { "shape" }, new[] { "b" }, "fill_b")
                .Node("Add", new[] { "a", "b" }, new[] { "sum" }, "sum").Case();
            var (outcome, allocated) = Build.Measured(c);
            Build.Rejects(c, "QG0013", "sum", "the constants computed at build time (constant folding) would take 384.0 MiB");
            Assert.True(allocated < 300 << 20, $"{allocated} bytes allocated");
        }

        [Fact]
        public void Folding_a_product_too_large_to_evaluate_is_refused_before_it_runs()
        {
            // 16 MB of constants, 8.6 billion multiply-adds: hours in the reference evaluator.
            var c = Relu().Int64s("shape", new long[] { 2 }, 2048, 2048)
                .Node("ConstantOfShape", new[] { "shape" }, new[] { "a" }, "fill")
                .Node("MatMul", new[] { "a", "a" }, new[] { "p" }, "square").Case();
            Build.Rejects(c, "QG0013", "square", "would take about 8,589,934,592 operations");
        }

        [Theory]
        [InlineData(2147483647L)]
        [InlineData(100_000_000L)]
        public void An_initializer_declaring_a_huge_shape_without_data_allocates_nothing(long elements)
        {
            // It used to allocate 8-16 GiB before comparing the shape with the bytes present.
            var c = Relu().Floats("w", new long[] { elements }).Case();
            var (outcome, allocated) = Build.Measured(c);
            Assert.Equal("QG0013", outcome.Log.Errors[0].Code);
            Assert.True(allocated < 64 << 20, $"{allocated} bytes allocated");

            // With the limits raised out of the way, the declared size still meets the bytes present first.
            c.Limits["MaxTensorElements"] = int.MaxValue.ToString();
            c.Limits["MaxTensorBytes"] = long.MaxValue.ToString();
            c.Limits["MaxWeightBytes"] = long.MaxValue.ToString();
            (outcome, allocated) = Build.Measured(c);
            Build.Rejects(c, "QG0002", null, "has 0 values in float_data");
            Assert.True(allocated < 64 << 20, $"{allocated} bytes allocated");
        }

        [Fact]
        public void Pad_by_two_billion_is_QG0007_before_any_table_is_built()
        {
            var c = new TestModel().Input("x", -1, 4).Int64s("pads", new long[] { 4 }, 0, 0, 0, 2_000_000_000)
                .Node("Pad", new[] { "x", "pads" }, new[] { "y" }, "pad").Output("y").Case();
            var (outcome, allocated) = Build.Measured(c);
            Assert.Equal("QG0013", outcome.Log.Errors[0].Code);
            Assert.StartsWith("node 'pad': ", outcome.Log.Errors[0].Message);
            Assert.True(allocated < 64 << 20, $"{allocated} bytes allocated");
        }

        [Fact]
        public void ConvTranspose_output_padding_of_a_billion_is_refused_before_allocating()
        {
            var c = new TestModel().Input("x", -1, 1, 4, 4).Floats("w", new long[] { 1, 1, 3, 3 }, new float[9])
                .Node("ConvTranspose", new[] { "x", "w" }, new[] { "y" }, "up", Ints("output_padding", 1_000_000_000, 1_000_000_000), Ints("strides", 1_000_000_001, 1_000_000_001))
                .Output("y").Case();
            var (outcome, allocated) = Build.Measured(c);
            Assert.StartsWith("node 'up': ", outcome.Log.Errors[0].Message);
            Assert.Contains(outcome.Log.Errors[0].Code, new[] { "QG0007", "QG0013" });
            Assert.True(allocated < 64 << 20, $"{allocated} bytes allocated");
        }

        [Fact]
        public void A_fixed_batch_of_0_images_lowers_to_no_call_not_a_division_by_zero()
        {
            var model = new TestModel().Input("x", 0, 1, 8, 8).Floats("w", new long[] { 2, 1, 3, 3 }, new float[18])
                .Node("Conv", new[] { "x", "w" }, new[] { "y" }, "conv").Output("y");
            var outcome = Build.Run(model.Case());
            Assert.True(outcome.Succeeded, string.Join("\n", outcome.Log.Errors));

            // Calibrating it has nothing to measure: a clean QG0105.
            var c = model.Case("Int8");
            c.Files.Add(Cases.CaseFile.Of("data/calib.f32", new byte[4]));
            c.Set("CalibrationData", "data/calib.f32");
            Build.Rejects(c, "QG0105", null, "input 'x' has no elements");
        }

        [Fact]
        public void A_negative_step_slice_of_an_empty_axis_takes_nothing()
        {
            // ONNX's test_slice_neg_steps with a fixed batch of 0: clamping the start to dim - 1 counted one element of
            // an empty axis, and the plan read 50 elements of an empty input (PlanFormatException, QG0999).
            var c = new TestModel().Input("x", 0, 10, 5).Int64s("starts", new long[] { 3 }, 20, 10, 4).Int64s("ends", new long[] { 3 }, 0, 0, 1)
                .Int64s("axes", new long[] { 3 }, 0, 1, 2).Int64s("steps", new long[] { 3 }, -1, -3, -2)
                .Node("Slice", new[] { "x", "starts", "ends", "axes", "steps" }, new[] { "y" }, "slice").Output("y").Case();
            var outcome = Build.Run(c);
            Assert.True(outcome.Succeeded, string.Join("\n", outcome.Log.Errors.Select(e => e.Code + " " + e.Message)) + outcome.Escaped);
        }

        [Fact]
        public void A_concat_of_empty_tensors_computes_nothing_instead_of_planning_a_negative_length()
        {
            var c = new TestModel().Input("a", 0, 2, 3).Input("b", 0, 2, 3)
                .Node("Concat", new[] { "a", "b" }, new[] { "y" }, "concat", Int("axis", 2)).Output("y").Case();
            var outcome = Build.Run(c);
            Assert.True(outcome.Succeeded, string.Join("\n", outcome.Log.Errors));
        }

        [Fact]
        public void A_fixed_batch_of_a_million_images_is_QG0013()
        {
            // It used to lower one step per image.
            var c = new TestModel().Input("x", 1_000_000, 1, 8, 8).Floats("w", new long[] { 2, 1, 3, 3 }, new float[18])
                .Node("Conv", new[] { "x", "w" }, new[] { "y" }, "conv").Output("y").Case();
            Build.Rejects(c, "QG0013", "conv", "over the limit of 67,108,864 elements");
        }

        [Fact]
        public void A_conv_with_run_time_weights_over_a_million_images_is_refused_before_lowering_them()
        {
            // Weights computed at run time lower one im2col and one product per image and group: 1.9 GB of calls.
            var c = new TestModel().Input("x", 1_000_000, 1, 3, 3).Input("w", 2, 1, 2, 2)
                .Node("Conv", new[] { "x", "w" }, new[] { "y" }, "conv").Output("y").Case();
            var (outcome, allocated) = Build.Measured(c);
            Build.Rejects(c, "QG0013", "conv", "a fixed batch of 1,000,000 images");
            Assert.True(allocated < 64 << 20, $"{allocated} bytes allocated");
        }

        [Fact]
        public void A_zipmap_over_a_graph_input_is_not_dropped_into_a_duplicate_name()
        {
            // Dropping the ZipMap made its input, a graph input, also a graph output: two plan tensors named 'x'.
            var model = new TestModel().Input("x", -1, 3)
                .Node("ZipMap", new[] { "x" }, new[] { "map" }, "zipmap", new AttributeProto { Name = "classlabels_int64s", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 0, 1, 2 } })
                .Output("map").Proto();
            model.Graph.Node[0].Domain = "ai.onnx.ml";
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "ai.onnx.ml", Version = 1 });
            var c = new Cases.FuzzCase(0, "regression") { Model = Google.Protobuf.MessageExtensions.ToByteArray(model) };
            c.Set("Precision", "Float32");
            var outcome = Build.Run(c);
            Assert.Equal(Verdict.CleanError, TaskHarness.Judge(c, outcome).Verdict);
            Assert.StartsWith("node 'zipmap': ", outcome.Log.Errors[0].Message);
        }

        [Fact]
        public void A_tree_ensemble_over_a_million_fixed_rows_is_refused_before_lowering_them()
        {
            // The tree lowering makes a call per row: 10^6 rows took 2 GB before the call limit, checked after the node, noticed
            // (and 65,536 rows, under that limit, 900 MB).
            var model = Onnx.Proto.ModelProto.Parser.ParseFrom(System.IO.File.ReadAllBytes(System.IO.Path.Combine(QuantGen.Tests.RepoPaths.Assets, "trees", "edge-probit-3class.onnx")));
            var dims = model.Graph.Input[0].Type.TensorType.Shape.Dim;
            dims[0] = new TensorShapeProto.Types.Dimension { DimValue = 1_000_000 };
            var c = new Cases.FuzzCase(0, "regression") { Model = Google.Protobuf.MessageExtensions.ToByteArray(model) };
            c.Set("Precision", "Float32");
            var (outcome, allocated) = Build.Measured(c);
            Assert.Equal(Verdict.CleanError, TaskHarness.Judge(c, outcome).Verdict);
            Assert.Contains("a fixed batch of 1,000,000 rows", outcome.Log.Errors[0].Message);
            Assert.True(allocated < 64L << 20, $"{allocated} bytes allocated");
        }

        [Fact]
        public void An_input_axis_of_2_pow_31_minus_1_is_refused_by_the_task_naming_the_model()
        {
            // The task used to accept a 3.3 TB workspace that only the generator refused, naming the .plan file.
            var c = new TestModel().Input("x", 1, int.MaxValue).Node("Relu", new[] { "x" }, new[] { "h" }, "relu")
                .Node("Sigmoid", new[] { "h" }, new[] { "y" }, "sigmoid").Output("y").Case();
            Build.Rejects(c, "QG0013", null, "input 'x' (float32[1,2147483647]) has 2,147,483,647 elements");
        }

        [Fact]
        public void The_workspace_limit_is_checked_by_the_task_and_its_property_raises_it()
        {
            var model = new TestModel().Input("x", -1, 64).Node("Relu", new[] { "x" }, new[] { "h" }, "relu")
                .Node("Sigmoid", new[] { "h" }, new[] { "y" }, "sigmoid").Output("y");
            var c = model.Case();
            c.Limits["MaxWorkspaceBytes"] = "128";
            var e = Build.Rejects(c, "QG0013", null, "the workspace");
            Assert.Contains("QuantGenMaxWorkspaceBytes", e.Message);
            c.Limits["MaxWorkspaceBytes"] = "256";
            Assert.True(Build.Run(c).Succeeded);
        }

        [Theory]
        [InlineData("MaxTensorBytes", "lots")]
        [InlineData("MaxTensorElements", "0")]
        [InlineData("MaxWorkspaceBytes", "4294967296")]
        public void A_bad_limit_property_is_QG2011(string property, string value)
        {
            var c = Relu().Case();
            c.Limits[property] = value;
            var outcome = Build.Run(c);
            Assert.Equal("QG2011", Assert.Single(outcome.Log.Errors).Code);
            Assert.Contains("QuantGen" + property, outcome.Log.Errors[0].Message);
        }

        [Fact]
        public void Running_out_of_memory_is_QG0014_naming_the_model_not_a_stack_trace()
        {
            // The limits raised out of the way and a build process with a 256 MiB heap: folding a 400 MB constant runs out.
            // In-process, as the package runs the task, MSBuild used to print MSB4018 and the OutOfMemoryException's stack.
            string folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "quantgen-oom-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            System.IO.Directory.CreateDirectory(folder);
            try
            {
                string model = System.IO.Path.Combine(folder, "model.onnx");
                System.IO.File.WriteAllBytes(model, Relu().Int64s("shape", new long[] { 1 }, 100_000_000)
                    .Node("ConstantOfShape", new[] { "shape" }, new[] { "big" }, "fill").Bytes());
                var info = Campaign.StartInfo(256L << 20, "build", model, "--max-tensor-elements", int.MaxValue.ToString(),
                    "--max-tensor-bytes", long.MaxValue.ToString(), "--max-weight-bytes", long.MaxValue.ToString());
                using var process = System.Diagnostics.Process.Start(info)!;
                string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
                Assert.True(process.WaitForExit(120_000));
                Assert.Equal(1, process.ExitCode);
                Assert.Matches(@"error QG0014: \S*model\.onnx: QuantGen ran out of memory compiling this model\.", output);
                Assert.DoesNotContain("escaped", output);
                Assert.DoesNotContain("   at ", output);
            }
            finally
            {
                System.IO.Directory.Delete(folder, recursive: true);
            }
        }

        [Fact]
        public void A_qdq_export_that_cannot_express_the_graph_is_a_warning_not_a_crash()
        {
            // An opset-11 Softmax normalizes over every axis from 1 on; the opset-13 QDQ export has no single node for it and
            // threw NotSupportedException out of the task (MSB4018).
            var model = new TestModel { Opset = 11 }.Input("x", -1, 2, 3, 4).Node("Softmax", new[] { "x" }, new[] { "y" }, "softmax").Output("y");
            var c = model.Case("Int8");
            var samples = Enumerable.Range(0, 4).Select(i => Enumerable.Range(0, 24).Select(j => (float)Math.Sin(i + j)).ToArray()).ToList();
            c.Files.Add(Cases.CaseFile.Of("data/calib.f32", Mutation.DataMutations.Encode(".f32", new[] { 2, 3, 4 }, samples)));
            c.Set("CalibrationData", "data/calib.f32");
            var outcome = Build.Run(c);
            Assert.True(outcome.Succeeded, string.Join("\n", outcome.Log.Errors));
            var warning = Assert.Single(outcome.Log.Warnings, w => w.Code == "QG2012");
            Assert.Contains("Softmax 'softmax'", warning.Message);
        }

        // ---- the file system ----

        [Fact]
        public void A_normalized_gemm_with_one_output_and_a_scalar_bias_builds()
        {
            // A logistic regression after standardization: Float32 builds fold the Sub into the Gemm, whose C is a scalar
            // (rank 0) and N is 1; the fold read C's last axis and threw (QG0999) instead of taking it as one value.
            var c = new TestModel().Input("x", -1, 3).Floats("mean", new long[] { 3 }, 1, 2, 3)
                .Floats("w", new long[] { 3, 1 }, 0.5f, -1, 2).Floats("b", new long[0], 0.25f)
                .Node("Sub", new[] { "x", "mean" }, new[] { "centered" }, "sub")
                .Node("Gemm", new[] { "centered", "w", "b" }, new[] { "y" }, "gemm").Output("y").Case();
            var outcome = Build.Run(c);
            Assert.True(outcome.Succeeded, string.Join("\n", outcome.Log.Errors.Select(e => e.Code + " " + e.Message)) + outcome.Escaped);
        }

        [Fact]
        public void A_NUL_in_an_external_data_location_is_QG0009()
        {
            var model = AddWeights().Proto();
            var w = model.Graph.Initializer[0];
            w.RawData = Google.Protobuf.ByteString.Empty;
            w.DataLocation = TensorProto.Types.DataLocation.External;
            w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights\0.bin" });
            var c = new Cases.FuzzCase(0, "regression") { Model = Google.Protobuf.MessageExtensions.ToByteArray(model) };
            c.Set("Precision", "Float32");
            Build.Rejects(c, "QG0009", null, "NUL character");
        }
    }
}
