#!/usr/bin/env bash
# Stages on two hosts with addresses of their own: a Slurm cluster of two
# nodes (tests/lib/slurm_cluster.sh with SLURM_TEST_NAMESPACES=1), each
# slurmd in a network namespace joined to this machine by a veth pair, so
# that an srun step on pva runs with 10.201.1.2 and one on pvb with
# 10.201.2.2, as on two machines. gem5-rp's six stages, feature on pva
# and window on pvb, the others here on 10.201.1.1, every link over tcp
# with CURVE between the namespaces' addresses: the R_p file is the local
# pipeline's, byte for byte, and each hosted stage ran in its namespace
# (it bound its node's address, which this machine does not have). Where
# network namespaces cannot be made, tests/cli/slurm_hosts.sh's loopback
# addresses stand in (the issue's fallback) and this test says so.
set -uo pipefail
. "$(dirname "$0")/../lib/contains.sh"
OUT=$(cd "$1" && pwd)
fail() { echo "FAIL: $*" >&2; [ -f "${w:-/nonexistent}/err" ] && tail -30 "$w/err" >&2; exit 1; }
command -v ip > /dev/null && command -v nsenter > /dev/null || fail "ip or nsenter not found (iproute2, util-linux)"
SLURM_TEST_NAMESPACES=1
source "$(dirname "$0")/../lib/slurm_cluster.sh"
if [ -n "$namespaces_refused" ]; then
  echo "network namespaces cannot be made here ($namespaces_refused):"
  echo "the loopback addresses of tests/cli/slurm_hosts.sh stand in for them"
  exit 0
fi
w=$tmp/w
mkdir -p "$w/keys"
model=$PWD/examples/foundation/foundation.pvm
"$OUT/pv-synth-gem5" -n 3000 --seed 7 --out-dir "$w/run" > /dev/null || fail "synthetic trace"
"$OUT/pv-launch" --keygen "$w/keys/pipeline" -q || fail "--keygen"
cat > "$w/two-hosts.toml" <<'EOF'
[pipeline]
name = "two-hosts-rp"
[params]
trace = { help = "gem5 trace.txt" }
model = { help = "model file (.pvm)" }
out = { help = "the R_p file" }
keys = { help = "the folder of pipeline.key" }
[security]
curve_secret = "{keys}/pipeline.key"
[[stage]]
name = "tap"
run = "pv-trace-tap"
args = ["{trace}"]
[[stage]]
name = "feature"
run = "pv-feature"
host = "pva"
address = "10.201.1.2"
[[stage]]
name = "reuse"
run = "pv-reuse-distance"
[[stage]]
name = "window"
run = "pv-window"
args = ["-m", "{model}"]
host = "pvb"
address = "10.201.2.2"
[[stage]]
name = "encode"
run = "pv-encode"
args = ["-m", "{model}", "-t", "1"]
[[stage]]
name = "aggregate"
run = "pv-aggregate"
args = ["-o", "{out}"]
EOF

"$OUT/pv-launch" pipelines/gem5-rp.toml trace="$w/run/trace.txt" model="$model" out="$w/local.rp" \
  encode_options="-t 1" --no-progress 2> "$w/err" || fail "the local pipeline"

# The nodes' addresses are not this machine's: their ports cannot be
# probed from here, so the links get a base port (free here; the
# namespaces have ports of their own).
base=$(python3 -c 'import socket; s = socket.socket(); s.bind(("10.201.1.1", 0)); print(s.getsockname()[1])')
SECONDS=0
timeout 120 salloc -N2 -w pva,pvb --quiet "$OUT/pv-launch" "$w/two-hosts.toml" model="$model" keys="$w/keys" \
  trace="$w/run/trace.txt" out="$w/hosted.rp" --host 10.201.1.1 --base-port "$base" --no-progress -v 2> "$w/err" \
  || fail "the pipeline on pva and pvb"
echo "pipeline with stages on pva and pvb: $SECONDS s"
grep -q "^pv-launch: starting feature: .*/srun .*--nodelist=pva .* -- $OUT/pv-feature tcp://10.201.1.2:[0-9]* -o tcp://10.201.1.1:[0-9]* .*--curve-secret" "$w/err" \
  || fail "feature was not started on pva, bound on 10.201.1.2"
grep -q "^pv-launch: starting window: .*/srun .*--nodelist=pvb .* -- $OUT/pv-window tcp://10.201.2.2:[0-9]* -o tcp://10.201.1.1:[0-9]* .*--curve-secret" "$w/err" \
  || fail "window was not started on pvb, bound on 10.201.2.2"
# This machine has neither address: the stages that bound them ran in the
# nodes' namespaces.
! ip -4 -o addr show | contains -E ' 10\.201\.(1|2)\.2/' || fail "this machine has a node's address"
cmp "$w/local.rp" "$w/hosted.rp" || fail "the R_p of the stages on pva and pvb differs from the local pipeline's"
echo "stages on pva (10.201.1.2) and pvb (10.201.2.2), links over CURVE: the local R_p, byte for byte"
[ -z "$(squeue -h -o %i)" ] || fail "a job is left in squeue"
