#!/usr/bin/env bash
# Plots pv-dse's CSV (pv-dse --format csv --top N, N at least the number of
# points of the space, so that every point is a row) as SVG with gnuplot,
# and prints the points it plots on stdout:
#   OUT/pareto-front.svg       every point as predicted time against cost,
#                              pv-dse's Pareto front of (time, cost) as a
#                              staircase, the best point by objective marked
#   OUT/objective-heatmap.svg  the objective over two parameters (default:
#                              the CSV's first two), a cell per pair of values
#                              holding the best objective of its points (with
#                              more parameters, the best over the others);
#                              powers of two on a log2 axis, the best point
#                              marked; no cell where no point satisfied the
#                              constraints
#   stdout                     a table, one row a point in the order of
#                              objective: rank, the parameters, time_ns,
#                              cost, objective, front (its rank on the
#                              Pareto front, fastest first, or -) and cell
#                              (1: the point shown in its heat-map cell)
#
#   pv-dse -m MODEL --space SPACE.toml --top 1000000 --format csv -o dse.csv A.rp B.rp
#   docs/plots/plot-dse.sh dse.csv docs/plots/dse [PARAM_X PARAM_Y]
#
# Needs gnuplot (Debian: gnuplot-nox) and python3.
set -euo pipefail
[ $# -eq 2 ] || [ $# -eq 4 ] || { echo "usage: $0 DSE.csv OUT_DIR [PARAM_X PARAM_Y]" >&2; exit 2; }
csv=$1; out=$2; px=${3-}; py=${4-}
[ -r "$csv" ] || { echo "$0: $csv: cannot read" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "$0: gnuplot is missing (apt-get install gnuplot-nox)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

python3 - "$0" "$csv" "$tmp" "$px" "$py" <<'PY'
import csv, math, sys
prog, path, tmp, px, py = sys.argv[1:6]
def die(msg, status=1):
    print(f"{prog}: {path}: {msg}", file=sys.stderr)
    sys.exit(status)
try:
    rows = list(csv.reader(open(path, newline="")))
except (UnicodeDecodeError, csv.Error) as e:
    die(f"not a pv-dse --format csv file ({e})")
head = rows[0] if rows else []
times = [i for i, c in enumerate(head) if c.startswith("time_ns:")]
if head[:5] != ["set", "rank", "objective", "time_ns", "cost"] or not times or times[0] == 5 \
        or times != list(range(times[0], len(head))):
    die("not a pv-dse --format csv file (columns set,rank,objective,time_ns,cost,PARAMETER...,time_ns:PROGRAM...)")
params = head[5:times[0]]
if not px:
    if len(params) < 2:
        die(f"the heat map needs two parameters; the space has one ({params[0]})", 2)
    px, py = params[0], params[1]
for p in (px, py):
    if p not in params:
        die(f"no parameter '{p}' (its parameters: {', '.join(params)})", 2)
if px == py:
    die(f"the heat map needs two different parameters, not '{px}' twice")

def number(s):
    try:
        v = float(s)
        return v if math.isfinite(v) else None
    except ValueError:
        return None

best, front = [], []
for n, r in enumerate(rows[1:], 2):
    if r and r[0] == "simulated":
        continue  # a refinement's simulated points (pv-dse --simulate): measured, not predicted
    if len(r) != len(head) or r[0] not in ("best", "pareto") or None in map(number, (r[1:5])):
        die(f"line {n}: not a row of pv-dse --format csv")
    point = dict(zip(head, r))
    (best if r[0] == "best" else front).append(point)
if not best:
    die("no points (no 'best' rows)")
key = lambda p: tuple(p[q] for q in params)
where = {key(p): i for i, p in enumerate(best)}
missing = [p for p in front if key(p) not in where]
if missing:
    die(f"{len(missing)} of the {len(front)} points of the Pareto front are not among its {len(best)} best points: "
        "run pv-dse with --top at least the number of points of the space")
front_rank = {key(p): int(p["rank"]) for p in front}

# The heat map: a cell per (x, y) value pair, the best objective of its points.
cells = {}
for p in best:
    c = (p[px], p[py])
    if c not in cells or float(p["objective"]) < float(cells[c]["objective"]):
        cells[c] = p
shown = {key(p) for p in cells.values()}

def axis(name):
    """Sorted values of a parameter, whether they go on a log2 axis, and each
    value's position and cell bounds (geometric or arithmetic midpoints;
    values that are not numbers are categories 0, 1, 2, ...)."""
    vals = sorted({p[name] for p in best}, key=lambda v: (number(v) is None, number(v) or 0, v))
    nums = [number(v) for v in vals]
    if None in nums:
        pos = {v: float(i) for i, v in enumerate(vals)}
        return vals, False, True, {v: (i, i - 0.5, i + 0.5) for v, i in pos.items()}
    log = len(nums) > 1 and all(x > 0 and x == int(x) and int(x) & (int(x) - 1) == 0 for x in nums)
    f = (lambda x: math.log2(x)) if log else (lambda x: x)
    g = (lambda x: 2 ** x) if log else (lambda x: x)
    t = [f(x) for x in nums]
    gap = [b - a for a, b in zip(t, t[1:])] or [1.0]
    out = {}
    for i, v in enumerate(vals):
        lo = t[i] - (gap[i - 1] if i > 0 else gap[0]) / 2
        hi = t[i] + (gap[i] if i < len(gap) and len(t) > 1 else gap[-1]) / 2
        out[v] = (nums[i], g(lo), g(hi))
    return vals, log, False, out

ax = axis(px)
ay = axis(py)
with open(f"{tmp}/cells.dat", "w") as f:
    for (x, y), p in cells.items():
        cx, xl, xh = ax[3][x]
        cy, yl, yh = ay[3][y]
        f.write(f'{cx!r} {cy!r} {xl!r} {xh!r} {yl!r} {yh!r} {p["objective"]} "{float(p["objective"]):.4g}"\n')
with open(f"{tmp}/points.dat", "w") as f:
    for p in best:
        f.write(f'{p["cost"]} {p["time_ns"]}\n')
with open(f"{tmp}/front.dat", "w") as f:
    for p in sorted(front, key=lambda p: float(p["cost"])):
        label = ", ".join(p[q] for q in params)
        f.write(f'{p["cost"]} {p["time_ns"]} "{label}"\n')
b = best[0]
with open(f"{tmp}/best.dat", "w") as f:
    cx, xl, xh = ax[3][b[px]]
    cy, yl, yh = ay[3][b[py]]
    f.write(f'{b["cost"]} {b["time_ns"]} {cx!r} {cy!r} {xl!r} {xh!r} {yl!r} {yh!r}\n')

# gnuplot settings of the heat map's axes.
with open(f"{tmp}/axes.gp", "w") as f:
    for a, name, (vals, log, cat, pos) in (("x", px, ax), ("y", py, ay)):
        lo = min(v[1] for v in pos.values()); hi = max(v[2] for v in pos.values())
        f.write(f"set {a}label \"{name}\"\nset {a}range [{lo!r}:{hi!r}]\n")
        if log:
            f.write(f"set logscale {a} 2\n")
        tics = ", ".join(f'"{v}" {pos[v][0]!r}' for v in vals)
        f.write(f"set {a}tics ({tics})\n")
    objs = [float(p["objective"]) for p in cells.values()]
    if min(objs) > 0 and max(objs) / min(objs) > 100:
        f.write("set logscale cb\n")
    f.write(f'set title "objective over {px} and {py}'
            + (" (each cell: the best over the other parameters)" if len(params) > 2 else "")
            + ("; blank: no point satisfies the constraints" if len(cells) < len(ax[0]) * len(ay[0]) else "")
            + '"\n')
with open(f"{tmp}/front-title", "w") as f:
    f.write(f"Pareto front ({', '.join(params)})")
with open(f"{tmp}/title", "w") as f:
    f.write(f"predicted time against cost of {len(best)} points; the Pareto front of (time, cost): {len(front)} points")

# The table on stdout.
w = max(12, *(len(q) + 2 for q in params))
print(f"{'rank':>5}" + "".join(f"{q:>{w}}" for q in params)
      + f"{'time_ns':>14}{'cost':>12}{'objective':>16}{'front':>7}{'cell':>6}")
for p in best:
    print(f"{p['rank']:>5}" + "".join(f"{p[q]:>{w}}" for q in params)
          + f"{p['time_ns']:>14}{p['cost']:>12}{p['objective']:>16}"
          + f"{front_rank.get(key(p), '-'):>7}{int(key(p) in shown):>6}")
PY

mkdir -p "$out"
gnuplot <<GP
set terminal svg size 720,520 font "sans,11" noenhanced
set output "$out/pareto-front.svg"
set title "$(cat "$tmp/title")"
set xlabel "cost"
set ylabel "predicted time (ns)"
set key top right
set grid
set offsets graph 0.03, graph 0.12, graph 0.05, graph 0.05
plot "$tmp/points.dat" using 1:2 with points pt 7 ps 0.6 lc rgb "#999999" title "point of the space", \
     "$tmp/front.dat" using 1:2 with steps lw 1.5 lc rgb "#4477aa" notitle, \
     "" using 1:2 with points pt 7 ps 0.9 lc rgb "#4477aa" title "$(cat "$tmp/front-title")", \
     "" using 1:2:3 with labels left offset 0.8,0.6 font "sans,8" tc rgb "#4477aa" notitle, \
     "$tmp/best.dat" using 1:2 with points pt 6 ps 2.2 lw 2 lc rgb "#cc3311" title "best by objective"
GP

gnuplot <<GP
set terminal svg size 720,560 font "sans,11" noenhanced
set output "$out/objective-heatmap.svg"
load "$tmp/axes.gp"
set palette defined (0 "#2166ac", 0.5 "#f7f7f7", 1 "#b2182b")
set cblabel "objective (lower is better)"
set rmargin 16
set key at screen 0.98, screen 0.03 right bottom
set style fill solid 1.0 noborder
plot "$tmp/cells.dat" using 1:2:3:4:5:6:7 with boxxyerror fc palette notitle, \
     "" using 1:2:8 with labels font "sans,9" notitle, \
     "$tmp/best.dat" using 3:4:5:6:7:8 with boxxyerror lc rgb "black" lw 3 fs empty title "best by objective"
GP
echo "$0: wrote $out/pareto-front.svg and $out/objective-heatmap.svg" >&2
