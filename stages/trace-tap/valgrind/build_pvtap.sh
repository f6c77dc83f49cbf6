#!/usr/bin/env bash
# Builds the pvtap Valgrind tool the way Valgrind links its own tools
# (static, no default libraries, text at the tool load address) against the
# installed Debian valgrind package, and lays out a VALGRIND_LIB folder: the
# tool plus symbolic links to every file of Valgrind's own core folder.
#
#   build_pvtap.sh SOURCE OUT_DIR DEPFILE
#
# The tool has no interface version check, so it must be built against the
# valgrind that runs it: the version is recorded in OUT_DIR/pvtap.version
# and pv-trace-tap compares it with `valgrind --version` at run time.
set -euo pipefail
src=$1 outdir=$2 depfile=$3
VG_INC=/usr/include/valgrind
VG_LIBDIR=/usr/lib/x86_64-linux-gnu/valgrind
VG_CORE=/usr/libexec/valgrind
for f in "$VG_INC/pub_tool_basics.h" "$VG_LIBDIR/libcoregrind-amd64-linux.a" \
         "$VG_LIBDIR/libvex-amd64-linux.a" "$VG_LIBDIR/libgcc-sup-amd64-linux.a"; do
  [ -e "$f" ] || { echo "build_pvtap.sh: $f missing: install Debian's valgrind package" >&2; exit 1; }
done
mkdir -p "$outdir" "$(dirname "$depfile")"
tool=$outdir/pvtap-amd64-linux
obj=$outdir/pvtap.o
gcc -m64 -O2 -g -std=gnu11 -Wall -Wno-unused-parameter -Werror \
    -fno-strict-aliasing -fno-builtin -fno-stack-protector -fomit-frame-pointer \
    -I"$VG_INC" -I"$(dirname "$src")" \
    -DVGA_amd64=1 -DVGO_linux=1 -DVGP_amd64_linux=1 -DVGPV_amd64_linux_vanilla=1 \
    -MD -MF "$depfile.tmp" -MT "$tool" \
    -c "$src" -o "$obj"
gcc -m64 -o "$tool.tmp" "$obj" -static -nodefaultlibs -nostartfiles -u _start \
    -Wl,-Ttext-segment=0x58000000 \
    "$VG_LIBDIR/libcoregrind-amd64-linux.a" "$VG_LIBDIR/libvex-amd64-linux.a" -lgcc \
    "$VG_LIBDIR/libgcc-sup-amd64-linux.a"
mv "$tool.tmp" "$tool"
mv "$depfile.tmp" "$depfile"
for f in "$VG_CORE"/*; do
  name=$(basename "$f")
  [ "$name" = pvtap-amd64-linux ] && continue
  ln -sfn "$f" "$outdir/$name"
done
valgrind --version > "$outdir/pvtap.version"
