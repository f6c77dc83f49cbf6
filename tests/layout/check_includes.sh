#!/usr/bin/env bash
# The include rule of the source tree, written once (docs/architecture.md,
# "Which folder may include which"):
#
#   libraries   stages/core           includes core only (no I/O)
#               stages/runtime        core, schema
#               stages/trace-readers  core, runtime
#               stages/model-lib      core, runtime, schema
#               stages/feature-lib    core only (feature-stream transforms)
#   a stage     stages/<name>         the libraries and its own folder, never
#                                     another stage's folder
#   tools       launcher              core, runtime (no stage code)
#               dataset               the libraries, examples/workloads
#
# Tests (*_test.cc, test_*.h) may also include tests/. A file may always
# include its own folder and system headers. Relative includes are resolved
# against the including file.
#
#   tests/layout/check_includes.sh [ROOT]
#
# Prints one line per violation ("FILE:LINE: includes PATH: ROOM may not
# include ROOM") and exits 1 when there is any, 0 otherwise.
set -euo pipefail
root=${1:-.}
cd "$root"

libraries=" core runtime trace-readers model-lib feature-lib "

# The room of a repository path: a stage or library name, launcher,
# dataset, schema, tests, examples, bench, or "" for anything else.
room_of() {
  case $1 in
    stages/*/*) local rest=${1#stages/}; echo "${rest%%/*}" ;;
    launcher/*) echo launcher ;;
    dataset/*) echo dataset ;;
    schema/*) echo schema ;;
    tests/*) echo tests ;;
    examples/*) echo examples ;;
    bench/*) echo bench ;;
    *) echo "" ;;
  esac
}

# The rooms a room may include besides itself.
allowed_for() {
  case $1 in
    core) echo "" ;;
    runtime) echo "core schema" ;;
    trace-readers) echo "core runtime" ;;
    model-lib) echo "core runtime schema" ;;
    feature-lib) echo "core" ;;
    launcher) echo "core runtime" ;;
    dataset) echo "core runtime trace-readers model-lib feature-lib schema examples" ;;
    *) echo "core runtime trace-readers model-lib feature-lib schema" ;;  # a stage
  esac
}

violations=0
while IFS= read -r -d '' file; do
  from=$(room_of "$file")
  allowed=" $from $(allowed_for "$from") "
  case $file in
    *_test.cc | */test_*.h) allowed+="tests " ;;
  esac
  while IFS=: read -r line text; do
    inc=${text#*\"}
    inc=${inc%%\"*}
    case $inc in
      ../* | ./*) inc=$(realpath -m --relative-to=. "$(dirname "$file")/$inc") ;;
      */*) ;;
      *) continue ;;  # a header beside the file
    esac
    to=$(room_of "$inc")
    [ -n "$to" ] || continue
    if [[ $allowed != *" $to "* ]]; then
      case $inc in
        stages/*) kind=stage; [[ $libraries == *" $to "* ]] && kind=library ;;
        launcher/* | dataset/*) kind=tool ;;
        *) kind=folder ;;
      esac
      echo "$file:$line: includes $inc: $from may not include $kind $to"
      violations=$((violations + 1))
    fi
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" || true)
done < <(find stages launcher dataset -type f \( -name '*.h' -o -name '*.cc' -o -name '*.c' \) -print0 | sort -z)

if [ "$violations" -gt 0 ]; then
  echo "check_includes.sh: $violations include(s) break the rule (see the top of tests/layout/check_includes.sh)" >&2
  exit 1
fi
