/* x86 CPU object: models, power-on state, register dump, page walk. */
#include "emu/osdep.h"
#include "system/memory.h"
#include "system/kvm.h"
#include "system/runstate.h"
#include "cpu.h"
#include "target/i386/tcg/translate.h"
#include "exec/cputlb.h"
#include "hw/intc/apic.h"

/*
 * Leaf 1 EDX of a Pentium Pro class CPU: what every x86-64 model has.
 * qemu64 is QEMU's default model: an AMD-vendor family 15 CPU with SSE3
 * and CX16, long mode, NX, SYSCALL, LAHF/SAHF and SVM (which KVM leaves
 * off, as QEMU does).  target/i386/kvm.c drops, with a warning, what the
 * host cannot give.
 */
#define PPRO_FEATURES (CPUID_FP87 | CPUID_DE | CPUID_PSE | CPUID_TSC | \
                       CPUID_MSR | CPUID_MCE | CPUID_CX8 | CPUID_PGE | \
                       CPUID_CMOV | CPUID_PAT | CPUID_FXSR | CPUID_MMX | \
                       CPUID_SSE | CPUID_SSE2 | CPUID_PAE | CPUID_SEP | \
                       CPUID_APIC)

static const X86CPUModel x86_cpu_models[] = {
    {
        .name = "qemu64",
        .desc = "QEMU Virtual CPU version 2.5+",
        .level = 0xd,
        .xlevel = 0x8000000a,
        .vendor = "AuthenticAMD",
        .family = 15, .model = 107, .stepping = 1,
        .features_edx = PPRO_FEATURES | CPUID_MTRR | CPUID_CLFLUSH |
                        CPUID_MCA | CPUID_PSE36,
        .features_ecx = CPUID_EXT_SSE3 | CPUID_EXT_CX16,
        .ext2_edx = CPUID_EXT2_LM | CPUID_EXT2_SYSCALL | CPUID_EXT2_NX,
        .ext3_ecx = CPUID_EXT3_LAHF_LM | CPUID_EXT3_SVM,
        .model_id = "QEMU Virtual CPU version 2.5+",
    },
    {
        .name = "emu64",
        .desc = "emu's translator CPU: qemu64 with SSSE3, SSE4.1, SSE4.2, POPCNT",
        .level = 0xd,
        .xlevel = 0x8000000a,
        .vendor = "AuthenticAMD",
        .family = 15, .model = 107, .stepping = 1,
        .features_edx = PPRO_FEATURES | CPUID_MTRR | CPUID_CLFLUSH |
                        CPUID_MCA | CPUID_PSE36,
        .features_ecx = CPUID_EXT_SSE3 | CPUID_EXT_CX16 | CPUID_EXT_SSSE3 |
                        CPUID_EXT_SSE41 | CPUID_EXT_SSE42 | CPUID_EXT_POPCNT,
        .ext2_edx = CPUID_EXT2_LM | CPUID_EXT2_SYSCALL | CPUID_EXT2_NX,
        .ext3_ecx = CPUID_EXT3_LAHF_LM | CPUID_EXT3_SVM,
        .model_id = "emu Virtual CPU (x86-64-v2)",
    },
    {
        .name = "kvm64",
        .desc = "Common KVM processor",
        .level = 0xd,
        .xlevel = 0x80000008,
        .vendor = "GenuineIntel",
        .family = 15, .model = 6, .stepping = 1,
        .features_edx = PPRO_FEATURES | CPUID_MTRR | CPUID_CLFLUSH |
                        CPUID_MCA | CPUID_PSE36,
        .features_ecx = CPUID_EXT_SSE3 | CPUID_EXT_CX16,
        .ext2_edx = CPUID_EXT2_LM | CPUID_EXT2_SYSCALL | CPUID_EXT2_NX,
        .ext3_ecx = 0,
        .model_id = "Common KVM processor",
    },
    {
        .name = "host",
        .desc = "KVM processor with all supported host features",
        .host = true,
    },
};

const X86CPUModel *x86_cpu_model_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(x86_cpu_models); i++) {
        if (!strcmp(x86_cpu_models[i].name, name)) {
            return &x86_cpu_models[i];
        }
    }
    return NULL;
}

void x86_cpu_list(FILE *f)
{
    fprintf(f, "Available CPUs:\n");
    for (size_t i = 0; i < ARRAY_SIZE(x86_cpu_models); i++) {
        fprintf(f, "x86 %-16s %s\n", x86_cpu_models[i].name,
                x86_cpu_models[i].desc);
    }
}

uint32_t x86_cpu_signature(const X86CPUModel *m)
{
    uint32_t family = m->family, model = m->model;
    uint32_t v;

    /* SDM: family > 15 goes to the extended family field */
    if (family > 0x0f) {
        v = 0xf00 | ((family - 0x0f) << 20);
    } else {
        v = family << 8;
    }
    v |= ((model & 0xf) << 4) | ((model >> 4) << 16);
    v |= m->stepping & 0xf;
    return v;
}

static void set_seg(SegmentCache *sc, uint32_t sel, uint64_t base,
                    uint32_t limit, uint32_t flags)
{
    sc->selector = sel;
    sc->base = base;
    sc->limit = limit;
    sc->flags = flags;
}

/* SDM vol. 3, 9.1.1 "Processor State After Reset" (INIT leaves MSRs alone) */
void x86_cpu_reset_state(X86CPU *cpu)
{
    CPUX86State *env = &cpu->env;
    uint32_t data_flags = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK |
                          DESC_A_MASK;

    memset(env->regs, 0, sizeof(env->regs));
    env->regs[R_EDX] = env->cpuid_version;
    env->rip = 0xfff0;
    env->rflags = 0x2;

    set_seg(&env->segs[R_CS], 0xf000, 0xffff0000, 0xffff,
            DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK |
            DESC_A_MASK);
    set_seg(&env->segs[R_ES], 0, 0, 0xffff, data_flags);
    set_seg(&env->segs[R_SS], 0, 0, 0xffff, data_flags);
    set_seg(&env->segs[R_DS], 0, 0, 0xffff, data_flags);
    set_seg(&env->segs[R_FS], 0, 0, 0xffff, data_flags);
    set_seg(&env->segs[R_GS], 0, 0, 0xffff, data_flags);
    set_seg(&env->ldt, 0, 0, 0xffff, DESC_P_MASK | (2u << DESC_TYPE_SHIFT));
    /* VT-x wants a busy TSS even in real mode */
    set_seg(&env->tr, 0, 0, 0xffff, DESC_P_MASK | (11u << DESC_TYPE_SHIFT));
    set_seg(&env->gdt, 0, 0, 0xffff, 0);
    set_seg(&env->idt, 0, 0, 0xffff, 0);

    memset(env->cr, 0, sizeof(env->cr));
    env->cr[0] = CR0_CD_MASK | CR0_NW_MASK | CR0_ET_MASK;
    env->cr8 = 0;
    env->efer = 0;
    memset(env->dr, 0, sizeof(env->dr));
    env->dr[6] = 0xffff0ff0;
    env->dr[7] = 0x400;
    env->hflags = 0;

    env->star = env->lstar = env->cstar = env->fmask = 0;
    env->kernelgsbase = 0;
    env->sysenter_cs = env->sysenter_esp = env->sysenter_eip = 0;
    env->tsc = 0;
    env->tsc_aux = 0;
    env->tsc_adjust = 0;
    env->apic_base = APIC_DEFAULT_ADDRESS | MSR_IA32_APICBASE_ENABLE |
                     (env->smp_index == 0 ? MSR_IA32_APICBASE_BSP : 0);
    env->pat = PAT_POWER_ON_VALUE;
    env->misc_enable = MSR_IA32_MISC_ENABLE_DEFAULT;
    env->mtrr_deftype = 0;
    memset(env->mtrr_fixed, 0, sizeof(env->mtrr_fixed));
    memset(env->mtrr_var_base, 0, sizeof(env->mtrr_var_base));
    memset(env->mtrr_var_mask, 0, sizeof(env->mtrr_var_mask));
    env->system_time_msr = 0;
    env->wall_clock_msr = 0;

    memset(&env->xsave, 0, sizeof(env->xsave));
    env->xsave.legacy.fcw = 0x37f;
    env->xsave.legacy.mxcsr = 0x1f80;
    env->xcr0 = 1;              /* x87 state only */
    /* the translator's forms: FINIT state, all registers empty */
    memset(env->fpregs, 0, sizeof(env->fpregs));
    env->fpstt = 0;
    env->fpus = 0;
    env->fpuc = 0x37f;
    memset(env->fptags, 1, sizeof(env->fptags));
    env->fpop = 0;
    env->fpip = env->fpdp = 0;
    env->fpcs = env->fpds = 0;
    memset(env->xmm_regs, 0, sizeof(env->xmm_regs));
    env->mxcsr = 0x1f80;

    env->a20_mask = ~0ull;
    env->interrupt_shadow = 0;
    env->nmi_pending = false;
    env->nmi_masked = false;
    env->exception_nr = -1;
    env->exception_pending = false;
    env->exception_injected = false;
    env->has_error_code = false;
    env->error_code = 0;
    env->interrupt_nr = -1;
    env->interrupt_injected = false;
    env->interrupt_soft = false;
    /*
     * Application processors wait for INIT/SIPI from the BSP; the
     * accelerator maps this to its own state (1 = KVM's UNINITIALIZED).
     */
    env->mp_state = env->smp_index == 0 ? 0 : 1;
}

static void x86_cpu_reset(CPUState *cs)
{
    X86CPU *cpu = X86_CPU(cs);
    uint64_t old_apic_base = cpu->env.apic_base;

    x86_cpu_reset_state(cpu);
    if (cpu->apic) {
        /* the APIC page moves back to its power-on base */
        apic_base_changed(cpu->apic, old_apic_base);
    }
    /* the translator's lazy flags and cached translations */
    cpu->env.cc_op = CC_OP_EFLAGS;
    cpu->env.cc_src = 0;
    cpu->env.tsc_offset = 0;
    cpu->env.excp_delivering = 0;
    if (cs->tlb) {
        tlb_flush(cs);
    }
    cs->halted = cpu->env.smp_index != 0;
}

void x86_cpu_do_init(X86CPU *cpu)
{
    CPUX86State *env = &cpu->env;
    CPUX86State *saved = emu_malloc(sizeof(*env));

    memcpy(saved, env, sizeof(*env));
    x86_cpu_reset_state(cpu);
    /* INIT keeps the MSRs, the x87/SSE state and the TSC (SDM 9.1) */
    env->star = saved->star;
    env->lstar = saved->lstar;
    env->cstar = saved->cstar;
    env->fmask = saved->fmask;
    env->kernelgsbase = saved->kernelgsbase;
    env->sysenter_cs = saved->sysenter_cs;
    env->sysenter_esp = saved->sysenter_esp;
    env->sysenter_eip = saved->sysenter_eip;
    env->tsc_aux = saved->tsc_aux;
    env->tsc_adjust = saved->tsc_adjust;
    env->apic_base = saved->apic_base;
    env->pat = saved->pat;
    env->misc_enable = saved->misc_enable;
    env->mtrr_deftype = saved->mtrr_deftype;
    memcpy(env->mtrr_fixed, saved->mtrr_fixed, sizeof(env->mtrr_fixed));
    memcpy(env->mtrr_var_base, saved->mtrr_var_base,
           sizeof(env->mtrr_var_base));
    memcpy(env->mtrr_var_mask, saved->mtrr_var_mask,
           sizeof(env->mtrr_var_mask));
    env->system_time_msr = saved->system_time_msr;
    env->wall_clock_msr = saved->wall_clock_msr;
    memcpy(&env->xsave, &saved->xsave, sizeof(env->xsave));
    env->xcr0 = saved->xcr0;
    memcpy(env->fpregs, saved->fpregs, sizeof(env->fpregs));
    env->fpstt = saved->fpstt;
    env->fpus = saved->fpus;
    env->fpuc = saved->fpuc;
    memcpy(env->fptags, saved->fptags, sizeof(env->fptags));
    memcpy(env->xmm_regs, saved->xmm_regs, sizeof(env->xmm_regs));
    env->mxcsr = saved->mxcsr;
    env->a20_mask = saved->a20_mask;
    env->tsc_offset = saved->tsc_offset;
    free(saved);

    env->cc_op = CC_OP_EFLAGS;
    env->cc_src = 0;
    env->excp_delivering = 0;
    if (cpu->parent.tlb) {
        tlb_flush(&cpu->parent);
    }
    if (cpu->apic) {
        apic_take_init(cpu->apic);
    }
    /* the BSP restarts at the reset vector; an AP waits for a SIPI */
    cpu->parent.halted = cpu->apic ? apic_waiting_for_sipi(cpu->apic) :
                         !(env->apic_base & MSR_IA32_APICBASE_BSP);
    env->mp_state = cpu->parent.halted ? 1 : 0;
}

bool x86_cpu_do_sipi(X86CPU *cpu)
{
    CPUX86State *env = &cpu->env;
    uint8_t vector;

    if (!cpu->apic || !apic_take_sipi(cpu->apic, &vector)) {
        return false;
    }
    env->segs[R_CS].selector = (uint32_t)vector << 8;
    env->segs[R_CS].base = (uint64_t)vector << 12;
    env->segs[R_CS].limit = 0xffff;
    env->rip = 0;
    env->mp_state = 0;
    cpu->parent.halted = false;
    return true;
}

static void x86_cpu_reset_handler(void *opaque)
{
    CPUState *cs = opaque;

    cpu_reset(cs);
    if (kvm_enabled()) {
        kvm_cpu_synchronize_post_reset(cs);
    }
}

void x86_cpu_synchronize_state(CPUState *cs)
{
    if (kvm_enabled()) {
        kvm_cpu_synchronize_state(cs);
    }
}

CPUState *x86_cpu_new(const char *model, int index, Error **errp)
{
    const X86CPUModel *m = x86_cpu_model_find(model ? model :
                                              kvm_enabled() ?
                                              X86_CPU_DEFAULT_MODEL :
                                              X86_CPU_DEFAULT_TCG_MODEL);
    X86CPU *cpu;
    CPUState *cs;

    if (!m) {
        error_setg(errp, "unable to find CPU model '%s'", model);
        error_append_hint(errp, "Use -cpu help to list the models\n");
        return NULL;
    }
    if (m->host && !kvm_enabled()) {
        error_setg(errp, "CPU model 'host' requires KVM");
        return NULL;
    }
    if (index < 0) {
        error_setg(errp, "invalid CPU index %d", index);
        return NULL;
    }
    cpu = emu_new0(X86CPU, 1);
    cs = &cpu->parent;
    cs->cc = &x86_cpu_class;
    cs->env_ptr = &cpu->env;
    cs->neg = &cpu->neg;
    cpu->neg.cpu = cs;
    cs->as = &address_space_memory;
    cpu->env.model = m;
    cpu->env.smp_index = index;
    cpu->env.apic_id = (uint32_t)index;
    if (!m->host) {
        cpu->env.cpuid_version = x86_cpu_signature(m);
    }
    cpu_list_add(cs);
    if (kvm_enabled() && !kvm_init_vcpu(cs, errp)) {
        cpu_list_remove(cs);
        free(cpu);
        return NULL;
    }
    x86_cpu_reset(cs);
    register_reset(x86_cpu_reset_handler, cs);
    return cs;
}

/* ---- register dump, in the layout of QEMU's "info registers" ---- */

#define HF_LMA(env) (((env)->efer & MSR_EFER_LMA) != 0)
#define HF_CS64(env) (HF_LMA(env) && ((env)->segs[R_CS].flags & DESC_L_MASK))

static const char *const seg_name[6] = { "ES", "CS", "SS", "DS", "FS", "GS" };

static const char *const sys_type_name[2][16] = {
    { "Reserved", "TSS16-avl", "LDT", "TSS16-busy",
      "CallGate16", "TaskGate", "IntGate16", "TrapGate16",
      "Reserved", "TSS32-avl", "Reserved", "TSS32-busy",
      "CallGate32", "Reserved", "IntGate32", "TrapGate32" },
    { "<hiword>", "Reserved", "LDT", "Reserved", "Reserved",
      "Reserved", "Reserved", "Reserved", "Reserved",
      "TSS64-avl", "Reserved", "TSS64-busy", "CallGate64",
      "Reserved", "IntGate64", "TrapGate64" },
};

static void dump_seg(FILE *f, const CPUX86State *env, const char *name,
                     const SegmentCache *sc)
{
    uint32_t fl = sc->flags;

    if (HF_LMA(env)) {
        fprintf(f, "%-3s=%04x %016" PRIx64 " %08x %08x", name,
                sc->selector, sc->base, sc->limit, fl & 0x00ffff00);
    } else {
        fprintf(f, "%-3s=%04x %08x %08x %08x", name, sc->selector,
                (uint32_t)sc->base, sc->limit, fl & 0x00ffff00);
    }
    if (!(env->cr[0] & CR0_PE_MASK) || !(fl & DESC_P_MASK)) {
        fprintf(f, "\n");
        return;
    }
    fprintf(f, " DPL=%u ", (fl & DESC_DPL_MASK) >> DESC_DPL_SHIFT);
    if (fl & DESC_S_MASK) {
        if (fl & DESC_CS_MASK) {
            fprintf(f, "%s", (fl & DESC_L_MASK) ? "CS64" :
                    (fl & DESC_B_MASK) ? "CS32" : "CS16");
            fprintf(f, " [%c%c", (fl & (1u << 10)) ? 'C' : '-',
                    (fl & DESC_R_MASK) ? 'R' : '-');
        } else {
            fprintf(f, "%s", ((fl & DESC_B_MASK) || HF_LMA(env)) ?
                    "DS  " : "DS16");
            fprintf(f, " [%c%c", (fl & (1u << 10)) ? 'E' : '-',
                    (fl & DESC_W_MASK) ? 'W' : '-');
        }
        fprintf(f, "%c]", (fl & DESC_A_MASK) ? 'A' : '-');
    } else {
        fprintf(f, "%s", sys_type_name[HF_LMA(env)]
                [(fl & DESC_TYPE_MASK) >> DESC_TYPE_SHIFT]);
    }
    fprintf(f, "\n");
}

/* 80-bit x87 register as QEMU prints it: mantissa then sign/exponent */
static void dump_fpr(FILE *f, const uint8_t *st, int i)
{
    uint64_t mant;
    uint16_t exp;

    memcpy(&mant, st, 8);
    memcpy(&exp, st + 8, 2);
    fprintf(f, "FPR%d=%016" PRIx64 " %04x", i, mant, exp);
    fprintf(f, (i & 1) ? "\n" : " ");
}

void x86_cpu_dump_state(CPUState *cs, FILE *f, int flags)
{
    CPUX86State *env = &X86_CPU(cs)->env;
    uint32_t ef = (uint32_t)env->rflags;
    unsigned cpl = env->segs[R_SS].flags & DESC_DPL_MASK;
    char fl[8];

    cpl >>= DESC_DPL_SHIFT;
    if (!(env->cr[0] & CR0_PE_MASK)) {
        cpl = 0;
    }
    snprintf(fl, sizeof(fl), "%c%c%c%c%c%c%c",
             ef & 0x400 ? 'D' : '-', ef & 0x800 ? 'O' : '-',
             ef & 0x80 ? 'S' : '-', ef & 0x40 ? 'Z' : '-',
             ef & 0x10 ? 'A' : '-', ef & 0x4 ? 'P' : '-',
             ef & 0x1 ? 'C' : '-');
    if (HF_CS64(env)) {
        static const char *const n[16] = {
            "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
            "R8 ", "R9 ", "R10", "R11", "R12", "R13", "R14", "R15",
        };
        static const int order[16] = {
            R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI, R_EBP, R_ESP,
            8, 9, 10, 11, 12, 13, 14, 15,
        };
        for (int i = 0; i < 16; i++) {
            fprintf(f, "%s=%016" PRIx64 "%s", n[order[i]],
                    env->regs[order[i]], (i & 3) == 3 ? "\n" : " ");
        }
        fprintf(f, "RIP=%016" PRIx64 " RFL=%08x [%s] CPL=%u II=%u A20=%d "
                "SMM=0 HLT=%d\n", env->rip, ef, fl, cpl,
                env->interrupt_shadow ? 1 : 0,
                (int)((env->a20_mask >> 20) & 1), cs->halted);
    } else {
        fprintf(f, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n"
                "ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n"
                "EIP=%08x EFL=%08x [%s] CPL=%u II=%u A20=%d SMM=0 HLT=%d\n",
                (uint32_t)env->regs[R_EAX], (uint32_t)env->regs[R_EBX],
                (uint32_t)env->regs[R_ECX], (uint32_t)env->regs[R_EDX],
                (uint32_t)env->regs[R_ESI], (uint32_t)env->regs[R_EDI],
                (uint32_t)env->regs[R_EBP], (uint32_t)env->regs[R_ESP],
                (uint32_t)env->rip, ef, fl, cpl,
                env->interrupt_shadow ? 1 : 0,
                (int)((env->a20_mask >> 20) & 1), cs->halted);
    }
    for (int i = 0; i < 6; i++) {
        dump_seg(f, env, seg_name[i], &env->segs[i]);
    }
    dump_seg(f, env, "LDT", &env->ldt);
    dump_seg(f, env, "TR", &env->tr);
    if (HF_LMA(env)) {
        fprintf(f, "GDT=     %016" PRIx64 " %08x\n", env->gdt.base,
                env->gdt.limit);
        fprintf(f, "IDT=     %016" PRIx64 " %08x\n", env->idt.base,
                env->idt.limit);
        fprintf(f, "CR0=%08x CR2=%016" PRIx64 " CR3=%016" PRIx64
                " CR4=%08x\n", (uint32_t)env->cr[0], env->cr[2],
                env->cr[3], (uint32_t)env->cr[4]);
    } else {
        fprintf(f, "GDT=     %08x %08x\n", (uint32_t)env->gdt.base,
                env->gdt.limit);
        fprintf(f, "IDT=     %08x %08x\n", (uint32_t)env->idt.base,
                env->idt.limit);
        fprintf(f, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n",
                (uint32_t)env->cr[0], (uint32_t)env->cr[2],
                (uint32_t)env->cr[3], (uint32_t)env->cr[4]);
    }
    /* debug registers are 64-bit wide in every mode, as QEMU prints them */
    for (int i = 0; i < 4; i++) {
        fprintf(f, "DR%d=%016" PRIx64 " ", i, env->dr[i]);
    }
    fprintf(f, "\nDR6=%016" PRIx64 " DR7=%016" PRIx64 "\n", env->dr[6],
            env->dr[7]);
    fprintf(f, "EFER=%016" PRIx64 "\n", env->efer);
    if (flags & CPU_DUMP_FPU) {
        const X86FXSave *fx = &env->xsave.legacy;
        X86FXSave tcg_fx;
        unsigned top;

        if (!kvm_enabled()) {
            /* the translator keeps its own x87/SSE state (fpu_helper.c) */
            x86_fpu_get_fxsave(env, &tcg_fx);
            fx = &tcg_fx;
        }
        top = (fx->fsw >> 11) & 7;
        /* the abridged FXSAVE tag: one "valid" bit per register, as QEMU */
        uint8_t ftw = fx->ftw;
        fprintf(f, "FCW=%04x FSW=%04x [ST=%u] FTW=%02x MXCSR=%08x\n",
                fx->fcw, fx->fsw, top, ftw, fx->mxcsr);
        for (int i = 0; i < 8; i++) {
            dump_fpr(f, fx->st[i], i);
        }
        for (int i = 0; i < (HF_CS64(env) ? 16 : 8); i++) {
            uint64_t d[2];
            memcpy(d, fx->xmm[i], 16);
            fprintf(f, "XMM%02d=%016" PRIx64 " %016" PRIx64, i, d[1], d[0]);
            fprintf(f, (i & 1) ? "\n" : " ");
        }
    }
}

/* ---- guest page walk (monitor "x", gpa lookups) ---- */

static bool read_pte(uint64_t addr, bool wide, uint64_t *val)
{
    MemTxResult r = MEMTX_OK;

    if (wide) {
        *val = address_space_ldq_le(&address_space_memory, addr, &r);
    } else {
        *val = address_space_ldl_le(&address_space_memory, addr, &r);
    }
    return r == MEMTX_OK;
}

bool x86_cpu_get_phys_addr(CPUState *cs, uint64_t vaddr, uint64_t *paddr)
{
    CPUX86State *env = &X86_CPU(cs)->env;
    const uint64_t pa_mask = 0x000ffffffffff000ull;
    uint64_t pte;

    if (!(env->cr[0] & CR0_PG_MASK)) {
        *paddr = vaddr & env->a20_mask;
        return true;
    }
    if (env->cr[4] & CR4_PAE_MASK) {
        int levels;
        uint64_t table;

        if (env->efer & MSR_EFER_LMA) {
            levels = (env->cr[4] & (1u << 12)) ? 5 : 4;   /* LA57 */
            table = env->cr[3] & pa_mask;
        } else {
            /* PAE: 4 PDPTEs, 32-byte aligned */
            if (!read_pte((env->cr[3] & ~0x1full) + ((vaddr >> 27) & 0x18),
                          true, &pte) || !(pte & 1)) {
                return false;
            }
            table = pte & pa_mask;
            levels = 2;
        }
        for (int l = levels; l >= 1; l--) {
            int shift = 12 + 9 * (l - 1);
            if (!read_pte(table + ((vaddr >> shift) & 0x1ff) * 8, true,
                          &pte) || !(pte & 1)) {
                return false;
            }
            if (l <= 3 && l > 1 && (pte & 0x80)) {
                uint64_t psize = 1ull << shift;
                *paddr = ((pte & pa_mask) & ~(psize - 1)) |
                         (vaddr & (psize - 1));
                return true;
            }
            table = pte & pa_mask;
        }
        *paddr = table | (vaddr & 0xfff);
        return true;
    }
    /* legacy two-level 32-bit paging */
    if (!read_pte((env->cr[3] & 0xfffff000) + ((vaddr >> 22) & 0x3ff) * 4,
                  false, &pte) || !(pte & 1)) {
        return false;
    }
    if ((pte & 0x80) && (env->cr[4] & (1u << 4))) {       /* PSE 4 MiB */
        *paddr = (pte & 0xffc00000) | ((pte & 0x1fe000) << 19) |
                 (vaddr & 0x3fffff);
        return true;
    }
    if (!read_pte((pte & 0xfffff000) + ((vaddr >> 12) & 0x3ff) * 4, false,
                  &pte) || !(pte & 1)) {
        return false;
    }
    *paddr = (pte & 0xfffff000) | (vaddr & 0xfff);
    return true;
}

/*
 * The x86 CPU class: KVM uses the state only; the translator hooks are
 * target/i386/tcg's (external interrupts from the board's PIC through
 * X86CPU get_pic_vector; no local APIC yet).
 */
const CPUClass x86_cpu_class = {
    .name = "x86_64",
    .nb_mmu_modes = 3,
    .page_bits = 12,
    .reset = x86_cpu_reset,
    .has_work = x86_tcg_has_work,
    .dump_state = x86_cpu_dump_state,
    .tcg_init = x86_tcg_init,
    .get_tb_cpu_state = x86_tcg_get_tb_cpu_state,
    .translate = x86_tcg_translate,
    .restore_state_to_opc = x86_tcg_restore_state_to_opc,
    .tlb_fill = x86_tcg_tlb_fill,
    .mmu_index = x86_tcg_mmu_index,
    .do_interrupt = x86_tcg_do_interrupt,
    .exec_interrupt = x86_tcg_exec_interrupt,
    .interrupt_deliverable = x86_tcg_interrupt_deliverable,
};
