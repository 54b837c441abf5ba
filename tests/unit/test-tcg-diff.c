/* Differential test of every IR op: C reference, interpreter, native code. */
#include "emu/osdep.h"
#include "tcg/tcg.h"
#include "tcg/tcg-op.h"
#include "exec/translation-block.h"
#include <setjmp.h>
#include <cmocka.h>

/*
 * For every op, width and constant argument, a TB loads inputs (from env
 * through temps, from globals, or as constants so that the optimizer
 * folds), applies the op and stores the outputs.  It runs with the
 * optimizer on and off, under every back end of this host, on edge-case
 * and random inputs (fixed seed), and every result must equal the C
 * reference below, written independently of both back ends.
 *
 * Inputs the IR leaves undefined (division by zero, INT_MIN / -1) are
 * only given to the interpreter, whose documented answers the reference
 * knows; native code may trap on them.
 */

#if defined(__x86_64__)
/* weak: the test still links while the native back end is being written */
extern const TCGBackend tcg_backend_native __attribute__((weak));
#endif

#define NIN 8               /* inputs per op, at most (call: 7) */
#define NOUT 2

typedef struct DiffEnv {
    uint64_t in[NIN];       /* I64 inputs; I32 inputs with junk above */
    uint32_t in32[NIN];     /* I32 inputs, clean */
    uint64_t gin64[NIN];    /* memory of the input globals */
    uint32_t gin32[NIN];
    uint64_t out[NOUT];
    uint32_t out32[NOUT];
    uint64_t gout64[NOUT];
    uint32_t gout32[NOUT];
    uint8_t mem[64];        /* host loads and stores */
    uint64_t tout[32];      /* random programs: final values of temps */
} DiffEnv;

/* The TLB sits below env, as in a CPU */
typedef struct DiffCPU {
    CPUTLBDescFast fast[1];
    DiffEnv env;
} DiffCPU;

#define GUEST_PAGE_BITS 12
#define GUEST_PAGE 0x5000u  /* the one mapped guest page (TLB entry 5) */

static CPUTLBEntry diff_tlb[16];
static uint8_t guest_page[4096] __attribute__((aligned(4096)));

typedef struct Engine {
    const char *name;
    TCGContext *s;
    TCGv_ptr env;
    TCGv_i64 gin64[NIN];
    TCGv_i32 gin32[NIN];
    TCGv_i64 gout64[NOUT];
    TCGv_i32 gout32[NOUT];
} Engine;

static Engine engines[2];
static uint64_t nb_runs, nb_tbs;
static int nb_engines;
static DiffCPU cpu;

/* ---- The cases ---- */

typedef enum Kind {
    K_PURE,         /* outputs = f(inputs, constant args) */
    K_BRCOND,       /* out0 = branch taken ? 1 : 2 */
    K_HOST_LD,      /* ld* from env->mem */
    K_HOST_ST,      /* st* to env->mem */
    K_QEMU_LD,      /* guest load through the TLB (hits only) */
    K_QEMU_ST,
    K_CALL,         /* a helper with mixed argument kinds */
} Kind;

typedef struct Case {
    TCGOpcode opc;
    TCGType type;
    Kind kind;
    unsigned nb_o, nb_i;            /* data outputs and inputs */
    TCGType otype[NOUT], itype[NIN];
    unsigned nb_c;
    TCGArg carg[2];
    MemOp mop;
    const TCGHelperInfo *helper;
} Case;

typedef struct Result {
    uint64_t out[NOUT];
    uint8_t mem[64];
    uint8_t page[16];
} Result;

static unsigned width(TCGType t)
{
    return t == TCG_TYPE_I32 ? 32 : 64;
}

static uint64_t wmask(unsigned w)
{
    return w == 64 ? ~(uint64_t)0 : 0xffffffffu;
}

static int64_t sx(uint64_t v, unsigned w)
{
    return w == 64 ? (int64_t)v : (int64_t)(int32_t)v;
}

static unsigned bit(uint64_t v, unsigned i)
{
    return (v >> i) & 1;
}

/* ---- The C reference ---- */

static bool ref_cond(TCGCond c, uint64_t a, uint64_t b, unsigned w)
{
    uint64_t ua = a & wmask(w), ub = b & wmask(w);
    int64_t sa = sx(ua, w), sb = sx(ub, w);

    switch (c) {
    case TCG_COND_NEVER: return false;
    case TCG_COND_ALWAYS: return true;
    case TCG_COND_EQ: return ua == ub;
    case TCG_COND_NE: return ua != ub;
    case TCG_COND_LT: return sa < sb;
    case TCG_COND_GE: return sa >= sb;
    case TCG_COND_LE: return sa <= sb;
    case TCG_COND_GT: return sa > sb;
    case TCG_COND_LTU: return ua < ub;
    case TCG_COND_GEU: return ua >= ub;
    case TCG_COND_LEU: return ua <= ub;
    case TCG_COND_GTU: return ua > ub;
    }
    fail_msg("bad condition %d", c);
    return false;
}

/* Unsigned 2w-bit product, schoolbook on 16-bit digits */
static void ref_mulu(uint64_t a, uint64_t b, unsigned w, uint64_t *lo,
                     uint64_t *hi)
{
    unsigned n = w / 16;
    uint64_t r[8] = { 0 };

    for (unsigned i = 0; i < n; i++) {
        uint64_t carry = 0;
        for (unsigned j = 0; j < n; j++) {
            uint64_t t = r[i + j] + ((a >> (16 * i)) & 0xffff) *
                         ((b >> (16 * j)) & 0xffff) + carry;
            r[i + j] = t & 0xffff;
            carry = t >> 16;
        }
        r[i + n] += carry;
    }
    *lo = *hi = 0;
    for (unsigned i = 0; i < n; i++) {
        *lo |= r[i] << (16 * i);
        *hi |= r[i + n] << (16 * i);
    }
}

static void ref_muls(uint64_t a, uint64_t b, unsigned w, uint64_t *lo,
                     uint64_t *hi)
{
    uint64_t m = wmask(w);

    ref_mulu(a & m, b & m, w, lo, hi);
    /* two's complement: subtract the other factor for each negative one */
    if (bit(a, w - 1)) {
        *hi -= b;
    }
    if (bit(b, w - 1)) {
        *hi -= a;
    }
    *hi &= m;
}

static uint64_t ref_bswap(uint64_t v, unsigned bytes)
{
    uint64_t r = 0;

    for (unsigned i = 0; i < bytes; i++) {
        r = (r << 8) | ((v >> (8 * i)) & 0xff);
    }
    return r;
}

static uint64_t ref_sext(uint64_t v, unsigned bits)
{
    if (bits < 64 && bit(v, bits - 1)) {
        v |= ~(uint64_t)0 << bits;
    } else if (bits < 64) {
        v &= ~(~(uint64_t)0 << bits);
    }
    return v;
}

static uint64_t ref_load(const uint8_t *p, MemOp mop)
{
    unsigned n = memop_size(mop);
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++) {
        unsigned k = (mop & MO_BSWAP) ? n - 1 - i : i;
        v |= (uint64_t)p[k] << (8 * i);      /* host is little endian */
    }
    if (HOST_BIG_ENDIAN) {
        v = ref_bswap(v, n);
    }
    return (mop & MO_SIGN) ? ref_sext(v, 8 * n) : v;
}

static void ref_store(uint8_t *p, uint64_t v, MemOp mop)
{
    unsigned n = memop_size(mop);
    bool swap = ((mop & MO_BSWAP) != 0) != HOST_BIG_ENDIAN;

    for (unsigned i = 0; i < n; i++) {
        p[swap ? n - 1 - i : i] = v >> (8 * i);
    }
}

static uint64_t diff_helper7(uint32_t a, int32_t b, uint64_t c, uint32_t d,
                             int32_t e, uint64_t f, void *g)
{
    return a * 3ull + (uint64_t)(int64_t)b * 5 + c * 7 + d * 11ull +
           (uint64_t)(int64_t)e * 13 + f * 17 + (uintptr_t)g * 19;
}

static int32_t diff_helper_s32(uint32_t a, uint64_t b)
{
    return (int32_t)(a ^ (uint32_t)(b >> 7)) >> 3;
}

static uint32_t diff_helper_u32(int32_t a, uint32_t b)
{
    return (uint32_t)a * 0x9e3779b9u + b;
}

static const TCGHelperInfo info_helper7 = {
    .func = (void *)diff_helper7, .name = "helper7",
    .flags = TCG_CALL_CONST, .ret = TCG_CALL_I64, .nargs = 7,
    .args = { TCG_CALL_I32, TCG_CALL_S32, TCG_CALL_I64, TCG_CALL_I32,
              TCG_CALL_S32, TCG_CALL_I64, TCG_CALL_PTR },
};
static const TCGHelperInfo info_helper_s32 = {
    .func = (void *)diff_helper_s32, .name = "helper_s32",
    .flags = 0, .ret = TCG_CALL_S32, .nargs = 2,
    .args = { TCG_CALL_I32, TCG_CALL_I64 },
};
static const TCGHelperInfo info_helper_u32 = {
    .func = (void *)diff_helper_u32, .name = "helper_u32",
    .flags = TCG_CALL_NO_WG, .ret = TCG_CALL_I32, .nargs = 2,
    .args = { TCG_CALL_S32, TCG_CALL_I32 },
};

static uint64_t ref_call(const Case *c, const uint64_t *in)
{
    if (c->helper == &info_helper7) {
        return diff_helper7(in[0], in[1], in[2], in[3], in[4], in[5],
                            (void *)(uintptr_t)in[6]);
    }
    if (c->helper == &info_helper_s32) {
        return (uint32_t)diff_helper_s32(in[0], in[1]);
    }
    return diff_helper_u32(in[0], in[1]);
}

/* What the op must produce; false if the inputs are outside the IR's
 * defined domain (then only the interpreter's own answer is checked) */
static bool ref_eval(const Case *c, const uint64_t *in, const DiffEnv *pre,
                     Result *r)
{
    unsigned w = width(c->type);
    uint64_t m = wmask(w);
    uint64_t a = in[0] & m, b = in[1] & m;
    int64_t sa = sx(a, w), sb = sx(b, w);
    int64_t smin = w == 64 ? INT64_MIN : INT32_MIN;
    unsigned cnt = b & (w - 1);
    bool defined = true;
    uint64_t *o = r->out;

    memcpy(r->mem, pre->mem, sizeof(r->mem));
    memcpy(r->page, guest_page + 0x100, sizeof(r->page));
    o[0] = o[1] = 0;

    switch (c->kind) {
    case K_BRCOND:
        o[0] = ref_cond(c->carg[0], a, b, w) ? 1 : 2;
        return true;
    case K_HOST_LD: {
        MemOp mop = c->opc == INDEX_op_ld8u ? MO_UB : c->opc == INDEX_op_ld8s
            ? MO_SB : c->opc == INDEX_op_ld16u ? MO_UW : c->opc ==
            INDEX_op_ld16s ? MO_SW : c->opc == INDEX_op_ld32u ? MO_UL :
            c->opc == INDEX_op_ld32s ? MO_SL : w == 64 ? MO_UQ : MO_UL;
        o[0] = ref_load(pre->mem + c->carg[0], mop) & m;
        return true;
    }
    case K_HOST_ST: {
        MemOp mop = c->opc == INDEX_op_st8 ? MO_8 : c->opc == INDEX_op_st16
            ? MO_16 : c->opc == INDEX_op_st32 ? MO_32 : w == 64 ? MO_64
            : MO_32;
        ref_store(r->mem + c->carg[0], a, mop);
        return true;
    }
    case K_QEMU_LD:
        o[0] = ref_load(guest_page + (in[0] - GUEST_PAGE), c->mop) & m;
        return true;
    case K_QEMU_ST:
        ref_store(r->page + (in[1] - GUEST_PAGE - 0x100), a, c->mop);
        return true;
    case K_CALL:
        o[0] = ref_call(c, in) & wmask(width(c->otype[0]));
        return true;
    case K_PURE:
        break;
    }

    switch (c->opc) {
    case INDEX_op_mov: o[0] = a; break;
    case INDEX_op_setcond:
        o[0] = ref_cond(c->carg[0], a, b, w);
        break;
    case INDEX_op_negsetcond:
        o[0] = ref_cond(c->carg[0], a, b, w) ? m : 0;
        break;
    case INDEX_op_movcond:
        o[0] = ref_cond(c->carg[0], a, b, w) ? in[2] & m : in[3] & m;
        break;
    case INDEX_op_add: o[0] = (a + b) & m; break;
    case INDEX_op_sub: o[0] = (a - b) & m; break;
    case INDEX_op_mul: o[0] = (a * b) & m; break;
    case INDEX_op_neg: o[0] = (0 - a) & m; break;
    case INDEX_op_div:
        if (sb == 0) {
            defined = false;
            o[0] = 0;
        } else if (sa == smin && sb == -1) {
            defined = false;
            o[0] = a;
        } else {
            o[0] = (uint64_t)(sa / sb) & m;
        }
        break;
    case INDEX_op_rem:
        if (sb == 0) {
            defined = false;
            o[0] = 0;
        } else if (sb == -1) {
            /* x % -1 is 0; for MIN % -1 only by the interpreter's rule */
            defined = sa != smin;
            o[0] = 0;
        } else {
            o[0] = (uint64_t)(sa % sb) & m;
        }
        break;
    case INDEX_op_divu:
        defined = b != 0;
        o[0] = b ? a / b : 0;
        break;
    case INDEX_op_remu:
        defined = b != 0;
        o[0] = b ? a % b : 0;
        break;
    case INDEX_op_add2:
    case INDEX_op_sub2: {
        bool add = c->opc == INDEX_op_add2;
        if (w == 32) {
            uint64_t x = (in[1] & m) << 32 | a, y = (in[3] & m) << 32 |
                         (in[2] & m);
            uint64_t z = add ? x + y : x - y;
            o[0] = z & m;
            o[1] = z >> 32;
        } else {
            unsigned __int128 x = (unsigned __int128)in[1] << 64 | in[0];
            unsigned __int128 y = (unsigned __int128)in[3] << 64 | in[2];
            unsigned __int128 z = add ? x + y : x - y;
            o[0] = (uint64_t)z;
            o[1] = (uint64_t)(z >> 64);
        }
        break;
    }
    case INDEX_op_mulu2: ref_mulu(a, b, w, &o[0], &o[1]); break;
    case INDEX_op_muls2: ref_muls(a, b, w, &o[0], &o[1]); break;
    case INDEX_op_muluh: ref_mulu(a, b, w, &o[1], &o[0]); break;
    case INDEX_op_mulsh: ref_muls(a, b, w, &o[1], &o[0]); break;
    case INDEX_op_and: o[0] = a & b; break;
    case INDEX_op_or: o[0] = a | b; break;
    case INDEX_op_xor: o[0] = a ^ b; break;
    case INDEX_op_andc: o[0] = a & ~b & m; break;
    case INDEX_op_orc: o[0] = (a | ~b) & m; break;
    case INDEX_op_eqv: o[0] = ~(a ^ b) & m; break;
    case INDEX_op_nand: o[0] = ~(a & b) & m; break;
    case INDEX_op_nor: o[0] = ~(a | b) & m; break;
    case INDEX_op_not: o[0] = ~a & m; break;
    case INDEX_op_shl: o[0] = (a << cnt) & m; break;
    case INDEX_op_shr: o[0] = a >> cnt; break;
    case INDEX_op_sar:
        o[0] = a;
        for (unsigned i = 0; i < cnt; i++) {
            o[0] = (o[0] >> 1) | (o[0] & ((uint64_t)1 << (w - 1)));
        }
        break;
    case INDEX_op_rotl:
        o[0] = a;
        for (unsigned i = 0; i < cnt; i++) {
            o[0] = ((o[0] << 1) | bit(o[0], w - 1)) & m;
        }
        break;
    case INDEX_op_rotr:
        o[0] = a;
        for (unsigned i = 0; i < cnt; i++) {
            o[0] = (o[0] >> 1) | ((o[0] & 1) << (w - 1));
        }
        break;
    case INDEX_op_extract:
    case INDEX_op_sextract: {
        unsigned pos = c->carg[0], len = c->carg[1];
        for (unsigned i = 0; i < len; i++) {
            o[0] |= (uint64_t)bit(a, pos + i) << i;
        }
        if (c->opc == INDEX_op_sextract) {
            o[0] = ref_sext(o[0], len) & m;
        }
        break;
    }
    case INDEX_op_deposit: {
        unsigned pos = c->carg[0], len = c->carg[1];
        o[0] = a;
        for (unsigned i = 0; i < len; i++) {
            o[0] &= ~((uint64_t)1 << (pos + i));
            o[0] |= (uint64_t)bit(b, i) << (pos + i);
        }
        break;
    }
    case INDEX_op_extract2: {
        unsigned pos = c->carg[0];
        for (unsigned i = 0; i < w; i++) {
            unsigned k = pos + i;
            o[0] |= (uint64_t)(k < w ? bit(a, k) : bit(b, k - w)) << i;
        }
        break;
    }
    case INDEX_op_ext8s: o[0] = ref_sext(a & 0xff, 8) & m; break;
    case INDEX_op_ext8u: o[0] = a & 0xff; break;
    case INDEX_op_ext16s: o[0] = ref_sext(a & 0xffff, 16) & m; break;
    case INDEX_op_ext16u: o[0] = a & 0xffff; break;
    case INDEX_op_ext32s: o[0] = ref_sext(a & 0xffffffff, 32); break;
    case INDEX_op_ext32u: o[0] = a & 0xffffffff; break;
    case INDEX_op_ext_i32_i64: o[0] = ref_sext(in[0] & 0xffffffff, 32); break;
    case INDEX_op_extu_i32_i64: o[0] = in[0] & 0xffffffff; break;
    case INDEX_op_extrl_i64_i32: o[0] = in[0] & 0xffffffff; break;
    case INDEX_op_extrh_i64_i32: o[0] = in[0] >> 32; break;
    case INDEX_op_bswap16:
    case INDEX_op_bswap32:
    case INDEX_op_bswap64: {
        unsigned n = c->opc == INDEX_op_bswap16 ? 2
                   : c->opc == INDEX_op_bswap32 ? 4 : 8;
        o[0] = ref_bswap(a, n);
        if ((c->carg[0] & TCG_BSWAP_OS) && 8 * n < w) {
            o[0] = ref_sext(o[0], 8 * n);
        }
        o[0] &= m;
        break;
    }
    case INDEX_op_clz:
        o[0] = b;
        for (unsigned i = 0; i < w; i++) {
            if (bit(a, w - 1 - i)) {
                o[0] = i;
                break;
            }
        }
        break;
    case INDEX_op_ctz:
        o[0] = b;
        for (unsigned i = 0; i < w; i++) {
            if (bit(a, i)) {
                o[0] = i;
                break;
            }
        }
        break;
    case INDEX_op_ctpop:
        for (unsigned i = 0; i < w; i++) {
            o[0] += bit(a, i);
        }
        break;
    default:
        fail_msg("no reference for %s", tcg_op_defs[c->opc].name);
    }
    return defined;
}

/* ---- Building a TB for a case ---- */

typedef enum Variant {
    V_REG,          /* inputs loaded into TB temps (I32 via extrl of junk) */
    V_ALIAS,        /* EBB temps, outputs overwrite inputs */
    V_GLOBAL,       /* globals in and out */
    V_CONST,        /* the inputs in const_mask are constants */
    NB_VARIANTS
} Variant;

static const char *const variant_names[] = {
    "temps", "aliased", "globals", "consts"
};

static TCGTemp *input_temp(Engine *e, const Case *c, Variant v, unsigned k,
                           unsigned const_mask, const uint64_t *cval)
{
    TCGType t = c->itype[k];
    TCGTemp *ts;

    if (const_mask & (1u << k)) {
        return tcg_constant_internal(t, t == TCG_TYPE_I32 ? (int32_t)cval[k]
                                                          : (int64_t)cval[k]);
    }
    if (v == V_GLOBAL) {
        return t == TCG_TYPE_I32 ? tcgv_i32_temp(e->gin32[k])
                                 : tcgv_i64_temp(e->gin64[k]);
    }
    ts = tcg_temp_new_internal(t, v == V_ALIAS ? TEMP_EBB : TEMP_TB);
    if (t == TCG_TYPE_I64) {
        tcg_gen_ld_i64(temp_tcgv_i64(ts), e->env,
                       offsetof(DiffEnv, in[k]));
    } else if (v == V_REG) {
        TCGv_i64 junk = tcg_temp_new_i64();
        tcg_gen_ld_i64(junk, e->env, offsetof(DiffEnv, in[k]));
        tcg_gen_extrl_i64_i32(temp_tcgv_i32(ts), junk);
    } else {
        tcg_gen_ld_i32(temp_tcgv_i32(ts), e->env, offsetof(DiffEnv, in32[k]));
    }
    return ts;
}

static void store_output(Engine *e, TCGTemp *ts, unsigned k)
{
    if (ts->type == TCG_TYPE_I64) {
        tcg_gen_st_i64(temp_tcgv_i64(ts), e->env, offsetof(DiffEnv, out[k]));
    } else {
        tcg_gen_st_i32(temp_tcgv_i32(ts), e->env, offsetof(DiffEnv, out32[k]));
    }
}

static TCGTemp *output_temp(Engine *e, const Case *c, Variant v, unsigned k,
                            TCGTemp **in, unsigned const_mask)
{
    TCGType t = c->otype[k];

    if (v == V_GLOBAL) {
        return t == TCG_TYPE_I32 ? tcgv_i32_temp(e->gout32[k])
                                 : tcgv_i64_temp(e->gout64[k]);
    }
    if (v == V_ALIAS && k < c->nb_i && c->itype[k] == t &&
        !(const_mask & (1u << k))) {
        return in[k];
    }
    return tcg_temp_new_internal(t, v == V_ALIAS ? TEMP_EBB : TEMP_TB);
}

static void emit_case(Engine *e, const Case *c, Variant v,
                      unsigned const_mask, const uint64_t *cval)
{
    const TCGOpDef *def = &tcg_op_defs[c->opc];
    TCGTemp *in[NIN], *out[NOUT];
    unsigned i = 0;
    TCGOp *op;

    for (unsigned k = 0; k < c->nb_i; k++) {
        in[k] = input_temp(e, c, v, k, const_mask, cval);
    }
    for (unsigned k = 0; k < c->nb_o; k++) {
        out[k] = output_temp(e, c, v, k, in, const_mask);
    }

    switch (c->kind) {
    case K_PURE:
        op = tcg_emit_op(c->opc, c->type, def->nb_args);
        for (unsigned k = 0; k < c->nb_o; k++) {
            op->args[i++] = temp_arg(out[k]);
        }
        for (unsigned k = 0; k < c->nb_i; k++) {
            op->args[i++] = temp_arg(in[k]);
        }
        for (unsigned k = 0; k < c->nb_c; k++) {
            op->args[i++] = c->carg[k];
        }
        break;
    case K_BRCOND: {
        TCGLabel *l = gen_new_label();
        TCGOp *br;
        if (v != V_GLOBAL) {
            out[0] = tcg_temp_new_internal(c->otype[0], TEMP_TB);
        }
        tcg_gen_movi_i64(temp_tcgv_i64(out[0]), 1);
        br = tcg_emit_op(INDEX_op_brcond, c->type, 4);
        br->args[0] = temp_arg(in[0]);
        br->args[1] = temp_arg(in[1]);
        br->args[2] = c->carg[0];
        br->args[3] = label_arg(l);
        l->refs++;
        tcg_gen_movi_i64(temp_tcgv_i64(out[0]), 2);
        gen_set_label(l);
        break;
    }
    case K_HOST_LD:
    case K_HOST_ST:
        op = tcg_emit_op(c->opc, c->type, 3);
        op->args[0] = temp_arg(c->kind == K_HOST_LD ? out[0] : in[0]);
        op->args[1] = temp_arg(tcgv_ptr_temp(e->env));
        op->args[2] = offsetof(DiffEnv, mem) + c->carg[0];
        break;
    case K_QEMU_LD:
        if (c->type == TCG_TYPE_I64) {
            tcg_gen_qemu_ld_i64(temp_tcgv_i64(out[0]), temp_tcgv_i64(in[0]),
                                0, c->mop);
        } else {
            tcg_gen_qemu_ld_i32(temp_tcgv_i32(out[0]), temp_tcgv_i64(in[0]),
                                0, c->mop);
        }
        break;
    case K_QEMU_ST:
        if (c->type == TCG_TYPE_I64) {
            tcg_gen_qemu_st_i64(temp_tcgv_i64(in[0]), temp_tcgv_i64(in[1]),
                                0, c->mop);
        } else {
            tcg_gen_qemu_st_i32(temp_tcgv_i32(in[0]), temp_tcgv_i64(in[1]),
                                0, c->mop);
        }
        break;
    case K_CALL:
        tcg_gen_callN(c->helper, out[0], in);
        break;
    }

    if (v != V_GLOBAL) {
        for (unsigned k = 0; k < c->nb_o; k++) {
            store_output(e, out[k], k);
        }
    }
    tcg_gen_exit_tb(NULL, 0);
}

static TranslationBlock *build_tb(Engine *e, const Case *c, Variant v,
                                  unsigned const_mask, const uint64_t *cval,
                                  bool opt)
{
    TCGContext *s = e->s;
    TranslationBlock *tb;
    int ret;

    tcg_ctx = s;
    /* the TB structure lives in the code buffer, as the engine does it */
    s->code_ptr = (uint8_t *)ROUND_UP((uintptr_t)s->code_ptr, 16);
    if (s->code_ptr + 64 * KiB > s->code_gen_highwater) {
        tcg_code_buffer_reset(s);
        s->code_ptr = (uint8_t *)ROUND_UP((uintptr_t)s->code_ptr, 16);
    }
    tb = (TranslationBlock *)s->code_ptr;
    memset(tb, 0, sizeof(*tb));
    s->code_ptr += ROUND_UP(sizeof(*tb), 16);

    tcg_func_start(s);
    emit_case(e, c, v, const_mask, cval);
    tcg_optimize_enabled = opt;
    ret = tcg_gen_code(s, tb);
    tcg_optimize_enabled = true;
    if (ret <= 0) {
        return NULL;
    }
    s->code_ptr += ret;
    nb_tbs++;
    if (s->backend == &tcg_backend_interp) {
        assert_true(tcg_interp_disas(NULL, tb->tc.ptr, tb->tc.size) > 0);
    }
    return tb;
}

/* ---- Running ---- */

static void setup_env(const Case *c, const uint64_t *in, uint64_t seed)
{
    DiffEnv *env = &cpu.env;

    for (unsigned k = 0; k < NIN; k++) {
        env->in[k] = in[k];
        env->in32[k] = in[k];
        env->gin64[k] = in[k];
        env->gin32[k] = in[k];
    }
    for (unsigned k = 0; k < NOUT; k++) {
        env->out[k] = env->gout64[k] = 0x5a5a5a5a5a5a5a5aull;
        env->out32[k] = env->gout32[k] = 0xa5a5a5a5u;
    }
    for (unsigned k = 0; k < sizeof(env->mem); k++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        env->mem[k] = seed >> 56;
    }
    for (unsigned k = 0; k < 16; k++) {
        guest_page[0x100 + k] = env->mem[k] ^ 0x3c;
    }
}

static void collect(const Case *c, Variant v, Result *r)
{
    const DiffEnv *env = &cpu.env;

    for (unsigned k = 0; k < NOUT; k++) {
        bool i32 = k < c->nb_o && c->otype[k] == TCG_TYPE_I32;
        if (v == V_GLOBAL) {
            r->out[k] = i32 ? env->gout32[k] : env->gout64[k];
        } else {
            r->out[k] = i32 ? env->out32[k] : env->out[k];
        }
    }
    memcpy(r->mem, env->mem, sizeof(r->mem));
    memcpy(r->page, guest_page + 0x100, sizeof(r->page));
}

static bool results_equal(const Case *c, const Result *a, const Result *b)
{
    for (unsigned k = 0; k < c->nb_o; k++) {
        if (a->out[k] != b->out[k]) {
            return false;
        }
    }
    return !memcmp(a->mem, b->mem, sizeof(a->mem)) &&
           !memcmp(a->page, b->page, sizeof(a->page));
}

static int nb_failures;
static int nb_reported[2];

static void describe_case(const Case *c, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s_i%u", tcg_op_defs[c->opc].name,
                     width(c->type));

    if (c->kind == K_QEMU_LD || c->kind == K_QEMU_ST) {
        snprintf(buf + n, len - n, " memop=0x%x", c->mop);
    } else if (c->kind == K_CALL) {
        snprintf(buf + n, len - n, " %s", c->helper->name);
    } else if (c->opc == INDEX_op_setcond || c->opc == INDEX_op_negsetcond ||
               c->opc == INDEX_op_movcond || c->kind == K_BRCOND) {
        snprintf(buf + n, len - n, " cond=%s",
                 tcg_cond_name((TCGCond)c->carg[0]));
    } else if (c->nb_c == 2) {
        snprintf(buf + n, len - n, " pos=%u len=%u", (unsigned)c->carg[0],
                 (unsigned)c->carg[1]);
    } else if (c->nb_c == 1 || c->kind == K_HOST_LD ||
               c->kind == K_HOST_ST) {
        snprintf(buf + n, len - n, " carg=0x%x", (unsigned)c->carg[0]);
    }
}

static void report(const Engine *e, const Case *c, Variant v,
                   unsigned const_mask, bool opt, const uint64_t *in,
                   const Result *want, const Result *got)
{
    char name[96];

    /* the first few per back end are enough to see the pattern */
    nb_failures++;
    if (nb_reported[e == &engines[0] ? 0 : 1]++ >= 6) {
        return;
    }
    describe_case(c, name, sizeof(name));
    fprintf(stderr, "MISMATCH %s [%s, inputs %s (mask 0x%x), optimizer %s]\n",
            name, e->name, variant_names[v], const_mask, opt ? "on" : "off");
    fprintf(stderr, "  in:");
    for (unsigned k = 0; k < c->nb_i; k++) {
        fprintf(stderr, " 0x%" PRIx64, in[k]);
    }
    fprintf(stderr, "\n  want:");
    for (unsigned k = 0; k < c->nb_o; k++) {
        fprintf(stderr, " 0x%" PRIx64, want->out[k]);
    }
    fprintf(stderr, "\n  got: ");
    for (unsigned k = 0; k < c->nb_o; k++) {
        fprintf(stderr, " 0x%" PRIx64, got->out[k]);
    }
    if (memcmp(want->mem, got->mem, sizeof(want->mem)) ||
        memcmp(want->page, got->page, sizeof(want->page))) {
        fprintf(stderr, " (memory differs)");
    }
    fprintf(stderr, "\n");
}

static void run_and_check(Engine *e, TranslationBlock *tb, const Case *c,
                          Variant v, unsigned const_mask, bool opt,
                          const uint64_t *in, uint64_t seed)
{
    Result want, got;
    bool defined;

    setup_env(c, in, seed);
    defined = ref_eval(c, in, &cpu.env, &want);
    /*
     * Undefined in the IR: native code may trap and the optimizer may
     * fold any way it likes; only the interpreter executing the op
     * itself owes the documented answer.
     */
    if (!defined && (e != &engines[0] || opt)) {
        return;
    }
    tcg_thread_interp = e->s->backend == &tcg_backend_interp;
    e->s->backend->exec(&cpu.env, tb->tc.ptr);
    nb_runs++;
    collect(c, v, &got);
    if (!results_equal(c, &want, &got)) {
        report(e, c, v, const_mask, opt, in, &want, &got);
    }
}

/* ---- Inputs ---- */

static const uint64_t edges[] = {
    0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 31, 32, 63, 64,
    0x7fffffff, 0x80000000u, 0xffffffffu, 0xfffffffeu, 0x100000000ull,
    0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, ~1ull,
    0xffffffff80000000ull, 0x123456789abcdef0ull,
};
#define NB_EDGES ARRAY_SIZE(edges)

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: fixed seed, same sequence everywhere */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static uint64_t random_value(void)
{
    uint64_t r = rnd();

    switch (r & 7) {
    case 0: return edges[(r >> 8) % NB_EDGES];
    case 1: return (uint64_t)1 << ((r >> 8) & 63);
    case 2: return (uint64_t)(int64_t)(int32_t)rnd();
    case 3: return rnd() & 0xff;
    case 4: return -(rnd() & 0xffff);
    default: return rnd();
    }
}

/* Constrain inputs to the op's domain; junk above 32 bits for I32 */
static void fix_inputs(const Case *c, uint64_t *in)
{
    for (unsigned k = 0; k < c->nb_i; k++) {
        if (c->itype[k] == TCG_TYPE_I32) {
            in[k] = (in[k] & 0xffffffffu) | (rnd() << 32);
        }
    }
    if ((c->opc == INDEX_op_bswap16 || c->opc == INDEX_op_bswap32) &&
        (c->carg[0] & TCG_BSWAP_IZ)) {
        uint64_t keep = c->opc == INDEX_op_bswap16 ? 0xffff : 0xffffffffu;
        uint64_t junk = c->type == TCG_TYPE_I32 ? in[0] & ~0xffffffffull : 0;
        in[0] = (in[0] & keep) | junk;
    }
    if (c->kind == K_QEMU_LD) {
        in[0] = GUEST_PAGE + 0x100 + ((in[0] % 16) & -memop_size(c->mop));
    } else if (c->kind == K_QEMU_ST) {
        in[1] = GUEST_PAGE + 0x100 + ((in[1] % 16) & -memop_size(c->mop));
    }
}

static void make_inputs(const Case *c, unsigned idx, uint64_t *in)
{
    for (unsigned k = 0; k < NIN; k++) {
        in[k] = random_value();
    }
    if (c->nb_i >= 2 && idx < NB_EDGES * NB_EDGES) {
        in[0] = edges[idx / NB_EDGES];
        in[1] = edges[idx % NB_EDGES];
    } else if (c->nb_i == 1 && idx < NB_EDGES) {
        in[0] = edges[idx];
    }
    fix_inputs(c, in);
}

#define NB_VECTORS_REG   (NB_EDGES * NB_EDGES + 150)
#define NB_CONST_VALUES  10
#define NB_VECTORS_CONST 24
#define NB_CONST_ALL     40

static void check_case(const Case *c)
{
    uint64_t in[NIN];
    uint64_t seed = 1;

    for (int ei = 0; ei < nb_engines; ei++) {
        Engine *e = &engines[ei];

        for (int opt = 0; opt < 2; opt++) {
            char name[96];

            describe_case(c, name, sizeof(name));
            /* inputs in temps and globals, outputs possibly aliased */
            for (Variant v = V_REG; v <= V_GLOBAL; v++) {
                TranslationBlock *tb = build_tb(e, c, v, 0, NULL, opt);
                if (!tb) {
                    fail_msg("%s: %s cannot generate %s (%s)", name, e->name,
                             variant_names[v], opt ? "opt" : "noopt");
                }
                rng_state = 0x9e3779b97f4a7c15ull ^ c->opc;
                for (unsigned i = 0; i < NB_VECTORS_REG; i++) {
                    make_inputs(c, i, in);
                    run_and_check(e, tb, c, v, 0, opt, in, seed++);
                }
            }
            if (c->nb_i == 0) {
                continue;
            }
            /* one input constant (the last, and the second) */
            for (unsigned pick = 0; pick < 2; pick++) {
                unsigned k = pick == 0 ? c->nb_i - 1 : 1;
                if (pick == 1 && (c->nb_i < 3 || c->kind == K_QEMU_ST)) {
                    continue;
                }
                rng_state = 0x1234567 ^ c->opc ^ (k << 20);
                for (unsigned j = 0; j < NB_CONST_VALUES; j++) {
                    uint64_t cv[NIN];
                    TranslationBlock *tb;

                    make_inputs(c, j < 5 ? rnd() % (NB_EDGES * NB_EDGES)
                                         : ~0u, cv);
                    tb = build_tb(e, c, V_CONST, 1u << k, cv, opt);
                    if (!tb) {
                        fail_msg("%s: %s cannot generate consts", name,
                                 e->name);
                    }
                    for (unsigned i = 0; i < NB_VECTORS_CONST; i++) {
                        make_inputs(c, rnd() % (2 * NB_EDGES * NB_EDGES),
                                    in);
                        in[k] = cv[k];
                        run_and_check(e, tb, c, V_CONST, 1u << k, opt, in,
                                      seed++);
                    }
                }
            }
            /* everything constant: the optimizer may fold it all */
            rng_state = 0x7777 ^ c->opc;
            for (unsigned j = 0; j < NB_CONST_ALL; j++) {
                unsigned mask = (1u << c->nb_i) - 1;
                TranslationBlock *tb;

                make_inputs(c, rnd() % (2 * NB_EDGES * NB_EDGES), in);
                tb = build_tb(e, c, V_CONST, mask, in, opt);
                if (!tb) {
                    fail_msg("%s: %s cannot generate consts", name, e->name);
                }
                run_and_check(e, tb, c, V_CONST, mask, opt, in, seed++);
            }
        }
    }
}

/* ---- The case table ---- */

static Case *cases;
static unsigned nb_cases, cap_cases;

static Case *new_case(TCGOpcode opc, TCGType type, Kind kind)
{
    const TCGOpDef *def = &tcg_op_defs[opc];
    Case *c;

    if (nb_cases == cap_cases) {
        cap_cases = cap_cases ? 2 * cap_cases : 256;
        cases = emu_realloc(cases, cap_cases * sizeof(*cases));
    }
    c = &cases[nb_cases++];
    memset(c, 0, sizeof(*c));
    c->opc = opc;
    c->type = type;
    c->kind = kind;
    c->nb_o = def->nb_oargs;
    c->nb_i = def->nb_iargs;
    c->nb_c = def->nb_cargs;
    for (unsigned k = 0; k < NOUT; k++) {
        c->otype[k] = type;
    }
    for (unsigned k = 0; k < NIN; k++) {
        c->itype[k] = type;
    }
    return c;
}

static const TCGCond all_conds[] = {
    TCG_COND_NEVER, TCG_COND_ALWAYS, TCG_COND_EQ, TCG_COND_NE,
    TCG_COND_LT, TCG_COND_GE, TCG_COND_LE, TCG_COND_GT,
    TCG_COND_LTU, TCG_COND_GEU, TCG_COND_LEU, TCG_COND_GTU,
};

static const uint8_t fields32[][2] = {
    { 0, 1 }, { 0, 8 }, { 0, 16 }, { 0, 31 }, { 0, 32 }, { 1, 31 }, { 1, 1 },
    { 3, 5 }, { 8, 8 }, { 8, 16 }, { 16, 16 }, { 24, 8 }, { 31, 1 },
    { 7, 13 }, { 12, 20 },
};
static const uint8_t fields64[][2] = {
    { 0, 1 }, { 0, 8 }, { 0, 16 }, { 0, 32 }, { 0, 63 }, { 0, 64 },
    { 1, 63 }, { 8, 8 }, { 16, 16 }, { 32, 32 }, { 32, 1 }, { 48, 16 },
    { 63, 1 }, { 5, 40 }, { 31, 2 }, { 20, 30 }, { 16, 32 },
};

static void add_cases_for(TCGOpcode opc)
{
    static const TCGOpcode simple[] = {
        INDEX_op_mov, INDEX_op_add, INDEX_op_sub, INDEX_op_mul,
        INDEX_op_neg, INDEX_op_div, INDEX_op_divu, INDEX_op_rem,
        INDEX_op_remu, INDEX_op_add2, INDEX_op_sub2, INDEX_op_mulu2,
        INDEX_op_muls2, INDEX_op_muluh, INDEX_op_mulsh, INDEX_op_and,
        INDEX_op_or, INDEX_op_xor, INDEX_op_andc, INDEX_op_orc,
        INDEX_op_eqv, INDEX_op_nand, INDEX_op_nor, INDEX_op_not,
        INDEX_op_shl, INDEX_op_shr, INDEX_op_sar, INDEX_op_rotl,
        INDEX_op_rotr, INDEX_op_ext8s, INDEX_op_ext8u, INDEX_op_ext16s,
        INDEX_op_ext16u, INDEX_op_ext32s, INDEX_op_ext32u,
        INDEX_op_bswap64, INDEX_op_clz, INDEX_op_ctz, INDEX_op_ctpop,
    };
    bool only64 = tcg_op_defs[opc].flags & TCG_OPF_64BIT;
    Case *c;

    for (size_t i = 0; i < ARRAY_SIZE(simple); i++) {
        if (simple[i] == opc) {
            for (int t = only64; t < 2; t++) {
                new_case(opc, (TCGType)t, K_PURE);
            }
            return;
        }
    }

    switch (opc) {
    case INDEX_op_setcond:
    case INDEX_op_negsetcond:
    case INDEX_op_movcond:
    case INDEX_op_brcond:
        for (int t = 0; t < 2; t++) {
            for (size_t i = 0; i < ARRAY_SIZE(all_conds); i++) {
                if (opc == INDEX_op_brcond) {
                    c = new_case(opc, (TCGType)t, K_BRCOND);
                    c->nb_o = 1;
                    c->otype[0] = TCG_TYPE_I64;
                } else {
                    c = new_case(opc, (TCGType)t, K_PURE);
                }
                c->carg[0] = all_conds[i];
            }
        }
        break;
    case INDEX_op_extract:
    case INDEX_op_sextract:
    case INDEX_op_deposit:
        for (int t = 0; t < 2; t++) {
            size_t n = t ? ARRAY_SIZE(fields64) : ARRAY_SIZE(fields32);
            for (size_t i = 0; i < n; i++) {
                c = new_case(opc, (TCGType)t, K_PURE);
                c->carg[0] = t ? fields64[i][0] : fields32[i][0];
                c->carg[1] = t ? fields64[i][1] : fields32[i][1];
            }
        }
        break;
    case INDEX_op_extract2: {
        static const uint8_t pos32[] = { 0, 1, 8, 16, 31 };
        static const uint8_t pos64[] = { 0, 1, 8, 32, 63 };
        for (int t = 0; t < 2; t++) {
            for (size_t i = 0; i < 5; i++) {
                c = new_case(opc, (TCGType)t, K_PURE);
                c->carg[0] = t ? pos64[i] : pos32[i];
            }
        }
        break;
    }
    case INDEX_op_bswap16:
    case INDEX_op_bswap32: {
        static const uint8_t flags[] = {
            0, TCG_BSWAP_IZ, TCG_BSWAP_OZ, TCG_BSWAP_OS,
            TCG_BSWAP_IZ | TCG_BSWAP_OZ, TCG_BSWAP_IZ | TCG_BSWAP_OS,
        };
        for (int t = 0; t < 2; t++) {
            for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
                if (opc == INDEX_op_bswap32 && t == 0 &&
                    (flags[i] & TCG_BSWAP_OS)) {
                    continue;   /* meaningless for a full-width swap */
                }
                c = new_case(opc, (TCGType)t, K_PURE);
                c->carg[0] = flags[i];
            }
        }
        break;
    }
    case INDEX_op_ext_i32_i64:
    case INDEX_op_extu_i32_i64:
        c = new_case(opc, TCG_TYPE_I64, K_PURE);
        c->itype[0] = TCG_TYPE_I32;
        break;
    case INDEX_op_extrl_i64_i32:
    case INDEX_op_extrh_i64_i32:
        c = new_case(opc, TCG_TYPE_I32, K_PURE);
        c->itype[0] = TCG_TYPE_I64;
        break;
    case INDEX_op_ld8u:
    case INDEX_op_ld8s:
    case INDEX_op_ld16u:
    case INDEX_op_ld16s:
    case INDEX_op_ld32u:
    case INDEX_op_ld32s:
    case INDEX_op_ld:
    case INDEX_op_st8:
    case INDEX_op_st16:
    case INDEX_op_st32:
    case INDEX_op_st: {
        static const uint8_t offs[] = { 0, 8, 3 };
        bool ld = tcg_op_defs[opc].nb_oargs == 1;
        for (int t = only64; t < 2; t++) {
            for (size_t i = 0; i < ARRAY_SIZE(offs); i++) {
                c = new_case(opc, (TCGType)t, ld ? K_HOST_LD : K_HOST_ST);
                c->nb_i = ld ? 0 : 1;   /* the base is always env */
                c->carg[0] = offs[i];
            }
        }
        break;
    }
    case INDEX_op_qemu_ld: {
        static const MemOp ld64[] = {
            MO_UB, MO_SB, MO_LEUW, MO_LESW, MO_BEUW, MO_BESW, MO_LEUL,
            MO_LESL, MO_BEUL, MO_BESL, MO_LEUQ, MO_BEUQ, MO_LEUL | MO_ALIGN,
            MO_BEUQ | MO_ALIGN_8,
        };
        static const MemOp ld32[] = {
            MO_UB, MO_SB, MO_LEUW, MO_LESW, MO_BEUW, MO_BESW, MO_LEUL,
            MO_BEUL, MO_BEUW | MO_ALIGN,
        };
        for (size_t i = 0; i < ARRAY_SIZE(ld64); i++) {
            c = new_case(opc, TCG_TYPE_I64, K_QEMU_LD);
            c->mop = ld64[i];
            c->itype[0] = TCG_TYPE_I64;
        }
        for (size_t i = 0; i < ARRAY_SIZE(ld32); i++) {
            c = new_case(opc, TCG_TYPE_I32, K_QEMU_LD);
            c->mop = ld32[i];
            c->itype[0] = TCG_TYPE_I64;
        }
        break;
    }
    case INDEX_op_qemu_st: {
        static const MemOp st64[] = {
            MO_UB, MO_LEUW, MO_BEUW, MO_LEUL, MO_BEUL, MO_LEUQ, MO_BEUQ,
            MO_LEUQ | MO_ALIGN,
        };
        static const MemOp st32[] = {
            MO_UB, MO_LEUW, MO_BEUW, MO_LEUL, MO_BEUL, MO_LEUL | MO_ALIGN,
        };
        for (size_t i = 0; i < ARRAY_SIZE(st64); i++) {
            c = new_case(opc, TCG_TYPE_I64, K_QEMU_ST);
            c->mop = st64[i];
            c->itype[1] = TCG_TYPE_I64;
        }
        for (size_t i = 0; i < ARRAY_SIZE(st32); i++) {
            c = new_case(opc, TCG_TYPE_I32, K_QEMU_ST);
            c->mop = st32[i];
            c->itype[1] = TCG_TYPE_I64;
        }
        break;
    }
    case INDEX_op_call: {
        static const TCGHelperInfo *const helpers[] = {
            &info_helper7, &info_helper_s32, &info_helper_u32,
        };
        for (size_t i = 0; i < ARRAY_SIZE(helpers); i++) {
            const TCGHelperInfo *h = helpers[i];
            c = new_case(opc, TCG_TYPE_I64, K_CALL);
            c->helper = h;
            c->nb_o = 1;
            c->nb_i = h->nargs;
            c->otype[0] = h->ret == TCG_CALL_I64 ? TCG_TYPE_I64
                                                 : TCG_TYPE_I32;
            for (unsigned k = 0; k < h->nargs; k++) {
                c->itype[k] = h->args[k] == TCG_CALL_I32 ||
                              h->args[k] == TCG_CALL_S32 ? TCG_TYPE_I32
                                                         : TCG_TYPE_I64;
            }
        }
        break;
    }
    default:
        break;
    }
}

/* Ops covered by test-tcg-tci instead (control flow and markers) */
static bool op_tested_elsewhere(TCGOpcode opc)
{
    switch (opc) {
    case INDEX_op_discard:
    case INDEX_op_set_label:
    case INDEX_op_insn_start:
    case INDEX_op_br:
    case INDEX_op_goto_tb:
    case INDEX_op_exit_tb:
    case INDEX_op_goto_ptr:
    case INDEX_op_mb:
        return true;
    default:
        return false;
    }
}

/* ---- Random programs ---- */

/*
 * Sequences of random ops over globals, TB temps and constants, with
 * forward branches: many values live at once make the native allocator
 * spill, and constants flow from op to op through the optimizer.
 */
#define PROG_STEPS 48
#define PROG_G 8            /* globals per width: gin64[], gin32[] */
#define PROG_T 12           /* TB temps per width */
#define PROG_VARS (2 * PROG_G + 2 * PROG_T)
#define PROG_CONST 0xff     /* operand is the step's constant */

typedef struct ProgStep {
    const Case *c;          /* NULL: brcond to label `target` */
    uint8_t out[NOUT];
    uint8_t in[NIN];
    uint64_t cval[NIN];
    TCGCond cond;
    bool cond64;
    int target;             /* branch: index of the step it skips to */
} ProgStep;

typedef struct Prog {
    ProgStep step[PROG_STEPS];
    uint64_t init[PROG_VARS];   /* initial values of the temps */
} Prog;

static const Case *prog_cases[512];
static unsigned nb_prog_cases;

/* variables: gin64[0..7], gin32[0..7], I64 temps, I32 temps */
static TCGType var_type(unsigned v)
{
    return (v >= PROG_G && v < 2 * PROG_G) || v >= 2 * PROG_G + PROG_T
           ? TCG_TYPE_I32 : TCG_TYPE_I64;
}

static unsigned random_var(TCGType t)
{
    unsigned r = rnd() % (PROG_G + PROG_T);
    unsigned base64 = r < PROG_G ? r : 2 * PROG_G + (r - PROG_G);

    return t == TCG_TYPE_I64 ? base64 : base64 + (r < PROG_G ? PROG_G
                                                              : PROG_T);
}

static void prog_cases_init(void)
{
    static const TCGOpcode skip[] = {
        INDEX_op_div, INDEX_op_divu, INDEX_op_rem, INDEX_op_remu,
    };

    for (unsigned i = 0; i < nb_cases && nb_prog_cases <
         ARRAY_SIZE(prog_cases); i++) {
        const Case *c = &cases[i];
        bool ok = c->kind == K_PURE;
        for (size_t k = 0; k < ARRAY_SIZE(skip); k++) {
            ok &= c->opc != skip[k];
        }
        if (ok) {
            prog_cases[nb_prog_cases++] = c;
        }
    }
}

static void prog_make(Prog *p)
{
    for (unsigned v = 0; v < PROG_VARS; v++) {
        p->init[v] = random_value() & wmask(width(var_type(v)));
    }
    for (int i = 0; i < PROG_STEPS; i++) {
        ProgStep *st = &p->step[i];

        memset(st, 0, sizeof(*st));
        if (rnd() % 8 == 0 && i + 1 < PROG_STEPS) {
            st->cond = all_conds[rnd() % ARRAY_SIZE(all_conds)];
            st->cond64 = rnd() & 1;
            st->target = i + 1 + rnd() % MIN(4, PROG_STEPS - i - 1);
            for (unsigned k = 0; k < 2; k++) {
                TCGType t = st->cond64 ? TCG_TYPE_I64 : TCG_TYPE_I32;
                st->in[k] = rnd() % 5 == 0 ? PROG_CONST : random_var(t);
                st->cval[k] = random_value() & wmask(width(t));
            }
            continue;
        }
        st->c = prog_cases[rnd() % nb_prog_cases];
        for (unsigned k = 0; k < st->c->nb_i; k++) {
            st->in[k] = rnd() % 6 == 0 ? PROG_CONST
                                       : random_var(st->c->itype[k]);
            st->cval[k] = random_value() & wmask(width(st->c->itype[k]));
        }
        for (unsigned k = 0; k < st->c->nb_o; k++) {
            do {
                st->out[k] = random_var(st->c->otype[k]);
            } while (k == 1 && st->out[1] == st->out[0]);
        }
    }
}

static TCGTemp *prog_var(Engine *e, TCGTemp **temps, unsigned v)
{
    if (v < PROG_G) {
        return tcgv_i64_temp(e->gin64[v]);
    }
    if (v < 2 * PROG_G) {
        return tcgv_i32_temp(e->gin32[v - PROG_G]);
    }
    return temps[v - 2 * PROG_G];
}

static TCGTemp *prog_operand(Engine *e, TCGTemp **temps, const ProgStep *st,
                             unsigned k, TCGType t)
{
    if (st->in[k] == PROG_CONST) {
        return tcg_constant_internal(t, t == TCG_TYPE_I32
                                        ? (int32_t)st->cval[k]
                                        : (int64_t)st->cval[k]);
    }
    return prog_var(e, temps, st->in[k]);
}

static TranslationBlock *prog_build(Engine *e, const Prog *p, bool opt)
{
    TCGContext *s = e->s;
    TCGTemp *temps[2 * PROG_T];
    TCGLabel *labels[PROG_STEPS];
    TranslationBlock *tb;
    int ret;

    tcg_ctx = s;
    s->code_ptr = (uint8_t *)ROUND_UP((uintptr_t)s->code_ptr, 16);
    if (s->code_ptr + 256 * KiB > s->code_gen_highwater) {
        tcg_code_buffer_reset(s);
        s->code_ptr = (uint8_t *)ROUND_UP((uintptr_t)s->code_ptr, 16);
    }
    tb = (TranslationBlock *)s->code_ptr;
    memset(tb, 0, sizeof(*tb));
    s->code_ptr += ROUND_UP(sizeof(*tb), 16);

    tcg_func_start(s);
    for (unsigned i = 0; i < 2 * PROG_T; i++) {
        unsigned v = 2 * PROG_G + i;
        TCGType t = var_type(v);
        temps[i] = tcg_temp_new_internal(t, TEMP_TB);
        if (t == TCG_TYPE_I64) {
            tcg_gen_movi_i64(temp_tcgv_i64(temps[i]), p->init[v]);
        } else {
            tcg_gen_movi_i32(temp_tcgv_i32(temps[i]), p->init[v]);
        }
    }
    for (int i = 0; i < PROG_STEPS; i++) {
        labels[i] = NULL;
    }
    for (int i = 0; i < PROG_STEPS; i++) {
        const ProgStep *st = &p->step[i];

        if (labels[i]) {
            gen_set_label(labels[i]);
        }
        if (!st->c) {
            TCGType t = st->cond64 ? TCG_TYPE_I64 : TCG_TYPE_I32;
            TCGOp *op;

            if (!labels[st->target]) {
                labels[st->target] = gen_new_label();
            }
            op = tcg_emit_op(INDEX_op_brcond, t, 4);
            op->args[0] = temp_arg(prog_operand(e, temps, st, 0, t));
            op->args[1] = temp_arg(prog_operand(e, temps, st, 1, t));
            op->args[2] = st->cond;
            op->args[3] = label_arg(labels[st->target]);
            labels[st->target]->refs++;
        } else {
            const Case *c = st->c;
            TCGOp *op = tcg_emit_op(c->opc, c->type,
                                    tcg_op_defs[c->opc].nb_args);
            unsigned a = 0;

            for (unsigned k = 0; k < c->nb_o; k++) {
                op->args[a++] = temp_arg(prog_var(e, temps, st->out[k]));
            }
            for (unsigned k = 0; k < c->nb_i; k++) {
                op->args[a++] = temp_arg(prog_operand(e, temps, st, k,
                                                      c->itype[k]));
            }
            for (unsigned k = 0; k < c->nb_c; k++) {
                op->args[a++] = c->carg[k];
            }
        }
    }
    for (unsigned i = 0; i < 2 * PROG_T; i++) {
        if (temps[i]->type == TCG_TYPE_I64) {
            tcg_gen_st_i64(temp_tcgv_i64(temps[i]), e->env,
                           offsetof(DiffEnv, tout[i]));
        } else {
            tcg_gen_st_i32(temp_tcgv_i32(temps[i]), e->env,
                           offsetof(DiffEnv, tout[i]));
        }
    }
    tcg_gen_exit_tb(NULL, 0);

    tcg_optimize_enabled = opt;
    ret = tcg_gen_code(s, tb);
    tcg_optimize_enabled = true;
    if (ret <= 0) {
        return NULL;
    }
    s->code_ptr += ret;
    nb_tbs++;
    return tb;
}

/* The reference: run the steps in C */
static void prog_eval(const Prog *p, uint64_t *val)
{
    for (int i = 0; i < PROG_STEPS; i++) {
        const ProgStep *st = &p->step[i];
        uint64_t in[NIN] = { 0 };

        if (!st->c) {
            unsigned w = st->cond64 ? 64 : 32;
            for (unsigned k = 0; k < 2; k++) {
                in[k] = st->in[k] == PROG_CONST ? st->cval[k]
                                                : val[st->in[k]];
            }
            if (ref_cond(st->cond, in[0], in[1], w)) {
                i = st->target - 1;
            }
            continue;
        }
        for (unsigned k = 0; k < st->c->nb_i; k++) {
            in[k] = st->in[k] == PROG_CONST ? st->cval[k] : val[st->in[k]];
        }
        {
            Result r;
            ref_eval(st->c, in, &cpu.env, &r);
            for (unsigned k = 0; k < st->c->nb_o; k++) {
                val[st->out[k]] = r.out[k] &
                                  wmask(width(st->c->otype[k]));
            }
        }
    }
}

static void prog_print(const Prog *p)
{
    for (int i = 0; i < PROG_STEPS; i++) {
        const ProgStep *st = &p->step[i];
        unsigned n = st->c ? st->c->nb_i : 2;
        char name[96];

        if (st->c) {
            describe_case(st->c, name, sizeof(name));
            fprintf(stderr, "  %2d: ", i);
            for (unsigned k = 0; k < st->c->nb_o; k++) {
                fprintf(stderr, "%sv%u", k ? "," : "", st->out[k]);
            }
            fprintf(stderr, " = %s", name);
        } else {
            fprintf(stderr, "  %2d: brcond_i%d %s -> %d", i,
                    st->cond64 ? 64 : 32, tcg_cond_name(st->cond),
                    st->target);
        }
        for (unsigned k = 0; k < n; k++) {
            if (st->in[k] == PROG_CONST) {
                fprintf(stderr, " $0x%" PRIx64, st->cval[k]);
            } else {
                fprintf(stderr, " v%u", st->in[k]);
            }
        }
        fprintf(stderr, "\n");
    }
}

static void test_random_programs(void **state)
{
    Prog *p = emu_new0(Prog, 1);
    unsigned first = nb_cases;
    int failed = 0;

    for (int opc = 0; opc < NB_OPS; opc++) {
        add_cases_for((TCGOpcode)opc);
    }
    prog_cases_init();
    rng_state = 0xfeedface12345678ull;
    for (int n = 0; n < 500 && failed < 3; n++) {
        uint64_t globals[2 * PROG_G];

        prog_make(p);
        for (unsigned v = 0; v < 2 * PROG_G; v++) {
            globals[v] = random_value() & wmask(width(var_type(v)));
        }
        for (int ei = 0; ei < nb_engines; ei++) {
            for (int opt = 0; opt < 2; opt++) {
                Engine *e = &engines[ei];
                TranslationBlock *tb = prog_build(e, p, opt);
                uint64_t want[PROG_VARS], got[PROG_VARS];

                if (!tb) {
                    prog_print(p);
                    fail_msg("%s cannot generate program %d", e->name, n);
                }
                memcpy(want, globals, sizeof(globals));
                memcpy(want + 2 * PROG_G, p->init + 2 * PROG_G,
                       sizeof(uint64_t) * 2 * PROG_T);
                prog_eval(p, want);

                for (unsigned v = 0; v < PROG_G; v++) {
                    cpu.env.gin64[v] = globals[v];
                    cpu.env.gin32[v] = globals[PROG_G + v];
                }
                memset(cpu.env.tout, 0xa5, sizeof(cpu.env.tout));
                tcg_thread_interp = e->s->backend == &tcg_backend_interp;
                e->s->backend->exec(&cpu.env, tb->tc.ptr);
                nb_runs++;
                for (unsigned v = 0; v < PROG_VARS; v++) {
                    uint64_t x;
                    if (v < PROG_G) {
                        x = cpu.env.gin64[v];
                    } else if (v < 2 * PROG_G) {
                        x = cpu.env.gin32[v - PROG_G];
                    } else if (var_type(v) == TCG_TYPE_I32) {
                        x = (uint32_t)cpu.env.tout[v - 2 * PROG_G];
                    } else {
                        x = cpu.env.tout[v - 2 * PROG_G];
                    }
                    got[v] = x;
                }
                for (unsigned v = 0; v < PROG_VARS; v++) {
                    if (got[v] != want[v]) {
                        fprintf(stderr, "MISMATCH program %d [%s, optimizer "
                                "%s]: v%u = 0x%" PRIx64 ", want 0x%" PRIx64
                                "\n", n, e->name, opt ? "on" : "off", v,
                                got[v], want[v]);
                        if (!failed++) {
                            fprintf(stderr, "  v0-7: I64 globals, v8-15: "
                                    "I32 globals, v16-27: I64 temps, "
                                    "v28-39: I32 temps\n");
                            for (unsigned i = 0; i < PROG_VARS; i++) {
                                fprintf(stderr, "  v%u = 0x%" PRIx64 "\n",
                                        i, i < 2 * PROG_G ? globals[i]
                                                          : p->init[i]);
                            }
                            prog_print(p);
                        }
                        break;
                    }
                }
            }
        }
    }
    free(p);
    nb_cases = first;
    nb_prog_cases = 0;
    if (failed) {
        fail_msg("%d random programs differ", failed);
    }
}

/* ---- Tests ---- */

static void test_op(void **state)
{
    TCGOpcode opc = (TCGOpcode)(uintptr_t)*state;
    unsigned first = nb_cases;

    nb_failures = 0;
    nb_reported[0] = nb_reported[1] = 0;
    add_cases_for(opc);
    assert_true(nb_cases > first);
    for (unsigned i = first; i < nb_cases; i++) {
        check_case(&cases[i]);
    }
    if (nb_failures) {
        fail_msg("%d mismatches for %s", nb_failures, tcg_op_defs[opc].name);
    }
}

/* Every op of the table has cases here or in test-tcg-tci */
static void test_coverage(void **state)
{
    for (int opc = 0; opc < NB_OPS; opc++) {
        unsigned before = nb_cases;

        if (op_tested_elsewhere((TCGOpcode)opc)) {
            continue;
        }
        add_cases_for((TCGOpcode)opc);
        if (nb_cases == before) {
            fail_msg("op %s has no differential cases",
                     tcg_op_defs[opc].name);
        }
        nb_cases = before;
    }
}

/*
 * Undefined inputs never crash the interpreter, and it answers as
 * documented in docs/devel/tcg.md.
 */
static void test_interp_division_convention(void **state)
{
    static const struct {
        TCGOpcode opc;
        TCGType type;
        uint64_t a, b, want;
    } v[] = {
        { INDEX_op_div, TCG_TYPE_I32, 5, 0, 0 },
        { INDEX_op_div, TCG_TYPE_I32, 0x80000000u, 0xffffffffu, 0x80000000u },
        { INDEX_op_rem, TCG_TYPE_I32, 5, 0, 0 },
        { INDEX_op_rem, TCG_TYPE_I32, 0x80000000u, 0xffffffffu, 0 },
        { INDEX_op_divu, TCG_TYPE_I32, 5, 0, 0 },
        { INDEX_op_remu, TCG_TYPE_I32, 5, 0, 0 },
        { INDEX_op_div, TCG_TYPE_I64, 5, 0, 0 },
        { INDEX_op_div, TCG_TYPE_I64, 1ull << 63, ~0ull, 1ull << 63 },
        { INDEX_op_rem, TCG_TYPE_I64, 5, 0, 0 },
        { INDEX_op_rem, TCG_TYPE_I64, 1ull << 63, ~0ull, 0 },
        { INDEX_op_divu, TCG_TYPE_I64, 5, 0, 0 },
        { INDEX_op_remu, TCG_TYPE_I64, 5, 0, 0 },
    };
    Engine *e = &engines[0];

    for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
        Case *c = new_case(v[i].opc, v[i].type, K_PURE);
        uint64_t in[NIN] = { v[i].a, v[i].b };
        for (int opt = 0; opt < 2; opt++) {
            TranslationBlock *tb = build_tb(e, c, V_REG, 0, NULL, opt);
            Result got;

            assert_non_null(tb);
            setup_env(c, in, 1);
            e->s->backend->exec(&cpu.env, tb->tc.ptr);
            collect(c, V_REG, &got);
            assert_int_equal(got.out[0], v[i].want);
        }
        nb_cases--;
    }
}

static bool engine_init(Engine *e, const TCGBackend *be, const char *name)
{
    Error *err = NULL;
    char gname[16];

    e->name = name;
    e->s = tcg_context_new(be, 16 * MiB, &err);
    if (!e->s) {
        fprintf(stderr, "%s back end unavailable: %s\n", name,
                error_get_pretty(err));
        error_free(err);
        return false;
    }
    e->s->guest_page_bits = GUEST_PAGE_BITS;
    e->s->tlb_fast_offset = (intptr_t)offsetof(DiffCPU, fast) -
                            (intptr_t)offsetof(DiffCPU, env);
    e->s->nb_mmu_modes = 1;
    e->env = tcg_global_env(e->s, "env");
    for (int k = 0; k < NIN; k++) {
        snprintf(gname, sizeof(gname), "gin64_%d", k);
        e->gin64[k] = tcg_global_mem_new_i64(e->env,
                                             offsetof(DiffEnv, gin64[k]),
                                             gname);
        snprintf(gname, sizeof(gname), "gin32_%d", k);
        e->gin32[k] = tcg_global_mem_new_i32(e->env,
                                             offsetof(DiffEnv, gin32[k]),
                                             gname);
    }
    for (int k = 0; k < NOUT; k++) {
        snprintf(gname, sizeof(gname), "gout64_%d", k);
        e->gout64[k] = tcg_global_mem_new_i64(e->env,
                                              offsetof(DiffEnv, gout64[k]),
                                              gname);
        snprintf(gname, sizeof(gname), "gout32_%d", k);
        e->gout32[k] = tcg_global_mem_new_i32(e->env,
                                              offsetof(DiffEnv, gout32[k]),
                                              gname);
    }
    return true;
}

int main(void)
{
    struct CMUnitTest *tests = emu_new0(struct CMUnitTest, NB_OPS + 3);
    size_t n = 0;
    int ret;

    /* one guest page mapped for qemu_ld/st, at entry 5 of 16 */
    cpu.fast[0].mask = (ARRAY_SIZE(diff_tlb) - 1) << CPU_TLB_ENTRY_BITS;
    cpu.fast[0].table = diff_tlb;
    for (size_t i = 0; i < ARRAY_SIZE(diff_tlb); i++) {
        diff_tlb[i].addr_read = diff_tlb[i].addr_write = ~(uint64_t)0;
    }
    diff_tlb[5].addr_read = diff_tlb[5].addr_write = GUEST_PAGE;
    diff_tlb[5].addend = (uintptr_t)guest_page - GUEST_PAGE;

    if (!engine_init(&engines[nb_engines], &tcg_backend_interp, "interp")) {
        return 1;
    }
    nb_engines++;
#if defined(__x86_64__)
    if (&tcg_backend_native && tcg_backend_native.gen_code &&
        engine_init(&engines[nb_engines], &tcg_backend_native, "native")) {
        nb_engines++;
    } else {
        fprintf(stderr, "note: native back end not built; checking the "
                "interpreter against the reference only\n");
    }
#endif

    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_coverage);
    tests[n++] = (struct CMUnitTest)
        cmocka_unit_test(test_interp_division_convention);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_random_programs);
    for (int opc = 0; opc < NB_OPS; opc++) {
        if (op_tested_elsewhere((TCGOpcode)opc)) {
            continue;
        }
        tests[n] = (struct CMUnitTest)cmocka_unit_test(test_op);
        tests[n].name = tcg_op_defs[opc].name;
        tests[n].initial_state = (void *)(uintptr_t)opc;
        n++;
    }
    ret = _cmocka_run_group_tests("tcg-diff", tests, n, NULL, NULL);
    printf("%u cases, %" PRIu64 " TBs generated, %" PRIu64 " executions "
           "compared, back ends:", nb_cases, nb_tbs, nb_runs);
    for (int i = 0; i < nb_engines; i++) {
        printf(" %s", engines[i].name);
    }
    printf("\n");
    for (int i = 0; i < nb_engines; i++) {
        tcg_context_free(engines[i].s);
    }
    free(tests);
    free(cases);
    return ret;
}
