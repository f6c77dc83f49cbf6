#!/usr/bin/env bash
# The design-space exploration case study (docs/dse.md): choose the L1D and
# L2 sizes of a core for 8 programs with the foundation model, and check the
# choice against simulating every point of the grid.
#
#   examples/dse/run.sh [BUILD_DIR [WORK_DIR]]      (default: out, a temporary folder)
#
# 1. Traces a 1 M-instruction region of each program once (pv-trace-tap
#    --valgrind): both paths below start from these instruction streams.
# 2. Model path: each trace to its R_p (pv-feature | pv-encode | pv-aggregate),
#    then pv-dse over the grid with the original PerfVec's objective
#    time x (1000 + 10 L1D_KB + L2_KB).
# 3. Model + refinement: pv-dse --simulate 4 --rounds 2 (8 points simulated
#    with pv-uarch, the parametric model refitted on them).
# 4. Full simulation (the ground truth): pv-uarch on every point of the grid
#    for every program (pv-dse --simulate with all points in one round).
# It prints the chosen designs, their true objective against the true
# optimum (%), their rank, and the time of each path. Environment:
# PV_DSE_COUNT (instructions a region, default 1000000), PV_DSE_JOBS
# (processes at once, default 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-out}
case $out in /*) ;; *) out=$PWD/$out ;; esac
work=${2:-}
if [ -z "$work" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
count=${PV_DSE_COUNT:-1000000}
jobs=${PV_DSE_JOBS:-2}
model=$PWD/examples/foundation/foundation.pvm
for tool in pv-trace-tap pv-feature pv-encode pv-aggregate pv-dse pv-uarch pv-workload-inputs pv-science; do
  [ -x "$out/$tool" ] || { echo "$0: $out/$tool is missing (./dev.sh build)" >&2; exit 2; }
done
for cmd in bzip2 sqlite3 sed lua5.4 python3; do
  command -v "$cmd" >/dev/null || { echo "$0: $cmd is missing (./dev.sh installs it)" >&2; exit 2; }
done

# The programs: none of them is among the foundation model's training
# programs (pv-model info lists them). Name, instructions to skip, command.
# Inputs come from pv-workload-inputs and the suite's scripts, as in
# examples/workloads/workloads.toml (the same commands and phases).
inputs=$work/inputs
programs=(
  "bzip2|200000000|/usr/bin/bzip2 -9 -c $inputs/corpus.txt"
  "sqlite3|400000000|/usr/bin/sqlite3 -batch -init $inputs/shop.sql :memory: .quit"
  "sed|1000000000|/usr/bin/sed -E s/([a-z]+)_?([a-z]*)/<\2\1>/g;y/aeiou/AEIOU/ $inputs/corpus.txt"
  "lua|300000000|/usr/bin/lua5.4 $inputs/tables.lua $inputs/corpus.txt"
  "stencil9|60000000|$out/pv-science stencil9 512 20"
  "stencil3d|70000000|$out/pv-science stencil3d 96 30"
  "fft|81000000|$out/pv-science fft 16 10"
  "lu|69000000|$out/pv-science lu 500"
)

# The grid: 5 L1D sizes x 6 L2 sizes = 30 points on the base configuration
# s7-0003 (out of order, 2.5 GHz; one of the model's trained configurations).
cat > "$work/l1-l2.toml" <<EOF
base = "$PWD/examples/foundation/uarchs/s7-0003.toml"
[parameters]
l1d.size_kb = { min = 8, max = 128, factor = 2 }
l2.size_kb = { min = 128, max = 4096, factor = 2 }
EOF
points=30

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }

echo "== 1. tracing $count instructions of each of ${#programs[@]} programs" >&2
t0=$(now)
"$out/pv-workload-inputs" -o "$inputs" >/dev/null
cp examples/workloads/scripts/tables.lua "$inputs/"
names=() traces=() rps=() trace_flags=()
for entry in "${programs[@]}"; do
  IFS='|' read -r name skip command <<<"$entry"
  names+=("$name")
  traces+=("$work/$name.pvi.zst")
  trace_flags+=(--trace "$work/$name.pvi.zst")
  rps+=("$work/$name.rp")
  read -r -a argv <<<"$command"
  (cd "$work" && LC_ALL=C "$out/pv-trace-tap" --valgrind --skip "$skip" --count "$count" -q --guest-stdout /dev/null \
      -o "$work/$name.pvi.zst" -- "${argv[@]}")
done
t1=$(now)

echo "== 2. model path: R_p of each program, then pv-dse over the $points points" >&2
running=0
for i in "${!names[@]}"; do
  ( "$out/pv-feature" -q "${traces[$i]}" | "$out/pv-encode" -q -m "$model" -t 1 |
      "$out/pv-aggregate" -q -o "${rps[$i]}" ) &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait
t2=$(now)
"$out/pv-dse" -m "$model" --space "$work/l1-l2.toml" --objective time-cost --top 3 --format csv \
  -o "$work/model.csv" "${rps[@]}"
t3=$(now)

echo "== 3. model + refinement: pv-dse --simulate 4 --rounds 2" >&2
"$out/pv-dse" -m "$model" --space "$work/l1-l2.toml" --objective time-cost --top 3 --format csv -q \
  --simulate 4 --rounds 2 -j "$jobs" "${trace_flags[@]}" -o "$work/refined.csv" "${rps[@]}"
t4=$(now)

echo "== 4. full simulation: pv-uarch on all $points points x ${#names[@]} programs" >&2
"$out/pv-dse" -m "$model" --space "$work/l1-l2.toml" --objective time-cost --top 3 -q \
  --simulate "$points" --rounds 1 -j "$jobs" "${trace_flags[@]}" --format json -o "$work/truth.json" "${rps[@]}"

python3 - "$work" "$(elapsed "$t0" "$t1")" "$(elapsed "$t1" "$t3")" "$(elapsed "$t2" "$t3")" \
  "$(elapsed "$t3" "$t4")" "$points" "${names[*]}" <<'PY'
import csv, json, sys
work, trace_s, model_s, dse_s, refined_s, points, names = sys.argv[1:]
trace_s, model_s, dse_s, refined_s = map(float, (trace_s, model_s, dse_s, refined_s))
def rows(f):
    return list(csv.DictReader(open(f"{work}/{f}")))
params = ["l1d.size_kb", "l2.size_kb"]
key = lambda r: tuple(int(float(r[p])) for p in params)
# The full simulation's time is pv-uarch's alone (pv-dse's refit after it is not part of it).
full = json.load(open(f"{work}/truth.json"))["refinement"]
full_s = full["simulate_seconds"]
truth = {key(p["parameters"]): p["simulated"]["objective"] for p in full["points"]}
if len(truth) != int(points):
    sys.exit(f"the full simulation covered {len(truth)} of {points} points")
ranked = sorted(truth, key=truth.get)
optimum = ranked[0]
def describe(label, point, seconds):
    gap = 100 * (truth[point] / truth[optimum] - 1)
    rank = ranked.index(point) + 1
    print(f"{label:<22} L1D {point[0]:>3} KB, L2 {point[1]:>4} KB   true objective {truth[point]:.6g}"
          f"   {gap:5.2f}% from the optimum, rank {rank:>2} of {len(truth)}   {seconds:7.1f} s")
    return gap
model_best = key(next(r for r in rows("model.csv") if r["set"] == "best" and r["rank"] == "1"))
refined = [r for r in rows("refined.csv") if r["set"] == "simulated"]
refined_best = key(next(r for r in refined if r["rank"] == "1"))
print(f"programs: {names} ({len(names.split())}); grid: {points} points (L1D x L2 on s7-0003); "
      f"objective: time x (1000 + 10 L1D_KB + L2_KB), time = the programs' summed time")
print(f"tracing the programs (both paths): {trace_s:.1f} s")
print(f"{'path':<22} {'chosen design':<31} {'':>30}   {'':>34}   {'time':>7}")
describe("true optimum", optimum, full_s)
describe("model", model_best, model_s)
describe(f"model + {len(refined)} simulated", refined_best, model_s + refined_s)
print(f"time: the model path {model_s:.1f} s (R_p of the programs {model_s - dse_s:.1f} s, pv-dse {dse_s:.1f} s), "
      f"with refinement {model_s + refined_s:.1f} s; simulating all {points} points {full_s:.1f} s: "
      f"{full_s / model_s:.2f}x and {full_s / (model_s + refined_s):.2f}x the time of the model paths")
PY
