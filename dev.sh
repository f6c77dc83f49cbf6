#!/usr/bin/env bash
# perfvec's one entry point for people and CI (Debian 12).
#
#   ./dev.sh demo    install what is missing, build, trace an example program
#                    (a stencil kernel) under Valgrind, reduce it to R_p with
#                    the shipped foundation model, and print the predicted
#                    times on the model's microarchitectures next to
#                    pv-uarch's ground truth for the same instructions
#   ./dev.sh test    install what is missing, build (release, and -O1 with
#                    ASan+UBSan), run every test on both builds (those
#                    marked "pv-test: once" on the release build only:
#                    tests/run.sh), then each libFuzzer target for PV_FUZZ_SECONDS (default 15; 0
#                    skips the fuzz build; PV_FUZZ_RUNS=1000000 runs each
#                    for a million executions instead); the last line is
#                    "N passed, N failed" (PV_NO_SANITIZERS=1 skips the
#                    sanitizer build and the fuzz targets)
#   ./dev.sh build   install what is missing and build (out/)
#   ./dev.sh install PREFIX
#                    install what is missing, build (out/), and install
#                    perfvec under PREFIX like a Debian tool: the pv-*
#                    executables in PREFIX/bin, the Valgrind tool in
#                    PREFIX/lib/perfvec, the pipelines, the foundation model
#                    and the workload suite in PREFIX/share/perfvec, man
#                    pages in PREFIX/share/man/man1 (docs/install.md;
#                    DESTDIR=STAGE puts the files under STAGE/PREFIX)
#   ./dev.sh bench   build and run the benchmarks (prints numbers)
#   ./dev.sh suite-deps
#                    install the Debian packages of the workload suite's
#                    programs beyond those the tests run (SUITE_PACKAGES;
#                    before generating the whole dataset with pv-dataset)
#
# Environment: PV_OUT (build folder, default out), PV_GN_ARGS (extra gn args,
# e.g. 'is_debug=true use_asan=true'), PV_JOBS (ninja -j).
set -euo pipefail
caller_dir=$PWD  # a relative PREFIX is relative to where dev.sh was called
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
  libmuparser-dev libnlopt-dev  # pv-dse's expressions and optimizer
  clang-14 libclang-rt-14-dev  # the libFuzzer build (tests/fuzz/run.sh)
  valgrind liblzma-dev zlib1g-dev
  libtorch-dev libopenblas0-pthread libgloo-dev nlohmann-json3-dev
  # the workload suite (examples/workloads/workloads.toml)
  xz-utils bzip2 gzip perl-base python3-minimal lua5.4 bc gawk sqlite3 cpp-12
  vpx-tools libjpeg-turbo-progs imagemagick-6.q16 openssl grep sed coreutils
  help2man lowdown  # man pages (./dev.sh install): --help and README.md to roff
  time  # GNU time: peak RSS per stage in bench/footprint/run.sh
  gnuplot-nox  # docs/plots/*.sh (tests/cli/accuracy_plots.sh, tests/cli/dse_plots.sh)
  # pv-dataset --slurm: sbatch, squeue, scancel (slurm-client); the one-node
  # cluster tests/cli/slurm_dataset.sh starts in a temporary folder
  # (slurmctld, slurmd, munged; their system services are not used)
  slurm-client slurm-wlm munge
  iproute2  # ip netns: the two-node cluster of tests/cli/slurm_namespaces.sh
)

# The other programs of the workload suite v2 (./dev.sh suite-deps): kept
# apart so that building and testing do not install them.
SUITE_PACKAGES=(
  lzop ncompress p7zip-full lz4 zip
  vorbis-tools opus-tools sox optipng
  tcl8.6 php8.2-cli gforth
  m4 tcc jq groff-base hunspell hunspell-en-us
  picosat gnugo pari-gp
  mawk speex primesieve ghostscript  # round 6 (docs/accuracy.md)
)

OUT=${PV_OUT:-out}

# install_deps [PACKAGE...]: those not installed yet (default: PACKAGES).
install_deps() {
  local wanted=("$@") missing=()
  [ $# -gt 0 ] || wanted=("${PACKAGES[@]}")
  for p in "${wanted[@]}"; do
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
  local start=$SECONDS
  ninja -C "$dir" ${PV_JOBS:+-j "$PV_JOBS"} >&2
  echo "dev.sh: $dir built in $((SECONDS - start)) s" >&2
}

case "${1:-}" in
  demo)
    build
    model=examples/foundation/foundation.pvm
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    configs=""
    for c in examples/foundation/uarchs/*.toml; do configs+="-c $c "; done
    echo "== pv-kernels stencil (instructions 10,000,000 to 10,200,000) | pv-uarch (74 configurations)" \
         "| ... | pv-encode ($model) | pv-aggregate" >&2
    "$OUT/pv-launch" --no-progress pipelines/native-rp.toml \
      command="$OUT/pv-kernels stencil 512 20" skip=10000000 count=200000 \
      model="$model" uarch_options="$configs" report="$work/truth.json" out="$work/stencil.rp"
    echo "== pv-dot-predict: T = R_p . M_u on every microarchitecture of the model; truth: pv-uarch" >&2
    "$OUT/pv-dot-predict" -m "$model" "$work/stencil.rp" --truth "$work/truth.json" --program stencil
    ;;
  test)
    build
    if [ -n "${PV_NO_SANITIZERS:-}" ]; then
      exec tests/run.sh "$OUT"
    fi
    fuzz=""
    if [ "${PV_FUZZ_SECONDS:-15}" != 0 ] || [ -n "${PV_FUZZ_RUNS:-}" ]; then fuzz=$OUT/fuzz; fi
    # The sanitizer and fuzz builds run at the lowest CPU priority beside
    # the release build's tests, which leave cores idle while they wait on
    # their processes; tests/run.sh waits for each build before its tests
    # (PV_BACKGROUND_BUILDS: FILE.status gets "NAME STATUS" lines, FILE.log
    # the builds' output).
    builds=$OUT/background-builds
    rm -f "$builds.status"
    (
      renice -n 19 -p "$BASHPID" > /dev/null
      rc=0
      build "$SAN_OUT" "use_asan=true use_ubsan=true" || rc=$?
      echo "sanitizer $rc" >> "$builds.status"
      if [ -n "$fuzz" ]; then
        rc=0
        tests/fuzz/run.sh "$fuzz" --build || rc=$?
        echo "fuzz $rc" >> "$builds.status"
      fi
    ) > "$builds.log" 2>&1 < /dev/null &
    export PV_BACKGROUND_BUILDS=$builds PV_BACKGROUND_PID=$!
    [ -z "$fuzz" ] || export PV_FUZZ_OUT=$fuzz
    exec tests/run.sh "$OUT" "$SAN_OUT"
    ;;
  build)
    build
    ;;
  install)
    [ $# -eq 2 ] && [ -n "$2" ] || { echo "usage: ./dev.sh install PREFIX" >&2; exit 2; }
    case $2 in /*) prefix=$2 ;; *) prefix=$caller_dir/$2 ;; esac
    build
    exec build/install.sh "$OUT" "$prefix"
    ;;
  bench)
    build
    exec bench/run.sh "$OUT"
    ;;
  suite-deps)
    install_deps "${SUITE_PACKAGES[@]}"
    ;;
  *)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 2
    ;;
esac
