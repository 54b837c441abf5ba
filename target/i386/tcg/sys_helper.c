/* x86 translator: system instruction helpers (cpuid, tsc, msr, cr, descriptor tables, string I/O). */
#include "emu/osdep.h"
#include "emu/log.h"
#include "emu/timer.h"
#include "exec/cputlb.h"
#include "target/i386/tcg/translate.h"
#include "hw/intc/apic.h"

void EMU_NORETURN x86_raise_exception_err(CPUX86State *env, int excp,
                                          uint32_t err, uintptr_t ra)
{
    /*
     * The error code travels in the fields KVM uses for a pending
     * exception: under the translator nothing else owns them.
     */
    env->error_code = err;
    env->has_error_code = true;
    cpu_loop_exit_exception(env_cpu(env), excp, ra);
}

static void EMU_NORETURN helper_raise_err(void *envp, uint32_t excp,
                                          uint32_t err)
{
    x86_raise_exception_err(envp, (int)excp, err, GETPC());
}

/* ---- cpuid ---- */

/*
 * What the translator implements, by feature word.  The model's bits are
 * ANDed with these, so a guest never sees a feature that would #UD:
 * x87, FXSR, MMX, SSE, SSE2, SSE3 and CLFLUSH are translated (the
 * differential tests test-x86-fpu and test-x86-sse check them against the
 * host CPU); no PSE36; APIC and TSC-deadline are added in leaf 1 when the CPU has a
 * local APIC model (hw/intc/apic.c).
 * MTRR/PAT/MCA are there because their MSRs are stored (SeaBIOS programs
 * the MTRRs when CPUID says so); PSE/PAE/PGE/NX/LM describe the paging
 * and long mode mmu_helper.c provides.
 */
#define CPUID_EXT_MOVBE (1u << 22)
#define TCG_FEAT_EDX (CPUID_PSE | CPUID_TSC | CPUID_MSR | CPUID_PAE | \
                      CPUID_MCE | CPUID_CX8 | CPUID_MTRR | \
                      CPUID_PGE | CPUID_MCA | CPUID_CMOV | CPUID_PAT | \
                      CPUID_DE | CPUID_SEP | CPUID_FP87 | CPUID_FXSR | \
                      CPUID_MMX | CPUID_SSE | CPUID_SSE2 | CPUID_CLFLUSH)
#define TCG_FEAT_ECX (CPUID_EXT_CX16 | CPUID_EXT_POPCNT | CPUID_EXT_MOVBE | \
                      CPUID_EXT_SSE3 | CPUID_EXT_SSSE3 | CPUID_EXT_SSE41 | \
                      CPUID_EXT_SSE42)

/*
 * SSE floating point runs on the host's unit (sse_helper.c): SSE3's
 * and SSE4.1's (round, dp) instructions need the host to have them.
 */
static uint32_t tcg_host_ecx_mask(void)
{
    uint32_t mask = ~0u;

#if defined(__x86_64__) || defined(__i386__)
    if (!__builtin_cpu_supports("sse3")) {
        mask &= ~CPUID_EXT_SSE3;
    }
    if (!__builtin_cpu_supports("sse4.1")) {
        mask &= ~(CPUID_EXT_SSE41 | CPUID_EXT_SSE42);
    }
#endif
    return mask;
}
#define TCG_FEAT_EXT2_EDX (CPUID_EXT2_NX | CPUID_EXT2_LM | CPUID_EXT2_SYSCALL)
#define TCG_FEAT_EXT3_ECX (CPUID_EXT3_LAHF_LM | CPUID_EXT3_ABM)

static uint32_t str4(const char *s, size_t len, size_t off)
{
    uint32_t v = 0;

    for (size_t i = 0; i < 4; i++) {
        if (off + i < len) {
            v |= (uint32_t)(uint8_t)s[off + i] << (8 * i);
        }
    }
    return v;
}

void x86_cpuid(CPUX86State *env, uint32_t fn, uint32_t idx, uint32_t *a,
               uint32_t *b, uint32_t *c, uint32_t *d)
{
    const X86CPUModel *m = env->model;
    const char *vendor;

    if (!m || m->host || !m->vendor) {
        m = x86_cpu_model_find(X86_CPU_DEFAULT_TCG_MODEL);
    }
    vendor = m->vendor;
    *a = *b = *c = *d = 0;
    /* leaf 0xd (XSAVE) and the other feature leaves stay zero */
    switch (fn) {
    case 0:
        *a = m->level < 7 ? m->level : 7;
        *b = str4(vendor, 12, 0);
        *d = str4(vendor, 12, 4);
        *c = str4(vendor, 12, 8);
        break;
    case 1:
        *a = env->cpuid_version ? env->cpuid_version : x86_cpu_signature(m);
        *b = (env->apic_id << 24) | (1u << 16) | (8u << 8);
        *c = m->features_ecx & TCG_FEAT_ECX & tcg_host_ecx_mask();
        *d = m->features_edx & TCG_FEAT_EDX;
        /* the local APIC model: CPUID.1:EDX.APIC follows IA32_APIC_BASE.EN */
        if (container_of(env, X86CPU, env)->apic) {
            if (env->apic_base & MSR_IA32_APICBASE_ENABLE) {
                *d |= m->features_edx & CPUID_APIC;
            }
            *c |= CPUID_EXT_TSC_DEADLINE;
        }
        break;
    case 0x80000000:
        *a = m->xlevel < 0x80000008 ? m->xlevel : 0x80000008;
        *b = str4(vendor, 12, 0);
        *d = str4(vendor, 12, 4);
        *c = str4(vendor, 12, 8);
        break;
    case 0x80000001:
        *a = x86_cpu_signature(m);
        *c = m->ext3_ecx & TCG_FEAT_EXT3_ECX;
        *d = m->ext2_edx & TCG_FEAT_EXT2_EDX;
        break;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
        const char *id = m->model_id ? m->model_id : "";
        size_t len = strlen(id), base = (fn - 0x80000002) * 16;

        *a = str4(id, len, base);
        *b = str4(id, len, base + 4);
        *c = str4(id, len, base + 8);
        *d = str4(id, len, base + 12);
        break;
    }
    case 0x80000008:
        *a = 0x3028;            /* 40 physical, 48 virtual address bits */
        break;
    default:
        break;
    }
}

static void helper_cpuid(void *envp)
{
    CPUX86State *env = envp;
    uint32_t a, b, c, d;

    x86_cpuid(env, env->regs[R_EAX], env->regs[R_ECX], &a, &b, &c, &d);
    env->regs[R_EAX] = a;
    env->regs[R_EBX] = b;
    env->regs[R_ECX] = c;
    env->regs[R_EDX] = d;
}

/* ---- Time stamp counter ---- */

uint64_t x86_tsc_read(CPUX86State *env)
{
    uint64_t ns = clock_get_ns(EMU_CLOCK_VIRTUAL);

    return (uint64_t)((unsigned __int128)ns * X86_TCG_TSC_HZ / 1000000000u) +
           env->tsc_offset;
}

static void tsc_write(CPUX86State *env, uint64_t v)
{
    env->tsc_offset = 0;
    env->tsc_offset = v - x86_tsc_read(env);
}

/* rdtsc (rdtscp: 1), CR4.TSD makes it privileged */
static void helper_rdtsc(void *envp, uint32_t p)
{
    CPUX86State *env = envp;
    uint64_t t;

    if ((env->cr[4] & CR4_TSD_MASK) && (env->hflags & HF_CPL_MASK) &&
        (env->cr[0] & CR0_PE_MASK)) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, GETPC());
    }
    t = x86_tsc_read(env);
    env->regs[R_EAX] = (uint32_t)t;
    env->regs[R_EDX] = t >> 32;
    if (p) {
        env->regs[R_ECX] = (uint32_t)env->tsc_aux;
    }
}

/* ---- MSRs ---- */

/* fixed-range MTRR index of msr, or -1 */
static int mtrr_fixed_index(uint32_t msr)
{
    if (msr == MSR_MTRRfix64K_00000) {
        return 0;
    }
    if (msr == MSR_MTRRfix16K_80000 || msr == MSR_MTRRfix16K_A0000) {
        return 1 + (msr - MSR_MTRRfix16K_80000);
    }
    if (msr >= MSR_MTRRfix4K_C0000 && msr < MSR_MTRRfix4K_C0000 + 8) {
        return 3 + (msr - MSR_MTRRfix4K_C0000);
    }
    return -1;
}

/* false: no such MSR (#GP) */
static bool msr_access(CPUX86State *env, uint32_t msr, uint64_t *val,
                       bool write, uintptr_t ra)
{
    uint64_t v = write ? *val : 0;
    uint64_t *p = NULL;
    int i;

    switch (msr) {
    case MSR_IA32_TSC:
        if (write) {
            tsc_write(env, v);
        } else {
            v = x86_tsc_read(env);
        }
        break;
    case MSR_IA32_APICBASE:
        /* no x2APIC: reserved bits and EXTD fault */
        if (write && (v & ~(MSR_IA32_APICBASE_BASE | MSR_IA32_APICBASE_BSP |
                            MSR_IA32_APICBASE_ENABLE))) {
            return false;
        }
        if (write) {
            uint64_t old = env->apic_base;
            APICState *apic = container_of(env, X86CPU, env)->apic;

            env->apic_base = (v & ~(uint64_t)MSR_IA32_APICBASE_BSP) |
                             (env->apic_base & MSR_IA32_APICBASE_BSP);
            if (apic && old != env->apic_base) {
                /* the APIC is device state: under the global lock */
                bool locked = bql_locked();

                if (!locked) {
                    bql_lock();
                }
                apic_base_changed(apic, old);
                if (!locked) {
                    bql_unlock();
                }
            }
        }
        v = env->apic_base;
        break;
    case MSR_IA32_TSCDEADLINE: {
        APICState *apic = container_of(env, X86CPU, env)->apic;
        bool locked;

        if (!apic) {
            return false;
        }
        locked = bql_locked();
        if (!locked) {
            bql_lock();
        }
        if (write) {
            apic_set_tsc_deadline(apic, v);
        } else {
            v = apic_get_tsc_deadline(apic);
        }
        if (!locked) {
            bql_unlock();
        }
        break;
    }
    case MSR_IA32_TSC_ADJUST:
        p = &env->tsc_adjust;
        break;
    case MSR_IA32_SYSENTER_CS:
        p = &env->sysenter_cs;
        break;
    case MSR_IA32_SYSENTER_ESP:
        p = &env->sysenter_esp;
        break;
    case MSR_IA32_SYSENTER_EIP:
        p = &env->sysenter_eip;
        break;
    case MSR_IA32_MISC_ENABLE:
        p = &env->misc_enable;
        break;
    case 0x179: /* IA32_MCG_CAP: CPUID says MCA; no banks, no MCG_CTL */
        if (write) {
            return false;
        }
        v = 0;
        break;
    /*
     * Read as zero, writes ignored, as QEMU's translator does: Linux reads
     * these without rdmsr_safe on this (AMD family 15) model and would
     * log "unchecked MSR access" otherwise.
     */
    case 0x8b:          /* IA32_BIOS_SIGN_ID: microcode revision */
    case 0xc0010000 ... 0xc0010007:    /* K7 PERF_CTL0-3 / PERF_CTR0-3 */
    case 0xc0010010:    /* SYSCFG */
    case 0xc0010015:    /* HWCR */
    case 0xc0010055:    /* interrupt pending message */
    case 0xc0011029:    /* DE_CFG */
        v = 0;
        break;
    case 0x17a: /* IA32_MCG_STATUS: no machine check in progress, ever */
        if (write && v) {
            return false;
        }
        v = 0;
        break;
    case MSR_MTRRcap:
        if (write) {
            return false;
        }
        /* 8 variable ranges, fixed ranges, write-combining */
        v = MSR_MTRR_VAR_COUNT | (1u << 8) | (1u << 10);
        break;
    case MSR_PAT:
        p = &env->pat;
        break;
    case MSR_MTRRdefType:
        p = &env->mtrr_deftype;
        break;
    case MSR_EFER:
        if (write) {
            uint64_t ok = MSR_EFER_SCE | MSR_EFER_LME | MSR_EFER_NXE;

            if (v & ~(ok | MSR_EFER_LMA)) {
                return false;
            }
            /* LME cannot change while paging is on */
            if ((env->cr[0] & CR0_PG_MASK) &&
                ((v ^ env->efer) & MSR_EFER_LME)) {
                return false;
            }
            if ((v ^ env->efer) & MSR_EFER_NXE) {
                tlb_flush(env_cpu(env));
            }
            env->efer = (env->efer & MSR_EFER_LMA) | (v & ok);
        }
        v = env->efer;
        break;
    case MSR_STAR:
        p = &env->star;
        break;
    case MSR_LSTAR:
        p = &env->lstar;
        break;
    case MSR_CSTAR:
        p = &env->cstar;
        break;
    case MSR_FMASK:
        p = &env->fmask;
        break;
    case MSR_FSBASE:
        p = &env->segs[R_FS].base;
        break;
    case MSR_GSBASE:
        p = &env->segs[R_GS].base;
        break;
    case MSR_KERNELGSBASE:
        p = &env->kernelgsbase;
        break;
    case MSR_TSC_AUX:
        if (write) {
            v = (uint32_t)v;
        }
        p = &env->tsc_aux;
        break;
    default:
        if (msr >= MSR_MTRRphysBase(0) &&
            msr <= MSR_MTRRphysMask(MSR_MTRR_VAR_COUNT - 1)) {
            i = (msr - MSR_MTRRphysBase(0)) / 2;
            p = (msr & 1) ? &env->mtrr_var_mask[i] : &env->mtrr_var_base[i];
            break;
        }
        i = mtrr_fixed_index(msr);
        if (i >= 0) {
            p = &env->mtrr_fixed[i];
            break;
        }
        emu_log_mask(LOG_UNIMP, "x86: %s of unknown MSR 0x%" PRIx32 "\n",
                     write ? "wrmsr" : "rdmsr", msr);
        return false;
    }
    if (p) {
        if (write) {
            *p = v;
        }
        v = *p;
    }
    if (!write) {
        *val = v;
    }
    return true;
}

static void helper_rdmsr(void *envp)
{
    CPUX86State *env = envp;
    uint64_t v;

    if (!msr_access(env, env->regs[R_ECX], &v, false, GETPC())) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, GETPC());
    }
    env->regs[R_EAX] = (uint32_t)v;
    env->regs[R_EDX] = v >> 32;
}

static void helper_wrmsr(void *envp)
{
    CPUX86State *env = envp;
    uint64_t v = (uint32_t)env->regs[R_EAX] |
                 (uint64_t)(uint32_t)env->regs[R_EDX] << 32;

    if (!msr_access(env, env->regs[R_ECX], &v, true, GETPC())) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, GETPC());
    }
}

/* ---- Control registers ---- */

/*
 * The CR4 bits the translator honours; the rest #GP.  VME/PVI are not
 * implemented (CPUID does not advertise VME), so setting them faults.
 * SMEP (bit 20) is implemented by mmu_helper.c's walk.
 */
#define CR4_SMEP_BIT (1u << 20)
#define CR4_KNOWN (CR4_TSD_MASK | CR4_DE_MASK | \
                   CR4_PSE_MASK | CR4_PAE_MASK | CR4_MCE_MASK | \
                   CR4_PGE_MASK | CR4_PCE_MASK | CR4_OSFXSR_MASK | \
                   CR4_OSXMMEXCPT_MASK | CR4_SMEP_BIT)

void x86_write_cr0(CPUX86State *env, uint64_t v, uintptr_t ra)
{
    uint64_t old = env->cr[0];

    if (v >> 32) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
    }
    v |= CR0_ET_MASK;
    if (((v & CR0_PG_MASK) && !(v & CR0_PE_MASK)) ||
        ((v & CR0_NW_MASK) && !(v & CR0_CD_MASK))) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
    }
    if ((v & CR0_PG_MASK) && !(old & CR0_PG_MASK) &&
        (env->efer & MSR_EFER_LME)) {
        /* entering long mode needs PAE and a CS that is not 64-bit */
        if (!(env->cr[4] & CR4_PAE_MASK)) {
            x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
        }
        env->efer |= MSR_EFER_LMA;
    }
    if (!(v & CR0_PG_MASK) && (old & CR0_PG_MASK) &&
        (env->efer & MSR_EFER_LMA)) {
        env->efer &= ~(uint64_t)MSR_EFER_LMA;
    }
    env->cr[0] = v;
    if (!(v & CR0_PE_MASK)) {
        env->hflags &= ~HF_CPL_MASK;
    }
    if ((old ^ v) & (CR0_PG_MASK | CR0_PE_MASK | CR0_WP_MASK)) {
        tlb_flush(env_cpu(env));
    }
}

static void helper_write_cr(void *envp, uint32_t n, uint64_t v)
{
    CPUX86State *env = envp;
    uintptr_t ra = GETPC();

    switch (n) {
    case 0:
        x86_write_cr0(env, v, ra);
        break;
    case 2:
        env->cr[2] = v;
        break;
    case 3:
        if ((env->efer & MSR_EFER_LMA) ? (v >> 52) != 0 : (v >> 32) != 0) {
            x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
        }
        env->cr[3] = v;
        tlb_flush(env_cpu(env));
        break;
    case 4:
        if ((v & ~(uint64_t)CR4_KNOWN) ||
            ((env->efer & MSR_EFER_LMA) && !(v & CR4_PAE_MASK))) {
            x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
        }
        if ((env->cr[4] ^ v) & (CR4_PSE_MASK | CR4_PAE_MASK | CR4_PGE_MASK |
                                CR4_SMEP_BIT)) {
            tlb_flush(env_cpu(env));
        }
        env->cr[4] = v;
        break;
    default: /* 8 */
        if (v & ~0xfull) {
            x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
        }
        env->cr8 = v;
        if (container_of(env, X86CPU, env)->apic) {
            /* CR8 is the APIC's TPR[7:4] (SDM 10.8.6.1) */
            bool locked = bql_locked();

            if (!locked) {
                bql_lock();
            }
            apic_set_cr8(container_of(env, X86CPU, env)->apic, v);
            if (!locked) {
                bql_unlock();
            }
        }
        break;
    }
}

/* mov r, cr8: the APIC's TPR[7:4] when there is an APIC model */
static uint64_t helper_read_cr8(void *envp)
{
    CPUX86State *env = envp;
    APICState *apic = container_of(env, X86CPU, env)->apic;
    uint64_t v;

    if (!apic) {
        return env->cr8;
    }
    bool locked = bql_locked();
    if (!locked) {
        bql_lock();
    }
    v = apic_get_cr8(apic);
    if (!locked) {
        bql_unlock();
    }
    return v;
}

/* lmsw: PE, MP, EM, TS from the operand; PE cannot be cleared */
static void helper_lmsw(void *envp, uint64_t v)
{
    CPUX86State *env = envp;
    uint64_t cr0 = env->cr[0];

    cr0 = (cr0 & ~0xeull) | (v & 0xf) | (cr0 & CR0_PE_MASK);
    x86_write_cr0(env, cr0, GETPC());
}

static void helper_invlpg(void *envp, uint64_t addr)
{
    tlb_flush_page(env_cpu((CPUX86State *)envp), addr);
}

/* ---- lldt / ltr ---- */

/* Read the 8-byte descriptor sel names from the GDT (or #GP(sel)) */
static void load_gdt_desc(CPUX86State *env, uint32_t sel, uint32_t *lo,
                          uint32_t *hi, uint64_t *addr, unsigned size,
                          uintptr_t ra)
{
    uint32_t idx = sel & ~7u;

    if ((sel & 4) || idx + size - 1 > env->gdt.limit) {
        x86_raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
    *addr = env->gdt.base + idx;
    *lo = cpu_ldl_le_mmuidx_ra(env, *addr, X86_MMU_IDX_KERNEL, ra);
    *hi = cpu_ldl_le_mmuidx_ra(env, *addr + 4, X86_MMU_IDX_KERNEL, ra);
}

static uint64_t desc_base(uint32_t lo, uint32_t hi)
{
    return (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
}

static uint32_t desc_limit(uint32_t lo, uint32_t hi)
{
    uint32_t l = (lo & 0xffff) | (hi & 0x000f0000u);

    return (hi & DESC_G_MASK) ? (l << 12) | 0xfff : l;
}

/* lldt (tr false) / ltr (tr true) with selector sel */
static void helper_load_sys_seg(void *envp, uint32_t tr, uint64_t selv)
{
    CPUX86State *env = envp;
    uintptr_t ra = GETPC();
    uint32_t sel = selv & 0xffff, lo, hi, type;
    bool lma = env->efer & MSR_EFER_LMA;
    SegmentCache *sc = tr ? &env->tr : &env->ldt;
    uint64_t addr, base;

    if ((sel & ~3u) == 0) {
        if (tr) {
            x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
        }
        /* a null LDT: any later use through it faults */
        sc->selector = sel;
        sc->base = 0;
        sc->limit = 0;
        sc->flags = 0;
        return;
    }
    load_gdt_desc(env, sel, &lo, &hi, &addr, lma ? 16 : 8, ra);
    type = (hi >> DESC_TYPE_SHIFT) & 15;
    if ((hi & DESC_S_MASK) ||
        (tr ? !(type == 9 || (type == 1 && !lma)) : type != 2)) {
        x86_raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP0B_NOSEG, sel & 0xfffc, ra);
    }
    base = desc_base(lo, hi);
    if (lma) {
        base |= (uint64_t)cpu_ldl_le_mmuidx_ra(env, addr + 8, X86_MMU_IDX_KERNEL, ra) << 32;
    }
    if (tr) {
        /* mark the TSS busy in the GDT */
        hi |= 2u << DESC_TYPE_SHIFT;
        cpu_stl_le_mmuidx_ra(env, addr + 4, hi, X86_MMU_IDX_KERNEL, ra);
    }
    sc->selector = sel;
    sc->base = base;
    sc->limit = desc_limit(lo, hi);
    sc->flags = hi & 0x00f0ff00u;
}

const TCGHelperInfo x86_helper_raise_err = {
    .func = (void *)helper_raise_err, .name = "raise_err",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I32 },
};
const TCGHelperInfo x86_helper_cpuid = {
    .func = (void *)helper_cpuid, .name = "cpuid",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 1,
    .args = { TCG_CALL_PTR },
};
const TCGHelperInfo x86_helper_rdtsc = {
    .func = (void *)helper_rdtsc, .name = "rdtsc",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 2,
    .args = { TCG_CALL_PTR, TCG_CALL_I32 },
};
const TCGHelperInfo x86_helper_rdmsr = {
    .func = (void *)helper_rdmsr, .name = "rdmsr",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 1,
    .args = { TCG_CALL_PTR },
};
const TCGHelperInfo x86_helper_wrmsr = {
    .func = (void *)helper_wrmsr, .name = "wrmsr",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 1,
    .args = { TCG_CALL_PTR },
};
const TCGHelperInfo x86_helper_write_cr = {
    .func = (void *)helper_write_cr, .name = "write_cr",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_read_cr8 = {
    .func = (void *)helper_read_cr8, .name = "read_cr8",
    .flags = 0, .ret = TCG_CALL_I64, .nargs = 1,
    .args = { TCG_CALL_PTR },
};
const TCGHelperInfo x86_helper_lmsw = {
    .func = (void *)helper_lmsw, .name = "lmsw",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 2,
    .args = { TCG_CALL_PTR, TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_invlpg = {
    .func = (void *)helper_invlpg, .name = "invlpg",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 2,
    .args = { TCG_CALL_PTR, TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_load_sys_seg = {
    .func = (void *)helper_load_sys_seg, .name = "load_sys_seg",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64 },
};
