#!/usr/bin/env bash
# pv-trace-tap --valgrind under the real Valgrind, on programs of our own
# (compiled here with gcc) and on /bin/true, python3 and xz: instruction
# counts equal Valgrind's lackey's on the same run, known loads/stores/
# branches come out with their addresses and outcomes, --skip/--count are
# exact, the chain to pv-cat works, a multi-threaded guest works, and
# failures are reported with exit 1.
set -euo pipefail
OUT=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
TAP=$OUT/pv-trace-tap
fail() { echo "FAIL: $*" >&2; exit 1; }

cat > "$tmp/loops.c" <<'C'
#include <stdio.h>
long a[1000], b[1000];
int main(void) {
  long sum = 0;
  for (int i = 0; i < 1000; i++) a[i] = i;
  for (int i = 0; i < 1000; i++) { sum += a[i]; b[i] = sum; }
  printf("%lu %lu %lu\n", (unsigned long)a, (unsigned long)b, (unsigned long)&main);
  return sum == 0;
}
C
gcc -O1 -fno-tree-vectorize -fno-builtin -fno-inline -o "$tmp/loops" "$tmp/loops.c"

# 1. Counts and addresses of a known loop. The guest's environment must be
# the same in both runs (bash's "_" holds the command's path, and a longer
# environment costs the dynamic loader instructions): env -u _ in both.
env -u _ "$TAP" --valgrind --guest-stdout "$tmp/loops.out" -- "$tmp/loops" 2> "$tmp/err" | "$OUT/pv-cat" > "$tmp/loops.txt"
read -r A B MAIN < "$tmp/loops.out"
n=$(sed -n 's/.*: \([0-9]*\) instructions traced.*/\1/p' "$tmp/err")
lackey=$(env -u _ VALGRIND_LIB="$(cd "$OUT" && pwd)/pv-valgrind" valgrind --tool=lackey --vex-guest-chase=no "$tmp/loops" 2>&1 >"$tmp/lackey.out" \
         | sed -n 's/.*guest instrs: *\([0-9,]*\).*/\1/p' | tr -d ,)
echo "loops: $n instructions traced, lackey counts $lackey"
[ "$n" = "$lackey" ] || fail "instruction count $n differs from lackey's $lackey"
# columns: 1 index 4 op_class 5 flags 7 data_addr 8 size 10 pc 11 branching
read -r loadsA storesA loadsB storesB taken nottaken < <(awk -v a="$A" -v b="$B" -v m="$MAIN" '
  $7 >= a && $7 < a + 8000 && $4 == 47 { la++ }  $7 >= a && $7 < a + 8000 && $4 == 48 { sa++ }
  $7 >= b && $7 < b + 8000 && $4 == 47 { lb++ }  $7 >= b && $7 < b + 8000 && $4 == 48 { sb++ }
  $10 >= m && $10 < m + 256 && int($5 / 2) % 2 == 1 { if ($11 == 1) t++; else nt++ }
  END { print la + 0, sa + 0, lb + 0, sb + 0, t + 0, nt + 0 }' "$tmp/loops.txt")
echo "loops: a: $loadsA loads $storesA stores; b: $loadsB loads $storesB stores; main's conditional branches: $taken taken, $nottaken not"
[ "$loadsA $storesA $loadsB $storesB" = "1000 1000 0 1000" ] || fail "unexpected accesses"
[ "$taken $nottaken" = "1998 2" ] || fail "unexpected branch outcomes"
# every store of b is 8 bytes, a store-queue entry, at consecutive addresses
awk -v b="$B" '$7 >= b && $7 < b + 8000 && $4 == 48 { if ($8 != 8 || $3 == -1 || $7 != b + 8 * k) bad++; k++ }
  END { exit bad > 0 }' "$tmp/loops.txt" || fail "b's stores are not 8-byte store-queue stores in order"

# 2. Real programs agree with lackey. Both runs must see the same guest:
# the same environment (env -u _, as above; python3 with a fixed hash seed,
# its dictionaries otherwise differ from run to run), the same arguments
# (argv[0] included), stdin /dev/null, stdout and stderr on regular files
# that start empty: Python runs other start-up code when stderr is a pipe,
# or a file whose offset is not 0, as after Valgrind's banner, so lackey
# reports to --log-file (which leaves one more descriptor open in its guest;
# it changes no count here). The guest's output must be the same too.
# (Programs that read /proc/self/maps, such as grep through
# gnulib's c-stack, see Valgrind's own mappings there: they name the tool
# and differ between any two tools (lackey's and none's too), so their
# counts differ by a few hundred instructions; none of these reads it.)
LACKEY_LIB=$(cd "$OUT" && pwd)/pv-valgrind
same_count() {  # same_count NAME PROGRAM ARGS...: the tap's count equals lackey's
  local name=$1 n lackey; shift
  env -u _ PYTHONHASHSEED=0 "$TAP" --valgrind -o /dev/null --guest-stdout "$tmp/$name.tap.out" -- "$@" \
    < /dev/null 2> "$tmp/$name.tap.err" || fail "$name: pv-trace-tap failed: $(tail -3 "$tmp/$name.tap.err")"
  n=$(sed -n 's/^pv-trace-tap: .*: \([0-9]*\) instructions traced.*/\1/p' "$tmp/$name.tap.err")
  env -u _ PYTHONHASHSEED=0 VALGRIND_LIB="$LACKEY_LIB" valgrind --tool=lackey --vex-guest-chase=no \
    --log-file="$tmp/$name.lackey.log" "$@" < /dev/null > "$tmp/$name.lackey.out" 2> "$tmp/$name.lackey.err" \
    || fail "$name: lackey failed: $(tail -3 "$tmp/$name.lackey.log")"
  lackey=$(sed -n 's/^==[0-9]*== *guest instrs: *\([0-9,]*\)$/\1/p' "$tmp/$name.lackey.log" | tr -d ,)
  cmp -s "$tmp/$name.tap.out" "$tmp/$name.lackey.out" || fail "$name: the two runs wrote different output"
  echo "$name: $n instructions traced, lackey counts $lackey"
  [ -n "$n" ] && [ -n "$lackey" ] || fail "$name: no count (tap: '$n', lackey: '$lackey')"
  [ "$n" = "$lackey" ] || fail "$name: instruction count $n differs from lackey's $lackey"
}
same_count true /bin/true
# About 22 M instructions: the interpreter's start-up (-S: no site module)
# and a small loop.
same_count python3 /usr/bin/python3 -S -c 'print(sum(i * i for i in range(2000)))'
# About 6.5 M instructions: xz -1 on 15 KB, one thread, to a regular file.
seq 1 3000 > "$tmp/xz.in"
same_count xz /usr/bin/xz -1 -T1 -c "$tmp/xz.in"
xz -d < "$tmp/xz.tap.out" | cmp -s - "$tmp/xz.in" || fail "xz under the tap did not compress its input"

# 3. Region selection is exact: --skip N --count M gives the last M
# instructions of --count N+M (records compared without the index and
# store number columns).
N=20000 M=3000
"$TAP" --valgrind --guest-stdout /dev/null --count $((N + M)) -- "$tmp/loops" 2>/dev/null | "$OUT/pv-cat" | cut -d' ' -f4- > "$tmp/head.txt"
"$TAP" --valgrind --guest-stdout /dev/null --skip $N --count $M -- "$tmp/loops" 2> "$tmp/err" | "$OUT/pv-cat" | cut -d' ' -f4- > "$tmp/region.txt"
grep -q ": $M instructions traced ($N skipped)" "$tmp/err" || fail "region summary: $(cat "$tmp/err")"
tail -n "$(wc -l < "$tmp/region.txt")" "$tmp/head.txt" | cmp - "$tmp/region.txt" || fail "region differs from the tail of the prefix"
echo "region: skip $N count $M: $(wc -l < "$tmp/region.txt") records, same as the tail of the first $((N + M))"

# 4. The chain. The guest writes to a regular file as in step 1: stdout on
# a device such as /dev/null takes libc another path (other instruction count).
env -u _ "$TAP" --valgrind -q --guest-stdout "$tmp/chain.out" -- "$tmp/loops" | "$OUT/pv-feature" | "$OUT/pv-reuse-distance" \
  | "$OUT/pv-cat" --format csv > "$tmp/features.csv"
rows=$(($(wc -l < "$tmp/features.csv") - 1))
[ "$rows" -eq "$(wc -l < "$tmp/loops.txt")" ] || fail "chain: $rows feature rows"
echo "chain: $rows feature rows"

# 5. A multi-threaded guest: every thread's 100000 stores are there.
cat > "$tmp/mt.c" <<'C'
#include <pthread.h>
#include <stdio.h>
static volatile long sums[4];
static void* work(void* p) { long id = (long)p; for (long i = 0; i < 100000; i++) sums[id] += i; return 0; }
int main(void) {
  pthread_t t[4];
  for (long i = 0; i < 4; i++) pthread_create(&t[i], 0, work, (void*)i);
  for (long i = 0; i < 4; i++) pthread_join(t[i], 0);
  printf("%lu\n", (unsigned long)sums);
  return 0;
}
C
gcc -O1 -pthread -o "$tmp/mt" "$tmp/mt.c"
"$TAP" --valgrind --guest-stdout "$tmp/mt.out" -- "$tmp/mt" 2> "$tmp/err" | "$OUT/pv-cat" > "$tmp/mt.txt"
S=$(cat "$tmp/mt.out")
counts=$(awk -v s="$S" '$4 == 48 && $7 >= s && $7 < s + 32 { c[($7 - s) / 8]++ }
  END { print c[0] + 0, c[1] + 0, c[2] + 0, c[3] + 0 }' "$tmp/mt.txt")
echo "threads: stores per thread's counter: $counts; $(grep -o '[0-9]* threads' "$tmp/err")"
[ "$counts" = "100000 100000 100000 100000" ] || fail "multi-threaded stores: $counts"

# 6. Failures: exit 1 with the reason, also downstream.
expect_fail() {  # expect_fail PATTERN TAP_ARGS...
  local pattern=$1; shift
  set +e
  "$TAP" "$@" 2> "$tmp/err" | "$OUT/pv-cat" > /dev/null 2> "$tmp/cat.err"
  local rcs=("${PIPESTATUS[@]}")
  set -e
  [ "${rcs[0]}" = 1 ] || fail "$*: exit ${rcs[0]}, expected 1"
  [ "${rcs[1]}" = 1 ] || fail "$*: pv-cat exit ${rcs[1]}, expected 1"
  grep -q "$pattern" "$tmp/err" || fail "$*: no '$pattern' in: $(cat "$tmp/err")"
  grep -q "upstream stage pv-trace-tap failed" "$tmp/cat.err" || fail "$*: not forwarded"
}
expect_fail "/bin/false: exited with status 1" --valgrind -- /bin/false
expect_fail "killed by signal 11 (SIGSEGV)" --valgrind -- sh -c 'kill -SEGV $$'
expect_fail "valgrind exited with status" --valgrind -- "$tmp/no-such-program"
expect_fail "nothing traced" --valgrind --skip 100000000000 -- /bin/true
PV_VALGRIND_LIB=$tmp/nowhere expect_fail "the Valgrind tool is missing" --valgrind -- /bin/true
echo "usage errors"
set +e
"$TAP" --valgrind 2> "$tmp/err"; rc=$?
set -e
[ $rc = 2 ] || fail "--valgrind without a program: exit $rc"
echo "valgrind tap: all checks passed"
