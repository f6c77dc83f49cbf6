#!/usr/bin/env bash
# Runs every test of perfvec and ends with the line "N passed, N failed".
#   tests/run.sh [OUT]
# - every gtest binary OUT/*_tests (each test case counts once)
# - every command-line test tests/cli/*.sh (each script counts once; it gets
#   the build folder as $1 and runs from the repository root)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out}
passed=0
failed=0
failures=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for bin in "$OUT"/*_tests; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  xml="$tmp/$name.xml"
  "$bin" --gtest_color=no --gtest_output="xml:$xml" >"$tmp/$name.log" 2>&1
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
      grep -E '^\[  FAILED  \]|Failure|error' "$tmp/$name.log" | head -20
    fi
    echo "$name: $((total - bad - disabled)) passed, $bad failed"
  else
    # crashed before writing its report
    failed=$((failed + 1))
    failures+=("$name (exit $rc, no report)")
    tail -20 "$tmp/$name.log"
    echo "$name: crashed (exit $rc)"
  fi
done

for t in tests/cli/*.sh; do
  [ -f "$t" ] || continue
  name=${t#tests/cli/}
  if bash "$t" "$OUT" >"$tmp/cli.log" 2>&1; then
    passed=$((passed + 1))
    echo "cli/$name: passed"
  else
    failed=$((failed + 1))
    failures+=("cli/$name")
    echo "cli/$name: FAILED"
    tail -20 "$tmp/cli.log" | sed 's/^/    /'
  fi
done

if [ ${#failures[@]} -gt 0 ]; then
  echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
