#!/usr/bin/env bash
# Plots a program's CPI over time as SVG with gnuplot: per interval of
# INTERVAL instructions, the model's prediction next to pv-uarch's simulated
# truth, on one to four configurations, and prints the numbers it plots:
#   OUT/cpi-over-time.svg  CPI of each interval against the instructions
#                          it covers: predicted (solid) and simulated
#                          (dashed), a colour per configuration
#   stdout                 a table, one row per interval and configuration:
#                          first instruction, instructions, configuration,
#                          predicted and simulated time (ns) and CPI; then
#                          a row "all" per configuration, the whole program
#                          (the intervals summed)
#
# STREAM is a feature stream labelled by pv-uarch on every configuration
# (the labels ride along through pv-feature and pv-reuse-distance):
#
#   pv-trace-tap --valgrind --skip 10000000 --count 20000 -- out/pv-kernels stencil 512 20 \
#     | pv-uarch -c A.toml -c B.toml | pv-feature | pv-reuse-distance -o stencil.pvs.zst
#   docs/plots/plot-cpi.sh MODEL.pvm stencil.pvs.zst 1000 OUT_DIR A.toml B.toml
#
# Predicted: pv-window | pv-encode | pv-aggregate --interval INTERVAL on
# STREAM, then pv-dot-predict --intervals --uarch CONFIG.toml (M_u from the
# model's parametric model, as pv-dse predicts; the intervals close at the
# first chunk boundary at or after each multiple of INTERVAL). Simulated: the
# configuration's commit labels (0.1 ns per instruction, summing to pv-uarch's
# time_ns) summed over the same instructions. The CPI of both is time x the
# configuration's clock (pv-dot-predict's clock_ghz) / instructions.
# Configurations are matched to the stream's labels by name (`name`, else the
# file's stem). The pv-* tools are those of PV_BIN (a build folder), else of
# PATH. Needs gnuplot (Debian: gnuplot-nox) and python3.
set -euo pipefail
usage() { echo "usage: $0 MODEL.pvm STREAM INTERVAL OUT_DIR CONFIG.toml... (one to four configurations)" >&2; exit 2; }
[ $# -ge 5 ] && [ $# -le 8 ] || usage
model=$1; stream=$2; interval=$3; out=$4
shift 4
[[ $interval =~ ^[1-9][0-9]*$ ]] || { echo "$0: INTERVAL must be a positive number of instructions, not '$interval'" >&2; exit 2; }
for f in "$model" "$stream" "$@"; do
  [ -r "$f" ] || { echo "$0: $f: cannot read" >&2; exit 1; }
done
command -v gnuplot >/dev/null || { echo "$0: gnuplot is missing (apt-get install gnuplot-nox)" >&2; exit 1; }
bin() {
  local p=${PV_BIN:+$PV_BIN/}$1
  command -v "$p" >/dev/null || { echo "$0: $1 not found (${PV_BIN:+in PV_BIN=$PV_BIN; }build perfvec and set PV_BIN to the build folder)" >&2; exit 1; }
  echo "$p"
}
window=$(bin pv-window); encode=$(bin pv-encode); aggregate=$(bin pv-aggregate)
predict=$(bin pv-dot-predict); cat=$(bin pv-cat)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# The configurations' names, and the stream's labels of each.
"$cat" --header "$stream" > "$tmp/header"
python3 - "$0" "$stream" "$tmp/header" "$@" > "$tmp/names" <<'PY'
import os, re, sys, tomllib
prog, stream, header, configs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
labels = None
for line in open(header):
    m = re.match(r"labels: \d+ targets x \d+ microarchitectures \((.*)\)$", line.rstrip("\n"))
    if m:
        labels = m.group(1).split(" ")
if labels is None:
    sys.exit(f"{prog}: {stream}: the stream carries no labels (label its instructions with "
             "pv-uarch -c CONFIG.toml ... before pv-feature)")
names = []
for c in configs:
    try:
        name = tomllib.load(open(c, "rb")).get("name", os.path.splitext(os.path.basename(c))[0])
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        sys.exit(f"{prog}: {c}: not a configuration file ({e})")
    if name in names:
        sys.exit(f"{prog}: {c}: configuration '{name}' again")
    if name not in labels:
        sys.exit(f"{prog}: {stream}: no labels of configuration '{name}' ({c}); it has labels of "
                 f"{', '.join(labels)}: label the instructions with pv-uarch -c {c}")
    names.append(name)
print("\n".join(names))
PY

# Predicted: R_p per interval, and each interval's time on each configuration.
uarchs=()
for c in "$@"; do uarchs+=(--uarch "$c"); done
"$window" -m "$model" "$stream" | "$encode" -m "$model" | "$aggregate" --interval "$interval" -o "$tmp/rp"
"$predict" -m "$model" "$tmp/rp" --intervals "${uarchs[@]}" --format csv -o "$tmp/predicted.csv"

# Simulated: the commit labels summed over the same intervals; the table and
# the plot's data.
python3 - "$0" "$stream" "$tmp" "$interval" <("$cat" --labels --format csv "$stream") <<'PY'
import csv, sys
prog, stream, tmp, interval, label_csv = sys.argv[1:6]
names = open(f"{tmp}/names").read().splitlines()
# Each interval's rows: the model's table, then the --uarch configurations in
# order (named "NAME (parametric)" where the table has NAME).
groups = {}
for r in csv.DictReader(open(f"{tmp}/predicted.csv")):
    groups.setdefault((int(r["first_index"]), int(r["instructions"])), []).append(r)
pred = {}   # (first, name) -> row
bounds = list(groups)  # (first, instructions) in order
for (first, n), rs in groups.items():
    for name, r in zip(names, rs[-len(names):]):
        assert r["uarch"] in (name, name + " (parametric)"), (name, r["uarch"])
        pred[(first, name)] = r
for name in names:
    if not pred.get((0, name), {}).get("clock_ghz"):
        sys.exit(f"{prog}: pv-dot-predict knows no clock of configuration '{name}'")
# Sum each configuration's commit labels (0.1 ns) over each interval.
labels = csv.reader(open(label_csv))
head = next(labels)
col = [head.index(f"{name}.commit") for name in names]
truth = {}
k, end, sums = 0, bounds[0][0] + bounds[0][1], [0.0] * len(names)
count = 0
for row in labels:
    i = int(row[0])
    if i != count:
        sys.exit(f"{prog}: {stream}: label row {count} has index {i}")
    count += 1
    while i >= end:
        for name, s in zip(names, sums):
            truth[(bounds[k][0], name)] = s / 10
        k += 1
        if k == len(bounds):
            sys.exit(f"{prog}: {stream}: more labelled instructions than the {end} the model's intervals cover")
        end, sums = bounds[k][0] + bounds[k][1], [0.0] * len(names)
    for j, c in enumerate(col):
        sums[j] += float(row[c])
if count != end or k != len(bounds) - 1:
    sys.exit(f"{prog}: {stream}: {count} labelled instructions, the model's intervals cover {bounds[-1][0] + bounds[-1][1]}")
for name, s in zip(names, sums):
    truth[(bounds[k][0], name)] = s / 10

print(f"{'first':>10}{'instructions':>14}  {'configuration':<16}{'predicted_ns':>16}{'truth_ns':>16}"
      f"{'predicted_cpi':>15}{'truth_cpi':>12}")
total = {name: [0, 0.0, 0.0] for name in names}
with open(f"{tmp}/cpi.dat", "w") as dat:
    for j, name in enumerate(names):
        dat.write(f'# "{name}"\n')
        for first, n in bounds:
            r = pred[(first, name)]
            ghz, p, t = float(r["clock_ghz"]), float(r["time_ns"]), truth[(first, name)]
            pc, tc = p * ghz / n, t * ghz / n
            total[name][0] += n; total[name][1] += p; total[name][2] += t
            # An interval is a step from its first instruction to its end.
            dat.write(f"{first} {pc!r} {tc!r}\n{first + n} {pc!r} {tc!r}\n")
        dat.write("\n\n")
for first, n in bounds:
    for name in names:
        r = pred[(first, name)]
        ghz, p, t = float(r["clock_ghz"]), float(r["time_ns"]), truth[(first, name)]
        print(f"{first:>10}{n:>14}  {name:<16}{p:>16.9g}{t:>16.9g}{p * ghz / n:>15.6f}{t * ghz / n:>12.6f}")
for name in names:
    n, p, t = total[name]
    ghz = float(pred[(0, name)]["clock_ghz"])
    print(f"{'all':>10}{n:>14}  {name:<16}{p:>16.9g}{t:>16.9g}{p * ghz / n:>15.6f}{t * ghz / n:>12.6f}")
with open(f"{tmp}/plot.gp", "w") as gp:
    colours = ["#4477aa", "#cc3311", "#228833", "#aa3377"]
    prog_name = stream.split("/")[-1].removesuffix(".zst").removesuffix(".pvs")
    gp.write(f"set xrange [0:{bounds[-1][0] + bounds[-1][1]}]\n")
    gp.write(f'set title "CPI of {prog_name} per {interval}-instruction interval: '
             f'predicted (solid) and simulated by pv-uarch (dashed)"\n')
    plots = []
    for j, name in enumerate(names):
        c = colours[j]
        plots.append(f'"{tmp}/cpi.dat" index {j} using 1:2 with lines lw 2 lc rgb "{c}" title "{name} predicted"')
        plots.append(f'"{tmp}/cpi.dat" index {j} using 1:3 with lines lw 1.5 dt 2 lc rgb "{c}" title "{name} pv-uarch"')
    gp.write("plot " + ", \\\n     ".join(plots) + "\n")
PY

mkdir -p "$out"
gnuplot <<GP
set terminal svg size 820,480 font "sans,11" noenhanced
set output "$out/cpi-over-time.svg"
set xlabel "instruction"
set format x "%.0f"
set ylabel "CPI (cycles per instruction)"
set yrange [0:*]
set key below
set grid
load "$tmp/plot.gp"
GP
echo "$0: wrote $out/cpi-over-time.svg" >&2
