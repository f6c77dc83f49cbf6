#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for a bounded time.
#   tests/fuzz/run.sh OUTDIR [SECONDS] [TARGET...]
#   tests/fuzz/run.sh OUTDIR --build     (only build the targets)
#   tests/fuzz/run.sh --list             (the targets' names)
# OUTDIR: the fuzz build folder (generated here from tests/fuzz/fuzz.gn with
# is_fuzz=true: clang-14, -fsanitize=fuzzer,address,undefined); SECONDS per
# target (default 20); TARGETs (default: all). Each target starts from its seeds in
# tests/fuzz/corpus/NAME and keeps what it finds in OUTDIR/corpus/NAME (the
# repository's corpus is never written). Prints one line per target with its
# executions; exits 1 if any target found a crash, leak, timeout or
# sanitizer report (the reproducer is OUTDIR/crash-*, and its log is shown).
# PV_FUZZ_RUNS=N runs each target for N executions instead of SECONDS (the
# million-execution runs of docs/fuzzing.md: PV_FUZZ_RUNS=1000000); a run
# that ends before N executions fails.
set -uo pipefail
cd "$(dirname "$0")/../.."
ALL_TARGETS=(gem5_trace_fuzz champsim_fuzz valgrind_records_fuzz stream_fuzz
             model_file_fuzz pipeline_file_fuzz uarch_config_fuzz
             workload_suite_fuzz dataset_manifest_fuzz aggregate_checkpoint_fuzz
             train_checkpoint_fuzz dse_space_fuzz)
# --list: the targets, one per line (tests/run.sh runs each as a test).
if [ "${1:-}" = --list ]; then printf '%s\n' "${ALL_TARGETS[@]}"; exit 0; fi
OUT=${1:?usage: tests/fuzz/run.sh OUTDIR [SECONDS] [TARGET...]}
shift
BUILD_ONLY=""
if [ "${1:-}" = --build ]; then BUILD_ONLY=1; shift; fi
SECONDS_EACH=20
if [[ ${1:-} =~ ^[0-9]+$ ]]; then SECONDS_EACH=$1; shift; fi
declare -A CORPUS=(
  [gem5_trace_fuzz]=gem5 [champsim_fuzz]=champsim [valgrind_records_fuzz]=valgrind
  [stream_fuzz]=stream [model_file_fuzz]=model [pipeline_file_fuzz]=pipeline
  [uarch_config_fuzz]=uarch [workload_suite_fuzz]=suite [dataset_manifest_fuzz]=manifest
  [aggregate_checkpoint_fuzz]=aggregate-checkpoint [train_checkpoint_fuzz]=train-checkpoint
  [dse_space_fuzz]=dse-space
)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL_TARGETS[@]}")

if [ ! -f "$OUT/build.ninja" ]; then
  gn gen "$OUT" --root=. --dotfile=tests/fuzz/fuzz.gn --args='is_fuzz=true' >/dev/null || exit 1
fi
ninja -C "$OUT" fuzz >/dev/null || { ninja -C "$OUT" fuzz | tail -30; exit 1; }
[ -z "$BUILD_ONLY" ] || exit 0

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
failed=0
for t in "${TARGETS[@]}"; do
  seeds=tests/fuzz/corpus/${CORPUS[$t]:?unknown target $t}
  work=$OUT/corpus/${CORPUS[$t]}
  mkdir -p "$work"
  log=$OUT/$t.log
  # The inputs of past findings kept out of the seeds (findings/CORPUS-*)
  # first: each must now run clean.
  findings=(tests/fuzz/findings/"${CORPUS[$t]}"-*)
  if [ -e "${findings[0]}" ]; then
    if ! "$OUT/$t" -timeout=10 -rss_limit_mb=2048 "${findings[@]}" >"$log" 2>&1; then
      failed=1
      echo "$t: FINDING on a past finding's input (${findings[*]}); log $log"
      grep -E 'ERROR|SUMMARY|runtime error|terminate|what\(\)' "$log" | head -15
      continue
    fi
  fi
  # -rss_limit_mb: an input that makes a reader allocate gigabytes is a finding.
  if [ -n "${PV_FUZZ_RUNS:-}" ]; then limit=(-runs="$PV_FUZZ_RUNS"); else limit=(-max_total_time="$SECONDS_EACH"); fi
  start=$(date +%s)
  "$OUT/$t" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$OUT/" "$work" "$seeds" >"$log" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  if [ "$rc" -eq 0 ] && [ -n "${PV_FUZZ_RUNS:-}" ] && [ "${runs:-0}" -lt "$PV_FUZZ_RUNS" ]; then
    failed=1
    echo "$t: stopped after ${runs:-?} of $PV_FUZZ_RUNS executions; log $log"
  elif [ "$rc" -eq 0 ]; then
    echo "$t: ${runs:-?} executions in ${took} s, no finding"
  else
    failed=1
    echo "$t: FINDING (exit $rc) after ${runs:-?} executions; log $log"
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written|terminate|what\(\)' "$log" | head -15
  fi
done
exit $failed
