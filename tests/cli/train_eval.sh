#!/usr/bin/env bash
# Training end to end with real processes on a small real workload:
#  - pv-dataset labels two of the suite's kernels (their first regions) on 3
#    sampled configurations;
#  - pv-train trains on one kernel and two configurations: the loss falls;
#  - the model loads in pv-window | pv-encode | pv-aggregate | pv-dot-predict,
#    whose times equal pv-eval's predictions;
#  - pv-tune fits the held-out configuration; pv-eval prints its table with
#    seen/unseen programs and microarchitectures;
#  - pv-train killed (SIGKILL) mid-run and restarted resumes from its last
#    checkpoint and ends with the bytes of an uninterrupted run;
#  - two local workers (c10d Gloo) train and write the model;
#  - --relative-loss weighs the slower program less, and needs the commit target;
#  - M_u >= 0 by default; pv-tune --non-negative makes a --signed-uarchs
#    model non-negative (with --refit) and refuses it without.
set -uo pipefail
. "$(dirname "$0")/../lib/contains.sh"
OUT=$(cd "$1" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

ds=$tmp/ds
"$OUT/pv-dataset" -o "$ds" --sample 3 --seed 5 -w matmul.r1,chase.r1 --scale 0.002 --bin "$OUT" --no-progress -q \
  || { cat "$ds"/logs/*.log 2>/dev/null | tail -20; fail "pv-dataset"; }
for w in matmul.r1 chase.r1; do [ -s "$ds/$w.pvs.zst" ] || fail "no $w.pvs.zst"; done

train=(--uarch-dir "$ds/uarchs" --holdout-uarchs 1 --targets commit,fetch --hidden 16 --layers 1 -W 8 -K 32
       --batch 16 --lr 1e-2 --warmup 5 --no-progress)
"$OUT/pv-train" "$ds/matmul.r1.pvs.zst" "${train[@]}" --max-steps 100 -o "$tmp/m.pvm" 2> "$tmp/train.log" \
  || { cat "$tmp/train.log"; fail "pv-train"; }
cat "$tmp/train.log"
line=$(grep -o 'loss [0-9.]* -> [0-9.]*' "$tmp/train.log") || fail "no loss line"
awk -v l="$line" 'BEGIN { split(l, a, " "); print "loss " a[2] " -> " a[4]; exit !(a[4] < 0.8 * a[2]) }' \
  || fail "the loss did not fall: $line"
"$OUT/pv-model" info "$tmp/m.pvm" > "$tmp/info.txt" || fail "pv-model info"
grep -q "held out     uarchs: s5-0002" "$tmp/info.txt" || { cat "$tmp/info.txt"; fail "held-out uarch not recorded"; }
grep -q "s5-0000 \[trained\] @" "$tmp/info.txt" || { cat "$tmp/info.txt"; fail "trained uarch and its clock not recorded"; }

# The model in the streaming pipeline gives pv-eval's predictions.
"$OUT/pv-window" -m "$tmp/m.pvm" "$ds/chase.r1.pvs.zst" | "$OUT/pv-encode" -m "$tmp/m.pvm" -t 1 \
  | "$OUT/pv-aggregate" | "$OUT/pv-dot-predict" -m "$tmp/m.pvm" --format csv \
      --truth "$ds/reports/chase.r1.json" > "$tmp/pipe.csv" || fail "pipeline with the trained model"
cat "$tmp/pipe.csv"
"$OUT/pv-eval" -m "$tmp/m.pvm" --dataset "$ds" --csv "$tmp/eval.csv" -q -t 1 > "$tmp/eval.txt" || fail "pv-eval"
cat "$tmp/eval.txt"
python3 - "$tmp/pipe.csv" "$tmp/eval.csv" <<'EOF' || fail "pipeline and pv-eval disagree"
import csv, sys
pipe = {r["uarch"]: r for r in csv.DictReader(open(sys.argv[1]))}
ev = [r for r in csv.DictReader(open(sys.argv[2])) if r["program"] == "chase.r1"]
assert len(ev) == 2 and len(pipe) == 2, (ev, pipe)
for r in ev:
    p = pipe[r["uarch"]]
    pred, truth = float(r["predicted_ns"]), float(r["truth_ns"])
    assert abs(pred - float(p["time_ns"])) <= 1e-4 * abs(pred) + 1e-3, (r, p)
    assert abs(truth - float(p["truth_ns"])) <= 1e-3 * truth, (r, p)
    assert r["program_seen"] == "0" and r["uarch_seen"] == "1", r
print("pipeline R_p . M_u == pv-eval's prediction; label sums == pv-uarch's report")
EOF
grep -q "^chase\.r1  *unseen" "$tmp/eval.txt" || fail "pv-eval: chase not reported as an unseen program"
grep -q "^matmul\.r1  *seen" "$tmp/eval.txt" || fail "pv-eval: matmul not reported as a seen program"

# pv-tune: the held-out configuration by least squares; then it is an unseen uarch.
"$OUT/pv-tune" -m "$tmp/m.pvm" -o "$tmp/tuned.pvm" --dataset "$ds" --interval 2048 -q -t 1 || fail "pv-tune"
"$OUT/pv-eval" -m "$tmp/tuned.pvm" --dataset "$ds" -q -t 1 > "$tmp/eval2.txt" || fail "pv-eval (tuned)"
cat "$tmp/eval2.txt"
grep -Eq "^unseen +unseen +1 " "$tmp/eval2.txt" || fail "no unseen-program x unseen-uarch row after pv-tune"
"$OUT/pv-model" info "$tmp/tuned.pvm" | contains "s5-0002 \[tuned\]" || fail "tuned uarch not in the table"

# Kill -9 mid-run, restart: resumes from the checkpoint, same bytes as a run never killed.
mkdir -p "$tmp/a" "$tmp/b"
long=("$ds/matmul.r1.pvs.zst" "${train[@]}" --max-steps 400 --checkpoint-every 5 -t 1 -o m.pvm)
(cd "$tmp/a" && "$OUT/pv-train" "${long[@]}" 2>/dev/null) || fail "uninterrupted run"
(cd "$tmp/b" && exec "$OUT/pv-train" "${long[@]}" 2>/dev/null) &
pid=$!
while kill -0 $pid 2>/dev/null && [ ! -f "$tmp/b/m.pvm.ckpt" ]; do sleep 0.05; done
[ -f "$tmp/b/m.pvm.ckpt" ] || fail "no checkpoint appeared"
sleep 0.3
kill -9 $pid 2>/dev/null || fail "pv-train ended before it could be killed"
wait $pid 2>/dev/null
[ ! -f "$tmp/b/m.pvm" ] || fail "a killed run left a model file"
(cd "$tmp/b" && "$OUT/pv-train" "${long[@]}") 2> "$tmp/resume.log" || { cat "$tmp/resume.log"; fail "resumed run"; }
grep "resuming from" "$tmp/resume.log" || fail "the restarted run did not resume"
cmp "$tmp/a/m.pvm" "$tmp/b/m.pvm" || fail "the resumed run's model differs from the uninterrupted run's"
echo "killed and resumed run == uninterrupted run (model bytes)"

# A worker killed mid-run (-j 2): pv-train names it, keeps the checkpoint and
# exits 1; the same command resumes and ends with an uninterrupted run's bytes.
mkdir -p "$tmp/c" "$tmp/d"
two=("$ds/matmul.r1.pvs.zst" "${train[@]}" --max-steps 120 --checkpoint-every 5 -j 2 -t 1 -o m.pvm)
(cd "$tmp/c" && "$OUT/pv-train" "${two[@]}" 2>/dev/null) || fail "uninterrupted -j 2 run"
(cd "$tmp/d" && exec "$OUT/pv-train" "${two[@]}" 2> "$tmp/d/err") &
pid=$!
while kill -0 $pid 2>/dev/null && [ ! -f "$tmp/d/m.pvm.ckpt" ]; do sleep 0.05; done
[ -f "$tmp/d/m.pvm.ckpt" ] || fail "-j 2: no checkpoint appeared"
worker=$(pgrep -P $pid | tail -1)  # forked in rank order: the last is worker 1
[ -n "$worker" ] || fail "-j 2: no worker process"
kill -9 "$worker"
wait $pid
rc=$?
[ "$rc" -eq 1 ] || { cat "$tmp/d/err"; fail "a killed worker: exit status $rc, expected 1"; }
grep -q "^pv-train: worker 1 (pid $worker) killed by signal 9 (SIGKILL)" "$tmp/d/err" \
  || { cat "$tmp/d/err"; fail "a killed worker: the message does not name it"; }
grep -q "the last checkpoint, m.pvm.ckpt, is kept" "$tmp/d/err" || { cat "$tmp/d/err"; fail "a killed worker: no word on the checkpoint"; }
[ -f "$tmp/d/m.pvm.ckpt" ] || fail "a killed worker: the checkpoint is gone"
[ ! -f "$tmp/d/m.pvm" ] || fail "a killed worker: a model file was written"
(cd "$tmp/d" && "$OUT/pv-train" "${two[@]}") 2> "$tmp/resume2.log" || { cat "$tmp/resume2.log"; fail "resumed -j 2 run"; }
grep -q "resuming from" "$tmp/resume2.log" || fail "the -j 2 restart did not resume"
cmp "$tmp/c/m.pvm" "$tmp/d/m.pvm" || fail "the resumed -j 2 run's model differs from the uninterrupted one's"
echo "a killed worker: named, exit 1, checkpoint kept; resumed == uninterrupted (model bytes)"

# Two local workers joined by Gloo.
"$OUT/pv-train" "$ds/matmul.r1.pvs.zst" "${train[@]}" --max-steps 6 -j 2 -t 1 --no-checkpoint -o "$tmp/two.pvm" \
  2> "$tmp/two.log" || { cat "$tmp/two.log"; fail "two workers"; }
grep -q "with 2 workers" "$tmp/two.log" || { cat "$tmp/two.log"; fail "two workers: no summary"; }
"$OUT/pv-model" info "$tmp/two.pvm" | contains "2 workers" || fail "two workers not recorded"

# An exact model (PerfVec's: every R_i from a fresh window) trains and runs
# through the pipeline (pv-encode in exact mode) to pv-eval's predictions.
"$OUT/pv-train" "$ds/matmul.r1.pvs.zst" "${train[@]}" --exact --max-steps 3 --no-checkpoint -o "$tmp/exact.pvm" \
  2> "$tmp/exact.log" || { cat "$tmp/exact.log"; fail "exact model"; }
"$OUT/pv-model" info "$tmp/exact.pvm" | contains "window 8, exact" || fail "exact model: architecture"
"$OUT/pv-window" -m "$tmp/exact.pvm" "$ds/chase.r1.pvs.zst" | "$OUT/pv-encode" -m "$tmp/exact.pvm" -t 1 \
  | "$OUT/pv-aggregate" | "$OUT/pv-dot-predict" -m "$tmp/exact.pvm" --format csv > "$tmp/exact-pipe.csv" \
  || fail "exact model in the pipeline"
"$OUT/pv-eval" -m "$tmp/exact.pvm" "$ds/chase.r1.pvs.zst" --csv - -q -t 1 > "$tmp/exact-eval.csv" || fail "pv-eval (exact)"
python3 - "$tmp/exact-pipe.csv" "$tmp/exact-eval.csv" <<'EOF2' || fail "exact: pipeline and pv-eval disagree"
import csv, sys
pipe = {r["uarch"]: float(r["time_ns"]) for r in csv.DictReader(open(sys.argv[1]))}
ev = list(csv.DictReader(open(sys.argv[2])))
assert len(ev) == 2, ev
for r in ev:
    pred = float(r["predicted_ns"])
    assert abs(pred - pipe[r["uarch"]]) <= 1e-4 * abs(pred) + 1e-3, (r, pipe)
EOF2

# M_u >= 0: pv-train's default. A --signed-uarchs model (PerfVec's
# unconstrained M_u) is made non-negative by pv-tune --non-negative, which
# needs --refit to refit the negative M_u; the result predicts through the
# pipeline, and pv-eval reports no negative time.
grep -q "^M_u          >= 0" "$tmp/info.txt" || { cat "$tmp/info.txt"; fail "pv-train's model: M_u not >= 0"; }
"$OUT/pv-train" "$ds/matmul.r1.pvs.zst" "${train[@]}" --signed-uarchs --max-steps 3 --no-checkpoint -o "$tmp/signed.pvm" \
  2> "$tmp/signed.log" || { cat "$tmp/signed.log"; fail "--signed-uarchs"; }
"$OUT/pv-model" info "$tmp/signed.pvm" | contains "^M_u          of any sign" || fail "--signed-uarchs: not recorded"
"$OUT/pv-tune" -m "$tmp/signed.pvm" -o "$tmp/nn.pvm" --non-negative -q 2> "$tmp/err.txt"
rc=$?; [ $rc -eq 2 ] || fail "pv-tune --non-negative on negative M_u without --refit: exit $rc, not 2"
grep -q "microarchitecture 's5-0000' of .*signed.pvm has negative entries in M_u .*--refit" "$tmp/err.txt" \
  || { cat "$tmp/err.txt"; fail "--non-negative without --refit: unclear error"; }
[ ! -e "$tmp/nn.pvm" ] || fail "a refused pv-tune wrote its output"
"$OUT/pv-tune" -m "$tmp/signed.pvm" -o "$tmp/nn.pvm" --non-negative --dataset "$ds" --refit --interval 2048 -q -t 1 \
  || fail "pv-tune --non-negative --refit"
"$OUT/pv-model" info "$tmp/nn.pvm" | contains "^M_u          >= 0" || fail "--non-negative: not recorded"
"$OUT/pv-window" -m "$tmp/nn.pvm" "$ds/chase.r1.pvs.zst" | "$OUT/pv-encode" -m "$tmp/nn.pvm" -t 1 \
  | "$OUT/pv-aggregate" | "$OUT/pv-dot-predict" -m "$tmp/nn.pvm" --format csv > "$tmp/nn.csv" \
  || fail "the non-negative model in the pipeline"
"$OUT/pv-eval" -m "$tmp/nn.pvm" --dataset "$ds" -q -t 1 > "$tmp/nn-eval.txt" || fail "pv-eval (non-negative)"
! grep -q NEGATIVE "$tmp/nn-eval.txt" || { cat "$tmp/nn-eval.txt"; fail "the non-negative model predicted a negative time"; }

# Splits: a suite of the same two kernel regions, one per split.
# pv-train --validation-split validates on the validation program;
# pv-eval --split reports only a split's workloads.
cat > "$tmp/suite.toml" <<'TOML'
[suite]
name = "two-splits"
description = "matmul to train on, chase to validate on"
[[workload]]
name = "mm"
packages = []
command = ["{bin}/pv-kernels", "matmul", "200"]
skip = 10_000_000
count = 20_000
split = "train"
description = "matmul"
[[workload]]
name = "ch"
packages = []
command = ["{bin}/pv-kernels", "chase", "32", "5000000"]
skip = 22_000_000
count = 20_000
split = "validation"
description = "chase"
TOML
"$OUT/pv-dataset" -o "$tmp/ds2" --suite "$tmp/suite.toml" --configs "$ds/uarchs" --bin "$OUT" --no-progress -q \
  || { cat "$tmp/ds2"/logs/*.log 2>/dev/null | tail -20; fail "pv-dataset (two splits)"; }
"$OUT/pv-train" --dataset "$tmp/ds2" --validation-split validation "${train[@]}" --max-steps 10 --no-checkpoint \
  -o "$tmp/split.pvm" 2> "$tmp/split.log" || { cat "$tmp/split.log"; fail "pv-train --validation-split"; }
grep -q "validation: [0-9]* chunks of 1 program" "$tmp/split.log" || { cat "$tmp/split.log"; fail "--validation-split: not the validation program"; }
"$OUT/pv-model" info "$tmp/split.pvm" | contains "held out     programs: ch$" || fail "--validation-split: ch not held out"
"$OUT/pv-eval" -m "$tmp/split.pvm" --dataset "$tmp/ds2" --split validation --csv - -q -t 1 > "$tmp/split.csv" \
  || fail "pv-eval --split validation"
[ "$(cut -d, -f1 "$tmp/split.csv" | sort -u | tr '\n' ' ')" = "ch program " ] \
  || { cat "$tmp/split.csv"; fail "pv-eval --split validation: not only ch"; }
"$OUT/pv-eval" -m "$tmp/split.pvm" --dataset "$tmp/ds2" --split test -q -t 1 2> "$tmp/err.txt"
rc=$?; [ $rc -eq 1 ] || fail "pv-eval --split test of a suite without one: exit $rc, not 1"
grep -q "ds2: no finished workload of split test to evaluate" "$tmp/err.txt" || { cat "$tmp/err.txt"; fail "--split test: unclear error"; }
"$OUT/pv-train" --dataset "$tmp/ds2" --split all --validation-split validation -o "$tmp/x.pvm" 2> "$tmp/err.txt"
rc=$?; [ $rc -eq 2 ] || fail "--split all --validation-split validation: exit $rc, not 2"
grep -q "would validate on training data" "$tmp/err.txt" || { cat "$tmp/err.txt"; fail "--validation-split on trained data: unclear error"; }
# More inputs than --open-streams: pv-train says that batches mix only some programs.
"$OUT/pv-train" "$ds/matmul.r1.pvs.zst" "$ds/chase.r1.pvs.zst" "${train[@]}" --open-streams 1 --max-steps 1 \
  --no-checkpoint -o "$tmp/x.pvm" 2> "$tmp/open.log" || { cat "$tmp/open.log"; fail "--open-streams 1"; }
grep -q "note: 2 inputs are read 1 at a time, so each batch mixes about 1 program; --open-streams 2 mixes them all" \
  "$tmp/open.log" || { cat "$tmp/open.log"; fail "--open-streams 1: no note"; }
echo "splits: pv-train validates on the validation split, pv-eval reports one split"

# --relative-loss weighs each program by its mean time^-P: chase (a pointer
# chase through 32 MiB) is the slower program on both trained
# configurations, so its weights are the smaller, by far more than the
# 4 times of a program only twice as slow. Without the commit target (the
# time) it is refused.
"$OUT/pv-train" "$ds/matmul.r1.pvs.zst" "$ds/chase.r1.pvs.zst" "${train[@]}" --relative-loss 2 --max-steps 2 \
  --no-checkpoint -o "$tmp/rel.pvm" 2> "$tmp/rel.log" || { cat "$tmp/rel.log"; fail "--relative-loss 2"; }
range=$(sed -n 's/^pv-train: relative loss (power 2): program weights from \([0-9.e+-]*\) to \([0-9.e+-]*\), median.*/\1 \2/p' \
  "$tmp/rel.log")
[ -n "$range" ] || { cat "$tmp/rel.log"; fail "--relative-loss: no line with the weights"; }
awk -v r="$range" 'BEGIN { split(r, a, " "); print "relative loss: weights from " a[1] " to " a[2]; exit !(a[2] > 4 * a[1]) }' \
  || fail "--relative-loss: chase and matmul weigh alike ($range)"
"$OUT/pv-train" "$ds/matmul.r1.pvs.zst" --uarch-dir "$ds/uarchs" --targets fetch --relative-loss 2 --max-steps 1 \
  --no-checkpoint -o "$tmp/x.pvm" 2> "$tmp/err.txt"
rc=$?; [ $rc -eq 2 ] || { cat "$tmp/err.txt"; fail "--relative-loss without the commit target: exit $rc, not 2"; }
grep -q "relative-loss.*needs the commit target" "$tmp/err.txt" || { cat "$tmp/err.txt"; fail "--relative-loss without commit: unclear error"; }

# Bad inputs: an unlabelled stream, a missing target.
"$OUT/pv-synth-gem5" -n 500 --seed 2 --out-dir "$tmp/run" >/dev/null || fail "synthetic trace"
"$OUT/pv-trace-tap" "$tmp/run/trace.txt" | "$OUT/pv-feature" | "$OUT/pv-reuse-distance" -o "$tmp/plain.pvs" || fail "features"
if "$OUT/pv-train" "$tmp/plain.pvs" -o "$tmp/x.pvm" --max-steps 1 2> "$tmp/err.txt"; then fail "unlabelled stream accepted"; fi
grep -q "plain.pvs.*no labels" "$tmp/err.txt" || { cat "$tmp/err.txt"; fail "unlabelled: unclear error"; }
if "$OUT/pv-train" "$ds/matmul.r1.pvs.zst" --targets retire -o "$tmp/x.pvm" --max-steps 1 2> "$tmp/err.txt"; then fail "unknown target accepted"; fi
grep -q "no target 'retire'" "$tmp/err.txt" || { cat "$tmp/err.txt"; fail "unknown target: unclear error"; }
echo "train_eval: all checks passed"
