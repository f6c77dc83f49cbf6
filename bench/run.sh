#!/usr/bin/env bash
# Runs perfvec's benchmarks and prints their numbers.
#   bench/run.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out}
echo "== tap + feature + reuse-distance, all stages on one core"
"$OUT/pv-bench-pipeline" --instructions 1000000 10000000 --cpu 0
echo "== the same, stages free to use both cores"
"$OUT/pv-bench-pipeline" --instructions 1000000 10000000 --cpu -1
echo "== a large data footprint streamed through tap | feature | reuse-distance: speed and peak RSS per stage (bench/footprint/run.sh)"
bench/footprint/run.sh "$OUT" 10000000 100000000
echo "== the seven stages to R_p over ZeroMQ and pipes against the same stages in one process (bench/chain/run.sh)"
bench/chain/run.sh "$OUT" 1000000
bench/chain/run.sh "$OUT" 10000000
echo "== the whole chain with 100,000 streamed interval sums predicted by pv-dot-predict --intervals"
PV_WHOLE_CHAIN=1 PV_INTERVAL=1000 bench/footprint/run.sh "$OUT" 100000000
for b in "$OUT"/bench_* "$OUT"/trace_tap_bench; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b"
done
echo "== pv-uarch on a synthetic stream: 1, 4 and 16 configurations, 1 and 2 threads (bench/uarch/run.sh)"
bench/uarch/run.sh "$OUT"
echo "== a native program under Valgrind: the tap's cost, then pv-uarch per configuration (bench/tap/run.sh)"
if command -v valgrind > /dev/null && command -v xz > /dev/null && [ -x "$OUT/pv-valgrind/pvtap-amd64-linux" ]; then
  bench/tap/run.sh "$OUT"
else
  echo "skipped: needs valgrind, xz and $OUT/pv-valgrind (./dev.sh installs and builds them)"
fi
echo "== pv-train samples/s with 1 and 2 workers (bench/train/run.sh)"
if command -v valgrind > /dev/null && [ -x "$OUT/pv-valgrind/pvtap-amd64-linux" ]; then
  bench/train/run.sh "$OUT"
else
  echo "skipped: needs valgrind and $OUT/pv-valgrind (./dev.sh installs and builds them)"
fi
