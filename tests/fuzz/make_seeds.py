#!/usr/bin/env python3
"""Writes the binary seeds of tests/fuzz/corpus that are made by hand:
ChampSim records and a pvtap (Valgrind tool) stream, following the formats
in stages/trace-readers/champsim_trace_reader.h and valgrind/pvtap_format.h
(the same records the readers' unit tests build)."""
import struct, sys, os

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")

def champsim(ip, branch=0, taken=0, dst=(0, 0), src=(0, 0, 0, 0), dmem=(0, 0), smem=(0, 0, 0, 0)):
    return struct.pack("<QBB2B4B2Q4Q", ip, branch, taken, *dst, *src, *dmem, *smem)

recs = [
    champsim(0x401000, dst=(1, 0), src=(2, 3, 0, 0)),                         # alu
    champsim(0x401004, dst=(4, 0), src=(5, 0, 0, 0), smem=(0x7000, 0, 0, 0)),  # load
    champsim(0x401008, src=(4, 5, 0, 0), dmem=(0x7008, 0)),                   # store
    champsim(0x40100c, branch=1, taken=1, dst=(26, 0), src=(26, 25, 0, 0)),   # conditional branch
    champsim(0x401010, dst=(6, 0), src=(6, 0, 0, 0), smem=(0x7010, 0, 0, 0), dmem=(0x7010, 0)),  # rmw
]
with open(os.path.join(out, "champsim", "five.champsim"), "wb") as f:
    f.write(b"".join(recs))

def u16(v): return struct.pack("<H", v)
def u32(v): return struct.pack("<I", v)
def u64(v): return struct.pack("<Q", v)

class Pvtap:
    def __init__(self):
        self.b = b"PVTAP\0\0\1"; self.next = 1; self.execs = 0
    def desc(self, pc, op, flags, acc, src=(), dst=(), extra=0):
        i = self.next; self.next += 1
        p = u32(i) + u64(pc) + bytes([4, op]) + u16(flags) + bytes([len(acc), len(src), len(dst), extra])
        for size, kind in acc: p += u16(size) + bytes([kind, 0])
        for c, x in src: p += bytes([c, x])
        for c, x in dst: p += bytes([c, x])
        self.b += u32(1 | 1 << 2) + u32(len(p)) + p
        return i
    def exec(self, i, taken=False, addrs=()):
        self.b += u32(0 | (4 if taken else 0) | i << 3)
        for a in addrs: self.b += u64(a)
        self.execs += 1
    def thread(self, tid): self.b += u32(1 | 2 << 2) + u32(tid)
    def end(self): self.b += u32(1 | 3 << 2) + u32(0) + u32(0) + u64(0) + u64(self.execs)

s = Pvtap()
s.thread(1)
a = s.desc(0x1000, 1, 0, [(4, 0), (4, 1)], [(0, 3), (0, 0)], [(5, 0)], 1)  # add [rbx], eax
b = s.desc(0x1004, 1, 0, [], [(0, 1)], [(0, 1)])
c = s.desc(0x1008, 1, (1 << 1) | (1 << 3), [], [(5, 0)], [], 0)             # jcc
for k in range(3):
    s.exec(a, False, [0x5000 + 8 * k, 0x5000 + 8 * k])
    s.exec(b)
    s.exec(c, k < 2)
s.end()
with open(os.path.join(out, "valgrind", "loop.pvtap"), "wb") as f:
    f.write(s.b)
