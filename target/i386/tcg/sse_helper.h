/*
 * MMX/SSE helper interface between the generators (translate-sse.c.inc)
 * and the helpers (sse_helper.c).
 *
 * Four helpers serve every vector instruction that is not generated
 * inline (a fifth, sse_probe_store, makes page-crossing 16-byte stores
 * fault before writing; the SSE4.2 string compares and crc32 have their
 * own, at the end of this file); the operation is a constant argument:
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
    /* SSSE3 */
    SSE_PSHUFB, SSE_PHADDW, SSE_PHADDD, SSE_PHADDSW, SSE_PMADDUBSW,
    SSE_PHSUBW, SSE_PHSUBD, SSE_PHSUBSW, SSE_PSIGNB, SSE_PSIGNW, SSE_PSIGND,
    SSE_PMULHRSW, SSE_PABSB, SSE_PABSW, SSE_PABSD,
    SSE_PALIGNR,                                        /* imm8: shift */
    /* SSE4.1 (the blendv forms read xmm0 as the mask) */
    SSE_PBLENDVB, SSE_BLENDVPS, SSE_BLENDVPD,
    SSE_PMOVSXBW, SSE_PMOVSXBD, SSE_PMOVSXBQ, SSE_PMOVSXWD, SSE_PMOVSXWQ,
    SSE_PMOVSXDQ,
    SSE_PMOVZXBW, SSE_PMOVZXBD, SSE_PMOVZXBQ, SSE_PMOVZXWD, SSE_PMOVZXWQ,
    SSE_PMOVZXDQ,
    SSE_PMULDQ, SSE_PCMPEQQ, SSE_PACKUSDW, SSE_PCMPGTQ,
    SSE_PMINSB, SSE_PMINSD, SSE_PMINUW, SSE_PMINUD,
    SSE_PMAXSB, SSE_PMAXSD, SSE_PMAXUW, SSE_PMAXUD,
    SSE_PMULLD, SSE_PHMINPOSUW,
    SSE_BLENDPS, SSE_BLENDPD, SSE_PBLENDW,              /* imm8: lanes */
    SSE_INSERTPS, SSE_MPSADBW,                          /* imm8: control */
    /* sse_int_ret */
    SSE_PMOVMSKB, SSE_MOVMSKPS, SSE_MOVMSKPD,
    SSE_PTEST,                                          /* EFLAGS: ZF CF */
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
    /* SSE4.1; imm8: rounding control / dot-product lane masks */
    SSE_ROUNDPS, SSE_ROUNDPD, SSE_ROUNDSS, SSE_ROUNDSD, SSE_DPPS, SSE_DPPD,
    /* sse_fp_ret */
    SSE_COMISS, SSE_UCOMISS, SSE_COMISD, SSE_UCOMISD,   /* EFLAGS */
    SSE_CVTSS2SI, SSE_CVTTSS2SI, SSE_CVTSD2SI, SSE_CVTTSD2SI,
    SSE_FP_NB_OPS
} SSEFpOp;

/*
 * SSE4.2 string compares (pcmpestri/pcmpestrm/pcmpistri/pcmpistrm):
 * sse_pcmpstr(env, src1, src2, arg, rax, rdx): i64 compares the xmm
 * register src1 with src2 under imm8 = arg & 0xff; the string lengths
 * are rax/rdx (SSE_STR_EXPLICIT; SSE_STR_WIDE: 64-bit) or found from
 * the terminating null elements.  The mask forms (SSE_STR_MASK) write
 * xmm0.  Returns the EFLAGS bits (CF ZF SF OF) in bits 0-31 and the
 * index for ecx in bits 32-63.
 */
#define SSE_STR_EXPLICIT (1u << 8)
#define SSE_STR_MASK     (1u << 9)
#define SSE_STR_WIDE     (1u << 10)
extern const TCGHelperInfo x86_helper_sse_pcmpstr;

/*
 * crc32 (SSE4.2): crc32c(crc, value, bytes): the CRC-32C (Castagnoli,
 * reflected polynomial 0x82f63b78) of the low bytes of value, continued
 * from crc, without the pre- and post-inversion.
 */
extern const TCGHelperInfo x86_helper_crc32c;

#endif
