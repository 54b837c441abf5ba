/*
 * The portable x87 back end (fpu_soft.c): the x87 instructions in C, for
 * hosts whose FPU is not an x87.  Same contract as fpu_helper.c's host
 * back end: execute the instruction enc (opcode byte << 8 | ModRM; a
 * memory form's operand is mem, ModRM 00 reg 000) on the x87 state img
 * (the 108-byte FNSAVE image, 32-bit protected-mode layout), with the
 * arithmetic flags *eflags as input (fcmov) and output (fcomi).  Returns
 * false for an instruction it does not implement yet.
 *
 * Implemented: the whole x87 instruction set that executes on the FPU
 * (the control instructions, fnsave/frstor/fxsave and friends, stay in
 * the translator): add/sub/subr/mul/div/divr in every form, fcom/fucom/
 * ficom/fcomi/fucomi (and the popping forms), ftst, fxam, fsqrt,
 * frndint, fchs, fabs, fld1/fldz/fldpi/fldl2t/fldl2e/fldlg2/fldln2,
 * loads and stores of m32/m64/m80 floats, m16/m32/m64 integers (fist,
 * fistp, fisttp) and packed BCD (fbld, fbstp), fld/fst/fstp/fxch/ffree
 * st(i), fcmov, fincstp/fdecstp, fnop, fxtract, fscale, fprem, fprem1,
 * f2xm1, fyl2x, fyl2xp1, fptan, fpatan, fsin, fcos, fsincos; precision
 * and rounding control, stack faults, and the exception flags with their
 * masked and unmasked responses.
 * Bit-exact with the hardware except the transcendentals (f2xm1 ...
 * fcos), which are correctly rounded (but for rare near-halfway cases)
 * while the x87's are not always: they may differ from a host FPU by one
 * unit in the last place, and in C1.  Checked against the host FPU by
 * tests/unit/test-x86-fpu.c (test_soft_backend, test_soft_math).
 */
#ifndef TARGET_I386_TCG_FPU_SOFT_H
#define TARGET_I386_TCG_FPU_SOFT_H

#include "emu/osdep.h"

bool x87_soft_exec(uint8_t *img, unsigned enc, uint8_t *mem,
                   uint64_t *eflags);

#endif
