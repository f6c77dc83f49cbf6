#!/usr/bin/env bash
# Every executable has --help (exit 0, usage on stdout) and rejects an
# unknown flag with a one-line error and exit status 2; every stream stage
# names a missing input file and exits 1.
set -uo pipefail
OUT=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
"$OUT/pv-model" init -o "$tmp/m.pvm" --hidden 4 --window 4 --chunk 4 2>/dev/null || { echo "pv-model init failed"; exit 1; }
"$OUT/pv-uarch" sample --seed 1 --count 1 --out "$tmp/cfg" >/dev/null 2>&1 || { echo "pv-uarch sample failed"; exit 1; }
# stage and the options it needs besides its input
while read -r stage needs; do
  needs=${needs//MODEL/$tmp/m.pvm}
  needs=${needs//CFG/$tmp/cfg/s1-0000.toml}
  needs=${needs//TMP/$tmp}
  out=$("$OUT/$stage" --help 2>/dev/null); rc=$?
  if [ $rc -ne 0 ] || ! grep -q "Usage" <<<"$out"; then echo "$stage --help: rc $rc"; fail=1; fi
  err=$("$OUT/$stage" --no-such-flag 2>&1 >/dev/null); rc=$?
  if [ $rc -ne 2 ] || ! grep -q "^$stage: " <<<"$err"; then echo "$stage --no-such-flag: rc $rc: $err"; fail=1; fi
  [ "$needs" = "-" ] && continue
  # shellcheck disable=SC2086
  err=$("$OUT/$stage" $needs /nonexistent/input 2>&1 >/dev/null </dev/null); rc=$?
  if [ $rc -ne 1 ] || ! grep -q "^$stage: /nonexistent/input" <<<"$err"; then
    echo "$stage on a missing file: rc $rc: $err"; fail=1
  fi
done <<'LIST'
pv-trace-tap
pv-feature
pv-reuse-distance
pv-dependency
pv-window
pv-encode -m MODEL
pv-train -o TMP/x.pvm
pv-eval -m MODEL
pv-tune -
pv-aggregate
pv-dot-predict -m MODEL
pv-dse -
pv-cat
pv-uarch -c CFG
pv-model -
pv-launch -
LIST
# A missing model file is named too.
err=$("$OUT/pv-encode" -m /nonexistent/model.pvm 2>&1 >/dev/null </dev/null); rc=$?
if [ $rc -ne 1 ] || ! grep -q "^pv-encode: /nonexistent/model.pvm" <<<"$err"; then
  echo "pv-encode with a missing model: rc $rc: $err"; fail=1
fi
exit $fail
