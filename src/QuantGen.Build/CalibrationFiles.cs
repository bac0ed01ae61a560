// Expands CalibrationData (a file, a folder, or a glob) into the files it names, for incremental-build Inputs.
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Compiler.Quantization.Calibration;
using QuantGen.Ir.Diagnostics;

namespace QuantGen.Build
{
    internal static class CalibrationFiles
    {
        /// <summary>
        /// Every file <paramref name="fullPath"/> names, as the compiler's calibration reader will read them
        /// (one rule for both, so the build's Inputs are exactly the files calibration uses), or an empty
        /// list when it names none.
        /// </summary>
        public static List<string> Find(string fullPath)
        {
            try
            {
                return CalibrationDataReader.ResolveFiles(fullPath).Select(Path.GetFullPath).ToList();
            }
            catch (CompilerException)
            {
                return new List<string>();
            }
        }
    }
}
