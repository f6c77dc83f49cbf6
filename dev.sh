#!/usr/bin/env bash
# perfvec's one entry point for people and CI (Debian 12).
#
#   ./dev.sh demo    install what is missing, build, run the default pipeline
#                    on the embedded example and print its feature rows
#   ./dev.sh test    install what is missing, build (release, and a debug
#                    build with ASan+UBSan), run every test, and the unit and
#                    damaged-input tests again under the sanitizers; the last
#                    line is "N passed, N failed" (PV_NO_SANITIZERS=1 skips them)
#   ./dev.sh build   install what is missing and build (out/)
#   ./dev.sh bench   build and run the benchmarks (prints numbers)
#
# Environment: PV_OUT (build folder, default out), PV_GN_ARGS (extra gn args,
# e.g. 'is_debug=true use_asan=true'), PV_JOBS (ninja -j).
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the build and the tests need.
PACKAGES=(
  g++ ninja-build generate-ninja pkg-config
  capnproto libcapnp-dev
  libzmq3-dev cppzmq-dev
  libzstd-dev zstd
  libcli11-dev libfmt-dev libxxhash-dev
  libgtest-dev librapidcheck-dev
  libtomlplusplus-dev
  valgrind liblzma-dev zlib1g-dev
  libtorch-dev libopenblas0-pthread libgloo-dev
  # the workload suite (examples/workloads/workloads.toml)
  xz-utils bzip2 gzip perl-base python3-minimal lua5.4 bc gawk sqlite3 cpp-12
  vpx-tools libjpeg-turbo-progs imagemagick-6.q16 openssl grep sed coreutils
)

OUT=${PV_OUT:-out}

install_deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "dev.sh: installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

SAN_OUT=$OUT/asan

# build [DIR [GN_ARGS]]
build() {
  install_deps
  local dir=${1:-$OUT} args=${2:-${PV_GN_ARGS:-}}
  if [ ! -f "$dir/build.ninja" ] || [ -n "$args" ]; then
    gn gen "$dir" --args="$args" >/dev/null
  fi
  ninja -C "$dir" ${PV_JOBS:+-j "$PV_JOBS"} >&2
}

case "${1:-}" in
  demo)
    build
    example=examples/gem5-arm-21
    echo "== $example: pv-trace-tap | pv-feature | pv-reuse-distance | pv-cat" >&2
    "$OUT/pv-trace-tap" "$example/trace.txt" \
      | "$OUT/pv-feature" \
      | "$OUT/pv-reuse-distance" \
      | "$OUT/pv-cat" --format csv
    ;;
  test)
    build
    if [ -n "${PV_NO_SANITIZERS:-}" ]; then
      exec tests/run.sh "$OUT"
    fi
    build "$SAN_OUT" "is_debug=true use_asan=true use_ubsan=true"
    exec tests/run.sh "$OUT" "$SAN_OUT"
    ;;
  build)
    build
    ;;
  bench)
    build
    exec bench/run.sh "$OUT"
    ;;
  *)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 2
    ;;
esac
