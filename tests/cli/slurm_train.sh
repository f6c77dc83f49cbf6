#!/usr/bin/env bash
# pv-train's ranks started by srun, on a Slurm cluster of one node, this
# machine (tests/lib/slurm_cluster.sh; needs root):
# - `srun -n 2 pv-train ...` (every task the same command line) trains one
#   model with 2 ranks: each task takes its rank from SLURM_PROCID, the
#   world from SLURM_STEP_NUM_TASKS and the rendezvous from the step's first
#   node and the port 29500 + job id mod 1000; rank 0 alone writes the
#   model, whose every weight, M_u and statistic is that of `pv-train -j 2`
#   here within 1e-4 (the same global batches: float summation order only);
# - a Slurm environment srun would not give (a rank not below the step's
#   tasks, a damaged node list) and -j 2 on a rank are usage errors (exit
#   2) naming the variable or the option.
#   tests/cli/slurm_train.sh OUT
set -euo pipefail
OUT=$(cd "$1" && pwd)
schema=$(cd "$(dirname "$0")/../../schema" && pwd)/model.capnp
fail() { echo "FAIL: $*" >&2; exit 1; }
# Whatever the calling shell has of torchrun's variables would come first.
unset RANK WORLD_SIZE MASTER_ADDR MASTER_PORT LOCAL_RANK

# --- the cluster ---
source "$(dirname "$0")/../lib/slurm_cluster.sh"

"$OUT/pv-synth-gem5" -n 3000 --seed 4 --out-dir "$tmp/run" >/dev/null || fail "synthetic trace"
"$OUT/pv-trace-tap" --labels "$tmp/run/trace.txt" | "$OUT/pv-feature" | "$OUT/pv-reuse-distance" -o "$tmp/file.pvs" \
  || fail "labelled stream"
# One stream for 2 ranks: each reads it and trains on its half of every
# global batch, the half a local worker of -j 2 gets.
steps=12
[ -n "${PV_SANITIZED:-}" ] && steps=4
train=(--targets commit,fetch,l1_load --hidden 8 --layers 1 -W 8 -K 32 -b 8 --no-checkpoint --no-progress -t 1
       --shuffle-buffer 64 --max-steps "$steps")

# --- errors: a step task's variables, without the cluster ---
expect_usage() {  # MESSAGE VAR=VALUE... [-- PV-TRAIN-OPTION...]: exit 2 with the message
  local message=$1 rc=0 vars=() extra=()
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do vars+=("$1"); shift; done
  [ $# -gt 0 ] && { shift; extra=("$@"); }
  # What srun gives task 1 of a 2-task step, then the variables given.
  env SLURM_JOB_ID=7 SLURM_STEP_ID=0 SLURM_PROCID=1 SLURM_STEP_NUM_TASKS=2 SLURM_STEP_NODELIST=localhost \
    "${vars[@]}" "$OUT/pv-train" "$tmp/file.pvs" "${train[@]}" "${extra[@]}" -o "$tmp/bad.pvm" 2> "$tmp/bad.err" \
    || rc=$?
  [ "$rc" = 2 ] && grep -qF -- "pv-train: $message" "$tmp/bad.err" \
    || { cat "$tmp/bad.err"; fail "${vars[*]} ${extra[*]}: exit $rc, not 2 with '$message'"; }
}
expect_usage "SLURM_PROCID='2' is not below SLURM_STEP_NUM_TASKS='2'" SLURM_PROCID=2
expect_usage "SLURM_STEP_NODELIST='local[1-': not a Slurm host list: a '[' without its ']'" SLURM_STEP_NODELIST='local[1-'
expect_usage "-j 2: a rank of a run on several machines is one worker" -- -j 2
[ ! -e "$tmp/bad.pvm" ] || fail "a model was written after a usage error"
echo "errors: exit 2 naming SLURM_PROCID, SLURM_STEP_NODELIST, -j"

# --- two ranks by srun in an sbatch job, against -j 2 here ---
SECONDS=0
"$OUT/pv-train" "$tmp/file.pvs" "${train[@]}" -j 2 -o "$tmp/local.pvm" 2> "$tmp/local.log" \
  || { cat "$tmp/local.log"; fail "pv-train -j 2"; }
echo "pv-train -j 2: $SECONDS s"
# srun starts one pv-train per task with the same command line, as in the
# sbatch script of stages/train/README.md (whose srun runs in the job's
# allocation; this one makes its own: the tasks see the same variables).
SECONDS=0
srun -n 2 --time=5 "$OUT/pv-train" "$tmp/file.pvs" "${train[@]}" -o "$tmp/slurm.pvm" > "$tmp/job.out" 2>&1 \
  || { cat "$tmp/job.out"; fail "srun -n 2 pv-train"; }
echo "srun -n 2 pv-train: $SECONDS s"
cat "$tmp/job.out"
job=$(sed -n 's/^pv-train: rank 0 of 2 (Slurm job \([0-9]*\), step 0): .*/\1/p' "$tmp/job.out")
[ -n "$job" ] || fail "rank 0 did not find its Slurm job"
port=$((29500 + job % 1000))
for r in 0 1; do
  grep -qF "pv-train: rank $r of 2 (Slurm job $job, step 0): rendezvous at localhost:$port" "$tmp/job.out" \
    || fail "task $r: not rank $r of 2 with the rendezvous at localhost:$port"
done
[ "$(grep -c "^pv-train: $tmp/slurm.pvm: $steps steps" "$tmp/job.out")" = 1 ] || fail "not one rank wrote the model"
"$OUT/pv-model" info "$tmp/slurm.pvm" > "$tmp/slurm.info" || fail "pv-model info"
grep -q "^trained      $steps steps (.*, 2 workers)" "$tmp/slurm.info" || { cat "$tmp/slurm.info"; fail "not 2 workers"; }
# Every number of the two models: the encoder's weights, the M_u table and
# the normalisation statistics (capnp, the schema compiler, reads the file).
for m in local slurm; do
  capnp convert binary:json "$schema" ModelFile < "$tmp/$m.pvm" > "$tmp/$m.json" || fail "capnp convert $m.pvm"
done
python3 - "$tmp/local.json" "$tmp/slurm.json" <<'EOF' || fail "srun's 2 ranks trained another model than -j 2"
import json, struct, sys
def numbers(path):
    body = json.load(open(path))["body"]
    out = {"featureMean": body["featureMean"], "featureStd": body["featureStd"]}
    for t in body["tensors"]:  # Data: little-endian float32 bytes
        raw = bytes(t["values"])
        out[t["name"]] = struct.unpack(f"<{len(raw) // 4}f", raw)
    for u in body["uarchs"]:
        out["M_" + u["name"]] = u["representation"]
    return out
a, b = numbers(sys.argv[1]), numbers(sys.argv[2])
assert a.keys() == b.keys(), (a.keys(), b.keys())
count, worst, where = 0, 0.0, ""
for name in a:
    assert len(a[name]) == len(b[name]), name
    for x, y in zip(a[name], b[name]):
        d = abs(x - y) / max(abs(x), 1e-3)
        count += 1
        if d > worst:
            worst, where = d, name
print(f"srun -n 2 vs -j 2: {count} numbers of {len(a)} tensors, largest relative difference {worst:.2e} {where}")
assert count > 1000 and worst < 1e-4, (count, worst, where)
EOF
echo "slurm_train: all checks passed"
