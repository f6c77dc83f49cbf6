# Sourced by the command-line tests that need Slurm (tests/cli/slurm_*.sh):
# starts a Slurm cluster of one node, this machine (or two nodes:
# SLURM_TEST_NAMESPACES below): munged, slurmctld and slurmd with
# everything in a temporary folder (key, socket, configuration on ports of
# their own, state, logs), stopped at the end, also on failure
# (an EXIT trap). Debian's munge and slurm-wlm (dev.sh); needs root.
# Sets: tmp (the folder, removed at the end), SLURM_CONF (exported), bg (a
# background PID the caller may set, killed at the end), slurm_nodes.
# Needs: fail MESSAGE (the caller's).
# SLURM_TEST_NAMESPACES=1 before sourcing: two nodes instead, pva and pvb,
# each a slurmd in a network namespace of its own (ip netns) joined to this
# machine's by a veth pair, so that a step on each runs with its own
# addresses, as on two machines: pva 10.201.1.2, pvb 10.201.2.2, this
# machine 10.201.1.1 and 10.201.2.1 (reachable from both). Where the
# namespaces cannot be made (no privilege), namespaces_refused is set to
# the reason and nothing is started.
PATH=$PATH:/usr/sbin:/sbin
for p in munged slurmctld slurmd sbatch squeue sinfo scancel; do
  command -v "$p" > /dev/null || fail "$p not found: install the Debian packages munge and slurm-wlm (./dev.sh installs them)"
done
[ "$(id -u)" -eq 0 ] || fail "needs root: slurmd starts each job as its user (run the tests as root, as CI does)"
tmp=$(mktemp -d)
chmod 0755 "$tmp"  # munged wants its socket's folders searchable by all
bg=
namespaces=()
stop_cluster() {
  [ -n "$bg" ] && kill -9 "$bg" 2>/dev/null
  local f pid
  for f in "$tmp"/slurmd-*.pid "$tmp/slurmctld.pid" "$tmp/munged.pid"; do
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    # munged first needs slurmd and slurmctld gone: each is waited for.
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  for f in "${namespaces[@]}"; do ip netns delete "$f" 2>/dev/null; done  # and their veth pairs
  rm -rf "$tmp"
}
trap stop_cluster EXIT
slurm_nodes=(localhost)
ctld_host=localhost
node_lines="NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=1000 State=UNKNOWN"
if [ -n "${SLURM_TEST_NAMESPACES:-}" ]; then
  slurm_nodes=(pva pvb)
  ctld_host="$(hostname -s)
SlurmctldAddr=10.201.1.1"
  node_lines=""
  namespaces_refused=""
  for i in 1 2; do
    node=${slurm_nodes[i-1]}
    ns=pv$$$node
    if ! out=$(ip netns add "$ns" 2>&1); then namespaces_refused="ip netns add: $out"; return 0; fi
    namespaces+=("$ns")
    ip link add "v$$${node}0" type veth peer name "v$$${node}1" &&
      ip link set "v$$${node}1" netns "$ns" &&
      ip addr add "10.201.$i.1/24" dev "v$$${node}0" &&
      ip link set "v$$${node}0" up &&
      ip -n "$ns" addr add "10.201.$i.2/24" dev "v$$${node}1" &&
      ip -n "$ns" link set "v$$${node}1" up &&
      ip -n "$ns" link set lo up &&
      ip -n "$ns" route add default via "10.201.$i.1" || fail "the network namespace of $node"
    node_lines+="NodeName=$node NodeAddr=10.201.$i.2 CPUs=2 RealMemory=1000 State=UNKNOWN
"
  done
fi
# Ports nothing listens on (a system slurmctld would hold 6817 and 6818).
read -r ctld_port slurmd_port < <(python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
dd if=/dev/urandom of="$tmp/munge.key" bs=1024 count=1 status=none
chmod 0400 "$tmp/munge.key"
munged --socket="$tmp/munge.sock" --key-file="$tmp/munge.key" --log-file="$tmp/munged.log" \
  --pid-file="$tmp/munged.pid" --seed-file="$tmp/munged.seed" || { cat "$tmp/munged.log"; fail "munged did not start"; }
mkdir "$tmp/state"
for node in "${slurm_nodes[@]}"; do mkdir -p "$tmp/spool/$node"; done
cat > "$tmp/slurm.conf" <<EOF
ClusterName=pvtest
SlurmctldHost=$ctld_host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/munge.sock
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool/%n
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd-%n.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
KillWait=5
$node_lines
PartitionName=debug Nodes=$(IFS=,; echo "${slurm_nodes[*]}") Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start: $(tail -5 "$tmp/slurmctld.log" 2>/dev/null)"
for node in "${slurm_nodes[@]}"; do
  if [ "$node" = localhost ]; then
    slurmd -f "$SLURM_CONF" -N localhost || fail "slurmd did not start: $(tail -5 "$tmp/slurmd-localhost.log" 2>/dev/null)"
  else
    # nsenter, not ip netns exec: that one mounts a sysfs of its own,
    # without the cgroup file system slurmd reads.
    nsenter --net="/var/run/netns/pv$$$node" slurmd -f "$SLURM_CONF" -N "$node" \
      || fail "slurmd of $node did not start: $(tail -5 "$tmp/slurmd-$node.log" 2>/dev/null)"
  fi
done
idle() { [ "$(sinfo -h -t idle -o %D 2>/dev/null)" = "${#slurm_nodes[@]}" ]; }
for _ in $(seq 300); do idle && break; sleep 0.1; done
idle || {
  tail -5 "$tmp"/*.log >&2
  fail "the nodes did not become idle in 30 s (sinfo: $(sinfo -h -N -o '%N %T' 2>&1 | tr '\n' ' '))"
}
echo "cluster: slurmctld on port $ctld_port, slurmd on $slurmd_port, nodes ${slurm_nodes[*]} idle"
