#!/usr/bin/env bash
# A failure anywhere reaches the end of the chain: every later stage forwards
# the error, names the failing stage, input and line, and exits 1.
set -uo pipefail
OUT=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
head -c 300 examples/gem5-arm-21/trace.txt > "$tmp/trace.txt"   # cut inside line 3
cp examples/gem5-arm-21/trace.sq.txt "$tmp/"

"$OUT/pv-trace-tap" "$tmp/trace.txt" 2>"$tmp/tap.err" | "$OUT/pv-feature" 2>"$tmp/feature.err" \
  | "$OUT/pv-reuse-distance" 2>"$tmp/reuse.err" | "$OUT/pv-cat" >"$tmp/out.txt" 2>"$tmp/cat.err"
status=("${PIPESTATUS[@]}")
echo "exit statuses: ${status[*]}"
for s in "${status[@]}"; do [ "$s" -eq 1 ] || { echo "expected every stage to exit 1"; exit 1; }; done
cat "$tmp/tap.err" "$tmp/cat.err"
grep -q "^pv-trace-tap: $tmp/trace.txt:line 3: " "$tmp/tap.err" || { echo "tap message lacks file:line"; exit 1; }
grep -q "^pv-cat: upstream stage pv-trace-tap failed: $tmp/trace.txt:line 3: " "$tmp/cat.err" \
  || { echo "pv-cat did not report the upstream failure"; exit 1; }
grep -q "upstream stage pv-trace-tap failed" "$tmp/feature.err" || exit 1
grep -q "upstream stage pv-trace-tap failed" "$tmp/reuse.err" || exit 1
echo "error propagated through the chain"
