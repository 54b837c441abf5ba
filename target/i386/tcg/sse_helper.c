/* MMX and SSE to SSE4.2 helpers: packed integer, floating point, strings. */
#include "emu/osdep.h"
#include "emu/log.h"
#include <math.h>
#include "tcg/tcg.h"
#include "exec/cputlb.h"
#include "target/i386/cpu.h"
#include "target/i386/tcg/translate.h"
#include "target/i386/tcg/sse_helper.h"
#include "target/i386/tcg/sse_fp_soft.h"

/*
 * Operands are copied into SSEVec locals (an MMX register is only
 * 8-byte aligned, and dst may equal src), computed, and copied back.
 */
typedef union SSEVec {
    uint8_t b[16];
    uint16_t w[8];
    uint32_t l[4];
    uint64_t q[2];
    int8_t sb[16];
    int16_t sw[8];
    int32_t sl[4];
    int64_t sq[2];
    float f[4];
    double d[2];
} SSEVec;

#define MXCSR_FLAGS   0x3fu     /* IE DE ZE OE UE PE */
#define MXCSR_PRE     0x07u     /* IE DE ZE: found before computing */
#define MXCSR_MASK_SHIFT 7

/* ---- Packed integer ---- */

static int8_t sat8(int v)
{
    return v < -128 ? -128 : v > 127 ? 127 : v;
}

static uint8_t satu8(int v)
{
    return v < 0 ? 0 : v > 255 ? 255 : v;
}

static int16_t sat16(int v)
{
    return v < -32768 ? -32768 : v > 32767 ? 32767 : v;
}

static uint16_t satu16(int v)
{
    return v < 0 ? 0 : v > 65535 ? 65535 : v;
}

/* lanes of type field over n bytes: r = expr(a, b) with a, b the inputs */
#define LANES(field, expr)                                              \
    do {                                                                \
        for (unsigned i = 0; i < n / sizeof(r->field[0]); i++) {        \
            __typeof__(r->field[0]) a = r->field[i], b = s->field[i];   \
            (void)a; (void)b;                                           \
            r->field[i] = (expr);                                       \
        }                                                               \
    } while (0)

static void unpack(SSEVec *r, const SSEVec *s, unsigned n, unsigned esz,
                   bool high)
{
    SSEVec a = *r;
    unsigned half = n / 2, base = high ? half : 0;

    for (unsigned i = 0; i < half / esz; i++) {
        memcpy(&r->b[2 * i * esz], &a.b[base + i * esz], esz);
        memcpy(&r->b[(2 * i + 1) * esz], &s->b[base + i * esz], esz);
    }
}

static void shift_lanes(SSEVec *r, unsigned n, unsigned esz, uint64_t count,
                        int kind)
{
    unsigned bits = esz * 8;

    for (unsigned i = 0; i < n / esz; i++) {
        uint64_t v = 0;
        memcpy(&v, &r->b[i * esz], esz);
        switch (kind) {
        case 0: /* logical right */
            v = count >= bits ? 0 : v >> count;
            break;
        case 1: { /* arithmetic right */
            int64_t sv = (int64_t)(v << (64 - bits)) >> (64 - bits);
            sv >>= count >= bits ? bits - 1 : count;
            v = (uint64_t)sv;
            break;
        }
        default: /* left */
            v = count >= bits ? 0 : v << count;
            break;
        }
        memcpy(&r->b[i * esz], &v, esz);
    }
}

/* pairs of adjacent lanes of r then of s, combined: phadd/phsub */
#define HORIZ(field, expr)                                              \
    do {                                                                \
        unsigned h_ = n / sizeof(r->field[0]) / 2;                      \
        t = *r;                                                         \
        for (unsigned i = 0; i < 2 * h_; i++) {                         \
            const SSEVec *v_ = i < h_ ? &t : s;                         \
            unsigned j_ = 2 * (i % h_);                                 \
            __typeof__(r->field[0]) a = v_->field[j_];                  \
            __typeof__(r->field[0]) b = v_->field[j_ + 1];              \
            r->field[i] = (expr);                                       \
        }                                                               \
    } while (0)

/* sign-extended (sx) or zero-extended lanes of esz bytes to dsz bytes */
static void pmovx(SSEVec *r, const SSEVec *s, unsigned esz, unsigned dsz,
                  bool sx)
{
    SSEVec t = *s;

    for (unsigned i = 0; i < 16 / dsz; i++) {
        uint64_t v = 0;
        memcpy(&v, &t.b[i * esz], esz);
        if (sx) {
            v = (uint64_t)((int64_t)(v << (64 - 8 * esz)) >> (64 - 8 * esz));
        }
        memcpy(&r->b[i * dsz], &v, dsz);
    }
}

/* the lanes whose mask bit (imm8 or top bit of xmm0's lane) is set from s */
static void blend(SSEVec *r, const SSEVec *s, unsigned esz, unsigned mask)
{
    for (unsigned i = 0; i < 16 / esz; i++) {
        if (mask & (1u << i)) {
            memcpy(&r->b[i * esz], &s->b[i * esz], esz);
        }
    }
}

static void ssse3_sse41_op(SSEIntOp op, SSEVec *r, const SSEVec *s,
                           unsigned n, unsigned imm)
{
    SSEVec t;

    switch (op) {
    case SSE_PSHUFB:
        t = *r;
        for (unsigned i = 0; i < n; i++) {
            r->b[i] = (s->b[i] & 0x80) ? 0 : t.b[s->b[i] & (n - 1)];
        }
        break;
    case SSE_PHADDW:  HORIZ(w, a + b); break;
    case SSE_PHADDD:  HORIZ(l, a + b); break;
    case SSE_PHADDSW: HORIZ(sw, sat16(a + b)); break;
    case SSE_PHSUBW:  HORIZ(w, a - b); break;
    case SSE_PHSUBD:  HORIZ(l, a - b); break;
    case SSE_PHSUBSW: HORIZ(sw, sat16(a - b)); break;
    case SSE_PMADDUBSW:
        /* the destination's bytes are unsigned, the source's signed */
        for (unsigned i = 0; i < n / 2; i++) {
            r->sw[i] = sat16(r->b[2 * i] * s->sb[2 * i] +
                             r->b[2 * i + 1] * s->sb[2 * i + 1]);
        }
        break;
    case SSE_PSIGNB:  LANES(sb, b < 0 ? (int8_t)-a : b ? a : 0); break;
    case SSE_PSIGNW:  LANES(sw, b < 0 ? (int16_t)-a : b ? a : 0); break;
    case SSE_PSIGND:
        LANES(sl, b < 0 ? (int32_t)(0u - (uint32_t)a) : b ? a : 0);
        break;
    case SSE_PMULHRSW:
        LANES(sw, (int16_t)((((int32_t)a * b >> 14) + 1) >> 1));
        break;
    case SSE_PABSB:   LANES(sb, b < 0 ? (int8_t)-b : b); break;
    case SSE_PABSW:   LANES(sw, b < 0 ? (int16_t)-b : b); break;
    case SSE_PABSD:
        LANES(sl, b < 0 ? (int32_t)(0u - (uint32_t)b) : b);
        break;
    case SSE_PALIGNR: {
        /* dst:src as one 2n-byte value, shifted right by imm bytes */
        uint8_t cat[32] = { 0 };
        memcpy(cat, s->b, n);
        memcpy(cat + n, r->b, n);
        for (unsigned i = 0; i < n; i++) {
            r->b[i] = imm + i < 2 * n ? cat[imm + i] : 0;
        }
        break;
    }
    case SSE_PMOVSXBW: pmovx(r, s, 1, 2, true); break;
    case SSE_PMOVSXBD: pmovx(r, s, 1, 4, true); break;
    case SSE_PMOVSXBQ: pmovx(r, s, 1, 8, true); break;
    case SSE_PMOVSXWD: pmovx(r, s, 2, 4, true); break;
    case SSE_PMOVSXWQ: pmovx(r, s, 2, 8, true); break;
    case SSE_PMOVSXDQ: pmovx(r, s, 4, 8, true); break;
    case SSE_PMOVZXBW: pmovx(r, s, 1, 2, false); break;
    case SSE_PMOVZXBD: pmovx(r, s, 1, 4, false); break;
    case SSE_PMOVZXBQ: pmovx(r, s, 1, 8, false); break;
    case SSE_PMOVZXWD: pmovx(r, s, 2, 4, false); break;
    case SSE_PMOVZXWQ: pmovx(r, s, 2, 8, false); break;
    case SSE_PMOVZXDQ: pmovx(r, s, 4, 8, false); break;
    case SSE_PMULDQ:
        for (unsigned i = 0; i < 2; i++) {
            r->sq[i] = (int64_t)r->sl[2 * i] * s->sl[2 * i];
        }
        break;
    case SSE_PCMPEQQ: LANES(q, a == b ? ~0ull : 0); break;
    case SSE_PCMPGTQ: LANES(sq, a > b ? -1 : 0); break;
    case SSE_PACKUSDW:
        t = *r;
        for (unsigned i = 0; i < 4; i++) {
            int32_t x = t.sl[i], y = s->sl[i];
            r->w[i] = x < 0 ? 0 : x > 65535 ? 65535 : x;
            r->w[4 + i] = y < 0 ? 0 : y > 65535 ? 65535 : y;
        }
        break;
    case SSE_PMINSB: LANES(sb, a < b ? a : b); break;
    case SSE_PMINSD: LANES(sl, a < b ? a : b); break;
    case SSE_PMINUW: LANES(w, a < b ? a : b); break;
    case SSE_PMINUD: LANES(l, a < b ? a : b); break;
    case SSE_PMAXSB: LANES(sb, a > b ? a : b); break;
    case SSE_PMAXSD: LANES(sl, a > b ? a : b); break;
    case SSE_PMAXUW: LANES(w, a > b ? a : b); break;
    case SSE_PMAXUD: LANES(l, a > b ? a : b); break;
    case SSE_PMULLD: LANES(l, a * b); break;
    case SSE_PHMINPOSUW: {
        unsigned idx = 0;
        for (unsigned i = 1; i < 8; i++) {
            if (s->w[i] < s->w[idx]) {
                idx = i;
            }
        }
        r->q[1] = 0;
        r->q[0] = s->w[idx] | (uint64_t)idx << 16;
        break;
    }
    case SSE_BLENDPS: blend(r, s, 4, imm & 0xf); break;
    case SSE_BLENDPD: blend(r, s, 8, imm & 0x3); break;
    case SSE_PBLENDW: blend(r, s, 2, imm); break;
    case SSE_INSERTPS: {
        /* imm8[7:6] source lane (0 for m32), [5:4] target, [3:0] zeroes */
        uint32_t v = s->l[(imm >> 6) & 3];
        r->l[(imm >> 4) & 3] = v;
        for (unsigned i = 0; i < 4; i++) {
            if (imm & (1u << i)) {
                r->l[i] = 0;
            }
        }
        break;
    }
    case SSE_MPSADBW: {
        /* eight sums of absolute differences of 4-byte blocks */
        unsigned doff = (imm & 4) ? 4 : 0, soff = (imm & 3) * 4;
        t = *r;
        for (unsigned i = 0; i < 8; i++) {
            unsigned sum = 0;
            for (unsigned j = 0; j < 4; j++) {
                int dd = t.b[doff + i + j] - s->b[soff + j];
                sum += dd < 0 ? -dd : dd;
            }
            r->w[i] = sum;
        }
        break;
    }
    default:
        break;
    }
}

static void int_op(SSEIntOp op, SSEVec *r, const SSEVec *s, unsigned n,
                   uint32_t arg)
{
    unsigned imm = arg & 0xff;
    uint64_t count = (arg & SSE_ARG_IMMCOUNT) ? imm : s->q[0];
    SSEVec t;

    switch (op) {
    case SSE_PADDB:   LANES(b, a + b); break;
    case SSE_PADDW:   LANES(w, a + b); break;
    case SSE_PADDD:   LANES(l, a + b); break;
    case SSE_PADDQ:   LANES(q, a + b); break;
    case SSE_PSUBB:   LANES(b, a - b); break;
    case SSE_PSUBW:   LANES(w, a - b); break;
    case SSE_PSUBD:   LANES(l, a - b); break;
    case SSE_PSUBQ:   LANES(q, a - b); break;
    case SSE_PADDSB:  LANES(sb, sat8(a + b)); break;
    case SSE_PADDSW:  LANES(sw, sat16(a + b)); break;
    case SSE_PADDUSB: LANES(b, satu8(a + b)); break;
    case SSE_PADDUSW: LANES(w, satu16(a + b)); break;
    case SSE_PSUBSB:  LANES(sb, sat8(a - b)); break;
    case SSE_PSUBSW:  LANES(sw, sat16(a - b)); break;
    case SSE_PSUBUSB: LANES(b, satu8(a - b)); break;
    case SSE_PSUBUSW: LANES(w, satu16(a - b)); break;
    case SSE_PMULLW:  LANES(w, (uint16_t)(a * b)); break;
    case SSE_PMULHW:  LANES(sw, (int16_t)(((int32_t)a * b) >> 16)); break;
    case SSE_PMULHUW: LANES(w, (uint16_t)(((uint32_t)a * b) >> 16)); break;
    case SSE_PMULUDQ:
        for (unsigned i = 0; i < n / 8; i++) {
            r->q[i] = (uint64_t)r->l[2 * i] * s->l[2 * i];
        }
        break;
    case SSE_PMADDWD:
        for (unsigned i = 0; i < n / 4; i++) {
            /* -32768 * -32768 * 2 wraps to 0x80000000, as on hardware */
            uint32_t v = (uint32_t)((int32_t)r->sw[2 * i] * s->sw[2 * i]) +
                         (uint32_t)((int32_t)r->sw[2 * i + 1] *
                                    s->sw[2 * i + 1]);
            r->l[i] = v;
        }
        break;
    case SSE_PSADBW:
        for (unsigned i = 0; i < n / 8; i++) {
            unsigned sum = 0;
            for (unsigned j = 0; j < 8; j++) {
                int dd = r->b[8 * i + j] - s->b[8 * i + j];
                sum += dd < 0 ? -dd : dd;
            }
            r->q[i] = sum;
        }
        break;
    case SSE_PCMPEQB: LANES(b, a == b ? 0xff : 0); break;
    case SSE_PCMPEQW: LANES(w, a == b ? 0xffff : 0); break;
    case SSE_PCMPEQD: LANES(l, a == b ? 0xffffffffu : 0); break;
    case SSE_PCMPGTB: LANES(sb, a > b ? -1 : 0); break;
    case SSE_PCMPGTW: LANES(sw, a > b ? -1 : 0); break;
    case SSE_PCMPGTD: LANES(sl, a > b ? -1 : 0); break;
    case SSE_PMINUB:  LANES(b, a < b ? a : b); break;
    case SSE_PMAXUB:  LANES(b, a > b ? a : b); break;
    case SSE_PMINSW:  LANES(sw, a < b ? a : b); break;
    case SSE_PMAXSW:  LANES(sw, a > b ? a : b); break;
    case SSE_PAVGB:   LANES(b, (a + b + 1) >> 1); break;
    case SSE_PAVGW:   LANES(w, (a + b + 1) >> 1); break;
    case SSE_PUNPCKLBW: unpack(r, s, n, 1, false); break;
    case SSE_PUNPCKLWD: unpack(r, s, n, 2, false); break;
    case SSE_PUNPCKLDQ: unpack(r, s, n, 4, false); break;
    case SSE_PUNPCKLQDQ: unpack(r, s, n, 8, false); break;
    case SSE_PUNPCKHBW: unpack(r, s, n, 1, true); break;
    case SSE_PUNPCKHWD: unpack(r, s, n, 2, true); break;
    case SSE_PUNPCKHDQ: unpack(r, s, n, 4, true); break;
    case SSE_PUNPCKHQDQ: unpack(r, s, n, 8, true); break;
    case SSE_PACKSSWB:
        t = *r;
        for (unsigned i = 0; i < n / 2; i++) {
            r->sb[i] = sat8(t.sw[i]);
            r->sb[n / 2 + i] = sat8(s->sw[i]);
        }
        break;
    case SSE_PACKUSWB:
        t = *r;
        for (unsigned i = 0; i < n / 2; i++) {
            r->b[i] = satu8(t.sw[i]);
            r->b[n / 2 + i] = satu8(s->sw[i]);
        }
        break;
    case SSE_PACKSSDW:
        t = *r;
        for (unsigned i = 0; i < n / 4; i++) {
            int32_t x = t.sl[i], y = s->sl[i];
            r->sw[i] = x < -32768 ? -32768 : x > 32767 ? 32767 : x;
            r->sw[n / 4 + i] = y < -32768 ? -32768 : y > 32767 ? 32767 : y;
        }
        break;
    case SSE_PSRLW: shift_lanes(r, n, 2, count, 0); break;
    case SSE_PSRLD: shift_lanes(r, n, 4, count, 0); break;
    case SSE_PSRLQ: shift_lanes(r, n, 8, count, 0); break;
    case SSE_PSRAW: shift_lanes(r, n, 2, count, 1); break;
    case SSE_PSRAD: shift_lanes(r, n, 4, count, 1); break;
    case SSE_PSLLW: shift_lanes(r, n, 2, count, 2); break;
    case SSE_PSLLD: shift_lanes(r, n, 4, count, 2); break;
    case SSE_PSLLQ: shift_lanes(r, n, 8, count, 2); break;
    case SSE_PSRLDQ:
        t = *r;
        memset(r, 0, sizeof(*r));
        if (imm < 16) {
            memcpy(r->b, &t.b[imm], 16 - imm);
        }
        break;
    case SSE_PSLLDQ:
        t = *r;
        memset(r, 0, sizeof(*r));
        if (imm < 16) {
            memcpy(&r->b[imm], t.b, 16 - imm);
        }
        break;
    case SSE_PSHUFW:
        for (unsigned i = 0; i < 4; i++) {
            r->w[i] = s->w[(imm >> (2 * i)) & 3];
        }
        break;
    case SSE_PSHUFD:
        for (unsigned i = 0; i < 4; i++) {
            r->l[i] = s->l[(imm >> (2 * i)) & 3];
        }
        break;
    case SSE_PSHUFHW:
        r->q[0] = s->q[0];
        for (unsigned i = 0; i < 4; i++) {
            r->w[4 + i] = s->w[4 + ((imm >> (2 * i)) & 3)];
        }
        break;
    case SSE_PSHUFLW:
        r->q[1] = s->q[1];
        for (unsigned i = 0; i < 4; i++) {
            r->w[i] = s->w[(imm >> (2 * i)) & 3];
        }
        break;
    case SSE_SHUFPS:
        t = *r;
        r->l[0] = t.l[imm & 3];
        r->l[1] = t.l[(imm >> 2) & 3];
        r->l[2] = s->l[(imm >> 4) & 3];
        r->l[3] = s->l[(imm >> 6) & 3];
        break;
    case SSE_SHUFPD:
        t = *r;
        r->q[0] = t.q[imm & 1];
        r->q[1] = s->q[(imm >> 1) & 1];
        break;
    default:
        ssse3_sse41_op(op, r, s, n, imm);
        break;
    }
}

static void helper_sse_int(void *envp, void *dst, void *src, uint32_t arg)
{
    unsigned n = (arg & SSE_ARG_XMM) ? 16 : 8;
    SSEVec r = { 0 }, s = { 0 };

    memcpy(&r, dst, n);
    memcpy(&s, src, n);
    switch ((SSEIntOp)(arg >> 16)) {
    case SSE_PBLENDVB: case SSE_BLENDVPS: case SSE_BLENDVPD: {
        /* the implicit mask operand xmm0: the top bit of each lane */
        CPUX86State *env = envp;
        unsigned esz = (arg >> 16) == SSE_PBLENDVB ? 1 :
                       (arg >> 16) == SSE_BLENDVPS ? 4 : 8;
        unsigned mask = 0;
        for (unsigned i = 0; i < 16 / esz; i++) {
            mask |= (unsigned)(env->xmm_regs[0].b[i * esz + esz - 1] >> 7)
                    << i;
        }
        blend(&r, &s, esz, mask);
        break;
    }
    default:
        int_op(arg >> 16, &r, &s, n, arg);
        break;
    }
    memcpy(dst, &r, n);
}

static uint64_t helper_sse_int_ret(void *envp, void *dst, void *src,
                                   uint32_t arg)
{
    unsigned n = (arg & SSE_ARG_XMM) ? 16 : 8;
    SSEVec s = { 0 };
    uint64_t v = 0;

    memcpy(&s, src, n);
    switch ((SSEIntOp)(arg >> 16)) {
    case SSE_PMOVMSKB:
        for (unsigned i = 0; i < n; i++) {
            v |= (uint64_t)(s.b[i] >> 7) << i;
        }
        break;
    case SSE_MOVMSKPS:
        for (unsigned i = 0; i < 4; i++) {
            v |= (uint64_t)(s.l[i] >> 31) << i;
        }
        break;
    case SSE_MOVMSKPD:
        v = (s.q[0] >> 63) | (s.q[1] >> 63) << 1;
        break;
    case SSE_PTEST: {
        SSEVec d;
        memcpy(&d, dst, 16);
        v = ((d.q[0] & s.q[0]) | (d.q[1] & s.q[1])) ? 0 : CC_Z;
        v |= ((~d.q[0] & s.q[0]) | (~d.q[1] & s.q[1])) ? 0 : CC_C;
        break;
    }
    default:
        break;
    }
    return v;
}

/* ---- Floating point ---- */

/*
 * The floating-point operations run on the host's own SSE unit under the
 * guest's rounding mode, FTZ and DAZ with every exception masked; the
 * flags it raises are the guest's.  That makes results, NaN propagation
 * and flags bit-identical to an x86 CPU.  Other hosts run the portable
 * back end of sse_fp_soft.c behind the same interface, fp_op() and
 * fp_op_ret(); sse_fp_force_soft selects it on x86 hosts too (tests).
 */
#if defined(__x86_64__)

typedef float SSEHostV __attribute__((vector_size(16)));

static uint32_t host_mxcsr_enter(uint32_t mxcsr)
{
    uint32_t saved, m;

    __asm__ volatile("stmxcsr %0" : "=m"(saved));
    m = (mxcsr & 0xffc0u & ~MXCSR_FLAGS) | (0x3fu << MXCSR_MASK_SHIFT);
    __asm__ volatile("ldmxcsr %0" : : "m"(m));
    return saved;
}

static uint32_t host_mxcsr_leave(uint32_t saved)
{
    uint32_t now;

    __asm__ volatile("stmxcsr %0" : "=m"(now));
    __asm__ volatile("ldmxcsr %0" : : "m"(saved));
    return now & MXCSR_FLAGS;
}

#define OP2(insn) \
    __asm__ volatile(insn " %1, %0" : "+x"(a) : "x"(b))
#define OPI(insn, k) \
    __asm__ volatile(insn " $" #k ", %1, %0" : "+x"(a) : "x"(b))
#define CMP8(insn)                                                      \
    switch (imm & 7) {                                                  \
    case 0: OPI(insn, 0); break;                                        \
    case 1: OPI(insn, 1); break;                                        \
    case 2: OPI(insn, 2); break;                                        \
    case 3: OPI(insn, 3); break;                                        \
    case 4: OPI(insn, 4); break;                                        \
    case 5: OPI(insn, 5); break;                                        \
    case 6: OPI(insn, 6); break;                                        \
    default: OPI(insn, 7); break;                                       \
    }

/*
 * The SSE4.1 forms whose imm8 is part of the host instruction: one case
 * per value ("i" operands print as $k).
 */
#define IMMC(insn, k)                                                   \
    case (k):                                                           \
        __asm__ volatile(insn " %2, %1, %0" : "+x"(a) : "x"(b), "i"(k)); \
        break;
#define IMMC4(insn, k) IMMC(insn, (k)) IMMC(insn, (k) + 1) \
                       IMMC(insn, (k) + 2) IMMC(insn, (k) + 3)
#define IMMC16(insn, k) IMMC4(insn, (k)) IMMC4(insn, (k) + 4) \
                        IMMC4(insn, (k) + 8) IMMC4(insn, (k) + 12)
#define IMMC64(insn, k) IMMC16(insn, (k)) IMMC16(insn, (k) + 16) \
                        IMMC16(insn, (k) + 32) IMMC16(insn, (k) + 48)
#define IMM16(insn, v) switch ((v) & 15) { IMMC16(insn, 0) }
#define IMM256(insn, v)                                                 \
    switch ((v) & 255) {                                                \
    IMMC64(insn, 0) IMMC64(insn, 64) IMMC64(insn, 128) IMMC64(insn, 192) \
    }

/* r = op(r, s) under mxcsr (masks ignored); returns the flags raised */
static uint32_t fp_op(CPUX86State *env, uint32_t mxcsr, SSEFpOp op,
                      SSEVec *r, const SSEVec *s, uint32_t arg)
{
    unsigned imm = arg & 0xff;
    bool wide = arg & SSE_ARG_XMM;
    SSEHostV a, b;
    uint32_t saved;

    if (unlikely(sse_fp_force_soft)) {
        return sse_fp_soft_op(mxcsr, op, r, s, arg);
    }
    memcpy(&a, r, 16);
    memcpy(&b, s, 16);
    saved = host_mxcsr_enter(mxcsr);
    switch (op) {
    case SSE_ADDPS: OP2("addps"); break;
    case SSE_ADDSS: OP2("addss"); break;
    case SSE_ADDPD: OP2("addpd"); break;
    case SSE_ADDSD: OP2("addsd"); break;
    case SSE_SUBPS: OP2("subps"); break;
    case SSE_SUBSS: OP2("subss"); break;
    case SSE_SUBPD: OP2("subpd"); break;
    case SSE_SUBSD: OP2("subsd"); break;
    case SSE_MULPS: OP2("mulps"); break;
    case SSE_MULSS: OP2("mulss"); break;
    case SSE_MULPD: OP2("mulpd"); break;
    case SSE_MULSD: OP2("mulsd"); break;
    case SSE_DIVPS: OP2("divps"); break;
    case SSE_DIVSS: OP2("divss"); break;
    case SSE_DIVPD: OP2("divpd"); break;
    case SSE_DIVSD: OP2("divsd"); break;
    case SSE_MINPS: OP2("minps"); break;
    case SSE_MINSS: OP2("minss"); break;
    case SSE_MINPD: OP2("minpd"); break;
    case SSE_MINSD: OP2("minsd"); break;
    case SSE_MAXPS: OP2("maxps"); break;
    case SSE_MAXSS: OP2("maxss"); break;
    case SSE_MAXPD: OP2("maxpd"); break;
    case SSE_MAXSD: OP2("maxsd"); break;
    case SSE_SQRTPS: OP2("sqrtps"); break;
    case SSE_SQRTSS: OP2("sqrtss"); break;
    case SSE_SQRTPD: OP2("sqrtpd"); break;
    case SSE_SQRTSD: OP2("sqrtsd"); break;
    case SSE_RCPPS: OP2("rcpps"); break;
    case SSE_RCPSS: OP2("rcpss"); break;
    case SSE_RSQRTPS: OP2("rsqrtps"); break;
    case SSE_RSQRTSS: OP2("rsqrtss"); break;
    case SSE_ADDSUBPS: OP2("addsubps"); break;
    case SSE_ADDSUBPD: OP2("addsubpd"); break;
    case SSE_HADDPS: OP2("haddps"); break;
    case SSE_HADDPD: OP2("haddpd"); break;
    case SSE_HSUBPS: OP2("hsubps"); break;
    case SSE_HSUBPD: OP2("hsubpd"); break;
    case SSE_CMPPS: CMP8("cmpps"); break;
    case SSE_CMPSS: CMP8("cmpss"); break;
    case SSE_CMPPD: CMP8("cmppd"); break;
    case SSE_CMPSD: CMP8("cmpsd"); break;
    case SSE_CVTPS2PD: OP2("cvtps2pd"); break;
    case SSE_CVTPD2PS: OP2("cvtpd2ps"); break;
    case SSE_CVTSS2SD: OP2("cvtss2sd"); break;
    case SSE_CVTSD2SS: OP2("cvtsd2ss"); break;
    case SSE_CVTDQ2PS: OP2("cvtdq2ps"); break;
    case SSE_CVTPS2DQ: OP2("cvtps2dq"); break;
    case SSE_CVTTPS2DQ: OP2("cvttps2dq"); break;
    case SSE_CVTDQ2PD: OP2("cvtdq2pd"); break;
    case SSE_CVTPD2DQ: OP2("cvtpd2dq"); break;
    case SSE_CVTTPD2DQ: OP2("cvttpd2dq"); break;
    case SSE_CVTPI2PS: {
        /* the MMX form on the low half, without touching the host's x87 */
        SSEHostV orig = a;
        ((uint64_t *)&b)[1] = 0;
        OP2("cvtdq2ps");
        ((uint64_t *)&orig)[0] = ((uint64_t *)&a)[0];
        a = orig;
        break;
    }
    case SSE_CVTPI2PD:
        ((uint64_t *)&b)[1] = 0;
        OP2("cvtdq2pd");
        break;
    case SSE_CVTPS2PI:
        ((uint64_t *)&b)[1] = 0;
        OP2("cvtps2dq");
        break;
    case SSE_CVTTPS2PI:
        ((uint64_t *)&b)[1] = 0;
        OP2("cvttps2dq");
        break;
    case SSE_CVTPD2PI: OP2("cvtpd2dq"); break;
    case SSE_CVTTPD2PI: OP2("cvttpd2dq"); break;
    case SSE_CVTSI2SS:
        if (wide) {
            __asm__ volatile("cvtsi2ssq %1, %0" : "+x"(a) : "r"(s->q[0]));
        } else {
            __asm__ volatile("cvtsi2ssl %1, %0" : "+x"(a) : "r"(s->l[0]));
        }
        break;
    case SSE_CVTSI2SD:
        if (wide) {
            __asm__ volatile("cvtsi2sdq %1, %0" : "+x"(a) : "r"(s->q[0]));
        } else {
            __asm__ volatile("cvtsi2sdl %1, %0" : "+x"(a) : "r"(s->l[0]));
        }
        break;
    case SSE_ROUNDPS: IMM16("roundps", imm); break;
    case SSE_ROUNDPD: IMM16("roundpd", imm); break;
    case SSE_ROUNDSS: IMM16("roundss", imm); break;
    case SSE_ROUNDSD: IMM16("roundsd", imm); break;
    case SSE_DPPS: IMM256("dpps", imm); break;
    case SSE_DPPD: IMM256("dppd", imm); break;
    default:
        break;
    }
    memcpy(r, &a, 16);
    return host_mxcsr_leave(saved);
}

/* *ret = op(r, s) for the ops that produce EFLAGS or an integer */
static uint32_t fp_op_ret(CPUX86State *env, SSEFpOp op, const SSEVec *r,
                          const SSEVec *s, uint32_t arg, uint64_t *ret)
{
    bool wide = arg & SSE_ARG_XMM;
    SSEHostV a, b;
    uint32_t saved;
    bool z = false, p = false, c = false;
    uint64_t q = 0;
    uint32_t l = 0;

    if (unlikely(sse_fp_force_soft)) {
        return sse_fp_soft_op_ret(env->mxcsr, op, r, s, arg, ret);
    }
    memcpy(&a, r, 16);
    memcpy(&b, s, 16);
    saved = host_mxcsr_enter(env->mxcsr);
    switch (op) {
    case SSE_COMISS:
        __asm__ volatile("comiss %3, %4" : "=@ccz"(z), "=@ccp"(p),
                         "=@ccc"(c) : "x"(b), "x"(a));
        break;
    case SSE_UCOMISS:
        __asm__ volatile("ucomiss %3, %4" : "=@ccz"(z), "=@ccp"(p),
                         "=@ccc"(c) : "x"(b), "x"(a));
        break;
    case SSE_COMISD:
        __asm__ volatile("comisd %3, %4" : "=@ccz"(z), "=@ccp"(p),
                         "=@ccc"(c) : "x"(b), "x"(a));
        break;
    case SSE_UCOMISD:
        __asm__ volatile("ucomisd %3, %4" : "=@ccz"(z), "=@ccp"(p),
                         "=@ccc"(c) : "x"(b), "x"(a));
        break;
    case SSE_CVTSS2SI:
        if (wide) {
            __asm__ volatile("cvtss2si %1, %0" : "=r"(q) : "x"(b));
        } else {
            __asm__ volatile("cvtss2si %1, %0" : "=r"(l) : "x"(b));
        }
        break;
    case SSE_CVTTSS2SI:
        if (wide) {
            __asm__ volatile("cvttss2si %1, %0" : "=r"(q) : "x"(b));
        } else {
            __asm__ volatile("cvttss2si %1, %0" : "=r"(l) : "x"(b));
        }
        break;
    case SSE_CVTSD2SI:
        if (wide) {
            __asm__ volatile("cvtsd2si %1, %0" : "=r"(q) : "x"(b));
        } else {
            __asm__ volatile("cvtsd2si %1, %0" : "=r"(l) : "x"(b));
        }
        break;
    case SSE_CVTTSD2SI:
        if (wide) {
            __asm__ volatile("cvttsd2si %1, %0" : "=r"(q) : "x"(b));
        } else {
            __asm__ volatile("cvttsd2si %1, %0" : "=r"(l) : "x"(b));
        }
        break;
    default:
        break;
    }
    if (op <= SSE_UCOMISD) {
        *ret = (z ? CC_Z : 0) | (p ? CC_P : 0) | (c ? CC_C : 0);
    } else {
        *ret = wide ? q : l;
    }
    return host_mxcsr_leave(saved);
}

#else
/*
 * Other hosts: the portable back end (sse_fp_soft.c: soft float with
 * x86's NaN, flag and FTZ/DAZ rules) behind the same interface.
 */
static uint32_t fp_op(CPUX86State *env, uint32_t mxcsr, SSEFpOp op,
                      SSEVec *r, const SSEVec *s, uint32_t arg)
{
    return sse_fp_soft_op(mxcsr, op, r, s, arg);
}

static uint32_t fp_op_ret(CPUX86State *env, SSEFpOp op, const SSEVec *r,
                          const SSEVec *s, uint32_t arg, uint64_t *ret)
{
    return sse_fp_soft_op_ret(env->mxcsr, op, r, s, arg, ret);
}
#endif

/* The SSE3/SSE4.1 forms run as host instructions: the host must have them */
static bool host_has_sse3(void)
{
#if defined(__x86_64__)
    /* reads what libgcc's start-up code found: cheap, thread-safe */
    return __builtin_cpu_supports("sse3");
#else
    return true;
#endif
}

static bool host_has_sse41(void)
{
#if defined(__x86_64__)
    return __builtin_cpu_supports("sse4.1");
#else
    return true;
#endif
}

/* Width in bytes of the operands an op reads and writes */
static unsigned fp_src_bytes(SSEFpOp op)
{
    return op == SSE_CVTPI2PS || op == SSE_CVTPI2PD || op == SSE_CVTSI2SS ||
           op == SSE_CVTSI2SD ? 8 : 16;
}

static unsigned fp_dst_bytes(SSEFpOp op)
{
    return op >= SSE_CVTPS2PI && op <= SSE_CVTTPD2PI ? 8 : 16;
}

/*
 * PE of a scalar op whose unmasked OE/UE fired: the CPU reports whether
 * the result rounded with an unbounded exponent is inexact.  Found by
 * running the op on operands brought into range: the significands for
 * mul/div/convert, a quarter of both addends for an overflowing sum (an
 * underflowing sum is always exact).
 */
static uint32_t fp_unbounded_pe(CPUX86State *env, uint32_t mxcsr,
                                SSEFpOp op, const SSEVec *a0,
                                const SSEVec *b0, uint32_t lf)
{
    SSEVec a = *a0, b = *b0;
    int e;

    switch (op) {
    case SSE_ADDSS: case SSE_SUBSS:
        if (lf & 0x10) {
            return 0;
        }
        a.f[0] = fabsf(a.f[0]) >= 0x1p-100f ? a.f[0] * 0.25f : a.f[0];
        b.f[0] = fabsf(b.f[0]) >= 0x1p-100f ? b.f[0] * 0.25f : b.f[0];
        break;
    case SSE_ADDSD: case SSE_SUBSD:
        if (lf & 0x10) {
            return 0;
        }
        a.d[0] = fabs(a.d[0]) >= 0x1p-1000 ? a.d[0] * 0.25 : a.d[0];
        b.d[0] = fabs(b.d[0]) >= 0x1p-1000 ? b.d[0] * 0.25 : b.d[0];
        break;
    case SSE_MULSS: case SSE_DIVSS:
        a.f[0] = frexpf(a.f[0], &e);
        b.f[0] = frexpf(b.f[0], &e);
        break;
    case SSE_MULSD: case SSE_DIVSD:
        a.d[0] = frexp(a.d[0], &e);
        b.d[0] = frexp(b.d[0], &e);
        break;
    case SSE_CVTSD2SS:
        b.d[0] = frexp(b.d[0], &e);
        break;
    default:
        return lf & 0x20;
    }
    /* DAZ and FTZ cannot matter for operands and results in range */
    return fp_op(env, mxcsr, op, &a, &b, 0) & 0x20;
}

/*
 * Unmasked overflow/underflow are reported per element, which one run of
 * a packed instruction on the host (all exceptions masked) cannot show:
 * an element that raises an unmasked OE or UE reports PE only if its
 * result is inexact with an unbounded exponent (fp_unbounded_pe), and with UE
 * unmasked an exact tiny result (a denormal) is an underflow too (FTZ
 * does not apply then).  When the guest unmasks OE or UE, the flags are
 * recomputed element by element with the scalar form of the operation.
 */
static uint32_t fp_lane_flags(CPUX86State *env, SSEFpOp op,
                              const SSEVec *r0, const SSEVec *s,
                              uint32_t flags)
{
    uint32_t unmasked = ~(env->mxcsr >> MXCSR_MASK_SHIFT) & MXCSR_FLAGS;
    uint32_t mxcsr = env->mxcsr, total = 0;
    const uint32_t oe = 0x08, ue = 0x10, pe = 0x20;
    SSEFpOp sop[4];
    int nl;
    bool dbl;

    if (!(unmasked & (oe | ue))) {
        return flags;
    }
    if (unmasked & ue) {
        mxcsr &= ~0x8000u;
    }
    switch (op) {
    case SSE_ADDPS: case SSE_SUBPS: case SSE_MULPS: case SSE_DIVPS:
    case SSE_SQRTPS:
        nl = 4;
        dbl = false;
        sop[0] = sop[1] = sop[2] = sop[3] = op + 1;    /* the ss form */
        break;
    case SSE_ADDPD: case SSE_SUBPD: case SSE_MULPD: case SSE_DIVPD:
    case SSE_SQRTPD:
        nl = 2;
        dbl = true;
        sop[0] = sop[1] = op + 1;                       /* the sd form */
        break;
    case SSE_ADDSS: case SSE_SUBSS: case SSE_MULSS: case SSE_DIVSS:
    case SSE_SQRTSS: case SSE_CVTSD2SS:
        nl = 1;
        dbl = false;
        sop[0] = op;
        break;
    case SSE_ADDSD: case SSE_SUBSD: case SSE_MULSD: case SSE_DIVSD:
    case SSE_SQRTSD:
        nl = 1;
        dbl = true;
        sop[0] = op;
        break;
    case SSE_ADDSUBPS:
        nl = 4;
        dbl = false;
        sop[0] = sop[2] = SSE_SUBSS;
        sop[1] = sop[3] = SSE_ADDSS;
        break;
    case SSE_ADDSUBPD:
        nl = 2;
        dbl = true;
        sop[0] = SSE_SUBSD;
        sop[1] = SSE_ADDSD;
        break;
    case SSE_HADDPS: case SSE_HSUBPS:
        nl = 4;
        dbl = false;
        sop[0] = sop[1] = sop[2] = sop[3] =
            op == SSE_HADDPS ? SSE_ADDSS : SSE_SUBSS;
        break;
    case SSE_HADDPD: case SSE_HSUBPD:
        nl = 2;
        dbl = true;
        sop[0] = sop[1] = op == SSE_HADDPD ? SSE_ADDSD : SSE_SUBSD;
        break;
    case SSE_CVTPD2PS:
        nl = 2;
        dbl = false;
        sop[0] = sop[1] = SSE_CVTSD2SS;
        break;
    default:
        return flags;
    }
    for (int i = 0; i < nl; i++) {
        SSEVec a = { 0 }, b = { 0 }, la, lb;
        uint32_t lf;
        bool tiny;

        switch (op) {
        case SSE_HADDPS: case SSE_HSUBPS: {
            const SSEVec *src = i < 2 ? r0 : s;
            a.f[0] = src->f[2 * (i & 1)];
            b.f[0] = src->f[2 * (i & 1) + 1];
            break;
        }
        case SSE_HADDPD: case SSE_HSUBPD: {
            const SSEVec *src = i == 0 ? r0 : s;
            a.d[0] = src->d[0];
            b.d[0] = src->d[1];
            break;
        }
        case SSE_CVTPD2PS: case SSE_CVTSD2SS:
            b.q[0] = s->q[i];
            break;
        default:
            if (dbl) {
                a.q[0] = r0->q[i];
                b.q[0] = s->q[i];
            } else {
                a.l[0] = r0->l[i];
                b.l[0] = s->l[i];
            }
            break;
        }
        la = a;
        lb = b;
        lf = fp_op(env, mxcsr, sop[i], &a, &b, 0);
        /* a nonzero result with a zero exponent: tiny, and exact if no PE */
        if (dbl) {
            tiny = (a.q[0] & 0x7ff0000000000000ull) == 0 &&
                   (a.q[0] << 1) != 0;
        } else {
            tiny = (a.l[0] & 0x7f800000u) == 0 && (a.l[0] << 1) != 0;
        }
        if ((unmasked & ue) && tiny) {
            lf |= ue;
        }
        if (lf & unmasked & (oe | ue)) {
            lf = (lf & ~pe) | fp_unbounded_pe(env, mxcsr, sop[i], &la, &lb, lf);
        }
        total |= lf;
    }
    return total;
}

/*
 * Fold the flags into MXCSR; an unmasked one raises #XM (#UD without
 * CR4.OSXMMEXCPT) before the destination is written.  When an unmasked
 * pre-computation exception (IE, DE, ZE) occurs, the post-computation
 * ones (OE, UE, PE) are not reported.
 */
static void fp_commit_flags(CPUX86State *env, uint32_t flags, uintptr_t ra)
{
    uint32_t unmasked = flags & ~(env->mxcsr >> MXCSR_MASK_SHIFT) &
                        MXCSR_FLAGS;

    if (unmasked) {
        if (unmasked & MXCSR_PRE) {
            flags &= MXCSR_PRE;
        }
        env->mxcsr |= flags;
        cpu_loop_exit_exception(env_cpu(env),
                                (env->cr[4] & CR4_OSXMMEXCPT_MASK) ?
                                EXCP13_XMM : EXCP06_ILLOP, ra);
    }
    env->mxcsr |= flags;
}

/*
 * dpps/dppd with unmasked exceptions: the CPU runs the products, then
 * the sums, as separate steps (SDM pseudo-code), and an unmasked
 * exception in one step stops the instruction with the flags of the
 * steps before it.  Masked, the host's own dpps/dppd gives the flags.
 * The steps here (products of the selected lanes, the other lanes being
 * +0.0 * +0.0, which raises nothing; then the pairwise sums; then the
 * last sum) find where that happens.  The result is the host's.  With
 * *stop set, the flags returned are final (pre-computation filtering
 * of the faulting step done).
 */
static uint32_t dp_stage(CPUX86State *env, SSEFpOp op, SSEVec *a,
                         const SSEVec *b, uint32_t *total, bool *stop)
{
    uint32_t unmasked = ~(env->mxcsr >> MXCSR_MASK_SHIFT) & MXCSR_FLAGS;
    SSEVec a0 = *a;
    uint32_t f = fp_op(env, env->mxcsr, op, a, b, 0);

    f = fp_lane_flags(env, op, &a0, b, f);
    if (f & unmasked) {
        if (f & unmasked & MXCSR_PRE) {
            f &= MXCSR_PRE;
        }
        *stop = true;
    }
    *total |= f;
    return *total;
}

static uint32_t dp_flags(CPUX86State *env, SSEFpOp op, const SSEVec *r0,
                         const SSEVec *s0, unsigned imm, uint32_t flags,
                         bool *staged)
{
    uint32_t unmasked = ~(env->mxcsr >> MXCSR_MASK_SHIFT) & MXCSR_FLAGS;
    SSEVec a = { 0 }, b = { 0 }, x = { 0 }, y = { 0 };
    uint32_t total = 0;
    bool stop = false;

    if (!unmasked) {
        return flags;
    }
    *staged = true;
    if (op == SSE_DPPS) {
        for (unsigned i = 0; i < 4; i++) {
            if (imm & (0x10u << i)) {
                a.l[i] = r0->l[i];
                b.l[i] = s0->l[i];
            }
        }
        dp_stage(env, SSE_MULPS, &a, &b, &total, &stop);
        if (stop) {
            return total;
        }
        x.l[0] = a.l[0];
        x.l[1] = a.l[2];
        y.l[0] = a.l[1];
        y.l[1] = a.l[3];
        dp_stage(env, SSE_ADDPS, &x, &y, &total, &stop);
        if (stop) {
            return total;
        }
        y.l[0] = x.l[1];
        return dp_stage(env, SSE_ADDSS, &x, &y, &total, &stop);
    }
    for (unsigned i = 0; i < 2; i++) {
        if (imm & (0x10u << i)) {
            a.q[i] = r0->q[i];
            b.q[i] = s0->q[i];
        }
    }
    dp_stage(env, SSE_MULPD, &a, &b, &total, &stop);
    if (stop) {
        return total;
    }
    y.q[0] = a.q[1];
    return dp_stage(env, SSE_ADDSD, &a, &y, &total, &stop);
}

/* As fp_commit_flags, for flags whose faulting step is already filtered */
static void fp_commit_staged_flags(CPUX86State *env, uint32_t flags,
                                   uintptr_t ra)
{
    if (flags & ~(env->mxcsr >> MXCSR_MASK_SHIFT) & MXCSR_FLAGS) {
        env->mxcsr |= flags;
        cpu_loop_exit_exception(env_cpu(env),
                                (env->cr[4] & CR4_OSXMMEXCPT_MASK) ?
                                EXCP13_XMM : EXCP06_ILLOP, ra);
    }
}

static void helper_sse_fp(void *envp, void *dst, void *src, uint32_t arg)
{
    CPUX86State *env = envp;
    SSEFpOp op = arg >> 16;
    unsigned dn = fp_dst_bytes(op);
    SSEVec r = { 0 }, s = { 0 };
    uint32_t flags;

    if (op >= SSE_FP_NB_OPS) {
        return;
    }
    if (op >= SSE_ADDSUBPS && op <= SSE_HSUBPD && !host_has_sse3()) {
        emu_log_mask(LOG_UNIMP, "x86: SSE3 needs SSE3 on the host\n");
        cpu_loop_exit_exception(env_cpu(env), EXCP06_ILLOP, GETPC());
    }
    if (op >= SSE_ROUNDPS && op <= SSE_DPPD && !host_has_sse41()) {
        emu_log_mask(LOG_UNIMP, "x86: SSE4.1 needs SSE4.1 on the host\n");
        cpu_loop_exit_exception(env_cpu(env), EXCP06_ILLOP, GETPC());
    }
    memcpy(&r, dst, dn);
    memcpy(&s, src, fp_src_bytes(op));
    {
        SSEVec r0 = r;
        bool staged = false;
        flags = fp_op(env, env->mxcsr, op, &r, &s, arg);
        if (op == SSE_DPPS || op == SSE_DPPD) {
            flags = dp_flags(env, op, &r0, &s, arg & 0xff, flags, &staged);
        } else {
            flags = fp_lane_flags(env, op, &r0, &s, flags);
        }
        if (staged) {
            fp_commit_staged_flags(env, flags, GETPC());
        }
    }
    fp_commit_flags(env, flags, GETPC());
    memcpy(dst, &r, dn);
}

static uint64_t helper_sse_fp_ret(void *envp, void *dst, void *src,
                                  uint32_t arg)
{
    CPUX86State *env = envp;
    SSEFpOp op = arg >> 16;
    SSEVec r, s;
    uint64_t ret = 0;
    uint32_t flags;

    if (op >= SSE_FP_NB_OPS) {
        return 0;
    }
    memcpy(&r, dst, 16);
    memcpy(&s, src, 16);
    flags = fp_op_ret(env, op, &r, &s, arg, &ret);
    fp_commit_flags(env, flags, GETPC());
    return ret;
}

/*
 * A 16-byte store that crosses a page: fault on the second page before
 * the first half is written, as the CPU does (nothing stored).
 */
static void helper_sse_probe_store(void *envp, uint64_t addr,
                                   uint32_t mmu_idx)
{
    probe_access(envp, addr, 1, MMU_DATA_STORE, (int)mmu_idx, GETPC());
}

/* ---- SSE4.2 string compares and CRC-32C ---- */

/* element i of v as a signed or unsigned value (imm8[1:0]: the format) */
static int32_t str_elem(const SSEVec *v, unsigned fmt, unsigned i)
{
    switch (fmt & 3) {
    case 0: return v->b[i];
    case 1: return v->w[i];
    case 2: return v->sb[i];
    default: return v->sw[i];
    }
}

/* an explicit length: its absolute value, saturated to n elements */
static unsigned str_len_explicit(uint64_t v, bool wide, unsigned n)
{
    int64_t sv = wide ? (int64_t)v : (int64_t)(int32_t)v;
    uint64_t mag = sv < 0 ? 0 - (uint64_t)sv : (uint64_t)sv;

    return mag > n ? n : (unsigned)mag;
}

/* an implicit length: elements before the first null one */
static unsigned str_len_implicit(const SSEVec *v, unsigned fmt, unsigned n)
{
    unsigned i = 0;

    while (i < n && str_elem(v, fmt, i) != 0) {
        i++;
    }
    return i;
}

static uint64_t helper_sse_pcmpstr(void *envp, void *src1, void *src2,
                                   uint32_t arg, uint64_t rax, uint64_t rdx)
{
    CPUX86State *env = envp;
    unsigned imm = arg & 0xff, fmt = imm & 3, agg = (imm >> 2) & 3;
    unsigned n = (fmt & 1) ? 8 : 16;
    unsigned la, lb, res = 0, idx;
    SSEVec a, b;
    uint64_t flags;

    memcpy(&a, src1, 16);
    memcpy(&b, src2, 16);
    if (arg & SSE_STR_EXPLICIT) {
        la = str_len_explicit(rax, arg & SSE_STR_WIDE, n);
        lb = str_len_explicit(rdx, arg & SSE_STR_WIDE, n);
    } else {
        la = str_len_implicit(&a, fmt, n);
        lb = str_len_implicit(&b, fmt, n);
    }
    /* IntRes1: bit j for element j of the second operand */
    for (unsigned j = 0; j < n; j++) {
        bool bit = false;
        switch (agg) {
        case 0: /* equal any: b[j] is one of a[0..la) */
            for (unsigned i = 0; i < la && j < lb && !bit; i++) {
                bit = str_elem(&a, fmt, i) == str_elem(&b, fmt, j);
            }
            break;
        case 1: /* ranges: a[2k] <= b[j] <= a[2k + 1], both bounds valid */
            for (unsigned i = 0; i + 1 < la && j < lb && !bit; i += 2) {
                int32_t v = str_elem(&b, fmt, j);
                bit = str_elem(&a, fmt, i) <= v &&
                      v <= str_elem(&a, fmt, i + 1);
            }
            break;
        case 2: /* equal each: both invalid compare true */
            if (j >= la && j >= lb) {
                bit = true;
            } else if (j < la && j < lb) {
                bit = str_elem(&a, fmt, j) == str_elem(&b, fmt, j);
            }
            break;
        default: /* equal ordered: a starts at b[j]; an invalid a matches */
            bit = true;
            for (unsigned i = 0; j + i < n && i < la && bit; i++) {
                bit = j + i < lb &&
                      str_elem(&a, fmt, i) == str_elem(&b, fmt, j + i);
            }
            break;
        }
        res |= (unsigned)bit << j;
    }
    /* IntRes2: polarity (imm8[5:4]); the masked form inverts valid b only */
    switch ((imm >> 4) & 3) {
    case 1:
        res ^= (1u << n) - 1;
        break;
    case 3:
        res ^= (1u << lb) - 1;
        break;
    default:
        break;
    }
    flags = (res ? CC_C : 0) | (lb < n ? CC_Z : 0) | (la < n ? CC_S : 0) |
            ((res & 1) ? CC_O : 0);
    if (arg & SSE_STR_MASK) {
        X86XMMReg *x0 = &env->xmm_regs[0];
        if (imm & 0x40) {
            /* each element all ones or zeros */
            unsigned esz = 16 / n;
            for (unsigned i = 0; i < n; i++) {
                memset(&x0->b[i * esz], (res >> i) & 1 ? 0xff : 0, esz);
            }
        } else {
            x0->q[0] = res;
            x0->q[1] = 0;
        }
        return flags;
    }
    if (!res) {
        idx = n;
    } else if (imm & 0x40) {
        idx = 31 - __builtin_clz(res);
    } else {
        idx = __builtin_ctz(res);
    }
    return flags | (uint64_t)idx << 32;
}

/*
 * The CRC-32C of the low `bytes` bytes of value: the host's crc32 where
 * it has one (Linux's crc32c-intel runs it on every ext4/btrfs metadata
 * block), else bit by bit (reflected).
 */
static uint64_t helper_crc32c(uint64_t crc, uint64_t value, uint32_t bytes)
{
    uint32_t c = (uint32_t)crc;

#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2")) {
        uint64_t c64 = c;
        switch (bytes) {
        case 1:
            __asm__("crc32b %b1, %k0" : "+r"(c64) : "r"((uint8_t)value));
            break;
        case 2:
            __asm__("crc32w %w1, %k0" : "+r"(c64) : "r"((uint16_t)value));
            break;
        case 4:
            __asm__("crc32l %k1, %k0" : "+r"(c64) : "r"((uint32_t)value));
            break;
        default:
            __asm__("crc32q %1, %0" : "+r"(c64) : "r"(value));
            break;
        }
        return (uint32_t)c64;
    }
#endif
    for (unsigned i = 0; i < bytes * 8 && i < 64; i++) {
        bool lsb = (c ^ (uint32_t)(value >> i)) & 1;
        c = (c >> 1) ^ (lsb ? 0x82f63b78u : 0);
    }
    return c;
}

/*
 * Integer helpers neither read nor write TCG globals; the floating-point
 * ones may raise, so they see the globals synced (rip was written before).
 */
const TCGHelperInfo x86_helper_sse_int = {
    .func = (void *)helper_sse_int, .name = "sse_int",
    .flags = TCG_CALL_NO_RWG | TCG_CALL_NO_WG, .ret = TCG_CALL_VOID,
    .nargs = 4,
    .args = { TCG_CALL_PTR, TCG_CALL_PTR, TCG_CALL_PTR, TCG_CALL_I32 },
};
const TCGHelperInfo x86_helper_sse_int_ret = {
    .func = (void *)helper_sse_int_ret, .name = "sse_int_ret",
    .flags = TCG_CALL_NO_RWG | TCG_CALL_NO_WG, .ret = TCG_CALL_I64,
    .nargs = 4,
    .args = { TCG_CALL_PTR, TCG_CALL_PTR, TCG_CALL_PTR, TCG_CALL_I32 },
};
const TCGHelperInfo x86_helper_sse_fp = {
    .func = (void *)helper_sse_fp, .name = "sse_fp",
    .flags = TCG_CALL_NO_WG, .ret = TCG_CALL_VOID, .nargs = 4,
    .args = { TCG_CALL_PTR, TCG_CALL_PTR, TCG_CALL_PTR, TCG_CALL_I32 },
};
const TCGHelperInfo x86_helper_sse_fp_ret = {
    .func = (void *)helper_sse_fp_ret, .name = "sse_fp_ret",
    .flags = TCG_CALL_NO_WG, .ret = TCG_CALL_I64, .nargs = 4,
    .args = { TCG_CALL_PTR, TCG_CALL_PTR, TCG_CALL_PTR, TCG_CALL_I32 },
};
const TCGHelperInfo x86_helper_sse_probe_store = {
    .func = (void *)helper_sse_probe_store, .name = "sse_probe_store",
    .flags = TCG_CALL_NO_WG, .ret = TCG_CALL_VOID, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I64, TCG_CALL_I32 },
};
const TCGHelperInfo x86_helper_sse_pcmpstr = {
    .func = (void *)helper_sse_pcmpstr, .name = "sse_pcmpstr",
    .flags = TCG_CALL_NO_RWG | TCG_CALL_NO_WG, .ret = TCG_CALL_I64,
    .nargs = 6,
    .args = { TCG_CALL_PTR, TCG_CALL_PTR, TCG_CALL_PTR, TCG_CALL_I32,
              TCG_CALL_I64, TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_crc32c = {
    .func = (void *)helper_crc32c, .name = "crc32c",
    .flags = TCG_CALL_NO_RWG | TCG_CALL_NO_WG, .ret = TCG_CALL_I64,
    .nargs = 3,
    .args = { TCG_CALL_I64, TCG_CALL_I64, TCG_CALL_I32 },
};
