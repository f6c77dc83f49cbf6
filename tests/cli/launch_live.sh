#!/usr/bin/env bash
# pipelines/live-gem5.toml reads a gem5 run through named pipes, written
# while the pipeline runs, and gives the feature rows that gem5-features.toml
# gives from the same trace in files (the headers differ: they name the input).
set -euo pipefail
OUT=$1
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$OUT/pv-synth-gem5" --instructions 20000 --seed 11 --out-dir "$tmp/synth"
mkdir "$tmp/live"
mkfifo "$tmp/live/trace.txt" "$tmp/live/trace.sq.txt"
# An adversarial writer: the whole trace.txt before any store-queue record.
( cat "$tmp/synth/trace.txt" > "$tmp/live/trace.txt"; cat "$tmp/synth/trace.sq.txt" > "$tmp/live/trace.sq.txt" ) &
timeout 60 "$OUT/pv-launch" pipelines/live-gem5.toml trace="$tmp/live/trace.txt" out="$tmp/live.pvs" --no-progress
wait
"$OUT/pv-launch" pipelines/gem5-features.toml trace="$tmp/synth/trace.txt" out="$tmp/file.pvs" --no-progress
"$OUT/pv-cat" "$tmp/live.pvs" > "$tmp/live.txt"
"$OUT/pv-cat" "$tmp/file.pvs" > "$tmp/file.txt"
[ "$(wc -l < "$tmp/file.txt")" -eq 20000 ]
cmp "$tmp/live.txt" "$tmp/file.txt"
echo "live named pipes through pv-launch: $(wc -l < "$tmp/live.txt") feature rows, same as from files"
