#!/usr/bin/env bash
# perfvec's one entry point for people and CI (Debian 12).
#
#   ./dev.sh demo    install what is missing, build, run the default pipeline
#                    on the embedded example and print its feature rows
#   ./dev.sh test    install what is missing, build, run every test; the last
#                    line is "N passed, N failed"
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
  libcli11-dev libfmt-dev
  libgtest-dev librapidcheck-dev
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

build() {
  install_deps
  if [ ! -f "$OUT/build.ninja" ] || [ -n "${PV_GN_ARGS:-}" ]; then
    gn gen "$OUT" --args="${PV_GN_ARGS:-}" >/dev/null
  fi
  ninja -C "$OUT" ${PV_JOBS:+-j "$PV_JOBS"} >&2
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
    exec tests/run.sh "$OUT"
    ;;
  build)
    build
    ;;
  bench)
    build
    exec bench/run.sh "$OUT"
    ;;
  *)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
