#!/usr/bin/env bash
# The seven-stage chain to R_p over ZeroMQ against the same stages in one
# process: a synthetic gem5 trace through
#   pv-trace-tap | pv-feature | pv-reuse-distance | pv-window -m M | pv-encode -m M | pv-aggregate
# run by pv-launch over ZeroMQ ipc links (the default), over pipes, and as
# one process (pv-bench-chain: the stage libraries, batches handed on by
# function calls). Prints each one's wall time, its ratio to the one
# process (the goal: ZeroMQ at >= 0.8x its speed), and whether the three
# R_p agree to the bit (they must).
#   bench/chain/run.sh [OUT] [INSTRUCTIONS] [MODEL]   (defaults: out 1000000 the foundation model)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-out}
n=${2:-1000000}
model=${3:-examples/foundation/foundation.pvm}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$OUT/pv-synth-gem5" -n "$n" --seed 1 --out-dir "$tmp/run" 2> /dev/null
trace=$tmp/run/trace.txt
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

t0=$(date +%s.%N)
"$OUT/pv-bench-chain" -m "$model" "$trace" -o "$tmp/one.pvs" > /dev/null
t1=$(date +%s.%N)
one=$(seconds "$t0" "$t1")
declare -A wall
for transport in ipc pipe; do
  t0=$(date +%s.%N)
  "$OUT/pv-launch" --no-progress --transport "$transport" pipelines/gem5-rp.toml \
    model="$model" trace="$trace" out="$tmp/$transport.pvs"
  t1=$(date +%s.%N)
  wall[$transport]=$(seconds "$t0" "$t1")
done
# The same R_p from all three (pv-cat prints every double exactly).
"$OUT/pv-cat" "$tmp/one.pvs" > "$tmp/one.txt"
same=yes
for transport in ipc pipe; do
  "$OUT/pv-cat" "$tmp/$transport.pvs" | cmp -s - "$tmp/one.txt" || same=no
done
echo "$n instructions, $(basename "$model"), $(nproc) CPUs:"
awk -v n="$n" -v one="$one" -v ipc="${wall[ipc]}" -v pipe="${wall[pipe]}" 'BEGIN {
  printf "  one process          %7.2f s  %9.0f instructions/s\n", one, n / one
  printf "  7 stages over ZeroMQ %7.2f s  %9.0f instructions/s  %.2fx the one process\n", ipc, n / ipc, one / ipc
  printf "  7 stages over pipes  %7.2f s  %9.0f instructions/s  %.2fx the one process\n", pipe, n / pipe, one / pipe
}'
echo "  same R_p bits in all three: $same"
[ "$same" = yes ]
