/* pvtap: perfvec's Valgrind tool. It records every committed guest
 * instruction (its static descriptor once, then per execution only an id,
 * a taken bit and its memory addresses) into a byte stream on a file
 * descriptor, for pv-trace-tap --valgrind (format: stages/trace-readers/pvtap_format.h).
 *
 * Copyright (C) the perfvec authors. Linked with Valgrind's core and VEX,
 * so this program is GPL-2.0-or-later (LICENSE beside it); it talks to the
 * rest of perfvec only through the stream.
 *
 * Design (why it looks like this):
 * - Block chasing is turned off in pre_clo_init (later it is ignored):
 *   with it, skipped-over instructions appear in superblocks.
 * - Register writes are made exact with VexRegUpdAllregsAtEachInsn; reads
 *   come from Get statements plus values that earlier instructions of the
 *   block left in temporaries (VEX removes repeated Gets).
 * - One dirty call per instruction ("segment" calls with up to 4
 *   addresses), placed after the instruction's last statement, or before a
 *   conditional exit of the instruction, so an instruction that faults is
 *   never recorded and a taken exit commits only the accesses before it.
 * - Region selection: when skipping, an inline counter per instruction
 *   guards the calls, so skipped instructions cost a load/add/store.
 * - Records go into a 4 MiB buffer written in large blocks.
 */
#include "pub_tool_basics.h"
#include "pub_tool_libcassert.h"
#include "pub_tool_libcbase.h"
#include "pub_tool_libcfile.h"
#include "pub_tool_libcprint.h"
#include "pub_tool_libcproc.h"
#include "pub_tool_machine.h"
#include "pub_tool_mallocfree.h"
#include "pub_tool_options.h"
#include "pub_tool_threadstate.h"
#include "pub_tool_tooliface.h"
#include "pub_tool_vki.h"
#include "pub_tool_vkiscnums.h"

#include "libvex_guest_amd64.h"

#include "../../trace-readers/pvtap_format.h"

/* Not in the tool headers, but exported by the core: moves an fd out of
 * the client's range (so the guest cannot close or clobber it). */
extern Int VG_(safe_fd)(Int oldfd);

/* gem5 OpClass numbers (stages/core/op_class.h). */
enum {
  OC_None = 0, OC_IntAlu = 1, OC_IntMult = 2, OC_IntDiv = 3, OC_FloatAdd = 4,
  OC_FloatCmp = 5, OC_FloatCvt = 6, OC_FloatMult = 7, OC_FloatMultAcc = 8,
  OC_FloatDiv = 9, OC_FloatMisc = 10, OC_FloatSqrt = 11, OC_SimdAdd = 12,
  OC_SimdAlu = 14, OC_SimdCmp = 15, OC_SimdCvt = 16, OC_SimdMisc = 17,
  OC_SimdMult = 18, OC_SimdShift = 20, OC_SimdFloatAdd = 24,
  OC_SimdFloatAlu = 25, OC_SimdFloatCmp = 26, OC_SimdFloatCvt = 27,
  OC_SimdFloatDiv = 28, OC_SimdFloatMult = 30, OC_SimdFloatMultAcc = 31,
  OC_SimdFloatSqrt = 32, OC_SimdAes = 38, OC_SimdSha1Hash = 40,
  OC_SimdSha256Hash = 42,
};

/* ---------------------------------------------------------------- options */

static Long clo_fd = -1;
static Long clo_skip = 0;
static Long clo_count = 0; /* 0: to the end */

static Bool pv_process_cmd_line_option(const HChar* arg) {
  if VG_INT_CLO(arg, "--pvtap-fd", clo_fd) {}
  else if VG_INT_CLO(arg, "--pvtap-skip", clo_skip) {}
  else if VG_INT_CLO(arg, "--pvtap-count", clo_count) {}
  else return False;
  return True;
}

static void pv_print_usage(void) {
  VG_(printf)(
      "    --pvtap-fd=N         write the record stream to file descriptor N\n"
      "    --pvtap-skip=N       skip the first N guest instructions [0]\n"
      "    --pvtap-count=M      then trace M instructions and stop the guest\n"
      "                         (0: until the guest exits) [0]\n");
}

static void pv_print_debug_usage(void) {}

/* ----------------------------------------------------------------- output */

#define BUF_BYTES (4u << 20)
/* Largest record: a descriptor (fixed part, 255 accesses, 2 x 255 regs). */
#define MAX_RECORD (64u + 255u * 4u + 510u * 2u)

static UChar* buf;
static UInt buf_len;
static Int out_fd = -1;
static Bool disabled; /* a forked child, or the region is over */
static ULong traced;
static ULong skip_counter; /* guest instructions counted while skipping */
static ThreadId last_tid = VG_INVALID_THREADID;
static UInt next_desc_id = 1;

static void flush(void) {
  UInt done = 0;
  while (done < buf_len) {
    Int n = VG_(write)(out_fd, buf + done, buf_len - done);
    if (n <= 0) {
      if (n == -VKI_EINTR) continue;
      VG_(message)(Vg_UserMsg,
                   "pvtap: cannot write the record stream (fd %d, error %d); "
                   "the reader has gone, stopping the guest\n",
                   out_fd, -n);
      VG_(exit)(1);
    }
    done += (UInt)n;
  }
  buf_len = 0;
}

static inline void ensure(UInt bytes) {
  if (buf_len + bytes > BUF_BYTES) flush();
}
static inline void put_u8(UInt v) { buf[buf_len++] = (UChar)v; }
static inline void put_u16(UInt v) {
  put_u8(v & 0xff);
  put_u8((v >> 8) & 0xff);
}
static inline void put_u32(UInt v) {
  *(UInt*)(buf + buf_len) = v; /* amd64: little-endian, unaligned ok */
  buf_len += 4;
}
static inline void put_u64(ULong v) {
  *(ULong*)(buf + buf_len) = v;
  buf_len += 8;
}

/* ------------------------------------------------------------ descriptors */

typedef struct {
  UShort size;
  UChar kind;
} Access;

typedef struct {
  UInt id; /* 0 until first sent */
  Addr pc;
  UChar len, opclass, nacc, nsrc, ndst, extra;
  UShort flags;
  Access* acc;
  UChar* src; /* pairs class, index */
  UChar* dst;
} InsnDesc;

/* A group of up to 4 addresses handed over in one call. */
typedef struct {
  InsnDesc* insn;
  UChar first;  /* the instruction's first segment: resets pending */
  UChar commit; /* 0 no, 1 commit at the end, 2 commit when the exit is taken */
  UChar taken;  /* the branch outcome when this segment commits */
  UChar naddr;
} SegDesc;

#define COMMIT_NONE 0
#define COMMIT_END 1
#define COMMIT_EXIT 2

static void send_desc(InsnDesc* d) {
  UInt n = PVTAP_DESC_FIXED_BYTES + d->nacc * PVTAP_ACCESS_BYTES +
           (d->nsrc + d->ndst) * PVTAP_REG_BYTES;
  UInt i;
  d->id = next_desc_id++;
  ensure(8 + n);
  put_u32(PVTAP_REC_CTRL | (PVTAP_CTRL_DESC << 2));
  put_u32(n);
  put_u32(d->id);
  put_u64(d->pc);
  put_u8(d->len);
  put_u8(d->opclass);
  put_u16(d->flags);
  put_u8(d->nacc);
  put_u8(d->nsrc);
  put_u8(d->ndst);
  put_u8(d->extra);
  for (i = 0; i < d->nacc; i++) {
    put_u16(d->acc[i].size);
    put_u8(d->acc[i].kind);
    put_u8(0);
  }
  for (i = 0; i < 2u * d->nsrc; i++) put_u8(d->src[i]);
  for (i = 0; i < 2u * d->ndst; i++) put_u8(d->dst[i]);
}

static void send_end(UInt reason, Int status) {
  ensure(32);
  put_u32(PVTAP_REC_CTRL | (PVTAP_CTRL_END << 2));
  put_u32(reason);
  put_u32((UInt)status);
  put_u64(clo_skip > 0 ? (skip_counter < (ULong)clo_skip ? skip_counter : (ULong)clo_skip)
                       : 0);
  put_u64(traced);
  flush();
}

/* ------------------------------------------------------- run-time helpers */

static ULong pending[256];
static UInt npending;

static void commit(InsnDesc* d, UInt taken) {
  UInt i;
  ThreadId tid;
  if (disabled) return;
  if (d->id == 0) send_desc(d);
  tid = VG_(get_running_tid)();
  ensure(16 + 8u * d->nacc);
  if (tid != last_tid) {
    put_u32(PVTAP_REC_CTRL | (PVTAP_CTRL_THREAD << 2));
    put_u32(tid);
    last_tid = tid;
  }
  put_u32(PVTAP_REC_EXEC | (taken << 2) | (d->id << 3));
  for (i = 0; i < npending; i++) put_u64(pending[i]);
  for (; i < d->nacc; i++) put_u64(0); /* after a taken exit */
  npending = 0;
  traced++;
  if (clo_count > 0 && traced >= (ULong)clo_count) {
    /* The region is done: say so and end the guest now, so that long
     * programs are not run to completion for nothing. */
    send_end(PVTAP_END_REGION, 0);
    disabled = True;
    VG_(exit)(0);
  }
}

static void add_addrs(SegDesc* s, ULong a0, ULong a1, ULong a2, ULong a3) {
  if (s->first) npending = 0;
  if (s->naddr > 0) pending[npending++] = a0;
  if (s->naddr > 1) pending[npending++] = a1;
  if (s->naddr > 2) pending[npending++] = a2;
  if (s->naddr > 3) pending[npending++] = a3;
}

static VG_REGPARM(0) void pv_seg(SegDesc* s, ULong a0, ULong a1, ULong a2, ULong a3) {
  add_addrs(s, a0, a1, a2, a3);
  if (s->commit == COMMIT_END) commit(s->insn, s->taken);
}

static VG_REGPARM(0) void pv_exit(SegDesc* s, ULong guard, ULong a0, ULong a1, ULong a2,
                                  ULong a3) {
  add_addrs(s, a0, a1, a2, a3);
  if (guard & 1) commit(s->insn, s->taken);
}

/* ------------------------------------------------------------- registers */

/* Register id (class << 8 | index) of a guest-state offset; -1 for state
 * that is not an architectural register (rip, emulation notes, ...). */
static Int reg_of_offset(Int off) {
#define IN(field, n) (off >= (Int)offsetof(VexGuestAMD64State, field) && \
                      off < (Int)offsetof(VexGuestAMD64State, field) + (n))
#define IDX(field, size) ((off - (Int)offsetof(VexGuestAMD64State, field)) / (size))
  if (IN(guest_RAX, 16 * 8)) return (PVTAP_REG_INT << 8) | IDX(guest_RAX, 8);
  if (IN(guest_CC_OP, 4 * 8)) return (PVTAP_REG_CC << 8) | 0;
  if (IN(guest_DFLAG, 8)) return (PVTAP_REG_CC << 8) | 1;
  if (IN(guest_ACFLAG, 8)) return (PVTAP_REG_CC << 8) | 2;
  if (IN(guest_IDFLAG, 8)) return (PVTAP_REG_CC << 8) | 3;
  if (IN(guest_FS_CONST, 8)) return (PVTAP_REG_MISC << 8) | 0;
  if (IN(guest_GS_CONST, 8)) return (PVTAP_REG_MISC << 8) | 1;
  if (IN(guest_SSEROUND, 8)) return (PVTAP_REG_MISC << 8) | 2;
  if (IN(guest_YMM0, 16 * 32)) return (PVTAP_REG_VEC << 8) | IDX(guest_YMM0, 32);
  if (IN(guest_FPREG, 8 * 8)) return (PVTAP_REG_FLOAT << 8) | IDX(guest_FPREG, 8);
  if (IN(guest_FTOP, 4) || IN(guest_FPTAG, 8) || IN(guest_FPROUND, 8) ||
      IN(guest_FC3210, 8))
    return (PVTAP_REG_MISC << 8) | 3;
  return -1;
#undef IN
#undef IDX
}

/* ------------------------------------------------------- operation class */

/* Rank of an op class: an instruction is classed by its slowest
 * operation. */
static Int rank_of(Int oc) {
  switch (oc) {
    case OC_None: return 0;
    case OC_IntAlu: return 1;
    case OC_SimdAlu: return 2;
    case OC_SimdMisc: return 3;
    case OC_SimdShift: return 4;
    case OC_SimdCmp: return 5;
    case OC_SimdAdd: return 6;
    case OC_FloatCmp: return 7;
    case OC_SimdFloatCmp: return 8;
    case OC_SimdFloatAlu: return 8;
    case OC_FloatCvt: return 9;
    case OC_SimdFloatCvt: return 9;
    case OC_SimdCvt: return 9;
    case OC_FloatMisc: return 9;
    case OC_FloatAdd: return 10;
    case OC_SimdFloatAdd: return 11;
    case OC_IntMult: return 12;
    case OC_SimdMult: return 13;
    case OC_FloatMult: return 14;
    case OC_SimdFloatMult: return 15;
    case OC_FloatMultAcc: return 16;
    case OC_SimdFloatMultAcc: return 17;
    case OC_SimdAes: return 18;
    case OC_SimdSha1Hash: return 18;
    case OC_SimdSha256Hash: return 18;
    case OC_FloatDiv: return 19;
    case OC_SimdFloatDiv: return 20;
    case OC_FloatSqrt: return 21;
    case OC_SimdFloatSqrt: return 22;
    case OC_IntDiv: return 23;
    default: return 1;
  }
}

static Bool is_vec_type(IRType t) { return t == Ity_V128 || t == Ity_V256; }
static Bool is_fp_type(IRType t) {
  return t == Ity_F32 || t == Ity_F64 || t == Ity_F128 || t == Ity_F16 || t == Ity_D64 ||
         t == Ity_D32 || t == Ity_D128;
}

static Int class_of_op(IROp op) {
  IRType r, a1, a2, a3, a4;
  switch (op) {
    case Iop_Mul8: case Iop_Mul16: case Iop_Mul32: case Iop_Mul64:
    case Iop_MullS8: case Iop_MullS16: case Iop_MullS32: case Iop_MullS64:
    case Iop_MullU8: case Iop_MullU16: case Iop_MullU32: case Iop_MullU64:
      return OC_IntMult;
    case Iop_DivU32: case Iop_DivS32: case Iop_DivU64: case Iop_DivS64:
    case Iop_DivModU64to32: case Iop_DivModS64to32: case Iop_DivModU128to64:
    case Iop_DivModS128to64: case Iop_DivModS64to64: case Iop_DivModU64to64:
      return OC_IntDiv;
    case Iop_AddF64: case Iop_SubF64: case Iop_AddF32: case Iop_SubF32:
    case Iop_AddF64r32: case Iop_SubF64r32:
    case Iop_Add64F0x2: case Iop_Sub64F0x2: case Iop_Add32F0x4: case Iop_Sub32F0x4:
      return OC_FloatAdd;
    case Iop_MulF64: case Iop_MulF32: case Iop_MulF64r32:
    case Iop_Mul64F0x2: case Iop_Mul32F0x4:
      return OC_FloatMult;
    case Iop_DivF64: case Iop_DivF32: case Iop_DivF64r32:
    case Iop_Div64F0x2: case Iop_Div32F0x4:
      return OC_FloatDiv;
    case Iop_SqrtF64: case Iop_SqrtF32: case Iop_Sqrt64F0x2: case Iop_Sqrt32F0x4:
      return OC_FloatSqrt;
    case Iop_MAddF64: case Iop_MSubF64: case Iop_MAddF32: case Iop_MSubF32:
      return OC_FloatMultAcc;
    case Iop_CmpF64: case Iop_CmpF32:
    case Iop_CmpEQ64F0x2: case Iop_CmpLT64F0x2: case Iop_CmpLE64F0x2: case Iop_CmpUN64F0x2:
    case Iop_CmpEQ32F0x4: case Iop_CmpLT32F0x4: case Iop_CmpLE32F0x4: case Iop_CmpUN32F0x4:
      return OC_FloatCmp;
    case Iop_Add32Fx4: case Iop_Sub32Fx4: case Iop_Add64Fx2: case Iop_Sub64Fx2:
    case Iop_Add32Fx8: case Iop_Sub32Fx8: case Iop_Add64Fx4: case Iop_Sub64Fx4:
      return OC_SimdFloatAdd;
    case Iop_Mul32Fx4: case Iop_Mul64Fx2: case Iop_Mul32Fx8: case Iop_Mul64Fx4:
      return OC_SimdFloatMult;
    case Iop_Div32Fx4: case Iop_Div64Fx2: case Iop_Div32Fx8: case Iop_Div64Fx4:
      return OC_SimdFloatDiv;
    case Iop_Sqrt32Fx4: case Iop_Sqrt64Fx2: case Iop_Sqrt32Fx8: case Iop_Sqrt64Fx4:
      return OC_SimdFloatSqrt;
    case Iop_CmpEQ32Fx4: case Iop_CmpLT32Fx4: case Iop_CmpLE32Fx4: case Iop_CmpUN32Fx4:
    case Iop_CmpEQ64Fx2: case Iop_CmpLT64Fx2: case Iop_CmpLE64Fx2: case Iop_CmpUN64Fx2:
    case Iop_Max32Fx4: case Iop_Min32Fx4: case Iop_Max64Fx2: case Iop_Min64Fx2:
      return OC_SimdFloatCmp;
    case Iop_I32StoF32x4: case Iop_F32toI32Sx4: case Iop_I32StoF32x8: case Iop_F32toI32Sx8:
      return OC_SimdFloatCvt;
    default:
      break;
  }
  typeOfPrimop(op, &r, &a1, &a2, &a3, &a4);
  if (is_vec_type(r) || is_vec_type(a1) || is_vec_type(a2)) {
    /* Integer SIMD: adds, multiplies, shifts and compares by the op's
     * place in the IROp list is not stable across releases, so go by the
     * few families that matter and call the rest SimdAlu. */
    switch (op) {
      case Iop_Add8x16: case Iop_Add16x8: case Iop_Add32x4: case Iop_Add64x2:
      case Iop_Sub8x16: case Iop_Sub16x8: case Iop_Sub32x4: case Iop_Sub64x2:
      case Iop_QAdd8Ux16: case Iop_QAdd16Ux8: case Iop_QAdd8Sx16: case Iop_QAdd16Sx8:
      case Iop_QSub8Ux16: case Iop_QSub16Ux8: case Iop_QSub8Sx16: case Iop_QSub16Sx8:
      case Iop_Add8x32: case Iop_Add16x16: case Iop_Add32x8: case Iop_Add64x4:
      case Iop_Sub8x32: case Iop_Sub16x16: case Iop_Sub32x8: case Iop_Sub64x4:
        return OC_SimdAdd;
      case Iop_Mul16x8: case Iop_Mul32x4: case Iop_MulHi16Ux8: case Iop_MulHi16Sx8:
      case Iop_Mul16x16: case Iop_Mul32x8: case Iop_MulHi16Ux16: case Iop_MulHi16Sx16:
        return OC_SimdMult;
      case Iop_ShlN16x8: case Iop_ShlN32x4: case Iop_ShlN64x2:
      case Iop_ShrN16x8: case Iop_ShrN32x4: case Iop_ShrN64x2:
      case Iop_SarN16x8: case Iop_SarN32x4: case Iop_ShlV128: case Iop_ShrV128:
      case Iop_ShlN16x16: case Iop_ShlN32x8: case Iop_ShlN64x4:
      case Iop_ShrN16x16: case Iop_ShrN32x8: case Iop_ShrN64x4:
        return OC_SimdShift;
      case Iop_CmpEQ8x16: case Iop_CmpEQ16x8: case Iop_CmpEQ32x4: case Iop_CmpEQ64x2:
      case Iop_CmpGT8Sx16: case Iop_CmpGT16Sx8: case Iop_CmpGT32Sx4: case Iop_CmpGT64Sx2:
      case Iop_CmpEQ8x32: case Iop_CmpEQ16x16: case Iop_CmpEQ32x8: case Iop_CmpEQ64x4:
      case Iop_CmpGT8Sx32: case Iop_CmpGT16Sx16: case Iop_CmpGT32Sx8: case Iop_CmpGT64Sx4:
        return OC_SimdCmp;
      case Iop_AndV128: case Iop_OrV128: case Iop_XorV128: case Iop_NotV128:
      case Iop_AndV256: case Iop_OrV256: case Iop_XorV256: case Iop_NotV256:
        return OC_SimdAlu;
      default:
        /* Widening, narrowing, lane moves and shuffles. */
        return is_fp_type(r) ? OC_FloatMisc : OC_SimdMisc;
    }
  }
  if (is_fp_type(r) || is_fp_type(a1) || is_fp_type(a2) || is_fp_type(a3)) {
    if (is_fp_type(r) != is_fp_type(a2 == Ity_INVALID ? a1 : a2)) return OC_FloatCvt;
    return OC_FloatMisc;
  }
  return OC_IntAlu;
}

/* --------------------------------------------------------- instrumenting */

#define MAX_ACC 64
#define MAX_REGS 32

typedef struct {
  IRExpr* addr;  /* atom */
  IRExpr* guard; /* atom of type I1, or NULL */
} AccExpr;

/* What the first pass learns about one guest instruction. */
typedef struct {
  Addr pc;
  UInt len;
  Int first_stmt, end_stmt; /* [IMark index, next IMark or end) */
  Int oc;
  Bool computes; /* has a non-address operation */
  Bool cond;     /* has a Boring exit (conditional branch) */
  Bool rep;      /* followed by itself: a rep-prefixed iteration */
  Bool falls_through; /* followed by pc + len when no exit is taken */
  UShort flags;
  UChar extra;
  Int nacc;
  Access acc[MAX_ACC];
  Int nsrc, ndst;
  UShort src[MAX_REGS], dst[MAX_REGS];
} InsnInfo;

static void add_reg(UShort* set, Int* n, Int reg) {
  Int i;
  if (reg < 0) return;
  for (i = 0; i < *n; i++)
    if (set[i] == reg) return;
  if (*n < MAX_REGS) set[(*n)++] = (UShort)reg;
}

/* Per-temporary facts of the block being instrumented. */
static Int* tmp_reg;   /* register whose value the temp holds, or -1 */
static Int* tmp_insn;  /* instruction that defined it */
static UChar* tmp_addr;/* used (transitively) for an address in its instruction */
static Int tmp_cap;

static void use_tmp(InsnInfo* in, Int k, IRTemp t) {
  if (t == IRTemp_INVALID) return;
  if (tmp_insn[t] < k && tmp_reg[t] >= 0) add_reg(in->src, &in->nsrc, tmp_reg[t]);
}

static void use_expr(InsnInfo* in, Int k, IRExpr* e) {
  Int i;
  if (e == NULL) return;
  switch (e->tag) {
    case Iex_RdTmp: use_tmp(in, k, e->Iex.RdTmp.tmp); break;
    case Iex_Get: add_reg(in->src, &in->nsrc, reg_of_offset(e->Iex.Get.offset)); break;
    case Iex_GetI: add_reg(in->src, &in->nsrc, reg_of_offset(e->Iex.GetI.descr->base));
      use_expr(in, k, e->Iex.GetI.ix); break;
    case Iex_Qop: use_expr(in, k, e->Iex.Qop.details->arg1);
      use_expr(in, k, e->Iex.Qop.details->arg2);
      use_expr(in, k, e->Iex.Qop.details->arg3);
      use_expr(in, k, e->Iex.Qop.details->arg4); break;
    case Iex_Triop: use_expr(in, k, e->Iex.Triop.details->arg1);
      use_expr(in, k, e->Iex.Triop.details->arg2);
      use_expr(in, k, e->Iex.Triop.details->arg3); break;
    case Iex_Binop: use_expr(in, k, e->Iex.Binop.arg1);
      use_expr(in, k, e->Iex.Binop.arg2); break;
    case Iex_Unop: use_expr(in, k, e->Iex.Unop.arg); break;
    case Iex_Load: use_expr(in, k, e->Iex.Load.addr); break;
    case Iex_ITE: use_expr(in, k, e->Iex.ITE.cond); use_expr(in, k, e->Iex.ITE.iftrue);
      use_expr(in, k, e->Iex.ITE.iffalse); break;
    case Iex_CCall:
      for (i = 0; e->Iex.CCall.args[i]; i++) use_expr(in, k, e->Iex.CCall.args[i]);
      break;
    default: break;
  }
}

static void mark_addr(IRExpr* e) {
  if (e && e->tag == Iex_RdTmp) tmp_addr[e->Iex.RdTmp.tmp] = 1;
}

static void mark_addr_operands(IRExpr* e) {
  Int i;
  switch (e->tag) {
    case Iex_RdTmp: mark_addr(e); break;
    case Iex_Binop: mark_addr(e->Iex.Binop.arg1); mark_addr(e->Iex.Binop.arg2); break;
    case Iex_Unop: mark_addr(e->Iex.Unop.arg); break;
    case Iex_Triop: mark_addr(e->Iex.Triop.details->arg2);
      mark_addr(e->Iex.Triop.details->arg3); break;
    case Iex_ITE: mark_addr(e->Iex.ITE.cond); mark_addr(e->Iex.ITE.iftrue);
      mark_addr(e->Iex.ITE.iffalse); break;
    case Iex_CCall:
      for (i = 0; e->Iex.CCall.args[i]; i++) mark_addr(e->Iex.CCall.args[i]);
      break;
    default: break;
  }
}

static void note_op(InsnInfo* in, IROp op) {
  Int oc = class_of_op(op);
  in->computes = True;
  if (rank_of(oc) > rank_of(in->oc)) in->oc = oc;
}

static void add_acc(InsnInfo* in, Int size, UInt kind) {
  if (in->nacc >= MAX_ACC) return; /* cannot happen on amd64 */
  in->acc[in->nacc].size = (UShort)(size > 0xffff ? 0xffff : size);
  in->acc[in->nacc].kind = (UChar)kind;
  in->nacc++;
}

static Int load_g_size(IRLoadGOp op) {
  switch (op) {
    case ILGop_IdentV128: return 16;
    case ILGop_Ident64: return 8;
    case ILGop_Ident32: return 4;
    case ILGop_16Uto32: case ILGop_16Sto32: return 2;
    case ILGop_8Uto32: case ILGop_8Sto32: return 1;
    default: return 0;
  }
}

static Int type_size(IRType t) {
  return t == Ity_I1 ? 1 : sizeofIRType(t); /* sizeofIRType(Ity_I1) aborts */
}

/* First pass over instruction k: accesses, registers, class, flags. */
static void analyse(IRSB* sb, InsnInfo* in, Int k) {
  Int i, j;
  /* Temps used for addresses, backwards through their definitions. */
  for (i = in->end_stmt - 1; i > in->first_stmt; i--) {
    IRStmt* st = sb->stmts[i];
    switch (st->tag) {
      case Ist_WrTmp:
        if (tmp_addr[st->Ist.WrTmp.tmp] && st->Ist.WrTmp.data->tag != Iex_Load &&
            st->Ist.WrTmp.data->tag != Iex_Get)
          mark_addr_operands(st->Ist.WrTmp.data);
        if (st->Ist.WrTmp.data->tag == Iex_Load) mark_addr(st->Ist.WrTmp.data->Iex.Load.addr);
        break;
      case Ist_Store: mark_addr(st->Ist.Store.addr); break;
      case Ist_StoreG: mark_addr(st->Ist.StoreG.details->addr); break;
      case Ist_LoadG: mark_addr(st->Ist.LoadG.details->addr); break;
      case Ist_CAS: mark_addr(st->Ist.CAS.details->addr); break;
      case Ist_Dirty:
        if (st->Ist.Dirty.details->mFx != Ifx_None) mark_addr(st->Ist.Dirty.details->mAddr);
        break;
      default: break;
    }
  }
  for (i = in->first_stmt + 1; i < in->end_stmt; i++) {
    IRStmt* st = sb->stmts[i];
    switch (st->tag) {
      case Ist_WrTmp: {
        IRTemp t = st->Ist.WrTmp.tmp;
        IRExpr* e = st->Ist.WrTmp.data;
        tmp_insn[t] = k;
        use_expr(in, k, e);
        if (e->tag == Iex_Get) {
          tmp_reg[t] = reg_of_offset(e->Iex.Get.offset);
        } else if (e->tag == Iex_Load) {
          add_acc(in, type_size(e->Iex.Load.ty), PVTAP_A_LOAD);
        } else if (!tmp_addr[t]) {
          if (e->tag == Iex_Unop) note_op(in, e->Iex.Unop.op);
          else if (e->tag == Iex_Binop) note_op(in, e->Iex.Binop.op);
          else if (e->tag == Iex_Triop) note_op(in, e->Iex.Triop.details->op);
          else if (e->tag == Iex_Qop) note_op(in, e->Iex.Qop.details->op);
        }
        break;
      }
      case Ist_Put: {
        Int reg = reg_of_offset(st->Ist.Put.offset);
        IRExpr* d = st->Ist.Put.data;
        use_expr(in, k, d);
        add_reg(in->dst, &in->ndst, reg);
        if (reg == ((PVTAP_REG_CC << 8) | 0)) in->extra |= PVTAP_X_WRITES_FLAGS;
        /* Later instructions using this temp read this register. */
        if (reg >= 0 && d->tag == Iex_RdTmp && tmp_reg[d->Iex.RdTmp.tmp] < 0)
          tmp_reg[d->Iex.RdTmp.tmp] = reg;
        break;
      }
      case Ist_PutI:
        use_expr(in, k, st->Ist.PutI.details->ix);
        use_expr(in, k, st->Ist.PutI.details->data);
        add_reg(in->dst, &in->ndst, reg_of_offset(st->Ist.PutI.details->descr->base));
        break;
      case Ist_Store:
        use_expr(in, k, st->Ist.Store.addr);
        use_expr(in, k, st->Ist.Store.data);
        add_acc(in, type_size(typeOfIRExpr(sb->tyenv, st->Ist.Store.data)), PVTAP_A_STORE);
        break;
      case Ist_StoreG: {
        IRStoreG* g = st->Ist.StoreG.details;
        use_expr(in, k, g->addr);
        use_expr(in, k, g->data);
        use_expr(in, k, g->guard);
        add_acc(in, type_size(typeOfIRExpr(sb->tyenv, g->data)),
                PVTAP_A_STORE | PVTAP_A_GUARDED);
        break;
      }
      case Ist_LoadG: {
        IRLoadG* g = st->Ist.LoadG.details;
        tmp_insn[g->dst] = k;
        use_expr(in, k, g->addr);
        use_expr(in, k, g->alt);
        use_expr(in, k, g->guard);
        add_acc(in, load_g_size(g->cvt), PVTAP_A_LOAD | PVTAP_A_GUARDED);
        break;
      }
      case Ist_CAS: {
        IRCAS* c = st->Ist.CAS.details;
        Int size = type_size(typeOfIRExpr(sb->tyenv, c->dataLo)) * (c->dataHi ? 2 : 1);
        tmp_insn[c->oldLo] = k;
        if (c->oldHi != IRTemp_INVALID) tmp_insn[c->oldHi] = k;
        use_expr(in, k, c->addr);
        use_expr(in, k, c->expdLo);
        use_expr(in, k, c->expdHi);
        use_expr(in, k, c->dataLo);
        use_expr(in, k, c->dataHi);
        add_acc(in, size, PVTAP_A_LOAD);
        add_acc(in, size, PVTAP_A_STORE | PVTAP_A_GUARDED); /* only when equal */
        in->flags |= PVTAP_F_ATOMIC;
        in->computes = True;
        break;
      }
      case Ist_LLSC:
        /* Not produced for amd64 guests. */
        break;
      case Ist_Dirty: {
        IRDirty* d = st->Ist.Dirty.details;
        const HChar* name = d->cee->name;
        if (d->tmp != IRTemp_INVALID) tmp_insn[d->tmp] = k;
        for (j = 0; d->args[j]; j++)
          if (d->args[j]->tag != Iex_VECRET && d->args[j]->tag != Iex_GSPTR)
            use_expr(in, k, d->args[j]);
        for (j = 0; j < d->nFxState; j++) {
          Int r, off;
          for (r = 0; r <= d->fxState[j].nRepeats; r++) {
            off = d->fxState[j].offset + r * d->fxState[j].repeatLen;
            if (d->fxState[j].fx != Ifx_Write) add_reg(in->src, &in->nsrc, reg_of_offset(off));
            if (d->fxState[j].fx != Ifx_Read) add_reg(in->dst, &in->ndst, reg_of_offset(off));
          }
        }
        if (d->mFx == Ifx_Read || d->mFx == Ifx_Modify)
          add_acc(in, d->mSize, PVTAP_A_LOAD | PVTAP_A_GUARDED);
        if (d->mFx == Ifx_Write || d->mFx == Ifx_Modify)
          add_acc(in, d->mSize, PVTAP_A_STORE | PVTAP_A_GUARDED);
        in->computes = True;
        if (VG_(strstr)(name, "AES")) { if (rank_of(OC_SimdAes) > rank_of(in->oc)) in->oc = OC_SimdAes; }
        else if (VG_(strstr)(name, "SHA")) { if (rank_of(OC_SimdSha256Hash) > rank_of(in->oc)) in->oc = OC_SimdSha256Hash; }
        else if (VG_(strstr)(name, "CPUID") || VG_(strstr)(name, "RDTSC"))
          in->flags |= PVTAP_F_SERIALIZE_AFTER | PVTAP_F_NON_SPECULATIVE;
        else if (rank_of(OC_IntAlu) > rank_of(in->oc)) in->oc = OC_IntAlu;
        break;
      }
      case Ist_MBE:
        if (st->Ist.MBE.event == Imbe_Fence)
          in->flags |= PVTAP_F_READ_BARRIER | PVTAP_F_WRITE_BARRIER;
        break;
      case Ist_Exit:
        use_expr(in, k, st->Ist.Exit.guard);
        if (st->Ist.Exit.jk == Ijk_Boring) in->cond = True;
        break;
      default:
        break;
    }
  }
}

/* A guarded access's address becomes ITE(guard, addr, 0): 0 = not done. */
static IRExpr* addr_arg(IRSB* out, AccExpr* a) {
  IRTemp t;
  if (a->guard == NULL) return a->addr;
  t = newIRTemp(out->tyenv, Ity_I64);
  addStmtToIRSB(out, IRStmt_WrTmp(t, IRExpr_ITE(a->guard, a->addr, mkIRExpr_HWord(0))));
  return IRExpr_RdTmp(t);
}

/* Emits the calls for the pending accesses of an instruction: chunks of 4,
 * the last one committing (kind) or not. */
static void emit_segments(IRSB* out, InsnDesc* d, AccExpr* acc, Int nacc, Bool* first,
                          UInt commit_kind, UInt taken, IRExpr* exit_guard, IRExpr* run_guard) {
  Int done = 0;
  do {
    Int n = nacc - done > 4 ? 4 : nacc - done;
    Bool last = done + n == nacc;
    SegDesc* s = VG_(malloc)("pvtap.seg", sizeof(SegDesc));
    IRExpr* args[4];
    IRDirty* di;
    Int i;
    s->insn = d;
    s->first = *first ? 1 : 0;
    s->commit = last ? (UChar)commit_kind : COMMIT_NONE;
    s->taken = (UChar)taken;
    s->naddr = (UChar)n;
    for (i = 0; i < 4; i++) args[i] = i < n ? addr_arg(out, &acc[done + i]) : mkIRExpr_HWord(0);
    if (last && commit_kind == COMMIT_EXIT) {
      IRTemp g = newIRTemp(out->tyenv, Ity_I64);
      addStmtToIRSB(out, IRStmt_WrTmp(g, IRExpr_Unop(Iop_1Uto64, exit_guard)));
      di = unsafeIRDirty_0_N(0, "pv_exit", VG_(fnptr_to_fnentry)(pv_exit),
                             mkIRExprVec_6(mkIRExpr_HWord((HWord)s), IRExpr_RdTmp(g), args[0],
                                           args[1], args[2], args[3]));
    } else {
      di = unsafeIRDirty_0_N(0, "pv_seg", VG_(fnptr_to_fnentry)(pv_seg),
                             mkIRExprVec_5(mkIRExpr_HWord((HWord)s), args[0], args[1],
                                           args[2], args[3]));
    }
    if (run_guard) di->guard = run_guard;
    addStmtToIRSB(out, IRStmt_Dirty(di));
    *first = False;
    done += n;
  } while (done < nacc);
}

static InsnDesc* make_desc(InsnInfo* in) {
  InsnDesc* d = VG_(malloc)("pvtap.desc", sizeof(InsnDesc));
  Int i, nsrc = in->nsrc > 255 ? 255 : in->nsrc, ndst = in->ndst > 255 ? 255 : in->ndst;
  d->id = 0;
  d->pc = in->pc;
  d->len = (UChar)in->len;
  d->opclass = (UChar)in->oc;
  d->flags = in->flags;
  d->extra = in->extra;
  d->nacc = (UChar)in->nacc;
  d->nsrc = (UChar)nsrc;
  d->ndst = (UChar)ndst;
  d->acc = VG_(malloc)("pvtap.acc", sizeof(Access) * (in->nacc ? in->nacc : 1));
  for (i = 0; i < in->nacc; i++) d->acc[i] = in->acc[i];
  d->src = VG_(malloc)("pvtap.regs", 2 * (nsrc + ndst) + 1);
  d->dst = d->src + 2 * nsrc;
  for (i = 0; i < nsrc; i++) {
    d->src[2 * i] = (UChar)(in->src[i] >> 8);
    d->src[2 * i + 1] = (UChar)(in->src[i] & 0xff);
  }
  for (i = 0; i < ndst; i++) {
    d->dst[2 * i] = (UChar)(in->dst[i] >> 8);
    d->dst[2 * i + 1] = (UChar)(in->dst[i] & 0xff);
  }
  return d;
}

static ULong skip_counter_target; /* == clo_skip */

static IRSB* pv_instrument(VgCallbackClosure* closure, IRSB* sb_in,
                           const VexGuestLayout* layout, const VexGuestExtents* vge,
                           const VexArchInfo* archinfo_host, IRType gWordTy,
                           IRType hWordTy) {
  IRSB* out;
  Int i, k, ninsn = 0, ntmp;
  InsnInfo* info;
  Bool next_const;
  Addr next_addr = 0;

  if (gWordTy != hWordTy) VG_(tool_panic)("host/guest word size mismatch");
  if (disabled) return sb_in;

  /* Per-temp tables, grown as needed. */
  ntmp = sb_in->tyenv->types_used;
  if (ntmp > tmp_cap) {
    if (tmp_reg) {
      VG_(free)(tmp_reg);
      VG_(free)(tmp_insn);
      VG_(free)(tmp_addr);
    }
    tmp_cap = ntmp * 2 + 64;
    tmp_reg = VG_(malloc)("pvtap.tmp", sizeof(Int) * tmp_cap);
    tmp_insn = VG_(malloc)("pvtap.tmp", sizeof(Int) * tmp_cap);
    tmp_addr = VG_(malloc)("pvtap.tmp", tmp_cap);
  }
  for (i = 0; i < ntmp; i++) {
    tmp_reg[i] = -1;
    tmp_insn[i] = -1;
    tmp_addr[i] = 0;
  }

  for (i = 0; i < sb_in->stmts_used; i++)
    if (sb_in->stmts[i]->tag == Ist_IMark) ninsn++;
  info = VG_(calloc)("pvtap.info", ninsn > 0 ? ninsn : 1, sizeof(InsnInfo));
  k = -1;
  for (i = 0; i < sb_in->stmts_used; i++) {
    IRStmt* st = sb_in->stmts[i];
    if (st->tag == Ist_IMark) {
      if (k >= 0) info[k].end_stmt = i;
      k++;
      info[k].pc = (Addr)st->Ist.IMark.addr;
      info[k].len = st->Ist.IMark.len;
      info[k].first_stmt = i;
      info[k].oc = OC_None;
    }
  }
  if (k >= 0) info[k].end_stmt = sb_in->stmts_used;
  for (k = 0; k < ninsn; k++) analyse(sb_in, &info[k], k);

  next_const = sb_in->next->tag == Iex_Const;
  if (next_const) next_addr = (Addr)sb_in->next->Iex.Const.con->Ico.U64;

  /* Where control goes after each instruction when it does not take a
   * conditional exit: the next IMark, or the block's next for the last one.
   * (Not always pc + len: VEX unrolls self-looping blocks, so a loop's
   * branch may be followed by another copy of the loop body.) */
  for (k = 0; k < ninsn; k++) {
    InsnInfo* in = &info[k];
    Bool known = k + 1 < ninsn || next_const;
    Addr after = k + 1 < ninsn ? info[k + 1].pc : next_addr;
    in->rep = known && after == in->pc; /* a rep prefix: runs again */
    if (in->rep) in->cond = False;
    in->falls_through = known && after == in->pc + in->len;
  }
  /* Control-flow flags of the block's last instruction. */
  if (ninsn > 0) {
    InsnInfo* last = &info[ninsn - 1];
    IRJumpKind jk = sb_in->jumpkind;
    if (!last->rep && !last->cond && (jk == Ijk_Boring || jk == Ijk_Call || jk == Ijk_Ret) &&
        !last->falls_through) {
      last->flags |= PVTAP_F_UNCOND_CTRL;
      if (next_const) last->flags |= PVTAP_F_DIRECT_CTRL;
      if (jk == Ijk_Call) last->extra |= PVTAP_X_CALL;
      if (jk == Ijk_Ret) last->extra |= PVTAP_X_RETURN;
    }
    if (jk == Ijk_Sys_syscall || jk == Ijk_Sys_int128 || jk == Ijk_Sys_int32 ||
        jk == Ijk_Sys_int129 || jk == Ijk_Sys_int130 || jk == Ijk_Sys_int145 ||
        jk == Ijk_Sys_int210 || jk == Ijk_Sys_sysenter)
      last->flags |= PVTAP_F_SERIALIZE_AFTER | PVTAP_F_NON_SPECULATIVE;
  }
  for (k = 0; k < ninsn; k++) {
    if (info[k].cond) info[k].flags |= PVTAP_F_COND_CTRL | PVTAP_F_DIRECT_CTRL;
    if (info[k].oc == OC_None && (info[k].computes || info[k].ndst > 0 ||
                                  (info[k].flags & (PVTAP_F_COND_CTRL | PVTAP_F_UNCOND_CTRL))))
      info[k].oc = OC_IntAlu;
    if (!info[k].computes) {
      /* Data movement: class 0 tells the reader "no computation" unless
       * the instruction writes a register other than through a load. */
      if (info[k].nacc > 0 && !(info[k].flags & (PVTAP_F_COND_CTRL | PVTAP_F_UNCOND_CTRL)))
        info[k].oc = OC_None;
    }
  }

  /* Second pass: copy statements, adding the calls. */
  out = deepCopyIRSBExceptStmts(sb_in);
  i = 0;
  while (i < sb_in->stmts_used && sb_in->stmts[i]->tag != Ist_IMark) {
    addStmtToIRSB(out, sb_in->stmts[i]);
    i++;
  }
  for (k = 0; k < ninsn; k++) {
    InsnInfo* in = &info[k];
    InsnDesc* d = make_desc(in);
    AccExpr acc[MAX_ACC];
    Int nacc = 0;
    Bool first = True;
    IRExpr* run_guard = NULL;
    Bool last_in_block = k == ninsn - 1;
    UInt taken_end = 0;

    if (last_in_block && (in->flags & PVTAP_F_UNCOND_CTRL)) taken_end = 1;
    /* A conditional branch not leaving by its exit: taken when what follows
     * is not the next instruction (VEX may invert the condition, making the
     * exit the fall-through, and unrolled loops continue in a copy). */
    if (in->cond && !in->falls_through) taken_end = 1;

    addStmtToIRSB(out, sb_in->stmts[in->first_stmt]); /* the IMark */
    if (clo_skip > 0) {
      /* counter += 1; trace only once counter > skip. */
      IRTemp c0 = newIRTemp(out->tyenv, Ity_I64);
      IRTemp c1 = newIRTemp(out->tyenv, Ity_I64);
      IRTemp g = newIRTemp(out->tyenv, Ity_I1);
      addStmtToIRSB(out, IRStmt_WrTmp(c0, IRExpr_Load(Iend_LE, Ity_I64,
                                                      mkIRExpr_HWord((HWord)&skip_counter))));
      addStmtToIRSB(out, IRStmt_WrTmp(c1, IRExpr_Binop(Iop_Add64, IRExpr_RdTmp(c0),
                                                       IRExpr_Const(IRConst_U64(1)))));
      addStmtToIRSB(out, IRStmt_Store(Iend_LE, mkIRExpr_HWord((HWord)&skip_counter),
                                      IRExpr_RdTmp(c1)));
      addStmtToIRSB(out, IRStmt_WrTmp(g, IRExpr_Binop(Iop_CmpLT64U,
                                                      IRExpr_Const(IRConst_U64(skip_counter_target)),
                                                      IRExpr_RdTmp(c1))));
      run_guard = IRExpr_RdTmp(g);
    }
    for (i = in->first_stmt + 1; i < in->end_stmt; i++) {
      IRStmt* st = sb_in->stmts[i];
      switch (st->tag) {
        case Ist_WrTmp:
          if (st->Ist.WrTmp.data->tag == Iex_Load)
            acc[nacc++] = (AccExpr){st->Ist.WrTmp.data->Iex.Load.addr, NULL};
          break;
        case Ist_Store: acc[nacc++] = (AccExpr){st->Ist.Store.addr, NULL}; break;
        case Ist_StoreG:
          acc[nacc++] = (AccExpr){st->Ist.StoreG.details->addr, st->Ist.StoreG.details->guard};
          break;
        case Ist_LoadG:
          acc[nacc++] = (AccExpr){st->Ist.LoadG.details->addr, st->Ist.LoadG.details->guard};
          break;
        case Ist_CAS: {
          /* The store happens iff the old value equals the expected one;
           * that comparison is only known after the CAS, so the store
           * address is computed below, after the statement. */
          acc[nacc++] = (AccExpr){st->Ist.CAS.details->addr, NULL};
          break;
        }
        case Ist_Dirty: {
          IRDirty* di = st->Ist.Dirty.details;
          IRExpr* g = (di->guard && !(di->guard->tag == Iex_Const &&
                                       di->guard->Iex.Const.con->Ico.U1))
                          ? di->guard : NULL;
          if (di->mFx == Ifx_Read || di->mFx == Ifx_Modify)
            acc[nacc++] = (AccExpr){di->mAddr, g ? g : IRExpr_Const(IRConst_U1(1))};
          if (di->mFx == Ifx_Write || di->mFx == Ifx_Modify)
            acc[nacc++] = (AccExpr){di->mAddr, g ? g : IRExpr_Const(IRConst_U1(1))};
          break;
        }
        case Ist_Exit:
          if (st->Ist.Exit.jk == Ijk_Boring) {
            Addr dst = (Addr)st->Ist.Exit.dst->Ico.U64;
            emit_segments(out, d, acc, nacc, &first, COMMIT_EXIT,
                          dst != in->pc + in->len ? 1 : 0, st->Ist.Exit.guard, run_guard);
            nacc = 0;
          }
          break;
        default: break;
      }
      addStmtToIRSB(out, st);
      if (st->tag == Ist_CAS) {
        /* store done iff old == expected */
        IRCAS* c = st->Ist.CAS.details;
        IRType ty = typeOfIRExpr(out->tyenv, c->expdLo);
        IROp cmp = ty == Ity_I8 ? Iop_CmpEQ8 : ty == Ity_I16 ? Iop_CmpEQ16
                 : ty == Ity_I32 ? Iop_CmpEQ32 : Iop_CmpEQ64;
        IRTemp eq = newIRTemp(out->tyenv, Ity_I1);
        addStmtToIRSB(out, IRStmt_WrTmp(eq, IRExpr_Binop(cmp, IRExpr_RdTmp(c->oldLo), c->expdLo)));
        acc[nacc++] = (AccExpr){c->addr, IRExpr_RdTmp(eq)};
      }
    }
    emit_segments(out, d, acc, nacc, &first, COMMIT_END, taken_end, NULL, run_guard);
  }
  VG_(free)(info);
  return out;
}

/* ------------------------------------------------------ process lifetime */

static void pv_pre_syscall(ThreadId tid, UInt no, UWord* args, UInt nargs) {
  /* execve replaces the process: what is buffered must be out first. */
  if (no == __NR_execve || no == __NR_execveat) {
    if (out_fd >= 0) flush();
  }
}
static void pv_post_syscall(ThreadId tid, UInt no, UWord* args, UInt nargs, SysRes res) {}

static void pv_atfork_pre(ThreadId tid) {
  if (out_fd >= 0) flush();
}
static void pv_atfork_parent(ThreadId tid) {}
static void pv_atfork_child(ThreadId tid) {
  /* The child's instructions are not traced: one stream, one process. */
  disabled = True;
  buf_len = 0;
  if (out_fd >= 0) VG_(close)(out_fd);
  out_fd = -1;
}

static void pv_post_clo_init(void) {
  if (clo_fd < 0) {
    VG_(fmsg)("pvtap: --pvtap-fd=N is required (pv-trace-tap --valgrind passes it)\n");
    VG_(exit)(1);
  }
  if (clo_skip < 0 || clo_count < 0) {
    VG_(fmsg)("pvtap: --pvtap-skip and --pvtap-count must be >= 0\n");
    VG_(exit)(1);
  }
  out_fd = VG_(safe_fd)((Int)clo_fd);
  if (out_fd < 0) {
    VG_(fmsg)("pvtap: cannot use file descriptor %lld\n", clo_fd);
    VG_(exit)(1);
  }
  skip_counter_target = (ULong)clo_skip;
  buf = VG_(malloc)("pvtap.buf", BUF_BYTES);
  buf_len = 0;
  ensure(PVTAP_MAGIC_BYTES);
  VG_(memcpy)(buf, PVTAP_MAGIC, PVTAP_MAGIC_BYTES);
  buf_len = PVTAP_MAGIC_BYTES;
  flush();
}

static void pv_fini(Int exitcode) {
  if (disabled || out_fd < 0) return;
  send_end(PVTAP_END_EXITED, exitcode);
}

static void pv_pre_clo_init(void) {
  VG_(details_name)("pvtap");
  VG_(details_version)("1");
  VG_(details_description)("perfvec instruction trace tap");
  VG_(details_copyright_author)("Copyright (C) the perfvec authors; GPL-2.0-or-later.");
  VG_(details_bug_reports_to)("the perfvec issue tracker");
  VG_(details_avg_translation_sizeB)(400);
  VG_(basic_tool_funcs)(pv_post_clo_init, pv_instrument, pv_fini);
  VG_(needs_command_line_options)(pv_process_cmd_line_option, pv_print_usage,
                                  pv_print_debug_usage);
  VG_(needs_syscall_wrapper)(pv_pre_syscall, pv_post_syscall);
  VG_(atfork)(pv_atfork_pre, pv_atfork_parent, pv_atfork_child);
  /* Must be set here: later it is ignored. */
  VG_(clo_vex_control).guest_chase = False;
  VG_(clo_vex_control).iropt_register_updates_default = VexRegUpdAllregsAtEachInsn;
}

VG_DETERMINE_INTERFACE_VERSION(pv_pre_clo_init)
