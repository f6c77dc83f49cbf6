#!/usr/bin/env bash
# pv-launch propagates the first failure: a stage given a bad input makes
# pv-launch exit 1, naming the stage, its exit status and its message; no
# stage is left running, no socket file, temporary folder or partial output
# is left behind. A missing executable is a bad pipeline file (exit 2).
set -uo pipefail
OUT=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; cat "$tmp/err" 2>/dev/null; exit 1; }
mkdir "$tmp/tmpdir" "$tmp/bad"
head -c 300 examples/gem5-arm-21/trace.txt > "$tmp/bad/trace.txt"   # cut inside line 3
cp examples/gem5-arm-21/trace.sq.txt "$tmp/bad/"

left_behind() {
  pgrep -af "$tmp" && return 0
  [ -n "$(ls -A "$tmp/tmpdir")" ] && { ls -la "$tmp/tmpdir"; return 0; }
  return 1
}

for transport in ipc pipe tcp; do
  TMPDIR="$tmp/tmpdir" "$OUT/pv-launch" pipelines/gem5-features.toml trace="$tmp/bad/trace.txt" \
    out="$tmp/f.pvs" --transport $transport --no-progress 2>"$tmp/err"
  rc=$?
  [ $rc -eq 1 ] || fail "$transport: exit status $rc, expected 1"
  grep -qx "pv-launch: pipeline gem5-features failed: stage 'tap' (pv-trace-tap) exit status 1" "$tmp/err" \
    || fail "$transport: the report does not name stage tap"
  grep -q "^pv-launch:   pv-trace-tap: $tmp/bad/trace.txt:line 3: " "$tmp/err" \
    || fail "$transport: the report lacks the stage's message"
  grep -q "^\[tap\] pv-trace-tap: $tmp/bad/trace.txt:line 3: " "$tmp/err" \
    || fail "$transport: the stage's stderr was not forwarded with its name"
  [ ! -e "$tmp/f.pvs" ] || fail "$transport: partial output left"
  ! left_behind || fail "$transport: processes or files left behind"
  echo "$transport: tap failure reported"
done

# A later stage fails (its output folder does not exist): the stages before
# it, blocked on a consumer that is gone, are stopped after the grace period.
TMPDIR="$tmp/tmpdir" timeout 30 "$OUT/pv-launch" pipelines/gem5-features.toml \
  out="$tmp/no/such/folder/f.pvs" --grace 0.3 --no-progress 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] || fail "exit status $rc, expected 1"
grep -qx "pv-launch: pipeline gem5-features failed: stage 'reuse' (pv-reuse-distance) exit status 1" "$tmp/err" \
  || fail "the report does not name stage reuse"
grep -q "^pv-launch:   pv-reuse-distance: $tmp/no/such/folder/f.pvs: " "$tmp/err" || fail "no reason"
! left_behind || fail "processes or files left behind"
echo "reuse failure reported"

# A stage that does not exist: exit 2, pointing at the file and line.
cat > "$tmp/p.toml" <<'TOML'
[pipeline]
name = "ghost"
[[stage]]
name = "tap"
run = "pv-trace-tap"
[[stage]]
name = "x"
run = "pv-no-such-stage"
TOML
"$OUT/pv-launch" "$tmp/p.toml" </dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] || fail "missing executable: exit status $rc, expected 2"
grep -q "^pv-launch: $tmp/p.toml:8:7: stage 'x': no executable 'pv-no-such-stage' beside pv-launch (.*) or on PATH$" \
  "$tmp/err" || fail "missing executable: wrong message"
! left_behind || fail "processes or files left behind"
echo "missing executable reported"
