#!/usr/bin/env bash
# docs/plots/plot-accuracy.sh on the shipped per-pair CSV: both SVGs are
# written, name every program and have one mark per pair; its summary table
# counts every pair once and is the one in docs/accuracy.md; a file that is
# not pv-eval's CSV is refused by name. (OUT is not needed: no binaries.)
# pv-test: once (no executable of the build runs: plots from the shipped CSV)
set -uo pipefail
. "$(dirname "$0")/../lib/contains.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# The shipped model's CSVs (all workloads, the test split), v2.1's, v2's, v1.1's and
# the v2 candidates' (docs/accuracy.md).
for csv in docs/accuracy-pairs.csv docs/accuracy-v2.2-test-pairs.csv docs/accuracy-v2.1-pairs.csv \
    docs/accuracy-v2.1-test-pairs.csv docs/accuracy-v2-pairs.csv \
    docs/accuracy-v2-test-pairs.csv docs/accuracy-v1.1-pairs.csv docs/accuracy-v2-candidate-test-pairs.csv \
    docs/accuracy-v2-L-test-pairs.csv; do
  name=$(basename "$csv" .csv)
  docs/plots/plot-accuracy.sh "$csv" "$tmp/$name" > "$tmp/table.md" 2> "$tmp/log" || { cat "$tmp/log"; fail "plot-accuracy.sh"; }
  for f in per-program-error predicted-vs-truth; do
    head -c 400 "$tmp/$name/$f.svg" | contains "<svg" || fail "$f.svg is not an SVG"
  done
  # Every program of the CSV is a tick label of the per-program figure.
  for p in $(tail -n +2 "$csv" | cut -d, -f1 | sed "s/\.r[0-9]*$//" | sort -u); do
    grep -q ">$p<" "$tmp/$name/per-program-error.svg" || fail "per-program-error.svg lacks $p"
  done
  # The scatter has a point for every pair (gnuplot draws each as one 'use'
  # of its point symbol), and one in each of its two key entries.
  pairs=$(($(wc -l < "$csv") - 1))
  points=$(grep -o "<use xlink:href='#gpPt6'" "$tmp/$name/predicted-vs-truth.svg" | wc -l)
  [ "$points" -eq $((pairs + 2)) ] || fail "predicted-vs-truth.svg has $points points for $pairs pairs"
  # The summary table's groups hold every pair once, and its rows are those
  # of docs/accuracy.md.
  [ "$(awk -F'|' 'NR > 2 { n += $4 } END { print n }' "$tmp/table.md")" -eq "$pairs" ] \
    || { cat "$tmp/table.md"; fail "the summary table does not count every pair once"; }
  while read -r row; do
    grep -qF "$row" docs/accuracy.md || fail "docs/accuracy.md lacks the summary row: $row"
  done < <(tail -n +3 "$tmp/table.md")
  echo "$name: $pairs pairs, every program named, its summary rows in docs/accuracy.md"
done
echo "a,b" > "$tmp/bad.csv"; echo "1,2" >> "$tmp/bad.csv"
if docs/plots/plot-accuracy.sh "$tmp/bad.csv" "$tmp/x" 2> "$tmp/err"; then fail "a CSV without pv-eval's columns was plotted"; fi
grep -q "bad.csv: not a pv-eval --csv file" "$tmp/err" || { cat "$tmp/err"; fail "bad CSV: unclear error"; }
echo "accuracy plots: checked"
