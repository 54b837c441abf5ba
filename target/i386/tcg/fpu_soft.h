/*
 * The portable x87 back end (fpu_soft.c): the x87 instructions in C, for
 * hosts whose FPU is not an x87.  Same contract as fpu_helper.c's host
 * back end: execute the instruction enc (opcode byte << 8 | ModRM; a
 * memory form's operand is mem, ModRM 00 reg 000) on the x87 state img
 * (the 108-byte FNSAVE image, 32-bit protected-mode layout), with the
 * arithmetic flags *eflags as input (fcmov) and output (fcomi).  Returns
 * false for an instruction it does not implement yet.
 *
 * Implemented: add/sub/subr/mul/div/divr in every form, fcom/fucom/ficom/
 * fcomi/fucomi (and the popping forms), ftst, fxam, fsqrt, frndint,
 * fchs, fabs, fld1/fldz, loads and stores of m32/m64/m80 floats and
 * m16/m32/m64 integers (fist, fistp, fisttp), fld/fst/fstp/fxch/ffree
 * st(i), fcmov, fincstp/fdecstp, fnop; precision and rounding control,
 * stack faults, and the exception flags with their masked and unmasked
 * responses.
 * Not yet: the transcendentals, fprem/fprem1, fscale, fxtract, the
 * other constants and BCD (fbld/fbstp).  Checked against the host FPU by
 * tests/unit/test-x86-fpu.c (test_soft_backend).
 */
#ifndef TARGET_I386_TCG_FPU_SOFT_H
#define TARGET_I386_TCG_FPU_SOFT_H

#include "emu/osdep.h"

bool x87_soft_exec(uint8_t *img, unsigned enc, uint8_t *mem,
                   uint64_t *eflags);

#endif
