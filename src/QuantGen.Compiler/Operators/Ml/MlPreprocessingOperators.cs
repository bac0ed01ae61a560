// The scikit-learn pipeline operators of ai.onnx.ml that surround a model: scaling, imputing, encoding, linear models.
using System.Collections.Generic;
using QuantGen.Compiler.Ir;
using QuantGen.Compiler.Lowering.Ml;

namespace QuantGen.Compiler.Operators.Ml
{
    /// <summary>An ai.onnx.ml operator that lowers itself to a few kernel calls.</summary>
    public abstract class MlElementwiseOperator : MlOperator
    {
        protected MlElementwiseOperator(string opType, int sinceOpset = 1, int lastOpset = int.MaxValue) : base(opType, sinceOpset, lastOpset) { }

        internal abstract void Lower(Node node, ILoweringHost host);
    }

    public static class MlPreprocessingOperators
    {
        public static IEnumerable<MlOperator> All()
        {
            yield break;
        }
    }
}
