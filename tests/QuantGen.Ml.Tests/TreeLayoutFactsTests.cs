// The tree layout's facts live in three places that cannot reference one another (the compiler writes the arrays, the
// plan's catalog sizes the scratch, the kernel reads both): they must agree. The kernel checked is the one the
// generator emitted into this assembly for the test models, found by its simple name.
using System;
using System.Linq;
using System.Reflection;
using QuantGen.Compiler.Lowering.Ml;
using QuantGen.Plan;
using Xunit;

namespace QuantGen.Ml.Tests
{
    public class TreeLayoutFactsTests
    {
        private static object Constant(string type, string name)
        {
            var kernel = typeof(TreeLayoutFactsTests).Assembly.GetTypes().Single(t => t.Name == type && t.Namespace!.StartsWith("QuantGen.Kernels", StringComparison.Ordinal));
            var field = kernel.GetField(name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static);
            Assert.True(field != null && field.IsLiteral, $"{type}.{name} is not a constant");
            return field!.GetRawConstantValue()!;
        }

        [Fact]
        public void Compiler_catalog_and_kernel_agree()
        {
            Assert.Equal(TreeEnsembleLayout.BlockLanes, Constant("TreeLeavesF32", "BlockLanes"));
            Assert.Equal(TreeEnsembleLayout.SplitLevels, Constant("TreeLeavesF32", "SplitLevels"));
            Assert.Equal(TreeEnsembleLayout.BlockFields, Constant("TreeLeavesF32", "BlockFields"));
            Assert.Equal(TreeEnsembleLayout.NanFirstBit, Constant("TreeLeavesF32", "NanFirstBit"));
            Assert.Equal(TreeEnsembleLayout.TestShift, Constant("TreeLeavesF32", "TestShift"));
            Assert.Equal(TreeEnsembleLayout.RowScratch, Constant("TreeEnsembleF32", "RowScratch"));
            Assert.Equal(KernelCatalog.TreeBlockLanes, Constant("TreeLeavesF32", "BlockLanes"));
            Assert.Equal(KernelCatalog.TreeBlockFields, Constant("TreeLeavesF32", "BlockFields"));
            Assert.Equal(KernelCatalog.TreeRowScratch, Constant("TreeEnsembleF32", "RowScratch"));
        }
    }
}
