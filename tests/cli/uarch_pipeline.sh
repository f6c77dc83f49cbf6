#!/usr/bin/env bash
# pv-uarch in the pipeline: synthetic gem5 trace -> tap -> pv-uarch (two
# sampled configurations) -> features -> reuse distances; labels travel
# through, features are unchanged, the commit target sums to the reported
# time, batch sizes do not matter, gem5 labels are kept, bad configurations
# and feature inputs fail naming the file and position.
set -uo pipefail
. "$(dirname "$0")/../lib/contains.sh"
OUT=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Sampling is deterministic per seed.
"$OUT/pv-uarch" sample --seed 5 --count 2 --out "$tmp/a" > "$tmp/list" || fail "sample"
[ "$(cat "$tmp/list")" == "$tmp/a/s5-0000.toml
$tmp/a/s5-0001.toml" ] || fail "sample printed: $(cat "$tmp/list")"
"$OUT/pv-uarch" sample --seed 5 --count 2 --out "$tmp/b" > /dev/null || fail "sample again"
diff -r "$tmp/a" "$tmp/b" || fail "sampling with the same seed differs"
A=$tmp/a/s5-0000.toml
B=$tmp/a/s5-0001.toml

# The pipeline.
"$OUT/pv-synth-gem5" -n 20000 --seed 3 > "$tmp/trace.txt" || fail "synth"
"$OUT/pv-trace-tap" "$tmp/trace.txt" | "$OUT/pv-uarch" -c "$A" -c "$B" --report "$tmp/report.csv" \
  | "$OUT/pv-feature" | "$OUT/pv-reuse-distance" | tee "$tmp/labelled.pvs" \
  | "$OUT/pv-cat" --labels > "$tmp/labels.txt" || fail "pipeline"
[ "$(wc -l < "$tmp/labels.txt")" -eq 20000 ] || fail "expected 20000 label rows"
awk 'NF != 32 { print "row " NR " has " NF " labels"; exit 1 }' "$tmp/labels.txt" || fail "label width"
"$OUT/pv-cat" --header "$tmp/labelled.pvs" | contains "^labels: 16 targets x 2 microarchitectures (s5-0000 s5-0001)$" \
  || fail "header: $("$OUT/pv-cat" --header "$tmp/labelled.pvs")"

# The features are those of the unlabelled pipeline.
"$OUT/pv-trace-tap" "$tmp/trace.txt" | "$OUT/pv-feature" | "$OUT/pv-reuse-distance" | "$OUT/pv-cat" > "$tmp/plain.txt" \
  || fail "plain pipeline"
"$OUT/pv-cat" "$tmp/labelled.pvs" > "$tmp/features.txt" || fail "cat features"
cmp -s "$tmp/plain.txt" "$tmp/features.txt" || fail "pv-uarch changed the features"

# Sum of the commit target (0.1 ns) = the report's time_ns, per configuration.
for u in 0 1; do
  sum=$(awk -v c=$((u * 16 + 2)) '{ s += $c } END { printf "%.1f", s / 10 }' "$tmp/labels.txt")
  reported=$(awk -F, -v row=$((u + 2)) 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "time_ns") col = i }
                                         NR == row { printf "%.1f", $col }' "$tmp/report.csv")
  [ "$sum" == "$reported" ] || fail "config $u: commit targets sum to $sum ns, report says $reported ns"
  echo "config $u: total time $reported ns = sum of the commit target"
done
grep -q "^uarch,core,frequency_ghz,instructions,cycles,time_ns,cpi,ipc," "$tmp/report.csv" || fail "report header"
"$OUT/pv-trace-tap" "$tmp/trace.txt" | "$OUT/pv-uarch" -c "$A" --report "$tmp/report.json" > /dev/null || fail "json report"
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r[0]['uarch']=='s5-0000' and r[0]['instructions']==20000" \
  "$tmp/report.json" || fail "json report content"

# Labels do not depend on batch sizes (across processes) or threads.
"$OUT/pv-trace-tap" --batch-size 7 "$tmp/trace.txt" | "$OUT/pv-uarch" -c "$A" -c "$B" --threads 2 \
  | "$OUT/pv-cat" --labels > "$tmp/labels7.txt" || fail "batch size 7"
cmp -s "$tmp/labels.txt" "$tmp/labels7.txt" || fail "labels depend on the batch size"

# gem5 labels are kept; the model's are appended.
"$OUT/pv-trace-tap" --labels --uarch gem5 examples/gem5-arm-21/trace.txt | "$OUT/pv-uarch" -c "$A" \
  | "$OUT/pv-cat" --labels > "$tmp/both.txt" || fail "labelled input"
cut -d' ' -f1-16 "$tmp/both.txt" | sed 's/$/ /' | diff - examples/gem5-arm-21/targets.expected.txt > /dev/null \
  || fail "gem5 labels changed"

# Errors: a bad configuration names file:line:column; features are refused.
printf '[core]\nrob = 64\nrobb = 3\n' > "$tmp/bad.toml"
"$OUT/pv-trace-tap" "$tmp/trace.txt" | "$OUT/pv-uarch" -c "$tmp/bad.toml" -o "$tmp/x.pvs" 2> "$tmp/err"
rc=$?
[ $rc -eq 1 ] || fail "bad config: exit $rc"
grep -q "^pv-uarch: $tmp/bad.toml:3:1: unknown key 'robb' in \[core\]" "$tmp/err" || fail "bad config message: $(cat "$tmp/err")"
[ ! -e "$tmp/x.pvs" ] || fail "partial output left behind"
"$OUT/pv-trace-tap" "$tmp/trace.txt" | "$OUT/pv-feature" | "$OUT/pv-uarch" -c "$A" 2> "$tmp/err" | "$OUT/pv-cat" > /dev/null 2>&1
[ $? -eq 1 ] || fail "features input accepted"
grep -q "pv-uarch: <stdin>:header: pv-uarch reads instruction streams" "$tmp/err" || fail "features message: $(cat "$tmp/err")"
"$OUT/pv-uarch" < /dev/null > /dev/null 2> "$tmp/err"
[ $? -eq 2 ] || fail "no --config: not a usage error"
"$OUT/pv-uarch" --help | contains -- "--config" || fail "--help"
err=$("$OUT/pv-uarch" --no-such-flag 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && grep -q "^pv-uarch: " <<<"$err" || fail "unknown flag: rc $rc: $err"
err=$("$OUT/pv-uarch" -c "$A" /nonexistent/input 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && grep -q "^pv-uarch: /nonexistent/input" <<<"$err" || fail "missing input: rc $rc: $err"
err=$("$OUT/pv-uarch" -c /nonexistent/a.toml 2>&1 >/dev/null </dev/null); rc=$?
[ $rc -eq 1 ] && grep -q "^pv-uarch: /nonexistent/a.toml: " <<<"$err" || fail "missing config: rc $rc: $err"
"$OUT/pv-uarch" sample --help | contains -- "--seed" || fail "sample --help"
echo "pv-uarch pipeline: labels, report, batch sizes, errors ok"
