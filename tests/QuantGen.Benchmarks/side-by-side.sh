#!/usr/bin/env bash
# QuantGen against ONNX Runtime on the four reference models and ResNet-18, Float32 and Int8 (batch 1, one thread;
# the two MobileNetV2 models and ResNet-18 also on two threads: Parallelism="2" against ORT's intraOpNumThreads=2),
# one after the other, and docs/benchmarks.md from the numbers of this one run. ResNet-18 is not checked in: the
# build writes it into obj/resnet18 with resnet18/make-model.js (torchvision's structure, seeded random weights,
# 16 calibration images, a test vector computed by ONNX Runtime; see the csproj). Float32: the generated
# Float32 class against ORT on the original model. Int8: the generated Int8 class against ORT on
# QuantGen's own QDQ export of the same quantization ({ClassName}.int8.onnx, written by the build), so
# both sides run the same quantized model.
#
#   tests/QuantGen.Benchmarks/side-by-side.sh [--runs N] [--rounds R] [--starts S] [--no-aot] [--out FILE]
#                                             [--max-load L] [--max-wait SECONDS]
#
#   --runs N     timed runs per measurement, both sides (default 200, as ort-run.js bench)
#   --rounds R   per model, R alternations QuantGen, ORT, QuantGen, ORT... (default 5); a ratio is the
#                median over the rounds of QuantGen's median / ORT's median in the same round (the same
#                minutes of a noisy machine), latencies the median of each side's rounds; every round is
#                listed below the tables
#   --starts S   fresh processes per first-result measurement, median shown (default 3)
#   --no-aot     skip the NativeAOT publish (net8.0, -p:IlcInstructionSet=native)
#   --out FILE   the report (default docs/benchmarks.md)
#   --max-load L, --max-wait S
#                before measuring, wait while the 1-minute load average is above L (default 3), at most
#                S seconds (default 600); the report records the load either way
#
# Every run recompiles the ten models (the plans are deleted first) so the build prints each model's
# compile time; the C# build around them is incremental.
#
# Environment: QUANTGEN_ORT_RUN (ort-run.js; default ../shared/peers/ort-run.js beside the repo),
# QUANTGEN_ORT_NODE_PATH (a node_modules with onnxruntime-node@1.30.0 and onnx-proto@8.0.1; default:
# $NODE_PATH, /tmp/ort/node_modules, then ${XDG_CACHE_HOME:-~/.cache}/quantgen-ort, installed there if missing).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
RUNS=200 ROUNDS=5 STARTS=3 AOT=1 OUT="$REPO/docs/benchmarks.md" MAX_LOAD=3 MAX_WAIT=600
COMMAND="tests/QuantGen.Benchmarks/side-by-side.sh $*"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --starts) STARTS="$2"; shift 2 ;;
    --no-aot) AOT=0; shift ;;
    --out) OUT="$2"; shift 2 ;;
    --max-load) MAX_LOAD="$2"; shift 2 ;;
    --max-wait) MAX_WAIT="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
# The AOT binary is published outside the repository: tell it where the models are.
export QUANTGEN_MODELS_DIR="$REPO/tests/assets/models"
export QUANTGEN_BUILD_MODELS_DIR="$HERE/obj"
MODELS=(clinical-mlp digits-cnn mobilenetv2-digits mobilenetv2-224 resnet18)
# The models large enough to split across threads.
TWO_THREAD_MODELS=(mobilenetv2-digits mobilenetv2-224 resnet18)
PRECISIONS=(Float32 Int8)
# The generated classes (csproj ClassName; the Int8 ones add "Int8").
declare -A CLASS=([clinical-mlp]=ClinicalMlp [digits-cnn]=DigitsCnn [mobilenetv2-digits]=MobileNetV2Digits [mobilenetv2-224]=MobileNetV2x224 [resnet18]=ResNet18)
# Each model's folder (model.onnx, test_data_set_0): checked in, except ResNet-18, which the build writes.
declare -A MODEL_DIR
for m in "${MODELS[@]}"; do MODEL_DIR[$m]="$QUANTGEN_MODELS_DIR/$m"; done
MODEL_DIR[resnet18]="$QUANTGEN_BUILD_MODELS_DIR/resnet18"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/quantgen-bench.XXXXXX")"
RESULTS="$WORK/results.jsonl"
: > "$RESULTS"
log() { echo "[side-by-side] $*" >&2; }
now_us() { date +%s%6N; }
# Appends one JSON object with extra fields: record '{"kind":"x"}' '{"model":...}'
record() { node -e 'const o=Object.assign({}, ...process.argv.slice(1).map((s)=>JSON.parse(s))); console.log(JSON.stringify(o));' "$@" >> "$RESULTS"; }

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


# --- Build: the ten models compiled afresh (per-model compile times from the task's log lines) --------
PROJECT="$HERE/QuantGen.Benchmarks.csproj"
QUANTGEN_OBJ="$HERE/obj/Release/net10.0/quantgen"
rm -f "$QUANTGEN_OBJ"/*.plan
log "dotnet build -c Release (recompiling the models; MobileNetV2-224 and ResNet-18 INT8 calibrate on the reference evaluator: minutes)"
LOAD_BUILD="$(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(now_us)
if ! dotnet build "$PROJECT" -c Release -nologo -tl:off -v minimal > "$WORK/build.log" 2>&1; then
  cat "$WORK/build.log" >&2; exit 1
fi
BUILD_MS=$(( ($(now_us) - t0) / 1000 ))
APP="$HERE/bin/Release/net10.0/QuantGen.Benchmarks"
record '{"kind":"build","variant":"jit"}' "{\"ms\":$BUILD_MS,\"load\":\"$LOAD_BUILD\"}"
# "QuantGen: model.onnx -> ClassName (Int8, 4.2 K parameters, 6.0 KiB weights inline, 0.81 s)" and, for INT8,
# "QuantGen: ClassName: INT8 weights ... (report: ...)".
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
  for (const l of lines) {
    let m = /QuantGen: \S+ -> (\w+) \((\w+), ([^,]+) parameters, (.+?) weights (inline|as resource), ([\d.]+) s\)/.exec(l);
    if (m) console.log(JSON.stringify({ kind: "compile", class: m[1], precision: m[2], parameters: m[3], weights: m[4], storage: m[5], s: +m[6] }));
    m = /QuantGen: (\w+): (INT8 .*?) \(report: /.exec(l);
    if (m) console.log(JSON.stringify({ kind: "quantization", class: m[1], summary: m[2] }));
  }' "$WORK/build.log" >> "$RESULTS"
for m in "${MODELS[@]}"; do
  plan="$QUANTGEN_OBJ/${CLASS[$m]}Int8.plan"
  # The INT8 plan's facts (the generated class's Facts constants): calibration samples, SQNR, layers in float.
  node -e '
    const facts = {};
    for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) {
      const f = /^fact "([^"]+)" "([^"]*)"/.exec(l); if (f) facts[f[1]] = f[2];
    }
    const kernels = {};
    for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) {
      const k = /^step (\S+)/.exec(l); if (k) kernels[k[1]] = (kernels[k[1]] || 0) + 1;
    }
    console.log(JSON.stringify({ kind: "facts", model: process.argv[2], facts, kernels }));' "$plan" "$m" >> "$RESULTS"
done

AOT_APP=""
if [ "$AOT" = 1 ]; then
  log "dotnet publish -p:QuantGenBenchAot=true (NativeAOT, net8.0, IlcInstructionSet=native)"
  t0=$(now_us)
  # The plans just compiled serve the AOT build too (they do not depend on the target framework): no second calibration.
  if dotnet publish "$PROJECT" -c Release -nologo -v quiet -p:QuantGenBenchAot=true -p:QuantGenIntermediateOutputPath="$QUANTGEN_OBJ/" -o "$WORK/aot" >&2; then
    AOT_MS=$(( ($(now_us) - t0) / 1000 ))
    AOT_APP="$WORK/aot/QuantGen.Benchmarks"
    record '{"kind":"build","variant":"aot"}' "{\"ms\":$AOT_MS,\"binary_bytes\":$(stat -c %s "$AOT_APP")}"
  else
    log "NativeAOT publish failed: the report has no AOT column"
  fi
fi

# --- ONNX Runtime's models: the original for Float32, QuantGen's QDQ export for Int8 ---------------------
# ort-run.js feeds a model the first test_data_set beside it: each export gets a folder with the model's own.
declare -A ORT_MODEL
for m in "${MODELS[@]}"; do
  ORT_MODEL[Float32,$m]="${MODEL_DIR[$m]}/model.onnx"
  mkdir -p "$WORK/qdq/$m"
  cp "$QUANTGEN_OBJ/${CLASS[$m]}Int8.int8.onnx" "$WORK/qdq/$m/model.onnx"
  ln -s "${MODEL_DIR[$m]}/test_data_set_0" "$WORK/qdq/$m/test_data_set_0"
  ORT_MODEL[Int8,$m]="$WORK/qdq/$m/model.onnx"
done

# Both sides of the Int8 rows compute the same model: QuantGen's Int8 class against ORT on the export, test vector 0.
for m in "${MODELS[@]}"; do
  node "$ORT_RUN" dump "$WORK/qdq/$m" "$WORK/qdq-out/$m" >/dev/null
  "$APP" --side-by-side --runs 1 --precision Int8 --model "$m" --write-output "$WORK/qg-out" >/dev/null
  node -e '
    const fs = require("fs");
    const f = (p) => { const b = fs.readFileSync(p); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
    const ort = f(process.argv[1]), qg = f(process.argv[2]);
    let s = 0, n = 0, same = 0;
    for (let i = 0; i < ort.length; i++) { s += ort[i] * ort[i]; n += (qg[i] - ort[i]) ** 2; }
    const argmax = (a) => a.reduce((b, v, i) => (v > a[b] ? i : b), 0);
    console.log(JSON.stringify({ kind: "agree", model: process.argv[3], sqnr_db: n === 0 ? 999 : +(10 * Math.log10(s / n)).toFixed(1), argmax_same: argmax(ort) === argmax(qg) }));' \
    "$WORK/qdq-out/$m/test_data_set_0_output_0.f32" "$WORK/qg-out/$m.Int8.f32" "$m" >> "$RESULTS"
done

# --- Wait for a quieter machine (shared: other builds and tests run here) ---------------------------------
waited=0
while awk -v max="$MAX_LOAD" '{ exit !($1 > max) }' /proc/loadavg && [ "$waited" -lt "$MAX_WAIT" ]; do
  log "load average $(cut -d' ' -f1-3 /proc/loadavg) above $MAX_LOAD: waiting (${waited} s of at most ${MAX_WAIT} s)"
  sleep 30; waited=$((waited + 30))
done
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
STARTED_AT="$(date -u '+%Y-%m-%d %H:%M UTC')"
log "measuring at load average $LOAD_START (waited ${waited} s)"

# --- Machine ceiling --------------------------------------------------------------------------
log "C# FMA and INT8 peaks"
record '{"kind":"peak"}' "$("$APP" --fma-peak)"
for m in "${MODELS[@]}"; do
  record '{"kind":"macs"}' "{\"model\":\"$m\"}" "$(node "$HERE/model-macs.js" "${MODEL_DIR[$m]}/model.onnx")"
done

# What the processes weigh before any model: Node.js alone, and with ONNX Runtime's native library loaded.
record '{"kind":"baseline","what":"node"}' "$(node -r "$HERE/peak-rss.js" -e '' 2>&1 | tail -n1)"
record '{"kind":"baseline","what":"node+ort"}' "$(node -r "$HERE/peak-rss.js" -e "require('onnxruntime-node')" 2>&1 | tail -n1)"

# --- Steady state, interleaved: per model and precision QuantGen, ORT, QuantGen, ORT ... -----------------
# interleave KIND THREADS MODEL...: ROUNDS alternations per precision and model, records of kind KIND. One thread also
# records ORT's peak RSS (the Summary's column); the two-thread rows have none.
interleave() {
  local kind="$1" threads="$2" p m r onnx rss
  shift 2
  for p in "${PRECISIONS[@]}"; do
    for m in "$@"; do
      onnx="${ORT_MODEL[$p,$m]}"
      for r in $(seq 1 "$ROUNDS"); do
        log "$m $p round $r ($threads thread(s)): QuantGen"
        record "{\"kind\":\"$kind\",\"side\":\"quantgen\"}" "{\"round\":$r}" "$("$APP" --side-by-side --runs "$RUNS" --precision "$p" --threads "$threads" --model "$m")"
        log "$m $p round $r ($threads thread(s)): ONNX Runtime"
        rss=(); [ "$threads" = 1 ] && rss=(-r "$HERE/peak-rss.js")
        node "${rss[@]}" "$ORT_RUN" bench "$onnx" "$threads" "$RUNS" > "$WORK/ort.out" 2> "$WORK/ort.err"
        record "{\"kind\":\"$kind\",\"side\":\"ort\"}" "$(tail -n1 "$WORK/ort.out")" "$(grep peak_rss_mb "$WORK/ort.err" | tail -n1 || echo '{}')" "{\"round\":$r,\"model\":\"$m\",\"precision\":\"$p\"}"
      done
    done
  done
}
interleave steady 1 "${MODELS[@]}"

# --- Two threads (Parallelism="2"), the large models: QuantGen --threads 2 against ORT intraOpNumThreads=2 --------
interleave steady2 2 "${TWO_THREAD_MODELS[@]}"

# --- Time to first result, fresh processes, alternating sides ---------------------------------
for p in "${PRECISIONS[@]}"; do
  for m in "${MODELS[@]}"; do
    onnx="${ORT_MODEL[$p,$m]}"
    for s in $(seq 1 "$STARTS"); do
      log "$m $p fresh process $s"
      launch=$(now_us)
      out="$("$APP" --first-result "$m" "$p")"
      record '{"kind":"first","side":"quantgen"}' "{\"launch_unix_us\":$launch}" "$out"
      if [ -n "$AOT_APP" ]; then
        launch=$(now_us)
        out="$("$AOT_APP" --first-result "$m" "$p")"
        record '{"kind":"first","side":"quantgen-aot"}' "{\"launch_unix_us\":$launch}" "$out"
      fi
      # ORT in a fresh process: create_ms + first_run_ms from its own clock, and the whole process
      # (node start, loading the native library, 1 warm-up + 1 timed run more, exit) from outside.
      launch=$(now_us)
      node -r "$HERE/peak-rss.js" "$ORT_RUN" bench "$onnx" 1 1 > "$WORK/ort.out" 2> "$WORK/ort.err"
      ended=$(now_us)
      record '{"kind":"first","side":"ort"}' "$(tail -n1 "$WORK/ort.out")" "$(grep peak_rss_mb "$WORK/ort.err" | tail -n1)" "{\"model\":\"$m\",\"precision\":\"$p\",\"process_wall_ms\":$(( (ended - launch) / 1000 ))}"
    done
  done
done

# --- Report -----------------------------------------------------------------------------------
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
CPU_MODEL="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
FLAGS="$(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2-)"
has() { case " $FLAGS " in *" $1 "*) echo yes ;; *) echo no ;; esac; }
# Every lscpu flag too: the report names the CPU and instruction sets of each run (issue 17).
LSCPU_FLAGS="$(lscpu 2>/dev/null | sed -n 's/^Flags: *//p')"
MACHINE="$(printf '{"kind":"machine","nproc":%s,"cpu":"%s","avx2":"%s","fma":"%s","avx512f":"%s","avx512_vnni":"%s","avx_vnni":"%s","flags":"%s","dotnet":"%s","node":"%s","ort":"%s","load_build":"%s","load_start":"%s","load_end":"%s","waited_s":%s,"max_load":"%s","date":"%s","command":"%s","runs":%s,"rounds":%s,"starts":%s}' \
  "$(nproc)" "$CPU_MODEL" "$(has avx2)" "$(has fma)" "$(has avx512f)" "$(has avx512_vnni)" "$(has avx_vnni)" "${LSCPU_FLAGS:-$FLAGS}" \
  "$(dotnet --version)" "$(node --version)" "$ORT_VERSION" "$LOAD_BUILD" "$LOAD_START" "$LOAD_END" "$waited" "$MAX_LOAD" "$STARTED_AT" "$COMMAND" "$RUNS" "$ROUNDS" "$STARTS")"
echo "$MACHINE" >> "$RESULTS"
node "$HERE/render-report.js" "$RESULTS" > "$OUT"
rm -rf "$WORK/aot"
log "wrote $OUT (raw results: $RESULTS)"
