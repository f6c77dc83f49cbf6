/* The byte stream the pvtap Valgrind tool writes and pv-trace-tap reads.
 *
 * Plain C (the tool is C and cannot use the C++ runtime); constants only,
 * shared by the tool (GPL, see LICENSE here) and the reader
 * (stages/trace-readers/valgrind_trace_reader.*), which is why this one header
 * carries no code.
 *
 * All integers little-endian, no padding between fields.
 *
 *   stream   = magic record* end
 *   magic    = "PVTAP" 0 0 1                       (8 bytes; the last is the version)
 *   record   = u32 word, then a body chosen by the word's low 2 bits:
 *     0  EXEC: one committed guest instruction. id = word >> 3 names a
 *        DESC record sent earlier; bit 2 = the instruction transferred
 *        control (branch taken). Then one u64 per access of the descriptor,
 *        in descriptor order: its effective address, or 0 when the access
 *        did not happen (a guarded access whose guard was false, or an
 *        access after a conditional exit that was taken).
 *     1  CTRL: kind = word >> 2:
 *        DESC (1): u32 n, then n bytes: the descriptor below.
 *        THREAD (2): u32 Valgrind thread id; the EXEC records that follow
 *          ran on that thread (Valgrind runs one guest thread at a time).
 *        END (3): u32 reason (0 the guest exited, 1 the region was
 *          traced), i32 the guest's exit status (reason 0), u64 guest
 *          instructions skipped, u64 instructions traced (EXEC records).
 *
 *   descriptor (one per translated guest instruction; a re-translated
 *   instruction gets a new id):
 *     u32 id, u64 pc, u8 length (bytes), u8 op class (gem5 OpClass number of
 *     the instruction's computation, 0 when it only moves data),
 *     u16 flags (PVTAP_F_*), u8 n_access, u8 n_src, u8 n_dst,
 *     u8 extra (PVTAP_X_*),
 *     n_access x { u16 size (bytes), u8 kind (PVTAP_A_*), u8 0 },
 *     n_src x { u8 reg class, u8 reg index }, n_dst x likewise.
 */
#ifndef PVTAP_FORMAT_H
#define PVTAP_FORMAT_H

#define PVTAP_MAGIC "PVTAP\0\0\1"
#define PVTAP_MAGIC_BYTES 8

#define PVTAP_REC_EXEC 0u
#define PVTAP_REC_CTRL 1u

#define PVTAP_CTRL_DESC 1u
#define PVTAP_CTRL_THREAD 2u
#define PVTAP_CTRL_END 3u

#define PVTAP_END_EXITED 0u
#define PVTAP_END_REGION 1u

#define PVTAP_DESC_FIXED_BYTES 20u
#define PVTAP_ACCESS_BYTES 4u
#define PVTAP_REG_BYTES 2u

/* Instruction flags: the same bits as pv::InstructionFlag (gem5's order). */
#define PVTAP_F_COND_CTRL (1u << 1)
#define PVTAP_F_UNCOND_CTRL (1u << 2)
#define PVTAP_F_DIRECT_CTRL (1u << 3)
#define PVTAP_F_SERIALIZE_AFTER (1u << 5)
#define PVTAP_F_SERIALIZE_BEFORE (1u << 6)
#define PVTAP_F_ATOMIC (1u << 7)
#define PVTAP_F_READ_BARRIER (1u << 9)
#define PVTAP_F_WRITE_BARRIER (1u << 10)
#define PVTAP_F_NON_SPECULATIVE (1u << 12)

/* Descriptor extras. */
#define PVTAP_X_WRITES_FLAGS 1u /* writes the condition codes */
#define PVTAP_X_CALL 2u
#define PVTAP_X_RETURN 4u

/* Access kinds. */
#define PVTAP_A_LOAD 0u
#define PVTAP_A_STORE 1u
#define PVTAP_A_GUARDED 2u /* bit: may not happen (address 0 then) */

/* Register classes: gem5's (IntRegClass 0 .. MiscRegClass 6). */
#define PVTAP_REG_INT 0u   /* rax..r15: 0..15, in x86 encoding order */
#define PVTAP_REG_FLOAT 1u /* x87 st0..st7: 0..7 */
#define PVTAP_REG_VEC 2u   /* xmm/ymm 0..15 */
#define PVTAP_REG_CC 5u    /* 0 the arithmetic flags, 1 DF, 2 AC, 3 ID */
#define PVTAP_REG_MISC 6u  /* 0 fs base, 1 gs base, 2 SSE rounding, 3 x87 control/tags */

#endif
