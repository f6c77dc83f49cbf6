# Sourced by the command-line tests. `CMD | contains GREP-ARGS...` is
# `CMD | grep -q GREP-ARGS...` that reads all its input: under pipefail,
# grep -q leaving at its first match kills a CMD still writing (SIGPIPE,
# e.g. a --help printed in two writes), and the check fails though the line
# was there, or a `&& fail` check passes though it was.
contains() {
  local rc
  grep -q "$@" && rc=0 || rc=$?  # (set -e: not a failure here)
  cat > /dev/null
  return $rc
}
