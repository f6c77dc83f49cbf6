#!/usr/bin/env bash
# Memory and speed on a large data footprint, nothing on disk: pv-synth-gem5
# --data-bytes streams a trace whose distinct data lines keep growing (about
# 12 GB of 64-byte lines over 1 B instructions) through
#   pv-trace-tap | pv-feature | pv-reuse-distance
# (with PV_WHOLE_CHAIN=1 also | pv-encode -m the foundation model |
# pv-aggregate) and prints, per length, instructions/s and every stage's
# peak resident memory (GNU time's %M). PV_INTERVAL=N (whole chain only)
# adds pv-aggregate --interval N | pv-dot-predict --intervals: one
# prediction per N instructions on every microarchitecture of the model,
# the intervals streaming through (their count is printed).
#   bench/footprint/run.sh [OUT] [INSTRUCTIONS ...]   (default: 10000000)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-out}
shift || true
lengths=("$@")
[ ${#lengths[@]} -gt 0 ] || lengths=(10000000)
model=examples/foundation/foundation.pvm
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
command -v /usr/bin/time > /dev/null || { echo "bench/footprint: needs GNU time (Debian package time)"; exit 2; }
rss() { awk '{ printf "%.0f", $1 / 1024 }' "$tmp/$1.rss"; }  # MiB
for n in "${lengths[@]}"; do
  t0=$(date +%s.%N)
  stages=(synth tap feature reuse)
  if [ -n "${PV_WHOLE_CHAIN:-}" ]; then
    stages+=(encode aggregate)
    /usr/bin/time -f %M -o "$tmp/synth.rss" "$OUT/pv-synth-gem5" -n "$n" --seed 3 --data-bytes $((1 << 40)) \
      | /usr/bin/time -f %M -o "$tmp/tap.rss" "$OUT/pv-trace-tap" -q - \
      | /usr/bin/time -f %M -o "$tmp/feature.rss" "$OUT/pv-feature" -q \
      | /usr/bin/time -f %M -o "$tmp/reuse.rss" "$OUT/pv-reuse-distance" -q \
      | /usr/bin/time -f %M -o "$tmp/encode.rss" "$OUT/pv-encode" -m "$model" -q \
      | if [ -n "${PV_INTERVAL:-}" ]; then
          /usr/bin/time -f %M -o "$tmp/aggregate.rss" "$OUT/pv-aggregate" -q --interval "$PV_INTERVAL" \
            | /usr/bin/time -f %M -o "$tmp/predict.rss" "$OUT/pv-dot-predict" -m "$model" --intervals --format csv - \
            | awk -F, -v n="$PV_INTERVAL" 'NR > 1 && (rows == 0 || $1 != last) { intervals++; last = $1 } NR > 1 { rows++ }
                END { printf "%d intervals of %d instructions predicted (%d rows)", intervals, n, rows }' > "$tmp/intervals"
        else
          /usr/bin/time -f %M -o "$tmp/aggregate.rss" "$OUT/pv-aggregate" -q -o "$tmp/rp"
        fi
    [ -z "${PV_INTERVAL:-}" ] || stages+=(predict)
  else
    /usr/bin/time -f %M -o "$tmp/synth.rss" "$OUT/pv-synth-gem5" -n "$n" --seed 3 --data-bytes $((1 << 40)) \
      | /usr/bin/time -f %M -o "$tmp/tap.rss" "$OUT/pv-trace-tap" -q - \
      | /usr/bin/time -f %M -o "$tmp/feature.rss" "$OUT/pv-feature" -q \
      | /usr/bin/time -f %M -o "$tmp/reuse.rss" "$OUT/pv-reuse-distance" -q -o /dev/null
  fi
  t1=$(date +%s.%N)
  line=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%d instructions: %.1f s, %.0f instructions/s; peak RSS MiB:", n, b - a, n / (b - a) }')
  for s in "${stages[@]}"; do line+=" $s $(rss "$s")"; done
  if [ -n "${PV_WHOLE_CHAIN:-}" ] && [ -n "${PV_INTERVAL:-}" ]; then
    line+="; $(cat "$tmp/intervals")"
  fi
  echo "$line"
done
