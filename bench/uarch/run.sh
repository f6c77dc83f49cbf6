#!/usr/bin/env bash
# pv-uarch through real processes: tap instructions/s, then pv-uarch
# instructions/s per configuration with 1, 4 and 16 sampled configurations
# (1 and 2 threads), reading the tap's output from a file.
#   bench/uarch/run.sh [OUT] [INSTRUCTIONS]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-out}
N=${2:-1000000}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" -v k="${4:-1}" 'BEGIN { printf "%.2f", n * k / (b - a) / 1e6 }'; }

"$OUT/pv-synth-gem5" -n "$N" --seed 1 > "$tmp/trace.txt"
t0=$(now); "$OUT/pv-trace-tap" "$tmp/trace.txt" -o "$tmp/insts.pvs"; t1=$(now)
echo "pv-trace-tap (gem5 text): $N instructions, $(rate "$N" "$t0" "$t1") M instructions/s"
"$OUT/pv-uarch" sample --seed 1 --count 16 --out "$tmp/cfg" > /dev/null
for k in 1 4 16; do
  configs=()
  for f in $(ls "$tmp"/cfg/*.toml | head -n "$k"); do configs+=(-c "$f"); done
  for j in 1 2; do
    t0=$(now); "$OUT/pv-uarch" "$tmp/insts.pvs" "${configs[@]}" -j "$j" -o /dev/null --no-progress; t1=$(now)
    echo "pv-uarch: $k configuration(s), $j thread(s): $(rate "$N" "$t0" "$t1") M instructions/s," \
         "$(rate "$N" "$t0" "$t1" "$k") M instruction-configurations/s"
  done
done
