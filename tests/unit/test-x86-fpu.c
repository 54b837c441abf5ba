/*
 * Differential test of the x87 FPU and FXSAVE/FXRSTOR against the host
 * CPU: each case loads an x87 state with frstor, runs a few x87
 * instructions on it and on memory operands, and stores the result with
 * fnsave, once natively (the host is the oracle) and once under emu's
 * translator on each back end, in 64-bit mode at the same virtual
 * addresses.  Compared: control word, the whole status word, tag word,
 * the eight registers, AX (fnstsw ax), the arithmetic flags (fcomi) and
 * the data memory (stores, fnstenv, fnsave, fxsave), except the last
 * instruction/data pointer fields, whose updating differs between
 * vendors (FOP compatibility, FCS/FDS deprecation, AMD's FXSAVE):
 * test_pointers checks the translator's values.  The condition codes the
 * SDM leaves undefined are compared too, because the translator's back
 * end is the host FPU itself; a soft-float back end would clear them
 * from FCase.sw_mask per instruction.
 *
 * Cases: arithmetic in every register and memory form, compares
 * (fcom/fucom/ficom/fcomi/ftst/fxam), every D9 E0-FF operation
 * (transcendentals mostly on moderate operands), loads and stores of
 * every format including BCD and fisttp, fcmov/fxch/ffree, control
 * instructions in 16- and 32-bit formats, sequences, and fxrstor/fxsave
 * in both formats; random control words (all precisions and rounding
 * modes, some exceptions unmasked), random tags and TOP (stack overflow
 * and underflow), operands from every class (zeros, denormals,
 * pseudo-denormals, unnormals, infinities, NaNs, huge and tiny
 * exponents, integers).  test_soft_backend runs the same single
 * instructions through the portable back end (fpu_soft.c) and compares
 * it with the host FPU too; test_soft_math does so for the
 * transcendentals, fprem, fscale, fxtract, the constants and BCD with
 * operands in their interesting ranges.
 */
#include "emu/osdep.h"
#include "system/memory.h"
#include "exec/tb-internal.h"
#include "exec/cputlb.h"
#include "target/i386/cpu.h"
#include "target/i386/tcg/translate.h"
#include "target/i386/tcg/fpu_soft.h"
#include "support/x86-harness.h"
#include "support/test-rng.h"

#include <setjmp.h>
#include <cmocka.h>

#if defined(__x86_64__)
#define HAVE_NATIVE 1
#else
#define HAVE_NATIVE 0
#endif

/* One 2 MiB guest page at WIN (virtual, also the host mapping) -> RAM_WIN */
#define WIN        0x40000000ull
#define WIN_SIZE   0x4000
#define RAM_SIZE   (4 * MiB)
#define RAM_WIN    0x200000ull
#define DATA_OFF   0x2000           /* rbx */
#define DATA_CMP   0x800            /* bytes of data memory compared */
#define IMG_IN     0x800            /* rbx-relative: frstor image */
#define IMG_OUT    0x900            /* fnsave result */
#define AX_OUT     0xa00
#define FL_OUT     0xa08
#define STACK_TOP  0x4000

typedef struct FCase {
    uint8_t code[96];
    int len;
    uint8_t img[108];
    uint8_t data[DATA_CMP];
    uint32_t cmp_a, cmp_b;      /* "cmp eax, imm" sets the input flags */
    uint16_t sw_mask;           /* status bits compared */
    bool check_flags;
    int skip_off[3], skip_len[3];   /* data ranges not compared */
    int nskip;
    const char *what;
} FCase;

typedef struct FResult {
    uint8_t img[108];
    uint8_t data[DATA_CMP];
    uint64_t ax, flags;
    int excp;
} FResult;

/* ---- Operand values ---- */

static void put_f80(uint8_t *p, uint64_t mant, uint16_t se)
{
    memcpy(p, &mant, 8);
    memcpy(p + 8, &se, 2);
}

/* An 80-bit value from every class; nice: mostly moderate magnitudes */
static void rand_f80(uint8_t *p, bool nice)
{
    uint16_t sign = rndn(2) ? 0x8000 : 0;
    uint64_t m = rnd() | 1ull << 63;
    unsigned k = nice ? (rndn(4) ? 12 : rndn(14)) : rndn(14);

    switch (k) {
    case 0:
        put_f80(p, 0, sign);
        break;
    case 1:
        put_f80(p, rnd() >> (1 + rndn(63)), sign);
        break;
    case 2:
        put_f80(p, m, sign);                    /* pseudo-denormal */
        break;
    case 3:
        put_f80(p, 1ull << 63, sign | 0x7fff);  /* infinity */
        break;
    case 4:
        put_f80(p, m | 1ull << 62, sign | 0x7fff);
        break;
    case 5:
        put_f80(p, (m & ~(1ull << 62)) | 1, sign | 0x7fff);   /* SNaN */
        break;
    case 6:
        put_f80(p, rndn(8) ? m : m >> 1, sign | (rndn(4) ? 0x7ffe - rndn(40)
                                                          : 1 + rndn(80)));
        break;
    case 7:
        put_f80(p, 0xc000000000000000ull, 0xffff);  /* indefinite */
        break;
    case 8:
        put_f80(p, 1ull << 63, sign | (0x3fff + rndn(64)));  /* 2^n */
        break;
    case 9:
        /* integers and halves, for frndint/fist rounding */
        put_f80(p, (m & ~((1ull << (63 - rndn(64))) - 1)) | 1ull << 63,
                sign | (0x3fff + rndn(66)));
        break;
    case 10:
        put_f80(p, m, sign | (0x3fff - 70 + rndn(140)));
        break;
    case 11:
        put_f80(p, m & ~((1ull << 40) - 1), sign | (0x3fff - 2 + rndn(4)));
        break;
    default:
        put_f80(p, m, sign | (0x3fff - 4 + rndn(8)));
        break;
    }
}

static uint64_t rand_int(void)
{
    static const uint64_t edges[] = {
        0, 1, -1ull, 0x7fff, 0x8000, 0x7fffffff, 0x80000000,
        0x7fffffffffffffffull, 0x8000000000000000ull, 10, 100, 12345,
    };

    if (rndn(3) == 0) {
        return edges[rndn(ARRAY_SIZE(edges))];
    }
    return rnd() >> rndn(64);
}

/* A memory operand of len bytes (4/8/10: float; 2/4/8 int: isint) */
static void rand_mem(uint8_t *p, int len, bool isint, bool bcd)
{
    if (bcd) {
        for (int i = 0; i < 9; i++) {
            p[i] = (rndn(10) << 4 | rndn(10)) & (rndn(16) ? 0xff : rnd());
        }
        p[9] = rndn(2) ? 0x80 : 0;
        return;
    }
    if (isint) {
        uint64_t v = rand_int();
        memcpy(p, &v, len);
        return;
    }
    if (len == 10) {
        rand_f80(p, false);
        return;
    }
    {
        /* a random bit pattern, or an edge value of the format */
        if (len == 4) {
            uint32_t v = (uint32_t)rnd();
            static const uint32_t e[] = { 0, 0x80000000, 0x7f800000,
                0xff800000, 0x7fc00000, 0x7f800001, 0x00000001, 0x007fffff,
                0x3f800000, 0x4b000000 };
            if (rndn(3) == 0) {
                v = e[rndn(ARRAY_SIZE(e))];
            } else if (rndn(2)) {
                v = (v & 0x807fffff) | (0x7f - 8 + rndn(16)) << 23;
            }
            memcpy(p, &v, 4);
        } else {
            uint64_t v = rnd();
            static const uint64_t e[] = { 0, 0x8000000000000000ull,
                0x7ff0000000000000ull, 0xfff8000000000000ull,
                0x7ff0000000000001ull, 1, 0x000fffffffffffffull,
                0x3ff0000000000000ull, 0x4330000000000000ull };
            if (rndn(3) == 0) {
                v = e[rndn(ARRAY_SIZE(e))];
            } else if (rndn(2)) {
                v = (v & 0x800fffffffffffffull) |
                    (uint64_t)(0x3ff - 8 + rndn(16)) << 52;
            }
            memcpy(p, &v, 8);
        }
    }
}

/* ---- Cases ---- */

static void emit(FCase *c, int b)
{
    assert(c->len < (int)sizeof(c->code));
    c->code[c->len++] = (uint8_t)b;
}

static const uint16_t C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000;

/* A random input state: tags, TOP, control word, sticky flags */
static void init_case(FCase *c, const char *what, bool unmask)
{
    uint8_t *img = c->img;
    uint16_t cw, sw, tw = 0;
    unsigned top = rndn(8), empties = rndn(4);

    memset(c, 0, sizeof(*c));
    c->what = what;
    for (int i = 0; i < DATA_CMP; i++) {
        c->data[i] = (uint8_t)rnd();
    }
    cw = 0x40 | 0x3f | (rndn(4) << 10);
    cw |= (rndn(3) == 0 ? 0 : rndn(2) ? 3 : 2) << 8;
    if (unmask) {
        cw &= ~(1u << rndn(6));
        cw &= ~(uint16_t)(rnd() & 0x3f);
    }
    /* sticky flags only where masked: nothing pending at the start */
    sw = (rnd() & 0x3f & cw) | (rnd() & (C0 | C1 | C2 | C3)) | top << 11;
    for (int i = 0; i < 8; i++) {
        /* empties: 0 full stack, 1 one in four empty, 2 half, 3 most */
        bool e = empties == 0 ? false : empties == 1 ? rndn(4) == 0 :
                 empties == 2 ? rndn(2) : rndn(8) != 0;
        tw |= (e ? 3 : 0) << (2 * i);       /* frstor recomputes 0-2 */
    }
    memset(img, 0, 28);
    memcpy(img, &cw, 2);
    memcpy(img + 4, &sw, 2);
    memcpy(img + 8, &tw, 2);
    for (int i = 0; i < 8; i++) {
        rand_f80(img + 28 + 10 * i, false);
    }
    c->cmp_a = (uint32_t)rnd();
    c->cmp_b = rndn(4) ? (uint32_t)rnd() : c->cmp_a;
    c->sw_mask = 0xffff;
}

/* memory operand [rbx + disp8] with a fresh value; returns the ModRM */
static int mem_operand(FCase *c, int reg, int len, bool isint, bool bcd)
{
    int off = rndn(16) * 8;

    rand_mem(c->data + off, len, isint, bcd);
    emit(c, 0x43 | reg << 3);
    emit(c, off);
    return off;
}

static void skip_range(FCase *c, int off, int len)
{
    assert(c->nskip < 3);
    c->skip_off[c->nskip] = off;
    c->skip_len[c->nskip] = len;
    c->nskip++;
}

/* Arithmetic: register and memory forms, all eight operations */
static void g_arith(FCase *c)
{
    int kind = rndn(6), reg = rndn(8), i = rndn(8);

    init_case(c, "arith", rndn(4) == 0);
    switch (kind) {
    case 0: case 1:     /* D8 / DC register forms, DE pops */
    case 2:
        if (reg == 2 || reg == 3) {
            reg += 4;
        }
        emit(c, kind == 0 ? 0xd8 : kind == 1 ? 0xdc : 0xde);
        emit(c, 0xc0 | reg << 3 | i);
        break;
    default: {          /* D8 m32fp, DC m64fp, DA m32int, DE m16int */
        static const uint8_t ops[4] = { 0xd8, 0xdc, 0xda, 0xde };
        static const int lens[4] = { 4, 8, 4, 2 };
        int f = rndn(4);
        emit(c, ops[f]);
        mem_operand(c, reg, lens[f], f >= 2, false);
        break;
    }
    }
}

static void g_compare(FCase *c)
{
    static const uint8_t forms[][2] = {
        { 0xd8, 0xd0 }, { 0xd8, 0xd8 }, { 0xde, 0xd9 }, { 0xdd, 0xe0 },
        { 0xdd, 0xe8 }, { 0xda, 0xe9 }, { 0xdb, 0xe8 }, { 0xdb, 0xf0 },
        { 0xdf, 0xe8 }, { 0xdf, 0xf0 }, { 0xd9, 0xe4 }, { 0xd9, 0xe5 },
    };
    int f = rndn(ARRAY_SIZE(forms));

    init_case(c, "compare", rndn(4) == 0);
    emit(c, forms[f][0]);
    emit(c, forms[f][1] | ((forms[f][1] & 7) || f == 10 || f == 11 ? 0
                                                                   : rndn(8)));
    c->check_flags = true;
}

static void g_unary(FCase *c)
{
    static const uint8_t ops[] = {
        0xe0, 0xe1, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xf0, 0xf1,
        0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc,
        0xfd, 0xfe, 0xff,
    };
    uint8_t op = ops[rndn(ARRAY_SIZE(ops))];

    init_case(c, "unary", rndn(4) == 0);
    /* transcendentals on moderate operands, mostly */
    if (rndn(2)) {
        rand_f80(c->img + 28, true);
        rand_f80(c->img + 38, true);
    }
    emit(c, 0xd9);
    emit(c, op);
}

/* Loads, stores and register moves */
static void g_move(FCase *c)
{
    static const struct {
        uint8_t op, reg;
        int len;
        bool isint, bcd, store;
    } m[] = {
        { 0xd9, 0, 4 }, { 0xd9, 2, 4, 0, 0, 1 }, { 0xd9, 3, 4, 0, 0, 1 },
        { 0xdd, 0, 8 }, { 0xdd, 2, 8, 0, 0, 1 }, { 0xdd, 3, 8, 0, 0, 1 },
        { 0xdb, 5, 10 }, { 0xdb, 7, 10, 0, 0, 1 },
        { 0xdf, 0, 2, 1 }, { 0xdb, 0, 4, 1 }, { 0xdf, 5, 8, 1 },
        { 0xdf, 2, 2, 1, 0, 1 }, { 0xdf, 3, 2, 1, 0, 1 },
        { 0xdb, 2, 4, 1, 0, 1 }, { 0xdb, 3, 4, 1, 0, 1 },
        { 0xdf, 7, 8, 1, 0, 1 }, { 0xdf, 1, 2, 1, 0, 1 },
        { 0xdb, 1, 4, 1, 0, 1 }, { 0xdd, 1, 8, 1, 0, 1 },
        { 0xdf, 4, 10, 0, 1 }, { 0xdf, 6, 10, 0, 1, 1 },
    };
    static const uint8_t regforms[][2] = {
        { 0xd9, 0xc0 }, { 0xd9, 0xc8 }, { 0xdd, 0xd0 }, { 0xdd, 0xd8 },
        { 0xdd, 0xc0 }, { 0xdf, 0xc0 }, { 0xda, 0xc0 }, { 0xda, 0xc8 },
        { 0xda, 0xd0 }, { 0xda, 0xd8 }, { 0xdb, 0xc0 }, { 0xdb, 0xc8 },
        { 0xdb, 0xd0 }, { 0xdb, 0xd8 },
    };

    init_case(c, "move", rndn(4) == 0);
    if (rndn(3)) {
        int k = rndn(ARRAY_SIZE(m));
        /* stores of nice values are more interesting for fist */
        if (m[k].store && rndn(2)) {
            rand_f80(c->img + 28, true);
        }
        emit(c, m[k].op);
        mem_operand(c, m[k].reg, m[k].len, m[k].isint, m[k].bcd);
    } else {
        int k = rndn(ARRAY_SIZE(regforms));
        emit(c, regforms[k][0]);
        emit(c, regforms[k][1] | rndn(8));
    }
}

/* Control: cw/sw/env/state stores and loads, init, clex, stack pointer */
static void g_control(FCase *c)
{
    int k = rndn(13), off = rndn(8) * 16;

    init_case(c, "control", rndn(4) == 0);
    switch (k) {
    case 0:                                 /* fldcw */
        emit(c, 0xd9);
        emit(c, 0x43 | 5 << 3);
        emit(c, off);
        /* unmasking a flagged exception must not trap the native run */
        c->data[off] = (c->data[off] & ~0x3f) | 0x3f;
        if (rndn(2)) {
            c->data[off] &= ~(uint8_t)rnd();
            c->img[4] &= ~0x3f;
        }
        break;
    case 1:                                 /* fnstcw */
        emit(c, 0xd9);
        emit(c, 0x43 | 7 << 3);
        emit(c, off);
        break;
    case 2:                                 /* fnstsw m16 */
        emit(c, 0xdd);
        emit(c, 0x43 | 7 << 3);
        emit(c, off);
        break;
    case 3:                                 /* fnstsw ax */
        emit(c, 0xdf);
        emit(c, 0xe0);
        break;
    case 4:                                 /* fnclex */
        emit(c, 0xdb);
        emit(c, 0xe2);
        break;
    case 5:                                 /* fninit */
        emit(c, 0xdb);
        emit(c, 0xe3);
        break;
    case 6: case 7: {                       /* fnstenv: 28 or 14 bytes */
        bool o16 = k == 7;
        if (o16) {
            emit(c, 0x66);
        }
        emit(c, 0xd9);
        emit(c, 0x43 | 6 << 3);
        emit(c, off);
        skip_range(c, off + (o16 ? 6 : 12), o16 ? 8 : 16);
        break;
    }
    case 8: case 9: {                       /* fldenv of a random image */
        bool o16 = k == 9;
        uint8_t *p = c->data + off;
        uint16_t cw = (p[0] | p[1] << 8) | 0x3f;
        p[0] = cw;
        p[1] = cw >> 8;
        if (o16) {
            emit(c, 0x66);
        }
        emit(c, 0xd9);
        emit(c, 0x43 | 4 << 3);
        emit(c, off);
        break;
    }
    case 10: {                              /* fnsave then frstor */
        emit(c, 0xdd);
        emit(c, 0x43 | 6 << 3);
        emit(c, off);
        skip_range(c, off + 12, 16);
        emit(c, 0xd9);                      /* fld1 on the fresh state */
        emit(c, 0xe8);
        break;
    }
    case 11: {                              /* frstor of random contents */
        uint8_t *p = c->data + 0x100;
        p[0] |= 0x3f;
        emit(c, 0xdd);
        emit(c, 0x83 | 4 << 3);
        emit(c, 0x00);
        emit(c, 0x01);
        emit(c, 0x00);
        emit(c, 0x00);
        break;
    }
    default:                                /* fincstp, fdecstp, fnop, ffree */
        emit(c, rndn(3) ? 0xd9 : 0xdd);
        if (c->code[0] == 0xd9) {
            static const uint8_t o[3] = { 0xf6, 0xf7, 0xd0 };
            emit(c, o[rndn(3)]);
        } else {
            emit(c, 0xc0 | rndn(8));
        }
        break;
    }
}

/* A few instructions in a row, every exception masked */
static void g_seq(FCase *c)
{
    FCase t;
    int n = 2 + rndn(3);

    init_case(c, "sequence", false);
    for (int i = 0; i < n; i++) {
        int k = rndn(4);
        if (k == 0) {
            g_arith(&t);
        } else if (k == 1) {
            g_unary(&t);
        } else if (k == 2) {
            g_move(&t);
        } else {
            g_compare(&t);
        }
        /* keep this case's state; take the instruction and its operand */
        for (int j = 0; j < t.len; j++) {
            emit(c, t.code[j]);
        }
        if (t.len >= 2 && (t.code[1] & 0xc7) == 0x43) {
            int off = t.code[2];
            memcpy(c->data + off, t.data + off, 10);
        }
    }
    c->check_flags = true;
}

/* fxrstor of a random image, an x87 op, fxsave (32- or 64-bit format) */
static void g_fx(FCase *c)
{
    uint8_t *in = c->data + 0x400;
    bool w_in = rndn(2), w_out = rndn(2);
    uint32_t mxcsr = 0x1f80 | (rnd() & 0x7f);
    uint16_t cw = 0x37f | (rndn(4) << 10);

    init_case(c, "fxsave", false);
    memcpy(in, &cw, 2);
    in[2] &= 0x07;          /* fsw: no pending exceptions, random TOP */
    in[3] &= 0x38 | 0x47;
    in[2] &= ~0x3f;
    memcpy(in + 24, &mxcsr, 4);
    for (int i = 0; i < 8; i++) {
        rand_f80(in + 32 + 16 * i, false);
    }
    if (w_in) {
        emit(c, 0x48);
    }
    emit(c, 0x0f);
    emit(c, 0xae);
    emit(c, 0x8b);                          /* fxrstor [rbx + 0x400] */
    emit(c, 0x00);
    emit(c, 0x04);
    emit(c, 0x00);
    emit(c, 0x00);
    if (rndn(2)) {
        emit(c, 0xd9);
        emit(c, 0xe8 + rndn(7));
    }
    if (w_out) {
        emit(c, 0x48);
    }
    emit(c, 0x0f);
    emit(c, 0xae);
    emit(c, 0x83);                          /* fxsave [rbx + 0x200] */
    emit(c, 0x00);
    emit(c, 0x02);
    emit(c, 0x00);
    emit(c, 0x00);
    /* FOP, FIP, FCS, FDP, FDS; MXCSR_MASK is the host's */
    skip_range(c, 0x206, 18);
    skip_range(c, 0x21c, 4);
}

/* A value with a random significand and the given biased exponent */
static void put_rand_f80(uint8_t *p, uint16_t sign, int exp)
{
    put_f80(p, rnd() | 1ull << 63, sign | (uint16_t)exp);
}

/*
 * Operands for the transcendentals, fprem, fscale, fxtract and BCD:
 * ST(which) for instruction op (D9 op, or 0xdf for fbstp), mostly in the
 * interesting ranges, sometimes from every class.
 */
static void math_operand(uint8_t *p, unsigned op, int which)
{
    uint16_t sign = rndn(2) ? 0x8000 : 0;

    if (rndn(6) == 0) {
        rand_f80(p, rndn(2));
        /* fyl2xp1 is undefined for |x| >= 1 - sqrt(2)/2 */
        if (op != 0xf9 || which || (p[9] & 0x7f) < 0x3f ||
            ((p[9] & 0x7f) == 0x3f && p[8] < 0xfd) ||
            ((p[9] & 0x7f) == 0x7f && (p[7] & 0x40))) {
            return;
        }
    }
    switch (op) {
    case 0xf2: case 0xfb: case 0xfe: case 0xff: {
        int k = rndn(4);
        if (k == 0) {
            /* near a multiple of pi/2: the reduction's hard cases */
            long double v = 1.5707963267948966192313216916397514L *
                            (1 + rndn(rndn(2) ? 8 : 100000));
            uint64_t m;
            uint16_t e;
            memcpy(p, &v, 10);
            memcpy(&m, p, 8);
            memcpy(&e, p + 8, 2);
            put_f80(p, m + rndn(5) - 2, e | sign);
        } else if (k == 1) {
            put_rand_f80(p, sign, 0x3fff + rndn(68));       /* large */
        } else if (k == 2) {
            put_rand_f80(p, sign, 0x3fff - 1 - rndn(80));   /* small */
        } else {
            put_rand_f80(p, sign, 0x3fff - 3 + rndn(8));
        }
        break;
    }
    case 0xf0:                                  /* f2xm1: [-1, 1] */
        if (rndn(8) == 0) {
            put_f80(p, 1ull << 63, sign | 0x3fff);
        } else {
            put_rand_f80(p, sign, 0x3ffe - (rndn(3) ? rndn(8) : rndn(80)));
        }
        break;
    case 0xf1:                                  /* fyl2x */
        if (which == 1) {
            put_rand_f80(p, sign, 0x3fff - 8 + rndn(16));
        } else if (rndn(4) == 0) {
            /* near 1 (one random draw per statement: a fixed order) */
            bool above = rndn(2);
            uint64_t d = rnd();
            d >>= 1 + rndn(63);
            put_f80(p, above ? (1ull << 63) + d : -1ull - d,
                    above ? 0x3fff : 0x3ffe);
        } else if (rndn(4) == 0) {
            put_f80(p, 1ull << 63, 0x3fff - 100 + rndn(200));
        } else {
            put_rand_f80(p, 0, 0x3fff - 200 + rndn(400));
        }
        break;
    case 0xf9:                                  /* fyl2xp1: |x| < 0.29 */
        if (which == 1) {
            put_rand_f80(p, sign, 0x3fff - 8 + rndn(16));
        } else {
            put_rand_f80(p, sign, 0x3ffd - (rndn(3) ? rndn(4) : rndn(80)));
            if ((p[9] & 0x7f) == 0x3f && p[8] == 0xfd) {
                p[7] &= 0x92;                   /* below 0.29 */
            }
        }
        break;
    case 0xf3:                                  /* fpatan */
        put_rand_f80(p, sign, 0x3fff - 20 + rndn(40));
        break;
    case 0xf5: case 0xf8:                       /* fprem1, fprem */
        if (which == 0) {
            put_rand_f80(p, sign, 0x3fff + rndn(rndn(2) ? 64 : 200) - 2);
        } else if (rndn(4) == 0) {
            put_f80(p, 0xc90fdaa22168c235ull, sign | 0x3fff);
        } else {
            put_rand_f80(p, sign, 0x3fff - 4 + rndn(8));
        }
        break;
    case 0xfd:                                  /* fscale */
        if (which == 1) {
            /* small scales, often integers; sometimes huge */
            int e = rndn(8) ? 0x3fff - 2 + rndn(18) : 0x3fff + rndn(40);
            int frac = e >= 0x3fff && rndn(2) ? 63 - (e - 0x3fff) : 0;
            put_f80(p, (rnd() | 1ull << 63) & ~((1ull << frac) - 1),
                    sign | e);
        } else {
            rand_f80(p, false);
        }
        break;
    case 0xdf:                                  /* fbstp */
        if (rndn(3)) {
            put_rand_f80(p, sign, 0x3fff + rndn(62));
        } else {
            /* around 10^18 */
            put_f80(p, 0xde0b6b3a76400000ull - 8 + rndn(16),
                    sign | (0x3fff + 59));
        }
        break;
    default:
        rand_f80(p, rndn(2));
        break;
    }
}

static const uint8_t math_ops[17];

static void g_math(FCase *c)
{
    const uint8_t *ops = math_ops;
    unsigned k = rndn(ARRAY_SIZE(math_ops) + 2);

    init_case(c, "math", rndn(4) == 0);
    if (k >= ARRAY_SIZE(math_ops)) {            /* fbld, fbstp */
        bool store = k > ARRAY_SIZE(math_ops);
        int off;
        emit(c, 0xdf);
        off = mem_operand(c, store ? 6 : 4, 10, false, true);
        if (store) {
            math_operand(c->img + 28, 0xdf, 0);
        } else if (rndn(4) == 0) {
            /* digits above 9 and sign bytes other than 00/80 */
            for (int i = 0; i < 10; i++) {
                c->data[off + i] = (uint8_t)rnd();
            }
        }
        return;
    }
    emit(c, 0xd9);
    emit(c, ops[k]);
    math_operand(c->img + 28, ops[k], 0);
    math_operand(c->img + 38, ops[k], 1);
}

typedef void (*GenFn)(FCase *c);
static const struct {
    GenFn fn;
    int n;
} classes[] = {
    { g_arith, 3000 }, { g_compare, 1000 }, { g_unary, 2500 },
    { g_move, 2500 }, { g_control, 800 }, { g_seq, 1200 }, { g_fx, 400 },
};

/* ---- Running ---- */

/*
 * The code around a case: push rbx; rbx = data; xor eax, eax; set flags;
 * frstor; the case; fnsave; store rax and rflags; pop rbx; ret (native)
 * or hlt (guest).
 */
static int wrap_code(const FCase *c, uint8_t *out, bool native)
{
    int n = 0;
    uint64_t rbx = WIN + DATA_OFF;

#define B(x) (out[n++] = (uint8_t)(x))
#define D32(x) \
    do { uint32_t v_ = (x); memcpy(out + n, &v_, 4); n += 4; } while (0)
    B(0x53);
    B(0x48); B(0xbb);
    memcpy(out + n, &rbx, 8);
    n += 8;
    B(0xb8); D32(c->cmp_a);                 /* mov eax, a */
    B(0x3d); D32(c->cmp_b);                 /* cmp eax, b */
    B(0xb8); D32(0);                        /* mov eax, 0 */
    B(0xdd); B(0xa3); D32(IMG_IN);          /* frstor [rbx + IMG_IN] */
    memcpy(out + n, c->code, c->len);
    n += c->len;
    B(0xdd); B(0xb3); D32(IMG_OUT);         /* fnsave [rbx + IMG_OUT] */
    B(0x48); B(0x89); B(0x83); D32(AX_OUT); /* mov [rbx + AX_OUT], rax */
    B(0x9c);                                /* pushfq */
    B(0x58);                                /* pop rax */
    B(0x48); B(0x89); B(0x83); D32(FL_OUT);
    B(0x5b);                                /* pop rbx */
    B(native ? 0xc3 : 0xf4);
#undef B
#undef D32
    return n;
}

#if HAVE_NATIVE
static uint8_t *native_win;

static void run_native(const FCase *c, FResult *r)
{
    uint8_t *d = native_win + DATA_OFF;
    uint32_t mxcsr;
    int n = wrap_code(c, native_win, true);

    __builtin___clear_cache((char *)native_win, (char *)native_win + n);
    memcpy(d, c->data, DATA_CMP);
    memcpy(d + IMG_IN, c->img, sizeof(c->img));
    __asm__ volatile("stmxcsr %0" : "=m" (mxcsr));
    ((void (*)(void))(uintptr_t)native_win)();
    __asm__ volatile("ldmxcsr %0" : : "m" (mxcsr));
    memcpy(r->data, d, DATA_CMP);
    memcpy(r->img, d + IMG_OUT, sizeof(r->img));
    memcpy(&r->ax, d + AX_OUT, 8);
    memcpy(&r->flags, d + FL_OUT, 8);
    r->excp = -1;
}
#else
static uint8_t *native_win;

static void run_native(const FCase *c, FResult *r)
{
    abort();        /* test_diff skips before */
}
#endif


static const CPUClass x86_fpu_class =
    X86H_CPU_CLASS("x86-fpu-test", 2, x86h_reset, x86_tcg_tlb_fill,
                   x86_tcg_mmu_index, x86h_halt_on_interrupt);

/* 64-bit mode at CPL 0, paging through the tables written by main() */
static CPUX86State *setup_long(uint64_t cr0_extra)
{
    CPUX86State *env = &x86h_cpu->env;

    x86h_reset(&x86h_cpu->parent);
    x86h_cpu->parent.halted = false;
    env->cr[0] = CR0_PE_MASK | CR0_PG_MASK | CR0_ET_MASK | CR0_NE_MASK |
                 CR0_MP_MASK | cr0_extra;
    env->cr[3] = 0x1000;
    env->cr[4] = CR4_PAE_MASK | CR4_OSFXSR_MASK | CR4_OSXMMEXCPT_MASK;
    env->efer = MSR_EFER_LME | MSR_EFER_LMA;
    x86h_set_flat_segs(env, 0);
    env->segs[R_CS].selector = 0x33;
    env->segs[R_CS].flags = (env->segs[R_CS].flags & ~DESC_B_MASK) |
                            DESC_L_MASK;
    for (int i = 0; i < 6; i++) {
        if (i != R_CS) {
            env->segs[i].selector = 0;
        }
    }
    env->hflags = 0;
    env->fpuc = 0x37f;
    memset(env->fptags, 1, sizeof(env->fptags));
    env->mxcsr = 0x1f80;
    x86_cpu_set_eflags(env, 2);
    env->rip = WIN;
    env->regs[R_ESP] = WIN + STACK_TOP;
    return env;
}

static void run_emu(const FCase *c, FResult *r, uint64_t cr0_extra)
{
    uint8_t code[256];
    int n = wrap_code(c, code, false);
    CPUX86State *env = setup_long(cr0_extra);

    x86h_wr(RAM_WIN, code, n);
    x86h_wr(RAM_WIN + DATA_OFF, c->data, DATA_CMP);
    x86h_wr(RAM_WIN + DATA_OFF + IMG_IN, c->img, sizeof(c->img));
    x86h_last_excp = -1;
    x86h_run();
    r->excp = x86h_last_excp;
    bql_lock();
    address_space_read(&address_space_memory, RAM_WIN + DATA_OFF, r->data,
                       DATA_CMP);
    address_space_read(&address_space_memory, RAM_WIN + DATA_OFF + IMG_OUT,
                       r->img, sizeof(r->img));
    address_space_read(&address_space_memory, RAM_WIN + DATA_OFF + AX_OUT,
                       &r->ax, 8);
    address_space_read(&address_space_memory, RAM_WIN + DATA_OFF + FL_OUT,
                       &r->flags, 8);
    bql_unlock();
    (void)env;
}

static void dump_img(const char *who, const uint8_t *img)
{
    fprintf(stderr, "  %s: cw %04x sw %04x tw %04x\n", who,
            img[0] | img[1] << 8, img[4] | img[5] << 8, img[8] | img[9] << 8);
    for (int i = 0; i < 8; i++) {
        uint64_t m;
        uint16_t e;
        memcpy(&m, img + 28 + 10 * i, 8);
        memcpy(&e, img + 36 + 10 * i, 2);
        fprintf(stderr, "    st%d %04x %016" PRIx64 "%s", i, e, m,
                (i & 1) ? "\n" : "");
    }
}

static bool skipped(const FCase *c, int off)
{
    for (int i = 0; i < c->nskip; i++) {
        if (off >= c->skip_off[i] && off < c->skip_off[i] + c->skip_len[i]) {
            return true;
        }
    }
    return false;
}

static bool compare(const FCase *c, const FResult *a, const FResult *b,
                    const char *backend)
{
    const char *why = NULL;
    int where = -1;
    uint16_t swa = (a->img[4] | a->img[5] << 8) & c->sw_mask;
    uint16_t swb = (b->img[4] | b->img[5] << 8) & c->sw_mask;

    if (b->excp != -1) {
        why = "exception";
        where = b->excp;
    } else if (memcmp(a->img, b->img, 4) || memcmp(a->img + 6, b->img + 6, 6)) {
        why = "control/tag word";
    } else if (swa != swb) {
        why = "status word";
    } else if (memcmp(a->img + 28, b->img + 28, 80)) {
        why = "registers";
    } else if ((uint16_t)a->ax != (uint16_t)b->ax) {
        why = "ax";
    } else if (c->check_flags && ((a->flags ^ b->flags) & CC_MASK)) {
        why = "eflags";
    } else {
        for (int i = 0; i < DATA_CMP; i++) {
            if (a->data[i] != b->data[i] && !skipped(c, i)) {
                why = "memory";
                where = i;
                break;
            }
        }
    }
    if (!why) {
        return true;
    }
    fprintf(stderr, "MISMATCH (%s, %s) in %s (%d)\n  code:", c->what,
            backend, why, where);
    for (int i = 0; i < c->len; i++) {
        fprintf(stderr, " %02x", c->code[i]);
    }
    fprintf(stderr, "\n  sw mask %04x flags host %03" PRIx64 " emu %03" PRIx64
            " ax host %04x emu %04x\n", c->sw_mask,
            a->flags & CC_MASK, b->flags & CC_MASK, (unsigned)(uint16_t)a->ax,
            (unsigned)(uint16_t)b->ax);
    dump_img("input", c->img);
    dump_img("host", a->img);
    dump_img("emu", b->img);
    if (where >= 0 && why[0] == 'm') {
        fprintf(stderr, "  memory at +0x%x: host %02x emu %02x\n", where,
                a->data[where], b->data[where]);
    }
    return false;
}

/* ---- Tests ---- */

static FResult res_a, res_b;

static const char *backend_name(void)
{
    return x86h_cpu ? "translator" : "?";
}

static void test_diff(void **state)
{
    int total = 0, bad = 0;
    int64_t t0 = x86h_now_ms();

    if (!HAVE_NATIVE || !native_win) {
        skip();
    }
    rng_state = 0x0123456789abcdefull;
    for (size_t k = 0; k < ARRAY_SIZE(classes); k++) {
        for (int i = 0; i < classes[k].n; i++) {
            FCase c;
            classes[k].fn(&c);
            run_native(&c, &res_a);
            run_emu(&c, &res_b, 0);
            total++;
            if (!compare(&c, &res_a, &res_b, backend_name()) &&
                ++bad >= 10) {
                goto out;
            }
        }
    }
out:
    fprintf(stderr, "x86-fpu: %d cases, %d mismatches, %" PRId64 " ms\n",
            total, bad, x86h_now_ms() - t0);
    assert_int_equal(bad, 0);
}

/*
 * The soft back end's transcendentals (f2xm1, fyl2x, fptan, fpatan,
 * fyl2xp1, fsincos, fsin, fcos) are computed to about 120 bits and
 * rounded once; the host's are not always correctly rounded, so their
 * results may differ by up to SOFT_ULPS units in the last place, and C1
 * ("rounded up") is not compared for them: when the result is close to
 * a representable value, the host's less precise internal result may be
 * on the other side of it.  Everything else must be bit-exact.
 */
#define SOFT_ULPS 1
static int soft_inexact, soft_max_ulps;

static bool soft_transcendental(unsigned b, unsigned modrm)
{
    return b == 0xd9 && (modrm == 0xf0 || modrm == 0xf1 || modrm == 0xf2 ||
                         modrm == 0xf3 || modrm == 0xf9 || modrm == 0xfb ||
                         modrm == 0xfe || modrm == 0xff);
}

/* An 80-bit value's position among the values of its sign */
static unsigned __int128 f80_ordinal(const uint8_t *p)
{
    uint64_t m;
    uint16_t e;

    memcpy(&m, p, 8);
    memcpy(&e, p + 8, 2);
    e &= 0x7fff;
    return e ? ((unsigned __int128)(e - 1) << 63) + m : m;
}

/* The eight registers, within SOFT_ULPS of each other if tolerant */
static bool soft_regs_match(const uint8_t *a, const uint8_t *b, bool tolerant)
{
    for (int i = 0; i < 8; i++) {
        const uint8_t *ra = a + 10 * i, *rb = b + 10 * i;
        unsigned __int128 oa, ob, d;
        if (!memcmp(ra, rb, 10)) {
            continue;
        }
        if (!tolerant || ((ra[9] ^ rb[9]) & 0x80) ||
            ((ra[9] & 0x7f) == 0x7f && ra[8] == 0xff) ||
            ((rb[9] & 0x7f) == 0x7f && rb[8] == 0xff)) {
            return false;
        }
        oa = f80_ordinal(ra);
        ob = f80_ordinal(rb);
        d = oa > ob ? oa - ob : ob - oa;
        if (d > SOFT_ULPS) {
            return false;
        }
        soft_inexact++;
        if ((int)d > soft_max_ulps) {
            soft_max_ulps = (int)d;
        }
    }
    return true;
}

/*
 * The portable back end (fpu_soft.c, used on hosts without an x87)
 * against the host FPU: single instructions of the arithmetic, compare,
 * unary and move classes that it implements, on the same states.
 */
static bool soft_case(const FCase *c, int *unsupported)
{
    unsigned b = c->code[0], modrm = c->code[1], enc;
    uint8_t img[108], mem[16], *nmem = NULL;
    uint16_t old_flags, sw_s, sw_n, mask = 0xffff, tw_s, tw_n;
    uint64_t fl;
    int disp = 0;

    if (c->len < 2 || b < 0xd8 || b > 0xdf) {
        return true;
    }
    if (b == 0xd9 && (modrm == 0xf0 || modrm == 0xf9)) {
        /* f2xm1 outside [-1, 1], fyl2xp1 outside +-(1 - sqrt(2)/2) */
        unsigned t = (c->img[5] >> 3) & 7, e;
        const uint8_t *r = c->img + 28;
        e = (r[9] & 0x7f) << 8 | r[8];
        if (((c->img[8 + t / 4] >> (2 * (t & 3))) & 3) != 3 &&
            e != 0x7fff && (modrm == 0xf0 ? e >= 0x3fff : e >= 0x3ffd) &&
            (modrm == 0xf0 ? e > 0x3fff || (r[7] & 0x7f) || r[6] || r[5] ||
                             r[4] || r[3] || r[2] || r[1] || r[0]
                           : e > 0x3ffd || r[7] >= 0x96)) {
            return true;        /* undefined: vendors differ */
        }
    }
    memcpy(img, c->img, sizeof(img));
    memset(mem, 0, sizeof(mem));
    if (modrm < 0xc0) {
        disp = c->code[2];
        memcpy(mem, c->data + disp, 10);
        enc = b << 8 | (modrm & 0x38);
    } else {
        enc = b << 8 | modrm;
    }
    old_flags = (img[4] | img[5] << 8) & 0x7f;
    img[4] = 0;
    img[5] &= ~0x80;
    /* the flags "cmp eax, imm" left: computed natively */
    run_native(c, &res_a);
    {
        uint64_t f0;
        __asm__ volatile("cmp %2, %1\n\tpushfq\n\tpopq %0"
                         : "=r" (f0) : "r" (c->cmp_a), "r" (c->cmp_b)
                         : "cc");
        fl = f0 & 0x8d5;
    }
    if (!x87_soft_exec(img, enc, mem, &fl)) {
        (*unsupported)++;
        return true;
    }
    sw_s = (img[4] | img[5] << 8) | old_flags;
    if (sw_s & ~(img[0] | img[1] << 8) & 0x3f) {
        sw_s |= 0x8080;
    }
    sw_n = res_a.img[4] | res_a.img[5] << 8;
    tw_s = img[8] | img[9] << 8;
    tw_n = res_a.img[8] | res_a.img[9] << 8;
    for (int i = 0; i < 8; i++) {
        if (((tw_n >> (2 * i)) & 3) != 3) {
            tw_n &= ~(3u << (2 * i));
        }
    }
    if (modrm < 0xc0) {
        bool store;
        unsigned reg = (modrm >> 3) & 7;
        store = (b == 0xd9 && reg) || (b == 0xdb && reg && reg != 5) ||
                (b == 0xdd && reg) || (b == 0xdf && reg && reg != 4 &&
                                       reg != 5);
        if (store && !((sw_s & 0x3f) & ~(img[0] | img[1] << 8) & 0x1f)) {
            nmem = mem;
        }
    }
    if (soft_transcendental(b, modrm)) {
        mask &= ~C1;            /* "rounded up": of differing internals */
    }
    if (b == 0xd9 && (modrm == 0xf5 || modrm == 0xf8) && (sw_n & C2)) {
        mask &= ~(C0 | C1 | C3);    /* a partial remainder's: undefined */
    }
    if (!soft_regs_match(img + 28, res_a.img + 28,
                         soft_transcendental(b, modrm)) || tw_s != tw_n ||
        (sw_s & mask) != (sw_n & mask) ||
        ((b == 0xdb || b == 0xdf) && modrm >= 0xe8 &&
         ((fl ^ res_a.flags) & 0x8d5)) ||
        (nmem && memcmp(nmem, res_a.data + disp, 10)) ||
        (!nmem && modrm < 0xc0 && memcmp(c->data + disp, res_a.data + disp,
                                          10))) {
        fprintf(stderr, "SOFT MISMATCH: %02x %02x sw soft %04x host %04x "
                "tw %04x/%04x flags %03" PRIx64 "/%03" PRIx64 "\n", b, modrm,
                sw_s, sw_n, tw_s, tw_n, fl, res_a.flags & 0x8d5);
        if (modrm < 0xc0) {
            fprintf(stderr, "  mem in:");
            for (int i = 0; i < 10; i++) {
                fprintf(stderr, " %02x", c->data[disp + i]);
            }
            fprintf(stderr, "\n  host:  ");
            for (int i = 0; i < 10; i++) {
                fprintf(stderr, " %02x", res_a.data[disp + i]);
            }
            fprintf(stderr, "\n  soft:  ");
            for (int i = 0; i < 10; i++) {
                fprintf(stderr, " %02x", mem[i]);
            }
            fprintf(stderr, " (%s)\n", nmem ? "stored" : "not stored");
        }
        dump_img("input", c->img);
        dump_img("host", res_a.img);
        dump_img("soft", img);
        return false;
    }
    return true;
}

static void test_soft_backend(void **state)
{
    static const GenFn gens[] = { g_arith, g_compare, g_unary, g_move };
    int total = 0, bad = 0, unsupported = 0;

    if (!HAVE_NATIVE || !native_win) {
        skip();
    }
    rng_state = 0xabcdef0123456789ull;
    for (int k = 0; k < 4; k++) {
        for (int i = 0; i < 5000 && bad < 10; i++) {
            FCase c;
            gens[k](&c);
            total++;
            bad += !soft_case(&c, &unsupported);
        }
    }
    fprintf(stderr, "x86-fpu soft back end: %d cases (%d not implemented "
            "yet), %d mismatches\n", total, unsupported, bad);
    assert_int_equal(bad, 0);
}

static const uint8_t math_ops[] = {
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf8, 0xf9, 0xfb, 0xfd, 0xfe,
    0xff, 0xe9, 0xea, 0xeb, 0xec, 0xed,
};

static const struct {
    uint16_t se;
    uint64_t m;
} math_edges[] = {
    { 0x0000, 0 }, { 0x8000, 0 },                           /* zeros */
    { 0x3fff, 1ull << 63 }, { 0xbfff, 1ull << 63 },         /* +-1 */
    { 0x7fff, 1ull << 63 }, { 0xffff, 1ull << 63 },         /* infinities */
    { 0x7fff, 0xc000000000000001ull },                      /* QNaN */
    { 0xffff, 0x8000000000000001ull },                      /* SNaN */
    { 0xffff, 0xc000000000000000ull },                      /* indefinite */
    { 0x0000, 1 }, { 0x8000, 0x0000000123456789ull },       /* denormals */
    { 0x0000, 1ull << 63 },                                 /* pseudo-den. */
    { 0x3fff, 1ull << 62 },                                 /* unnormal */
    { 0x7ffe, ~0ull }, { 0x0001, 1ull << 63 },              /* max, min */
    { 0x3ffe, 1ull << 63 }, { 0xbffd, 1ull << 63 },         /* 1/2, -1/4 */
    { 0x4000, 0xc90fdaa22168c235ull },                      /* pi */
    { 0x3fff, 0xc90fdaa22168c235ull },                      /* pi/2 */
    { 0x403e, 1ull << 63 }, { 0xc03d, ~0ull },              /* 2^63 */
    { 0x4000, 0xc000000000000000ull },                      /* 3 */
    { 0x3f9b, 0xa2425ff75e14fc32ull },                      /* 1e-30 */
    { 0xc005, 0xc800000000000000ull },                      /* -100 */
};

/* The soft back end's transcendentals, fprem, fscale, fxtract, BCD */
static void test_soft_math(void **state)
{
    int total = 0, bad = 0, unsupported = 0;

    if (!HAVE_NATIVE || !native_win) {
        skip();
    }
    rng_state = 0x9e3779b97f4a7c15ull;
    soft_inexact = soft_max_ulps = 0;
    for (int i = 0; i < 30000 && bad < 10; i++) {
        FCase c;
        g_math(&c);
        total++;
        bad += !soft_case(&c, &unsupported);
    }
    /* every pair of edge values, all exceptions masked or unmasked */
    for (size_t k = 0; k < ARRAY_SIZE(math_ops) && bad < 10; k++) {
        for (size_t i = 0; i < ARRAY_SIZE(math_edges); i++) {
            for (size_t j = 0; j < ARRAY_SIZE(math_edges); j++) {
                for (int unmask = 0; unmask < 2; unmask++) {
                    FCase c;
                    uint16_t cw = (unmask ? 0x0340 : 0x037f) |
                                  rndn(4) << 10, tw = 0;
                    init_case(&c, "math edges", false);
                    memcpy(c.img, &cw, 2);
                    c.img[4] = 0;               /* no flags; keep TOP */
                    c.img[5] &= 0x38;
                    memcpy(c.img + 8, &tw, 2);
                    put_f80(c.img + 28, math_edges[i].m, math_edges[i].se);
                    put_f80(c.img + 38, math_edges[j].m, math_edges[j].se);
                    emit(&c, 0xd9);
                    emit(&c, math_ops[k]);
                    total++;
                    bad += !soft_case(&c, &unsupported);
                }
            }
        }
    }
    fprintf(stderr, "x86-fpu soft math: %d cases (%d not implemented), "
            "%d mismatches, %d results within %d ulp (max %d)\n", total,
            unsupported, bad, soft_inexact, SOFT_ULPS, soft_max_ulps);
    assert_int_equal(bad, 0);
    assert_int_equal(unsupported, 0);
}

/* Emulated only: #NM, #MF, #UD, #GP of the FPU and group 15 */
static void test_exceptions(void **state)
{
    static const struct {
        uint8_t code[16];
        int len;
        uint64_t cr0;
        uint16_t cw;
        int excp;
        int fault_off;
    } t[] = {
        { { 0xd9, 0xe8 }, 2, CR0_TS_MASK, 0x37f, EXCP07_PREX, 0 },  /* fld1 */
        { { 0xd9, 0xe8 }, 2, CR0_EM_MASK, 0x37f, EXCP07_PREX, 0 },
        { { 0x9b }, 1, CR0_TS_MASK, 0x37f, EXCP07_PREX, 0 },        /* fwait */
        { { 0x9b }, 1, CR0_EM_MASK, 0x37f, -1, 0 },  /* fwait ignores EM */
        { { 0x0f, 0xae, 0x03 }, 3, CR0_TS_MASK, 0x37f, EXCP07_PREX, 0 },
        { { 0x0f, 0xae, 0x53, 0x44 }, 4, CR0_EM_MASK, 0x37f, EXCP06_ILLOP, 0 },
        { { 0xd9, 0xd1 }, 2, 0, 0x37f, EXCP06_ILLOP, 0 },
        { { 0xdb, 0x63, 0x00 }, 3, 0, 0x37f, EXCP06_ILLOP, 0 },     /* db /4 */
        /* fldz; fld1; fdiv st0, st1 with ZE unmasked; fwait: #MF */
        { { 0xd9, 0xee, 0xd9, 0xe8, 0xd8, 0xf1, 0x9b }, 7, 0, 0x37b,
          EXCP10_COPR, 6 },
        /* the same with fnop as the waiting instruction */
        { { 0xd9, 0xee, 0xd9, 0xe8, 0xd8, 0xf1, 0xd9, 0xd0 }, 8, 0, 0x37b,
          EXCP10_COPR, 6 },
        /* ... and fnstsw ax does not wait */
        { { 0xd9, 0xee, 0xd9, 0xe8, 0xd8, 0xf1, 0xdf, 0xe0 }, 8, 0, 0x37b,
          -1, 0 },
        /* fxsave misaligned */
        { { 0x0f, 0xae, 0x43, 0x08 }, 4, 0, 0x37f, EXCP0D_GPF, 0 },
        /* xsave: not advertised */
        { { 0x0f, 0xae, 0x63, 0x00 }, 4, 0, 0x37f, EXCP06_ILLOP, 0 },
        /* ldmxcsr with a reserved bit (data at +0x40 = 0x10000) */
        { { 0x0f, 0xae, 0x53, 0x40 }, 4, 0, 0x37f, EXCP0D_GPF, 0 },
        /* lfence, mfence, sfence; clflush [rbx] */
        { { 0x0f, 0xae, 0xe8, 0x0f, 0xae, 0xf0, 0x0f, 0xae, 0xf8, 0x0f, 0xae,
            0x3b }, 12, 0, 0x37f, -1, 0 },
    };
    uint8_t data[0x80];

#if !HAVE_NATIVE
    skip();     /* the x87 back end needs an x86-64 host */
#endif
    memset(data, 0, sizeof(data));
    data[0x42] = 1;
    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        CPUX86State *env = setup_long(t[i].cr0);
        uint8_t code[20];

        memcpy(code, t[i].code, t[i].len);
        code[t[i].len] = 0xf4;
        x86h_wr(RAM_WIN, code, t[i].len + 1);
        x86h_wr(RAM_WIN + DATA_OFF, data, sizeof(data));
        env->regs[R_EBX] = WIN + DATA_OFF;
        env->fpuc = t[i].cw;
        x86h_last_excp = -1;
        x86h_run();
        if (x86h_last_excp != t[i].excp) {
            fprintf(stderr, "exception case %zu: got %d\n", i, x86h_last_excp);
        }
        assert_int_equal(x86h_last_excp, t[i].excp);
        if (t[i].excp >= 0) {
            /* precise: rip at the faulting instruction */
            assert_int_equal(env->rip, WIN + t[i].fault_off);
        }
        if (t[i].excp == EXCP10_COPR) {
            assert_true(env->fpus & 0x80);
        }
    }
}

/* fxsave/fxrstor round trip of the translator's own state, both formats */
static void test_fx_roundtrip(void **state)
{
    for (int w = 0; w < 2; w++) {
        CPUX86State *env = setup_long(0);
        X86FPReg regs[8];
        uint8_t code[32];
        int n = 0;

        rng_state = 99 + w;
        for (int i = 0; i < 8; i++) {
            uint8_t b[10];
            rand_f80(b, false);
            memcpy(&regs[i].mant, b, 8);
            memcpy(&regs[i].exp, b + 8, 2);
            env->fpregs[i] = regs[i];
            env->fptags[i] = rndn(2);
        }
        env->fpstt = 5;
        env->fpuc = 0x27f;
        env->fpus = 0x4123 & ~0x3800;
        env->mxcsr = 0x9fc0;
        for (int i = 0; i < 16; i++) {
            env->xmm_regs[i].q[0] = rnd();
            env->xmm_regs[i].q[1] = rnd();
        }
        CPUX86State saved = *env;
        /* fxsave [rbx]; fninit; ldmxcsr zero; fxrstor [rbx]; hlt */
        if (w) {
            code[n++] = 0x48;
        }
        memcpy(code + n, "\x0f\xae\x03", 3);
        n += 3;
        memcpy(code + n, "\xdb\xe3", 2);
        n += 2;
        memcpy(code + n, "\x0f\xae\x93\x00\x04\x00\x00", 7);
        n += 7;
        if (w) {
            code[n++] = 0x48;
        }
        memcpy(code + n, "\x0f\xae\x0b", 3);
        n += 3;
        code[n++] = 0xf4;
        x86h_wr(RAM_WIN, code, n);
        x86h_wr32(RAM_WIN + DATA_OFF + 0x400, 0);
        env->regs[R_EBX] = WIN + DATA_OFF;
        x86h_last_excp = -1;
        x86h_run();
        assert_int_equal(x86h_last_excp, -1);
        assert_int_equal(env->fpstt, 5);
        assert_int_equal(env->fpuc, 0x27f);
        assert_int_equal(env->fpus & 0x7fff, 0x4123 & ~0x3800);
        assert_int_equal(env->mxcsr, 0x9fc0);
        assert_memory_equal(env->fptags, saved.fptags, 8);
        assert_memory_equal(env->fpregs, saved.fpregs,
                            sizeof(env->fpregs));
        assert_memory_equal(env->xmm_regs, saved.xmm_regs,
                            sizeof(env->xmm_regs));
        assert_int_equal(x86h_rd(RAM_WIN + DATA_OFF + 24, 4), 0x9fc0);
    }
}

/* FIP, FCS, FOP, FDP, FDS as fnstenv stores them (emulated only) */
static void test_pointers(void **state)
{
    /* fld dword [rbx+0x10]; fnstenv [rbx+0x40]; hlt */
    static const uint8_t code[] = { 0xd9, 0x43, 0x10, 0xd9, 0x73, 0x40, 0xf4 };
    CPUX86State *env = setup_long(0);

#if !HAVE_NATIVE
    skip();     /* the x87 back end needs an x86-64 host */
#endif
    x86h_wr(RAM_WIN, code, sizeof(code));
    env->regs[R_EBX] = WIN + DATA_OFF;
    env->segs[R_DS].selector = 0x2b;
    x86h_last_excp = -1;
    x86h_run();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(x86h_rd(RAM_WIN + DATA_OFF + 0x40, 4), 0xffff037f);
    assert_int_equal(x86h_rd(RAM_WIN + DATA_OFF + 0x4c, 4), (uint32_t)WIN);
    assert_int_equal(x86h_rd(RAM_WIN + DATA_OFF + 0x50, 4),
                     0x33 | 0x143u << 16);
    assert_int_equal(x86h_rd(RAM_WIN + DATA_OFF + 0x54, 4),
                     (uint32_t)(WIN + DATA_OFF + 0x10));
    assert_int_equal(x86h_rd(RAM_WIN + DATA_OFF + 0x58, 4), 0xffff002b);
    /* fnstenv masked every exception */
    assert_int_equal(env->fpuc, 0x37f);
}

/*
 * A store that runs into an unmapped page faults before writing any byte
 * and before the FPU changes: fnsave (which would reinitialize) and fstp
 * m80 (which would pop) across the end of the mapped 2 MiB page.
 */
static void test_store_fault(void **state)
{
    static const uint8_t codes[2][4] = {
        { 0xdd, 0x33, 0xf4 },           /* fnsave [rbx] */
        { 0xdb, 0x3b, 0xf4 },           /* fstp tbyte [rbx] */
    };
    static const int offs[2] = { 50, 4 };

#if !HAVE_NATIVE
    skip();     /* the x87 back end needs an x86-64 host */
#endif
    for (int k = 0; k < 2; k++) {
        CPUX86State *env = setup_long(0);
        uint64_t lin = WIN + 0x200000 - offs[k];
        uint8_t ff[64];

        memset(ff, 0xa5, sizeof(ff));
        x86h_wr(RAM_WIN + 0x200000 - 64, ff, sizeof(ff));
        x86h_wr(RAM_WIN, codes[k], 3);
        env->regs[R_EBX] = lin;
        env->fpuc = 0x27f;
        env->fpstt = 7;
        env->fptags[7] = 0;
        env->fpregs[7].mant = 1ull << 63;
        env->fpregs[7].exp = 0x3fff;
        x86h_last_excp = -1;
        x86h_run();
        assert_int_equal(x86h_last_excp, EXCP0E_PAGE);
        assert_int_equal(env->rip, WIN);
        assert_int_equal(env->fpuc, 0x27f);
        assert_int_equal(env->fpstt, 7);
        assert_int_equal(env->fptags[7], 0);
        assert_int_equal(x86h_rd(RAM_WIN + 0x200000 - offs[k], 4),
                         0xa5a5a5a5);
    }
}

/* The real-mode FNSTENV formats: 20-bit linear FIP/FDP and FOP */
static void test_realmode_env(void **state)
{
    static const uint8_t code[] = {
        0xd9, 0xe8,                         /* fld1 */
        0xd8, 0x06, 0x00, 0x01,             /* fadd dword [0x100] */
        0xd9, 0x36, 0x00, 0x02,             /* fnstenv [0x200] */
        0x66, 0xd9, 0x36, 0x40, 0x02,       /* o32 fnstenv [0x240] */
        0xf4,
    };
    CPUX86State *env = &x86h_cpu->env;
    const uint64_t e16 = 0x20200, e32 = 0x20240;

#if !HAVE_NATIVE
    skip();     /* the x87 back end needs an x86-64 host */
#endif
    x86h_reset(&x86h_cpu->parent);
    x86h_cpu->parent.halted = false;
    env->cr[0] = CR0_ET_MASK | CR0_NE_MASK;
    x86h_set_seg_real(env, R_CS, 0x1000);
    x86h_set_seg_real(env, R_DS, 0x2000);
    x86h_set_seg_real(env, R_SS, 0x3000);
    x86h_set_seg_real(env, R_ES, 0);
    x86h_set_seg_real(env, R_FS, 0);
    x86h_set_seg_real(env, R_GS, 0);
    env->regs[R_ESP] = 0xfff0;
    env->rip = 0;
    env->fpuc = 0x37f;
    memset(env->fptags, 1, sizeof(env->fptags));
    x86h_wr(0x10000, code, sizeof(code));
    x86h_wr32(0x20100, 0x3f800000);         /* 1.0f */
    x86h_last_excp = -1;
    x86h_run();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(env->fpregs[7].exp, 0x4000);   /* 2.0 */
    assert_int_equal(x86h_rd(e16, 2), 0x37f);
    assert_int_equal(x86h_rd(e16 + 6, 2), 0x0002);
    assert_int_equal(x86h_rd(e16 + 8, 2), 0x1006);
    assert_int_equal(x86h_rd(e16 + 10, 2), 0x0100);
    assert_int_equal(x86h_rd(e16 + 12, 2), 0x2000);
    assert_int_equal(x86h_rd(e32 + 12, 2), 0x0002);
    assert_int_equal(x86h_rd(e32 + 16, 4), 0x1006);
    assert_int_equal(x86h_rd(e32 + 20, 2), 0x0100);
    assert_int_equal(x86h_rd(e32 + 24, 4), 0x2000);
}

/*
 * Random x87 and group 15 encodings on random states (emulated only):
 * no crash, no hang, and the host's own FPU control words unchanged.
 */
static void test_random_x87(void **state)
{
#if HAVE_NATIVE
    uint16_t hcw0, hcw1;
    uint32_t mxcsr0, mxcsr1;
#endif

#if !HAVE_NATIVE
    skip();     /* the x87 back end needs an x86-64 host */
#endif
    rng_state = 0x5eed5eed5eedull;
#if HAVE_NATIVE
    __asm__ volatile("fnstcw %0; stmxcsr %1" : "=m" (hcw0), "=m" (mxcsr0));
#endif
    for (int i = 0; i < 2000; i++) {
        CPUX86State *env = setup_long(rndn(8) == 0 ? CR0_TS_MASK : 0);
        uint8_t code[40], data[0x200];
        int n = 0, k = 1 + rndn(4);

        for (int j = 0; j < k; j++) {
            if (rndn(8) == 0) {
                code[n++] = 0x0f;
                code[n++] = 0xae;
            } else if (rndn(8) == 0) {
                code[n++] = 0x9b;
                continue;
            } else {
                code[n++] = 0xd8 + rndn(8);
            }
            code[n] = (uint8_t)rnd();
            /* memory forms: [reg + disp8] near the data */
            if (code[n] < 0xc0) {
                code[n] = (code[n] & 0x38) | 0x40 | (rndn(8) == 4 ? 3 : 0);
                code[n + 1] = (uint8_t)(rndn(0x80));
                n++;
            }
            n++;
        }
        code[n++] = 0xf4;
        for (size_t j = 0; j < sizeof(data); j++) {
            data[j] = (uint8_t)rnd();
        }
        x86h_wr(RAM_WIN, code, n);
        x86h_wr(RAM_WIN + DATA_OFF, data, sizeof(data));
        for (int r = 0; r < 16; r++) {
            env->regs[r] = WIN + DATA_OFF + (rnd() & 0xf0);
        }
        env->regs[R_ESP] = WIN + STACK_TOP;
        env->fpuc = 0x40 | (rnd() & 0x0f3f);
        env->fpus = rnd() & 0x47ff & ~0x3800;
        env->fpstt = rndn(8);
        for (int r = 0; r < 8; r++) {
            uint8_t b[10];
            rand_f80(b, false);
            memcpy(&env->fpregs[r].mant, b, 8);
            memcpy(&env->fpregs[r].exp, b + 8, 2);
            env->fptags[r] = rndn(3) == 0;
        }
        if (env->fpus & ~env->fpuc & 0x3f) {
            env->fpus |= 0x8080;
        }
        x86h_last_excp = -1;
        x86h_run();
        assert_true(env->fpstt < 8);
    }
#if HAVE_NATIVE
    __asm__ volatile("fnstcw %0; stmxcsr %1" : "=m" (hcw1), "=m" (mxcsr1));
    assert_int_equal(hcw0, hcw1);
    assert_int_equal(mxcsr0, mxcsr1);
#endif
}

static int fpu_teardown(void **state)
{
    return x86h_teardown(state);
}

#define BOTH(fn) X86H_BOTH_TD(fn, fpu_teardown)

int main(void)
{
    static const X86HConfig cfg = {
        .cc = &x86_fpu_class,
        .ram_size = RAM_SIZE,
        .poll_ms = 5,
    };
    const struct CMUnitTest tests[] = {
        BOTH(test_exceptions),
        BOTH(test_fx_roundtrip),
        BOTH(test_pointers),
        BOTH(test_realmode_env),
        BOTH(test_store_fault),
        BOTH(test_random_x87),
        BOTH(test_diff),
        cmocka_unit_test(test_soft_backend),
        cmocka_unit_test(test_soft_math),
    };
    static const uint8_t zero[4096];

#if HAVE_NATIVE
    native_win = x86h_map_host_window(WIN, WIN_SIZE);
    if (!native_win) {
        fprintf(stderr, "the differential test is skipped\n");
    }
#endif
    if (!x86h_init(&cfg)) {
        return 1;
    }
    /* PML4 at 0x1000 -> PDPT at 0x2000 -> PD at 0x3000: WIN -> RAM_WIN */
    x86h_wr(0x1000, zero, sizeof(zero));
    x86h_wr(0x2000, zero, sizeof(zero));
    x86h_wr(0x3000, zero, sizeof(zero));
    x86h_wr32(0x1000 + ((WIN >> 39) & 511) * 8, 0x2003);
    x86h_wr32(0x2000 + ((WIN >> 30) & 511) * 8, 0x3003);
    x86h_wr32(0x3000 + ((WIN >> 21) & 511) * 8, RAM_WIN | 0x83);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
