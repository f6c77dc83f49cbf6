#!/usr/bin/env bash
# Measures what tracing under pvtap costs: wall seconds and guest
# instructions/s of a program run natively, under --tool=none, under the
# tap writing the stream to /dev/null, and through the chain
# pv-trace-tap | pv-feature | pv-reuse-distance > /dev/null.
#
#   stages/trace-tap/valgrind/measure_slowdown.sh OUT [PROGRAM ARGS...]
#
# Default program: xz -6 compressing the first 256 KiB of the valgrind tool
# binaries (present wherever the tap works): about 0.2 G instructions.
set -euo pipefail
OUT=$1; shift
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if [ $# -eq 0 ]; then
  cat /usr/libexec/valgrind/*-amd64-linux > "$tmp/all"
  dd if="$tmp/all" of="$tmp/input" bs=64K count=4 status=none
  set -- xz -6 -c -T1 "$tmp/input"
fi
now() { date +%s.%N; }
run() {  # run LABEL COMMAND...: prints wall seconds
  local t0 t1; shift
  t0=$(now); "$@" > /dev/null 2> "$tmp/err"; t1=$(now)
  echo "$t1 - $t0" | bc
}
native=$(run native "$@")
none=$(run none valgrind -q --tool=none "$@")
raw=$(run raw env VALGRIND_LIB="$OUT/pv-valgrind" valgrind -q --tool=pvtap --pvtap-fd=9 "$@" 9>/dev/null)
tap=$(run tap "$OUT/pv-trace-tap" --valgrind --guest-stdout /dev/null -- "$@")
n=$(sed -n 's/.*: \([0-9]*\) instructions traced.*/\1/p' "$tmp/err")
chain() {
  "$OUT/pv-trace-tap" --valgrind -q --guest-stdout /dev/null -- "$@" | "$OUT/pv-feature" \
    | "$OUT/pv-reuse-distance" > /dev/null
}
full=$(run chain chain "$@")
printf '%s: %s guest instructions\n' "$*" "$n"
printf '%-40s %8s s %10s M instr/s %6s x native\n' \
  native "$native" "$(echo "scale=1; $n / $native / 1000000" | bc)" 1 \
  "valgrind --tool=pvtap (raw stream)" "$raw" "$(echo "scale=1; $n / $raw / 1000000" | bc)" "$(echo "scale=1; $raw / $native" | bc)" \
  "valgrind --tool=none" "$none" "$(echo "scale=1; $n / $none / 1000000" | bc)" "$(echo "scale=1; $none / $native" | bc)" \
  "pv-trace-tap --valgrind -o /dev/null" "$tap" "$(echo "scale=1; $n / $tap / 1000000" | bc)" "$(echo "scale=1; $tap / $native" | bc)" \
  "tap | pv-feature | pv-reuse-distance" "$full" "$(echo "scale=1; $n / $full / 1000000" | bc)" "$(echo "scale=1; $full / $native" | bc)"
