#!/usr/bin/env bash
# pv-train reads labelled streams as they come:
#  - a live pipeline into stdin, a named pipe and an ipc:// endpoint each
#    train a model; the three models predict the same times (the same
#    stream, the same batches);
#  - a second epoch over a pipe is a usage error; an unlabelled stream on
#    stdin an error naming it; --device cuda without CUDA exit 2;
#  - -j 2 predicts what -j 1 predicts (the same global batches; gradients
#    summed by Gloo: float summation order only);
#  - two ranks as on two machines read their own streams (2 of 4 each) and
#    normalise with the statistics of all 4;
#  - memory: streaming 10x more instructions through a fixed shuffle buffer
#    raises pv-train's peak resident memory by at most 20% (reading
#    process and worker).
#   tests/cli/train_stream.sh OUT
set -uo pipefail
OUT=$(cd "$1" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$OUT/pv-synth-gem5" -n 6000 --seed 4 --out-dir "$tmp/run" >/dev/null || fail "synthetic trace"
labelled() { "$OUT/pv-trace-tap" --labels "$tmp/run/trace.txt" | "$OUT/pv-feature" | "$OUT/pv-reuse-distance" "$@"; }
shape=(--targets commit,fetch,l1_load --hidden 8 --layers 1 -W 8 -K 32 -b 8 --no-checkpoint --no-progress -t 1)
train=("${shape[@]}" --max-steps 12)
predict() {  # MODEL CSV: the model's predicted times on the labelled stream
  "$OUT/pv-eval" -m "$1" "$tmp/file.pvs" --csv "$2" -q -t 1 >/dev/null || fail "pv-eval $1"
}

labelled -o "$tmp/file.pvs" || fail "labelled stream"

# stdin
labelled | "$OUT/pv-train" - "${train[@]}" -o "$tmp/stdin.pvm" 2> "$tmp/stdin.log" \
  || { cat "$tmp/stdin.log"; fail "pv-train from stdin"; }
grep -q "first fill" "$tmp/stdin.log" || { cat "$tmp/stdin.log"; fail "stdin: statistics not from the first fill"; }
echo "stdin: trained"

# a named pipe
mkfifo "$tmp/fifo"
labelled -o "$tmp/fifo" &
writer=$!
"$OUT/pv-train" "$tmp/fifo" "${train[@]}" -o "$tmp/fifo.pvm" 2> "$tmp/fifo.log" \
  || { cat "$tmp/fifo.log"; fail "pv-train from a named pipe"; }
wait "$writer" || fail "the writer of the named pipe"
echo "named pipe: trained"

# an ipc:// endpoint (pv-train's input binds; the producer connects)
sock="ipc://$tmp/train.sock"
"$OUT/pv-train" "$sock" "${train[@]}" -o "$tmp/ipc.pvm" 2> "$tmp/ipc.log" &
trainer=$!
labelled -o "$sock" || fail "the producer on $sock"
wait "$trainer" || { cat "$tmp/ipc.log"; fail "pv-train from $sock"; }
[ ! -e "$tmp/train.sock" ] || fail "ipc: the socket file was left behind"
echo "ipc://: trained"

for m in stdin fifo ipc; do predict "$tmp/$m.pvm" "$tmp/$m.csv"; done
cut -d, -f1-4 "$tmp/stdin.csv" > "$tmp/a"
for m in fifo ipc; do
  cut -d, -f1-4 "$tmp/$m.csv" > "$tmp/b"
  cmp -s "$tmp/a" "$tmp/b" || { paste -d'|' "$tmp/a" "$tmp/b" | head; fail "$m: other predictions than stdin's"; }
done
echo "stdin, named pipe and ipc:// give the same predictions"

# --device cuda: exit 2 and a message naming it where LibTorch has no CUDA
# (Debian's); where it has, the run trains on cuda:0.
"$OUT/pv-train" "$tmp/file.pvs" "${train[@]}" --device cuda -o "$tmp/cuda.pvm" 2> "$tmp/err"
rc=$?
if [ "$rc" -eq 2 ]; then
  grep -q "^pv-train: --device cuda: this LibTorch has no CUDA device" "$tmp/err" || { cat "$tmp/err"; fail "--device cuda: unclear message"; }
  [ ! -e "$tmp/cuda.pvm" ] || fail "--device cuda: a model was written"
  echo "--device cuda without CUDA: exit 2 with the message"
else
  [ "$rc" -eq 0 ] && [ -s "$tmp/cuda.pvm" ] || { cat "$tmp/err"; fail "--device cuda: exit $rc"; }
  echo "--device cuda: trained on a CUDA device"
fi

# A pipe is read once; an unlabelled stream is refused with its name.
if labelled | "$OUT/pv-train" - "${train[@]}" -e 2 -o "$tmp/x.pvm" 2> "$tmp/err"; then fail "-e 2 on stdin accepted"; fi
grep -q "read once" "$tmp/err" || { cat "$tmp/err"; fail "-e 2 on stdin: unclear message"; }
if "$OUT/pv-trace-tap" "$tmp/run/trace.txt" | "$OUT/pv-feature" | "$OUT/pv-reuse-distance" \
   | "$OUT/pv-train" - "${train[@]}" -o "$tmp/x.pvm" 2> "$tmp/err"; then fail "unlabelled stdin accepted"; fi
grep -q "<stdin>.*no labels" "$tmp/err" || { cat "$tmp/err"; fail "unlabelled stdin: unclear message"; }
[ ! -e "$tmp/x.pvm" ] || fail "a model was written after an error"
echo "stdin: -e 2 and unlabelled streams refused"

# Labels made while training: pipelines/train-live.toml runs pv-uarch on two
# sampled configurations in front of pv-train; no labelled file is written.
"$OUT/pv-uarch" sample --seed 3 --count 2 --out "$tmp/uarchs" >/dev/null || fail "pv-uarch sample"
"$OUT/pv-launch" pipelines/train-live.toml source="$tmp/run/trace.txt" \
  uarch_options="-c $tmp/uarchs/s3-0000.toml -c $tmp/uarchs/s3-0001.toml" model="$tmp/live.pvm" program=synth \
  train_options="${shape[*]} --max-steps 6 --uarch-dir $tmp/uarchs" --no-progress 2> "$tmp/live.log" \
  || { cat "$tmp/live.log"; fail "pipelines/train-live.toml"; }
"$OUT/pv-model" info "$tmp/live.pvm" > "$tmp/live.info" || fail "pv-model info (live)"
grep -q "^trained      6 steps .* of 1 programs: synth$" "$tmp/live.info" || { cat "$tmp/live.info"; fail "live: training record"; }
grep -q "s3-0001 \[trained\] @" "$tmp/live.info" || { cat "$tmp/live.info"; fail "live: the sampled configurations"; }
echo "pipelines/train-live.toml: pv-uarch's labels straight into pv-train"

# A validation split of programs: the loss on another program's stream (its
# trace in a folder named like the training one's: the microarchitecture name).
"$OUT/pv-synth-gem5" -n 3000 --seed 9 --out-dir "$tmp/val/run" >/dev/null || fail "validation trace"
"$OUT/pv-trace-tap" --labels "$tmp/val/run/trace.txt" | "$OUT/pv-feature" | "$OUT/pv-reuse-distance" -o "$tmp/val.pvs" \
  || fail "validation stream"
valloss() {  # VALIDATION-STREAM: the model's validation loss
  "$OUT/pv-train" "$tmp/file.pvs" "${train[@]}" --validation-stream "$1" --validate-every 4 -o "$tmp/v.pvm" \
    2> "$tmp/v.log" || { cat "$tmp/v.log" >&2; return 1; }
  grep -q "validation: [0-9]* chunks of 1 program" "$tmp/v.log" || { cat "$tmp/v.log" >&2; return 1; }
  "$OUT/pv-model" info "$tmp/v.pvm" | sed -n 's/^validation   loss //p'
}
other=$(valloss "$tmp/val.pvs") || fail "--validation-stream"
self=$(valloss "$tmp/file.pvs") || fail "--validation-stream (the training program)"
echo "validation loss on another program $other, on the training program itself $self"
awk -v a="$other" -v b="$self" 'BEGIN { exit !(a > 0 && b > 0 && a != b) }' || fail "--validation-stream: losses $other, $self"

# -j 2 == -j 1 (the same global batches)
for j in 1 2; do
  "$OUT/pv-train" "$tmp/file.pvs" "${shape[@]}" -e 1 -j "$j" -o "$tmp/j$j.pvm" 2> "$tmp/j$j.log" \
    || { cat "$tmp/j$j.log"; fail "-j $j"; }
  predict "$tmp/j$j.pvm" "$tmp/j$j.csv"
done
grep -q "with 2 workers" "$tmp/j2.log" || { cat "$tmp/j2.log"; fail "-j 2: not two workers"; }
python3 - "$tmp/j1.csv" "$tmp/j2.csv" <<'EOF' || fail "-j 2 predicts other times than -j 1"
import csv, sys
a = list(csv.DictReader(open(sys.argv[1])))
b = list(csv.DictReader(open(sys.argv[2])))
assert len(a) == len(b) and a, (a, b)
worst = 0.0
for x, y in zip(a, b):
    p, q = float(x["predicted_ns"]), float(y["predicted_ns"])
    worst = max(worst, abs(p - q) / max(abs(p), 1e-9))
print(f"-j 2 vs -j 1: largest relative difference of the predicted times {worst:.2e}")
assert worst < 1e-4, worst
EOF

# Two ranks as on two machines (--rank/--world/--master): with 4 streams each
# reads its own 2 (rank 1 is given paths that do not exist for rank 0's
# streams a and c, as on a machine without them). A learning rate of ~0 keeps the
# initial weights, so the predictions hang on the normalisation statistics
# alone: the ranks' summed statistics must be those of one process reading
# all 4 streams.
for k in 1 2 3; do
  "$OUT/pv-synth-gem5" -n 3000 --seed $((20 + k)) --out-dir "$tmp/s$k/run" >/dev/null || fail "trace $k"
  "$OUT/pv-trace-tap" --labels "$tmp/s$k/run/trace.txt" | "$OUT/pv-feature" | "$OUT/pv-reuse-distance" \
    -o "$tmp/s$k.pvs" || fail "stream $k"
done
names=(--program a --program b --program c --program d)
frozen=("${shape[@]}" --max-steps 4 --learning-rate 1e-30 --validation 0)
"$OUT/pv-train" "$tmp/file.pvs" "$tmp/s1.pvs" "$tmp/s2.pvs" "$tmp/s3.pvs" "${names[@]}" "${frozen[@]}" \
  -o "$tmp/one.pvm" 2> "$tmp/one.log" || { cat "$tmp/one.log"; fail "one process, 4 streams"; }
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ranks() {  # MODEL OPTION...: both ranks; rank 0 writes MODEL
  local model=$1; shift
  "$OUT/pv-train" "$tmp/absent0.pvs" "$tmp/s1.pvs" "$tmp/absent2.pvs" "$tmp/s3.pvs" "${names[@]}" "$@" \
    --rank 1 --world 2 --master "127.0.0.1:$port" -o "$tmp/rank1.pvm" 2> "$tmp/rank1.log" &
  local other=$!
  "$OUT/pv-train" "$tmp/file.pvs" "$tmp/s1.pvs" "$tmp/s2.pvs" "$tmp/s3.pvs" "${names[@]}" "$@" \
    --rank 0 --world 2 --master "127.0.0.1:$port" -o "$model" 2> "$tmp/rank0.log" \
    || { cat "$tmp/rank0.log" "$tmp/rank1.log"; wait "$other"; return 1; }
  wait "$other" || { cat "$tmp/rank1.log"; return 1; }
}
ranks "$tmp/two.pvm" "${frozen[@]}" || fail "two ranks reading their own streams"
grep -q "rank 0 of 2 reads 2 of the 4 streams: a, c" "$tmp/rank0.log" || { cat "$tmp/rank0.log"; fail "rank 0's streams"; }
grep -q "rank 1 of 2 reads 2 of the 4 streams: b, d" "$tmp/rank1.log" || { cat "$tmp/rank1.log"; fail "rank 1's streams"; }
[ ! -e "$tmp/rank1.pvm" ] || fail "rank 1 wrote a model (rank 0 writes it)"
"$OUT/pv-model" info "$tmp/two.pvm" > "$tmp/two.info" || fail "pv-model info (two ranks)"
grep -q "^trained      4 steps .* of 4 programs: a, b, c, d$" "$tmp/two.info" \
  || { cat "$tmp/two.info"; fail "two ranks: training record"; }
predict "$tmp/one.pvm" "$tmp/one.csv"
predict "$tmp/two.pvm" "$tmp/two.csv"
python3 - "$tmp/one.csv" "$tmp/two.csv" <<'EOF' || fail "two ranks normalise otherwise than one process reading all streams"
import csv, sys
a = list(csv.DictReader(open(sys.argv[1])))
b = list(csv.DictReader(open(sys.argv[2])))
assert len(a) == len(b) and a, (a, b)
worst = max(abs(float(x["predicted_ns"]) - float(y["predicted_ns"])) / max(abs(float(x["predicted_ns"])), 1e-9)
            for x, y in zip(a, b))
print(f"two ranks' summed statistics vs one process's: largest relative difference of the predictions {worst:.2e}")
assert worst < 1e-6, worst
EOF
# Training for real: the two ranks' loss falls (0.936 -> 0.831 measured;
# by at least 5% is asked on these tiny synthetic traces), and the recorded
# instructions are both ranks' (4 of the 8 chunks of each step are rank
# 0's). (The whole-program error against the initial weights is printed, not
# checked: with M_u >= 0, pv-train's default, the initial table is already
# 31% off on these 4 programs and 60 steps of the per-instruction loss end
# near 50%, as the signed table does from 131%.)
meanerr() {  # MODEL: mean |error| of its predicted times over the 4 programs
  local k
  for k in file s1 s2 s3; do
    "$OUT/pv-eval" -m "$1" "$tmp/$k.pvs" --csv "$tmp/e.csv" -q -t 1 >/dev/null || return 1
    tail -n 1 "$tmp/e.csv"
  done | awk -F, '{ e = $NF < 0 ? -$NF : $NF; s += e } END { printf "%.4f\n", s / NR }'
}
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ranks "$tmp/trained.pvm" "${shape[@]}" --max-steps 60 --lr 1e-2 || fail "two ranks training"
"$OUT/pv-model" info "$tmp/trained.pvm" > "$tmp/two.info" || fail "pv-model info (two ranks, 60 steps)"
rows=$(sed -n 's/^trained      60 steps (.*, 2 workers) on \([0-9]*\) records of 4 programs.*/\1/p' "$tmp/two.info")
[ -n "$rows" ] && [ "$rows" -gt $((60 * 4 * 32)) ] && [ "$rows" -le $((60 * 8 * 32)) ] \
  || { cat "$tmp/two.info"; fail "two ranks: '$rows' instructions recorded (not both ranks')"; }
before=$(meanerr "$tmp/two.pvm") && after=$(meanerr "$tmp/trained.pvm") || fail "pv-eval of the two ranks' models"
echo "two ranks' model: mean |error| over the 4 programs $before with the initial weights, $after after 60 steps"
line=$(grep -o 'loss [0-9.]* -> [0-9.]*' "$tmp/rank0.log") || { cat "$tmp/rank0.log"; fail "two ranks: no loss line"; }
awk -v l="$line" 'BEGIN { split(l, a, " "); print "two ranks: loss " a[2] " -> " a[4]; exit !(a[4] < 0.95 * a[2]) }' \
  || fail "two ranks: the loss did not fall: $line"
echo "two ranks read their own streams: the statistics of all 4; $rows instructions in 60 steps"

# Memory: 10x the instructions, the same shuffle buffer (32 chunks). Not
# under ASan: its allocator's quarantine and shadow memory grow with what is
# allocated, however little of it is live.
if [ -n "${PV_SANITIZED:-}" ]; then
  echo "peak memory with 10x the instructions: measured in the release run only (ASan's quarantine)"
  echo "train_stream: all checks passed"
  exit 0
fi
"$OUT/pv-synth-gem5" -n 20000 --seed 5 --out-dir "$tmp/small" >/dev/null || fail "small synthetic trace"
"$OUT/pv-synth-gem5" -n 200000 --seed 5 --out-dir "$tmp/big" >/dev/null || fail "large synthetic trace"
peak() {  # TRACE: "READER WORKER" peak MiB
  "$OUT/pv-trace-tap" --labels "$1" | "$OUT/pv-feature" | "$OUT/pv-reuse-distance" \
    | "$OUT/pv-train" - --hidden 8 --layers 1 -W 8 -K 32 -b 8 --shuffle-buffer 32 --no-checkpoint --no-progress \
        -t 1 -o "$tmp/mem.pvm" 2> "$tmp/mem.log" || { cat "$tmp/mem.log" >&2; return 1; }
  sed -n 's/^pv-train: peak memory: reading process \([0-9.]*\) MiB, worker \([0-9.]*\) MiB$/\1 \2/p' "$tmp/mem.log"
}
small=$(peak "$tmp/small/trace.txt") || fail "training on 20,000 instructions"
large=$(peak "$tmp/big/trace.txt") || fail "training on 200,000 instructions"
read -r sr sw <<<"$small"
read -r lr lw <<<"$large"
[ -n "$sr" ] && [ -n "$lr" ] || fail "no peak memory line"
echo "peak memory, 20,000 -> 200,000 instructions: reading process $sr -> $lr MiB, worker $sw -> $lw MiB"
awk -v a="$sr" -v b="$lr" -v c="$sw" -v d="$lw" 'BEGIN { exit !(b <= 1.2 * a && d <= 1.2 * c) }' \
  || fail "peak memory grew by more than 20% with 10x the instructions"
echo "train_stream: all checks passed"
