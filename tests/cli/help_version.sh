#!/usr/bin/env bash
# Every built pv-* executable answers --help (exit 0, usage on stdout) and
# --version (exit 0, "NAME (perfvec) VERSION" with the version of the file
# VERSION, then the stream schema and model format versions, which must
# equal the schema files' constants).
#
# Four exceptions: pv-kernels, pv-science, pv-loops and pv-numeric, the workload suite's
# own kernels, are traced programs, not tools. The last three's flags would move the
# code of the suite's regions; pv-kernels': its code is frozen: the demo's R_p and ground
# truth (and every number in the docs measured on it) follow from its exact
# instruction stream, and adding flag handling to its main moved its code
# (measured: the demo's stencil region gave 272,623 records instead of
# 272,621 and a different R_p). Each prints its usage and exits 2.
set -uo pipefail
OUT=$1
fail=0
version=$(tr -d '[:space:]' <VERSION)
schema=$(sed -n 's/^const schemaVersion :UInt32 = \([0-9]*\);/\1/p' schema/stream.capnp)
model=$(sed -n 's/^const modelFormatVersion :UInt32 = \([0-9]*\);/\1/p' schema/model.capnp)
[ -n "$version" ] && [ -n "$schema" ] && [ -n "$model" ] || { echo "cannot read VERSION or the schema versions"; exit 1; }
count=0
for exe in "$OUT"/pv-*; do
  [ -f "$exe" ] && [ -x "$exe" ] || continue
  name=$(basename "$exe")
  if [ "$name" = pv-kernels ] || [ "$name" = pv-science ] || [ "$name" = pv-loops ] || [ "$name" = pv-numeric ]; then
    out=$("$exe" --help 2>&1); rc=$?
    [ $rc -eq 2 ] && grep -q "^usage: $name" <<<"$out" || { echo "$name --help: rc $rc: $out"; fail=1; }
    continue
  fi
  count=$((count + 1))
  out=$("$exe" --help 2>&1 </dev/null); rc=$?
  if [ $rc -ne 0 ] || ! grep -qi "usage" <<<"$out"; then echo "$name --help: rc $rc: $(head -3 <<<"$out")"; fail=1; fi
  out=$("$exe" --version 2>&1 </dev/null); rc=$?
  first=$(head -1 <<<"$out")
  if [ $rc -ne 0 ] || [ "$first" != "$name (perfvec) $version" ]; then
    echo "$name --version: rc $rc: '$first' (expected '$name (perfvec) $version')"; fail=1
  fi
  if ! grep -q "^stream schema $schema, model format $model, " <<<"$out"; then
    echo "$name --version does not give the format versions (stream schema $schema, model format $model): $out"
    fail=1
  fi
done
# The executables of the README's table and the tools beside them.
for name in pv-trace-tap pv-feature pv-reuse-distance pv-dependency pv-window pv-encode pv-aggregate pv-dot-predict \
            pv-dse pv-model pv-uarch pv-cat pv-launch pv-train pv-eval pv-tune pv-dataset pv-kernels \
            pv-science pv-loops pv-numeric pv-workload-inputs pv-synth-gem5; do
  [ -x "$OUT/$name" ] || { echo "$name is not built in $OUT"; fail=1; }
done
echo "$count executables checked"
exit $fail
