// An activation fused into a producer (Conv, Gemm, MatMul), kept as internal node attributes so the
// evaluator and lowering see the same fused semantics.
using QuantGen.Ir;

namespace QuantGen.Compiler.Operators
{
    public static class FusedActivation
    {
        private const string KindAttribute = "qg_activation";
        private const string AlphaAttribute = "qg_alpha";
        private const string BetaAttribute = "qg_beta";

        public static ActivationSpec Of(Node node) =>
            node.Attributes.Find(KindAttribute) is { } kind
                ? new ActivationSpec(kind.String, node.Attributes.GetFloat(AlphaAttribute, 0), node.Attributes.GetFloat(BetaAttribute, 0))
                : ActivationSpec.None;

        public static void Set(Node node, ActivationSpec spec)
        {
            node.Attributes.Set(Attribute.OfString(KindAttribute, spec.Kind));
            node.Attributes.Set(Attribute.OfFloat(AlphaAttribute, spec.Alpha));
            node.Attributes.Set(Attribute.OfFloat(BetaAttribute, spec.Beta));
        }

        /// <summary>Activations the Conv/Gemm epilogues compute.</summary>
        public static bool CanFuse(ActivationSpec spec) =>
            spec.Kind == "Relu" || spec.Kind == "Clip" || spec.Kind == "LeakyRelu";

        public static void ApplyInPlace(Node node, float[] data)
        {
            var spec = Of(node);
            if (spec.IsNone) return;
            for (int i = 0; i < data.Length; i++) data[i] = spec.Apply(data[i]);
        }
    }
}
