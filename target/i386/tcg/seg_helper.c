/* x86 translator: segments, far transfers, gates, task switches, syscall/sysenter, I/O permission, VM86. */
#include "emu/osdep.h"
#include "emu/log.h"
#include "emu/thread.h"
#include "exec/cputlb.h"
#include "system/memory.h"
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
 * or (ret/iret) lowers the privilege.  Gates and TSSs were handled by
 * far_system before; here a system descriptor is #GP(sel).
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
    int mmu;                /* the privilege the accesses are made with */
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
    st->mmu = cpl(env) == 3 ? X86_MMU_IDX_USER : X86_MMU_IDX_KERNEL;
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
        cpu_stw_le_mmuidx_ra(env, a, v, st->mmu, ra);
        break;
    case 2:
        cpu_stl_le_mmuidx_ra(env, a, v, st->mmu, ra);
        break;
    default:
        cpu_stq_le_mmuidx_ra(env, a, v, st->mmu, ra);
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
        v = cpu_lduw_le_mmuidx_ra(env, a, st->mmu, ra);
        break;
    case 2:
        v = cpu_ldl_le_mmuidx_ra(env, a, st->mmu, ra);
        break;
    default:
        v = cpu_ldq_le_mmuidx_ra(env, a, st->mmu, ra);
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

/* ---- Task switches (32-bit TSS) ---- */

static uint32_t ldk32(CPUX86State *env, uint64_t a, uintptr_t ra)
{
    return cpu_ldl_le_mmuidx_ra(env, a, X86_MMU_IDX_KERNEL, ra);
}

static void stk32(CPUX86State *env, uint64_t a, uint32_t v, uintptr_t ra)
{
    cpu_stl_le_mmuidx_ra(env, a, v, X86_MMU_IDX_KERNEL, ra);
}

static void stk16(CPUX86State *env, uint64_t a, uint32_t v, uintptr_t ra)
{
    cpu_stw_le_mmuidx_ra(env, a, v, X86_MMU_IDX_KERNEL, ra);
}

/* Set or clear the busy bit of the TSS descriptor sel names in the GDT */
static void set_tss_busy(CPUX86State *env, uint32_t sel, bool busy,
                         uintptr_t ra)
{
    uint64_t a = env->gdt.base + (sel & ~7u) + 4;
    uint32_t hi;

    if ((sel & 4) || (sel & ~7u) + 7 > env->gdt.limit) {
        return;
    }
    hi = ldk32(env, a, ra);
    hi = busy ? hi | (2u << DESC_TYPE_SHIFT) : hi & ~(2u << DESC_TYPE_SHIFT);
    stk32(env, a, hi, ra);
}

/*
 * Switch to the task whose 32-bit TSS descriptor sel names (SDM vol. 3
 * "Task switching"): save the current state in the current TSS, load the
 * new one (CR3 with paging on, LDT, registers, segments, virtual-8086
 * mode from EFLAGS.VM), maintain the busy bits, the back link and NT.
 * next_eip is the EIP saved for the old task; an exception's error code
 * is pushed on the new task's stack.  Segment checks after the switch
 * raise #GP/#SS/#NP in the new task rather than #TS.
 */
void x86_task_switch(CPUX86State *env, uint32_t sel, int source,
                     uint64_t next_eip, bool has_err, uint32_t err,
                     uintptr_t ra)
{
    static const int seg_order[] = { R_ES, R_CS, R_SS, R_DS, R_FS, R_GS };
    uint32_t lo, hi, type, limit, new_eip, new_fl, new_cr3, ldt;
    uint32_t regs[8], segs[6];
    uint64_t addr, nb, ob = env->tr.base;
    uint64_t old_fl = x86_cpu_get_eflags(env);

    if (sel & 4) {
        x86_raise_exception_err(env, source == X86_TS_IRET ? EXCP0A_TSS
                                                           : EXCP0D_GPF,
                                sel & 0xfffc, ra);
    }
    read_desc(env, sel, &lo, &hi, &addr, ra);
    type = (hi >> DESC_TYPE_SHIFT) & 15;
    if ((hi & DESC_S_MASK) ||
        (source == X86_TS_IRET ? type != 11 : type != 9)) {
        if (type == 1 || type == 3) {
            emu_log_mask(LOG_UNIMP, "x86: task switch to a 16-bit TSS\n");
        }
        x86_raise_exception_err(env, source == X86_TS_IRET ? EXCP0A_TSS
                                                           : EXCP0D_GPF,
                                sel & 0xfffc, ra);
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP0B_NOSEG, sel & 0xfffc, ra);
    }
    limit = (lo & 0xffff) | (hi & 0x000f0000u);
    if (hi & DESC_G_MASK) {
        limit = (limit << 12) | 0xfff;
    }
    if (limit < 0x67 || env->tr.limit < 0x5f) {
        x86_raise_exception_err(env, EXCP0A_TSS, sel & 0xfffc, ra);
    }
    nb = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);

    /* read everything of the new task before anything changes */
    new_cr3 = ldk32(env, nb + 0x1c, ra);
    new_eip = ldk32(env, nb + 0x20, ra);
    new_fl = ldk32(env, nb + 0x24, ra);
    for (int i = 0; i < 8; i++) {
        regs[i] = ldk32(env, nb + 0x28 + 4 * i, ra);
    }
    for (int i = 0; i < 6; i++) {
        segs[i] = ldk32(env, nb + 0x48 + 4 * i, ra) & 0xffff;
    }
    ldt = ldk32(env, nb + 0x60, ra) & 0xffff;

    /* the old task's state */
    if (source == X86_TS_IRET) {
        old_fl &= ~(uint64_t)EFLAGS_NT;
    }
    stk32(env, ob + 0x20, next_eip, ra);
    stk32(env, ob + 0x24, old_fl, ra);
    for (int i = 0; i < 8; i++) {
        stk32(env, ob + 0x28 + 4 * i, env->regs[i], ra);
    }
    for (int i = 0; i < 6; i++) {
        stk16(env, ob + 0x48 + 4 * i, env->segs[seg_order[i]].selector, ra);
    }
    if (source == X86_TS_JMP || source == X86_TS_IRET) {
        set_tss_busy(env, env->tr.selector, false, ra);
    }
    if (source == X86_TS_CALL || source == X86_TS_INT) {
        stk16(env, nb, env->tr.selector, ra);
        new_fl |= EFLAGS_NT;
    }
    if (source != X86_TS_IRET) {
        set_tss_busy(env, sel, true, ra);
        hi |= 2u << DESC_TYPE_SHIFT;
    }
    env->tr.selector = sel;
    env->tr.base = nb;
    env->tr.limit = limit;
    env->tr.flags = hi & 0x00f0ff00u;
    env->cr[0] |= CR0_TS_MASK;
    if ((env->cr[0] & CR0_PG_MASK) && new_cr3 != env->cr[3]) {
        env->cr[3] = new_cr3;
        tlb_flush(env_cpu(env));
    }
    for (int i = 0; i < 8; i++) {
        env->regs[i] = regs[i];
    }
    x86_cpu_set_eflags(env, new_fl | 2);
    env->rip = new_eip;

    /* from here on faults belong to the new task */
    if ((ldt & ~3u) == 0) {
        set_null(&env->ldt, ldt);
    } else {
        uint32_t llo, lhi;
        uint64_t laddr;

        if (ldt & 4) {
            x86_raise_exception_err(env, EXCP0A_TSS, ldt & 0xfffc, ra);
        }
        read_desc(env, ldt, &llo, &lhi, &laddr, ra);
        if ((lhi & DESC_S_MASK) || ((lhi >> DESC_TYPE_SHIFT) & 15) != 2) {
            x86_raise_exception_err(env, EXCP0A_TSS, ldt & 0xfffc, ra);
        }
        if (!(lhi & DESC_P_MASK)) {
            x86_raise_exception_err(env, EXCP0A_TSS, ldt & 0xfffc, ra);
        }
        fill_cache(&env->ldt, ldt, llo, lhi);
    }
    if (new_fl & EFLAGS_VM) {
        for (int i = 0; i < 6; i++) {
            SegmentCache *sc = &env->segs[seg_order[i]];

            sc->selector = segs[i];
            sc->base = (uint64_t)segs[i] << 4;
            sc->limit = 0xffff;
            sc->flags = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK |
                        (3u << DESC_DPL_SHIFT) |
                        (seg_order[i] == R_CS ? DESC_CS_MASK : 0);
        }
        env->hflags = (env->hflags & ~HF_CPL_MASK) | 3;
    } else {
        uint32_t clo, chi;
        uint64_t caddr;
        unsigned newcpl = segs[1] & 3;

        env->hflags = (env->hflags & ~HF_CPL_MASK) | newcpl;
        if ((segs[1] & ~3u) == 0) {
            x86_raise_exception_err(env, EXCP0A_TSS, 0, ra);
        }
        read_desc(env, segs[1], &clo, &chi, &caddr, ra);
        if (!(chi & DESC_S_MASK) || !(chi & DESC_CS_MASK) ||
            ((chi & (4u << DESC_TYPE_SHIFT))
             ? ((chi & DESC_DPL_MASK) >> DESC_DPL_SHIFT) > newcpl
             : ((chi & DESC_DPL_MASK) >> DESC_DPL_SHIFT) != newcpl)) {
            x86_raise_exception_err(env, EXCP0A_TSS, segs[1] & 0xfffc, ra);
        }
        if (!(chi & DESC_P_MASK)) {
            x86_raise_exception_err(env, EXCP0B_NOSEG, segs[1] & 0xfffc, ra);
        }
        set_accessed(env, caddr, &chi, ra);
        fill_cache(&env->segs[R_CS], segs[1], clo, chi);
        load_ss(env, segs[2], newcpl, ra);
        x86_load_seg(env, R_ES, segs[0], ra);
        x86_load_seg(env, R_DS, segs[3], ra);
        x86_load_seg(env, R_FS, segs[4], ra);
        x86_load_seg(env, R_GS, segs[5], ra);
    }
    if (has_err) {
        X86Stack st;

        stack_init(env, &st);
        stack_push(env, &st, (env->segs[R_CS].flags & DESC_B_MASK) ? 2 : 1,
                   err, ra);
        stack_commit(env, &st);
    }
}

/* ---- Far jmp / call through gates and task descriptors ---- */

/*
 * The ring-newcpl stack of the current TSS (32- or 16-bit TSS): the SS
 * descriptor is checked as the SDM's #TS rules say.
 */
static void tss_stack(CPUX86State *env, unsigned newcpl, uint32_t *ss_sel,
                      uint64_t *sp, SegmentCache *ss, uintptr_t ra)
{
    bool tss32 = ((env->tr.flags >> DESC_TYPE_SHIFT) & 8) != 0;
    unsigned o = tss32 ? 4 + 8 * newcpl : 2 + 4 * newcpl;
    uint32_t lo, hi;
    uint64_t addr;

    if (o + (tss32 ? 5 : 3) > env->tr.limit) {
        x86_raise_exception_err(env, EXCP0A_TSS, env->tr.selector & 0xfffc,
                                ra);
    }
    if (tss32) {
        *sp = ldk32(env, env->tr.base + o, ra);
        *ss_sel = ldk32(env, env->tr.base + o + 4, ra) & 0xffff;
    } else {
        *sp = ldk32(env, env->tr.base + o, ra) & 0xffff;
        *ss_sel = ldk32(env, env->tr.base + o, ra) >> 16;
    }
    if ((*ss_sel & ~3u) == 0) {
        x86_raise_exception_err(env, EXCP0A_TSS, 0, ra);
    }
    read_desc(env, *ss_sel, &lo, &hi, &addr, ra);
    if ((*ss_sel & 3) != newcpl ||
        ((hi & DESC_DPL_MASK) >> DESC_DPL_SHIFT) != newcpl ||
        !(hi & DESC_S_MASK) || (hi & DESC_CS_MASK) || !(hi & DESC_W_MASK)) {
        x86_raise_exception_err(env, EXCP0A_TSS, *ss_sel & 0xfffc, ra);
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP0C_STACK, *ss_sel & 0xfffc, ra);
    }
    set_accessed(env, addr, &hi, ra);
    fill_cache(ss, *ss_sel, lo, hi);
}

/*
 * Far jmp/call (call: shift is log2 of the operand size, next the return
 * offset) to a selector: false for a code segment (the caller's path);
 * otherwise done here: call gates (16/32-bit, 64-bit in long mode, with
 * a privilege change and parameter copying for calls to an inner ring),
 * task gates and TSS descriptors (task switch).
 */
static bool far_system(CPUX86State *env, uint32_t sel, bool call,
                       unsigned shift, uint64_t next, uintptr_t ra)
{
    bool lma = env->efer & MSR_EFER_LMA;
    uint32_t lo, hi, clo, chi, csel, type, dpl, cdpl, rpl = sel & 3;
    uint64_t addr, caddr, off;
    unsigned gshift, pcount;
    bool conforming;
    X86Stack st;

    if ((sel & ~3u) == 0) {
        return false;           /* #GP(0) in check_code_desc */
    }
    read_desc(env, sel, &lo, &hi, &addr, ra);
    if (hi & DESC_S_MASK) {
        return false;
    }
    type = (hi >> DESC_TYPE_SHIFT) & 15;
    dpl = (hi & DESC_DPL_MASK) >> DESC_DPL_SHIFT;
    if (lma ? type != 12 : (type != 1 && type != 9 && type != 5 &&
                            type != 4 && type != 12)) {
        x86_raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
    if (dpl < cpl(env) || dpl < rpl) {
        x86_raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP0B_NOSEG, sel & 0xfffc, ra);
    }
    if (type == 1 || type == 9 || type == 5) {
        uint32_t tss = type == 5 ? lo >> 16 : sel;

        x86_task_switch(env, tss, call ? X86_TS_CALL : X86_TS_JMP, next,
                        false, 0, ra);
        return true;
    }

    /* a call gate */
    csel = lo >> 16;
    off = (lo & 0xffff) | (type == 12 ? (hi & 0xffff0000u) : 0);
    gshift = type == 4 ? 1 : lma ? 3 : 2;
    pcount = lma ? 0 : hi & 31;
    if (lma) {
        SegmentCache *dt = (sel & 4) ? &env->ldt : &env->gdt;

        /* a 16-byte gate: all of it inside the table */
        if ((sel & ~7u) + 15 > dt->limit) {
            x86_raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc, ra);
        }
        off |= (uint64_t)ldk32(env, addr + 8, ra) << 32;
        /* the upper half's type field must be 0 */
        if (ldk32(env, addr + 12, ra) & (0x1fu << DESC_TYPE_SHIFT)) {
            x86_raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc, ra);
        }
    }
    if ((csel & ~3u) == 0) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
    }
    read_desc(env, csel, &clo, &chi, &caddr, ra);
    cdpl = (chi & DESC_DPL_MASK) >> DESC_DPL_SHIFT;
    conforming = chi & (4u << DESC_TYPE_SHIFT);
    if (!(chi & DESC_S_MASK) || !(chi & DESC_CS_MASK) || cdpl > cpl(env) ||
        (!call && !conforming && cdpl != cpl(env)) ||
        (lma && (!(chi & DESC_L_MASK) || (chi & DESC_B_MASK)))) {
        x86_raise_exception_err(env, EXCP0D_GPF, csel & 0xfffc, ra);
    }
    if (!(chi & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP0B_NOSEG, csel & 0xfffc, ra);
    }
    set_accessed(env, caddr, &chi, ra);
    if (!call || conforming || cdpl == cpl(env)) {
        if (call) {
            stack_init(env, &st);
            stack_push(env, &st, gshift, env->segs[R_CS].selector, ra);
            stack_push(env, &st, gshift, next, ra);
            stack_commit(env, &st);
        }
        load_cs(env, csel, clo, chi, cpl(env));
        env->rip = off & ip_mask(gshift);
        return true;
    }

    /* a call to an inner ring: the new stack comes from the TSS */
    {
        uint32_t old_ss = env->segs[R_SS].selector;
        uint64_t old_sp = env->regs[R_ESP];
        SegmentCache ss;
        uint32_t ss_sel;
        uint64_t sp;
        X86Stack old;

        if (lma) {
            unsigned o = 4 + 8 * cdpl;

            if (o + 7 > env->tr.limit) {
                x86_raise_exception_err(env, EXCP0A_TSS,
                                        env->tr.selector & 0xfffc, ra);
            }
            sp = cpu_ldq_le_mmuidx_ra(env, env->tr.base + o,
                                      X86_MMU_IDX_KERNEL, ra);
            ss_sel = cdpl;
            set_null(&ss, cdpl);
            ss.flags = (cdpl << DESC_DPL_SHIFT) | DESC_B_MASK;
            st.base = 0;
            st.mask = ~0ull;
        } else {
            tss_stack(env, cdpl, &ss_sel, &sp, &ss, ra);
            st.base = ss.base;
            st.mask = (ss.flags & DESC_B_MASK) ? 0xffffffffull : 0xffff;
        }
        st.sp = sp;
        st.mmu = X86_MMU_IDX_KERNEL;
        stack_push(env, &st, gshift, old_ss, ra);
        stack_push(env, &st, gshift, old_sp, ra);
        if (pcount) {
            stack_init(env, &old);
            for (int i = pcount - 1; i >= 0; i--) {
                X86Stack p = old;
                uint64_t v;

                p.sp += (uint64_t)i << gshift;
                v = stack_pop(env, &p, gshift, ra);
                stack_push(env, &st, gshift, v, ra);
            }
        }
        stack_push(env, &st, gshift, env->segs[R_CS].selector, ra);
        stack_push(env, &st, gshift, next, ra);
        /* committed */
        env->segs[R_SS] = ss;
        env->segs[R_SS].selector = ss_sel;
        if (st.mask == 0xffff) {
            env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffull) |
                               (st.sp & 0xffff);
        } else if (st.mask == 0xffffffffull) {
            env->regs[R_ESP] = (uint32_t)st.sp;
        } else {
            env->regs[R_ESP] = st.sp;
        }
        load_cs(env, csel, clo, chi, cdpl);
        env->rip = off & ip_mask(gshift);
    }
    return true;
}

/* ---- Far jmp / call / ret ---- */

static void helper_ljmp_prot(void *envp, uint32_t sel, uint64_t ip,
                             uint64_t next)
{
    CPUX86State *env = envp;
    uintptr_t ra = GETPC();
    uint32_t lo, hi;
    uint64_t addr;

    if (far_system(env, sel, false, 0, next, ra)) {
        return;
    }
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

    if (far_system(env, sel, true, shift, next, ra)) {
        return;
    }
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

static void helper_iret_prot(void *envp, uint32_t shift, uint64_t next)
{
    CPUX86State *env = envp;
    uintptr_t ra = GETPC();
    bool lma = env->efer & MSR_EFER_LMA;
    X86Stack st;
    uint64_t ip, fl, mask, old;
    uint32_t sel;

    x86_nmi_unblock(env);
    if ((env->rflags & EFLAGS_NT) && !lma) {
        /* return to the task named by the back link of the current TSS */
        uint32_t back = cpu_lduw_le_mmuidx_ra(env, env->tr.base,
                                              X86_MMU_IDX_KERNEL, ra);

        x86_task_switch(env, back, X86_TS_IRET, next, false, 0, ra);
        return;
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
        x86_cpu_set_eflags(env, (fl & 0x3f7fd5) | 2);   /* VM included */
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
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 4,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64, TCG_CALL_I64 },
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
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64 },
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

/* ---- Fast system calls: syscall/sysret, sysenter/sysexit ---- */

static bool canonical(uint64_t v)
{
    return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

/* A flat 4 GiB segment at privilege dpl with the given type flags */
static void set_flat(SegmentCache *sc, uint32_t sel, unsigned dpl,
                     uint32_t flags)
{
    sc->selector = sel;
    sc->base = 0;
    sc->limit = 0xffffffffu;
    sc->flags = flags | DESC_P_MASK | DESC_S_MASK | DESC_A_MASK | DESC_G_MASK |
                (dpl << DESC_DPL_SHIFT);
}

#define FLAT_CODE32 (DESC_CS_MASK | DESC_R_MASK | DESC_B_MASK)
#define FLAT_CODE64 (DESC_CS_MASK | DESC_R_MASK | DESC_L_MASK)
#define FLAT_DATA   (DESC_W_MASK | DESC_B_MASK)

static void set_cpl(CPUX86State *env, unsigned newcpl)
{
    env->hflags = (env->hflags & ~HF_CPL_MASK) | newcpl;
}

/*
 * syscall: next_ip is the return address.  Long mode (AMD64 and Intel 64)
 * enters at LSTAR from 64-bit code, CSTAR from compatibility mode; legacy
 * mode (AMD only, as the qemu64 model's vendor) at STAR[31:0].
 */
static void helper_syscall(void *envp, uint64_t next_ip)
{
    CPUX86State *env = envp;
    uint32_t sel = (env->star >> 32) & 0xfffc;
    uint64_t fl = x86_cpu_get_eflags(env);

    if (!(env->efer & MSR_EFER_SCE)) {
        x86_raise_exception_err(env, EXCP06_ILLOP, 0, GETPC());
    }
    if (env->efer & MSR_EFER_LMA) {
        bool from64 = code64(env);

        env->regs[R_ECX] = next_ip;
        env->regs[R_R11] = fl & ~(uint64_t)EFLAGS_RF;
        set_flat(&env->segs[R_CS], sel, 0, FLAT_CODE64);
        set_flat(&env->segs[R_SS], (sel + 8) & 0xfffc, 0, FLAT_DATA);
        x86_cpu_set_eflags(env, fl & ~(env->fmask | EFLAGS_RF));
        env->rip = from64 ? env->lstar : env->cstar;
    } else {
        env->regs[R_ECX] = (uint32_t)next_ip;
        set_flat(&env->segs[R_CS], sel, 0, FLAT_CODE32);
        set_flat(&env->segs[R_SS], (sel + 8) & 0xfffc, 0, FLAT_DATA);
        x86_cpu_set_eflags(env, fl & ~(uint64_t)(EFLAGS_IF | EFLAGS_VM |
                                                 EFLAGS_RF));
        env->rip = (uint32_t)env->star;
    }
    set_cpl(env, 0);
}

/* sysret; rexw: to 64-bit code (else to compatibility / 32-bit code) */
static void helper_sysret(void *envp, uint32_t rexw)
{
    CPUX86State *env = envp;
    uintptr_t ra = GETPC();
    uint32_t sel = (env->star >> 48) & 0xffff;

    if (!(env->efer & MSR_EFER_SCE) ||
        ((env->efer & MSR_EFER_LMA) && !code64(env))) {
        x86_raise_exception_err(env, EXCP06_ILLOP, 0, ra);
    }
    if (cpl(env) != 0 || !(env->cr[0] & CR0_PE_MASK)) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
    }
    if (env->efer & MSR_EFER_LMA) {
        if (rexw) {
            /* a non-canonical RCX faults here, at CPL 0 (Intel's rule) */
            if (!canonical(env->regs[R_ECX])) {
                x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
            }
            set_flat(&env->segs[R_CS], ((sel + 16) & 0xfffc) | 3, 3,
                     FLAT_CODE64);
            env->rip = env->regs[R_ECX];
        } else {
            set_flat(&env->segs[R_CS], sel | 3, 3, FLAT_CODE32);
            env->rip = (uint32_t)env->regs[R_ECX];
        }
        x86_cpu_set_eflags(env, (env->regs[R_R11] & 0x3c7fd7u) | 2);
    } else {
        set_flat(&env->segs[R_CS], sel | 3, 3, FLAT_CODE32);
        env->rip = (uint32_t)env->regs[R_ECX];
        x86_cpu_set_eflags(env, x86_cpu_get_eflags(env) | EFLAGS_IF);
    }
    set_flat(&env->segs[R_SS], ((sel + 8) & 0xfffc) | 3, 3, FLAT_DATA);
    set_cpl(env, 3);
}

static void helper_sysenter(void *envp)
{
    CPUX86State *env = envp;
    uint32_t sel = env->sysenter_cs & 0xfffc;
    bool lma = env->efer & MSR_EFER_LMA;

    if (!(env->cr[0] & CR0_PE_MASK) || sel == 0) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, GETPC());
    }
    x86_cpu_set_eflags(env, x86_cpu_get_eflags(env) &
                       ~(uint64_t)(EFLAGS_VM | EFLAGS_IF | EFLAGS_RF));
    set_flat(&env->segs[R_CS], sel, 0, lma ? FLAT_CODE64 : FLAT_CODE32);
    set_flat(&env->segs[R_SS], (sel + 8) & 0xfffc, 0, FLAT_DATA);
    set_cpl(env, 0);
    env->regs[R_ESP] = lma ? env->sysenter_esp : (uint32_t)env->sysenter_esp;
    env->rip = lma ? env->sysenter_eip : (uint32_t)env->sysenter_eip;
}

/* sysexit; rexw: to 64-bit code at RDX with RSP = RCX */
static void helper_sysexit(void *envp, uint32_t rexw)
{
    CPUX86State *env = envp;
    uintptr_t ra = GETPC();
    uint32_t sel = env->sysenter_cs & 0xfffc;

    if (!(env->cr[0] & CR0_PE_MASK) || sel == 0 || cpl(env) != 0) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
    }
    if (rexw) {
        if (!canonical(env->regs[R_EDX]) || !canonical(env->regs[R_ECX])) {
            x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
        }
        set_flat(&env->segs[R_CS], ((sel + 32) & 0xfffc) | 3, 3, FLAT_CODE64);
        set_flat(&env->segs[R_SS], ((sel + 40) & 0xfffc) | 3, 3, FLAT_DATA);
        env->regs[R_ESP] = env->regs[R_ECX];
        env->rip = env->regs[R_EDX];
    } else {
        set_flat(&env->segs[R_CS], ((sel + 16) & 0xfffc) | 3, 3, FLAT_CODE32);
        set_flat(&env->segs[R_SS], ((sel + 24) & 0xfffc) | 3, 3, FLAT_DATA);
        env->regs[R_ESP] = (uint32_t)env->regs[R_ECX];
        env->rip = (uint32_t)env->regs[R_EDX];
    }
    set_cpl(env, 3);
}

const TCGHelperInfo x86_helper_syscall = {
    .func = (void *)helper_syscall, .name = "syscall",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 2,
    .args = { TCG_CALL_PTR, TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_sysret = {
    .func = (void *)helper_sysret, .name = "sysret",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 2,
    .args = { TCG_CALL_PTR, TCG_CALL_I32 },
};
const TCGHelperInfo x86_helper_sysenter = {
    .func = (void *)helper_sysenter, .name = "sysenter",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 1,
    .args = { TCG_CALL_PTR },
};
const TCGHelperInfo x86_helper_sysexit = {
    .func = (void *)helper_sysexit, .name = "sysexit",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 2,
    .args = { TCG_CALL_PTR, TCG_CALL_I32 },
};

/* ---- lar, lsl, verr, verw ---- */

/*
 * Read the descriptor sel names for an access check that reports by ZF
 * instead of faulting: false for a null selector or one beyond its table.
 */
static bool peek_desc(CPUX86State *env, uint32_t sel, uint32_t *lo,
                      uint32_t *hi, uintptr_t ra)
{
    SegmentCache *dt = (sel & 4) ? &env->ldt : &env->gdt;
    uint32_t idx = sel & ~7u;

    if ((sel & ~3u) == 0 || idx + 7 > dt->limit || ((sel & 4) && !dt->flags)) {
        return false;
    }
    *lo = cpu_ldl_le_mmuidx_ra(env, dt->base + idx, X86_MMU_IDX_KERNEL, ra);
    *hi = cpu_ldl_le_mmuidx_ra(env, dt->base + idx + 4, X86_MMU_IDX_KERNEL,
                               ra);
    return true;
}

/* Data and non-conforming code are visible only at DPL >= max(CPL, RPL) */
static bool desc_visible(CPUX86State *env, uint32_t sel, uint32_t hi)
{
    unsigned dpl = (hi & DESC_DPL_MASK) >> DESC_DPL_SHIFT;
    bool conforming = (hi & DESC_S_MASK) && (hi & DESC_CS_MASK) &&
                      (hi & (4u << DESC_TYPE_SHIFT));

    return conforming || (dpl >= cpl(env) && dpl >= (sel & 3));
}

static void set_zf(CPUX86State *env, bool z)
{
    uint64_t fl = x86_cpu_get_eflags(env) & ~(uint64_t)CC_Z;

    x86_cpu_set_eflags(env, fl | (z ? CC_Z : 0));
}

/*
 * lar (op 0) / lsl (op 1): the access rights or the byte-granular limit,
 * ZF = 1; or ZF = 0 and -1 (the destination keeps its value).  The
 * system types each accepts differ in long mode (no 16-bit TSS/gates).
 */
static uint64_t helper_lar_lsl(void *envp, uint32_t op, uint64_t selv)
{
    CPUX86State *env = envp;
    uint32_t sel = selv & 0xffff, lo, hi;
    bool lma = env->efer & MSR_EFER_LMA, ok = false;

    if (peek_desc(env, sel, &lo, &hi, GETPC())) {
        if (hi & DESC_S_MASK) {
            ok = true;
        } else {
            unsigned type = (hi >> DESC_TYPE_SHIFT) & 15;
            /* lar: TSSs, LDT, call and task gates; lsl: TSSs and LDT */
            static const uint16_t lar_legacy = 0x1a3e, lar_long = 0x1a04;
            static const uint16_t lsl_legacy = 0x0a0e, lsl_long = 0x0a04;
            uint16_t m = op ? (lma ? lsl_long : lsl_legacy)
                            : (lma ? lar_long : lar_legacy);

            ok = (m >> type) & 1;
        }
        ok = ok && desc_visible(env, sel, hi);
    }
    set_zf(env, ok);
    if (!ok) {
        return ~0ull;
    }
    if (op) {
        uint32_t l = (lo & 0xffff) | (hi & 0x000f0000u);

        return (hi & DESC_G_MASK) ? (l << 12) | 0xfff : l;
    }
    return hi & 0x00f0ff00u;
}

/* verr (op 0) / verw (op 1): ZF = the segment is readable / writable */
static void helper_verr_verw(void *envp, uint32_t op, uint64_t selv)
{
    CPUX86State *env = envp;
    uint32_t sel = selv & 0xffff, lo, hi;
    bool ok = false;

    if (peek_desc(env, sel, &lo, &hi, GETPC()) && (hi & DESC_S_MASK) &&
        desc_visible(env, sel, hi)) {
        if (hi & DESC_CS_MASK) {
            ok = !op && (hi & DESC_R_MASK);
        } else {
            ok = !op || (hi & DESC_W_MASK);
        }
    }
    set_zf(env, ok);
}

const TCGHelperInfo x86_helper_lar_lsl = {
    .func = (void *)helper_lar_lsl, .name = "lar_lsl",
    .flags = 0, .ret = TCG_CALL_I64, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_verr_verw = {
    .func = (void *)helper_verr_verw, .name = "verr_verw",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64 },
};

/* ---- I/O permission and IOPL-sensitive instructions ---- */

static unsigned iopl(CPUX86State *env)
{
    return (env->rflags >> 12) & 3;
}

/*
 * in/out/ins/outs of size bytes at port: allowed in real mode and at
 * CPL <= IOPL outside virtual-8086 mode; otherwise every bit of the
 * port's range in the TSS I/O permission bitmap must be clear (#GP(0)).
 */
static void check_io(CPUX86State *env, uint32_t port, uint32_t size,
                     uintptr_t ra)
{
    unsigned type = (env->tr.flags >> DESC_TYPE_SHIFT) & 15;
    uint32_t base, bits;

    if (!(env->cr[0] & CR0_PE_MASK) ||
        (!(env->rflags & EFLAGS_VM) && cpl(env) <= iopl(env))) {
        return;
    }
    /* only a 32-bit (or 64-bit) TSS has a bitmap */
    if ((type != 9 && type != 11) || env->tr.limit < 103) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
    }
    base = cpu_lduw_le_mmuidx_ra(env, env->tr.base + 0x66,
                                 X86_MMU_IDX_KERNEL, ra);
    /* the two bytes that hold the range must lie inside the TSS */
    if ((uint64_t)base + port / 8 + 1 > env->tr.limit) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
    }
    bits = cpu_lduw_le_mmuidx_ra(env, env->tr.base + base + port / 8,
                                 X86_MMU_IDX_KERNEL, ra);
    if ((bits >> (port & 7)) & ((1u << size) - 1)) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
    }
}

/*
 * in/out below CPL 0 or in virtual-8086 mode (ot: MemOp size): the
 * permission check, then the access (int_helper.c's x86_port_in/out).
 */
static uint64_t helper_in_prot(void *envp, uint32_t ot, uint64_t port)
{
    check_io(envp, port & 0xffff, 1u << ot, GETPC());
    return x86_port_in(ot, port & 0xffff);
}

static void helper_out_prot(void *envp, uint32_t ot, uint64_t port, uint64_t v)
{
    check_io(envp, port & 0xffff, 1u << ot, GETPC());
    x86_port_out(ot, port & 0xffff, v);
}

/*
 * cli/sti (and pushf/popf/int n/iret in virtual-8086 mode): #GP(0) when
 * CPL > IOPL, or in virtual-8086 mode when IOPL < 3 (no VME).
 */
static void helper_check_iopl(void *envp)
{
    CPUX86State *env = envp;

    if (!(env->cr[0] & CR0_PE_MASK)) {
        return;
    }
    if ((env->rflags & EFLAGS_VM) ? iopl(env) != 3 : cpl(env) > iopl(env)) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, GETPC());
    }
}

/*
 * popf in protected mode below CPL 0 or in virtual-8086 mode: IOPL only
 * changes at CPL 0, IF only at CPL <= IOPL; VM, VIP, VIF never; RF is
 * cleared.  ot is the MemOp size of the popped value.
 */
static void helper_popf_prot(void *envp, uint32_t ot, uint64_t val)
{
    CPUX86State *env = envp;
    uint64_t mask = x86_eflags_writable(env, ot == 1 ? 1 : 2) &
                    ~(uint64_t)EFLAGS_RF;
    uint64_t old = x86_cpu_get_eflags(env);

    x86_cpu_set_eflags(env, ((old & ~mask) | (val & mask)) &
                       ~(uint64_t)EFLAGS_RF);
}

/*
 * int n (check: IOPL must be 3), int3, into in virtual-8086 mode: to the
 * ring-0 handler through the IDT, which saves and clears the data segments
 */
static void helper_int_vm86(void *envp, uint32_t vec, uint64_t next_ip,
                            uint32_t check)
{
    CPUX86State *env = envp;

    if (check && iopl(env) != 3) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, GETPC());
    }
    x86_deliver_interrupt(env, (int)vec, true, false, 0, next_ip);
}

/* iret in virtual-8086 mode (IOPL 3): real-mode style, IOPL kept */
static void helper_iret_vm86(void *envp, uint32_t ot)
{
    CPUX86State *env = envp;
    uintptr_t ra = GETPC();
    unsigned shift = ot == 1 ? 1 : 2;
    X86Stack st;
    uint64_t ip, fl, mask;
    uint32_t sel;

    x86_nmi_unblock(env);
    if (iopl(env) != 3) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
    }
    stack_init(env, &st);
    ip = stack_pop(env, &st, shift, ra);
    sel = stack_pop(env, &st, shift, ra) & 0xffff;
    fl = stack_pop(env, &st, shift, ra);
    if (ip > 0xffff) {
        /* beyond the real-mode CS limit */
        x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
    }
    mask = x86_eflags_writable(env, shift) & ~(uint64_t)EFLAGS_RF;
    stack_commit(env, &st);
    env->segs[R_CS].selector = sel;
    env->segs[R_CS].base = (uint64_t)sel << 4;
    env->rip = ip;
    x86_cpu_set_eflags(env, (x86_cpu_get_eflags(env) & ~mask) | (fl & mask));
}

const TCGHelperInfo x86_helper_in_prot = {
    .func = (void *)helper_in_prot, .name = "in_prot",
    .flags = 0, .ret = TCG_CALL_I64, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_out_prot = {
    .func = (void *)helper_out_prot, .name = "out_prot",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 4,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64, TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_check_iopl = {
    .func = (void *)helper_check_iopl, .name = "check_iopl",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 1,
    .args = { TCG_CALL_PTR },
};
const TCGHelperInfo x86_helper_popf_prot = {
    .func = (void *)helper_popf_prot, .name = "popf_prot",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_int_vm86 = {
    .func = (void *)helper_int_vm86, .name = "int_vm86",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 4,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64, TCG_CALL_I32 },
};
const TCGHelperInfo x86_helper_iret_vm86 = {
    .func = (void *)helper_iret_vm86, .name = "iret_vm86",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 2,
    .args = { TCG_CALL_PTR, TCG_CALL_I32 },
};
