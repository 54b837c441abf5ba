/* The front-end API: emitting IR ops for the TB being translated. */
#include "emu/osdep.h"
#include "tcg/tcg-op.h"
#include "exec/translation-block.h"

/*
 * Everything is written once over (TCGType, TCGTemp *) and wrapped for
 * the two typed handle kinds at the bottom of the file.
 */

#define T32(v) tcgv_i32_temp(v)
#define T64(v) tcgv_i64_temp(v)
#define TP(v)  tcgv_ptr_temp(v)

static inline unsigned type_bits(TCGType type)
{
    return type == TCG_TYPE_I32 ? 32 : 64;
}

static inline TCGTemp *cnst(TCGType type, int64_t v)
{
    return tcg_constant_internal(type, v);
}

static inline void op1(TCGOpcode opc, TCGType type, TCGArg a1)
{
    TCGOp *op = tcg_emit_op(opc, type, 1);
    op->args[0] = a1;
}

static inline void op2(TCGOpcode opc, TCGType type, TCGTemp *a1, TCGTemp *a2)
{
    TCGOp *op = tcg_emit_op(opc, type, 2);
    op->args[0] = temp_arg(a1);
    op->args[1] = temp_arg(a2);
}

static inline void op3(TCGOpcode opc, TCGType type, TCGTemp *a1, TCGTemp *a2,
                       TCGTemp *a3)
{
    TCGOp *op = tcg_emit_op(opc, type, 3);
    op->args[0] = temp_arg(a1);
    op->args[1] = temp_arg(a2);
    op->args[2] = temp_arg(a3);
}

/* ---- Generic bodies ---- */

static void gen_mov(TCGType type, TCGTemp *r, TCGTemp *a)
{
    if (r != a) {
        op2(INDEX_op_mov, type, r, a);
    }
}

static void gen_movi(TCGType type, TCGTemp *r, int64_t v)
{
    op2(INDEX_op_mov, type, r, cnst(type, v));
}

/* the constant as the op sees it: I32 values sign-extended */
static inline int64_t norm(TCGType type, int64_t v)
{
    return type == TCG_TYPE_I32 ? (int32_t)v : v;
}

static void gen_addi(TCGType type, TCGTemp *r, TCGTemp *a, int64_t v)
{
    if (norm(type, v) == 0) {
        gen_mov(type, r, a);
    } else {
        op3(INDEX_op_add, type, r, a, cnst(type, v));
    }
}

static void gen_subfi(TCGType type, TCGTemp *r, int64_t v, TCGTemp *a)
{
    if (norm(type, v) == 0) {
        op2(INDEX_op_neg, type, r, a);
    } else {
        op3(INDEX_op_sub, type, r, cnst(type, v), a);
    }
}

static void gen_shifti(TCGOpcode opc, TCGType type, TCGTemp *r, TCGTemp *a,
                       int64_t c)
{
    assert(c >= 0 && c < type_bits(type));
    if (c == 0) {
        gen_mov(type, r, a);
    } else {
        op3(opc, type, r, a, cnst(type, c));
    }
}

static void gen_muli(TCGType type, TCGTemp *r, TCGTemp *a, int64_t v)
{
    uint64_t u;

    v = norm(type, v);
    u = type == TCG_TYPE_I32 ? (uint32_t)v : (uint64_t)v;
    if (v == 0) {
        gen_movi(type, r, 0);
    } else if (v == 1) {
        gen_mov(type, r, a);
    } else if ((u & (u - 1)) == 0) {
        gen_shifti(INDEX_op_shl, type, r, a, __builtin_ctzll(u));
    } else {
        op3(INDEX_op_mul, type, r, a, cnst(type, v));
    }
}

static void gen_andi(TCGType type, TCGTemp *r, TCGTemp *a, int64_t v)
{
    v = norm(type, v);
    if (v == 0) {
        gen_movi(type, r, 0);
    } else if (v == -1) {
        gen_mov(type, r, a);
    } else if (v == 0xff) {
        op2(INDEX_op_ext8u, type, r, a);
    } else if (v == 0xffff) {
        op2(INDEX_op_ext16u, type, r, a);
    } else if (type == TCG_TYPE_I64 && v == 0xffffffffll) {
        op2(INDEX_op_ext32u, type, r, a);
    } else {
        op3(INDEX_op_and, type, r, a, cnst(type, v));
    }
}

static void gen_ori(TCGType type, TCGTemp *r, TCGTemp *a, int64_t v)
{
    v = norm(type, v);
    if (v == -1) {
        gen_movi(type, r, -1);
    } else if (v == 0) {
        gen_mov(type, r, a);
    } else {
        op3(INDEX_op_or, type, r, a, cnst(type, v));
    }
}

static void gen_xori(TCGType type, TCGTemp *r, TCGTemp *a, int64_t v)
{
    v = norm(type, v);
    if (v == 0) {
        gen_mov(type, r, a);
    } else if (v == -1) {
        op2(INDEX_op_not, type, r, a);
    } else {
        op3(INDEX_op_xor, type, r, a, cnst(type, v));
    }
}

static void gen_rotli(TCGType type, TCGTemp *r, TCGTemp *a, unsigned c)
{
    gen_shifti(INDEX_op_rotl, type, r, a, c);
}

static void gen_rotri(TCGType type, TCGTemp *r, TCGTemp *a, unsigned c)
{
    gen_shifti(INDEX_op_rotr, type, r, a, c);
}

static void gen_extract(TCGType type, TCGTemp *r, TCGTemp *a, unsigned ofs,
                        unsigned len)
{
    unsigned w = type_bits(type);

    assert(len > 0 && len <= w && ofs <= w - len);
    if (len == w) {
        gen_mov(type, r, a);
    } else if (ofs + len == w) {
        op3(INDEX_op_shr, type, r, a, cnst(type, ofs));
    } else if (ofs == 0 && len == 8) {
        op2(INDEX_op_ext8u, type, r, a);
    } else if (ofs == 0 && len == 16) {
        op2(INDEX_op_ext16u, type, r, a);
    } else if (ofs == 0 && len == 32) {
        op2(INDEX_op_ext32u, type, r, a);
    } else {
        TCGOp *op = tcg_emit_op(INDEX_op_extract, type, 4);
        op->args[0] = temp_arg(r);
        op->args[1] = temp_arg(a);
        op->args[2] = ofs;
        op->args[3] = len;
    }
}

static void gen_sextract(TCGType type, TCGTemp *r, TCGTemp *a, unsigned ofs,
                         unsigned len)
{
    unsigned w = type_bits(type);

    assert(len > 0 && len <= w && ofs <= w - len);
    if (len == w) {
        gen_mov(type, r, a);
    } else if (ofs + len == w) {
        op3(INDEX_op_sar, type, r, a, cnst(type, ofs));
    } else if (ofs == 0 && len == 8) {
        op2(INDEX_op_ext8s, type, r, a);
    } else if (ofs == 0 && len == 16) {
        op2(INDEX_op_ext16s, type, r, a);
    } else if (ofs == 0 && len == 32) {
        op2(INDEX_op_ext32s, type, r, a);
    } else {
        TCGOp *op = tcg_emit_op(INDEX_op_sextract, type, 4);
        op->args[0] = temp_arg(r);
        op->args[1] = temp_arg(a);
        op->args[2] = ofs;
        op->args[3] = len;
    }
}

static void gen_deposit(TCGType type, TCGTemp *r, TCGTemp *a, TCGTemp *b,
                        unsigned ofs, unsigned len)
{
    unsigned w = type_bits(type);
    TCGOp *op;

    assert(len > 0 && len <= w && ofs <= w - len);
    if (len == w) {
        gen_mov(type, r, b);
        return;
    }
    op = tcg_emit_op(INDEX_op_deposit, type, 5);
    op->args[0] = temp_arg(r);
    op->args[1] = temp_arg(a);
    op->args[2] = temp_arg(b);
    op->args[3] = ofs;
    op->args[4] = len;
}

static void gen_extract2(TCGType type, TCGTemp *r, TCGTemp *lo, TCGTemp *hi,
                         unsigned ofs)
{
    unsigned w = type_bits(type);
    TCGOp *op;

    assert(ofs <= w);
    if (ofs == 0) {
        gen_mov(type, r, lo);
    } else if (ofs == w) {
        gen_mov(type, r, hi);
    } else {
        op = tcg_emit_op(INDEX_op_extract2, type, 4);
        op->args[0] = temp_arg(r);
        op->args[1] = temp_arg(lo);
        op->args[2] = temp_arg(hi);
        op->args[3] = ofs;
    }
}

static void gen_ext_memop(TCGType type, TCGTemp *r, TCGTemp *a, MemOp opc)
{
    static const TCGOpcode ext[2][3] = {
        { INDEX_op_ext8u, INDEX_op_ext16u, INDEX_op_ext32u },
        { INDEX_op_ext8s, INDEX_op_ext16s, INDEX_op_ext32s },
    };
    unsigned size = opc & MO_SIZE;

    if (size == MO_64 || (size == MO_32 && type == TCG_TYPE_I32)) {
        gen_mov(type, r, a);
    } else {
        op2(ext[!!(opc & MO_SIGN)][size], type, r, a);
    }
}

static void gen_op4(TCGOpcode opc, TCGType type, TCGTemp *a, TCGTemp *b,
                    TCGTemp *c, TCGTemp *d)
{
    TCGOp *op = tcg_emit_op(opc, type, 4);
    op->args[0] = temp_arg(a);
    op->args[1] = temp_arg(b);
    op->args[2] = temp_arg(c);
    op->args[3] = temp_arg(d);
}

static void gen_op6(TCGOpcode opc, TCGType type, TCGTemp *a, TCGTemp *b,
                    TCGTemp *c, TCGTemp *d, TCGTemp *e, TCGTemp *f)
{
    TCGOp *op = tcg_emit_op(opc, type, 6);
    op->args[0] = temp_arg(a);
    op->args[1] = temp_arg(b);
    op->args[2] = temp_arg(c);
    op->args[3] = temp_arg(d);
    op->args[4] = temp_arg(e);
    op->args[5] = temp_arg(f);
}

static void gen_setcond(TCGOpcode opc, TCGCond cond, TCGType type,
                        TCGTemp *r, TCGTemp *a, TCGTemp *b)
{
    int64_t t = opc == INDEX_op_negsetcond ? -1 : 1;
    TCGOp *op;

    if (cond == TCG_COND_ALWAYS) {
        gen_movi(type, r, t);
    } else if (cond == TCG_COND_NEVER) {
        gen_movi(type, r, 0);
    } else {
        op = tcg_emit_op(opc, type, 4);
        op->args[0] = temp_arg(r);
        op->args[1] = temp_arg(a);
        op->args[2] = temp_arg(b);
        op->args[3] = cond;
    }
}

static void gen_movcond(TCGCond cond, TCGType type, TCGTemp *r, TCGTemp *c1,
                        TCGTemp *c2, TCGTemp *v1, TCGTemp *v2)
{
    TCGOp *op;

    if (cond == TCG_COND_ALWAYS) {
        gen_mov(type, r, v1);
    } else if (cond == TCG_COND_NEVER) {
        gen_mov(type, r, v2);
    } else {
        op = tcg_emit_op(INDEX_op_movcond, type, 6);
        op->args[0] = temp_arg(r);
        op->args[1] = temp_arg(c1);
        op->args[2] = temp_arg(c2);
        op->args[3] = temp_arg(v1);
        op->args[4] = temp_arg(v2);
        op->args[5] = cond;
    }
}

static void gen_brcond(TCGCond cond, TCGType type, TCGTemp *a, TCGTemp *b,
                       TCGLabel *l)
{
    TCGOp *op;

    if (cond == TCG_COND_ALWAYS) {
        tcg_gen_br(l);
    } else if (cond != TCG_COND_NEVER) {
        op = tcg_emit_op(INDEX_op_brcond, type, 4);
        op->args[0] = temp_arg(a);
        op->args[1] = temp_arg(b);
        op->args[2] = cond;
        op->args[3] = label_arg(l);
        l->refs++;
    }
}

static void gen_bswap(TCGOpcode opc, TCGType type, TCGTemp *r, TCGTemp *a,
                      int flags)
{
    TCGOp *op = tcg_emit_op(opc, type, 3);
    op->args[0] = temp_arg(r);
    op->args[1] = temp_arg(a);
    op->args[2] = flags;
}

static void gen_ldst(TCGOpcode opc, TCGType type, TCGTemp *v, TCGTemp *base,
                     intptr_t offset)
{
    TCGOp *op = tcg_emit_op(opc, type, 3);
    op->args[0] = temp_arg(v);
    op->args[1] = temp_arg(base);
    op->args[2] = (TCGArg)offset;
}

static void gen_minmax(TCGCond cond, TCGType type, TCGTemp *r, TCGTemp *a,
                       TCGTemp *b)
{
    gen_movcond(cond, type, r, a, b, a, b);
}

static void gen_abs(TCGType type, TCGTemp *r, TCGTemp *a)
{
    TCGTemp *t = tcg_temp_new_internal(type, TEMP_EBB);

    op2(INDEX_op_neg, type, t, a);
    gen_movcond(TCG_COND_LT, type, r, a, cnst(type, 0), t, a);
    tcg_temp_free_internal(t);
}

/*
 * Canonical MemOp for a guest access of width type: the sign bit only
 * where it changes the result, no byte order for single bytes.
 */
static MemOp canonical_memop(MemOp mop, TCGType type, bool is_store)
{
    unsigned size = mop & MO_SIZE;

    assert(type == TCG_TYPE_I64 || size <= MO_32);
    if (is_store || size == MO_64 ||
        (size == MO_32 && type == TCG_TYPE_I32)) {
        mop &= ~MO_SIGN;
    }
    if (size == MO_8) {
        mop &= ~MO_BSWAP;
    }
    return mop;
}

static void gen_qemu_ldst(TCGOpcode opc, TCGType type, TCGTemp *val,
                          TCGTemp *addr, unsigned mmu_idx, MemOp mop)
{
    TCGOp *op;

    assert(addr->type == TCG_TYPE_I64);
    assert(mmu_idx < (1u << TCG_MMU_IDX_BITS));
    mop = canonical_memop(mop, type, opc == INDEX_op_qemu_st);
    op = tcg_emit_op(opc, type, 3);
    op->args[0] = temp_arg(val);
    op->args[1] = temp_arg(addr);
    op->args[2] = make_memop_idx(mop, mmu_idx);
}

/* ---- Typed wrappers ---- */

#define WRAP_UNARY(name, opc)                                              \
    void tcg_gen_##name##_i32(TCGv_i32 ret, TCGv_i32 arg)                  \
    {                                                                      \
        op2(opc, TCG_TYPE_I32, T32(ret), T32(arg));                        \
    }                                                                      \
    void tcg_gen_##name##_i64(TCGv_i64 ret, TCGv_i64 arg)                  \
    {                                                                      \
        op2(opc, TCG_TYPE_I64, T64(ret), T64(arg));                        \
    }

#define WRAP_BINARY(name, opc)                                             \
    void tcg_gen_##name##_i32(TCGv_i32 ret, TCGv_i32 a1, TCGv_i32 a2)      \
    {                                                                      \
        op3(opc, TCG_TYPE_I32, T32(ret), T32(a1), T32(a2));                \
    }                                                                      \
    void tcg_gen_##name##_i64(TCGv_i64 ret, TCGv_i64 a1, TCGv_i64 a2)      \
    {                                                                      \
        op3(opc, TCG_TYPE_I64, T64(ret), T64(a1), T64(a2));                \
    }

/* immediate forms go through gen_<name>(type, r, a, value) */
#define WRAP_IMM(name, ctype32, ctype64)                                   \
    void tcg_gen_##name##_i32(TCGv_i32 ret, TCGv_i32 a1, ctype32 a2)       \
    {                                                                      \
        gen_##name(TCG_TYPE_I32, T32(ret), T32(a1), a2);                   \
    }                                                                      \
    void tcg_gen_##name##_i64(TCGv_i64 ret, TCGv_i64 a1, ctype64 a2)       \
    {                                                                      \
        gen_##name(TCG_TYPE_I64, T64(ret), T64(a1), a2);                   \
    }

void tcg_gen_mov_i32(TCGv_i32 ret, TCGv_i32 arg)
{
    gen_mov(TCG_TYPE_I32, T32(ret), T32(arg));
}

void tcg_gen_mov_i64(TCGv_i64 ret, TCGv_i64 arg)
{
    gen_mov(TCG_TYPE_I64, T64(ret), T64(arg));
}

void tcg_gen_movi_i32(TCGv_i32 ret, int32_t arg)
{
    gen_movi(TCG_TYPE_I32, T32(ret), arg);
}

void tcg_gen_movi_i64(TCGv_i64 ret, int64_t arg)
{
    gen_movi(TCG_TYPE_I64, T64(ret), arg);
}

void tcg_gen_discard_i32(TCGv_i32 arg)
{
    op1(INDEX_op_discard, TCG_TYPE_I32, temp_arg(T32(arg)));
}

void tcg_gen_discard_i64(TCGv_i64 arg)
{
    op1(INDEX_op_discard, TCG_TYPE_I64, temp_arg(T64(arg)));
}

WRAP_BINARY(add, INDEX_op_add)
WRAP_BINARY(sub, INDEX_op_sub)
WRAP_BINARY(mul, INDEX_op_mul)
WRAP_BINARY(div, INDEX_op_div)
WRAP_BINARY(divu, INDEX_op_divu)
WRAP_BINARY(rem, INDEX_op_rem)
WRAP_BINARY(remu, INDEX_op_remu)
WRAP_BINARY(muluh, INDEX_op_muluh)
WRAP_BINARY(mulsh, INDEX_op_mulsh)
WRAP_BINARY(and, INDEX_op_and)
WRAP_BINARY(or, INDEX_op_or)
WRAP_BINARY(xor, INDEX_op_xor)
WRAP_BINARY(andc, INDEX_op_andc)
WRAP_BINARY(orc, INDEX_op_orc)
WRAP_BINARY(eqv, INDEX_op_eqv)
WRAP_BINARY(nand, INDEX_op_nand)
WRAP_BINARY(nor, INDEX_op_nor)
WRAP_BINARY(shl, INDEX_op_shl)
WRAP_BINARY(shr, INDEX_op_shr)
WRAP_BINARY(sar, INDEX_op_sar)
WRAP_BINARY(rotl, INDEX_op_rotl)
WRAP_BINARY(rotr, INDEX_op_rotr)
WRAP_BINARY(clz, INDEX_op_clz)
WRAP_BINARY(ctz, INDEX_op_ctz)

WRAP_UNARY(neg, INDEX_op_neg)
WRAP_UNARY(not, INDEX_op_not)
WRAP_UNARY(ext8s, INDEX_op_ext8s)
WRAP_UNARY(ext8u, INDEX_op_ext8u)
WRAP_UNARY(ext16s, INDEX_op_ext16s)
WRAP_UNARY(ext16u, INDEX_op_ext16u)
WRAP_UNARY(ctpop, INDEX_op_ctpop)

WRAP_IMM(addi, int32_t, int64_t)
WRAP_IMM(muli, int32_t, int64_t)
WRAP_IMM(andi, int32_t, int64_t)
WRAP_IMM(ori, int32_t, int64_t)
WRAP_IMM(xori, int32_t, int64_t)
WRAP_IMM(rotli, unsigned, unsigned)
WRAP_IMM(rotri, unsigned, unsigned)

void tcg_gen_subi_i32(TCGv_i32 ret, TCGv_i32 arg1, int32_t arg2)
{
    /* add of the negation: one canonical form for the optimizer */
    gen_addi(TCG_TYPE_I32, T32(ret), T32(arg1), -(uint32_t)arg2);
}

void tcg_gen_subi_i64(TCGv_i64 ret, TCGv_i64 arg1, int64_t arg2)
{
    gen_addi(TCG_TYPE_I64, T64(ret), T64(arg1), (int64_t)-(uint64_t)arg2);
}

void tcg_gen_subfi_i32(TCGv_i32 ret, int32_t arg1, TCGv_i32 arg2)
{
    gen_subfi(TCG_TYPE_I32, T32(ret), arg1, T32(arg2));
}

void tcg_gen_subfi_i64(TCGv_i64 ret, int64_t arg1, TCGv_i64 arg2)
{
    gen_subfi(TCG_TYPE_I64, T64(ret), arg1, T64(arg2));
}

void tcg_gen_shli_i32(TCGv_i32 ret, TCGv_i32 arg1, int32_t arg2)
{
    gen_shifti(INDEX_op_shl, TCG_TYPE_I32, T32(ret), T32(arg1), arg2);
}

void tcg_gen_shli_i64(TCGv_i64 ret, TCGv_i64 arg1, int64_t arg2)
{
    gen_shifti(INDEX_op_shl, TCG_TYPE_I64, T64(ret), T64(arg1), arg2);
}

void tcg_gen_shri_i32(TCGv_i32 ret, TCGv_i32 arg1, int32_t arg2)
{
    gen_shifti(INDEX_op_shr, TCG_TYPE_I32, T32(ret), T32(arg1), arg2);
}

void tcg_gen_shri_i64(TCGv_i64 ret, TCGv_i64 arg1, int64_t arg2)
{
    gen_shifti(INDEX_op_shr, TCG_TYPE_I64, T64(ret), T64(arg1), arg2);
}

void tcg_gen_sari_i32(TCGv_i32 ret, TCGv_i32 arg1, int32_t arg2)
{
    gen_shifti(INDEX_op_sar, TCG_TYPE_I32, T32(ret), T32(arg1), arg2);
}

void tcg_gen_sari_i64(TCGv_i64 ret, TCGv_i64 arg1, int64_t arg2)
{
    gen_shifti(INDEX_op_sar, TCG_TYPE_I64, T64(ret), T64(arg1), arg2);
}

void tcg_gen_add2_i32(TCGv_i32 rl, TCGv_i32 rh, TCGv_i32 al, TCGv_i32 ah,
                      TCGv_i32 bl, TCGv_i32 bh)
{
    gen_op6(INDEX_op_add2, TCG_TYPE_I32, T32(rl), T32(rh), T32(al), T32(ah),
            T32(bl), T32(bh));
}

void tcg_gen_add2_i64(TCGv_i64 rl, TCGv_i64 rh, TCGv_i64 al, TCGv_i64 ah,
                      TCGv_i64 bl, TCGv_i64 bh)
{
    gen_op6(INDEX_op_add2, TCG_TYPE_I64, T64(rl), T64(rh), T64(al), T64(ah),
            T64(bl), T64(bh));
}

void tcg_gen_sub2_i32(TCGv_i32 rl, TCGv_i32 rh, TCGv_i32 al, TCGv_i32 ah,
                      TCGv_i32 bl, TCGv_i32 bh)
{
    gen_op6(INDEX_op_sub2, TCG_TYPE_I32, T32(rl), T32(rh), T32(al), T32(ah),
            T32(bl), T32(bh));
}

void tcg_gen_sub2_i64(TCGv_i64 rl, TCGv_i64 rh, TCGv_i64 al, TCGv_i64 ah,
                      TCGv_i64 bl, TCGv_i64 bh)
{
    gen_op6(INDEX_op_sub2, TCG_TYPE_I64, T64(rl), T64(rh), T64(al), T64(ah),
            T64(bl), T64(bh));
}

void tcg_gen_mulu2_i32(TCGv_i32 rl, TCGv_i32 rh, TCGv_i32 arg1,
                       TCGv_i32 arg2)
{
    gen_op4(INDEX_op_mulu2, TCG_TYPE_I32, T32(rl), T32(rh), T32(arg1),
            T32(arg2));
}

void tcg_gen_mulu2_i64(TCGv_i64 rl, TCGv_i64 rh, TCGv_i64 arg1,
                       TCGv_i64 arg2)
{
    gen_op4(INDEX_op_mulu2, TCG_TYPE_I64, T64(rl), T64(rh), T64(arg1),
            T64(arg2));
}

void tcg_gen_muls2_i32(TCGv_i32 rl, TCGv_i32 rh, TCGv_i32 arg1,
                       TCGv_i32 arg2)
{
    gen_op4(INDEX_op_muls2, TCG_TYPE_I32, T32(rl), T32(rh), T32(arg1),
            T32(arg2));
}

void tcg_gen_muls2_i64(TCGv_i64 rl, TCGv_i64 rh, TCGv_i64 arg1,
                       TCGv_i64 arg2)
{
    gen_op4(INDEX_op_muls2, TCG_TYPE_I64, T64(rl), T64(rh), T64(arg1),
            T64(arg2));
}

void tcg_gen_smin_i32(TCGv_i32 ret, TCGv_i32 a, TCGv_i32 b)
{
    gen_minmax(TCG_COND_LT, TCG_TYPE_I32, T32(ret), T32(a), T32(b));
}

void tcg_gen_smin_i64(TCGv_i64 ret, TCGv_i64 a, TCGv_i64 b)
{
    gen_minmax(TCG_COND_LT, TCG_TYPE_I64, T64(ret), T64(a), T64(b));
}

void tcg_gen_smax_i32(TCGv_i32 ret, TCGv_i32 a, TCGv_i32 b)
{
    gen_minmax(TCG_COND_GT, TCG_TYPE_I32, T32(ret), T32(a), T32(b));
}

void tcg_gen_smax_i64(TCGv_i64 ret, TCGv_i64 a, TCGv_i64 b)
{
    gen_minmax(TCG_COND_GT, TCG_TYPE_I64, T64(ret), T64(a), T64(b));
}

void tcg_gen_umin_i32(TCGv_i32 ret, TCGv_i32 a, TCGv_i32 b)
{
    gen_minmax(TCG_COND_LTU, TCG_TYPE_I32, T32(ret), T32(a), T32(b));
}

void tcg_gen_umin_i64(TCGv_i64 ret, TCGv_i64 a, TCGv_i64 b)
{
    gen_minmax(TCG_COND_LTU, TCG_TYPE_I64, T64(ret), T64(a), T64(b));
}

void tcg_gen_umax_i32(TCGv_i32 ret, TCGv_i32 a, TCGv_i32 b)
{
    gen_minmax(TCG_COND_GTU, TCG_TYPE_I32, T32(ret), T32(a), T32(b));
}

void tcg_gen_umax_i64(TCGv_i64 ret, TCGv_i64 a, TCGv_i64 b)
{
    gen_minmax(TCG_COND_GTU, TCG_TYPE_I64, T64(ret), T64(a), T64(b));
}

void tcg_gen_abs_i32(TCGv_i32 ret, TCGv_i32 a)
{
    gen_abs(TCG_TYPE_I32, T32(ret), T32(a));
}

void tcg_gen_abs_i64(TCGv_i64 ret, TCGv_i64 a)
{
    gen_abs(TCG_TYPE_I64, T64(ret), T64(a));
}

void tcg_gen_extract_i32(TCGv_i32 ret, TCGv_i32 arg, unsigned ofs,
                         unsigned len)
{
    gen_extract(TCG_TYPE_I32, T32(ret), T32(arg), ofs, len);
}

void tcg_gen_extract_i64(TCGv_i64 ret, TCGv_i64 arg, unsigned ofs,
                         unsigned len)
{
    gen_extract(TCG_TYPE_I64, T64(ret), T64(arg), ofs, len);
}

void tcg_gen_sextract_i32(TCGv_i32 ret, TCGv_i32 arg, unsigned ofs,
                          unsigned len)
{
    gen_sextract(TCG_TYPE_I32, T32(ret), T32(arg), ofs, len);
}

void tcg_gen_sextract_i64(TCGv_i64 ret, TCGv_i64 arg, unsigned ofs,
                          unsigned len)
{
    gen_sextract(TCG_TYPE_I64, T64(ret), T64(arg), ofs, len);
}

void tcg_gen_deposit_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2,
                         unsigned ofs, unsigned len)
{
    gen_deposit(TCG_TYPE_I32, T32(ret), T32(arg1), T32(arg2), ofs, len);
}

void tcg_gen_deposit_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2,
                         unsigned ofs, unsigned len)
{
    gen_deposit(TCG_TYPE_I64, T64(ret), T64(arg1), T64(arg2), ofs, len);
}

void tcg_gen_extract2_i32(TCGv_i32 ret, TCGv_i32 al, TCGv_i32 ah,
                          unsigned ofs)
{
    gen_extract2(TCG_TYPE_I32, T32(ret), T32(al), T32(ah), ofs);
}

void tcg_gen_extract2_i64(TCGv_i64 ret, TCGv_i64 al, TCGv_i64 ah,
                          unsigned ofs)
{
    gen_extract2(TCG_TYPE_I64, T64(ret), T64(al), T64(ah), ofs);
}

void tcg_gen_ext32s_i64(TCGv_i64 ret, TCGv_i64 arg)
{
    op2(INDEX_op_ext32s, TCG_TYPE_I64, T64(ret), T64(arg));
}

void tcg_gen_ext32u_i64(TCGv_i64 ret, TCGv_i64 arg)
{
    op2(INDEX_op_ext32u, TCG_TYPE_I64, T64(ret), T64(arg));
}

void tcg_gen_ext_i32(TCGv_i32 ret, TCGv_i32 arg, MemOp opc)
{
    gen_ext_memop(TCG_TYPE_I32, T32(ret), T32(arg), opc);
}

void tcg_gen_ext_i64(TCGv_i64 ret, TCGv_i64 arg, MemOp opc)
{
    gen_ext_memop(TCG_TYPE_I64, T64(ret), T64(arg), opc);
}

void tcg_gen_ext_i32_i64(TCGv_i64 ret, TCGv_i32 arg)
{
    op2(INDEX_op_ext_i32_i64, TCG_TYPE_I64, T64(ret), T32(arg));
}

void tcg_gen_extu_i32_i64(TCGv_i64 ret, TCGv_i32 arg)
{
    op2(INDEX_op_extu_i32_i64, TCG_TYPE_I64, T64(ret), T32(arg));
}

void tcg_gen_extrl_i64_i32(TCGv_i32 ret, TCGv_i64 arg)
{
    op2(INDEX_op_extrl_i64_i32, TCG_TYPE_I32, T32(ret), T64(arg));
}

void tcg_gen_extrh_i64_i32(TCGv_i32 ret, TCGv_i64 arg)
{
    op2(INDEX_op_extrh_i64_i32, TCG_TYPE_I32, T32(ret), T64(arg));
}

void tcg_gen_concat_i32_i64(TCGv_i64 ret, TCGv_i32 low, TCGv_i32 high)
{
    TCGTemp *t = tcg_temp_new_internal(TCG_TYPE_I64, TEMP_EBB);

    op2(INDEX_op_extu_i32_i64, TCG_TYPE_I64, t, T32(high));
    op2(INDEX_op_extu_i32_i64, TCG_TYPE_I64, T64(ret), T32(low));
    gen_deposit(TCG_TYPE_I64, T64(ret), T64(ret), t, 32, 32);
    tcg_temp_free_internal(t);
}

void tcg_gen_concat32_i64(TCGv_i64 ret, TCGv_i64 low, TCGv_i64 high)
{
    gen_deposit(TCG_TYPE_I64, T64(ret), T64(low), T64(high), 32, 32);
}

void tcg_gen_extr_i64_i32(TCGv_i32 lo, TCGv_i32 hi, TCGv_i64 arg)
{
    op2(INDEX_op_extrl_i64_i32, TCG_TYPE_I32, T32(lo), T64(arg));
    op2(INDEX_op_extrh_i64_i32, TCG_TYPE_I32, T32(hi), T64(arg));
}

void tcg_gen_extr32_i64(TCGv_i64 lo, TCGv_i64 hi, TCGv_i64 arg)
{
    TCGTemp *a = T64(arg);

    if (T64(lo) == a) {
        /* lo would overwrite arg before hi is taken from it */
        op3(INDEX_op_shr, TCG_TYPE_I64, T64(hi), a, cnst(TCG_TYPE_I64, 32));
        op2(INDEX_op_ext32u, TCG_TYPE_I64, T64(lo), a);
    } else {
        op2(INDEX_op_ext32u, TCG_TYPE_I64, T64(lo), a);
        op3(INDEX_op_shr, TCG_TYPE_I64, T64(hi), a, cnst(TCG_TYPE_I64, 32));
    }
}

void tcg_gen_setcond_i32(TCGCond cond, TCGv_i32 ret, TCGv_i32 arg1,
                         TCGv_i32 arg2)
{
    gen_setcond(INDEX_op_setcond, cond, TCG_TYPE_I32, T32(ret), T32(arg1),
                T32(arg2));
}

void tcg_gen_setcond_i64(TCGCond cond, TCGv_i64 ret, TCGv_i64 arg1,
                         TCGv_i64 arg2)
{
    gen_setcond(INDEX_op_setcond, cond, TCG_TYPE_I64, T64(ret), T64(arg1),
                T64(arg2));
}

void tcg_gen_setcondi_i32(TCGCond cond, TCGv_i32 ret, TCGv_i32 arg1,
                          int32_t arg2)
{
    gen_setcond(INDEX_op_setcond, cond, TCG_TYPE_I32, T32(ret), T32(arg1),
                cnst(TCG_TYPE_I32, arg2));
}

void tcg_gen_setcondi_i64(TCGCond cond, TCGv_i64 ret, TCGv_i64 arg1,
                          int64_t arg2)
{
    gen_setcond(INDEX_op_setcond, cond, TCG_TYPE_I64, T64(ret), T64(arg1),
                cnst(TCG_TYPE_I64, arg2));
}

void tcg_gen_negsetcond_i32(TCGCond cond, TCGv_i32 ret, TCGv_i32 arg1,
                            TCGv_i32 arg2)
{
    gen_setcond(INDEX_op_negsetcond, cond, TCG_TYPE_I32, T32(ret),
                T32(arg1), T32(arg2));
}

void tcg_gen_negsetcond_i64(TCGCond cond, TCGv_i64 ret, TCGv_i64 arg1,
                            TCGv_i64 arg2)
{
    gen_setcond(INDEX_op_negsetcond, cond, TCG_TYPE_I64, T64(ret),
                T64(arg1), T64(arg2));
}

void tcg_gen_negsetcondi_i32(TCGCond cond, TCGv_i32 ret, TCGv_i32 arg1,
                             int32_t arg2)
{
    gen_setcond(INDEX_op_negsetcond, cond, TCG_TYPE_I32, T32(ret),
                T32(arg1), cnst(TCG_TYPE_I32, arg2));
}

void tcg_gen_negsetcondi_i64(TCGCond cond, TCGv_i64 ret, TCGv_i64 arg1,
                             int64_t arg2)
{
    gen_setcond(INDEX_op_negsetcond, cond, TCG_TYPE_I64, T64(ret),
                T64(arg1), cnst(TCG_TYPE_I64, arg2));
}

void tcg_gen_movcond_i32(TCGCond cond, TCGv_i32 ret, TCGv_i32 c1,
                         TCGv_i32 c2, TCGv_i32 v1, TCGv_i32 v2)
{
    gen_movcond(cond, TCG_TYPE_I32, T32(ret), T32(c1), T32(c2), T32(v1),
                T32(v2));
}

void tcg_gen_movcond_i64(TCGCond cond, TCGv_i64 ret, TCGv_i64 c1,
                         TCGv_i64 c2, TCGv_i64 v1, TCGv_i64 v2)
{
    gen_movcond(cond, TCG_TYPE_I64, T64(ret), T64(c1), T64(c2), T64(v1),
                T64(v2));
}

void tcg_gen_bswap16_i32(TCGv_i32 ret, TCGv_i32 arg, int flags)
{
    gen_bswap(INDEX_op_bswap16, TCG_TYPE_I32, T32(ret), T32(arg), flags);
}

void tcg_gen_bswap32_i32(TCGv_i32 ret, TCGv_i32 arg)
{
    gen_bswap(INDEX_op_bswap32, TCG_TYPE_I32, T32(ret), T32(arg), 0);
}

void tcg_gen_bswap16_i64(TCGv_i64 ret, TCGv_i64 arg, int flags)
{
    gen_bswap(INDEX_op_bswap16, TCG_TYPE_I64, T64(ret), T64(arg), flags);
}

void tcg_gen_bswap32_i64(TCGv_i64 ret, TCGv_i64 arg, int flags)
{
    gen_bswap(INDEX_op_bswap32, TCG_TYPE_I64, T64(ret), T64(arg), flags);
}

void tcg_gen_bswap64_i64(TCGv_i64 ret, TCGv_i64 arg)
{
    gen_bswap(INDEX_op_bswap64, TCG_TYPE_I64, T64(ret), T64(arg), 0);
}

void tcg_gen_clzi_i32(TCGv_i32 ret, TCGv_i32 arg1, uint32_t arg2)
{
    op3(INDEX_op_clz, TCG_TYPE_I32, T32(ret), T32(arg1),
        cnst(TCG_TYPE_I32, (int32_t)arg2));
}

void tcg_gen_clzi_i64(TCGv_i64 ret, TCGv_i64 arg1, uint64_t arg2)
{
    op3(INDEX_op_clz, TCG_TYPE_I64, T64(ret), T64(arg1),
        cnst(TCG_TYPE_I64, (int64_t)arg2));
}

void tcg_gen_ctzi_i32(TCGv_i32 ret, TCGv_i32 arg1, uint32_t arg2)
{
    op3(INDEX_op_ctz, TCG_TYPE_I32, T32(ret), T32(arg1),
        cnst(TCG_TYPE_I32, (int32_t)arg2));
}

void tcg_gen_ctzi_i64(TCGv_i64 ret, TCGv_i64 arg1, uint64_t arg2)
{
    op3(INDEX_op_ctz, TCG_TYPE_I64, T64(ret), T64(arg1),
        cnst(TCG_TYPE_I64, (int64_t)arg2));
}

/* ---- Host memory ---- */

#define WRAP_LD(name, opc, ctype, T, type)                                 \
    void tcg_gen_##name(ctype ret, TCGv_ptr base, intptr_t offset)        \
    {                                                                      \
        gen_ldst(opc, type, T(ret), TP(base), offset);                     \
    }

WRAP_LD(ld8u_i32, INDEX_op_ld8u, TCGv_i32, T32, TCG_TYPE_I32)
WRAP_LD(ld8s_i32, INDEX_op_ld8s, TCGv_i32, T32, TCG_TYPE_I32)
WRAP_LD(ld16u_i32, INDEX_op_ld16u, TCGv_i32, T32, TCG_TYPE_I32)
WRAP_LD(ld16s_i32, INDEX_op_ld16s, TCGv_i32, T32, TCG_TYPE_I32)
WRAP_LD(ld_i32, INDEX_op_ld, TCGv_i32, T32, TCG_TYPE_I32)
WRAP_LD(ld8u_i64, INDEX_op_ld8u, TCGv_i64, T64, TCG_TYPE_I64)
WRAP_LD(ld8s_i64, INDEX_op_ld8s, TCGv_i64, T64, TCG_TYPE_I64)
WRAP_LD(ld16u_i64, INDEX_op_ld16u, TCGv_i64, T64, TCG_TYPE_I64)
WRAP_LD(ld16s_i64, INDEX_op_ld16s, TCGv_i64, T64, TCG_TYPE_I64)
WRAP_LD(ld32u_i64, INDEX_op_ld32u, TCGv_i64, T64, TCG_TYPE_I64)
WRAP_LD(ld32s_i64, INDEX_op_ld32s, TCGv_i64, T64, TCG_TYPE_I64)
WRAP_LD(ld_i64, INDEX_op_ld, TCGv_i64, T64, TCG_TYPE_I64)
WRAP_LD(ld_ptr, INDEX_op_ld, TCGv_ptr, TP, TCG_TYPE_PTR)
/* stores have the same shape: the value comes first */
WRAP_LD(st8_i32, INDEX_op_st8, TCGv_i32, T32, TCG_TYPE_I32)
WRAP_LD(st16_i32, INDEX_op_st16, TCGv_i32, T32, TCG_TYPE_I32)
WRAP_LD(st_i32, INDEX_op_st, TCGv_i32, T32, TCG_TYPE_I32)
WRAP_LD(st8_i64, INDEX_op_st8, TCGv_i64, T64, TCG_TYPE_I64)
WRAP_LD(st16_i64, INDEX_op_st16, TCGv_i64, T64, TCG_TYPE_I64)
WRAP_LD(st32_i64, INDEX_op_st32, TCGv_i64, T64, TCG_TYPE_I64)
WRAP_LD(st_i64, INDEX_op_st, TCGv_i64, T64, TCG_TYPE_I64)
WRAP_LD(st_ptr, INDEX_op_st, TCGv_ptr, TP, TCG_TYPE_PTR)

/* ---- Host pointers ---- */

void tcg_gen_mov_ptr(TCGv_ptr ret, TCGv_ptr arg)
{
    gen_mov(TCG_TYPE_PTR, TP(ret), TP(arg));
}

void tcg_gen_movi_ptr(TCGv_ptr ret, intptr_t arg)
{
    gen_movi(TCG_TYPE_PTR, TP(ret), arg);
}

void tcg_gen_add_ptr(TCGv_ptr ret, TCGv_ptr arg1, TCGv_ptr arg2)
{
    op3(INDEX_op_add, TCG_TYPE_PTR, TP(ret), TP(arg1), TP(arg2));
}

void tcg_gen_addi_ptr(TCGv_ptr ret, TCGv_ptr arg1, intptr_t arg2)
{
    gen_addi(TCG_TYPE_PTR, TP(ret), TP(arg1), arg2);
}

void tcg_gen_ext_i32_ptr(TCGv_ptr ret, TCGv_i32 arg)
{
    op2(INDEX_op_ext_i32_i64, TCG_TYPE_I64, TP(ret), T32(arg));
}

void tcg_gen_extu_i32_ptr(TCGv_ptr ret, TCGv_i32 arg)
{
    op2(INDEX_op_extu_i32_i64, TCG_TYPE_I64, TP(ret), T32(arg));
}

void tcg_gen_trunc_i64_ptr(TCGv_ptr ret, TCGv_i64 arg)
{
    gen_mov(TCG_TYPE_I64, TP(ret), T64(arg));
}

void tcg_gen_extu_ptr_i64(TCGv_i64 ret, TCGv_ptr arg)
{
    gen_mov(TCG_TYPE_I64, T64(ret), TP(arg));
}

/* ---- Guest memory ---- */

void tcg_gen_qemu_ld_i32(TCGv_i32 val, TCGv_i64 addr, unsigned mmu_idx,
                         MemOp memop)
{
    gen_qemu_ldst(INDEX_op_qemu_ld, TCG_TYPE_I32, T32(val), T64(addr),
                  mmu_idx, memop);
}

void tcg_gen_qemu_ld_i64(TCGv_i64 val, TCGv_i64 addr, unsigned mmu_idx,
                         MemOp memop)
{
    gen_qemu_ldst(INDEX_op_qemu_ld, TCG_TYPE_I64, T64(val), T64(addr),
                  mmu_idx, memop);
}

void tcg_gen_qemu_st_i32(TCGv_i32 val, TCGv_i64 addr, unsigned mmu_idx,
                         MemOp memop)
{
    gen_qemu_ldst(INDEX_op_qemu_st, TCG_TYPE_I32, T32(val), T64(addr),
                  mmu_idx, memop);
}

void tcg_gen_qemu_st_i64(TCGv_i64 val, TCGv_i64 addr, unsigned mmu_idx,
                         MemOp memop)
{
    gen_qemu_ldst(INDEX_op_qemu_st, TCG_TYPE_I64, T64(val), T64(addr),
                  mmu_idx, memop);
}

/* ---- Control flow ---- */

void tcg_gen_br(TCGLabel *l)
{
    op1(INDEX_op_br, TCG_TYPE_I64, label_arg(l));
    l->refs++;
}

void gen_set_label(TCGLabel *l)
{
    assert(!l->present);
    l->present = true;
    op1(INDEX_op_set_label, TCG_TYPE_I64, label_arg(l));
}

void tcg_gen_brcond_i32(TCGCond cond, TCGv_i32 arg1, TCGv_i32 arg2,
                        TCGLabel *l)
{
    gen_brcond(cond, TCG_TYPE_I32, T32(arg1), T32(arg2), l);
}

void tcg_gen_brcond_i64(TCGCond cond, TCGv_i64 arg1, TCGv_i64 arg2,
                        TCGLabel *l)
{
    gen_brcond(cond, TCG_TYPE_I64, T64(arg1), T64(arg2), l);
}

void tcg_gen_brcondi_i32(TCGCond cond, TCGv_i32 arg1, int32_t arg2,
                         TCGLabel *l)
{
    gen_brcond(cond, TCG_TYPE_I32, T32(arg1), cnst(TCG_TYPE_I32, arg2), l);
}

void tcg_gen_brcondi_i64(TCGCond cond, TCGv_i64 arg1, int64_t arg2,
                         TCGLabel *l)
{
    gen_brcond(cond, TCG_TYPE_I64, T64(arg1), cnst(TCG_TYPE_I64, arg2), l);
}

void tcg_gen_insn_start(uint64_t w0, uint64_t w1, uint64_t w2)
{
    TCGOp *op = tcg_emit_op(INDEX_op_insn_start, TCG_TYPE_I64,
                            TCG_INSN_START_WORDS);
    _Static_assert(TCG_INSN_START_WORDS == 3, "tcg_gen_insn_start arity");
    op->args[0] = w0;
    op->args[1] = w1;
    op->args[2] = w2;
}

void tcg_gen_exit_tb(TranslationBlock *tb, unsigned idx)
{
    uintptr_t val = 0;

    assert(idx <= TB_EXIT_MASK);
    if (tb) {
        assert(((uintptr_t)tb & TB_EXIT_MASK) == 0);
        val = (uintptr_t)tb + idx;
    } else {
        assert(idx == 0);
    }
    op1(INDEX_op_exit_tb, TCG_TYPE_I64, val);
}

void tcg_gen_goto_tb(unsigned idx)
{
    assert(idx <= TB_EXIT_IDXMAX);
    op1(INDEX_op_goto_tb, TCG_TYPE_I64, idx);
}

void tcg_gen_goto_ptr(TCGv_ptr ptr)
{
    op1(INDEX_op_goto_ptr, TCG_TYPE_PTR, temp_arg(TP(ptr)));
}

static const TCGHelperInfo info_lookup_tb_ptr = {
    .func = (void *)helper_lookup_tb_ptr,
    .name = "lookup_tb_ptr",
    /* reads the guest pc and flags from env, writes no globals */
    .flags = TCG_CALL_NO_WRITE_GLOBALS | TCG_CALL_NO_SIDE_EFFECTS,
    .ret = TCG_CALL_PTR,
    .nargs = 1,
    .args = { TCG_CALL_PTR },
};

void tcg_gen_lookup_and_goto_ptr(void)
{
    TCGContext *s = tcg_ctx;
    TCGTemp *t = tcg_temp_new_internal(TCG_TYPE_PTR, TEMP_EBB);

    tcg_gen_call1(&info_lookup_tb_ptr, t, s->env);
    op1(INDEX_op_goto_ptr, TCG_TYPE_PTR, temp_arg(t));
    tcg_temp_free_internal(t);
}

void tcg_gen_mb(unsigned mb_type)
{
    op1(INDEX_op_mb, TCG_TYPE_I64, mb_type);
}

/* ---- Helper calls ---- */

void tcg_gen_call0(const TCGHelperInfo *info, TCGTemp *ret)
{
    tcg_gen_callN(info, ret, NULL);
}

void tcg_gen_call1(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *t1)
{
    TCGTemp *args[1] = { t1 };
    tcg_gen_callN(info, ret, args);
}

void tcg_gen_call2(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *t1,
                   TCGTemp *t2)
{
    TCGTemp *args[2] = { t1, t2 };
    tcg_gen_callN(info, ret, args);
}

void tcg_gen_call3(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *t1,
                   TCGTemp *t2, TCGTemp *t3)
{
    TCGTemp *args[3] = { t1, t2, t3 };
    tcg_gen_callN(info, ret, args);
}

void tcg_gen_call4(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *t1,
                   TCGTemp *t2, TCGTemp *t3, TCGTemp *t4)
{
    TCGTemp *args[4] = { t1, t2, t3, t4 };
    tcg_gen_callN(info, ret, args);
}

void tcg_gen_call5(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *t1,
                   TCGTemp *t2, TCGTemp *t3, TCGTemp *t4, TCGTemp *t5)
{
    TCGTemp *args[5] = { t1, t2, t3, t4, t5 };
    tcg_gen_callN(info, ret, args);
}

void tcg_gen_call6(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *t1,
                   TCGTemp *t2, TCGTemp *t3, TCGTemp *t4, TCGTemp *t5,
                   TCGTemp *t6)
{
    TCGTemp *args[6] = { t1, t2, t3, t4, t5, t6 };
    tcg_gen_callN(info, ret, args);
}

void tcg_gen_call7(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *t1,
                   TCGTemp *t2, TCGTemp *t3, TCGTemp *t4, TCGTemp *t5,
                   TCGTemp *t6, TCGTemp *t7)
{
    TCGTemp *args[7] = { t1, t2, t3, t4, t5, t6, t7 };
    tcg_gen_callN(info, ret, args);
}
