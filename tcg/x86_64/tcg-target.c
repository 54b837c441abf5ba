/* The x86-64 back end: prologue, op emitters, softmmu fast path, chaining. */
#include "emu/osdep.h"
#include "tcg/tcg.h"
#include "exec/translation-block.h"
#include "tcg/regalloc.h"
#include "asm.h"
#include "tcg-target.h"
#include <cpuid.h>
#include <pthread.h>

/*
 * Register use.  env lives in rbp for the whole of the generated code; r11
 * is the back end's own scratch register (never allocated); rsp points at
 * the frame:
 *
 *   [rsp + 0, 16)        outgoing stack arguments of helper calls
 *   [rsp + 16, 144)      slow paths of guest memory accesses save live
 *                        call-clobbered registers here (8 bytes per reg)
 *   [rsp + 144, ...)     spill slots of temps
 *
 * Above the frame, the prologue pushed the callee-saved registers.
 */
#define TCG_AREG0 R_RBP
#define TCG_TMP   R_R11

#define FRAME_SAVE_OFS    16
#define FRAME_SPILL_OFS   (FRAME_SAVE_OFS + 16 * 8)
#define FRAME_SPILL_SLOTS 480
/* entry rsp is 8 mod 16, six pushes keep it so: the frame realigns */
#define FRAME_SIZE        (FRAME_SPILL_OFS + FRAME_SPILL_SLOTS * 8 + 8)
_Static_assert(FRAME_SIZE % 16 == 8, "frame must realign the stack");
_Static_assert(FRAME_SIZE + 6 * 8 < 4096, "frame must not skip a guard page");
_Static_assert(FRAME_SPILL_SLOTS <= RA_MAX_SLOTS, "too many spill slots");

#define RB(r)     (1u << (r))
#define ALL_REGS  (0xffffu & ~RB(R_RSP))
#define AVAIL_REGS (ALL_REGS & ~RB(TCG_AREG0) & ~RB(TCG_TMP))
#define CALL_CLOBBERED (RB(R_RAX) | RB(R_RCX) | RB(R_RDX) | RB(R_RSI) | \
                        RB(R_RDI) | RB(R_R8) | RB(R_R9) | RB(R_R10) | \
                        RB(R_R11))

/* constant kinds (RAArgConstraint.ct) */
#define CT_S32  1       /* fits a sign-extended imm32 (any I32 value) */
#define CT_ANY  2
#define CT_ZERO 4
#define CT_AND  8       /* CT_S32, or a zero-extension mask of an I64 */

typedef struct X86LabelRef {
    uint8_t *ptr;           /* rw: the rel32 to patch */
    TCGLabel *l;
} X86LabelRef;

/* An out-of-line slow path of a guest memory access */
typedef struct X86SlowPath {
    bool is_ld;
    bool data_const;
    TCGType type;
    MemOpIdx oi;
    int8_t data;            /* register (unless data_const) */
    int8_t addr;
    int64_t data_val;
    uint8_t *jmp[2];        /* rw: rel32s that branch here (NULL: none) */
    uint8_t *ret;           /* rw: where the fast path ends */
    TCGRegSet save;         /* call-clobbered registers live across it */
} X86SlowPath;

typedef struct X86State {
    RAState ra;
    unsigned feat;              /* X86_FEAT_* in use for this TB */
    const uint8_t *epilogue_ret;    /* rx: return rax */
    TranslationBlock *tb;
    X86LabelRef *lrefs;
    int nb_lrefs, cap_lrefs;
    X86SlowPath *slow;
    int nb_slow, cap_slow;
} X86State;

static const uint8_t cond_to_jcc[16] = {
    [TCG_COND_EQ] = JCC_E,
    [TCG_COND_NE] = JCC_NE,
    [TCG_COND_LT] = JCC_L,
    [TCG_COND_GE] = JCC_GE,
    [TCG_COND_LE] = JCC_LE,
    [TCG_COND_GT] = JCC_G,
    [TCG_COND_LTU] = JCC_B,
    [TCG_COND_GEU] = JCC_AE,
    [TCG_COND_LEU] = JCC_BE,
    [TCG_COND_GTU] = JCC_A,
};

/* ---- Host features ---- */

static unsigned host_features;
static bool host_features_known;
static unsigned feature_mask = X86_FEAT_ALL;

unsigned tcg_x86_host_features(void)
{
    unsigned a, b, c, d, f = 0;

    if (__atomic_load_n(&host_features_known, __ATOMIC_ACQUIRE)) {
        return host_features;
    }
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        if (c & (1u << 22)) {
            f |= X86_FEAT_MOVBE;
        }
        if (c & (1u << 23)) {
            f |= X86_FEAT_POPCNT;
        }
    }
    if (__get_cpuid_max(0, NULL) >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        if (b & (1u << 3)) {
            f |= X86_FEAT_BMI1;
        }
        if (b & (1u << 8)) {
            f |= X86_FEAT_BMI2;
        }
    }
    /* without LZCNT, its encoding silently means BSR: check it exists */
    if (__get_cpuid(0x80000001, &a, &b, &c, &d) && (c & (1u << 5))) {
        f |= X86_FEAT_LZCNT;
    }
    host_features = f;
    __atomic_store_n(&host_features_known, true, __ATOMIC_RELEASE);
    return f;
}

unsigned tcg_x86_set_features(unsigned mask)
{
    return __atomic_exchange_n(&feature_mask, mask & X86_FEAT_ALL,
                               __ATOMIC_RELAXED);
}

static inline bool have(const X86State *xs, unsigned feat)
{
    return (xs->feat & feat) != 0;
}

/* ---- Context registry: find a code address's buffer ---- */

/*
 * exec() and set_jmp_target() get only code addresses.  They find the
 * buffer (for its prologue and its rw mapping) through the thread's
 * context, else through this list.  Nodes are never freed: a context's
 * back-end state is freed when a later context's buffer takes its place
 * (tcg_context_free() has no back-end hook), and stays reachable until
 * then.
 */
typedef struct X86Buffer {
    struct X86Buffer *next;
    uintptr_t rx_start, rx_end;
    ptrdiff_t rx_offset;
    const void *prologue;
    X86State *state;
} X86Buffer;

static X86Buffer *x86_buffers;
static pthread_mutex_t x86_buffers_lock = PTHREAD_MUTEX_INITIALIZER;

static void state_free(X86State *xs)
{
    if (xs) {
        free(xs->lrefs);
        free(xs->slow);
        free(xs);
    }
}

static void buffer_register(TCGContext *s, X86State *xs)
{
    uintptr_t start = (uintptr_t)tcg_splitwx_to_rx(s, s->code_gen_buffer);
    uintptr_t end = start + s->code_gen_buffer_size;
    X86Buffer *b, *free_node = NULL;

    pthread_mutex_lock(&x86_buffers_lock);
    for (b = x86_buffers; b; b = b->next) {
        if (b->rx_start < end && start < b->rx_end) {
            /* that buffer is gone: its memory was mapped again */
            state_free(b->state);
            b->state = NULL;
            b->rx_start = b->rx_end = 0;
        }
        if (!b->rx_end && !free_node) {
            free_node = b;
        }
    }
    if (!free_node) {
        free_node = emu_new0(X86Buffer, 1);
        free_node->next = x86_buffers;
        x86_buffers = free_node;
    }
    free_node->rx_start = start;
    free_node->rx_end = end;
    free_node->rx_offset = s->code_gen_rx_offset;
    free_node->prologue = s->code_gen_prologue;
    free_node->state = xs;
    pthread_mutex_unlock(&x86_buffers_lock);
}

static bool ctx_holds(const TCGContext *s, uintptr_t rx)
{
    uintptr_t start = (uintptr_t)s->code_gen_buffer + s->code_gen_rx_offset;

    return s->backend == &tcg_backend_native && rx >= start &&
           rx - start < s->code_gen_buffer_size;
}

/* The buffer holding rx: prologue and rx_offset */
static bool buffer_lookup(uintptr_t rx, const void **prologue,
                          ptrdiff_t *rx_offset)
{
    TCGContext *s = tcg_ctx;
    bool found = false;

    if (likely(s && ctx_holds(s, rx))) {
        *prologue = s->code_gen_prologue;
        *rx_offset = s->code_gen_rx_offset;
        return true;
    }
    pthread_mutex_lock(&x86_buffers_lock);
    for (X86Buffer *b = x86_buffers; b; b = b->next) {
        if (rx >= b->rx_start && rx < b->rx_end) {
            *prologue = b->prologue;
            *rx_offset = b->rx_offset;
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&x86_buffers_lock);
    return found;
}

/* ---- Basic emitters ---- */

static inline unsigned rexw(TCGType type)
{
    return type == TCG_TYPE_I64 ? P_W : 0;
}

static inline unsigned type_bits(TCGType type)
{
    return type == TCG_TYPE_I64 ? 64 : 32;
}

static inline const uint8_t *code_rx(TCGContext *s)
{
    return tcg_splitwx_to_rx(s, s->code_ptr);
}

static void out_mov(TCGContext *s, TCGType type, int dst, int src)
{
    if (dst != src) {
        x86_rr(s, OPC_MOVL_GvEv | rexw(type), dst, src);
    }
}

/* mov reg, imm without touching the flags */
static void out_movi_keepflags(TCGContext *s, TCGType type, int reg,
                               int64_t val)
{
    if (type == TCG_TYPE_I32) {
        val = (uint32_t)val;
    }
    if ((uint64_t)val == (uint32_t)val) {
        x86_opc(s, OPC_MOVL_Iv + (reg & 7), 0, reg, 0);
        x86_out32(s, val);
    } else if (val == (int32_t)val) {
        x86_rr(s, OPC_MOVL_EvIz | P_W, 0, reg);
        x86_out32(s, val);
    } else {
        x86_opc(s, (OPC_MOVL_Iv + (reg & 7)) | P_W, 0, reg, 0);
        x86_out64(s, val);
    }
}

static void out_movi(TCGContext *s, TCGType type, int reg, int64_t val)
{
    if (type == TCG_TYPE_I32) {
        val = (uint32_t)val;
    }
    if (val == 0) {
        x86_rr(s, OPC_ARITH_GvEv + (ARITH_XOR << 3), reg, reg);
    } else {
        out_movi_keepflags(s, type, reg, val);
    }
}

/* base + ofs as an addressable [base + disp32] */
static int fix_ofs(TCGContext *s, int base, intptr_t *ofs)
{
    if (*ofs != (int32_t)*ofs) {
        out_movi(s, TCG_TYPE_I64, TCG_TMP, *ofs);
        x86_rr(s, (OPC_ARITH_GvEv + (ARITH_ADD << 3)) | P_W, TCG_TMP, base);
        *ofs = 0;
        return TCG_TMP;
    }
    return base;
}

static void out_ld(TCGContext *s, TCGType type, int reg, int base,
                   intptr_t ofs)
{
    base = fix_ofs(s, base, &ofs);
    x86_mem(s, OPC_MOVL_GvEv | rexw(type), reg, base, ofs);
}

static void out_st(TCGContext *s, TCGType type, int reg, int base,
                   intptr_t ofs)
{
    base = fix_ofs(s, base, &ofs);
    x86_mem(s, OPC_MOVL_EvGv | rexw(type), reg, base, ofs);
}

static bool out_sti(TCGContext *s, TCGType type, int64_t val, int base,
                    intptr_t ofs)
{
    if ((type == TCG_TYPE_I64 && val != (int32_t)val) ||
        ofs != (int32_t)ofs) {
        return false;
    }
    x86_mem(s, OPC_MOVL_EvIz | rexw(type), 0, base, ofs);
    x86_out32(s, val);
    return true;
}

static void out_call_ext(TCGContext *s, TCGCallType kind, int dst, int src)
{
    if (kind == TCG_CALL_S32) {
        x86_rr(s, OPC_MOVSLQ, dst, src);
    } else {
        /* a 32-bit mov zero-extends, also onto itself */
        x86_rr(s, OPC_MOVL_GvEv, dst, src);
    }
}

static void arith_rr(TCGContext *s, int op, TCGType type, int dst, int src)
{
    x86_rr(s, (OPC_ARITH_GvEv + (op << 3)) | rexw(type), dst, src);
}

/* dst op= val; val fits a sign-extended imm32 (any value for I32) */
static void arith_ri(TCGContext *s, int op, TCGType type, int dst,
                     int64_t val)
{
    if (val == (int8_t)val) {
        x86_rr(s, OPC_ARITH_EvIb | rexw(type), op, dst);
        x86_out8(s, val);
    } else {
        x86_rr(s, OPC_ARITH_EvIz | rexw(type), op, dst);
        x86_out32(s, val);
    }
}

static void shift_ri(TCGContext *s, int op, TCGType type, int reg,
                     unsigned n)
{
    n &= type_bits(type) - 1;
    if (n == 0) {
        return;
    }
    if (n == 1) {
        x86_rr(s, OPC_SHIFT_1 | rexw(type), op, reg);
    } else {
        x86_rr(s, OPC_SHIFT_Ib | rexw(type), op, reg);
        x86_out8(s, n);
    }
}

static void unary(TCGContext *s, int ext3, TCGType type, int reg)
{
    x86_rr(s, OPC_GRP3_Ev | rexw(type), ext3, reg);
}

static void out_nops(TCGContext *s, unsigned n)
{
    static const uint8_t nops[3][3] = {
        { 0x90 }, { 0x66, 0x90 }, { 0x0f, 0x1f, 0x00 },
    };

    if (n) {
        memcpy(s->code_ptr, nops[n - 1], n);
        s->code_ptr += n;
    }
}

/* jmp/call rel32 to an rx address (in the buffer, or reachable) */
static void out_jmp_rx(TCGContext *s, const void *target)
{
    x86_out8(s, OPC_JMP_long);
    x86_out32(s, (const uint8_t *)target - (code_rx(s) + 4));
}

static void out_call_rx(TCGContext *s, const void *target)
{
    intptr_t disp = (const uint8_t *)target - (code_rx(s) + 5);

    if (disp == (int32_t)disp) {
        x86_out8(s, OPC_CALL_Jz);
        x86_out32(s, disp);
    } else {
        out_movi(s, TCG_TYPE_I64, TCG_TMP, (intptr_t)target);
        x86_rr(s, OPC_GRP5, EXT5_CALL, TCG_TMP);
    }
}

/* short forward jump; returns where its rel8 goes (patch_rel8) */
static uint8_t *jmp8_fwd(TCGContext *s, int jcc)
{
    x86_out8(s, jcc < 0 ? OPC_JMP_short : OPC_JCC_short + jcc);
    x86_out8(s, 0);
    return s->code_ptr - 1;
}

static void patch_rel8(TCGContext *s, uint8_t *p)
{
    ptrdiff_t d = s->code_ptr - (p + 1);

    assert(d == (int8_t)d);
    *p = (uint8_t)d;
}

/* ---- Labels ---- */

static void label_ref(X86State *xs, uint8_t *ptr, TCGLabel *l)
{
    if (xs->nb_lrefs == xs->cap_lrefs) {
        xs->cap_lrefs = xs->cap_lrefs ? xs->cap_lrefs * 2 : 64;
        xs->lrefs = emu_realloc(xs->lrefs,
                                xs->cap_lrefs * sizeof(*xs->lrefs));
    }
    xs->lrefs[xs->nb_lrefs].ptr = ptr;
    xs->lrefs[xs->nb_lrefs].l = l;
    xs->nb_lrefs++;
}

/* jmp (jcc < 0) or jcc to a label */
static void jmp_label(TCGContext *s, X86State *xs, int jcc, TCGLabel *l)
{
    if (l->has_value) {
        /* backward: the distance is known */
        intptr_t d = (uint8_t *)l->value - (s->code_ptr + 2);
        if (d == (int8_t)d) {
            x86_out8(s, jcc < 0 ? OPC_JMP_short : OPC_JCC_short + jcc);
            x86_out8(s, d);
            return;
        }
    }
    if (jcc < 0) {
        x86_out8(s, OPC_JMP_long);
    } else {
        x86_out8(s, 0x0f);
        x86_out8(s, 0x80 + jcc);
    }
    if (l->has_value) {
        x86_out32(s, (uint8_t *)l->value - (s->code_ptr + 4));
    } else {
        label_ref(xs, s->code_ptr, l);
        x86_out32(s, 0);
    }
}

static void x86_label(TCGContext *s, TCGLabel *l)
{
    l->has_value = true;
    l->value = (uintptr_t)s->code_ptr;
}

static void resolve_labels(TCGContext *s, X86State *xs)
{
    for (int i = 0; i < xs->nb_lrefs; i++) {
        X86LabelRef *r = &xs->lrefs[i];
        /* a branch to a label never set is a front-end bug */
        assert(r->l->has_value);
        x86_patch32(r->ptr, (uint8_t *)r->l->value - (r->ptr + 4));
    }
}

/* ---- Comparisons ---- */

static void out_cmp(TCGContext *s, TCGType type, int a, TCGArg b,
                    bool b_const)
{
    if (b_const) {
        if ((int64_t)b == 0) {
            /* same flags as cmp $0 for every condition */
            x86_rr(s, OPC_TESTL | rexw(type), a, a);
        } else {
            arith_ri(s, ARITH_CMP, type, a, (int64_t)b);
        }
    } else {
        arith_rr(s, ARITH_CMP, type, a, b);
    }
}

static void out_setcond(TCGContext *s, TCGType type, TCGCond cond, bool neg,
                        int out, int a, TCGArg b, bool b_const)
{
    if (cond == TCG_COND_ALWAYS || cond == TCG_COND_NEVER) {
        out_movi(s, type, out, cond == TCG_COND_NEVER ? 0 : neg ? -1 : 1);
        return;
    }
    out_cmp(s, type, a, b, b_const);
    if (neg && (cond == TCG_COND_LTU || cond == TCG_COND_GEU)) {
        /* out = -CF */
        arith_rr(s, ARITH_SBB, type, out, out);
        if (cond == TCG_COND_GEU) {
            unary(s, EXT3_NOT, type, out);
        }
        return;
    }
    x86_rr(s, OPC_SETCC + cond_to_jcc[cond], 0, out);
    x86_rr(s, OPC_MOVZBL | P_BRM, out, out);
    if (neg) {
        unary(s, EXT3_NEG, type, out);
    }
}

/* out = cond(c1, c2) ? v1 : v2 */
static void out_movcond(TCGContext *s, TCGType type, TCGCond cond, int out,
                        int c1, TCGArg c2, bool c2c, TCGArg v1, bool v1c,
                        TCGArg v2, bool v2c)
{
    unsigned w = rexw(type);
    int jcc;

    if (cond == TCG_COND_ALWAYS || cond == TCG_COND_NEVER) {
        TCGArg v = cond == TCG_COND_ALWAYS ? v1 : v2;
        bool vc = cond == TCG_COND_ALWAYS ? v1c : v2c;
        if (vc) {
            out_movi(s, type, out, v);
        } else {
            out_mov(s, type, out, v);
        }
        return;
    }
    jcc = cond_to_jcc[cond];
    if (!v2c && out == (int)v2) {
        if (v1c) {
            out_movi(s, type, TCG_TMP, v1);
            v1 = TCG_TMP;
        }
        out_cmp(s, type, c1, c2, c2c);
        x86_rr(s, (OPC_CMOVCC + jcc) | w, out, v1);
    } else if (!v1c && out == (int)v1) {
        if (v2c) {
            out_movi(s, type, TCG_TMP, v2);
            v2 = TCG_TMP;
        }
        out_cmp(s, type, c1, c2, c2c);
        x86_rr(s, (OPC_CMOVCC + (jcc ^ 1)) | w, out, v2);
    } else {
        if (v1c) {
            out_movi(s, type, TCG_TMP, v1);
            v1 = TCG_TMP;
        }
        out_cmp(s, type, c1, c2, c2c);
        /* out may be c1 or c2: set it only once the flags are computed */
        if (v2c) {
            out_movi_keepflags(s, type, out, v2);
        } else {
            out_mov(s, type, out, v2);
        }
        x86_rr(s, (OPC_CMOVCC + jcc) | w, out, v1);
    }
}

/* ---- Arithmetic ---- */

static void out_add(TCGContext *s, TCGType type, int out, int a, TCGArg b,
                    bool b_const)
{
    unsigned w = rexw(type);

    if (b_const) {
        if ((int64_t)b == 0) {
            out_mov(s, type, out, a);
        } else if (out == a) {
            arith_ri(s, ARITH_ADD, type, out, (int64_t)b);
        } else {
            x86_mem(s, OPC_LEA | w, out, a, (int32_t)b);
        }
    } else if (out == a) {
        arith_rr(s, ARITH_ADD, type, out, b);
    } else if (out == (int)b) {
        arith_rr(s, ARITH_ADD, type, out, a);
    } else {
        x86_rm(s, OPC_LEA | w, out, a, b, 0, 0);
    }
}

static void out_sub(TCGContext *s, TCGType type, int out, int a, TCGArg b,
                    bool b_const)
{
    if (b_const) {
        int64_t v = (int64_t)b;
        if (type == TCG_TYPE_I32) {
            v = (int32_t)v;
        }
        if (out != a && v != INT32_MIN) {
            x86_mem(s, OPC_LEA | rexw(type), out, a, (int32_t)-v);
            return;
        }
        out_mov(s, type, out, a);
        if (v) {
            arith_ri(s, ARITH_SUB, type, out, v);
        }
    } else if (out == a) {
        arith_rr(s, ARITH_SUB, type, out, b);
    } else if (out == (int)b) {
        unary(s, EXT3_NEG, type, out);
        arith_rr(s, ARITH_ADD, type, out, a);
    } else {
        out_mov(s, type, out, a);
        arith_rr(s, ARITH_SUB, type, out, b);
    }
}

static void out_mul(TCGContext *s, TCGType type, int out, int a, TCGArg b,
                    bool b_const)
{
    unsigned w = rexw(type);

    if (b_const) {
        int64_t v = (int64_t)b;
        uint64_t uv = type == TCG_TYPE_I32 ? (uint32_t)v : (uint64_t)v;

        if (v == 3 || v == 5 || v == 9) {
            x86_rm(s, OPC_LEA | w, out, a, a, __builtin_ctz(v - 1), 0);
        } else if (uv && !(uv & (uv - 1))) {
            out_mov(s, type, out, a);
            shift_ri(s, SHIFT_SHL, type, out, __builtin_ctzll(uv));
        } else if (v == (int8_t)v) {
            x86_rr(s, OPC_IMUL_GvEvIb | w, out, a);
            x86_out8(s, v);
        } else {
            x86_rr(s, OPC_IMUL_GvEvIz | w, out, a);
            x86_out32(s, v);
        }
    } else if (out == a) {
        x86_rr(s, OPC_IMUL_GvEv | w, out, b);
    } else if (out == (int)b) {
        x86_rr(s, OPC_IMUL_GvEv | w, out, a);
    } else {
        out_mov(s, type, out, a);
        x86_rr(s, OPC_IMUL_GvEv | w, out, b);
    }
}

/* and, or, xor: commutative two-address */
static void out_logic(TCGContext *s, int op, TCGType type, int out, int a,
                      TCGArg b, bool b_const)
{
    if (b_const) {
        int64_t v = (int64_t)b;
        if (op == ARITH_AND) {
            uint64_t m = type == TCG_TYPE_I32 ? (uint32_t)v : (uint64_t)v;
            if (m == 0xffffffffu) {
                x86_rr(s, OPC_MOVL_GvEv, out, a);
                return;
            }
            if (m == 0xff) {
                x86_rr(s, OPC_MOVZBL | P_BRM, out, a);
                return;
            }
            if (m == 0xffff) {
                x86_rr(s, OPC_MOVZWL, out, a);
                return;
            }
        }
        out_mov(s, type, out, a);
        arith_ri(s, op, type, out, v);
    } else if (out == a) {
        arith_rr(s, op, type, out, b);
    } else if (out == (int)b) {
        arith_rr(s, op, type, out, a);
    } else {
        out_mov(s, type, out, a);
        arith_rr(s, op, type, out, b);
    }
}

/* out = a op ~b (andc, orc) */
static void out_logic_not(TCGContext *s, int op, TCGType type, int out,
                          int a, int b, const X86State *xs)
{
    if (op == ARITH_AND && have(xs, X86_FEAT_BMI1)) {
        x86_vex_rr(s, OPC_ANDN | rexw(type), out, b, a);
        return;
    }
    if (out == a) {
        out_mov(s, type, TCG_TMP, b);
        unary(s, EXT3_NOT, type, TCG_TMP);
        arith_rr(s, op, type, out, TCG_TMP);
    } else {
        out_mov(s, type, out, b);
        unary(s, EXT3_NOT, type, out);
        arith_rr(s, op, type, out, a);
    }
}

static void out_shift(TCGContext *s, TCGOpcode opc, TCGType type, int out,
                      int a, TCGArg b, bool b_const, const X86State *xs)
{
    unsigned bits = type_bits(type);
    unsigned w = rexw(type);
    int op;

    switch (opc) {
    case INDEX_op_shl:
        op = SHIFT_SHL;
        break;
    case INDEX_op_shr:
        op = SHIFT_SHR;
        break;
    case INDEX_op_sar:
        op = SHIFT_SAR;
        break;
    case INDEX_op_rotl:
        op = SHIFT_ROL;
        break;
    default:
        op = SHIFT_ROR;
        break;
    }
    if (b_const) {
        unsigned n = b & (bits - 1);
        if (n == 0) {
            out_mov(s, type, out, a);
            return;
        }
        if ((op == SHIFT_ROL || op == SHIFT_ROR) && out != a &&
            have(xs, X86_FEAT_BMI2)) {
            x86_vex_rr(s, OPC_RORX | w, out, 0, a);
            x86_out8(s, op == SHIFT_ROR ? n : bits - n);
            return;
        }
        if (op == SHIFT_SHL && n <= 3 && out != a) {
            if (n == 1) {
                x86_rm(s, OPC_LEA | w, out, a, a, 0, 0);
            } else {
                x86_rm(s, OPC_LEA | w, out, -1, a, n, 0);
            }
            return;
        }
        out_mov(s, type, out, a);
        shift_ri(s, op, type, out, n);
        return;
    }
    if (have(xs, X86_FEAT_BMI2) && op != SHIFT_ROL && op != SHIFT_ROR) {
        unsigned opx = op == SHIFT_SHL ? OPC_SHLX
                       : op == SHIFT_SHR ? OPC_SHRX : OPC_SARX;
        x86_vex_rr(s, opx | w, out, b, a);
        return;
    }
    /* two-address with the count in cl: the constraint made out == a */
    assert(out == a && b == R_RCX);
    x86_rr(s, OPC_SHIFT_cl | w, op, out);
}

/* reg = its low len bits, zero-extended (len < width) */
static void zext_bits(TCGContext *s, TCGType type, int out, int a,
                      unsigned len)
{
    if (len == 8) {
        x86_rr(s, OPC_MOVZBL | P_BRM, out, a);
    } else if (len == 16) {
        x86_rr(s, OPC_MOVZWL, out, a);
    } else if (len == 32) {
        x86_rr(s, OPC_MOVL_GvEv, out, a);
    } else if (len < 32) {
        x86_rr(s, OPC_MOVL_GvEv, out, a);
        arith_ri(s, ARITH_AND, TCG_TYPE_I32, out, (1u << len) - 1);
    } else {
        out_mov(s, type, out, a);
        shift_ri(s, SHIFT_SHL, type, out, 64 - len);
        shift_ri(s, SHIFT_SHR, type, out, 64 - len);
    }
}

static void out_extract(TCGContext *s, TCGType type, int out, int a,
                        unsigned pos, unsigned len)
{
    unsigned bits = type_bits(type);

    if (len == bits) {
        out_mov(s, type, out, a);
    } else if (pos == 0) {
        zext_bits(s, type, out, a, len);
    } else if (pos + len == bits) {
        out_mov(s, type, out, a);
        shift_ri(s, SHIFT_SHR, type, out, pos);
    } else if (pos + len <= 32 || len <= 31) {
        /* narrow field: shift it down, then mask with 32-bit ops */
        TCGType t = pos + len <= 32 ? TCG_TYPE_I32 : type;
        out_mov(s, t, out, a);
        shift_ri(s, SHIFT_SHR, t, out, pos);
        zext_bits(s, TCG_TYPE_I32, out, out, len);
    } else {
        out_mov(s, type, out, a);
        shift_ri(s, SHIFT_SHL, type, out, bits - pos - len);
        shift_ri(s, SHIFT_SHR, type, out, bits - len);
    }
}

static void out_sextract(TCGContext *s, TCGType type, int out, int a,
                         unsigned pos, unsigned len)
{
    unsigned bits = type_bits(type);
    unsigned w = rexw(type);

    if (len == bits) {
        out_mov(s, type, out, a);
    } else if (pos == 0 && len == 8) {
        x86_rr(s, OPC_MOVSBL | P_BRM | w, out, a);
    } else if (pos == 0 && len == 16) {
        x86_rr(s, OPC_MOVSWL | w, out, a);
    } else if (pos == 0 && len == 32) {
        x86_rr(s, OPC_MOVSLQ, out, a);
    } else if (pos + len == bits) {
        out_mov(s, type, out, a);
        shift_ri(s, SHIFT_SAR, type, out, pos);
    } else {
        out_mov(s, type, out, a);
        shift_ri(s, SHIFT_SHL, type, out, bits - pos - len);
        shift_ri(s, SHIFT_SAR, type, out, bits - len);
    }
}

/* out = a with b's low len bits at pos; a may be the constant 0 */
static void out_deposit(TCGContext *s, TCGType type, int out, TCGArg a,
                        bool a_zero, int b, unsigned pos, unsigned len)
{
    unsigned bits = type_bits(type);
    uint64_t field;

    if (a_zero) {
        if (pos + len == bits) {
            out_mov(s, type, out, b);
        } else {
            zext_bits(s, type, out, b, len);
        }
        shift_ri(s, SHIFT_SHL, type, out, pos);
        return;
    }
    if (len == bits) {
        out_mov(s, type, out, b);
        return;
    }
    if (pos == 0 && (len == 8 || len == 16)) {
        /* write the low byte or word in place */
        if (out == b && out != (int)a) {
            out_mov(s, TCG_TYPE_I32, TCG_TMP, b);
            b = TCG_TMP;
        }
        out_mov(s, type, out, a);
        if (len == 8) {
            x86_rr(s, OPC_MOVB_EvGv | P_BRM, b, out);
        } else {
            x86_rr(s, OPC_MOVL_EvGv | P_66, b, out);
        }
        return;
    }

    /* TMP = b's field in place; out = a without the field; out |= TMP */
    if (pos + len == bits) {
        out_mov(s, type, TCG_TMP, b);
    } else {
        zext_bits(s, type, TCG_TMP, b, len);
    }
    shift_ri(s, SHIFT_SHL, type, TCG_TMP, pos);
    out_mov(s, type, out, a);
    field = (len == 64 ? ~0ull : (1ull << len) - 1) << pos;
    if (type == TCG_TYPE_I32 || pos + len <= 31) {
        arith_ri(s, ARITH_AND, type, out, (int64_t)~field);
    } else if (pos == 0) {
        shift_ri(s, SHIFT_SHR, type, out, len);
        shift_ri(s, SHIFT_SHL, type, out, len);
    } else if (pos + len == bits) {
        shift_ri(s, SHIFT_SHL, type, out, len);
        shift_ri(s, SHIFT_SHR, type, out, len);
    } else {
        /* bring the field to the bottom, clear it, rotate back */
        shift_ri(s, SHIFT_ROR, type, out, pos);
        shift_ri(s, SHIFT_SHR, type, out, len);
        shift_ri(s, SHIFT_SHL, type, out, len);
        shift_ri(s, SHIFT_ROL, type, out, pos);
    }
    arith_rr(s, ARITH_OR, type, out, TCG_TMP);
}

/* out = (hi:lo) >> pos */
static void out_extract2(TCGContext *s, TCGType type, int out, int lo,
                         int hi, unsigned pos)
{
    unsigned w = rexw(type);

    if (pos == 0) {
        out_mov(s, type, out, lo);
    } else if (out == hi && out != lo) {
        x86_rr(s, OPC_SHLD_Ib | w, lo, out);
        x86_out8(s, type_bits(type) - pos);
    } else {
        out_mov(s, type, out, lo);
        x86_rr(s, OPC_SHRD_Ib | w, hi, out);
        x86_out8(s, pos);
    }
}

static void out_bswap(TCGContext *s, TCGOpcode opc, TCGType type, int out,
                      int a, unsigned flags)
{
    switch (opc) {
    case INDEX_op_bswap16:
        x86_rr(s, OPC_MOVZWL, out, a);
        /* rol $8 on the low word swaps its bytes */
        x86_rr(s, OPC_SHIFT_Ib | P_66, SHIFT_ROL, out);
        x86_out8(s, 8);
        if (flags & TCG_BSWAP_OS) {
            x86_rr(s, OPC_MOVSWL | rexw(type), out, out);
        }
        break;
    case INDEX_op_bswap32:
        out_mov(s, TCG_TYPE_I32, out, a);
        x86_opc(s, OPC_BSWAP + (out & 7), 0, out, 0);
        if (type == TCG_TYPE_I64 && (flags & TCG_BSWAP_OS)) {
            x86_rr(s, OPC_MOVSLQ, out, out);
        }
        break;
    default:
        out_mov(s, TCG_TYPE_I64, out, a);
        x86_opc(s, (OPC_BSWAP + (out & 7)) | P_W, 0, out, 0);
        break;
    }
}

/* clz/ctz: out = a ? count(a) : b */
static void out_count(TCGContext *s, bool clz, TCGType type, int out, int a,
                      TCGArg b, bool b_const, const X86State *xs)
{
    unsigned bits = type_bits(type);
    unsigned w = rexw(type);
    uint8_t *skip;

    if (have(xs, clz ? X86_FEAT_LZCNT : X86_FEAT_BMI1)) {
        /* lzcnt/tzcnt: width for 0, with CF set */
        unsigned opc = (clz ? OPC_LZCNT : OPC_TZCNT) | w;
        if (b_const && (int64_t)b == bits) {
            x86_rr(s, opc, out, a);
            return;
        }
        x86_rr(s, opc, TCG_TMP, a);
        if (b_const) {
            out_movi_keepflags(s, type, out, b);
        } else {
            out_mov(s, type, out, b);
        }
        x86_rr(s, (OPC_CMOVCC + JCC_AE) | w, out, TCG_TMP);
        return;
    }
    /* bsr/bsf: ZF for 0, result undefined then */
    x86_rr(s, (clz ? OPC_BSR : OPC_BSF) | w, TCG_TMP, a);
    if (b_const) {
        out_movi_keepflags(s, type, out, b);
    } else {
        out_mov(s, type, out, b);
    }
    if (!clz) {
        x86_rr(s, (OPC_CMOVCC + JCC_NE) | w, out, TCG_TMP);
        return;
    }
    skip = jmp8_fwd(s, JCC_E);
    /* bsr gives the index of the top bit: clz = (bits - 1) ^ index */
    out_mov(s, type, out, TCG_TMP);
    arith_ri(s, ARITH_XOR, type, out, bits - 1);
    patch_rel8(s, skip);
}

static uint64_t ctpop_fallback(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (x * 0x0101010101010101ull) >> 56;
}

/*
 * div/rem with rdx:rax.  Division by zero and INT_MIN / -1 would trap
 * the host; their results are undefined in the IR, we give 0 (x / 0,
 * x % 0), INT_MIN (INT_MIN / -1) and 0 (x % -1), as the interpreter.
 */
static void out_div(TCGContext *s, TCGOpcode opc, TCGType type, int b)
{
    bool is_signed = opc == INDEX_op_div || opc == INDEX_op_rem;
    bool want_rem = opc == INDEX_op_rem || opc == INDEX_op_remu;
    unsigned w = rexw(type);
    uint8_t *to_zero, *to_m1 = NULL, *done1, *done2 = NULL;

    x86_rr(s, OPC_TESTL | w, b, b);
    to_zero = jmp8_fwd(s, JCC_E);
    if (is_signed) {
        arith_ri(s, ARITH_CMP, type, b, -1);
        to_m1 = jmp8_fwd(s, JCC_E);
        x86_opc(s, OPC_CDQ | w, 0, 0, 0);
    } else {
        x86_rr(s, OPC_ARITH_GvEv + (ARITH_XOR << 3), R_RDX, R_RDX);
    }
    unary(s, is_signed ? EXT3_IDIV : EXT3_DIV, type, b);
    done1 = jmp8_fwd(s, -1);
    if (is_signed) {
        patch_rel8(s, to_m1);
        if (want_rem) {
            x86_rr(s, OPC_ARITH_GvEv + (ARITH_XOR << 3), R_RDX, R_RDX);
        } else {
            unary(s, EXT3_NEG, type, R_RAX);
        }
        done2 = jmp8_fwd(s, -1);
    }
    patch_rel8(s, to_zero);
    x86_rr(s, OPC_ARITH_GvEv + (ARITH_XOR << 3), want_rem ? R_RDX : R_RAX,
           want_rem ? R_RDX : R_RAX);
    patch_rel8(s, done1);
    if (done2) {
        patch_rel8(s, done2);
    }
}

/* ---- Guest memory access (softmmu fast path) ---- */

static X86SlowPath *new_slow_path(X86State *xs)
{
    X86SlowPath *p;

    if (xs->nb_slow == xs->cap_slow) {
        xs->cap_slow = xs->cap_slow ? xs->cap_slow * 2 : 32;
        xs->slow = emu_realloc(xs->slow, xs->cap_slow * sizeof(*xs->slow));
    }
    p = &xs->slow[xs->nb_slow++];
    memset(p, 0, sizeof(*p));
    return p;
}

/*
 * TLB lookup of addr for an access: on a hit, falls through with the
 * host addend in t0; on a miss, branches to the slow path (p->jmp[]).
 * t1 is clobbered.
 */
static void out_tlb_lookup(TCGContext *s, X86SlowPath *p, int addr, int t0,
                           int t1, MemOpIdx oi, bool is_store)
{
    MemOp mop = get_memop(oi);
    unsigned a_mask = memop_alignment(mop) - 1;
    unsigned s_mask = memop_size(mop) - 1;
    intptr_t fast = s->tlb_fast_offset +
                    (intptr_t)get_mmuidx(oi) * sizeof(CPUTLBDescFast);
    int cmp_ofs = is_store ? offsetof(CPUTLBEntry, addr_write)
                           : offsetof(CPUTLBEntry, addr_read);
    int64_t page_mask = -((int64_t)1 << s->guest_page_bits);

    /* t0 = &table[(addr >> page_bits) & (n - 1)] */
    out_mov(s, TCG_TYPE_I64, t0, addr);
    shift_ri(s, SHIFT_SHR, TCG_TYPE_I64, t0,
             s->guest_page_bits - CPU_TLB_ENTRY_BITS);
    x86_mem(s, (OPC_ARITH_GvEv + (ARITH_AND << 3)) | P_W, t0, TCG_AREG0,
            fast + offsetof(CPUTLBDescFast, mask));
    x86_mem(s, (OPC_ARITH_GvEv + (ARITH_ADD << 3)) | P_W, t0, TCG_AREG0,
            fast + offsetof(CPUTLBDescFast, table));

    /*
     * t1 = page of the access's last byte, keeping the low bits that must
     * be zero for alignment: unequal to the entry's comparator when the
     * access is misaligned, crosses the page, or the entry has flags.
     */
    if (s_mask > a_mask) {
        x86_mem(s, OPC_LEA | P_W, t1, addr, s_mask - a_mask);
    } else {
        out_mov(s, TCG_TYPE_I64, t1, addr);
    }
    if (a_mask >= TLB_INVALID_MASK) {
        /* alignment bits overlap the TLB flags: check them apart */
        arith_ri(s, ARITH_AND, TCG_TYPE_I64, t1, page_mask);
        x86_rr(s, OPC_GRP3_Ev | P_W, EXT3_TEST, addr);
        x86_out32(s, a_mask);
        x86_out8(s, 0x0f);
        x86_out8(s, 0x80 + JCC_NE);
        p->jmp[1] = s->code_ptr;
        x86_out32(s, 0);
    } else {
        arith_ri(s, ARITH_AND, TCG_TYPE_I64, t1, page_mask | a_mask);
    }
    x86_mem(s, (OPC_ARITH_GvEv + (ARITH_CMP << 3)) | P_W, t1, t0, cmp_ofs);
    x86_out8(s, 0x0f);
    x86_out8(s, 0x80 + JCC_NE);
    p->jmp[0] = s->code_ptr;
    x86_out32(s, 0);
    x86_mem(s, OPC_MOVL_GvEv | P_W, t0, t0, offsetof(CPUTLBEntry, addend));
}

static void out_guest_load(TCGContext *s, const X86State *xs, TCGType type,
                           MemOp mop, int data, int base, int index)
{
    unsigned size = mop & MO_SIZE;
    bool sign = mop & MO_SIGN;
    unsigned w = rexw(type);

    if ((mop & MO_BSWAP) && size != MO_8) {
        bool movbe = have(xs, X86_FEAT_MOVBE);
        switch (size) {
        case MO_16:
            if (movbe) {
                x86_rm(s, OPC_MOVBE_GyMy | P_66, data, base, index, 0, 0);
            } else {
                x86_rm(s, OPC_MOVZWL, data, base, index, 0, 0);
                x86_rr(s, OPC_SHIFT_Ib | P_66, SHIFT_ROL, data);
                x86_out8(s, 8);
            }
            x86_rr(s, (sign ? OPC_MOVSWL | w : OPC_MOVZWL), data, data);
            break;
        case MO_32:
            if (movbe) {
                x86_rm(s, OPC_MOVBE_GyMy, data, base, index, 0, 0);
            } else {
                x86_rm(s, OPC_MOVL_GvEv, data, base, index, 0, 0);
                x86_opc(s, OPC_BSWAP + (data & 7), 0, data, 0);
            }
            if (sign && type == TCG_TYPE_I64) {
                x86_rr(s, OPC_MOVSLQ, data, data);
            }
            break;
        default:
            if (movbe) {
                x86_rm(s, OPC_MOVBE_GyMy | P_W, data, base, index, 0, 0);
            } else {
                x86_rm(s, OPC_MOVL_GvEv | P_W, data, base, index, 0, 0);
                x86_opc(s, (OPC_BSWAP + (data & 7)) | P_W, 0, data, 0);
            }
            break;
        }
        return;
    }
    switch (size) {
    case MO_8:
        x86_rm(s, sign ? OPC_MOVSBL | w : OPC_MOVZBL, data, base, index, 0,
               0);
        break;
    case MO_16:
        x86_rm(s, sign ? OPC_MOVSWL | w : OPC_MOVZWL, data, base, index, 0,
               0);
        break;
    case MO_32:
        x86_rm(s, sign && type == TCG_TYPE_I64 ? OPC_MOVSLQ : OPC_MOVL_GvEv,
               data, base, index, 0, 0);
        break;
    default:
        x86_rm(s, OPC_MOVL_GvEv | P_W, data, base, index, 0, 0);
        break;
    }
}

static uint64_t bswap_size(uint64_t v, unsigned size)
{
    switch (size) {
    case MO_16:
        return __builtin_bswap16(v);
    case MO_32:
        return __builtin_bswap32(v);
    case MO_64:
        return __builtin_bswap64(v);
    default:
        return v & 0xff;
    }
}

static void out_guest_store(TCGContext *s, const X86State *xs, MemOp mop,
                            TCGArg data, bool data_const, int base,
                            int index, int tmp)
{
    unsigned size = mop & MO_SIZE;
    bool swap = (mop & MO_BSWAP) && size != MO_8;

    if (data_const) {
        int64_t v = swap ? (int64_t)bswap_size(data, size) : (int64_t)data;
        switch (size) {
        case MO_8:
            x86_rm(s, OPC_MOVB_EvIb, 0, base, index, 0, 0);
            x86_out8(s, v);
            break;
        case MO_16:
            x86_rm(s, OPC_MOVL_EvIz | P_66, 0, base, index, 0, 0);
            x86_out16(s, v);
            break;
        case MO_32:
            x86_rm(s, OPC_MOVL_EvIz, 0, base, index, 0, 0);
            x86_out32(s, v);
            break;
        default:
            /* the constraint admitted only imm32 values here */
            x86_rm(s, OPC_MOVL_EvIz | P_W, 0, base, index, 0, 0);
            x86_out32(s, v);
            break;
        }
        return;
    }
    if (swap && have(xs, X86_FEAT_MOVBE)) {
        unsigned opc = OPC_MOVBE_MyGy | (size == MO_16 ? P_66 : 0) |
                       (size == MO_64 ? P_W : 0);
        x86_rm(s, opc, data, base, index, 0, 0);
        return;
    }
    if (swap) {
        if (size == MO_16) {
            out_mov(s, TCG_TYPE_I32, tmp, data);
            x86_rr(s, OPC_SHIFT_Ib | P_66, SHIFT_ROL, tmp);
            x86_out8(s, 8);
        } else {
            out_mov(s, size == MO_64 ? TCG_TYPE_I64 : TCG_TYPE_I32, tmp,
                    data);
            x86_opc(s, (OPC_BSWAP + (tmp & 7)) | (size == MO_64 ? P_W : 0),
                    0, tmp, 0);
        }
        data = tmp;
    }
    switch (size) {
    case MO_8:
        x86_rm(s, OPC_MOVB_EvGv, data, base, index, 0, 0);
        break;
    case MO_16:
        x86_rm(s, OPC_MOVL_EvGv | P_66, data, base, index, 0, 0);
        break;
    case MO_32:
        x86_rm(s, OPC_MOVL_EvGv, data, base, index, 0, 0);
        break;
    default:
        x86_rm(s, OPC_MOVL_EvGv | P_W, data, base, index, 0, 0);
        break;
    }
}

static void out_qemu_ld(TCGContext *s, X86State *xs, TCGType type, int data,
                        int addr, MemOpIdx oi, int t0, int t1, TCGRegSet live)
{
    X86SlowPath *p = new_slow_path(xs);

    out_tlb_lookup(s, p, addr, t0, t1, oi, false);
    out_guest_load(s, xs, type, get_memop(oi), data, t0, addr);
    p->is_ld = true;
    p->type = type;
    p->oi = oi;
    p->data = data;
    p->addr = addr;
    p->ret = s->code_ptr;
    p->save = live & CALL_CLOBBERED & ~RB(data);
}

static void out_qemu_st(TCGContext *s, X86State *xs, TCGType type,
                        TCGArg data, bool data_const, int addr, MemOpIdx oi,
                        int t0, int t1, TCGRegSet live)
{
    X86SlowPath *p = new_slow_path(xs);

    out_tlb_lookup(s, p, addr, t0, t1, oi, true);
    out_guest_store(s, xs, get_memop(oi), data, data_const, t0, addr, t1);
    p->is_ld = false;
    p->type = type;
    p->oi = oi;
    p->data_const = data_const;
    if (data_const) {
        p->data_val = (int64_t)data;
    } else {
        p->data = data;
    }
    p->addr = addr;
    p->ret = s->code_ptr;
    p->save = live & CALL_CLOBBERED;
}

/*
 * Slow paths at the end of the TB: save what the helper may clobber,
 * call helper_ld_mmu/helper_st_mmu with the address of the fast path's
 * end as retaddr (so that a fault restores the state of this guest
 * insn), restore, and jump back.
 */
static void out_slow_paths(TCGContext *s, X86State *xs)
{
    for (int i = 0; i < xs->nb_slow; i++) {
        X86SlowPath *p = &xs->slow[i];
        const uint8_t *ret_rx = tcg_splitwx_to_rx(s, p->ret);
        TCGRegSet m;

        for (int j = 0; j < 2; j++) {
            if (p->jmp[j]) {
                x86_patch32(p->jmp[j], s->code_ptr - (p->jmp[j] + 4));
            }
        }
        for (m = p->save; m; m &= m - 1) {
            int r = __builtin_ctz(m);
            x86_mem(s, OPC_MOVL_EvGv | P_W, r, R_RSP, FRAME_SAVE_OFS + 8 * r);
        }
        if (p->is_ld) {
            out_mov(s, TCG_TYPE_I64, R_RSI, p->addr);
            out_mov(s, TCG_TYPE_I64, R_RDI, TCG_AREG0);
            out_movi(s, TCG_TYPE_I32, R_RDX, p->oi);
            x86_rip(s, OPC_LEA | P_W, R_RCX, ret_rx);
            out_call_rx(s, (const void *)helper_ld_mmu);
            out_mov(s, p->type, p->data, R_RAX);
        } else {
            /* rsi = addr, rdx = data, whatever registers they are in */
            if (p->data_const) {
                out_mov(s, TCG_TYPE_I64, R_RSI, p->addr);
                out_movi(s, TCG_TYPE_I64, R_RDX, p->data_val);
            } else if (p->data != R_RSI) {
                out_mov(s, TCG_TYPE_I64, R_RSI, p->addr);
                out_mov(s, TCG_TYPE_I64, R_RDX, p->data);
            } else if (p->addr != R_RDX) {
                out_mov(s, TCG_TYPE_I64, R_RDX, p->data);
                out_mov(s, TCG_TYPE_I64, R_RSI, p->addr);
            } else {
                x86_rr(s, OPC_XCHG | P_W, R_RSI, R_RDX);
            }
            out_mov(s, TCG_TYPE_I64, R_RDI, TCG_AREG0);
            out_movi(s, TCG_TYPE_I32, R_RCX, p->oi);
            x86_rip(s, OPC_LEA | P_W, R_R8, ret_rx);
            out_call_rx(s, (const void *)helper_st_mmu);
        }
        for (m = p->save; m; m &= m - 1) {
            int r = __builtin_ctz(m);
            x86_mem(s, OPC_MOVL_GvEv | P_W, r, R_RSP, FRAME_SAVE_OFS + 8 * r);
        }
        out_jmp_rx(s, ret_rx);
        ra_check_room(&xs->ra);
    }
}

/* ---- Control flow out of the TB ---- */

static void out_goto_tb(TCGContext *s, X86State *xs, unsigned n)
{
    TranslationBlock *tb = xs->tb;
    uintptr_t rx = (uintptr_t)code_rx(s);

    assert(n < 2);
    /* the rel32 must be 4-aligned: set_jmp_target patches it atomically */
    out_nops(s, (3 - (rx & 3)) & 3);
    if (tb) {
        tb->jmp_insn_offset[n] = s->code_ptr - xs->ra.code_start;
    }
    x86_out8(s, OPC_JMP_long);
    x86_out32(s, 0);
    if (tb) {
        tb->jmp_reset_offset[n] = s->code_ptr - xs->ra.code_start;
    }
}

static void out_exit_tb(TCGContext *s, X86State *xs, uintptr_t val)
{
    if (val == 0) {
        out_jmp_rx(s, s->code_gen_epilogue);
    } else {
        out_movi(s, TCG_TYPE_I64, R_RAX, val);
        out_jmp_rx(s, xs->epilogue_ret);
    }
}

/* ---- Op dispatch ---- */

static void x86_op(TCGContext *s, const TCGOp *op, const TCGArg *args,
                   const bool *const_args, TCGRegSet live)
{
    X86State *xs = s->backend_data;
    TCGType type = op->type;
    unsigned w = rexw(type);
    TCGOpcode opc = op->opc;
    int a0 = args[0], a1 = args[1];

    switch (opc) {
    case INDEX_op_br:
        jmp_label(s, xs, -1, arg_label(args[0]));
        break;
    case INDEX_op_brcond: {
        TCGCond cond = (TCGCond)args[2];
        if (cond == TCG_COND_NEVER) {
            break;
        }
        if (cond == TCG_COND_ALWAYS) {
            jmp_label(s, xs, -1, arg_label(args[3]));
            break;
        }
        out_cmp(s, type, a0, args[1], const_args[1]);
        jmp_label(s, xs, cond_to_jcc[cond], arg_label(args[3]));
        break;
    }
    case INDEX_op_goto_tb:
        out_goto_tb(s, xs, args[0]);
        break;
    case INDEX_op_exit_tb:
        out_exit_tb(s, xs, args[0]);
        break;
    case INDEX_op_goto_ptr:
        x86_rr(s, OPC_GRP5, EXT5_JMP, a0);
        break;
    case INDEX_op_mb:
        /* x86 is TSO: only a store followed by a load needs a fence */
        if (args[0] & TCG_MO_ST_LD) {
            x86_mem(s, OPC_ARITH_EvIb | P_LOCK, ARITH_OR, R_RSP, 0);
            x86_out8(s, 0);
        }
        break;

    case INDEX_op_setcond:
    case INDEX_op_negsetcond:
        out_setcond(s, type, (TCGCond)args[3], opc == INDEX_op_negsetcond,
                    a0, a1, args[2], const_args[2]);
        break;
    case INDEX_op_movcond:
        out_movcond(s, type, (TCGCond)args[5], a0, a1, args[2],
                    const_args[2], args[3], const_args[3], args[4],
                    const_args[4]);
        break;

    case INDEX_op_ld8u:
    case INDEX_op_ld8s:
    case INDEX_op_ld16u:
    case INDEX_op_ld16s:
    case INDEX_op_ld32u:
    case INDEX_op_ld32s:
    case INDEX_op_ld: {
        intptr_t ofs = args[2];
        unsigned opcode;
        int base = fix_ofs(s, a1, &ofs);

        switch (opc) {
        case INDEX_op_ld8u:
            opcode = OPC_MOVZBL;
            break;
        case INDEX_op_ld8s:
            opcode = OPC_MOVSBL | w;
            break;
        case INDEX_op_ld16u:
            opcode = OPC_MOVZWL;
            break;
        case INDEX_op_ld16s:
            opcode = OPC_MOVSWL | w;
            break;
        case INDEX_op_ld32u:
            opcode = OPC_MOVL_GvEv;
            break;
        case INDEX_op_ld32s:
            opcode = OPC_MOVSLQ;
            break;
        default:
            opcode = OPC_MOVL_GvEv | w;
            break;
        }
        x86_mem(s, opcode, a0, base, ofs);
        break;
    }
    case INDEX_op_st8:
    case INDEX_op_st16:
    case INDEX_op_st32:
    case INDEX_op_st: {
        intptr_t ofs = args[2];
        int base = fix_ofs(s, a1, &ofs);
        unsigned size = opc == INDEX_op_st8 ? 1 : opc == INDEX_op_st16 ? 2
                        : opc == INDEX_op_st32 || type == TCG_TYPE_I32 ? 4
                        : 8;
        unsigned pfx = size == 2 ? P_66 : size == 8 ? P_W : 0;

        if (const_args[0]) {
            x86_mem(s, (size == 1 ? OPC_MOVB_EvIb : OPC_MOVL_EvIz) | pfx, 0,
                    base, ofs);
            if (size == 1) {
                x86_out8(s, args[0]);
            } else if (size == 2) {
                x86_out16(s, args[0]);
            } else {
                x86_out32(s, args[0]);
            }
        } else {
            x86_mem(s, (size == 1 ? OPC_MOVB_EvGv : OPC_MOVL_EvGv) | pfx, a0,
                    base, ofs);
        }
        break;
    }

    case INDEX_op_add:
        out_add(s, type, a0, a1, args[2], const_args[2]);
        break;
    case INDEX_op_sub:
        out_sub(s, type, a0, a1, args[2], const_args[2]);
        break;
    case INDEX_op_mul:
        out_mul(s, type, a0, a1, args[2], const_args[2]);
        break;
    case INDEX_op_neg:
        out_mov(s, type, a0, a1);
        unary(s, EXT3_NEG, type, a0);
        break;
    case INDEX_op_not:
        out_mov(s, type, a0, a1);
        unary(s, EXT3_NOT, type, a0);
        break;
    case INDEX_op_div:
    case INDEX_op_divu:
    case INDEX_op_rem:
    case INDEX_op_remu:
        out_div(s, opc, type, args[2]);
        break;
    case INDEX_op_add2:
    case INDEX_op_sub2: {
        /* lo and hi outputs share al's and ah's registers */
        bool add = opc == INDEX_op_add2;
        if (const_args[4]) {
            arith_ri(s, add ? ARITH_ADD : ARITH_SUB, type, a0, args[4]);
        } else {
            arith_rr(s, add ? ARITH_ADD : ARITH_SUB, type, a0, args[4]);
        }
        if (const_args[5]) {
            arith_ri(s, add ? ARITH_ADC : ARITH_SBB, type, a1, args[5]);
        } else {
            arith_rr(s, add ? ARITH_ADC : ARITH_SBB, type, a1, args[5]);
        }
        break;
    }
    case INDEX_op_mulu2:
    case INDEX_op_muls2:
        unary(s, opc == INDEX_op_mulu2 ? EXT3_MUL : EXT3_IMUL, type, args[3]);
        break;
    case INDEX_op_muluh:
    case INDEX_op_mulsh:
        unary(s, opc == INDEX_op_muluh ? EXT3_MUL : EXT3_IMUL, type, args[2]);
        break;

    case INDEX_op_and:
        out_logic(s, ARITH_AND, type, a0, a1, args[2], const_args[2]);
        break;
    case INDEX_op_or:
        out_logic(s, ARITH_OR, type, a0, a1, args[2], const_args[2]);
        break;
    case INDEX_op_xor:
        out_logic(s, ARITH_XOR, type, a0, a1, args[2], const_args[2]);
        break;
    case INDEX_op_eqv:
        out_logic(s, ARITH_XOR, type, a0, a1, args[2], false);
        unary(s, EXT3_NOT, type, a0);
        break;
    case INDEX_op_nand:
        out_logic(s, ARITH_AND, type, a0, a1, args[2], false);
        unary(s, EXT3_NOT, type, a0);
        break;
    case INDEX_op_nor:
        out_logic(s, ARITH_OR, type, a0, a1, args[2], false);
        unary(s, EXT3_NOT, type, a0);
        break;
    case INDEX_op_andc:
        out_logic_not(s, ARITH_AND, type, a0, a1, args[2], xs);
        break;
    case INDEX_op_orc:
        out_logic_not(s, ARITH_OR, type, a0, a1, args[2], xs);
        break;

    case INDEX_op_shl:
    case INDEX_op_shr:
    case INDEX_op_sar:
    case INDEX_op_rotl:
    case INDEX_op_rotr:
        out_shift(s, opc, type, a0, a1, args[2], const_args[2], xs);
        break;

    case INDEX_op_extract:
        out_extract(s, type, a0, a1, args[2], args[3]);
        break;
    case INDEX_op_sextract:
        out_sextract(s, type, a0, a1, args[2], args[3]);
        break;
    case INDEX_op_deposit:
        out_deposit(s, type, a0, args[1], const_args[1], args[2], args[3],
                    args[4]);
        break;
    case INDEX_op_extract2:
        out_extract2(s, type, a0, a1, args[2], args[3]);
        break;

    case INDEX_op_ext8s:
        x86_rr(s, OPC_MOVSBL | P_BRM | w, a0, a1);
        break;
    case INDEX_op_ext8u:
        x86_rr(s, OPC_MOVZBL | P_BRM, a0, a1);
        break;
    case INDEX_op_ext16s:
        x86_rr(s, OPC_MOVSWL | w, a0, a1);
        break;
    case INDEX_op_ext16u:
        x86_rr(s, OPC_MOVZWL, a0, a1);
        break;
    case INDEX_op_ext32s:
    case INDEX_op_ext_i32_i64:
        x86_rr(s, OPC_MOVSLQ, a0, a1);
        break;
    case INDEX_op_ext32u:
    case INDEX_op_extu_i32_i64:
        x86_rr(s, OPC_MOVL_GvEv, a0, a1);
        break;
    case INDEX_op_extrl_i64_i32:
        /* an I32 ignores its register's upper half */
        out_mov(s, TCG_TYPE_I32, a0, a1);
        break;
    case INDEX_op_extrh_i64_i32:
        if (have(xs, X86_FEAT_BMI2)) {
            x86_vex_rr(s, OPC_RORX | P_W, a0, 0, a1);
            x86_out8(s, 32);
        } else {
            out_mov(s, TCG_TYPE_I64, a0, a1);
            shift_ri(s, SHIFT_SHR, TCG_TYPE_I64, a0, 32);
        }
        break;

    case INDEX_op_bswap16:
    case INDEX_op_bswap32:
    case INDEX_op_bswap64:
        out_bswap(s, opc, type, a0, a1, args[2]);
        break;

    case INDEX_op_clz:
    case INDEX_op_ctz:
        out_count(s, opc == INDEX_op_clz, type, a0, a1, args[2],
                  const_args[2], xs);
        break;
    case INDEX_op_ctpop:
        if (have(xs, X86_FEAT_POPCNT)) {
            x86_rr(s, OPC_POPCNT | w, a0, a1);
        } else {
            /* constraint: a in rdi, out in rax, registers clobbered */
            if (type == TCG_TYPE_I32) {
                x86_rr(s, OPC_MOVL_GvEv, R_RDI, R_RDI);
            }
            out_call_rx(s, (const void *)ctpop_fallback);
        }
        break;

    case INDEX_op_qemu_ld:
        out_qemu_ld(s, xs, type, a0, a1, args[2], args[3], args[4], live);
        break;
    case INDEX_op_qemu_st:
        out_qemu_st(s, xs, type, args[0], const_args[0], a1, args[2],
                    args[3], args[4], live);
        break;

    default:
        fprintf(stderr, "tcg x86_64: unhandled op %s\n", tcg_op_defs[opc].name);
        abort();
    }
}

/* ---- Constraints ---- */

#define IN(regs_, ct_)  { .regs = (regs_), .ct = (ct_) }
#define OUT(regs_)      { .regs = (regs_) }
#define OUT_ALIAS(i)    { .regs = ALL_REGS, .alias = (i) + 1 }
#define R_ANY           IN(ALL_REGS, 0)

static const RAOpConstraint c_none;
static const RAOpConstraint c_i = { .args = { R_ANY } };
static const RAOpConstraint c_o_i = { .args = { OUT(ALL_REGS), R_ANY } };
static const RAOpConstraint c_o_i_i = {
    .args = { OUT(ALL_REGS), R_ANY, R_ANY } };
static const RAOpConstraint c_o_i_ie = {
    .args = { OUT(ALL_REGS), R_ANY, IN(ALL_REGS, CT_S32) } };
static const RAOpConstraint c_o_i_iany = {
    .args = { OUT(ALL_REGS), R_ANY, IN(ALL_REGS, CT_ANY) } };
static const RAOpConstraint c_and = {
    .args = { OUT(ALL_REGS), R_ANY, IN(ALL_REGS, CT_AND) } };
static const RAOpConstraint c_shift_cl = {
    .args = { OUT_ALIAS(0), IN(ALL_REGS & ~RB(R_RCX), 0),
              IN(RB(R_RCX), 0) } };
static const RAOpConstraint c_deposit = {
    .args = { OUT(ALL_REGS), IN(ALL_REGS, CT_ZERO), R_ANY } };
static const RAOpConstraint c_st_any = {
    .args = { IN(ALL_REGS, CT_ANY), R_ANY } };
static const RAOpConstraint c_st_e = {
    .args = { IN(ALL_REGS, CT_S32), R_ANY } };
static const RAOpConstraint c_brcond = {
    .args = { R_ANY, IN(ALL_REGS, CT_S32) } };
static const RAOpConstraint c_movcond = {
    .args = { OUT(ALL_REGS), R_ANY, IN(ALL_REGS, CT_S32),
              IN(ALL_REGS, CT_ANY), IN(ALL_REGS, CT_ANY) } };
static const RAOpConstraint c_div = {
    .args = { OUT(RB(R_RAX)), IN(RB(R_RAX), 0),
              IN(ALL_REGS & ~RB(R_RAX) & ~RB(R_RDX), 0) },
    .clobber = RB(R_RDX) };
static const RAOpConstraint c_rem = {
    .args = { OUT(RB(R_RDX)), IN(RB(R_RAX), 0),
              IN(ALL_REGS & ~RB(R_RAX) & ~RB(R_RDX), 0) },
    .clobber = RB(R_RAX) };
static const RAOpConstraint c_mul2 = {
    .args = { OUT(RB(R_RAX)), OUT(RB(R_RDX)), IN(RB(R_RAX), 0),
              IN(ALL_REGS & ~RB(R_RAX), 0) } };
static const RAOpConstraint c_mulh = {
    .args = { OUT(RB(R_RDX)), IN(RB(R_RAX), 0),
              IN(ALL_REGS & ~RB(R_RAX), 0) },
    .clobber = RB(R_RAX) };
static const RAOpConstraint c_addsub2 = {
    .args = { OUT_ALIAS(0), OUT_ALIAS(1), R_ANY, R_ANY,
              IN(ALL_REGS, CT_S32), IN(ALL_REGS, CT_S32) } };
static const RAOpConstraint c_ctpop_call = {
    .args = { OUT(RB(R_RAX)), IN(RB(R_RDI), 0) },
    .call_clobber = true };
static const RAOpConstraint c_qemu_ld = {
    .args = { OUT(ALL_REGS), R_ANY },
    .nb_scratch = 2, .scratch_regs = AVAIL_REGS };
static const RAOpConstraint c_qemu_st_r = {
    .args = { R_ANY, R_ANY },
    .nb_scratch = 2, .scratch_regs = AVAIL_REGS };
static const RAOpConstraint c_qemu_st_e = {
    .args = { IN(ALL_REGS, CT_S32), R_ANY },
    .nb_scratch = 2, .scratch_regs = AVAIL_REGS };

static bool arg_is_const(const TCGOp *op, unsigned i)
{
    return ra_temp_is_const(arg_temp(op->args[i]));
}

static const RAOpConstraint *x86_constraint(TCGContext *s, const TCGOp *op)
{
    const X86State *xs = s->backend_data;

    switch (op->opc) {
    case INDEX_op_br:
    case INDEX_op_goto_tb:
    case INDEX_op_exit_tb:
    case INDEX_op_mb:
        return &c_none;
    case INDEX_op_goto_ptr:
        return &c_i;
    case INDEX_op_brcond:
        return &c_brcond;
    case INDEX_op_setcond:
    case INDEX_op_negsetcond:
    case INDEX_op_add:
    case INDEX_op_sub:
    case INDEX_op_mul:
    case INDEX_op_or:
    case INDEX_op_xor:
        return &c_o_i_ie;
    case INDEX_op_and:
        return &c_and;
    case INDEX_op_movcond:
        return &c_movcond;
    case INDEX_op_ld8u:
    case INDEX_op_ld8s:
    case INDEX_op_ld16u:
    case INDEX_op_ld16s:
    case INDEX_op_ld32u:
    case INDEX_op_ld32s:
    case INDEX_op_ld:
    case INDEX_op_neg:
    case INDEX_op_not:
    case INDEX_op_extract:
    case INDEX_op_sextract:
    case INDEX_op_ext8s:
    case INDEX_op_ext8u:
    case INDEX_op_ext16s:
    case INDEX_op_ext16u:
    case INDEX_op_ext32s:
    case INDEX_op_ext32u:
    case INDEX_op_ext_i32_i64:
    case INDEX_op_extu_i32_i64:
    case INDEX_op_extrl_i64_i32:
    case INDEX_op_extrh_i64_i32:
    case INDEX_op_bswap16:
    case INDEX_op_bswap32:
    case INDEX_op_bswap64:
        return &c_o_i;
    case INDEX_op_st8:
    case INDEX_op_st16:
    case INDEX_op_st32:
        return &c_st_any;
    case INDEX_op_st:
        return op->type == TCG_TYPE_I32 ? &c_st_any : &c_st_e;
    case INDEX_op_div:
    case INDEX_op_divu:
        return &c_div;
    case INDEX_op_rem:
    case INDEX_op_remu:
        return &c_rem;
    case INDEX_op_add2:
    case INDEX_op_sub2:
        return &c_addsub2;
    case INDEX_op_mulu2:
    case INDEX_op_muls2:
        return &c_mul2;
    case INDEX_op_muluh:
    case INDEX_op_mulsh:
        return &c_mulh;
    case INDEX_op_eqv:
    case INDEX_op_nand:
    case INDEX_op_nor:
    case INDEX_op_andc:
    case INDEX_op_orc:
    case INDEX_op_extract2:
        return &c_o_i_i;
    case INDEX_op_shl:
    case INDEX_op_shr:
    case INDEX_op_sar:
    case INDEX_op_rotl:
    case INDEX_op_rotr:
        if (arg_is_const(op, 2)) {
            return &c_o_i_iany;
        }
        if (have(xs, X86_FEAT_BMI2) && op->opc != INDEX_op_rotl &&
            op->opc != INDEX_op_rotr) {
            return &c_o_i_i;
        }
        return &c_shift_cl;
    case INDEX_op_deposit:
        return &c_deposit;
    case INDEX_op_clz:
    case INDEX_op_ctz:
        return &c_o_i_iany;
    case INDEX_op_ctpop:
        return have(xs, X86_FEAT_POPCNT) ? &c_o_i : &c_ctpop_call;
    case INDEX_op_qemu_ld:
        return &c_qemu_ld;
    case INDEX_op_qemu_st: {
        MemOp mop = get_memop(op->args[2]);
        if ((mop & MO_SIZE) == MO_64 && (mop & MO_BSWAP)) {
            return &c_qemu_st_r;
        }
        return &c_qemu_st_e;
    }
    default:
        fprintf(stderr, "tcg x86_64: no constraint for op %s\n",
                tcg_op_defs[op->opc].name);
        abort();
    }
}

static bool x86_const_match(TCGType type, int64_t val, unsigned ct)
{
    if (ct & CT_ANY) {
        return true;
    }
    if ((ct & (CT_S32 | CT_AND)) &&
        (type == TCG_TYPE_I32 || val == (int32_t)val)) {
        return true;
    }
    if ((ct & CT_AND) && val == 0xffffffffll) {
        return true;
    }
    return (ct & CT_ZERO) && val == 0;
}

static void x86_call(TCGContext *s, const void *func,
                     const TCGHelperInfo *info)
{
    out_call_rx(s, func);
}

static const RATarget x86_target = {
    .avail = AVAIL_REGS,
    .call_clobbered = CALL_CLOBBERED & AVAIL_REGS,
    /*
     * Callee-saved registers first: their values survive helper calls.
     * rcx, rdx and rax last: shifts, multiplies and divides want them.
     */
    .nb_order = 13,
    .order = { R_RBX, R_R12, R_R13, R_R14, R_R15, R_R10, R_R9, R_R8,
               R_RSI, R_RDI, R_RAX, R_RDX, R_RCX },
    .nb_call_arg_regs = 6,
    .call_arg_regs = { R_RDI, R_RSI, R_RDX, R_RCX, R_R8, R_R9 },
    .call_ret_reg = R_RAX,
    .frame_reg = R_RSP,
    .tmp_reg = TCG_TMP,
    .call_stack_ofs = 0,
    .frame_start = FRAME_SPILL_OFS,
    .frame_end = FRAME_SPILL_OFS + FRAME_SPILL_SLOTS * 8,
    .mov = out_mov,
    .movi = out_movi,
    .ld = out_ld,
    .st = out_st,
    .sti = out_sti,
    .call_ext = out_call_ext,
    .const_match = x86_const_match,
    .constraint = x86_constraint,
    .op = x86_op,
    .call = x86_call,
    .label = x86_label,
};

/* ---- The back end interface ---- */

static const uint8_t callee_saved[6] = {
    R_RBP, R_RBX, R_R12, R_R13, R_R14, R_R15,
};

static void out_push(TCGContext *s, int reg)
{
    x86_opc(s, 0x50 + (reg & 7), 0, reg, 0);
}

static void out_pop(TCGContext *s, int reg)
{
    x86_opc(s, 0x58 + (reg & 7), 0, reg, 0);
}

static bool x86_init(TCGContext *s, Error **errp)
{
    X86State *xs = emu_new0(X86State, 1);

    ra_init(&xs->ra, s, &x86_target);
    s->backend_data = xs;
    tcg_x86_host_features();

    /* prologue(env, tb_code): save, frame, env in rbp, jump to the TB */
    s->code_gen_prologue = (uint8_t *)code_rx(s);
    x86_out32(s, 0xfa1e0ff3);           /* endbr64 */
    for (int i = 0; i < 6; i++) {
        out_push(s, callee_saved[i]);
    }
    x86_rr(s, OPC_ARITH_EvIz | P_W, ARITH_SUB, R_RSP);
    x86_out32(s, FRAME_SIZE);
    out_mov(s, TCG_TYPE_I64, TCG_AREG0, R_RDI);
    x86_rr(s, OPC_GRP5, EXT5_JMP, R_RSI);

    /* epilogue: the "exit with 0" entry of goto_ptr, then return rax */
    s->code_gen_epilogue = (uint8_t *)code_rx(s);
    x86_rr(s, OPC_ARITH_GvEv + (ARITH_XOR << 3), R_RAX, R_RAX);
    xs->epilogue_ret = code_rx(s);
    x86_rr(s, OPC_ARITH_EvIz | P_W, ARITH_ADD, R_RSP);
    x86_out32(s, FRAME_SIZE);
    for (int i = 5; i >= 0; i--) {
        out_pop(s, callee_saved[i]);
    }
    x86_out8(s, 0xc3);

    /* TBs start on a 16-byte boundary after it */
    while ((uintptr_t)s->code_ptr & 15) {
        x86_out8(s, 0xcc);
    }
    buffer_register(s, xs);
    return true;
}

/* after sigsetjmp: the state lives in xs, not in locals */
static int gen_code_body(TCGContext *s, X86State *xs, TranslationBlock *tb)
{
    uint8_t *start = xs->ra.code_start;
    int size;

    ra_gen_ops(&xs->ra);
    resolve_labels(s, xs);
    out_slow_paths(s, xs);
    ra_check_room(&xs->ra);

    size = s->code_ptr - start;
    if (tb) {
        tb->tc.ptr = tcg_splitwx_to_rx(s, start);
        tb->tc.size = size;
    }
    /* the caller places what follows (as for the interpreter) */
    s->code_ptr = start;
    return size;
}

static int x86_gen_code(TCGContext *s, TranslationBlock *tb)
{
    X86State *xs = s->backend_data;
    int err;

    xs->tb = tb;
    xs->nb_lrefs = 0;
    xs->nb_slow = 0;
    xs->feat = tcg_x86_host_features() &
               __atomic_load_n(&feature_mask, __ATOMIC_RELAXED);
    if (s->env) {
        s->env->reg = TCG_AREG0;
    }
    /* a retried TB must not see labels bound by the failed attempt */
    for (int i = 0; i < s->nb_labels; i++) {
        s->labels[i].has_value = false;
    }
    if (tb) {
        for (int n = 0; n < 2; n++) {
            tb->jmp_insn_offset[n] = TB_JMP_OFFSET_INVALID;
            tb->jmp_reset_offset[n] = TB_JMP_OFFSET_INVALID;
        }
    }

    xs->ra.code_start = s->code_ptr;

    err = sigsetjmp(xs->ra.jmp, 0);
    if (err) {
        s->code_ptr = xs->ra.code_start;
        return -err;
    }
    return gen_code_body(s, xs, tb);
}

static uintptr_t x86_exec(void *env, const void *tb_code)
{
    const void *prologue;
    ptrdiff_t rx_offset;

    if (!buffer_lookup((uintptr_t)tb_code, &prologue, &rx_offset)) {
        fprintf(stderr, "tcg x86_64: exec of %p outside any code buffer\n",
                tb_code);
        abort();
    }
    return ((uintptr_t (*)(void *, const void *))prologue)(env, tb_code);
}

static void x86_set_jmp_target(TranslationBlock *tb, int n, uintptr_t addr)
{
    const uint8_t *jmp_rx = (const uint8_t *)tb->tc.ptr +
                            tb->jmp_insn_offset[n];
    const void *prologue;
    ptrdiff_t rx_offset;
    intptr_t disp = addr - (uintptr_t)(jmp_rx + 5);
    int32_t *rel;

    assert(tb->jmp_insn_offset[n] != TB_JMP_OFFSET_INVALID);
    if (!buffer_lookup((uintptr_t)jmp_rx, &prologue, &rx_offset)) {
        abort();
    }
    if (disp != (int32_t)disp) {
        /* out of reach: leave the TB unchained */
        disp = tb->jmp_reset_offset[n] - (tb->jmp_insn_offset[n] + 5);
    }
    rel = (int32_t *)(jmp_rx + 1 - rx_offset);
    /* one aligned 4-byte store: other CPUs see the old or new target */
    __atomic_store_n(rel, (int32_t)disp, __ATOMIC_RELEASE);
}

const TCGBackend tcg_backend_native = {
    .name = "native",
    .init = x86_init,
    .gen_code = x86_gen_code,
    .exec = x86_exec,
    .set_jmp_target = x86_set_jmp_target,
};
