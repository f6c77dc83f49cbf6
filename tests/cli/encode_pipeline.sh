#!/usr/bin/env bash
# The model path end to end with real processes: pv-model init, then
# tap | feature | reuse | window | encode | aggregate | dot-predict.
#  - per-instruction R_i summed give the R_p of per-chunk sums;
#  - pv-feature | pv-encode (the design card's form) gives the R_p bytes of
#    the 7-stage chain;
#  - pv-launch's gem5-predict pipeline prints what the shell chain prints;
#  - a window stream that does not fit the model, and an R_p of another
#    encoder, are clear errors with a non-zero exit;
#  - pv-encode drops a forced OPENBLAS_CORETYPE unless told to keep it.
set -uo pipefail
. "$(dirname "$0")/../lib/contains.sh"
OUT=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$OUT/pv-model" init -o "$tmp/m.pvm" --hidden 16 --window 16 --chunk 8 --seed 3 \
  --stats examples/gem5-arm-21/stats.csv --uarch fast@3 --uarch slow@1 || fail "pv-model init"
"$OUT/pv-model" init -o "$tmp/other.pvm" --hidden 16 --window 16 --chunk 8 --seed 4 \
  --stats examples/gem5-arm-21/stats.csv --uarch fast@3 || fail "pv-model init (other)"
"$OUT/pv-model" info "$tmp/m.pvm" | tee "$tmp/info.txt"
grep -q "lstm 2 x 16, window 16, trained chunked, K = 8" "$tmp/info.txt" || fail "pv-model info"
"$OUT/pv-model" info --format json "$tmp/m.pvm" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["architecture"]["hidden"]==16 and [u["name"] for u in d["uarchs"]]==["fast","slow"], d' \
  || fail "pv-model info --format json"

"$OUT/pv-synth-gem5" -n 3000 --seed 5 --out-dir "$tmp/run" || fail "synthetic trace"
"$OUT/pv-trace-tap" "$tmp/run/trace.txt" | "$OUT/pv-feature" | "$OUT/pv-reuse-distance" -o "$tmp/f.pvs" \
  || fail "features"

# Per-chunk sums and every R_i reduce to the same R_p.
"$OUT/pv-window" -m "$tmp/m.pvm" "$tmp/f.pvs" | "$OUT/pv-encode" -m "$tmp/m.pvm" -t 1 \
  | "$OUT/pv-aggregate" -o "$tmp/sums.rp" || fail "encode (sums)"
"$OUT/pv-window" -m "$tmp/m.pvm" --chunks-per-batch 3 "$tmp/f.pvs" \
  | "$OUT/pv-encode" -m "$tmp/m.pvm" --per-instruction --instructions-per-call 40 \
  | "$OUT/pv-aggregate" -o "$tmp/each.rp" || fail "encode (per instruction)"
"$OUT/pv-cat" "$tmp/sums.rp" > "$tmp/sums.txt"; "$OUT/pv-cat" "$tmp/each.rp" > "$tmp/each.txt"
paste -d' ' <(tr ' ' '\n' < "$tmp/sums.txt" | grep -v '^$') <(tr ' ' '\n' < "$tmp/each.txt" | grep -v '^$') \
  | awk '{ d = $1 - $2; if (d < 0) d = -d; s = ($1 < 0 ? -$1 : $1); if (d > 1e-4 * (s + 1)) bad++ ; n++ }
         END { print n " values compared, " bad + 0 " differ"; exit (n != 16 || bad > 0) }' \
  || fail "per-instruction R_i do not sum to the per-chunk R_p"
[ "$(head -c 2 "$tmp/sums.txt")" != "0 " ] || fail "empty R_p"

# The design card's form: pv-feature | pv-encode (reuse distances and windows
# computed in pv-encode), and pv-feature | pv-reuse-distance | pv-encode,
# give the 7-stage chain's R_p file byte for byte, with the foundation model
# and with the small one.
"$OUT/pv-synth-gem5" -n 20000 --seed 8 --out-dir "$tmp/card" >/dev/null || fail "synthetic trace (card)"
for model in examples/foundation/foundation.pvm "$tmp/m.pvm"; do
  "$OUT/pv-trace-tap" "$tmp/card/trace.txt" | "$OUT/pv-feature" | "$OUT/pv-reuse-distance" \
    | "$OUT/pv-window" -m "$model" | "$OUT/pv-encode" -m "$model" -q -t 1 | "$OUT/pv-aggregate" -o "$tmp/seven.rp" \
    || fail "7-stage chain ($model)"
  "$OUT/pv-trace-tap" "$tmp/card/trace.txt" | "$OUT/pv-feature" \
    | "$OUT/pv-encode" -m "$model" -q -t 1 | "$OUT/pv-aggregate" -o "$tmp/card.rp" || fail "pv-feature | pv-encode ($model)"
  "$OUT/pv-trace-tap" "$tmp/card/trace.txt" | "$OUT/pv-feature" | "$OUT/pv-reuse-distance" \
    | "$OUT/pv-encode" -m "$model" -q -t 1 | "$OUT/pv-aggregate" -o "$tmp/mid.rp" || fail "... | pv-reuse-distance | pv-encode ($model)"
  cmp "$tmp/seven.rp" "$tmp/card.rp" || fail "pv-feature | pv-encode: another R_p than the 7-stage chain's ($model)"
  cmp "$tmp/seven.rp" "$tmp/mid.rp" || fail "pv-reuse-distance | pv-encode: another R_p than the 7-stage chain's ($model)"
  "$OUT/pv-cat" --header "$tmp/card.rp" | contains "^stages: pv-trace-tap | pv-feature | pv-reuse-distance | pv-window | pv-encode | pv-aggregate$" \
    || { "$OUT/pv-cat" --header "$tmp/card.rp"; fail "the stage list of pv-feature | pv-encode"; }
done
echo "pv-feature | pv-encode: the 7-stage chain's R_p, byte for byte"

# The launcher runs the same chain.
"$OUT/pv-dot-predict" -m "$tmp/m.pvm" --format csv "$tmp/sums.rp" > "$tmp/shell.csv" || fail "dot-predict"
grep -q '^slow,-\?[0-9]' "$tmp/shell.csv" || { cat "$tmp/shell.csv"; fail "prediction table"; }
PATH="$OUT:$PATH" "$OUT/pv-launch" pipelines/gem5-predict.toml --no-progress trace="$tmp/run/trace.txt" \
  model="$tmp/m.pvm" format=csv encode_options="-t 1" out="$tmp/launch.csv" || fail "pv-launch gem5-predict"
cmp "$tmp/shell.csv" "$tmp/launch.csv" || fail "launcher output differs from the shell chain"

# A window stream of another W, and an R_p of another encoder.
"$OUT/pv-window" -w 8 "$tmp/f.pvs" | "$OUT/pv-encode" -m "$tmp/m.pvm" -o "$tmp/x" 2> "$tmp/w.err"
[ "${PIPESTATUS[1]}" -eq 1 ] || fail "pv-encode accepted windows of 8"
grep -q "windows of 8 instructions, the model ($tmp/m.pvm) needs 16" "$tmp/w.err" || { cat "$tmp/w.err"; fail "window message"; }
"$OUT/pv-dot-predict" -m "$tmp/other.pvm" "$tmp/sums.rp" > /dev/null 2> "$tmp/h.err" && fail "another encoder's R_p was accepted"
cat "$tmp/h.err"
grep -q "encoder" "$tmp/h.err" || fail "hash mismatch message"

# OPENBLAS_CORETYPE: dropped by default, kept on request.
OPENBLAS_CORETYPE=Haswell "$OUT/pv-encode" --backend | tee "$tmp/b1"
grep -q "OPENBLAS_CORETYPE" "$tmp/b1" && fail "OPENBLAS_CORETYPE not dropped"
OPENBLAS_CORETYPE=Haswell PV_KEEP_OPENBLAS_CORETYPE=1 "$OUT/pv-encode" --backend > "$tmp/b2"
grep -q "OPENBLAS_CORETYPE=Haswell" "$tmp/b2" || { cat "$tmp/b2"; fail "PV_KEEP_OPENBLAS_CORETYPE ignored"; }
echo "model path OK"
