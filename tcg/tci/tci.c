/* The portable interpreter back end: IR to dense bytecode, and its loop. */
#include "emu/osdep.h"
#include "tcg/tcg.h"
#include "exec/translation-block.h"

/*
 * Bytecode format
 * ---------------
 * A TB's bytecode is a stream of 16-bit words.  Each instruction is one
 * opcode word followed by operands whose layout the opcode fixes:
 * frame slot numbers (one word each) and immediates (32 or 64 bits,
 * stored little or big endian as the host, read with memcpy so that no
 * alignment is needed).
 *
 * The frame is an array of uint64_t slots, one per TCG temp (slot =
 * temp index + 1) plus slot 0 for env and one scratch slot.  I32 values
 * live in the low half of a slot; the high half is unspecified, so every
 * operation reading an I32 looks only at the low 32 bits.  That keeps the
 * common operations (add, and, ...) width-agnostic.
 *
 * Constants live in frame slots too: each TB starts with tb_start, which
 * copies the TB's constant pool (slot, value pairs placed after the code)
 * into the frame.  Every entry into a TB (exec, goto_tb, goto_ptr) goes
 * through its tb_start, so the frame is (re)initialized per TB.
 *
 * Globals are cached in their frame slots within a basic block: a global
 * is loaded from memory at its first use, stored back ("synced") before
 * anything that can observe memory (branches and labels, exits, helper
 * calls that read globals, guest memory accesses that may fault), and
 * forgotten after labels and after helpers that may write globals.  This
 * is the same contract the native register allocator keeps, with an
 * unbounded register file.
 *
 * Branch targets are 32-bit word offsets relative to the offset field.
 * goto_tb jumps through a pointer (its jump slot) that sits 8-aligned
 * after the constant pool, where set_jmp_target() can swap it atomically.
 */

/*
 * The instruction set: name and operand format, one letter per word
 * after the opcode word, so that sizeof(format) is the instruction's
 * length in words.  The generator, the interpreter and the disassembler
 * all take lengths from here.
 *
 *   r  frame slot                 c  TCGCond
 *   f  bit field: pos | len << 8  w  small constant
 *   n  count (tb_start: pool entries; call: args | outputs << 4)
 *   k  call: argument kinds, 2 bits each
 *   oo int32 offset               ll int32 branch offset (from its field)
 *   mm MemOpIdx                   tt int32 env offset of the TLB
 *   p  guest page bits            PP int32 offset of the constant pool
 *   qqqq 64-bit immediate
 *   JJ int32 offset of goto_tb's jump slot (from the field)
 *
 * call is followed by one slot per argument beyond its format.
 */
#define TCI_OP_LIST(X) \
    X(tb_start, "nPP") X(exit_tb, "qqqq") X(goto_tb, "JJ") \
    X(goto_ptr, "r") X(br, "ll") X(mb, "") \
    X(brc_eq_32, "rrll") X(brc_ne_32, "rrll") X(brc_lt_32, "rrll") \
    X(brc_ge_32, "rrll") X(brc_ltu_32, "rrll") X(brc_geu_32, "rrll") \
    X(brc_eq_64, "rrll") X(brc_ne_64, "rrll") X(brc_lt_64, "rrll") \
    X(brc_ge_64, "rrll") X(brc_ltu_64, "rrll") X(brc_geu_64, "rrll") \
    X(setcond_32, "rrrc") X(setcond_64, "rrrc") \
    X(negsetcond_32, "rrrc") X(negsetcond_64, "rrrc") \
    X(movcond_32, "rrrrrc") X(movcond_64, "rrrrrc") \
    X(call, "nrqqqqk") \
    X(qemu_ld, "rrmm") X(qemu_ld_tlb, "rrmmttp") \
    X(qemu_st, "rrmm") X(qemu_st_tlb, "rrmmttp") \
    X(mov, "rr") X(movi, "rqqqq") \
    X(ld8u, "rroo") X(ld8s, "rroo") X(ld16u, "rroo") X(ld16s, "rroo") \
    X(ld32u, "rroo") X(ld32s, "rroo") X(ld64, "rroo") \
    X(st8, "rroo") X(st16, "rroo") X(st32, "rroo") X(st64, "rroo") \
    X(add, "rrr") X(sub, "rrr") X(mul, "rrr") X(neg, "rr") X(and, "rrr") \
    X(or, "rrr") X(xor, "rrr") X(andc, "rrr") X(orc, "rrr") \
    X(eqv, "rrr") X(nand, "rrr") X(nor, "rrr") X(not, "rr") \
    X(div_32, "rrr") X(div_64, "rrr") X(divu_32, "rrr") X(divu_64, "rrr") \
    X(rem_32, "rrr") X(rem_64, "rrr") X(remu_32, "rrr") X(remu_64, "rrr") \
    X(add2_32, "rrrrrr") X(add2_64, "rrrrrr") \
    X(sub2_32, "rrrrrr") X(sub2_64, "rrrrrr") \
    X(mulu2_32, "rrrr") X(mulu2_64, "rrrr") \
    X(muls2_32, "rrrr") X(muls2_64, "rrrr") \
    X(muluh_32, "rrr") X(muluh_64, "rrr") \
    X(mulsh_32, "rrr") X(mulsh_64, "rrr") \
    X(shl_32, "rrr") X(shl_64, "rrr") X(shr_32, "rrr") X(shr_64, "rrr") \
    X(sar_32, "rrr") X(sar_64, "rrr") X(rotl_32, "rrr") X(rotl_64, "rrr") \
    X(rotr_32, "rrr") X(rotr_64, "rrr") \
    X(extract, "rrf") X(sextract, "rrf") X(deposit, "rrrf") \
    X(extract2_32, "rrrw") X(extract2_64, "rrrw") \
    X(ext8s, "rr") X(ext8u, "rr") X(ext16s, "rr") X(ext16u, "rr") \
    X(ext32s, "rr") X(ext32u, "rr") X(extrh, "rr") \
    X(bswap16_z, "rr") X(bswap16_s, "rr") X(bswap32_z, "rr") \
    X(bswap32_s, "rr") X(bswap64, "rr") \
    X(clz_32, "rrr") X(clz_64, "rrr") X(ctz_32, "rrr") X(ctz_64, "rrr") \
    X(ctpop_32, "rr") X(ctpop_64, "rr")

typedef enum TCIOp {
#define X(name, fmt) TCI_##name,
    TCI_OP_LIST(X)
#undef X
    TCI_NB_OPS
} TCIOp;

/* length in words, opcode included */
enum {
#define X(name, fmt) TCI_LEN_##name = sizeof(fmt),
    TCI_OP_LIST(X)
#undef X
};
#define LEN(name) TCI_LEN_##name

static const uint8_t tci_op_len[TCI_NB_OPS] = {
#define X(name, fmt) [TCI_##name] = sizeof(fmt),
    TCI_OP_LIST(X)
#undef X
};

static const char *const tci_op_fmt[TCI_NB_OPS] = {
#define X(name, fmt) [TCI_##name] = fmt,
    TCI_OP_LIST(X)
#undef X
};

static const char *const tci_op_name[TCI_NB_OPS] = {
#define X(name, fmt) [TCI_##name] = #name,
    TCI_OP_LIST(X)
#undef X
};

#define TCI_SLOT_ENV      0
#define TCI_SLOT_SCRATCH  (TCG_MAX_TEMPS + 1)
#define TCI_NB_SLOTS      (TCG_MAX_TEMPS + 2)

/* call kinds of arguments, two bits each in the call's kinds word */
#define TCI_ARG_AS_IS 0
#define TCI_ARG_ZEXT32 1
#define TCI_ARG_SEXT32 2

/* words of a constant-pool entry: slot, then a 64-bit value */
#define TCI_POOL_ENTRY_WORDS 5

/* ---------------------------------------------------------------------- */
/* Immediates in the word stream */

static inline uint32_t tci_rd32(const uint16_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint64_t tci_rd64(const uint16_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline void tci_wr32(uint16_t *p, uint32_t v)
{
    memcpy(p, &v, sizeof(v));
}

static inline void tci_wr64(uint16_t *p, uint64_t v)
{
    memcpy(p, &v, sizeof(v));
}

/* ---------------------------------------------------------------------- */
/* Code generation */

/* per-temp state during gen_code */
#define TCI_T_LOADED 1      /* global: the slot holds its current value */
#define TCI_T_DIRTY  2      /* global: the slot is newer than memory */
#define TCI_T_POOLED 4      /* constant: already in the pool */

/* Scratch of one gen_code call (on its stack: no allocation per TB) */
typedef struct TCIGenData {
    uint8_t tstate[TCG_MAX_TEMPS];
    uint16_t loaded[TCG_MAX_TEMPS];
    uint16_t dirty[TCG_MAX_TEMPS];
    uint16_t pool_slot[TCG_MAX_TEMPS];  /* constants, by first use */
} TCIGenData;

typedef struct TCIGen {
    TCGContext *s;
    TCIGenData *d;
    uint16_t *start;        /* rw */
    uint16_t *ptr;
    int nb_loaded, nb_dirty, nb_pool;
    bool full;              /* code buffer high-water mark reached */
    bool bad;               /* IR this encoding cannot represent */
    bool terminal;          /* the last instruction never falls through */
    uint16_t *jmp_field[2]; /* goto_tb n's slot offset, to fill at the end */
} TCIGen;

/* Reserve n words, or flag the buffer as full and return NULL */
static uint16_t *tci_alloc(TCIGen *g, unsigned n)
{
    uint16_t *p = g->ptr;

    if (unlikely(g->full ||
                 (uint8_t *)(p + n) > g->s->code_gen_highwater)) {
        g->full = true;
        return NULL;
    }
    g->ptr = p + n;
    g->terminal = false;
    return p;
}

static inline size_t tci_off_bytes(const TCIGen *g, const uint16_t *p)
{
    return (size_t)(p - g->start) * sizeof(uint16_t);
}

static unsigned tci_slot(TCIGen *g, TCGTemp *t)
{
    if (t->kind == TEMP_FIXED) {
        if (t != g->s->env) {
            g->bad = true;  /* only env is a fixed temp */
        }
        return TCI_SLOT_ENV;
    }
    return temp_idx(g->s, t) + 1;
}

static void tci_out_movi(TCIGen *g, unsigned d, uint64_t v)
{
    uint16_t *p = tci_alloc(g, LEN(movi));

    if (p) {
        p[0] = TCI_movi;
        p[1] = d;
        tci_wr64(p + 2, v);
    }
}

static void tci_out_rrr(TCIGen *g, TCIOp op, unsigned a, unsigned b,
                        unsigned c)
{
    uint16_t *p = tci_alloc(g, 4);

    assert(tci_op_len[op] == 4);
    if (p) {
        p[0] = op;
        p[1] = a;
        p[2] = b;
        p[3] = c;
    }
}

/* Host load/store: op reg, [base + off] */
static void tci_out_ldst(TCIGen *g, TCIOp op, unsigned reg, unsigned base,
                         intptr_t off)
{
    uint16_t *p;

    if (off != (int32_t)off) {
        tci_out_movi(g, TCI_SLOT_SCRATCH, off);
        tci_out_rrr(g, TCI_add, TCI_SLOT_SCRATCH, base, TCI_SLOT_SCRATCH);
        base = TCI_SLOT_SCRATCH;
        off = 0;
    }
    p = tci_alloc(g, LEN(ld64));
    assert(tci_op_len[op] == LEN(ld64));
    if (p) {
        p[0] = op;
        p[1] = reg;
        p[2] = base;
        tci_wr32(p + 3, (uint32_t)off);
    }
}

static unsigned tci_use(TCIGen *g, TCGTemp *t);

static void tci_load_global(TCIGen *g, TCGTemp *t)
{
    size_t idx = temp_idx(g->s, t);
    unsigned base = tci_use(g, t->mem_base);

    tci_out_ldst(g, t->type == TCG_TYPE_I32 ? TCI_ld32u : TCI_ld64,
                 tci_slot(g, t), base, t->mem_offset);
    g->d->tstate[idx] |= TCI_T_LOADED;
    g->d->loaded[g->nb_loaded++] = idx;
}

/* Make t's value available in its slot for reading; returns the slot */
static unsigned tci_use(TCIGen *g, TCGTemp *t)
{
    size_t idx = temp_idx(g->s, t);

    /* the state of temps past nb_temps was never cleared */
    if (unlikely(idx >= (size_t)g->s->nb_temps)) {
        g->bad = true;
        return TCI_SLOT_SCRATCH;
    }
    switch (t->kind) {
    case TEMP_CONST:
        if (!(g->d->tstate[idx] & TCI_T_POOLED)) {
            g->d->tstate[idx] |= TCI_T_POOLED;
            g->d->pool_slot[g->nb_pool++] = tci_slot(g, t);
        }
        break;
    case TEMP_GLOBAL:
        if (!(g->d->tstate[idx] & TCI_T_LOADED)) {
            if (!t->mem_base) {
                g->bad = true;
                break;
            }
            tci_load_global(g, t);
        }
        break;
    default:
        break;
    }
    return tci_slot(g, t);
}

/* Slot an output is written to */
static unsigned tci_out_slot(TCIGen *g, TCGTemp *t)
{
    if (unlikely(temp_idx(g->s, t) >= (size_t)g->s->nb_temps ||
                 t->kind == TEMP_CONST || t->kind == TEMP_FIXED)) {
        g->bad = true;
        return TCI_SLOT_SCRATCH;
    }
    return tci_slot(g, t);
}

/* After an instruction wrote t: a global's slot is now newer than memory */
static void tci_def(TCIGen *g, TCGTemp *t)
{
    size_t idx;
    uint8_t *st;

    if (t->kind != TEMP_GLOBAL) {
        return;
    }
    idx = temp_idx(g->s, t);
    st = &g->d->tstate[idx];
    if (!(*st & TCI_T_LOADED)) {
        g->d->loaded[g->nb_loaded++] = idx;
    }
    if (!(*st & TCI_T_DIRTY)) {
        g->d->dirty[g->nb_dirty++] = idx;
    }
    *st |= TCI_T_LOADED | TCI_T_DIRTY;
}

/* Store every dirty global back to memory */
static void tci_sync(TCIGen *g)
{
    for (int i = 0; i < g->nb_dirty; i++) {
        size_t idx = g->d->dirty[i];
        TCGTemp *t = &g->s->temps[idx];
        unsigned base = tci_use(g, t->mem_base);

        tci_out_ldst(g, t->type == TCG_TYPE_I32 ? TCI_st32 : TCI_st64,
                     tci_slot(g, t), base, t->mem_offset);
        g->d->tstate[idx] &= ~TCI_T_DIRTY;
    }
    g->nb_dirty = 0;
}

/* Forget cached globals (memory may have changed behind our back) */
static void tci_forget(TCIGen *g)
{
    for (int i = 0; i < g->nb_loaded; i++) {
        g->d->tstate[g->d->loaded[i]] &= ~TCI_T_LOADED;
    }
    g->nb_loaded = 0;
}

/*
 * Fill the 32-bit offset field at f with a reference to label l.  Until
 * a label is bound, its value heads a chain of the forward references
 * (word index + 1 of the newest field; 0 = none) threaded through the
 * offset fields themselves, so branches need no allocation.
 */
static void tci_label_ref(TCIGen *g, uint16_t *f, TCGLabel *l)
{
    if (l->has_value) {
        tci_wr32(f, (uint32_t)((uint16_t *)l->value - f));
    } else {
        tci_wr32(f, (uint32_t)l->value);
        l->value = (uintptr_t)(f - g->start) + 1;
    }
}

static void tci_bind_label(TCIGen *g, TCGLabel *l, uint16_t *target)
{
    uintptr_t link = l->has_value ? 0 : l->value;

    while (link) {
        uint16_t *f = g->start + link - 1;
        link = tci_rd32(f);
        tci_wr32(f, (uint32_t)(target - f));
    }
    l->has_value = true;
    l->value = (uintptr_t)target;
}

/* Opcodes whose operands are just outputs then inputs, by width */
static const uint8_t tci_simple_op[NB_OPS][TCG_TYPE_COUNT] = {
    [INDEX_op_add] = { TCI_add, TCI_add },
    [INDEX_op_sub] = { TCI_sub, TCI_sub },
    [INDEX_op_mul] = { TCI_mul, TCI_mul },
    [INDEX_op_neg] = { TCI_neg, TCI_neg },
    [INDEX_op_div] = { TCI_div_32, TCI_div_64 },
    [INDEX_op_divu] = { TCI_divu_32, TCI_divu_64 },
    [INDEX_op_rem] = { TCI_rem_32, TCI_rem_64 },
    [INDEX_op_remu] = { TCI_remu_32, TCI_remu_64 },
    [INDEX_op_add2] = { TCI_add2_32, TCI_add2_64 },
    [INDEX_op_sub2] = { TCI_sub2_32, TCI_sub2_64 },
    [INDEX_op_mulu2] = { TCI_mulu2_32, TCI_mulu2_64 },
    [INDEX_op_muls2] = { TCI_muls2_32, TCI_muls2_64 },
    [INDEX_op_muluh] = { TCI_muluh_32, TCI_muluh_64 },
    [INDEX_op_mulsh] = { TCI_mulsh_32, TCI_mulsh_64 },
    [INDEX_op_and] = { TCI_and, TCI_and },
    [INDEX_op_or] = { TCI_or, TCI_or },
    [INDEX_op_xor] = { TCI_xor, TCI_xor },
    [INDEX_op_andc] = { TCI_andc, TCI_andc },
    [INDEX_op_orc] = { TCI_orc, TCI_orc },
    [INDEX_op_eqv] = { TCI_eqv, TCI_eqv },
    [INDEX_op_nand] = { TCI_nand, TCI_nand },
    [INDEX_op_nor] = { TCI_nor, TCI_nor },
    [INDEX_op_not] = { TCI_not, TCI_not },
    [INDEX_op_shl] = { TCI_shl_32, TCI_shl_64 },
    [INDEX_op_shr] = { TCI_shr_32, TCI_shr_64 },
    [INDEX_op_sar] = { TCI_sar_32, TCI_sar_64 },
    [INDEX_op_rotl] = { TCI_rotl_32, TCI_rotl_64 },
    [INDEX_op_rotr] = { TCI_rotr_32, TCI_rotr_64 },
    [INDEX_op_ext8s] = { TCI_ext8s, TCI_ext8s },
    [INDEX_op_ext8u] = { TCI_ext8u, TCI_ext8u },
    [INDEX_op_ext16s] = { TCI_ext16s, TCI_ext16s },
    [INDEX_op_ext16u] = { TCI_ext16u, TCI_ext16u },
    [INDEX_op_ext32s] = { 0, TCI_ext32s },
    [INDEX_op_ext32u] = { 0, TCI_ext32u },
    [INDEX_op_ext_i32_i64] = { 0, TCI_ext32s },
    [INDEX_op_extu_i32_i64] = { 0, TCI_ext32u },
    [INDEX_op_extrl_i64_i32] = { TCI_mov, 0 },
    [INDEX_op_extrh_i64_i32] = { TCI_extrh, 0 },
    [INDEX_op_clz] = { TCI_clz_32, TCI_clz_64 },
    [INDEX_op_ctz] = { TCI_ctz_32, TCI_ctz_64 },
    [INDEX_op_ctpop] = { TCI_ctpop_32, TCI_ctpop_64 },
};

/* Loads and stores relative to a host pointer, by width */
static const uint8_t tci_ldst_op[NB_OPS][TCG_TYPE_COUNT] = {
    [INDEX_op_ld8u] = { TCI_ld8u, TCI_ld8u },
    [INDEX_op_ld8s] = { TCI_ld8s, TCI_ld8s },
    [INDEX_op_ld16u] = { TCI_ld16u, TCI_ld16u },
    [INDEX_op_ld16s] = { TCI_ld16s, TCI_ld16s },
    [INDEX_op_ld32u] = { 0, TCI_ld32u },
    [INDEX_op_ld32s] = { 0, TCI_ld32s },
    [INDEX_op_ld] = { TCI_ld32u, TCI_ld64 },
    [INDEX_op_st8] = { TCI_st8, TCI_st8 },
    [INDEX_op_st16] = { TCI_st16, TCI_st16 },
    [INDEX_op_st32] = { 0, TCI_st32 },
    [INDEX_op_st] = { TCI_st32, TCI_st64 },
};

static void tci_gen_simple(TCIGen *g, const TCGOp *op, TCIOp top)
{
    const TCGOpDef *def = &tcg_op_defs[op->opc];
    unsigned nb_o = def->nb_oargs, nb_i = def->nb_iargs;
    unsigned slots[8];
    uint16_t *p;

    assert(nb_o + nb_i <= ARRAY_SIZE(slots));
    for (unsigned i = 0; i < nb_i; i++) {
        slots[nb_o + i] = tci_use(g, arg_temp(op->args[nb_o + i]));
    }
    for (unsigned i = 0; i < nb_o; i++) {
        slots[i] = tci_out_slot(g, arg_temp(op->args[i]));
    }
    p = tci_alloc(g, 1 + nb_o + nb_i);
    assert(tci_op_len[top] == 1 + nb_o + nb_i);
    if (p) {
        p[0] = top;
        for (unsigned i = 0; i < nb_o + nb_i; i++) {
            p[1 + i] = slots[i];
        }
    }
    for (unsigned i = 0; i < nb_o; i++) {
        tci_def(g, arg_temp(op->args[i]));
    }
}

static void tci_gen_mov(TCIGen *g, const TCGOp *op)
{
    TCGTemp *d = arg_temp(op->args[0]), *a = arg_temp(op->args[1]);
    unsigned sa, sd;

    if (d == a) {
        return;
    }
    sa = tci_use(g, a);
    sd = tci_out_slot(g, d);
    uint16_t *p = tci_alloc(g, LEN(mov));
    if (p) {
        p[0] = TCI_mov;
        p[1] = sd;
        p[2] = sa;
    }
    tci_def(g, d);
}

/* Conditions as encoded in brc_*: the other four become these, swapped */
static int tci_brcond_index(TCGCond *c, TCGTemp **a, TCGTemp **b)
{
    TCGTemp *t;

    switch (*c) {
    case TCG_COND_LE:
    case TCG_COND_GT:
    case TCG_COND_LEU:
    case TCG_COND_GTU:
        t = *a;
        *a = *b;
        *b = t;
        *c = tcg_swap_cond(*c);
        break;
    default:
        break;
    }
    switch (*c) {
    case TCG_COND_EQ: return 0;
    case TCG_COND_NE: return 1;
    case TCG_COND_LT: return 2;
    case TCG_COND_GE: return 3;
    case TCG_COND_LTU: return 4;
    case TCG_COND_GEU: return 5;
    default: return -1;
    }
}

static void tci_gen_br(TCIGen *g, TCGLabel *l)
{
    uint16_t *p = tci_alloc(g, LEN(br));

    if (p) {
        p[0] = TCI_br;
        tci_label_ref(g, p + 1, l);
        g->terminal = true;
    }
}

static void tci_gen_brcond(TCIGen *g, const TCGOp *op)
{
    TCGTemp *a = arg_temp(op->args[0]), *b = arg_temp(op->args[1]);
    TCGCond c = (TCGCond)op->args[2];
    TCGLabel *l = arg_label(op->args[3]);
    unsigned sa, sb;
    int ci;
    uint16_t *p;

    ci = tci_brcond_index(&c, &a, &b);
    sa = tci_use(g, a);
    sb = tci_use(g, b);
    tci_sync(g);
    if (c == TCG_COND_NEVER) {
        return;
    }
    if (c == TCG_COND_ALWAYS) {
        tci_gen_br(g, l);
        return;
    }
    if (ci < 0) {
        g->bad = true;
        return;
    }
    p = tci_alloc(g, LEN(brc_eq_32));
    if (p) {
        p[0] = (op->type == TCG_TYPE_I64 ? TCI_brc_eq_64 : TCI_brc_eq_32) + ci;
        p[1] = sa;
        p[2] = sb;
        tci_label_ref(g, p + 3, l);
    }
}

/* Operands, then one trailing constant word */
static void tci_gen_with_carg(TCIGen *g, const TCGOp *op, TCIOp top,
                              unsigned carg)
{
    const TCGOpDef *def = &tcg_op_defs[op->opc];
    unsigned nb_o = def->nb_oargs, nb_i = def->nb_iargs;
    unsigned slots[8];
    uint16_t *p;

    for (unsigned i = 0; i < nb_i; i++) {
        slots[nb_o + i] = tci_use(g, arg_temp(op->args[nb_o + i]));
    }
    for (unsigned i = 0; i < nb_o; i++) {
        slots[i] = tci_out_slot(g, arg_temp(op->args[i]));
    }
    p = tci_alloc(g, 2 + nb_o + nb_i);
    assert(tci_op_len[top] == 2 + nb_o + nb_i);
    if (p) {
        p[0] = top;
        for (unsigned i = 0; i < nb_o + nb_i; i++) {
            p[1 + i] = slots[i];
        }
        p[1 + nb_o + nb_i] = carg;
    }
    for (unsigned i = 0; i < nb_o; i++) {
        tci_def(g, arg_temp(op->args[i]));
    }
}

static void tci_gen_ldst(TCIGen *g, const TCGOp *op, TCIOp top)
{
    TCGTemp *v = arg_temp(op->args[0]);
    unsigned base = tci_use(g, arg_temp(op->args[1]));
    intptr_t off = op->args[2];

    if (tcg_op_defs[op->opc].nb_oargs) {
        tci_out_ldst(g, top, tci_out_slot(g, v), base, off);
        tci_def(g, v);
    } else {
        tci_out_ldst(g, top, tci_use(g, v), base, off);
    }
}

static void tci_gen_bitfield(TCIGen *g, const TCGOp *op, TCIOp top)
{
    unsigned width = op->type == TCG_TYPE_I64 ? 64 : 32;
    unsigned n = tcg_op_defs[op->opc].nb_iargs + 1;
    unsigned pos = op->args[n], len = op->args[n + 1];

    /* the builder guarantees 1 <= len, pos + len <= width */
    if (pos >= width || len < 1 || len > width - pos) {
        g->bad = true;
        return;
    }
    tci_gen_with_carg(g, op, top, pos | (len << 8));
}

static void tci_gen_unary(TCIGen *g, const TCGOp *op, TCIOp top)
{
    unsigned a = tci_use(g, arg_temp(op->args[1]));
    unsigned d = tci_out_slot(g, arg_temp(op->args[0]));
    uint16_t *p = tci_alloc(g, 3);

    assert(tci_op_len[top] == 3);
    if (p) {
        p[0] = top;
        p[1] = d;
        p[2] = a;
    }
    tci_def(g, arg_temp(op->args[0]));
}

/*
 * IZ is only a promise about the input.  Without OS the result is zero
 * above the swapped part (the IR leaves it unspecified without OZ).
 */
static void tci_gen_bswap(TCIGen *g, const TCGOp *op)
{
    bool os = (op->args[2] & TCG_BSWAP_OS) != 0;
    TCIOp top;

    if (op->opc == INDEX_op_bswap16) {
        top = os ? TCI_bswap16_s : TCI_bswap16_z;
    } else if (op->opc == INDEX_op_bswap32) {
        /* a 32-bit swap of an I32 fills the whole value */
        top = os && op->type == TCG_TYPE_I64 ? TCI_bswap32_s : TCI_bswap32_z;
    } else {
        top = TCI_bswap64;
    }
    tci_gen_unary(g, op, top);
}

static void tci_gen_call(TCIGen *g, const TCGOp *op)
{
    unsigned nb_o = op->call_oargs, nb_i = op->call_iargs;
    const TCGHelperInfo *info = tcg_call_info(op);
    void *func = (void *)op->args[nb_o + nb_i];
    unsigned slots[TCG_MAX_CALL_IARGS];
    unsigned kinds = 0, rslot = 0;
    uint16_t *p;

    if (nb_i > TCG_MAX_CALL_IARGS || nb_o > 1) {
        g->bad = true;
        return;
    }
    for (unsigned i = 0; i < nb_i; i++) {
        TCGCallType ct = i < info->nargs ? info->args[i] : TCG_CALL_I64;
        unsigned k = ct == TCG_CALL_I32 ? TCI_ARG_ZEXT32
                   : ct == TCG_CALL_S32 ? TCI_ARG_SEXT32 : TCI_ARG_AS_IS;

        slots[i] = tci_use(g, arg_temp(op->args[nb_o + i]));
        kinds |= k << (2 * i);
    }
    if (!(info->flags & TCG_CALL_NO_READ_GLOBALS)) {
        tci_sync(g);
    }
    if (nb_o) {
        rslot = tci_out_slot(g, arg_temp(op->args[0]));
    }
    p = tci_alloc(g, LEN(call) + nb_i);
    if (p) {
        p[0] = TCI_call;
        p[1] = nb_i | (nb_o << 4);
        p[2] = rslot;
        tci_wr64(p + 3, (uintptr_t)func);
        p[7] = kinds;
        for (unsigned i = 0; i < nb_i; i++) {
            p[8 + i] = slots[i];
        }
    }
    /* NO_READ_GLOBALS implies NO_WRITE_GLOBALS, as in QEMU */
    if (!(info->flags & (TCG_CALL_NO_READ_GLOBALS |
                         TCG_CALL_NO_WRITE_GLOBALS))) {
        tci_forget(g);
    }
    if (nb_o) {
        tci_def(g, arg_temp(op->args[0]));
    }
}

/* Can qemu_ld/st with this MMU index probe the TLB inline? */
static bool tci_tlb_usable(TCGContext *s, unsigned mmu_idx)
{
    return mmu_idx < s->nb_mmu_modes && s->tlb_fast_offset != 0 &&
           s->tlb_fast_offset == (int32_t)s->tlb_fast_offset &&
           s->guest_page_bits >= CPU_TLB_ENTRY_BITS &&
           s->guest_page_bits < 64;
}

static void tci_gen_qemu_ldst(TCIGen *g, const TCGOp *op)
{
    bool is_ld = op->opc == INDEX_op_qemu_ld;
    TCGTemp *v = arg_temp(op->args[0]);
    unsigned addr = tci_use(g, arg_temp(op->args[1]));
    MemOpIdx oi = op->args[2];
    bool tlb = tci_tlb_usable(g->s, get_mmuidx(oi));
    unsigned vs;
    uint16_t *p;

    vs = is_ld ? tci_out_slot(g, v) : tci_use(g, v);
    /* a fault restores guest state from memory */
    tci_sync(g);
    p = tci_alloc(g, tlb ? LEN(qemu_ld_tlb) : LEN(qemu_ld));
    if (p) {
        p[0] = is_ld ? (tlb ? TCI_qemu_ld_tlb : TCI_qemu_ld)
                     : (tlb ? TCI_qemu_st_tlb : TCI_qemu_st);
        p[1] = vs;
        p[2] = addr;
        tci_wr32(p + 3, oi);
        if (tlb) {
            tci_wr32(p + 5, (uint32_t)g->s->tlb_fast_offset);
            p[7] = g->s->guest_page_bits;
        }
    }
    if (is_ld) {
        tci_def(g, v);
    }
}

/*
 * goto_tb n jumps through a pointer, its jump slot.  The slots sit after
 * the constant pool, 8-byte aligned so that set_jmp_target() can store
 * one atomically; they are filled at the end of gen_code.
 */
static void tci_gen_goto_tb(TCIGen *g, TranslationBlock *tb, unsigned n)
{
    uint16_t *p;

    tci_sync(g);
    if (n > 1 || g->jmp_field[n]) {
        g->bad = true;
        return;
    }
    p = tci_alloc(g, LEN(goto_tb));
    if (!p) {
        return;
    }
    p[0] = TCI_goto_tb;
    if (tci_off_bytes(g, p + LEN(goto_tb)) >= TB_JMP_OFFSET_INVALID) {
        g->bad = true;      /* too large for the 16-bit offsets */
        return;
    }
    g->jmp_field[n] = p + 1;
    tb->jmp_insn_offset[n] = tci_off_bytes(g, p);
    tb->jmp_reset_offset[n] = tci_off_bytes(g, p + LEN(goto_tb));
}

/* Place the jump slots; unchained, each continues after its goto_tb */
static void tci_gen_jump_slots(TCIGen *g, TranslationBlock *tb)
{
    for (int n = 0; n < 2; n++) {
        uint16_t *f = g->jmp_field[n], *slot;

        if (!f) {
            continue;
        }
        while ((uintptr_t)g->ptr & (sizeof(uintptr_t) - 1)) {
            slot = tci_alloc(g, 1);
            if (!slot) {
                return;
            }
            slot[0] = 0;
        }
        slot = tci_alloc(g, sizeof(uintptr_t) / sizeof(uint16_t));
        if (!slot) {
            return;
        }
        *(uintptr_t *)slot =
            (uintptr_t)tcg_splitwx_to_rx(g->s, f + 2);
        tci_wr32(f, (uint32_t)(slot - f));
        tb->jmp_target_slot[n] = (uintptr_t *)slot;
    }
}

static void tci_gen_exit(TCIGen *g, uint64_t val)
{
    uint16_t *p = tci_alloc(g, LEN(exit_tb));

    if (p) {
        p[0] = TCI_exit_tb;
        tci_wr64(p + 1, val);
        g->terminal = true;
    }
}

static void tci_gen_op(TCIGen *g, TranslationBlock *tb, TCGOp *op)
{
    TCGContext *s = g->s;
    unsigned w = op->type == TCG_TYPE_I64;
    TCIOp top;
    uint16_t *p;

    switch (op->opc) {
    case INDEX_op_discard:
        break;
    case INDEX_op_set_label:
        /* other edges into the label see memory, not our cache */
        tci_sync(g);
        tci_forget(g);
        tci_bind_label(g, arg_label(op->args[0]), g->ptr);
        g->terminal = false;
        break;
    case INDEX_op_insn_start:
        if (s->nb_insns >= TCG_MAX_INSNS) {
            g->bad = true;
            break;
        }
        if (s->nb_insns > 0) {
            s->gen_insn_end_off[s->nb_insns - 1] = tci_off_bytes(g, g->ptr);
        }
        for (int i = 0; i < TCG_INSN_START_WORDS; i++) {
            s->gen_insn_data[s->nb_insns][i] = op->args[i];
        }
        s->nb_insns++;
        break;
    case INDEX_op_mov:
        tci_gen_mov(g, op);
        break;
    case INDEX_op_call:
        tci_gen_call(g, op);
        break;
    case INDEX_op_br:
        tci_sync(g);
        tci_gen_br(g, arg_label(op->args[0]));
        break;
    case INDEX_op_brcond:
        tci_gen_brcond(g, op);
        break;
    case INDEX_op_goto_tb:
        tci_gen_goto_tb(g, tb, op->args[0]);
        break;
    case INDEX_op_exit_tb:
        tci_sync(g);
        tci_gen_exit(g, op->args[0]);
        break;
    case INDEX_op_goto_ptr: {
        unsigned a = tci_use(g, arg_temp(op->args[0]));
        tci_sync(g);
        p = tci_alloc(g, LEN(goto_ptr));
        if (p) {
            p[0] = TCI_goto_ptr;
            p[1] = a;
            g->terminal = true;
        }
        break;
    }
    case INDEX_op_mb:
        p = tci_alloc(g, LEN(mb));
        if (p) {
            p[0] = TCI_mb;
        }
        break;
    case INDEX_op_setcond:
        tci_gen_with_carg(g, op, w ? TCI_setcond_64 : TCI_setcond_32,
                          op->args[3]);
        break;
    case INDEX_op_negsetcond:
        tci_gen_with_carg(g, op, w ? TCI_negsetcond_64 : TCI_negsetcond_32,
                          op->args[3]);
        break;
    case INDEX_op_movcond:
        tci_gen_with_carg(g, op, w ? TCI_movcond_64 : TCI_movcond_32,
                          op->args[5]);
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
    case INDEX_op_st:
        top = tci_ldst_op[op->opc][w];
        if (!top) {
            g->bad = true;
            break;
        }
        tci_gen_ldst(g, op, top);
        break;
    case INDEX_op_extract:
        tci_gen_bitfield(g, op, TCI_extract);
        break;
    case INDEX_op_sextract:
        tci_gen_bitfield(g, op, TCI_sextract);
        break;
    case INDEX_op_deposit:
        tci_gen_bitfield(g, op, TCI_deposit);
        break;
    case INDEX_op_extract2: {
        unsigned pos = op->args[3];
        if (pos > (w ? 64u : 32u)) {
            g->bad = true;
            break;
        }
        tci_gen_with_carg(g, op, w ? TCI_extract2_64 : TCI_extract2_32, pos);
        break;
    }
    case INDEX_op_bswap16:
    case INDEX_op_bswap32:
    case INDEX_op_bswap64:
        if (op->opc == INDEX_op_bswap64 && !w) {
            g->bad = true;
            break;
        }
        tci_gen_bswap(g, op);
        break;
    case INDEX_op_qemu_ld:
    case INDEX_op_qemu_st:
        tci_gen_qemu_ldst(g, op);
        break;
    default:
        top = tci_simple_op[op->opc][w];
        if (!top) {
            g->bad = true;
            break;
        }
        tci_gen_simple(g, op, top);
        break;
    }
}

static int tci_gen_code(TCGContext *s, TranslationBlock *tb)
{
    TCIGenData data;
    TCIGen g = {
        .s = s,
        .d = &data,
        /* words need 2-byte alignment; 8 keeps the header together */
        .start = (uint16_t *)ROUND_UP((uintptr_t)s->code_ptr, 8),
    };
    uint16_t *hdr, *code_end, *pool;
    TCGOp *op;
    bool pending = false;

    g.ptr = g.start;
    memset(data.tstate, 0, s->nb_temps);
    /* a retry after -1 finds the labels as the first attempt left them */
    for (int i = 0; i < s->nb_labels; i++) {
        s->labels[i].has_value = false;
        s->labels[i].value = 0;
    }
    s->nb_insns = 0;
    for (int i = 0; i < 2; i++) {
        tb->jmp_insn_offset[i] = TB_JMP_OFFSET_INVALID;
        tb->jmp_reset_offset[i] = TB_JMP_OFFSET_INVALID;
        tb->jmp_target_slot[i] = NULL;
    }

    hdr = tci_alloc(&g, LEN(tb_start));
    TAILQ_FOREACH(op, &s->ops, link) {
        tci_gen_op(&g, tb, op);
        if (g.full) {
            return -1;
        }
        if (g.bad) {
            return -2;
        }
    }

    /* branches to labels never bound go to the safety exit below */
    for (int i = 0; i < s->nb_labels; i++) {
        pending |= !s->labels[i].has_value && s->labels[i].value != 0;
    }
    if (!g.terminal || pending) {
        /* IR that falls off its end leaves through exit_tb(0) */
        tci_sync(&g);
        for (int i = 0; i < s->nb_labels; i++) {
            if (!s->labels[i].has_value && s->labels[i].value != 0) {
                tci_bind_label(&g, &s->labels[i], g.ptr);
            }
        }
        tci_gen_exit(&g, 0);
    }
    code_end = g.ptr;
    if (s->nb_insns > 0) {
        s->gen_insn_end_off[s->nb_insns - 1] = tci_off_bytes(&g, code_end);
    }

    pool = tci_alloc(&g, g.nb_pool * TCI_POOL_ENTRY_WORDS);
    if (g.full) {
        return -1;
    }
    if (g.bad) {
        return -2;
    }
    for (int i = 0; i < g.nb_pool; i++) {
        uint16_t *e = pool + i * TCI_POOL_ENTRY_WORDS;
        e[0] = data.pool_slot[i];
        tci_wr64(e + 1, s->temps[data.pool_slot[i] - 1].val);
    }
    tci_gen_jump_slots(&g, tb);
    if (g.full) {
        return -1;
    }
    hdr[0] = TCI_tb_start;
    hdr[1] = g.nb_pool;
    tci_wr32(hdr + 2, (uint32_t)(pool - (hdr + 2)));

    tb->tc.ptr = tcg_splitwx_to_rx(s, g.start);
    tb->tc.size = tci_off_bytes(&g, g.ptr);
    /* the caller advances code_ptr by this, alignment padding included */
    return (uint8_t *)g.ptr - s->code_ptr;
}

static bool tci_init(TCGContext *s, Error **errp)
{
    uint16_t *p = (uint16_t *)ROUND_UP((uintptr_t)s->code_ptr, 16);

    if ((uint8_t *)(p + LEN(exit_tb)) > s->code_gen_highwater) {
        error_setg(errp, "code buffer too small for the interpreter");
        return false;
    }
    /* goto_ptr to the epilogue means "leave with 0" */
    p[0] = TCI_exit_tb;
    tci_wr64(p + 1, 0);
    s->code_gen_prologue = (uint8_t *)tcg_splitwx_to_rx(s, p);
    s->code_gen_epilogue = (uint8_t *)tcg_splitwx_to_rx(s, p);
    s->code_ptr = (uint8_t *)ROUND_UP((uintptr_t)(p + LEN(exit_tb)), 16);
    return true;
}

static void tci_set_jmp_target(TranslationBlock *tb, int n, uintptr_t addr)
{
    __atomic_store_n(tb->jmp_target_slot[n], addr, __ATOMIC_RELEASE);
}

/* ---------------------------------------------------------------------- */
/* Semantics shared by the handlers */

/*
 * Division never traps here: x / 0 = 0, x % 0 = 0, MIN / -1 = MIN and
 * MIN % -1 = 0.  Front ends guard these cases as their ISA wants; this
 * only keeps a guest from crashing the host.
 */
static inline int32_t tci_div32(int32_t a, int32_t b)
{
    if (b == 0) {
        return 0;
    }
    if (b == -1) {
        return (int32_t)-(uint32_t)a;
    }
    return a / b;
}

static inline int32_t tci_rem32(int32_t a, int32_t b)
{
    return b == 0 || b == -1 ? 0 : a % b;
}

static inline int64_t tci_div64(int64_t a, int64_t b)
{
    if (b == 0) {
        return 0;
    }
    if (b == -1) {
        return (int64_t)-(uint64_t)a;
    }
    return a / b;
}

static inline int64_t tci_rem64(int64_t a, int64_t b)
{
    return b == 0 || b == -1 ? 0 : a % b;
}

static inline bool tci_cmp64(TCGCond c, uint64_t a, uint64_t b)
{
    switch (c) {
    case TCG_COND_NEVER: return false;
    case TCG_COND_ALWAYS: return true;
    case TCG_COND_EQ: return a == b;
    case TCG_COND_NE: return a != b;
    case TCG_COND_LT: return (int64_t)a < (int64_t)b;
    case TCG_COND_GE: return (int64_t)a >= (int64_t)b;
    case TCG_COND_LE: return (int64_t)a <= (int64_t)b;
    case TCG_COND_GT: return (int64_t)a > (int64_t)b;
    case TCG_COND_LTU: return a < b;
    case TCG_COND_GEU: return a >= b;
    case TCG_COND_LEU: return a <= b;
    case TCG_COND_GTU: return a > b;
    }
    return false;
}

static inline bool tci_cmp32(TCGCond c, uint64_t a, uint64_t b)
{
    if (tcg_cond_is_unsigned(c)) {
        return tci_cmp64(c, (uint32_t)a, (uint32_t)b);
    }
    return tci_cmp64(c, (int64_t)(int32_t)a, (int64_t)(int32_t)b);
}

static inline uint64_t tci_rotl64(uint64_t x, unsigned c)
{
    c &= 63;
    return c ? (x << c) | (x >> (64 - c)) : x;
}

static inline uint32_t tci_rotl32(uint32_t x, unsigned c)
{
    c &= 31;
    return c ? (x << c) | (x >> (32 - c)) : x;
}

static inline uint64_t tci_bswap_val(uint64_t v, unsigned size)
{
    switch (size) {
    case MO_16: return __builtin_bswap16(v);
    case MO_32: return __builtin_bswap32(v);
    case MO_64: return __builtin_bswap64(v);
    default: return (uint8_t)v;
    }
}

/* A host address for the access if the TLB has it, else NULL */
static inline void *tci_tlb_probe(void *env, uint64_t addr, MemOpIdx oi,
                                  const uint16_t *pc, bool store)
{
    MemOp mop = get_memop(oi);
    intptr_t tlb_off = (int32_t)tci_rd32(pc + 5);
    unsigned page_bits = pc[7];
    uint64_t page_size = (uint64_t)1 << page_bits;
    unsigned size = memop_size(mop);
    CPUTLBDescFast *fast;
    CPUTLBEntry *e;
    uint64_t cmp;

    if (addr & (memop_alignment(mop) - 1)) {
        return NULL;
    }
    if ((addr & (page_size - 1)) > page_size - size) {
        return NULL;    /* crosses a page */
    }
    fast = (CPUTLBDescFast *)((char *)env + tlb_off) + get_mmuidx(oi);
    e = (CPUTLBEntry *)((char *)fast->table +
                        ((addr >> (page_bits - CPU_TLB_ENTRY_BITS)) &
                         fast->mask));
    cmp = store ? e->addr_write : e->addr_read;
    if (cmp != (addr & -page_size)) {
        return NULL;
    }
    return (void *)(uintptr_t)(addr + e->addend);
}

static inline uint64_t tci_host_ld(const void *h, MemOp mop)
{
    unsigned size = mop & MO_SIZE;
    uint64_t v;

    switch (size) {
    case MO_8: v = *(const uint8_t *)h; break;
    case MO_16: { uint16_t x; memcpy(&x, h, 2); v = x; break; }
    case MO_32: { uint32_t x; memcpy(&x, h, 4); v = x; break; }
    default: memcpy(&v, h, 8); break;
    }
    if (mop & MO_BSWAP) {
        v = tci_bswap_val(v, size);
    }
    if (mop & MO_SIGN) {
        switch (size) {
        case MO_8: v = (int8_t)v; break;
        case MO_16: v = (int16_t)v; break;
        case MO_32: v = (int32_t)v; break;
        default: break;
        }
    }
    return v;
}

static inline void tci_host_st(void *h, uint64_t v, MemOp mop)
{
    unsigned size = mop & MO_SIZE;

    if (mop & MO_BSWAP) {
        v = tci_bswap_val(v, size);
    }
    switch (size) {
    case MO_8: *(uint8_t *)h = v; break;
    case MO_16: { uint16_t x = v; memcpy(h, &x, 2); break; }
    case MO_32: { uint32_t x = v; memcpy(h, &x, 4); break; }
    default: memcpy(h, &v, 8); break;
    }
}

typedef uint64_t (*TCIHelper0)(void);
typedef uint64_t (*TCIHelper1)(uint64_t);
typedef uint64_t (*TCIHelper2)(uint64_t, uint64_t);
typedef uint64_t (*TCIHelper3)(uint64_t, uint64_t, uint64_t);
typedef uint64_t (*TCIHelper4)(uint64_t, uint64_t, uint64_t, uint64_t);
typedef uint64_t (*TCIHelper5)(uint64_t, uint64_t, uint64_t, uint64_t,
                               uint64_t);
typedef uint64_t (*TCIHelper6)(uint64_t, uint64_t, uint64_t, uint64_t,
                               uint64_t, uint64_t);
typedef uint64_t (*TCIHelper7)(uint64_t, uint64_t, uint64_t, uint64_t,
                               uint64_t, uint64_t, uint64_t);

/*
 * Helpers are called through prototypes of uint64_t arguments and
 * result: on the 64-bit ABIs we run on (SysV x86-64, AAPCS64, ELFv2,
 * LP64 RISC-V) every integer argument takes one register or stack slot,
 * and 32-bit arguments were extended above as their declared kind asks.
 * That type mismatch is deliberate, so clang's function sanitizer (which
 * checks C indirect calls from clang 17 on) is told to leave these be.
 */
#if defined(__clang__)
#define TCI_NO_SANITIZE_FUNCTION __attribute__((no_sanitize("function")))
#else
#define TCI_NO_SANITIZE_FUNCTION
#endif

static inline TCI_NO_SANITIZE_FUNCTION
uint64_t tci_call_helper(void *f, unsigned n, const uint64_t *a)
{
    switch (n) {
    case 0: return ((TCIHelper0)f)();
    case 1: return ((TCIHelper1)f)(a[0]);
    case 2: return ((TCIHelper2)f)(a[0], a[1]);
    case 3: return ((TCIHelper3)f)(a[0], a[1], a[2]);
    case 4: return ((TCIHelper4)f)(a[0], a[1], a[2], a[3]);
    case 5: return ((TCIHelper5)f)(a[0], a[1], a[2], a[3], a[4]);
    case 6: return ((TCIHelper6)f)(a[0], a[1], a[2], a[3], a[4], a[5]);
    default: return ((TCIHelper7)f)(a[0], a[1], a[2], a[3], a[4], a[5],
                                    a[6]);
    }
}

/* ---------------------------------------------------------------------- */
/* The interpreter */

/*
 * GCC and clang dispatch through a table of label addresses, one
 * indirect jump per handler (better branch prediction than one shared
 * switch); other compilers get the switch.
 */
#if defined(__GNUC__) && !defined(TCI_NO_THREADED)
#define TCI_THREADED 1
#endif

#define R(i) regs[pc[i]]

static uintptr_t tci_exec(void *env, const void *code)
{
    uint64_t regs[TCI_NB_SLOTS];
    const uint16_t *pc = code;

    regs[TCI_SLOT_ENV] = (uintptr_t)env;
    tcg_thread_interp = true;

#ifdef TCI_THREADED
    static const void *const dispatch[TCI_NB_OPS] = {
#define X(name, fmt) [TCI_##name] = &&do_##name,
        TCI_OP_LIST(X)
#undef X
    };
#define OP(name) do_##name:
#define NEXT(n) do { pc += (n); goto *dispatch[*pc]; } while (0)
    NEXT(0);
#else
#define OP(name) case TCI_##name:
#define NEXT(n) { pc += (n); continue; }
    for (;;) {
        switch (*pc) {
#endif

    OP(tb_start) {
        const uint16_t *e = pc + 2 + (int32_t)tci_rd32(pc + 2);
        for (unsigned i = pc[1]; i; i--, e += TCI_POOL_ENTRY_WORDS) {
            regs[e[0]] = tci_rd64(e + 1);
        }
        NEXT(LEN(tb_start));
    }
    OP(exit_tb)
        return tci_rd64(pc + 1);
    OP(goto_tb)
        pc = (const uint16_t *)__atomic_load_n(
            (const uintptr_t *)(pc + 1 + (int32_t)tci_rd32(pc + 1)),
            __ATOMIC_ACQUIRE);
        NEXT(0);
    OP(goto_ptr)
        pc = (const uint16_t *)(uintptr_t)R(1);
        NEXT(0);
    OP(br)
        pc += 1 + (int32_t)tci_rd32(pc + 1);
        NEXT(0);
    OP(mb)
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        NEXT(LEN(mb));

#define BRCOND(name, T, op) \
    OP(name) \
        if ((T)R(1) op (T)R(2)) { \
            pc += 3 + (int32_t)tci_rd32(pc + 3); \
            NEXT(0); \
        } \
        NEXT(LEN(name));
    BRCOND(brc_eq_32, uint32_t, ==)
    BRCOND(brc_ne_32, uint32_t, !=)
    BRCOND(brc_lt_32, int32_t, <)
    BRCOND(brc_ge_32, int32_t, >=)
    BRCOND(brc_ltu_32, uint32_t, <)
    BRCOND(brc_geu_32, uint32_t, >=)
    BRCOND(brc_eq_64, uint64_t, ==)
    BRCOND(brc_ne_64, uint64_t, !=)
    BRCOND(brc_lt_64, int64_t, <)
    BRCOND(brc_ge_64, int64_t, >=)
    BRCOND(brc_ltu_64, uint64_t, <)
    BRCOND(brc_geu_64, uint64_t, >=)
#undef BRCOND

    OP(setcond_32)
        R(1) = tci_cmp32((TCGCond)pc[4], R(2), R(3));
        NEXT(LEN(setcond_32));
    OP(setcond_64)
        R(1) = tci_cmp64((TCGCond)pc[4], R(2), R(3));
        NEXT(LEN(setcond_64));
    OP(negsetcond_32)
        R(1) = -(uint64_t)tci_cmp32((TCGCond)pc[4], R(2), R(3));
        NEXT(LEN(negsetcond_32));
    OP(negsetcond_64)
        R(1) = -(uint64_t)tci_cmp64((TCGCond)pc[4], R(2), R(3));
        NEXT(LEN(negsetcond_64));
    OP(movcond_32)
        R(1) = tci_cmp32((TCGCond)pc[6], R(2), R(3)) ? R(4) : R(5);
        NEXT(LEN(movcond_32));
    OP(movcond_64)
        R(1) = tci_cmp64((TCGCond)pc[6], R(2), R(3)) ? R(4) : R(5);
        NEXT(LEN(movcond_64));

    OP(call) {
        unsigned n = pc[1] & 15, kinds = pc[7];
        uint64_t a[TCG_MAX_CALL_IARGS], r;

        for (unsigned i = 0; i < n; i++) {
            uint64_t v = regs[pc[8 + i]];
            switch ((kinds >> (2 * i)) & 3) {
            case TCI_ARG_ZEXT32: v = (uint32_t)v; break;
            case TCI_ARG_SEXT32: v = (int64_t)(int32_t)v; break;
            default: break;
            }
            a[i] = v;
        }
        tci_retaddr = (uintptr_t)(pc + LEN(call) + n);
        r = tci_call_helper((void *)(uintptr_t)tci_rd64(pc + 3), n, a);
        if (pc[1] >> 4) {
            R(2) = r;
        }
        NEXT(LEN(call) + n);
    }

    OP(qemu_ld)
        R(1) = helper_ld_mmu(env, R(2), tci_rd32(pc + 3),
                             (uintptr_t)(pc + LEN(qemu_ld)));
        NEXT(LEN(qemu_ld));
    OP(qemu_ld_tlb) {
        MemOpIdx oi = tci_rd32(pc + 3);
        void *h = tci_tlb_probe(env, R(2), oi, pc, false);
        R(1) = h ? tci_host_ld(h, get_memop(oi))
                 : helper_ld_mmu(env, R(2), oi,
                                 (uintptr_t)(pc + LEN(qemu_ld_tlb)));
        NEXT(LEN(qemu_ld_tlb));
    }
    OP(qemu_st)
        helper_st_mmu(env, R(2), R(1), tci_rd32(pc + 3),
                      (uintptr_t)(pc + LEN(qemu_st)));
        NEXT(LEN(qemu_st));
    OP(qemu_st_tlb) {
        MemOpIdx oi = tci_rd32(pc + 3);
        void *h = tci_tlb_probe(env, R(2), oi, pc, true);
        if (h) {
            tci_host_st(h, R(1), get_memop(oi));
        } else {
            helper_st_mmu(env, R(2), R(1), oi,
                          (uintptr_t)(pc + LEN(qemu_st_tlb)));
        }
        NEXT(LEN(qemu_st_tlb));
    }

    OP(mov)
        R(1) = R(2);
        NEXT(LEN(mov));
    OP(movi)
        R(1) = tci_rd64(pc + 2);
        NEXT(LEN(movi));

#define HOST_LD(name, T) \
    OP(name) { \
        T x; \
        memcpy(&x, (const char *)(uintptr_t)R(2) + (int32_t)tci_rd32(pc + 3), \
               sizeof(x)); \
        R(1) = x; \
        NEXT(LEN(name)); \
    }
#define HOST_ST(name, T) \
    OP(name) { \
        T x = R(1); \
        memcpy((char *)(uintptr_t)R(2) + (int32_t)tci_rd32(pc + 3), &x, \
               sizeof(x)); \
        NEXT(LEN(name)); \
    }
    HOST_LD(ld8u, uint8_t)
    HOST_LD(ld8s, int8_t)
    HOST_LD(ld16u, uint16_t)
    HOST_LD(ld16s, int16_t)
    HOST_LD(ld32u, uint32_t)
    HOST_LD(ld32s, int32_t)
    HOST_LD(ld64, uint64_t)
    HOST_ST(st8, uint8_t)
    HOST_ST(st16, uint16_t)
    HOST_ST(st32, uint32_t)
    HOST_ST(st64, uint64_t)
#undef HOST_LD
#undef HOST_ST

#define BINARY(name, expr) \
    OP(name) { \
        uint64_t a = R(2), b = R(3); \
        R(1) = (expr); \
        NEXT(LEN(name)); \
    }
#define UNARY(name, expr) \
    OP(name) { \
        uint64_t a = R(2); \
        R(1) = (expr); \
        NEXT(LEN(name)); \
    }
    BINARY(add, a + b)
    BINARY(sub, a - b)
    BINARY(mul, a * b)
    UNARY(neg, -a)
    BINARY(and, a & b)
    BINARY(or, a | b)
    BINARY(xor, a ^ b)
    BINARY(andc, a & ~b)
    BINARY(orc, a | ~b)
    BINARY(eqv, ~(a ^ b))
    BINARY(nand, ~(a & b))
    BINARY(nor, ~(a | b))
    UNARY(not, ~a)

    BINARY(div_32, (uint64_t)(int64_t)tci_div32(a, b))
    BINARY(div_64, (uint64_t)tci_div64(a, b))
    BINARY(divu_32, (uint32_t)b ? (uint32_t)a / (uint32_t)b : 0)
    BINARY(divu_64, b ? a / b : 0)
    BINARY(rem_32, (uint64_t)(int64_t)tci_rem32(a, b))
    BINARY(rem_64, (uint64_t)tci_rem64(a, b))
    BINARY(remu_32, (uint32_t)b ? (uint32_t)a % (uint32_t)b : 0)
    BINARY(remu_64, b ? a % b : 0)

    BINARY(shl_32, a << (b & 31))
    BINARY(shl_64, a << (b & 63))
    BINARY(shr_32, (uint32_t)a >> (b & 31))
    BINARY(shr_64, a >> (b & 63))
    BINARY(sar_32, (uint64_t)(int64_t)((int32_t)a >> (b & 31)))
    BINARY(sar_64, (uint64_t)((int64_t)a >> (b & 63)))
    BINARY(rotl_32, tci_rotl32(a, b))
    BINARY(rotl_64, tci_rotl64(a, b))
    BINARY(rotr_32, tci_rotl32(a, -(unsigned)b))
    BINARY(rotr_64, tci_rotl64(a, -(unsigned)b))

    BINARY(muluh_32, ((uint64_t)(uint32_t)a * (uint32_t)b) >> 32)
    BINARY(muluh_64, (uint64_t)(((unsigned __int128)a * b) >> 64))
    BINARY(mulsh_32,
           (uint64_t)(((int64_t)(int32_t)a * (int32_t)b) >> 32))
    BINARY(mulsh_64,
           (uint64_t)(((__int128)(int64_t)a * (int64_t)b) >> 64))

    BINARY(clz_32, (uint32_t)a ? (uint64_t)__builtin_clz(a) : b)
    BINARY(clz_64, a ? (uint64_t)__builtin_clzll(a) : b)
    BINARY(ctz_32, (uint32_t)a ? (uint64_t)__builtin_ctz(a) : b)
    BINARY(ctz_64, a ? (uint64_t)__builtin_ctzll(a) : b)
    UNARY(ctpop_32, __builtin_popcount((uint32_t)a))
    UNARY(ctpop_64, __builtin_popcountll(a))

    UNARY(ext8s, (uint64_t)(int64_t)(int8_t)a)
    UNARY(ext8u, (uint8_t)a)
    UNARY(ext16s, (uint64_t)(int64_t)(int16_t)a)
    UNARY(ext16u, (uint16_t)a)
    UNARY(ext32s, (uint64_t)(int64_t)(int32_t)a)
    UNARY(ext32u, (uint32_t)a)
    UNARY(extrh, a >> 32)

    UNARY(bswap16_z, __builtin_bswap16(a))
    UNARY(bswap16_s, (uint64_t)(int64_t)(int16_t)__builtin_bswap16(a))
    UNARY(bswap32_z, __builtin_bswap32(a))
    UNARY(bswap32_s, (uint64_t)(int64_t)(int32_t)__builtin_bswap32(a))
    UNARY(bswap64, __builtin_bswap64(a))
#undef BINARY
#undef UNARY

    /* double-word ops: read every input before writing an output */
    OP(add2_32) {
        uint64_t a = (R(4) << 32) | (uint32_t)R(3);
        uint64_t b = (R(6) << 32) | (uint32_t)R(5);
        uint64_t r = a + b;
        R(1) = r;
        R(2) = r >> 32;
        NEXT(LEN(add2_32));
    }
    OP(add2_64) {
        uint64_t al = R(3), ah = R(4), bl = R(5), bh = R(6);
        uint64_t lo = al + bl;
        R(1) = lo;
        R(2) = ah + bh + (lo < al);
        NEXT(LEN(add2_64));
    }
    OP(sub2_32) {
        uint64_t a = (R(4) << 32) | (uint32_t)R(3);
        uint64_t b = (R(6) << 32) | (uint32_t)R(5);
        uint64_t r = a - b;
        R(1) = r;
        R(2) = r >> 32;
        NEXT(LEN(sub2_32));
    }
    OP(sub2_64) {
        uint64_t al = R(3), ah = R(4), bl = R(5), bh = R(6);
        R(1) = al - bl;
        R(2) = ah - bh - (al < bl);
        NEXT(LEN(sub2_64));
    }
    OP(mulu2_32) {
        uint64_t r = (uint64_t)(uint32_t)R(3) * (uint32_t)R(4);
        R(1) = r;
        R(2) = r >> 32;
        NEXT(LEN(mulu2_32));
    }
    OP(mulu2_64) {
        unsigned __int128 r = (unsigned __int128)R(3) * R(4);
        R(1) = (uint64_t)r;
        R(2) = (uint64_t)(r >> 64);
        NEXT(LEN(mulu2_64));
    }
    OP(muls2_32) {
        int64_t r = (int64_t)(int32_t)R(3) * (int32_t)R(4);
        R(1) = r;
        R(2) = (uint64_t)(r >> 32);
        NEXT(LEN(muls2_32));
    }
    OP(muls2_64) {
        __int128 r = (__int128)(int64_t)R(3) * (int64_t)R(4);
        R(1) = (uint64_t)r;
        R(2) = (uint64_t)(r >> 64);
        NEXT(LEN(muls2_64));
    }

    /* bit fields: pc[n] = pos | len << 8, validated at generation */
    OP(extract) {
        unsigned pos = pc[3] & 0xff, len = pc[3] >> 8;
        R(1) = (R(2) >> pos) << (64 - len) >> (64 - len);
        NEXT(LEN(extract));
    }
    OP(sextract) {
        unsigned pos = pc[3] & 0xff, len = pc[3] >> 8;
        R(1) = (uint64_t)((int64_t)(R(2) << (64 - pos - len)) >> (64 - len));
        NEXT(LEN(sextract));
    }
    OP(deposit) {
        unsigned pos = pc[4] & 0xff, len = pc[4] >> 8;
        uint64_t mask = (~(uint64_t)0 >> (64 - len)) << pos;
        R(1) = (R(2) & ~mask) | ((R(3) << pos) & mask);
        NEXT(LEN(deposit));
    }
    OP(extract2_32) {
        uint64_t v = (R(3) << 32) | (uint32_t)R(2);
        R(1) = v >> pc[4];
        NEXT(LEN(extract2_32));
    }
    OP(extract2_64) {
        unsigned pos = pc[4];
        uint64_t lo = R(2), hi = R(3);
        R(1) = pos == 0 ? lo
             : pos >= 64 ? hi : (lo >> pos) | (hi << (64 - pos));
        NEXT(LEN(extract2_64));
    }

#ifdef TCI_THREADED
    __builtin_unreachable();
#else
        }
        abort();    /* corrupt bytecode */
    }
#endif
#undef OP
#undef NEXT
}

#undef R

/* ---------------------------------------------------------------------- */
/* Disassembler (-d out_asm, tests) */

static void tci_print_slot(FILE *f, unsigned slot)
{
    if (slot == TCI_SLOT_ENV) {
        fprintf(f, "env");
    } else if (slot == TCI_SLOT_SCRATCH) {
        fprintf(f, "scratch");
    } else {
        fprintf(f, "t%u", slot - 1);    /* the TCG temp index */
    }
}

size_t tcg_interp_disas(FILE *f, const void *code, size_t size)
{
    const uint16_t *start = code, *p = code;
    const uint16_t *code_end = start + size / sizeof(uint16_t);
    const uint16_t *pool = NULL;
    unsigned npool = 0;
    bool bad = false;

    while (p < code_end) {
        unsigned op = *p, len;
        const char *fmt;
        const char *sep = " ";

        if (op >= TCI_NB_OPS) {
            if (f) {
                fprintf(f, "  %04zx: <bad opcode %u>\n",
                        (size_t)(p - start) * 2, op);
            }
            bad = true;
            break;
        }
        len = tci_op_len[op] + (op == TCI_call ? (p[1] & 15) : 0);
        if (p + len > code_end) {
            bad = true;
            break;
        }
        if (op == TCI_tb_start) {
            const uint16_t *q = p + 2 + (int32_t)tci_rd32(p + 2);
            if (q >= p && q <= code_end) {
                pool = q;
                npool = p[1];
                code_end = q;
            }
        }
        if (!f) {
            p += len;
            continue;
        }
        fprintf(f, "  %04zx: %-14s", (size_t)(p - start) * 2, tci_op_name[op]);
        fmt = tci_op_fmt[op];
        for (unsigned i = 0; fmt[i]; i++) {
            const uint16_t *w = p + 1 + i;

            fputs(sep, f);
            sep = ", ";
            switch (fmt[i]) {
            case 'r':
                tci_print_slot(f, *w);
                break;
            case 'c':
                fprintf(f, "%s", tcg_cond_name((TCGCond)*w));
                break;
            case 'f':
                fprintf(f, "pos %u len %u", *w & 0xff, *w >> 8);
                break;
            case 'k':
                fprintf(f, "kinds 0x%x", *w);
                break;
            case 'n': case 'w': case 'p':
                fprintf(f, "%u", *w);
                break;
            case 'o': case 't':
                fprintf(f, "%+d", (int32_t)tci_rd32(w));
                i++;
                break;
            case 'l':
                fprintf(f, "-> %04zx",
                        (size_t)(w + (int32_t)tci_rd32(w) - start) * 2);
                i++;
                break;
            case 'P':
            case 'J':
                fprintf(f, "%s @%04zx", fmt[i] == 'P' ? "pool" : "slot",
                        (size_t)(w + (int32_t)tci_rd32(w) - start) * 2);
                i++;
                break;
            case 'm': {
                MemOpIdx oi = tci_rd32(w);
                fprintf(f, "memop 0x%x mmu %u", get_memop(oi),
                        get_mmuidx(oi));
                i++;
                break;
            }
            case 'q':
                fprintf(f, "0x%" PRIx64, tci_rd64(w));
                i += 3;
                break;
            }
        }
        if (op == TCI_call) {
            for (unsigned i = 0; i < (p[1] & 15u); i++) {
                fputs(", ", f);
                tci_print_slot(f, p[tci_op_len[op] + i]);
            }
        }
        fputc('\n', f);
        p += len;
    }
    if (f && pool) {
        for (unsigned i = 0; i < npool; i++) {
            const uint16_t *e = pool + i * TCI_POOL_ENTRY_WORDS;
            if (e + TCI_POOL_ENTRY_WORDS > start + size / sizeof(uint16_t)) {
                break;
            }
            fprintf(f, "  %04zx: .const         ", (size_t)(e - start) * 2);
            tci_print_slot(f, e[0]);
            fprintf(f, " = 0x%" PRIx64 "\n", tci_rd64(e + 1));
        }
    }
    return bad || p != code_end ? 0 : (size_t)(p - start) * sizeof(uint16_t);
}

const TCGBackend tcg_backend_interp = {
    .name = "interp",
    .init = tci_init,
    .gen_code = tci_gen_code,
    .exec = tci_exec,
    .set_jmp_target = tci_set_jmp_target,
};
