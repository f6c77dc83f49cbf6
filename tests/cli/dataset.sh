#!/usr/bin/env bash
# The workload suite and pv-dataset on the real programs:
# - the inputs are the same bytes twice, with the sizes --list prints;
# - every program of the suite whose packages are installed runs natively
#   to success on its inputs;
# - pv-dataset on the first regions of three small programs (tiny regions,
#   2 sampled configurations) writes labelled feature files pv-cat prints with 32
#   labels per row, and a manifest;
# - killed (SIGKILL) after its first workload, then rerun, it does not redo
#   that workload and ends with the same bytes as an uninterrupted run;
# - a bad suite entry, a missing program and a failing program give clear
#   errors naming the workload.
set -euo pipefail
OUT=$1
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# The manifest read as TOML (Python's tomllib): a workload's status, and the
# names of the finished workloads in manifest order.
status_of() {  # DIR NAME
  python3 -c 'import sys, tomllib
m = tomllib.load(open(sys.argv[1] + "/manifest.toml", "rb"))
print(next((w["status"] for w in m.get("workload", []) if w["name"] == sys.argv[2]), ""))' "$1" "$2"
}
finished_in() {  # DIR
  python3 -c 'import sys, tomllib
m = tomllib.load(open(sys.argv[1] + "/manifest.toml", "rb"))
print("\n".join(w["name"] for w in m.get("workload", []) if w["status"] == "done"))' "$1"
}

# --- inputs ---
"$OUT/pv-workload-inputs" -o "$tmp/in1"
"$OUT/pv-workload-inputs" -o "$tmp/in2"
"$OUT/pv-workload-inputs" --list > "$tmp/list"
while read -r name bytes hash _; do
  cmp "$tmp/in1/$name" "$tmp/in2/$name" || fail "$name differs between two runs"
  [ "$(stat -c %s "$tmp/in1/$name")" = "$bytes" ] || fail "$name: size is not $bytes"
  echo "input $name: $bytes bytes, xxh3 $hash"
done < "$tmp/list"
[ "$(wc -l < "$tmp/list")" -ge 5 ] || fail "fewer than 5 inputs"

# --- every program natively whose packages are here ---
# The suite's further packages come from ./dev.sh suite-deps, which the test
# command does not run: programs whose packages are missing are left out.
installed() {  # PACKAGE: installed?
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}
here=()
skipped=0
while read -r name packages; do
  ok=1
  for p in ${packages//,/ }; do installed "$p" || ok=0; done
  if [ $ok = 1 ]; then here+=("$name"); else skipped=$((skipped + 1)); fi
done < <(python3 -c 'import tomllib
for w in tomllib.load(open("examples/workloads/workloads.toml", "rb"))["workload"]:
    print(w["name"], ",".join(w["packages"]))')
echo "natively: ${#here[@]} programs ($skipped left out: packages not installed; ./dev.sh suite-deps)"
[ ${#here[@]} -ge 23 ] || fail "fewer than 23 programs can run here"
(IFS=,; "$OUT/pv-dataset" --native -o "$tmp/native" -w "${here[*]}") | tee "$tmp/native.txt"
tail -1 "$tmp/native.txt" | grep -q "^${#here[@]} programs, 0 failed" || fail "a program failed natively"

# --- a small dataset, uninterrupted ---
args=(-w matmul.r1,qsort.r1,gzip.r1 --sample 2 --seed 1 --scale 0.002 --no-progress)
"$OUT/pv-dataset" -o "$tmp/a" "${args[@]}" 2> "$tmp/a.err" || { cat "$tmp/a.err"; fail "dataset run failed"; }
cat "$tmp/a.err"
for w in matmul.r1 qsort.r1 gzip.r1; do
  f=$tmp/a/$w.pvs.zst
  [ -s "$f" ] || fail "$w.pvs.zst missing"
  "$OUT/pv-cat" --header "$f" > "$tmp/header"
  grep -q "labels: 16 targets x 2 microarchitectures (s1-0000 s1-0001)" "$tmp/header" \
    || fail "$w: not labelled for the two configurations"
  row=$("$OUT/pv-cat" --labels "$f" | sed -n 1p)  # sed reads all: no SIGPIPE under pipefail
  [ "$(wc -w <<<"$row")" -eq 32 ] || fail "$w: a label row has $(wc -w <<<"$row") values, not 32"
  [ "$(status_of "$tmp/a" "$w")" = done ] || fail "$w not done in the manifest"
done
python3 -c 'import sys, tomllib; assert tomllib.load(open(sys.argv[1], "rb"))["dataset"]["configs"] == ["s1-0000", "s1-0001"]' \
  "$tmp/a/manifest.toml" || fail "manifest lacks the configurations"
ls "$tmp/a" | grep -q part && fail "a partial file was left behind"

# A rerun does nothing.
"$OUT/pv-dataset" -o "$tmp/a" "${args[@]}" 2> "$tmp/rerun.err"
grep -q "3 of 3 workloads already finished" "$tmp/rerun.err" || { cat "$tmp/rerun.err"; fail "rerun redid work"; }

# --- killed after the first workload, then resumed ---
"$OUT/pv-dataset" -o "$tmp/b" "${args[@]}" 2> "$tmp/b1.err" &
pid=$!
for _ in $(seq 600); do
  grep -q 'status = "done"' "$tmp/b/manifest.toml" 2>/dev/null && break
  sleep 0.1
done
kill -9 $pid
wait $pid 2>/dev/null || true
pid=
first=$(finished_in "$tmp/b" | head -1)
[ -n "$first" ] || fail "no workload finished before the kill"
before=$(stat -c '%i %Y' "$tmp/b/$first.pvs.zst")
sleep 1.1  # so that a rewritten file would have another mtime
"$OUT/pv-dataset" -o "$tmp/b" "${args[@]}" 2> "$tmp/b2.err" || { cat "$tmp/b2.err"; fail "resumed run failed"; }
cat "$tmp/b2.err"
grep -q "pv-dataset: $first:" "$tmp/b2.err" && fail "$first was redone"
[ "$(stat -c '%i %Y' "$tmp/b/$first.pvs.zst")" = "$before" ] || fail "$first.pvs.zst was rewritten"
for w in matmul.r1 qsort.r1 gzip.r1; do
  cmp "$tmp/a/$w.pvs.zst" "$tmp/b/$w.pvs.zst" || fail "$w: resumed run differs from the uninterrupted one"
done
ls "$tmp/b" | grep -q part && fail "a partial file was left behind after the resume"
echo "killed after '$first', resumed: identical bytes"

# --- errors ---
cat > "$tmp/bad.toml" <<'EOF'
[suite]
name = "bad"
[[workload]]
name = "w"
packages = []
command = ["/bin/true"]
skip = 0
count = 10
split = "val"
EOF
set +e
"$OUT/pv-dataset" --suite "$tmp/bad.toml" -o "$tmp/c" --sample 1 2> "$tmp/c.err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "bad suite: exit $rc, not 2"
grep -qF "bad.toml:9:9: workload 'w': split must be \"train\", \"validation\" or \"test\", not \"val\"" "$tmp/c.err" \
  || { cat "$tmp/c.err"; fail "bad suite: unclear error"; }

cat > "$tmp/missing.toml" <<'EOF'
[suite]
name = "missing"
[[workload]]
name = "nosuch"
packages = ["pv-no-such-package"]
command = ["/usr/bin/pv-no-such-program", "x"]
skip = 0
count = 10
split = "train"
[[workload]]
name = "crash"
packages = ["coreutils"]
command = ["/bin/cat", "{inputs}/pv-no-such-input"]
skip = 0
count = 1000000
split = "train"
[[workload]]
name = "fine"
packages = []
command = ["{bin}/pv-kernels", "qsort", "1000"]
skip = 0
count = 1000
split = "train"
EOF
set +e
"$OUT/pv-dataset" --suite "$tmp/missing.toml" -o "$tmp/d" --sample 1 --no-progress 2> "$tmp/d.err"
rc=$?
set -e
cat "$tmp/d.err"
[ $rc -eq 1 ] || fail "failed workloads: exit $rc, not 1"
grep -qF "workload 'nosuch' failed" "$tmp/d.err" || fail "missing program: workload not named"
grep -qF "install the Debian package pv-no-such-package" "$tmp/d.err" || fail "missing program: package not named"
grep -qF "workload 'crash' failed" "$tmp/d.err" || fail "failing program: workload not named"
grep -qF "pv-no-such-input" "$tmp/d.err" || fail "failing program: reason not shown"
[ -s "$tmp/d/fine.pvs.zst" ] || fail "a good workload did not run beside failing ones"
[ "$(status_of "$tmp/d" crash)" = failed ] || fail "manifest: crash not failed"
echo "errors: ok"
