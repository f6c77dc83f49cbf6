#!/usr/bin/env bash
# pv-launch with stages on hosts (launcher/hosts.h), under a Slurm cluster
# of one node, this machine (tests/lib/slurm_cluster.sh; node `localhost`):
# gem5-rp.toml's six stages, three of them given `host = "localhost"` and
# two of those their own loopback address (127.0.0.2, 127.0.0.3; the others
# bind on 127.0.0.1), links over tcp with CURVE keys from pv-launch --keygen.
# - --dry-run prints the script: the hosted stages through srun, every
#   link to its consumer's address, the [security] options;
# - inside an allocation (salloc) the hosted stages run as srun steps and
#   the R_p file is the local pipeline's, byte for byte;
# - --remote print prints each hosted stage's command, runs the local ones
#   and waits: the printed commands, started by the test, complete the same
#   R_p bytes;
# - a hosted stage that fails stops the pipeline (exit 1): the report names
#   it and its host, the hosted stage still running is stopped through
#   srun; SIGINT to pv-launch stops the hosted stages too (130); after each
#   run no step is left in squeue and no stage process on the machine.
set -uo pipefail
set -m   # background jobs of a script would otherwise ignore SIGINT
OUT=$(cd "$1" && pwd)
fail() { echo "FAIL: $*" >&2; [ -f "${w:-/nonexistent}/err" ] && cat "$w/err" >&2; exit 1; }

source "$(dirname "$0")/../lib/slurm_cluster.sh"
pids=()   # background processes of the test, killed on the way out
trap 'kill -9 "${pids[@]}" 2>/dev/null; stop_cluster' EXIT
w=$tmp/w   # what the stages name: no process of the cluster's has it in its command line
mkdir -p "$w/keys" "$w/bad"
model=$PWD/examples/foundation/foundation.pvm
"$OUT/pv-synth-gem5" -n 3000 --seed 5 --out-dir "$w/run" > /dev/null || fail "synthetic trace"
head -c 300 "$w/run/trace.txt" > "$w/bad/trace.txt"   # cut inside line 3
cp "$w/run/trace.sq.txt" "$w/bad/"
"$OUT/pv-launch" --keygen "$w/keys/pipeline" -q || fail "--keygen"

cat > "$w/hosts.toml" <<'EOF'
# gem5-rp.toml's stages, three of them on {remote}.
[pipeline]
name = "hosts-rp"

[params]
trace = { help = "gem5 trace.txt" }
model = { help = "model file (.pvm)" }
out = { default = "program.rp.pvs" }
remote = { default = "localhost", help = "the Slurm node of the hosted stages" }
addr_a = "127.0.0.2"
addr_b = "127.0.0.3"
keys = { help = "the folder of pipeline.key" }

[security]
curve_secret = "{keys}/pipeline.key"

[[stage]]
name = "tap"
run = "pv-trace-tap"
args = ["{trace}"]
host = "{remote}"

[[stage]]
name = "feature"
run = "pv-feature"

[[stage]]
name = "reuse"
run = "pv-reuse-distance"
host = "{remote}"
address = "{addr_a}"

[[stage]]
name = "window"
run = "pv-window"
args = ["-m", "{model}"]

[[stage]]
name = "encode"
run = "pv-encode"
args = ["-m", "{model}", "-t", "1"]
host = "{remote}"
address = "{addr_b}"

[[stage]]
name = "aggregate"
run = "pv-aggregate"
args = ["-o", "{out}"]
EOF
hosted=("$OUT/pv-launch" "$w/hosts.toml" model="$model" keys="$w/keys" --no-progress)

# Nothing of a run is left: no step of the cluster, no stage process.
nothing_left() {  # WHAT
  local steps procs
  steps=$(squeue -h -s -o '%i %j' | grep -v ' extern$')
  procs=$(pgrep -af -- "$w/" || true)
  [ -z "$steps" ] && [ -z "$procs" ] || fail "$1: left running: steps [$steps], processes [$procs]"
}

# --- the local pipeline ---
SECONDS=0
"$OUT/pv-launch" pipelines/gem5-rp.toml trace="$w/run/trace.txt" model="$model" out="$w/local.rp" \
  encode_options="-t 1" --no-progress 2> "$w/err" || fail "the local pipeline"
echo "local pipeline: $SECONDS s"

# --- dry run: the script with srun ---
"${hosted[@]}" trace="$w/run/trace.txt" out="$w/x.rp" --remote srun --base-port 7000 --dry-run > "$w/dry.sh" 2> "$w/err" \
  || fail "--dry-run"
srun_words="srun --nodes=1 --ntasks=1 --nodelist=localhost --overlap --disable-status --quiet"
curve="--curve-secret $w/keys/pipeline.key"
for line in \
  "$srun_words --job-name=hosts-rp.tap --unbuffered -- $OUT/pv-trace-tap -o tcp://127.0.0.1:7000 $curve $w/run/trace.txt &" \
  "pv-feature tcp://127.0.0.1:7000 -o tcp://127.0.0.2:7001 $curve &" \
  "$srun_words --job-name=hosts-rp.reuse --unbuffered -- $OUT/pv-reuse-distance tcp://127.0.0.2:7001 -o tcp://127.0.0.1:7002 $curve &" \
  "pv-window tcp://127.0.0.1:7002 -o tcp://127.0.0.3:7003 $curve -m $model &" \
  "pv-aggregate tcp://127.0.0.1:7004 $curve -o $w/x.rp &" wait; do
  grep -qxF -- "$line" "$w/dry.sh" || { cat "$w/dry.sh"; fail "--dry-run: no line '$line'"; }
done
bash -n "$w/dry.sh" || fail "--dry-run: not a shell script"

# --- placements refused before anything starts (exit 2, at the file's line) ---
grep -v -e '^\[security\]' -e '^curve_secret' "$w/hosts.toml" > "$w/nokeys.toml"
rc=0; "$OUT/pv-launch" "$w/nokeys.toml" model="$model" keys=. trace=t addr_a=192.0.2.1 --dry-run > /dev/null 2> "$w/err" || rc=$?
[ $rc = 2 ] && grep -qx "pv-launch: $w/nokeys.toml:28:8: stage 'reuse' binds on 192.0.2.1 (host 'localhost'), not a loopback address, and tcp there needs CURVE keys: add a \[security\] table with curve_secret (pv-launch --keygen NAME; pipelines/README.md, Security)" "$w/err" \
  || fail "a non-loopback address without [security]: exit $rc"
rc=0; "${hosted[@]}" trace=t --transport pipe 2> "$w/err" || rc=$?
[ $rc = 2 ] && grep -qx "pv-launch: $w/hosts.toml:21:8: stage 'tap' runs on host 'localhost', and only tcp links join stages on several hosts: --transport pipe cannot run this pipeline" "$w/err" \
  || fail "--transport pipe with hosts: exit $rc"
echo "placements that cannot work: refused at their line"

# --- inside an allocation: the hosted stages as srun steps ---
SECONDS=0
timeout 120 salloc -N1 --quiet "${hosted[@]}" trace="$w/run/trace.txt" out="$w/hosted.rp" -v 2> "$w/err" || fail "the hosted pipeline"
echo "hosted pipeline (salloc, srun): $SECONDS s"
for stage in tap reuse encode; do
  grep -q "^pv-launch: starting $stage: .*/srun .*--nodelist=localhost .*--job-name=hosts-rp.$stage .* -- $OUT/pv-" "$w/err" \
    || fail "stage $stage was not started with srun"
done
# Three loopback addresses, each link to its consumer's, over CURVE.
grep -q "^pv-launch: starting reuse: .* tcp://127.0.0.2:[0-9]* -o tcp://127.0.0.1:[0-9]* .*$curve" "$w/err" || fail "reuse's links"
grep -q "^pv-launch: starting encode: .* tcp://127.0.0.3:[0-9]* -o tcp://127.0.0.1:[0-9]* .*$curve" "$w/err" || fail "encode's links"
cmp "$w/local.rp" "$w/hosted.rp" || fail "the hosted pipeline's R_p differs from the local one's"
nothing_left "the hosted pipeline"
echo "hosted pipeline: the local R_p, byte for byte"

# An allocation for the rest (the printed commands' steps, and pv-launch
# with SLURM_JOB_ID set, its exit status its own rather than salloc's).
job=$(salloc --no-shell -N1 2>&1 | sed -n 's/^salloc: Granted job allocation \([0-9]*\)$/\1/p')
[ -n "$job" ] || fail "salloc --no-shell gave no job"

# --- --remote print: the user starts the hosted stages ---
SECONDS=0
timeout 120 "${hosted[@]}" trace="$w/run/trace.txt" out="$w/printed.rp" --remote print 2> "$w/err" &
launcher=$!
pids+=($launcher)
for _ in $(seq 300); do
  [ "$(grep -c "^pv-launch: on localhost, stage '" "$w/err")" = 3 ] && break
  kill -0 $launcher 2>/dev/null || break
  sleep 0.1
done
grep -q "^pv-launch: start these commands on their hosts (the stages of this machine run now):" "$w/err" || fail "--remote print: no header"
started=()
while IFS= read -r cmd; do
  # As steps of the allocation, as a user of the cluster might start them.
  SLURM_JOB_ID=$job timeout 120 srun --nodes=1 --ntasks=1 --nodelist=localhost --overlap --quiet bash -c "$cmd" &
  started+=($!)
  pids+=($!)
done < <(sed -n "s/^pv-launch: on localhost, stage '[a-z]*': //p" "$w/err")
[ ${#started[@]} = 3 ] || fail "--remote print: ${#started[@]} commands printed, not 3"
for pid in "${started[@]}"; do wait $pid || fail "--remote print: a printed command failed"; done
wait $launcher || fail "--remote print: the local stages failed"
cmp "$w/local.rp" "$w/printed.rp" || fail "--remote print: another R_p than the local pipeline's"
nothing_left "--remote print"
echo "--remote print: the printed commands and the local stages make the local R_p ($SECONDS s)"

# --- a hosted stage fails ---
rc=0
SLURM_JOB_ID=$job timeout 120 "${hosted[@]}" trace="$w/bad/trace.txt" out="$w/bad.rp" --grace 0.5 2> "$w/err" || rc=$?
[ $rc = 1 ] || fail "a failing hosted stage: exit status $rc, not 1"
grep -qx "pv-launch: pipeline hosts-rp failed: stage 'tap' (pv-trace-tap on localhost) exit status 1" "$w/err" \
  || fail "the report does not name stage tap and its host"
grep -qx "pv-launch:   pv-trace-tap: $w/bad/trace.txt:line 3: truncated last line (no final newline)" "$w/err" \
  || fail "the report lacks the hosted stage's message"
grep -q "^\[tap\] pv-trace-tap: $w/bad/trace.txt:line 3: " "$w/err" || fail "the hosted stage's stderr was not forwarded"
[ ! -e "$w/bad.rp" ] || fail "a partial R_p was left"
nothing_left "a failing hosted stage"
echo "a failing hosted stage: named with its host, exit 1, nothing left running"

# --- SIGINT to pv-launch stops the hosted stages ---
# Named pipes nobody writes: the stages wait until stopped.
mkdir "$w/live"
mkfifo "$w/live/trace.txt" "$w/live/trace.sq.txt"
SLURM_JOB_ID=$job timeout 120 env --default-signal=INT,TERM,HUP "${hosted[@]}" trace="$w/live/trace.txt" out="$w/live.rp" \
  --grace 1 2> "$w/err" &
launcher=$!
pids+=($launcher)
for _ in $(seq 300); do
  [ "$(squeue -h -s -j "$job" -o %j | grep -c '^hosts-rp\.')" = 3 ] && break
  sleep 0.1
done
[ "$(squeue -h -s -j "$job" -o %j | grep -c '^hosts-rp\.')" = 3 ] || fail "SIGINT: the three steps did not start"
kill -INT $launcher
rc=0; wait $launcher || rc=$?
[ $rc = 130 ] || fail "SIGINT: exit status $rc, not 130"
grep -qx "pv-launch: interrupted by SIGINT" "$w/err" || fail "SIGINT: no message"
scancel "$job"
for _ in $(seq 100); do [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break; sleep 0.1; done
nothing_left "SIGINT"
echo "SIGINT: the hosted stages stopped with the pipeline, nothing left running"
