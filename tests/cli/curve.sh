#!/usr/bin/env bash
# CURVE security of tcp endpoints (stages/runtime/curve.h): a stage may not
# bind or connect tcp on a non-loopback address without keys; with keys a
# client whose key the server authorizes delivers its stream bit for bit,
# one with another key is refused (and logged) and nothing it sent is
# received; pv-launch passes a pipeline file's [security] keys to the stages.
set -euo pipefail
OUT=$1
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
fail() { echo "curve.sh: $*" >&2; exit 1; }
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

"$OUT/pv-synth-gem5" --instructions 20000 --seed 3 --out-dir "$tmp/good"
"$OUT/pv-synth-gem5" --instructions 5000 --seed 4 --out-dir "$tmp/bad"
for k in server client intruder; do "$OUT/pv-launch" --keygen "$tmp/$k" -q; done
[ "$(stat -c %a "$tmp/server.key")" = 600 ] || fail "keygen: secret key file not 0600"
"$OUT/pv-trace-tap" "$tmp/good/trace.txt" --no-progress | "$OUT/pv-feature" --no-progress -o "$tmp/expected.pvs"

# 1. Non-loopback tcp without keys: an error naming the endpoint, binding or connecting.
P=$(freeport)
rc=0; "$OUT/pv-feature" "@tcp://0.0.0.0:$P" --no-progress -o "$tmp/x.pvs" 2>"$tmp/err" || rc=$?
[ "$rc" = 1 ] || fail "bind 0.0.0.0 without keys: exit $rc"
grep -q "tcp://0.0.0.0:$P.*non-loopback tcp address needs CURVE keys" "$tmp/err" || fail "bind 0.0.0.0: $(cat "$tmp/err")"
ip=$(hostname -I 2>/dev/null | awk '{print $1}')
if [ -n "$ip" ]; then
  rc=0; "$OUT/pv-trace-tap" "$tmp/good/trace.txt" --no-progress -o "tcp://$ip:$P" 2>"$tmp/err" || rc=$?
  [ "$rc" = 1 ] && grep -q "tcp://$ip:$P.*needs CURVE keys" "$tmp/err" || fail "connect $ip without keys: exit $rc $(cat "$tmp/err")"
fi
# Loopback without keys stays allowed.
timeout 60 "$OUT/pv-feature" "@tcp://127.0.0.1:$P" --no-progress -o "$tmp/loop.pvs" &
server=$!
timeout 60 "$OUT/pv-trace-tap" "$tmp/good/trace.txt" --no-progress -o "tcp://127.0.0.1:$P"
wait $server
cmp -s "$tmp/loop.pvs" "$tmp/expected.pvs" || fail "loopback tcp without keys: output differs"

# 2. A CURVE server on all interfaces; clients connect through 127.0.0.1.
chmod 644 "$tmp/client.key"
rc=0; "$OUT/pv-trace-tap" "$tmp/good/trace.txt" --no-progress -o "tcp://127.0.0.1:$P" \
  --curve-secret "$tmp/client.key" 2>"$tmp/err" || rc=$?
[ "$rc" = 1 ] && grep -q "readable by others" "$tmp/err" || fail "a world-readable secret key was used"
chmod 600 "$tmp/client.key"
P=$(freeport)
timeout 90 "$OUT/pv-feature" "@tcp://0.0.0.0:$P" --no-progress -o "$tmp/got.pvs" \
  --curve-secret "$tmp/server.key" --curve-authorized "$tmp/client.pub" 2>"$tmp/server.err" &
server=$!
# The intruder (a key the server does not know) is refused; its data never arrives.
rc=0; timeout 30 "$OUT/pv-trace-tap" "$tmp/bad/trace.txt" --no-progress -o "tcp://127.0.0.1:$P" \
  --curve-secret "$tmp/intruder.key" --curve-server-key "$tmp/server.pub" 2>"$tmp/intruder.err" || rc=$?
[ "$rc" = 1 ] || fail "intruder: exit $rc, not 1: $(cat "$tmp/intruder.err")"
grep -q "refused this stage's CURVE key" "$tmp/intruder.err" || fail "intruder: $(cat "$tmp/intruder.err")"
intruder=$(grep -v '^#' "$tmp/intruder.pub")
grep -qF "tcp://0.0.0.0:$P: refused CURVE client $intruder from 127.0.0.1" "$tmp/server.err" ||
  fail "the server did not log the refused key: $(cat "$tmp/server.err")"
# The authorized client delivers the stream, bit for bit.
timeout 60 "$OUT/pv-trace-tap" "$tmp/good/trace.txt" --no-progress -o "tcp://127.0.0.1:$P" \
  --curve-secret "$tmp/client.key" --curve-server-key "$tmp/server.pub"
wait $server || fail "the CURVE server failed: $(cat "$tmp/server.err")"
cmp -s "$tmp/got.pvs" "$tmp/expected.pvs" || fail "the stream over CURVE differs from the direct one"

# 2b. Executables outside the stage driver (pv-cat here; pv-dot-predict,
# pv-train and pv-eval share the options) bind a CURVE endpoint the same way.
P=$(freeport)
"$OUT/pv-trace-tap" "$tmp/good/trace.txt" --no-progress | "$OUT/pv-cat" > "$tmp/expected.txt"
timeout 60 "$OUT/pv-cat" "@tcp://0.0.0.0:$P" -o "$tmp/cat.txt" \
  --curve-secret "$tmp/server.key" --curve-authorized "$tmp/client.pub" 2>"$tmp/cat.err" &
server=$!
rc=0; timeout 30 "$OUT/pv-trace-tap" "$tmp/bad/trace.txt" --no-progress -o "tcp://127.0.0.1:$P" \
  --curve-secret "$tmp/intruder.key" --curve-server-key "$tmp/server.pub" 2>"$tmp/intruder.err" || rc=$?
[ "$rc" = 1 ] || fail "intruder to pv-cat: exit $rc, not 1: $(cat "$tmp/intruder.err")"
timeout 60 "$OUT/pv-trace-tap" "$tmp/good/trace.txt" --no-progress -o "tcp://127.0.0.1:$P" \
  --curve-secret "$tmp/client.key" --curve-server-key "$tmp/server.pub"
wait $server || fail "pv-cat as CURVE server failed: $(cat "$tmp/cat.err")"
grep -qF "refused CURVE client $intruder" "$tmp/cat.err" || fail "pv-cat did not log the refused key: $(cat "$tmp/cat.err")"
cmp -s "$tmp/cat.txt" "$tmp/expected.txt" || fail "pv-cat over CURVE printed other text than from the file"
for exe in pv-dot-predict pv-train pv-eval; do
  "$OUT/$exe" --help > "$tmp/help" && grep -q -- --curve-authorized "$tmp/help" || fail "$exe has no --curve-* options"
done

# 3. pv-launch: tcp links on a non-loopback address need the file's [security] keys.
trace="$tmp/good/trace.txt"
rc=0; timeout 60 "$OUT/pv-launch" pipelines/gem5-features.toml trace="$trace" out="$tmp/l0.pvs" \
  --transport tcp --host 0.0.0.0 --no-progress --grace 1 2>"$tmp/err" || rc=$?
[ "$rc" = 1 ] && grep -q "needs CURVE keys" "$tmp/err" || fail "pv-launch tcp 0.0.0.0 without keys: exit $rc"
{ cat pipelines/gem5-features.toml; printf '\n[security]\ncurve_secret = "{keys}/server.key"\n'
  printf '[params.keys]\ndefault = "%s"\n' "$tmp"; } > "$tmp/secure.toml"
timeout 120 "$OUT/pv-launch" "$tmp/secure.toml" trace="$trace" out="$tmp/l1.pvs" \
  --transport tcp --host 0.0.0.0 --no-progress
"$OUT/pv-launch" pipelines/gem5-features.toml trace="$trace" out="$tmp/l2.pvs" --no-progress
cmp -s "$tmp/l1.pvs" "$tmp/l2.pvs" || fail "pv-launch over CURVE tcp differs from ipc"
echo "CURVE: non-loopback tcp needs keys; authorized client bit-identical; intruder refused and logged (pv-feature and pv-cat servers); pv-launch [security] over tcp"
