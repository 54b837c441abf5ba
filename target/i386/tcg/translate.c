/* x86 translator front end: table-driven decoder and IR generation. */
#include "emu/osdep.h"
#include "emu/log.h"
#include "tcg/tcg-op.h"
#include "exec/translator.h"
#include "target/i386/tcg/translate.h"
#include "target/i386/tcg/decode.h"

/* Prefix bits */
#define PREFIX_REPZ   0x01
#define PREFIX_REPNZ  0x02
#define PREFIX_LOCK   0x04
#define PREFIX_DATA   0x08
#define PREFIX_ADR    0x10
#define PREFIX_REX    0x20

#define X86_MAX_INSN_LEN 15

struct DisasContext {
    DisasContextBase base;
    CPUX86State *env;
    uint64_t cs_base;
    uint64_t pc_start;      /* linear address of the insn */
    uint64_t pc;            /* decode cursor */
    uint32_t flags;         /* TB flags */
    bool code64;
    bool code32;            /* CS.D (outside 64-bit mode) */
    bool ss32;              /* SS.B: 32-bit stack pointer */
    bool realmode;          /* CR0.PE = 0: selector loads set base = sel << 4 */
    int mem_index;          /* X86_MMU_IDX_*: user for CPL 3 */
    unsigned prefix;
    int override;           /* segment override, -1: none */
    unsigned rex_w, rex_r, rex_x, rex_b;
    MemOp dflag;            /* operand size of this insn */
    MemOp aflag;            /* address size */
    bool too_long;
    /* the shadow insn's TB: every exit goes back to the loop (no chaining) */
    bool exit_to_loop;
    /* cc_op as known at translation time, CC_OP_DYNAMIC: unknown */
    int cc_op;
    /* per-insn temps */
    TCGv_i64 T0, T1, T2, A0, EA;
};

static TCGv_i64 cpu_regs[CPU_NB_REGS];
static TCGv_i64 cpu_rip;
static TCGv_i32 cpu_cc_op;
static TCGv_i64 cpu_cc_dst, cpu_cc_src, cpu_cc_src2;
static TCGv_ptr cpu_env;

void x86_tcg_init(TCGContext *s)
{
    static const char names[CPU_NB_REGS][4] = {
        "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
    };

    cpu_env = tcg_global_env(s, "env");
    for (int i = 0; i < CPU_NB_REGS; i++) {
        cpu_regs[i] = tcg_global_mem_new_i64(cpu_env,
                                             offsetof(CPUX86State, regs[i]),
                                             names[i]);
    }
    cpu_rip = tcg_global_mem_new_i64(cpu_env, offsetof(CPUX86State, rip),
                                     "rip");
    cpu_cc_op = tcg_global_mem_new_i32(cpu_env, offsetof(CPUX86State, cc_op),
                                       "cc_op");
    cpu_cc_dst = tcg_global_mem_new_i64(cpu_env,
                                        offsetof(CPUX86State, cc_dst),
                                        "cc_dst");
    cpu_cc_src = tcg_global_mem_new_i64(cpu_env,
                                        offsetof(CPUX86State, cc_src),
                                        "cc_src");
    cpu_cc_src2 = tcg_global_mem_new_i64(cpu_env,
                                         offsetof(CPUX86State, cc_src2),
                                         "cc_src2");
}

/* ---- Code fetch ---- */

static uint8_t x86_ldub_code(DisasContext *s)
{
    if (s->pc - s->pc_start >= X86_MAX_INSN_LEN) {
        s->too_long = true;
        return 0;
    }
    return translator_ldub(s->env, &s->base, s->pc++);
}

static int64_t x86_ld_imm(DisasContext *s, MemOp ot)
{
    uint64_t v = 0;
    unsigned n = 1u << ot;

    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)x86_ldub_code(s) << (8 * i);
    }
    switch (ot) {
    case MO_8:
        return (int8_t)v;
    case MO_16:
        return (int16_t)v;
    case MO_32:
        return (int32_t)v;
    default:
        return (int64_t)v;
    }
}

/* ---- Registers ---- */

static void gen_op_mov_v_reg(DisasContext *s, MemOp ot, TCGv_i64 v, int reg,
                             bool high8)
{
    if (ot == MO_8 && high8) {
        tcg_gen_extract_i64(v, cpu_regs[reg - 4], 8, 8);
        return;
    }
    switch (ot) {
    case MO_8:
        tcg_gen_ext8u_i64(v, cpu_regs[reg]);
        break;
    case MO_16:
        tcg_gen_ext16u_i64(v, cpu_regs[reg]);
        break;
    case MO_32:
        tcg_gen_ext32u_i64(v, cpu_regs[reg]);
        break;
    default:
        tcg_gen_mov_i64(v, cpu_regs[reg]);
        break;
    }
}

/* Write with the size rules of 64-bit mode: 32-bit writes zero-extend */
static void gen_op_mov_reg_v(DisasContext *s, MemOp ot, int reg, TCGv_i64 v,
                             bool high8)
{
    if (ot == MO_8 && high8) {
        tcg_gen_deposit_i64(cpu_regs[reg - 4], cpu_regs[reg - 4], v, 8, 8);
        return;
    }
    switch (ot) {
    case MO_8:
        tcg_gen_deposit_i64(cpu_regs[reg], cpu_regs[reg], v, 0, 8);
        break;
    case MO_16:
        tcg_gen_deposit_i64(cpu_regs[reg], cpu_regs[reg], v, 0, 16);
        break;
    case MO_32:
        tcg_gen_ext32u_i64(cpu_regs[reg], v);
        break;
    default:
        tcg_gen_mov_i64(cpu_regs[reg], v);
        break;
    }
}

/* Byte register numbers without REX name AH..BH for 4-7 */
static bool byte_reg_is_high(DisasContext *s, int reg)
{
    return reg >= 4 && reg < 8 && !(s->prefix & PREFIX_REX);
}

/* ---- Memory ---- */

static void gen_ld(DisasContext *s, TCGv_i64 v, TCGv_i64 addr, MemOp ot)
{
    tcg_gen_qemu_ld_i64(v, addr, s->mem_index, ot | MO_LE);
}

static void gen_st(DisasContext *s, TCGv_i64 v, TCGv_i64 addr, MemOp ot)
{
    tcg_gen_qemu_st_i64(v, addr, s->mem_index, ot | MO_LE);
}

/* Linear address of ea in segment seg (only FS/GS have a base in 64-bit) */
/*
 * Outside 64-bit mode every access adds its segment base, read from env
 * at run time (so loading DS/ES/SS needs no new translation; ADDSEG is not
 * used to skip the add yet) and the linear address wraps at 4 GiB.
 * Limits and the A20 wrap are not checked.
 */
static void gen_lea_seg_sz(DisasContext *s, TCGv_i64 dst, TCGv_i64 ea,
                           int seg, MemOp asz)
{
    if (asz == MO_32) {
        tcg_gen_ext32u_i64(dst, ea);
    } else if (asz == MO_16) {
        tcg_gen_ext16u_i64(dst, ea);
    } else {
        tcg_gen_mov_i64(dst, ea);
    }
    if (seg == R_FS || seg == R_GS || !s->code64) {
        TCGv_i64 base = tcg_temp_new_i64();
        tcg_gen_ld_i64(base, cpu_env,
                       offsetof(CPUX86State, segs[seg].base));
        tcg_gen_add_i64(dst, dst, base);
        tcg_temp_free_i64(base);
        if (!s->code64) {
            tcg_gen_ext32u_i64(dst, dst);
        }
    }
}

static void gen_lea_seg(DisasContext *s, TCGv_i64 dst, TCGv_i64 ea, int seg)
{
    gen_lea_seg_sz(s, dst, ea, seg, s->aflag);
}

/* ---- Flags ---- */

#define CC_OP_DYNAMIC (-1)

static void set_cc_op(DisasContext *s, int op)
{
    tcg_gen_movi_i32(cpu_cc_op, op);
    s->cc_op = op;
}

/*
 * Condition cc (the low nibble of Jcc) as one comparison "a cond b" of
 * values taken from the lazy state, computed into the scratch temps x
 * and y; false when the state is unknown or the flag needs the helper.
 */
typedef struct CondPrep {
    TCGCond cond;
    TCGv_i64 a, b;          /* the condition is "a cond b" */
} CondPrep;

static bool gen_cond_prep(DisasContext *s, int cc, TCGv_i64 x, TCGv_i64 y,
                          CondPrep *p)
{
    int op = s->cc_op;
    MemOp ot = op & 3;
    TCGv_i64 zero = tcg_constant_i64(0);

    if (op == CC_OP_DYNAMIC || (op & ~3) == CC_OP_EFLAGS) {
        return false;
    }
    p->a = x;
    p->b = zero;
    /* ZF and SF come from the result for every other cc_op */
    if ((cc >> 1) == 2 || (cc >> 1) == 4) {
        tcg_gen_ext_i64(x, cpu_cc_dst, ot | ((cc >> 1) == 4 ? MO_SIGN : 0));
        p->cond = (cc >> 1) == 4 ? TCG_COND_LT : TCG_COND_EQ;
        goto done;
    }
    /* CF where it is one compare or one bit away */
    if ((cc >> 1) == 1) {
        p->cond = TCG_COND_NE;
        switch (op & ~3) {
        case CC_OP_ADD:
            tcg_gen_ext_i64(x, cpu_cc_dst, ot);
            tcg_gen_ext_i64(y, cpu_cc_src, ot);
            p->b = y;
            p->cond = TCG_COND_LTU;
            goto done;
        case CC_OP_SHR:
        case CC_OP_SAR:
            tcg_gen_andi_i64(x, cpu_cc_src, 1);
            goto done;
        case CC_OP_SHL:
            tcg_gen_extract_i64(x, cpu_cc_src, (8 << ot) - 1, 1);
            goto done;
        case CC_OP_INC:
        case CC_OP_DEC:
            tcg_gen_andi_i64(x, cpu_cc_src2, 1);
            goto done;
        case CC_OP_MUL:
            p->a = cpu_cc_src;
            goto done;
        default:
            break;
        }
    }
    if ((op & ~3) == CC_OP_LOGIC) {
        switch (cc >> 1) {
        case 0: /* O */
        case 1: /* B */
            tcg_gen_movi_i64(x, 0);
            p->cond = TCG_COND_NE;
            break;
        case 3: /* BE */
            tcg_gen_ext_i64(x, cpu_cc_dst, ot);
            p->cond = TCG_COND_EQ;
            break;
        case 6: /* L */
            tcg_gen_ext_i64(x, cpu_cc_dst, ot | MO_SIGN);
            p->cond = TCG_COND_LT;
            break;
        case 7: /* LE */
            tcg_gen_ext_i64(x, cpu_cc_dst, ot | MO_SIGN);
            p->cond = TCG_COND_LE;
            break;
        default:
            return false;
        }
    } else if ((op & ~3) == CC_OP_SUB) {
        switch (cc >> 1) {
        case 1:
            p->cond = TCG_COND_LTU;
            break;
        case 3:
            p->cond = TCG_COND_LEU;
            break;
        case 6:
            p->cond = TCG_COND_LT;
            break;
        case 7:
            p->cond = TCG_COND_LE;
            break;
        default:
            return false;
        }
        /* the operands: a = dst + src, b = src */
        tcg_gen_add_i64(x, cpu_cc_dst, cpu_cc_src);
        if (p->cond == TCG_COND_LT || p->cond == TCG_COND_LE) {
            tcg_gen_ext_i64(x, x, ot | MO_SIGN);
            tcg_gen_ext_i64(y, cpu_cc_src, ot | MO_SIGN);
        } else {
            tcg_gen_ext_i64(x, x, ot);
            tcg_gen_ext_i64(y, cpu_cc_src, ot);
        }
        p->b = y;
    } else {
        return false;
    }
done:
    if (cc & 1) {
        p->cond = tcg_invert_cond(p->cond);
    }
    return true;
}

/*
 * Conditions straight from the lazy state (the common "cmp; jcc" and
 * "test; jcc"), without computing EFLAGS: v = 0 or 1.  Returns false
 * where the generic path must be used.
 */
static bool gen_cond_fast(DisasContext *s, int cc, TCGv_i64 v)
{
    TCGv_i64 x = tcg_temp_new_i64(), y = tcg_temp_new_i64();
    CondPrep p;
    bool ok = gen_cond_prep(s, cc, x, y, &p);

    if (ok) {
        tcg_gen_setcond_i64(p.cond, v, p.a, p.b);
    }
    tcg_temp_free_i64(x);
    tcg_temp_free_i64(y);
    return ok;
}

/* OSZAPC into v */
static void gen_compute_eflags(DisasContext *s, TCGv_i64 v)
{
    tcg_gen_call4(&x86_helper_cc_compute, tcgv_i64_temp(v),
                  tcgv_i32_temp(cpu_cc_op), tcgv_i64_temp(cpu_cc_dst),
                  tcgv_i64_temp(cpu_cc_src), tcgv_i64_temp(cpu_cc_src2));
}

static void gen_compute_cf(DisasContext *s, TCGv_i64 v)
{
    /* condition 2 is "B": CF, already 0 or 1 */
    if (gen_cond_fast(s, 2, v)) {
        return;
    }
    gen_compute_eflags(s, v);
    tcg_gen_andi_i64(v, v, CC_C);
}

/* v = condition cc (the low nibble of Jcc) holds, 0 or 1 */
static void gen_cond(DisasContext *s, int cc, TCGv_i64 v)
{
    TCGv_i64 f, t;

    if (gen_cond_fast(s, cc, v)) {
        return;
    }
    f = tcg_temp_new_i64();
    t = tcg_temp_new_i64();
    gen_compute_eflags(s, f);
    switch (cc >> 1) {
    case 0: /* O */
        tcg_gen_extract_i64(v, f, 11, 1);
        break;
    case 1: /* B */
        tcg_gen_andi_i64(v, f, 1);
        break;
    case 2: /* Z */
        tcg_gen_extract_i64(v, f, 6, 1);
        break;
    case 3: /* BE */
        tcg_gen_andi_i64(t, f, CC_C | CC_Z);
        tcg_gen_setcondi_i64(TCG_COND_NE, v, t, 0);
        break;
    case 4: /* S */
        tcg_gen_extract_i64(v, f, 7, 1);
        break;
    case 5: /* P */
        tcg_gen_extract_i64(v, f, 2, 1);
        break;
    case 6: /* L: SF != OF */
        tcg_gen_shri_i64(t, f, 4);
        tcg_gen_xor_i64(t, t, f);
        tcg_gen_extract_i64(v, t, 7, 1);
        break;
    default: /* LE: ZF or SF != OF */
        tcg_gen_shri_i64(t, f, 4);
        tcg_gen_xor_i64(t, t, f);
        tcg_gen_andi_i64(t, t, CC_S);
        tcg_gen_andi_i64(f, f, CC_Z);
        tcg_gen_or_i64(t, t, f);
        tcg_gen_setcondi_i64(TCG_COND_NE, v, t, 0);
        break;
    }
    if (cc & 1) {
        tcg_gen_xori_i64(v, v, 1);
    }
    tcg_temp_free_i64(t);
    tcg_temp_free_i64(f);
}

/* ---- Control flow ---- */

static void gen_update_rip(DisasContext *s, uint64_t pc)
{
    tcg_gen_movi_i64(cpu_rip, pc - s->cs_base);
}

/* Leave the TB for the loop, which checks for interrupts before the next */
static void gen_goto_ptr(DisasContext *s)
{
    if (s->exit_to_loop) {
        tcg_gen_exit_tb(NULL, 0);
    } else {
        tcg_gen_lookup_and_goto_ptr();
    }
}

/*
 * Leave the TB for rip = dest (a value), the mode unchanged: near jumps,
 * calls and returns keep CS and every TB flag (an insn that changes them
 * ends its TB through gen_exit_dynamic), so the next TB's key is this
 * one's with another pc, and the jump cache can be probed inline.
 */
static void gen_goto_rip_same_mode(DisasContext *s, TCGv_i64 dest)
{
    if (s->exit_to_loop) {
        tcg_gen_exit_tb(NULL, 0);
    } else if (s->cs_base == 0) {
        translator_goto_ptr(&s->base, dest);
    } else {
        TCGv_i64 pc = tcg_temp_new_i64();

        tcg_gen_addi_i64(pc, dest, (int64_t)s->cs_base);
        translator_goto_ptr(&s->base, pc);
        tcg_temp_free_i64(pc);
    }
}

static void gen_jmp_tb(DisasContext *s, uint64_t dest, unsigned n)
{
    if (s->exit_to_loop) {
        gen_update_rip(s, dest);
        tcg_gen_exit_tb(NULL, 0);
    } else if (translator_use_goto_tb(&s->base, dest)) {
        tcg_gen_goto_tb(n);
        gen_update_rip(s, dest);
        tcg_gen_exit_tb(s->base.tb, n);
    } else {
        gen_update_rip(s, dest);
        gen_goto_rip_same_mode(s, tcg_constant_i64(dest - s->cs_base));
    }
}

static void gen_exception(DisasContext *s, int excp)
{
    gen_update_rip(s, s->pc_start);
    tcg_gen_call2(&x86_helper_raise, NULL, tcgv_ptr_temp(cpu_env),
                  tcgv_i32_temp(tcg_constant_i32(excp)));
    s->base.is_jmp = DISAS_NORETURN;
}

static void gen_illegal(DisasContext *s)
{
    if (emu_log_enabled(LOG_UNIMP)) {
        char buf[3 * X86_MAX_INSN_LEN + 1];
        size_t n = 0;

        for (uint64_t p = s->pc_start;
             p < s->pc && p < s->pc_start + X86_MAX_INSN_LEN; p++) {
            n += snprintf(buf + n, sizeof(buf) - n, " %02x",
                          translator_ldub(s->env, &s->base, p));
        }
        buf[n] = 0;
        emu_log("x86: illegal or unimplemented opcode at 0x%" PRIx64 ":%s\n",
                s->pc_start, buf);
    }
    gen_exception(s, EXCP06_ILLOP);
}

/* ---- Operands ---- */

static void gen_load(DisasContext *s, X86DecodedInsn *d, int i, TCGv_i64 v)
{
    X86DecodedOp *op = &d->op[i];

    switch (op->kind) {
    case X86_OP_I:
        tcg_gen_movi_i64(v, d->imm);
        break;
    case X86_OP_1:
        tcg_gen_movi_i64(v, 1);
        break;
    case X86_OP_J:
        tcg_gen_movi_i64(v, d->target);
        break;
    default:
        if (op->mem) {
            gen_ld(s, v, s->A0, op->ot);
        } else {
            gen_op_mov_v_reg(s, op->ot, v, op->reg, op->high8);
        }
        break;
    }
}

static void gen_store(DisasContext *s, X86DecodedInsn *d, int i, TCGv_i64 v)
{
    X86DecodedOp *op = &d->op[i];

    if (op->mem) {
        gen_st(s, v, s->A0, op->ot);
    } else {
        gen_op_mov_reg_v(s, op->ot, op->reg, v, op->high8);
    }
}

/* ---- Generators ---- */

/* Operand size of push/pop: 16 or 64 in 64-bit mode, else dflag */
static MemOp stack_ot(DisasContext *s)
{
    if (s->code64) {
        return s->dflag == MO_16 ? MO_16 : MO_64;
    }
    return s->dflag;
}

/* Width of the stack pointer: SS.B outside 64-bit mode */
static MemOp stack_asz(DisasContext *s)
{
    return s->code64 ? MO_64 : s->ss32 ? MO_32 : MO_16;
}

static void gen_push_v(DisasContext *s, TCGv_i64 v, MemOp ot)
{
    TCGv_i64 sp = tcg_temp_new_i64(), a = tcg_temp_new_i64();
    MemOp asz = stack_asz(s);

    tcg_gen_subi_i64(sp, cpu_regs[R_ESP], 1 << ot);
    gen_lea_seg_sz(s, a, sp, R_SS, asz);
    gen_st(s, v, a, ot);
    gen_op_mov_reg_v(s, asz, R_ESP, sp, false);
    tcg_temp_free_i64(sp);
    tcg_temp_free_i64(a);
}

/* Load the value at (E)SP + off */
static void gen_pop_v_off(DisasContext *s, TCGv_i64 v, MemOp ot, int off)
{
    TCGv_i64 a = tcg_temp_new_i64();

    tcg_gen_addi_i64(a, cpu_regs[R_ESP], off);
    gen_lea_seg_sz(s, a, a, R_SS, stack_asz(s));
    gen_ld(s, v, a, ot);
    tcg_temp_free_i64(a);
}

static void gen_pop_v(DisasContext *s, TCGv_i64 v, MemOp ot)
{
    gen_pop_v_off(s, v, ot, 0);
}

static void gen_sp_add(DisasContext *s, int64_t n)
{
    TCGv_i64 sp = tcg_temp_new_i64();

    tcg_gen_addi_i64(sp, cpu_regs[R_ESP], n);
    gen_op_mov_reg_v(s, stack_asz(s), R_ESP, sp, false);
    tcg_temp_free_i64(sp);
}

static void gen_pop_update(DisasContext *s, MemOp ot)
{
    gen_sp_add(s, 1 << ot);
}

static void gen_alu_op(DisasContext *s, int op, MemOp ot, TCGv_i64 a,
                       TCGv_i64 b, X86DecodedInsn *d, bool store)
{
    TCGv_i64 res = s->T2;
    TCGv_i64 c = NULL;

    switch (op) {
    case 0: /* add */
        tcg_gen_add_i64(res, a, b);
        break;
    case 1: /* or */
        tcg_gen_or_i64(res, a, b);
        break;
    case 2: /* adc */
        c = tcg_temp_new_i64();
        gen_compute_cf(s, c);
        tcg_gen_add_i64(res, a, b);
        tcg_gen_add_i64(res, res, c);
        break;
    case 3: /* sbb */
        c = tcg_temp_new_i64();
        gen_compute_cf(s, c);
        tcg_gen_sub_i64(res, a, b);
        tcg_gen_sub_i64(res, res, c);
        break;
    case 4: /* and */
        tcg_gen_and_i64(res, a, b);
        break;
    case 5: /* sub */
    case 7: /* cmp */
        tcg_gen_sub_i64(res, a, b);
        break;
    default: /* xor */
        tcg_gen_xor_i64(res, a, b);
        break;
    }
    if (store && op != 7) {
        gen_store(s, d, 0, res);
    }
    tcg_gen_mov_i64(cpu_cc_dst, res);
    switch (op) {
    case 0:
        tcg_gen_mov_i64(cpu_cc_src, b);
        set_cc_op(s, CC_OP_ADD + ot);
        break;
    case 2:
    case 3:
        tcg_gen_mov_i64(cpu_cc_src, b);
        tcg_gen_mov_i64(cpu_cc_src2, c);
        set_cc_op(s, (op == 2 ? CC_OP_ADC : CC_OP_SBB) + ot);
        tcg_temp_free_i64(c);
        break;
    case 5:
    case 7:
        tcg_gen_mov_i64(cpu_cc_src, b);
        set_cc_op(s, CC_OP_SUB + ot);
        break;
    default:
        set_cc_op(s, CC_OP_LOGIC + ot);
        break;
    }
}

static void gen_ALU(DisasContext *s, X86DecodedInsn *d)
{
    int op = d->e->table ? (int)(d->modrm >> 3 & 7) : d->e->special;

    gen_load(s, d, 0, s->T0);
    gen_load(s, d, 1, s->T1);
    gen_alu_op(s, op, d->op[0].ot, s->T0, s->T1, d, true);
}

static void gen_TEST(DisasContext *s, X86DecodedInsn *d)
{
    gen_load(s, d, 0, s->T0);
    gen_load(s, d, 1, s->T1);
    gen_alu_op(s, 4, d->op[0].ot, s->T0, s->T1, d, false);
}

static void gen_INCDEC(DisasContext *s, X86DecodedInsn *d)
{
    /* 40-4f outside 64-bit mode: no ModRM, dec is opcode bit 3 */
    bool dec = d->has_modrm ? (d->modrm >> 3) & 1 : (d->b >> 3) & 1;
    MemOp ot = d->op[0].ot;

    gen_load(s, d, 0, s->T0);
    tcg_gen_addi_i64(s->T0, s->T0, dec ? -1 : 1);
    gen_store(s, d, 0, s->T0);
    gen_compute_cf(s, cpu_cc_src2);
    tcg_gen_mov_i64(cpu_cc_dst, s->T0);
    set_cc_op(s, (dec ? CC_OP_DEC : CC_OP_INC) + ot);
}

static void gen_NOT(DisasContext *s, X86DecodedInsn *d)
{
    gen_load(s, d, 0, s->T0);
    tcg_gen_not_i64(s->T0, s->T0);
    gen_store(s, d, 0, s->T0);
}

static void gen_NEG(DisasContext *s, X86DecodedInsn *d)
{
    gen_load(s, d, 0, s->T1);
    tcg_gen_neg_i64(s->T0, s->T1);
    gen_store(s, d, 0, s->T0);
    tcg_gen_mov_i64(cpu_cc_dst, s->T0);
    tcg_gen_mov_i64(cpu_cc_src, s->T1);
    set_cc_op(s, CC_OP_SUB + d->op[0].ot);
}

static void gen_MOV(DisasContext *s, X86DecodedInsn *d)
{
    gen_load(s, d, 1, s->T0);
    gen_store(s, d, 0, s->T0);
}

/* movzx/movsx/movsxd: special 1 = sign-extend */
static void gen_MOVX(DisasContext *s, X86DecodedInsn *d)
{
    gen_load(s, d, 1, s->T0);
    if (d->e->special) {
        tcg_gen_ext_i64(s->T0, s->T0, d->op[1].ot | MO_SIGN);
    }
    gen_store(s, d, 0, s->T0);
}

static void gen_LEA(DisasContext *s, X86DecodedInsn *d)
{
    if (s->aflag == MO_32) {
        tcg_gen_ext32u_i64(s->T0, s->EA);
    } else if (s->aflag == MO_16) {
        tcg_gen_ext16u_i64(s->T0, s->EA);
    } else {
        tcg_gen_mov_i64(s->T0, s->EA);
    }
    gen_store(s, d, 0, s->T0);
}

static void gen_XCHG(DisasContext *s, X86DecodedInsn *d)
{
    gen_load(s, d, 0, s->T0);
    gen_load(s, d, 1, s->T1);
    gen_store(s, d, 0, s->T1);
    gen_store(s, d, 1, s->T0);
}

static void gen_NOP(DisasContext *s, X86DecodedInsn *d)
{
}

/* 90: nop, or xchg with r8 under REX.B */
static void gen_XCHG_AX(DisasContext *s, X86DecodedInsn *d)
{
    if (d->op[0].reg == R_EAX) {
        if (s->prefix & PREFIX_REPZ) {
            /* pause: a spin-wait; let the other vCPUs run */
            gen_update_rip(s, s->pc);
            tcg_gen_call1(&x86_helper_pause, NULL, tcgv_ptr_temp(cpu_env));
            s->base.is_jmp = DISAS_NORETURN;
        }
        return;
    }
    gen_XCHG(s, d);
}

static void gen_XADD(DisasContext *s, X86DecodedInsn *d)
{
    gen_load(s, d, 0, s->T0);
    gen_load(s, d, 1, s->T1);
    tcg_gen_add_i64(s->T2, s->T0, s->T1);
    /* with the same register twice, the sum wins */
    gen_store(s, d, 1, s->T0);
    gen_store(s, d, 0, s->T2);
    tcg_gen_mov_i64(cpu_cc_dst, s->T2);
    tcg_gen_mov_i64(cpu_cc_src, s->T1);
    set_cc_op(s, CC_OP_ADD + d->op[0].ot);
}

/*
 * A memory destination is always written (the locked write-back); a
 * register destination only on success: a failed 32-bit cmpxchg leaves
 * its upper half alone, as hardware does.
 */
static void gen_CMPXCHG(DisasContext *s, X86DecodedInsn *d)
{
    MemOp ot = d->op[0].ot;
    TCGv_i64 acc = tcg_temp_new_i64();
    TCGLabel *ne = gen_new_label(), *done = gen_new_label();

    gen_load(s, d, 0, s->T0);
    gen_load(s, d, 1, s->T1);
    gen_op_mov_v_reg(s, ot, acc, R_EAX, false);
    if (d->op[0].mem) {
        tcg_gen_movcond_i64(TCG_COND_EQ, s->T2, acc, s->T0, s->T1, s->T0);
        gen_store(s, d, 0, s->T2);
    }
    tcg_gen_sub_i64(cpu_cc_dst, acc, s->T0);
    tcg_gen_mov_i64(cpu_cc_src, s->T0);
    set_cc_op(s, CC_OP_SUB + ot);
    tcg_gen_brcond_i64(TCG_COND_NE, acc, s->T0, ne);
    if (!d->op[0].mem) {
        gen_store(s, d, 0, s->T1);
    }
    tcg_gen_br(done);
    gen_set_label(ne);
    gen_op_mov_reg_v(s, ot, R_EAX, s->T0, false);
    gen_set_label(done);
    tcg_temp_free_i64(acc);
}

/*
 * cmpxchg8b / cmpxchg16b (REX.W): only ZF changes; rDX:rAX are loaded
 * only on failure (32-bit writes, so zero-extended for 8b).
 */
static void gen_CMPXCHG8B(DisasContext *s, X86DecodedInsn *d)
{
    TCGv_i64 eq = tcg_temp_new_i64(), f = tcg_temp_new_i64();
    TCGLabel *done = gen_new_label();

    if (s->rex_w) {
        TCGv_i64 hi = tcg_temp_new_i64(), a8 = tcg_temp_new_i64();
        TCGLabel *aligned = gen_new_label();

        tcg_gen_andi_i64(eq, s->A0, 15);
        tcg_gen_brcondi_i64(TCG_COND_EQ, eq, 0, aligned);
        gen_exception(s, EXCP0D_GPF);
        s->base.is_jmp = DISAS_NEXT;
        gen_set_label(aligned);
        tcg_gen_addi_i64(a8, s->A0, 8);
        gen_ld(s, s->T0, s->A0, MO_64);
        gen_ld(s, hi, a8, MO_64);
        tcg_gen_setcond_i64(TCG_COND_EQ, eq, s->T0, cpu_regs[R_EAX]);
        tcg_gen_setcond_i64(TCG_COND_EQ, f, hi, cpu_regs[R_EDX]);
        tcg_gen_and_i64(eq, eq, f);
        tcg_gen_movcond_i64(TCG_COND_NE, s->T1, eq, tcg_constant_i64(0),
                            cpu_regs[R_EBX], s->T0);
        tcg_gen_movcond_i64(TCG_COND_NE, s->T2, eq, tcg_constant_i64(0),
                            cpu_regs[R_ECX], hi);
        gen_st(s, s->T2, a8, MO_64);
        gen_st(s, s->T1, s->A0, MO_64);
        gen_compute_eflags(s, f);
        tcg_gen_andi_i64(f, f, ~(int64_t)CC_Z);
        tcg_gen_shli_i64(s->T1, eq, 6);
        tcg_gen_or_i64(cpu_cc_src, f, s->T1);
        set_cc_op(s, CC_OP_EFLAGS);
        tcg_gen_brcondi_i64(TCG_COND_NE, eq, 0, done);
        tcg_gen_mov_i64(cpu_regs[R_EAX], s->T0);
        tcg_gen_mov_i64(cpu_regs[R_EDX], hi);
        tcg_temp_free_i64(hi);
        tcg_temp_free_i64(a8);
    } else {
        gen_ld(s, s->T0, s->A0, MO_64);
        tcg_gen_concat32_i64(s->T1, cpu_regs[R_EAX], cpu_regs[R_EDX]);
        tcg_gen_setcond_i64(TCG_COND_EQ, eq, s->T0, s->T1);
        tcg_gen_concat32_i64(s->T1, cpu_regs[R_EBX], cpu_regs[R_ECX]);
        tcg_gen_movcond_i64(TCG_COND_NE, s->T2, eq, tcg_constant_i64(0),
                            s->T1, s->T0);
        gen_st(s, s->T2, s->A0, MO_64);
        gen_compute_eflags(s, f);
        tcg_gen_andi_i64(f, f, ~(int64_t)CC_Z);
        tcg_gen_shli_i64(s->T1, eq, 6);
        tcg_gen_or_i64(cpu_cc_src, f, s->T1);
        set_cc_op(s, CC_OP_EFLAGS);
        tcg_gen_brcondi_i64(TCG_COND_NE, eq, 0, done);
        tcg_gen_ext32u_i64(cpu_regs[R_EAX], s->T0);
        tcg_gen_shri_i64(cpu_regs[R_EDX], s->T0, 32);
    }
    gen_set_label(done);
    tcg_temp_free_i64(eq);
    tcg_temp_free_i64(f);
}

static void gen_MUL1(DisasContext *s, X86DecodedInsn *d)
{
    MemOp ot = d->op[0].ot;
    bool sgn = d->e->special;
    TCGv_i64 a = s->T0, b = s->T1, lo = s->T2, hi = tcg_temp_new_i64();

    gen_load(s, d, 0, b);
    gen_op_mov_v_reg(s, ot, a, R_EAX, false);
    if (ot == MO_64) {
        if (sgn) {
            tcg_gen_muls2_i64(lo, hi, a, b);
        } else {
            tcg_gen_mulu2_i64(lo, hi, a, b);
        }
        tcg_gen_mov_i64(cpu_regs[R_EAX], lo);
        tcg_gen_mov_i64(cpu_regs[R_EDX], hi);
        if (sgn) {
            tcg_gen_sari_i64(a, lo, 63);
            tcg_gen_setcond_i64(TCG_COND_NE, cpu_cc_src, hi, a);
        } else {
            tcg_gen_setcondi_i64(TCG_COND_NE, cpu_cc_src, hi, 0);
        }
    } else {
        unsigned bits = 8 << ot;
        if (sgn) {
            tcg_gen_ext_i64(a, a, ot | MO_SIGN);
            tcg_gen_ext_i64(b, b, ot | MO_SIGN);
        }
        tcg_gen_mul_i64(lo, a, b);
        if (sgn) {
            tcg_gen_ext_i64(a, lo, ot | MO_SIGN);
            tcg_gen_setcond_i64(TCG_COND_NE, cpu_cc_src, lo, a);
        } else {
            tcg_gen_shri_i64(a, lo, bits);
            tcg_gen_setcondi_i64(TCG_COND_NE, cpu_cc_src, a, 0);
        }
        tcg_gen_shri_i64(hi, lo, bits);
        if (ot == MO_8) {
            gen_op_mov_reg_v(s, MO_16, R_EAX, lo, false);
        } else {
            gen_op_mov_reg_v(s, ot, R_EAX, lo, false);
            gen_op_mov_reg_v(s, ot, R_EDX, hi, false);
        }
    }
    tcg_gen_mov_i64(cpu_cc_dst, lo);
    set_cc_op(s, CC_OP_MUL + ot);
    tcg_temp_free_i64(hi);
}

/* imul Gv, Ev[, I]: the truncated product, CF = OF = it overflowed */
static void gen_IMUL(DisasContext *s, X86DecodedInsn *d)
{
    MemOp ot = d->op[0].ot;
    TCGv_i64 hi = tcg_temp_new_i64();

    gen_load(s, d, 1, s->T0);
    gen_load(s, d, d->op[2].kind ? 2 : 0, s->T1);
    if (ot == MO_64) {
        tcg_gen_muls2_i64(s->T2, hi, s->T0, s->T1);
        tcg_gen_sari_i64(s->T0, s->T2, 63);
        tcg_gen_setcond_i64(TCG_COND_NE, cpu_cc_src, hi, s->T0);
    } else {
        tcg_gen_ext_i64(s->T0, s->T0, ot | MO_SIGN);
        tcg_gen_ext_i64(s->T1, s->T1, ot | MO_SIGN);
        tcg_gen_mul_i64(s->T2, s->T0, s->T1);
        tcg_gen_ext_i64(s->T0, s->T2, ot | MO_SIGN);
        tcg_gen_setcond_i64(TCG_COND_NE, cpu_cc_src, s->T2, s->T0);
    }
    gen_store(s, d, 0, s->T2);
    tcg_gen_mov_i64(cpu_cc_dst, s->T2);
    set_cc_op(s, CC_OP_MUL + ot);
    tcg_temp_free_i64(hi);
}

static void gen_DIV(DisasContext *s, X86DecodedInsn *d)
{
    gen_load(s, d, 0, s->T0);
    gen_update_rip(s, s->pc_start);
    tcg_gen_call3(&x86_helper_div, NULL, tcgv_ptr_temp(cpu_env),
                  tcgv_i32_temp(tcg_constant_i32(d->op[0].ot |
                                                 (d->e->special ? 4 : 0))),
                  tcgv_i64_temp(s->T0));
}

/*
 * shl/sal/shr/sar inline, with lazy flags: cc_dst is the result, cc_src
 * the operand shifted by count - 1 (its last bit out is CF).  A count of
 * zero (after masking) changes no flag: with a count in CL the previous
 * lazy state is kept by movcond, and the translator forgets its cc_op.
 */
static void gen_shift_inline(DisasContext *s, X86DecodedInsn *d, unsigned op)
{
    MemOp ot = d->op[0].ot;
    unsigned cmask = ot == MO_64 ? 63 : 31;
    int cc_op = op == 7 ? CC_OP_SAR : op == 5 ? CC_OP_SHR : CC_OP_SHL;
    TCGv_i64 val = s->T0, res = s->T2, out = s->T1;

    gen_load(s, d, 0, val);
    /* the operand as the shift sees it: zero- or sign-extended */
    tcg_gen_ext_i64(val, val, ot | (op == 7 ? MO_SIGN : 0));
    if (d->op[1].kind == X86_OP_1 || d->op[1].kind == X86_OP_I) {
        unsigned c = (d->op[1].kind == X86_OP_1 ? 1 : (unsigned)d->imm) &
                     cmask;

        /* the caller sends a zero count to the helper */
        switch (op) {
        case 5:
            tcg_gen_shri_i64(out, val, c - 1);
            tcg_gen_shri_i64(res, val, c);
            break;
        case 7:
            tcg_gen_sari_i64(out, val, c - 1);
            tcg_gen_sari_i64(res, val, c);
            break;
        default:
            tcg_gen_shli_i64(out, val, c - 1);
            tcg_gen_shli_i64(res, val, c);
            break;
        }
        gen_store(s, d, 0, res);
        tcg_gen_mov_i64(cpu_cc_dst, res);
        tcg_gen_mov_i64(cpu_cc_src, out);
        set_cc_op(s, cc_op + ot);
    } else {
        TCGv_i64 cnt = tcg_temp_new_i64(), cm1 = tcg_temp_new_i64();
        TCGv_i64 zero = tcg_constant_i64(0);
        TCGv_i32 cnt32 = tcg_temp_new_i32();

        gen_load(s, d, 1, cnt);
        tcg_gen_andi_i64(cnt, cnt, cmask);
        /* count 0: cm1 = 63, out is discarded below */
        tcg_gen_subi_i64(cm1, cnt, 1);
        tcg_gen_andi_i64(cm1, cm1, 63);
        switch (op) {
        case 5:
            tcg_gen_shr_i64(out, val, cm1);
            tcg_gen_shr_i64(res, val, cnt);
            break;
        case 7:
            tcg_gen_sar_i64(out, val, cm1);
            tcg_gen_sar_i64(res, val, cnt);
            break;
        default:
            tcg_gen_shl_i64(out, val, cm1);
            tcg_gen_shl_i64(res, val, cnt);
            break;
        }
        gen_store(s, d, 0, res);
        tcg_gen_movcond_i64(TCG_COND_NE, cpu_cc_dst, cnt, zero, res,
                            cpu_cc_dst);
        tcg_gen_movcond_i64(TCG_COND_NE, cpu_cc_src, cnt, zero, out,
                            cpu_cc_src);
        tcg_gen_extrl_i64_i32(cnt32, cnt);
        tcg_gen_movcond_i32(TCG_COND_NE, cpu_cc_op, cnt32,
                            tcg_constant_i32(0),
                            tcg_constant_i32(cc_op + ot), cpu_cc_op);
        s->cc_op = CC_OP_DYNAMIC;
        tcg_temp_free_i32(cnt32);
        tcg_temp_free_i64(cm1);
        tcg_temp_free_i64(cnt);
    }
}

/*
 * rol/ror by a nonzero constant count, inline: CF and OF from the
 * result, the other flags kept (read from cc_src when the lazy state is
 * already EFLAGS, else computed by the flags helper).
 */
static void gen_rotate_const(DisasContext *s, X86DecodedInsn *d, unsigned op,
                             unsigned c)
{
    MemOp ot = d->op[0].ot;
    unsigned bits = 8 << ot, r = c % bits;
    unsigned k = op ? (bits - r) % bits : r;    /* as a left rotate */
    TCGv_i64 val = s->T0, res = s->T2, f = s->T1;
    TCGv_i64 t = tcg_temp_new_i64(), u = tcg_temp_new_i64();

    gen_load(s, d, 0, val);
    tcg_gen_ext_i64(val, val, ot);
    if (k == 0) {
        tcg_gen_mov_i64(res, val);
    } else if (ot == MO_64) {
        tcg_gen_rotli_i64(res, val, k);
    } else {
        tcg_gen_shli_i64(t, val, k);
        tcg_gen_shri_i64(res, val, bits - k);
        tcg_gen_or_i64(res, res, t);
        tcg_gen_ext_i64(res, res, ot);
    }
    gen_store(s, d, 0, res);
    if (s->cc_op != CC_OP_DYNAMIC && (s->cc_op & ~3) == CC_OP_EFLAGS) {
        tcg_gen_mov_i64(f, cpu_cc_src);
    } else {
        gen_compute_eflags(s, f);
    }
    tcg_gen_andi_i64(f, f, ~(int64_t)(CC_C | CC_O));
    tcg_gen_extract_i64(t, res, bits - 1, 1);          /* top bit */
    if (op == 0) {
        tcg_gen_andi_i64(u, res, 1);                    /* CF: bit 0 */
    } else {
        tcg_gen_extract_i64(u, res, bits - 2, 1);       /* CF is the top */
    }
    /* OF = top ^ (rol: CF; ror: the bit below the top) */
    tcg_gen_xor_i64(u, u, t);
    tcg_gen_shli_i64(u, u, 11);
    tcg_gen_or_i64(f, f, u);
    if (op == 0) {
        tcg_gen_andi_i64(t, res, 1);
    }
    tcg_gen_or_i64(cpu_cc_src, f, t);
    set_cc_op(s, CC_OP_EFLAGS);
    tcg_temp_free_i64(t);
    tcg_temp_free_i64(u);
}

static void gen_SHIFT(DisasContext *s, X86DecodedInsn *d)
{
    unsigned op = (d->modrm >> 3) & 7;
    unsigned kind = op << 2 | d->op[0].ot;
    unsigned cmask = d->op[0].ot == MO_64 ? 63 : 31;

    if (op < 2 && (d->op[1].kind == X86_OP_1 ||
                   (d->op[1].kind == X86_OP_I && (d->imm & cmask)))) {
        gen_rotate_const(s, d, op, d->op[1].kind == X86_OP_1 ? 1 :
                                   (unsigned)d->imm & cmask);
        return;
    }

    if (op >= 4 &&
        !((d->op[1].kind == X86_OP_I) &&
          !(d->imm & (d->op[0].ot == MO_64 ? 63 : 31)))) {
        gen_shift_inline(s, d, op);
        return;
    }
    gen_load(s, d, 0, s->T0);
    gen_load(s, d, 1, s->T1);
    s->cc_op = CC_OP_DYNAMIC;
    tcg_gen_call4(&x86_helper_shift, tcgv_i64_temp(s->T2),
                  tcgv_ptr_temp(cpu_env),
                  tcgv_i32_temp(tcg_constant_i32(kind)),
                  tcgv_i64_temp(s->T0), tcgv_i64_temp(s->T1));
    gen_store(s, d, 0, s->T2);
}

/* shld (special 0) / shrd (special 1) */
static void gen_SHD(DisasContext *s, X86DecodedInsn *d)
{
    unsigned kind = d->op[0].ot | (d->e->special ? 4 : 0);

    gen_load(s, d, 0, s->T0);
    gen_load(s, d, 1, s->T1);
    gen_load(s, d, 2, s->T2);
    s->cc_op = CC_OP_DYNAMIC;
    tcg_gen_call5(&x86_helper_shd, tcgv_i64_temp(s->T2),
                  tcgv_ptr_temp(cpu_env),
                  tcgv_i32_temp(tcg_constant_i32(kind)),
                  tcgv_i64_temp(s->T0), tcgv_i64_temp(s->T1),
                  tcgv_i64_temp(s->T2));
    gen_store(s, d, 0, s->T2);
}

/*
 * bt/bts/btr/btc: special (or the group 8 reg field) 4..7.  A register
 * bit offset addresses memory beyond the operand (signed, in operand-size
 * units).
 */
static void gen_BT(DisasContext *s, X86DecodedInsn *d)
{
    MemOp ot = d->op[0].ot;
    unsigned op = d->e->table ? (d->modrm >> 3) & 7 : d->e->special;
    unsigned bits = 8 << ot;
    TCGv_i64 bit = tcg_temp_new_i64(), mask = tcg_temp_new_i64();

    gen_load(s, d, 1, s->T1);
    if (d->op[0].mem && d->op[1].kind != X86_OP_I) {
        TCGv_i64 off = tcg_temp_new_i64();
        tcg_gen_ext_i64(off, s->T1, ot | MO_SIGN);
        tcg_gen_sari_i64(off, off, 3 + ot);
        tcg_gen_shli_i64(off, off, ot);
        tcg_gen_add_i64(s->EA, s->EA, off);
        gen_lea_seg(s, s->A0, s->EA, d->seg);
        tcg_temp_free_i64(off);
    }
    tcg_gen_andi_i64(bit, s->T1, bits - 1);
    gen_load(s, d, 0, s->T0);
    tcg_gen_shl_i64(mask, tcg_constant_i64(1), bit);
    switch (op) {
    case 5:
        tcg_gen_or_i64(s->T2, s->T0, mask);
        break;
    case 6:
        tcg_gen_andc_i64(s->T2, s->T0, mask);
        break;
    case 7:
        tcg_gen_xor_i64(s->T2, s->T0, mask);
        break;
    default:
        break;
    }
    if (op != 4) {
        gen_store(s, d, 0, s->T2);
    }
    /*
     * CF = the bit; ZF is kept.  OF, SF, AF and PF are undefined: with a
     * known lazy state they become 0 and ZF comes inline, without the
     * flags helper; otherwise all of them are kept.
     */
    tcg_gen_shr_i64(s->T0, s->T0, bit);
    tcg_gen_andi_i64(s->T0, s->T0, 1);
    if (gen_cond_fast(s, 4, mask)) {
        tcg_gen_shli_i64(mask, mask, 6);
    } else {
        gen_compute_eflags(s, mask);
        tcg_gen_andi_i64(mask, mask, ~(int64_t)CC_C);
    }
    tcg_gen_or_i64(cpu_cc_src, mask, s->T0);
    set_cc_op(s, CC_OP_EFLAGS);
    tcg_temp_free_i64(bit);
    tcg_temp_free_i64(mask);
}

/* bsf/bsr (tzcnt/lzcnt with F3), popcnt: special is the helper's op */
static void gen_BITOP(DisasContext *s, X86DecodedInsn *d)
{
    unsigned op = d->e->special;

    if (op < 2 && (s->prefix & PREFIX_REPZ)) {
        op += 2;
    }
    if (op == 4 && !(s->prefix & PREFIX_REPZ)) {
        gen_illegal(s);
        return;
    }
    gen_load(s, d, 1, s->T0);
    tcg_gen_mov_i64(s->T1, cpu_regs[d->op[0].reg]);
    /* the helper returns the whole register (bsf/bsr of 0 keep it all) */
    s->cc_op = CC_OP_DYNAMIC;
    tcg_gen_call4(&x86_helper_bitop, tcgv_i64_temp(cpu_regs[d->op[0].reg]),
                  tcgv_ptr_temp(cpu_env),
                  tcgv_i32_temp(tcg_constant_i32(op << 2 | d->op[0].ot)),
                  tcgv_i64_temp(s->T0), tcgv_i64_temp(s->T1));
}

static void gen_BSWAP(DisasContext *s, X86DecodedInsn *d)
{
    int reg = d->op[0].reg;

    if (d->op[0].ot == MO_64) {
        tcg_gen_bswap64_i64(cpu_regs[reg], cpu_regs[reg]);
    } else if (d->op[0].ot == MO_32) {
        tcg_gen_bswap32_i64(cpu_regs[reg], cpu_regs[reg], 0);
        tcg_gen_ext32u_i64(cpu_regs[reg], cpu_regs[reg]);
    } else {
        /* 16-bit bswap is undefined; hardware zeroes the word */
        tcg_gen_andi_i64(cpu_regs[reg], cpu_regs[reg], ~0xffffll);
    }
}

static void gen_MOVBE(DisasContext *s, X86DecodedInsn *d)
{
    if (s->prefix & (PREFIX_REPNZ | PREFIX_REPZ)) {
        gen_illegal(s);
        return;
    }
    if (d->op[0].mem) {
        gen_load(s, d, 1, s->T0);
        tcg_gen_qemu_st_i64(s->T0, s->A0, s->mem_index, d->op[0].ot | MO_BE);
    } else {
        tcg_gen_qemu_ld_i64(s->T0, s->A0, s->mem_index, d->op[1].ot | MO_BE);
        gen_store(s, d, 0, s->T0);
    }
}

/* cbw/cwde/cdqe */
static void gen_CBW(DisasContext *s, X86DecodedInsn *d)
{
    MemOp ot = s->dflag;

    tcg_gen_ext_i64(s->T0, cpu_regs[R_EAX], (ot - 1) | MO_SIGN);
    gen_op_mov_reg_v(s, ot, R_EAX, s->T0, false);
}

/* cwd/cdq/cqo */
static void gen_CWD(DisasContext *s, X86DecodedInsn *d)
{
    MemOp ot = s->dflag;

    tcg_gen_ext_i64(s->T0, cpu_regs[R_EAX], ot | MO_SIGN);
    tcg_gen_sari_i64(s->T0, s->T0, 63);
    gen_op_mov_reg_v(s, ot, R_EDX, s->T0, false);
}

static void gen_SETCC(DisasContext *s, X86DecodedInsn *d)
{
    gen_cond(s, d->b & 15, s->T0);
    gen_store(s, d, 0, s->T0);
}

static void gen_CMOVCC(DisasContext *s, X86DecodedInsn *d)
{
    gen_load(s, d, 1, s->T1);
    gen_load(s, d, 0, s->T0);
    gen_cond(s, d->b & 15, s->T2);
    tcg_gen_movcond_i64(TCG_COND_NE, s->T0, s->T2, tcg_constant_i64(0),
                        s->T1, s->T0);
    gen_store(s, d, 0, s->T0);
}

static void gen_JCC(DisasContext *s, X86DecodedInsn *d)
{
    TCGLabel *taken = gen_new_label();
    CondPrep p;

    /* straight to the branch where the lazy state allows: no setcond */
    if (gen_cond_prep(s, d->b & 15, s->T0, s->T1, &p)) {
        tcg_gen_brcond_i64(p.cond, p.a, p.b, taken);
    } else {
        gen_cond(s, d->b & 15, s->T0);
        tcg_gen_brcondi_i64(TCG_COND_NE, s->T0, 0, taken);
    }
    gen_jmp_tb(s, s->pc, 0);
    gen_set_label(taken);
    gen_jmp_tb(s, d->target, 1);
    s->base.is_jmp = DISAS_NORETURN;
}

static void gen_JMP(DisasContext *s, X86DecodedInsn *d)
{
    gen_jmp_tb(s, d->target, 0);
    s->base.is_jmp = DISAS_NORETURN;
}

/* near call/ret/jmp: dflag is 64 in 64-bit mode (F64), else 16 or 32 */
static void gen_CALL(DisasContext *s, X86DecodedInsn *d)
{
    tcg_gen_movi_i64(s->T0, s->pc - s->cs_base);
    gen_push_v(s, s->T0, s->dflag);
    gen_jmp_tb(s, d->target, 0);
    s->base.is_jmp = DISAS_NORETURN;
}

static void gen_jmp_indirect(DisasContext *s, TCGv_i64 dest)
{
    tcg_gen_mov_i64(cpu_rip, dest);
    gen_goto_rip_same_mode(s, cpu_rip);
    s->base.is_jmp = DISAS_NORETURN;
}

static void gen_JMP_E(DisasContext *s, X86DecodedInsn *d)
{
    gen_load(s, d, 0, s->T0);
    gen_jmp_indirect(s, s->T0);
}

static void gen_CALL_E(DisasContext *s, X86DecodedInsn *d)
{
    gen_load(s, d, 0, s->T0);
    tcg_gen_movi_i64(s->T1, s->pc - s->cs_base);
    gen_push_v(s, s->T1, s->dflag);
    gen_jmp_indirect(s, s->T0);
}

static void gen_RET(DisasContext *s, X86DecodedInsn *d)
{
    gen_pop_v(s, s->T0, s->dflag);
    gen_sp_add(s, (1 << s->dflag) +
               (d->op[0].kind == X86_OP_I ? (d->imm & 0xffff) : 0));
    gen_jmp_indirect(s, s->T0);
}

static void gen_PUSH(DisasContext *s, X86DecodedInsn *d)
{
    gen_load(s, d, 0, s->T0);
    gen_push_v(s, s->T0, stack_ot(s));
}

static void gen_POP(DisasContext *s, X86DecodedInsn *d)
{
    MemOp ot = stack_ot(s);

    gen_pop_v(s, s->T0, ot);
    if (d->op[0].mem) {
        /* the address is computed with the incremented rSP */
        gen_pop_update(s, ot);
        gen_store(s, d, 0, s->T0);
    } else {
        gen_pop_update(s, ot);
        gen_store(s, d, 0, s->T0);
    }
}

static void gen_exception_err(DisasContext *s, int excp, uint32_t err)
{
    gen_update_rip(s, s->pc_start);
    tcg_gen_call3(&x86_helper_raise_err, NULL, tcgv_ptr_temp(cpu_env),
                  tcgv_i32_temp(tcg_constant_i32(excp)),
                  tcgv_i32_temp(tcg_constant_i32(err)));
    s->base.is_jmp = DISAS_NORETURN;
}

/*
 * Privileged insns: #GP(0) unless CPL 0 (real mode counts as CPL 0,
 * virtual-8086 mode as 3).  The CPL is a TB flag, so this is decided
 * at translation time.
 */
static bool check_cpl0(DisasContext *s)
{
    if ((s->flags & X86_TBF_PE) &&
        ((s->flags & X86_TBF_CPL_MASK) || (s->flags & X86_TBF_VM))) {
        gen_exception_err(s, EXCP0D_GPF, 0);
        return false;
    }
    return true;
}

static void gen_HLT(DisasContext *s, X86DecodedInsn *d)
{
    if (!check_cpl0(s)) {
        return;
    }
    gen_update_rip(s, s->pc);
    tcg_gen_call1(&x86_helper_hlt, NULL, tcgv_ptr_temp(cpu_env));
    s->base.is_jmp = DISAS_NORETURN;
}

/* clc stc cmc (special 0, 1, 2) */
static void gen_CF_OP(DisasContext *s, X86DecodedInsn *d)
{
    gen_compute_eflags(s, s->T0);
    switch (d->e->special) {
    case 0:
        tcg_gen_andi_i64(cpu_cc_src, s->T0, ~(int64_t)CC_C);
        break;
    case 1:
        tcg_gen_ori_i64(cpu_cc_src, s->T0, CC_C);
        break;
    default:
        tcg_gen_xori_i64(cpu_cc_src, s->T0, CC_C);
        break;
    }
    set_cc_op(s, CC_OP_EFLAGS);
}

/* cld (special 0) / std */
static void gen_DF_OP(DisasContext *s, X86DecodedInsn *d)
{
    intptr_t off = offsetof(CPUX86State, rflags);

    tcg_gen_ld_i64(s->T0, cpu_env, off);
    if (d->e->special) {
        tcg_gen_ori_i64(s->T0, s->T0, DF_MASK);
    } else {
        tcg_gen_andi_i64(s->T0, s->T0, ~(int64_t)DF_MASK);
    }
    tcg_gen_st_i64(s->T0, cpu_env, off);
}

static void gen_LAHF(DisasContext *s, X86DecodedInsn *d)
{
    gen_compute_eflags(s, s->T0);
    tcg_gen_andi_i64(s->T0, s->T0, CC_S | CC_Z | CC_A | CC_P | CC_C);
    tcg_gen_ori_i64(s->T0, s->T0, 2);
    gen_op_mov_reg_v(s, MO_8, R_ESP, s->T0, true);
}

static void gen_SAHF(DisasContext *s, X86DecodedInsn *d)
{
    gen_compute_eflags(s, s->T0);
    tcg_gen_andi_i64(s->T0, s->T0, CC_O);
    tcg_gen_extract_i64(s->T1, cpu_regs[R_EAX], 8, 8);
    tcg_gen_andi_i64(s->T1, s->T1, CC_S | CC_Z | CC_A | CC_P | CC_C);
    tcg_gen_or_i64(cpu_cc_src, s->T0, s->T1);
    set_cc_op(s, CC_OP_EFLAGS);
}

/* ---- String instructions ---- */

enum { STR_MOVS, STR_CMPS, STR_STOS, STR_LODS, STR_SCAS, STR_INS, STR_OUTS };

static bool io_restricted(DisasContext *s);
static void gen_check_iopl(DisasContext *s);
static void gen_int_vm86(DisasContext *s, int vec, bool iopl);

static void gen_string_addr(DisasContext *s, TCGv_i64 dst, int reg, int seg)
{
    gen_lea_seg(s, dst, cpu_regs[reg], seg);
}

/* (E/R)SI/DI advance with the address size: SI/DI wrap at 64 KiB */
static void gen_string_step(DisasContext *s, int reg, TCGv_i64 delta)
{
    tcg_gen_add_i64(s->T2, cpu_regs[reg], delta);
    gen_op_mov_reg_v(s, s->aflag, reg, s->T2, false);
}

/* One iteration; the rep forms loop by jumping back to the insn itself */
static void gen_STRING(DisasContext *s, X86DecodedInsn *d)
{
    int op = d->e->special;
    MemOp ot = d->op[0].ot;
    int srcseg = s->override >= 0 ? s->override : R_DS;

    if ((op == STR_INS || op == STR_OUTS) && ot == MO_64) {
        ot = MO_32;
    }
    bool rep = s->prefix & (PREFIX_REPZ | PREFIX_REPNZ);
    TCGLabel *done = gen_new_label();
    TCGv_i64 delta = tcg_temp_new_i64();
    TCGv_i64 cx = tcg_temp_new_i64();

    if (rep && (op == STR_MOVS || op == STR_STOS) && s->code64 &&
        s->aflag == MO_64) {
        /*
         * As much as it can in bulk (memset/memmove over plain RAM);
         * the element code below does the rest, one per TB pass.
         */
        gen_update_rip(s, s->pc_start);
        tcg_gen_call2(&x86_helper_rep_fast, NULL, tcgv_ptr_temp(cpu_env),
                      tcgv_i32_temp(tcg_constant_i32(
                          ot | (op == STR_MOVS ? 4 : 0) | (srcseg << 3) |
                          (s->mem_index << 8))));
    }
    if (rep) {
        gen_op_mov_v_reg(s, s->aflag, cx, R_ECX, false);
        tcg_gen_brcondi_i64(TCG_COND_EQ, cx, 0, done);
    }
    /* delta = DF ? -size : size */
    tcg_gen_ld_i64(delta, cpu_env, offsetof(CPUX86State, rflags));
    tcg_gen_extract_i64(delta, delta, 10, 1);
    tcg_gen_muli_i64(delta, delta, -(2 << ot));
    tcg_gen_addi_i64(delta, delta, 1 << ot);

    switch (op) {
    case STR_MOVS:
        gen_string_addr(s, s->A0, R_ESI, srcseg);
        gen_ld(s, s->T0, s->A0, ot);
        gen_string_addr(s, s->A0, R_EDI, R_ES);
        gen_st(s, s->T0, s->A0, ot);
        gen_string_step(s, R_ESI, delta);
        gen_string_step(s, R_EDI, delta);
        break;
    case STR_STOS:
        gen_op_mov_v_reg(s, ot, s->T0, R_EAX, false);
        gen_string_addr(s, s->A0, R_EDI, R_ES);
        gen_st(s, s->T0, s->A0, ot);
        gen_string_step(s, R_EDI, delta);
        break;
    case STR_LODS:
        gen_string_addr(s, s->A0, R_ESI, srcseg);
        gen_ld(s, s->T0, s->A0, ot);
        gen_op_mov_reg_v(s, ot, R_EAX, s->T0, false);
        gen_string_step(s, R_ESI, delta);
        break;
    case STR_CMPS:
        gen_string_addr(s, s->A0, R_ESI, srcseg);
        gen_ld(s, s->T0, s->A0, ot);
        gen_string_addr(s, s->A0, R_EDI, R_ES);
        gen_ld(s, s->T1, s->A0, ot);
        gen_string_step(s, R_ESI, delta);
        gen_string_step(s, R_EDI, delta);
        tcg_gen_sub_i64(cpu_cc_dst, s->T0, s->T1);
        tcg_gen_mov_i64(cpu_cc_src, s->T1);
        set_cc_op(s, CC_OP_SUB + ot);
        break;
    case STR_INS:
        /* the port read first: a faulting store then repeats it */
        gen_update_rip(s, s->pc_start);
        tcg_gen_ext16u_i64(s->T1, cpu_regs[R_EDX]);
        tcg_gen_call3(io_restricted(s) ? &x86_helper_in_prot : &x86_helper_in,
                      tcgv_i64_temp(s->T0),
                      tcgv_ptr_temp(cpu_env),
                      tcgv_i32_temp(tcg_constant_i32(ot)),
                      tcgv_i64_temp(s->T1));
        gen_string_addr(s, s->A0, R_EDI, R_ES);
        gen_st(s, s->T0, s->A0, ot);
        gen_string_step(s, R_EDI, delta);
        break;
    case STR_OUTS:
        gen_update_rip(s, s->pc_start);
        gen_string_addr(s, s->A0, R_ESI, srcseg);
        gen_ld(s, s->T0, s->A0, ot);
        tcg_gen_ext16u_i64(s->T1, cpu_regs[R_EDX]);
        tcg_gen_call4(io_restricted(s) ? &x86_helper_out_prot
                                       : &x86_helper_out,
                      NULL, tcgv_ptr_temp(cpu_env),
                      tcgv_i32_temp(tcg_constant_i32(ot)),
                      tcgv_i64_temp(s->T1), tcgv_i64_temp(s->T0));
        gen_string_step(s, R_ESI, delta);
        break;
    default: /* SCAS */
        gen_op_mov_v_reg(s, ot, s->T0, R_EAX, false);
        gen_string_addr(s, s->A0, R_EDI, R_ES);
        gen_ld(s, s->T1, s->A0, ot);
        gen_string_step(s, R_EDI, delta);
        tcg_gen_sub_i64(cpu_cc_dst, s->T0, s->T1);
        tcg_gen_mov_i64(cpu_cc_src, s->T1);
        set_cc_op(s, CC_OP_SUB + ot);
        break;
    }
    if (rep) {
        tcg_gen_subi_i64(cx, cx, 1);
        gen_op_mov_reg_v(s, s->aflag, R_ECX, cx, false);
        tcg_gen_brcondi_i64(TCG_COND_EQ, cx, 0, done);
        if (op == STR_CMPS || op == STR_SCAS) {
            /* repz stops when ZF = 0, repnz when ZF = 1 */
            tcg_gen_andi_i64(s->T0, cpu_cc_dst, ot == MO_64 ? -1 :
                             (int64_t)((1ull << (8 << ot)) - 1));
            tcg_gen_brcondi_i64((s->prefix & PREFIX_REPZ) ? TCG_COND_NE
                                                          : TCG_COND_EQ,
                                s->T0, 0, done);
        }
        gen_jmp_tb(s, s->pc_start, 1);
        gen_set_label(done);
        gen_jmp_tb(s, s->pc, 0);
        s->base.is_jmp = DISAS_NORETURN;
    } else {
        gen_set_label(done);
    }
    tcg_temp_free_i64(delta);
    tcg_temp_free_i64(cx);
}

/* ---- 16/32-bit mode instructions ---- */

/* Real-mode segment load: selector v, base = v << 4 (attributes kept) */
static void gen_load_seg_real(DisasContext *s, int seg, TCGv_i64 v)
{
    TCGv_i64 t = tcg_temp_new_i64();

    tcg_gen_ext16u_i64(t, v);
    tcg_gen_st32_i64(t, cpu_env, offsetof(CPUX86State, segs[seg].selector));
    tcg_gen_shli_i64(t, t, 4);
    tcg_gen_st_i64(t, cpu_env, offsetof(CPUX86State, segs[seg].base));
    tcg_temp_free_i64(t);
}

static void gen_ld_selector(DisasContext *s, TCGv_i64 v, int seg)
{
    tcg_gen_ld32u_i64(v, cpu_env, offsetof(CPUX86State, segs[seg].selector));
}

/* Leave the TB to wherever env->rip (and maybe CS) now say */
static void gen_exit_dynamic(DisasContext *s)
{
    gen_goto_ptr(s);
    s->base.is_jmp = DISAS_NORETURN;
}

/* End the TB after this insn (state the translation depends on changed) */
static void gen_end_tb(DisasContext *s)
{
    gen_update_rip(s, s->pc);
    gen_exit_dynamic(s);
}

/*
 * End the TB after an insn that may set EFLAGS.IF: a pending interrupt
 * it unmasks is taken by the loop, which chained TBs would bypass.
 */
static void gen_end_tb_to_loop(DisasContext *s)
{
    gen_update_rip(s, s->pc);
    tcg_gen_exit_tb(NULL, 0);
    s->base.is_jmp = DISAS_NORETURN;
}

/* mov ss / pop ss: no interrupt before the next insn completes */
static void gen_set_shadow(DisasContext *s)
{
    tcg_gen_st_i32(tcg_constant_i32(1), cpu_env,
                   offsetof(CPUX86State, interrupt_shadow));
    gen_end_tb(s);
}

/* push sreg: special is the segment */
static void gen_PUSH_SEG(DisasContext *s, X86DecodedInsn *d)
{
    gen_ld_selector(s, s->T0, d->e->special);
    gen_push_v(s, s->T0, stack_ot(s));
}

/* Protected mode (not virtual-8086): segment loads go through descriptors */
static bool pe_mode(DisasContext *s)
{
    return !s->realmode && !(s->flags & X86_TBF_VM);
}

/* Load segment seg with selector v (T-register), ending the TB for SS.B */
static void gen_load_seg(DisasContext *s, int seg, TCGv_i64 v)
{
    if (!pe_mode(s)) {
        gen_load_seg_real(s, seg, v);
        return;
    }
    gen_update_rip(s, s->pc_start);
    tcg_gen_call3(&x86_helper_load_seg, NULL, tcgv_ptr_temp(cpu_env),
                  tcgv_i32_temp(tcg_constant_i32(seg)), tcgv_i64_temp(v));
}

/*
 * pop sreg.  pop ss / mov ss inhibit interrupts for one insn (so that
 * the rSP load after it is not split from it): the TB ends with the
 * shadow set.  A faulting load leaves rSP alone.
 */
static void gen_POP_SEG(DisasContext *s, X86DecodedInsn *d)
{
    MemOp ot = stack_ot(s);

    gen_pop_v(s, s->T0, ot);
    gen_load_seg(s, d->e->special, s->T0);
    gen_pop_update(s, ot);
    if (d->e->special == R_SS) {
        gen_set_shadow(s);
    }
}

/* 8e: mov Sreg, Ew */
static void gen_MOV_TO_SEG(DisasContext *s, X86DecodedInsn *d)
{
    unsigned seg = (d->modrm >> 3) & 7;

    if (seg == R_CS || seg > R_GS) {
        gen_illegal(s);
        return;
    }
    gen_load(s, d, 1, s->T0);
    gen_load_seg(s, seg, s->T0);
    if (seg == R_SS) {
        gen_set_shadow(s);
    }
}

/* 8c: mov Ev, Sreg (a memory destination is always 16 bits) */
static void gen_MOV_FROM_SEG(DisasContext *s, X86DecodedInsn *d)
{
    unsigned seg = (d->modrm >> 3) & 7;

    if (seg > R_GS) {
        gen_illegal(s);
        return;
    }
    gen_ld_selector(s, s->T0, seg);
    if (d->op[0].mem) {
        gen_st(s, s->T0, s->A0, MO_16);
    } else {
        gen_op_mov_reg_v(s, s->dflag == MO_16 ? MO_16 : MO_32,
                         d->op[0].reg, s->T0, false);
    }
}

/* Real-mode far transfer to sel:off (T0 = off, T1 = sel) */
static void gen_far_jmp_real(DisasContext *s, TCGv_i64 off, TCGv_i64 sel)
{
    gen_load_seg_real(s, R_CS, sel);
    if (s->dflag == MO_16) {
        tcg_gen_ext16u_i64(cpu_rip, off);
    } else {
        tcg_gen_ext32u_i64(cpu_rip, off);
    }
    gen_exit_dynamic(s);
}

/* Far jmp (call: special 1) to sel:off held in T1:T0 */
static void gen_far_transfer(DisasContext *s, bool call)
{
    if (!pe_mode(s)) {
        if (call) {
            gen_ld_selector(s, s->T2, R_CS);
            gen_push_v(s, s->T2, s->dflag);
            tcg_gen_movi_i64(s->T2, s->pc - s->cs_base);
            gen_push_v(s, s->T2, s->dflag);
        }
        gen_far_jmp_real(s, s->T0, s->T1);
        return;
    }
    TCGv_i32 sel = tcg_temp_new_i32();

    gen_update_rip(s, s->pc_start);
    tcg_gen_extrl_i64_i32(sel, s->T1);
    if (call) {
        tcg_gen_call5(&x86_helper_lcall_prot, NULL, tcgv_ptr_temp(cpu_env),
                      tcgv_i32_temp(sel), tcgv_i64_temp(s->T0),
                      tcgv_i32_temp(tcg_constant_i32(s->dflag)),
                      tcgv_i64_temp(tcg_constant_i64(s->pc - s->cs_base)));
    } else {
        tcg_gen_call4(&x86_helper_ljmp_prot, NULL, tcgv_ptr_temp(cpu_env),
                      tcgv_i32_temp(sel), tcgv_i64_temp(s->T0),
                      tcgv_i64_temp(tcg_constant_i64(s->pc - s->cs_base)));
    }
    tcg_temp_free_i32(sel);
    s->cc_op = CC_OP_DYNAMIC;
    gen_exit_dynamic(s);
}

/* ea / 9a: jmp/call ptr16:16/32 */
static void gen_JMPF(DisasContext *s, X86DecodedInsn *d)
{
    tcg_gen_movi_i64(s->T0, d->imm & (s->dflag == MO_16 ? 0xffff
                                                        : 0xffffffffu));
    tcg_gen_movi_i64(s->T1, d->imm2 & 0xffff);
    gen_far_transfer(s, d->e->special);
}

/* ff /3, ff /5: callf/jmpf m16:16/32/64 */
static void gen_JMPF_M(DisasContext *s, X86DecodedInsn *d)
{
    TCGv_i64 a = tcg_temp_new_i64();

    gen_ld(s, s->T0, s->A0, s->dflag);
    tcg_gen_addi_i64(a, s->A0, 1 << s->dflag);
    if (!s->code64) {
        tcg_gen_ext32u_i64(a, a);
    }
    gen_ld(s, s->T1, a, MO_16);
    tcg_temp_free_i64(a);
    gen_far_transfer(s, d->e->special);
}

/*
 * lss/lfs/lgs (0f b2/b4/b5) and les/lds (c4/c5 outside 64-bit mode):
 * Gv, Mp -- the offset, then the selector above it.  The segment is
 * loaded (and may fault) before the register is written.
 */
static void gen_LOAD_FAR_PTR(DisasContext *s, X86DecodedInsn *d)
{
    int seg = d->e->special;
    TCGv_i64 sel_addr = tcg_temp_new_i64();

    gen_ld(s, s->T0, s->A0, s->dflag);
    tcg_gen_addi_i64(sel_addr, s->A0, 1 << s->dflag);
    if (!s->code64) {
        tcg_gen_ext32u_i64(sel_addr, sel_addr);
    }
    gen_ld(s, s->T1, sel_addr, MO_16);
    tcg_temp_free_i64(sel_addr);
    gen_load_seg(s, seg, s->T1);
    gen_op_mov_reg_v(s, s->dflag, d->op[0].reg, s->T0, false);
    if (seg == R_SS) {
        gen_set_shadow(s);
    }
}

/* ca / cb: retf [imm16] */
static void gen_RETF(DisasContext *s, X86DecodedInsn *d)
{
    MemOp ot = s->dflag;
    unsigned addend = d->op[0].kind == X86_OP_I ? (d->imm & 0xffff) : 0;

    if (pe_mode(s)) {
        gen_update_rip(s, s->pc_start);
        tcg_gen_call3(&x86_helper_lret_prot, NULL, tcgv_ptr_temp(cpu_env),
                      tcgv_i32_temp(tcg_constant_i32(ot)),
                      tcgv_i32_temp(tcg_constant_i32(addend)));
        s->cc_op = CC_OP_DYNAMIC;
        gen_exit_dynamic(s);
        return;
    }
    gen_pop_v(s, s->T0, ot);
    gen_pop_v_off(s, s->T1, MO_16, 1 << ot);
    gen_sp_add(s, (2 << ot) + addend);
    gen_far_jmp_real(s, s->T0, s->T1);
}

/*
 * cli (special 0) / sti (1).  IOPL/CPL checks come with protected mode.
 * sti with IF = 0 opens a one-insn shadow (sti; hlt waits for the
 * interrupt instead of taking it before the hlt); the loop then takes
 * what it unmasks.
 */
static void gen_CLI_STI(DisasContext *s, X86DecodedInsn *d)
{
    intptr_t off = offsetof(CPUX86State, rflags);

    gen_check_iopl(s);
    tcg_gen_ld_i64(s->T0, cpu_env, off);
    if (d->e->special) {
        TCGv_i32 sh = tcg_temp_new_i32();

        tcg_gen_not_i64(s->T1, s->T0);
        tcg_gen_extract_i64(s->T1, s->T1, 9, 1);
        tcg_gen_extrl_i64_i32(sh, s->T1);
        tcg_gen_st_i32(sh, cpu_env, offsetof(CPUX86State, interrupt_shadow));
        tcg_temp_free_i32(sh);
        tcg_gen_ori_i64(s->T0, s->T0, 0x200);
        tcg_gen_st_i64(s->T0, cpu_env, off);
        gen_end_tb_to_loop(s);
        return;
    }
    tcg_gen_andi_i64(s->T0, s->T0, ~(int64_t)0x200);
    tcg_gen_st_i64(s->T0, cpu_env, off);
    gen_end_tb(s);
}

static void gen_PUSHF(DisasContext *s, X86DecodedInsn *d)
{
    if (s->flags & X86_TBF_VM) {
        gen_check_iopl(s);
    }
    tcg_gen_call1(&x86_helper_pushf, tcgv_i64_temp(s->T0),
                  tcgv_ptr_temp(cpu_env));
    gen_push_v(s, s->T0, stack_ot(s));
}

/* popf may change TF/IF/DF: end the TB */
static void gen_POPF(DisasContext *s, X86DecodedInsn *d)
{
    MemOp ot = stack_ot(s);
    bool restricted = !s->realmode && ((s->flags & X86_TBF_CPL_MASK) ||
                                       (s->flags & X86_TBF_VM));

    if (s->flags & X86_TBF_VM) {
        gen_check_iopl(s);
    }
    gen_pop_v(s, s->T0, ot);
    gen_pop_update(s, ot);
    /* below CPL 0 IOPL and IF are protected: seg_helper's popf */
    tcg_gen_call3(restricted ? &x86_helper_popf_prot : &x86_helper_popf,
                  NULL, tcgv_ptr_temp(cpu_env),
                  tcgv_i32_temp(tcg_constant_i32(ot)),
                  tcgv_i64_temp(s->T0));
    s->cc_op = CC_OP_DYNAMIC;
    gen_end_tb_to_loop(s);
}

static void gen_int_real(DisasContext *s, int vec)
{
    if (pe_mode(s)) {
        tcg_gen_call3(&x86_helper_int_prot, NULL, tcgv_ptr_temp(cpu_env),
                      tcgv_i32_temp(tcg_constant_i32(vec)),
                      tcgv_i64_temp(tcg_constant_i64(s->pc - s->cs_base)));
    } else {
        tcg_gen_call3(&x86_helper_int_real, NULL, tcgv_ptr_temp(cpu_env),
                      tcgv_i32_temp(tcg_constant_i32(vec)),
                      tcgv_i64_temp(tcg_constant_i64(s->pc - s->cs_base)));
    }
    s->cc_op = CC_OP_DYNAMIC;
    gen_exit_dynamic(s);
}

/*
 * int imm8 (special 0) / int3 (special 1): through the IVT in real mode,
 * the IDT in protected and virtual-8086 mode (int n there needs IOPL 3)
 */
static void gen_INT(DisasContext *s, X86DecodedInsn *d)
{
    gen_update_rip(s, s->pc_start);
    if (s->flags & X86_TBF_VM) {
        gen_int_vm86(s, d->e->special ? 3 : (int)(d->imm & 0xff),
                     !d->e->special);
        return;
    }
    gen_int_real(s, d->e->special ? 3 : (int)(d->imm & 0xff));
}

/* into: int 4 if OF */
static void gen_INTO(DisasContext *s, X86DecodedInsn *d)
{
    TCGLabel *no = gen_new_label();

    gen_update_rip(s, s->pc_start);
    gen_cond(s, 0, s->T0);
    tcg_gen_brcondi_i64(TCG_COND_EQ, s->T0, 0, no);
    if (s->flags & X86_TBF_VM) {
        gen_int_vm86(s, 4, false);
    } else {
        gen_int_real(s, 4);
    }
    gen_set_label(no);
    gen_jmp_tb(s, s->pc, 0);
}

static void gen_IRET(DisasContext *s, X86DecodedInsn *d)
{
    if (pe_mode(s)) {
        gen_update_rip(s, s->pc_start);
        tcg_gen_call3(&x86_helper_iret_prot, NULL, tcgv_ptr_temp(cpu_env),
                      tcgv_i32_temp(tcg_constant_i32(s->dflag)),
                      tcgv_i64_temp(tcg_constant_i64(s->pc - s->cs_base)));
        s->cc_op = CC_OP_DYNAMIC;
        /* IF may be set again: to the loop (pending interrupts) */
        tcg_gen_exit_tb(NULL, 0);
        s->base.is_jmp = DISAS_NORETURN;
        return;
    }
    gen_update_rip(s, s->pc_start);
    if (s->flags & X86_TBF_VM) {
        tcg_gen_call2(&x86_helper_iret_vm86, NULL, tcgv_ptr_temp(cpu_env),
                      tcgv_i32_temp(tcg_constant_i32(s->dflag)));
        s->cc_op = CC_OP_DYNAMIC;
        tcg_gen_exit_tb(NULL, 0);
        s->base.is_jmp = DISAS_NORETURN;
        return;
    }
    tcg_gen_call2(&x86_helper_iret_real, NULL, tcgv_ptr_temp(cpu_env),
                  tcgv_i32_temp(tcg_constant_i32(s->dflag)));
    s->cc_op = CC_OP_DYNAMIC;
    tcg_gen_exit_tb(NULL, 0);
    s->base.is_jmp = DISAS_NORETURN;
}

/* e0 loopne, e1 loope, e2 loop, e3 jcxz: the counter has address size */
static void gen_LOOP(DisasContext *s, X86DecodedInsn *d)
{
    unsigned op = d->b & 3;
    TCGLabel *taken = gen_new_label(), *not_taken = gen_new_label();

    if (op < 2) {
        /* ZF first: the dec of rCX below does not touch flags */
        gen_cond(s, op == 0 ? 5 : 4, s->T1);
    }
    gen_op_mov_v_reg(s, s->aflag, s->T0, R_ECX, false);
    if (op == 3) {
        tcg_gen_brcondi_i64(TCG_COND_EQ, s->T0, 0, taken);
        tcg_gen_br(not_taken);
    } else {
        tcg_gen_subi_i64(s->T0, s->T0, 1);
        gen_op_mov_reg_v(s, s->aflag, R_ECX, s->T0, false);
        gen_op_mov_v_reg(s, s->aflag, s->T0, R_ECX, false);
        tcg_gen_brcondi_i64(TCG_COND_EQ, s->T0, 0, not_taken);
        if (op < 2) {
            tcg_gen_brcondi_i64(TCG_COND_EQ, s->T1, 0, not_taken);
        }
        tcg_gen_br(taken);
    }
    gen_set_label(not_taken);
    gen_jmp_tb(s, s->pc, 0);
    gen_set_label(taken);
    gen_jmp_tb(s, d->target, 1);
    s->base.is_jmp = DISAS_NORETURN;
}

/* pusha (special 0) / popa (1): eight registers of operand size */
static void gen_PUSHA(DisasContext *s, X86DecodedInsn *d)
{
    MemOp ot = s->dflag;
    int n = 1 << ot;
    TCGv_i64 a = tcg_temp_new_i64();

    for (int i = 0; i < 8; i++) {
        int off = d->e->special ? i * n : -(i + 1) * n;
        int reg = d->e->special ? 7 - i : i;

        tcg_gen_addi_i64(a, cpu_regs[R_ESP], off);
        gen_lea_seg_sz(s, a, a, R_SS, stack_asz(s));
        if (d->e->special) {
            if (reg != R_ESP) {
                gen_ld(s, s->T0, a, ot);
                gen_op_mov_reg_v(s, ot, reg, s->T0, false);
            }
        } else {
            gen_st(s, cpu_regs[reg], a, ot);
        }
    }
    gen_sp_add(s, d->e->special ? 8 * n : -8 * n);
    tcg_temp_free_i64(a);
}

/* leave: rSP = rBP (stack width), pop rBP */
static void gen_LEAVE(DisasContext *s, X86DecodedInsn *d)
{
    MemOp ot = stack_ot(s);

    gen_op_mov_reg_v(s, stack_asz(s), R_ESP, cpu_regs[R_EBP], false);
    gen_pop_v(s, s->T0, ot);
    gen_pop_update(s, ot);
    gen_op_mov_reg_v(s, ot, R_EBP, s->T0, false);
}

/* daa das aaa aas: special is the helper's op */
static void gen_BCD(DisasContext *s, X86DecodedInsn *d)
{
    tcg_gen_call3(&x86_helper_bcd, tcgv_i64_temp(s->T0),
                  tcgv_ptr_temp(cpu_env),
                  tcgv_i32_temp(tcg_constant_i32(d->e->special)),
                  tcgv_i64_temp(cpu_regs[R_EAX]));
    s->cc_op = CC_OP_DYNAMIC;
    gen_op_mov_reg_v(s, MO_16, R_EAX, s->T0, false);
}

/* aam (special 0) / aad (1) imm8 */
static void gen_AAM(DisasContext *s, X86DecodedInsn *d)
{
    gen_update_rip(s, s->pc_start);
    tcg_gen_call4(&x86_helper_aam, tcgv_i64_temp(s->T0),
                  tcgv_ptr_temp(cpu_env),
                  tcgv_i32_temp(tcg_constant_i32(d->e->special)),
                  tcgv_i64_temp(cpu_regs[R_EAX]),
                  tcgv_i64_temp(tcg_constant_i64(d->imm & 0xff)));
    s->cc_op = CC_OP_DYNAMIC;
    gen_op_mov_reg_v(s, MO_16, R_EAX, s->T0, false);
}

/*
 * in/out: e4-e7 with an imm8 port, ec-ef with DX; bit 0 selects AL or
 * eAX (16 or 32 bits), bit 1 out.
 */
static void gen_INOUT(DisasContext *s, X86DecodedInsn *d)
{
    MemOp ot = !(d->b & 1) ? MO_8 : s->dflag == MO_16 ? MO_16 : MO_32;

    gen_update_rip(s, s->pc_start);
    if (d->b & 8) {
        tcg_gen_ext16u_i64(s->T1, cpu_regs[R_EDX]);
    } else {
        tcg_gen_movi_i64(s->T1, d->imm & 0xff);
    }
    if (d->b & 2) {
        tcg_gen_call4(io_restricted(s) ? &x86_helper_out_prot
                                       : &x86_helper_out,
                      NULL, tcgv_ptr_temp(cpu_env),
                      tcgv_i32_temp(tcg_constant_i32(ot)),
                      tcgv_i64_temp(s->T1), tcgv_i64_temp(cpu_regs[R_EAX]));
    } else {
        tcg_gen_call3(io_restricted(s) ? &x86_helper_in_prot : &x86_helper_in,
                      tcgv_i64_temp(s->T0),
                      tcgv_ptr_temp(cpu_env),
                      tcgv_i32_temp(tcg_constant_i32(ot)),
                      tcgv_i64_temp(s->T1));
        gen_op_mov_reg_v(s, ot, R_EAX, s->T0, false);
    }
}

/* ---- System instructions ---- */

static void gen_ea(DisasContext *s, X86DecodedInsn *d);

static void gen_CPUID(DisasContext *s, X86DecodedInsn *d)
{
    tcg_gen_call1(&x86_helper_cpuid, NULL, tcgv_ptr_temp(cpu_env));
}

/* rdtsc (special 0) / rdtscp (1) */
static void gen_RDTSC(DisasContext *s, X86DecodedInsn *d)
{
    gen_update_rip(s, s->pc_start);
    tcg_gen_call2(&x86_helper_rdtsc, NULL, tcgv_ptr_temp(cpu_env),
                  tcgv_i32_temp(tcg_constant_i32(d->e->special)));
}

static void gen_RDMSR(DisasContext *s, X86DecodedInsn *d)
{
    if (!check_cpl0(s)) {
        return;
    }
    gen_update_rip(s, s->pc_start);
    tcg_gen_call1(&x86_helper_rdmsr, NULL, tcgv_ptr_temp(cpu_env));
}

/* EFER (long mode, NX) and the FS/GS bases feed the translation: end the TB */
static void gen_WRMSR(DisasContext *s, X86DecodedInsn *d)
{
    if (!check_cpl0(s)) {
        return;
    }
    gen_update_rip(s, s->pc_start);
    tcg_gen_call1(&x86_helper_wrmsr, NULL, tcgv_ptr_temp(cpu_env));
    gen_end_tb(s);
}

/* The operand of mov cr/dr: 64 bits in 64-bit mode, else 32 */
static MemOp ctl_ot(DisasContext *s)
{
    return s->code64 ? MO_64 : MO_32;
}

/* 0f 20 (special 0): mov r, crN; 0f 22 (1): mov crN, r */
static void gen_MOV_CR(DisasContext *s, X86DecodedInsn *d)
{
    unsigned n = d->reg;
    MemOp ot = ctl_ot(s);

    if (n != 0 && n != 2 && n != 3 && n != 4 && n != 8) {
        gen_illegal(s);
        return;
    }
    if (!check_cpl0(s)) {
        return;
    }
    if (!d->e->special) {
        if (n == 8) {
            tcg_gen_call1(&x86_helper_read_cr8, tcgv_i64_temp(s->T0),
                          tcgv_ptr_temp(cpu_env));
        } else {
            tcg_gen_ld_i64(s->T0, cpu_env,
                           offsetof(CPUX86State, cr[0]) + n * sizeof(uint64_t));
        }
        gen_op_mov_reg_v(s, ot, d->rm, s->T0, false);
        return;
    }
    gen_op_mov_v_reg(s, ot, s->T0, d->rm, false);
    gen_update_rip(s, s->pc_start);
    tcg_gen_call3(&x86_helper_write_cr, NULL, tcgv_ptr_temp(cpu_env),
                  tcgv_i32_temp(tcg_constant_i32(n)), tcgv_i64_temp(s->T0));
    /* paging, protection and mode bits feed the TB flags and the TLB */
    gen_end_tb(s);
}

/*
 * 0f 21 / 0f 23: mov to/from drN.  The registers are only stored: no
 * breakpoints fire.  DR4/DR5 alias DR6/DR7 unless CR4.DE (then #UD; CR4
 * is not a TB flag, so the check is made at run time).
 */
static void gen_MOV_DR(DisasContext *s, X86DecodedInsn *d)
{
    unsigned n = d->reg;
    MemOp ot = ctl_ot(s);
    intptr_t off;

    if (n > 7) {
        gen_illegal(s);
        return;
    }
    if (!check_cpl0(s)) {
        return;
    }
    if (n == 4 || n == 5) {
        TCGLabel *alias = gen_new_label();

        tcg_gen_ld_i64(s->T0, cpu_env, offsetof(CPUX86State, cr[4]));
        tcg_gen_andi_i64(s->T0, s->T0, CR4_DE_MASK);
        tcg_gen_brcondi_i64(TCG_COND_EQ, s->T0, 0, alias);
        gen_update_rip(s, s->pc_start);
        tcg_gen_call2(&x86_helper_raise, NULL, tcgv_ptr_temp(cpu_env),
                      tcgv_i32_temp(tcg_constant_i32(EXCP06_ILLOP)));
        gen_set_label(alias);
        n += 2;
    }
    off = offsetof(CPUX86State, dr[0]) + n * sizeof(uint64_t);
    if (!d->e->special) {
        tcg_gen_ld_i64(s->T0, cpu_env, off);
        gen_op_mov_reg_v(s, ot, d->rm, s->T0, false);
    } else {
        gen_op_mov_v_reg(s, ot, s->T0, d->rm, false);
        tcg_gen_st_i64(s->T0, cpu_env, off);
    }
}

static void gen_CLTS(DisasContext *s, X86DecodedInsn *d)
{
    intptr_t off = offsetof(CPUX86State, cr[0]);

    if (!check_cpl0(s)) {
        return;
    }
    tcg_gen_ld_i64(s->T0, cpu_env, off);
    tcg_gen_andi_i64(s->T0, s->T0, ~(int64_t)CR0_TS_MASK);
    tcg_gen_st_i64(s->T0, cpu_env, off);
    /* CR0.TS is a TB flag (#NM checks at translation) */
    gen_end_tb(s);
}

/* invd / wbinvd: no caches to write back */
static void gen_PRIV_NOP(DisasContext *s, X86DecodedInsn *d)
{
    check_cpl0(s);
}

/* Store a 16-bit selector-like value: to memory 16 bits, to a register dflag */
static void gen_store_sel(DisasContext *s, X86DecodedInsn *d, TCGv_i64 v)
{
    if (d->mod != 3) {
        gen_st(s, v, s->A0, MO_16);
    } else {
        gen_op_mov_reg_v(s, s->dflag, d->rm, v, false);
    }
}

static void gen_load_sel(DisasContext *s, X86DecodedInsn *d, TCGv_i64 v)
{
    if (d->mod != 3) {
        gen_ld(s, v, s->A0, MO_16);
    } else {
        gen_op_mov_v_reg(s, MO_16, v, d->rm, false);
    }
}

/* group 6 (0f 00): sldt str lldt ltr verr verw */
static void gen_GRP6(DisasContext *s, X86DecodedInsn *d)
{
    unsigned op = (d->modrm >> 3) & 7;

    if (s->realmode || (s->flags & X86_TBF_VM) || op > 5) {
        gen_illegal(s);
        return;
    }
    if (d->mod != 3) {
        gen_ea(s, d);
    }
    switch (op) {
    case 0:
    case 1:
        tcg_gen_ld32u_i64(s->T0, cpu_env, op == 0 ?
                          offsetof(CPUX86State, ldt.selector) :
                          offsetof(CPUX86State, tr.selector));
        gen_store_sel(s, d, s->T0);
        break;
    case 4:
    case 5:
        gen_load_sel(s, d, s->T0);
        gen_update_rip(s, s->pc_start);
        tcg_gen_call3(&x86_helper_verr_verw, NULL, tcgv_ptr_temp(cpu_env),
                      tcgv_i32_temp(tcg_constant_i32(op == 5)),
                      tcgv_i64_temp(s->T0));
        s->cc_op = CC_OP_DYNAMIC;
        break;
    default:
        if (!check_cpl0(s)) {
            return;
        }
        gen_load_sel(s, d, s->T0);
        gen_update_rip(s, s->pc_start);
        tcg_gen_call3(&x86_helper_load_sys_seg, NULL, tcgv_ptr_temp(cpu_env),
                      tcgv_i32_temp(tcg_constant_i32(op == 3)),
                      tcgv_i64_temp(s->T0));
        break;
    }
}

/* sgdt/sidt (table at env offset off): 16-bit limit, then the base */
static void gen_store_dt(DisasContext *s, intptr_t off)
{
    TCGv_i64 a = tcg_temp_new_i64();

    tcg_gen_ld32u_i64(s->T0, cpu_env, off + offsetof(SegmentCache, limit));
    gen_st(s, s->T0, s->A0, MO_16);
    tcg_gen_ld_i64(s->T0, cpu_env, off + offsetof(SegmentCache, base));
    tcg_gen_addi_i64(a, s->A0, 2);
    gen_st(s, s->T0, a, s->code64 ? MO_64 : MO_32);
    tcg_temp_free_i64(a);
}

/* lgdt/lidt: with 16-bit operands only 24 bits of base */
static void gen_load_dt(DisasContext *s, intptr_t off)
{
    TCGv_i64 a = tcg_temp_new_i64();

    gen_ld(s, s->T0, s->A0, MO_16);
    tcg_gen_addi_i64(a, s->A0, 2);
    gen_ld(s, s->T1, a, s->code64 ? MO_64 : MO_32);
    if (!s->code64 && s->dflag == MO_16) {
        tcg_gen_andi_i64(s->T1, s->T1, 0xffffff);
    }
    tcg_gen_st32_i64(s->T0, cpu_env, off + offsetof(SegmentCache, limit));
    tcg_gen_st_i64(s->T1, cpu_env, off + offsetof(SegmentCache, base));
    tcg_temp_free_i64(a);
}

/* group 7 (0f 01): descriptor tables, smsw/lmsw, invlpg, rdtscp */
static void gen_GRP7(DisasContext *s, X86DecodedInsn *d)
{
    unsigned op = (d->modrm >> 3) & 7;

    if (d->mod == 3) {
        if (d->modrm == 0xf8) {
            /* swapgs: 64-bit mode only, CPL 0 */
            if (!s->code64) {
                gen_illegal(s);
                return;
            }
            if (!check_cpl0(s)) {
                return;
            }
            intptr_t kgs = offsetof(CPUX86State, kernelgsbase);
            intptr_t gs = offsetof(CPUX86State, segs[R_GS].base);

            tcg_gen_ld_i64(s->T0, cpu_env, kgs);
            tcg_gen_ld_i64(s->T1, cpu_env, gs);
            tcg_gen_st_i64(s->T0, cpu_env, gs);
            tcg_gen_st_i64(s->T1, cpu_env, kgs);
            return;
        }
        if (d->modrm == 0xf9) {
            gen_update_rip(s, s->pc_start);
            tcg_gen_call2(&x86_helper_rdtsc, NULL, tcgv_ptr_temp(cpu_env),
                          tcgv_i32_temp(tcg_constant_i32(1)));
            return;
        }
        if (op != 4 && op != 6) {
            gen_illegal(s);
            return;
        }
    } else {
        gen_ea(s, d);
    }
    switch (op) {
    case 0:
    case 1:
        gen_store_dt(s, op == 0 ? offsetof(CPUX86State, gdt) :
                     offsetof(CPUX86State, idt));
        break;
    case 2:
    case 3:
        if (!check_cpl0(s)) {
            return;
        }
        gen_load_dt(s, op == 2 ? offsetof(CPUX86State, gdt) :
                    offsetof(CPUX86State, idt));
        break;
    case 4: /* smsw */
        tcg_gen_ld_i64(s->T0, cpu_env, offsetof(CPUX86State, cr[0]));
        if (d->mod != 3) {
            gen_st(s, s->T0, s->A0, MO_16);
        } else {
            gen_op_mov_reg_v(s, s->dflag, d->rm, s->T0, false);
        }
        break;
    case 6: /* lmsw */
        if (!check_cpl0(s)) {
            return;
        }
        gen_load_sel(s, d, s->T0);
        gen_update_rip(s, s->pc_start);
        tcg_gen_call2(&x86_helper_lmsw, NULL, tcgv_ptr_temp(cpu_env),
                      tcgv_i64_temp(s->T0));
        gen_end_tb(s);
        break;
    case 7: /* invlpg */
        if (!check_cpl0(s)) {
            return;
        }
        tcg_gen_call2(&x86_helper_invlpg, NULL, tcgv_ptr_temp(cpu_env),
                      tcgv_i64_temp(s->A0));
        /* the page may hold code of this TB */
        gen_end_tb(s);
        break;
    default:
        gen_illegal(s);
        break;
    }
}

/*
 * f3 0f c7 /7 (register): rdpid, TSC_AUX into a 64-bit (32-bit outside
 * 64-bit mode) register.  CPUID does not advertise it.
 */
static void gen_RDPID(DisasContext *s, X86DecodedInsn *d)
{
    if (!(s->prefix & PREFIX_REPZ) || d->mod != 3) {
        gen_illegal(s);
        return;
    }
    tcg_gen_ld_i64(s->T0, cpu_env, offsetof(CPUX86State, tsc_aux));
    gen_op_mov_reg_v(s, s->code64 ? MO_64 : MO_32, d->rm, s->T0, false);
}

/* 0f 05: syscall */
static void gen_SYSCALL(DisasContext *s, X86DecodedInsn *d)
{
    gen_update_rip(s, s->pc_start);
    tcg_gen_call2(&x86_helper_syscall, NULL, tcgv_ptr_temp(cpu_env),
                  tcgv_i64_temp(tcg_constant_i64(s->pc - s->cs_base)));
    s->cc_op = CC_OP_DYNAMIC;
    gen_exit_dynamic(s);
}

/* 0f 07: sysret (REX.W: to 64-bit code); IF may be set: to the loop */
static void gen_SYSRET(DisasContext *s, X86DecodedInsn *d)
{
    gen_update_rip(s, s->pc_start);
    tcg_gen_call2(&x86_helper_sysret, NULL, tcgv_ptr_temp(cpu_env),
                  tcgv_i32_temp(tcg_constant_i32(s->rex_w)));
    s->cc_op = CC_OP_DYNAMIC;
    tcg_gen_exit_tb(NULL, 0);
    s->base.is_jmp = DISAS_NORETURN;
}

/* 0f 34: sysenter (special 0), 0f 35: sysexit (1, REX.W: to 64-bit code) */
static void gen_SYSENTER(DisasContext *s, X86DecodedInsn *d)
{
    gen_update_rip(s, s->pc_start);
    if (d->e->special) {
        tcg_gen_call2(&x86_helper_sysexit, NULL, tcgv_ptr_temp(cpu_env),
                      tcgv_i32_temp(tcg_constant_i32(s->rex_w)));
    } else {
        tcg_gen_call1(&x86_helper_sysenter, NULL, tcgv_ptr_temp(cpu_env));
    }
    s->cc_op = CC_OP_DYNAMIC;
    gen_exit_dynamic(s);
}

/* 0f 02 lar (special 0) / 0f 03 lsl (1): Gv, Ew; #UD in real and VM86 mode */
static void gen_LAR(DisasContext *s, X86DecodedInsn *d)
{
    TCGLabel *skip = gen_new_label();

    if (!pe_mode(s)) {
        gen_illegal(s);
        return;
    }
    gen_load(s, d, 1, s->T0);
    gen_update_rip(s, s->pc_start);
    tcg_gen_call3(&x86_helper_lar_lsl, tcgv_i64_temp(s->T1),
                  tcgv_ptr_temp(cpu_env),
                  tcgv_i32_temp(tcg_constant_i32(d->e->special)),
                  tcgv_i64_temp(s->T0));
    s->cc_op = CC_OP_DYNAMIC;
    tcg_gen_brcondi_i64(TCG_COND_EQ, s->T1, -1, skip);
    gen_op_mov_reg_v(s, s->dflag, d->op[0].reg, s->T1, false);
    gen_set_label(skip);
}

/*
 * I/O permission: outside real mode at CPL > 0 or in virtual-8086 mode
 * in/out go through seg_helper's in_prot/out_prot, which compare CPL
 * with IOPL (a run-time value) and read the TSS bitmap.
 */
static bool io_restricted(DisasContext *s)
{
    return !s->realmode && ((s->flags & X86_TBF_CPL_MASK) ||
                            (s->flags & X86_TBF_VM));
}

/* IOPL-sensitive insns: #GP(0) at CPL > IOPL, or in VM86 mode with IOPL < 3 */
static void gen_check_iopl(DisasContext *s)
{
    if (s->realmode || !((s->flags & X86_TBF_CPL_MASK) ||
                         (s->flags & X86_TBF_VM))) {
        return;
    }
    gen_update_rip(s, s->pc_start);
    tcg_gen_call1(&x86_helper_check_iopl, NULL, tcgv_ptr_temp(cpu_env));
}

/* int n / int3 / into from virtual-8086 mode (iopl: int n's IOPL check) */
static void gen_int_vm86(DisasContext *s, int vec, bool iopl)
{
    tcg_gen_call4(&x86_helper_int_vm86, NULL, tcgv_ptr_temp(cpu_env),
                  tcgv_i32_temp(tcg_constant_i32(vec)),
                  tcgv_i64_temp(tcg_constant_i64(s->pc - s->cs_base)),
                  tcgv_i32_temp(tcg_constant_i32(iopl)));
    s->cc_op = CC_OP_DYNAMIC;
    gen_exit_dynamic(s);
}

/* x87, group 15 and SSE/MMX generators (included: they share the statics) */
#include "target/i386/tcg/translate-x87.c.inc"
#include "target/i386/tcg/translate-sse.c.inc"

/* ---- Opcode tables ---- */

#define None (X86_OP_NONE << 4 | X86_SZ_NONE)
#define Eb (X86_OP_E << 4 | X86_SZ_b)
#define Ew (X86_OP_E << 4 | X86_SZ_w)
#define Ed (X86_OP_E << 4 | X86_SZ_d)
#define Ev (X86_OP_E << 4 | X86_SZ_v)
#define Gb (X86_OP_G << 4 | X86_SZ_b)
#define Gv (X86_OP_G << 4 | X86_SZ_v)
#define Gy (X86_OP_G << 4 | X86_SZ_y)
#define M (X86_OP_M << 4 | X86_SZ_NONE)
#define Mv (X86_OP_M << 4 | X86_SZ_v)
#define Ib (X86_OP_I << 4 | X86_SZ_b)
#define Iw (X86_OP_I << 4 | X86_SZ_w)
#define Iz (X86_OP_I << 4 | X86_SZ_z)
#define Iv (X86_OP_I << 4 | X86_SZ_v)
#define Jb (X86_OP_J << 4 | X86_SZ_b)
#define Jz (X86_OP_J << 4 | X86_SZ_z)
#define Ob (X86_OP_O << 4 | X86_SZ_b)
#define Ov (X86_OP_O << 4 | X86_SZ_v)
#define Zb (X86_OP_Z << 4 | X86_SZ_b)
#define Zv (X86_OP_Z << 4 | X86_SZ_v)
#define Zy (X86_OP_Z << 4 | X86_SZ_y)
#define AL (X86_OP_AX << 4 | X86_SZ_b)
#define rAX (X86_OP_AX << 4 | X86_SZ_v)
#define CL (X86_OP_CX << 4 | X86_SZ_b)
#define One (X86_OP_1 << 4 | X86_SZ_b)
#define Xb (X86_OP_NONE << 4 | X86_SZ_b)   /* string ops: size only */
#define Xv (X86_OP_NONE << 4 | X86_SZ_v)

#define X(g, nm, o0, o1, o2, sp, fl) \
    { .gen = gen_##g, .name = nm, .op = { o0, o1, o2 }, .special = sp, \
      .flags = fl }
#define GRP(tbl, o0, o1, fl) \
    { .name = #tbl, .op = { o0, o1, None }, .flags = (fl) | X86_F_GROUP, \
      .table = tbl }
#define UD { .gen = NULL }

#define ALU_ROW(n) \
    X(ALU, "alu", Eb, Gb, None, n, X86_F_LOCK), \
    X(ALU, "alu", Ev, Gv, None, n, X86_F_LOCK), \
    X(ALU, "alu", Gb, Eb, None, n, 0), \
    X(ALU, "alu", Gv, Ev, None, n, 0), \
    X(ALU, "alu", AL, Ib, None, n, 0), \
    X(ALU, "alu", rAX, Iz, None, n, 0)

#define CC16(g, nm, o0, o1, fl) \
    X(g, nm, o0, o1, None, 0, fl), X(g, nm, o0, o1, None, 1, fl), \
    X(g, nm, o0, o1, None, 2, fl), X(g, nm, o0, o1, None, 3, fl), \
    X(g, nm, o0, o1, None, 4, fl), X(g, nm, o0, o1, None, 5, fl), \
    X(g, nm, o0, o1, None, 6, fl), X(g, nm, o0, o1, None, 7, fl), \
    X(g, nm, o0, o1, None, 8, fl), X(g, nm, o0, o1, None, 9, fl), \
    X(g, nm, o0, o1, None, 10, fl), X(g, nm, o0, o1, None, 11, fl), \
    X(g, nm, o0, o1, None, 12, fl), X(g, nm, o0, o1, None, 13, fl), \
    X(g, nm, o0, o1, None, 14, fl), X(g, nm, o0, o1, None, 15, fl)

#define R8(g, nm, o0, o1, fl) \
    X(g, nm, o0, o1, None, 0, fl), X(g, nm, o0, o1, None, 1, fl), \
    X(g, nm, o0, o1, None, 2, fl), X(g, nm, o0, o1, None, 3, fl), \
    X(g, nm, o0, o1, None, 4, fl), X(g, nm, o0, o1, None, 5, fl), \
    X(g, nm, o0, o1, None, 6, fl), X(g, nm, o0, o1, None, 7, fl)

/* group 1: the ALU op is the reg field */
static const X86OpEntry grp1[8] = {
    R8(ALU, "grp1", None, None, X86_F_LOCK),
};
/* group 1A: pop Ev */
static const X86OpEntry grp1a[8] = {
    X(POP, "pop", Ev, None, None, 0, X86_F_DEF64),
};
/* group 2: shifts and rotates, the operation is the reg field */
static const X86OpEntry grp2[8] = {
    R8(SHIFT, "grp2", None, None, 0),
};
static const X86OpEntry grp3_b[8] = {
    X(TEST, "test", Eb, Ib, None, 0, 0),
    X(TEST, "test", Eb, Ib, None, 0, 0),
    X(NOT, "not", Eb, None, None, 0, X86_F_LOCK),
    X(NEG, "neg", Eb, None, None, 0, X86_F_LOCK),
    X(MUL1, "mul", Eb, None, None, 0, 0),
    X(MUL1, "imul", Eb, None, None, 1, 0),
    X(DIV, "div", Eb, None, None, 0, 0),
    X(DIV, "idiv", Eb, None, None, 1, 0),
};
static const X86OpEntry grp3_v[8] = {
    X(TEST, "test", Ev, Iz, None, 0, 0),
    X(TEST, "test", Ev, Iz, None, 0, 0),
    X(NOT, "not", Ev, None, None, 0, X86_F_LOCK),
    X(NEG, "neg", Ev, None, None, 0, X86_F_LOCK),
    X(MUL1, "mul", Ev, None, None, 0, 0),
    X(MUL1, "imul", Ev, None, None, 1, 0),
    X(DIV, "div", Ev, None, None, 0, 0),
    X(DIV, "idiv", Ev, None, None, 1, 0),
};
static const X86OpEntry grp4[8] = {
    X(INCDEC, "inc", Eb, None, None, 0, X86_F_LOCK),
    X(INCDEC, "dec", Eb, None, None, 0, X86_F_LOCK),
};
static const X86OpEntry grp5[8] = {
    X(INCDEC, "inc", Ev, None, None, 0, X86_F_LOCK),
    X(INCDEC, "dec", Ev, None, None, 0, X86_F_LOCK),
    X(CALL_E, "call", Ev, None, None, 0, X86_F_F64),
    X(JMPF_M, "callf", M, None, None, 1, 0),
    X(JMP_E, "jmp", Ev, None, None, 0, X86_F_F64),
    X(JMPF_M, "jmpf", M, None, None, 0, 0),
    X(PUSH, "push", Ev, None, None, 0, X86_F_DEF64),
    UD,
};
/* group 8: bt/bts/btr/btc Ev, Ib */
static const X86OpEntry grp8[8] = {
    UD, UD, UD, UD,
    X(BT, "bt", Ev, Ib, None, 4, 0),
    X(BT, "bts", Ev, Ib, None, 5, X86_F_LOCK),
    X(BT, "btr", Ev, Ib, None, 6, X86_F_LOCK),
    X(BT, "btc", Ev, Ib, None, 7, X86_F_LOCK),
};
/* group 9: cmpxchg8b/16b m64/m128 */
static const X86OpEntry grp9[8] = {
    UD,
    X(CMPXCHG8B, "cmpxchg8b", M, None, None, 0, X86_F_LOCK),
    UD, UD, UD, UD, UD,
    X(RDPID, "rdpid", None, None, None, 0, 0),
};
static const X86OpEntry grp11_b[8] = {
    X(MOV, "mov", Eb, Ib, None, 0, 0),
};
static const X86OpEntry grp11_v[8] = {
    X(MOV, "mov", Ev, Iz, None, 0, 0),
};
static const X86OpEntry opcodes_1byte[256] = {
    /* 00 */ ALU_ROW(0), UD, UD,
    /* 08 */ ALU_ROW(1), UD, UD,
    /* 10 */ ALU_ROW(2), UD, UD,
    /* 18 */ ALU_ROW(3), UD, UD,
    /* 20 */ ALU_ROW(4), UD, UD,
    /* 28 */ ALU_ROW(5), UD, UD,
    /* 30 */ ALU_ROW(6), UD, UD,
    /* 38 */ ALU_ROW(7), UD, UD,
    /* 40: REX prefixes in 64-bit mode */
    UD, UD, UD, UD, UD, UD, UD, UD, UD, UD, UD, UD, UD, UD, UD, UD,
    /* 50 */ R8(PUSH, "push", Zv, None, X86_F_DEF64),
    /* 58 */ R8(POP, "pop", Zv, None, X86_F_DEF64),
    /* 60 */ UD, UD, UD,
    /* 63 */ X(MOVX, "movsxd", Gv, Ed, None, 1, 0),
    /* 64 */ UD, UD, UD, UD,
    /* 68 */ X(PUSH, "push", Iz, None, None, 0, X86_F_DEF64),
    /* 69 */ X(IMUL, "imul", Gv, Ev, Iz, 0, 0),
    /* 6a */ X(PUSH, "push", Ib, None, None, 0, X86_F_DEF64),
    /* 6b */ X(IMUL, "imul", Gv, Ev, Ib, 0, 0),
    /* 6c */ X(STRING, "ins", Xb, None, None, STR_INS, 0),
    /* 6d */ X(STRING, "ins", Xv, None, None, STR_INS, 0),
    /* 6e */ X(STRING, "outs", Xb, None, None, STR_OUTS, 0),
    /* 6f */ X(STRING, "outs", Xv, None, None, STR_OUTS, 0),
    /* 70 */ CC16(JCC, "jcc", Jb, None, X86_F_F64),
    /* 80 */ GRP(grp1, Eb, Ib, 0),
    /* 81 */ GRP(grp1, Ev, Iz, 0),
    /* 82 */ UD,
    /* 83 */ GRP(grp1, Ev, Ib, 0),
    /* 84 */ X(TEST, "test", Eb, Gb, None, 0, 0),
    /* 85 */ X(TEST, "test", Ev, Gv, None, 0, 0),
    /* 86 */ X(XCHG, "xchg", Eb, Gb, None, 0, X86_F_LOCK),
    /* 87 */ X(XCHG, "xchg", Ev, Gv, None, 0, X86_F_LOCK),
    /* 88 */ X(MOV, "mov", Eb, Gb, None, 0, 0),
    /* 89 */ X(MOV, "mov", Ev, Gv, None, 0, 0),
    /* 8a */ X(MOV, "mov", Gb, Eb, None, 0, 0),
    /* 8b */ X(MOV, "mov", Gv, Ev, None, 0, 0),
    /* 8c */ X(MOV_FROM_SEG, "mov", Ev, None, None, 0, X86_F_MODRM),
    /* 8d */ X(LEA, "lea", Gv, M, None, 0, 0),
    /* 8e */ X(MOV_TO_SEG, "mov", None, Ew, None, 0, X86_F_MODRM),
    /* 8f */ GRP(grp1a, None, None, X86_F_DEF64),
    /* 90 */ X(XCHG_AX, "xchg", Zv, rAX, None, 0, 0),
    /* 91 */ X(XCHG, "xchg", Zv, rAX, None, 0, 0),
    X(XCHG, "xchg", Zv, rAX, None, 0, 0),
    X(XCHG, "xchg", Zv, rAX, None, 0, 0),
    X(XCHG, "xchg", Zv, rAX, None, 0, 0),
    X(XCHG, "xchg", Zv, rAX, None, 0, 0),
    X(XCHG, "xchg", Zv, rAX, None, 0, 0),
    X(XCHG, "xchg", Zv, rAX, None, 0, 0),
    /* 98 */ X(CBW, "cbw", None, None, None, 0, 0),
    /* 99 */ X(CWD, "cwd", None, None, None, 0, 0),
    /* 9a */ UD,
    /* 9b */ X(FWAIT, "fwait", None, None, None, 0, 0),
    /* 9c */ X(PUSHF, "pushf", None, None, None, 0, X86_F_DEF64),
    /* 9d */ X(POPF, "popf", None, None, None, 0, X86_F_DEF64),
    /* 9e */ X(SAHF, "sahf", None, None, None, 0, 0),
    /* 9f */ X(LAHF, "lahf", None, None, None, 0, 0),
    /* a0 */ X(MOV, "mov", AL, Ob, None, 0, 0),
    /* a1 */ X(MOV, "mov", rAX, Ov, None, 0, 0),
    /* a2 */ X(MOV, "mov", Ob, AL, None, 0, 0),
    /* a3 */ X(MOV, "mov", Ov, rAX, None, 0, 0),
    /* a4 */ X(STRING, "movs", Xb, None, None, STR_MOVS, 0),
    /* a5 */ X(STRING, "movs", Xv, None, None, STR_MOVS, 0),
    /* a6 */ X(STRING, "cmps", Xb, None, None, STR_CMPS, 0),
    /* a7 */ X(STRING, "cmps", Xv, None, None, STR_CMPS, 0),
    /* a8 */ X(TEST, "test", AL, Ib, None, 0, 0),
    /* a9 */ X(TEST, "test", rAX, Iz, None, 0, 0),
    /* aa */ X(STRING, "stos", Xb, None, None, STR_STOS, 0),
    /* ab */ X(STRING, "stos", Xv, None, None, STR_STOS, 0),
    /* ac */ X(STRING, "lods", Xb, None, None, STR_LODS, 0),
    /* ad */ X(STRING, "lods", Xv, None, None, STR_LODS, 0),
    /* ae */ X(STRING, "scas", Xb, None, None, STR_SCAS, 0),
    /* af */ X(STRING, "scas", Xv, None, None, STR_SCAS, 0),
    /* b0 */ R8(MOV, "mov", Zb, Ib, 0),
    /* b8 */ R8(MOV, "mov", Zv, Iv, 0),
    /* c0 */ GRP(grp2, Eb, Ib, 0),
    /* c1 */ GRP(grp2, Ev, Ib, 0),
    /* c2 */ X(RET, "ret", Iw, None, None, 0, X86_F_F64),
    /* c3 */ X(RET, "ret", None, None, None, 0, X86_F_F64),
    /* c4 */ UD, UD,
    /* c6 */ GRP(grp11_b, None, None, 0),
    /* c7 */ GRP(grp11_v, None, None, 0),
    /* c8 */ UD,
    /* c9 */ X(LEAVE, "leave", None, None, None, 0, X86_F_DEF64),
    /* ca */ X(RETF, "retf", Iw, None, None, 0, 0),
    /* cb */ X(RETF, "retf", None, None, None, 0, 0),
    /* cc */ X(INT, "int3", None, None, None, 1, 0),
    /* cd */ X(INT, "int", Ib, None, None, 0, 0),
    /* ce */ UD,
    /* cf */ X(IRET, "iret", None, None, None, 0, 0),
    /* d0 */ GRP(grp2, Eb, One, 0),
    /* d1 */ GRP(grp2, Ev, One, 0),
    /* d2 */ GRP(grp2, Eb, CL, 0),
    /* d3 */ GRP(grp2, Ev, CL, 0),
    /* d4 */ UD, UD, UD, UD,
    /* d8: x87 escape opcodes, decoded in translate-x87.c.inc */
    R8(X87, "fpu", None, None, X86_F_MODRM),
    /* e0 */ X(LOOP, "loopne", Jb, None, None, 0, X86_F_F64),
    X(LOOP, "loope", Jb, None, None, 0, X86_F_F64),
    X(LOOP, "loop", Jb, None, None, 0, X86_F_F64),
    X(LOOP, "jcxz", Jb, None, None, 0, X86_F_F64),
    /* e4 */ X(INOUT, "in", Ib, None, None, 0, 0),
    X(INOUT, "in", Ib, None, None, 0, 0),
    X(INOUT, "out", Ib, None, None, 0, 0),
    X(INOUT, "out", Ib, None, None, 0, 0),
    /* e8 */ X(CALL, "call", Jz, None, None, 0, X86_F_F64),
    /* e9 */ X(JMP, "jmp", Jz, None, None, 0, X86_F_F64),
    /* ea */ UD,
    /* eb */ X(JMP, "jmp", Jb, None, None, 0, X86_F_F64),
    /* ec */ X(INOUT, "in", None, None, None, 0, 0),
    X(INOUT, "in", None, None, None, 0, 0),
    X(INOUT, "out", None, None, None, 0, 0),
    X(INOUT, "out", None, None, None, 0, 0),
    /* f0 */ UD, UD, UD, UD,
    /* f4 */ X(HLT, "hlt", None, None, None, 0, 0),
    /* f5 */ X(CF_OP, "cmc", None, None, None, 2, 0),
    /* f6 */ GRP(grp3_b, None, None, 0),
    /* f7 */ GRP(grp3_v, None, None, 0),
    /* f8 */ X(CF_OP, "clc", None, None, None, 0, 0),
    /* f9 */ X(CF_OP, "stc", None, None, None, 1, 0),
    /* fa */ X(CLI_STI, "cli", None, None, None, 0, 0),
    /* fb */ X(CLI_STI, "sti", None, None, None, 1, 0),
    /* fc */ X(DF_OP, "cld", None, None, None, 0, 0),
    /* fd */ X(DF_OP, "std", None, None, None, 1, 0),
    /* fe */ GRP(grp4, None, None, 0),
    /* ff */ GRP(grp5, None, None, 0),
};

static const X86OpEntry opcodes_0f[256] = {
    /* 00 */ X(GRP6, "grp6", None, None, None, 0, X86_F_MODRM),
    /* 01 */ X(GRP7, "grp7", None, None, None, 0, X86_F_MODRM),
    /* 02 */ X(LAR, "lar", Gv, Ew, None, 0, 0),
    /* 03 */ X(LAR, "lsl", Gv, Ew, None, 1, 0),
    /* 04 */ UD,
    /* 05 */ X(SYSCALL, "syscall", None, None, None, 0, 0),
    /* 06 */ X(CLTS, "clts", None, None, None, 0, 0),
    /* 07 */ X(SYSRET, "sysret", None, None, None, 0, 0),
    /* 08 */ X(PRIV_NOP, "invd", None, None, None, 0, 0),
    /* 09 */ X(PRIV_NOP, "wbinvd", None, None, None, 0, 0),
    /* 0a */ UD, UD, UD,
    /* 0d: prefetch/prefetchw, hints (Linux uses prefetchw freely) */
    X(NOP, "prefetch", Ev, None, None, 0, 0),
    /* 0e */ UD, UD,
    /* 10: SSE, decoded in translate-sse.c.inc */ R8(SSE, "sse", None, None, X86_F_MODRM),
    /* 18: hint nops */ R8(NOP, "nop", Ev, None, 0),
    /* 20 */ X(MOV_CR, "mov", None, None, None, 0, X86_F_MODRM | X86_F_MODRM_REG),
    /* 21 */ X(MOV_DR, "mov", None, None, None, 0, X86_F_MODRM | X86_F_MODRM_REG),
    /* 22 */ X(MOV_CR, "mov", None, None, None, 1, X86_F_MODRM | X86_F_MODRM_REG),
    /* 23 */ X(MOV_DR, "mov", None, None, None, 1, X86_F_MODRM | X86_F_MODRM_REG),
    /* 24 */ UD, UD, UD, UD,
    /* 28 */ R8(SSE, "sse", None, None, X86_F_MODRM),
    /* 30 */ X(WRMSR, "wrmsr", None, None, None, 0, 0),
    /* 31 */ X(RDTSC, "rdtsc", None, None, None, 0, 0),
    /* 32 */ X(RDMSR, "rdmsr", None, None, None, 0, 0),
    /* 33 */ UD,
    /* 34 */ X(SYSENTER, "sysenter", None, None, None, 0, 0),
    /* 35 */ X(SYSENTER, "sysexit", None, None, None, 1, 0),
    /* 36 */ UD, UD, UD, UD, UD, UD, UD, UD, UD, UD,
    /* 40 */ CC16(CMOVCC, "cmovcc", Gv, Ev, 0),
    /* 50 */ R8(SSE, "sse", None, None, X86_F_MODRM),
    R8(SSE, "sse", None, None, X86_F_MODRM),
    /* 60 */ R8(SSE, "sse", None, None, X86_F_MODRM),
    R8(SSE, "sse", None, None, X86_F_MODRM),
    /* 70: with an imm8 */ X(SSE, "sse", None, None, Ib, 0, X86_F_MODRM),
    /* 71-73: groups 12-14, register operand */
    X(SSE, "sse", None, None, Ib, 0, X86_F_MODRM | X86_F_MODRM_REG),
    X(SSE, "sse", None, None, Ib, 0, X86_F_MODRM | X86_F_MODRM_REG),
    X(SSE, "sse", None, None, Ib, 0, X86_F_MODRM | X86_F_MODRM_REG),
    /* 74 */ X(SSE, "sse", None, None, None, 0, X86_F_MODRM),
    X(SSE, "sse", None, None, None, 0, X86_F_MODRM),
    X(SSE, "sse", None, None, None, 0, X86_F_MODRM),
    /* 77: emms, no ModRM */ X(SSE, "emms", None, None, None, 0, 0),
    /* 78 */ UD, UD, UD, UD,
    /* 7c */ X(SSE, "sse", None, None, None, 0, X86_F_MODRM),
    X(SSE, "sse", None, None, None, 0, X86_F_MODRM),
    X(SSE, "sse", None, None, None, 0, X86_F_MODRM),
    X(SSE, "sse", None, None, None, 0, X86_F_MODRM),
    /* 80 */ CC16(JCC, "jcc", Jz, None, X86_F_F64),
    /* 90 */ CC16(SETCC, "setcc", Eb, None, 0),
    /* a0 */ X(PUSH_SEG, "push", None, None, None, R_FS, X86_F_DEF64),
    /* a1 */ X(POP_SEG, "pop", None, None, None, R_FS, X86_F_DEF64),
    /* a2 */ X(CPUID, "cpuid", None, None, None, 0, 0),
    /* a3 */ X(BT, "bt", Ev, Gv, None, 4, 0),
    /* a4 */ X(SHD, "shld", Ev, Gv, Ib, 0, 0),
    /* a5 */ X(SHD, "shld", Ev, Gv, CL, 0, 0),
    /* a6 */ UD, UD,
    /* a8 */ X(PUSH_SEG, "push", None, None, None, R_GS, X86_F_DEF64),
    /* a9 */ X(POP_SEG, "pop", None, None, None, R_GS, X86_F_DEF64),
    /* aa */ UD,
    /* ab */ X(BT, "bts", Ev, Gv, None, 5, X86_F_LOCK),
    /* ac */ X(SHD, "shrd", Ev, Gv, Ib, 1, 0),
    /* ad */ X(SHD, "shrd", Ev, Gv, CL, 1, 0),
    /* ae: group 15 (fxsave, ldmxcsr, fences, ...), translate-x87.c.inc */
    X(GRP15, "grp15", None, None, None, 0, X86_F_MODRM),
    /* af */ X(IMUL, "imul", Gv, Ev, None, 0, 0),
    /* b0 */ X(CMPXCHG, "cmpxchg", Eb, Gb, None, 0, X86_F_LOCK),
    /* b1 */ X(CMPXCHG, "cmpxchg", Ev, Gv, None, 0, X86_F_LOCK),
    /* b2 */ X(LOAD_FAR_PTR, "lss", Gv, M, None, R_SS, 0),
    /* b3 */ X(BT, "btr", Ev, Gv, None, 6, X86_F_LOCK),
    /* b4 */ X(LOAD_FAR_PTR, "lfs", Gv, M, None, R_FS, 0),
    /* b5 */ X(LOAD_FAR_PTR, "lgs", Gv, M, None, R_GS, 0),
    /* b6 */ X(MOVX, "movzx", Gv, Eb, None, 0, 0),
    /* b7 */ X(MOVX, "movzx", Gv, Ew, None, 0, 0),
    /* b8 */ X(BITOP, "popcnt", Gv, Ev, None, 4, 0),
    /* b9 */ UD,
    /* ba */ GRP(grp8, None, None, 0),
    /* bb */ X(BT, "btc", Ev, Gv, None, 7, X86_F_LOCK),
    /* bc */ X(BITOP, "bsf", Gv, Ev, None, 0, 0),
    /* bd */ X(BITOP, "bsr", Gv, Ev, None, 1, 0),
    /* be */ X(MOVX, "movsx", Gv, Eb, None, 1, 0),
    /* bf */ X(MOVX, "movsx", Gv, Ew, None, 1, 0),
    /* c0 */ X(XADD, "xadd", Eb, Gb, None, 0, X86_F_LOCK),
    /* c1 */ X(XADD, "xadd", Ev, Gv, None, 0, X86_F_LOCK),
    /* c2 */ X(SSE, "sse", None, None, Ib, 0, X86_F_MODRM),
    /* c3 */ X(SSE, "sse", None, None, None, 0, X86_F_MODRM),
    /* c4 */ X(SSE, "sse", None, None, Ib, 0, X86_F_MODRM),
    X(SSE, "sse", None, None, Ib, 0, X86_F_MODRM),
    X(SSE, "sse", None, None, Ib, 0, X86_F_MODRM),
    /* c7 */ GRP(grp9, None, None, 0),
    /* c8 */ R8(BSWAP, "bswap", Zv, None, 0),
    /* d0 */ R8(SSE, "sse", None, None, X86_F_MODRM),
    R8(SSE, "sse", None, None, X86_F_MODRM),
    /* e0 */ R8(SSE, "sse", None, None, X86_F_MODRM),
    R8(SSE, "sse", None, None, X86_F_MODRM),
    /* f0 */ R8(SSE, "sse", None, None, X86_F_MODRM),
    R8(SSE, "sse", None, None, X86_F_MODRM),
};

/*
 * 0F 38 map: movbe here (without F2: with F2 the same bytes are crc32);
 * everything else is SSE (SSSE3, SSE4.1, SSE4.2), in translate-sse.c.inc
 */
static const struct {
    uint8_t b;
    X86OpEntry e;
} opcodes_0f38[] = {
    { 0xf0, X(MOVBE, "movbe", Gv, Mv, None, 0, 0) },
    { 0xf1, X(MOVBE, "movbe", Mv, Gv, None, 0, 0) },
};
static const X86OpEntry opcode_0f38_sse =
    X(SSE_0F38, "sse", None, None, None, 0, X86_F_MODRM);
/* 0F 3A map: all SSE with an imm8 after the operands */
static const X86OpEntry opcode_0f3a_sse =
    X(SSE_0F3A, "sse", None, None, Ib, 0, X86_F_MODRM);

/*
 * One-byte opcodes outside 64-bit mode where 64-bit mode has REX or
 * nothing (sparse: searched, only for legacy-mode code)
 */
static const struct {
    uint8_t b;
    X86OpEntry e;
} opcodes_legacy[] = {
    { 0x06, X(PUSH_SEG, "push", None, None, None, R_ES, 0) },
    { 0x07, X(POP_SEG, "pop", None, None, None, R_ES, 0) },
    { 0x0e, X(PUSH_SEG, "push", None, None, None, R_CS, 0) },
    { 0x16, X(PUSH_SEG, "push", None, None, None, R_SS, 0) },
    { 0x17, X(POP_SEG, "pop", None, None, None, R_SS, 0) },
    { 0x1e, X(PUSH_SEG, "push", None, None, None, R_DS, 0) },
    { 0x1f, X(POP_SEG, "pop", None, None, None, R_DS, 0) },
    { 0x27, X(BCD, "daa", None, None, None, 0, 0) },
    { 0x2f, X(BCD, "das", None, None, None, 1, 0) },
    { 0x37, X(BCD, "aaa", None, None, None, 2, 0) },
    { 0x3f, X(BCD, "aas", None, None, None, 3, 0) },
    { 0x40, X(INCDEC, "inc", Zv, None, None, 0, 0) },
    { 0x41, X(INCDEC, "inc", Zv, None, None, 0, 0) },
    { 0x42, X(INCDEC, "inc", Zv, None, None, 0, 0) },
    { 0x43, X(INCDEC, "inc", Zv, None, None, 0, 0) },
    { 0x44, X(INCDEC, "inc", Zv, None, None, 0, 0) },
    { 0x45, X(INCDEC, "inc", Zv, None, None, 0, 0) },
    { 0x46, X(INCDEC, "inc", Zv, None, None, 0, 0) },
    { 0x47, X(INCDEC, "inc", Zv, None, None, 0, 0) },
    { 0x48, X(INCDEC, "dec", Zv, None, None, 1, 0) },
    { 0x49, X(INCDEC, "dec", Zv, None, None, 1, 0) },
    { 0x4a, X(INCDEC, "dec", Zv, None, None, 1, 0) },
    { 0x4b, X(INCDEC, "dec", Zv, None, None, 1, 0) },
    { 0x4c, X(INCDEC, "dec", Zv, None, None, 1, 0) },
    { 0x4d, X(INCDEC, "dec", Zv, None, None, 1, 0) },
    { 0x4e, X(INCDEC, "dec", Zv, None, None, 1, 0) },
    { 0x4f, X(INCDEC, "dec", Zv, None, None, 1, 0) },
    { 0x60, X(PUSHA, "pusha", None, None, None, 0, 0) },
    { 0x61, X(PUSHA, "popa", None, None, None, 1, 0) },
    { 0x9a, X(JMPF, "callf", Iz, Iw, None, 1, 0) },
    { 0xc4, X(LOAD_FAR_PTR, "les", Gv, M, None, R_ES, 0) },
    { 0xc5, X(LOAD_FAR_PTR, "lds", Gv, M, None, R_DS, 0) },
    { 0xce, X(INTO, "into", None, None, None, 0, 0) },
    { 0xd4, X(AAM, "aam", Ib, None, None, 0, 0) },
    { 0xd5, X(AAM, "aad", Ib, None, None, 1, 0) },
    { 0xea, X(JMPF, "jmpf", Iz, Iw, None, 0, 0) },
};

_Static_assert(ARRAY_SIZE(opcodes_1byte) == 256, "one-byte map size");
_Static_assert(ARRAY_SIZE(opcodes_0f) == 256, "0F map size");

/* ---- Decoder ---- */

static bool entry_has_modrm(const X86OpEntry *e)
{
    if (e->flags & (X86_F_GROUP | X86_F_MODRM)) {
        return true;
    }
    for (int i = 0; i < 3; i++) {
        switch ((e->op[i] >> 4)) {
        case X86_OP_E:
        case X86_OP_G:
        case X86_OP_M:
        case X86_OP_R:
            return true;
        default:
            break;
        }
    }
    return false;
}

static MemOp op_size(DisasContext *s, unsigned sz)
{
    switch (sz) {
    case X86_SZ_b:
        return MO_8;
    case X86_SZ_w:
        return MO_16;
    case X86_SZ_d:
        return MO_32;
    case X86_SZ_q:
        return MO_64;
    case X86_SZ_z:
        return s->dflag == MO_16 ? MO_16 : MO_32;
    case X86_SZ_y:
        return s->dflag == MO_64 ? MO_64 : MO_32;
    default:
        return s->dflag;
    }
}

/* ModRM/SIB/displacement into d (the address is generated later) */
static void decode_modrm_mem(DisasContext *s, X86DecodedInsn *d)
{
    unsigned rm = d->modrm & 7;

    d->base = -1;
    d->index = -1;
    d->scale = 0;
    d->disp = 0;
    if (s->aflag == MO_16) {
        /* bx+si bx+di bp+si bp+di si di bp bx; bp-based default to SS */
        static const int8_t base16[8] = {
            R_EBX, R_EBX, R_EBP, R_EBP, R_ESI, R_EDI, R_EBP, R_EBX,
        };
        static const int8_t index16[8] = {
            R_ESI, R_EDI, R_ESI, R_EDI, -1, -1, -1, -1,
        };

        if (rm == 6 && d->mod == 0) {
            d->disp = x86_ld_imm(s, MO_16) & 0xffff;
        } else {
            d->base = base16[rm];
            d->index = index16[rm];
            if (d->mod == 1) {
                d->disp = x86_ld_imm(s, MO_8);
            } else if (d->mod == 2) {
                d->disp = x86_ld_imm(s, MO_16);
            }
        }
        if (s->override >= 0) {
            d->seg = s->override;
        } else if (d->base == R_EBP) {
            d->seg = R_SS;
        } else {
            d->seg = R_DS;
        }
        return;
    }
    if (rm == 4) {
        unsigned sib = x86_ldub_code(s);
        unsigned idx = ((sib >> 3) & 7) | (s->rex_x << 3);
        d->scale = sib >> 6;
        if (idx != 4) {
            d->index = idx;
        }
        if ((sib & 7) == 5 && d->mod == 0) {
            d->disp = x86_ld_imm(s, MO_32);
        } else {
            d->base = (sib & 7) | (s->rex_b << 3);
        }
    } else if (rm == 5 && d->mod == 0) {
        d->disp = x86_ld_imm(s, MO_32);
        if (s->code64) {
            d->base = -2;
        }
    } else {
        d->base = rm | (s->rex_b << 3);
    }
    if (d->mod == 1) {
        d->disp = x86_ld_imm(s, MO_8);
    } else if (d->mod == 2) {
        d->disp = x86_ld_imm(s, MO_32);
    }
    if (s->override >= 0) {
        d->seg = s->override;
    } else if (d->base == R_ESP || d->base == R_EBP) {
        d->seg = R_SS;
    } else {
        d->seg = R_DS;
    }
}

static void gen_ea(DisasContext *s, X86DecodedInsn *d)
{
    TCGv_i64 ea = s->EA;

    if (d->base == -2) {
        tcg_gen_movi_i64(ea, s->pc - s->cs_base + d->disp);
    } else if (d->base >= 0) {
        tcg_gen_addi_i64(ea, cpu_regs[d->base], d->disp);
    } else {
        tcg_gen_movi_i64(ea, d->disp);
    }
    if (d->index >= 0) {
        tcg_gen_shli_i64(s->T2, cpu_regs[d->index], d->scale);
        tcg_gen_add_i64(ea, ea, s->T2);
    }
    if (s->aflag == MO_32) {
        tcg_gen_ext32u_i64(ea, ea);
    } else if (s->aflag == MO_16) {
        tcg_gen_ext16u_i64(ea, ea);
    }
    gen_lea_seg(s, s->A0, ea, d->seg);
}

/* Returns false for #UD */
static bool decode_operand(DisasContext *s, X86DecodedInsn *d, int i,
                           X86OpSpec spec8)
{
    X86DecodedOp *op = &d->op[i];
    struct {
        unsigned kind, size;
    } sp = { spec8 >> 4, spec8 & 15 }, *spec = &sp;

    op->kind = spec->kind;
    op->ot = op_size(s, spec->size);
    op->mem = false;
    op->high8 = false;
    switch (spec->kind) {
    case X86_OP_NONE:
        break;
    case X86_OP_G:
        op->reg = d->reg;
        break;
    case X86_OP_R:
        if (d->mod != 3) {
            return false;
        }
        op->reg = d->rm;
        break;
    case X86_OP_M:
        if (d->mod == 3) {
            return false;
        }
        op->mem = true;
        break;
    case X86_OP_E:
        if (d->mod == 3) {
            op->reg = d->rm;
        } else {
            op->mem = true;
        }
        break;
    case X86_OP_Z:
        op->reg = (d->b & 7) | (s->rex_b << 3);
        break;
    case X86_OP_AX:
        op->reg = R_EAX;
        break;
    case X86_OP_CX:
        op->reg = R_ECX;
        break;
    case X86_OP_DX:
        op->reg = R_EDX;
        break;
    case X86_OP_1:
        break;
    case X86_OP_I: {
        int64_t v;

        if (spec->size == X86_SZ_v || spec->size == X86_SZ_z) {
            /* only mov r64, imm64 has a 64-bit immediate */
            v = x86_ld_imm(s, spec->size == X86_SZ_v ? op->ot :
                           op->ot == MO_16 ? MO_16 : MO_32);
        } else {
            v = x86_ld_imm(s, op->ot);
        }
        /* a second immediate (far pointers, enter) goes to imm2 */
        if (i > 0 && d->op[0].kind == X86_OP_I) {
            d->imm2 = v;
        } else {
            d->imm = v;
        }
        break;
    }
    case X86_OP_J: {
        int64_t rel = x86_ld_imm(s, spec->size == X86_SZ_b ? MO_8 :
                                 op->ot == MO_16 ? MO_16 : MO_32);
        uint64_t ip = s->pc - s->cs_base + rel;

        /* (E)IP wraps with the operand size outside 64-bit mode */
        if (!s->code64) {
            ip &= s->dflag == MO_16 ? 0xffff : 0xffffffff;
        }
        d->target = s->cs_base + ip;
        break;
    }
    case X86_OP_O:
        d->base = -1;
        d->index = -1;
        d->disp = x86_ld_imm(s, s->aflag);
        d->seg = s->override >= 0 ? s->override : R_DS;
        op->mem = true;
        break;
    }
    if (op->ot == MO_8 && !op->mem &&
        (spec->kind == X86_OP_G || spec->kind == X86_OP_E ||
         spec->kind == X86_OP_R || spec->kind == X86_OP_Z)) {
        op->high8 = byte_reg_is_high(s, op->reg);
    }
    return true;
}

static void x86_translate_one(DisasContext *s)
{
    X86DecodedInsn d = { 0 };
    const X86OpEntry *e;
    X86OpEntry ent;
    unsigned b;

    s->prefix = 0;
    s->override = -1;
    s->rex_w = s->rex_r = s->rex_x = s->rex_b = 0;
    s->too_long = false;

    for (;;) {
        b = x86_ldub_code(s);
        switch (b) {
        case 0xf3:
            s->prefix = (s->prefix & ~PREFIX_REPNZ) | PREFIX_REPZ;
            break;
        case 0xf2:
            s->prefix = (s->prefix & ~PREFIX_REPZ) | PREFIX_REPNZ;
            break;
        case 0xf0:
            s->prefix |= PREFIX_LOCK;
            break;
        case 0x2e:
            s->override = R_CS;
            break;
        case 0x36:
            s->override = R_SS;
            break;
        case 0x3e:
            s->override = R_DS;
            break;
        case 0x26:
            s->override = R_ES;
            break;
        case 0x64:
            s->override = R_FS;
            break;
        case 0x65:
            s->override = R_GS;
            break;
        case 0x66:
            s->prefix |= PREFIX_DATA;
            break;
        case 0x67:
            s->prefix |= PREFIX_ADR;
            break;
        default:
            if (s->code64 && (b & 0xf0) == 0x40) {
                /* REX: only effective as the last prefix */
                s->rex_w = (b >> 3) & 1;
                s->rex_r = (b >> 2) & 1;
                s->rex_x = (b >> 1) & 1;
                s->rex_b = b & 1;
                s->prefix |= PREFIX_REX;
                b = x86_ldub_code(s);
                if ((b & 0xf0) == 0x40 || b == 0x66 || b == 0x67 ||
                    b == 0xf2 || b == 0xf3 || b == 0xf0 ||
                    b == 0x2e || b == 0x36 || b == 0x3e || b == 0x26 ||
                    b == 0x64 || b == 0x65) {
                    /* a legacy prefix after REX cancels it */
                    s->rex_w = s->rex_r = s->rex_x = s->rex_b = 0;
                    s->prefix &= ~PREFIX_REX;
                    s->pc--;
                    continue;
                }
            }
            goto prefixes_done;
        }
        if (s->too_long) {
            break;
        }
    }
prefixes_done:
    if (s->too_long) {
        gen_exception(s, EXCP0D_GPF);
        return;
    }
    if (s->code64) {
        s->dflag = s->rex_w ? MO_64 : (s->prefix & PREFIX_DATA) ? MO_16
                                                                : MO_32;
        s->aflag = (s->prefix & PREFIX_ADR) ? MO_32 : MO_64;
    } else {
        /* CS.D selects the default; 66/67 toggle it */
        s->dflag = s->code32 ^ !!(s->prefix & PREFIX_DATA) ? MO_32 : MO_16;
        s->aflag = s->code32 ^ !!(s->prefix & PREFIX_ADR) ? MO_32 : MO_16;
    }

    d.map = 1;
    d.b = b;
    if (b == 0x0f) {
        b = x86_ldub_code(s);
        d.map = 2;
        d.b = b;
        if (b == 0x38) {
            b = x86_ldub_code(s);
            d.map = 3;
            d.b = b;
        } else if (b == 0x3a) {
            b = x86_ldub_code(s);
            d.map = 4;
            d.b = b;
        }
    }
    if (d.map == 1) {
        e = &opcodes_1byte[b];
        if (!s->code64) {
            /* the opcodes 64-bit mode reuses or removes */
            for (size_t i = 0; i < ARRAY_SIZE(opcodes_legacy); i++) {
                if (opcodes_legacy[i].b == b) {
                    e = &opcodes_legacy[i].e;
                }
            }
        }
    } else if (d.map == 2) {
        e = &opcodes_0f[b];
    } else if (d.map == 3) {
        e = &opcode_0f38_sse;
        if (!(s->prefix & PREFIX_REPNZ)) {
            for (size_t i = 0; i < ARRAY_SIZE(opcodes_0f38); i++) {
                if (opcodes_0f38[i].b == b) {
                    e = &opcodes_0f38[i].e;
                }
            }
        }
    } else {
        e = &opcode_0f3a_sse;
    }
    if (!e->gen && !(e->flags & X86_F_GROUP)) {
        goto illegal;
    }
    d.has_modrm = entry_has_modrm(e);
    if (d.has_modrm) {
        d.modrm = x86_ldub_code(s);
        d.mod = d.modrm >> 6;
        d.reg = ((d.modrm >> 3) & 7) | (s->rex_r << 3);
        d.rm = (d.modrm & 7) | (s->rex_b << 3);
    }
    if (e->flags & X86_F_GROUP) {
        const X86OpEntry *g = &e->table[(d.modrm >> 3) & 7];
        if (!g->gen) {
            goto illegal;
        }
        /* the group entry's operands win; else the parent's */
        ent = *g;
        if ((g->op[0] >> 4) == X86_OP_NONE) {
            memcpy(ent.op, e->op, sizeof(ent.op));
            ent.flags |= e->flags & ~X86_F_GROUP;
            ent.table = e->table;
        }
    } else {
        ent = *e;
    }
    e = &ent;
    if (s->code64 && (e->flags & X86_F_I64)) {
        goto illegal;
    }
    if (s->code64 && (e->flags & X86_F_F64)) {
        s->dflag = MO_64;
    } else if (s->code64 && (e->flags & X86_F_DEF64)) {
        s->dflag = (s->prefix & PREFIX_DATA) && !s->rex_w ? MO_16 : MO_64;
    }
    if ((s->prefix & PREFIX_LOCK) && !(e->flags & X86_F_LOCK)) {
        goto illegal;
    }
    if (e->flags & X86_F_MODRM_REG) {
        d.mod = 3;
    }
    if (d.has_modrm && d.mod != 3) {
        decode_modrm_mem(s, &d);
    }
    {
        d.e = e;
        for (int i = 0; i < 3; i++) {
            if (!decode_operand(s, &d, i, e->op[i])) {
                goto illegal;
            }
        }
        if ((s->prefix & PREFIX_LOCK) && !d.op[0].mem) {
            goto illegal;
        }
        if (s->too_long) {
            gen_exception(s, EXCP0D_GPF);
            return;
        }
        s->T0 = tcg_temp_new_i64();
        s->T1 = tcg_temp_new_i64();
        s->T2 = tcg_temp_new_i64();
        s->A0 = tcg_temp_new_i64();
        s->EA = tcg_temp_new_i64();
        if (d.op[0].mem || d.op[1].mem || d.op[2].mem) {
            gen_ea(s, &d);
        }
        e->gen(s, &d);
        tcg_temp_free_i64(s->T0);
        tcg_temp_free_i64(s->T1);
        tcg_temp_free_i64(s->T2);
        tcg_temp_free_i64(s->A0);
        tcg_temp_free_i64(s->EA);
    }
    return;

illegal:
    if (s->too_long) {
        gen_exception(s, EXCP0D_GPF);
        return;
    }
    gen_illegal(s);
}

/* ---- Translator hooks ---- */

static void x86_init_disas_context(DisasContextBase *db, CPUState *cs)
{
    DisasContext *s = container_of(db, DisasContext, base);

    s->env = cs->env_ptr;
    s->flags = db->tb->flags;
    s->cs_base = db->tb->cs_base;
    s->code64 = s->flags & X86_TBF_CS64;
    s->code32 = s->flags & X86_TBF_CS32;
    s->ss32 = s->flags & X86_TBF_SS32;
    s->realmode = !(s->flags & X86_TBF_PE);
    s->mem_index = (s->flags & X86_TBF_CPL_MASK) == 3 ? X86_MMU_IDX_USER
                                                     : X86_MMU_IDX_KERNEL;
    s->cc_op = CC_OP_DYNAMIC;
    s->exit_to_loop = (s->flags & X86_TBF_INHIBIT_IRQ) != 0;
    if (s->exit_to_loop) {
        db->max_insns = 1;
    }
}

static void x86_tb_start(DisasContextBase *db, CPUState *cs)
{
}

static void x86_insn_start(DisasContextBase *db, CPUState *cs)
{
    tcg_gen_insn_start(db->pc_next, 0, 0);
}

static void x86_translate_insn(DisasContextBase *db, CPUState *cs)
{
    DisasContext *s = container_of(db, DisasContext, base);

    s->pc_start = s->pc = db->pc_next;
    if (s->exit_to_loop) {
        /* the shadow ends with this insn, whether it completes or faults */
        tcg_gen_st_i32(tcg_constant_i32(0), cpu_env,
                       offsetof(CPUX86State, interrupt_shadow));
    }
    x86_translate_one(s);
    db->pc_next = s->pc;
}

static void x86_tb_stop(DisasContextBase *db, CPUState *cs)
{
    DisasContext *s = container_of(db, DisasContext, base);

    if (db->is_jmp == DISAS_TOO_MANY || db->is_jmp == DISAS_NEXT) {
        gen_jmp_tb(s, db->pc_next, 0);
    }
}

static const TranslatorOps x86_tr_ops = {
    .init_disas_context = x86_init_disas_context,
    .tb_start = x86_tb_start,
    .insn_start = x86_insn_start,
    .translate_insn = x86_translate_insn,
    .tb_stop = x86_tb_stop,
};

void x86_tcg_translate(CPUState *cs, TranslationBlock *tb, int max_insns)
{
    DisasContext dc;

    translator_loop(cs, tb, max_insns, &x86_tr_ops, &dc.base);
}

void x86_tcg_get_tb_cpu_state(CPUState *cs, uint64_t *pc, uint64_t *cs_base,
                              uint32_t *flags)
{
    CPUX86State *env = cs->env_ptr;
    uint32_t f = env->hflags & X86_TBF_CPL_MASK;
    bool lma = env->efer & MSR_EFER_LMA;

    if (lma) {
        f |= X86_TBF_LMA;
    }
    if (lma && (env->segs[R_CS].flags & DESC_L_MASK)) {
        f |= X86_TBF_CS64;
    } else if (env->segs[R_CS].flags & DESC_B_MASK) {
        f |= X86_TBF_CS32;
    }
    if (env->segs[R_SS].flags & DESC_B_MASK) {
        f |= X86_TBF_SS32;
    }
    if (env->cr[0] & CR0_PE_MASK) {
        f |= X86_TBF_PE;
    }
    if (env->rflags & (1u << 17)) {
        f |= X86_TBF_VM;
    }
    if (env->interrupt_shadow) {
        f |= X86_TBF_INHIBIT_IRQ;
    }
    if (env->cr[0] & CR0_EM_MASK) {
        f |= X86_TBF_EM;
    }
    if (env->cr[0] & CR0_TS_MASK) {
        f |= X86_TBF_TS;
    }
    if (env->cr[0] & CR0_MP_MASK) {
        f |= X86_TBF_MP;
    }
    if (env->cr[4] & CR4_OSFXSR_MASK) {
        f |= X86_TBF_OSFXSR;
    }
    if (env->cr[4] & CR4_OSXMMEXCPT_MASK) {
        f |= X86_TBF_OSXMMEXCPT;
    }
    *cs_base = (f & X86_TBF_CS64) ? 0 : env->segs[R_CS].base;
    *pc = *cs_base + env->rip;
    *flags = f;
}

void x86_tcg_restore_state_to_opc(CPUState *cs, const TranslationBlock *tb,
                                  const uint64_t *data)
{
    CPUX86State *env = cs->env_ptr;

    env->rip = data[0] - tb->cs_base;
}
