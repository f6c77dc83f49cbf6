#!/usr/bin/env bash
# Plots pv-eval's per-pair CSV (pv-eval --csv) as SVG with gnuplot, and
# prints the summary table of docs/accuracy.md (Markdown) on stdout:
#   OUT/per-program-error.svg  mean |error| per program over its
#                              configurations and regions (NAME.r1, NAME.r2,
#                              ... are one program), bars from the smallest
#                              to the largest |error|, held-out programs apart
#   OUT/predicted-vs-truth.svg predicted against simulated time of every
#                              pair (log-log), seen and held-out programs
#   stdout                     per group (seen/held-out programs x
#                              seen/unseen configurations): pairs, mean,
#                              median, max |error|, share within 10% and 20%
#
#   docs/plots/plot-accuracy.sh docs/accuracy-pairs.csv docs/plots
#
# Needs gnuplot (Debian: gnuplot-nox) and python3.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 PAIRS.csv OUT_DIR" >&2; exit 2; }
csv=$1; out=$2
[ -r "$csv" ] || { echo "$0: $csv: cannot read" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "$0: gnuplot is missing (apt-get install gnuplot-nox)" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

python3 - "$csv" "$tmp" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
need = {"program", "uarch", "program_seen", "uarch_seen", "truth_ns", "predicted_ns", "error"}
if not rows or not need <= set(rows[0]):
    sys.exit(f"{sys.argv[1]}: not a pv-eval --csv file (columns {sorted(need)})")
import re
order, by = [], {}
for r in rows:
    # The regions of one program (suite v2's NAME.r1, NAME.r2, ...) are one bar.
    name = re.sub(r"\.r[0-9]+$", "", r["program"])
    if name not in by:
        order.append(name)
        by[name] = []
    by[name].append(r)
with open(f"{sys.argv[2]}/programs.dat", "w") as f:
    # Seen programs first, then held-out ones, each in the CSV's order.
    for seen in ("1", "0"):
        for p in order:
            rs = by[p]
            if rs[0]["program_seen"] != seen:
                continue
            e = [100 * abs(float(r["error"])) for r in rs]
            f.write(f'"{p}" {seen} {sum(e) / len(e):.4f} {min(e):.4f} {max(e):.4f}\n')
with open(f"{sys.argv[2]}/width", "w") as f:
    f.write(str(max(900, 16 * len(order) + 120)))
print("| programs | microarchitectures | pairs | mean | median | max | within 10% | within 20% |")
print("|---|---|---|---|---|---|---|---|")
for ps, pn in (("1", "seen"), ("0", "held out")):
    for us, un in (("1", "seen"), ("0", "unseen")):
        e = sorted(100 * abs(float(r["error"])) for r in rows if r["program_seen"] == ps and r["uarch_seen"] == us)
        if not e:
            continue
        n = len(e)
        median = e[n // 2] if n % 2 else (e[n // 2 - 1] + e[n // 2]) / 2
        near = lambda x: 100 * sum(v <= x for v in e) / n
        print(f"| {pn} | {un} | {n} | {sum(e) / n:.2f}% | {median:.2f}% | {e[-1]:.1f}% | {near(10):.0f}% | {near(20):.0f}% |")
with open(f"{sys.argv[2]}/pairs.dat", "w") as f:
    for r in rows:
        f.write(f'{r["truth_ns"]} {r["predicted_ns"]} {r["program_seen"]}\n')
# The scatter's axes: whole decades around every time, so that no pair
# falls outside them.
import math
times = [float(r[k]) for r in rows for k in ("truth_ns", "predicted_ns")]
if min(times) <= 0:
    sys.exit(f"{sys.argv[1]}: a time that is not above zero (log axes)")
with open(f"{sys.argv[2]}/range", "w") as f:
    f.write(f"[1e{math.floor(math.log10(min(times)))}:1e{math.ceil(math.log10(max(times)))}]")
PY

gnuplot <<GP
set terminal svg size $(cat "$tmp/width"),460 font "sans,11" noenhanced
set output "$out/per-program-error.svg"
set title "|error| of the whole region's time per program (mean, and the range over configurations)"
set ylabel "|error| %"
set logscale y
set yrange [0.01:1000]
set xtics rotate by -45 nomirror
set key top left horizontal
set style fill solid 0.6 noborder
set boxwidth 0.6
set grid ytics
plot "$tmp/programs.dat" using 0:(\$2 == 1 ? \$3 : 1/0):xtic(1) with boxes lc rgb "#4477aa" title "seen program (mean)", \
     "" using 0:(\$2 == 0 ? \$3 : 1/0) with boxes lc rgb "#cc6677" title "held-out program (mean)", \
     "" using 0:3:4:5 with yerrorbars pt -1 lc rgb "black" title "min to max over configurations"
GP

gnuplot <<GP
set terminal svg size 560,520 font "sans,11" noenhanced
set output "$out/predicted-vs-truth.svg"
set title "predicted against simulated time per pair"
set xlabel "simulated time (ns)"
set ylabel "predicted time (ns)"
set logscale xy
set xrange $(cat "$tmp/range")
set yrange $(cat "$tmp/range")
set key top left
set grid
set size square
plot "$tmp/pairs.dat" using 1:(\$3 == 1 ? \$2 : 1/0) with points pt 7 ps 0.35 lc rgb "#4477aa" title "seen programs", \
     "" using 1:(\$3 == 0 ? \$2 : 1/0) with points pt 7 ps 0.35 lc rgb "#cc6677" title "held-out programs", \
     x with lines lc rgb "black" dt 2 title "predicted = simulated"
GP
echo "$0: wrote $out/per-program-error.svg and $out/predicted-vs-truth.svg" >&2
