// The band walk of a fused 1×1 expansion + depthwise convolution (ConvU8S8.ExpandDepthwise, ConvF32.ExpandDepthwise).
namespace QuantGen.Kernels
{
    using System;

    /// <summary>
    /// Walks output rows [oyStart, oyEnd) of a depthwise convolution in bands, keeping the expanded input rows a band reads in a
    /// scratch of <c>bandRows</c> rows. Per band, <see cref="Next"/> moves the rows the previous band already computed
    /// and this one still reads (the window overlap) to the front of scratch, so each expanded row is computed once;
    /// the caller then computes rows [<see cref="ComputeFrom"/>, <see cref="ComputeTo"/>) at scratch row
    /// <see cref="ComputeFrom"/> − <see cref="First"/> and runs the band as a depthwise convolution of its own over
    /// scratch (<see cref="Rows"/> input rows, top padding <see cref="LocalPadTop"/>).
    /// </summary>
    internal struct ExpandedBands
    {
        private readonly int _ih, _oyEnd, _sh, _pt, _window, _outRowsPerBand;

        public ExpandedBands(int bandRows, int ih, int kh, int sh, int pt, int dh, int oyStart, int oyEnd)
        {
            _ih = ih;
            _oyEnd = oyEnd;
            _sh = sh;
            _pt = pt;
            _window = (int)FusedConvLayout.WindowRows(kh, dh);
            if (bandRows < _window) throw new ArgumentOutOfRangeException(nameof(bandRows), "The band must hold one window's rows.");
            _outRowsPerBand = FusedConvLayout.OutputRowsPerBand(bandRows, kh, sh, dh);
            OutputStart = OutputEnd = oyStart;
            First = ComputeFrom = ComputeTo = 0;
        }

        /// <summary>Output rows [OutputStart, OutputEnd) of this band.</summary>
        public int OutputStart, OutputEnd;

        /// <summary>The expanded input row at scratch row 0.</summary>
        public int First;

        /// <summary>Expanded input rows this band must add to scratch (the rest are there already).</summary>
        public int ComputeFrom, ComputeTo;

        /// <summary>Expanded input rows in scratch for this band.</summary>
        public int Rows => ComputeTo - First;

        /// <summary>The band's top padding as a convolution of its own: output row OutputStart reads from scratch row OutputStart · sh − pt − First.</summary>
        public int LocalPadTop => _pt + First - OutputStart * _sh;

        /// <summary>Advances to the next band (false after the last); moves kept rows to the front of scratch.</summary>
        public unsafe bool Next(byte* scratch, long rowBytes)
        {
            if (OutputEnd >= _oyEnd) return false;
            OutputStart = OutputEnd;
            OutputEnd = Math.Min(_oyEnd, OutputStart + _outRowsPerBand);
            int lo = Math.Max(0, OutputStart * _sh - _pt);
            int hi = Math.Max(lo, Math.Min(_ih, (OutputEnd - 1) * _sh - _pt + _window));
            int have = ComputeTo;
            if (lo >= First && lo < have)
            {
                long keep = (have - lo) * rowBytes;
                Buffer.MemoryCopy(scratch + (lo - First) * rowBytes, scratch, keep, keep);
                First = lo;
                ComputeFrom = have;
            }
            else
            {
                First = ComputeFrom = lo;
            }
            ComputeTo = Math.Max(ComputeFrom, hi);
            return true;
        }
    }
}
