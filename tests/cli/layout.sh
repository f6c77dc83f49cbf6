#!/usr/bin/env bash
# The source tree keeps its include rule (tests/layout/check_includes.sh):
# the tree passes; a stage that includes another stage's header, a library
# that includes a stage and a launcher that includes stage code each fail,
# naming the file and line. GN's header check (every include reachable
# through the build's declared dependencies) passes on the build under test.
# pv-test: once (the source tree and the build graph, the same for every build flag)
set -uo pipefail
. "$(dirname "$0")/../lib/contains.sh"
OUT=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
check=tests/layout/check_includes.sh

out=$("$check" . 2>&1) || { echo "the tree breaks the include rule:"; echo "$out"; fail=1; }

# A scratch tree with one violation at a time.
make_tree() {
  rm -rf "$tmp/t"
  mkdir -p "$tmp/t/stages/feature" "$tmp/t/stages/window" "$tmp/t/stages/core" \
           "$tmp/t/stages/model-lib" "$tmp/t/launcher" "$tmp/t/dataset"
  printf '#pragma once\n' >"$tmp/t/stages/window/window_chunker.h"
  printf '#include "stages/core/instruction.h"\n#include <vector>\n' >"$tmp/t/stages/feature/ok.cc"
}
expect_violation() {  # FILE LINE TEXT EXPECTED
  local file=$1 text=$2 expected=$3
  make_tree
  printf '// a file\n%s\n' "$text" >"$tmp/t/$file"
  local got rc
  got=$("$check" "$tmp/t" 2>/dev/null); rc=$?
  if [ $rc -ne 1 ] || ! grep -F "$file:2: " <<<"$got" | contains -F "$expected"; then
    echo "check_includes.sh missed $file: $text (rc $rc): $got"; fail=1
  fi
}
make_tree
"$check" "$tmp/t" >/dev/null 2>&1 || { echo "a clean scratch tree fails the check"; fail=1; }
expect_violation stages/feature/main.cc '#include "stages/window/window_chunker.h"' \
  "includes stages/window/window_chunker.h: feature may not include stage window"
expect_violation stages/model-lib/x.cc '#include "stages/feature/feature_extractor.h"' \
  "model-lib may not include stage feature"
expect_violation stages/core/x.h '#include "stages/runtime/stream.h"' \
  "core may not include library runtime"
expect_violation launcher/x.cc '#include "stages/encode/window_stream_encoder.h"' \
  "launcher may not include stage encode"
expect_violation stages/feature/x.cc '#include "dataset/workload_suite.h"' \
  "feature may not include tool dataset"
expect_violation stages/feature/x.cc '#include "../window/window_chunker.h"' \
  "includes stages/window/window_chunker.h: feature may not include stage window"
# Tests may include test tools; other files may not.
make_tree
printf '#include "tests/tools/gem5_synth.h"\n' >"$tmp/t/stages/feature/x_test.cc"
"$check" "$tmp/t" >/dev/null 2>&1 || { echo "a test including tests/ is refused"; fail=1; }
expect_violation stages/feature/x.cc '#include "tests/tools/gem5_synth.h"' \
  "feature may not include folder tests"

# GN: every include is reachable through declared dependencies.
if [ -f "$OUT/build.ninja" ]; then
  out=$(gn check "$OUT" 2>&1) || { echo "gn check $OUT:"; echo "$out" | head -30; fail=1; }
fi
exit $fail
