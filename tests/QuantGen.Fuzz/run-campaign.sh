#!/usr/bin/env bash
# A long fuzz campaign of the build task (issue 21): builds the fuzzer, runs CASES cases on JOBS worker processes and
# writes OUT/summary.md (outcomes, by family and QG code, peak memory, slowest cases, every failure with the command that
# rebuilds it) and OUT/results.tsv (one line per case). Exit code 1 when any case is an internal error, a hang, a memory
# failure or a read outside the project.
#
#   tests/QuantGen.Fuzz/run-campaign.sh [CASES=40000] [SEED=1] [JOBS=2] [OUT=fuzz-results] [FIRST=0]
#
# 40,000 cases take about 20 minutes on two quiet cores (about 40 cases/s; half that on a busy shared machine).
# Cases are a function of (SEED, case number): the same arguments rebuild the same cases on any machine, and
#   dotnet run --project tests/QuantGen.Fuzz -c Release -- run CASE --seed SEED [--keep DIR]
# rebuilds one of them in-process and prints what the tasks logged (--keep leaves its files in DIR).
set -euo pipefail
cd "$(dirname "$0")/../.."
cases=${1:-40000}
seed=${2:-1}
jobs=${3:-2}
out=${4:-fuzz-results}
first=${5:-0}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build tests/QuantGen.Fuzz -c Release -nologo -v:q
dotnet tests/QuantGen.Fuzz/bin/Release/net10.0/QuantGen.Fuzz.dll campaign \
  --cases "$cases" --seed "$seed" --jobs "$jobs" --first "$first" --out "$out"
