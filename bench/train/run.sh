#!/usr/bin/env bash
# pv-train throughput (training instructions per second, all workers) with 1
# and 2 local workers on the same data, in one run so the ratio is fair:
# pv-dataset labels two kernels of the suite on 8 sampled configurations,
# then pv-train runs a fixed number of steps of the foundation model's shape
# (LSTM 1 x 64, W 32, K 96, 128 chunks per step, 6 targets).
#   bench/train/run.sh [OUT] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=$(cd "${1:-out}" && pwd)
STEPS=${2:-40}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$OUT/pv-dataset" -o "$tmp/ds" --sample 8 --seed 11 -w matmul,qsort --scale 0.02 --bin "$OUT" --no-progress -q
shape=(--targets commit,fetch,l1_load,l2_load,mem_load,mispredict --hidden 64 --layers 1 -W 32 -K 96 --batch 128
       --max-steps "$STEPS" --no-checkpoint --no-progress)
for j in 1 2; do
  "$OUT/pv-train" --dataset "$tmp/ds" --split all "${shape[@]}" -j "$j" -t 1 -o "$tmp/m$j.pvm" 2> "$tmp/log$j"
  rate=$(grep -o '[0-9]* samples/s' "$tmp/log$j" | tail -1 | cut -d' ' -f1)
  echo "pv-train: $j worker(s): $rate training instructions/s ($STEPS steps of 128 x 96, 8 uarchs x 6 targets)"
  eval "rate$j=$rate"
done
awk -v a="$rate1" -v b="$rate2" 'BEGIN { printf "pv-train: 2 workers / 1 worker = %.2fx (nproc %d)\n", b / a, '"$(nproc)"' }'
