#!/usr/bin/env bash
# Measures what tracing under pvtap costs: wall seconds, guest
# instructions/s and slowdown against the native run of a program run
# natively (best of 5), under --tool=none (Valgrind's floor), under the
# pvtap tool alone writing its raw record stream to /dev/null, under
# pv-trace-tap --valgrind writing the instruction stream to /dev/null, and
# through the chain pv-trace-tap | pv-feature | pv-reuse-distance > /dev/null.
# The guest's stdout goes to /dev/null in every run. CPU seconds are user +
# system time of all the run's processes (a better guide than wall time on
# a shared machine; rates and slowdowns are from wall time).
#
#   stages/trace-tap/valgrind/measure_slowdown.sh OUT [PROGRAM ARGS...]
#
# Default program: xz -3 -T1 compressing the first 128 KiB of the Valgrind
# tool binaries (present wherever the tap works): about 61 M instructions
# (valgrind 3.19), about 20 s through the tap and 45 s through the chain on
# a loaded 2-core machine.
set -euo pipefail
OUT=$1; shift
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if [ $# -eq 0 ]; then
  cat /usr/libexec/valgrind/*-amd64-linux > "$tmp/all"
  dd if="$tmp/all" of="$tmp/input" bs=1K count=128 status=none
  set -- xz -3 -T1 -c "$tmp/input"
fi
TIMEFORMAT='%R %U %S'
run() {  # run VAR COMMAND...: VAR=wall seconds, VAR_cpu=CPU seconds (user + system, all processes)
  local var=$1 r u s; shift
  { time "$@" > /dev/null 2> "$tmp/err"; } 2> "$tmp/time" || { echo "failed: $*" >&2; cat "$tmp/err" >&2; exit 1; }
  read -r r u s < "$tmp/time"
  printf -v "$var" %s "$r"
  printf -v "${var}_cpu" %s "$(echo "$u + $s" | bc)"
}
best= best_cpu=
for _ in 1 2 3 4 5; do
  run t "$@"
  if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t best_cpu=$t_cpu; fi
done
native=$best native_cpu=$best_cpu
run none valgrind -q --tool=none "$@"
run raw env VALGRIND_LIB="$OUT/pv-valgrind" valgrind -q --tool=pvtap --pvtap-fd=9 "$@" 9>/dev/null
run tap "$OUT/pv-trace-tap" --valgrind --guest-stdout /dev/null -o /dev/null -- "$@"
n=$(sed -n 's/.*: \([0-9]*\) instructions traced.*/\1/p' "$tmp/err")
records=$(sed -n 's/.*instructions traced ([0-9]* skipped), \([0-9]*\) records.*/\1/p' "$tmp/err")
chain() {
  "$OUT/pv-trace-tap" --valgrind -q --guest-stdout /dev/null -- "$@" | "$OUT/pv-feature" \
    | "$OUT/pv-reuse-distance" > /dev/null
}
run full chain "$@"
row() {  # row LABEL WALL_SECONDS CPU_SECONDS
  printf '%-40s %8.3f %8.3f %10.1f %9.1f\n' "$1" "$2" "$3" \
    "$(echo "$n / $2 / 1000000" | bc -l)" "$(echo "$2 / $native" | bc -l)"
}
printf '%s: %s guest instructions, %s records (%.2f per instruction)\n' "$*" "$n" "$records" \
  "$(echo "$records / $n" | bc -l)"
printf '%-40s %8s %8s %10s %9s\n' run "wall s" "CPU s" "M instr/s" "x native"
row "native (best of 5)" "$native" "$native_cpu"
row "valgrind --tool=none" "$none" "$none_cpu"
row "valgrind --tool=pvtap (raw stream)" "$raw" "$raw_cpu"
row "pv-trace-tap --valgrind -o /dev/null" "$tap" "$tap_cpu"
row "tap | pv-feature | pv-reuse-distance" "$full" "$full_cpu"
