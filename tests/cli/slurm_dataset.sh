#!/usr/bin/env bash
# pv-dataset on a Slurm cluster of one node, this machine: munged,
# slurmctld and slurmd started here with everything in a temporary folder
# (key, socket, configuration on ports of their own, state, logs), stopped
# at the end, also on failure. Debian's munge and slurm-wlm (dev.sh).
# - --slurm-print writes and prints the array job's sbatch script with the
#   pass-through options, and submits nothing;
# - pv-dataset --slurm on two small workloads writes the same files as a
#   local run, byte for byte, and the same manifest (but the seconds);
# - one file deleted, a rerun submits one task, for that workload only,
#   and leaves the other file alone;
# - a failing workload is named with its logs (exit 1); a rerun while the
#   folder's job still runs is refused (exit 2); an interrupted submitter
#   cancels its job (130, the workload pending); a task cancelled from
#   outside fails its workload with the end of its Slurm log (exit 1);
#   sbatch missing names slurm-client (exit 2); a partition sbatch refuses
#   is an error (exit 1).
set -euo pipefail
. "$(dirname "$0")/../lib/contains.sh"
OUT=$(cd "$1" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- the cluster ---
source "$(dirname "$0")/../lib/slurm_cluster.sh"

# --- local run, then the same on Slurm ---
# Into folders whose paths have the same length: some programs' traced
# bytes depend on it (examples/workloads/README.md, "Determinism").
args=(-w matmul.r1,qsort.r1 --sample 2 --seed 1 --scale 0.001 --no-progress)
slurm=(--partition debug --time 5 --mem 100M --slurm-opt=--cpus-per-task=2)  # one task at a time, as the local run
"$OUT/pv-dataset" -o "$tmp/l" "${args[@]}" 2> "$tmp/l.err" || { cat "$tmp/l.err"; fail "local run"; }

"$OUT/pv-dataset" -o "$tmp/p" "${args[@]}" "${slurm[@]}" --slurm-print > "$tmp/print.sh" 2> "$tmp/print.err" \
  || { cat "$tmp/print.err"; fail "--slurm-print"; }
for line in '#SBATCH --array=0-1' '#SBATCH --partition=debug' '#SBATCH --time=5' '#SBATCH --mem=100M' \
            '#SBATCH --cpus-per-task=2' "#SBATCH --output=$tmp/p/logs/slurm-%A_%a.out" \
            'workloads=(matmul.r1 qsort.r1)' ; do
  grep -qxF -- "$line" "$tmp/print.sh" || { cat "$tmp/print.sh"; fail "--slurm-print: no line '$line'"; }
done
grep -q -- '--slurm-task .* --scale 0.001 --no-progress -w "${workloads\[$SLURM_ARRAY_TASK_ID\]}"$' "$tmp/print.sh" \
  || { cat "$tmp/print.sh"; fail "--slurm-print: the task's command"; }
cmp -s "$tmp/print.sh" "$tmp/p/slurm/job.sbatch" || fail "--slurm-print: printed other bytes than slurm/job.sbatch"
bash -n "$tmp/print.sh" || fail "--slurm-print: not a bash script"
[ -z "$(squeue -h -o %i)" ] && [ ! -e "$tmp/p/slurm/job" ] || fail "--slurm-print submitted a job"

SECONDS=0
"$OUT/pv-dataset" -o "$tmp/s" "${args[@]}" "${slurm[@]}" --slurm 2> "$tmp/s.err" || { cat "$tmp/s.err"; fail "--slurm run"; }
cat "$tmp/s.err"
echo "--slurm: $SECONDS s"
grep -q "submitted Slurm job [0-9]*: 2 array tasks (matmul.r1 qsort.r1)" "$tmp/s.err" || fail "--slurm: no submission reported"
grep -q "2 done, 0 failed, 0 already finished" "$tmp/s.err" || fail "--slurm: not 2 done"
# The manifests: equal but for the seconds each workload took.
same_manifests() {  # DIR_A DIR_B
  python3 - "$1/manifest.toml" "$2/manifest.toml" <<'EOF'
import sys, tomllib
a, b = (tomllib.load(open(p, "rb")) for p in sys.argv[1:])
for m in (a, b):
    for w in m["workload"]:
        assert w.pop("seconds") > 0, w
assert a == b, (a, b)
assert [w["status"] for w in a["workload"]] == ["done", "done"], a
EOF
}
same_files() {  # DIR_A DIR_B
  for w in matmul.r1 qsort.r1; do
    cmp "$1/$w.pvs.zst" "$2/$w.pvs.zst" || fail "$w.pvs.zst differs from the local run's"
    cmp "$1/reports/$w.json" "$2/reports/$w.json" || fail "reports/$w.json differs from the local run's"
  done
  same_manifests "$1" "$2" || fail "the manifests differ"
  [ -z "$(ls "$2/slurm/parts")" ] || fail "parts were left in $2/slurm/parts"
  ls "$2" | contains part && fail "a partial file was left behind in $2"
  return 0
}
same_files "$tmp/l" "$tmp/s"
echo "--slurm: the same files and manifest as the local run"

# --- a rerun submits only what is missing ---
rm "$tmp/s/qsort.r1.pvs.zst"
before=$(stat -c '%i %Y' "$tmp/s/matmul.r1.pvs.zst")
sleep 1.1  # so that a rewritten file would have another mtime
"$OUT/pv-dataset" -o "$tmp/s" "${args[@]}" "${slurm[@]}" --slurm 2> "$tmp/s2.err" || { cat "$tmp/s2.err"; fail "--slurm rerun"; }
cat "$tmp/s2.err"
grep -q "1 of 2 workloads already finished" "$tmp/s2.err" || fail "rerun: matmul.r1 not kept"
grep -q "submitted Slurm job [0-9]*: 1 array task (qsort.r1)" "$tmp/s2.err" || fail "rerun: not one task for qsort.r1"
grep -qxF '#SBATCH --array=0-0' "$tmp/s/slurm/job.sbatch" || fail "rerun: the job script is not one task"
grep -qxF 'workloads=(qsort.r1)' "$tmp/s/slurm/job.sbatch" || fail "rerun: the job script's workloads"
job=$(sed -n 's/.*submitted Slurm job \([0-9]*\):.*/\1/p' "$tmp/s2.err")
[ "$(ls "$tmp/s/logs" | grep -c "^slurm-${job}_")" = 1 ] || fail "rerun: job $job ran other than one task"
[ "$(stat -c '%i %Y' "$tmp/s/matmul.r1.pvs.zst")" = "$before" ] || fail "rerun: matmul.r1.pvs.zst was rewritten"
same_files "$tmp/l" "$tmp/s"
"$OUT/pv-dataset" -o "$tmp/s" "${args[@]}" --slurm 2> "$tmp/s3.err"
grep -q "2 of 2 workloads already finished" "$tmp/s3.err" && ! grep -q submitted "$tmp/s3.err" \
  || { cat "$tmp/s3.err"; fail "a rerun of a finished folder submitted a job"; }
echo "rerun: one task, for qsort.r1 alone"

# --- errors ---
cat > "$tmp/suite.toml" <<'EOF'
[suite]
name = "slurm-errors"
[[workload]]
name = "fine"
packages = []
command = ["{bin}/pv-kernels", "qsort", "1000"]
skip = 0
count = 1000
split = "train"
[[workload]]
name = "crash"
packages = ["coreutils"]
command = ["/bin/cat", "{inputs}/pv-no-such-input"]
skip = 0
count = 1000000
split = "train"
[[workload]]
name = "slow"
packages = ["coreutils"]
command = ["/bin/sleep", "60"]
skip = 0
count = 1000000
split = "validation"
EOF
set +e
"$OUT/pv-dataset" --suite "$tmp/suite.toml" --split train -o "$tmp/e" --sample 1 --no-progress --slurm 2> "$tmp/e.err"
rc=$?
set -e
cat "$tmp/e.err"
[ $rc -eq 1 ] || fail "a failed task: exit $rc, not 1"
ejob=$(sed -n 's/.*submitted Slurm job \([0-9]*\):.*/\1/p' "$tmp/e.err")
grep -qF "workload 'crash' failed: pipeline exit status 1" "$tmp/e.err" || fail "a failed task: workload not named"
grep -qF "pv-no-such-input" "$tmp/e.err" || fail "a failed task: reason not shown"
grep -qF "(log: $tmp/e/logs/crash.log; Slurm task log: $tmp/e/logs/slurm-${ejob}_1.out)" "$tmp/e.err" \
  || fail "a failed task: its logs not named"
[ -s "$tmp/e/logs/slurm-${ejob}_1.out" ] || fail "the failed task's Slurm log is missing"
grep -q "1 done, 1 failed" "$tmp/e.err" && grep -q "pv-dataset: failed: crash" "$tmp/e.err" || fail "a failed task: summary"
[ -s "$tmp/e/fine.pvs.zst" ] || fail "the good workload did not run beside the failing one"

# A job of the folder still running: another run is refused.
sleeper=$(sbatch --parsable --wrap "sleep 60" -o /dev/null)
echo "$sleeper" > "$tmp/e/slurm/job"
set +e
"$OUT/pv-dataset" --suite "$tmp/suite.toml" --split train -o "$tmp/e" --no-progress --slurm 2> "$tmp/busy.err"
rc=$?
set -e
scancel "$sleeper"
[ $rc -eq 2 ] && grep -qF "Slurm job $sleeper of $tmp/e is still pending or running" "$tmp/busy.err" \
  || { cat "$tmp/busy.err"; fail "a run beside the folder's running job: exit $rc"; }

# An interrupted submitter cancels its job; the workload stays pending.
"$OUT/pv-dataset" --suite "$tmp/suite.toml" -w slow -o "$tmp/i" --sample 1 --no-progress --slurm 2> "$tmp/i.err" &
bg=$!
for _ in $(seq 300); do
  [ -s "$tmp/i/slurm/job" ] && [ -n "$(squeue -h -t R -j "$(cat "$tmp/i/slurm/job")" -o %i 2>/dev/null)" ] && break
  sleep 0.1
done
ijob=$(cat "$tmp/i/slurm/job")
kill -INT $bg
set +e
wait $bg
rc=$?
set -e
bg=
[ $rc -eq 130 ] || { cat "$tmp/i.err"; fail "interrupted submitter: exit $rc, not 130"; }
grep -q "cancelling Slurm job $ijob" "$tmp/i.err" || { cat "$tmp/i.err"; fail "interrupted: job not cancelled"; }
[ -z "$(squeue -h -j "$ijob" -o %i 2>/dev/null)" ] || fail "interrupted: job $ijob still in squeue"
python3 -c 'import sys, tomllib
m = tomllib.load(open(sys.argv[1], "rb"))
assert [w["status"] for w in m["workload"]] == ["pending"], m' "$tmp/i/manifest.toml" || fail "interrupted: not pending"

# A task cancelled from outside records nothing: its workload fails,
# named with the end of its Slurm log.
"$OUT/pv-dataset" --suite "$tmp/suite.toml" -w slow -o "$tmp/k" --sample 1 --no-progress --slurm 2> "$tmp/k.err" &
bg=$!
for _ in $(seq 300); do
  [ -s "$tmp/k/slurm/job" ] && [ -n "$(squeue -h -t R -j "$(cat "$tmp/k/slurm/job")" -o %i 2>/dev/null)" ] && break
  sleep 0.1
done
kjob=$(cat "$tmp/k/slurm/job")
scancel "$kjob"
set +e
wait $bg
rc=$?
set -e
bg=
[ $rc -eq 1 ] || { cat "$tmp/k.err"; fail "a cancelled task: exit $rc, not 1"; }
grep -qF "workload 'slow' failed: its Slurm task ${kjob}_0 ended without recording a result" "$tmp/k.err" \
  && grep -q "CANCELLED" "$tmp/k.err" || { cat "$tmp/k.err"; fail "a cancelled task: unclear error"; }

set +e
PATH=/nonexistent "$OUT/pv-dataset" -o "$tmp/n" "${args[@]}" --slurm 2> "$tmp/n.err"
rc=$?
"$OUT/pv-dataset" -o "$tmp/q" "${args[@]}" --slurm --partition pv-no-such-partition 2> "$tmp/q.err"
rc2=$?
"$OUT/pv-dataset" -o "$tmp/q" "${args[@]}" --mem 1G 2> "$tmp/m.err"
rc3=$?
set -e
[ $rc -eq 2 ] && grep -qF "sbatch not found: --slurm needs Slurm's client commands; install the Debian package slurm-client" "$tmp/n.err" \
  || { cat "$tmp/n.err"; fail "sbatch missing: exit $rc"; }
[ $rc2 -eq 1 ] && grep -q "sbatch .*job.sbatch failed (exit status 1): .*[Pp]artition" "$tmp/q.err" \
  || { cat "$tmp/q.err"; fail "a bad partition: exit $rc2"; }
[ $rc3 -eq 2 ] && grep -qF -- "--partition, --time, --mem and --slurm-opt are for --slurm or --slurm-print" "$tmp/m.err" \
  || { cat "$tmp/m.err"; fail "--mem without --slurm: exit $rc3"; }
echo "errors: ok"
