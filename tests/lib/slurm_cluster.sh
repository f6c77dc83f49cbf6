# Sourced by the command-line tests that need Slurm (tests/cli/slurm_*.sh):
# starts a Slurm cluster of one node, this machine: munged, slurmctld and
# slurmd with everything in a temporary folder (key, socket, configuration
# on ports of their own, state, logs), stopped at the end, also on failure
# (an EXIT trap). Debian's munge and slurm-wlm (dev.sh); needs root.
# Sets: tmp (the folder, removed at the end), SLURM_CONF (exported), bg (a
# background PID the caller may set, killed at the end).
# Needs: fail MESSAGE (the caller's).
PATH=$PATH:/usr/sbin:/sbin
for p in munged slurmctld slurmd sbatch squeue sinfo scancel; do
  command -v "$p" > /dev/null || fail "$p not found: install the Debian packages munge and slurm-wlm (./dev.sh installs them)"
done
[ "$(id -u)" -eq 0 ] || fail "needs root: slurmd starts each job as its user (run the tests as root, as CI does)"
tmp=$(mktemp -d)
chmod 0755 "$tmp"  # munged wants its socket's folders searchable by all
bg=
stop_cluster() {
  [ -n "$bg" ] && kill -9 "$bg" 2>/dev/null
  local f pids=()
  for f in slurmd slurmctld munged; do
    [ -s "$tmp/$f.pid" ] || continue
    pids+=("$(cat "$tmp/$f.pid")")
    kill "$(cat "$tmp/$f.pid")" 2>/dev/null || true
    # munged first needs slurmd and slurmctld gone: each is waited for.
    for _ in $(seq 100); do kill -0 "${pids[-1]}" 2>/dev/null || break; sleep 0.1; done
    kill -9 "${pids[-1]}" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap stop_cluster EXIT
# Ports nothing listens on (a system slurmctld would hold 6817 and 6818).
read -r ctld_port slurmd_port < <(python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
dd if=/dev/urandom of="$tmp/munge.key" bs=1024 count=1 status=none
chmod 0400 "$tmp/munge.key"
munged --socket="$tmp/munge.sock" --key-file="$tmp/munge.key" --log-file="$tmp/munged.log" \
  --pid-file="$tmp/munged.pid" --seed-file="$tmp/munged.seed" || { cat "$tmp/munged.log"; fail "munged did not start"; }
mkdir "$tmp/state" "$tmp/spool"
cat > "$tmp/slurm.conf" <<EOF
ClusterName=pvtest
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/munge.sock
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
KillWait=5
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start: $(tail -5 "$tmp/slurmctld.log" 2>/dev/null)"
slurmd -f "$SLURM_CONF" -N localhost || fail "slurmd did not start: $(tail -5 "$tmp/slurmd.log" 2>/dev/null)"
for _ in $(seq 300); do
  [ "$(sinfo -h -n localhost -o %T 2>/dev/null)" = idle ] && break
  sleep 0.1
done
[ "$(sinfo -h -n localhost -o %T 2>/dev/null)" = idle ] || {
  tail -5 "$tmp/slurmctld.log" "$tmp/slurmd.log" >&2
  fail "the node did not become idle in 30 s (sinfo: $(sinfo -h -n localhost -o %T 2>&1))"
}
echo "cluster: slurmctld on port $ctld_port, slurmd on $slurmd_port, node idle"

