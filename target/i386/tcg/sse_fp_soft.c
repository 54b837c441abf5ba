/* Portable SSE floating point: x86 SSE FP instructions in integer math. */
#include "emu/osdep.h"
#include "target/i386/tcg/translate.h"
#include "target/i386/tcg/sse_fp_soft.h"

/*
 * Every value is handled as its raw bits (uint64_t, single precision in
 * the low 32 bits) with a format descriptor.  A finite nonzero value is
 * unpacked into sign, integer significand and binary exponent (value =
 * sig * 2^exp), the operation is computed exactly or with a sticky bit
 * jammed into the significand's lowest bit, and round_pack() rounds the
 * result once under the MXCSR rounding control, with x86's overflow,
 * underflow (tininess detected after rounding) and flush-to-zero rules.
 */

bool sse_fp_force_soft;

#define FL_IE 0x01u
#define FL_DE 0x02u
#define FL_ZE 0x04u
#define FL_OE 0x08u
#define FL_UE 0x10u
#define FL_PE 0x20u

#define MXCSR_DAZ 0x0040u
#define MXCSR_FTZ 0x8000u
#define MXCSR_RC_SHIFT 13

/* The rounding-control encoding of MXCSR.RC and of roundps's imm8 */
enum { RND_NEAR, RND_DOWN, RND_UP, RND_ZERO };

typedef struct FpFmt {
    int mbits;          /* stored fraction bits */
    int ebits;          /* exponent bits */
    int bias;
} FpFmt;

static const FpFmt fmt32 = { 23, 8, 127 };
static const FpFmt fmt64 = { 52, 11, 1023 };

typedef struct Soft {
    uint32_t mxcsr;
    uint32_t flags;
    int mode;           /* RND_* */
} Soft;

static void soft_init(Soft *c, uint32_t mxcsr)
{
    c->mxcsr = mxcsr;
    c->flags = 0;
    c->mode = (mxcsr >> MXCSR_RC_SHIFT) & 3;
}

/* ---- Classification ---- */

static uint64_t sign_bit(const FpFmt *f)
{
    return 1ull << (f->mbits + f->ebits);
}

static int exp_all_ones(const FpFmt *f)
{
    return (1 << f->ebits) - 1;
}

static uint64_t exp_mask(const FpFmt *f)
{
    return (uint64_t)exp_all_ones(f) << f->mbits;
}

static uint64_t frac_mask(const FpFmt *f)
{
    return (1ull << f->mbits) - 1;
}

static uint64_t quiet_bit(const FpFmt *f)
{
    return 1ull << (f->mbits - 1);
}

static int exp_field(const FpFmt *f, uint64_t x)
{
    return (x >> f->mbits) & exp_all_ones(f);
}

static bool sign_of(const FpFmt *f, uint64_t x)
{
    return x & sign_bit(f);
}

static bool is_nan(const FpFmt *f, uint64_t x)
{
    return exp_field(f, x) == exp_all_ones(f) && (x & frac_mask(f));
}

static bool is_snan(const FpFmt *f, uint64_t x)
{
    return is_nan(f, x) && !(x & quiet_bit(f));
}

static bool is_inf(const FpFmt *f, uint64_t x)
{
    return exp_field(f, x) == exp_all_ones(f) && !(x & frac_mask(f));
}

static bool is_zero(const FpFmt *f, uint64_t x)
{
    return !(x & ~sign_bit(f));
}

static bool is_denormal(const FpFmt *f, uint64_t x)
{
    return exp_field(f, x) == 0 && (x & frac_mask(f));
}

/* The "real indefinite": the negative quiet NaN of invalid operations */
static uint64_t default_nan(const FpFmt *f)
{
    return sign_bit(f) | exp_mask(f) | quiet_bit(f);
}

static uint64_t infinity(const FpFmt *f, bool neg)
{
    return (neg ? sign_bit(f) : 0) | exp_mask(f);
}

static uint64_t signed_zero(const FpFmt *f, bool neg)
{
    return neg ? sign_bit(f) : 0;
}

/*
 * An operand of an arithmetic operation: a denormal is zero under DAZ
 * (no DE then), else it raises DE, which the caller reports only when
 * no NaN operand takes precedence.
 */
static uint64_t operand(const Soft *c, const FpFmt *f, uint64_t x, bool *de)
{
    if (is_denormal(f, x)) {
        if (c->mxcsr & MXCSR_DAZ) {
            return x & sign_bit(f);
        }
        *de = true;
    }
    return x;
}

/* ---- Unpacking, rounding and packing ---- */

typedef struct Unpacked {
    bool sign;
    int exp;
    uint64_t sig;       /* value = sig * 2^exp */
} Unpacked;

/* x finite and nonzero */
static Unpacked unpack(const FpFmt *f, uint64_t x)
{
    Unpacked u;
    int e = exp_field(f, x);

    u.sign = sign_of(f, x);
    u.sig = x & frac_mask(f);
    if (e == 0) {
        u.exp = 1 - f->bias - f->mbits;
    } else {
        u.sig |= 1ull << f->mbits;
        u.exp = e - f->bias - f->mbits;
    }
    return u;
}

/* sig shifted right by n, the bits shifted out ORed into the lowest bit */
static uint64_t shift_right_jam(uint64_t sig, unsigned n)
{
    if (n == 0) {
        return sig;
    }
    if (n >= 64) {
        return sig != 0;
    }
    return (sig >> n) | ((sig & ((1ull << n) - 1)) != 0);
}

/*
 * sig >> n (n >= 1) rounded under mode for a value of the given sign;
 * *inexact says whether any bit shifted out was set.
 */
static uint64_t shift_right_round(uint64_t sig, unsigned n, int mode,
                                  bool sign, bool *inexact)
{
    uint64_t q, half, rest;
    bool inc;

    if (n >= 64) {
        q = 0;
        half = n == 64 ? sig >> 63 : 0;
        rest = n == 64 ? sig << 1 : sig;
    } else {
        q = sig >> n;
        half = (sig >> (n - 1)) & 1;
        rest = sig & ((1ull << (n - 1)) - 1);
    }
    *inexact = half || rest;
    switch (mode) {
    case RND_NEAR:
        inc = half && (rest || (q & 1));
        break;
    case RND_DOWN:
        inc = sign && *inexact;
        break;
    case RND_UP:
        inc = !sign && *inexact;
        break;
    default:
        inc = false;
        break;
    }
    return q + inc;
}

/* The masked response to overflow: infinity or the largest finite value */
static uint64_t overflow_result(Soft *c, const FpFmt *f, bool sign)
{
    bool to_inf;

    c->flags |= FL_OE | FL_PE;
    switch (c->mode) {
    case RND_NEAR:
        to_inf = true;
        break;
    case RND_DOWN:
        to_inf = sign;
        break;
    case RND_UP:
        to_inf = !sign;
        break;
    default:
        to_inf = false;
        break;
    }
    /* the largest finite value: all ones below the infinity pattern */
    return to_inf ? infinity(f, sign) :
                    signed_zero(f, sign) | (exp_mask(f) - 1);
}

/* The value (-1)^sign * sig * 2^exp (sig != 0), rounded into format f */
static uint64_t round_pack(Soft *c, const FpFmt *f, bool sign, int exp,
                           uint64_t sig)
{
    int prec = f->mbits + 1;
    int lz = __builtin_clzll(sig);
    int biased;
    uint64_t q;
    bool inexact, tiny;

    sig <<= lz;
    exp -= lz;
    biased = exp + 63 + f->bias;        /* of the leading bit */
    if (biased >= 1) {
        q = shift_right_round(sig, 64 - prec, c->mode, sign, &inexact);
        if (q >> prec) {
            q >>= 1;
            biased++;
        }
        if (biased >= exp_all_ones(f)) {
            return overflow_result(c, f, sign);
        }
        if (inexact) {
            c->flags |= FL_PE;
        }
        /* q's leading bit adds one to the exponent field */
        return signed_zero(f, sign) + ((uint64_t)(biased - 1) << f->mbits) + q;
    }
    /*
     * Tiny if the result rounded to full precision with an unbounded
     * exponent is below the smallest normal: only a value just below it
     * (leading bit one place lower) can round up out of the range.
     */
    tiny = true;
    if (biased == 0) {
        bool ix;
        q = shift_right_round(sig, 64 - prec, c->mode, sign, &ix);
        tiny = !(q >> prec);
    }
    if (tiny && (c->mxcsr & MXCSR_FTZ)) {
        c->flags |= FL_UE | FL_PE;
        return signed_zero(f, sign);
    }
    /* a rounded-up denormal of 2^mbits packs as the smallest normal */
    q = shift_right_round(sig, 64 - prec + 1 - biased, c->mode, sign,
                          &inexact);
    if (inexact) {
        c->flags |= FL_PE | (tiny ? FL_UE : 0);
    }
    return signed_zero(f, sign) + q;
}

/* The NaN result of an operation with a NaN operand: x86 picks the first */
static uint64_t propagate_nan(Soft *c, const FpFmt *f, uint64_t a,
                              uint64_t b)
{
    if (is_snan(f, a) || is_snan(f, b)) {
        c->flags |= FL_IE;
    }
    return (is_nan(f, a) ? a : b) | quiet_bit(f);
}

static uint64_t invalid(Soft *c, const FpFmt *f)
{
    c->flags |= FL_IE;
    return default_nan(f);
}

/* ---- Arithmetic ---- */

static uint64_t f_add(Soft *c, const FpFmt *f, uint64_t a, uint64_t b,
                      bool sub)
{
    bool de = false;
    Unpacked x, y, t;
    uint64_t sum;
    int d;

    a = operand(c, f, a, &de);
    b = operand(c, f, b, &de);
    if (is_nan(f, a) || is_nan(f, b)) {
        return propagate_nan(c, f, a, b);
    }
    if (de) {
        c->flags |= FL_DE;
    }
    if (sub) {
        b ^= sign_bit(f);
    }
    if (is_inf(f, a)) {
        if (is_inf(f, b) && sign_of(f, a) != sign_of(f, b)) {
            return invalid(c, f);
        }
        return a;
    }
    if (is_inf(f, b)) {
        return b;
    }
    if (is_zero(f, a) && is_zero(f, b)) {
        if (sign_of(f, a) == sign_of(f, b)) {
            return a;
        }
        return signed_zero(f, c->mode == RND_DOWN);
    }
    if (is_zero(f, a) || is_zero(f, b)) {
        x = unpack(f, is_zero(f, a) ? b : a);
        return round_pack(c, f, x.sign, x.exp, x.sig);
    }
    x = unpack(f, a);
    y = unpack(f, b);
    if (x.exp < y.exp) {
        t = x;
        x = y;
        y = t;
    }
    /* leading bits at 61 at most: room for the carry; 9+ guard bits */
    d = x.exp - y.exp;
    x.sig <<= 61 - f->mbits;
    y.sig <<= 61 - f->mbits;
    x.exp -= 61 - f->mbits;
    y.sig = shift_right_jam(y.sig, d);
    if (x.sign == y.sign) {
        return round_pack(c, f, x.sign, x.exp, x.sig + y.sig);
    }
    if (x.sig == y.sig) {
        return signed_zero(f, c->mode == RND_DOWN);
    }
    if (x.sig > y.sig) {
        sum = x.sig - y.sig;
        return round_pack(c, f, x.sign, x.exp, sum);
    }
    sum = y.sig - x.sig;
    return round_pack(c, f, y.sign, x.exp, sum);
}

/* hi:lo = a * b */
static void mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;

    *lo = (mid << 32) | (uint32_t)ll;
    *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

static uint64_t f_mul(Soft *c, const FpFmt *f, uint64_t a, uint64_t b)
{
    bool de = false, sign;
    Unpacked x, y;
    uint64_t hi, lo, sig;
    int exp;

    a = operand(c, f, a, &de);
    b = operand(c, f, b, &de);
    if (is_nan(f, a) || is_nan(f, b)) {
        return propagate_nan(c, f, a, b);
    }
    sign = sign_of(f, a) != sign_of(f, b);
    if (is_inf(f, a) || is_inf(f, b)) {
        if (is_zero(f, a) || is_zero(f, b)) {
            return invalid(c, f);
        }
        if (de) {
            c->flags |= FL_DE;
        }
        return infinity(f, sign);
    }
    if (de) {
        c->flags |= FL_DE;
    }
    if (is_zero(f, a) || is_zero(f, b)) {
        return signed_zero(f, sign);
    }
    x = unpack(f, a);
    y = unpack(f, b);
    mul64(x.sig, y.sig, &hi, &lo);
    exp = x.exp + y.exp;
    if (hi) {
        int n = 64 - __builtin_clzll(hi);
        sig = (hi << (64 - n)) | (lo >> n) | ((lo & ((1ull << n) - 1)) != 0);
        exp += n;
    } else {
        sig = lo;
    }
    return round_pack(c, f, sign, exp, sig);
}

static uint64_t f_div(Soft *c, const FpFmt *f, uint64_t a, uint64_t b)
{
    bool de = false, sign;
    Unpacked x, y;
    uint64_t q = 0, rem;
    int lz, n;

    a = operand(c, f, a, &de);
    b = operand(c, f, b, &de);
    if (is_nan(f, a) || is_nan(f, b)) {
        return propagate_nan(c, f, a, b);
    }
    sign = sign_of(f, a) != sign_of(f, b);
    if (is_inf(f, a)) {
        if (is_inf(f, b)) {
            return invalid(c, f);
        }
        c->flags |= de ? FL_DE : 0;
        return infinity(f, sign);
    }
    if (is_zero(f, b)) {
        if (is_zero(f, a)) {
            return invalid(c, f);
        }
        if (is_inf(f, a)) {
            return infinity(f, sign);
        }
        c->flags |= FL_ZE;
        return infinity(f, sign);
    }
    c->flags |= de ? FL_DE : 0;
    if (is_inf(f, b) || is_zero(f, a)) {
        return signed_zero(f, sign);
    }
    x = unpack(f, a);
    y = unpack(f, b);
    lz = __builtin_clzll(x.sig) - 1;
    x.sig <<= lz;
    x.exp -= lz;
    lz = __builtin_clzll(y.sig) - 1;
    y.sig <<= lz;
    y.exp -= lz;
    /*
     * Restoring division, q = floor(x.sig * 2^(n - 1) / y.sig): n bits
     * or n - 1 (x.sig / y.sig lies in (1/2, 2)), at least the precision,
     * a rounding bit and one more for the sticky bit (the remainder).
     */
    n = f->mbits + 4;
    rem = x.sig;
    for (int i = 0; i < n; i++) {
        q <<= 1;
        if (rem >= y.sig) {
            rem -= y.sig;
            q |= 1;
        }
        rem <<= 1;
    }
    return round_pack(c, f, sign, x.exp - y.exp - (n - 1), q | (rem != 0));
}

static uint64_t f_sqrt(Soft *c, const FpFmt *f, uint64_t a)
{
    bool de = false;
    Unpacked x;
    uint64_t root = 0, rem = 0;
    int len, shift, n;

    a = operand(c, f, a, &de);
    if (is_nan(f, a)) {
        return propagate_nan(c, f, a, a);
    }
    if (is_zero(f, a)) {
        return a;
    }
    if (sign_of(f, a)) {
        return invalid(c, f);
    }
    if (de) {
        c->flags |= FL_DE;
    }
    if (is_inf(f, a)) {
        return a;
    }
    x = unpack(f, a);
    if (x.exp & 1) {
        x.sig <<= 1;
        x.exp -= 1;
    }
    /*
     * Digit by digit: the radicand sig * 2^shift (shift even) has 2n - 1
     * or 2n bits, so the root has n: the precision, a rounding bit and
     * one for the sticky bit (the remainder); rem <= 2 * root < 2^(n + 1).
     */
    n = f->mbits + 3;
    len = 64 - __builtin_clzll(x.sig);
    shift = 2 * n - len;
    shift -= shift & 1;
    for (int pos = 2 * n - 2; pos >= 0; pos -= 2) {
        uint64_t pair = pos >= shift ? (x.sig >> (pos - shift)) & 3 : 0;
        uint64_t trial;

        rem = (rem << 2) | pair;
        trial = (root << 2) | 1;
        if (rem >= trial) {
            rem -= trial;
            root = (root << 1) | 1;
        } else {
            root <<= 1;
        }
    }
    return round_pack(c, f, false, (x.exp - shift) / 2, root | (rem != 0));
}

/* Ordered comparison of non-NaN values: -1, 0, 1 */
static int f_compare(const FpFmt *f, uint64_t a, uint64_t b)
{
    bool sa = sign_of(f, a), sb = sign_of(f, b);
    uint64_t ma = a & ~sign_bit(f), mb = b & ~sign_bit(f);

    if (ma == 0 && mb == 0) {
        return 0;
    }
    if (sa != sb) {
        return sa ? -1 : 1;
    }
    if (ma == mb) {
        return 0;
    }
    return (ma < mb) != sa ? -1 : 1;
}

/* minps/maxps: the second operand unless the first is strictly beyond */
static uint64_t f_minmax(Soft *c, const FpFmt *f, uint64_t a, uint64_t b,
                         bool max)
{
    bool de = false;
    int cmp;

    a = operand(c, f, a, &de);
    b = operand(c, f, b, &de);
    if (is_nan(f, a) || is_nan(f, b)) {
        c->flags |= FL_IE;
        return b;
    }
    if (de) {
        c->flags |= FL_DE;
    }
    cmp = f_compare(f, a, b);
    return (max ? cmp > 0 : cmp < 0) ? a : b;
}

/* cmpps predicate imm & 7: all ones or zero */
static bool f_cmp(Soft *c, const FpFmt *f, uint64_t a, uint64_t b,
                  unsigned pred)
{
    bool de = false, unordered, signaling = pred == 1 || pred == 2 ||
                                            pred == 5 || pred == 6;
    int cmp = 0;

    a = operand(c, f, a, &de);
    b = operand(c, f, b, &de);
    unordered = is_nan(f, a) || is_nan(f, b);
    if (is_snan(f, a) || is_snan(f, b) || (signaling && unordered)) {
        c->flags |= FL_IE;
    } else if (de && !unordered) {
        c->flags |= FL_DE;
    }
    if (!unordered) {
        cmp = f_compare(f, a, b);
    }
    switch (pred & 7) {
    case 0: return !unordered && cmp == 0;
    case 1: return !unordered && cmp < 0;
    case 2: return !unordered && cmp <= 0;
    case 3: return unordered;
    case 4: return unordered || cmp != 0;
    case 5: return unordered || cmp >= 0;
    case 6: return unordered || cmp > 0;
    default: return !unordered;
    }
}

/* comiss and friends: ZF PF CF = unordered 111, less 001, equal 100 */
static uint64_t f_comi(Soft *c, const FpFmt *f, uint64_t a, uint64_t b,
                       bool signaling)
{
    bool de = false;
    int cmp;

    a = operand(c, f, a, &de);
    b = operand(c, f, b, &de);
    if (is_nan(f, a) || is_nan(f, b)) {
        if (signaling || is_snan(f, a) || is_snan(f, b)) {
            c->flags |= FL_IE;
        }
        return CC_Z | CC_P | CC_C;
    }
    if (de) {
        c->flags |= FL_DE;
    }
    cmp = f_compare(f, a, b);
    return cmp < 0 ? CC_C : cmp == 0 ? CC_Z : 0;
}

/* ---- Conversions ---- */

static uint64_t f_convert(Soft *c, const FpFmt *from, const FpFmt *to,
                          uint64_t a)
{
    bool de = false, sign;
    Unpacked x;

    a = operand(c, from, a, &de);
    sign = sign_of(from, a);
    if (is_nan(from, a)) {
        uint64_t payload = a & frac_mask(from);

        if (is_snan(from, a)) {
            c->flags |= FL_IE;
        }
        /* the payload keeps its leading bits */
        if (to->mbits > from->mbits) {
            payload <<= to->mbits - from->mbits;
        } else {
            payload >>= from->mbits - to->mbits;
        }
        return infinity(to, sign) | payload | quiet_bit(to);
    }
    if (de) {
        c->flags |= FL_DE;
    }
    if (is_inf(from, a)) {
        return infinity(to, sign);
    }
    if (is_zero(from, a)) {
        return signed_zero(to, sign);
    }
    x = unpack(from, a);
    return round_pack(c, to, x.sign, x.exp, x.sig);
}

static uint64_t int_to_float(Soft *c, const FpFmt *f, int64_t v)
{
    uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

    if (v == 0) {
        return 0;
    }
    return round_pack(c, f, v < 0, 0, mag);
}

/*
 * The integer magnitude of a finite nonzero x rounded under mode;
 * *too_big when it does not fit in 64 bits.
 */
static uint64_t round_to_integer(const FpFmt *f, uint64_t x, int mode,
                                 bool *inexact, bool *too_big)
{
    Unpacked u = unpack(f, x);

    *inexact = false;
    *too_big = false;
    if (u.exp >= 0) {
        if (u.exp + 64 - __builtin_clzll(u.sig) > 64) {
            *too_big = true;
            return 0;
        }
        return u.sig << u.exp;
    }
    return shift_right_round(u.sig, -u.exp, mode, u.sign, inexact);
}

/* cvt*2si/cvt*2dq: NaN, infinity and out of range give 1 << (bits - 1) */
static uint64_t float_to_int(Soft *c, const FpFmt *f, uint64_t a,
                             int bits, bool truncate)
{
    uint64_t indefinite = 1ull << (bits - 1), mag;
    bool de = false, inexact, too_big;

    a = operand(c, f, a, &de);
    if (is_nan(f, a) || is_inf(f, a)) {
        c->flags |= FL_IE;
        return indefinite;
    }
    if (is_zero(f, a)) {
        return 0;
    }
    mag = round_to_integer(f, a, truncate ? RND_ZERO : c->mode, &inexact,
                           &too_big);
    if (too_big || mag > indefinite ||
        (mag == indefinite && !sign_of(f, a))) {
        c->flags |= FL_IE;
        return indefinite;
    }
    if (inexact) {
        c->flags |= FL_PE;
    }
    mag = sign_of(f, a) ? 0 - mag : mag;
    return bits == 64 ? mag : (uint32_t)mag;
}

/* roundps: imm8 bits 0-1 the mode, bit 2 MXCSR's instead, bit 3 no PE */
static uint64_t f_round(Soft *c, const FpFmt *f, uint64_t a, unsigned imm)
{
    bool de = false, inexact, too_big;
    int mode = (imm & 4) ? c->mode : (int)(imm & 3);
    uint64_t mag;
    Unpacked u;

    a = operand(c, f, a, &de);
    if (is_nan(f, a)) {
        return propagate_nan(c, f, a, a);
    }
    if (is_inf(f, a) || is_zero(f, a)) {
        return a;
    }
    u = unpack(f, a);
    if (u.exp >= 0) {
        return a;
    }
    mag = round_to_integer(f, a, mode, &inexact, &too_big);
    if (inexact && !(imm & 8)) {
        c->flags |= FL_PE;
    }
    if (mag == 0) {
        return signed_zero(f, u.sign);
    }
    /* an integer below 2^(mbits + 1): exact */
    return round_pack(c, f, u.sign, 0, mag);
}

/*
 * rcpps/rsqrtps: x86 computes them from tables whose contents differ
 * between CPU models; this returns the exactly rounded value, well
 * within the documented 1.5 * 2^-12 relative error.  They raise no
 * flags, read a denormal as zero, and flush tiny results to zero.
 */
static uint32_t f_rcp(uint32_t a)
{
    const FpFmt *f = &fmt32;
    Soft t;
    uint64_t r;

    if (is_nan(f, a)) {
        return a | quiet_bit(f);
    }
    if (is_zero(f, a) || is_denormal(f, a)) {
        return infinity(f, sign_of(f, a));
    }
    soft_init(&t, 0);
    r = f_div(&t, f, 0x3f800000u, a);
    if (exp_field(f, r) == 0) {
        return signed_zero(f, sign_of(f, a));
    }
    return r;
}

static uint32_t f_rsqrt(uint32_t a)
{
    const FpFmt *f = &fmt32;
    Soft t;
    uint64_t d;

    if (is_nan(f, a)) {
        return a | quiet_bit(f);
    }
    if (is_zero(f, a) || is_denormal(f, a)) {
        return infinity(f, sign_of(f, a));
    }
    if (sign_of(f, a)) {
        return default_nan(f);
    }
    if (is_inf(f, a)) {
        return 0;
    }
    /* in double precision: 1 / sqrt(x) then rounded once more */
    soft_init(&t, 0);
    d = f_convert(&t, f, &fmt64, a);
    d = f_sqrt(&t, &fmt64, d);
    d = f_div(&t, &fmt64, 0x3ff0000000000000ull, d);
    return f_convert(&t, &fmt64, f, d);
}

/* ---- The operations ---- */

typedef union SoftVec {
    uint32_t l[4];
    uint64_t q[2];
    int32_t sl[4];
    int64_t sq[2];
} SoftVec;

/* Binary operation kind: 0 add, 1 sub, 2 mul, 3 div, 4 min, 5 max */
static uint64_t binop(Soft *c, const FpFmt *f, int kind, uint64_t a,
                      uint64_t b)
{
    switch (kind) {
    case 0: return f_add(c, f, a, b, false);
    case 1: return f_add(c, f, a, b, true);
    case 2: return f_mul(c, f, a, b);
    case 3: return f_div(c, f, a, b);
    case 4: return f_minmax(c, f, a, b, false);
    default: return f_minmax(c, f, a, b, true);
    }
}

/* ps/ss/pd/sd forms: variant 0..3, in SSEFpOp's order */
_Static_assert(SSE_SUBPS == SSE_ADDPS + 4 && SSE_MULPS == SSE_ADDPS + 8 &&
               SSE_DIVPS == SSE_ADDPS + 12 && SSE_MINPS == SSE_ADDPS + 16 &&
               SSE_MAXPS == SSE_ADDPS + 20 && SSE_MAXSD == SSE_ADDPS + 23 &&
               SSE_ADDSS == SSE_ADDPS + 1 && SSE_ADDPD == SSE_ADDPS + 2,
               "SSEFpOp order of the binary operations");
static void lanes_binop(Soft *c, SoftVec *r, const SoftVec *s, int kind,
                        int variant)
{
    switch (variant) {
    case 0:
        for (int i = 0; i < 4; i++) {
            r->l[i] = binop(c, &fmt32, kind, r->l[i], s->l[i]);
        }
        break;
    case 1:
        r->l[0] = binop(c, &fmt32, kind, r->l[0], s->l[0]);
        break;
    case 2:
        for (int i = 0; i < 2; i++) {
            r->q[i] = binop(c, &fmt64, kind, r->q[i], s->q[i]);
        }
        break;
    default:
        r->q[0] = binop(c, &fmt64, kind, r->q[0], s->q[0]);
        break;
    }
}

static void dot_product(Soft *c, SoftVec *r, const SoftVec *s, bool dbl,
                        unsigned imm)
{
    if (!dbl) {
        uint64_t t[4], sum;

        for (int i = 0; i < 4; i++) {
            t[i] = (imm & (0x10u << i)) ?
                   f_mul(c, &fmt32, r->l[i], s->l[i]) : 0;
        }
        sum = f_add(c, &fmt32, f_add(c, &fmt32, t[0], t[1], false),
                    f_add(c, &fmt32, t[2], t[3], false), false);
        for (int i = 0; i < 4; i++) {
            r->l[i] = (imm & (1u << i)) ? sum : 0;
        }
    } else {
        uint64_t t[2], sum;

        for (int i = 0; i < 2; i++) {
            t[i] = (imm & (0x10u << i)) ?
                   f_mul(c, &fmt64, r->q[i], s->q[i]) : 0;
        }
        sum = f_add(c, &fmt64, t[0], t[1], false);
        for (int i = 0; i < 2; i++) {
            r->q[i] = (imm & (1u << i)) ? sum : 0;
        }
    }
}

uint32_t sse_fp_soft_op(uint32_t mxcsr, SSEFpOp op, void *rp, const void *sp,
                        uint32_t arg)
{
    unsigned imm = arg & 0xff;
    bool wide = arg & SSE_ARG_XMM;
    SoftVec r, s, t;
    Soft c;

    soft_init(&c, mxcsr);
    memcpy(&r, rp, 16);
    memcpy(&s, sp, 16);
    switch (op) {
    case SSE_ADDPS: case SSE_ADDSS: case SSE_ADDPD: case SSE_ADDSD:
    case SSE_SUBPS: case SSE_SUBSS: case SSE_SUBPD: case SSE_SUBSD:
    case SSE_MULPS: case SSE_MULSS: case SSE_MULPD: case SSE_MULSD:
    case SSE_DIVPS: case SSE_DIVSS: case SSE_DIVPD: case SSE_DIVSD:
    case SSE_MINPS: case SSE_MINSS: case SSE_MINPD: case SSE_MINSD:
    case SSE_MAXPS: case SSE_MAXSS: case SSE_MAXPD: case SSE_MAXSD:
        lanes_binop(&c, &r, &s, (op - SSE_ADDPS) / 4, (op - SSE_ADDPS) % 4);
        break;
    case SSE_SQRTPS:
        for (int i = 0; i < 4; i++) {
            r.l[i] = f_sqrt(&c, &fmt32, s.l[i]);
        }
        break;
    case SSE_SQRTSS:
        r.l[0] = f_sqrt(&c, &fmt32, s.l[0]);
        break;
    case SSE_SQRTPD:
        for (int i = 0; i < 2; i++) {
            r.q[i] = f_sqrt(&c, &fmt64, s.q[i]);
        }
        break;
    case SSE_SQRTSD:
        r.q[0] = f_sqrt(&c, &fmt64, s.q[0]);
        break;
    case SSE_RCPPS:
        for (int i = 0; i < 4; i++) {
            r.l[i] = f_rcp(s.l[i]);
        }
        break;
    case SSE_RCPSS:
        r.l[0] = f_rcp(s.l[0]);
        break;
    case SSE_RSQRTPS:
        for (int i = 0; i < 4; i++) {
            r.l[i] = f_rsqrt(s.l[i]);
        }
        break;
    case SSE_RSQRTSS:
        r.l[0] = f_rsqrt(s.l[0]);
        break;
    case SSE_ADDSUBPS:
        for (int i = 0; i < 4; i++) {
            r.l[i] = f_add(&c, &fmt32, r.l[i], s.l[i], !(i & 1));
        }
        break;
    case SSE_ADDSUBPD:
        for (int i = 0; i < 2; i++) {
            r.q[i] = f_add(&c, &fmt64, r.q[i], s.q[i], !(i & 1));
        }
        break;
    case SSE_HADDPS: case SSE_HSUBPS:
        t = r;
        for (int i = 0; i < 4; i++) {
            const SoftVec *v = i < 2 ? &t : &s;
            r.l[i] = f_add(&c, &fmt32, v->l[2 * (i & 1)],
                           v->l[2 * (i & 1) + 1], op == SSE_HSUBPS);
        }
        break;
    case SSE_HADDPD: case SSE_HSUBPD:
        t = r;
        r.q[0] = f_add(&c, &fmt64, t.q[0], t.q[1], op == SSE_HSUBPD);
        r.q[1] = f_add(&c, &fmt64, s.q[0], s.q[1], op == SSE_HSUBPD);
        break;
    case SSE_CMPPS:
        for (int i = 0; i < 4; i++) {
            r.l[i] = f_cmp(&c, &fmt32, r.l[i], s.l[i], imm & 7) ? ~0u : 0;
        }
        break;
    case SSE_CMPSS:
        r.l[0] = f_cmp(&c, &fmt32, r.l[0], s.l[0], imm & 7) ? ~0u : 0;
        break;
    case SSE_CMPPD:
        for (int i = 0; i < 2; i++) {
            r.q[i] = f_cmp(&c, &fmt64, r.q[i], s.q[i], imm & 7) ? ~0ull : 0;
        }
        break;
    case SSE_CMPSD:
        r.q[0] = f_cmp(&c, &fmt64, r.q[0], s.q[0], imm & 7) ? ~0ull : 0;
        break;
    case SSE_CVTPS2PD:
        t = s;
        for (int i = 0; i < 2; i++) {
            r.q[i] = f_convert(&c, &fmt32, &fmt64, t.l[i]);
        }
        break;
    case SSE_CVTPD2PS:
        for (int i = 0; i < 2; i++) {
            r.l[i] = f_convert(&c, &fmt64, &fmt32, s.q[i]);
        }
        r.q[1] = 0;
        break;
    case SSE_CVTSS2SD:
        r.q[0] = f_convert(&c, &fmt32, &fmt64, s.l[0]);
        break;
    case SSE_CVTSD2SS:
        r.l[0] = f_convert(&c, &fmt64, &fmt32, s.q[0]);
        break;
    case SSE_CVTDQ2PS:
        for (int i = 0; i < 4; i++) {
            r.l[i] = int_to_float(&c, &fmt32, s.sl[i]);
        }
        break;
    case SSE_CVTPS2DQ: case SSE_CVTTPS2DQ:
        for (int i = 0; i < 4; i++) {
            r.l[i] = float_to_int(&c, &fmt32, s.l[i], 32,
                                  op == SSE_CVTTPS2DQ);
        }
        break;
    case SSE_CVTDQ2PD: case SSE_CVTPI2PD:
        t = s;
        for (int i = 0; i < 2; i++) {
            r.q[i] = int_to_float(&c, &fmt64, t.sl[i]);
        }
        break;
    case SSE_CVTPD2DQ: case SSE_CVTTPD2DQ:
    case SSE_CVTPD2PI: case SSE_CVTTPD2PI: {
        bool trunc = op == SSE_CVTTPD2DQ || op == SSE_CVTTPD2PI;

        for (int i = 0; i < 2; i++) {
            r.l[i] = float_to_int(&c, &fmt64, s.q[i], 32, trunc);
        }
        r.q[1] = 0;
        break;
    }
    case SSE_CVTPI2PS:
        for (int i = 0; i < 2; i++) {
            r.l[i] = int_to_float(&c, &fmt32, s.sl[i]);
        }
        break;
    case SSE_CVTPS2PI: case SSE_CVTTPS2PI:
        for (int i = 0; i < 2; i++) {
            r.l[i] = float_to_int(&c, &fmt32, s.l[i], 32,
                                  op == SSE_CVTTPS2PI);
        }
        r.q[1] = 0;
        break;
    case SSE_CVTSI2SS:
        r.l[0] = int_to_float(&c, &fmt32, wide ? s.sq[0] : s.sl[0]);
        break;
    case SSE_CVTSI2SD:
        r.q[0] = int_to_float(&c, &fmt64, wide ? s.sq[0] : s.sl[0]);
        break;
    case SSE_ROUNDPS:
        for (int i = 0; i < 4; i++) {
            r.l[i] = f_round(&c, &fmt32, s.l[i], imm);
        }
        break;
    case SSE_ROUNDPD:
        for (int i = 0; i < 2; i++) {
            r.q[i] = f_round(&c, &fmt64, s.q[i], imm);
        }
        break;
    case SSE_ROUNDSS:
        r.l[0] = f_round(&c, &fmt32, s.l[0], imm);
        break;
    case SSE_ROUNDSD:
        r.q[0] = f_round(&c, &fmt64, s.q[0], imm);
        break;
    case SSE_DPPS: case SSE_DPPD:
        dot_product(&c, &r, &s, op == SSE_DPPD, imm);
        break;
    default:
        break;
    }
    memcpy(rp, &r, 16);
    return c.flags;
}

uint32_t sse_fp_soft_op_ret(uint32_t mxcsr, SSEFpOp op, const void *rp,
                            const void *sp, uint32_t arg, uint64_t *ret)
{
    bool wide = arg & SSE_ARG_XMM;
    SoftVec r, s;
    Soft c;

    soft_init(&c, mxcsr);
    memcpy(&r, rp, 16);
    memcpy(&s, sp, 16);
    switch (op) {
    case SSE_COMISS: case SSE_UCOMISS:
        *ret = f_comi(&c, &fmt32, r.l[0], s.l[0], op == SSE_COMISS);
        break;
    case SSE_COMISD: case SSE_UCOMISD:
        *ret = f_comi(&c, &fmt64, r.q[0], s.q[0], op == SSE_COMISD);
        break;
    case SSE_CVTSS2SI: case SSE_CVTTSS2SI:
        *ret = float_to_int(&c, &fmt32, s.l[0], wide ? 64 : 32,
                            op == SSE_CVTTSS2SI);
        break;
    case SSE_CVTSD2SI: case SSE_CVTTSD2SI:
        *ret = float_to_int(&c, &fmt64, s.q[0], wide ? 64 : 32,
                            op == SSE_CVTTSD2SI);
        break;
    default:
        *ret = 0;
        break;
    }
    return c.flags;
}
