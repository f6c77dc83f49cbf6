#!/usr/bin/env bash
# The real gem5 example reproduces PerfVec's reference features and labels
# exactly, through every way of feeding it; with one store made to fault it
# gives the hand-checked changes (its fault feature, the store-commit labels).
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
# 6. a faulting store: gem5 writes its whole record in trace.txt and none in
# trace.sq.txt, and its store times are 0. The example's first store (line
# 15, sq_index 1) made to fault; by hand: its fault feature (column 1)
# becomes 1; its store-commit label (column 3) was 945, the 94500 ticks from
# the frontier (221000, line 14's retire) to its commit at 315500; now its
# store time is its fetch tick, 216500, before the frontier: 0 (it would be
# 10 had its retire, 222000, been taken instead). The second store then
# commits at 316000 from the frontier 221000: 950 instead of 5. Nothing else
# changes (no later time passes 316000).
mkdir "$tmp/fault"
awk 'NR == FNR { if (FNR == 1) { sq = ""; for (i = 12; i <= NF; ++i) sq = sq " " $i } ; next }
     FNR == 15 { $1 = 1; print $0 sq; next } { print }' "$DATA/trace.sq.txt" "$DATA/trace.txt" > "$tmp/fault/trace.txt"
tail -n 1 "$DATA/trace.sq.txt" > "$tmp/fault/trace.sq.txt"
[ "$(awk 'NR == 15 { print $1, $2, NF }' "$tmp/fault/trace.txt")" = "1 1 54" ] || { echo "faulting store: bad test trace"; exit 1; }
[ "$(awk 'NR >= 15 && NR <= 16 { printf "%s ", $3 }' "$DATA/targets.expected.txt")" = "945 5 " ] \
  || { echo "faulting store: the example's store-commit labels are not the ones reasoned from"; exit 1; }
awk 'NR == 15 { $1 = 1 } { print }' "$DATA/features.expected.txt" > "$tmp/fault/features.expected.txt"
awk 'NR == 15 { $3 = 0 } NR == 16 { $3 = 950 } { print }' "$DATA/targets.expected.txt" > "$tmp/fault/targets.expected.txt"
"$OUT/pv-trace-tap" --labels "$tmp/fault/trace.txt" | "$OUT/pv-feature" | "$OUT/pv-reuse-distance" \
  | tee "$tmp/fault/labelled.pvs" | "$OUT/pv-cat" --labels > "$tmp/fault/targets.txt"
"$OUT/pv-cat" "$tmp/fault/labelled.pvs" > "$tmp/fault/features.txt"
# pv-cat prints rows with a trailing blank, as the expected files have them;
# awk's rewrite of a row drops it: compare fields, not bytes.
for f in features targets; do
  if ! diff <(awk '{ $1 = $1; print }' "$tmp/fault/$f.expected.txt") <(awk '{ $1 = $1; print }' "$tmp/fault/$f.txt"); then
    echo "faulting store: $f differ from the hand-checked expectation"; exit 1
  fi
done
cat "$tmp/fault/trace.txt" | "$OUT/pv-feature" --sq "$tmp/fault/trace.sq.txt" | "$OUT/pv-reuse-distance" \
  | "$OUT/pv-cat" > "$tmp/fault/features-raw.txt"
diff <(awk '{ $1 = $1; print }' "$tmp/fault/features.expected.txt") <(awk '{ $1 = $1; print }' "$tmp/fault/features-raw.txt")
echo "golden example: features and labels match (also with a faulting store)"
