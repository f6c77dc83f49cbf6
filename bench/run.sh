#!/usr/bin/env bash
# Runs perfvec's benchmarks and prints their numbers.
#   bench/run.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out}
echo "== tap + feature + reuse-distance, all stages pinned to one core"
"$OUT/pv-bench-pipeline" --instructions 1000000 10000000
for b in "$OUT"/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b"
done
