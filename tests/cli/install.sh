#!/usr/bin/env bash
# The installed tree works without the source tree (docs/install.md).
# build/install.sh installs the build under test (no rebuild) through
# DESTDIR into a temporary prefix; then, from a folder outside the source
# tree with only PREFIX/bin and the system's folders on PATH:
# - the installed pv-trace-tap --valgrind finds the installed Valgrind tool;
# - the README's demo pipeline (native-rp: pv-trace-tap --valgrind,
#   pv-uarch, the features, pv-encode with the installed foundation model),
#   found by name, on a 20,000-instruction region and two configurations,
#   writes the same R_p and ground truth bytes as the same pipeline run
#   from the build folder, and pv-dot-predict prints the same table;
# - a pipeline file of the current folder comes before an installed one;
#   the gem5 pipeline's default input is the installed example (the
#   reference features come out) and pv-dataset's default suite the
#   installed one;
# - every user executable of the build is installed, the same bytes, and
#   prints its --version; each has a man page that man -l renders without
#   a warning, with its NAME and the sections of its README and no others.
# pv-test: once (packaging: build/install.sh copies what any build made)
set -euo pipefail
. "$(dirname "$0")/../lib/contains.sh"
OUT=$(cd "$1" && pwd)
src=$(pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

prefix=$tmp/prefix
DESTDIR=$tmp/stage build/install.sh "$OUT" "$prefix"
[ ! -e "$prefix" ] || fail "with DESTDIR, $prefix itself was written"
mv "$tmp/stage$prefix" "$prefix"
rm -rf "$tmp/stage"

# ---- executables and man pages -----------------------------------------------
version=$(tr -d '[:space:]' <VERSION)
man1=$prefix/share/man/man1
count=0
for exe in "$OUT"/pv-*; do
  [ -f "$exe" ] && [ -x "$exe" ] || continue
  name=$(basename "$exe")
  case $name in
    pv-synth-gem5 | pv-bench-*)  # a test tool, benchmarks
      [ ! -e "$prefix/bin/$name" ] || fail "$name is installed"
      continue ;;
  esac
  count=$((count + 1))
  cmp -s "$exe" "$prefix/bin/$name" || fail "$name is not installed as built"
  if [ "$name" != pv-kernels ] && [ "$name" != pv-science ] && [ "$name" != pv-loops ] && [ "$name" != pv-numeric ]; then  # no flags: tests/cli/help_version.sh
    first=$("$prefix/bin/$name" --version | sed -n 1p)
    [ "$first" = "$name (perfvec) $version" ] || fail "installed $name --version: '$first'"
  fi
  page=$man1/$name.1
  [ -f "$page" ] || fail "no man page $page"
  MANWIDTH=80 man -l "$page" >"$tmp/page.txt" 2>"$tmp/page.err" || fail "man -l $name.1 exits $?"
  [ ! -s "$tmp/page.err" ] || fail "man -l $name.1: $(head -3 "$tmp/page.err")"
  grep -A1 -x NAME "$tmp/page.txt" | grep -Eq "^ +$name +- +[a-z]" || fail "$name.1: no NAME line for $name"
  ! grep -q 'T{' "$tmp/page.txt" || fail "$name.1: a table not set by tbl"
  # Section headings (the lines at the left margin between header and footer).
  sed '1d;$d' "$tmp/page.txt" | grep '^[^ ]' | sort >"$tmp/got" || true
  case $name in
    pv-launch) readme=launcher/README.md ;;
    pv-dataset) readme=dataset/README.md ;;
    pv-kernels | pv-science | pv-loops | pv-numeric) readme=examples/workloads/kernels/README.md ;;
    pv-workload-inputs) readme= ;;
    *) readme=stages/${name#pv-}/README.md ;;
  esac
  {
    if [ "$name" = pv-kernels ] || [ "$name" = pv-science ] || [ "$name" = pv-loops ] || [ "$name" = pv-numeric ]; then printf 'NAME\nDESCRIPTION\n'; else printf 'NAME\nSYNOPSIS\nDESCRIPTION\nOPTIONS\n'; fi
    [ -z "$readme" ] || { grep '^## ' "$readme" || true; } | { grep -vx '## Library' || true; } | sed 's/^## //; s/`//g' | tr a-z A-Z
  } | sort >"$tmp/expected"
  diff "$tmp/expected" "$tmp/got" >"$tmp/diff" || fail "$name.1: sections differ from its --help and $readme: $(cat "$tmp/diff")"
done
for page in "$man1"/*.1; do
  [ -x "$prefix/bin/$(basename "$page" .1)" ] || fail "man page $page of no installed executable"
done
[ "$count" -ge 17 ] || fail "only $count executables installed"
echo "$count executables installed, each with its --version and a man page"

# ---- the installed tree at work, from elsewhere --------------------------------
work=$tmp/work
mkdir "$work"
share=$prefix/share/perfvec
installed() { (cd "$work" && env -u PV_VALGRIND_LIB PATH="$prefix/bin:/usr/bin:/bin" "$@"); }

# The installed pv-trace-tap finds the installed Valgrind tool by itself.
installed pv-trace-tap --valgrind --count 1000 -o /dev/null -- /bin/true 2>"$tmp/tap.err" \
  || fail "installed pv-trace-tap --valgrind: $(cat "$tmp/tap.err")"
grep -q ': 1000 instructions traced' "$tmp/tap.err" || fail "installed pv-trace-tap --valgrind: $(cat "$tmp/tap.err")"

# The demo pipeline, from the installed tree and from the build. The guest
# must see the same program and environment in both runs: the R_p's header
# names the command, and the environment's size moves the region (the
# dynamic loader's work, the stack; tests/cli/valgrind_tap.sh). So both run
# in the same folder (Debian's valgrind wrapper puts PWD into the guest's
# environment) with the same variables, and use the installed tool folder
# (Valgrind hands VALGRIND_LIB's path to the guest in its LD_PRELOAD).
run_env=(env -i "PATH=$prefix/bin:/usr/bin:/bin" "HOME=$work"
         "PV_VALGRIND_LIB=$prefix/lib/perfvec/pv-valgrind")
for var in ASAN_OPTIONS UBSAN_OPTIONS TMPDIR; do
  [ -z "${!var:-}" ] || run_env+=("$var=${!var}")
done
model=$share/examples/foundation/foundation.pvm
demo=(--no-progress "command=$prefix/bin/pv-kernels stencil 512 20" skip=10000000 count=20000
      "model=$model"
      "uarch_options=-c $share/examples/foundation/uarchs/s7-0000.toml -c $share/examples/foundation/uarchs/s7-0001.toml")
(cd "$work" && "${run_env[@]}" pv-launch native-rp "${demo[@]}" report=truth.json out=stencil.rp)
(cd "$work" && "${run_env[@]}" "$OUT/pv-launch" "$src/pipelines/native-rp.toml" "${demo[@]}" \
   report=build-truth.json out=build-stencil.rp)
cmp "$work/stencil.rp" "$work/build-stencil.rp" || fail "the installed tree's R_p differs from the build's"
cmp "$work/truth.json" "$work/build-truth.json" || fail "the installed tree's ground truth differs from the build's"
installed pv-dot-predict -m "$model" stencil.rp --truth truth.json >"$tmp/predicted-installed.txt"
"$OUT/pv-dot-predict" -m examples/foundation/foundation.pvm "$work/build-stencil.rp" \
  --truth "$work/build-truth.json" >"$tmp/predicted-build.txt"
diff "$tmp/predicted-build.txt" "$tmp/predicted-installed.txt" || fail "pv-dot-predict's table differs"
grep -q '^s7-0001 ' "$tmp/predicted-installed.txt" || fail "no prediction for s7-0001"
echo "native-rp from $prefix: the build's R_p ($(stat -c %s "$work/stencil.rp") bytes) and truth"

# A pipeline file of the current folder first; then the installed one, by name.
printf '[pipeline]\nname = "local"\n[[stage]]\nname = "cat"\nrun = "pv-cat"\n' >"$work/native-rp.toml"
installed pv-launch native-rp.toml --describe | contains -x 'Pipeline local (native-rp.toml)' \
  || fail "the current folder's native-rp.toml is not the one used"
installed pv-launch native-rp --describe | contains -x "Pipeline native-rp ($share/pipelines/native-rp.toml)" \
  || fail "the installed native-rp is not found by name"

# The gem5 pipeline's default trace is the installed example.
installed pv-launch --no-progress gem5-features.toml out=features.pvs
installed pv-cat features.pvs | diff examples/gem5-arm-21/features.expected.txt - \
  || fail "gem5-features with its default trace, installed: not the reference features"

# pv-dataset's default suite.
installed pv-dataset --list >"$tmp/list-installed.txt"
"$OUT/pv-dataset" --list >"$tmp/list-build.txt"
diff "$tmp/list-build.txt" "$tmp/list-installed.txt" || fail "pv-dataset --list differs installed"
echo "pipelines by name, the gem5 example and the workload suite found from $work"
