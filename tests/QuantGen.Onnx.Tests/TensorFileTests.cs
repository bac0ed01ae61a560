// TensorFile reads the ONNX backend-test vectors (serialized TensorProto) of the reference models.
using System.IO;
using Google.Protobuf;
using QuantGen.Ir.Diagnostics;
using QuantGen.Ir;
using QuantGen.Onnx.Proto;
using QuantGen.Tests;
using Xunit;

namespace QuantGen.Onnx.Tests
{
    public class TensorFileTests
    {
        [Theory]
        [InlineData("clinical-mlp", 0, new[] { 1, 30 }, new[] { 1, 2 })]
        [InlineData("clinical-mlp", 1, new[] { 8, 30 }, new[] { 8, 2 })]
        [InlineData("digits-cnn", 0, new[] { 1, 1, 8, 8 }, new[] { 1, 10 })]
        [InlineData("digits-cnn", 1, new[] { 16, 1, 8, 8 }, new[] { 16, 10 })]
        [InlineData("mobilenetv2-digits", 1, new[] { 4, 3, 32, 32 }, new[] { 4, 10 })]
        [InlineData("mobilenetv2-224", 0, new[] { 1, 3, 224, 224 }, new[] { 1, 1000 })]
        public void ReadsTestVectors(string model, int set, int[] inputShape, int[] outputShape)
        {
            string folder = Path.Combine(RepoPaths.Model(model), "test_data_set_" + set);

            var input = TensorFile.Read(Path.Combine(folder, "input_0.pb"));
            var output = TensorFile.Read(Path.Combine(folder, "output_0.pb"));

            Assert.Equal(DataType.Float32, input.Type);
            Assert.Equal(inputShape, input.Shape);
            Assert.Equal(outputShape, output.Shape);
        }

        [Fact]
        public void SoftmaxOutputsSumToOne()
        {
            var output = TensorFile.Read(Path.Combine(RepoPaths.Model("clinical-mlp"), "test_data_set_1", "output_0.pb"));
            for (int row = 0; row < output.Shape[0]; row++)
                Assert.Equal(1.0, output.Floats[2 * row] + output.Floats[2 * row + 1], 5);
        }

        [Fact]
        public void BytesOverloadMatchesPathOverload()
        {
            string path = Path.Combine(RepoPaths.Model("digits-cnn"), "test_data_set_0", "input_0.pb");
            Assert.Equal(TensorFile.Read(path).Floats, TensorFile.Read(File.ReadAllBytes(path)).Floats);
        }

        [Fact]
        public void MissingFileIsQG0001()
        {
            string path = Path.Combine(RepoPaths.Assets, "no-such-tensor.pb");
            var e = Assert.Throws<CompilerException>(() => TensorFile.Read(path));
            Assert.Equal(DiagnosticIds.ModelUnreadable, e.Diagnostic.Id);
            Assert.Equal(path, e.Diagnostic.File);
        }

        [Fact]
        public void GarbageIsQG0002()
        {
            var e = Assert.Throws<CompilerException>(() => TensorFile.Read(new byte[] { 0x0A, 0xFF, 0xFF, 0x01 }, "garbage.pb"));
            Assert.Equal(DiagnosticIds.ModelMalformed, e.Diagnostic.Id);
            Assert.Equal("garbage.pb", e.Diagnostic.File);
        }

        [Fact]
        public void ReadsTypedFieldsWhenThereIsNoRawData()
        {
            var proto = new TensorProto { DataType = (int)DataType.Float32, Dims = { 2, 2 }, FloatData = { 1f, 2f, 3f, 4f } };
            var tensor = TensorFile.Read(proto.ToByteArray());
            Assert.Equal(new[] { 2, 2 }, tensor.Shape);
            Assert.Equal(new[] { 1f, 2f, 3f, 4f }, tensor.Floats);
        }
    }
}
