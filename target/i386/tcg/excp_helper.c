/* x86 translator: exception and interrupt delivery (IVT, 32-bit IDT, 64-bit IDT). */
#include "emu/osdep.h"
#include "emu/log.h"
#include "exec/cputlb.h"
#include "system/runstate.h"
#include "target/i386/tcg/translate.h"
#include "hw/intc/apic.h"

#define EFLAGS_TF   0x100u
#define EFLAGS_IF   0x200u
#define EFLAGS_NT   0x4000u
#define EFLAGS_RF   0x10000u
#define EFLAGS_VM   0x20000u
#define EFLAGS_AC   0x40000u

/*
 * Accesses made by the delivery itself (IDT, GDT, TSS, the handler's
 * stack) are supervisor accesses whatever the CPL.  A fault in them
 * leaves through cpu_loop_exit to the loop, which delivers that fault
 * next (double-fault rules in x86_tcg_do_interrupt).
 */
static uint32_t ld32(CPUX86State *env, uint64_t a)
{
    return cpu_ldl_le_mmuidx_ra(env, a, X86_MMU_IDX_KERNEL, 0);
}

static uint32_t ld16(CPUX86State *env, uint64_t a)
{
    return cpu_lduw_le_mmuidx_ra(env, a, X86_MMU_IDX_KERNEL, 0);
}

static uint64_t ld64(CPUX86State *env, uint64_t a)
{
    return cpu_ldq_le_mmuidx_ra(env, a, X86_MMU_IDX_KERNEL, 0);
}

static void EMU_NORETURN fault(CPUX86State *env, int excp, uint32_t err)
{
    x86_raise_exception_err(env, excp, err, 0);
}

static bool has_error_code(int vec)
{
    return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17;
}

static bool contributory(int vec)
{
    return vec == 0 || (vec >= 10 && vec <= 13);
}

/* Push onto a stack given by base, sp and width mask */
static void push(CPUX86State *env, uint64_t base, uint64_t *sp, uint64_t mask,
                 unsigned size, uint64_t v)
{
    uint64_t a;

    *sp -= size;
    a = base + (*sp & mask);
    if (mask != ~0ull) {
        a = (uint32_t)a;
    }
    if (size == 2) {
        cpu_stw_le_mmuidx_ra(env, a, v, X86_MMU_IDX_KERNEL, 0);
    } else if (size == 4) {
        cpu_stl_le_mmuidx_ra(env, a, v, X86_MMU_IDX_KERNEL, 0);
    } else {
        cpu_stq_le_mmuidx_ra(env, a, v, X86_MMU_IDX_KERNEL, 0);
    }
}

static void fill_seg(SegmentCache *sc, uint32_t sel, uint32_t lo, uint32_t hi)
{
    uint32_t limit = (lo & 0xffff) | (hi & 0x000f0000u);

    sc->selector = sel;
    sc->base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
    sc->limit = (hi & DESC_G_MASK) ? (limit << 12) | 0xfff : limit;
    sc->flags = hi & 0x00f0ff00u;
}

/* The code segment a gate names: #GP(sel | ext) unless a present code segment at DPL <= CPL */
static void gate_code_desc(CPUX86State *env, uint32_t sel, uint32_t ext,
                           uint32_t *lo, uint32_t *hi)
{
    SegmentCache *dt = (sel & 4) ? &env->ldt : &env->gdt;
    unsigned dpl;

    if ((sel & ~3u) == 0) {
        fault(env, EXCP0D_GPF, ext);
    }
    if ((sel & ~7u) + 7 > dt->limit) {
        fault(env, EXCP0D_GPF, (sel & 0xfffc) | ext);
    }
    *lo = ld32(env, dt->base + (sel & ~7u));
    *hi = ld32(env, dt->base + (sel & ~7u) + 4);
    dpl = (*hi & DESC_DPL_MASK) >> DESC_DPL_SHIFT;
    if (!(*hi & DESC_S_MASK) || !(*hi & DESC_CS_MASK) ||
        dpl > (env->hflags & HF_CPL_MASK)) {
        fault(env, EXCP0D_GPF, (sel & 0xfffc) | ext);
    }
    if (!(*hi & DESC_P_MASK)) {
        fault(env, EXCP0B_NOSEG, (sel & 0xfffc) | ext);
    }
}

static void set_cpl(CPUX86State *env, unsigned cpl)
{
    env->hflags = (env->hflags & ~HF_CPL_MASK) | cpl;
}

/* Real mode: FLAGS, CS, IP on the 16-bit stack; CS:IP from the IVT */
static void deliver_real(CPUX86State *env, int vec, uint64_t next_ip)
{
    uint64_t sp = env->regs[R_ESP];
    uint64_t base = env->segs[R_SS].base;
    uint32_t ip, cs;

    if ((uint32_t)vec * 4 + 3 > env->idt.limit) {
        fault(env, EXCP0D_GPF, vec * 8 + 2);
    }
    ip = ld16(env, env->idt.base + vec * 4);
    cs = ld16(env, env->idt.base + vec * 4 + 2);
    push(env, base, &sp, 0xffff, 2, x86_cpu_get_eflags(env));
    push(env, base, &sp, 0xffff, 2, env->segs[R_CS].selector);
    push(env, base, &sp, 0xffff, 2, next_ip);
    env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffull) | (sp & 0xffff);
    env->rflags &= ~(uint64_t)(EFLAGS_IF | EFLAGS_TF | EFLAGS_AC | EFLAGS_RF);
    env->segs[R_CS].selector = cs;
    env->segs[R_CS].base = (uint64_t)cs << 4;
    env->rip = ip;
}

/* Protected mode (not long mode): 16/32-bit interrupt and trap gates */
/*
 * Last step of delivery through a 32- or 64-bit gate (the frame is
 * already pushed): load CS at new_cpl, jump to the handler, and clear
 * TF/NT/RF/VM, and IF for interrupt gates (type bit 0 clear).
 */
static void gate_enter(CPUX86State *env, uint32_t sel, uint32_t new_cpl,
                       uint32_t lo, uint32_t hi, uint64_t off, uint64_t fl,
                       uint32_t type)
{
    fill_seg(&env->segs[R_CS], (sel & 0xfffc) | new_cpl, lo, hi);
    set_cpl(env, new_cpl);
    env->rip = off;
    fl &= ~(uint64_t)(EFLAGS_TF | EFLAGS_NT | EFLAGS_RF | EFLAGS_VM);
    if (!(type & 1)) {
        fl &= ~(uint64_t)EFLAGS_IF;
    }
    x86_cpu_set_eflags(env, fl);
}

static void deliver_prot(CPUX86State *env, int vec, bool is_int, bool has_err,
                         uint32_t err, uint64_t next_ip)
{
    uint32_t ext = is_int ? 0 : 1;
    uint32_t glo, ghi, lo, hi, type, sel, dpl, cpl = env->hflags & HF_CPL_MASK;
    uint64_t off, sp, base, mask, fl = x86_cpu_get_eflags(env);
    bool vm86 = fl & EFLAGS_VM, inner;
    unsigned size;
    SegmentCache ss;

    if ((uint32_t)vec * 8 + 7 > env->idt.limit) {
        fault(env, EXCP0D_GPF, vec * 8 + 2 + ext);
    }
    glo = ld32(env, env->idt.base + vec * 8);
    ghi = ld32(env, env->idt.base + vec * 8 + 4);
    type = (ghi >> 8) & 0x1f;       /* S and type */
    if (type == 5) {
        /* a task gate: the handler is a task (#DF handlers, mostly) */
        if (is_int && ((ghi & DESC_DPL_MASK) >> DESC_DPL_SHIFT) < cpl) {
            fault(env, EXCP0D_GPF, vec * 8 + 2);
        }
        if (!(ghi & DESC_P_MASK)) {
            fault(env, EXCP0B_NOSEG, vec * 8 + 2 + ext);
        }
        x86_task_switch(env, glo >> 16, X86_TS_INT, next_ip, has_err, err, 0);
        return;
    }
    if (type != 6 && type != 7 && type != 14 && type != 15) {
        fault(env, EXCP0D_GPF, vec * 8 + 2 + ext);
    }
    if (is_int && ((ghi & DESC_DPL_MASK) >> DESC_DPL_SHIFT) < cpl) {
        fault(env, EXCP0D_GPF, vec * 8 + 2);
    }
    if (!(ghi & DESC_P_MASK)) {
        fault(env, EXCP0B_NOSEG, vec * 8 + 2 + ext);
    }
    sel = glo >> 16;
    off = (glo & 0xffff) | (type & 8 ? (ghi & 0xffff0000u) : 0);
    size = type & 8 ? 4 : 2;
    gate_code_desc(env, sel, ext, &lo, &hi);
    dpl = (hi & DESC_DPL_MASK) >> DESC_DPL_SHIFT;
    inner = !(hi & (4u << DESC_TYPE_SHIFT)) && dpl < cpl;
    if (vm86 && (!inner || dpl != 0)) {
        fault(env, EXCP0D_GPF, (sel & 0xfffc) | ext);
    }
    if (inner) {
        /* the ring-dpl stack from the TSS */
        uint32_t nss, nlo, nhi;
        uint64_t tss = env->tr.base;
        bool tss32 = ((env->tr.flags >> DESC_TYPE_SHIFT) & 8) != 0;
        unsigned o = tss32 ? 4 + 8 * dpl : 2 + 4 * dpl;
        SegmentCache *dt;

        if (o + (tss32 ? 7 : 3) > env->tr.limit) {
            fault(env, EXCP0A_TSS, (env->tr.selector & 0xfffc) | ext);
        }
        if (tss32) {
            sp = ld32(env, tss + o);
            nss = ld16(env, tss + o + 4);
        } else {
            sp = ld16(env, tss + o);
            nss = ld16(env, tss + o + 2);
        }
        dt = (nss & 4) ? &env->ldt : &env->gdt;
        if ((nss & ~3u) == 0 || (nss & ~7u) + 7 > dt->limit) {
            fault(env, EXCP0A_TSS, (nss & 0xfffc) | ext);
        }
        nlo = ld32(env, dt->base + (nss & ~7u));
        nhi = ld32(env, dt->base + (nss & ~7u) + 4);
        if ((nss & 3) != dpl ||
            ((nhi & DESC_DPL_MASK) >> DESC_DPL_SHIFT) != dpl ||
            !(nhi & DESC_S_MASK) || (nhi & DESC_CS_MASK) ||
            !(nhi & DESC_W_MASK)) {
            fault(env, EXCP0A_TSS, (nss & 0xfffc) | ext);
        }
        if (!(nhi & DESC_P_MASK)) {
            fault(env, EXCP0C_STACK, (nss & 0xfffc) | ext);
        }
        fill_seg(&ss, nss, nlo, nhi);
        base = ss.base;
        mask = (ss.flags & DESC_B_MASK) ? 0xffffffffull : 0xffff;
        if (vm86) {
            push(env, base, &sp, mask, size, env->segs[R_GS].selector);
            push(env, base, &sp, mask, size, env->segs[R_FS].selector);
            push(env, base, &sp, mask, size, env->segs[R_DS].selector);
            push(env, base, &sp, mask, size, env->segs[R_ES].selector);
        }
        push(env, base, &sp, mask, size, env->segs[R_SS].selector);
        push(env, base, &sp, mask, size, env->regs[R_ESP]);
    } else {
        ss = env->segs[R_SS];
        base = ss.base;
        mask = (ss.flags & DESC_B_MASK) ? 0xffffffffull : 0xffff;
        sp = env->regs[R_ESP];
    }
    push(env, base, &sp, mask, size, fl);
    push(env, base, &sp, mask, size, env->segs[R_CS].selector);
    push(env, base, &sp, mask, size, next_ip);
    if (has_err) {
        push(env, base, &sp, mask, size, err);
    }
    /* committed: nothing below can fault */
    if (inner) {
        env->segs[R_SS] = ss;
        if (vm86) {
            static const int segs[] = { R_ES, R_DS, R_FS, R_GS };

            for (size_t i = 0; i < ARRAY_SIZE(segs); i++) {
                env->segs[segs[i]].selector = 0;
                env->segs[segs[i]].base = 0;
                env->segs[segs[i]].limit = 0;
                env->segs[segs[i]].flags = 0;
            }
        }
    }
    if (mask == 0xffff) {
        env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffull) | (sp & 0xffff);
    } else {
        env->regs[R_ESP] = (uint32_t)sp;
    }
    gate_enter(env, sel, inner ? dpl : cpl, lo, hi, off, fl, type);
}

/* Long mode: 16-byte gates, 64-bit pushes, IST */
static void deliver_long(CPUX86State *env, int vec, bool is_int, bool has_err,
                         uint32_t err, uint64_t next_ip)
{
    uint32_t ext = is_int ? 0 : 1;
    uint32_t glo, ghi, lo, hi, type, sel, dpl, cpl = env->hflags & HF_CPL_MASK;
    uint64_t off, sp, fl = x86_cpu_get_eflags(env);
    unsigned ist;
    bool inner;

    if ((uint32_t)vec * 16 + 15 > env->idt.limit) {
        fault(env, EXCP0D_GPF, vec * 8 + 2 + ext);
    }
    glo = ld32(env, env->idt.base + vec * 16);
    ghi = ld32(env, env->idt.base + vec * 16 + 4);
    type = (ghi >> 8) & 0x1f;
    if (type != 14 && type != 15) {
        fault(env, EXCP0D_GPF, vec * 8 + 2 + ext);
    }
    if (is_int && ((ghi & DESC_DPL_MASK) >> DESC_DPL_SHIFT) < cpl) {
        fault(env, EXCP0D_GPF, vec * 8 + 2);
    }
    if (!(ghi & DESC_P_MASK)) {
        fault(env, EXCP0B_NOSEG, vec * 8 + 2 + ext);
    }
    sel = glo >> 16;
    off = (glo & 0xffff) | (ghi & 0xffff0000u) |
          (uint64_t)ld32(env, env->idt.base + vec * 16 + 8) << 32;
    ist = ghi & 7;
    gate_code_desc(env, sel, ext, &lo, &hi);
    if (!(hi & DESC_L_MASK) || (hi & DESC_B_MASK)) {
        fault(env, EXCP0D_GPF, (sel & 0xfffc) | ext);
    }
    dpl = (hi & DESC_DPL_MASK) >> DESC_DPL_SHIFT;
    inner = !(hi & (4u << DESC_TYPE_SHIFT)) && dpl < cpl;
    if (ist || inner) {
        unsigned o = ist ? 0x24 + 8 * (ist - 1) : 4 + 8 * dpl;

        if (o + 7 > env->tr.limit) {
            fault(env, EXCP0A_TSS, (env->tr.selector & 0xfffc) | ext);
        }
        sp = ld64(env, env->tr.base + o);
    } else {
        sp = env->regs[R_ESP];
    }
    sp &= ~0xfull;
    push(env, 0, &sp, ~0ull, 8, env->segs[R_SS].selector);
    push(env, 0, &sp, ~0ull, 8, env->regs[R_ESP]);
    push(env, 0, &sp, ~0ull, 8, fl);
    push(env, 0, &sp, ~0ull, 8, env->segs[R_CS].selector);
    push(env, 0, &sp, ~0ull, 8, next_ip);
    if (has_err) {
        push(env, 0, &sp, ~0ull, 8, err);
    }
    if (inner) {
        /* a null SS with the new RPL */
        env->segs[R_SS].selector = dpl;
        env->segs[R_SS].base = 0;
        env->segs[R_SS].limit = 0;
        env->segs[R_SS].flags = (dpl << DESC_DPL_SHIFT) | DESC_B_MASK;
    }
    env->regs[R_ESP] = sp;
    gate_enter(env, sel, inner ? dpl : cpl, lo, hi, off, fl, type);
}

/*
 * excp: vector + 1 to record for the double-fault rules, 0 for an
 * external interrupt (a fault while delivering one is delivered as is).
 */
static void deliver(CPUX86State *env, int vec, bool is_int, bool has_err,
                    uint32_t err, uint64_t next_ip, int32_t excp)
{
    emu_log_mask(LOG_INT, "x86: vector %d%s err 0x%x at %04x:%016" PRIx64
                 " cpl %u\n", vec, is_int ? " (int)" : excp ? "" : " (ext)",
                 err, env->segs[R_CS].selector, env->rip,
                 env->hflags & HF_CPL_MASK);
    env->excp_delivering = excp;
    if (!(env->cr[0] & CR0_PE_MASK)) {
        deliver_real(env, vec, next_ip);
    } else if (env->efer & MSR_EFER_LMA) {
        deliver_long(env, vec, is_int, has_err, err, next_ip);
    } else {
        deliver_prot(env, vec, is_int, has_err, err, next_ip);
    }
    env->excp_delivering = 0;
}

void x86_deliver_interrupt(CPUX86State *env, int vec, bool is_int,
                           bool has_err, uint32_t err, uint64_t next_ip)
{
    deliver(env, vec, is_int, has_err, err, next_ip, vec + 1);
}

bool x86_tcg_has_work(CPUState *cs)
{
    X86CPU *cpu = X86_CPU(cs);
    CPUX86State *env = &cpu->env;
    int req = __atomic_load_n(&cs->interrupt_request, __ATOMIC_RELAXED);

    if (req & (CPU_INTERRUPT_INIT | CPU_INTERRUPT_SIPI)) {
        return true;
    }
    /* an AP in wait-for-SIPI ignores everything else */
    if (cpu->apic && apic_waiting_for_sipi(cpu->apic)) {
        return false;
    }
    if ((req & CPU_INTERRUPT_NMI) && !env->nmi_masked) {
        return true;
    }
    return (req & CPU_INTERRUPT_HARD) && (env->rflags & EFLAGS_IF);
}

/*
 * iret ends NMI blocking, even when it faults (SDM 6.7.1); an NMI that
 * came in meanwhile is taken at the next TB entry.
 */
void x86_nmi_unblock(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);

    if (env->nmi_masked) {
        env->nmi_masked = false;
        if (__atomic_load_n(&cs->interrupt_request, __ATOMIC_ACQUIRE) &
            CPU_INTERRUPT_NMI) {
            /* this vCPU's own thread: stop at the next TB entry */
            __atomic_store_n(&cs->neg->exit_request, 1, __ATOMIC_RELAXED);
        }
    }
}

/*
 * The same tests as x86_tcg_exec_interrupt below, in its order, without
 * side effects: a guest running with IF clear while a device holds its
 * line up leaves the loop through here at every TB exit.
 */
bool x86_tcg_interrupt_deliverable(CPUState *cs, int interrupt_request)
{
    X86CPU *cpu = X86_CPU(cs);
    CPUX86State *env = &cpu->env;

    if (interrupt_request & (CPU_INTERRUPT_INIT | CPU_INTERRUPT_SIPI)) {
        return true;
    }
    if (cpu->apic && apic_waiting_for_sipi(cpu->apic)) {
        return true;
    }
    if (env->interrupt_shadow) {
        return false;
    }
    if ((interrupt_request & CPU_INTERRUPT_NMI) && !env->nmi_masked) {
        return true;
    }
    return (interrupt_request & CPU_INTERRUPT_HARD) &&
           (env->rflags & EFLAGS_IF);
}

/*
 * Between TBs, so env->rip is the next insn: the return address.  Not an
 * int n: no gate DPL check, EXT set in the error code of a fault the
 * delivery raises.  INIT and SIPI come first (they may stop or start
 * the CPU), then NMI, then maskable interrupts: from the local APIC
 * (which asks the 8259 for ExtINT), or straight from the 8259 when the
 * CPU has no APIC model.  An NMI blocks further NMIs until the next iret
 * (x86_nmi_unblock).
 */
bool x86_tcg_exec_interrupt(CPUState *cs, int interrupt_request)
{
    X86CPU *cpu = X86_CPU(cs);
    CPUX86State *env = &cpu->env;
    int vec;

    if (interrupt_request & CPU_INTERRUPT_INIT) {
        /* a SIPI sent right after the INIT stays pending for later */
        cpu_reset_interrupt(cs, CPU_INTERRUPT_INIT);
        x86_cpu_do_init(cpu);
        if (cs->halted) {
            cs->exception_index = EXCP_HALTED;
        }
        return true;
    }
    if (interrupt_request & CPU_INTERRUPT_SIPI) {
        cpu_reset_interrupt(cs, CPU_INTERRUPT_SIPI);
        if (x86_cpu_do_sipi(cpu)) {
            return true;
        }
    }
    if (cpu->apic && apic_waiting_for_sipi(cpu->apic)) {
        cs->halted = true;
        cs->exception_index = EXCP_HALTED;
        return true;
    }
    if ((interrupt_request & CPU_INTERRUPT_NMI) && !env->interrupt_shadow &&
        !env->nmi_masked) {
        cpu_reset_interrupt(cs, CPU_INTERRUPT_NMI);
        cs->halted = false;
        env->nmi_masked = true;
        deliver(env, 2, false, false, 0, env->rip, 0);
        return true;
    }
    if (!(interrupt_request & CPU_INTERRUPT_HARD) ||
        !(env->rflags & EFLAGS_IF) || env->interrupt_shadow) {
        return false;
    }
    /* the acknowledge may lower the line (and the request) itself */
    if (cpu->apic) {
        vec = apic_get_interrupt(cpu->apic);
    } else if (cpu->get_pic_vector) {
        vec = cpu->get_pic_vector(cpu->pic_opaque);
    } else {
        return false;
    }
    if (vec < 0 || vec > 255) {
        return false;
    }
    cs->halted = false;
    deliver(env, vec, false, false, 0, env->rip, 0);
    return true;
}

/*
 * pause (rep nop), rip already at the next insn: with several vCPUs on
 * the round-robin thread, end this one's turn, as a spin-wait loop can
 * only be waiting for another vCPU (QEMU does the same); alone, just
 * leave the TB.
 */
static void EMU_NORETURN helper_pause(void *env)
{
    CPUState *cs = env_cpu(env);

    cs->exception_index = first_cpu && first_cpu->next ? EXCP_YIELD : -1;
    cpu_loop_exit(cs);
}

const TCGHelperInfo x86_helper_pause = {
    .func = (void *)helper_pause, .name = "pause",
    .flags = TCG_CALL_NO_WG, .ret = TCG_CALL_VOID, .nargs = 1,
    .args = { TCG_CALL_PTR },
};

/*
 * CPUClass do_interrupt: a fault or trap raised by the translator or a
 * helper (cs->exception_index, error code in env->error_code when
 * env->has_error_code), env->rip at the faulting insn.  A fault while
 * delivering another one turns into #DF by the SDM's table; a fault
 * while delivering #DF is a triple fault: a guest reset.
 */
void x86_tcg_do_interrupt(CPUState *cs)
{
    CPUX86State *env = cs->env_ptr;
    int vec = cs->exception_index;
    uint32_t err = env->has_error_code ? env->error_code : 0;
    int prev = env->excp_delivering - 1;

    env->has_error_code = false;
    env->excp_delivering = 0;
    if (vec < 0 || vec > 255) {
        return;
    }
    if (prev == 8) {
        emu_log_mask(LOG_GUEST_ERROR, "x86: triple fault (vector %d)\n", vec);
        system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
        cpu_interrupt(cs, CPU_INTERRUPT_HALT);
        return;
    }
    if (prev >= 0 && ((contributory(prev) && contributory(vec)) ||
                      (prev == 14 && (contributory(vec) || vec == 14)))) {
        vec = 8;
        err = 0;
    }
    x86_deliver_interrupt(env, vec, false, has_error_code(vec), err,
                          env->rip);
}

/* int n / int3 / into in protected mode: a trap, the return is next_ip */
static void helper_int_prot(void *envp, uint32_t vec, uint64_t next_ip)
{
    CPUX86State *env = envp;

    /* faults while pushing are raised at the int itself (rip as set) */
    x86_deliver_interrupt(env, (int)vec, true, false, 0, next_ip);
}

const TCGHelperInfo x86_helper_int_prot = {
    .func = (void *)helper_int_prot, .name = "int_prot",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64 },
};
