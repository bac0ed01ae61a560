// Preloaded into ort-run.js (node -r peak-rss.js ...): prints the process's peak RSS (VmHWM) to stderr on exit,
// the same figure .NET's Process.PeakWorkingSet64 reports, so both sides of the table measure one thing.
'use strict';
const fs = require('fs');
process.on('exit', () => {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (match) process.stderr.write(JSON.stringify({ peak_rss_mb: +(Number(match[1]) / 1024).toFixed(1) }) + '\n');
  } catch (e) { /* not Linux: no peak RSS */ }
});
