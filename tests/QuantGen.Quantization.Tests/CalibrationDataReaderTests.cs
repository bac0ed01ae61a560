// Every calibration format round-trips; folders, globs and the sample cap select the right samples; bad data gets its QG id.
using System;
using System.IO;
using System.Linq;
using QuantGen.Compiler.Quantization.Calibration;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;
using QuantGen.Onnx;
using QuantGen.Tests;
using Xunit;

namespace QuantGen.Quantization.Tests
{
    public class CalibrationDataReaderTests
    {
        private static readonly int[] s_tabular = { 30 };
        private static readonly int[] s_image = { 3, 4, 4 };

        private static CalibrationDataReader Reader(int[] shape) => new CalibrationDataReader(shape, "features");

        private static void AssertSamples(float[][] expected, float[][] actual)
        {
            Assert.Equal(expected.Length, actual.Length);
            for (int s = 0; s < expected.Length; s++) Assert.Equal(expected[s], actual[s]);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        public void Npy_round_trips_with_every_header_version(int version)
        {
            using var dir = new TempFolder();
            var samples = TestFiles.Samples(5, 48);
            TestFiles.WriteNpy(dir.File("x.npy"), new[] { 5, 3, 4, 4 }, TestFiles.Flatten(samples), version);
            AssertSamples(samples, Reader(s_image).ReadSamples(dir.File("x.npy")).ToArray());
        }

        [Fact]
        public void Npy_accepts_flattened_rows_and_a_single_unbatched_sample()
        {
            using var dir = new TempFolder();
            var samples = TestFiles.Samples(4, 48);
            TestFiles.WriteNpy(dir.File("rows.npy"), new[] { 4, 48 }, TestFiles.Flatten(samples));
            TestFiles.WriteNpy(dir.File("one.npy"), new[] { 3, 4, 4 }, samples[0]);
            AssertSamples(samples, Reader(s_image).ReadSamples(dir.File("rows.npy")).ToArray());
            AssertSamples(new[] { samples[0] }, Reader(s_image).ReadSamples(dir.File("one.npy")).ToArray());
        }

        [Fact]
        public void Csv_round_trips_with_and_without_a_header_row()
        {
            using var dir = new TempFolder();
            var samples = TestFiles.Samples(7, 30, offset: -3.5f);
            TestFiles.WriteCsv(dir.File("plain.csv"), samples);
            TestFiles.WriteCsv(dir.File("header.csv"), samples, string.Join(",", Enumerable.Range(0, 30).Select(i => "feature " + i)));
            AssertSamples(samples, Reader(s_tabular).ReadSamples(dir.File("plain.csv")).ToArray());
            AssertSamples(samples, Reader(s_tabular).ReadSamples(dir.File("header.csv")).ToArray());
        }

        [Fact]
        public void Csv_reads_exponents_quotes_and_skips_blank_lines()
        {
            using var dir = new TempFolder();
            File.WriteAllText(dir.File("x.csv"), "a,b,c\n\n1e-3, \"2.5\" ,-4E+2\n\n7,8,9\n");
            var rows = Reader(new[] { 3 }).ReadSamples(dir.File("x.csv")).ToArray();
            AssertSamples(new[] { new[] { 1e-3f, 2.5f, -400f }, new[] { 7f, 8f, 9f } }, rows);
        }

        [Fact]
        public void Raw_f32_round_trips()
        {
            using var dir = new TempFolder();
            var samples = TestFiles.Samples(6, 48);
            TestFiles.WriteF32(dir.File("x.f32"), samples);
            AssertSamples(samples, Reader(s_image).ReadSamples(dir.File("x.f32")).ToArray());
        }

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public void TensorProto_round_trips_with_raw_data_and_float_data(bool raw)
        {
            using var dir = new TempFolder();
            var samples = TestFiles.Samples(3, 48);
            TestFiles.WritePb(dir.File("x.pb"), new[] { 3, 3, 4, 4 }, TestFiles.Flatten(samples), raw);
            AssertSamples(samples, Reader(s_image).ReadSamples(dir.File("x.pb")).ToArray());
        }

        [Fact]
        public void The_reference_test_vectors_read_as_one_sample_each()
        {
            // Calibration reads .pb files with QuantGen.Onnx's TensorFile, the one TensorProto reader.
            foreach (var model in new[] { "clinical-mlp", "digits-cnn" })
            {
                string file = Path.Combine(RepoPaths.Model(model), "test_data_set_0", "input_0.pb");
                var tensor = TensorFile.Read(file);
                var samples = new CalibrationDataReader(tensor.Shape.Skip(1).ToArray(), "input").ReadSamples(file).ToArray();
                Assert.Equal(tensor.Shape[0], samples.Length);
                Assert.Equal(tensor.Floats, samples.SelectMany(s => s).ToArray());
            }
        }

        [Fact]
        public void A_folder_reads_every_supported_file_in_ordinal_order()
        {
            using var dir = new TempFolder();
            var a = TestFiles.Samples(2, 30, 0.5f);
            var b = TestFiles.Samples(3, 30, 100.5f);
            var c = TestFiles.Samples(1, 30, 200.5f);
            var d = TestFiles.Samples(2, 30, 300.5f);
            TestFiles.WriteNpy(dir.File("B.npy"), new[] { 2, 30 }, TestFiles.Flatten(a));
            TestFiles.WriteCsv(dir.File("a.csv"), b);
            TestFiles.WriteF32(dir.File("c.f32"), c);
            TestFiles.WritePb(dir.File("d.pb"), new[] { 2, 30 }, TestFiles.Flatten(d));
            File.WriteAllText(dir.File("notes.txt"), "not calibration data");
            Assert.Equal(new[] { "B.npy", "a.csv", "c.f32", "d.pb" }, CalibrationDataReader.ResolveFiles(dir.Path).Select(Path.GetFileName));
            AssertSamples(a.Concat(b).Concat(c).Concat(d).ToArray(), Reader(s_tabular).ReadSamples(dir.Path).ToArray());
        }

        [Fact]
        public void A_glob_matches_star_and_question_mark_in_the_file_name_and_searches_sub_folders_after_double_star()
        {
            using var dir = new TempFolder();
            Directory.CreateDirectory(dir.File("sub"));
            foreach (var name in new[] { "s1.f32", "s2.f32", "s10.f32", "t1.f32", Path.Combine("sub", "s3.f32") })
                TestFiles.WriteF32(dir.File(name), TestFiles.Samples(1, 30));
            TestFiles.WriteCsv(dir.File("s1.csv"), TestFiles.Samples(1, 30));
            Assert.Equal(new[] { "s1.f32", "s2.f32" }, CalibrationDataReader.ResolveFiles(dir.File("s?.f32")).Select(Path.GetFileName));
            Assert.Equal(new[] { "s1.f32", "s10.f32", "s2.f32" }, CalibrationDataReader.ResolveFiles(dir.File("s*.f32")).Select(Path.GetFileName));
            Assert.Equal(new[] { "s1.f32", "s10.f32", "s2.f32", "s3.f32" },
                CalibrationDataReader.ResolveFiles(Path.Combine(dir.Path, "**", "s*.f32")).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
            Assert.Equal(4, Reader(s_tabular).ReadSamples(dir.File("*1*")).Count());
        }

        [Fact]
        public void The_sample_cap_stops_early_and_never_opens_the_files_after_it()
        {
            using var dir = new TempFolder();
            var samples = TestFiles.Samples(5, 30);
            TestFiles.WriteF32(dir.File("a.f32"), samples);
            File.WriteAllText(dir.File("b.csv"), "1,2,oops\n1,2,oops\n");
            AssertSamples(samples.Take(3).ToArray(), Reader(s_tabular).ReadSamples(dir.Path, maxSamples: 3).ToArray());
            AssertSamples(samples, Reader(s_tabular).ReadSamples(dir.Path, maxSamples: 5).ToArray());
            var e = Assert.Throws<CompilerException>(() => Reader(s_tabular).ReadSamples(dir.Path, maxSamples: 6).ToArray());
            Assert.Equal(CalibrationDiagnostics.DataUnreadable, e.Diagnostic.Id);
        }

        [Fact]
        public void Sample_shape_of_an_input_drops_the_batch_axis()
        {
            Assert.Equal(new[] { 30 }, CalibrationDataReader.SampleShapeOf(new Value("x", DataType.Float32, new[] { 1, 30 }) { IsBatched = true }));
            Assert.Equal(new[] { 3, 224, 224 }, CalibrationDataReader.SampleShapeOf(new Value("x", DataType.Float32, new[] { 1, 3, 224, 224 })));
            Assert.Equal(new[] { 30 }, CalibrationDataReader.SampleShapeOf(new Value("x", DataType.Float32, new[] { 30 })));
            Assert.Equal("[3,32,32] (3072 floats)", CalibrationDataReader.Describe(new[] { 3, 32, 32 }));
        }

        // ---- bad data ----

        private static CompilerDiagnostic Fails(Action read)
        {
            var e = Assert.Throws<CompilerException>(read);
            Assert.Equal(DiagnosticSeverity.Error, e.Diagnostic.Severity);
            Assert.NotNull(e.Diagnostic.File);
            return e.Diagnostic;
        }

        private static CompilerDiagnostic ReadFails(string source, int[]? shape = null) =>
            Fails(() => Reader(shape ?? s_tabular).ReadSamples(source).ToArray());

        [Fact]
        public void Missing_data_is_QG0101()
        {
            using var dir = new TempFolder();
            Directory.CreateDirectory(dir.File("empty"));
            File.WriteAllText(dir.File("empty/readme.txt"), "x");
            File.WriteAllBytes(dir.File("nothing.f32"), Array.Empty<byte>());
            Assert.Equal("QG0101", ReadFails(dir.File("nope.npy")).Id);
            Assert.Contains("does not exist", ReadFails(dir.File("nope.npy")).Message);
            Assert.Equal("QG0101", ReadFails(dir.File("*.npy")).Id);
            Assert.Equal("QG0101", ReadFails(dir.File("empty")).Id);
            var none = ReadFails(dir.File("nothing.f32"));
            Assert.Equal("QG0101", none.Id);
            Assert.Contains("expected samples shaped [30] (30 floats)", none.Message);
            Assert.Equal("QG0101", Assert.Throws<CompilerException>(() => CalibrationDataReader.ResolveFiles("")).Diagnostic.Id);
        }

        [Fact]
        public void Rows_of_the_wrong_size_are_QG0104_naming_the_expected_shape()
        {
            using var dir = new TempFolder();
            TestFiles.WriteCsv(dir.File("x.csv"), TestFiles.Samples(2, 37));
            var d = ReadFails(dir.File("x.csv"));
            Assert.Equal("QG0104", d.Id);
            Assert.Contains("expected samples shaped [30] (30 floats), the file holds 37 values per row", d.Message);
            Assert.Contains("input 'features'", d.Message);
            Assert.Equal(dir.File("x.csv"), d.File);
        }

        [Fact]
        public void Arrays_of_the_wrong_size_are_QG0104_in_every_format()
        {
            using var dir = new TempFolder();
            TestFiles.WriteNpy(dir.File("x.npy"), new[] { 4, 37 }, new float[4 * 37]);
            TestFiles.WritePb(dir.File("x.pb"), new[] { 4, 37 }, new float[4 * 37]);
            TestFiles.WriteF32(dir.File("x.f32"), TestFiles.Samples(1, 37));
            File.WriteAllBytes(dir.File("odd.f32"), new byte[30 * 4 + 2]);
            var npy = ReadFails(dir.File("x.npy"));
            Assert.Equal("QG0104", npy.Id);
            Assert.Contains("expected samples shaped [30] (30 floats), the file holds an array shaped [4,37] (37 values per sample)", npy.Message);
            var pb = ReadFails(dir.File("x.pb"));
            Assert.Equal("QG0104", pb.Id);
            Assert.Contains("a tensor shaped [4,37]", pb.Message);
            var f32 = ReadFails(dir.File("x.f32"));
            Assert.Equal("QG0104", f32.Id);
            Assert.Contains("expected samples shaped [30] (30 floats), the file holds 37 floats, which is not a multiple of 30", f32.Message);
            Assert.Equal("QG0104", ReadFails(dir.File("odd.f32")).Id);
        }

        [Fact]
        public void Unsupported_encodings_are_QG0103()
        {
            using var dir = new TempFolder();
            TestFiles.WriteNpy(dir.File("f64.npy"), new[] { 1, 15 }, new float[30], descr: "<f8");
            TestFiles.WriteNpy(dir.File("fortran.npy"), new[] { 1, 30 }, new float[30], fortran: true);
            TestFiles.WritePb(dir.File("int.pb"), new[] { 1, 30 }, new float[30], dataType: 6);
            File.WriteAllText(dir.File("x.json"), "[1,2,3]");
            var f64 = ReadFails(dir.File("f64.npy"));
            Assert.Equal("QG0103", f64.Id);
            Assert.Contains("'<f8'", f64.Message);
            Assert.Contains("Fortran order", ReadFails(dir.File("fortran.npy")).Message);
            Assert.Equal("QG0103", ReadFails(dir.File("fortran.npy")).Id);
            Assert.Equal("QG0103", ReadFails(dir.File("int.pb")).Id);
            Assert.Equal("QG0103", ReadFails(dir.File("x.json")).Id);
        }

        [Fact]
        public void Malformed_files_are_QG0102()
        {
            using var dir = new TempFolder();
            TestFiles.WriteNpy(dir.File("short.npy"), new[] { 2, 30 }, new float[60], bytesOverride: 100);
            File.WriteAllBytes(dir.File("magic.npy"), new byte[64]);
            File.WriteAllText(dir.File("cell.csv"), "1,2,3\n4,five,6\n");
            File.WriteAllBytes(dir.File("broken.pb"), new byte[] { 0x08, 0x02, 0x4A, 0x40, 0x00 });
            Assert.Equal("QG0102", ReadFails(dir.File("short.npy")).Id);
            Assert.Contains("truncated", ReadFails(dir.File("short.npy")).Message);
            Assert.Equal("QG0102", ReadFails(dir.File("magic.npy")).Id);
            var cell = ReadFails(dir.File("cell.csv"), new[] { 3 });
            Assert.Equal("QG0102", cell.Id);
            Assert.Contains("line 2, column 2: 'five' is not a number", cell.Message);
            Assert.Equal("QG0102", ReadFails(dir.File("broken.pb")).Id);
        }
    }
}
