#!/usr/bin/env bash
# docs/plots/plot-accuracy.sh on the shipped per-pair CSV: both SVGs are
# written, name every program and have one mark per pair; a file that is
# not pv-eval's CSV is refused by name. (OUT is not needed: no binaries.)
set -uo pipefail
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

docs/plots/plot-accuracy.sh docs/accuracy-pairs.csv "$tmp" > "$tmp/log" 2>&1 || { cat "$tmp/log"; fail "plot-accuracy.sh"; }
for f in per-program-error predicted-vs-truth; do
  head -c 400 "$tmp/$f.svg" | grep -q "<svg" || fail "$f.svg is not an SVG"
done
# Every program of the CSV is a tick label of the per-program figure.
for p in $(tail -n +2 docs/accuracy-pairs.csv | cut -d, -f1 | sort -u); do
  grep -q ">$p<" "$tmp/per-program-error.svg" || fail "per-program-error.svg lacks $p"
done
# The scatter has a point for every pair (gnuplot draws each as one 'use'
# of its point symbol), and one in each of its two key entries.
pairs=$(($(wc -l < docs/accuracy-pairs.csv) - 1))
points=$(grep -o "<use xlink:href='#gpPt6'" "$tmp/predicted-vs-truth.svg" | wc -l)
[ "$points" -eq $((pairs + 2)) ] || fail "predicted-vs-truth.svg has $points points for $pairs pairs"
echo "a,b" > "$tmp/bad.csv"; echo "1,2" >> "$tmp/bad.csv"
if docs/plots/plot-accuracy.sh "$tmp/bad.csv" "$tmp/x" 2> "$tmp/err"; then fail "a CSV without pv-eval's columns was plotted"; fi
grep -q "bad.csv: not a pv-eval --csv file" "$tmp/err" || { cat "$tmp/err"; fail "bad CSV: unclear error"; }
echo "accuracy plots: $pairs pairs, every program named"
