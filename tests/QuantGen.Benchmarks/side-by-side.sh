#!/usr/bin/env bash
# QuantGen against ONNX Runtime on the four reference models (Float32, batch 1, one thread), one
# after the other, and docs/benchmarks.md from the numbers of this one run.
#
#   tests/QuantGen.Benchmarks/side-by-side.sh [--runs N] [--rounds R] [--starts S] [--no-aot] [--out FILE]
#
#   --runs N     timed runs per measurement, both sides (default 200, as ort-run.js bench)
#   --rounds R   per model, R alternations QuantGen, ORT, QuantGen, ORT... (default 2); the table
#                shows the best median of the rounds for each side, every round is listed below it
#   --starts S   fresh processes per first-result measurement, median shown (default 3)
#   --no-aot     skip the NativeAOT publish (net8.0, -p:IlcInstructionSet=native)
#   --out FILE   the report (default docs/benchmarks.md)
#
# Environment: QUANTGEN_ORT_RUN (ort-run.js; default ../shared/peers/ort-run.js beside the repo),
# QUANTGEN_ORT_NODE_PATH (a node_modules with onnxruntime-node@1.30.0 and onnx-proto@8.0.1; default:
# $NODE_PATH, /tmp/ort/node_modules, then ${XDG_CACHE_HOME:-~/.cache}/quantgen-ort, installed there if missing).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
RUNS=200 ROUNDS=2 STARTS=3 AOT=1 OUT="$REPO/docs/benchmarks.md"
COMMAND="tests/QuantGen.Benchmarks/side-by-side.sh $*"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --starts) STARTS="$2"; shift 2 ;;
    --no-aot) AOT=0; shift ;;
    --out) OUT="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
# The AOT binary is published outside the repository: tell it where the models are.
export QUANTGEN_MODELS_DIR="$REPO/tests/assets/models"
MODELS=(clinical-mlp digits-cnn mobilenetv2-digits mobilenetv2-224)
WORK="$(mktemp -d "${TMPDIR:-/tmp}/quantgen-bench.XXXXXX")"
RESULTS="$WORK/results.jsonl"
: > "$RESULTS"
log() { echo "[side-by-side] $*" >&2; }
now_us() { date +%s%6N; }
# Appends one JSON object with extra fields: record '{"kind":"x"}' '{"model":...}'
record() { node -e 'const o=Object.assign({}, ...process.argv.slice(1).map((s)=>JSON.parse(s))); console.log(JSON.stringify(o));' "$@" >> "$RESULTS"; }
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
STARTED_AT="$(date -u '+%Y-%m-%d %H:%M UTC')"

# --- ONNX Runtime peer -------------------------------------------------------------------------
ORT_RUN="${QUANTGEN_ORT_RUN:-$REPO/../shared/peers/ort-run.js}"
[ -f "$ORT_RUN" ] || { echo "ort-run.js not found at $ORT_RUN (set QUANTGEN_ORT_RUN)" >&2; exit 1; }
ort_ok() { NODE_PATH="$1" node -e "require('onnxruntime-node'); require('onnx-proto')" >/dev/null 2>&1; }
ORT_NODE_PATH=""
for candidate in "${QUANTGEN_ORT_NODE_PATH:-}" "${NODE_PATH:-}" /tmp/ort/node_modules "${XDG_CACHE_HOME:-$HOME/.cache}/quantgen-ort/node_modules"; do
  if [ -n "$candidate" ] && ort_ok "$candidate"; then ORT_NODE_PATH="$candidate"; break; fi
done
if [ -z "$ORT_NODE_PATH" ]; then
  CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/quantgen-ort"
  log "installing onnxruntime-node 1.30.0 into $CACHE"
  mkdir -p "$CACHE"
  # --ignore-scripts: the install script downloads GPU files that are not needed (see ort-run.js).
  (cd "$CACHE" && npm install --ignore-scripts --no-audit --no-fund onnxruntime-node@1.30.0 onnx-proto@8.0.1 >&2)
  ORT_NODE_PATH="$CACHE/node_modules"
fi
export NODE_PATH="$ORT_NODE_PATH"
ORT_VERSION="$(node -p "require('onnxruntime-node/package.json').version")"
log "ONNX Runtime $ORT_VERSION from $ORT_NODE_PATH"

# --- Build ------------------------------------------------------------------------------------
PROJECT="$HERE/QuantGen.Benchmarks.csproj"
log "dotnet build -c Release"
t0=$(now_us)
dotnet build "$PROJECT" -c Release -nologo -v quiet >&2
BUILD_S=$(( ($(now_us) - t0) / 1000 ))
APP="$HERE/bin/Release/net10.0/QuantGen.Benchmarks"
record '{"kind":"build","variant":"jit"}' "{\"ms\":$BUILD_S}"

AOT_APP=""
if [ "$AOT" = 1 ]; then
  log "dotnet publish -p:QuantGenBenchAot=true (NativeAOT, net8.0, IlcInstructionSet=native)"
  t0=$(now_us)
  if dotnet publish "$PROJECT" -c Release -nologo -v quiet -p:QuantGenBenchAot=true -o "$WORK/aot" >&2; then
    AOT_MS=$(( ($(now_us) - t0) / 1000 ))
    AOT_APP="$WORK/aot/QuantGen.Benchmarks"
    record '{"kind":"build","variant":"aot"}' "{\"ms\":$AOT_MS,\"binary_bytes\":$(stat -c %s "$AOT_APP")}"
  else
    log "NativeAOT publish failed: the report has no AOT column"
  fi
fi

# --- Machine ceiling --------------------------------------------------------------------------
log "C# FMA peak"
record '{"kind":"peak"}' "$("$APP" --fma-peak)"
for m in "${MODELS[@]}"; do
  record '{"kind":"macs"}' "{\"model\":\"$m\"}" "$(node "$HERE/model-macs.js" "$REPO/tests/assets/models/$m/model.onnx")"
done

# What the processes weigh before any model: Node.js alone, and with ONNX Runtime's native library loaded.
record '{"kind":"baseline","what":"node"}' "$(node -r "$HERE/peak-rss.js" -e '' 2>&1 | tail -n1)"
record '{"kind":"baseline","what":"node+ort"}' "$(node -r "$HERE/peak-rss.js" -e "require('onnxruntime-node')" 2>&1 | tail -n1)"

# --- Steady state, interleaved: per model QuantGen, ORT, QuantGen, ORT ... --------------------
for m in "${MODELS[@]}"; do
  onnx="$REPO/tests/assets/models/$m/model.onnx"
  for r in $(seq 1 "$ROUNDS"); do
    log "$m round $r: QuantGen"
    record '{"kind":"steady","side":"quantgen"}' "{\"round\":$r}" "$("$APP" --side-by-side --runs "$RUNS" --model "$m")"
    log "$m round $r: ONNX Runtime"
    node -r "$HERE/peak-rss.js" "$ORT_RUN" bench "$onnx" 1 "$RUNS" > "$WORK/ort.out" 2> "$WORK/ort.err"
    record '{"kind":"steady","side":"ort"}' "$(tail -n1 "$WORK/ort.out")" "$(grep peak_rss_mb "$WORK/ort.err" | tail -n1)" "{\"round\":$r,\"model\":\"$m\"}"
  done
done

# --- Time to first result, fresh processes, alternating sides ---------------------------------
for m in "${MODELS[@]}"; do
  onnx="$REPO/tests/assets/models/$m/model.onnx"
  for s in $(seq 1 "$STARTS"); do
    log "$m fresh process $s"
    launch=$(now_us)
    out="$("$APP" --first-result "$m")"
    record '{"kind":"first","side":"quantgen"}' "{\"launch_unix_us\":$launch}" "$out"
    if [ -n "$AOT_APP" ]; then
      launch=$(now_us)
      out="$("$AOT_APP" --first-result "$m")"
      record '{"kind":"first","side":"quantgen-aot"}' "{\"launch_unix_us\":$launch}" "$out"
    fi
    # ORT in a fresh process: create_ms + first_run_ms from its own clock, and the whole process
    # (node start, loading the native library, 1 warm-up + 1 timed run more, exit) from outside.
    launch=$(now_us)
    node -r "$HERE/peak-rss.js" "$ORT_RUN" bench "$onnx" 1 1 > "$WORK/ort.out" 2> "$WORK/ort.err"
    ended=$(now_us)
    record '{"kind":"first","side":"ort"}' "$(tail -n1 "$WORK/ort.out")" "$(grep peak_rss_mb "$WORK/ort.err" | tail -n1)" "{\"model\":\"$m\",\"process_wall_ms\":$(( (ended - launch) / 1000 ))}"
  done
done

# --- Report -----------------------------------------------------------------------------------
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
CPU_MODEL="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
FLAGS="$(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2-)"
has() { case " $FLAGS " in *" $1 "*) echo yes ;; *) echo no ;; esac; }
MACHINE="$(printf '{"kind":"machine","nproc":%s,"cpu":"%s","avx2":"%s","fma":"%s","avx512f":"%s","avx512_vnni":"%s","avx_vnni":"%s","dotnet":"%s","node":"%s","ort":"%s","load_start":"%s","load_end":"%s","date":"%s","command":"%s","runs":%s,"rounds":%s,"starts":%s}' \
  "$(nproc)" "$CPU_MODEL" "$(has avx2)" "$(has fma)" "$(has avx512f)" "$(has avx512_vnni)" "$(has avx_vnni)" \
  "$(dotnet --version)" "$(node --version)" "$ORT_VERSION" "$LOAD_START" "$LOAD_END" "$STARTED_AT" "$COMMAND" "$RUNS" "$ROUNDS" "$STARTS")"
echo "$MACHINE" >> "$RESULTS"
node "$HERE/render-report.js" "$RESULTS" > "$OUT"
rm -rf "$WORK/aot"
log "wrote $OUT (raw results: $RESULTS)"
