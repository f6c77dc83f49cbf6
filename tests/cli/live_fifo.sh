#!/usr/bin/env bash
# pv-trace-tap keeps up with a live gem5 writing named pipes. The writer here
# is adversarial: it writes the whole trace.txt before any store-queue record
# (gem5 writes a store's record only after later instructions), so a tap that
# waited on trace.sq.txt without draining trace.txt would deadlock with it.
set -euo pipefail
OUT=$1
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$OUT/pv-synth-gem5" --instructions 50000 --seed 7 --out-dir "$tmp/synth"
[ -s "$tmp/synth/trace.sq.txt" ] || { echo "synthetic trace has no store-queue records"; exit 1; }
mkdir "$tmp/live"
mkfifo "$tmp/live/trace.txt" "$tmp/live/trace.sq.txt"
( cat "$tmp/synth/trace.txt" > "$tmp/live/trace.txt"; cat "$tmp/synth/trace.sq.txt" > "$tmp/live/trace.sq.txt" ) &
timeout 60 "$OUT/pv-trace-tap" "$tmp/live/trace.txt" | "$OUT/pv-cat" > "$tmp/live.txt"
"$OUT/pv-trace-tap" "$tmp/synth/trace.txt" | "$OUT/pv-cat" > "$tmp/file.txt"
wait
cmp "$tmp/live.txt" "$tmp/file.txt"
echo "live named pipes: $(wc -l < "$tmp/live.txt") instructions, same as from files"
