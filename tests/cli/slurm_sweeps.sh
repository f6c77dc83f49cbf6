#!/usr/bin/env bash
# pv-dse's refinement by simulation and pv-eval as Slurm array jobs, on the
# one-node cluster of tests/lib/slurm_cluster.sh, against local runs:
# - pv-dse --simulate 2 --rounds 2 --slurm (one job a round, one task a
#   program) simulates the same points, with the same simulated times, and
#   chooses and reports the same design as the local run: the JSON is the
#   same but for the seconds; --slurm-print prints round 1's script and
#   submits nothing; a trace pv-uarch cannot read names the program and its
#   Slurm log (exit 1);
# - pv-eval --slurm (one task a program) writes the local run's CSV and
#   table byte for byte; --slurm-print's script, submitted by hand, leaves
#   parts that the next --slurm run merges without submitting; an
#   unlabelled stream names the program and its Slurm log with pv-eval's
#   message (exit 1); --slurm-dir without --slurm is a usage error (2).
# Two synthetic programs: their instruction streams (pv-uarch's input),
# their R_p (pv-dse's) and streams labelled on two of the shipped model's
# microarchitectures (pv-eval's).
set -euo pipefail
OUT=$(cd "$1" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/../lib/slurm_cluster.sh"
model=$PWD/examples/foundation/foundation.pvm
uarchs=$PWD/examples/foundation/uarchs
slurm=(--partition debug --time 5 --mem 200M)
no_jobs() { [ -z "$(squeue -h -o %i)" ]; }

for seed in 3 4; do
  "$OUT/pv-synth-gem5" -n 5000 --seed $seed > "$tmp/s$seed.txt" || fail "synth $seed"
  "$OUT/pv-trace-tap" -q "$tmp/s$seed.txt" -o "$tmp/s$seed.pvi" || fail "tap $seed"
  "$OUT/pv-feature" -q "$tmp/s$seed.pvi" | "$OUT/pv-encode" -q -m "$model" -t 1 | "$OUT/pv-aggregate" -q -o "$tmp/s$seed.rp" \
    || fail "R_p of s$seed"
  "$OUT/pv-uarch" -q -c "$uarchs/s7-0000.toml" -c "$uarchs/s7-0070.toml" "$tmp/s$seed.pvi" | "$OUT/pv-feature" -q \
    | "$OUT/pv-reuse-distance" -q -o "$tmp/s$seed.pvs" || fail "labelled s$seed"
done
"$OUT/pv-feature" -q "$tmp/s3.pvi" | "$OUT/pv-reuse-distance" -q -o "$tmp/unlabelled.pvs" || fail "unlabelled stream"

# --- pv-dse --simulate: local, then each round an array job ---
cat > "$tmp/space.toml" <<EOT
base = "$uarchs/s7-0003.toml"
[parameters]
l1d.size_kb = [16, 32, 64]
l2.size_kb = { min = 256, max = 1024, factor = 2 }
EOT
dse=("$OUT/pv-dse" -m "$model" --space "$tmp/space.toml" --objective time-cost --top 9 --format json
     --simulate 2 --rounds 2 --refit-iterations 200 --trace "$tmp/s3.pvi" --trace "$tmp/s4.pvi" "$tmp/s3.rp" "$tmp/s4.rp")
"${dse[@]}" -q -o "$tmp/local.json" || fail "pv-dse --simulate (local)"

"${dse[@]}" -q "${slurm[@]}" --slurm-print --slurm-dir "$tmp/dse" -o "$tmp/none.json" > "$tmp/print.sh" \
  || fail "pv-dse --slurm-print"
for line in '#SBATCH --job-name=pv-dse' '#SBATCH --array=0-1' '#SBATCH --partition=debug' '#SBATCH --mem=200M' \
            "#SBATCH --output=$tmp/dse/logs/slurm-%A_%a.out" "traces=($tmp/s3.pvi $tmp/s4.pvi)"; do
  grep -qxF -- "$line" "$tmp/print.sh" || { cat "$tmp/print.sh"; fail "pv-dse --slurm-print: no line '$line'"; }
done
grep -qE -- "^exec $OUT/pv-uarch -c $tmp/dse/round-1/sim-1.toml -c $tmp/dse/round-1/sim-2.toml .*--report \"\\$\\{reports\\[\\\$SLURM_ARRAY_TASK_ID\\]\\}\" \"\\$\\{traces\\[\\\$SLURM_ARRAY_TASK_ID\\]\\}\"$" \
  "$tmp/print.sh" || { cat "$tmp/print.sh"; fail "pv-dse --slurm-print: the task's command"; }
cmp -s "$tmp/print.sh" "$tmp/dse/round-1/job.sbatch" || fail "pv-dse --slurm-print: printed other bytes than its file"
no_jobs && [ ! -e "$tmp/none.json" ] && [ ! -e "$tmp/dse/round-2" ] || fail "pv-dse --slurm-print went on"

SECONDS=0
"${dse[@]}" "${slurm[@]}" --slurm --slurm-dir "$tmp/dse" -o "$tmp/slurm.json" 2> "$tmp/dse.err" \
  || { cat "$tmp/dse.err"; fail "pv-dse --simulate --slurm"; }
echo "pv-dse --slurm: $SECONDS s"
[ "$(grep -c "pv-dse: round [12]: submitted Slurm job [0-9]*: 2 array tasks (s3 s4)" "$tmp/dse.err")" = 2 ] \
  || { cat "$tmp/dse.err"; fail "pv-dse --slurm: not one job of 2 tasks a round"; }
python3 - "$tmp/local.json" "$tmp/slurm.json" <<'EOF' || fail "pv-dse --slurm differs from the local run"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for j in (a, b):
    for k in ("simulate_seconds", "fit_seconds"):
        j["refinement"].pop(k)
pts = b["refinement"]["points"]
assert [p["name"] for p in pts] == ["sim-1", "sim-2", "sim-3", "sim-4"], pts
for p, q in zip(a["refinement"]["points"], pts):
    assert p["simulated"] == q["simulated"] and p["parameters"] == q["parameters"], (p, q)
assert a["refinement"]["chosen"] == b["refinement"]["chosen"], (a["refinement"]["chosen"], b["refinement"]["chosen"])
assert a == b
print(f"pv-dse --slurm: the local run's points, simulated times and choice ({b['refinement']['chosen']})")
EOF
no_jobs && [ ! -e "$tmp/dse/job" ] || fail "pv-dse --slurm left a job behind"

set +e
"$OUT/pv-dse" -m "$model" --space "$tmp/space.toml" -q --simulate 1 --rounds 1 --trace "$tmp/s3.pvi" \
  --trace "$tmp/s4.rp" --slurm --slurm-dir "$tmp/dse" "$tmp/s3.rp" "$tmp/s4.rp" > /dev/null 2> "$tmp/dse-bad.err"
rc=$?
set -e
bjob=$(ls "$tmp/dse/logs" | sed -n 's/^slurm-\([0-9]*\)_1\.out$/\1/p' | sort -n | tail -1)
[ $rc -eq 1 ] && grep -qF "pv-dse: $tmp/s4.rp: simulating program 's4' with $OUT/pv-uarch failed: Slurm task ${bjob}_1 left no report (log $tmp/dse/logs/slurm-${bjob}_1.out): pv-uarch: $tmp/s4.rp" "$tmp/dse-bad.err" \
  || { cat "$tmp/dse-bad.err"; fail "pv-dse --slurm with a bad trace: exit $rc"; }

# --- pv-eval: local, then one task a program ---
ev=("$OUT/pv-eval" -m "$model" -t 1 -q --csv)
"${ev[@]}" "$tmp/local.csv" "$tmp/s3.pvs" "$tmp/s4.pvs" > "$tmp/local.txt" || fail "pv-eval (local)"
SECONDS=0
"$OUT/pv-eval" -m "$model" -t 1 --csv "$tmp/slurm.csv" "$tmp/s3.pvs" "$tmp/s4.pvs" "${slurm[@]}" --slurm \
  --slurm-dir "$tmp/ev" > "$tmp/slurm.txt" 2> "$tmp/ev.err" || { cat "$tmp/ev.err"; fail "pv-eval --slurm"; }
echo "pv-eval --slurm: $SECONDS s"
grep -q "pv-eval: submitted Slurm job [0-9]*: 2 array tasks (s3 s4)" "$tmp/ev.err" || { cat "$tmp/ev.err"; fail "pv-eval --slurm: no job of 2 tasks"; }
[ "$(wc -l < "$tmp/local.csv")" = 5 ] || { cat "$tmp/local.csv"; fail "pv-eval: not 4 pairs"; }
cmp "$tmp/local.csv" "$tmp/slurm.csv" || fail "pv-eval --slurm: another CSV than the local run's"
cmp "$tmp/local.txt" "$tmp/slurm.txt" || fail "pv-eval --slurm: another table than the local run's"
[ -z "$(ls "$tmp/ev/parts")" ] || fail "pv-eval --slurm left its parts"
echo "pv-eval --slurm: the local run's CSV and table, byte for byte"

# --slurm-print, submitted by hand: the next run merges, submitting nothing.
"$OUT/pv-eval" -m "$model" -t 1 -q --csv "$tmp/hand.csv" "$tmp/s3.pvs" "$tmp/s4.pvs" --slurm-print \
  --slurm-dir "$tmp/ev" > "$tmp/ev-print.sh" || fail "pv-eval --slurm-print"
grep -qxF '#SBATCH --array=0-1' "$tmp/ev-print.sh" && grep -qxF "names=(s3 s4)" "$tmp/ev-print.sh" \
  || { cat "$tmp/ev-print.sh"; fail "pv-eval --slurm-print: the script"; }
no_jobs && [ ! -e "$tmp/hand.csv" ] || fail "pv-eval --slurm-print went on"
hand=$(sbatch --parsable "$tmp/ev/job.sbatch") || fail "sbatch of pv-eval's script"
while [ -n "$(squeue -h -j "$hand" -o %i 2>/dev/null)" ]; do sleep 0.2; done
"$OUT/pv-eval" -m "$model" -t 1 --csv "$tmp/hand.csv" "$tmp/s3.pvs" "$tmp/s4.pvs" --slurm --slurm-dir "$tmp/ev" \
  > /dev/null 2> "$tmp/hand.err" || { cat "$tmp/hand.err"; fail "pv-eval --slurm after a hand-submitted job"; }
grep -q "2 of 2 programs already evaluated" "$tmp/hand.err" && ! grep -q submitted "$tmp/hand.err" \
  || { cat "$tmp/hand.err"; fail "pv-eval --slurm submitted what a hand-submitted job had done"; }
cmp "$tmp/local.csv" "$tmp/hand.csv" || fail "pv-eval: the hand-submitted job's CSV differs from the local run's"

# A program that fails in its task; options without --slurm.
set +e
"$OUT/pv-eval" -m "$model" -t 1 -q "$tmp/unlabelled.pvs" --slurm --slurm-dir "$tmp/ev" > /dev/null 2> "$tmp/ev-bad.err"
rc=$?
"$OUT/pv-eval" -m "$model" -q "$tmp/s3.pvs" --slurm-dir "$tmp/ev" > /dev/null 2> "$tmp/ev-usage.err"
rc2=$?
set -e
ejob=$(ls "$tmp/ev/logs" | sed -n 's/^slurm-\([0-9]*\)_0\.out$/\1/p' | sort -n | tail -1)
[ $rc -eq 1 ] && grep -qF "pv-eval: program 'unlabelled' ($tmp/unlabelled.pvs): Slurm task ${ejob}_0 left no result (log $tmp/ev/logs/slurm-${ejob}_0.out)" "$tmp/ev-bad.err" \
  && grep -qF "pv-eval: $tmp/unlabelled.pvs:header: no 'commit' labels" "$tmp/ev-bad.err" \
  || { cat "$tmp/ev-bad.err"; fail "pv-eval --slurm with an unlabelled stream: exit $rc"; }
[ $rc2 -eq 2 ] && grep -qF -- "--slurm-dir is for --slurm or --slurm-print" "$tmp/ev-usage.err" \
  || { cat "$tmp/ev-usage.err"; fail "--slurm-dir without --slurm: exit $rc2"; }
no_jobs || fail "jobs left in squeue"
echo "slurm_sweeps: all checks passed"
