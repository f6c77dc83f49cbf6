#!/usr/bin/env bash
# pv-dse against a brute force of the real pv-dot-predict: on a 3 x 3 space
# of L1D x L2 sizes and two programs (the shipped model's stored slices),
# every point's per-program times equal pv-dot-predict --uarch on the
# point's configuration file (written here with awk, not by pv-dse), the
# ranking is theirs, the time x cost optimum and the Pareto front of (time,
# cost) are the brute force's; the JSON says the same; bad space files and
# expressions are errors naming the file and position, with exit status 2;
# a model without a parametric model is refused and no output file is left.
set -uo pipefail
OUT=$(cd "$1" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
model=examples/foundation/foundation.pvm
base=$PWD/examples/foundation/uarchs/s7-0003.toml

for p in stencil bzip2; do
  "$OUT/pv-window" -m "$model" "examples/foundation/slices/$p.pvs.zst" | "$OUT/pv-encode" -m "$model" -t 1 \
    | "$OUT/pv-aggregate" -o "$tmp/$p.rp" || fail "$p: the pipeline"
done

cat > "$tmp/space.toml" <<EOT
base = "$base"
[parameters]
l1d.size_kb = [16, 32, 64]
l2.size_kb = { min = 256, max = 1024, factor = 2 }
EOT
"$OUT/pv-dse" -m "$model" --space "$tmp/space.toml" --objective time-cost --top 9 --format csv \
  -o "$tmp/dse.csv" "$tmp/stencil.rp" "$tmp/bzip2.rp" || fail "pv-dse"
"$OUT/pv-dse" -m "$model" --space "$tmp/space.toml" --objective time-cost --top 9 --format json --configs "$tmp/cfg" \
  "$tmp/stencil.rp" "$tmp/bzip2.rp" > "$tmp/dse.json" || fail "pv-dse --format json"
"$OUT/pv-dse" -m "$model" --space "$tmp/space.toml" "$tmp/stencil.rp" "$tmp/bzip2.rp" > "$tmp/dse.txt" \
  || fail "pv-dse (text)"
grep -q "^search     exhaustive: 9 of 9 points looked at, 9 satisfy the constraints" "$tmp/dse.txt" \
  || fail "the text does not say the search was exhaustive: $(head -3 "$tmp/dse.txt")"

# The brute force: each point's configuration file, each program through
# pv-dot-predict --uarch.
for l1 in 16 32 64; do
  for l2 in 256 512 1024; do
    awk -v l1="$l1" -v l2="$l2" '
      /^name/ { $0 = "name = \"pt-" l1 "-" l2 "\"" }
      /^\[/ { table = $0 }
      table == "[l1d]" && /^size_kb/ { $0 = "size_kb = " l1 }
      table == "[l2]" && /^size_kb/ { $0 = "size_kb = " l2 }
      { print }' "$base" > "$tmp/pt-$l1-$l2.toml"
    for p in stencil bzip2; do
      "$OUT/pv-dot-predict" -m "$model" "$tmp/$p.rp" --uarch "$tmp/pt-$l1-$l2.toml" --format csv \
        | awk -F, -v u="pt-$l1-$l2" -v p="$p" -v l1="$l1" -v l2="$l2" \
            '$1 == u { print p "," l1 "," l2 "," $2 }' >> "$tmp/brute.csv" || fail "pv-dot-predict pt-$l1-$l2"
    done
  done
done
[ "$(wc -l < "$tmp/brute.csv")" -eq 18 ] || fail "the brute force has $(wc -l < "$tmp/brute.csv") rows, not 18"

python3 - "$tmp/dse.csv" "$tmp/brute.csv" "$tmp/dse.json" <<'PY' || fail "pv-dse differs from the brute force"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
truth = {}
for prog, l1, l2, t in csv.reader(open(sys.argv[2])):
    truth[(int(l1), int(l2), prog)] = float(t)
points = {(l1, l2) for l1, l2, _ in truth}
best = [r for r in rows if r["set"] == "best"]
assert len(best) == 9, len(best)
def close(a, b): return abs(a - b) <= 1e-7 * max(abs(b), 1.0)
score = {}
for l1, l2 in points:
    t = truth[(l1, l2, "stencil")] + truth[(l1, l2, "bzip2")]
    score[(l1, l2)] = (t, 1000 + 10 * l1 + l2)
for r in best:
    key = (int(r["l1d.size_kb"]), int(r["l2.size_kb"]))
    for p in ("stencil", "bzip2"):
        assert close(float(r["time_ns:" + p]), truth[key + (p,)]), (key, p, r["time_ns:" + p], truth[key + (p,)])
    t, cost = score[key]
    assert close(float(r["time_ns"]), t) and float(r["cost"]) == cost, (key, r)
    assert close(float(r["objective"]), t * cost), (key, r["objective"], t * cost)
# The ranking is the brute force's (pv-dot-predict prints 9 digits: ties
# within that are not ranked).
order = sorted(points, key=lambda k: score[k][0] * score[k][1])
got = [(int(r["l1d.size_kb"]), int(r["l2.size_kb"])) for r in best]
assert got[0] == order[0], (got[0], order[0])
for a, b in zip(got, got[1:]):
    assert score[a][0] * score[a][1] <= score[b][0] * score[b][1] * (1 + 1e-7), (a, b)
# The Pareto front of (time, cost): the points no other beats in both.
def dominated(k):
    return any(score[o][0] <= score[k][0] and score[o][1] <= score[k][1] and score[o] != score[k] for o in points)
front = {k for k in points if not dominated(k)}
got_front = {(int(r["l1d.size_kb"]), int(r["l2.size_kb"])) for r in rows if r["set"] == "pareto"}
assert got_front == front, (got_front, front)
j = json.load(open(sys.argv[3]))
assert j["search"] == "exhaustive" and j["space_points"] == 9 and j["feasible"] == 9, j
b0 = j["best"][0]
assert (b0["parameters"]["l1d.size_kb"], b0["parameters"]["l2.size_kb"]) == order[0], b0
assert close(b0["program_time_ns"]["stencil"], truth[order[0] + ("stencil",)]), b0
assert len(j["pareto"]) == len(front), j["pareto"]
print(f"9 points x 2 programs equal pv-dot-predict's; best {order[0]}; front of {len(front)}: {sorted(front)}")
PY

# The best point's configuration file, written by pv-dse, predicts its time
# in pv-dot-predict.
want=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i } $1 == "best" && $2 == 1 { print $col["time_ns:stencil"] }' "$tmp/dse.csv")
got=$("$OUT/pv-dot-predict" -m "$model" "$tmp/stencil.rp" --uarch "$tmp/cfg/best-1.toml" --format csv \
  | awk -F, '$1 == "best-1" { print $2 }')
[ -n "$want" ] && [ "$want" = "$got" ] || fail "best-1.toml: pv-dot-predict says '$got' ns, pv-dse '$want'"

# Bad space files: exit status 2 and the file, line and column.
expect_error() {  # NAME PATTERN [pv-dse flags...]: the space file $tmp/bad.toml
  local name=$1 pattern=$2; shift 2
  err=$("$OUT/pv-dse" -m "$model" --space "$tmp/bad.toml" "$@" "$tmp/stencil.rp" 2>&1 >/dev/null); rc=$?
  [ $rc -eq 2 ] || fail "$name: exit status $rc, not 2: $err"
  grep -qF -- "$pattern" <<<"$err" || fail "$name: '$err' does not say '$pattern'"
}
printf 'base = "%s"\n[parameters]\nl1d.size_kb = [16, 32]\nl1d.sise_kb = [16]\n' "$base" > "$tmp/bad.toml"
expect_error "an unknown parameter" "pv-dse: $tmp/bad.toml:4:1: unknown parameter 'l1d.sise_kb': [l1d] has the keys"
printf 'base = "%s"\n[parameters]\nl2.size_kb = { min = 1024, max = 256, factor = 2 }\n' "$base" > "$tmp/bad.toml"
expect_error "an empty range" "pv-dse: $tmp/bad.toml:3:14: parameter 'l2.size_kb': empty range: min 1024 is greater than max 256"
printf 'base = "%s"\nconstraints = ["l2.size_kb < l1d.size_kb"]\n[parameters]\nl1d.size_kb = [16, 32]\n' "$base" \
  > "$tmp/bad.toml"
expect_error "a constraint no point satisfies" \
  "pv-dse: $tmp/bad.toml:2:16: no point satisfies the constraints: of the 2 points of the space, constraint \"l2.size_kb < l1d.size_kb\" ruled out 2"
printf 'base = "%s"\nconstraints = ["l2.size_kb >= 8 * (l1d.size_kb"]\n[parameters]\nl1d.size_kb = [16, 32]\n' "$base" \
  > "$tmp/bad.toml"
expect_error "a malformed constraint" "pv-dse: $tmp/bad.toml:2:16: constraint \"l2.size_kb >= 8 * (l1d.size_kb\": "
cp "$tmp/space.toml" "$tmp/bad.toml"
expect_error "a malformed objective" "pv-dse: --objective \"time *\": " --objective "time *"

# A model without a parametric model: a data error, and -o leaves nothing.
"$OUT/pv-model" init -o "$tmp/plain.pvm" --hidden 4 --window 4 --chunk 4 2>/dev/null || fail "pv-model init"
err=$("$OUT/pv-dse" -m "$tmp/plain.pvm" --space "$tmp/space.toml" -o "$tmp/none.csv" "$tmp/stencil.rp" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -qF "pv-dse: $tmp/plain.pvm: the model has no parametric microarchitecture model" <<<"$err" \
  || fail "a model without a parametric model: rc $rc: $err"
[ ! -e "$tmp/none.csv" ] || fail "a failed run left its output file"

# Refinement by simulation, on two synthetic programs: their instruction
# streams (pv-uarch's input) and their R_p from the same streams.
for seed in 3 4; do
  "$OUT/pv-synth-gem5" -n 20000 --seed $seed > "$tmp/s$seed.txt" || fail "synth $seed"
  "$OUT/pv-trace-tap" -q "$tmp/s$seed.txt" -o "$tmp/s$seed.pvi" || fail "tap $seed"
  "$OUT/pv-feature" -q "$tmp/s$seed.pvi" | "$OUT/pv-encode" -q -m "$model" -t 1 | "$OUT/pv-aggregate" -q -o "$tmp/s$seed.rp" \
    || fail "R_p of s$seed"
done
"$OUT/pv-dse" -m "$model" --space "$tmp/space.toml" --objective time-cost --top 9 --format csv -o "$tmp/plain.csv" \
  "$tmp/s3.rp" "$tmp/s4.rp" || fail "pv-dse on the synthetic programs"
"$OUT/pv-dse" -m "$model" --space "$tmp/space.toml" --objective time-cost --top 9 --format json -q \
  --simulate 2 --rounds 2 --refit-iterations 200 --trace "$tmp/s3.pvi" --trace "$tmp/s4.pvi" --configs "$tmp/simcfg" -o "$tmp/refined.json" \
  "$tmp/s3.rp" "$tmp/s4.rp" || fail "pv-dse --simulate"
for k in 1 2 3 4; do
  for seed in 3 4; do
    "$OUT/pv-uarch" -q -c "$tmp/simcfg/sim-$k.toml" --report "$tmp/sim-$k-s$seed.json" -o /dev/null "$tmp/s$seed.pvi" \
      || fail "pv-uarch on sim-$k.toml"
  done
done
python3 - "$tmp" <<'EOF' || fail "the refinement's simulated points"
import csv, json, sys
tmp = sys.argv[1]
ref = json.load(open(f"{tmp}/refined.json"))["refinement"]
pts = ref["points"]
assert [p["name"] for p in pts] == ["sim-1", "sim-2", "sim-3", "sim-4"], [p["name"] for p in pts]
assert [p["round"] for p in pts] == [1, 1, 2, 2]
key = lambda d: (int(d["l1d.size_kb"]), int(d["l2.size_kb"]))
assert len({key(p["parameters"]) for p in pts}) == 4, "a point simulated twice"
# Round 1 simulates the plain search's two best points.
plain = [r for r in csv.DictReader(open(f"{tmp}/plain.csv")) if r["set"] == "best"]
assert [key(p["parameters"]) for p in pts[:2]] == [key(r) for r in plain[:2]], "round 1 is not the model's best two"
for k, p in enumerate(pts, 1):
    l1, l2 = key(p["parameters"])
    total = 0
    for prog in ("s3", "s4"):
        [report] = json.load(open(f"{tmp}/sim-{k}-{prog}.json"))
        got = p["simulated"]["program_time_ns"][prog]
        assert abs(got - report["time_ns"]) <= 1e-9 * report["time_ns"], (k, prog, got, report["time_ns"])
        total += report["time_ns"]
    want = total * (1000 + 10 * l1 + l2)
    assert abs(p["simulated"]["objective"] - want) <= 1e-9 * want, (k, p["simulated"]["objective"], want)
chosen = min(pts, key=lambda p: p["simulated"]["objective"])
assert ref["chosen"] == chosen["name"], (ref["chosen"], chosen["name"])
EOF
# Its text says what it simulated and how long it took.
"$OUT/pv-dse" -m "$model" --space "$tmp/space.toml" --objective time-cost -q --simulate 1 --rounds 1 --refit-iterations 200 \
  --trace "$tmp/s3.pvi" --trace "$tmp/s4.pvi" "$tmp/s3.rp" "$tmp/s4.rp" > "$tmp/refined.txt" || fail "pv-dse --simulate (text)"
grep -qE "^refinement 1 point\(s\) simulated with pv-uarch in 1 round\(s\): [0-9.]+ s simulating" "$tmp/refined.txt" \
  || fail "the text does not report the refinement: $(head -8 "$tmp/refined.txt")"
grep -qE "^chosen     sim-1 \(l1d.size_kb=[0-9]+ l2.size_kb=[0-9]+\): simulated objective" "$tmp/refined.txt" \
  || fail "the text does not say the chosen point"

# Its errors: a trace missing (usage, 2), --trace without --simulate (usage,
# 2), a trace pv-uarch cannot read (data, 1, naming the trace).
err=$("$OUT/pv-dse" -m "$model" --space "$tmp/space.toml" --simulate 1 --trace "$tmp/s3.pvi" \
  "$tmp/s3.rp" "$tmp/s4.rp" 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && grep -qF "2 program(s), 1 --trace file(s)" <<<"$err" || fail "one trace for two programs: rc $rc: $err"
err=$("$OUT/pv-dse" -m "$model" --space "$tmp/space.toml" --trace "$tmp/s3.pvi" "$tmp/s3.rp" 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && grep -qF -- "--trace requires --simulate" <<<"$err" || fail "--trace without --simulate: rc $rc: $err"
err=$("$OUT/pv-dse" -m "$model" --space "$tmp/space.toml" -q --simulate 1 --trace "$tmp/s3.pvi" --trace "$tmp/s3.rp" \
  "$tmp/s3.rp" "$tmp/s4.rp" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && grep -qF "pv-dse: $tmp/s3.rp: simulating program 's4' with" <<<"$err" \
  || fail "a trace pv-uarch cannot read: rc $rc: $err"
echo "pv-dse: brute force, Pareto front, refinement by simulation and bad inputs checked"
