/* x87 soft-float back end: the x87 instruction set in portable C. */
#include "emu/osdep.h"
#include "target/i386/tcg/fpu_soft.h"

/*
 * Values are unpacked to sign, unbiased exponent and a normalized 64-bit
 * significand; results are computed exactly (or with a sticky bit) in
 * 128 bits and rounded once, to the precision control's width (or the
 * memory format's) under the rounding control, which is the x87's own
 * "one rounding" model.  Exceptions follow the SDM's priorities: invalid
 * operand (SNaN, unsupported format, stack fault), QNaN operand, other
 * invalid operations and divide-by-zero, denormal operand, overflow and
 * underflow, precision.
 *
 * The transcendentals are evaluated in a 128-bit-significand format (XF)
 * by series after exact argument reduction, then rounded once to 64 bits
 * (they ignore the precision control, as the x87 does); the trigonometric
 * reduction uses the x87's 66-bit pi, so large arguments give what the
 * hardware gives rather than the true sine.  Where the SDM leaves a
 * result undefined (f2xm1 outside [-1, 1], fyl2xp1 for x <= -1, fprem's
 * partial-remainder quotient bits), this follows the AMD hardware it was
 * checked on.
 */

#ifdef __SIZEOF_INT128__

typedef unsigned __int128 u128;

#define SW_IE 0x0001
#define SW_DE 0x0002
#define SW_ZE 0x0004
#define SW_OE 0x0008
#define SW_UE 0x0010
#define SW_PE 0x0020
#define SW_SF 0x0040
#define SW_C0 0x0100
#define SW_C1 0x0200
#define SW_C2 0x0400
#define SW_C3 0x4000

#define EF_CF 0x0001
#define EF_PF 0x0004
#define EF_ZF 0x0040

typedef struct F80 {
    uint64_t m;
    uint16_t se;                /* sign << 15 | biased exponent */
} F80;

static const F80 f80_indef = { 0xc000000000000000ull, 0xffff };

typedef struct SX {
    uint16_t cw, sw;            /* sw: without TOP */
    unsigned top;
    bool empty[8];              /* physical */
    F80 r[8];                   /* physical */
    uint16_t exc;               /* raised by this instruction */
    bool mem_den;               /* the memory source operand is denormal */
} SX;

/* ---- Register stack ---- */

static F80 *st(SX *x, int i)
{
    return &x->r[(x->top + i) & 7];
}

static bool st_empty(SX *x, int i)
{
    return x->empty[(x->top + i) & 7];
}

static void st_set(SX *x, int i, F80 v)
{
    x->r[(x->top + i) & 7] = v;
    x->empty[(x->top + i) & 7] = false;
}

static void st_push(SX *x, F80 v)
{
    x->top = (x->top - 1) & 7;
    st_set(x, 0, v);
}

static void st_pop(SX *x)
{
    x->empty[x->top] = true;
    x->top = (x->top + 1) & 7;
}

static void set_c1(SX *x, bool v)
{
    x->sw = (x->sw & ~SW_C1) | (v ? SW_C1 : 0);
}

/* Returns true when IE is unmasked: the instruction then changes nothing */
static bool stack_fault(SX *x, bool overflow)
{
    x->exc |= SW_IE | SW_SF;
    set_c1(x, overflow);
    return !(x->cw & SW_IE);
}

/* Unmasked exceptions raised so far that suppress the result */
static bool no_result(SX *x)
{
    return x->exc & ~x->cw & (SW_IE | SW_ZE | SW_DE);
}

/* ---- Unpacked values ---- */

enum { K_ZERO, K_NORM, K_INF, K_QNAN, K_SNAN, K_BAD };

typedef struct U {
    int k;
    bool s;
    bool den;                   /* a denormal operand */
    int32_t e;                  /* value = m * 2^(e - 63) */
    uint64_t m;
} U;

static int clz128(u128 v)
{
    uint64_t hi = (uint64_t)(v >> 64);

    return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll((uint64_t)v);
}

static U unpack80(F80 v)
{
    U u = { .s = v.se >> 15, .m = v.m };
    unsigned e = v.se & 0x7fff;

    if (e == 0x7fff) {
        if (!(v.m >> 63)) {
            u.k = K_BAD;
        } else if (!(v.m << 1)) {
            u.k = K_INF;
        } else {
            u.k = (v.m >> 62) & 1 ? K_QNAN : K_SNAN;
        }
    } else if (e == 0) {
        if (!v.m) {
            u.k = K_ZERO;
        } else {
            int lz = __builtin_clzll(v.m);
            u.k = K_NORM;
            u.den = true;
            u.m = v.m << lz;
            u.e = 1 - 16383 - lz;
        }
    } else if (!(v.m >> 63)) {
        u.k = K_BAD;            /* unnormal */
    } else {
        u.k = K_NORM;
        u.e = (int32_t)e - 16383;
    }
    return u;
}

static bool is_nan(const U *u)
{
    return u->k == K_QNAN || u->k == K_SNAN;
}

static F80 make_inf(bool s)
{
    return (F80){ 1ull << 63, (uint16_t)(s << 15 | 0x7fff) };
}

static F80 make_zero(bool s)
{
    return (F80){ 0, (uint16_t)(s << 15) };
}

static F80 quiet(F80 v)
{
    v.m |= 1ull << 62;
    return v;
}

/* Two NaN operands: the QNaN over an SNaN, else the larger significand */
static F80 pick_nan(F80 a, const U *ua, F80 b, const U *ub)
{
    if (!is_nan(ua)) {
        return quiet(b);
    }
    if (!is_nan(ub)) {
        return quiet(a);
    }
    if (ua->k != ub->k) {
        return quiet(ua->k == K_QNAN ? a : b);
    }
    if ((a.m << 1) != (b.m << 1)) {
        return quiet((a.m << 1) > (b.m << 1) ? a : b);
    }
    return quiet(a.se < b.se ? a : b);
}

/* ---- Rounding ---- */

typedef struct Fmt {
    int prec;                   /* significand bits */
    int32_t bias, emax;         /* emax: largest biased exponent of a normal */
    bool biased_wrap;           /* 80-bit: unmasked OE/UE scale by 2^24576 */
} Fmt;

static const Fmt fmt32 = { 24, 127, 0xfe, false };
static const Fmt fmt64 = { 53, 1023, 0x7fe, false };

/* The precision control's width for arithmetic results */
static Fmt fmt_pc(SX *x)
{
    static const int prec[4] = { 24, 64, 53, 64 };
    Fmt f = { prec[(x->cw >> 8) & 3], 16383, 0x7ffe, true };
    return f;
}

/*
 * Round sign * sig * 2^(exp - 127) (sig normalized: bit 127 set; bit 0
 * may be a sticky bit) into format f.  *q: the significand (prec bits,
 * explicit leading bit; fewer for denormals), *be: the biased exponent
 * (0: denormal or zero, emax + 1: infinity).
 */
static void round_core(SX *x, const Fmt *f, bool sign, int32_t exp, u128 sig,
                       uint64_t *q_out, int32_t *be_out)
{
    int rc = (x->cw >> 10) & 3;
    int32_t be = exp + f->bias;
    int shift = 128 - f->prec;
    bool tiny = be < 1, rbit, sticky, up, inexact;
    uint64_t q;

    if (tiny && !(x->cw & SW_UE)) {
        x->exc |= SW_UE;
        if (!f->biased_wrap) {
            /* a store: nothing is written, PE is not flagged */
            *q_out = 0;
            *be_out = 0;
            return;
        }
        be += 24576;
        if (be < 1) {
            /* fscale can go beyond what the bias adjustment brings back */
            x->exc |= SW_PE;
            set_c1(x, false);
            *q_out = 0;
            *be_out = 0;
            return;
        }
        tiny = false;
    }
    if (tiny) {
        shift += 1 - be;
        be = 0;
    }
    if (shift <= 127) {
        q = (uint64_t)(sig >> shift);
        rbit = (sig >> (shift - 1)) & 1;
        sticky = (sig & (((u128)1 << (shift - 1)) - 1)) != 0;
    } else if (shift == 128) {
        q = 0;
        rbit = (sig >> 127) & 1;
        sticky = (sig << 1) != 0;
    } else {
        q = 0;
        rbit = false;
        sticky = sig != 0;
    }
    inexact = rbit || sticky;
    switch (rc) {
    case 0:
        up = rbit && (sticky || (q & 1));
        break;
    case 1:
        up = inexact && sign;
        break;
    case 2:
        up = inexact && !sign;
        break;
    default:
        up = false;
        break;
    }
    if (up) {
        q++;
        if (q == 0) {           /* carry out of a 64-bit significand */
            q = 1ull << 63;
            be++;
        }
    }
    if (tiny) {
        if (inexact) {
            x->exc |= SW_UE;
        }
        if (q >> (f->prec - 1)) {
            be = 1;
        }
    } else if (f->prec < 64 && (q >> f->prec)) {
        q >>= 1;
        be++;
    }
    if (be > f->emax) {
        if (!(x->cw & SW_OE) && !f->biased_wrap) {
            x->exc |= SW_OE;    /* a store: nothing is written */
            *q_out = 0;
            *be_out = f->emax + 1;
            return;
        }
        if (f->biased_wrap && !(x->cw & SW_OE) && be - 24576 > f->emax) {
            /* fscale beyond the bias adjustment: infinity, "rounded up" */
            x->exc |= SW_OE | SW_PE;
            set_c1(x, true);
            *q_out = 0;
            *be_out = f->emax + 1;
            return;
        }
        if (f->biased_wrap && !(x->cw & SW_OE)) {
            be -= 24576;
            x->exc |= SW_OE;
        } else {
            bool to_inf = rc == 0 || (rc == 1 && sign) || (rc == 2 && !sign);
            x->exc |= SW_OE;
            inexact = true;
            if (to_inf) {
                be = f->emax + 1;
                q = 0;
                up = true;
            } else {
                be = f->emax;
                q = (f->prec == 64 ? ~0ull : (1ull << f->prec) - 1);
                up = false;
            }
        }
    }
    if (inexact) {
        x->exc |= SW_PE;
    }
    set_c1(x, inexact && up);
    *q_out = q;
    *be_out = be;
}

static F80 round80(SX *x, bool sign, int32_t exp, u128 sig)
{
    Fmt f = fmt_pc(x);
    uint64_t q;
    int32_t be;

    round_core(x, &f, sign, exp, sig, &q, &be);
    if (be > f.emax) {
        return make_inf(sign);
    }
    return (F80){ q << (64 - f.prec), (uint16_t)(sign << 15 | be) };
}

/* ---- Arithmetic ---- */

enum { OP_ADD, OP_MUL, OP_COM, OP_COMP, OP_SUB, OP_SUBR, OP_DIV, OP_DIVR };

static F80 do_addsub(SX *x, const U *a, const U *b, bool sub)
{
    bool sa = a->s, sb = b->s ^ sub, sign;
    int rc = (x->cw >> 10) & 3;
    u128 A, B, S;
    int32_t ea, eb, d;

    if (a->k == K_ZERO && b->k == K_ZERO) {
        return make_zero(sa == sb ? sa : rc == 1);
    }
    A = a->k == K_ZERO ? 0 : (u128)a->m << 63;
    B = b->k == K_ZERO ? 0 : (u128)b->m << 63;
    ea = a->k == K_ZERO ? b->e : a->e;
    eb = b->k == K_ZERO ? a->e : b->e;
    if (eb > ea || (eb == ea && B > A)) {
        u128 t = A;
        int32_t te = ea;
        bool ts = sa;
        A = B;
        B = t;
        ea = eb;
        eb = te;
        sa = sb;
        sb = ts;
    }
    d = ea - eb;
    if (d >= 127) {
        B = B != 0;
    } else if (d > 0) {
        bool lost = (B & (((u128)1 << d) - 1)) != 0;
        B = (B >> d) | lost;
    }
    sign = sa;
    S = sa == sb ? A + B : A - B;
    if (S == 0) {
        return make_zero(rc == 1);
    }
    d = clz128(S);
    return round80(x, sign, ea + 1 - d, S << d);
}

static F80 do_mul(SX *x, const U *a, const U *b)
{
    u128 p = (u128)a->m * b->m;
    int lz = clz128(p);

    return round80(x, a->s ^ b->s, a->e + b->e + 1 - lz, p << lz);
}

static F80 do_div(SX *x, const U *a, const U *b)
{
    u128 n = (u128)a->m << 64;
    u128 q = n / b->m, r = n % b->m, q2;
    int lz;

    q2 = q << 2 | ((r << 2) / b->m);
    r = (r << 2) % b->m;
    q2 |= r != 0;
    lz = clz128(q2);
    return round80(x, a->s ^ b->s, a->e - b->e - 66 + 127 - lz, q2 << lz);
}

static F80 do_sqrt(SX *x, const U *a)
{
    enum { D = 35, PAIRS = 34 + D };
    int32_t e = a->e - 63;
    u128 m = a->m, root = 0, rem = 0, q;
    int lz;

    if (e & 1) {
        m <<= 1;
        e -= 1;
    }
    for (int j = PAIRS - 1; j >= 0; j--) {
        unsigned digit = j >= D ? (unsigned)(m >> (2 * (j - D))) & 3 : 0;
        u128 trial;
        rem = rem << 2 | digit;
        trial = root << 2 | 1;
        if (rem >= trial) {
            rem -= trial;
            root = root << 1 | 1;
        } else {
            root <<= 1;
        }
    }
    q = root << 1 | (rem != 0);
    lz = clz128(q);
    return round80(x, false, e / 2 - D - 1 + 127 - lz, q << lz);
}

/*
 * dest = a op b (sub/div: a - b, a / b; the r forms are swapped by the
 * caller) with the x87's special cases.  Returns false if an unmasked
 * exception suppresses the result.
 */
static bool arith(SX *x, int op, F80 fa, F80 fb, F80 *res)
{
    U a = unpack80(fa), b = unpack80(fb);

    set_c1(x, false);
    if (a.k == K_BAD || b.k == K_BAD) {
        x->exc |= SW_IE;
        *res = f80_indef;
        return !no_result(x);
    }
    if (is_nan(&a) || is_nan(&b)) {
        if (a.k == K_SNAN || b.k == K_SNAN) {
            x->exc |= SW_IE;
        }
        *res = pick_nan(fa, &a, fb, &b);
        set_c1(x, false);
        return !no_result(x);
    }
    switch (op) {
    case OP_ADD:
    case OP_SUB:
        if (a.k == K_INF && b.k == K_INF && (a.s != (b.s ^ (op == OP_SUB)))) {
            x->exc |= SW_IE;
            *res = f80_indef;
            return !no_result(x);
        }
        break;
    case OP_MUL:
        if ((a.k == K_INF && b.k == K_ZERO) ||
            (a.k == K_ZERO && b.k == K_INF)) {
            x->exc |= SW_IE;
            *res = f80_indef;
            return !no_result(x);
        }
        break;
    case OP_DIV:
        if ((a.k == K_INF && b.k == K_INF) ||
            (a.k == K_ZERO && b.k == K_ZERO)) {
            x->exc |= SW_IE;
            *res = f80_indef;
            return !no_result(x);
        }
        if (b.k == K_ZERO && a.k != K_INF) {
            x->exc |= SW_ZE;
            *res = make_inf(a.s ^ b.s);
            set_c1(x, false);
            return !no_result(x);
        }
        break;
    }
    if (a.den || b.den || x->mem_den) {
        x->exc |= SW_DE;
        if (no_result(x)) {
            return false;
        }
    }
    set_c1(x, false);
    switch (op) {
    case OP_ADD:
    case OP_SUB:
        if (a.k == K_INF || b.k == K_INF) {
            *res = a.k == K_INF ? make_inf(a.s)
                                : make_inf(b.s ^ (op == OP_SUB));
            return true;
        }
        *res = do_addsub(x, &a, &b, op == OP_SUB);
        break;
    case OP_MUL:
        if (a.k == K_INF || b.k == K_INF) {
            *res = make_inf(a.s ^ b.s);
        } else if (a.k == K_ZERO || b.k == K_ZERO) {
            *res = make_zero(a.s ^ b.s);
        } else {
            *res = do_mul(x, &a, &b);
        }
        break;
    default: /* OP_DIV */
        if (a.k == K_INF) {
            *res = make_inf(a.s ^ b.s);
        } else if (a.k == K_ZERO || b.k == K_INF) {
            *res = make_zero(a.s ^ b.s);
        } else {
            *res = do_div(x, &a, &b);
        }
        break;
    }
    return !no_result(x);
}

/* C3 C2 C0 of a compare: 000 >, 001 <, 100 =, 111 unordered */
static uint16_t compare(SX *x, F80 fa, F80 fb, bool quiet_nan)
{
    U a = unpack80(fa), b = unpack80(fb);

    if (a.k == K_BAD || b.k == K_BAD || is_nan(&a) || is_nan(&b)) {
        if (a.k == K_BAD || b.k == K_BAD || a.k == K_SNAN ||
            b.k == K_SNAN || !quiet_nan) {
            x->exc |= SW_IE;
        }
        return SW_C3 | SW_C2 | SW_C0;
    }
    if (a.den || b.den || x->mem_den) {
        x->exc |= SW_DE;
    }
    if (a.k == K_ZERO && b.k == K_ZERO) {
        return SW_C3;
    }
    if (a.s != b.s) {
        return a.s ? SW_C0 : 0;
    }
    {
        /* same sign: compare magnitudes, zero below everything */
        int ca = a.k == K_INF ? 2 : a.k == K_ZERO ? 0 : 1;
        int cb = b.k == K_INF ? 2 : b.k == K_ZERO ? 0 : 1;
        int mag;

        if (ca != cb) {
            mag = ca > cb ? 1 : -1;
        } else if (ca != 1) {
            mag = 0;
        } else if (a.e != b.e) {
            mag = a.e > b.e ? 1 : -1;
        } else {
            mag = a.m == b.m ? 0 : a.m > b.m ? 1 : -1;
        }
        if (mag == 0) {
            return SW_C3;
        }
        return (mag > 0) != a.s ? 0 : SW_C0;
    }
}

/* ---- Conversions ---- */

/*
 * m32/m64 to 80 bits (exact).  A load (raw false) raises IE for an SNaN
 * and quiets it, and DE for a denormal; an arithmetic source operand
 * (raw true) keeps the SNaN and reports a denormal in *den, the
 * operation deciding by priority.
 */
static F80 from_float_raw(SX *x, uint64_t bits, int fbits, int ebits,
                          bool raw, bool *den)
{
    bool s = (bits >> (fbits + ebits)) & 1;
    uint32_t emask = (1u << ebits) - 1, bias = emask >> 1;
    uint32_t e = (bits >> fbits) & emask;
    uint64_t f = bits & ((1ull << fbits) - 1);

    if (e == emask) {
        if (!f) {
            return make_inf(s);
        }
        F80 nan = { 1ull << 63 | f << (63 - fbits),
                    (uint16_t)(s << 15 | 0x7fff) };
        if (raw) {
            return nan;
        }
        if (!((f >> (fbits - 1)) & 1)) {
            x->exc |= SW_IE;
        }
        return quiet(nan);
    }
    if (e == 0) {
        int lz;
        if (!f) {
            return make_zero(s);
        }
        if (raw) {
            *den = true;
        } else {
            x->exc |= SW_DE;
        }
        lz = __builtin_clzll(f);
        /* f * 2^(1 - bias - fbits) */
        return (F80){ f << lz, (uint16_t)(s << 15 |
                     (16383 + (int32_t)(1 - bias - fbits) + 63 - lz)) };
    }
    return (F80){ 1ull << 63 | f << (63 - fbits),
                  (uint16_t)(s << 15 | (e - bias + 16383)) };
}

static F80 from_float(SX *x, uint64_t bits, int fbits, int ebits)
{
    return from_float_raw(x, bits, fbits, ebits, false, NULL);
}

/* Store conversion to m32/m64 (no precision control, no DE) */
static uint64_t to_float(SX *x, F80 v, const Fmt *f)
{
    U u = unpack80(v);
    int fbits = f->prec - 1;
    int ebits = f->prec == 24 ? 8 : 11;
    uint64_t sign = (uint64_t)u.s << (fbits + ebits);
    uint64_t emax_all = ((1ull << ebits) - 1) << fbits;
    uint64_t q;
    int32_t be;

    set_c1(x, false);
    switch (u.k) {
    case K_BAD:
        x->exc |= SW_IE;
        /* the format's indefinite: negative QNaN */
        return emax_all | 1ull << (fbits - 1) | 1ull << (fbits + ebits);
    case K_SNAN:
        x->exc |= SW_IE;
        /* fall through */
    case K_QNAN:
        return sign | emax_all | 1ull << (fbits - 1) |
               ((u.m << 1) >> (64 - fbits));
    case K_INF:
        return sign | emax_all;
    case K_ZERO:
        set_c1(x, false);
        return sign;
    }
    round_core(x, f, u.s, u.e, (u128)u.m << 64, &q, &be);
    if (be > f->emax) {
        return sign | emax_all;
    }
    return sign | (uint64_t)be << fbits | (q & ((1ull << fbits) - 1));
}

/* fist/fisttp to a bits-wide signed integer; chop: fisttp */
static uint64_t to_int(SX *x, F80 v, int bits, bool chop)
{
    U u = unpack80(v);
    uint64_t indef = 1ull << (bits - 1);
    int rc = chop ? 3 : (x->cw >> 10) & 3;
    u128 mag, q;
    bool rbit, sticky, up;
    int sh;

    set_c1(x, false);
    if (u.k == K_BAD || u.k == K_INF || is_nan(&u)) {
        x->exc |= SW_IE;
        return indef;
    }
    if (u.k == K_ZERO) {
        return 0;
    }
    if (u.e > 64) {
        x->exc |= SW_IE;
        return indef;
    }
    /* the value is m * 2^(e - 63); work with 64 fraction bits */
    mag = (u128)u.m << 64;
    sh = 63 - u.e + 64;         /* bits below the integer point */
    if (sh >= 128) {
        q = 0;
        rbit = sh == 128 && (mag >> 127);
        sticky = sh == 128 ? (mag << 1) != 0 : mag != 0;
    } else {
        q = mag >> sh;
        rbit = (mag >> (sh - 1)) & 1;
        sticky = (mag & (((u128)1 << (sh - 1)) - 1)) != 0;
    }
    switch (rc) {
    case 0:
        up = rbit && (sticky || (q & 1));
        break;
    case 1:
        up = (rbit || sticky) && u.s;
        break;
    case 2:
        up = (rbit || sticky) && !u.s;
        break;
    default:
        up = false;
        break;
    }
    q += up;
    if (q > ((u128)1 << (bits - 1)) - (u.s ? 0 : 1)) {
        x->exc |= SW_IE;
        return indef;
    }
    if (rbit || sticky) {
        x->exc |= SW_PE;
        set_c1(x, up);
    }
    return u.s ? (uint64_t)-(int64_t)(uint64_t)q : (uint64_t)q;
}

/* frndint: round to an integer under the rounding control */
static F80 round_int(SX *x, F80 v)
{
    U u = unpack80(v);
    int rc = (x->cw >> 10) & 3;
    uint64_t q;
    bool rbit, sticky, up;
    int sh, lz;

    set_c1(x, false);
    if (u.k == K_BAD) {
        x->exc |= SW_IE;
        return f80_indef;
    }
    if (is_nan(&u)) {
        if (u.k == K_SNAN) {
            x->exc |= SW_IE;
        }
        return quiet(v);
    }
    if (u.den) {
        x->exc |= SW_DE;
        if (no_result(x)) {
            return v;
        }
    }
    if (u.k != K_NORM || u.e >= 63) {
        return v;               /* zero, infinity, already an integer */
    }
    if (u.e < 0) {
        q = 0;
        rbit = u.e == -1;
        sticky = u.e == -1 ? (u.m << 1) != 0 : true;
    } else {
        sh = 63 - u.e;
        q = u.m >> sh;
        rbit = (u.m >> (sh - 1)) & 1;
        sticky = (u.m & ((1ull << (sh - 1)) - 1)) != 0;
    }
    switch (rc) {
    case 0:
        up = rbit && (sticky || (q & 1));
        break;
    case 1:
        up = (rbit || sticky) && u.s;
        break;
    case 2:
        up = (rbit || sticky) && !u.s;
        break;
    default:
        up = false;
        break;
    }
    q += up;
    if (rbit || sticky) {
        x->exc |= SW_PE;
        set_c1(x, up);
    }
    if (!q) {
        return make_zero(u.s);
    }
    lz = __builtin_clzll(q);
    return (F80){ q << lz, (uint16_t)(u.s << 15 | (16383 + 63 - lz)) };
}

static F80 from_int(int64_t v)
{
    uint64_t m = v < 0 ? -(uint64_t)v : (uint64_t)v;
    int lz;

    if (!m) {
        return make_zero(false);
    }
    lz = __builtin_clzll(m);
    return (F80){ m << lz, (uint16_t)((v < 0) << 15 | (16383 + 63 - lz)) };
}

/* ---- Wide arithmetic for the transcendentals ---- */

/*
 * XF: sign, exponent and a 128-bit significand, value m * 2^(e - 127)
 * (bit 127 set, or m == 0 for zero).  The operations truncate; a series
 * evaluated in XF is good to about 2^-120 relative, so rounding it to the
 * 64-bit significand is correct except in rare near-halfway cases, where
 * the real x87 is not correctly rounded either.
 */
typedef struct XF {
    bool s;
    int32_t e;
    u128 m;
} XF;

static XF xf_make(bool s, int32_t e, u128 m)
{
    XF r = { s, e, m };

    if (!m) {
        r.e = 0;
        return r;
    }
    {
        int lz = clz128(m);
        r.m = m << lz;
        r.e = e - lz;
    }
    return r;
}

static XF xf_const(uint64_t hi, uint64_t lo, int32_t e)
{
    return (XF){ false, e, (u128)hi << 64 | lo };
}

static XF xf_from_u(const U *u)
{
    if (u->k == K_ZERO) {
        return (XF){ u->s, 0, 0 };
    }
    return (XF){ u->s, u->e, (u128)u->m << 64 };
}

static XF xf_from_int(int64_t v)
{
    uint64_t m = v < 0 ? -(uint64_t)v : (uint64_t)v;

    return xf_make(v < 0, 127, m);
}

static XF xf_neg(XF a)
{
    a.s = !a.s;
    return a;
}

static XF xf_abs(XF a)
{
    a.s = false;
    return a;
}

static XF xf_ldexp(XF a, int32_t n)
{
    if (a.m) {
        a.e += n;
    }
    return a;
}

static XF xf_mul(XF a, XF b)
{
    uint64_t ah = (uint64_t)(a.m >> 64), al = (uint64_t)a.m;
    uint64_t bh = (uint64_t)(b.m >> 64), bl = (uint64_t)b.m;
    u128 m1 = (u128)ah * bl, m2 = (u128)al * bh, lo = (u128)al * bl;
    u128 t = (lo >> 64) + (uint64_t)m1 + (uint64_t)m2;
    u128 hi = (u128)ah * bh + (m1 >> 64) + (m2 >> 64) + (t >> 64);

    if (!a.m || !b.m) {
        return (XF){ a.s ^ b.s, 0, 0 };
    }
    return xf_make(a.s ^ b.s, a.e + b.e + 1, hi);
}

static XF xf_add(XF a, XF b)
{
    u128 A, B;
    int32_t d;

    if (!b.m) {
        return a;
    }
    if (!a.m) {
        return b;
    }
    if (b.e > a.e || (b.e == a.e && b.m > a.m)) {
        XF t = a;
        a = b;
        b = t;
    }
    d = a.e - b.e + 1;
    A = a.m >> 1;
    /* a sticky bit keeps the direction of a tail shifted out */
    if (d >= 128) {
        B = 1;
    } else {
        B = (b.m >> d) | ((b.m & (((u128)1 << d) - 1)) != 0);
    }
    return xf_make(a.s, a.e + 1, a.s == b.s ? A + B : A - B);
}

static XF xf_sub(XF a, XF b)
{
    return xf_add(a, xf_neg(b));
}

static XF xf_div(XF a, XF b)
{
    u128 r = a.m, q = 0;
    bool carry = false;         /* r's implicit bit 128 */

    if (!a.m) {
        return (XF){ a.s ^ b.s, 0, 0 };
    }
    for (int i = 0; i < 128; i++) {
        q <<= 1;
        if (carry || r >= b.m) {
            r -= b.m;           /* modulo 2^128: right with the carry */
            q |= 1;
        }
        carry = r >> 127;
        r <<= 1;
    }
    return xf_make(a.s ^ b.s, a.e - b.e, q);
}

static XF xf_div_small(XF a, uint32_t n)
{
    u128 q = a.m / n, r = a.m % n;
    uint64_t q2 = (uint64_t)((r << 64) / n);
    int lz;

    if (!q) {
        return (XF){ a.s, 0, 0 };
    }
    lz = clz128(q);
    return (XF){ a.s, a.e - lz, q << lz | (lz ? (u128)q2 >> (64 - lz) : 0) };
}

/* Below the sum's last bit by enough that the series can stop */
static bool xf_negligible(XF term, XF sum)
{
    return !term.m || (sum.m && term.e < sum.e - 132);
}

/* ---- Transcendental kernels ---- */

static XF xf_ln2(void)
{
    return xf_const(0xb17217f7d1cf79abull, 0xc9e3b39803f2f6afull, -1);
}

static XF xf_log2e(void)
{
    return xf_const(0xb8aa3b295c17f0bbull, 0xbe87fed0691d3e89ull, 0);
}

static XF xf_pi(void)
{
    return xf_const(0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull, 1);
}

/*
 * The series below sum their tail (everything after the leading term)
 * first and add the leading term last, so that the sticky bit of that
 * one addition tells the direction of the whole tail.
 */

/* 2 atanh(s) = ln((1 + s) / (1 - s)), |s| < 0.2 */
static XF xf_2atanh(XF s)
{
    XF s2 = xf_mul(s, s), pw = s, tail = { 0 };

    for (uint32_t k = 3; k < 400; k += 2) {
        XF term;
        pw = xf_mul(pw, s2);
        term = xf_div_small(pw, k);
        tail = xf_add(tail, term);
        if (xf_negligible(term, tail)) {
            break;
        }
    }
    return xf_ldexp(xf_add(s, tail), 1);
}

/* log2 of a positive normal value m * 2^(e - 63) (the XF form of it) */
static XF xf_log2(XF v, bool *exact)
{
    int32_t e = v.e;
    XF one = xf_from_int(1), m = { false, 0, v.m }, lnm;

    /* m in [sqrt(1/2), sqrt(2)) */
    if (v.m >= ((u128)0xb504f333f9de6484ull << 64)) {
        m.e = -1;
        e++;
    }
    *exact = m.m == ((u128)1 << 127) && m.e == 0;
    if (*exact) {
        return xf_from_int(e);
    }
    lnm = xf_2atanh(xf_div(xf_sub(m, one), xf_add(m, one)));
    return xf_add(xf_from_int(e), xf_mul(lnm, xf_log2e()));
}

/* e^t - 1, |t| <= 1 */
static XF xf_expm1(XF t)
{
    XF term = t, tail = { 0 };

    for (uint32_t n = 2; n < 400; n++) {
        term = xf_div_small(xf_mul(term, t), n);
        tail = xf_add(tail, term);
        if (xf_negligible(term, tail)) {
            break;
        }
    }
    return xf_add(t, tail);
}

/* sin and cos of |r| <= pi/4 */
static void xf_sincos(XF r, XF *sn, XF *cs)
{
    XF r2 = xf_mul(r, r), term = r, tail = { 0 };

    for (uint32_t k = 2; k < 200; k += 2) {
        term = xf_neg(xf_div_small(xf_div_small(xf_mul(term, r2), k), k + 1));
        tail = xf_add(tail, term);
        if (xf_negligible(term, tail)) {
            break;
        }
    }
    *sn = xf_add(r, tail);
    term = xf_from_int(1);
    tail = (XF){ 0 };
    for (uint32_t k = 1; k < 200; k += 2) {
        term = xf_neg(xf_div_small(xf_div_small(xf_mul(term, r2), k), k + 1));
        tail = xf_add(tail, term);
        if (xf_negligible(term, tail)) {
            break;
        }
    }
    *cs = xf_add(xf_from_int(1), tail);
}

/* atan(k/8), k = 1..8 */
static const uint64_t atan_tab[8][2] = {
    { 0xfeadd4d5617b6e32ull, 0xc897989f3e888ef8ull },
    { 0xfadbafc96406eb15ull, 0x6dc79ef5f7a217e6ull },
    { 0xb7b0ca0f26f78473ull, 0x8aa32122dcfe4483ull },
    { 0xed63382b0dda7b45ull, 0x6fe445ecbc3a8d03ull },
    { 0x8f005d5ef7f59f9bull, 0x5c835e1665c43748ull },
    { 0xa4bc7d1934f70924ull, 0x19a87f2a457dac9full },
    { 0xb8053e2bc2319e73ull, 0xcb2da55210a4443dull },
    { 0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull },
};
static const int8_t atan_tab_e[8] = { -4, -3, -2, -2, -1, -1, -1, -1 };

/* atan(z), 0 <= z <= 1: atan(k/8) + atan((z - k/8) / (1 + z k/8)) */
static XF xf_atan01(XF z)
{
    int shift = 127 - (z.e + 4);
    unsigned k = z.m && shift < 128 ? (unsigned)((z.m >> shift) + 1) / 2 : 0;
    XF t = z, t2, pw, sum;

    if (k > 8) {
        k = 8;
    }
    if (k) {
        XF c = xf_make(false, 127 - 3, k);
        t = xf_div(xf_sub(z, c), xf_add(xf_from_int(1), xf_mul(z, c)));
    }
    t2 = xf_mul(t, t);
    pw = t;
    sum = (XF){ 0 };
    for (uint32_t n = 3; n < 400; n += 2) {
        XF term;
        pw = xf_neg(xf_mul(pw, t2));
        term = xf_div_small(pw, n);
        sum = xf_add(sum, term);
        if (xf_negligible(term, sum)) {
            break;
        }
    }
    sum = xf_add(t, sum);
    if (k) {
        sum = xf_add(xf_const(atan_tab[k - 1][0], atan_tab[k - 1][1],
                              atan_tab_e[k - 1]), sum);
    }
    return sum;
}

/* Round to the 64-bit significand, ignoring the precision control */
static F80 round_xf(SX *x, XF v, bool exact)
{
    static const Fmt f = { 64, 16383, 0x7ffe, true };
    uint64_t q;
    int32_t be;

    if (!v.m) {
        set_c1(x, false);
        return make_zero(v.s);
    }
    if (v.e == -16383 && (uint64_t)(v.m >> 64) == ~0ull) {
        /*
         * Just below the smallest normal: the transcendental unit detects
         * tininess after rounding, so rounding up to it is no underflow.
         */
        int rc = (x->cw >> 10) & 3;
        bool up = rc == 0 ? (uint64_t)v.m >> 63 : rc == (v.s ? 1 : 2);
        if (up) {
            x->exc |= SW_PE;
            set_c1(x, true);
            return (F80){ 1ull << 63, (uint16_t)(v.s << 15 | 1) };
        }
    }
    round_core(x, &f, v.s, v.e, v.m | !exact, &q, &be);
    if (be > f.emax) {
        return make_inf(v.s);
    }
    return (F80){ q, (uint16_t)(v.s << 15 | be) };
}

/* ---- Instructions ---- */

static uint64_t ld_le(const uint8_t *p, int n)
{
    uint64_t v = 0;

    for (int i = n - 1; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}

static void st_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static F80 ld80(const uint8_t *p)
{
    return (F80){ ld_le(p, 8), (uint16_t)ld_le(p + 8, 2) };
}

static void st80(uint8_t *p, F80 v)
{
    st_le(p, v.m, 8);
    st_le(p + 8, v.se, 2);
}

/* The memory operand of a D8/DA/DC/DE arithmetic form as an 80-bit value */
static F80 mem_operand(SX *x, unsigned b, const uint8_t *mem)
{
    switch (b) {
    case 0xd8:
        return from_float_raw(x, ld_le(mem, 4), 23, 8, true, &x->mem_den);
    case 0xdc:
        return from_float_raw(x, ld_le(mem, 8), 52, 11, true, &x->mem_den);
    case 0xda:
        return from_int((int32_t)ld_le(mem, 4));
    default:
        return from_int((int16_t)ld_le(mem, 2));
    }
}

/* ST(d) = a op b; reg: the ModRM reg field (add mul - - sub subr div divr) */
static void arith_insn(SX *x, int reg, F80 a, F80 b, int d, bool pop)
{
    F80 res;
    bool ok;

    switch (reg) {
    case 0:
        ok = arith(x, OP_ADD, a, b, &res);
        break;
    case 1:
        ok = arith(x, OP_MUL, a, b, &res);
        break;
    case 4:
        ok = arith(x, OP_SUB, a, b, &res);
        break;
    case 5:
        ok = arith(x, OP_SUB, b, a, &res);
        break;
    case 6:
        ok = arith(x, OP_DIV, a, b, &res);
        break;
    default:
        ok = arith(x, OP_DIV, b, a, &res);
        break;
    }
    if (!ok) {
        return;
    }
    st_set(x, d, res);
    if (pop) {
        st_pop(x);
    }
}

static void compare_insn(SX *x, F80 b, bool have_b, int i, int pops,
                         bool quiet_nan, bool eflags, uint64_t *fl)
{
    uint16_t cc;

    bool stop;

    if (st_empty(x, 0) || (!have_b && st_empty(x, i))) {
        stop = stack_fault(x, false);
        cc = SW_C3 | SW_C2 | SW_C0;
    } else {
        /* fcom clears C1; fcomi leaves it alone */
        if (!eflags) {
            set_c1(x, false);
        }
        cc = compare(x, *st(x, 0), have_b ? b : *st(x, i), quiet_nan);
        stop = no_result(x);
    }
    /* the condition codes are set even when an unmasked IE stops the pops */
    if (eflags) {
        *fl = (*fl & ~(uint64_t)0x8d5) | ((cc & SW_C3) ? EF_ZF : 0) |
              ((cc & SW_C2) ? EF_PF : 0) | ((cc & SW_C0) ? EF_CF : 0);
    } else {
        x->sw = (x->sw & ~(SW_C0 | SW_C2 | SW_C3)) | cc;
    }
    if (stop) {
        return;
    }
    while (pops--) {
        st_pop(x);
    }
}

static bool push_check(SX *x)
{
    if (!st_empty(x, 7)) {
        if (!stack_fault(x, true)) {
            st_push(x, f80_indef);
        }
        return false;
    }
    return true;
}

static void to_bcd(SX *x, F80 v, uint8_t *mem);

/* fst/fist family to memory; returns false if the instruction is unknown */
static void store_insn(SX *x, unsigned b, unsigned reg, uint8_t *mem)
{
    F80 v = *st(x, 0);
    bool pop = reg != 2;

    if (st_empty(x, 0)) {
        if (stack_fault(x, false)) {
            return;
        }
        v = f80_indef;
    }
    switch (b << 4 | reg) {
    case 0xd92: case 0xd93:
        st_le(mem, to_float(x, v, &fmt32), 4);
        break;
    case 0xdd2: case 0xdd3:
        st_le(mem, to_float(x, v, &fmt64), 8);
        break;
    case 0xdb7:
        st80(mem, v);
        set_c1(x, false);
        break;
    case 0xdf1: case 0xdf2: case 0xdf3:
        st_le(mem, to_int(x, v, 16, reg == 1), 2);
        break;
    case 0xdb1: case 0xdb2: case 0xdb3:
        st_le(mem, to_int(x, v, 32, reg == 1), 4);
        break;
    case 0xdd1: case 0xdf7:
        st_le(mem, to_int(x, v, 64, reg == 1), 8);
        break;
    case 0xdf6:
        to_bcd(x, v, mem);
        break;
    }
    if (x->exc & ~x->cw & (SW_IE | SW_ZE | SW_DE | SW_OE | SW_UE)) {
        return;
    }
    if (pop) {
        st_pop(x);
    }
}

static bool fcmov_cond(unsigned b, unsigned modrm, uint64_t fl)
{
    bool c;

    switch ((modrm >> 3) & 3) {
    case 0:
        c = fl & EF_CF;
        break;
    case 1:
        c = fl & EF_ZF;
        break;
    case 2:
        c = fl & (EF_CF | EF_ZF);
        break;
    default:
        c = fl & EF_PF;
        break;
    }
    return b == 0xdb ? !c : c;
}

/* ---- Constants, fxtract, fscale, fprem, BCD, transcendentals ---- */

/*
 * fldl2t ... fldln2: the x87 holds the constants with more than 64 bits
 * and rounds them under the rounding control (not the precision
 * control), without flagging PE.  dir: the round-to-nearest value is
 * above (+1) or below (-1) the true constant.
 */
static void insn_fldconst(SX *x, unsigned modrm)
{
    static const struct {
        uint64_t m;
        uint16_t se;
        int8_t dir;
    } c[5] = {
        { 0xd49a784bcd1b8afeull, 0x4000, -1 },     /* log2(10) */
        { 0xb8aa3b295c17f0bcull, 0x3fff, 1 },      /* log2(e) */
        { 0xc90fdaa22168c235ull, 0x4000, 1 },      /* pi */
        { 0x9a209a84fbcff799ull, 0x3ffd, 1 },      /* log10(2) */
        { 0xb17217f7d1cf79acull, 0x3ffe, 1 },      /* ln(2) */
    };
    int rc = (x->cw >> 10) & 3, i = modrm - 0xe9;
    F80 v = { c[i].m, c[i].se };

    if (!push_check(x)) {
        return;
    }
    if (c[i].dir > 0 && (rc == 1 || rc == 3)) {
        v.m--;
    } else if (c[i].dir < 0 && rc == 2) {
        v.m++;
    }
    set_c1(x, false);
    st_push(x, v);
}

/*
 * ST(0) and ST(1) both in use?  If not, a stack underflow, whose masked
 * response writes the indefinite to ST(dst) (and pops).
 */
static bool need_two(SX *x, int dst, bool pop)
{
    if (!st_empty(x, 0) && !st_empty(x, 1)) {
        return true;
    }
    if (!stack_fault(x, false)) {
        st_set(x, dst, f80_indef);
        if (pop) {
            st_pop(x);
        }
    }
    return false;
}

/* Unsupported formats and NaN operands; true when they decide *res */
static bool nan_operands(SX *x, F80 fa, const U *a, F80 fb, const U *b,
                         F80 *res)
{
    if (a->k == K_BAD || b->k == K_BAD) {
        x->exc |= SW_IE;
        *res = f80_indef;
        return true;
    }
    if (is_nan(a) || is_nan(b)) {
        if (a->k == K_SNAN || b->k == K_SNAN) {
            x->exc |= SW_IE;
        }
        *res = pick_nan(fa, a, fb, b);
        return true;
    }
    return false;
}

static F80 invalid(SX *x)
{
    x->exc |= SW_IE;
    return f80_indef;
}

/* Flags the denormal operands; true when an unmasked DE stops here */
static bool denormal_stop(SX *x, const U *a, const U *b)
{
    if (a->den || (b && b->den)) {
        x->exc |= SW_DE;
    }
    return no_result(x);
}

/* The result of a two-operand instruction to ST(dst), then the pop */
static void put_result(SX *x, int dst, bool pop, F80 res)
{
    if (no_result(x)) {
        return;
    }
    st_set(x, dst, res);
    if (pop) {
        st_pop(x);
    }
}

/*
 * The start of the two-operand instructions (fscale, fprem, fyl2x,
 * fpatan): both registers in use (else the stack fault's answer), C1
 * cleared, unsupported formats and NaN operands answered in ST(dst)
 * (then the pop).  True when the instruction goes on.
 */
static bool two_operands(SX *x, int dst, bool pop, F80 fa, const U *a,
                         F80 fb, const U *b)
{
    F80 res;

    if (!need_two(x, dst, pop)) {
        return false;
    }
    set_c1(x, false);
    if (nan_operands(x, fa, a, fb, b, &res)) {
        put_result(x, dst, pop, res);
        return false;
    }
    return true;
}

static void insn_fxtract(SX *x)
{
    F80 v = *st(x, 0), sig;
    U u = unpack80(v);

    if (st_empty(x, 0) || !st_empty(x, 7)) {
        if (!stack_fault(x, !st_empty(x, 0))) {
            st_set(x, 0, f80_indef);
            st_push(x, f80_indef);
        }
        return;
    }
    set_c1(x, false);
    if (u.k == K_BAD) {
        v = sig = invalid(x);
    } else if (is_nan(&u)) {
        if (u.k == K_SNAN) {
            x->exc |= SW_IE;
        }
        v = sig = quiet(v);
    } else if (u.k == K_ZERO) {
        x->exc |= SW_ZE;
        sig = v;
        v = make_inf(true);
    } else if (u.k == K_INF) {
        sig = v;
        v = make_inf(false);
    } else {
        if (denormal_stop(x, &u, NULL)) {
            return;
        }
        sig = (F80){ u.m, (uint16_t)(u.s << 15 | 0x3fff) };
        v = from_int(u.e);
    }
    if (no_result(x)) {
        return;
    }
    st_set(x, 0, v);
    st_push(x, sig);
}

static void insn_fscale(SX *x)
{
    F80 fa = *st(x, 0), fb = *st(x, 1), res;
    U a = unpack80(fa), b = unpack80(fb);
    int32_t n;

    if (!two_operands(x, 0, false, fa, &a, fb, &b)) {
        return;
    }
    if (b.k == K_INF) {
        if ((!b.s && a.k == K_ZERO) || (b.s && a.k == K_INF)) {
            res = invalid(x);
        } else {
            if (denormal_stop(x, &a, NULL)) {
                return;
            }
            res = b.s ? make_zero(a.s) : make_inf(a.s);
        }
        put_result(x, 0, false, res);
        return;
    }
    if (denormal_stop(x, &a, &b)) {
        return;
    }
    if (a.k != K_NORM) {
        put_result(x, 0, false, fa);
        return;
    }
    if (b.k == K_ZERO || b.e < 0) {
        n = 0;
    } else if (b.e > 20) {
        n = 1 << 21;
    } else {
        n = (int32_t)(b.m >> (63 - b.e));
    }
    if (b.s) {
        n = -n;
    }
    res = round_xf(x, xf_ldexp(xf_from_u(&a), n), true);
    put_result(x, 0, false, res);
}

/*
 * fprem (truncated quotient) and fprem1 (quotient rounded to nearest):
 * exact, with the quotient's low bits in C0 C3 C1.  An exponent
 * difference d of 64 or more gives a partial remainder (C2 set): the
 * quotient's top N bits are removed, N = 32 + (d - 32) mod 32 (what the
 * hardware does; the SDM only says 32 to 63).
 */

static void insn_fprem(SX *x, bool ieee)
{
    F80 fa = *st(x, 0), fb = *st(x, 1), res;
    U a = unpack80(fa), b = unpack80(fb);
    uint64_t q = 0;
    u128 rem, B;
    int32_t d, unit;
    bool neg;

    x->sw &= ~SW_C2;
    if (!two_operands(x, 0, false, fa, &a, fb, &b)) {
        return;
    }
    if (a.k == K_INF || b.k == K_ZERO) {
        put_result(x, 0, false, invalid(x));
        return;
    }
    if (denormal_stop(x, &a, &b)) {
        return;
    }
    if (a.k == K_ZERO || b.k == K_INF) {
        /* a denormal goes through the underflow response */
        if (a.k == K_NORM) {
            fa = round_xf(x, xf_from_u(&a), true);
        }
        x->sw &= ~(SW_C0 | SW_C1 | SW_C3);
        put_result(x, 0, false, fa);
        return;
    }
    d = a.e - b.e;
    B = b.m;
    neg = a.s;
    if (d >= 64) {
        /* partial: a - b * trunc(a / (b * 2^(d - N))) * 2^(d - N) */
        int n = 32 + (d - 32) % 32;
        rem = a.m % B;
        for (int i = 0; i < n; i++) {
            rem <<= 1;
            if (rem >= B) {
                rem -= B;
            }
        }
        unit = a.e - 63 - n;            /* rem's units: 2^unit */
        x->sw |= SW_C2;
        res = round_xf(x, xf_make(neg, unit + 127, rem), true);
        set_c1(x, false);
        put_result(x, 0, false, res);
        return;
    }
    if (d < 0) {
        /* |a| < |b|: the quotient is 0, or 1 for fprem1 above |b| / 2 */
        rem = a.m;
        unit = a.e - 63;
        if (ieee && d == -1 && a.m > b.m) {
            rem = ((u128)b.m << 1) - a.m;
            q = 1;
            neg = !neg;
        }
    } else {
        rem = a.m;
        if (rem >= B) {
            rem -= B;
            q = 1;
        }
        for (int i = 0; i < d; i++) {
            rem <<= 1;
            q <<= 1;
            if (rem >= B) {
                rem -= B;
                q |= 1;
            }
        }
        unit = b.e - 63;
        if (ieee && (rem * 2 > B || (rem * 2 == B && (q & 1)))) {
            rem = B - rem;
            q++;
            neg = !neg;
        }
    }
    res = rem ? round_xf(x, xf_make(neg, unit + 127, rem), true)
              : make_zero(a.s);
    x->sw &= ~(SW_C0 | SW_C1 | SW_C3);
    x->sw |= (q & 4 ? SW_C0 : 0) | (q & 2 ? SW_C3 : 0) | (q & 1 ? SW_C1 : 0);
    put_result(x, 0, false, res);
}

/* fbld: 18 packed BCD digits and a sign byte */
static F80 from_bcd(const uint8_t *mem)
{
    int64_t v = 0;
    F80 r;

    for (int i = 8; i >= 0; i--) {
        v = v * 100 + (mem[i] >> 4) * 10 + (mem[i] & 15);
    }
    r = from_int(v);
    r.se |= (mem[9] & 0x80) << 8;
    return r;
}

/* fbstp: round to an integer; beyond 18 digits the BCD indefinite */
static void to_bcd(SX *x, F80 v, uint8_t *mem)
{
    static const uint64_t max = 999999999999999999ull;
    U u = unpack80(v);
    uint16_t exc = x->exc;
    uint64_t q;

    memset(mem, 0, 10);
    q = to_int(x, v, 64, false);
    if ((x->exc & SW_IE) && !(exc & SW_IE)) {
        goto indefinite;
    }
    if (u.s) {
        q = -q;
    }
    if (q > max) {
        x->exc = exc | SW_IE;
        set_c1(x, false);
        goto indefinite;
    }
    for (int i = 0; i < 9; i++) {
        mem[i] = (uint8_t)(q % 10 | (q / 10 % 10) << 4);
        q /= 100;
    }
    mem[9] = u.s ? 0x80 : 0;
    return;
indefinite:
    mem[7] = 0xc0;
    mem[8] = 0xff;
    mem[9] = 0xff;
}

/* 2^x - 1 */
static void insn_f2xm1(SX *x)
{
    F80 v = *st(x, 0);
    U u = unpack80(v);
    XF r;

    if (st_empty(x, 0)) {
        if (!stack_fault(x, false)) {
            st_set(x, 0, f80_indef);
        }
        return;
    }
    set_c1(x, false);
    if (u.k == K_BAD) {
        v = invalid(x);
    } else if (is_nan(&u)) {
        if (u.k == K_SNAN) {
            x->exc |= SW_IE;
        }
        v = quiet(v);
    } else if (u.k == K_INF) {
        v = u.s ? (F80){ 1ull << 63, 0xbfff } : v;
    } else if (u.k == K_NORM) {
        if (denormal_stop(x, &u, NULL)) {
            return;
        }
        if (u.e == 0 && u.m == 1ull << 63) {
            /*
             * 2^-1 - 1 is exact, 2^1 - 1 comes out as if from below;
             * both inexact (as AMD's)
             */
            v = u.s ? (F80){ 1ull << 63, 0xbffe }
                    : round_xf(x, xf_make(false, -1, ~(u128)0), false);
            x->exc |= SW_PE;
        } else if (u.e >= 0) {
            /* outside [-1, 1], undefined: unchanged, inexact (as AMD's) */
            x->exc |= SW_PE;
        } else {
            r = xf_expm1(xf_mul(xf_from_u(&u), xf_ln2()));
            v = round_xf(x, r, false);
        }
    }
    if (!no_result(x)) {
        st_set(x, 0, v);
    }
}

/* fyl2x, fyl2xp1: ST(1) = ST(1) * log2(ST(0) (+ 1)), pop */
static void insn_fyl2x(SX *x, bool plus1)
{
    F80 fx = *st(x, 0), fy = *st(x, 1), res;
    U ux = unpack80(fx), uy = unpack80(fy);
    bool exact, small;
    XF l;

    if (!two_operands(x, 1, true, fx, &ux, fy, &uy)) {
        return;
    }
    if (plus1) {
        /* log2(1 + x) has the sign of x; x < -1 is outside the domain */
        bool below = ux.s && ux.k != K_ZERO &&
                     (ux.k == K_INF || ux.e >= 0);
        if (below && ux.k == K_INF) {
            res = invalid(x);
        } else if (below) {
            /* x <= -1, undefined: x, inexact (as AMD's) */
            if (denormal_stop(x, &uy, NULL)) {
                return;
            }
            x->exc |= SW_PE;
            res = fx;
        } else if (ux.k == K_ZERO || uy.k == K_ZERO) {
            if ((ux.k == K_ZERO && uy.k == K_INF) ||
                (uy.k == K_ZERO && ux.k == K_INF)) {
                res = invalid(x);
            } else {
                if (denormal_stop(x, &ux, &uy)) {
                    return;
                }
                res = make_zero(ux.s ^ uy.s);
            }
        } else if (ux.k == K_INF || uy.k == K_INF) {
            if (denormal_stop(x, &ux, &uy)) {
                return;
            }
            res = make_inf(ux.s ^ uy.s);
        } else {
            if (denormal_stop(x, &ux, &uy)) {
                return;
            }
            if (ux.e < -1) {
                XF xv = xf_from_u(&ux);
                l = xf_mul(xf_2atanh(xf_div(xv, xf_add(xf_from_int(2), xv))),
                           xf_log2e());
            } else {
                l = xf_log2(xf_add(xf_from_int(1), xf_from_u(&ux)), &exact);
            }
            res = round_xf(x, xf_mul(xf_from_u(&uy), l), false);
        }
        put_result(x, 1, true, res);
        return;
    }
    if (ux.s && ux.k != K_ZERO) {
        res = invalid(x);
    } else if (ux.k == K_ZERO) {
        if (uy.k == K_ZERO) {
            res = invalid(x);
        } else {
            /* divide-by-zero, without a denormal y's DE */
            if (uy.k != K_INF) {
                x->exc |= SW_ZE;
            }
            res = make_inf(!uy.s);
        }
    } else if (ux.k == K_INF) {
        if (uy.k == K_ZERO) {
            res = invalid(x);
        } else {
            if (denormal_stop(x, &uy, NULL)) {
                return;
            }
            res = make_inf(uy.s);
        }
    } else {
        bool one = ux.e == 0 && ux.m == 1ull << 63;
        small = ux.e < 0;
        if (uy.k == K_INF && one) {
            res = invalid(x);
        } else if (uy.k == K_INF || uy.k == K_ZERO || one) {
            if (denormal_stop(x, &ux, &uy)) {
                return;
            }
            res = uy.k == K_INF ? make_inf(uy.s ^ small)
                                : make_zero(uy.s ^ (small && !one));
        } else {
            if (denormal_stop(x, &ux, &uy)) {
                return;
            }
            l = xf_log2(xf_from_u(&ux), &exact);
            res = round_xf(x, xf_mul(xf_from_u(&uy), l), exact);
            /* inexact even when exact, as the hardware: tiny underflows */
            x->exc |= SW_PE;
            if (!(res.se & 0x7fff) && res.m) {
                x->exc |= SW_UE;
            }
        }
    }
    put_result(x, 1, true, res);
}

static XF xf_pi_frac(unsigned num, unsigned den_log2)
{
    XF p = xf_pi();

    if (num == 3) {
        p = xf_add(p, xf_ldexp(p, 1));
    }
    return xf_ldexp(p, -(int32_t)den_log2);
}

/* fpatan: ST(1) = atan2(ST(1), ST(0)), pop */
static void insn_fpatan(SX *x)
{
    F80 fx = *st(x, 0), fy = *st(x, 1), res;
    U ux = unpack80(fx), uy = unpack80(fy);
    bool zero = false;
    XF a;

    if (!two_operands(x, 1, true, fx, &ux, fy, &uy)) {
        return;
    }
    if (denormal_stop(x, &ux, &uy)) {
        return;
    }
    /* every result has the sign of y (rounded with it) */
    if (uy.k == K_ZERO || (ux.k == K_INF && uy.k != K_INF)) {
        zero = !ux.s;
        a = xf_pi();
    } else if (ux.k == K_ZERO) {
        a = xf_pi_frac(1, 1);
    } else if (uy.k == K_INF) {
        a = ux.k != K_INF ? xf_pi_frac(1, 1) : xf_pi_frac(ux.s ? 3 : 1, 2);
    } else {
        XF ay = xf_abs(xf_from_u(&uy)), ax = xf_abs(xf_from_u(&ux));
        if (uy.e < ux.e || (uy.e == ux.e && uy.m <= ux.m)) {
            a = xf_atan01(xf_div(ay, ax));
        } else {
            a = xf_sub(xf_pi_frac(1, 1), xf_atan01(xf_div(ax, ay)));
        }
        if (ux.s) {
            a = xf_sub(xf_pi(), a);
        }
    }
    a.s = uy.s;
    res = zero ? make_zero(uy.s) : round_xf(x, a, false);
    put_result(x, 1, true, res);
}

/*
 * x = k * P + r, |r| <= P / 2, exactly, where P is the x87's 66-bit
 * approximation of pi/2 (which makes large arguments come out as on the
 * x87, not as the true sine); returns r and k mod 4.
 */
static XF trig_reduce(const U *u, unsigned *quadrant)
{
    static const u128 P = (u128)3 << 64 | 0x243f6a8885a308d3ull;
    int32_t n = u->e + 2;
    unsigned q = 0;
    u128 rem = u->m;
    bool neg = false;

    if (n < 0) {
        *quadrant = 0;
        return (XF){ false, u->e, (u128)u->m << 64 };
    }
    for (int i = 0; i < n; i++) {
        rem <<= 1;
        q <<= 1;
        if (rem >= P) {
            rem -= P;
            q |= 1;
        }
    }
    if (rem > P / 2) {
        rem = P - rem;
        q++;
        neg = true;
    }
    *quadrant = q & 3;
    return xf_make(neg, 127 - 65, rem);
}

/* fsin (fe), fcos (ff), fsincos (fb), fptan (f2) */
static void insn_trig(SX *x, unsigned modrm)
{
    bool push = modrm == 0xfb || modrm == 0xf2;
    F80 v = *st(x, 0), r0, r1 = { 1ull << 63, 0x3fff };
    U u = unpack80(v);
    XF r, sn, cs, s, c;
    unsigned quad;

    x->sw &= ~SW_C2;
    if (st_empty(x, 0) || (push && !st_empty(x, 7))) {
        if (!stack_fault(x, !st_empty(x, 0))) {
            st_set(x, 0, f80_indef);
            if (push) {
                st_push(x, f80_indef);
            }
        }
        return;
    }
    set_c1(x, false);
    if (u.k == K_BAD || u.k == K_INF) {
        r0 = r1 = invalid(x);
    } else if (is_nan(&u)) {
        if (u.k == K_SNAN) {
            x->exc |= SW_IE;
        }
        r0 = r1 = quiet(v);
    } else if (u.k == K_ZERO) {
        r0 = modrm == 0xff ? r1 : v;
        if (modrm == 0xfb) {
            r1 = (F80){ 1ull << 63, 0x3fff };
        }
    } else if (u.e >= 63) {
        x->sw |= SW_C2;
        return;
    } else {
        if (denormal_stop(x, &u, NULL)) {
            return;
        }
        r = trig_reduce(&u, &quad);
        xf_sincos(r, &sn, &cs);
        switch (quad) {
        case 0:
            s = sn;
            c = cs;
            break;
        case 1:
            s = cs;
            c = xf_neg(sn);
            break;
        case 2:
            s = xf_neg(sn);
            c = xf_neg(cs);
            break;
        default:
            s = xf_neg(cs);
            c = sn;
            break;
        }
        if (u.s) {
            s = xf_neg(s);
        }
        switch (modrm) {
        case 0xfe:
            r0 = round_xf(x, s, false);
            break;
        case 0xff:
            r0 = round_xf(x, c, false);
            break;
        case 0xf2:
            r0 = round_xf(x, xf_div(s, c), false);
            break;
        default:
            /* C1 tells of the sine's rounding */
            r1 = round_xf(x, c, false);
            r0 = round_xf(x, s, false);
            break;
        }
    }
    if (no_result(x)) {
        return;
    }
    st_set(x, 0, r0);
    if (push) {
        st_push(x, r1);
    }
}

static bool exec_mem(SX *x, unsigned b, unsigned reg, uint8_t *mem)
{
    switch (b) {
    case 0xd8: case 0xda: case 0xdc: case 0xde: {
        F80 v;
        if (reg == 2 || reg == 3) {
            if (st_empty(x, 0)) {
                compare_insn(x, f80_indef, true, 0, reg == 3, false, false,
                             NULL);
                return true;
            }
            v = mem_operand(x, b, mem);
            compare_insn(x, v, true, 0, reg == 3, false, false, NULL);
            return true;
        }
        if (st_empty(x, 0)) {
            if (!stack_fault(x, false)) {
                st_set(x, 0, f80_indef);
            }
            return true;
        }
        v = mem_operand(x, b, mem);
        if (no_result(x)) {
            return true;
        }
        arith_insn(x, reg, *st(x, 0), v, 0, false);
        return true;
    }
    case 0xd9: case 0xdb: case 0xdd: case 0xdf: {
        F80 v;
        switch (b << 4 | reg) {
        case 0xd90: case 0xdd0: case 0xdb5: case 0xdf0: case 0xdb0:
        case 0xdf5: case 0xdf4:
            if (!push_check(x)) {
                return true;
            }
            switch (b << 4 | reg) {
            case 0xd90:
                v = from_float(x, ld_le(mem, 4), 23, 8);
                break;
            case 0xdd0:
                v = from_float(x, ld_le(mem, 8), 52, 11);
                break;
            case 0xdb5:
                v = ld80(mem);
                break;
            case 0xdf0:
                v = from_int((int16_t)ld_le(mem, 2));
                break;
            case 0xdf4:
                v = from_bcd(mem);
                break;
            case 0xdb0:
                v = from_int((int32_t)ld_le(mem, 4));
                break;
            default:
                v = from_int((int64_t)ld_le(mem, 8));
                break;
            }
            /* an unmasked DE does not stop a load */
            set_c1(x, false);
            if (x->exc & ~x->cw & SW_IE) {
                return true;
            }
            st_push(x, v);
            return true;
        case 0xd92: case 0xd93: case 0xdd2: case 0xdd3: case 0xdb7:
        case 0xdf1: case 0xdf2: case 0xdf3: case 0xdb1: case 0xdb2:
        case 0xdb3: case 0xdd1: case 0xdf7: case 0xdf6:
            store_insn(x, b, reg, mem);
            return true;
        }
        return false;
    }
    }
    return false;
}

static bool exec_reg(SX *x, unsigned b, unsigned modrm, uint64_t *fl)
{
    unsigned reg = (modrm >> 3) & 7;
    int i = modrm & 7;

    switch (b) {
    case 0xd8:
    case 0xdc:
    case 0xde:
        if (reg == 2 || reg == 3) {
            if (b == 0xde && reg == 3) {
                compare_insn(x, f80_indef, false, 1, 2, false, false, NULL);
            } else {
                compare_insn(x, f80_indef, false, i,
                             b == 0xde ? 1 : reg == 3, false, false, NULL);
            }
            return true;
        }
        if (st_empty(x, 0) || st_empty(x, i)) {
            if (!stack_fault(x, false)) {
                st_set(x, b == 0xd8 ? 0 : i, f80_indef);
                if (b == 0xde) {
                    st_pop(x);
                }
            }
            return true;
        }
        if (b == 0xd8) {
            arith_insn(x, reg, *st(x, 0), *st(x, i), 0, false);
        } else {
            /* dest ST(i): the encodings swap the r forms */
            arith_insn(x, reg < 4 ? reg : reg ^ 1, *st(x, i), *st(x, 0), i,
                       b == 0xde);
        }
        return true;
    case 0xd9:
        if (modrm < 0xc8) {                         /* fld st(i) */
            F80 v = *st(x, i);
            if (st_empty(x, i)) {
                /* underflow wins over overflow */
                if (!stack_fault(x, false)) {
                    st_push(x, f80_indef);
                }
                return true;
            }
            if (push_check(x)) {
                set_c1(x, false);
                st_push(x, v);
            }
            return true;
        }
        if (modrm < 0xd0 || (modrm >= 0xd8 && modrm < 0xe0)) {
            break;                                  /* below */
        }
        switch (modrm) {
        case 0xd0:
            return true;
        case 0xe0: case 0xe1: case 0xfa: case 0xfc:
            if (st_empty(x, 0)) {
                if (!stack_fault(x, false)) {
                    st_set(x, 0, f80_indef);
                }
                return true;
            }
            if (modrm == 0xfc) {
                F80 v = round_int(x, *st(x, 0));
                if (!no_result(x)) {
                    st_set(x, 0, v);
                }
                return true;
            }
            if (modrm == 0xfa) {
                F80 v = *st(x, 0);
                U u = unpack80(v);
                set_c1(x, false);
                if (u.k == K_BAD || u.k == K_SNAN ||
                    (u.s && u.k != K_ZERO && u.k != K_QNAN)) {
                    x->exc |= SW_IE;
                    v = u.k == K_SNAN ? quiet(v) : f80_indef;
                } else if (u.k == K_NORM) {
                    if (u.den) {
                        x->exc |= SW_DE;
                    }
                    if (no_result(x)) {
                        return true;
                    }
                    v = do_sqrt(x, &u);
                } else if (u.k == K_QNAN) {
                    v = quiet(v);
                }
                if (!no_result(x)) {
                    st_set(x, 0, v);
                }
                return true;
            }
            st(x, 0)->se = modrm == 0xe0 ? st(x, 0)->se ^ 0x8000
                                         : st(x, 0)->se & 0x7fff;
            set_c1(x, false);
            return true;
        case 0xe4:                                  /* ftst */
            compare_insn(x, make_zero(false), true, 0, 0, false, false, NULL);
            return true;
        case 0xe5: {                                /* fxam */
            F80 v = *st(x, 0);
            U u = unpack80(v);
            uint16_t c;
            if (st_empty(x, 0)) {
                c = SW_C3 | SW_C0;
            } else if (u.k == K_BAD) {
                c = 0;
            } else if (is_nan(&u)) {
                c = SW_C0;
            } else if (u.k == K_INF) {
                c = SW_C2 | SW_C0;
            } else if (u.k == K_ZERO) {
                c = SW_C3;
            } else {
                c = u.den ? SW_C3 | SW_C2 : SW_C2;
            }
            x->sw = (x->sw & ~(SW_C0 | SW_C1 | SW_C2 | SW_C3)) | c |
                    ((v.se >> 15) ? SW_C1 : 0);
            return true;
        }
        case 0xe8: case 0xee:                       /* fld1, fldz */
            if (push_check(x)) {
                set_c1(x, false);
                st_push(x, modrm == 0xe8 ? (F80){ 1ull << 63, 0x3fff }
                                         : make_zero(false));
            }
            return true;
        case 0xe9: case 0xea: case 0xeb: case 0xec: case 0xed:
            insn_fldconst(x, modrm);
            return true;
        case 0xf0:
            insn_f2xm1(x);
            return true;
        case 0xf1: case 0xf9:
            insn_fyl2x(x, modrm == 0xf9);
            return true;
        case 0xf2: case 0xfb: case 0xfe: case 0xff:
            insn_trig(x, modrm);
            return true;
        case 0xf3:
            insn_fpatan(x);
            return true;
        case 0xf4:
            insn_fxtract(x);
            return true;
        case 0xf5: case 0xf8:
            insn_fprem(x, modrm == 0xf5);
            return true;
        case 0xfd:
            insn_fscale(x);
            return true;
        case 0xf6:
            x->top = (x->top - 1) & 7;
            set_c1(x, false);
            return true;
        case 0xf7:
            x->top = (x->top + 1) & 7;
            set_c1(x, false);
            return true;
        }
        return false;
    case 0xda:
    case 0xdb:
        if (modrm < 0xe0) {                         /* fcmov */
            if (st_empty(x, 0) || st_empty(x, i)) {
                if (!stack_fault(x, false)) {
                    st_set(x, 0, f80_indef);
                }
                return true;
            }
            if (fcmov_cond(b, modrm, *fl)) {
                st_set(x, 0, *st(x, i));
            }
            return true;
        }
        if (b == 0xda) {                            /* fucompp */
            compare_insn(x, f80_indef, false, 1, 2, true, false, NULL);
        } else {
            compare_insn(x, f80_indef, false, i, 0, reg == 5, true, fl);
        }
        return true;
    case 0xdd:
        if (reg == 0) {         /* ffree: C1 is undefined; hosts clear it */
            x->empty[(x->top + i) & 7] = true;
            set_c1(x, false);
            return true;
        }
        if (reg == 4 || reg == 5) {
            compare_insn(x, f80_indef, false, i, reg == 5, true, false, NULL);
            return true;
        }
        break;                                      /* below */
    case 0xdf:
        if (reg == 0) {
            x->empty[(x->top + i) & 7] = true;
            set_c1(x, false);
            st_pop(x);
            return true;
        }
        if (reg == 5 || reg == 6) {
            compare_insn(x, f80_indef, false, i, 1, reg == 5, true, fl);
            return true;
        }
        break;
    default:
        return false;
    }
    /* fxch (d9/dd/df c8) and fst/fstp st(i) (d9 d8, dd d0/d8, df d0/d8) */
    if (reg == 1) {
        F80 t;
        if (st_empty(x, 0) || st_empty(x, i)) {
            if (stack_fault(x, false)) {
                return true;
            }
            if (st_empty(x, 0)) {
                st_set(x, 0, f80_indef);
            }
            if (st_empty(x, i)) {
                st_set(x, i, f80_indef);
            }
        } else {
            set_c1(x, false);
        }
        t = *st(x, 0);
        *st(x, 0) = *st(x, i);
        *st(x, i) = t;
        return true;
    }
    if (st_empty(x, 0)) {
        if (stack_fault(x, false)) {
            return true;
        }
        st_set(x, i, f80_indef);
    } else {
        set_c1(x, false);
        st_set(x, i, *st(x, 0));
    }
    if (reg == 3 || b != 0xdd) {
        st_pop(x);
    }
    return true;
}

bool x87_soft_exec(uint8_t *img, unsigned enc, uint8_t *mem,
                   uint64_t *eflags)
{
    unsigned b = enc >> 8, modrm = enc & 0xff;
    uint16_t sw = (uint16_t)ld_le(img + 4, 2), tw = (uint16_t)ld_le(img + 8, 2);
    SX x = { .cw = (uint16_t)ld_le(img, 2) };
    uint64_t fl = *eflags;
    bool ok;

    x.top = (sw >> 11) & 7;
    x.sw = sw & ~0x3800;
    for (int i = 0; i < 8; i++) {
        x.empty[i] = ((tw >> (2 * i)) & 3) == 3;
        x.r[(x.top + i) & 7] = ld80(img + 28 + 10 * i);
    }
    ok = modrm < 0xc0 ? exec_mem(&x, b, (modrm >> 3) & 7, mem)
                      : exec_reg(&x, b, modrm, &fl);
    if (!ok) {
        return false;
    }
    sw = (x.sw | x.exc) & ~0x3800;
    if (x.exc & ~x.cw & 0x3f) {
        sw |= 0x8080;
    }
    st_le(img + 4, sw | x.top << 11, 2);
    tw = 0;
    for (int i = 0; i < 8; i++) {
        tw |= (x.empty[i] ? 3 : 0) << (2 * i);
        st80(img + 28 + 10 * i, x.r[(x.top + i) & 7]);
    }
    st_le(img + 8, tw, 2);
    *eflags = fl;
    return true;
}

#else

/* 32-bit hosts: the 128-bit intermediate is not available yet */
bool x87_soft_exec(uint8_t *img, unsigned enc, uint8_t *mem,
                   uint64_t *eflags)
{
    return false;
}

#endif
