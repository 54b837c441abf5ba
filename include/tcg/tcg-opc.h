/*
 * The IR operations, defined once.  Included with DEF() defined as needed:
 *
 *   DEF(name, oargs, iargs, cargs, flags)
 *
 * oargs: outputs (temps), iargs: inputs (temps), cargs: constant
 * arguments (condition, offset, label, memop index, ...), in that order in
 * TCGOp.args[].  The operation's width (I32 or I64) is TCGOp.type, so one
 * opcode serves both widths; ops flagged TCG_OPF_64BIT exist only as I64.
 *
 * The printer, optimizer, liveness pass, register allocator, interpreter
 * and native back end all read this table (tcg_op_defs[]).
 *
 * Exact semantics (the optimizer folds by them, the differential test
 * holds both back ends to them): W is the op width (32 or 64); I32 values
 * are the low 32 bits of their temp, and no op may depend on the bits
 * above.  Arithmetic wraps (two's complement).  Shift and rotate counts
 * are taken modulo W.  div/rem/divu/remu by 0 and div/rem of INT_MIN by
 * -1 have no defined result: front ends must never let them execute, and
 * the optimizer never folds them.  rem has the sign of the dividend (C).
 * extract/sextract: 0 < len, pos + len <= W.  deposit: same, out keeps a's
 * bits outside [pos, pos+len).  extract2: 0 <= pos < W, out = the W bits of
 * (hi:lo) starting at bit pos.  clz/ctz count in W bits; ctpop likewise.
 * setcond compares W-bit values (unsigned conditions as unsigned W-bit).
 * bswapN reads only the low N bits of its input; the swapped N bits are
 * zero-extended to W, or sign-extended with TCG_BSWAP_OS (TCG_BSWAP_IZ and
 * TCG_BSWAP_OZ are hints that change nothing; bswap32 on I32 and bswap64
 * ignore the flags).  ext8s etc. extend the low bits to W.  qemu_ld
 * extends the loaded value to W per MO_SIGN.  mulu2/muls2/muluh/mulsh:
 * the 2W-bit product.  add2/sub2: 2W-bit arithmetic on (hi:lo) pairs.
 */

/* pseudo ops: handled by generic code, never reach a back end */
DEF(discard, 1, 0, 0, TCG_OPF_NOT_PRESENT)
DEF(set_label, 0, 0, 1, TCG_OPF_BB_END | TCG_OPF_NOT_PRESENT)
/* call: variable args, see TCGOp.nargs; cargs are func, info */
DEF(call, 0, 0, 2, TCG_OPF_CALL_CLOBBER | TCG_OPF_NOT_PRESENT)
DEF(mov, 1, 1, 0, TCG_OPF_NOT_PRESENT)
/* guest instruction boundary: cargs are the target's start words */
DEF(insn_start, 0, 0, TCG_INSN_START_WORDS, TCG_OPF_NOT_PRESENT)

/* control flow */
DEF(br, 0, 0, 1, TCG_OPF_BB_END)                      /* label */
DEF(brcond, 0, 2, 2, TCG_OPF_BB_END | TCG_OPF_COND_BRANCH) /* cond, label */
DEF(goto_tb, 0, 0, 1, TCG_OPF_BB_EXIT | TCG_OPF_BB_END)   /* slot 0/1 */
DEF(exit_tb, 0, 0, 1, TCG_OPF_BB_EXIT | TCG_OPF_BB_END)   /* value */
DEF(goto_ptr, 0, 1, 0, TCG_OPF_BB_EXIT | TCG_OPF_BB_END)  /* host ptr */
DEF(mb, 0, 0, 1, 0)                                   /* TCG_MO_* | TCG_BAR_* */

/* comparisons */
DEF(setcond, 1, 2, 1, 0)       /* out = (a cond b) ? 1 : 0; carg cond */
DEF(negsetcond, 1, 2, 1, 0)    /* out = (a cond b) ? -1 : 0 */
DEF(movcond, 1, 4, 1, 0)       /* out = (c1 cond c2) ? v1 : v2 */

/* host memory relative to a pointer temp (usually env): carg offset */
DEF(ld8u, 1, 1, 1, 0)
DEF(ld8s, 1, 1, 1, 0)
DEF(ld16u, 1, 1, 1, 0)
DEF(ld16s, 1, 1, 1, 0)
DEF(ld32u, 1, 1, 1, TCG_OPF_64BIT)
DEF(ld32s, 1, 1, 1, TCG_OPF_64BIT)
DEF(ld, 1, 1, 1, 0)            /* full width of op type */
DEF(st8, 0, 2, 1, 0)           /* in: value, base */
DEF(st16, 0, 2, 1, 0)
DEF(st32, 0, 2, 1, TCG_OPF_64BIT)
DEF(st, 0, 2, 1, 0)

/* arithmetic */
DEF(add, 1, 2, 0, 0)
DEF(sub, 1, 2, 0, 0)
DEF(mul, 1, 2, 0, 0)
DEF(neg, 1, 1, 0, 0)
DEF(div, 1, 2, 0, 0)           /* signed; front ends guard /0 and overflow */
DEF(divu, 1, 2, 0, 0)
DEF(rem, 1, 2, 0, 0)
DEF(remu, 1, 2, 0, 0)
DEF(add2, 2, 4, 0, 0)          /* (lo,hi) = (al,ah) + (bl,bh) */
DEF(sub2, 2, 4, 0, 0)
DEF(mulu2, 2, 2, 0, 0)         /* (lo,hi) = a * b, unsigned */
DEF(muls2, 2, 2, 0, 0)
DEF(muluh, 1, 2, 0, 0)         /* high half only */
DEF(mulsh, 1, 2, 0, 0)

/* logic */
DEF(and, 1, 2, 0, 0)
DEF(or, 1, 2, 0, 0)
DEF(xor, 1, 2, 0, 0)
DEF(andc, 1, 2, 0, 0)          /* a & ~b */
DEF(orc, 1, 2, 0, 0)           /* a | ~b */
DEF(eqv, 1, 2, 0, 0)           /* ~(a ^ b) */
DEF(nand, 1, 2, 0, 0)
DEF(nor, 1, 2, 0, 0)
DEF(not, 1, 1, 0, 0)

/* shifts: count taken modulo the width (front ends mask as the ISA wants) */
DEF(shl, 1, 2, 0, 0)
DEF(shr, 1, 2, 0, 0)
DEF(sar, 1, 2, 0, 0)
DEF(rotl, 1, 2, 0, 0)
DEF(rotr, 1, 2, 0, 0)

/* bit fields: cargs pos, len */
DEF(extract, 1, 1, 2, 0)
DEF(sextract, 1, 1, 2, 0)
DEF(deposit, 1, 2, 2, 0)       /* out = a with b's low len bits at pos */
DEF(extract2, 1, 2, 1, 0)      /* out = (hi:lo) >> pos, in: lo, hi */

/* extensions within the op width */
DEF(ext8s, 1, 1, 0, 0)
DEF(ext8u, 1, 1, 0, 0)
DEF(ext16s, 1, 1, 0, 0)
DEF(ext16u, 1, 1, 0, 0)
DEF(ext32s, 1, 1, 0, TCG_OPF_64BIT)
DEF(ext32u, 1, 1, 0, TCG_OPF_64BIT)
/* width changes: op type is I64 for the first two, I32 for the last two */
DEF(ext_i32_i64, 1, 1, 0, TCG_OPF_64BIT)   /* sign-extend i32 -> i64 */
DEF(extu_i32_i64, 1, 1, 0, TCG_OPF_64BIT)  /* zero-extend i32 -> i64 */
DEF(extrl_i64_i32, 1, 1, 0, 0)             /* low half */
DEF(extrh_i64_i32, 1, 1, 0, 0)             /* high half */

/* byte swaps: carg TCG_BSWAP_* flags */
DEF(bswap16, 1, 1, 1, 0)
DEF(bswap32, 1, 1, 1, 0)
DEF(bswap64, 1, 1, 1, TCG_OPF_64BIT)

/* bit counts: out = count(a), or b when a == 0 */
DEF(clz, 1, 2, 0, 0)
DEF(ctz, 1, 2, 0, 0)
DEF(ctpop, 1, 1, 0, 0)

/* guest memory through the softmmu: carg MemOpIdx; in: guest address */
DEF(qemu_ld, 1, 1, 1, TCG_OPF_CALL_CLOBBER | TCG_OPF_SIDE_EFFECTS)
DEF(qemu_st, 0, 2, 1, TCG_OPF_CALL_CLOBBER | TCG_OPF_SIDE_EFFECTS) /* val, addr */
