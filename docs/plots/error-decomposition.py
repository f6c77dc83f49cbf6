#!/usr/bin/env python3
"""Decomposes a pv-eval CSV's errors: log(predicted / truth) = grand mean +
program + configuration + interaction (two-way, additive), prints each
part's share of the variance and its rms, and, per program family, the
correlation of its interaction with configuration parameters read from the
configurations' TOML files (docs/accuracy.md, round 9).

    docs/plots/error-decomposition.py PAIRS.csv UARCH_DIR
"""
import csv, math, statistics as st, sys, tomllib
from collections import defaultdict

if len(sys.argv) != 3:
    sys.exit(__doc__)
L = defaultdict(dict)
for r in csv.DictReader(open(sys.argv[1])):
    t, p = float(r['truth_ns']), float(r['predicted_ns'])
    if t <= 0 or p <= 0:
        sys.exit(f"{sys.argv[1]}: {r['program']} on {r['uarch']}: a time <= 0")
    L[r['program']][r['uarch']] = math.log(p / t)
progs = sorted(L)
us = sorted(set.intersection(*[set(L[p]) for p in progs]))
g = st.mean(L[p][u] for p in progs for u in us)
a = {p: st.mean(L[p][u] for u in us) - g for p in progs}
b = {u: st.mean(L[p][u] for p in progs) - g for u in us}
res = {(p, u): L[p][u] - g - a[p] - b[u] for p in progs for u in us}
tot = sum((L[p][u] - g) ** 2 for p in progs for u in us)
print(f"{len(progs)} workloads x {len(us)} configurations; grand mean log ratio {g:+.3f}")
print("share of variance: program %.2f, configuration %.2f, interaction %.2f" % (
    sum(v * v for v in a.values()) * len(us) / tot, sum(v * v for v in b.values()) * len(progs) / tot,
    sum(v * v for v in res.values()) / tot))
print("rms: program %.3f, configuration %.3f, interaction %.3f" % tuple(
    math.sqrt(st.mean(v * v for v in d)) for d in (a.values(), b.values(), res.values())))

def params(u):
    t = tomllib.load(open(f"{sys.argv[2]}/{u}.toml", "rb"))
    ooo = t['core']['type'] != 'in_order'
    return {'ooo': float(ooo), 'rob': t['core']['rob'] * ooo, 'ghz': t['core']['frequency_ghz'],
            'memlat': t['memory']['latency_ns'], 'l1kb': t['l1d']['size_kb'], 'l2kb': t['l2']['size_kb'],
            'l1pf': float(t['l1d']['prefetcher'] != 'none'), 'width': t['core']['issue_width'],
            'lq': t['core']['load_queue'] * ooo}

P = {u: params(u) for u in us}
keys = list(P[us[0]])

def corr(x, y):
    mx, my = st.mean(x), st.mean(y)
    sx = math.sqrt(sum((v - mx) ** 2 for v in x)); sy = math.sqrt(sum((v - my) ** 2 for v in y))
    return sum((p - mx) * (q - my) for p, q in zip(x, y)) / (sx * sy) if sx > 0 and sy > 0 else 0.0

print("correlation of each program's interaction with the configurations' parameters:")
print("%-12s" % "program" + " ".join("%6s" % k for k in keys) + "   rms")
fam = defaultdict(list)
for p in progs:
    fam[p.rsplit('.', 1)[0]].append(p)
for f, ps in sorted(fam.items()):
    r = [st.mean(res[(p, u)] for p in ps) for u in us]
    print("%-12s" % f + " ".join("%+6.2f" % corr([P[u][k] for u in us], r) for k in keys)
          + "  %.3f" % math.sqrt(st.mean(v * v for v in r)))
