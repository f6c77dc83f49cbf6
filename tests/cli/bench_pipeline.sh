#!/usr/bin/env bash
# The pipeline benchmark of tap + feature + reuse-distance at 1 M and 10 M
# instructions, as 3 processes and as 1 (pv-feature --reuse-distance):
# prints instructions/s and peak memory (numbers only; no timing is asserted
# on shared machines), and checks that memory is flat in trace length:
# every process's peak RSS at 10 M within 25% (+ 4 MiB) of 1 M.
# pv-test: once (a benchmark of the release build; its three stages run under ASan in the other pipeline tests)
set -euo pipefail
OUT=$1
# ASan keeps freed memory in a quarantine (256 MiB by default) that fills
# with the trace's length and would read as growth: a small one here.
[ -z "${PV_SANITIZED:-}" ] || export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=8"
report=$("$OUT/pv-bench-pipeline" --instructions 1000000 10000000 --cpu 0)
echo "$report"
for form in 3-processes 1-process; do
  # The last field of a row: the peak RSS of each process, MiB, '/' between.
  small=$(awk -v form=$form '$1 == 1000000 && $2 == form {print $NF}' <<<"$report")
  large=$(awk -v form=$form '$1 == 10000000 && $2 == form {print $NF}' <<<"$report")
  [ -n "$small" ] && [ -n "$large" ] || { echo "$form: benchmark rows missing"; exit 1; }
  awk -v small="$small" -v large="$large" -v form=$form 'BEGIN {
    n = split(small, s, "/"); split(large, l, "/")
    if (n != (form == "1-process" ? 1 : 3)) { printf "%s: %d processes in the row\n", form, n; exit 1 }
    for (i = 1; i <= n; i++)
      if (l[i] > 1.25 * s[i] + 4) { printf "%s, process %d: %s MiB at 10M vs %s MiB at 1M\n", form, i, l[i], s[i]; exit 1 }
  }'
  echo "$form: memory flat in trace length (peak RSS MiB at 1M: $small; at 10M: $large)"
done
