#!/bin/bash
# capnp_compile.sh GEN_ROOT SRC_ROOT SCHEMA...: generate C++ for each schema
# into GEN_ROOT, keeping its path relative to SRC_ROOT.
set -euo pipefail
gen_root=$1; src_root=$2; shift 2
mkdir -p "$gen_root"
exec capnp compile --src-prefix="$src_root" -oc++:"$gen_root" "$@"
