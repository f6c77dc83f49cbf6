#!/usr/bin/env bash
# Runs every test of perfvec and ends with the line "N passed, N failed".
#   tests/run.sh [OUT [SANITIZER_OUT]]
# - every gtest binary OUT/*_tests (each test case counts once)
# - every command-line test tests/cli/*.sh (each script counts once; it gets
#   the build folder as $1 and runs from the repository root)
# - with SANITIZER_OUT (a build with ASan+UBSan): the whole suite again on
#   its binaries, counted as "asan:NAME" (RapidCheck properties with fewer
#   cases), but for the CLI tests marked "# pv-test: once" when the release
#   run had them (what they check does not depend on the build's flags). Sanitizer reports go to files, not to stderr, and a test that
#   leaves one fails whatever its exit status: a report from a process whose
#   failure the test expected (a damaged input, a killed stage) still counts.
#   PV_SANITIZED=1 tells the CLI tests which run they are in.
# - with PV_FUZZ_OUT (a folder for the libFuzzer build, made here by
#   tests/fuzz/run.sh): each fuzz target for PV_FUZZ_SECONDS (default 15),
#   or for PV_FUZZ_RUNS executions (PV_FUZZ_RUNS=1000000: the million-run check)
#   from its seeds, after the inputs of its past findings, counted as
#   "fuzz:TARGET"
# - with PV_BACKGROUND_BUILDS and PV_BACKGROUND_PID (set by ./dev.sh test,
#   which makes the sanitizer and fuzz builds in the background while the
#   release tests run): waits for each build before its tests; a failed
#   build counts as "build:sanitizer" or "build:fuzz"
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1-out}  # "" skips the release run (tests/run.sh "" out/asan)
SAN_OUT=${2:-}
passed=0
failed=0
failures=()
tmp=$(mktemp -d)
# stop_background_builds: on an early exit, dev.sh's background builds
# (PV_BACKGROUND_PID) end with this run.
stop_background_builds() {
  [ -n "${PV_BACKGROUND_PID:-}" ] && kill -0 "$PV_BACKGROUND_PID" 2>/dev/null || return 0
  kill $(pgrep -P "$PV_BACKGROUND_PID") "$PV_BACKGROUND_PID" 2>/dev/null
}
trap 'rm -rf "$tmp"; stop_background_builds' EXIT

# wait_for_build NAME: with PV_BACKGROUND_BUILDS (dev.sh test builds the
# sanitizer and fuzz builds in the background while the release tests run),
# waits until NAME's build has ended; returns 1, with the end of the builds'
# log, when it failed or its builder ended without a status.
wait_for_build() {
  [ -n "${PV_BACKGROUND_BUILDS:-}" ] || return 0
  local status=$PV_BACKGROUND_BUILDS.status line start=$SECONDS
  until line=$(grep "^$1 " "$status" 2>/dev/null); do
    if ! kill -0 "$PV_BACKGROUND_PID" 2>/dev/null; then
      line=$(grep "^$1 " "$status" 2>/dev/null) && break
      echo "build:$1: the background builder ended without a status"
      tail -30 "$PV_BACKGROUND_BUILDS.log" | sed 's/^/    /'
      return 1
    fi
    sleep 1
  done
  if [ "${line#* }" != 0 ]; then
    echo "build:$1: FAILED (exit ${line#* })"
    tail -30 "$PV_BACKGROUND_BUILDS.log" | sed 's/^/    /'
    return 1
  fi
  echo "build:$1: done in the background ($((SECONDS - start)) s waited)"
}

# Sanitizer report files written since the last call: prints them and
# returns 1 (none: 0, or no sanitizer run).
SAN_REPORTS=""
san_reports() {
  [ -n "$SAN_REPORTS" ] || return 0
  local found=0 f
  for f in "$SAN_REPORTS"/*; do
    [ -f "$f" ] || continue
    found=1
    echo "    sanitizer report $(basename "$f"):"
    grep -E 'ERROR|SUMMARY|runtime error|#[0-9]+ ' "$f" | head -25 | sed 's/^/      /'
    rm -f "$f"
  done
  return $found
}

# run_gtests DIR LABEL_PREFIX
run_gtests() {
  local dir=$1 prefix=$2 bin name xml rc counts total bad disabled
  for bin in "$dir"/*_tests; do
    [ -x "$bin" ] || continue
    name=$prefix$(basename "$bin")
    xml="$tmp/${name//:/_}.xml"
    SECONDS=0
    "$bin" --gtest_color=no --gtest_output="xml:$xml" >"$tmp/run.log" 2>&1
    rc=$?
    if [ -f "$xml" ]; then
      counts=$(grep -m1 -o '<testsuites tests="[0-9]*" failures="[0-9]*" disabled="[0-9]*" errors="[0-9]*"' "$xml")
      total=$(sed 's/.*tests="\([0-9]*\)".*/\1/' <<<"$counts")
      bad=$(sed 's/.*failures="\([0-9]*\)".*errors="\([0-9]*\)".*/\1+\2/' <<<"$counts")
      bad=$((bad))
      disabled=$(sed 's/.*disabled="\([0-9]*\)".*/\1/' <<<"$counts")
      passed=$((passed + total - bad - disabled))
      failed=$((failed + bad))
      san_reports || { rc=1; bad=$((bad + 1)); }
      if [ "$bad" -gt 0 ] || [ "$rc" -ne 0 ]; then
        [ "$bad" -gt 0 ] || failed=$((failed + 1))
        failures+=("$name")
        grep -E '^\[  FAILED  \]|Failure|ERROR|runtime error' "$tmp/run.log" | head -20
      fi
      echo "$name: $((total - bad - disabled)) passed, $bad failed ($SECONDS s)"
    else
      # crashed before writing its report
      san_reports
      failed=$((failed + 1))
      failures+=("$name (exit $rc, no report)")
      tail -20 "$tmp/run.log"
      echo "$name: crashed (exit $rc)"
    fi
  done
}

# run_cli DIR LABEL_PREFIX SCRIPT...
# With ONCE_DONE set (the release run has run them), scripts marked
# "# pv-test: once" are skipped: they check what no build flag changes
# (packaging, plots from CSV files, the source layout, release-build
# numbers), so the sanitizer run would only repeat them.
run_cli() {
  local dir=$1 prefix=$2 t name
  shift 2
  for t in "$@"; do
    [ -f "$t" ] || continue
    name=$prefix${t#tests/cli/}
    if [ -n "${ONCE_DONE:-}" ] && grep -q '^# pv-test: once' "$t"; then
      echo "cli/$name: skipped (pv-test: once; run on $OUT)"
      continue
    fi
    SECONDS=0
    if bash "$t" "$dir" >"$tmp/cli.log" 2>&1 && san_reports; then
      passed=$((passed + 1))
      echo "cli/$name: passed ($SECONDS s)"
    else
      failed=$((failed + 1))
      failures+=("cli/$name")
      echo "cli/$name: FAILED ($SECONDS s)"
      tail -20 "$tmp/cli.log" | sed 's/^/    /'
      san_reports
    fi
  done
}

if [ -n "$OUT" ]; then
  run_gtests "$OUT" ""
  run_cli "$OUT" "" tests/cli/*.sh
fi
if [ -n "$SAN_OUT" ] && ! wait_for_build sanitizer; then
  failed=$((failed + 1))
  failures+=("build:sanitizer")
  SAN_OUT=""
fi
if [ -n "$SAN_OUT" ]; then
  SAN_REPORTS=$tmp/sanitizer-reports
  mkdir -p "$SAN_REPORTS"
  # log_path: one file per reporting process (PID appended).
  export ASAN_OPTIONS="log_path=$SAN_REPORTS/asan:detect_leaks=1:abort_on_error=0:${PV_ASAN_OPTIONS:-}"
  export UBSAN_OPTIONS="log_path=$SAN_REPORTS/ubsan:print_stacktrace=1:halt_on_error=1"
  export PV_SANITIZED=1
  RC_PARAMS="max_success=20" run_gtests "$SAN_OUT" "asan:"
  ONCE_DONE=$OUT run_cli "$SAN_OUT" "asan:" tests/cli/*.sh
  unset ASAN_OPTIONS UBSAN_OPTIONS PV_SANITIZED
fi

if [ -n "${PV_FUZZ_OUT:-}" ] && ! wait_for_build fuzz; then
  failed=$((failed + 1))
  failures+=("build:fuzz")
  PV_FUZZ_OUT=""
fi
if [ -n "${PV_FUZZ_OUT:-}" ]; then
  for t in $(tests/fuzz/run.sh --list); do
    if tests/fuzz/run.sh "$PV_FUZZ_OUT" "${PV_FUZZ_SECONDS:-15}" "$t" >"$tmp/fuzz.log" 2>&1; then
      passed=$((passed + 1))
      echo "fuzz:$(tail -1 "$tmp/fuzz.log")"
    else
      failed=$((failed + 1))
      failures+=("fuzz:$t")
      echo "fuzz:$t: FAILED"
      tail -20 "$tmp/fuzz.log" | sed 's/^/    /'
    fi
  done
fi

if [ ${#failures[@]} -gt 0 ]; then
  echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
