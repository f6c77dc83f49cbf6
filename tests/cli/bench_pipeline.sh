#!/usr/bin/env bash
# The pipeline benchmark of tap + feature + reuse-distance at 1 M and 10 M
# instructions: prints instructions/s and peak memory (numbers only; no
# timing is asserted on shared machines), and checks that memory is flat in
# trace length: every stage's peak RSS at 10 M within 25% (+ 4 MiB) of 1 M.
# pv-test: once (a benchmark of the release build; its three stages run under ASan in the other pipeline tests)
set -euo pipefail
OUT=$1
# ASan keeps freed memory in a quarantine (256 MiB by default) that fills
# with the trace's length and would read as growth: a small one here.
[ -z "${PV_SANITIZED:-}" ] || export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=8"
report=$("$OUT/pv-bench-pipeline" --instructions 1000000 10000000 --cpu 0)
echo "$report"
# The last five fields of a row are "tap / feature / reuse" peak RSS.
small=$(awk '$1 == 1000000 {print $(NF-4), $(NF-2), $NF}' <<<"$report")
large=$(awk '$1 == 10000000 {print $(NF-4), $(NF-2), $NF}' <<<"$report")
[ -n "$small" ] && [ -n "$large" ] || { echo "benchmark rows missing"; exit 1; }
awk -v small="$small" -v large="$large" 'BEGIN {
  split(small, s, " "); split(large, l, " ")
  for (i = 1; i <= 3; i++)
    if (l[i] > 1.25 * s[i] + 4) { printf "stage %d: %s MiB at 10M vs %s MiB at 1M\n", i, l[i], s[i]; exit 1 }
}'
echo "memory flat in trace length (peak RSS MiB at 1M: $small; at 10M: $large)"
