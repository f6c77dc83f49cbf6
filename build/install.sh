#!/usr/bin/env bash
# Installs a built perfvec under a prefix, laid out like a Debian tool
# (docs/install.md). `./dev.sh install PREFIX` builds out/ and runs this;
# tests/cli/install.sh runs it on the build under test.
#
#   build/install.sh OUT PREFIX
#
#   PREFIX/bin/pv-*                    the executables a user runs
#   PREFIX/lib/perfvec/pv-valgrind/    pv-trace-tap's Valgrind tool folder
#   PREFIX/share/perfvec/pipelines/    pipelines/*.toml (paths into examples/ made absolute)
#   PREFIX/share/perfvec/examples/     the foundation model, the workload suite, the gem5 example
#   PREFIX/share/man/man1/pv-*.1       man pages: each --help (help2man) and its README.md
#
# DESTDIR=STAGE writes everything under STAGE/PREFIX (packaging); the paths
# written into the files still name PREFIX. Needs help2man and lowdown.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: build/install.sh OUT PREFIX" >&2; exit 2; }
src=$(cd "$(dirname "$0")/.." && pwd)
out=$(cd "$1" && pwd)
case $2 in
  /*) prefix=$2 ;;
  *) prefix=$(pwd)/$2 ;;
esac
prefix=${prefix%/}
dest=${DESTDIR:-}$prefix
for tool in help2man lowdown; do
  command -v "$tool" >/dev/null || { echo "install.sh: $tool is missing (./dev.sh installs it)" >&2; exit 1; }
done

# The executables in install order, each with its man page's README.md
# (none after the colon: the --help alone). One list, so that a new stage is
# named once. pv-synth-gem5 (a test tool) and pv-bench-* (benchmarks) stay out.
MANIFEST=(
  pv-trace-tap:stages/trace-tap/README.md
  pv-feature:stages/feature/README.md
  pv-reuse-distance:stages/reuse-distance/README.md
  pv-dependency:stages/dependency/README.md
  pv-window:stages/window/README.md
  pv-encode:stages/encode/README.md
  pv-aggregate:stages/aggregate/README.md
  pv-dot-predict:stages/dot-predict/README.md
  pv-dse:stages/dse/README.md
  pv-model:stages/model/README.md
  pv-uarch:stages/uarch/README.md
  pv-cat:stages/cat/README.md
  pv-launch:launcher/README.md
  pv-train:stages/train/README.md
  pv-eval:stages/eval/README.md
  pv-tune:stages/tune/README.md
  pv-dataset:dataset/README.md
  pv-kernels:examples/workloads/kernels/README.md
  pv-science:examples/workloads/kernels/README.md
  pv-loops:examples/workloads/kernels/README.md
  pv-numeric:examples/workloads/kernels/README.md
  pv-workload-inputs:
)
EXECUTABLES=()
declare -A README=()
for entry in "${MANIFEST[@]}"; do
  EXECUTABLES+=("${entry%%:*}")
  README[${entry%%:*}]=${entry#*:}
done

for exe in "${EXECUTABLES[@]}"; do
  [ -x "$out/$exe" ] || { echo "install.sh: $out/$exe is not built" >&2; exit 1; }
done
[ -x "$out/pv-valgrind/pvtap-amd64-linux" ] || { echo "install.sh: $out/pv-valgrind is not built" >&2; exit 1; }

install -d "$dest/bin" "$dest/lib/perfvec" "$dest/share/perfvec/pipelines" "$dest/share/man/man1"
for exe in "${EXECUTABLES[@]}"; do
  install -m 755 "$out/$exe" "$dest/bin/$exe"
done

# The tool, its version stamp and its links to Valgrind's core files
# (absolute, into Debian's valgrind package), copied as they are.
rm -rf "$dest/lib/perfvec/pv-valgrind"
cp -a "$out/pv-valgrind" "$dest/lib/perfvec/pv-valgrind"
rm -f "$dest/lib/perfvec/pv-valgrind/pvtap.o"

# Data. The pipelines' defaults name files relative to the source tree
# ("examples/gem5-arm-21/trace.txt"); installed, they name the copies.
share=$(sed 's/[|&\\]/\\&/g' <<<"$prefix/share/perfvec")  # for a sed replacement
for f in "$src"/pipelines/*.toml; do
  sed "/^[[:space:]]*#/!s|\"examples/|\"$share/examples/|g" \
    "$f" >"$dest/share/perfvec/pipelines/$(basename "$f")"
done
install -m 644 "$src/pipelines/README.md" "$dest/share/perfvec/pipelines/README.md"
copy_data() {  # FILE... (paths relative to the source tree)
  local f
  for f in "$@"; do install -D -m 644 "$src/$f" "$dest/share/perfvec/$f"; done
}
(cd "$src" && copy_data examples/foundation/foundation.pvm examples/foundation/README.md \
   examples/foundation/uarchs/*.toml \
   examples/workloads/workloads.toml examples/workloads/workloads-v1.toml examples/workloads/README.md \
   examples/workloads/scripts/* examples/workloads/kernels/kernels.c \
   examples/workloads/kernels/science.c \
   examples/gem5-arm-21/*)

# ---- man pages --------------------------------------------------------------
# A README.md man page (# pv-x(1), text, ## sections) in parts: DIR/0.md the
# text before the first section, DIR/N.md and DIR/N.title section N
# (upper-cased, as help2man does; ### a subsection). "## Library"
# describes the source code, not the command: left out.
readme_split() {  # README DIR; prints the number of sections
  awk -v dir="$2" '
    NR == 1 && /^# / { next }
    /^```/ { fence = !fence }
    !fence && /^## / {
      title = substr($0, 4); skip = (title == "Library"); if (skip) next
      n++; gsub(/`/, "", title)
      print toupper(title) > (dir "/" n ".title"); printf "" > (dir "/" n ".md"); next
    }
    skip { next }
    !fence && /^###/ { sub(/^#/, "") }
    { print > (dir "/" n + 0 ".md") }
    END { print n + 0 }
  ' "$1"
}
# Markdown to roff. Tables: as wide as their text, the last column taking
# what is left, ragged-right (justified narrow cells are full of gaps), a
# blank line after. Examples indented. A line starting with [ or / (a TOML
# table, a path in an example) gets a \& before it: help2man would read a
# section or a pattern there.
roff() {  # MARKDOWN
  lowdown -tman --nroff-nolinks --out-no-smarty "$1" | awk '
    /^[[\/]/ { $0 = "\\&" $0 }
    /^\.TS/ { print ".ad l"; print; spec = 1; next }
    spec && /;$/ { sub(/expand /, ""); print; next }
    spec && /\.$/ { sub(/l\.$/, "lx."); print; spec = 0; next }
    /^\.TE/ { print; print ".ad"; print ".sp"; next }
    /^\.EX/ { print ".RS 4"; print; next }
    /^\.EE/ { print; print ".RE"; next }
    { print }'
}
# `$exe --help` as help2man reads it. CLI11 starts descriptions in column
# 31 and leaves one blank after an option of 29 characters, which help2man
# takes for one paragraph: such a description moves to the next line, as
# CLI11 does for longer options (whose next line starts with 30 blanks).
HELP_FILTER='
  function flush() {
    if (held == "") return
    if ($0 ~ /^ {30}[^ ]/) print held
    else { print substr(held, 1, 29); printf "%30s%s\n", "", substr(held, 31) }
    held = ""
  }
  { flush() }
  /^  -/ && substr($0, 29, 3) ~ /^[^ ] [^ ]$/ { held = $0; next }
  { print }
  END { $0 = ""; flush() }'

man1=$dest/share/man/man1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for exe in "${EXECUTABLES[@]}"; do
  readme=${README[$exe]}
  parts=$scratch/$exe
  mkdir "$parts"
  sections=0
  [ -z "$readme" ] || sections=$(readme_split "$src/$readme" "$parts")
  if [ "$exe" = pv-kernels ] || [ "$exe" = pv-science ] || [ "$exe" = pv-loops ] || [ "$exe" = pv-numeric ]; then
    # Traced programs with no --help (tests/cli/help_version.sh): the man
    # page is the kernels' README alone (it describes all four), in help2man's
    # layout.
    if [ "$exe" = pv-kernels ]; then what="small programs of known behaviour, for tracing"
    elif [ "$exe" = pv-science ]; then what="scientific and graph kernels of known behaviour, for tracing"
    elif [ "$exe" = pv-loops ]; then what="loop kernels of known behaviour, for tracing"
    else what="floating-point kernels of known behaviour, for tracing"; fi
    {
      printf '.TH %s "1" "%s" "perfvec %s" "User Commands"\n' "${exe^^}" \
        "$(date +'%B %Y')" "$(tr -d '[:space:]' <"$src/VERSION")"
      printf '.SH NAME\n%s \\- %s\n' "$exe" "$what"
      printf '.SH DESCRIPTION\n'
      roff "$parts/0.md"
      for ((i = 1; i <= sections; i++)); do
        printf '.SH "%s"\n' "$(cat "$parts/$i.title")"
        roff "$parts/$i.md"
      done
    } >"$parts/page.1"
  else
    # help2man: DESCRIPTION and OPTIONS from --help, the README's text after
    # them. NAME: the first sentence of --help up to a colon that introduces
    # details ("R_p . M_u" is no sentence end).
    "$out/$exe" --help | awk "$HELP_FILTER" >"$parts/help"
    "$out/$exe" --version >"$parts/version"
    name=$(sed "s/^$exe: //; s/: .*//; s/\([^ ]\)\. .*/\1/; s/\.\$//; q" "$parts/help")
    include=()
    if [ -n "$readme" ]; then
      for ((i = 0; i <= sections; i++)); do
        if [ "$i" = 0 ]; then echo "[>DESCRIPTION]"; else echo "[$(cat "$parts/$i.title")]"; fi
        roff "$parts/$i.md"
      done >"$parts/include.h2m"
      include=(--include "$parts/include.h2m")
    fi
    # help2man names the page after the program it runs: a stand-in of that
    # name that prints the texts (the LibTorch executables take seconds to
    # start).
    mkdir "$parts/bin"
    printf '#!/bin/sh\ncase $1 in --help) cat "%s" ;; --version) cat "%s" ;; *) exit 2 ;; esac\n' \
      "$parts/help" "$parts/version" >"$parts/bin/$exe"
    chmod +x "$parts/bin/$exe"
    help2man --no-info --section 1 --name "${name,}" "${include[@]}" \
      --output "$parts/page.1" "$parts/bin/$exe"
  fi
  # The tables need tbl: say so on the first line, as man pages do.
  { printf "'\\\\\" t\n"; cat "$parts/page.1"; } >"$man1/$exe.1"
  chmod 644 "$man1/$exe.1"
done
echo "installed perfvec into $dest" >&2
