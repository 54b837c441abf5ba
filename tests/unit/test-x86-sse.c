/*
 * Differential test of the MMX/SSE/SSE2/SSE3/SSSE3/SSE4.1/SSE4.2
 * translation against the host CPU: each instruction runs natively (in
 * a trampoline that loads and saves the GPRs, flags, MXCSR, mm0-7 and
 * xmm0-15) and under emu's translator on both back ends, from the same
 * state and memory at the same virtual addresses; every register,
 * MXCSR, EFLAGS and the data memory must match bit for bit.  Operands
 * mix random bits with the floating-point edge cases (NaNs, infinities,
 * denormals, signed zeros, conversion and pack overflow), and short
 * strings with terminators for pcmpXstrX, whose every imm8 is run, as
 * is every rounding-control imm8 of round*.  MXCSR gets a random
 * rounding mode, FTZ/DAZ and sticky flags; some cases unmask exceptions
 * (the native run's #XM arrives as SIGFPE).  The other exception paths
 * (#UD, #NM, #GP) are checked on the translator only.
 * test_diff_soft_fp repeats test_diff with the floating-point helpers on
 * the portable back end (sse_fp_soft.c) instead of the host's SSE unit.
 */
#include "emu/osdep.h"
#include "system/memory.h"
#include "exec/tb-internal.h"
#include "exec/cputlb.h"
#include "target/i386/cpu.h"
#include "target/i386/tcg/translate.h"
#include "target/i386/tcg/sse_fp_soft.h"
#include "support/x86-harness.h"
#include "support/x86-native.h"
#include "support/test-rng.h"

#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <ucontext.h>

#if defined(__x86_64__)
#define HAVE_NATIVE 1
#else
#define HAVE_NATIVE 0
#endif

/* Virtual layout shared by the host process and the guest */
#define GBASE      0x5e100000ull
#define WIN_SIZE   0x10000ull
#define CODE_OFF   0x0000
#define DATA_OFF   0x2000
#define DATA_SIZE  0x2000
#define DATA_PTR   (GBASE + 0x3000)    /* rbp: memory operands around it */
#define STACK_TOP  (GBASE + 0x7000)

/* The layout the trampoline knows (offsets checked below) */
typedef struct SSEState {
    uint64_t regs[16];          /* 0 */
    uint64_t rflags;            /* 128 */
    uint32_t mxcsr;             /* 136 */
    uint32_t pad;
    uint64_t mm[8];             /* 144 */
    uint8_t xmm[16][16];        /* 208 */
} SSEState;

_Static_assert(offsetof(SSEState, rflags) == 128, "layout");
_Static_assert(offsetof(SSEState, mxcsr) == 136, "layout");
_Static_assert(offsetof(SSEState, mm) == 144, "layout");
_Static_assert(offsetof(SSEState, xmm) == 208, "layout");

typedef struct Case {
    uint8_t code[128];
    int len;
    SSEState in;
    uint32_t mem_seed;
    const char *what;
} Case;

/* ---- The host side ---- */

#if HAVE_NATIVE
X86N_DEFINE_VARS(x86sse, SSEState);
uint32_t x86sse_host_mxcsr;

#define XMM_LD(i) "  movdqu " #i "*16+208(%rdi), %xmm" #i "\n"
#define XMM_ST(i) "  movdqu %xmm" #i ", " #i "*16+208(%rax)\n"
#define MM_LD(i)  "  movq " #i "*8+144(%rdi), %mm" #i "\n"
#define MM_ST(i)  "  movq %mm" #i ", " #i "*8+144(%rax)\n"

/*
 * Load MXCSR, mm, xmm, flags and GPRs (rsp: the test stack), jump to the
 * code; it ends with a jump to x86sse_native_exit, which saves them all,
 * leaves MMX mode and restores the host's MXCSR.
 */
__asm__(
    ".pushsection .text\n"
    X86N_ENTRY(x86sse)
    "  stmxcsr x86sse_host_mxcsr(%rip)\n"
    "  ldmxcsr 136(%rdi)\n"
    MM_LD(0) MM_LD(1) MM_LD(2) MM_LD(3) MM_LD(4) MM_LD(5) MM_LD(6) MM_LD(7)
    XMM_LD(0) XMM_LD(1) XMM_LD(2) XMM_LD(3) XMM_LD(4) XMM_LD(5) XMM_LD(6)
    XMM_LD(7) XMM_LD(8) XMM_LD(9) XMM_LD(10) XMM_LD(11) XMM_LD(12)
    XMM_LD(13) XMM_LD(14) XMM_LD(15)
    X86N_LOAD_GPRS_AND_JUMP(x86sse)
    X86N_EXIT_SAVE_GPRS(x86sse)
    "  stmxcsr 136(%rax)\n"
    MM_ST(0) MM_ST(1) MM_ST(2) MM_ST(3) MM_ST(4) MM_ST(5) MM_ST(6) MM_ST(7)
    XMM_ST(0) XMM_ST(1) XMM_ST(2) XMM_ST(3) XMM_ST(4) XMM_ST(5) XMM_ST(6)
    XMM_ST(7) XMM_ST(8) XMM_ST(9) XMM_ST(10) XMM_ST(11) XMM_ST(12)
    XMM_ST(13) XMM_ST(14) XMM_ST(15)
    "  emms\n"
    "  ldmxcsr x86sse_host_mxcsr(%rip)\n"
    X86N_RETURN(x86sse)
    ".popsection\n");
#endif

/* ---- The guest side: a 64-bit test CPU with SSE enabled ---- */

static uint64_t test_cr0 = CR0_PE_MASK | CR0_PG_MASK | CR0_MP_MASK |
                           CR0_NE_MASK;
static uint64_t test_cr4 = CR4_OSFXSR_MASK | CR4_OSXMMEXCPT_MASK;

/* linear GBASE.. maps to RAM from 0 (cfg.window_*) */
static const CPUClass x86_sse_test_class =
    X86H_CPU_CLASS("x86_64-ssetest", 1, x86h_reset_long_flat,
                   x86h_window_tlb_fill, x86h_mmu_index0,
                   x86h_halt_on_interrupt);

/* ---- Random operands (rnd: support/test-rng.h) ---- */

static uint32_t edge_f32(void)
{
    static const uint32_t e[] = {
        0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000,
        0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0xffa00000,
        0x00000001, 0x807fffff, 0x00400000, 0x7f7fffff, 0xff7fffff,
        0x00800000, 0x3f000000, 0x3fc00000, 0x40200000, 0xbfc00000,
        0x4f000000, 0xcf000000, 0x4effffff, 0xcf000001, 0x5f000000,
        0xdf000000, 0x477fff00, 0xc7000080, 0x7fc12345, 0x7f812345,
        0x0000ffff, 0x8000ffff, 0xffffffff, 0x7fffffff, 0x80000001,
    };
    switch (rndn(4)) {
    case 0:
        return (uint32_t)rnd();
    case 1: {
        /* an ordinary number of moderate exponent */
        uint32_t v = (uint32_t)rnd();
        return (v & 0x807fffff) | ((uint32_t)(110 + rndn(40)) << 23);
    }
    case 2:
        return (uint32_t)(int32_t)((int)rndn(200001) - 100000);
    default:
        return e[rndn(ARRAY_SIZE(e))];
    }
}

static uint64_t edge_f64(void)
{
    static const uint64_t e[] = {
        0, 0x8000000000000000ull, 0x3ff0000000000000ull,
        0xbff0000000000000ull, 0x7ff0000000000000ull, 0xfff0000000000000ull,
        0x7ff8000000000000ull, 0xfff8000000000000ull, 0x7ff0000000000001ull,
        0xfff4000000000000ull, 1, 0x800fffffffffffffull,
        0x0008000000000000ull, 0x7fefffffffffffffull, 0x0010000000000000ull,
        0x3fe0000000000000ull, 0x3ff8000000000000ull, 0x4004000000000000ull,
        0x41e0000000000000ull, 0xc1e0000000000000ull, 0x41dfffffffc00000ull,
        0xc1e0000000200000ull, 0x43e0000000000000ull, 0xc3e0000000000000ull,
        0x47efffffe0000000ull, 0x47f0000000000000ull, 0x3690000000000000ull,
        0x36a0000000000001ull, 0x7ff8123456789abcull, 0x7ff0123456789abcull,
        0x38100000ffffffffull, 0xffffffffffffffffull,
    };
    switch (rndn(4)) {
    case 0:
        return rnd();
    case 1: {
        uint64_t v = rnd();
        return (v & 0x800fffffffffffffull) |
               ((uint64_t)(900 + rndn(250)) << 52);
    }
    case 2: {
        union { double d; uint64_t q; } u = { .d = (int)rndn(2000001) -
                                                  1000000 };
        if (rndn(2)) {
            u.d /= 8;
        }
        return u.q;
    }
    default:
        return e[rndn(ARRAY_SIZE(e))];
    }
}

static uint64_t edge_int64(void)
{
    static const uint64_t e[] = {
        0, 1, -1ull, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
        0x80000000, 0xffffffff, 0x7fffffffffffffffull, 0x8000000000000000ull,
        0x0080ff7f8000ff01ull, 0x7fff80007fff8000ull, 0x00ff00ff00ff00ffull,
    };
    switch (rndn(3)) {
    case 0:
        return e[rndn(ARRAY_SIZE(e))];
    case 1: {
        /* small signed words, for the saturating forms */
        uint64_t v = 0;
        for (int i = 0; i < 4; i++) {
            v |= (uint64_t)(uint16_t)((int)rndn(600) - 300) << (16 * i);
        }
        return v;
    }
    default:
        return rnd();
    }
}

/* 8 bytes of a vector operand: floats, doubles or integers */
static uint64_t vec_q(void)
{
    switch (rndn(3)) {
    case 0:
        return edge_f32() | (uint64_t)edge_f32() << 32;
    case 1:
        return edge_f64();
    default:
        return edge_int64();
    }
}

static void fill_pattern(uint8_t *buf, size_t n, uint32_t seed)
{
    uint64_t saved = rng_state;

    rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t v = vec_q();
        memcpy(buf + i, &v, 8);
    }
    rng_state = saved;
}

/* ---- Encoding ---- */

/* Operand forms */
enum {
    F_XX,       /* xmm, xmm/m */
    F_MM,       /* mm, mm/m */
    F_XM,       /* xmm, mm/m */
    F_MX,       /* mm, xmm/m */
    F_XG,       /* xmm, r/m (movd, cvtsi2s*, pinsrw) */
    F_MG,       /* mm, r/m */
    F_GX,       /* r, xmm/m (cvt*2si, pextrw, movmsk, pmovmskb) */
    F_GM,       /* r, mm */
    F_GSTX,     /* r/m, xmm (movd store) */
    F_GSTM,     /* r/m, mm */
    F_SX,       /* xmm/m, xmm (stores) */
    F_SM,       /* mm/m, mm */
    F_SHX,      /* shift group: xmm, imm8 (reg field: the /digit) */
    F_SHM,      /* mm, imm8 */
    F_MASKX,    /* maskmovdqu */
    F_MASKM,    /* maskmovq */
    F_NTI,      /* movnti m, r */
    F_NONE,     /* emms */
    F_GG,       /* r, r/m (crc32) */
};

/* InsnDesc.flags */
#define T_MEM   0x01    /* memory form only */
#define T_REG   0x02    /* register form only */
#define T_AL    0x04    /* a memory operand must be 16-byte aligned */
#define T_IMM   0x08    /* imm8 follows */
#define T_W     0x10    /* REX.W is meaningful */
#define T_PRED  0x20    /* imm8: a compare predicate 0-7 */
#define T_STR   0x40    /* string compare: short strings, small lengths */
#define T_DP    0x80    /* dpps/dppd: unmasked exceptions more often */
#define T_ALLIMM 0x100  /* every imm8 in turn, ALLIMM_CASES cases */

typedef struct InsnDesc {
    const char *name;
    uint8_t pfx;        /* 0, 0x66, 0xf3, 0xf2 */
    uint8_t op;
    uint8_t form;
    uint16_t flags;
    uint8_t digit;      /* F_SH*: ModRM.reg */
    uint8_t map;        /* 0: 0F, 0x38: 0F 38, 0x3a: 0F 3A */
} InsnDesc;

#define X(n, p, o, f, fl) { n, p, o, f, fl, 0, 0 }
#define SH(n, p, o, f, dg) { n, p, o, f, T_IMM | T_REG, dg, 0 }
#define X38(n, p, o, f, fl) { n, p, o, f, fl, 0, 0x38 }
#define X3A(n, p, o, f, fl) { n, p, o, f, (fl) | T_IMM, 0, 0x3a }
/* SSSE3: the MMX form and the 66 xmm form */
#define SSSE3(n, o) X38(n, 0, o, F_MM, 0), X38(n " x", 0x66, o, F_XX, T_AL)

static const InsnDesc insns[] = {
    /* moves */
    X("movups", 0, 0x10, F_XX, 0), X("movupd", 0x66, 0x10, F_XX, 0),
    X("movss", 0xf3, 0x10, F_XX, 0), X("movsd", 0xf2, 0x10, F_XX, 0),
    X("movups st", 0, 0x11, F_SX, 0), X("movupd st", 0x66, 0x11, F_SX, 0),
    X("movss st", 0xf3, 0x11, F_SX, 0), X("movsd st", 0xf2, 0x11, F_SX, 0),
    X("movlps/movhlps", 0, 0x12, F_XX, 0), X("movlpd", 0x66, 0x12, F_XX, T_MEM),
    X("movsldup", 0xf3, 0x12, F_XX, T_AL), X("movddup", 0xf2, 0x12, F_XX, 0),
    X("movlps st", 0, 0x13, F_SX, T_MEM),
    X("movlpd st", 0x66, 0x13, F_SX, T_MEM),
    X("unpcklps", 0, 0x14, F_XX, T_AL), X("unpcklpd", 0x66, 0x14, F_XX, T_AL),
    X("unpckhps", 0, 0x15, F_XX, T_AL), X("unpckhpd", 0x66, 0x15, F_XX, T_AL),
    X("movhps/movlhps", 0, 0x16, F_XX, 0), X("movhpd", 0x66, 0x16, F_XX, T_MEM),
    X("movshdup", 0xf3, 0x16, F_XX, T_AL),
    X("movhps st", 0, 0x17, F_SX, T_MEM),
    X("movhpd st", 0x66, 0x17, F_SX, T_MEM),
    X("movaps", 0, 0x28, F_XX, T_AL), X("movapd", 0x66, 0x28, F_XX, T_AL),
    X("movaps st", 0, 0x29, F_SX, T_AL), X("movapd st", 0x66, 0x29, F_SX, T_AL),
    X("cvtpi2ps", 0, 0x2a, F_XM, 0), X("cvtpi2pd", 0x66, 0x2a, F_XM, 0),
    X("cvtsi2ss", 0xf3, 0x2a, F_XG, T_W), X("cvtsi2sd", 0xf2, 0x2a, F_XG, T_W),
    X("movntps", 0, 0x2b, F_SX, T_MEM | T_AL),
    X("movntpd", 0x66, 0x2b, F_SX, T_MEM | T_AL),
    X("cvttps2pi", 0, 0x2c, F_MX, 0), X("cvttpd2pi", 0x66, 0x2c, F_MX, T_AL),
    X("cvttss2si", 0xf3, 0x2c, F_GX, T_W),
    X("cvttsd2si", 0xf2, 0x2c, F_GX, T_W),
    X("cvtps2pi", 0, 0x2d, F_MX, 0), X("cvtpd2pi", 0x66, 0x2d, F_MX, T_AL),
    X("cvtss2si", 0xf3, 0x2d, F_GX, T_W), X("cvtsd2si", 0xf2, 0x2d, F_GX, T_W),
    X("ucomiss", 0, 0x2e, F_XX, 0), X("ucomisd", 0x66, 0x2e, F_XX, 0),
    X("comiss", 0, 0x2f, F_XX, 0), X("comisd", 0x66, 0x2f, F_XX, 0),
    X("movmskps", 0, 0x50, F_GX, T_REG), X("movmskpd", 0x66, 0x50, F_GX, T_REG),
    X("sqrtps", 0, 0x51, F_XX, T_AL), X("sqrtpd", 0x66, 0x51, F_XX, T_AL),
    X("sqrtss", 0xf3, 0x51, F_XX, 0), X("sqrtsd", 0xf2, 0x51, F_XX, 0),
    X("rsqrtps", 0, 0x52, F_XX, T_AL), X("rsqrtss", 0xf3, 0x52, F_XX, 0),
    X("rcpps", 0, 0x53, F_XX, T_AL), X("rcpss", 0xf3, 0x53, F_XX, 0),
    X("andps", 0, 0x54, F_XX, T_AL), X("andpd", 0x66, 0x54, F_XX, T_AL),
    X("andnps", 0, 0x55, F_XX, T_AL), X("andnpd", 0x66, 0x55, F_XX, T_AL),
    X("orps", 0, 0x56, F_XX, T_AL), X("orpd", 0x66, 0x56, F_XX, T_AL),
    X("xorps", 0, 0x57, F_XX, T_AL), X("xorpd", 0x66, 0x57, F_XX, T_AL),
    X("addps", 0, 0x58, F_XX, T_AL), X("addpd", 0x66, 0x58, F_XX, T_AL),
    X("addss", 0xf3, 0x58, F_XX, 0), X("addsd", 0xf2, 0x58, F_XX, 0),
    X("mulps", 0, 0x59, F_XX, T_AL), X("mulpd", 0x66, 0x59, F_XX, T_AL),
    X("mulss", 0xf3, 0x59, F_XX, 0), X("mulsd", 0xf2, 0x59, F_XX, 0),
    X("cvtps2pd", 0, 0x5a, F_XX, 0), X("cvtpd2ps", 0x66, 0x5a, F_XX, T_AL),
    X("cvtss2sd", 0xf3, 0x5a, F_XX, 0), X("cvtsd2ss", 0xf2, 0x5a, F_XX, 0),
    X("cvtdq2ps", 0, 0x5b, F_XX, T_AL), X("cvtps2dq", 0x66, 0x5b, F_XX, T_AL),
    X("cvttps2dq", 0xf3, 0x5b, F_XX, T_AL),
    X("subps", 0, 0x5c, F_XX, T_AL), X("subpd", 0x66, 0x5c, F_XX, T_AL),
    X("subss", 0xf3, 0x5c, F_XX, 0), X("subsd", 0xf2, 0x5c, F_XX, 0),
    X("minps", 0, 0x5d, F_XX, T_AL), X("minpd", 0x66, 0x5d, F_XX, T_AL),
    X("minss", 0xf3, 0x5d, F_XX, 0), X("minsd", 0xf2, 0x5d, F_XX, 0),
    X("divps", 0, 0x5e, F_XX, T_AL), X("divpd", 0x66, 0x5e, F_XX, T_AL),
    X("divss", 0xf3, 0x5e, F_XX, 0), X("divsd", 0xf2, 0x5e, F_XX, 0),
    X("maxps", 0, 0x5f, F_XX, T_AL), X("maxpd", 0x66, 0x5f, F_XX, T_AL),
    X("maxss", 0xf3, 0x5f, F_XX, 0), X("maxsd", 0xf2, 0x5f, F_XX, 0),
    X("punpcklqdq", 0x66, 0x6c, F_XX, T_AL),
    X("punpckhqdq", 0x66, 0x6d, F_XX, T_AL),
    X("movd mm", 0, 0x6e, F_MG, T_W), X("movd xmm", 0x66, 0x6e, F_XG, T_W),
    X("movq mm", 0, 0x6f, F_MM, 0), X("movdqa", 0x66, 0x6f, F_XX, T_AL),
    X("movdqu", 0xf3, 0x6f, F_XX, 0),
    X("pshufw", 0, 0x70, F_MM, T_IMM),
    X("pshufd", 0x66, 0x70, F_XX, T_IMM | T_AL),
    X("pshufhw", 0xf3, 0x70, F_XX, T_IMM | T_AL),
    X("pshuflw", 0xf2, 0x70, F_XX, T_IMM | T_AL),
    SH("psrlw i", 0, 0x71, F_SHM, 2), SH("psraw i", 0, 0x71, F_SHM, 4),
    SH("psllw i", 0, 0x71, F_SHM, 6), SH("psrld i", 0, 0x72, F_SHM, 2),
    SH("psrad i", 0, 0x72, F_SHM, 4), SH("pslld i", 0, 0x72, F_SHM, 6),
    SH("psrlq i", 0, 0x73, F_SHM, 2), SH("psllq i", 0, 0x73, F_SHM, 6),
    SH("psrlw xi", 0x66, 0x71, F_SHX, 2), SH("psraw xi", 0x66, 0x71, F_SHX, 4),
    SH("psllw xi", 0x66, 0x71, F_SHX, 6), SH("psrld xi", 0x66, 0x72, F_SHX, 2),
    SH("psrad xi", 0x66, 0x72, F_SHX, 4), SH("pslld xi", 0x66, 0x72, F_SHX, 6),
    SH("psrlq xi", 0x66, 0x73, F_SHX, 2), SH("psrldq", 0x66, 0x73, F_SHX, 3),
    SH("psllq xi", 0x66, 0x73, F_SHX, 6), SH("pslldq", 0x66, 0x73, F_SHX, 7),
    X("emms", 0, 0x77, F_NONE, 0),
    X("haddpd", 0x66, 0x7c, F_XX, T_AL), X("haddps", 0xf2, 0x7c, F_XX, T_AL),
    X("hsubpd", 0x66, 0x7d, F_XX, T_AL), X("hsubps", 0xf2, 0x7d, F_XX, T_AL),
    X("movd st mm", 0, 0x7e, F_GSTM, T_W),
    X("movd st xmm", 0x66, 0x7e, F_GSTX, T_W),
    X("movq xmm", 0xf3, 0x7e, F_XX, 0),
    X("movq st mm", 0, 0x7f, F_SM, 0), X("movdqa st", 0x66, 0x7f, F_SX, T_AL),
    X("movdqu st", 0xf3, 0x7f, F_SX, 0),
    X("cmpps", 0, 0xc2, F_XX, T_PRED | T_AL),
    X("cmppd", 0x66, 0xc2, F_XX, T_PRED | T_AL),
    X("cmpss", 0xf3, 0xc2, F_XX, T_PRED), X("cmpsd", 0xf2, 0xc2, F_XX, T_PRED),
    X("movnti", 0, 0xc3, F_NTI, T_MEM | T_W),
    X("pinsrw mm", 0, 0xc4, F_MG, T_IMM),
    X("pinsrw xmm", 0x66, 0xc4, F_XG, T_IMM),
    X("pextrw mm", 0, 0xc5, F_GM, T_IMM | T_REG),
    X("pextrw xmm", 0x66, 0xc5, F_GX, T_IMM | T_REG),
    X("shufps", 0, 0xc6, F_XX, T_IMM | T_AL),
    X("shufpd", 0x66, 0xc6, F_XX, T_IMM | T_AL),
    X("addsubpd", 0x66, 0xd0, F_XX, T_AL),
    X("addsubps", 0xf2, 0xd0, F_XX, T_AL),
    X("movq st xmm", 0x66, 0xd6, F_SX, 0),
    X("movq2dq", 0xf3, 0xd6, F_XM, T_REG),
    X("movdq2q", 0xf2, 0xd6, F_MX, T_REG),
    X("pmovmskb mm", 0, 0xd7, F_GM, T_REG),
    X("pmovmskb xmm", 0x66, 0xd7, F_GX, T_REG),
    X("cvttpd2dq", 0x66, 0xe6, F_XX, T_AL), X("cvtdq2pd", 0xf3, 0xe6, F_XX, 0),
    X("cvtpd2dq", 0xf2, 0xe6, F_XX, T_AL),
    X("movntq", 0, 0xe7, F_SM, T_MEM),
    X("movntdq", 0x66, 0xe7, F_SX, T_MEM | T_AL),
    X("lddqu", 0xf2, 0xf0, F_XX, T_MEM),
    X("maskmovq", 0, 0xf7, F_MASKM, T_REG),
    X("maskmovdqu", 0x66, 0xf7, F_MASKX, T_REG),
    /* SSSE3 */
    SSSE3("pshufb", 0x00), SSSE3("phaddw", 0x01), SSSE3("phaddd", 0x02),
    SSSE3("phaddsw", 0x03), SSSE3("pmaddubsw", 0x04), SSSE3("phsubw", 0x05),
    SSSE3("phsubd", 0x06), SSSE3("phsubsw", 0x07), SSSE3("psignb", 0x08),
    SSSE3("psignw", 0x09), SSSE3("psignd", 0x0a), SSSE3("pmulhrsw", 0x0b),
    SSSE3("pabsb", 0x1c), SSSE3("pabsw", 0x1d), SSSE3("pabsd", 0x1e),
    X3A("palignr", 0, 0x0f, F_MM, 0),
    X3A("palignr x", 0x66, 0x0f, F_XX, T_AL),
    /* SSE4.1 */
    X38("pblendvb", 0x66, 0x10, F_XX, T_AL),
    X38("blendvps", 0x66, 0x14, F_XX, T_AL),
    X38("blendvpd", 0x66, 0x15, F_XX, T_AL),
    X38("ptest", 0x66, 0x17, F_XX, T_AL),
    X38("pmovsxbw", 0x66, 0x20, F_XX, 0), X38("pmovsxbd", 0x66, 0x21, F_XX, 0),
    X38("pmovsxbq", 0x66, 0x22, F_XX, 0), X38("pmovsxwd", 0x66, 0x23, F_XX, 0),
    X38("pmovsxwq", 0x66, 0x24, F_XX, 0), X38("pmovsxdq", 0x66, 0x25, F_XX, 0),
    X38("pmuldq", 0x66, 0x28, F_XX, T_AL),
    X38("pcmpeqq", 0x66, 0x29, F_XX, T_AL),
    X38("movntdqa", 0x66, 0x2a, F_XX, T_AL | T_MEM),
    X38("packusdw", 0x66, 0x2b, F_XX, T_AL),
    X38("pmovzxbw", 0x66, 0x30, F_XX, 0), X38("pmovzxbd", 0x66, 0x31, F_XX, 0),
    X38("pmovzxbq", 0x66, 0x32, F_XX, 0), X38("pmovzxwd", 0x66, 0x33, F_XX, 0),
    X38("pmovzxwq", 0x66, 0x34, F_XX, 0), X38("pmovzxdq", 0x66, 0x35, F_XX, 0),
    X38("pminsb", 0x66, 0x38, F_XX, T_AL),
    X38("pminsd", 0x66, 0x39, F_XX, T_AL),
    X38("pminuw", 0x66, 0x3a, F_XX, T_AL),
    X38("pminud", 0x66, 0x3b, F_XX, T_AL),
    X38("pmaxsb", 0x66, 0x3c, F_XX, T_AL),
    X38("pmaxsd", 0x66, 0x3d, F_XX, T_AL),
    X38("pmaxuw", 0x66, 0x3e, F_XX, T_AL),
    X38("pmaxud", 0x66, 0x3f, F_XX, T_AL),
    X38("pmulld", 0x66, 0x40, F_XX, T_AL),
    X38("phminposuw", 0x66, 0x41, F_XX, T_AL),
    X3A("roundps", 0x66, 0x08, F_XX, T_AL | T_ALLIMM),
    X3A("roundpd", 0x66, 0x09, F_XX, T_AL | T_ALLIMM),
    X3A("roundss", 0x66, 0x0a, F_XX, T_ALLIMM),
    X3A("roundsd", 0x66, 0x0b, F_XX, T_ALLIMM),
    X3A("blendps", 0x66, 0x0c, F_XX, T_AL),
    X3A("blendpd", 0x66, 0x0d, F_XX, T_AL),
    X3A("pblendw", 0x66, 0x0e, F_XX, T_AL),
    X3A("pextrb", 0x66, 0x14, F_GSTX, T_W),
    X3A("pextrw", 0x66, 0x15, F_GSTX, T_W),
    X3A("pextrd/q", 0x66, 0x16, F_GSTX, T_W),
    X3A("extractps", 0x66, 0x17, F_GSTX, T_W),
    X3A("pinsrb", 0x66, 0x20, F_XG, T_W), X3A("insertps", 0x66, 0x21, F_XX, 0),
    X3A("pinsrd/q", 0x66, 0x22, F_XG, T_W),
    X3A("dpps", 0x66, 0x40, F_XX, T_AL | T_DP),
    X3A("dppd", 0x66, 0x41, F_XX, T_AL | T_DP),
    X3A("mpsadbw", 0x66, 0x42, F_XX, T_AL),
    /* SSE4.2 */
    X38("pcmpgtq", 0x66, 0x37, F_XX, T_AL),
    X3A("pcmpestrm", 0x66, 0x60, F_XX, T_STR | T_W | T_ALLIMM),
    X3A("pcmpestri", 0x66, 0x61, F_XX, T_STR | T_W | T_ALLIMM),
    X3A("pcmpistrm", 0x66, 0x62, F_XX, T_STR | T_ALLIMM),
    X3A("pcmpistri", 0x66, 0x63, F_XX, T_STR | T_ALLIMM),
    X38("crc32 r/m8", 0xf2, 0xf0, F_GG, T_W),
    X38("crc32", 0xf2, 0xf1, F_GG, T_W),
};

/* the packed integer ops that exist for mm and (66) xmm */
static const uint8_t int_ops[] = {
    0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b,
    0x74, 0x75, 0x76, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd8, 0xd9, 0xda, 0xdb,
    0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe8, 0xe9,
    0xea, 0xeb, 0xec, 0xed, 0xee, 0xef, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6,
    0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe,
};

static void emit(Case *c, int byte)
{
    assert(c->len < (int)sizeof(c->code) - 1);
    c->code[c->len++] = (uint8_t)byte;
}

/* GPR operands: not rsp/rbp (stack, data pointer) nor rdi (maskmov) */
static int pick_gpr(void)
{
    int r;

    do {
        r = rndn(16);
    } while (r == R_ESP || r == R_EBP || r == R_EDI);
    return r;
}

static void init_case(Case *c, const char *what)
{
    static const uint32_t rc[4] = { 0, 0x2000, 0x4000, 0x6000 };

    memset(c, 0, sizeof(*c));
    c->what = what;
    for (int i = 0; i < 16; i++) {
        c->in.regs[i] = rndn(2) ? edge_int64() : vec_q();
    }
    c->in.regs[R_ESP] = STACK_TOP;
    c->in.regs[R_EBP] = DATA_PTR;
    c->in.rflags = 2 | (rnd() & CC_MASK);
    c->in.mxcsr = 0x1f80 | rc[rndn(4)] | (rndn(4) == 0 ? 0x8000 : 0) |
                  (rndn(4) == 0 ? 0x40 : 0) | (rndn(3) == 0 ? rnd() & 0x3f : 0);
    /* some cases unmask exceptions: #XM on both sides */
    if (rndn(5) == 0) {
        c->in.mxcsr &= ~((uint32_t)(rnd() & 0x3f) << 7);
        /* a sticky flag that is unmasked would fault at once: clear it */
        c->in.mxcsr &= ~(~(c->in.mxcsr >> 7) & 0x3f);
    }
    for (int i = 0; i < 8; i++) {
        c->in.mm[i] = rndn(3) ? edge_int64() : vec_q();
    }
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 2; j++) {
            uint64_t v = vec_q();
            memcpy(&c->in.xmm[i][8 * j], &v, 8);
        }
    }
    c->mem_seed = (uint32_t)rnd();
}

/*
 * One instruction of descriptor t: reg is the ModRM.reg operand, rm the
 * register r/m operand or -1 for [rbp + disp8].
 */
static void encode_map(Case *c, uint8_t pfx, uint8_t map, uint8_t op, int reg,
                       int rm, int disp, bool w, int imm)
{
    int rex = (w ? 8 : 0) | (reg >= 8 ? 4 : 0) | (rm >= 8 ? 1 : 0);

    /* 66 before F2/F3: the later prefix selects the instruction */
    if ((pfx == 0xf2 || pfx == 0xf3) && rndn(4) == 0) {
        emit(c, 0x66);
    }
    if (pfx) {
        emit(c, pfx);
    }
    if (rex || rndn(8) == 0) {
        emit(c, 0x40 | rex);
    }
    emit(c, 0x0f);
    if (map) {
        emit(c, map);
    }
    emit(c, op);
    if (rm >= 0) {
        emit(c, 0xc0 | (reg & 7) << 3 | (rm & 7));
    } else if (rndn(4) == 0) {
        /* RIP-relative: relative to the end, after the imm8 */
        int pos;
        emit(c, 0x05 | (reg & 7) << 3);
        pos = c->len;
        for (int i = 0; i < 4; i++) {
            emit(c, 0);
        }
        if (imm >= 0) {
            emit(c, imm);
        }
        int32_t rel = (int32_t)(DATA_PTR + disp - (GBASE + CODE_OFF + c->len));
        memcpy(&c->code[pos], &rel, 4);
        return;
    } else {
        emit(c, 0x45 | (reg & 7) << 3);
        emit(c, disp);
    }
    if (imm >= 0) {
        emit(c, imm);
    }
}

static void encode(Case *c, uint8_t pfx, uint8_t op, int reg, int rm, int disp,
                   bool w, int imm)
{
    encode_map(c, pfx, 0, op, reg, rm, disp, w, imm);
}

/* T_ALLIMM: the next imm8 of the sweep */
static unsigned imm_sweep;

/* one byte of a short string: mostly a few letters, sometimes a null */
static uint8_t str_byte(void)
{
    return rndn(12) == 0 ? 0 : (uint8_t)("abcA"[rndn(4)] + (rndn(8) == 0));
}

/* string operands with matches and terminators; lengths around 0..16 */
static void setup_str_case(Case *c)
{
    static const uint64_t big[] = {
        0x80000000ull, 0xffffffff80000000ull, 0x8000000000000000ull,
        0x100000010ull, 0xfffffffffffffff0ull, 17, 9, 8, 16, 0,
    };

    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 16; j++) {
            c->in.xmm[i][j] = str_byte();
        }
        /* no terminator for some, so an implicit length is the maximum */
        if (rndn(3) == 0) {
            for (int j = 0; j < 16; j++) {
                c->in.xmm[i][j] |= 0x40;
            }
        }
    }
    for (int r = R_EAX; r <= R_EDX; r += R_EDX - R_EAX) {
        c->in.regs[r] = rndn(4) ? (uint64_t)((int)rndn(41) - 20)
                                : big[rndn(ARRAY_SIZE(big))];
    }
}

static void gen_case_at(Case *c, const InsnDesc *t, bool init)
{
    bool mem = (t->flags & T_MEM) || (!(t->flags & T_REG) && rndn(3) == 0);
    bool w = (t->flags & T_W) && rndn(2);
    int disp = (t->flags & T_AL) ? ((int)rndn(16) - 8) * 16
                                 : (int)rndn(0x100) - 0x80;

    /* now and then a misaligned m128: #GP on both sides */
    if ((t->flags & T_AL) && rndn(16) == 0) {
        disp += 1 + rndn(15);
    }
    int imm = -1, reg, rm;

    if (init) {
        init_case(c, t->name);
    }
    if (t->flags & T_IMM) {
        imm = rndn(4) ? (int)rndn(256) : (int)rndn(20);
    }
    if (t->flags & T_PRED) {
        imm = rndn(8);
    }
    if (t->flags & T_ALLIMM) {
        imm = imm_sweep++ & 0xff;
    }
    if (t->flags & T_STR) {
        setup_str_case(c);
    }
    if ((t->flags & T_DP) && rndn(2)) {
        /* unmasked exceptions in the middle of the dot product, often */
        c->in.mxcsr &= ~((uint32_t)(rnd() & 0x3f) << 7);
        c->in.mxcsr &= ~(~(c->in.mxcsr >> 7) & 0x3f);
    }
    switch (t->form) {
    case F_XX: case F_SX:
        reg = rndn(16);
        rm = rndn(16);
        break;
    case F_MM: case F_SM:
        reg = rndn(8);
        rm = rndn(8);
        break;
    case F_XM:
        reg = rndn(16);
        rm = rndn(8);
        break;
    case F_MX:
        reg = rndn(8);
        rm = rndn(16);
        break;
    case F_XG:
        reg = rndn(16);
        rm = pick_gpr();
        break;
    case F_MG:
        reg = rndn(8);
        rm = pick_gpr();
        break;
    case F_GX: case F_GSTX:
        reg = t->form == F_GX ? pick_gpr() : (int)rndn(16);
        rm = t->form == F_GX ? (int)rndn(16) : pick_gpr();
        break;
    case F_GM: case F_GSTM:
        reg = t->form == F_GM ? pick_gpr() : (int)rndn(8);
        rm = t->form == F_GM ? (int)rndn(8) : pick_gpr();
        break;
    case F_SHX: case F_SHM:
        reg = t->digit;
        rm = rndn(t->form == F_SHX ? 16 : 8);
        imm = rndn(4) ? (int)rndn(70) : (int)rndn(256);
        break;
    case F_MASKX: case F_MASKM:
        reg = rndn(t->form == F_MASKX ? 16 : 8);
        rm = rndn(t->form == F_MASKX ? 16 : 8);
        c->in.regs[R_EDI] = DATA_PTR + rndn(200) - 100;
        break;
    case F_NTI:
        reg = pick_gpr();
        rm = -1;
        break;
    case F_GG:
        reg = pick_gpr();
        rm = pick_gpr();
        break;
    default:
        emit(c, 0x0f);
        emit(c, t->op);
        return;
    }
    if (mem) {
        rm = -1;
    }
    /* the string compares: often one register against itself */
    if ((t->flags & T_STR) && rm >= 0 && rndn(4) == 0) {
        rm = reg;
    }
    encode_map(c, t->pfx, t->map, t->op, reg, rm, disp, w, imm);
}

static void gen_case(Case *c, const InsnDesc *t)
{
    gen_case_at(c, t, true);
}

/*
 * rcpps/rsqrtps and their scalar forms on the portable FP back end
 * (test_diff_soft_fp) are not the host's table lookups:
 * test-x86-ssesoft checks their error bound instead.
 */
static bool skip_approx_insn(const InsnDesc *t)
{
    return sse_fp_force_soft &&
           (!strncmp(t->name, "rcp", 3) || !strncmp(t->name, "rsqrt", 5));
}

/*
 * A few instructions in a row, some of them packed integer: values
 * flow between helpers, inline code and GPRs inside one TB.
 */
static void gen_seq_case(Case *c)
{
    int n = 2 + rndn(4);

    init_case(c, "sequence");
    for (int i = 0; i < n; i++) {
        const InsnDesc *t;

        do {
            t = &insns[rndn(ARRAY_SIZE(insns))];
        } while (skip_approx_insn(t));
        gen_case_at(c, t, false);
    }
}

static void gen_int_case(Case *c)
{
    uint8_t op = int_ops[rndn(ARRAY_SIZE(int_ops))];
    bool xmm = rndn(2);
    bool mem = rndn(3) == 0;
    int reg = rndn(xmm ? 16 : 8), rm = mem ? -1 : (int)rndn(xmm ? 16 : 8);
    int disp = xmm ? ((int)rndn(16) - 8) * 16 : (int)rndn(0x100) - 0x80;

    init_case(c, xmm ? "packed int xmm" : "packed int mm");
    /* shifts: small counts most of the time */
    if (rndn(2)) {
        uint64_t cnt = rndn(4) ? rndn(18) : rndn(70);
        memcpy(&c->in.xmm[rm < 0 ? 0 : rm][0], &cnt, 8);
        c->in.mm[rm < 0 ? 0 : rm & 7] = cnt;
    }
    /* compares: mostly equal operands with a few bytes changed */
    if (rm >= 0 && rndn(3) == 0) {
        uint8_t *dst = xmm ? c->in.xmm[reg] : (uint8_t *)&c->in.mm[reg];
        uint8_t *src = xmm ? c->in.xmm[rm] : (uint8_t *)&c->in.mm[rm];
        memcpy(src, dst, xmm ? 16 : 8);
        for (int i = rndn(4); i > 0; i--) {
            src[rndn(xmm ? 16 : 8)] ^= 1 << rndn(8);
        }
    }
    encode(c, xmm ? 0x66 : 0, op, reg, rm, disp, false, -1);
}

/* ---- Running ---- */

typedef struct Result {
    SSEState st;
    uint8_t data[DATA_SIZE];
    int excp;
    uint64_t fault_rip;
} Result;

static Result res_a, res_b;
static uint8_t img_data[DATA_SIZE];

#if HAVE_NATIVE
/*
 * An unmasked SIMD exception (#XM) arrives as SIGFPE, a #GP (a
 * misaligned m128) as SIGSEGV from the kernel: note which and where, and
 * resume at the exit path, which saves the state the fault left.
 */
static volatile uint64_t native_fault_rip;
static volatile int native_fault_excp;

static void native_sigfpe(int sig, siginfo_t *si, void *uc_)
{
    ucontext_t *uc = uc_;
    uint64_t rip = uc->uc_mcontext.gregs[REG_RIP];

    if (sig == SIGSEGV && (si->si_code != SI_KERNEL ||
                           rip < GBASE + CODE_OFF || rip >= GBASE + DATA_OFF)) {
        /* not the test code's #GP: crash as usual */
        signal(SIGSEGV, SIG_DFL);
        return;
    }
    native_fault_rip = rip;
    native_fault_excp = sig == SIGFPE ? EXCP13_XMM : EXCP0D_GPF;
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)x86sse_native_exit;
}

static void run_native(const Case *c, Result *r)
{
    uint8_t *code = x86h_host_window + CODE_OFF;
    uint64_t exit_addr = (uint64_t)(uintptr_t)x86sse_native_exit;

    fill_pattern(x86h_host_window + DATA_OFF, DATA_SIZE, c->mem_seed);
    memcpy(code, c->code, c->len);
    memcpy(code + c->len, "\xff\x25\x00\x00\x00\x00", 6);
    memcpy(code + c->len + 6, &exit_addr, 8);
    __builtin___clear_cache((char *)code, (char *)code + c->len + 14);
    r->st = c->in;
    native_fault_rip = 0;
    x86sse_run_native(&r->st, code);
    memcpy(r->data, x86h_host_window + DATA_OFF, DATA_SIZE);
    r->excp = native_fault_rip ? native_fault_excp : -1;
    r->fault_rip = native_fault_rip;
}
#endif

static void load_env(CPUX86State *env, const SSEState *st)
{
    memcpy(env->regs, st->regs, sizeof(env->regs));
    x86_cpu_set_eflags(env, st->rflags);
    env->mxcsr = st->mxcsr;
    for (int i = 0; i < 8; i++) {
        env->fpregs[i].mant = st->mm[i];
        env->fpregs[i].exp = 0;
    }
    memcpy(env->xmm_regs, st->xmm, sizeof(st->xmm));
    env->cr[0] = test_cr0;
    env->cr[4] = test_cr4;
}

static void run_emu(const Case *c, Result *r)
{
    CPUState *cs = &x86h_cpu->parent;
    CPUX86State *env = &x86h_cpu->env;
    uint8_t hlt = 0xf4;

    fill_pattern(img_data, DATA_SIZE, c->mem_seed);
    x86h_wr(DATA_OFF, img_data, DATA_SIZE);
    x86h_wr(CODE_OFF, c->code, c->len);
    x86h_wr(CODE_OFF + c->len, &hlt, 1);
    load_env(env, &c->in);
    env->rip = GBASE + CODE_OFF;
    cs->halted = false;
    x86h_last_excp = -1;
    x86h_run();
    memcpy(r->st.regs, env->regs, sizeof(env->regs));
    r->st.rflags = x86_cpu_get_eflags(env);
    r->st.mxcsr = env->mxcsr;
    for (int i = 0; i < 8; i++) {
        r->st.mm[i] = env->fpregs[i].mant;
    }
    memcpy(r->st.xmm, env->xmm_regs, sizeof(r->st.xmm));
    r->excp = x86h_last_excp;
    r->fault_rip = x86h_last_excp >= 0 ? env->rip : 0;
    bql_lock();
    address_space_read(&address_space_memory, DATA_OFF, r->data, DATA_SIZE);
    bql_unlock();
}

static void print_state(const char *title, const SSEState *st)
{
    fprintf(stderr, "  %s: rflags=%08" PRIx64 " mxcsr=%08x\n", title,
            st->rflags, st->mxcsr);
    for (int i = 0; i < 16; i++) {
        uint64_t q[2];
        memcpy(q, st->xmm[i], 16);
        fprintf(stderr, "    xmm%-2d=%016" PRIx64 "_%016" PRIx64 "%s", i,
                q[1], q[0], (i & 1) ? "\n" : "");
    }
    for (int i = 0; i < 8; i++) {
        fprintf(stderr, "    mm%d=%016" PRIx64 "%s", i, st->mm[i],
                (i & 3) == 3 ? "\n" : "");
    }
    for (int i = 0; i < 16; i++) {
        fprintf(stderr, "    r%-2d=%016" PRIx64 "%s", i, st->regs[i],
                (i & 3) == 3 ? "\n" : "");
    }
}

static const char *cur_backend = "?";

static const char *backend_name(void)
{
    return cur_backend;
}

static bool compare(const Case *c, const Result *a, const Result *b)
{
    const char *why = NULL;
    int where = -1;

    for (int i = 0; i < 16 && !why; i++) {
        if (a->st.regs[i] != b->st.regs[i]) {
            why = "GPR";
            where = i;
        }
    }
    if (!why && ((a->st.rflags ^ b->st.rflags) & (CC_MASK | DF_MASK))) {
        why = "flags";
    }
    if (!why && a->st.mxcsr != b->st.mxcsr) {
        why = "mxcsr";
    }
    for (int i = 0; i < 16 && !why; i++) {
        if (memcmp(a->st.xmm[i], b->st.xmm[i], 16)) {
            why = "xmm";
            where = i;
        }
    }
    for (int i = 0; i < 8 && !why; i++) {
        if (a->st.mm[i] != b->st.mm[i]) {
            why = "mm";
            where = i;
        }
    }
    if (!why && memcmp(a->data, b->data, DATA_SIZE)) {
        why = "data memory";
        for (where = 0; a->data[where] == b->data[where]; where++) {
        }
    }
    if (!why && (a->excp != b->excp || a->fault_rip != b->fault_rip)) {
        why = "exception";
        where = b->excp;
    }
    if (!why) {
        return true;
    }
    fprintf(stderr, "MISMATCH (%s, %s back end) in %s (%d)\n  code:",
            c->what, backend_name(), why, where);
    for (int i = 0; i < c->len; i++) {
        fprintf(stderr, " %02x", c->code[i]);
    }
    fprintf(stderr, "\n  memory seed %u\n", c->mem_seed);
    print_state("input", &c->in);
    print_state("host", &a->st);
    print_state("emu", &b->st);
    return false;
}

/* ---- Tests ---- */

#define CASES_PER_INSN 60
#define ALLIMM_CASES 512
#define INT_CASES 5000
#define SEQ_CASES 2000

#if HAVE_NATIVE
typedef struct DiffStats {
    int total, bad, changed;
} DiffStats;

/* One pass over every class; false once 10 mismatches are reported */
static bool diff_round(DiffStats *st)
{
    for (size_t k = 0; k < ARRAY_SIZE(insns) + 2; k++) {
        int n = k < ARRAY_SIZE(insns) ?
                (insns[k].flags & T_ALLIMM ? ALLIMM_CASES : CASES_PER_INSN) :
                k == ARRAY_SIZE(insns) ? INT_CASES : SEQ_CASES;
        if (k < ARRAY_SIZE(insns) && skip_approx_insn(&insns[k])) {
            continue;
        }
        for (int i = 0; i < n; i++) {
            Case c;
            if (k < ARRAY_SIZE(insns)) {
                gen_case(&c, &insns[k]);
            } else if (k == ARRAY_SIZE(insns)) {
                gen_int_case(&c);
            } else {
                gen_seq_case(&c);
            }
            run_native(&c, &res_a);
            run_emu(&c, &res_b);
            st->total++;
            /* the test must see instructions do something */
            st->changed += memcmp(&res_a.st.mm, &c.in.mm, sizeof(c.in.mm) +
                                  sizeof(c.in.xmm)) != 0 ||
                           memcmp(res_a.st.regs, c.in.regs,
                                  sizeof(c.in.regs)) != 0 ||
                           res_a.st.mxcsr != c.in.mxcsr;
            if (!compare(&c, &res_a, &res_b) && ++st->bad >= 10) {
                return false;
            }
        }
    }
    return true;
}
#endif

static void test_diff(void **state)
{
#if HAVE_NATIVE
    DiffStats st = { 0 };
    int64_t t0 = x86h_now_ms();
    int rounds = atoi(getenv("X86SSE_ROUNDS") ?: "1");
    /* cmocka has its own SIGFPE handler while a test runs: replace it */
    struct sigaction sa = { .sa_sigaction = native_sigfpe,
                            .sa_flags = SA_SIGINFO }, old_sa, old_segv;

    sigaction(SIGFPE, &sa, &old_sa);
    sigaction(SIGSEGV, &sa, &old_segv);
    /* X86SSE_SEED=n X86SSE_ROUNDS=k: other and more cases, for soaking */
    rng_state = 0x5eed5eed12345678ull ^
                strtoull(getenv("X86SSE_SEED") ?: "0", NULL, 0);
    while (rounds-- > 0 && diff_round(&st)) {
    }
    sigaction(SIGFPE, &old_sa, NULL);
    sigaction(SIGSEGV, &old_segv, NULL);
    fprintf(stderr, "x86-sse (%s): %d cases (%d changed registers), %d "
            "mismatches, %" PRId64 " ms\n", backend_name(), st.total,
            st.changed, st.bad, x86h_now_ms() - t0);
    assert_int_equal(st.bad, 0);
    assert_true(st.changed > st.total * 8 / 10);
#else
    skip();
#endif
}

/* test_diff with the FP helpers on the portable back end (sse_fp_soft.c) */
static void test_diff_soft_fp(void **state)
{
    sse_fp_force_soft = true;
    test_diff(state);
    sse_fp_force_soft = false;
}

/* Run code bytes under the translator from a fixed state */
static int run_bytes(const uint8_t *code, int len, uint32_t mxcsr,
                     uint64_t cr0, uint64_t cr4, Result *r)
{
    Case c;

    rng_state = 42;
    init_case(&c, "exception");
    memcpy(c.code, code, len);
    c.len = len;
    c.in.mxcsr = mxcsr;
    test_cr0 = cr0;
    test_cr4 = cr4;
    run_emu(&c, r);
    test_cr0 = CR0_PE_MASK | CR0_PG_MASK | CR0_MP_MASK | CR0_NE_MASK;
    test_cr4 = CR4_OSFXSR_MASK | CR4_OSXMMEXCPT_MASK;
    res_a.st = c.in;
    return r->excp;
}

static void test_exceptions(void **state)
{
    const uint64_t cr0 = CR0_PE_MASK | CR0_PG_MASK | CR0_MP_MASK |
                         CR0_NE_MASK;
    const uint64_t cr4 = CR4_OSFXSR_MASK | CR4_OSXMMEXCPT_MASK;
    CPUX86State *env = &x86h_cpu->env;
    /* divps xmm1, xmm2 after xorps: 0/0 */
    static const uint8_t div00[] = { 0x0f, 0x57, 0xc9, 0x0f, 0x57, 0xd2,
                                     0x0f, 0x5e, 0xca };
    static const uint8_t addps[] = { 0x0f, 0x58, 0xc1 };
    static const uint8_t paddb[] = { 0x0f, 0xfc, 0xc1 };
    static const uint8_t movaps_mis[] = { 0x0f, 0x28, 0x45, 0x01 };
    static const uint8_t pslldq_mm[] = { 0x0f, 0x73, 0xf8, 0x01 };
    static const uint8_t psrlw_mem[] = { 0x66, 0x0f, 0x71, 0x55, 0x00, 0x01 };
    static const uint8_t movlpd_reg[] = { 0x66, 0x0f, 0x12, 0xc1 };
    /* 66 0F 38 50 and 66 0F 3A 7F are not defined */
    static const uint8_t bad38[] = { 0x66, 0x0f, 0x38, 0x50, 0xc1 };
    static const uint8_t bad3a[] = { 0x66, 0x0f, 0x3a, 0x7f, 0xc1, 0x00 };
    /* pshufb xmm0, [rbp + 1]: #GP; pcmpistri xmm0, [rbp + 1], 0: fine */
    static const uint8_t pshufb_mis[] = { 0x66, 0x0f, 0x38, 0x00, 0x45, 0x01 };
    static const uint8_t pcmpistri_mis[] = { 0x66, 0x0f, 0x3a, 0x63, 0x45,
                                             0x01, 0x00 };
    /* an F3 prefix on an SSSE3 opcode; crc32 is not SSE: no #NM */
    static const uint8_t pshufb_f3[] = { 0xf3, 0x0f, 0x38, 0x00, 0xc1 };
    static const uint8_t crc32[] = { 0xf2, 0x0f, 0x38, 0xf1, 0xc1 };
    static const uint8_t emms[] = { 0x0f, 0x77 };
    uint8_t saved[16];

    /* #XM with IE unmasked: flag set, destination unchanged, rip at divps */
    assert_int_equal(run_bytes(div00, sizeof(div00), 0x1f80 & ~0x80, cr0, cr4,
                               &res_b), EXCP13_XMM);
    assert_int_equal(env->rip, GBASE + CODE_OFF + 6);
    assert_true(env->mxcsr & 1);
    assert_int_equal(env->xmm_regs[1].q[0], 0);
    /* without CR4.OSXMMEXCPT: #UD */
    assert_int_equal(run_bytes(div00, sizeof(div00), 0x1f80 & ~0x80, cr0,
                               CR4_OSFXSR_MASK, &res_b), EXCP06_ILLOP);
    /* masked: the default NaN */
    assert_int_equal(run_bytes(div00, sizeof(div00), 0x1f80, cr0, cr4,
                               &res_b), -1);
    assert_int_equal(env->xmm_regs[1].l[0], 0xffc00000);
    assert_int_equal(env->mxcsr, 0x1f81);
    /* SSE needs CR4.OSFXSR; MMX does not; CR0.EM: #UD; CR0.TS: #NM */
    memcpy(saved, res_a.st.xmm[0], 16);
    assert_int_equal(run_bytes(addps, sizeof(addps), 0x1f80, cr0, 0, &res_b),
                     EXCP06_ILLOP);
    assert_memory_equal(env->xmm_regs[0].b, res_a.st.xmm[0], 16);
    assert_int_equal(run_bytes(paddb, sizeof(paddb), 0x1f80, cr0, 0, &res_b),
                     -1);
    assert_int_equal(run_bytes(paddb, sizeof(paddb), 0x1f80,
                               cr0 | CR0_EM_MASK, cr4, &res_b), EXCP06_ILLOP);
    assert_int_equal(run_bytes(addps, sizeof(addps), 0x1f80,
                               cr0 | CR0_TS_MASK, cr4, &res_b), EXCP07_PREX);
    assert_int_equal(run_bytes(paddb, sizeof(paddb), 0x1f80,
                               cr0 | CR0_TS_MASK, cr4, &res_b), EXCP07_PREX);
    /* misaligned m128: #GP(0) */
    assert_int_equal(run_bytes(movaps_mis, sizeof(movaps_mis), 0x1f80, cr0,
                               cr4, &res_b), EXCP0D_GPF);
    /* invalid forms */
    assert_int_equal(run_bytes(pslldq_mm, sizeof(pslldq_mm), 0x1f80, cr0,
                               cr4, &res_b), EXCP06_ILLOP);
    assert_int_equal(run_bytes(psrlw_mem, sizeof(psrlw_mem), 0x1f80, cr0,
                               cr4, &res_b), EXCP06_ILLOP);
    assert_int_equal(run_bytes(movlpd_reg, sizeof(movlpd_reg), 0x1f80, cr0,
                               cr4, &res_b), EXCP06_ILLOP);
    assert_int_equal(run_bytes(bad38, sizeof(bad38), 0x1f80, cr0, cr4,
                               &res_b), EXCP06_ILLOP);
    assert_int_equal(run_bytes(bad3a, sizeof(bad3a), 0x1f80, cr0, cr4,
                               &res_b), EXCP06_ILLOP);
    assert_int_equal(run_bytes(pshufb_f3, sizeof(pshufb_f3), 0x1f80, cr0,
                               cr4, &res_b), EXCP06_ILLOP);
    assert_int_equal(run_bytes(pshufb_mis, sizeof(pshufb_mis), 0x1f80, cr0,
                               cr4, &res_b), EXCP0D_GPF);
    assert_int_equal(run_bytes(pcmpistri_mis, sizeof(pcmpistri_mis), 0x1f80,
                               cr0, cr4, &res_b), -1);
    assert_int_equal(run_bytes(pcmpistri_mis, sizeof(pcmpistri_mis), 0x1f80,
                               cr0 | CR0_TS_MASK, cr4, &res_b), EXCP07_PREX);
    assert_int_equal(run_bytes(crc32, sizeof(crc32), 0x1f80,
                               cr0 | CR0_TS_MASK, 0, &res_b), -1);
    /* a 16-byte store whose second page faults writes nothing */
    {
        static const uint8_t movups_st[] = { 0x0f, 0x11, 0x03 };
        uint8_t before[8], after[8];
        const uint64_t last = WIN_SIZE - 8;
        Case c;

        bql_lock();
        address_space_write(&address_space_memory, last,
                            "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
        address_space_read(&address_space_memory, last, before, 8);
        bql_unlock();
        rng_state = 7;
        init_case(&c, "page cross");
        memcpy(c.code, movups_st, sizeof(movups_st));
        c.len = sizeof(movups_st);
        c.in.regs[R_EBX] = GBASE + last;
        run_emu(&c, &res_b);
        assert_int_equal(res_b.excp, EXCP0E_PAGE);
        assert_int_equal(env->rip, GBASE + CODE_OFF);
        bql_lock();
        address_space_read(&address_space_memory, last, after, 8);
        bql_unlock();
        assert_memory_equal(before, after, 8);
    }
    /* MMX: top 0 and all tags valid; emms: all empty */
    env->fpstt = 5;
    memset(env->fptags, 1, 8);
    assert_int_equal(run_bytes(paddb, sizeof(paddb), 0x1f80, cr0, cr4,
                               &res_b), -1);
    assert_int_equal(env->fpstt, 0);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(env->fptags[i], 0);
    }
    assert_int_equal(env->fpregs[0].exp, 0xffff);
    assert_int_equal(run_bytes(emms, sizeof(emms), 0x1f80, cr0, cr4,
                               &res_b), -1);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(env->fptags[i], 1);
    }
    /* an MMX load that faults leaves the x87 state alone */
    {
        static const uint8_t movq_fault[] = { 0x0f, 0x6f, 0x03 };
        Case c;

        rng_state = 9;
        init_case(&c, "mmx fault");
        memcpy(c.code, movq_fault, sizeof(movq_fault));
        c.len = sizeof(movq_fault);
        c.in.regs[R_EBX] = GBASE + WIN_SIZE;
        env->fpstt = 3;
        run_emu(&c, &res_b);
        assert_int_equal(res_b.excp, EXCP0E_PAGE);
        assert_int_equal(env->fpstt, 3);
        for (int i = 0; i < 8; i++) {
            assert_int_equal(env->fptags[i], 1);
        }
    }
}

/*
 * 32-bit code (compatibility mode): no REX, 32-bit addresses through a
 * DS base, 66/F3 prefixes as in 64-bit mode.
 */
static void test_compat_mode(void **state)
{
    /* movdqu xmm1, [ebx]; paddd xmm1, xmm1; movd eax, xmm1;
     * pshufd xmm2, xmm1, 0x4e; movq [ebx + 16], xmm2 */
    static const uint8_t code[] = {
        0xf3, 0x0f, 0x6f, 0x0b, 0x66, 0x0f, 0xfe, 0xc9, 0x66, 0x0f, 0x7e,
        0xc8, 0x66, 0x0f, 0x70, 0xd1, 0x4e, 0x66, 0x0f, 0xd6, 0x53, 0x10,
    };
    CPUX86State *env = &x86h_cpu->env;
    uint32_t in[4] = { 0x11111111, 0x80000000, 0x7fffffff, 0x12345678 };
    uint32_t out[2];
    Case c;

    rng_state = 5;
    init_case(&c, "compat");
    memcpy(c.code, code, sizeof(code));
    c.len = sizeof(code);
    /* ebx is an offset in DS, which starts at GBASE */
    c.in.regs[R_EBX] = DATA_PTR - GBASE;
    /* CS.D without CS.L */
    x86h_cpu->env.segs[R_CS].flags = DESC_P_MASK | DESC_S_MASK |
                                     DESC_CS_MASK | DESC_R_MASK | DESC_B_MASK;
    x86h_cpu->env.segs[R_DS].base = GBASE;
    x86h_cpu->env.segs[R_DS].flags |= DESC_B_MASK;
    bql_lock();
    address_space_write(&address_space_memory, DATA_PTR - GBASE, in, 16);
    bql_unlock();
    {
        CPUState *cs = &x86h_cpu->parent;
        uint8_t hlt = 0xf4;

        x86h_wr(CODE_OFF, c.code, c.len);
        x86h_wr(CODE_OFF + c.len, &hlt, 1);
        load_env(env, &c.in);
        env->rip = GBASE + CODE_OFF;
        cs->halted = false;
        x86h_last_excp = -1;
        x86h_run();
    }
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(env->regs[R_EAX], 0x22222222);
    assert_int_equal(env->xmm_regs[1].l[1], 0);
    assert_int_equal(env->xmm_regs[1].l[2], 0xfffffffe);
    assert_int_equal(env->xmm_regs[2].l[0], 0xfffffffe);
    bql_lock();
    address_space_read(&address_space_memory, DATA_PTR - GBASE + 16, out, 8);
    bql_unlock();
    assert_int_equal(out[0], 0xfffffffe);
    assert_int_equal(out[1], 0x2468acf0);
}

/*
 * crc32 against the CRC-32C check value (RFC 3720): "123456789" with
 * the pre- and post-inversion done by the code gives 0xe3069283.
 */
static void test_crc32_check_value(void **state)
{
    /* crc32 rax, rbx; crc32 eax, cl */
    static const uint8_t code[] = { 0xf2, 0x48, 0x0f, 0x38, 0xf1, 0xc3,
                                    0xf2, 0x0f, 0x38, 0xf0, 0xc1 };
    Case c;

    rng_state = 3;
    init_case(&c, "crc32 check value");
    memcpy(c.code, code, sizeof(code));
    c.len = sizeof(code);
    c.in.regs[R_EAX] = 0xffffffffffffffffull;
    c.in.regs[R_EBX] = 0x3837363534333231ull;       /* "12345678" */
    c.in.regs[R_ECX] = '9';
    run_emu(&c, &res_b);
    assert_int_equal(res_b.excp, -1);
    assert_int_equal(res_b.st.regs[R_EAX], 0xe3069283u ^ 0xffffffffu);
}

/* Random bytes behind the SSE opcodes: no crash, no hang */
static void test_random_sse_bytes(void **state)
{
    static const uint8_t pf[] = { 0x66, 0xf2, 0xf3, 0x48, 0x44, 0x41 };

    rng_state = 0xabcdef0123456789ull;
    for (int i = 0; i < 2500; i++) {
        Case c;
        init_case(&c, "random");
        c.in.regs[R_EDI] = DATA_PTR;
        if (rndn(2)) {
            emit(&c, pf[rndn(ARRAY_SIZE(pf))]);
        }
        emit(&c, 0x0f);
        switch (rndn(4)) {
        case 0:
            /* the 0F 38 map (crc32 and movbe included) */
            emit(&c, 0x38);
            emit(&c, rndn(2) ? rndn(0x42) : rndn(256));
            break;
        case 1:
            emit(&c, 0x3a);
            emit(&c, rndn(2) ? rndn(0x64) : rndn(256));
            break;
        default:
            emit(&c, rndn(2) ? 0x50 + rndn(0x30) : 0xc2 + rndn(0x3e));
            break;
        }
        /* ModRM with [rbp + disp8] or a register, and an imm8 */
        emit(&c, rndn(2) ? 0xc0 | rndn(64) : 0x45 | (rndn(8) << 3));
        emit(&c, rndn(16) * 16);
        /* a byte that cannot start a loop if it is not consumed */
        emit(&c, rndn(16));
        for (int j = 0; j < 8; j++) {
            emit(&c, 0xf4);
        }
        run_emu(&c, &res_b);
    }
}

static int setup_native(void **state)
{
    cur_backend = "native";
    return x86h_setup_native(state);
}

static int setup_interp(void **state)
{
    cur_backend = "interp";
    return x86h_setup_interp(state);
}

#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, x86h_teardown)

int main(void)
{
    const X86HConfig cfg = {
        .cc = &x86_sse_test_class,
        .ram_size = WIN_SIZE,
        .poll_ms = 5,
        .window_base = GBASE,
        .window_size = WIN_SIZE,
        .host_window = HAVE_NATIVE,
    };
    const struct CMUnitTest tests[] = {
        T(test_exceptions, setup_interp),
        T(test_compat_mode, setup_interp),
        T(test_crc32_check_value, setup_interp),
        T(test_diff, setup_interp),
        T(test_random_sse_bytes, setup_interp),
#if HAVE_NATIVE
        T(test_exceptions, setup_native),
        T(test_compat_mode, setup_native),
        T(test_crc32_check_value, setup_native),
        T(test_diff, setup_native),
        T(test_random_sse_bytes, setup_native),
        T(test_diff_soft_fp, setup_native),
#endif
    };

    if (!x86h_init(&cfg)) {
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
