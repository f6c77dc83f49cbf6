#!/usr/bin/env bash
# SIGTERM or SIGINT to pv-launch stops the whole pipeline: no stage is left
# running, the socket files and temporary folder are removed, no partial
# output remains, and pv-launch dies of the same signal. Killed with SIGKILL,
# pv-launch still leaves no stage behind (they get PR_SET_PDEATHSIG) nor a
# partial output, and the next pv-launch removes its socket folder. A stage
# interrupted alone removes its partial output file.
# The stages wait on named pipes nobody writes, so they run until stopped.
set -uo pipefail
set -m   # background jobs of a script would otherwise ignore SIGINT
OUT=$1
tmp=$(mktemp -d)
stages=""
trap 'kill -KILL $stages 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; cat "$tmp/err" 2>/dev/null; exit 1; }
mkdir "$tmp/live" "$tmp/tmpdir"
mkfifo "$tmp/live/trace.txt" "$tmp/live/trace.sq.txt"

# Starts the live pipeline in the background and waits for its three stages.
start() {
  # --default-signal: a test run in the background of a non-interactive
  # shell inherits SIGINT ignored (and one run under nohup SIGHUP), and
  # pv-launch and the stages keep an ignored signal ignored, as a shell does.
  TMPDIR="$tmp/tmpdir" env --default-signal=INT,TERM,HUP "$OUT/pv-launch" pipelines/live-gem5.toml trace="$tmp/live/trace.txt" \
    out="$tmp/out.pvs.zst" --no-progress --grace 1 2>"$tmp/err" &
  launcher=$!
  for _ in $(seq 100); do
    stages=$(pgrep -P $launcher | tr '\n' ' ')
    # Running, and the last stage has opened its output (the header went through).
    [ "$(wc -w <<<"$stages")" -ge 3 ] && [ -e "$tmp/out.pvs.zst" ] && return 0
    sleep 0.1
  done
  fail "the stages did not start"
}

gone() {  # the stages end within 3 s
  for _ in $(seq 30); do
    alive=""
    for pid in $stages; do kill -0 $pid 2>/dev/null && alive="$alive $pid"; done
    [ -z "$alive" ] && return 0
    sleep 0.1
  done
  ps -o pid,args -p $alive
  return 1
}

for sig in TERM INT; do
  start
  kill -$sig $launcher
  wait $launcher; rc=$?
  want=$((128 + $(kill -l $sig)))
  [ $rc -eq $want ] || fail "SIG$sig: exit status $rc, expected $want"
  gone || fail "SIG$sig: stages left running"
  [ -z "$(ls -A "$tmp/tmpdir")" ] || fail "SIG$sig: temporary files left: $(ls -A "$tmp/tmpdir")"
  [ ! -e "$tmp/out.pvs.zst" ] || fail "SIG$sig: partial output left"
  grep -q "^pv-launch: interrupted by SIG$sig$" "$tmp/err" || fail "SIG$sig: no message"
  echo "SIG$sig: pipeline stopped, nothing left behind"
done

start
kill -KILL $launcher
wait $launcher 2>/dev/null
gone || fail "SIGKILL: stages left running"
# The stages got SIGTERM (PR_SET_PDEATHSIG): the last one removed its partial output.
[ ! -e "$tmp/out.pvs.zst" ] || fail "SIGKILL: partial output left"
stale=$(ls -A "$tmp/tmpdir")
[ -n "$stale" ] || fail "SIGKILL: expected the dead launcher's folder to be left"
# The next pv-launch in the same TMPDIR removes the folder of the one that is gone.
"$OUT/pv-synth-gem5" --instructions 2000 --seed 5 --out-dir "$tmp/small" >/dev/null
TMPDIR="$tmp/tmpdir" "$OUT/pv-launch" pipelines/gem5-features.toml trace="$tmp/small/trace.txt" \
  out="$tmp/small.pvs" --no-progress 2>"$tmp/err" || fail "the next pv-launch failed"
grep -q "^pv-launch: removed $tmp/tmpdir/$stale (its pv-launch is gone)$" "$tmp/err" || fail "SIGKILL: no note of the stale folder"
[ -z "$(ls -A "$tmp/tmpdir")" ] || fail "SIGKILL: stale folder not removed: $(ls -A "$tmp/tmpdir")"
echo "SIGKILL: no stage left running, no partial output; the next pv-launch removed the stale folder"

# A stage interrupted on its own (a shell pipeline's ^C, kill) removes the
# partial file it was writing and dies of the signal.
mkfifo "$tmp/live/alone.txt"
for sig in TERM INT HUP; do
  env --default-signal=INT,TERM,HUP "$OUT/pv-trace-tap" "$tmp/live/alone.txt" --no-progress -o "$tmp/alone.pvs" 2>"$tmp/err" &
  tap=$!
  for _ in $(seq 100); do [ -e "$tmp/alone.pvs" ] && break; sleep 0.05; done
  [ -e "$tmp/alone.pvs" ] || fail "pv-trace-tap did not open its output"
  kill -$sig $tap
  wait $tap; rc=$?
  [ $rc -eq $((128 + $(kill -l $sig))) ] || fail "pv-trace-tap SIG$sig: exit status $rc"
  [ ! -e "$tmp/alone.pvs" ] || fail "pv-trace-tap SIG$sig: partial output left"
done
echo "a stage alone: SIGTERM/SIGINT/SIGHUP remove its partial output"
