#!/usr/bin/env bash
# QuantGen against ONNX Runtime on the four reference models and ResNet-18, Float32 and Int8 (batch 1, one thread;
# the two MobileNetV2 models and ResNet-18 also on two threads: Parallelism="2" against ORT's IntraOpNumThreads=2),
# and docs/benchmarks.md from the numbers of this one run. ONNX Runtime runs in the same process and harness as the
# generated classes (Microsoft.ML.OnnxRuntime through its C# API, ORT_ENABLE_ALL; OrtPeer.cs), the two sides
# alternating round by round. ResNet-18 is not checked in: the build writes it into obj/resnet18 with
# resnet18/make-model.js (torchvision's structure, seeded random weights, 16 calibration images, a test vector
# computed by ONNX Runtime; see the csproj). Float32: the generated Float32 class against ORT on the original model.
# Int8: the generated Int8 class against ORT on QuantGen's own QDQ export of the same quantization
# ({ClassName}.int8.onnx, written by the build), so both sides run the same quantized model.
#
#   tests/QuantGen.Benchmarks/side-by-side.sh [--runs N] [--rounds R] [--starts S] [--no-aot] [--out FILE]
#                                             [--max-load L] [--max-wait SECONDS] [--models "a b"] [--no-recompile]
#                                             [--no-build [--build-log FILE]]
#
#   --runs N     timed runs per measurement, both sides (default 200; more where 200 last under 0.25 s)
#   --rounds R   per model, R alternations QuantGen, ORT, QuantGen, ORT... in one process (default 5); a ratio is the
#                median over the rounds of QuantGen's median / ORT's median in the same round (the same minutes of
#                a noisy machine), latencies the median of each side's rounds; every round is listed below the tables
#   --starts S   fresh processes per first-result measurement, median shown (default 3)
#   --no-aot     skip the NativeAOT publish (net10.0, -p:IlcInstructionSet=native)
#   --out FILE   the report (default docs/benchmarks.md)
#   --max-load L, --max-wait S
#                before measuring, wait while the 1-minute load average is above L (default 3), at most
#                S seconds (default 600); the report records the load either way
#   --models     a subset, for a smoke test of the harness (the report then has gaps)
#   --no-recompile  keep the plans of an earlier build (the compile-time column is then empty)
#   --no-build   measure the app and plans an earlier build left (for re-running measurements); --build-log names that
#                build's log (dotnet build -v minimal) to take the per-model compile times from
#
# Every run recompiles the ten models (the plans are deleted first) so the build prints each model's
# compile time; the C# build around them is incremental.
#
# Node.js is still needed, not as the peer: resnet18/make-model.js writes ResNet-18 and its test vector (with
# onnxruntime-node and onnx-proto), model-macs.js counts multiply-accumulates (onnx-proto), render-report.js writes
# the report. QUANTGEN_ORT_NODE_PATH: a node_modules with onnxruntime-node@1.30.0 and onnx-proto@8.0.1 (default:
# $NODE_PATH, /tmp/ort/node_modules, then ${XDG_CACHE_HOME:-~/.cache}/quantgen-ort, installed there if missing).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
RUNS=200 ROUNDS=5 STARTS=3 AOT=1 OUT="$REPO/docs/benchmarks.md" MAX_LOAD=3 MAX_WAIT=600 ONLY="" RECOMPILE=1 BUILD=1 BUILD_LOG=""
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
    --models) ONLY="$2"; shift 2 ;;
    --no-recompile) RECOMPILE=0; shift ;;
    --no-build) BUILD=0; RECOMPILE=0; shift ;;
    --build-log) BUILD_LOG="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
# The AOT binary is published outside the repository: tell it where the models are.
export QUANTGEN_MODELS_DIR="$REPO/tests/assets/models"
export QUANTGEN_BUILD_MODELS_DIR="$HERE/obj"
MODELS=(clinical-mlp digits-cnn mobilenetv2-digits mobilenetv2-224 resnet18)
# The models large enough to split across threads.
TWO_THREAD_MODELS=(mobilenetv2-digits mobilenetv2-224 resnet18)
if [ -n "$ONLY" ]; then
  read -r -a MODELS <<< "$ONLY"
  keep=(); for m in "${TWO_THREAD_MODELS[@]}"; do case " $ONLY " in *" $m "*) keep+=("$m") ;; esac; done
  TWO_THREAD_MODELS=("${keep[@]}")
fi
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

# --- Node.js modules for the ResNet-18 generator and the MAC counter (not the peer) ---------------------------------
ort_ok() { NODE_PATH="$1" node -e "require('onnxruntime-node'); require('onnx-proto')" >/dev/null 2>&1; }
ORT_NODE_PATH=""
for candidate in "${QUANTGEN_ORT_NODE_PATH:-}" "${NODE_PATH:-}" /tmp/ort/node_modules "${XDG_CACHE_HOME:-$HOME/.cache}/quantgen-ort/node_modules"; do
  if [ -n "$candidate" ] && ort_ok "$candidate"; then ORT_NODE_PATH="$candidate"; break; fi
done
if [ -z "$ORT_NODE_PATH" ]; then
  CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/quantgen-ort"
  log "installing onnxruntime-node 1.30.0 and onnx-proto into $CACHE (for resnet18/make-model.js and model-macs.js)"
  mkdir -p "$CACHE"
  # --ignore-scripts: the install script downloads GPU files that are not needed.
  (cd "$CACHE" && npm install --ignore-scripts --no-audit --no-fund onnxruntime-node@1.30.0 onnx-proto@8.0.1 >&2)
  ORT_NODE_PATH="$CACHE/node_modules"
fi
export NODE_PATH="$ORT_NODE_PATH"

# --- Build: the ten models compiled afresh (per-model compile times from the task's log lines) --------
PROJECT="$HERE/QuantGen.Benchmarks.csproj"
# The project builds for the SDK's own runtime identifier (Microsoft.ML.OnnxRuntime's native library for this machine only).
RID="$(dotnet msbuild "$PROJECT" -getProperty:NETCoreSdkRuntimeIdentifier 2>/dev/null | tr -d '[:space:]')"
QUANTGEN_OBJ="$HERE/obj/Release/net10.0/$RID/quantgen"
if [ "$RECOMPILE" = 1 ]; then rm -f "$QUANTGEN_OBJ"/*.plan; fi
LOAD_BUILD="$(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$BUILD" = 1 ]; then
  log "dotnet build -c Release (recompiling the models; the INT8 builds calibrate on the kernels: about a minute)"
  t0=$(now_us)
  if ! dotnet build "$PROJECT" -c Release -nologo -tl:off -v minimal > "$WORK/build.log" 2>&1; then
    cat "$WORK/build.log" >&2; exit 1
  fi
  BUILD_MS=$(( ($(now_us) - t0) / 1000 ))
else
  log "no build: measuring the app and plans an earlier build left${BUILD_LOG:+ (compile times from $BUILD_LOG)}"
  if [ -n "$BUILD_LOG" ]; then cp "$BUILD_LOG" "$WORK/build.log"; else : > "$WORK/build.log"; fi
  BUILD_MS=0
fi
APP="$HERE/bin/Release/net10.0/$RID/QuantGen.Benchmarks"
ORT_VERSION="$("$APP" --ort-version)"
log "ONNX Runtime $ORT_VERSION in process (Microsoft.ML.OnnxRuntime)"
record '{"kind":"build","variant":"jit"}' "{\"ms\":$BUILD_MS,\"load\":\"$LOAD_BUILD\"}"
if [ "$BUILD" = 0 ]; then
  record '{"kind":"note"}' "{\"text\":\"run with --no-build: the app and the plans come from an earlier build of the same commit$([ -n "$BUILD_LOG" ] && echo ', whose log gave the compile times below') (not timed by this run).\"}"
fi
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
  # The INT8 build's time per phase, from the report's "build time" row ("7.5 s: calibrate 3.6 s, rank 1.1 s, …").
  report="$QUANTGEN_OBJ/${CLASS[$m]}Int8.report.md"
  [ -f "$report" ] && node -e '
    const row = /^\| build time \| ([\d.]+) s: (.*?) \(forward passes on (.*?)\) \|/m.exec(require("fs").readFileSync(process.argv[1], "utf8"));
    if (row) {
      const phases = {};
      for (const p of row[2].split(", ")) { const [name, s] = p.split(" "); phases[name] = +s; }
      console.log(JSON.stringify({ kind: "phases", model: process.argv[2], s: +row[1], phases, engine: row[3] }));
    }' "$report" "$m" >> "$RESULTS"
done

AOT_APP=""
if [ "$AOT" = 1 ]; then
  log "dotnet publish -p:QuantGenBenchAot=true (NativeAOT, net10.0, IlcInstructionSet=native)"
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
declare -A ORT_MODEL
for m in "${MODELS[@]}"; do
  ORT_MODEL[Float32,$m]="${MODEL_DIR[$m]}/model.onnx"
  ORT_MODEL[Int8,$m]="$QUANTGEN_OBJ/${CLASS[$m]}Int8.int8.onnx"
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

# --- Steady state, interleaved in one process: per model and precision QuantGen, ORT, QuantGen, ORT ... ------------
# interleave KIND THREADS MODEL...: one process per precision and model, ROUNDS alternations, records of kind KIND (the
# "agree" line: QuantGen's output against ORT's on the same input).
interleave() {
  local kind="$1" threads="$2" p m
  shift 2
  for p in "${PRECISIONS[@]}"; do
    for m in "$@"; do
      log "$m $p, $ROUNDS rounds ($threads thread(s)): QuantGen and ONNX Runtime alternating"
      "$APP" --side-by-side --runs "$RUNS" --rounds "$ROUNDS" --precision "$p" --threads "$threads" --model "$m" --onnx "${ORT_MODEL[$p,$m]}" > "$WORK/steady.out"
      while IFS= read -r line; do
        case "$line" in
          *'"side":"agree"'*) if [ "$threads" = 1 ]; then record '{"kind":"agree"}' "$line"; fi ;;
          *) record "{\"kind\":\"$kind\"}" "$line" ;;
        esac
      done < "$WORK/steady.out"
    done
  done
}
interleave steady 1 "${MODELS[@]}"

# --- Two threads (Parallelism="2"), the large models: QuantGen --threads 2 against ORT IntraOpNumThreads=2 --------
[ "${#TWO_THREAD_MODELS[@]}" -gt 0 ] && interleave steady2 2 "${TWO_THREAD_MODELS[@]}"

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
      # ONNX Runtime in a fresh process of the same app: loading its native library, creating the session, the first run.
      launch=$(now_us)
      out="$("$APP" --first-result-ort "$onnx" "$m" "$p")"
      record '{"kind":"first","side":"ort"}' "{\"launch_unix_us\":$launch}" "$out"
    done
  done
done

# --- Report -----------------------------------------------------------------------------------
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
CPU_MODEL="$(lscpu | sed -n 's/^Model name: *//p' | head -n1)"
FLAGS="$(lscpu | sed -n 's/^Flags: *//p')"
has() { case " $FLAGS " in *" $1 "*) echo yes ;; *) echo no ;; esac; }
# Every vector ISA flag lscpu reports (the CPU/ISA column and the Machine section), not only the ones the kernels use.
ISA_FLAGS="$(tr ' ' '\n' <<< "$FLAGS" | grep -E '^(sse4_1|sse4_2|avx|avx2|fma|f16c|avx512[a-z0-9_]*|avx_vnni|amx[a-z0-9_]*|asimd|sve|sve2|i8mm|asimddp)$' | tr '\n' ' ' | sed 's/ $//')"
MACHINE="$(printf '{"kind":"machine","nproc":%s,"cpu":"%s","isa_flags":"%s","avx2":"%s","fma":"%s","avx512f":"%s","avx512_vnni":"%s","avx_vnni":"%s","dotnet":"%s","node":"%s","ort":"%s","load_build":"%s","load_start":"%s","load_end":"%s","waited_s":%s,"max_load":"%s","date":"%s","command":"%s","runs":%s,"rounds":%s,"starts":%s,"uptime":"%s"}' \
  "$(nproc)" "$CPU_MODEL" "$ISA_FLAGS" "$(has avx2)" "$(has fma)" "$(has avx512f)" "$(has avx512_vnni)" "$(has avx_vnni)" \
  "$(dotnet --version)" "$(node --version)" "$ORT_VERSION" "$LOAD_BUILD" "$LOAD_START" "$LOAD_END" "$waited" "$MAX_LOAD" "$STARTED_AT" "$COMMAND" "$RUNS" "$ROUNDS" "$STARTS" "$(uptime | sed 's/^ *//')")"
echo "$MACHINE" >> "$RESULTS"
node "$HERE/render-report.js" "$RESULTS" > "$OUT"
rm -rf "$WORK/aot"
log "wrote $OUT (raw results: $RESULTS)"
