// Files a model or its data name: nothing outside the model's (or the data's) folder is read, symlinks included, and
// nothing that is not a plain file is opened (a named pipe would block the build forever, a device never ends).
using System;
using System.Linq;
using System.Threading.Tasks;
using Google.Protobuf;
using QuantGen.Fuzz.Cases;
using QuantGen.Fuzz.Mutation;
using QuantGen.Fuzz.Running;
using QuantGen.Onnx.Proto;
using Xunit;

namespace QuantGen.Fuzz.Tests
{
    public class FileSafetyTests
    {
        /// <summary>The Add model with its weights moved to the external file <paramref name="location"/>.</summary>
        private static FuzzCase External(string location)
        {
            var model = TestModel.AddWeights().Proto();
            var w = model.Graph.Initializer[0];
            w.RawData = ByteString.Empty;
            w.DataLocation = TensorProto.Types.DataLocation.External;
            w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
            var c = new FuzzCase(0, "regression") { Model = model.ToByteArray() };
            c.Set("Precision", "Float32");
            return c;
        }

        private static readonly byte[] s_weights = new[] { 1f, 2f, 3f, 4f }.SelectMany(BitConverter.GetBytes).ToArray();

        /// <summary>A pipe that blocks a reader shows up as a build that never returns: give up after a while instead of hanging the test run.</summary>
        private static T Promptly<T>(Func<T> build)
        {
            var task = Task.Run(build);
            Assert.True(task.Wait(TimeSpan.FromSeconds(60)), "the build did not return (it opened a named pipe?)");
            return task.Result;
        }

        [Fact]
        public void External_data_next_to_the_model_is_read()
        {
            var c = External("weights.bin");
            c.Files.Add(CaseFile.Of("models/weights.bin", s_weights));
            Assert.True(Build.Run(c).Succeeded);
        }

        [Fact]
        public void A_symlink_that_stays_in_the_model_folder_is_followed()
        {
            var c = External("link.bin");
            c.Files.Add(CaseFile.Of("models/real/weights.bin", s_weights));
            c.Files.Add(CaseFile.Link("models/link.bin", "real/weights.bin"));
            Assert.True(Build.Run(c).Succeeded);
        }

        [Fact]
        public void A_symlink_in_the_model_folder_to_a_file_outside_is_QG0009()
        {
            // The location is a plain name; only its real path leaves the folder. This one used to be read, and the outside
            // file's bytes ended up in the built assembly.
            var c = External("link.bin");
            c.Files.Add(CaseFile.Link("models/link.bin", FileMutations.SecretFromModels));
            Build.Rejects(c, "QG0009", null, "outside the model's folder");
        }

        [Fact]
        public void A_symlinked_folder_leading_outside_is_QG0009()
        {
            var c = External("dir/secret.bin");
            c.Files.Add(CaseFile.Link("models/dir", "../../outside"));
            Build.Rejects(c, "QG0009", null, "outside the model's folder");
        }

        [Theory]
        [InlineData(FileMutations.SecretFromModels)]
        [InlineData("../models/../../outside/secret.bin")]
        [InlineData("/dev/zero")]
        [InlineData("/proc/self/fd/0")]
        public void A_location_outside_the_model_folder_is_QG0009(string location)
        {
            Build.Rejects(External(location), "QG0009", null, "outside the model's folder");
        }

        [Fact]
        public void A_named_pipe_as_external_data_is_QG0009_without_being_opened()
        {
            var c = External("pipe.bin");
            c.Files.Add(CaseFile.Fifo("models/pipe.bin"));
            Promptly(() => Build.Rejects(c, "QG0009", null, "not a regular file"));
        }

        [Fact]
        public void A_model_that_is_a_named_pipe_is_QG0001_without_being_opened()
        {
            var c = TestModel.Relu().Case();
            c.ItemSpec = "models/pipe.onnx";
            c.Files.Add(CaseFile.Fifo("models/pipe.onnx"));
            Promptly(() => Build.Rejects(c, "QG0001", null, "not a regular file", file: "pipe.onnx"));
        }

        [Fact]
        public void A_model_that_is_a_symlink_to_a_named_pipe_is_QG0001()
        {
            var c = TestModel.Relu().Case();
            c.ItemSpec = "models/link.onnx";
            c.Files.Add(CaseFile.Fifo("models/pipe.onnx"));
            c.Files.Add(CaseFile.Link("models/link.onnx", "pipe.onnx"));
            Promptly(() => Build.Rejects(c, "QG0001", null, "not a regular file", file: "link.onnx"));
        }

        [Fact]
        public void A_device_as_the_model_is_QG0001()
        {
            // /dev/zero never ends: reading it "to the end" filled memory.
            var c = TestModel.Relu().Case();
            c.ItemSpec = "/dev/zero";
            Promptly(() => Build.Rejects(c, "QG0001", null, "not a regular file", file: "/dev/zero"));
        }

        // ---- calibration data ----

        private static readonly float[][] s_samples = Enumerable.Range(0, 4).Select(i => new[] { i, 1f - i, 0.5f * i, 2f }).ToArray();

        private static FuzzCase Calibrated(params CaseFile[] files)
        {
            var c = TestModel.Relu().Case("Int8");
            c.Files.AddRange(files);
            return c;
        }

        private static byte[] Raw(params float[][] samples) => DataMutations.Encode(".f32", new[] { 4 }, samples);

        [Fact]
        public void A_calibration_file_linking_outside_its_folder_is_QG0102()
        {
            var c = Calibrated(CaseFile.Link("data/calib.f32", "../../outside/secret.bin"));
            c.Set("CalibrationData", "data/calib.f32");
            Build.Rejects(c, "QG0102", null, "outside the data's folder", file: "calib.f32");
        }

        [Fact]
        public void A_link_out_of_a_calibration_folder_is_refused_even_when_no_sample_from_it_is_needed()
        {
            var c = Calibrated(CaseFile.Of("data/a.f32", Raw(s_samples)), CaseFile.Link("data/b.f32", "../../outside/secret.bin"));
            c.Set("CalibrationData", "data");
            c.Set("CalibrationSamples", "2");
            Build.Rejects(c, "QG0102", null, "outside the data's folder", file: "b.f32");
        }

        [Fact]
        public void A_pb_calibration_file_whose_external_data_lies_outside_its_folder_is_QG0102()
        {
            // .pb files are read by the ONNX reader, external data included: the same real-path check as a model's.
            var tensor = TensorProto.Parser.ParseFrom(DataMutations.Encode(".pb", new[] { 4 }, s_samples));
            tensor.RawData = ByteString.Empty;
            tensor.DataLocation = TensorProto.Types.DataLocation.External;
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "../../outside/secret.bin" });
            var c = Calibrated(CaseFile.Of("data/calib.pb", tensor.ToByteArray()));
            c.Set("CalibrationData", "data/calib.pb");
            c.ReachesOutside = true;
            Build.Rejects(c, "QG0102", null, "outside the model's folder", file: "calib.pb");
        }

        [Fact]
        public void A_calibration_file_that_is_a_named_pipe_is_never_opened()
        {
            var c = Calibrated(CaseFile.Fifo("data/calib.f32"));
            c.Set("CalibrationData", "data/calib.f32");
            Promptly(() => Build.Rejects(c, "QG0101", null, "not regular files (named pipes, devices), which QuantGen does not open", file: "calib.f32"));
        }

        [Fact]
        public void A_named_pipe_in_a_calibration_folder_is_skipped_unopened()
        {
            var c = Calibrated(CaseFile.Of("data/a.f32", Raw(s_samples)), CaseFile.Fifo("data/b.f32"));
            c.Set("CalibrationData", "data");
            var outcome = Promptly(() => Build.Run(c));
            Assert.True(outcome.Succeeded, string.Join("\n", outcome.Log.Errors));
        }

        [Theory]
        [InlineData(float.NaN)]
        [InlineData(float.PositiveInfinity)]
        [InlineData(float.NegativeInfinity)]
        public void NaN_or_infinity_in_calibration_data_is_QG0108_with_where_it_is(float bad)
        {
            var samples = s_samples.Select(s => (float[])s.Clone()).ToArray();
            samples[2][1] = bad;
            samples[2][3] = bad;
            var c = Calibrated(CaseFile.Of("data/calib.f32", Raw(samples)));
            c.Set("CalibrationData", "data/calib.f32");
            Build.Rejects(c, "QG0108", null, "sample 2 holds 2 NaN or infinite values (the first at element 1)", file: "calib.f32");
        }

        [Fact]
        public void A_pb_calibration_file_declaring_a_billion_values_is_QG0013_before_allocating()
        {
            // dims [2^28, 4] and four floats of data: the declared shape is checked before its array is allocated.
            var tensor = new TensorProto { DataType = 1, RawData = ByteString.CopyFrom(new byte[16]) };
            tensor.Dims.Add(1L << 28);
            tensor.Dims.Add(4);
            var c = Calibrated(CaseFile.Of("data/calib.pb", tensor.ToByteArray()));
            c.Set("CalibrationData", "data/calib.pb");
            var (outcome, allocated) = Build.Measured(c);
            Assert.True(allocated < 64L << 20, $"{allocated} bytes allocated");
            Build.Rejects(c, "QG0013", null, "1,073,741,824 elements", file: "calib.pb");
            Assert.False(outcome.Succeeded);
        }

        [Fact]
        public void The_tensor_limit_properties_apply_to_pb_calibration_files()
        {
            // Four samples of four floats: 16 elements, over a limit of 8 that the Relu model (4 elements a sample) fits.
            var c = Calibrated(CaseFile.Of("data/calib.pb", DataMutations.Encode(".pb", new[] { 4 }, s_samples)));
            c.Set("CalibrationData", "data/calib.pb");
            Assert.True(Build.Run(c).Succeeded);
            c.Limits["MaxTensorElements"] = "8";
            var e = Build.Rejects(c, "QG0013", null, "16 elements", file: "calib.pb");
            Assert.Contains("QuantGenMaxTensorElements", e.Message);
        }

        [Fact]
        public void NaN_in_a_csv_cell_is_QG0108()
        {
            var c = Calibrated(CaseFile.Of("data/calib.csv", System.Text.Encoding.UTF8.GetBytes("a,b,c,d\n1,2,3,4\n1,nan,3,4\n")));
            c.Set("CalibrationData", "data/calib.csv");
            Build.Rejects(c, "QG0108", null, "sample 1 holds 1 NaN", file: "calib.csv");
        }

        [Fact]
        public void NaN_in_validation_data_is_QG0108()
        {
            var bad = s_samples.Select(s => (float[])s.Clone()).ToArray();
            bad[0][0] = float.NaN;
            var c = Calibrated(CaseFile.Of("data/calib.f32", Raw(s_samples)), CaseFile.Of("data/valid.f32", Raw(bad)), CaseFile.Of("data/valid.i32", new byte[16]));
            c.Set("CalibrationData", "data/calib.f32");
            c.Set("ValidationData", "data/valid.f32");
            c.Set("ValidationLabels", "data/valid.i32");
            Build.Rejects(c, "QG0108", null, "sample 0 holds 1 NaN", file: "valid.f32");
        }

        [Fact]
        public void A_device_as_calibration_data_is_never_read()
        {
            var c = Calibrated();
            c.Set("CalibrationData", "/dev/zero");
            Promptly(() => Build.Rejects(c, "QG0101", null, "not regular files", file: "/dev/zero"));
        }
    }
}
