// The build's facts a plan carries (typed keys of QuantGen.Plan.PlanFacts; the generated class documents them).
using System.Linq;
using QuantGen.Compiler.Lowering;
using QuantGen.Compiler.Planning;
using QuantGen.Compiler.Quantization;
using QuantGen.Ir;
using QuantGen.Plan;

namespace QuantGen.Compiler.Pipeline
{
    internal static class BuildFacts
    {
        /// <summary>Parameters after folding, and what memory planning saved.</summary>
        public static void AddModelFacts(ModelPlan plan, Graph graph, LoweredProgram program)
        {
            plan.Facts.Add(PlanFacts.Parameters, graph.Constants.Sum(v => (long)v.ElementCount));
            plan.Facts.Add(PlanFacts.WorkspaceUnplanned, MemoryPlanner.UnplannedBytes(program));
        }

        /// <summary>Bytes of the graph's float32 constants: the FP32 model's weights.</summary>
        public static long Float32WeightBytes(Graph graph) => graph.Constants.Where(v => v.Type == DataType.Float32).Sum(v => v.ElementCount * 4L);

        /// <summary>The calibrated INT8 build's numbers, as in its report.</summary>
        public static void AddQuantizationFacts(ModelPlan plan, BudgetOutcome budget, long float32Bytes, long weightBytes, int calibrationSamples)
        {
            plan.Facts.Add(PlanFacts.WeightsFloat32Bytes, float32Bytes);
            plan.Facts.Add(PlanFacts.WeightsBytes, weightBytes);
            plan.Facts.Add(PlanFacts.CalibrationSamples, calibrationSamples);
            plan.Facts.Add(PlanFacts.CalibrationMethod, budget.Scheme.Options.Method.ToString());
            plan.Facts.Add(PlanFacts.QuantizationMetric, budget.Metric);
            plan.Facts.Add(PlanFacts.QuantizationOutputSqnrDb, budget.OutputSqnr);
            if (budget.Metric != "output SQNR")
            {
                plan.Facts.Add(PlanFacts.QuantizationFloat32Score, budget.Float32Value);
                plan.Facts.Add(PlanFacts.QuantizationInt8Score, budget.Int8Value);
            }
            plan.Facts.Add(PlanFacts.QuantizationLayersInFloat, budget.FloatNodes.Count);
        }
    }
}
