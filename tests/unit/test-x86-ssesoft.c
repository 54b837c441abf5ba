/*
 * The portable SSE floating-point back end (sse_fp_soft.c) against the
 * host's SSE unit: every SSEFpOp runs on the same operands and MXCSR
 * through the helper's host path and through the soft path; results and
 * MXCSR flags must match bit for bit (rcpps/rsqrtps: within their
 * architectural error bound).  Operands mix targeted edge values (signed
 * zeros, denormals, infinities, QNaN/SNaN with payloads, extreme normals,
 * integer limits, halfway cases) with random bits and near-equal pairs;
 * MXCSR gets every rounding mode with DAZ and FTZ on and off, all
 * exceptions masked (the unmasked responses are derived by sse_helper.c
 * from these).  A known-answer test runs on every host.
 */
#include "emu/osdep.h"
#include "target/i386/cpu.h"
#include "target/i386/tcg/translate.h"
#include "target/i386/tcg/sse_fp_soft.h"
#include "support/test-rng.h"

#include <setjmp.h>
#include <cmocka.h>
#include <math.h>

#define MXCSR_MASKS 0x1f80u
#define MXCSR_DAZ   0x0040u
#define MXCSR_FTZ   0x8000u

static const char *const op_names[] = {
    "addps", "addss", "addpd", "addsd", "subps", "subss", "subpd", "subsd",
    "mulps", "mulss", "mulpd", "mulsd", "divps", "divss", "divpd", "divsd",
    "minps", "minss", "minpd", "minsd", "maxps", "maxss", "maxpd", "maxsd",
    "sqrtps", "sqrtss", "sqrtpd", "sqrtsd",
    "rcpps", "rcpss", "rsqrtps", "rsqrtss",
    "addsubps", "addsubpd", "haddps", "haddpd", "hsubps", "hsubpd",
    "cmpps", "cmpss", "cmppd", "cmpsd",
    "cvtps2pd", "cvtpd2ps", "cvtss2sd", "cvtsd2ss",
    "cvtdq2ps", "cvtps2dq", "cvttps2dq",
    "cvtdq2pd", "cvtpd2dq", "cvttpd2dq",
    "cvtpi2ps", "cvtpi2pd",
    "cvtps2pi", "cvttps2pi", "cvtpd2pi", "cvttpd2pi",
    "cvtsi2ss", "cvtsi2sd",
    "roundps", "roundpd", "roundss", "roundsd", "dpps", "dppd",
    "comiss", "ucomiss", "comisd", "ucomisd",
    "cvtss2si", "cvttss2si", "cvtsd2si", "cvttsd2si",
};
_Static_assert(ARRAY_SIZE(op_names) == SSE_FP_NB_OPS, "op_names");

static bool op_is_double(SSEFpOp op)
{
    switch (op) {
    case SSE_ADDPD: case SSE_ADDSD: case SSE_SUBPD: case SSE_SUBSD:
    case SSE_MULPD: case SSE_MULSD: case SSE_DIVPD: case SSE_DIVSD:
    case SSE_MINPD: case SSE_MINSD: case SSE_MAXPD: case SSE_MAXSD:
    case SSE_SQRTPD: case SSE_SQRTSD: case SSE_ADDSUBPD: case SSE_HADDPD:
    case SSE_HSUBPD: case SSE_CMPPD: case SSE_CMPSD: case SSE_CVTPD2PS:
    case SSE_CVTSD2SS: case SSE_CVTPD2DQ: case SSE_CVTTPD2DQ:
    case SSE_CVTPD2PI: case SSE_CVTTPD2PI: case SSE_ROUNDPD: case SSE_ROUNDSD:
    case SSE_DPPD: case SSE_COMISD: case SSE_UCOMISD: case SSE_CVTSD2SI:
    case SSE_CVTTSD2SI:
        return true;
    default:
        return false;
    }
}

static bool op_is_ret(SSEFpOp op)
{
    return op >= SSE_COMISS;
}

/*
 * The comparison with the host runs on x86-64 hosts; elsewhere only the
 * known answers below check the soft back end.
 */
#if defined(__x86_64__)

/* ---- Operands ---- */

typedef enum Kind { K_F32, K_F64, K_I32, K_I64 } Kind;

static const uint32_t edge32[] = {
    0x00000000, 0x00000001, 0x00000002, 0x003fffff, 0x00400000,
    0x007fffff, 0x00800000, 0x00800001, 0x00ffffff, 0x01000000,
    0x7f7fffff, 0x7f7ffffe, 0x7f000000, 0x7e800000, 0x7f800000,
    0x7fc00000, 0x7fc12345, 0x7fffffff, 0x7f800001, 0x7fa00000,
    0x7fbfffff, 0x3f800000, 0x3f800001, 0x3f7fffff, 0x3fc00000,
    0x3f000000, 0x40200000, 0x40400000, 0x3effffff, 0x3f400000,
    0x4effffff, 0x4f000000, 0x4f000001, 0x5effffff, 0x5f000000,
    0x4b000000, 0x4b800000, 0x4affffff, 0x33800000, 0x34000000,
    0x0c800000, 0x1f800000, 0x5f800000, 0x72800000, 0x20000000,
};

static const uint64_t edge64[] = {
    0x0000000000000000ull, 0x0000000000000001ull, 0x000fffffffffffffull,
    0x0008000000000000ull, 0x0010000000000000ull, 0x0010000000000001ull,
    0x001fffffffffffffull, 0x7fefffffffffffffull, 0x7fe0000000000000ull,
    0x7ff0000000000000ull, 0x7ff8000000000000ull, 0x7ff8000000012345ull,
    0x7fffffffffffffffull, 0x7ff0000000000001ull, 0x7ff4000000000000ull,
    0x7ff7ffffffffffffull, 0x3ff0000000000000ull, 0x3ff0000000000001ull,
    0x3fefffffffffffffull, 0x3ff8000000000000ull, 0x3fe0000000000000ull,
    0x4004000000000000ull, 0x4008000000000000ull, 0x41dfffffffc00000ull,
    0x41e0000000000000ull, 0x41dfffffffe00000ull, 0x41e0000000100000ull,
    0xc1e0000000000000ull, 0xc1e0000000200000ull, 0x43dfffffffffffffull,
    0x43e0000000000000ull, 0x4330000000000000ull, 0x4340000000000000ull,
    0x3ca0000000000000ull, 0x36a0000000000000ull, 0x3690000000000000ull,
    0x380fffffe0000000ull, 0x3810000000000000ull, 0x47efffffe0000000ull,
    0x47effffff0000000ull, 0x47f0000000000000ull, 0x3800000000000000ull,
    0x36a8000000000000ull, 0x5ff0000000000000ull, 0x2000000000000000ull,
};

static const uint64_t edge_int[] = {
    0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xffffffff, 0x01000001,
    0x00ffffff, 0x7fffffc0, 0x7fffffbf, 0x40000040, 0x40000041,
    0x7fffffffffffffffull, 0x8000000000000000ull, 0x0020000000000001ull,
    0x001fffffffffffffull, 0x7ffffffffffffe00ull, 0x7ffffffffffffdffull,
    0x4000000000000400ull, 0x4000000000000401ull, 0xffffffffffffffffull,
};

/* A value with a random exponent near the extremes or 1.0, few or many bits */
static uint64_t structured(int mbits, int ebits)
{
    int emax = (1 << ebits) - 1, e;
    uint64_t frac;

    switch (rndn(6)) {
    case 0:
        e = rndn(3);                            /* denormal, tiny */
        break;
    case 1:
        e = emax - 1 - rndn(3);                 /* huge */
        break;
    case 2:
        e = (emax >> 1) - 40 + rndn(80);         /* around 1 */
        break;
    default:
        e = rndn(emax + 1);
        break;
    }
    switch (rndn(4)) {
    case 0:
        frac = rndn(8);                                 /* few top bits */
        frac = frac << (mbits - 3);
        break;
    case 1:
        frac = 1ull << rndn(mbits);                     /* halfway-ish */
        frac |= rnd() & 1;
        break;
    case 2:
        frac = ~0ull >> rndn(8);
        break;
    default:
        frac = rnd();
        break;
    }
    frac &= (1ull << mbits) - 1;
    return ((uint64_t)(rnd() & 1) << (mbits + ebits)) |
           ((uint64_t)e << mbits) | frac;
}

static uint64_t gen_value(Kind k)
{
    unsigned pick = rndn(10);
    uint64_t v;

    switch (k) {
    case K_F32:
        if (pick < 4) {
            v = edge32[rndn(ARRAY_SIZE(edge32))];
            v ^= (rnd() & 1) << 31;
        } else if (pick < 6) {
            v = (uint32_t)rnd();
        } else {
            v = structured(23, 8);
        }
        return v;
    case K_F64:
        if (pick < 4) {
            v = edge64[rndn(ARRAY_SIZE(edge64))];
            v ^= (rnd() & 1) << 63;
        } else if (pick < 6) {
            v = rnd();
        } else {
            v = structured(52, 11);
        }
        return v;
    case K_I32:
        v = pick < 5 ? edge_int[rndn(ARRAY_SIZE(edge_int))] : rnd() >> rndn(40);
        v = (rnd() & 1) ? 0 - v : v;
        return (uint32_t)v;
    default:
        v = pick < 5 ? edge_int[rndn(ARRAY_SIZE(edge_int))] : rnd() >> rndn(64);
        return (rnd() & 1) ? 0 - v : v;
    }
}

/* A second operand near the first: equal, negated, a few ulps away */
static uint64_t near_value(uint64_t a, Kind k)
{
    uint64_t sign = k == K_F32 ? 0x80000000u : 1ull << 63;

    switch (rndn(4)) {
    case 0:
        return a;
    case 1:
        return a ^ sign;
    case 2:
        return a + rndn(5) - 2;
    default:
        return (a ^ sign) + rndn(3);
    }
}

static void fill(uint8_t *v, Kind k, const uint8_t *other, bool near)
{
    for (unsigned i = 0; i < 16; ) {
        if (k == K_F32 || k == K_I32) {
            uint32_t x = gen_value(k), o;
            if (near && other) {
                memcpy(&o, other + i, 4);
                x = near_value(o, K_F32);
            }
            memcpy(v + i, &x, 4);
            i += 4;
        } else {
            uint64_t x = gen_value(k), o;
            if (near && other) {
                memcpy(&o, other + i, 8);
                x = near_value(o, K_F64);
            }
            memcpy(v + i, &x, 8);
            i += 8;
        }
    }
}

static Kind src_kind(SSEFpOp op, bool wide)
{
    switch (op) {
    case SSE_CVTDQ2PS: case SSE_CVTDQ2PD: case SSE_CVTPI2PS: case SSE_CVTPI2PD:
        return K_I32;
    case SSE_CVTSI2SS: case SSE_CVTSI2SD:
        return wide ? K_I64 : K_I32;
    default:
        return op_is_double(op) ? K_F64 : K_F32;
    }
}

static Kind dst_kind(SSEFpOp op)
{
    switch (op) {
    case SSE_CVTSS2SD: case SSE_CVTSI2SD: case SSE_CVTPI2PD:
        return K_F64;
    default:
        return op_is_double(op) ? K_F64 : K_F32;
    }
}

/* Not the integer-source conversions */
static bool op_src_is_float(SSEFpOp op)
{
    return src_kind(op, false) == K_F32 || src_kind(op, false) == K_F64;
}

static bool op_is_approx(SSEFpOp op)
{
    return op >= SSE_RCPPS && op <= SSE_RSQRTSS;
}

/* ---- Running one case both ways ---- */

typedef struct Outcome {
    uint8_t r[16];
    uint64_t ret;
    uint32_t flags;
    int excp;                   /* -1: none; else #XM/#UD raised */
} Outcome;

typedef void SSEFpFn(void *env, void *dst, void *src, uint32_t arg);
typedef uint64_t SSEFpRetFn(void *env, void *dst, void *src, uint32_t arg);

/*
 * A bare CPU: the helpers only read env->mxcsr and CR4, and an unmasked
 * exception leaves them through cpu_loop_exit (a siglongjmp to jmp_env;
 * no translation block is found for the return address).
 */
static X86CPU *test_cpu;

/* Through the helper, host or soft path as sse_fp_force_soft says */
static void run_helper(SSEFpOp op, const uint8_t *r, const uint8_t *s,
                       uint32_t mxcsr, uint32_t arg, Outcome *out)
{
    CPUX86State *env = &test_cpu->env;
    static uint8_t dst[16], src[16];

    memcpy(dst, r, 16);
    memcpy(src, s, 16);
    env->mxcsr = mxcsr;
    env->cr[4] = CR4_OSFXSR_MASK | CR4_OSXMMEXCPT_MASK;
    out->ret = 0;
    out->excp = -1;
    if (sigsetjmp(test_cpu->parent.jmp_env, 0) == 0) {
        if (op_is_ret(op)) {
            SSEFpRetFn *fn = (SSEFpRetFn *)x86_helper_sse_fp_ret.func;
            out->ret = fn(env, dst, src, arg);
        } else {
            SSEFpFn *fn = (SSEFpFn *)x86_helper_sse_fp.func;
            fn(env, dst, src, arg);
        }
    } else {
        out->excp = test_cpu->parent.exception_index;
    }
    memcpy(out->r, dst, 16);
    out->flags = env->mxcsr & 0x3f;
}

static bool approx_lane_ok(uint32_t a, uint32_t b)
{
    float fa, fb;

    if (a == b) {
        return true;
    }
    memcpy(&fa, &a, 4);
    memcpy(&fb, &b, 4);
    if (isnan(fa) || isnan(fb) || isinf(fa) || isinf(fb)) {
        return false;
    }
    if ((a ^ b) & 0x80000000u) {
        return false;
    }
    /* tiny results may flush to zero on one side of the boundary */
    if (fabsf(fa) < 0x1p-125f && fabsf(fb) < 0x1p-125f) {
        return true;
    }
    /* both within 1.5 * 2^-12 of the true value */
    return fabsf(fa - fb) <= 3 * 0x1p-12f * fabsf(fb);
}

static int approx_inexact_lanes;

static bool same(SSEFpOp op, const Outcome *h, const Outcome *s)
{
    if (h->flags != s->flags || h->ret != s->ret || h->excp != s->excp) {
        return false;
    }
    if (!op_is_approx(op)) {
        return !memcmp(h->r, s->r, 16);
    }
    for (int i = 0; i < 4; i++) {
        uint32_t a, b;

        memcpy(&a, h->r + 4 * i, 4);
        memcpy(&b, s->r + 4 * i, 4);
        if (!approx_lane_ok(a, b)) {
            return false;
        }
        approx_inexact_lanes += a != b;
    }
    return true;
}

static void dump(const char *what, const uint8_t *v)
{
    uint64_t q[2];

    memcpy(q, v, 16);
    fprintf(stderr, " %s=%016" PRIx64 ":%016" PRIx64, what, q[1], q[0]);
}

static int mismatches;

static void report(SSEFpOp op, const uint8_t *r, const uint8_t *s,
                   uint32_t mxcsr, uint32_t arg, const Outcome *h,
                   const Outcome *o)
{
    if (++mismatches > 40) {
        return;
    }
    fprintf(stderr, "MISMATCH %s imm=%02x wide=%d mxcsr=%04x", op_names[op],
            arg & 0xff, !!(arg & SSE_ARG_XMM), mxcsr);
    dump("r", r);
    dump("s", s);
    fprintf(stderr, "\n   host:");
    dump("res", h->r);
    fprintf(stderr, " ret=%" PRIx64 " flags=%02x excp=%d\n   soft:", h->ret,
            h->flags, h->excp);
    dump("res", o->r);
    fprintf(stderr, " ret=%" PRIx64 " flags=%02x excp=%d\n", o->ret,
            o->flags, o->excp);
}

static unsigned gen_imm(SSEFpOp op)
{
    switch (op) {
    case SSE_CMPPS: case SSE_CMPSS: case SSE_CMPPD: case SSE_CMPSD:
        return rndn(8);
    case SSE_ROUNDPS: case SSE_ROUNDPD: case SSE_ROUNDSS: case SSE_ROUNDSD:
        return rndn(16);
    case SSE_DPPS: case SSE_DPPD:
        return rndn(256);
    default:
        return 0;
    }
}

/* What the cases covered: host flags raised, exceptions taken */
static unsigned flag_count[6], excp_count;

/* One case both ways; 1 if they differ */
static int compare(SSEFpOp op, const uint8_t *r, const uint8_t *s,
                   uint32_t mxcsr, uint32_t arg)
{
    Outcome host, soft;

    sse_fp_force_soft = false;
    run_helper(op, r, s, mxcsr, arg, &host);
    sse_fp_force_soft = true;
    run_helper(op, r, s, mxcsr, arg, &soft);
    sse_fp_force_soft = false;
    for (int i = 0; i < 6; i++) {
        flag_count[i] += (host.flags >> i) & 1;
    }
    excp_count += host.excp >= 0;
    if (!same(op, &host, &soft)) {
        report(op, r, s, mxcsr, arg, &host, &soft);
        return 1;
    }
    return 0;
}

/* Every rounding mode, DAZ and FTZ on and off; sometimes unmasked */
static uint32_t gen_mxcsr(void)
{
    /* one draw per statement: the same cases whatever the compiler */
    uint32_t mxcsr = MXCSR_MASKS;

    if (rndn(4) == 0) {
        mxcsr &= (uint32_t)rnd();
    }
    mxcsr |= rndn(4) << 13;
    mxcsr |= (rnd() & 1) ? MXCSR_DAZ : 0;
    mxcsr |= (rnd() & 1) ? MXCSR_FTZ : 0;
    return mxcsr;
}

static int random_case(SSEFpOp op)
{
    uint8_t r[16], s[16];
    bool wide = rnd() & 1;
    uint32_t arg = SSE_ARG(op, wide ? SSE_ARG_XMM : 0, gen_imm(op));

    fill(r, dst_kind(op), NULL, false);
    fill(s, src_kind(op, wide), r, src_kind(op, wide) == dst_kind(op) &&
         rndn(4) == 0);
    return compare(op, r, s, gen_mxcsr(), arg);
}

/*
 * Operands whose results land near the underflow threshold (products
 * and quotients of a tiny and a near-one value, sums of tiny values of
 * both signs) or are exact halfway cases, where rounding, tininess
 * after rounding and FTZ decide.
 */
static uint64_t boundary_value(bool dbl, bool tiny)
{
    int mbits = dbl ? 52 : 23, bias = dbl ? 1023 : 127;
    uint64_t frac = rnd() & ((1ull << mbits) - 1);
    uint64_t e;

    if (rnd() & 1) {
        frac = (rnd() & 1) ? frac | ((1ull << mbits) - 1) : frac >> rndn(mbits);
    }
    e = tiny ? rndn(3) : bias - 1 + rndn(2);
    return ((rnd() & 1) ? 1ull << (dbl ? 63 : 31) : 0) | (e << mbits) | frac;
}

/* The smallest normal or 1.0, a few units in the last place off */
static uint64_t near_threshold(bool dbl, bool one)
{
    int mbits = dbl ? 52 : 23, bias = dbl ? 1023 : 127;
    uint64_t base = (uint64_t)(one ? bias : 1) << mbits;
    uint64_t sign = (rnd() & 1) ? 1ull << (dbl ? 63 : 31) : 0;

    return sign | (base + rndn(9) - 4);
}

static int boundary_case(SSEFpOp op)
{
    uint8_t r[16], s[16];
    bool dbl = op_is_double(op);
    uint32_t arg = SSE_ARG(op, SSE_ARG_XMM, gen_imm(op));
    bool near = rnd() & 1;

    for (int i = 0; i < 16; i += dbl ? 8 : 4) {
        bool first_tiny = rnd() & 1;
        bool both_tiny = op <= SSE_SUBSD || rndn(4) == 0;
        uint64_t a = near ? near_threshold(dbl, !first_tiny) :
                     boundary_value(dbl, first_tiny || both_tiny);
        uint64_t b = near ? near_threshold(dbl, first_tiny) :
                     boundary_value(dbl, !first_tiny || both_tiny);

        if (op == SSE_CVTSD2SS || op == SSE_CVTPD2PS) {
            /* doubles around the single-precision threshold */
            uint64_t low;

            b = (rnd() & 1) << 63;
            b |= (0x380ull - rndn(2)) << 52;
            low = rnd() >> 12;
            b |= low >> rndn(30);
            if (rnd() & 1) {
                b |= 0x000fffffe0000000ull;
            }
        }

        memcpy(r + i, &a, dbl ? 8 : 4);
        memcpy(s + i, &b, dbl ? 8 : 4);
    }
    return compare(op, r, s, gen_mxcsr(), arg);
}

/* All pairs of edge values (both signs) through the scalar forms */
static int edge_pairs(SSEFpOp op)
{
    bool dbl = op_is_double(op);
    unsigned n = dbl ? ARRAY_SIZE(edge64) : ARRAY_SIZE(edge32);
    int bad = 0;

    for (unsigned i = 0; i < 2 * n; i++) {
        for (unsigned j = 0; j < 2 * n; j++) {
            uint8_t r[16] = { 0 }, s[16] = { 0 };
            uint64_t a, b;
            uint32_t mxcsr = MXCSR_MASKS | (rndn(4) << 13) |
                             ((i ^ j) & 1 ? MXCSR_DAZ : 0) |
                             ((i ^ j) & 2 ? MXCSR_FTZ : 0);

            if (dbl) {
                a = edge64[i % n] ^ ((uint64_t)(i >= n) << 63);
                b = edge64[j % n] ^ ((uint64_t)(j >= n) << 63);
            } else {
                a = edge32[i % n] ^ ((uint64_t)(i >= n) << 31);
                b = edge32[j % n] ^ ((uint64_t)(j >= n) << 31);
            }
            memcpy(r, &a, 8);
            memcpy(s, &b, 8);
            bad += compare(op, r, s, mxcsr,
                           SSE_ARG(op, SSE_ARG_XMM, gen_imm(op)));
        }
    }
    return bad;
}

static bool op_is_scalar_fp(SSEFpOp op)
{
    switch (op) {
    case SSE_ADDSS: case SSE_ADDSD: case SSE_SUBSS: case SSE_SUBSD:
    case SSE_MULSS: case SSE_MULSD: case SSE_DIVSS: case SSE_DIVSD:
    case SSE_MINSS: case SSE_MINSD: case SSE_MAXSS: case SSE_MAXSD:
    case SSE_SQRTSS: case SSE_SQRTSD: case SSE_RCPSS: case SSE_RSQRTSS:
    case SSE_CMPSS: case SSE_CMPSD: case SSE_CVTSS2SD: case SSE_CVTSD2SS:
    case SSE_ROUNDSS: case SSE_ROUNDSD:
    case SSE_COMISS: case SSE_UCOMISS: case SSE_COMISD: case SSE_UCOMISD:
    case SSE_CVTSS2SI: case SSE_CVTTSS2SI: case SSE_CVTSD2SI:
    case SSE_CVTTSD2SI:
        return true;
    default:
        return false;
    }
}

#define RANDOM_CASES_PER_OP   12000
#define BOUNDARY_CASES_PER_OP 3000

static void test_soft_vs_host(void **state)
{
    int bad = 0, total = 0;

    if (!__builtin_cpu_supports("sse4.1")) {
        skip();
    }
    /* X86SSESOFT_SEED=n: other cases, for soaking */
    rng_state = 0x55e5f7a11d5eedull ^
                strtoull(getenv("X86SSESOFT_SEED") ?: "0", NULL, 0);
    mismatches = 0;
    for (int op = 0; op < SSE_FP_NB_OPS; op++) {
        int op_bad = 0, op_total = 0;

        for (int i = 0; i < RANDOM_CASES_PER_OP; i++) {
            op_bad += random_case(op);
        }
        op_total += RANDOM_CASES_PER_OP;
        if (op_src_is_float(op)) {
            for (int i = 0; i < BOUNDARY_CASES_PER_OP; i++) {
                op_bad += boundary_case(op);
            }
            op_total += BOUNDARY_CASES_PER_OP;
        }
        if (op_is_scalar_fp(op)) {
            unsigned n = op_is_double(op) ? ARRAY_SIZE(edge64) :
                         ARRAY_SIZE(edge32);
            op_bad += edge_pairs(op);
            op_total += 4 * n * n;
        }
        if (op_bad) {
            fprintf(stderr, "%s: %d of %d differ\n", op_names[op], op_bad,
                    op_total);
        }
        bad += op_bad;
        total += op_total;
    }
    fprintf(stderr, "x86-ssesoft: %d cases, %d mismatches; host raised "
            "IE %u DE %u ZE %u OE %u UE %u PE %u, %u exceptions; "
            "%d rcp/rsqrt lanes differ within the bound\n", total, bad,
            flag_count[0], flag_count[1], flag_count[2], flag_count[3],
            flag_count[4], flag_count[5], excp_count, approx_inexact_lanes);
    assert_int_equal(bad, 0);
    /* the soft path ran: its rcp/rsqrt are not the host's tables */
    assert_true(approx_inexact_lanes > 0);
}

static int setup(void **state)
{
    test_cpu = calloc(1, sizeof(*test_cpu));
    if (!test_cpu) {
        return -1;
    }
    test_cpu->parent.env_ptr = &test_cpu->env;
    test_cpu->parent.neg = &test_cpu->neg;
    test_cpu->neg.cpu = &test_cpu->parent;
    return 0;
}

static int teardown(void **state)
{
    free(test_cpu);
    return 0;
}

#else

static void test_soft_vs_host(void **state)
{
    skip();
}

static int setup(void **state)
{
    return 0;
}

static int teardown(void **state)
{
    return 0;
}

#endif

/* ---- Known answers, on every host ---- */

typedef struct KnownAnswer {
    SSEFpOp op;
    uint32_t mxcsr;
    uint32_t imm;
    uint64_t a, b;              /* lane 0 of dst and src */
    uint64_t result;            /* lane 0 of the result, or *ret */
    uint32_t flags;
} KnownAnswer;

#define RN MXCSR_MASKS
#define RZ (MXCSR_MASKS | 0x6000u)
#define RD (MXCSR_MASKS | 0x2000u)
#define RU (MXCSR_MASKS | 0x4000u)

static const KnownAnswer known[] = {
    /* 1 + 2 = 3; 0.1f + 0.2f inexact */
    { SSE_ADDSS, RN, 0, 0x3f800000, 0x40000000, 0x40400000, 0 },
    { SSE_ADDSS, RN, 0, 0x3dcccccd, 0x3e4ccccd, 0x3e99999a, 0x20 },
    { SSE_ADDSD, RN, 0, 0x3fb999999999999aull, 0x3fc999999999999aull,
      0x3fd3333333333334ull, 0x20 },
    /* x - x is -0 only rounding down */
    { SSE_SUBSD, RD, 0, 0x4000000000000000ull, 0x4000000000000000ull,
      0x8000000000000000ull, 0 },
    /* first-operand NaN wins, SNaN quieted with IE; default NaN */
    { SSE_ADDSS, RN, 0, 0x7f800001, 0x7fc00002, 0x7fc00001, 0x01 },
    { SSE_MULSS, RN, 0, 0x00000000, 0x7f800000, 0xffc00000, 0x01 },
    { SSE_SQRTSD, RN, 0, 0, 0xbff0000000000000ull, 0xfff8000000000000ull, 1 },
    /* division by zero; denormal operand */
    { SSE_DIVSS, RN, 0, 0x3f800000, 0x80000000, 0xff800000, 0x04 },
    { SSE_MULSS, RN, 0, 0x00000001, 0x3f800000, 0x00000001, 0x02 },
    { SSE_MULSS, RN | MXCSR_DAZ, 0, 0x00000001, 0x3f800000, 0, 0 },
    /* underflow: denormal result, FTZ */
    { SSE_MULSS, RN, 0, 0x00800000, 0x3f000001, 0x00400000, 0x30 },
    { SSE_MULSS, RN | MXCSR_FTZ, 0, 0x00800000, 0x3f000000, 0, 0x30 },
    /*
     * Tininess after rounding: no UE when the result rounded to full
     * precision is the smallest normal; UE when only the rounding to
     * the denormal grid reaches it.
     */
    { SSE_MULSS, RN, 0, 0x007fffff, 0x3f800001, 0x00800000, 0x22 },
    { SSE_DIVSS, RU, 0, 0x007fffff, 0x3f7fffff, 0x00800000, 0x32 },
    { SSE_DIVSS, RN, 0, 0x007fffff, 0x3f7fffff, 0x007fffff, 0x32 },
    { SSE_DIVSS, RU, 0, 0x00800000, 0x3f800001, 0x00800000, 0x30 },
    /* overflow: infinity, or the largest finite value rounding to zero */
    { SSE_MULSS, RN, 0, 0x7f7fffff, 0x40000000, 0x7f800000, 0x28 },
    { SSE_MULSS, RZ, 0, 0x7f7fffff, 0x40000000, 0x7f7fffff, 0x28 },
    /* min/max: the second operand for NaN or zeros */
    { SSE_MINSS, RN, 0, 0x7fc00000, 0x3f800000, 0x3f800000, 0x01 },
    { SSE_MAXSS, RN, 0, 0x00000000, 0x80000000, 0x80000000, 0 },
    /* compare: LT signals on QNaN, EQ does not */
    { SSE_CMPSS, RN, 1, 0x7fc00000, 0x3f800000, 0, 0x01 },
    { SSE_CMPSS, RN, 0, 0x7fc00000, 0x3f800000, 0, 0 },
    { SSE_CMPSS, RN, 4, 0x7fc00000, 0x3f800000, 0xffffffff, 0 },
    /* conversions: integer indefinite, rounding, truncation */
    { SSE_CVTSS2SI, RN, 0, 0, 0x4f000000, 0x80000000, 0x01 },
    { SSE_CVTSS2SI, RN, 0, 0, 0x40200000, 2, 0x20 },
    { SSE_CVTTSS2SI, RN, 0, 0, 0xc0600000, 0xfffffffd, 0x20 },
    { SSE_CVTSD2SI, RN, 0, 0, 0xc1e0000000000000ull, 0x80000000, 0 },
    { SSE_CVTSD2SS, RN, 0, 0, 0x7ff4000000000001ull, 0x7fe00000, 0x01 },
    { SSE_CVTSS2SD, RN, 0, 0, 0x00000001, 0x36a0000000000000ull, 0x02 },
    /* comis: unordered, less, equal */
    { SSE_UCOMISS, RN, 0, 0x7fc00000, 0, CC_Z | CC_P | CC_C, 0 },
    { SSE_COMISS, RN, 0, 0x7fc00000, 0, CC_Z | CC_P | CC_C, 0x01 },
    { SSE_COMISD, RN, 0, 0xbff0000000000000ull, 0, CC_C, 0 },
    { SSE_COMISD, RN, 0, 0x8000000000000000ull, 0, CC_Z, 0 },
    /* round: to nearest even, suppressed PE */
    { SSE_ROUNDSS, RN, 0, 0, 0x40200000, 0x40000000, 0x20 },
    { SSE_ROUNDSS, RN, 0x0a, 0, 0x40200000, 0x40400000, 0 },
    { SSE_ROUNDSD, RN, 1, 0, 0xbfe0000000000000ull, 0xbff0000000000000ull,
      0x20 },
    /* sqrt exact and inexact */
    { SSE_SQRTSD, RN, 0, 0, 0x4010000000000000ull, 0x4000000000000000ull, 0 },
    { SSE_SQRTSS, RN, 0, 0, 0x40000000, 0x3fb504f3, 0x20 },
};

static void test_known_answers(void **state)
{
    for (unsigned i = 0; i < ARRAY_SIZE(known); i++) {
        const KnownAnswer *k = &known[i];
        uint8_t r[16] = { 0 }, s[16] = { 0 };
        uint64_t ret = 0, got = 0;
        uint32_t flags;
        bool dbl = op_is_double(k->op) ||
                   k->op == SSE_CVTSS2SD;

        memcpy(r, &k->a, 8);
        memcpy(s, &k->b, 8);
        if (op_is_ret(k->op)) {
            flags = sse_fp_soft_op_ret(k->mxcsr, k->op, r, s,
                                       SSE_ARG(k->op, 0, k->imm), &ret);
            got = ret;
        } else {
            flags = sse_fp_soft_op(k->mxcsr, k->op, r, s,
                                   SSE_ARG(k->op, 0, k->imm));
            memcpy(&got, r, 8);
            if (!dbl) {
                got &= 0xffffffffu;
            }
        }
        if (got != k->result || flags != k->flags) {
            fprintf(stderr, "known answer %u (%s): got %" PRIx64
                    " flags %02x, want %" PRIx64 " flags %02x\n", i,
                    op_names[k->op], got, flags, k->result, k->flags);
        }
        assert_int_equal(got, k->result);
        assert_int_equal(flags, k->flags);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_soft_vs_host),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
