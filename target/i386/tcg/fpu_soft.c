/* x87 soft-float back end: x87 arithmetic and data movement in portable C. */
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
        case 0xdf5:
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
        case 0xdb3: case 0xdd1: case 0xdf7:
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
