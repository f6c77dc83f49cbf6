#!/usr/bin/env bash
# Fault injection on real pipelines (pv-launch, a small untrained model,
# synthetic gem5 traces): every fault ends in a clear error naming the
# stage or input and a non-zero exit status (pv-launch: 1 failed, 3
# crashed, 4 hung, 5 out of memory), never in a printed prediction or a
# complete R_p, and leaves no process, socket file or partial output.
#   - kill -9 of each stage of gem5-predict in turn, mid-stream
#   - a hung stage (SIGSTOP), a source that never delivers, a reader whose
#     producer ended without end-of-stream (the ZeroMQ wait-forever case)
#   - a stage that runs out of memory (memory_limit)
#   - a truncated trace, a truncated feature file, a corrupted zstd frame,
#     a changed value and a wrong end-of-stream checksum, a truncated
#     representation stream into pv-aggregate, a damaged R_p into pv-dot-predict
#   - SIGTERM to pv-launch mid-stream
#   - resume: kill -9 of random stages at random times with checkpoints,
#     resumed until done, gives the uninterrupted run's R_p bytes (trace
#     and feature-file sources); a checkpoint of another run is refused
set -uo pipefail
OUT=$1
tmp=$(mktemp -d)
launcher=""
cleanup() {  # the stages end with pv-launch (PR_SET_PDEATHSIG)
  [ -n "$launcher" ] && kill -KILL "$launcher" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- stderr:"; tail -30 "$tmp/err" 2>/dev/null; exit 1; }
mkdir "$tmp/tmpdir"
RANDOM=${PV_FAULTS_SEED:-$$}
echo "seed $RANDOM"

"$OUT/pv-model" init -o "$tmp/m.pvm" --hidden 16 --layers 1 --window 8 --chunk 32 --uarchs 2 --seed 3 \
  >/dev/null || fail "pv-model init"
"$OUT/pv-synth-gem5" -n 120000 --seed 11 --out-dir "$tmp/long" || fail "pv-synth-gem5"
"$OUT/pv-synth-gem5" -n 120000 --seed 12 --out-dir "$tmp/other" || fail "pv-synth-gem5"

# launch ARGS...: pv-launch in the background (stdout, stderr to files).
launch() {
  TMPDIR="$tmp/tmpdir" "$OUT/pv-launch" "$@" --no-progress --grace 0.5 >"$tmp/stdout" 2>"$tmp/err" &
  launcher=$!
}
# finish: waits for pv-launch; sets rc.
finish() {
  wait "$launcher"
  rc=$?
  launcher=""
}
# stage_pid EXE: the pid of pv-launch's child running EXE, waiting for it.
stage_pid() {
  local pid
  for _ in $(seq 200); do
    pid=$(pgrep -P "$launcher" -f "^$1( |$)" | sed -n 1p)
    [ -n "$pid" ] && { echo "$pid"; return 0; }
    kill -0 "$launcher" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
# Nothing left: no process of this test, no socket file or folder.
clean() {
  for _ in $(seq 30); do
    pgrep -f "$tmp/" >/dev/null || break
    sleep 0.1
  done
  ! pgrep -af "$tmp/" || fail "$1: processes left behind"
  [ -z "$(ls -A "$tmp/tmpdir")" ] || fail "$1: left in TMPDIR: $(ls -A "$tmp/tmpdir")"
}
expect_rc() {  # WANT WHAT
  [ "$rc" -eq "$1" ] || fail "$2: exit status $rc, expected $1"
}
no_prediction() {
  [ ! -s "$tmp/stdout" ] || fail "$1: a prediction was printed: $(head -3 "$tmp/stdout")"
}
predict=(pipelines/gem5-predict.toml model="$tmp/m.pvm" trace="$tmp/long/trace.txt")

# The uninterrupted prediction exists (so that "no prediction" below means something).
launch "${predict[@]}"
finish
expect_rc 0 "uninterrupted gem5-predict"
grep -q "^uarch-1 " "$tmp/stdout" || fail "uninterrupted gem5-predict printed no prediction"
echo "uninterrupted prediction printed"

# ---------------------------------------------------------------- kill -9
# Mid-stream for certain: the trace comes through a named pipe that gets its
# first half and is then held open, so no stage can have reached the end of
# its stream when one is killed (a whole trace file can be read, and even
# encoded, before a kill at a fixed delay lands).
mkdir "$tmp/half"
mkfifo "$tmp/half/trace.txt"
cp "$tmp/long/trace.sq.txt" "$tmp/half/"
half=$(( $(wc -l <"$tmp/long/trace.txt") / 2 ))
# launch_half: gem5-predict on the half-fed pipe (feeder: the writer).
launch_half() {
  launch pipelines/gem5-predict.toml model="$tmp/m.pvm" trace="$tmp/half/trace.txt"
  ( head -n "$half" "$tmp/long/trace.txt"; exec sleep 300 ) >"$tmp/half/trace.txt" &
  feeder=$!
}
end_feeder() { kill "$feeder" 2>/dev/null; wait "$feeder" 2>/dev/null; }
for exe in pv-trace-tap pv-feature pv-reuse-distance pv-window pv-encode pv-aggregate pv-dot-predict; do
  launch_half
  pid=$(stage_pid "$exe") || fail "$exe did not start"
  sleep "0.$((RANDOM % 5 + 3))"
  kill -0 "$launcher" 2>/dev/null || fail "$exe: the pipeline ended before the kill"
  kill -KILL "$pid"
  finish
  end_feeder
  expect_rc 3 "kill -9 $exe"
  grep -q "^pv-launch: pipeline gem5-predict failed: stage '[a-z]*' ($exe) crashed: killed by SIGKILL$" "$tmp/err" \
    || fail "kill -9 $exe: the report does not name it"
  no_prediction "kill -9 $exe"
  clean "kill -9 $exe"
  echo "kill -9 $exe: exit 3, reported, no prediction"
done

# ---------------------------------------------------------------- hangs
# A stopped stage: the others fill their buffers and wait; nothing progresses.
launch "${predict[@]}" --stall-timeout 2
pid=$(stage_pid pv-encode) || fail "pv-encode did not start"
sleep 0.5
kill -STOP "$pid"
finish
expect_rc 4 "SIGSTOP pv-encode"
grep -q "^pv-launch: pipeline gem5-predict failed: stage 'encode' (pv-encode) hung: no stage made progress for 2 s and its process is stopped" "$tmp/err" \
  || fail "SIGSTOP: the report does not name the stopped stage"
no_prediction "SIGSTOP"
clean "SIGSTOP"
echo "stopped pv-encode: exit 4, reported as hung"

# A source that never delivers: a named pipe nobody writes.
mkdir "$tmp/live"
mkfifo "$tmp/live/trace.txt" "$tmp/live/trace.sq.txt"
launch pipelines/live-gem5.toml trace="$tmp/live/trace.txt" out="$tmp/live.pvs" --stall-timeout 1.5
finish
expect_rc 4 "silent source"
grep -q "^pv-launch: pipeline live-gem5 failed: stage 'tap' (pv-trace-tap) hung: no stage made progress for 1.5 s" "$tmp/err" \
  || fail "silent source: the report does not name the tap"
[ ! -e "$tmp/live.pvs" ] || fail "silent source: output left"
clean "silent source"
echo "silent source: exit 4, reported as hung"

# A producer that ends without sending anything: its reader waits forever
# on its ZeroMQ socket (the hang once seen with pv-uarch) until the stall.
cat >"$tmp/quiet.toml" <<'TOML'
[pipeline]
name = "quiet"
[[stage]]
name = "src"
run = "/bin/true"
[[stage]]
name = "feature"
run = "pv-feature"
TOML
launch "$tmp/quiet.toml" --stall-timeout 1
finish
expect_rc 4 "reader of a finished producer"
grep -q "^pv-launch: pipeline quiet failed: stage 'feature' (pv-feature) hung: .*it waits for input, but stage 'src' before it has ended (exit status 0)" "$tmp/err" \
  || fail "reader of a finished producer: wrong report"
clean "reader of a finished producer"
echo "reader waiting on a finished producer: exit 4, reported"

# Stage scripts for the stall verdict. pv-launch runs each once with --help
# first (to learn its flags): that run must end.
# burn-then-wait: about a second of busy start-up in its own process (like
# loading LibTorch, or ASan's start-up), then silence. spin: a busy loop for
# ever.
cat >"$tmp/burn-then-wait.sh" <<'SH'
#!/bin/sh
[ "$1" = --help ] && exit 0
i=0
while [ $i -lt 800000 ]; do i=$((i + 1)); done
exec sleep 300
SH
cat >"$tmp/spin.sh" <<'SH'
#!/bin/sh
[ "$1" = --help ] && exit 0
while :; do :; done
SH
chmod +x "$tmp/burn-then-wait.sh" "$tmp/spin.sh"
# stall_pipeline NAME SECOND_STAGE: a silent source, then SECOND_STAGE.
stall_pipeline() {
  cat >"$tmp/$1.toml" <<TOML
[pipeline]
name = "$1"
[[stage]]
name = "src"
run = "/bin/sleep"
args = ["300"]
[[stage]]
name = "second"
run = "$2"
TOML
}

# Start-up CPU is not a busy loop: the silent source is blamed, not the
# stage that burnt CPU before it began to wait (CI once blamed pv-feature
# for its 0.2 s of ASan start-up in the silent-source case above).
stall_pipeline startup "$tmp/burn-then-wait.sh"
launch "$tmp/startup.toml" --transport pipe --stall-timeout 5
finish
expect_rc 4 "busy start-up"
grep -q "^pv-launch: pipeline startup failed: stage 'src' (/bin/sleep) hung: no stage made progress for 5 s and it is the first stage still running" "$tmp/err" \
  || fail "busy start-up: the report blames the wrong stage"
clean "busy start-up"
echo "busy start-up, then a wait: the silent source is blamed"

# A busy loop is blamed for the CPU it uses while nothing progresses.
stall_pipeline spin "$tmp/spin.sh"
launch "$tmp/spin.toml" --transport pipe --stall-timeout 2
finish
expect_rc 4 "busy loop"
grep -q "^pv-launch: pipeline spin failed: stage 'second' ([^)]*/spin.sh) hung: no stage made progress for 2 s and it is running and used [0-9.]* s of CPU in the last [0-9.]* s without reporting progress" "$tmp/err" \
  || fail "busy loop: the report does not blame the spinning stage"
clean "busy loop"
echo "busy loop: exit 4, the spinning stage is blamed"

# ---------------------------------------------------------------- memory
# pv-window with chunks of 262144 rows holds the whole trace (~25 MB of
# features) plus its output batch: more than a 64M data limit allows.
# pv-encode under a limit too tight for OpenBLAS's work buffers (128 MiB a
# thread, 4 threads here: more than 400M leaves beside LibTorch) says so at
# start: OpenBLAS itself would retry its failed mmap forever (a hang).
# RLIMIT_DATA counts every private writable mapping, ASan's shadow memory
# reservation included, so no ASan binary can start under such a limit: the
# sanitizer run of the suite skips this case (the release run has it).
if [ -n "${PV_SANITIZED:-}" ]; then
  echo "stage over its memory limit: skipped in the sanitizer run (ASan cannot start under RLIMIT_DATA)"
else
  # oom_pipeline NAME: a pipeline file's head and its tap, feature and reuse stages.
  oom_pipeline() {
    cat <<TOML
[pipeline]
name = "$1"
[[stage]]
name = "tap"
run = "pv-trace-tap"
args = ["$tmp/long/trace.txt"]
[[stage]]
name = "feature"
run = "pv-feature"
[[stage]]
name = "reuse"
run = "pv-reuse-distance"
TOML
  }
  # expect_oom WHAT PIPELINE STAGE EXE LIMIT MESSAGE_REGEX OUTPUT, once pv-launch ended.
  expect_oom() {
    expect_rc 5 "$1"
    grep -q "^pv-launch: pipeline $2 failed: stage '$3' ($4) ran out of memory (limit $5): exit status 1$" "$tmp/err" \
      || fail "$1: the report does not say out of memory"
    grep -q "^pv-launch:   $4: $6" "$tmp/err" || fail "$1: no message"
    [ ! -e "$7" ] || fail "$1: output left"
    clean "$1"
  }

  { oom_pipeline oom; cat <<TOML
[[stage]]
name = "window"
run = "pv-window"
args = ["-w", "8", "-k", "262144", "-o", "$tmp/w.pvs"]
memory_limit = "64M"
TOML
  } >"$tmp/oom.toml"
  launch "$tmp/oom.toml"
  finish
  expect_oom "memory limit" oom window pv-window 64M ".*\(out of memory\|Cannot allocate memory\)" "$tmp/w.pvs"
  echo "stage over its memory limit: exit 5, reported"

  { oom_pipeline oom-encode; cat <<TOML
[[stage]]
name = "window"
run = "pv-window"
args = ["-m", "$tmp/m.pvm"]
[[stage]]
name = "encode"
run = "pv-encode"
args = ["-m", "$tmp/m.pvm", "-t", "4", "-o", "$tmp/r.pvs"]
memory_limit = "400M"
TOML
  } >"$tmp/oom-encode.toml"
  launch "$tmp/oom-encode.toml" --stall-timeout 60
  finish
  expect_oom "pv-encode memory limit" oom-encode encode pv-encode 400M \
    "out of memory: the data limit .* OpenBLAS needs about" "$tmp/r.pvs"
  echo "pv-encode over its memory limit: exit 5, reported (not a hang)"
fi

# ---------------------------------------------------------------- bad input
# A trace cut inside a line.
mkdir "$tmp/cut"
head -c 1000000 "$tmp/long/trace.txt" >"$tmp/cut/trace.txt"
cp "$tmp/long/trace.sq.txt" "$tmp/cut/"
launch pipelines/gem5-predict.toml model="$tmp/m.pvm" trace="$tmp/cut/trace.txt"
finish
expect_rc 1 "truncated trace"
grep -q "^pv-launch: pipeline gem5-predict failed: stage 'tap' (pv-trace-tap) exit status 1$" "$tmp/err" \
  || fail "truncated trace: not blamed on the tap"
grep -q "^pv-launch:   pv-trace-tap: $tmp/cut/trace.txt:line [0-9]*: " "$tmp/err" || fail "truncated trace: no position"
no_prediction "truncated trace"
clean "truncated trace"
echo "truncated trace: exit 1, line named, no prediction"

# Feature files: plain and zstd.
"$OUT/pv-launch" pipelines/gem5-features.toml trace="$tmp/long/trace.txt" out="$tmp/f.pvs" --no-progress 2>"$tmp/err" \
  || fail "features"
"$OUT/pv-launch" pipelines/gem5-features.toml trace="$tmp/long/trace.txt" out="$tmp/f.pvs.zst" --no-progress 2>"$tmp/err" \
  || fail "features (zstd)"
size=$(stat -c %s "$tmp/f.pvs")
zsize=$(stat -c %s "$tmp/f.pvs.zst")
rp_from() {  # FEATURES WHAT: features-rp must fail (exit 1) without an R_p
  launch pipelines/features-rp.toml model="$tmp/m.pvm" features="$1" out="$tmp/rp.pvs"
  finish
  expect_rc 1 "$2"
  grep -q "^pv-launch: pipeline features-rp failed: stage 'window' (pv-window) exit status 1$" "$tmp/err" \
    || fail "$2: not blamed on the stage reading the file"
  [ ! -e "$tmp/rp.pvs" ] || fail "$2: an R_p was written"
  clean "$2"
}
head -c $((size / 2)) "$tmp/f.pvs" >"$tmp/half.pvs"
rp_from "$tmp/half.pvs" "truncated feature file"
grep -q "^pv-launch:   pv-window: $tmp/half.pvs:message [0-9]*: input ends inside a message ([0-9]* of [0-9]* bytes; truncated stream)" "$tmp/err" \
  || fail "truncated feature file: unclear message"
echo "truncated feature file: exit 1, no R_p"

cp "$tmp/f.pvs.zst" "$tmp/bad.pvs.zst"
printf '\xa5\x5a\xa5\x5a' | dd of="$tmp/bad.pvs.zst" bs=1 seek=$((zsize / 2)) conv=notrunc status=none
rp_from "$tmp/bad.pvs.zst" "corrupted zstd frame"
grep -Eq "^pv-launch:   pv-window: $tmp/bad.pvs.zst.*(zstd|corrupt|checksum mismatch|malformed)" "$tmp/err" \
  || fail "corrupted zstd frame: unclear message"
echo "corrupted zstd frame: exit 1, no R_p ($(grep -m1 '^pv-launch:   pv-window' "$tmp/err" | cut -c1-150))"

# A value changed inside a batch (the message still decodes): the end's checksum catches it.
cp "$tmp/f.pvs" "$tmp/value.pvs"
printf '\x42' | dd of="$tmp/value.pvs" bs=1 seek=$((size / 2)) conv=notrunc status=none
cmp -s "$tmp/f.pvs" "$tmp/value.pvs" && fail "the byte was not changed"
rp_from "$tmp/value.pvs" "changed value"
grep -Eq "^pv-launch:   pv-window: $tmp/value.pvs:message [0-9]*: (checksum mismatch|malformed|batch)" "$tmp/err" \
  || fail "changed value: unclear message"
echo "changed value: exit 1, no R_p"
# The end-of-stream's checksum itself is wrong (its last byte).
cp "$tmp/f.pvs" "$tmp/sum.pvs"
last=$(tail -c 1 "$tmp/f.pvs" | od -An -tu1 | tr -d ' ')
printf "\\$(printf '%03o' $(((last + 1) % 256)))" | dd of="$tmp/sum.pvs" bs=1 seek=$((size - 1)) conv=notrunc status=none
rp_from "$tmp/sum.pvs" "wrong checksum"
grep -q "^pv-launch:   pv-window: $tmp/sum.pvs:message [0-9]*: checksum mismatch" "$tmp/err" \
  || fail "wrong checksum: no checksum mismatch reported"
echo "wrong end-of-stream checksum: exit 1, no R_p"

# pv-aggregate never makes a complete R_p of a truncated representation stream.
"$OUT/pv-window" -m "$tmp/m.pvm" "$tmp/f.pvs" --no-progress | "$OUT/pv-encode" -m "$tmp/m.pvm" --no-progress -o "$tmp/r.pvs" \
  || fail "representations"
head -c $(($(stat -c %s "$tmp/r.pvs") - 40)) "$tmp/r.pvs" >"$tmp/r-cut.pvs"
"$OUT/pv-aggregate" "$tmp/r-cut.pvs" -o "$tmp/rp-cut.pvs" --no-progress 2>"$tmp/err"
rc=$?
expect_rc 1 "truncated representations"
[ ! -e "$tmp/rp-cut.pvs" ] || fail "truncated representations: an R_p was written"
grep -Eq "truncated|ends inside" "$tmp/err" || fail "truncated representations: unclear message"
# A damaged R_p: pv-dot-predict prints nothing.
"$OUT/pv-aggregate" "$tmp/r.pvs" -o "$tmp/rp.pvs" --no-progress || fail "aggregate"
"$OUT/pv-dot-predict" -m "$tmp/m.pvm" "$tmp/rp.pvs" >"$tmp/stdout" || fail "predict"
[ -s "$tmp/stdout" ] || fail "no prediction from a good R_p"
cp "$tmp/rp.pvs" "$tmp/rp-bad.pvs"
printf '\x01' | dd of="$tmp/rp-bad.pvs" bs=1 seek=$(($(stat -c %s "$tmp/rp.pvs") - 60)) conv=notrunc status=none
"$OUT/pv-dot-predict" -m "$tmp/m.pvm" "$tmp/rp-bad.pvs" >"$tmp/stdout" 2>"$tmp/err"
rc=$?
[ "$rc" -ne 0 ] || fail "damaged R_p: exit status 0"
no_prediction "damaged R_p"
head -c 100 "$tmp/rp.pvs" >"$tmp/rp-short.pvs"
"$OUT/pv-dot-predict" -m "$tmp/m.pvm" "$tmp/rp-short.pvs" >"$tmp/stdout" 2>"$tmp/err"
rc=$?
[ "$rc" -ne 0 ] || fail "truncated R_p: exit status 0"
no_prediction "truncated R_p"
echo "truncated representations and damaged R_p: errors, nothing printed"

# ---------------------------------------------------------------- SIGTERM
launch_half
stage_pid pv-encode >/dev/null || fail "pv-encode did not start"
sleep 0.5
kill -TERM "$launcher"
finish
end_feeder
expect_rc 143 "SIGTERM"
grep -q "^pv-launch: interrupted by SIGTERM$" "$tmp/err" || fail "SIGTERM: no message"
no_prediction "SIGTERM"
clean "SIGTERM"
echo "SIGTERM mid-stream: exit 143, nothing left"

# ---------------------------------------------------------------- resume
# The uninterrupted R_p, then runs killed at random points and resumed until
# one completes: the same bytes.
# Encoder calls of 4096 instructions (a tiny model would take the whole
# trace in one call): pv-aggregate can checkpoint between them.
calls="--instructions-per-call 4096"
rp=(pipelines/gem5-rp.toml model="$tmp/m.pvm" trace="$tmp/long/trace.txt" out="$tmp/rp.pvs" interval=20000
  encode_options="$calls")
launch "${rp[@]}"
finish
expect_rc 0 "uninterrupted gem5-rp"
mv "$tmp/rp.pvs" "$tmp/rp-ref.pvs"
resumed=0
stages=(pv-trace-tap pv-feature pv-reuse-distance pv-window pv-encode pv-aggregate)
# wait_for_checkpoint REGEX: until the checkpoint has a line matching REGEX,
# as long as the pipeline runs (no fixed deadline: under ASan on a loaded
# machine the first checkpoint took more than the 5 s once allowed). The
# caller then checks that it got there.
wait_for_checkpoint() {
  while kill -0 "$launcher" 2>/dev/null && ! grep -q "$1" "$tmp/ck" 2>/dev/null; do sleep 0.05; done
}
# ck_at: instructions in the checkpoint so far (0 when there is none).
ck_at() { sed -n 's/^instructions //p' "$tmp/ck" 2>/dev/null | grep . || echo 0; }
for round in 1 2 3; do
  rm -f "$tmp/ck" "$tmp/rp.pvs"
  opts=(--checkpoint "$tmp/ck" --checkpoint-every 4096)
  for attempt in 1 2 3 4 5 6; do
    launch "${rp[@]}" "${opts[@]}"
    if [ "$attempt" -le 2 ]; then
      # Kill a random stage once the checkpoint is a random distance further
      # on (or, one time in four, at once: before any new checkpoint).
      exe=${stages[RANDOM % ${#stages[@]}]}
      pid=$(stage_pid "$exe") || fail "resume: $exe did not start"
      if [ $((RANDOM % 4)) -ne 0 ]; then
        target=$(($(ck_at) + 4096 + RANDOM % 40000))
        while kill -0 "$launcher" 2>/dev/null && [ "$(ck_at)" -lt "$target" ]; do sleep 0.02; done
      fi
      kill -KILL "$pid" 2>/dev/null
      echo "  round $round attempt $attempt: killed $exe at checkpoint $(ck_at)"
    fi
    finish
    grep -q "^pv-launch: resuming from checkpoint $tmp/ck (the feature stream restarts at record [1-9]" "$tmp/err" &&
      resumed=$((resumed + 1))
    if [ "$rc" -eq 0 ]; then break; fi
    [ "$rc" -eq 3 ] || fail "resume round $round attempt $attempt: exit status $rc"
    [ ! -e "$tmp/rp.pvs" ] || fail "resume: an interrupted run left an R_p"
    clean "resume"
    opts=(--checkpoint "$tmp/ck" --checkpoint-every 4096 --resume)
  done
  [ "$rc" -eq 0 ] || fail "resume round $round: never completed"
  [ ! -e "$tmp/ck" ] || fail "resume: the checkpoint was not removed after success"
  [ ! -e "$tmp/ck.intervals" ] || fail "resume: the checkpoint's closed intervals were not removed after success"
  cmp "$tmp/rp.pvs" "$tmp/rp-ref.pvs" || fail "resume round $round: R_p differs from the uninterrupted one"
  echo "resume round $round: same R_p bytes"
done
[ "$resumed" -ge 2 ] || fail "only $resumed run(s) resumed from a checkpoint past the start"
echo "$resumed run(s) resumed from a checkpoint"

# A feature-file source, killed once in pv-encode.
launch pipelines/features-rp.toml model="$tmp/m.pvm" features="$tmp/f.pvs.zst" out="$tmp/rp.pvs" interval=20000 encode_options="$calls"
finish
expect_rc 0 "features-rp"
cmp "$tmp/rp.pvs" "$tmp/rp-ref.pvs" || fail "features-rp gives another R_p than gem5-rp"
rm -f "$tmp/rp.pvs"
launch pipelines/features-rp.toml model="$tmp/m.pvm" features="$tmp/f.pvs.zst" out="$tmp/rp.pvs" interval=20000 encode_options="$calls" \
  --checkpoint "$tmp/ck" --checkpoint-every 4096
pid=$(stage_pid pv-encode) || fail "features-rp: pv-encode did not start"
wait_for_checkpoint "^instructions [1-9]"
kill -KILL "$pid"
finish
expect_rc 3 "features-rp kill"
[ -e "$tmp/ck" ] || fail "features-rp: no checkpoint"
launch pipelines/features-rp.toml model="$tmp/m.pvm" features="$tmp/f.pvs.zst" out="$tmp/rp.pvs" interval=20000 encode_options="$calls" \
  --checkpoint "$tmp/ck" --checkpoint-every 4096 --resume
finish
expect_rc 0 "features-rp resume"
cmp "$tmp/rp.pvs" "$tmp/rp-ref.pvs" || fail "features-rp: resumed R_p differs"
echo "feature-file source: killed, resumed, same R_p bytes"

# A checkpoint of another trace is refused; so is a damaged one.
rm -f "$tmp/rp.pvs" "$tmp/ck"
launch pipelines/gem5-rp.toml model="$tmp/m.pvm" trace="$tmp/other/trace.txt" out="$tmp/o.pvs" \
  encode_options="$calls" --checkpoint "$tmp/ck" --checkpoint-every 4096
pid=$(stage_pid pv-aggregate) || fail "other: pv-aggregate did not start"
wait_for_checkpoint "^skip [1-9]"
kill -KILL "$pid"
finish
grep -q "^skip [1-9]" "$tmp/ck" || fail "other: no checkpoint past the start"
launch "${rp[@]}" --checkpoint "$tmp/ck" --resume
finish
expect_rc 1 "foreign checkpoint"
grep -q "is not the stream this checkpoint continues" "$tmp/err" || fail "foreign checkpoint: unclear message"
[ ! -e "$tmp/rp.pvs" ] || fail "foreign checkpoint: an R_p was written"
sed -i 's/^sum 0x1/sum 0x2/; s/^sum -0x1/sum -0x2/' "$tmp/ck"
launch pipelines/gem5-rp.toml model="$tmp/m.pvm" trace="$tmp/other/trace.txt" out="$tmp/o.pvs" \
  encode_options="$calls" --checkpoint "$tmp/ck" --resume
finish
expect_rc 1 "damaged checkpoint"
grep -q "checkpoint checksum mismatch" "$tmp/err" || fail "damaged checkpoint: unclear message"
clean "checkpoints"
echo "foreign and damaged checkpoints: refused"
echo "all faults handled"
