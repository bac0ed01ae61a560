// The plan: what the generated class must do, as kernel calls over one workspace and one weight blob.
using System;
using System.Collections.Generic;

namespace QuantGen.Plan
{
    /// <summary>
    /// A compiled model: its public inputs and outputs, the workspace size, the weights, and the
    /// ordered kernel calls (<see cref="Steps"/>) that compute one sample. Written by the compiler,
    /// read by the source generator; <see cref="PlanText"/> is its file format.
    /// </summary>
    public sealed class ModelPlan
    {
        /// <summary>
        /// The text format's version: bumped when the grammar of a plan file changes (records, value spellings). What
        /// the steps mean (the kernels, their parameters and the code behind them) is the other half of a plan's
        /// identity, <see cref="CatalogFingerprint"/>, which hashes this number too; a plan file states both in its
        /// header and is read only when both match.
        /// </summary>
        public const int FormatVersion = 2;

        public PlanModelInfo Info { get; set; } = new PlanModelInfo();

        public List<PlanTensor> Inputs { get; } = new List<PlanTensor>();

        public List<PlanTensor> Outputs { get; } = new List<PlanTensor>();

        /// <summary>Bytes of scratch memory one instance needs (activations of one sample).</summary>
        public long WorkspaceBytes { get; set; }

        public PlanWeights Weights { get; set; } = new PlanWeights();

        public List<PlanStep> Steps { get; } = new List<PlanStep>();

        /// <summary>Build facts for the generated class's Facts constants (e.g. quantization results), in order; see <see cref="PlanFacts"/>.</summary>
        public PlanFactList Facts { get; } = new PlanFactList();
    }

    public sealed class PlanModelInfo
    {
        /// <summary>File name of the .onnx model (no directories, so plans are machine-independent).</summary>
        public string Source { get; set; } = "";

        /// <summary>Lower-case hex SHA-256 of the .onnx file.</summary>
        public string Sha256 { get; set; } = "";

        public int Opset { get; set; }

        public string Producer { get; set; } = "";

        /// <summary>The arithmetic the steps use, as the build's Precision names it: "Float32", "Int8" or "Int8Dynamic".</summary>
        public string Precision { get; set; } = "Float32";

        /// <summary>True when every input and output has a symbolic leading batch axis; Run loops over samples.</summary>
        public bool IsBatched { get; set; }
    }

    /// <summary>A public input or output: the ONNX name, element type and shape (-1 for the batch axis).</summary>
    public sealed class PlanTensor
    {
        public PlanTensor(string name, PlanElementType elementType, int[] shape)
        {
            Name = name;
            ElementType = elementType;
            Shape = shape;
        }

        public string Name { get; }
        public PlanElementType ElementType { get; }
        public int[] Shape { get; }

        /// <summary>Elements of one sample (the product of the shape without a -1 batch axis).</summary>
        public long SampleLength
        {
            get
            {
                long n = 1;
                foreach (int d in Shape) if (d >= 0) n *= d;
                return n;
            }
        }
    }

    public enum WeightStorage
    {
        /// <summary>Weights are in the plan (base64) and become RVA data in the generated class.</summary>
        Inline,

        /// <summary>Weights are a separate file embedded as a manifest resource and read in place.</summary>
        Resource,
    }

    public sealed class PlanWeights
    {
        public WeightStorage Storage { get; set; }

        public long ByteCount { get; set; }

        /// <summary>
        /// Lower-case hex SHA-256 of the weight bytes, for audits (the generated WeightsSha256). Nothing recomputes it at
        /// run time: loading a resource checks only its length against <see cref="ByteCount"/>.
        /// </summary>
        public string Sha256 { get; set; } = "";

        /// <summary>The manifest resource name, for <see cref="WeightStorage.Resource"/>.</summary>
        public string ResourceName { get; set; } = "";

        /// <summary>The bytes, for <see cref="WeightStorage.Inline"/>; empty otherwise.</summary>
        public byte[] InlineData { get; set; } = Array.Empty<byte>();
    }

    /// <summary>One kernel call. <see cref="Kernel"/> names an entry of <see cref="KernelCatalog"/>.</summary>
    public sealed class PlanStep
    {
        public PlanStep(string kernel, string source)
        {
            Kernel = kernel;
            Source = source;
        }

        public string Kernel { get; }

        /// <summary>The ONNX node(s) this step computes, for comments and error messages.</summary>
        public string Source { get; }

        /// <summary>Arguments by name, in the kernel's parameter order once validated.</summary>
        public List<PlanArgument> Arguments { get; } = new List<PlanArgument>();

        public PlanArgument? Find(string name)
        {
            foreach (var a in Arguments) if (a.Name == name) return a;
            return null;
        }

        public PlanStep Add(string name, PlanValue value)
        {
            Arguments.Add(new PlanArgument(name, value));
            return this;
        }
    }

    public sealed class PlanArgument
    {
        public PlanArgument(string name, PlanValue value)
        {
            Name = name;
            Value = value;
        }

        public string Name { get; }
        public PlanValue Value { get; }
    }
}
