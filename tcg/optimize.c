/*
 * The TCG optimizer: one forward pass doing constant folding, copy
 * propagation, algebraic simplification, known-bits tracking and removal
 * of unreachable code and unused labels.
 */
#include "emu/osdep.h"
#include "tcg/tcg.h"

/*
 * What is known about a temp at the current point.  Valid only while the
 * temp's bit is set in OptCtx.used; cleared wholesale at every label that
 * survives, since code after a label can be reached from elsewhere.
 *
 * Temps holding the same value form a circular list (prev/next_copy), so
 * a use can be replaced by the "best" member (a constant, then a global,
 * then a TB temp) and a redefinition only unlinks one element.
 */
enum { UNOP_NONE, UNOP_NOT, UNOP_NEG };

typedef struct OptTemp {
    uint64_t val;           /* when is_const; I32 sign-extended */
    uint64_t z_mask;        /* bits that may be 1 (within the width) */
    uint32_t def;           /* stamp of the current definition */
    uint32_t unop_src_def;  /* this = unop(unop_src) while src has that stamp */
    uint16_t prev_copy, next_copy;
    uint16_t unop_src;
    uint8_t sbits;          /* value is the sign extension of its low sbits */
    uint8_t unop;
    bool is_const;
} OptTemp;

typedef struct OptData {
    OptTemp info[TCG_MAX_TEMPS];
} OptData;

typedef struct OptCtx {
    TCGContext *s;
    OptTemp *info;
    uint32_t def_counter;
    uint64_t used[TCG_MAX_TEMPS / 64];
} OptCtx;

static inline uint64_t width_mask(TCGType type)
{
    return type == TCG_TYPE_I32 ? 0xffffffffull : ~0ull;
}

static inline unsigned width_bits(TCGType type)
{
    return type == TCG_TYPE_I32 ? 32 : 64;
}

static inline uint64_t sext_type(TCGType type, uint64_t v)
{
    return type == TCG_TYPE_I32 ? (uint64_t)(int64_t)(int32_t)v : v;
}

static inline uint64_t low_mask(unsigned len)
{
    return len >= 64 ? ~0ull : (1ull << len) - 1;
}

/* The smallest n such that v, read as w bits, is the sign extension of n */
static unsigned const_sbits(uint64_t v, unsigned w)
{
    int64_t s = w == 32 ? (int32_t)v : (int64_t)v;
    uint64_t m = s < 0 ? ~(uint64_t)s : (uint64_t)s;

    return m ? 65 - __builtin_clzll(m) : 1;
}

/* sbits implied by a z_mask: a value below 2^k is sign-extended from k+1 */
static unsigned z_sbits(uint64_t z, unsigned w)
{
    unsigned n;

    if (z & (1ull << (w - 1))) {
        return w;
    }
    n = z ? 65 - __builtin_clzll(z) : 1;
    return MIN(n, w);
}

static inline int tidx(OptCtx *ctx, TCGTemp *ts)
{
    return (int)temp_idx(ctx->s, ts);
}

static inline TCGTemp *itemp(OptCtx *ctx, int i)
{
    return &ctx->s->temps[i];
}

/* First look at a temp in this extended block: what its kind tells */
static __attribute__((noinline)) OptTemp *ts_info_init(OptCtx *ctx,
                                                       TCGTemp *ts, int i)
{
    OptTemp *ti = &ctx->info[i];

    ctx->used[i / 64] |= 1ull << (i & 63);
    ti->prev_copy = ti->next_copy = i;
    ti->def = ++ctx->def_counter;
    ti->unop = UNOP_NONE;
    if (ts->kind == TEMP_CONST) {
        ti->is_const = true;
        ti->val = ts->val;
        ti->z_mask = ts->val & width_mask(ts->type);
        ti->sbits = const_sbits(ts->val, width_bits(ts->type));
    } else {
        ti->is_const = false;
        ti->val = 0;
        ti->z_mask = width_mask(ts->type);
        ti->sbits = width_bits(ts->type);
    }
    return ti;
}

static inline OptTemp *ts_info(OptCtx *ctx, TCGTemp *ts)
{
    int i = tidx(ctx, ts);

    if (likely(ctx->used[i / 64] & (1ull << (i & 63)))) {
        return &ctx->info[i];
    }
    return ts_info_init(ctx, ts, i);
}

static inline bool arg_is_const(OptCtx *ctx, TCGArg a)
{
    return ts_info(ctx, arg_temp(a))->is_const;
}

static inline uint64_t arg_val(OptCtx *ctx, TCGArg a)
{
    return ts_info(ctx, arg_temp(a))->val;
}

static inline bool arg_is_const_val(OptCtx *ctx, TCGArg a, uint64_t v)
{
    OptTemp *ti = ts_info(ctx, arg_temp(a));
    return ti->is_const && ti->val == v;
}

/* The temp gets a new value: forget everything known about the old one */
static void reset_ts(OptCtx *ctx, TCGTemp *ts)
{
    OptTemp *ti = ts_info(ctx, ts);
    int i = tidx(ctx, ts);

    if (ti->next_copy != i) {
        ctx->info[ti->prev_copy].next_copy = ti->next_copy;
        ctx->info[ti->next_copy].prev_copy = ti->prev_copy;
        ti->prev_copy = ti->next_copy = i;
    }
    ti->def = ++ctx->def_counter;
    ti->is_const = false;
    ti->unop = UNOP_NONE;
    ti->z_mask = width_mask(ts->type);
    ti->sbits = width_bits(ts->type);
}

static void reset_all(OptCtx *ctx)
{
    memset(ctx->used, 0, sizeof(ctx->used));
}

/* After a helper that may write globals: their values are unknown */
static void reset_globals(OptCtx *ctx)
{
    for (int i = 0; i < ctx->s->nb_globals; i++) {
        TCGTemp *ts = itemp(ctx, i);
        if (ts->kind == TEMP_GLOBAL &&
            (ctx->used[i / 64] & (1ull << (i & 63)))) {
            reset_ts(ctx, ts);
        }
    }
}

static bool ts_are_copies(OptCtx *ctx, TCGTemp *a, TCGTemp *b)
{
    OptTemp *ia, *ib;
    int ib_idx;

    if (a == b) {
        return true;
    }
    ia = ts_info(ctx, a);
    ib = ts_info(ctx, b);
    if (ia->is_const && ib->is_const) {
        return ia->val == ib->val;
    }
    ib_idx = tidx(ctx, b);
    for (int i = ia->next_copy; i != tidx(ctx, a); i = ctx->info[i].next_copy) {
        if (i == ib_idx) {
            return true;
        }
    }
    return false;
}

static inline bool args_are_copies(OptCtx *ctx, TCGArg a, TCGArg b)
{
    return ts_are_copies(ctx, arg_temp(a), arg_temp(b));
}

/*
 * The interned constant temp for (type, val), or NULL when creating one
 * could overflow the temp array: the optimizer must never make the TB
 * "too large" after tcg_gen_code() checked it, so it just skips the rule.
 */
static TCGTemp *opt_const(OptCtx *ctx, TCGType type, uint64_t val)
{
    if (ctx->s->nb_temps >= TCG_MAX_TEMPS - 3) {
        return NULL;
    }
    return tcg_constant_internal(type, (int64_t)val);
}

static TCGTemp *better_copy(OptCtx *ctx, TCGTemp *ts)
{
    OptTemp *ti = ts_info(ctx, ts);
    TCGTemp *best = ts;
    int self = tidx(ctx, ts);

    if (ti->is_const) {
        if (ts->kind != TEMP_CONST) {
            TCGTemp *c = opt_const(ctx, ts->type, ti->val);
            return c ? c : ts;
        }
        return ts;
    }
    for (int i = ti->next_copy; i != self; i = ctx->info[i].next_copy) {
        TCGTemp *t = itemp(ctx, i);
        if (t->kind > best->kind) {
            best = t;
        }
    }
    return best;
}

/* op becomes (or is) "mov dst, src": track the copy, drop it if redundant */
static void opt_mov(OptCtx *ctx, TCGOp *op)
{
    TCGTemp *dst = arg_temp(op->args[0]);
    TCGTemp *src = arg_temp(op->args[1]);
    OptTemp *si, *di, saved;
    int d, sidx;

    if (ts_are_copies(ctx, dst, src)) {
        tcg_op_remove(ctx->s, op);
        return;
    }
    saved = *ts_info(ctx, src);
    reset_ts(ctx, dst);
    di = ts_info(ctx, dst);
    di->z_mask = saved.z_mask;
    di->sbits = saved.sbits;
    di->unop = saved.unop;
    di->unop_src = saved.unop_src;
    di->unop_src_def = saved.unop_src_def;
    if (saved.is_const) {
        di->is_const = true;
        di->val = saved.val;
        return;
    }
    /* link dst after src in src's copy list */
    d = tidx(ctx, dst);
    sidx = tidx(ctx, src);
    si = &ctx->info[sidx];
    di->next_copy = si->next_copy;
    di->prev_copy = sidx;
    ctx->info[si->next_copy].prev_copy = d;
    si->next_copy = d;
}

/* op becomes "mov dst, $val"; false if no constant temp could be had */
static bool opt_movi(OptCtx *ctx, TCGOp *op, uint64_t val)
{
    TCGTemp *c = opt_const(ctx, op->type, sext_type(op->type, val));

    if (!c) {
        return false;
    }
    op->opc = INDEX_op_mov;
    op->nargs = 2;
    op->args[1] = temp_arg(c);
    opt_mov(ctx, op);
    return true;
}

/* op becomes "mov dst, src" */
static void opt_to_mov(OptCtx *ctx, TCGOp *op, TCGArg src)
{
    op->opc = INDEX_op_mov;
    op->nargs = 2;
    op->args[1] = src;
    opt_mov(ctx, op);
}

static void set_unop(TCGOp *op, TCGOpcode opc, TCGArg a)
{
    op->opc = opc;
    op->nargs = 2;
    op->args[1] = a;
}

/* ---- Evaluation with the exact semantics of tcg-opc.h ---- */

static bool eval_cond(TCGType type, uint64_t x, uint64_t y, TCGCond c)
{
    /*
     * I32 values are compared sign-extended: that orders them correctly
     * as signed, and also as unsigned (the negative ones stay above).
     */
    x = sext_type(type, x);
    y = sext_type(type, y);
    switch (c) {
    case TCG_COND_NEVER:
        return false;
    case TCG_COND_ALWAYS:
        return true;
    case TCG_COND_EQ:
        return x == y;
    case TCG_COND_NE:
        return x != y;
    case TCG_COND_LT:
        return (int64_t)x < (int64_t)y;
    case TCG_COND_GE:
        return (int64_t)x >= (int64_t)y;
    case TCG_COND_LE:
        return (int64_t)x <= (int64_t)y;
    case TCG_COND_GT:
        return (int64_t)x > (int64_t)y;
    case TCG_COND_LTU:
        return x < y;
    case TCG_COND_GEU:
        return x >= y;
    case TCG_COND_LEU:
        return x <= y;
    case TCG_COND_GTU:
        return x > y;
    }
    abort();
}

static uint64_t bswap_field(uint64_t x, unsigned bits)
{
    switch (bits) {
    case 16:
        return __builtin_bswap16((uint16_t)x);
    case 32:
        return __builtin_bswap32((uint32_t)x);
    default:
        return __builtin_bswap64(x);
    }
}

/*
 * Evaluate a single-output op on constant inputs in[] (and its constant
 * arguments).  False for what has no defined result (division by zero,
 * signed INT_MIN / -1), which is left for run time.
 */
static bool eval_op(const TCGOp *op, const uint64_t *in, uint64_t *out)
{
    TCGType type = op->type;
    const TCGOpDef *def = &tcg_op_defs[op->opc];
    const TCGArg *c = &op->args[def->nb_oargs + def->nb_iargs];
    bool is32 = type == TCG_TYPE_I32;
    unsigned w = width_bits(type);
    uint64_t x = in[0], y = in[1], r;
    uint64_t xz = x & width_mask(type), yz = y & width_mask(type);
    unsigned n;

    switch (op->opc) {
    case INDEX_op_mov:
        r = x;
        break;
    case INDEX_op_add:
        r = x + y;
        break;
    case INDEX_op_sub:
        r = x - y;
        break;
    case INDEX_op_mul:
        r = x * y;
        break;
    case INDEX_op_neg:
        r = -x;
        break;
    case INDEX_op_div:
    case INDEX_op_rem:
        if (is32) {
            int32_t a = (int32_t)x, b = (int32_t)y;
            if (b == 0 || (a == INT32_MIN && b == -1)) {
                return false;
            }
            r = (uint64_t)(int64_t)(op->opc == INDEX_op_div ? a / b : a % b);
        } else {
            int64_t a = (int64_t)x, b = (int64_t)y;
            if (b == 0 || (a == INT64_MIN && b == -1)) {
                return false;
            }
            r = (uint64_t)(op->opc == INDEX_op_div ? a / b : a % b);
        }
        break;
    case INDEX_op_divu:
    case INDEX_op_remu:
        if (yz == 0) {
            return false;
        }
        r = op->opc == INDEX_op_divu ? xz / yz : xz % yz;
        break;
    case INDEX_op_muluh:
        if (is32) {
            r = (xz * yz) >> 32;
        } else {
            r = (uint64_t)(((unsigned __int128)x * y) >> 64);
        }
        break;
    case INDEX_op_mulsh:
        if (is32) {
            r = (uint64_t)(((int64_t)(int32_t)x * (int32_t)y) >> 32);
        } else {
            r = (uint64_t)(((__int128)(int64_t)x * (int64_t)y) >> 64);
        }
        break;
    case INDEX_op_and:
        r = x & y;
        break;
    case INDEX_op_or:
        r = x | y;
        break;
    case INDEX_op_xor:
        r = x ^ y;
        break;
    case INDEX_op_andc:
        r = x & ~y;
        break;
    case INDEX_op_orc:
        r = x | ~y;
        break;
    case INDEX_op_eqv:
        r = ~(x ^ y);
        break;
    case INDEX_op_nand:
        r = ~(x & y);
        break;
    case INDEX_op_nor:
        r = ~(x | y);
        break;
    case INDEX_op_not:
        r = ~x;
        break;
    case INDEX_op_shl:
        r = xz << (y & (w - 1));
        break;
    case INDEX_op_shr:
        r = xz >> (y & (w - 1));
        break;
    case INDEX_op_sar:
        r = is32 ? (uint64_t)((int32_t)x >> (y & 31))
                 : (uint64_t)((int64_t)x >> (y & 63));
        break;
    case INDEX_op_rotl:
    case INDEX_op_rotr:
        n = y & (w - 1);
        if (op->opc == INDEX_op_rotr && n) {
            n = w - n;
        }
        r = n ? ((xz << n) | (xz >> (w - n))) : xz;
        break;
    case INDEX_op_extract:
        r = (xz >> c[0]) & low_mask(c[1]);
        break;
    case INDEX_op_sextract:
        /* move the field to the top of 64 bits, then shift back */
        r = (uint64_t)((int64_t)(x << (64 - c[0] - c[1])) >> (64 - c[1]));
        break;
    case INDEX_op_deposit: {
        uint64_t m = low_mask(c[1]) << c[0];
        r = (x & ~m) | ((y << c[0]) & m);
        break;
    }
    case INDEX_op_extract2:
        n = c[0];
        if (n == 0) {
            r = x;
        } else if (is32) {
            r = ((yz << 32) | xz) >> n;
        } else {
            r = (x >> n) | (y << (64 - n));
        }
        break;
    case INDEX_op_ext8s:
        r = (uint64_t)(int64_t)(int8_t)x;
        break;
    case INDEX_op_ext8u:
        r = (uint8_t)x;
        break;
    case INDEX_op_ext16s:
        r = (uint64_t)(int64_t)(int16_t)x;
        break;
    case INDEX_op_ext16u:
        r = (uint16_t)x;
        break;
    case INDEX_op_ext32s:
    case INDEX_op_ext_i32_i64:
    case INDEX_op_extrl_i64_i32:
        r = (uint64_t)(int64_t)(int32_t)x;
        break;
    case INDEX_op_ext32u:
    case INDEX_op_extu_i32_i64:
        r = (uint32_t)x;
        break;
    case INDEX_op_extrh_i64_i32:
        r = x >> 32;
        break;
    case INDEX_op_bswap16:
    case INDEX_op_bswap32:
    case INDEX_op_bswap64:
        n = op->opc == INDEX_op_bswap16 ? 16
            : op->opc == INDEX_op_bswap32 ? 32 : 64;
        r = bswap_field(x, n);
        if (n < w && (c[0] & TCG_BSWAP_OS)) {
            r = (uint64_t)((int64_t)(r << (64 - n)) >> (64 - n));
        }
        break;
    case INDEX_op_clz:
        if (xz == 0) {
            r = y;
        } else {
            r = __builtin_clzll(xz) - (64 - w);
        }
        break;
    case INDEX_op_ctz:
        r = xz ? (uint64_t)__builtin_ctzll(xz) : y;
        break;
    case INDEX_op_ctpop:
        r = __builtin_popcountll(xz);
        break;
    case INDEX_op_setcond:
        r = eval_cond(type, x, y, (TCGCond)c[0]);
        break;
    case INDEX_op_negsetcond:
        r = -(uint64_t)eval_cond(type, x, y, (TCGCond)c[0]);
        break;
    case INDEX_op_movcond:
        r = eval_cond(type, x, y, (TCGCond)c[0]) ? in[2] : in[3];
        break;
    default:
        return false;
    }
    *out = sext_type(type, r);
    return true;
}

/* (lo, hi) of a two-output op on constant inputs */
static bool eval_op2(const TCGOp *op, const uint64_t *in, uint64_t *lo,
                     uint64_t *hi)
{
    bool is32 = op->type == TCG_TYPE_I32;
    unsigned __int128 a, b, r;

    switch (op->opc) {
    case INDEX_op_add2:
    case INDEX_op_sub2:
        if (is32) {
            a = ((uint64_t)(uint32_t)in[1] << 32) | (uint32_t)in[0];
            b = ((uint64_t)(uint32_t)in[3] << 32) | (uint32_t)in[2];
        } else {
            a = ((unsigned __int128)in[1] << 64) | in[0];
            b = ((unsigned __int128)in[3] << 64) | in[2];
        }
        r = op->opc == INDEX_op_add2 ? a + b : a - b;
        break;
    case INDEX_op_mulu2:
        if (is32) {
            r = (uint64_t)(uint32_t)in[0] * (uint32_t)in[1];
        } else {
            r = (unsigned __int128)in[0] * in[1];
        }
        break;
    case INDEX_op_muls2:
        if (is32) {
            r = (uint64_t)((int64_t)(int32_t)in[0] * (int32_t)in[1]);
        } else {
            r = (unsigned __int128)((__int128)(int64_t)in[0] *
                                    (int64_t)in[1]);
        }
        break;
    default:
        return false;
    }
    if (is32) {
        *lo = sext_type(TCG_TYPE_I32, (uint64_t)r);
        *hi = sext_type(TCG_TYPE_I32, (uint64_t)r >> 32);
    } else {
        *lo = (uint64_t)r;
        *hi = (uint64_t)(r >> 64);
    }
    return true;
}

/*
 * Result of a comparison known at translation time: 1 true, 0 false,
 * -1 unknown.
 */
static int fold_cond(OptCtx *ctx, TCGType type, TCGArg x, TCGArg y,
                     TCGCond c)
{
    if (c == TCG_COND_ALWAYS) {
        return 1;
    }
    if (c == TCG_COND_NEVER) {
        return 0;
    }
    if (arg_is_const(ctx, x) && arg_is_const(ctx, y)) {
        return eval_cond(type, arg_val(ctx, x), arg_val(ctx, y), c);
    }
    if (args_are_copies(ctx, x, y)) {
        switch (c) {
        case TCG_COND_EQ:
        case TCG_COND_LE:
        case TCG_COND_GE:
        case TCG_COND_LEU:
        case TCG_COND_GEU:
            return 1;
        default:
            return 0;
        }
    }
    if (arg_is_const_val(ctx, y, 0)) {
        if (c == TCG_COND_LTU) {
            return 0;
        }
        if (c == TCG_COND_GEU) {
            return 1;
        }
    }
    return -1;
}

/*
 * Canonical form of a comparison: constant second, and unsigned
 * comparisons against zero as equalities.  Returns the new condition.
 */
static TCGCond canon_cond(OptCtx *ctx, TCGArg *x, TCGArg *y, TCGCond c)
{
    if (arg_is_const(ctx, *x) && !arg_is_const(ctx, *y)) {
        TCGArg t = *x;
        *x = *y;
        *y = t;
        c = tcg_swap_cond(c);
    }
    if (arg_is_const_val(ctx, *y, 0)) {
        if (c == TCG_COND_LEU) {
            c = TCG_COND_EQ;
        } else if (c == TCG_COND_GTU) {
            c = TCG_COND_NE;
        }
    }
    return c;
}

static bool is_commutative(TCGOpcode opc)
{
    switch (opc) {
    case INDEX_op_add:
    case INDEX_op_mul:
    case INDEX_op_and:
    case INDEX_op_or:
    case INDEX_op_xor:
    case INDEX_op_eqv:
    case INDEX_op_nand:
    case INDEX_op_nor:
    case INDEX_op_muluh:
    case INDEX_op_mulsh:
        return true;
    default:
        return false;
    }
}

/* ---- Known bits of a single output, computed from the inputs ---- */

static uint64_t z_sext(uint64_t z, unsigned bits, uint64_t wmask)
{
    uint64_t field = z & low_mask(bits);

    if (field & (1ull << (bits - 1))) {
        return (field | ~low_mask(bits)) & wmask;
    }
    return field;
}

static uint64_t rotl_w(uint64_t v, unsigned n, unsigned w)
{
    uint64_t m = low_mask(w);
    v &= m;
    return n ? ((v << n) | (v >> (w - n))) & m : v;
}

static void known_bits(OptCtx *ctx, const TCGOp *op, uint64_t *zp,
                       unsigned *sp)
{
    TCGType type = op->type;
    uint64_t wm = width_mask(type);
    unsigned w = width_bits(type);
    const TCGOpDef *def = &tcg_op_defs[op->opc];
    const TCGArg *c = &op->args[def->nb_oargs + def->nb_iargs];
    OptTemp *a = NULL, *b = NULL;
    uint64_t z = wm;
    unsigned s = w;

    if (def->nb_iargs >= 1) {
        a = ts_info(ctx, arg_temp(op->args[def->nb_oargs]));
    }
    if (def->nb_iargs >= 2) {
        b = ts_info(ctx, arg_temp(op->args[def->nb_oargs + 1]));
    }

    switch (op->opc) {
    case INDEX_op_and:
        z = a->z_mask & b->z_mask;
        s = MAX(a->sbits, b->sbits);
        break;
    case INDEX_op_or:
    case INDEX_op_xor:
        z = a->z_mask | b->z_mask;
        s = MAX(a->sbits, b->sbits);
        break;
    case INDEX_op_andc:
        z = a->z_mask;
        if (b->is_const) {
            z &= ~b->val;
        }
        break;
    case INDEX_op_eqv:
    case INDEX_op_nand:
    case INDEX_op_nor:
        s = MAX(a->sbits, b->sbits);
        break;
    case INDEX_op_not:
        s = a->sbits;
        break;
    case INDEX_op_shl:
        if (b->is_const) {
            z = (a->z_mask << (b->val & (w - 1))) & wm;
        }
        break;
    case INDEX_op_shr:
        if (b->is_const) {
            unsigned n = b->val & (w - 1);
            z = a->z_mask >> n;
            if (n) {
                s = MIN(w, w - n + 1);
            }
        }
        break;
    case INDEX_op_sar:
        if (b->is_const) {
            unsigned n = b->val & (w - 1);
            z = w == 32 ? (uint32_t)((int32_t)a->z_mask >> n)
                        : (uint64_t)((int64_t)a->z_mask >> n);
            s = MAX(1, (int)a->sbits - (int)n);
        }
        break;
    case INDEX_op_rotl:
    case INDEX_op_rotr:
        if (b->is_const) {
            unsigned n = b->val & (w - 1);
            if (op->opc == INDEX_op_rotr && n) {
                n = w - n;
            }
            z = rotl_w(a->z_mask, n, w);
        }
        break;
    case INDEX_op_extract:
        z = (a->z_mask >> c[0]) & low_mask(c[1]);
        break;
    case INDEX_op_sextract:
        z = z_sext(a->z_mask >> c[0], c[1], wm);
        s = c[1];
        break;
    case INDEX_op_deposit: {
        uint64_t m = low_mask(c[1]) << c[0];
        z = ((a->z_mask & ~m) | ((b->z_mask << c[0]) & m)) & wm;
        break;
    }
    case INDEX_op_ext8u:
        z = a->z_mask & 0xff;
        break;
    case INDEX_op_ext16u:
        z = a->z_mask & 0xffff;
        break;
    case INDEX_op_ext32u:
    case INDEX_op_extu_i32_i64:
        z = a->z_mask & 0xffffffffu;
        break;
    case INDEX_op_extrl_i64_i32:
        z = a->z_mask & 0xffffffffu;
        s = MIN(a->sbits, 32);
        break;
    case INDEX_op_extrh_i64_i32:
        z = a->z_mask >> 32;
        break;
    case INDEX_op_ext8s:
        z = z_sext(a->z_mask, 8, wm);
        s = MIN(a->sbits, 8);
        break;
    case INDEX_op_ext16s:
        z = z_sext(a->z_mask, 16, wm);
        s = MIN(a->sbits, 16);
        break;
    case INDEX_op_ext32s:
    case INDEX_op_ext_i32_i64:
        z = z_sext(a->z_mask, 32, wm);
        s = MIN(a->sbits, 32);
        break;
    case INDEX_op_bswap16:
        if (!(c[0] & TCG_BSWAP_OS)) {
            z = 0xffff;
        } else {
            s = 16;
        }
        break;
    case INDEX_op_bswap32:
        if (w == 64 && !(c[0] & TCG_BSWAP_OS)) {
            z = 0xffffffffu;
        } else {
            s = 32;
        }
        break;
    case INDEX_op_clz:
    case INDEX_op_ctz:
        z = (w - 1) | b->z_mask;
        break;
    case INDEX_op_ctpop:
        z = w == 32 ? 0x3f : 0x7f;
        break;
    case INDEX_op_setcond:
        z = 1;
        break;
    case INDEX_op_negsetcond:
        s = 1;
        break;
    case INDEX_op_movcond: {
        OptTemp *v1 = ts_info(ctx, arg_temp(op->args[3]));
        OptTemp *v2 = ts_info(ctx, arg_temp(op->args[4]));
        z = v1->z_mask | v2->z_mask;
        s = MAX(v1->sbits, v2->sbits);
        break;
    }
    case INDEX_op_ld8u:
        z = 0xff;
        break;
    case INDEX_op_ld16u:
        z = 0xffff;
        break;
    case INDEX_op_ld32u:
        z = 0xffffffffu;
        break;
    case INDEX_op_ld8s:
        s = 8;
        break;
    case INDEX_op_ld16s:
        s = 16;
        break;
    case INDEX_op_ld32s:
        s = 32;
        break;
    case INDEX_op_qemu_ld: {
        MemOp mop = get_memop((MemOpIdx)c[0]);
        unsigned bits = 8u << (mop & MO_SIZE);
        if (bits < w) {
            if (mop & MO_SIGN) {
                s = bits;
            } else {
                z = low_mask(bits);
            }
        }
        break;
    }
    default:
        break;
    }
    *zp = z & wm;
    *sp = MIN(MIN(s, w), z_sbits(z & wm, w));
}

/*
 * The generic end of an op: its outputs get new values about which we
 * know what known_bits() says.  An output known to be zero becomes a
 * constant (for ops that are pure).
 */
static void finish_op(OptCtx *ctx, TCGOp *op)
{
    unsigned nb_o = tcg_op_nb_oargs(op);
    uint64_t z = 0;
    unsigned sb = 0;
    int unop = UNOP_NONE;
    int usrc = 0;
    uint32_t usrc_def = 0;

    if (nb_o == 0) {
        return;
    }
    if (op->opc == INDEX_op_call || nb_o != 1) {
        for (unsigned i = 0; i < nb_o; i++) {
            reset_ts(ctx, arg_temp(op->args[i]));
        }
        return;
    }

    /* inputs are read before the output may overwrite one of them */
    known_bits(ctx, op, &z, &sb);
    if (op->opc == INDEX_op_not || op->opc == INDEX_op_neg) {
        TCGTemp *src = arg_temp(op->args[1]);
        unop = op->opc == INDEX_op_not ? UNOP_NOT : UNOP_NEG;
        usrc = tidx(ctx, src);
        usrc_def = ts_info(ctx, src)->def;
    }

    if (z == 0 && op->opc != INDEX_op_qemu_ld && op->opc != INDEX_op_discard &&
        opt_movi(ctx, op, 0)) {
        return;
    }

    TCGTemp *out = arg_temp(op->args[0]);
    reset_ts(ctx, out);
    if (op->opc == INDEX_op_discard) {
        return;
    }
    OptTemp *oi = ts_info(ctx, out);
    oi->z_mask = z;
    oi->sbits = sb;
    if (unop != UNOP_NONE && usrc != tidx(ctx, out)) {
        oi->unop = unop;
        oi->unop_src = usrc;
        oi->unop_src_def = usrc_def;
    }
}

/* If a = unop(src) still holds, src's temp; else NULL */
static TCGTemp *unop_source(OptCtx *ctx, TCGArg a, int unop)
{
    OptTemp *ti = ts_info(ctx, arg_temp(a));
    int src = ti->unop_src;

    if (ti->unop != unop) {
        return NULL;
    }
    if (!(ctx->used[src / 64] & (1ull << (src & 63))) ||
        ctx->info[src].def != ti->unop_src_def) {
        return NULL;
    }
    return itemp(ctx, src);
}

/*
 * Fold one op that computes values (no control flow, no call).  Either
 * rewrites it (to a mov, a cheaper op, or nothing) or leaves it; always
 * updates what is known about its outputs.
 */
static void fold_op(OptCtx *ctx, TCGOp *op)
{
    TCGContext *s = ctx->s;
    uint64_t in[6];
    int restarts = 0;

restart:
    restarts++;
    assert(restarts < 8);
    {
        TCGOpcode opc = op->opc;
        const TCGOpDef *def = &tcg_op_defs[opc];
        TCGType type = op->type;
        uint64_t wm = width_mask(type);
        unsigned nb_o = def->nb_oargs, nb_i = def->nb_iargs;
        TCGArg *a = &op->args[nb_o];    /* inputs */
        bool all_const = nb_i > 0;

        if (opc == INDEX_op_mov) {
            opt_mov(ctx, op);
            return;
        }
        if (def->flags & TCG_OPF_SIDE_EFFECTS || opc == INDEX_op_discard) {
            finish_op(ctx, op);
            return;
        }

        if (is_commutative(opc) && arg_is_const(ctx, a[0]) &&
            !arg_is_const(ctx, a[1])) {
            TCGArg t = a[0];
            a[0] = a[1];
            a[1] = t;
        }
        if ((opc == INDEX_op_mulu2 || opc == INDEX_op_muls2) &&
            arg_is_const(ctx, a[0]) && !arg_is_const(ctx, a[1])) {
            TCGArg t = a[0];
            a[0] = a[1];
            a[1] = t;
        }
        if (opc == INDEX_op_setcond || opc == INDEX_op_negsetcond ||
            opc == INDEX_op_movcond) {
            TCGArg *cp = &op->args[nb_o + nb_i];
            *cp = canon_cond(ctx, &a[0], &a[1], (TCGCond)*cp);
        }

        for (unsigned i = 0; i < nb_i; i++) {
            OptTemp *ti = ts_info(ctx, arg_temp(a[i]));
            if (!ti->is_const) {
                all_const = false;
                break;
            }
            in[i] = ti->val;
        }

        if (all_const && nb_o == 1 && !(def->flags & TCG_OPF_SIDE_EFFECTS)) {
            uint64_t r;
            if (eval_op(op, in, &r) && opt_movi(ctx, op, r)) {
                return;
            }
        }
        if (all_const && nb_o == 2) {
            uint64_t lo, hi;
            if (eval_op2(op, in, &lo, &hi)) {
                TCGTemp *clo = opt_const(ctx, type, lo);
                TCGTemp *chi = opt_const(ctx, type, hi);
                if (clo && chi) {
                    TCGOp *op2 = tcg_op_insert_after(s, op, INDEX_op_mov,
                                                     type, 2);
                    op2->args[0] = op->args[1];
                    op2->args[1] = temp_arg(chi);
                    opt_to_mov(ctx, op, temp_arg(clo));
                    opt_mov(ctx, op2);
                    return;
                }
            }
        }

        /* algebraic simplification with some constant or equal inputs */
        bool yc = nb_i >= 2 && arg_is_const(ctx, a[1]);
        uint64_t y = yc ? arg_val(ctx, a[1]) & wm : 0;
        bool xc = nb_i >= 1 && arg_is_const(ctx, a[0]);
        uint64_t x = xc ? arg_val(ctx, a[0]) & wm : 0;
        OptTemp *xi = nb_i >= 1 ? ts_info(ctx, arg_temp(a[0])) : NULL;
        TCGTemp *t;

        switch (opc) {
        case INDEX_op_add:
            if (yc && y == 0) {
                opt_to_mov(ctx, op, a[0]);
                return;
            }
            break;
        case INDEX_op_sub:
            if (args_are_copies(ctx, a[0], a[1]) && opt_movi(ctx, op, 0)) {
                return;
            }
            if (yc && y == 0) {
                opt_to_mov(ctx, op, a[0]);
                return;
            }
            if (yc && (t = opt_const(ctx, type, sext_type(type, -y)))) {
                op->opc = INDEX_op_add;
                a[1] = temp_arg(t);
                goto restart;
            }
            if (xc && x == 0) {
                set_unop(op, INDEX_op_neg, a[1]);
                goto restart;
            }
            break;
        case INDEX_op_mul:
            if (yc && y == 0 && opt_movi(ctx, op, 0)) {
                return;
            }
            if (yc && y == 1) {
                opt_to_mov(ctx, op, a[0]);
                return;
            }
            break;
        case INDEX_op_muluh:
        case INDEX_op_mulsh:
            if (yc && y == 0 && opt_movi(ctx, op, 0)) {
                return;
            }
            break;
        case INDEX_op_and:
            if (yc && y == wm) {
                opt_to_mov(ctx, op, a[0]);
                return;
            }
            if (args_are_copies(ctx, a[0], a[1])) {
                opt_to_mov(ctx, op, a[0]);
                return;
            }
            /* the mask keeps every bit that may be set */
            if (yc && (xi->z_mask & ~y) == 0) {
                opt_to_mov(ctx, op, a[0]);
                return;
            }
            break;
        case INDEX_op_or:
            if (yc && y == wm && opt_movi(ctx, op, -1)) {
                return;
            }
            if ((yc && y == 0) || args_are_copies(ctx, a[0], a[1])) {
                opt_to_mov(ctx, op, a[0]);
                return;
            }
            break;
        case INDEX_op_xor:
            if (args_are_copies(ctx, a[0], a[1]) && opt_movi(ctx, op, 0)) {
                return;
            }
            if (yc && y == 0) {
                opt_to_mov(ctx, op, a[0]);
                return;
            }
            if (yc && y == wm) {
                set_unop(op, INDEX_op_not, a[0]);
                goto restart;
            }
            break;
        case INDEX_op_andc:
            if (args_are_copies(ctx, a[0], a[1]) && opt_movi(ctx, op, 0)) {
                return;
            }
            if (xc && x == 0 && opt_movi(ctx, op, 0)) {
                return;
            }
            if (yc && (t = opt_const(ctx, type, sext_type(type, ~y)))) {
                op->opc = INDEX_op_and;
                a[1] = temp_arg(t);
                goto restart;
            }
            break;
        case INDEX_op_orc:
            if (args_are_copies(ctx, a[0], a[1]) && opt_movi(ctx, op, -1)) {
                return;
            }
            if (xc && x == wm && opt_movi(ctx, op, -1)) {
                return;
            }
            if (yc && (t = opt_const(ctx, type, sext_type(type, ~y)))) {
                op->opc = INDEX_op_or;
                a[1] = temp_arg(t);
                goto restart;
            }
            break;
        case INDEX_op_eqv:
            if (args_are_copies(ctx, a[0], a[1]) && opt_movi(ctx, op, -1)) {
                return;
            }
            if (yc && (t = opt_const(ctx, type, sext_type(type, ~y)))) {
                op->opc = INDEX_op_xor;
                a[1] = temp_arg(t);
                goto restart;
            }
            break;
        case INDEX_op_nand:
            if (args_are_copies(ctx, a[0], a[1]) || (yc && y == wm)) {
                set_unop(op, INDEX_op_not, a[0]);
                goto restart;
            }
            if (yc && y == 0 && opt_movi(ctx, op, -1)) {
                return;
            }
            break;
        case INDEX_op_nor:
            if (args_are_copies(ctx, a[0], a[1]) || (yc && y == 0)) {
                set_unop(op, INDEX_op_not, a[0]);
                goto restart;
            }
            if (yc && y == wm && opt_movi(ctx, op, 0)) {
                return;
            }
            break;
        case INDEX_op_not:
            if ((t = unop_source(ctx, a[0], UNOP_NOT))) {
                opt_to_mov(ctx, op, temp_arg(t));
                return;
            }
            break;
        case INDEX_op_neg:
            if ((t = unop_source(ctx, a[0], UNOP_NEG))) {
                opt_to_mov(ctx, op, temp_arg(t));
                return;
            }
            break;
        case INDEX_op_shl:
        case INDEX_op_shr:
        case INDEX_op_sar:
        case INDEX_op_rotl:
        case INDEX_op_rotr:
            if (yc && (y & (width_bits(type) - 1)) == 0) {
                opt_to_mov(ctx, op, a[0]);
                return;
            }
            if (xc && x == 0 && opt_movi(ctx, op, 0)) {
                return;
            }
            if (xc && x == wm && opc != INDEX_op_shl && opc != INDEX_op_shr &&
                opt_movi(ctx, op, -1)) {
                return;
            }
            break;
        case INDEX_op_div:
        case INDEX_op_divu:
            if (yc && y == 1) {
                opt_to_mov(ctx, op, a[0]);
                return;
            }
            break;
        case INDEX_op_rem:
        case INDEX_op_remu:
            if (yc && y == 1 && opt_movi(ctx, op, 0)) {
                return;
            }
            break;
        case INDEX_op_ext8u:
        case INDEX_op_ext16u:
        case INDEX_op_ext32u: {
            uint64_t m = opc == INDEX_op_ext8u ? 0xff
                         : opc == INDEX_op_ext16u ? 0xffff : 0xffffffffu;
            if ((xi->z_mask & ~m) == 0) {
                opt_to_mov(ctx, op, a[0]);
                return;
            }
            break;
        }
        case INDEX_op_ext8s:
        case INDEX_op_ext16s:
        case INDEX_op_ext32s: {
            unsigned bits = opc == INDEX_op_ext8s ? 8
                            : opc == INDEX_op_ext16s ? 16 : 32;
            if (xi->sbits <= bits) {
                opt_to_mov(ctx, op, a[0]);
                return;
            }
            break;
        }
        case INDEX_op_extract:
            if (op->args[2] == 0 &&
                (xi->z_mask & ~low_mask(op->args[3])) == 0) {
                opt_to_mov(ctx, op, a[0]);
                return;
            }
            break;
        case INDEX_op_sextract:
            if (op->args[2] == 0 && xi->sbits <= op->args[3]) {
                opt_to_mov(ctx, op, a[0]);
                return;
            }
            break;
        case INDEX_op_clz:
        case INDEX_op_ctz:
            if (xc) {
                /* the fallback is used only for a zero input */
                if (x == 0) {
                    opt_to_mov(ctx, op, a[1]);
                    return;
                }
                uint64_t r;
                in[0] = x;
                in[1] = 0;
                if (eval_op(op, in, &r) && opt_movi(ctx, op, r)) {
                    return;
                }
            }
            break;
        case INDEX_op_setcond:
        case INDEX_op_negsetcond: {
            TCGCond cond = (TCGCond)op->args[3];
            int r = fold_cond(ctx, type, a[0], a[1], cond);
            if (r >= 0 && opt_movi(ctx, op, opc == INDEX_op_setcond
                                   ? (uint64_t)r : -(uint64_t)r)) {
                return;
            }
            /* a boolean compared with zero is itself, or its inverse */
            if (arg_is_const_val(ctx, a[1], 0) && xi->z_mask == 1) {
                if (cond == TCG_COND_NE) {
                    if (opc == INDEX_op_setcond) {
                        opt_to_mov(ctx, op, a[0]);
                        return;
                    }
                    set_unop(op, INDEX_op_neg, a[0]);
                    goto restart;
                }
                if (cond == TCG_COND_EQ && opc == INDEX_op_setcond &&
                    (t = opt_const(ctx, type, 1))) {
                    op->opc = INDEX_op_xor;
                    op->nargs = 3;
                    a[1] = temp_arg(t);
                    goto restart;
                }
            }
            break;
        }
        case INDEX_op_movcond: {
            int r = fold_cond(ctx, type, a[0], a[1], (TCGCond)op->args[5]);
            if (r >= 0) {
                opt_to_mov(ctx, op, r ? a[2] : a[3]);
                return;
            }
            if (args_are_copies(ctx, a[2], a[3])) {
                opt_to_mov(ctx, op, a[2]);
                return;
            }
            break;
        }
        default:
            break;
        }
        finish_op(ctx, op);
    }
}

/* Replace each input by the best temp known to hold the same value */
static void propagate_inputs(OptCtx *ctx, TCGOp *op)
{
    unsigned nb_o = tcg_op_nb_oargs(op);
    unsigned nb_i = tcg_op_nb_iargs(op);

    for (unsigned i = nb_o; i < nb_o + nb_i; i++) {
        op->args[i] = temp_arg(better_copy(ctx, arg_temp(op->args[i])));
    }
}

/* An op that goes away in unreachable code: its branch no longer counts */
static void remove_op_and_ref(TCGContext *s, TCGOp *op)
{
    if (op->opc == INDEX_op_br) {
        arg_label(op->args[0])->refs--;
    } else if (op->opc == INDEX_op_brcond) {
        arg_label(op->args[3])->refs--;
    }
    tcg_op_remove(s, op);
}

static OptData *opt_data(TCGContext *s)
{
    if (!s->opt_data) {
        s->opt_data = emu_malloc(sizeof(OptData));
    }
    return s->opt_data;
}

void tcg_optimize(TCGContext *s)
{
    OptCtx ctx = { .s = s };
    TCGOp *op, *next;
    bool dead = false;      /* after an unconditional jump */

    ctx.info = opt_data(s)->info;

    /*
     * Count the branches to each label ourselves: dropping a label that
     * a branch still targets would be fatal, and ops may have been
     * emitted without the tcg-op.h helpers that keep the count.
     */
    for (int i = 0; i < s->nb_labels; i++) {
        s->labels[i].refs = 0;
    }
    TAILQ_FOREACH(op, &s->ops, link) {
        if (op->opc == INDEX_op_br) {
            arg_label(op->args[0])->refs++;
        } else if (op->opc == INDEX_op_brcond) {
            arg_label(op->args[3])->refs++;
        }
    }

    /* next is taken before the op is folded: folding may remove it */
    for (op = TAILQ_FIRST(&s->ops); op; op = next) {
        TCGOpcode opc = op->opc;

        next = TAILQ_NEXT(op, link);

        if (dead && opc != INDEX_op_set_label) {
            /* unreachable, but unwinding still needs the insn boundaries */
            if (opc != INDEX_op_insn_start) {
                remove_op_and_ref(s, op);
            }
            continue;
        }

        switch (opc) {
        case INDEX_op_set_label: {
            TCGLabel *l = arg_label(op->args[0]);
            TCGOp *prev = TAILQ_PREV(op, TCGOpHead, link);

            /* a jump to the very next op is no jump */
            while (prev && prev->opc == INDEX_op_insn_start) {
                prev = TAILQ_PREV(prev, TCGOpHead, link);
            }
            if (prev && ((prev->opc == INDEX_op_br &&
                          arg_label(prev->args[0]) == l) ||
                         (prev->opc == INDEX_op_brcond &&
                          arg_label(prev->args[3]) == l))) {
                remove_op_and_ref(s, prev);
                dead = false;
            }
            if (l->refs == 0) {
                /* no branch comes here: not a block boundary any more */
                l->present = false;
                tcg_op_remove(s, op);
                continue;
            }
            dead = false;
            reset_all(&ctx);
            break;
        }
        case INDEX_op_insn_start:
        case INDEX_op_mb:
        case INDEX_op_goto_tb:
            break;
        case INDEX_op_br:
            dead = true;
            break;
        case INDEX_op_exit_tb:
            dead = true;
            break;
        case INDEX_op_goto_ptr:
            propagate_inputs(&ctx, op);
            dead = true;
            break;
        case INDEX_op_brcond: {
            TCGCond c;
            int r;

            propagate_inputs(&ctx, op);
            c = canon_cond(&ctx, &op->args[0], &op->args[1],
                           (TCGCond)op->args[2]);
            op->args[2] = c;
            r = fold_cond(&ctx, op->type, op->args[0], op->args[1], c);
            if (r == 0) {
                remove_op_and_ref(s, op);
            } else if (r == 1) {
                op->opc = INDEX_op_br;
                op->nargs = 1;
                op->args[0] = op->args[3];
                op->args[1] = op->args[2] = op->args[3] = 0;
                dead = true;
            }
            /* the fall-through path is the same extended block */
            break;
        }
        case INDEX_op_call: {
            unsigned flags = tcg_call_info(op)->flags;

            propagate_inputs(&ctx, op);
            if (!(flags & (TCG_CALL_NO_WRITE_GLOBALS |
                           TCG_CALL_NO_READ_GLOBALS))) {
                reset_globals(&ctx);
            }
            finish_op(&ctx, op);
            break;
        }
        default:
            propagate_inputs(&ctx, op);
            fold_op(&ctx, op);
            break;
        }
    }
}
