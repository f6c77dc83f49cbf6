#!/usr/bin/env bash
# The workload suite and pv-dataset on the real programs:
# - the inputs are the same bytes twice, with the sizes --list prints;
# - every program of the suite whose packages are installed runs natively
#   to success on its inputs;
# - pv-dataset on the first regions of three small programs (tiny regions,
#   2 sampled configurations) writes labelled feature files pv-cat prints with 32
#   labels per row, and a manifest; with --locality, 4 more columns and the
#   51 unchanged;
# - killed (SIGKILL) after its first workload, then rerun, it does not redo
#   that workload and ends with the same bytes as an uninterrupted run;
# - a bad suite entry, a missing program and a failing program give clear
#   errors naming the workload.
set -euo pipefail
. "$(dirname "$0")/../lib/contains.sh"
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
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | contains "install ok installed"
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
tail -1 "$tmp/native.txt" | contains "^${#here[@]} programs, 0 failed" || fail "a program failed natively"

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
ls "$tmp/a" | contains part && fail "a partial file was left behind"

# A rerun does nothing.
"$OUT/pv-dataset" -o "$tmp/a" "${args[@]}" 2> "$tmp/rerun.err"
grep -q "3 of 3 workloads already finished" "$tmp/rerun.err" || { cat "$tmp/rerun.err"; fail "rerun redid work"; }

# --locality in the same folder: the key differs, so matmul.r1 is labelled
# again, with 55 columns whose first 51 are the bytes of the plain run's.
cp -r "$tmp/a" "$tmp/l"
"$OUT/pv-dataset" -o "$tmp/l" -w matmul.r1 --sample 2 --seed 1 --scale 0.002 --no-progress --locality 2> "$tmp/loc.err" || { cat "$tmp/loc.err"; fail "--locality"; }
grep -q "1 done, 0 failed, 0 already finished" "$tmp/loc.err" || { cat "$tmp/loc.err"; fail "--locality did not relabel"; }
"$OUT/pv-cat" --format csv "$tmp/a/matmul.r1.pvs.zst" > "$tmp/plain.csv"
"$OUT/pv-cat" --format csv "$tmp/l/matmul.r1.pvs.zst" > "$tmp/loc.csv"
python3 - "$tmp/plain.csv" "$tmp/loc.csv" <<'EOF2' || fail "--locality: the 51 columns changed or the 4 are missing"
import csv, sys
plain = list(csv.reader(open(sys.argv[1])))
loc = list(csv.reader(open(sys.argv[2])))
assert len(plain) == len(loc) > 1000, (len(plain), len(loc))
assert loc[0][52:] == ["pc_stride_lines_log2", "pc_stride_repeats", "pc_stride_direction", "neighbour_line_reuse_log2"], loc[0]
assert all(len(a) == 52 and b[:52] == a and len(b) == 56 for a, b in zip(plain, loc))  # index + columns
repeats = sum(float(b[53]) for b in loc[1:])
assert repeats > 0.2 * len(loc), repeats  # matmul's loads stream: most strides repeat
print(f"--locality: {len(loc) - 1} rows, the 51 columns identical, stride repeats in {repeats:.0f}")
EOF2
# A 51-column model picks its columns from the 55 (pv-window -m): the same
# R_p from both files.
for f in a l; do
  "$OUT/pv-window" -m examples/foundation/foundation.pvm "$tmp/$f/matmul.r1.pvs.zst" \
    | "$OUT/pv-encode" -m examples/foundation/foundation.pvm -t 1 | "$OUT/pv-aggregate" \
    | "$OUT/pv-cat" > "$tmp/rp-$f.txt" || fail "the foundation model on $f/matmul.r1.pvs.zst"
done
[ -s "$tmp/rp-a.txt" ] && cmp -s "$tmp/rp-a.txt" "$tmp/rp-l.txt" \
  || fail "a 51-column model's R_p differs on a --locality stream"
# pv-train takes every column, or those --features names (an ablation).
small=(--hidden 8 --layers 1 -W 4 -K 16 --batch 4 --max-steps 2 --no-checkpoint -q)
"$OUT/pv-train" "$tmp/l/matmul.r1.pvs.zst" "${small[@]}" -o "$tmp/m55.pvm" || fail "pv-train on 55 columns"
"$OUT/pv-train" "$tmp/l/matmul.r1.pvs.zst" "${small[@]}" --features perfvec -o "$tmp/m51.pvm" || fail "--features perfvec"
"$OUT/pv-model" info "$tmp/m55.pvm" | contains "^features     55$" || fail "a 55-column model expected"
"$OUT/pv-model" info "$tmp/m51.pvm" | contains "^features     51$" || fail "--features perfvec: 51 columns expected"
if "$OUT/pv-train" "$tmp/a/matmul.r1.pvs.zst" "${small[@]}" --features perfvec,locality -o "$tmp/x.pvm" 2> "$tmp/f.err"; then
  fail "--features locality on a stream without them"
fi
grep -q "no feature column 'pc_stride_lines_log2' in this stream" "$tmp/f.err" || { cat "$tmp/f.err"; fail "--features: unclear error"; }
# The 55-column model on a 51-column stream says what is missing.
if "$OUT/pv-window" -m "$tmp/m55.pvm" "$tmp/a/matmul.r1.pvs.zst" > /dev/null 2> "$tmp/w.err"; then
  fail "a 55-column model windowed a 51-column stream"
fi
grep -q "no feature column 'pc_stride_lines_log2'.*pv-reuse-distance --locality" "$tmp/w.err" \
  || { cat "$tmp/w.err"; fail "55-column model on 51 columns: unclear error"; }
# --features perfvec-log: the 51 with the reuse distances as log2(1 + x),
# made by the model from the plain 51 wherever it reads them; the pipeline
# (pv-window | pv-encode | pv-aggregate | pv-dot-predict) and pv-eval give
# the same times, which differ from the plain model's.
"$OUT/pv-train" "$tmp/a/matmul.r1.pvs.zst" "${small[@]}" --features perfvec-log -o "$tmp/mlog.pvm" \
  || fail "--features perfvec-log"
"$OUT/pv-model" info "$tmp/mlog.pvm" | contains "^features     51$" || fail "--features perfvec-log: 51 columns expected"
for m in mlog m51; do
  "$OUT/pv-window" -m "$tmp/$m.pvm" "$tmp/a/qsort.r1.pvs.zst" | "$OUT/pv-encode" -m "$tmp/$m.pvm" -t 1 \
    | "$OUT/pv-aggregate" | "$OUT/pv-dot-predict" -m "$tmp/$m.pvm" --format csv > "$tmp/$m-pipe.csv" \
    || fail "$m: the pipeline"
  "$OUT/pv-eval" -m "$tmp/$m.pvm" "$tmp/a/qsort.r1.pvs.zst" --csv - -q -t 1 > "$tmp/$m-eval.csv" || fail "$m: pv-eval"
done
python3 - "$tmp/mlog-pipe.csv" "$tmp/mlog-eval.csv" "$tmp/m51-pipe.csv" <<'EOF2' || fail "perfvec-log: pipeline and pv-eval disagree"
import csv, sys
pipe = {r["uarch"]: float(r["time_ns"]) for r in csv.DictReader(open(sys.argv[1]))}
ev = {r["uarch"]: float(r["predicted_ns"]) for r in csv.DictReader(open(sys.argv[2]))}
plain = {r["uarch"]: float(r["time_ns"]) for r in csv.DictReader(open(sys.argv[3]))}
assert len(pipe) == 2 and pipe.keys() == ev.keys() == plain.keys(), (pipe, ev, plain)
for u in pipe:
    assert abs(pipe[u] - ev[u]) <= 1e-4 * abs(ev[u]) + 1e-3, (u, pipe[u], ev[u])
    assert abs(pipe[u] - plain[u]) > 1e-3 * abs(plain[u]), (u, pipe[u], plain[u])
print("perfvec-log: pipeline == pv-eval", pipe)
EOF2
if "$OUT/pv-train" "$tmp/a/matmul.r1.pvs.zst" "${small[@]}" --features "log2(no_such)" -o "$tmp/x.pvm" 2> "$tmp/f.err"; then
  fail "--features log2 of a missing column"
fi
grep -q "no feature column 'no_such' in this stream" "$tmp/f.err" || { cat "$tmp/f.err"; fail "--features log2: unclear error"; }

# pv-dependency appends its 4 columns to a labelled dataset file: the 55 and
# the labels unchanged, the values within their ranges, and a model trained
# on them (--features perfvec,dependency) names the stage when a stream
# lacks them.
"$OUT/pv-dependency" -q "$tmp/l/matmul.r1.pvs.zst" -o "$tmp/dep.pvs.zst" || fail "pv-dependency on a dataset file"
"$OUT/pv-cat" --format csv "$tmp/dep.pvs.zst" > "$tmp/dep.csv"
cmp -s <("$OUT/pv-cat" --labels "$tmp/l/matmul.r1.pvs.zst") <("$OUT/pv-cat" --labels "$tmp/dep.pvs.zst") \
  || fail "pv-dependency changed the labels"
python3 - "$tmp/loc.csv" "$tmp/dep.csv" <<'EOF2' || fail "pv-dependency: the 55 columns changed or the 4 are wrong"
import csv, math, sys
loc = list(csv.reader(open(sys.argv[1])))
dep = list(csv.reader(open(sys.argv[2])))
assert len(loc) == len(dep) > 1000, (len(loc), len(dep))
assert dep[0][56:] == ["dep_distance_log2", "dep_depth", "dep_on_load", "load_chain_depth"], dep[0]
assert all(len(b) == 60 and b[:56] == a for a, b in zip(loc, dep))
rows = [[float(v) for v in r[56:]] for r in dep[1:]]
far = math.log2(1025)
assert all(0 < d <= far + 1e-4 and 1 <= h <= 64 and o in (0, 1) and 0 <= c <= h for d, h, o, c in rows)
near = sum(d <= 2 for d, *_ in rows)  # operands from the last 3 instructions
assert near > 0.3 * len(rows), near
assert max(h for _, h, *_ in rows) > 4 and sum(o for *_, o, _ in rows) > 0
print(f"pv-dependency: {len(rows)} rows; operands within 3 instructions in {near}")
EOF2
"$OUT/pv-train" "$tmp/dep.pvs.zst" "${small[@]}" --features perfvec,dependency -o "$tmp/mdep.pvm" || fail "--features perfvec,dependency"
"$OUT/pv-model" info "$tmp/mdep.pvm" | contains "^features     55$" || fail "--features perfvec,dependency: 55 columns expected"
if "$OUT/pv-window" -m "$tmp/mdep.pvm" "$tmp/l/matmul.r1.pvs.zst" > /dev/null 2> "$tmp/w.err"; then
  fail "a model of the dependency columns windowed a stream without them"
fi
grep -q "no feature column 'dep_distance_log2'.*pv-dependency" "$tmp/w.err" \
  || { cat "$tmp/w.err"; fail "dependency model on a stream without them: unclear error"; }

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
first=$(finished_in "$tmp/b" | sed -n 1p)
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
ls "$tmp/b" | contains part && fail "a partial file was left behind after the resume"
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
