#!/usr/bin/env bash
# The real gem5 example reproduces PerfVec's reference features and labels
# exactly, through every way of feeding it.
set -euo pipefail
OUT=$1
# The shared reference data when it is beside the checkout (as in CI), else
# the embedded copy; the two must be identical.
DATA=../shared/data/gem5-example
if [ -f "$DATA/trace.txt" ]; then
  for f in trace.txt trace.sq.txt features.expected.txt targets.expected.txt; do
    cmp "$DATA/$f" "examples/gem5-arm-21/$f"
  done
else
  DATA=examples/gem5-arm-21
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# 1. tap | feature | reuse-distance
"$OUT/pv-trace-tap" "$DATA/trace.txt" | "$OUT/pv-feature" | "$OUT/pv-reuse-distance" \
  | "$OUT/pv-cat" > "$tmp/features.txt"
diff "$DATA/features.expected.txt" "$tmp/features.txt"

# 2. raw gem5 text straight into pv-feature (as from a live gem5 on stdout)
cat "$DATA/trace.txt" | "$OUT/pv-feature" --sq "$DATA/trace.sq.txt" | "$OUT/pv-reuse-distance" \
  | "$OUT/pv-cat" > "$tmp/features-raw.txt"
diff "$DATA/features.expected.txt" "$tmp/features-raw.txt"

# 3. the label path
"$OUT/pv-trace-tap" --labels "$DATA/trace.txt" | "$OUT/pv-cat" --labels > "$tmp/targets.txt"
diff "$DATA/targets.expected.txt" "$tmp/targets.txt"

# 4. labels travel with the features through every stage
"$OUT/pv-trace-tap" --labels "$DATA/trace.txt" | "$OUT/pv-feature" | "$OUT/pv-reuse-distance" \
  | tee "$tmp/labelled.pvs" | "$OUT/pv-cat" --labels > "$tmp/targets2.txt"
diff "$DATA/targets.expected.txt" "$tmp/targets2.txt"
"$OUT/pv-cat" "$tmp/labelled.pvs" > "$tmp/features2.txt"
diff "$DATA/features.expected.txt" "$tmp/features2.txt"

# 5. zstd-compressed trace files read the same
zstd -q "$DATA/trace.txt" -o "$tmp/trace.txt.zst"
zstd -q "$DATA/trace.sq.txt" -o "$tmp/trace.sq.txt.zst"
"$OUT/pv-trace-tap" "$tmp/trace.txt.zst" | "$OUT/pv-feature" | "$OUT/pv-reuse-distance" \
  | "$OUT/pv-cat" > "$tmp/features-zst.txt"
diff "$DATA/features.expected.txt" "$tmp/features-zst.txt"
echo "golden example: features and labels match"
