// Progress lines for long builds, and the time each phase of a build took.
using System;
using System.Diagnostics;
using System.Globalization;

namespace QuantGen.Compiler.Pipeline
{
    /// <summary>The phases of an INT8 build, as the report and the benchmark table time them.</summary>
    public enum BuildPhase
    {
        /// <summary>FP32 passes over the calibration samples (and the validation samples' FP32 outputs).</summary>
        Calibrate,

        /// <summary>The all-integer scheme simulated, with the per-layer SQNR that ranks the layers (and fills the report).</summary>
        Rank,

        /// <summary>The accuracy budget's trials, when the all-integer scheme misses the budget.</summary>
        Search,

        /// <summary>Lowering, fusions, memory planning and the plan.</summary>
        Lower,

        /// <summary>The report (the build task writes the QDQ export after).</summary>
        Emit,
    }

    /// <summary>Seconds per <see cref="BuildPhase"/>.</summary>
    public sealed class BuildTimes
    {
        private readonly double[] _seconds = new double[Enum.GetValues(typeof(BuildPhase)).Length];

        public double this[BuildPhase phase] => _seconds[(int)phase];

        /// <summary>Adds the time <paramref name="work"/> takes to <paramref name="phase"/>.</summary>
        public T Time<T>(BuildPhase phase, Func<T> work)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                return work();
            }
            finally
            {
                _seconds[(int)phase] += clock.Elapsed.TotalSeconds;
            }
        }

        public void Time(BuildPhase phase, Action work) => Time(phase, () => { work(); return 0; });

        /// <summary>"calibrate 1.2 s, rank 0.3 s, …" (invariant).</summary>
        public override string ToString()
        {
            var parts = new string[_seconds.Length];
            for (int i = 0; i < parts.Length; i++)
                parts[i] = ((BuildPhase)i).ToString().ToLowerInvariant() + " " + _seconds[i].ToString("0.0", CultureInfo.InvariantCulture) + " s";
            return string.Join(", ", parts);
        }
    }

    /// <summary>
    /// Tells a long build's user what it is doing: nothing during the first few seconds (most builds are done by then),
    /// then at most one line every few seconds, with the phase and how many samples are done.
    /// </summary>
    public sealed class BuildProgress
    {
        /// <summary>Seconds before the first line, and between lines.</summary>
        public const double Interval = 5;

        private readonly Action<string>? _write;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private double _next = Interval;

        public BuildProgress(Action<string>? write) { _write = write; }

        /// <summary>Reports <paramref name="phase"/> with <paramref name="done"/> of <paramref name="total"/> samples (total 0: unknown).</summary>
        public void Report(string phase, int done, int total)
        {
            if (_write == null) return;
            double now = _clock.Elapsed.TotalSeconds;
            if (now < _next) return;
            _next = now + Interval;
            var c = CultureInfo.InvariantCulture;
            _write(total > 0
                ? string.Format(c, "{0}: {1} of {2} samples ({3:0} s)", phase, done, total, now)
                : string.Format(c, "{0}: {1} samples ({2:0} s)", phase, done, now));
        }

        /// <summary>Reports a step of <paramref name="phase"/> that is not counted in samples (a budget trial).</summary>
        public void Report(string phase, string what)
        {
            if (_write == null) return;
            double now = _clock.Elapsed.TotalSeconds;
            if (now < _next) return;
            _next = now + Interval;
            _write(string.Format(CultureInfo.InvariantCulture, "{0}: {1} ({2:0} s)", phase, what, now));
        }
    }
}
