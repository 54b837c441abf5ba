/* x86 translator: protected-mode segment loads and far transfers (jmp/call/ret/iret). */
#include "emu/osdep.h"
#include "emu/log.h"
#include "exec/cputlb.h"
#include "target/i386/tcg/translate.h"

#define EFLAGS_IF   0x200u
#define EFLAGS_IOPL 0x3000u
#define EFLAGS_NT   0x4000u
#define EFLAGS_RF   0x10000u
#define EFLAGS_VM   0x20000u
#define EFLAGS_AC   0x40000u
#define EFLAGS_ID   0x200000u

static unsigned cpl(CPUX86State *env)
{
    return env->hflags & HF_CPL_MASK;
}

static bool code64(CPUX86State *env)
{
    return (env->efer & MSR_EFER_LMA) && (env->segs[R_CS].flags & DESC_L_MASK);
}

/*
 * The 8-byte descriptor sel names, from the GDT or the LDT; #GP(sel) when
 * it lies beyond the table's limit.  *addr is its linear address.
 */
static void read_desc(CPUX86State *env, uint32_t sel, uint32_t *lo,
                      uint32_t *hi, uint64_t *addr, uintptr_t ra)
{
    SegmentCache *dt = (sel & 4) ? &env->ldt : &env->gdt;
    uint32_t idx = sel & ~7u;

    if (idx + 7 > dt->limit || ((sel & 4) && !dt->flags)) {
        x86_raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
    *addr = dt->base + idx;
    /* descriptor tables are read as supervisor, whatever the CPL */
    *lo = cpu_ldl_le_mmuidx_ra(env, *addr, X86_MMU_IDX_KERNEL, ra);
    *hi = cpu_ldl_le_mmuidx_ra(env, *addr + 4, X86_MMU_IDX_KERNEL, ra);
}

static void fill_cache(SegmentCache *sc, uint32_t sel, uint32_t lo,
                       uint32_t hi)
{
    uint32_t limit = (lo & 0xffff) | (hi & 0x000f0000u);

    sc->selector = sel;
    sc->base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
    sc->limit = (hi & DESC_G_MASK) ? (limit << 12) | 0xfff : limit;
    sc->flags = hi & 0x00f0ff00u;
}

/* Descriptors record their first use in the accessed bit */
static void set_accessed(CPUX86State *env, uint64_t addr, uint32_t *hi,
                         uintptr_t ra)
{
    if (!(*hi & DESC_A_MASK)) {
        *hi |= DESC_A_MASK;
        cpu_stl_le_mmuidx_ra(env, addr + 4, *hi, X86_MMU_IDX_KERNEL, ra);
    }
}

static void set_null(SegmentCache *sc, uint32_t sel)
{
    sc->selector = sel;
    sc->base = 0;
    sc->limit = 0;
    sc->flags = 0;
}

/* SS for privilege level rpl (also the target of iret/lret outward) */
static void load_ss(CPUX86State *env, uint32_t sel, unsigned newcpl,
                    uintptr_t ra)
{
    uint32_t lo, hi, dpl;
    uint64_t addr;

    if ((sel & ~3u) == 0) {
        /* 64-bit mode allows a null SS outside ring 3 */
        if ((env->efer & MSR_EFER_LMA) && newcpl != 3) {
            set_null(&env->segs[R_SS], sel);
            env->segs[R_SS].flags = (newcpl << DESC_DPL_SHIFT) | DESC_B_MASK;
            return;
        }
        x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
    }
    read_desc(env, sel, &lo, &hi, &addr, ra);
    dpl = (hi & DESC_DPL_MASK) >> DESC_DPL_SHIFT;
    if ((sel & 3) != newcpl || dpl != newcpl || !(hi & DESC_S_MASK) ||
        (hi & DESC_CS_MASK) || !(hi & DESC_W_MASK)) {
        x86_raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP0C_STACK, sel & 0xfffc, ra);
    }
    set_accessed(env, addr, &hi, ra);
    fill_cache(&env->segs[R_SS], sel, lo, hi);
}

void x86_load_seg(CPUX86State *env, int seg, uint32_t sel, uintptr_t ra)
{
    uint32_t lo, hi, dpl, rpl = sel & 3;
    uint64_t addr;

    sel &= 0xffff;
    if (!(env->cr[0] & CR0_PE_MASK) || (env->rflags & EFLAGS_VM)) {
        env->segs[seg].selector = sel;
        env->segs[seg].base = (uint64_t)sel << 4;
        return;
    }
    if (seg == R_SS) {
        load_ss(env, sel, cpl(env), ra);
        return;
    }
    if ((sel & ~3u) == 0) {
        set_null(&env->segs[seg], sel);
        return;
    }
    read_desc(env, sel, &lo, &hi, &addr, ra);
    dpl = (hi & DESC_DPL_MASK) >> DESC_DPL_SHIFT;
    if (!(hi & DESC_S_MASK) ||
        ((hi & DESC_CS_MASK) && !(hi & DESC_R_MASK))) {
        x86_raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
    /* data and non-conforming code: DPL >= max(CPL, RPL) */
    if ((!(hi & DESC_CS_MASK) || !(hi & (4u << DESC_TYPE_SHIFT))) &&
        (dpl < cpl(env) || dpl < rpl)) {
        x86_raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP0B_NOSEG, sel & 0xfffc, ra);
    }
    set_accessed(env, addr, &hi, ra);
    fill_cache(&env->segs[seg], sel, lo, hi);
}

/*
 * Check a code segment descriptor as the target of a transfer that keeps
 * or (ret/iret) lowers the privilege.  Gates, TSSs and task switches are
 * not implemented: they #GP(sel), logged.
 */
static void check_code_desc(CPUX86State *env, uint32_t sel, uint32_t *lo,
                            uint32_t *hi, uint64_t *addr, bool ret,
                            uintptr_t ra)
{
    unsigned dpl, rpl = sel & 3;
    bool conforming;

    if ((sel & ~3u) == 0) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
    }
    read_desc(env, sel, lo, hi, addr, ra);
    if (!(*hi & DESC_S_MASK)) {
        emu_log_mask(LOG_UNIMP, "x86: far transfer through system descriptor "
                     "type %u (gates/TSS) not implemented\n",
                     (*hi >> DESC_TYPE_SHIFT) & 15);
        x86_raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
    if (!(*hi & DESC_CS_MASK)) {
        x86_raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
    dpl = (*hi & DESC_DPL_MASK) >> DESC_DPL_SHIFT;
    conforming = *hi & (4u << DESC_TYPE_SHIFT);
    if (ret) {
        if (rpl < cpl(env) || (conforming ? dpl > rpl : dpl != rpl)) {
            x86_raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc, ra);
        }
    } else if (conforming ? dpl > cpl(env)
                          : (rpl > cpl(env) || dpl != cpl(env))) {
        x86_raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
    if ((*hi & DESC_L_MASK) && (*hi & DESC_B_MASK) &&
        (env->efer & MSR_EFER_LMA)) {
        x86_raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
    if (!(*hi & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP0B_NOSEG, sel & 0xfffc, ra);
    }
    set_accessed(env, *addr, hi, ra);
}

/* Load CS at privilege level newcpl (the RPL becomes the CPL) */
static void load_cs(CPUX86State *env, uint32_t sel, uint32_t lo, uint32_t hi,
                    unsigned newcpl)
{
    fill_cache(&env->segs[R_CS], (sel & 0xfffc) | newcpl, lo, hi);
    env->hflags = (env->hflags & ~HF_CPL_MASK) | newcpl;
}

/* ---- The stack, as the transfers see it ---- */

typedef struct X86Stack {
    uint64_t base, sp, mask;
} X86Stack;

static void stack_init(CPUX86State *env, X86Stack *st)
{
    if (code64(env)) {
        st->base = 0;
        st->mask = ~0ull;
    } else {
        st->base = env->segs[R_SS].base;
        st->mask = (env->segs[R_SS].flags & DESC_B_MASK) ? 0xffffffffull
                                                          : 0xffff;
    }
    st->sp = env->regs[R_ESP];
}

static void stack_push(CPUX86State *env, X86Stack *st, unsigned shift,
                       uint64_t v, uintptr_t ra)
{
    uint64_t a;

    st->sp -= 1u << shift;
    a = st->base + (st->sp & st->mask);
    if (st->mask != ~0ull) {
        a = (uint32_t)a;
    }
    switch (shift) {
    case 1:
        cpu_stw_le_data_ra(env, a, v, ra);
        break;
    case 2:
        cpu_stl_le_data_ra(env, a, v, ra);
        break;
    default:
        cpu_stq_le_data_ra(env, a, v, ra);
        break;
    }
}

static uint64_t stack_pop(CPUX86State *env, X86Stack *st, unsigned shift,
                          uintptr_t ra)
{
    uint64_t a = st->base + (st->sp & st->mask), v;

    if (st->mask != ~0ull) {
        a = (uint32_t)a;
    }
    switch (shift) {
    case 1:
        v = cpu_lduw_le_data_ra(env, a, ra);
        break;
    case 2:
        v = cpu_ldl_le_data_ra(env, a, ra);
        break;
    default:
        v = cpu_ldq_le_data_ra(env, a, ra);
        break;
    }
    st->sp += 1u << shift;
    return v;
}

/* Write the stack pointer back with the width of the (old) stack */
static void stack_commit(CPUX86State *env, X86Stack *st)
{
    if (st->mask == 0xffff) {
        env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffull) | (st->sp & 0xffff);
    } else if (st->mask == 0xffffffffull) {
        env->regs[R_ESP] = (uint32_t)st->sp;
    } else {
        env->regs[R_ESP] = st->sp;
    }
}

static uint64_t ip_mask(unsigned shift)
{
    return shift == 1 ? 0xffff : shift == 2 ? 0xffffffffull : ~0ull;
}

/* ---- Far jmp / call / ret ---- */

static void helper_ljmp_prot(void *envp, uint32_t sel, uint64_t ip)
{
    CPUX86State *env = envp;
    uintptr_t ra = GETPC();
    uint32_t lo, hi;
    uint64_t addr;

    check_code_desc(env, sel, &lo, &hi, &addr, false, ra);
    load_cs(env, sel, lo, hi, cpl(env));
    env->rip = ip;
}

/* shift: log2 of the operand size; next: the return offset */
static void helper_lcall_prot(void *envp, uint32_t sel, uint64_t ip,
                              uint32_t shift, uint64_t next)
{
    CPUX86State *env = envp;
    uintptr_t ra = GETPC();
    X86Stack st;
    uint32_t lo, hi;
    uint64_t addr;

    check_code_desc(env, sel, &lo, &hi, &addr, false, ra);
    stack_init(env, &st);
    stack_push(env, &st, shift, env->segs[R_CS].selector, ra);
    stack_push(env, &st, shift, next, ra);
    stack_commit(env, &st);
    load_cs(env, sel, lo, hi, cpl(env));
    env->rip = ip;
}

/* After a return to an outer level: data segments the new CPL may not use become null */
static void invalidate_segs(CPUX86State *env, unsigned newcpl)
{
    static const int segs[] = { R_ES, R_DS, R_FS, R_GS };

    for (size_t i = 0; i < ARRAY_SIZE(segs); i++) {
        SegmentCache *sc = &env->segs[segs[i]];
        unsigned dpl = (sc->flags & DESC_DPL_MASK) >> DESC_DPL_SHIFT;
        bool conf_code = (sc->flags & DESC_CS_MASK) &&
                         (sc->flags & (4u << DESC_TYPE_SHIFT));

        if ((sc->selector & ~3u) && !conf_code && dpl < newcpl) {
            set_null(sc, 0);
        }
    }
}

/*
 * The common tail of lret and iret: cs:ip popped, the rest of the stack
 * in st.  Returns to an outer level pop SS:SP as well (64-bit iret
 * always does).
 */
static void far_return(CPUX86State *env, X86Stack *st, unsigned shift,
                       uint32_t sel, uint64_t ip, unsigned addend,
                       bool always_ss, uintptr_t ra)
{
    uint32_t lo, hi;
    uint64_t addr;
    unsigned rpl = sel & 3;
    bool outer;

    check_code_desc(env, sel, &lo, &hi, &addr, true, ra);
    outer = rpl > cpl(env);
    st->sp += addend;
    if (outer || always_ss) {
        uint64_t sp = stack_pop(env, st, shift, ra);
        uint32_t ss = stack_pop(env, st, shift, ra) & 0xffff;

        load_ss(env, ss, rpl, ra);
        load_cs(env, sel, lo, hi, rpl);
        if (!((env->efer & MSR_EFER_LMA) && (hi & DESC_L_MASK)) &&
            !(env->segs[R_SS].flags & DESC_B_MASK)) {
            sp = (env->regs[R_ESP] & ~0xffffull) | (sp & 0xffff);
        } else if (!((env->efer & MSR_EFER_LMA) && (hi & DESC_L_MASK))) {
            sp = (uint32_t)sp;
        }
        env->regs[R_ESP] = sp + addend;
        if (outer) {
            invalidate_segs(env, rpl);
        }
    } else {
        stack_commit(env, st);
        load_cs(env, sel, lo, hi, rpl);
    }
    env->rip = ip;
}

static void helper_lret_prot(void *envp, uint32_t shift, uint32_t addend)
{
    CPUX86State *env = envp;
    uintptr_t ra = GETPC();
    X86Stack st;
    uint64_t ip;
    uint32_t sel;

    stack_init(env, &st);
    ip = stack_pop(env, &st, shift, ra) & ip_mask(shift);
    sel = stack_pop(env, &st, shift, ra) & 0xffff;
    far_return(env, &st, shift, sel, ip, addend, false, ra);
}

/* The flags iret/popf may change at privilege cpl */
uint64_t x86_eflags_writable(CPUX86State *env, unsigned shift)
{
    unsigned iopl = (env->rflags >> 12) & 3;
    uint64_t m = CC_MASK | DF_MASK | 0x100 /* TF */ | EFLAGS_NT | EFLAGS_RF |
                 EFLAGS_AC | EFLAGS_ID;

    if (cpl(env) == 0) {
        m |= EFLAGS_IOPL | EFLAGS_IF;
    } else if (cpl(env) <= iopl) {
        m |= EFLAGS_IF;
    }
    if (shift == 1) {
        m &= 0xffff;
    }
    return m;
}

static void helper_iret_prot(void *envp, uint32_t shift)
{
    CPUX86State *env = envp;
    uintptr_t ra = GETPC();
    bool lma = env->efer & MSR_EFER_LMA;
    X86Stack st;
    uint64_t ip, fl, mask, old;
    uint32_t sel;

    if ((env->rflags & EFLAGS_NT) && !lma) {
        emu_log_mask(LOG_UNIMP, "x86: iret task return not implemented\n");
        x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
    }
    stack_init(env, &st);
    ip = stack_pop(env, &st, shift, ra) & ip_mask(shift);
    sel = stack_pop(env, &st, shift, ra) & 0xffff;
    fl = stack_pop(env, &st, shift, ra);
    if (!lma && shift == 2 && (fl & EFLAGS_VM) && cpl(env) == 0) {
        /* back to virtual-8086 mode: the real-mode style segments */
        uint64_t sp = stack_pop(env, &st, 2, ra);
        static const int order[] = { R_SS, R_ES, R_DS, R_FS, R_GS };
        uint32_t sels[5];

        for (int i = 0; i < 5; i++) {
            sels[i] = stack_pop(env, &st, 2, ra) & 0xffff;
        }
        x86_cpu_set_eflags(env, (fl & 0x257fd5) | 2);
        for (int i = 0; i < 5; i++) {
            SegmentCache *sc = &env->segs[order[i]];

            sc->selector = sels[i];
            sc->base = (uint64_t)sels[i] << 4;
            sc->limit = 0xffff;
            sc->flags = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK |
                        (3u << DESC_DPL_SHIFT);
        }
        env->segs[R_CS].selector = sel;
        env->segs[R_CS].base = (uint64_t)sel << 4;
        env->segs[R_CS].limit = 0xffff;
        env->segs[R_CS].flags = DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK |
                                DESC_R_MASK | DESC_A_MASK |
                                (3u << DESC_DPL_SHIFT);
        env->hflags = (env->hflags & ~HF_CPL_MASK) | 3;
        env->regs[R_ESP] = (uint32_t)sp;
        env->rip = ip & 0xffff;
        return;
    }
    /* the mask with the old CPL and IOPL */
    mask = x86_eflags_writable(env, shift);
    old = x86_cpu_get_eflags(env);
    far_return(env, &st, shift, sel, ip, 0, lma && shift == 3, ra);
    x86_cpu_set_eflags(env, ((old & ~mask) | (fl & mask)) | 2);
}

const TCGHelperInfo x86_helper_ljmp_prot = {
    .func = (void *)helper_ljmp_prot, .name = "ljmp_prot",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_lcall_prot = {
    .func = (void *)helper_lcall_prot, .name = "lcall_prot",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 5,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64, TCG_CALL_I32,
              TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_lret_prot = {
    .func = (void *)helper_lret_prot, .name = "lret_prot",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I32 },
};
const TCGHelperInfo x86_helper_iret_prot = {
    .func = (void *)helper_iret_prot, .name = "iret_prot",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 2,
    .args = { TCG_CALL_PTR, TCG_CALL_I32 },
};

static void helper_load_seg(void *envp, uint32_t seg, uint64_t sel)
{
    x86_load_seg(envp, (int)seg, (uint32_t)sel, GETPC());
}

const TCGHelperInfo x86_helper_load_seg = {
    .func = (void *)helper_load_seg, .name = "load_seg",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64 },
};
