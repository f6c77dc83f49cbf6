#!/usr/bin/env bash
# Runs every test of perfvec and ends with the line "N passed, N failed".
#   tests/run.sh [OUT [SANITIZER_OUT]]
# - every gtest binary OUT/*_tests (each test case counts once)
# - every command-line test tests/cli/*.sh (each script counts once; it gets
#   the build folder as $1 and runs from the repository root)
# - with SANITIZER_OUT (a build with ASan+UBSan): its gtest binaries again
#   (RapidCheck properties with fewer cases), and the CLI tests that feed
#   stages real and damaged data, counted as "asan:NAME"
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out}
SAN_OUT=${2:-}
passed=0
failed=0
failures=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run_gtests DIR LABEL_PREFIX
run_gtests() {
  local dir=$1 prefix=$2 bin name xml rc counts total bad disabled
  for bin in "$dir"/*_tests; do
    [ -x "$bin" ] || continue
    name=$prefix$(basename "$bin")
    xml="$tmp/${name//:/_}.xml"
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
      if [ "$bad" -gt 0 ] || [ "$rc" -ne 0 ]; then
        [ "$bad" -gt 0 ] || failed=$((failed + 1))
        failures+=("$name")
        grep -E '^\[  FAILED  \]|Failure|ERROR|runtime error' "$tmp/run.log" | head -20
      fi
      echo "$name: $((total - bad - disabled)) passed, $bad failed"
    else
      # crashed before writing its report
      failed=$((failed + 1))
      failures+=("$name (exit $rc, no report)")
      tail -20 "$tmp/run.log"
      echo "$name: crashed (exit $rc)"
    fi
  done
}

# run_cli DIR LABEL_PREFIX SCRIPT...
run_cli() {
  local dir=$1 prefix=$2 t name
  shift 2
  for t in "$@"; do
    [ -f "$t" ] || continue
    name=$prefix${t#tests/cli/}
    if bash "$t" "$dir" >"$tmp/cli.log" 2>&1; then
      passed=$((passed + 1))
      echo "cli/$name: passed"
    else
      failed=$((failed + 1))
      failures+=("cli/$name")
      echo "cli/$name: FAILED"
      tail -20 "$tmp/cli.log" | sed 's/^/    /'
    fi
  done
}

run_gtests "$OUT" ""
run_cli "$OUT" "" tests/cli/*.sh
if [ -n "$SAN_OUT" ]; then
  RC_PARAMS="max_success=20" run_gtests "$SAN_OUT" "asan:"
  run_cli "$SAN_OUT" "asan:" tests/cli/golden_example.sh tests/cli/error_propagation.sh \
    tests/cli/live_fifo.sh
fi

if [ ${#failures[@]} -gt 0 ]; then
  echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
