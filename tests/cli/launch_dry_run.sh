#!/usr/bin/env bash
# pv-launch --dry-run prints the equivalent shell pipeline (which runs and
# gives the same bytes); --describe and FILE --help list the parameters;
# bad pipeline files and parameters are usage errors (exit 2) naming the
# file and line.
set -uo pipefail
. "$(dirname "$0")/../lib/contains.sh"
OUT=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
expect() {  # expect NAME EXPECTED ACTUAL
  [ "$2" == "$3" ] || fail "$1: expected [$2], got [$3]"
}

expect default \
  "pv-trace-tap examples/gem5-arm-21/trace.txt | pv-feature | pv-reuse-distance -o -" \
  "$("$OUT/pv-launch" pipelines/gem5-features.toml --dry-run)"
expect params \
  "pv-trace-tap 'my trace.txt' --batch-size 7 | pv-feature | pv-reuse-distance -o f.pvs.zst" \
  "$("$OUT/pv-launch" pipelines/gem5-features.toml --dry-run trace='my trace.txt' out=f.pvs.zst \
       tap_options='--batch-size 7')"
expect labelled \
  "pv-trace-tap --labels a/trace.txt b/trace.txt | pv-feature | pv-reuse-distance -o labelled.pvs.zst" \
  "$("$OUT/pv-launch" pipelines/gem5-labelled.toml --dry-run traces='a/trace.txt b/trace.txt')"
expect live \
  "pv-trace-tap m5out/trace.txt | pv-feature | pv-reuse-distance -o m5out/features.pvs.zst" \
  "$("$OUT/pv-launch" pipelines/live-gem5.toml --dry-run)"

# The printed pipeline runs and matches pv-launch's output.
"$OUT/pv-launch" pipelines/gem5-features.toml out="$tmp/dry.pvs" --dry-run > "$tmp/dry.sh" || fail "dry run"
(PATH="$OUT:$PATH"; set -o pipefail; . "$tmp/dry.sh") || fail "the printed pipeline failed"
"$OUT/pv-launch" pipelines/gem5-features.toml out="$tmp/launch.pvs" --no-progress || fail "launch"
cmp "$tmp/dry.pvs" "$tmp/launch.pvs" || fail "dry-run pipeline and pv-launch differ"

# Parameters: --describe and FILE --help.
"$OUT/pv-launch" pipelines/gem5-features.toml --describe > "$tmp/describe" || fail "--describe"
grep -q "^Pipeline gem5-features (pipelines/gem5-features.toml)$" "$tmp/describe" || fail "describe: name"
grep -q "^  trace *= examples/gem5-arm-21/trace.txt$" "$tmp/describe" || fail "describe: trace"
grep -q "^  out *= -$" "$tmp/describe" || fail "describe: out"
grep -q "^  tap *pv-trace-tap {trace} {\*tap_options}$" "$tmp/describe" || fail "describe: stage tap"
"$OUT/pv-launch" pipelines/gem5-labelled.toml --help > "$tmp/help" || fail "FILE --help"
grep -q "^Usage: " "$tmp/help" || fail "help: usage"
grep -q -- "--transport.*=ipc" "$tmp/help" || fail "help: the transport default"
grep -q "^  traces *= examples/gem5-arm-21/trace.txt$" "$tmp/help" || fail "help: the file's parameters"
"$OUT/pv-launch" --help | contains "^Usage: " || fail "--help without a file"

# Usage errors: exit 2 with one line naming the problem.
usage() {  # usage EXPECTED-LINE-REGEX ARGS...
  local want=$1; shift
  err=$("$OUT/pv-launch" "$@" 2>&1 >/dev/null </dev/null); rc=$?
  [ $rc -eq 2 ] || fail "pv-launch $*: exit status $rc, expected 2: $err"
  grep -qx -- "$want" <<<"$err" || fail "pv-launch $*: expected [$want] in [$err]"
}
usage "pv-launch: unknown parameter 'tarce' for pipeline gem5-features (parameters: trace, out, tap_options)" \
  pipelines/gem5-features.toml tarce=x --dry-run
usage "pv-launch: 'trace' is not a parameter assignment KEY=VALUE" pipelines/gem5-features.toml trace
usage "pv-launch: /nonexistent.toml: cannot open: No such file or directory" /nonexistent.toml
usage "pv-launch: .*--no-such-flag.*" pipelines/gem5-features.toml --no-such-flag
usage "pv-launch: .*transport.*" pipelines/gem5-features.toml --transport udp
printf '[pipeline]\nname = "x"\n\n[[stage]]\nname = "a"\nrun = "pv-cat"\nargs = ["{missing}"]\n' > "$tmp/p.toml"
usage "pv-launch: $tmp/p.toml:7:9: stage 'a': args\[0\] uses undefined parameter 'missing' (the file has no \[params\])" \
  "$tmp/p.toml" --dry-run
printf '[pipeline]\nname = "x"\n[params]\nneed = { help = "h" }\n[[stage]]\nname = "a"\nrun = "pv-cat"\n' > "$tmp/q.toml"
usage "pv-launch: pipeline x needs a value for need (give KEY=VALUE after the file; see --describe)" "$tmp/q.toml"
echo "dry run, describe, help and usage errors as expected"
