#!/usr/bin/env bash
# docs/plots/plot-dse.sh and docs/plots/plot-cpi.sh on small real inputs
# (the shipped model, its stored slices, the L1D x L2 space of docs/dse.md):
# - plot-dse.sh draws every point of the space once; the points it marks as
#   the Pareto front are pv-dse's front (its text output), rank for rank,
#   and exactly the points no other point dominates (a brute force here);
#   the best point it marks is pv-dse's best; the heat map holds every
#   point's objective; a file that is not pv-dse's CSV, a parameter it
#   lacks, a --top too small for the front and a missing gnuplot are clear
#   errors;
# - plot-cpi.sh on a 20,000-instruction region of the stencil kernel labelled
#   by pv-uarch on three configurations (the base and two points pv-dse
#   wrote with --configs): the intervals follow one another from 0, each
#   closing at the first chunk boundary at or after a multiple of N, and
#   cover the program; per configuration the simulated interval times sum
#   to pv-uarch's --report time_ns and the predicted ones to pv-dot-predict's
#   whole-program prediction (of an R_p reduced here without intervals);
#   each CPI is time x the configuration's clock / instructions; a stream
#   without labels, or without a configuration's, is refused by name.
set -uo pipefail
. "$(dirname "$0")/../lib/contains.sh"
OUT=$(cd "$1" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
model=examples/foundation/foundation.pvm
base=$PWD/examples/foundation/uarchs/s7-0003.toml

for p in stencil bzip2; do
  "$OUT/pv-window" -m "$model" "examples/foundation/slices/$p.pvs.zst" | "$OUT/pv-encode" -m "$model" -t 1 \
    | "$OUT/pv-aggregate" -o "$tmp/$p.rp" || fail "$p: the pipeline"
done
cat > "$tmp/space.toml" <<EOT
base = "$base"
constraints = ["l2.size_kb >= 8 * l1d.size_kb"]
[parameters]
l1d.size_kb = { min = 8, max = 128, factor = 2 }
l2.size_kb = { min = 128, max = 4096, factor = 2 }
EOT
dse=("$OUT/pv-dse" -m "$model" --space "$tmp/space.toml" --objective time-cost)
"${dse[@]}" --top 1000 --format csv -o "$tmp/dse.csv" --configs "$tmp/cfg" "$tmp/stencil.rp" "$tmp/bzip2.rp" \
  || fail "pv-dse --format csv"
"${dse[@]}" --top 1 "$tmp/stencil.rp" "$tmp/bzip2.rp" > "$tmp/dse.txt" || fail "pv-dse (text)"

# --- plot-dse.sh
docs/plots/plot-dse.sh "$tmp/dse.csv" "$tmp/plots" > "$tmp/dse-table.txt" 2> "$tmp/log" \
  || { cat "$tmp/log"; fail "plot-dse.sh"; }
for f in pareto-front objective-heatmap; do
  head -c 400 "$tmp/plots/$f.svg" | contains "<svg" || fail "$f.svg is not an SVG"
done
python3 - "$tmp/dse-table.txt" "$tmp/dse.txt" "$tmp/plots" <<'PY' || fail "plot-dse.sh does not plot pv-dse's points"
import re, sys
table = [l.split() for l in open(sys.argv[1])]
head, rows = table[0], table[1:]
assert head == ["rank", "l1d.size_kb", "l2.size_kb", "time_ns", "cost", "objective", "front", "cell"], head
text = open(sys.argv[2]).read()
feasible = int(re.search(r"exhaustive: 30 of 30 points looked at, (\d+) satisfy", text).group(1))
assert len(rows) == feasible == 24, (len(rows), feasible)
points = {(r[1], r[2]): r for r in rows}
assert len(points) == feasible, "a point twice"
# pv-dse's Pareto front, from its text output, fastest first.
lines = text.split("\n")
at = next(i for i, l in enumerate(lines) if l.startswith("Pareto front of (time, cost)"))
n = int(re.search(r": (\d+) points", lines[at]).group(1))
front = [tuple(l.split()[4:6]) for l in lines[at + 2:at + 2 + n]]
marked = sorted((int(r[6]), (r[1], r[2])) for r in rows if r[6] != "-")
assert [k for _, k in marked] == front and [i for i, _ in marked] == list(range(1, n + 1)), (marked, front)
# A brute force: the points no other point dominates in (time, cost).
tc = {k: (float(r[3]), float(r[4])) for k, r in points.items()}
dominated = lambda k: any(o != k and tc[o][0] <= tc[k][0] and tc[o][1] <= tc[k][1] and tc[o] != tc[k] for o in tc)
assert {k for k in tc if not dominated(k)} == set(front)
# The best by objective: pv-dse's rank 1, the smallest objective.
best = lines[next(i for i, l in enumerate(lines) if l.startswith("best 1 points")) + 2].split()
assert rows[0][0] == "1" and (rows[0][1], rows[0][2]) == (best[4], best[5]), (rows[0], best)
assert min(points, key=lambda k: float(points[k][5])) == (best[4], best[5])
# Two parameters: every point is its heat-map cell, and its objective is written in it.
assert all(r[7] == "1" for r in rows)
heat = open(f"{sys.argv[3]}/objective-heatmap.svg").read()
for r in rows:
    assert f">{float(r[5]):.4g}<" in heat, r
# The scatter: one grey mark per point and one blue per point of the front
# (and one of each in the key); the best point's ring on the first point.
svg = open(f"{sys.argv[3]}/pareto-front.svg").read()
grey = re.findall(r"href='#gpPt6' transform='translate\(([^)]*)\)[^>]*color='rgb\(153, 153, 153\)'", svg)
blue = re.findall(r"href='#gpPt6' transform='translate\(([^)]*)\)[^>]*color='rgb\( 68, 119, 170\)'", svg)
ring = re.findall(r"href='#gpPt5' transform='translate\(([^)]*)\)", svg)
assert len(grey) == feasible + 1 and len(blue) == n + 1, (len(grey), len(blue))
assert ring[0] == grey[0], (ring, grey[0])
print(f"plot-dse.sh: {feasible} points, the Pareto front of {n} points is pv-dse's and the brute force's")
PY

echo "a,b" > "$tmp/bad.csv"
docs/plots/plot-dse.sh "$tmp/bad.csv" "$tmp/x" 2> "$tmp/err" && fail "a CSV without pv-dse's columns was plotted"
grep -q "bad.csv: not a pv-dse --format csv file" "$tmp/err" || { cat "$tmp/err"; fail "bad CSV: unclear error"; }
docs/plots/plot-dse.sh "$tmp/dse.csv" "$tmp/x" l1d.size_kb core.rob 2> "$tmp/err"
[ $? -eq 2 ] || fail "a parameter not in the CSV: not exit status 2"
grep -q "dse.csv: no parameter 'core.rob' (its parameters: l1d.size_kb, l2.size_kb)" "$tmp/err" \
  || { cat "$tmp/err"; fail "a parameter not in the CSV: unclear error"; }
"${dse[@]}" --top 3 --format csv -o "$tmp/top3.csv" "$tmp/stencil.rp" "$tmp/bzip2.rp" || fail "pv-dse --top 3"
docs/plots/plot-dse.sh "$tmp/top3.csv" "$tmp/x" 2> "$tmp/err" && fail "a CSV without every point was plotted"
grep -q "top3.csv: .* run pv-dse with --top at least the number of points" "$tmp/err" \
  || { cat "$tmp/err"; fail "a too small --top: unclear error"; }
mkdir "$tmp/nobin"
PATH=$tmp/nobin "$BASH" docs/plots/plot-dse.sh "$tmp/dse.csv" "$tmp/x" 2> "$tmp/err" && fail "plotted without gnuplot"
grep -q "gnuplot is missing" "$tmp/err" || { cat "$tmp/err"; fail "no gnuplot: unclear error"; }
[ ! -e "$tmp/x" ] || fail "a failed plot-dse.sh left its output folder"

# --- plot-cpi.sh: a region of the stencil kernel labelled on the base and
# on two points pv-dse chose (the best by objective and the fastest).
configs=("$base" "$tmp/cfg/best-1.toml" "$tmp/cfg/pareto-1.toml")
"$OUT/pv-trace-tap" --valgrind --skip 10000000 --count 20000 --guest-stdout /dev/null \
    -- "$OUT/pv-kernels" stencil 512 20 2> "$tmp/tap.err" \
  | "$OUT/pv-uarch" -c "${configs[0]}" -c "${configs[1]}" -c "${configs[2]}" --report "$tmp/truth.json" \
  | "$OUT/pv-feature" | "$OUT/pv-reuse-distance" -o "$tmp/stencil.pvs.zst" \
  || { cat "$tmp/tap.err"; fail "the labelled stream"; }
interval=2000
PV_BIN=$OUT docs/plots/plot-cpi.sh "$model" "$tmp/stencil.pvs.zst" "$interval" "$tmp/plots" "${configs[@]}" \
  > "$tmp/cpi-table.txt" 2> "$tmp/log" || { cat "$tmp/log"; fail "plot-cpi.sh"; }
head -c 400 "$tmp/plots/cpi-over-time.svg" | contains "<svg" || fail "cpi-over-time.svg is not an SVG"
# The whole program's prediction, from an R_p reduced without intervals.
"$OUT/pv-window" -m "$model" "$tmp/stencil.pvs.zst" | "$OUT/pv-encode" -m "$model" -t 1 \
  | "$OUT/pv-aggregate" -o "$tmp/whole.rp" || fail "the whole R_p"
"$OUT/pv-dot-predict" -m "$model" "$tmp/whole.rp" --uarch "${configs[0]}" --uarch "${configs[1]}" \
  --uarch "${configs[2]}" --format csv > "$tmp/whole.csv" || fail "pv-dot-predict (whole program)"
"$OUT/pv-model" info --format json "$model" > "$tmp/model.json" || fail "pv-model info --format json"
python3 - "$tmp/cpi-table.txt" "$tmp/truth.json" "$tmp/whole.csv" "$interval" "$tmp/plots/cpi-over-time.svg" \
  "$tmp/model.json" "${configs[@]}" <<'PY' || fail "plot-cpi.sh's numbers"
import csv, json, math, os, sys, tomllib
table, truth_json, whole_csv, interval, svg, model_json = sys.argv[1:7]
interval = int(interval)
configs = sys.argv[7:]
rows = [l.split() for l in open(table)]
assert rows[0] == ["first", "instructions", "configuration", "predicted_ns", "truth_ns", "predicted_cpi", "truth_cpi"], rows[0]
clock, names = {}, []
for c in configs:
    t = tomllib.load(open(c, "rb"))
    names.append(t.get("name", os.path.splitext(os.path.basename(c))[0]))
    clock[names[-1]] = t.get("core", {}).get("frequency_ghz", 2.0)
assert names == ["s7-0003", "best-1", "pareto-1"], names
report = {r["uarch"]: r for r in json.load(open(truth_json))}
# pv-dot-predict's last rows: the --uarch configurations, in order ("NAME
# (parametric)" where the model's table has NAME).
whole = [(r["uarch"], float(r["time_ns"])) for r in csv.DictReader(open(whole_csv))][-3:]
K = json.load(open(model_json))["architecture"]["chunk"]  # intervals close at the model's chunk boundaries
assert K > 1, K
svg = open(svg).read()
for name in names:
    mine = [r for r in rows[1:] if r[2] == name]
    intervals, total = mine[:-1], mine[-1]
    assert total[0] == "all" and len(intervals) >= 10, (name, len(intervals))
    at = 0
    for i, r in enumerate(intervals):
        first, n = int(r[0]), int(r[1])
        assert first == at and n > 0, (name, r, at)
        if i:
            assert i * interval <= first < i * interval + K, (name, i, first)
        at += n
        for ns, cpi in ((float(r[3]), float(r[5])), (float(r[4]), float(r[6]))):
            assert abs(cpi - ns * clock[name] / n) <= 1e-6 * max(cpi, 1), (name, r)
    u = report[name]
    assert at == int(total[1]) == u["instructions"], (name, at, total[1], u["instructions"])
    # The simulated intervals sum to pv-uarch's total (printed to 6 digits).
    truth = sum(float(r[4]) for r in intervals)
    ulp = 10 ** (math.floor(math.log10(u["time_ns"])) - 5)
    assert abs(truth - u["time_ns"]) <= ulp / 2 + 1e-9 * u["time_ns"], (name, truth, u["time_ns"])
    assert abs(float(total[4]) - truth) <= 1e-8 * truth, (name, total, truth)
    # The predicted intervals sum to the whole program's prediction.
    pred = sum(float(r[3]) for r in intervals)
    uarch, want = whole[names.index(name)]
    assert uarch in (name, name + " (parametric)"), (name, uarch)
    assert abs(pred - want) <= 1e-7 * want, (name, pred, want)
    for what in ("predicted", "pv-uarch"):
        assert f">{name} {what}<" in svg, (name, what)
    print(f"plot-cpi.sh {name}: {len(intervals)} intervals, {at} instructions, simulated {truth:.1f} ns "
          f"(pv-uarch: {u['time_ns']}), predicted {pred:.4f} ns (whole program: {want:.4f})")
PY

PV_BIN=$OUT docs/plots/plot-cpi.sh "$model" examples/foundation/slices/stencil.pvs.zst "$interval" "$tmp/y" "$base" \
  2> "$tmp/err" && fail "an unlabelled stream was plotted"
grep -q "slices/stencil.pvs.zst: the stream carries no labels" "$tmp/err" || { cat "$tmp/err"; fail "no labels: unclear error"; }
PV_BIN=$OUT docs/plots/plot-cpi.sh "$model" "$tmp/stencil.pvs.zst" "$interval" "$tmp/y" examples/foundation/uarchs/s7-0005.toml \
  2> "$tmp/err" && fail "a configuration without labels was plotted"
grep -q "stencil.pvs.zst: no labels of configuration 's7-0005'" "$tmp/err" \
  || { cat "$tmp/err"; fail "a configuration without labels: unclear error"; }
[ ! -e "$tmp/y" ] || fail "a failed plot-cpi.sh left its output folder"
echo "dse plots: checked"
