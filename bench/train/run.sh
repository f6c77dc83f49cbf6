#!/usr/bin/env bash
# pv-train throughput and memory, in one run so the ratios are fair.
#
# Throughput: training instructions per second (all workers; pv-train's own
# figure, measured by rank 0 from the first batch it gets, so neither the
# statistics pass over the files nor the shuffle buffer's first fill is in
# it; the default 200 steps are 5.6 passes over the data, the buffer's
# first fill 6% of it), for the foundation model's shape (LSTM
# 1 x 64, W 32, K 96, 128 chunks per step) and for LSTM 2 x 256, with 1 and
# 2 local workers (-t 1 each), on two kernels of the suite labelled by
# pv-dataset on 64 sampled configurations x 6 targets.
#
# Memory: pv-train's peak resident memory (reading process and worker)
# when a live stream of N and of 10 N instructions goes through the same
# shuffle buffer.
#   bench/train/run.sh [OUT] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=$(cd "${1:-out}" && pwd)
STEPS=${2:-200}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$OUT/pv-dataset" -o "$tmp/ds" --sample 64 --seed 11 -w matmul,qsort --scale 0.02 --bin "$OUT" --no-progress -q
targets=commit,fetch,l1_load,l2_load,mem_load,mispredict
rate() {  # NAME STEPS ARGS...: prints and returns pv-train's samples/s
  local name=$1 steps=$2; shift 2
  "$OUT/pv-train" --dataset "$tmp/ds" --split all --targets "$targets" -W 32 -K 96 --batch 128 --max-steps "$steps" \
    --no-checkpoint --no-progress -t 1 -o "$tmp/m.pvm" "$@" 2> "$tmp/log"
  grep -o '[0-9]* samples/s' "$tmp/log" | tail -1 | cut -d' ' -f1
}
for shape in "1x64:--hidden 64 --layers 1:$STEPS" "2x256:--hidden 256 --layers 2:$((STEPS / 5))"; do
  IFS=: read -r name args steps <<<"$shape"
  for j in 1 2; do
    # shellcheck disable=SC2086
    r=$(rate "$name" "$steps" $args -j "$j")
    echo "pv-train: LSTM $name, $j worker(s): $r training instructions/s ($steps steps of 128 x 96, 64 uarchs x 6 targets)"
  done
done
echo "pv-train: nproc $(nproc)"

peak() {  # INSTRUCTIONS: "READER WORKER" peak MiB
  "$OUT/pv-synth-gem5" -n "$1" --seed 5 --out-dir "$tmp/trace$1" >/dev/null
  "$OUT/pv-trace-tap" --labels "$tmp/trace$1/trace.txt" | "$OUT/pv-feature" | "$OUT/pv-reuse-distance" \
    | "$OUT/pv-train" - --hidden 8 --layers 1 -W 8 -K 32 -b 8 --shuffle-buffer 32 --no-checkpoint --no-progress \
        -t 1 -o "$tmp/mem.pvm" 2> "$tmp/mem.log"
  sed -n 's/^pv-train: peak memory: reading process \([0-9.]*\) MiB, worker \([0-9.]*\) MiB$/\1 \2/p' "$tmp/mem.log"
}
read -r sr sw <<<"$(peak 50000)"
read -r lr lw <<<"$(peak 500000)"
echo "pv-train: peak memory, 50,000 -> 500,000 instructions through a 32-chunk shuffle buffer:" \
     "reading process $sr -> $lr MiB, worker $sw -> $lw MiB"
awk -v a="$sr" -v b="$lr" -v c="$sw" -v d="$lw" \
  'BEGIN { printf "pv-train: peak memory ratio (10x instructions): reading process %.3f, worker %.3f\n", b / a, d / c }'
