/*
 * The portable SSE floating-point back end (sse_fp_soft.c): every
 * SSEFpOp of sse_helper.h in integer arithmetic, for hosts whose FPU is
 * not x86's SSE unit.  Same contract as sse_helper.c's host back end:
 *
 *   sse_fp_soft_op(mxcsr, op, r, s, arg): r = op(r, s), with r and s
 *       16-byte vectors laid out like an xmm register (lanes in host
 *       byte order), arg = SSE_ARG(op, flags, imm8);
 *   sse_fp_soft_op_ret(mxcsr, op, r, s, arg, &ret): the comis* EFLAGS
 *       (CC_Z, CC_P, CC_C) or the cvt*2si integer (64-bit with
 *       SSE_ARG_XMM) in *ret;
 *
 * both computed under mxcsr's rounding control, FTZ and DAZ as if every
 * exception were masked (the caller, sse_helper.c, derives the unmasked
 * responses), returning the IE DE ZE OE UE PE flags raised.  Results,
 * NaN propagation and flags are those of an x86 CPU bit for bit, except
 * rcpps/rsqrtps, whose tables differ between CPU models: they return the
 * exact reciprocal (square root) rounded to nearest single precision,
 * within the architectural relative error bound 1.5 * 2^-12.
 *
 * sse_fp_force_soft makes an x86-64 host use this back end too (the unit
 * test compares the two).
 */
#ifndef TARGET_I386_TCG_SSE_FP_SOFT_H
#define TARGET_I386_TCG_SSE_FP_SOFT_H

#include "emu/osdep.h"
#include "tcg/tcg.h"
#include "target/i386/tcg/sse_helper.h"

extern bool sse_fp_force_soft;

uint32_t sse_fp_soft_op(uint32_t mxcsr, SSEFpOp op, void *r, const void *s,
                        uint32_t arg);
uint32_t sse_fp_soft_op_ret(uint32_t mxcsr, SSEFpOp op, const void *r,
                            const void *s, uint32_t arg, uint64_t *ret);

#endif
