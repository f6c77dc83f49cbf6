#!/usr/bin/env bash
# Ground truth without gem5, end to end on a real program: what tracing it
# under Valgrind costs (native vs valgrind --tool=none vs the pvtap tool
# alone vs pv-trace-tap --valgrind vs the feature chain: instructions/s and
# slowdown), then pv-uarch instructions/s per configuration on its
# instruction stream with 1 and 16 sampled configurations, on 1 and 2
# threads, with the -j 2 / -j 1 speed-up measured in the same run.
#   bench/tap/run.sh [OUT] [SKIP] [COUNT]
# pv-uarch reads COUNT instructions (default 1 M) of the program after the
# first SKIP (default 20 M, past xz's start-up), traced once into a file.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-out}
SKIP=${2:-20000000}
COUNT=${3:-1000000}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
TIMEFORMAT='%R %U %S'

# The program: xz -3 on the first 128 KiB of the Valgrind tool binaries
# (present wherever the tap works), about 61 M instructions.
cat /usr/libexec/valgrind/*-amd64-linux > "$tmp/all"
dd if="$tmp/all" of="$tmp/input" bs=1K count=128 status=none
rm "$tmp/all"
program=(xz -3 -T1 -c "$tmp/input")

echo "-- tracing a native program (stages/trace-tap/valgrind/measure_slowdown.sh)"
stages/trace-tap/valgrind/measure_slowdown.sh "$OUT" "${program[@]}"

echo "-- pv-uarch on the same program's instruction stream"
"$OUT/pv-trace-tap" --valgrind --guest-stdout /dev/null --skip "$SKIP" --count "$COUNT" \
  -o "$tmp/insts.pvs" -- "${program[@]}" 2> "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
records=$(sed -n 's/.*instructions traced ([0-9]* skipped), \([0-9]*\) records.*/\1/p' "$tmp/err")
echo "input: xz -3, $COUNT instructions after the first $SKIP: $records records (micro-ops), read from a file"
"$OUT/pv-uarch" sample --seed 1 --count 16 --out "$tmp/cfg" > /dev/null
declare -A secs
for k in 1 16; do
  configs=()
  for f in $(ls "$tmp"/cfg/*.toml | head -n "$k"); do configs+=(-c "$f"); done
  for j in 1 2; do
    { time "$OUT/pv-uarch" "$tmp/insts.pvs" "${configs[@]}" -j "$j" -o /dev/null --no-progress \
        2> "$tmp/err"; } 2> "$tmp/time" || { cat "$tmp/err" >&2; exit 1; }
    read -r w u sy < "$tmp/time"
    secs[$k,$j]=$w
    printf 'pv-uarch %2d configuration(s), -j %d: %6.2f s (CPU %6.2f s), %5.2f M records/s through the stage, %5.2f M record-configurations/s\n' \
      "$k" "$j" "$w" "$(echo "$u + $sy" | bc)" "$(echo "$records / $w / 1000000" | bc -l)" \
      "$(echo "$records * $k / $w / 1000000" | bc -l)"
  done
  printf 'pv-uarch %2d configuration(s): -j 2 runs %.2f x as fast as -j 1\n' "$k" \
    "$(echo "${secs[$k,1]} / ${secs[$k,2]}" | bc -l)"
done
