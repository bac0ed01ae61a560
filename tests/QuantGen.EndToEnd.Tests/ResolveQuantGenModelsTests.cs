// Fast, in-process tests of the item resolution the targets rely on: names, paths, and the QG2xxx errors.
using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using QuantGen.Build;
using Xunit;

namespace QuantGen.EndToEnd.Tests
{
    public sealed class ResolveQuantGenModelsTests : IDisposable
    {
        private readonly string _project = Path.Combine(Path.GetTempPath(), "quantgen-resolve-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        private readonly RecordingBuildEngine _engine = new RecordingBuildEngine();

        public ResolveQuantGenModelsTests()
        {
            Directory.CreateDirectory(Path.Combine(_project, "models"));
            Directory.CreateDirectory(Path.Combine(_project, "calibration", "more"));
            foreach (string f in new[] { "models/clinical-risk.onnx", "models/mobilenetv2-224.onnx", "models/clinical_risk.onnx", "calibration/b.f32", "calibration/a.f32", "calibration/more/c.f32", "calibration/notes.txt" })
                File.WriteAllText(Path.Combine(_project, f), "x");
        }

        public void Dispose() => Directory.Delete(_project, recursive: true);

        [Theory]
        [InlineData("clinical-risk", "ClinicalRisk")]
        [InlineData("mobilenetv2-224", "Mobilenetv2224")]
        [InlineData("MyModel", "MyModel")]
        [InlineData("my_model.v2", "MyModelV2")]
        [InlineData("224net", "Model224net")]
        public void ClassName_FromFileName_IsPascalCase(string fileName, string expected) =>
            Assert.Equal(expected, CSharpNames.ClassNameFromFileName(fileName));

        [Theory]
        [InlineData("ClinicalRisk", true)]
        [InlineData("_x1", true)]
        [InlineData("record", true)]
        [InlineData("class", false)]
        [InlineData("1x", false)]
        [InlineData("my model", false)]
        [InlineData("", false)]
        public void IsValidIdentifier_FollowsCSharp(string name, bool valid) => Assert.Equal(valid, CSharpNames.IsValidIdentifier(name));

        [Fact]
        public void Defaults_DeriveEverythingFromTheItemAndTheProject()
        {
            var item = Assert.Single(Resolve(Model("models/clinical-risk.onnx")));
            Assert.Empty(_engine.Errors);
            string quantgen = Path.Combine(_project, "obj", "Debug", "net10.0", "quantgen");
            Assert.Equal(Path.Combine(_project, "models", "clinical-risk.onnx"), item.ItemSpec);
            Assert.Equal("ClinicalRisk", item.GetMetadata("ClassName"));
            Assert.Equal("My.App", item.GetMetadata("Namespace"));
            Assert.Equal("Int8", item.GetMetadata("Precision"));
            Assert.Equal(Path.Combine(quantgen, "ClinicalRisk.plan"), item.GetMetadata("PlanFile"));
            Assert.Equal(Path.Combine(quantgen, "ClinicalRisk.weights.bin"), item.GetMetadata("WeightsFile"));
            Assert.Equal("QuantGen.My.App.ClinicalRisk.weights", item.GetMetadata("ResourceName"));
            Assert.Equal(item.ItemSpec, item.GetMetadata("InputFiles"));
        }

        [Fact]
        public void Metadata_OverridesDefaults_AndPrecisionIgnoresCase()
        {
            var item = Assert.Single(Resolve(Model("models/clinical-risk.onnx", ("ClassName", "Risk"), ("Namespace", "Other.Models"), ("Precision", "float32"))));
            Assert.Equal("Risk", item.GetMetadata("ClassName"));
            Assert.Equal("Other.Models", item.GetMetadata("Namespace"));
            Assert.Equal("Float32", item.GetMetadata("Precision"));
            Assert.Equal("QuantGen.Other.Models.Risk.weights", item.GetMetadata("ResourceName"));
        }

        [Theory]
        // A folder means the calibration files in it (the reader's rule), not every file: notes.txt is no input.
        [InlineData("calibration", "a.f32;b.f32")]
        [InlineData("calibration/*.f32", "a.f32;b.f32")]
        [InlineData("calibration/**/*.f32", "a.f32;b.f32;more/c.f32")]
        [InlineData("calibration/b.f32", "b.f32")]
        public void CalibrationData_FileFolderOrGlob_BecomesSortedInputFiles(string calibration, string expected)
        {
            var item = Assert.Single(Resolve(Model("models/clinical-risk.onnx", ("CalibrationData", calibration))));
            Assert.Empty(_engine.Errors);
            string calibrationRoot = Path.Combine(_project, "calibration");
            var files = expected.Split(';').Select(f => Path.Combine(calibrationRoot, f)).ToList();
            Assert.Equal(string.Join(";", new[] { item.ItemSpec }.Concat(files)), item.GetMetadata("InputFiles"));
            Assert.Equal(calibration, item.GetMetadata("OriginalCalibrationData"));
            Assert.Equal(Path.GetFullPath(Path.Combine(_project, calibration)), item.GetMetadata("CalibrationData"));
        }

        [Theory]
        [InlineData("QG0001", "models/missing.onnx", null, null)]
        [InlineData("QG2001", "models/clinical-risk.onnx", "Precision", "Int4")]
        [InlineData("QG2003", "models/clinical-risk.onnx", "ClassName", "Clinical Risk")]
        [InlineData("QG2004", "models/clinical-risk.onnx", "Namespace", "My.1st")]
        [InlineData("QG2005", "models/clinical-risk.onnx", "CalibrationData", "calibration/*.npy")]
        [InlineData("QG2006", "models/clinical-risk.onnx", "CalibrationSamples", "-5")]
        [InlineData("QG2010", "models/clinical-risk.onnx", "Parallelism", "0")]
        [InlineData("QG2010", "models/clinical-risk.onnx", "Parallelism", "65")]
        [InlineData("QG2010", "models/clinical-risk.onnx", "Parallelism", "auto")]
        [InlineData("QG2030", "models/clinical-risk.onnx", "InputShapes", "input_ids")]
        [InlineData("QG2030", "models/clinical-risk.onnx", "InputShapes", "input_ids:1,x")]
        [InlineData("QG2030", "models/clinical-risk.onnx", "InputShapes", "input_ids:1,0")]
        [InlineData("QG2030", "models/clinical-risk.onnx", "InputShapes", "a:1,8;a:1,9")]
        [InlineData("QG2030", "models/clinical-risk.onnx", "DimensionValues", "sequence:-1")]
        [InlineData("QG2030", "models/clinical-risk.onnx", "DimensionValues", "sequence:100000")]
        public void BadItems_AreErrors_NamingTheItem(string id, string include, string? metadata, string? value)
        {
            var model = metadata == null ? Model(include) : Model(include, (metadata, value!));
            Assert.Empty(Resolve(model));
            var error = Assert.Single(_engine.Errors);
            Assert.Equal(id, error.Code);
            Assert.Equal("QuantGen", error.Subcategory);
            Assert.Contains(include, error.Message);
            Assert.Equal(Path.Combine(_project, include), error.File);
        }

        [Theory]
        [InlineData(null, "1")]
        [InlineData("2", "2")]
        [InlineData(" 4 ", "4")]
        public void Parallelism_IsPassedOnAsAWholeNumber(string? given, string expected)
        {
            var model = given == null ? Model("models/clinical-risk.onnx") : Model("models/clinical-risk.onnx", ("Parallelism", given));
            var item = Assert.Single(Resolve(model));
            Assert.Empty(_engine.Errors);
            Assert.Equal(expected, item.GetMetadata("Parallelism"));
        }

        [Fact]
        public void TwoModelsWithOneClassName_AreQG2002()
        {
            var resolved = Resolve(Model("models/clinical-risk.onnx"), Model("models/clinical_risk.onnx"));
            Assert.Single(resolved);
            var error = Assert.Single(_engine.Errors);
            Assert.Equal("QG2002", error.Code);
            Assert.Contains("ClinicalRisk", error.Message);
        }

        private ITaskItem[] Resolve(params ITaskItem[] models)
        {
            var task = new ResolveQuantGenModels
            {
                BuildEngine = _engine,
                Models = models,
                RootNamespace = "My.App",
                IntermediateDirectory = "obj/Debug/net10.0/quantgen/",
                ProjectDirectory = _project,
            };
            bool ok = task.Execute();
            Assert.Equal(_engine.Errors.Count == 0, ok);
            return task.ResolvedModels;
        }

        private static ITaskItem Model(string include, params (string Name, string Value)[] metadata)
        {
            var item = new TaskItem(include);
            foreach (var (name, value) in metadata) item.SetMetadata(name, value);
            return item;
        }

        private sealed class RecordingBuildEngine : IBuildEngine
        {
            public List<BuildErrorEventArgs> Errors { get; } = new List<BuildErrorEventArgs>();
            public bool ContinueOnError => false;
            public int LineNumberOfTaskNode => 0;
            public int ColumnNumberOfTaskNode => 0;
            public string ProjectFileOfTaskNode => "test.csproj";
            public void LogErrorEvent(BuildErrorEventArgs e) => Errors.Add(e);
            public void LogWarningEvent(BuildWarningEventArgs e) { }
            public void LogMessageEvent(BuildMessageEventArgs e) { }
            public void LogCustomEvent(CustomBuildEventArgs e) { }
            public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) => throw new NotSupportedException();
        }
    }
}
