// Small ONNX models written in code, for the regression cases: each one the smallest model that showed a failure class.
using System;
using System.IO;
using System.Linq;
using Google.Protobuf;
using QuantGen.Fuzz.Cases;
using QuantGen.Fuzz.Running;
using QuantGen.Onnx.Proto;

namespace QuantGen.Fuzz.Tests
{
    internal sealed class TestModel
    {
        private readonly GraphProto _graph = new GraphProto { Name = "regression" };

        public long Opset { get; set; } = 13;

        /// <summary>A float32 graph input; -1 is the symbolic batch axis N.</summary>
        public TestModel Input(string name, params long[] dims) => Input(name, 1, dims);

        public TestModel Input(string name, int elementType, long[] dims)
        {
            var shape = new TensorShapeProto();
            shape.Dim.AddRange(dims.Select(d => d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d }));
            _graph.Input.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elementType, Shape = shape } } });
            return this;
        }

        public TestModel Output(string name)
        {
            _graph.Output.Add(new ValueInfoProto { Name = name });
            return this;
        }

        public TestModel Floats(string name, long[] dims, params float[] values)
        {
            var bytes = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            return Initializer(new TensorProto { Name = name, DataType = 1, Dims = { dims }, RawData = ByteString.CopyFrom(bytes) });
        }

        public TestModel Int64s(string name, long[] dims, params long[] values)
        {
            var bytes = new byte[values.Length * 8];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            return Initializer(new TensorProto { Name = name, DataType = 7, Dims = { dims }, RawData = ByteString.CopyFrom(bytes) });
        }

        public TestModel Initializer(TensorProto tensor)
        {
            _graph.Initializer.Add(tensor);
            return this;
        }

        public TestModel Node(string opType, string[] inputs, string[] outputs, string name, params AttributeProto[] attributes)
        {
            _graph.Node.Add(new NodeProto { OpType = opType, Name = name, Input = { inputs }, Output = { outputs }, Attribute = { attributes } });
            return this;
        }

        public static AttributeProto Int(string name, long value) => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

        public static AttributeProto Ints(string name, params long[] values) => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } };

        public static AttributeProto Float(string name, float value) => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

        public static AttributeProto Floats(string name, params float[] values) => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats, Floats = { values } };

        public ModelProto Proto() => new ModelProto
        {
            IrVersion = 8,
            ProducerName = "quantgen-regression",
            OpsetImport = { new OperatorSetIdProto { Domain = "", Version = Opset } },
            Graph = _graph.Clone(),
        };

        public byte[] Bytes() => Proto().ToByteArray();

        /// <summary>A case of this model, Float32 unless changed, ready to build.</summary>
        public FuzzCase Case(string precision = "Float32")
        {
            var c = new FuzzCase(0, "regression") { Model = Bytes() };
            c.Set("Precision", precision);
            return c;
        }

        /// <summary>x [N,4] → Relu → y: the smallest model that builds, to hang files and data on.</summary>
        public static TestModel Relu() => new TestModel().Input("x", -1, 4).Node("Relu", new[] { "x" }, new[] { "y" }, "relu").Output("y");

        /// <summary>x [N,4] → Add(w [4]) → y, with w an initializer (moved to external data by the file tests).</summary>
        public static TestModel AddWeights() => new TestModel().Input("x", -1, 4).Floats("w", new long[] { 4 }, 1, 2, 3, 4)
            .Node("Add", new[] { "x", "w" }, new[] { "y" }, "add").Output("y");
    }

    /// <summary>Builds cases through the tasks in a temporary folder, and states what a clean rejection is.</summary>
    internal static class Build
    {
        public static BuildOutcome Run(FuzzCase c)
        {
            string root = Path.Combine(Path.GetTempPath(), "quantgen-regression-" + Guid.NewGuid().ToString("N").Substring(0, 12));
            try
            {
                return TaskHarness.Build(c, TaskHarness.Materialize(c, root));
            }
            finally
            {
                TaskHarness.Delete(root);
            }
        }

        /// <summary>
        /// The case fails with exactly the clean error asked for: the QG code, the model (or data) file, the node when one
        /// is at fault, a message containing <paramref name="fragment"/>, and no internal error, exception or stack trace.
        /// </summary>
        public static LoggedDiagnostic Rejects(FuzzCase c, string code, string? node, string fragment, string? file = null)
        {
            var outcome = Run(c);
            var verdict = TaskHarness.Judge(c, outcome);
            string log = string.Join("\n", outcome.Log.Errors.Select(e => $"{e.Code} {e.File}: {e.Message}")) + (outcome.Escaped?.ToString() ?? "");
            Xunit.Assert.True(verdict.Verdict == Verdict.CleanError, $"expected a clean {code}, got {verdict.Verdict}: {log}");
            var error = outcome.Log.Errors[0];
            Xunit.Assert.True(error.Code == code, $"expected {code}, got: {log}");
            Xunit.Assert.EndsWith(file ?? "model.onnx", error.File);
            if (node != null) Xunit.Assert.StartsWith($"node '{node}': ", error.Message);
            Xunit.Assert.Contains(fragment, error.Message);
            return error;
        }

        /// <summary>Bytes this thread allocated while the case built: a limit checked before allocating keeps this small.</summary>
        public static (BuildOutcome Outcome, long Allocated) Measured(FuzzCase c)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var outcome = Run(c);
            return (outcome, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }
}
