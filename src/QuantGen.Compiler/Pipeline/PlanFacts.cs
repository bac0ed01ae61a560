// The build's facts a plan carries (the generated class documents them as constants; tests check them).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Compiler.Lowering;
using QuantGen.Compiler.Planning;
using QuantGen.Compiler.Quantization;
using QuantGen.Ir;
using QuantGen.Plan;

namespace QuantGen.Compiler.Pipeline
{
    internal static class PlanFacts
    {
        /// <summary>Parameters after folding, and what memory planning saved.</summary>
        public static void AddModelFacts(ModelPlan plan, Graph graph, LoweredProgram program)
        {
            plan.Facts.Add(Fact("parameters", graph.Constants.Sum(v => (long)v.ElementCount)));
            plan.Facts.Add(Fact("workspace.unplanned", MemoryPlanner.UnplannedBytes(program)));
        }

        /// <summary>Bytes of the graph's float32 constants: the FP32 model's weights.</summary>
        public static long Float32WeightBytes(Graph graph) => graph.Constants.Where(v => v.Type == DataType.Float32).Sum(v => v.ElementCount * 4L);

        /// <summary>The calibrated INT8 build's numbers, as in its report.</summary>
        public static void AddQuantizationFacts(ModelPlan plan, BudgetOutcome budget, long float32Bytes, long weightBytes, int calibrationSamples)
        {
            plan.Facts.Add(Fact("weights.float32.bytes", float32Bytes));
            plan.Facts.Add(Fact("weights.bytes", weightBytes));
            plan.Facts.Add(Fact("calibration.samples", calibrationSamples));
            plan.Facts.Add(new KeyValuePair<string, string>("calibration.method", budget.Scheme.Options.Method.ToString()));
            plan.Facts.Add(new KeyValuePair<string, string>("quantization.metric", budget.Metric));
            plan.Facts.Add(Fact("quantization.output_sqnr_db", budget.OutputSqnr));
            if (budget.Metric != "output SQNR")
            {
                plan.Facts.Add(Fact("quantization.float32_score", budget.Float32Value));
                plan.Facts.Add(Fact("quantization.int8_score", budget.Int8Value));
            }
            plan.Facts.Add(Fact("quantization.layers_in_float", budget.FloatNodes.Count));
        }

        private static KeyValuePair<string, string> Fact(string key, long value) =>
            new KeyValuePair<string, string>(key, value.ToString(CultureInfo.InvariantCulture));

        private static KeyValuePair<string, string> Fact(string key, double value) =>
            new KeyValuePair<string, string>(key, Math.Round(value, 4).ToString("R", CultureInfo.InvariantCulture));
    }
}
