#!/usr/bin/env bash
# Every executable has --help (exit 0, usage on stdout) and rejects an
# unknown flag with a one-line error and exit status 2.
set -uo pipefail
OUT=$1
fail=0
for stage in pv-trace-tap pv-feature pv-reuse-distance pv-cat; do
  out=$("$OUT/$stage" --help 2>/dev/null); rc=$?
  if [ $rc -ne 0 ] || ! grep -q "Usage" <<<"$out"; then echo "$stage --help: rc $rc"; fail=1; fi
  err=$("$OUT/$stage" --no-such-flag 2>&1 >/dev/null); rc=$?
  if [ $rc -ne 2 ] || ! grep -q "^$stage: " <<<"$err"; then echo "$stage --no-such-flag: rc $rc: $err"; fail=1; fi
  err=$("$OUT/$stage" /nonexistent/input 2>&1 >/dev/null </dev/null); rc=$?
  if [ $rc -ne 1 ] || ! grep -q "^$stage: /nonexistent/input" <<<"$err"; then
    echo "$stage on a missing file: rc $rc: $err"; fail=1
  fi
done
exit $fail
