/*
 * MMX/SSE helper interface between the generators (translate-sse.c.inc)
 * and the helpers (sse_helper.c).
 *
 * Four helpers serve every vector instruction that is not generated
 * inline (a fifth, sse_probe_store, makes page-crossing 16-byte stores
 * fault before writing); the operation is a constant argument:
 *
 *   sse_int(env, dst, src, arg)          packed integer (no exceptions)
 *   sse_int_ret(env, dst, src, arg): i64 integer results (pmovmskb, ...)
 *   sse_fp(env, dst, src, arg)           floating point and conversions,
 *                                        with MXCSR flags and #XM
 *   sse_fp_ret(env, dst, src, arg): i64  comis* (EFLAGS), cvt*2si (GPR)
 *
 * dst and src point into CPUX86State: an xmm register, an MMX register
 * (fpregs[i].mant), or the scratch xmm_t0/mmx_t0 that holds a memory
 * operand.  arg = SSE_ARG(op, flags, imm8).  SSE_ARG_XMM says the
 * operands are 16 bytes wide (else 8: MMX); for cvtsi2s* and cvt*2si it
 * says the integer is 64 bits (REX.W).  New instructions (SSSE3, SSE4)
 * add an enumerator here and a case in sse_helper.c.
 */
#ifndef TARGET_I386_TCG_SSE_HELPER_H
#define TARGET_I386_TCG_SSE_HELPER_H

#define SSE_ARG_XMM      (1u << 8)
#define SSE_ARG_IMMCOUNT (1u << 9)  /* shift count is imm8, not the src */
#define SSE_ARG(op, flags, imm) \
    ((uint32_t)(op) << 16 | (flags) | ((uint32_t)(imm) & 0xff))

typedef enum SSEIntOp {
    SSE_PADDB, SSE_PADDW, SSE_PADDD, SSE_PADDQ,
    SSE_PSUBB, SSE_PSUBW, SSE_PSUBD, SSE_PSUBQ,
    SSE_PADDSB, SSE_PADDSW, SSE_PADDUSB, SSE_PADDUSW,
    SSE_PSUBSB, SSE_PSUBSW, SSE_PSUBUSB, SSE_PSUBUSW,
    SSE_PMULLW, SSE_PMULHW, SSE_PMULHUW, SSE_PMULUDQ, SSE_PMADDWD,
    SSE_PSADBW,
    SSE_PCMPEQB, SSE_PCMPEQW, SSE_PCMPEQD,
    SSE_PCMPGTB, SSE_PCMPGTW, SSE_PCMPGTD,
    SSE_PMINUB, SSE_PMAXUB, SSE_PMINSW, SSE_PMAXSW, SSE_PAVGB, SSE_PAVGW,
    SSE_PUNPCKLBW, SSE_PUNPCKLWD, SSE_PUNPCKLDQ, SSE_PUNPCKLQDQ,
    SSE_PUNPCKHBW, SSE_PUNPCKHWD, SSE_PUNPCKHDQ, SSE_PUNPCKHQDQ,
    SSE_PACKSSWB, SSE_PACKUSWB, SSE_PACKSSDW,
    SSE_PSRLW, SSE_PSRLD, SSE_PSRLQ, SSE_PSRAW, SSE_PSRAD,
    SSE_PSLLW, SSE_PSLLD, SSE_PSLLQ, SSE_PSRLDQ, SSE_PSLLDQ,
    SSE_PSHUFW, SSE_PSHUFD, SSE_PSHUFHW, SSE_PSHUFLW,
    SSE_SHUFPS, SSE_SHUFPD,
    /* sse_int_ret */
    SSE_PMOVMSKB, SSE_MOVMSKPS, SSE_MOVMSKPD,
    SSE_INT_NB_OPS
} SSEIntOp;

typedef enum SSEFpOp {
    SSE_ADDPS, SSE_ADDSS, SSE_ADDPD, SSE_ADDSD,
    SSE_SUBPS, SSE_SUBSS, SSE_SUBPD, SSE_SUBSD,
    SSE_MULPS, SSE_MULSS, SSE_MULPD, SSE_MULSD,
    SSE_DIVPS, SSE_DIVSS, SSE_DIVPD, SSE_DIVSD,
    SSE_MINPS, SSE_MINSS, SSE_MINPD, SSE_MINSD,
    SSE_MAXPS, SSE_MAXSS, SSE_MAXPD, SSE_MAXSD,
    SSE_SQRTPS, SSE_SQRTSS, SSE_SQRTPD, SSE_SQRTSD,
    SSE_RCPPS, SSE_RCPSS, SSE_RSQRTPS, SSE_RSQRTSS,
    SSE_ADDSUBPS, SSE_ADDSUBPD, SSE_HADDPS, SSE_HADDPD,
    SSE_HSUBPS, SSE_HSUBPD,
    SSE_CMPPS, SSE_CMPSS, SSE_CMPPD, SSE_CMPSD,        /* imm8: predicate */
    SSE_CVTPS2PD, SSE_CVTPD2PS, SSE_CVTSS2SD, SSE_CVTSD2SS,
    SSE_CVTDQ2PS, SSE_CVTPS2DQ, SSE_CVTTPS2DQ,
    SSE_CVTDQ2PD, SSE_CVTPD2DQ, SSE_CVTTPD2DQ,
    SSE_CVTPI2PS, SSE_CVTPI2PD,                         /* src: 8 bytes */
    SSE_CVTPS2PI, SSE_CVTTPS2PI, SSE_CVTPD2PI, SSE_CVTTPD2PI, /* dst: mm */
    SSE_CVTSI2SS, SSE_CVTSI2SD,     /* src: 32/64-bit integer (XMM: 64) */
    /* sse_fp_ret */
    SSE_COMISS, SSE_UCOMISS, SSE_COMISD, SSE_UCOMISD,   /* EFLAGS */
    SSE_CVTSS2SI, SSE_CVTTSS2SI, SSE_CVTSD2SI, SSE_CVTTSD2SI,
    SSE_FP_NB_OPS
} SSEFpOp;

#endif
