/* x86 glue of the KVM accelerator: CPUID, registers, MSRs, LAPIC. */
#include "emu/osdep.h"
#include "system/kvm.h"
#include "accel/kvm/kvm-internal.h"
#include "cpu.h"

/*
 * Where KVM on Intel puts the real-mode TSS (three pages) and the EPT
 * identity map (one page) in guest-physical space: just below the BIOS,
 * as QEMU does.  The e820 map must mark 0xfeffc000-0xfeffffff reserved.
 */
#define KVM_IDENTITY_MAP_ADDR 0xfeffc000ull
#define KVM_TSS_ADDR          0xfeffd000ull

static struct kvm_cpuid2 *supported_cpuid;
static struct kvm_msr_list *msr_list;
static bool has_xsave, has_xcrs, has_vcpu_events;

static bool kvm_get_supported_cpuid(Error **errp)
{
    for (unsigned n = 64; n <= 4096; n *= 2) {
        struct kvm_cpuid2 *c = emu_malloc0(sizeof(*c) +
                                           n * sizeof(c->entries[0]));
        c->nent = n;
        int r = kvm_ioctl(KVM_GET_SUPPORTED_CPUID, c);
        if (r == 0) {
            supported_cpuid = c;
            return true;
        }
        free(c);
        if (r != -E2BIG) {
            error_setg(errp, "kvm: KVM_GET_SUPPORTED_CPUID failed: %s",
                       strerror(-r));
            return false;
        }
    }
    error_setg(errp, "kvm: KVM_GET_SUPPORTED_CPUID: too many entries");
    return false;
}

static bool kvm_get_msr_index_list(Error **errp)
{
    struct kvm_msr_list probe = { .nmsrs = 0 };
    int r = kvm_ioctl(KVM_GET_MSR_INDEX_LIST, &probe);

    if (r < 0 && r != -E2BIG) {
        error_setg(errp, "kvm: KVM_GET_MSR_INDEX_LIST failed: %s",
                   strerror(-r));
        return false;
    }
    msr_list = emu_malloc0(sizeof(*msr_list) +
                           probe.nmsrs * sizeof(msr_list->indices[0]));
    msr_list->nmsrs = probe.nmsrs;
    r = kvm_ioctl(KVM_GET_MSR_INDEX_LIST, msr_list);
    if (r < 0) {
        error_setg(errp, "kvm: KVM_GET_MSR_INDEX_LIST failed: %s",
                   strerror(-r));
        return false;
    }
    return true;
}

static bool kvm_has_msr(uint32_t index)
{
    for (uint32_t i = 0; msr_list && i < msr_list->nmsrs; i++) {
        if (msr_list->indices[i] == index) {
            return true;
        }
    }
    return false;
}

bool kvm_arch_init(Error **errp)
{
    uint64_t identity = KVM_IDENTITY_MAP_ADDR;
    int r;

    if (!kvm_get_supported_cpuid(errp) || !kvm_get_msr_index_list(errp)) {
        return false;
    }
    has_xsave = kvm_check_extension(KVM_CAP_XSAVE) > 0;
    has_xcrs = kvm_check_extension(KVM_CAP_XCRS) > 0;
    has_vcpu_events = kvm_check_extension(KVM_CAP_VCPU_EVENTS) > 0;
    if (kvm_check_extension(KVM_CAP_SET_IDENTITY_MAP_ADDR)) {
        r = kvm_vm_ioctl(KVM_SET_IDENTITY_MAP_ADDR, &identity);
        if (r < 0) {
            error_setg(errp, "kvm: KVM_SET_IDENTITY_MAP_ADDR failed: %s",
                       strerror(-r));
            return false;
        }
    }
    r = kvm_vm_ioctl(KVM_SET_TSS_ADDR, (void *)(uintptr_t)KVM_TSS_ADDR);
    if (r < 0) {
        error_setg(errp, "kvm: KVM_SET_TSS_ADDR failed: %s", strerror(-r));
        return false;
    }
    return true;
}

/* ---- CPUID ---- */

static const struct kvm_cpuid_entry2 *supported_entry(uint32_t fn,
                                                      uint32_t idx)
{
    for (uint32_t i = 0; i < supported_cpuid->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &supported_cpuid->entries[i];
        if (e->function == fn &&
            (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == idx)) {
            return e;
        }
    }
    return NULL;
}

static X86CPUIDEntry *add_entry(CPUX86State *env, uint32_t fn, uint32_t idx,
                                uint32_t flags)
{
    X86CPUIDEntry *e;

    if (env->nr_cpuid >= X86_MAX_CPUID_ENTRIES) {
        return NULL;
    }
    e = &env->cpuid[env->nr_cpuid++];
    memset(e, 0, sizeof(*e));
    e->function = fn;
    e->index = idx;
    e->flags = flags;
    return e;
}

static void copy_supported(CPUX86State *env, uint32_t fn)
{
    for (uint32_t i = 0; i < supported_cpuid->nent; i++) {
        const struct kvm_cpuid_entry2 *s = &supported_cpuid->entries[i];
        if (s->function != fn) {
            continue;
        }
        X86CPUIDEntry *e = add_entry(env, fn, s->index, s->flags);
        if (e) {
            e->eax = s->eax;
            e->ebx = s->ebx;
            e->ecx = s->ecx;
            e->edx = s->edx;
        }
    }
}

static void set_vendor(X86CPUIDEntry *e, const char *v)
{
    memcpy(&e->ebx, v, 4);
    memcpy(&e->edx, v + 4, 4);
    memcpy(&e->ecx, v + 8, 4);
}

/* Feature names as QEMU spells them in its warnings (NULL: unnamed) */
static const char *const leaf1_edx_names[32] = {
    "fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce",
    "cx8", "apic", NULL, "sep", "mtrr", "pge", "mca", "cmov",
    "pat", "pse36", "pn", "clflush", NULL, "ds", "acpi", "mmx",
    "fxsr", "sse", "sse2", "ss", "ht", "tm", "ia64", "pbe",
};
static const char *const leaf1_ecx_names[32] = {
    "pni", "pclmulqdq", "dtes64", "monitor", "ds-cpl", "vmx", "smx", "est",
    "tm2", "ssse3", "cid", NULL, "fma", "cx16", "xtpr", "pdcm",
    NULL, "pcid", "dca", "sse4.1", "sse4.2", "x2apic", "movbe", "popcnt",
    "tsc-deadline", "aes", "xsave", "osxsave", "avx", "f16c", "rdrand",
    "hypervisor",
};
static const char *const ext2_edx_names[32] = {
    [11] = "syscall", [20] = "nx", [22] = "mmxext", [25] = "fxsr-opt",
    [26] = "pdpe1gb", [27] = "rdtscp", [29] = "lm", [30] = "3dnowext",
    [31] = "3dnow",
};
static const char *const ext3_ecx_names[32] = {
    "lahf-lm", "cmp-legacy", "svm", "extapic", "cr8legacy", "abm", "sse4a",
    "misalignsse", "3dnowprefetch", "osvw", "ibs", "xop", "skinit", "wdt",
};

/*
 * The requested bits KVM can give; each one it cannot is dropped with a
 * warning, as QEMU does for a named model (once per vCPU).
 */
static uint32_t filter_features(uint32_t want, uint32_t have,
                                const char *reg, const char *const *names)
{
    uint32_t missing = want & ~have;

    for (int bit = 0; bit < 32; bit++) {
        if (missing & (1u << bit)) {
            warn_report("host doesn't support requested feature: "
                        "CPUID.%s.%s [bit %d]", reg,
                        names[bit] ? names[bit] : "?", bit);
        }
    }
    return want & have;
}

/*
 * A named model: its vendor, signature and feature words, each bit kept
 * only if KVM can give it; the cache/topology leaves come from KVM.
 */
static void build_model_cpuid(CPUX86State *env)
{
    const X86CPUModel *m = env->model;
    const struct kvm_cpuid_entry2 *s;
    X86CPUIDEntry *e;
    uint32_t level = m->level, xlevel = m->xlevel;

    s = supported_entry(0, 0);
    if (s && s->eax < level) {
        level = s->eax;
    }
    e = add_entry(env, 0, 0, 0);
    e->eax = level;
    set_vendor(e, m->vendor);

    s = supported_entry(1, 0);
    e = add_entry(env, 1, 0, 0);
    e->eax = env->cpuid_version;
    /* CLFLUSH line size 8 qwords, one logical processor, the APIC ID */
    e->ebx = (8u << 8) | (1u << 16) | (env->apic_id << 24);
    e->edx = filter_features(m->features_edx, s ? s->edx : 0,
                             "01H:EDX", leaf1_edx_names);
    /* under KVM, as QEMU: x2APIC requested, the hypervisor bit forced */
    e->ecx = filter_features(m->features_ecx | CPUID_EXT_X2APIC,
                             s ? s->ecx : 0, "01H:ECX", leaf1_ecx_names);
    e->ecx |= CPUID_EXT_HYPERVISOR;

    for (uint32_t fn = 2; fn <= level; fn++) {
        switch (fn) {
        case 2:
        case 4:
            copy_supported(env, fn);
            break;
        case 7:         /* no structured extended features */
            e = add_entry(env, 7, 0, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
            break;
        case 0xb:
            copy_supported(env, fn);
            break;
        default:
            /* leaves of features the model lacks (XSAVE, PMU ...) are 0 */
            e = add_entry(env, fn, 0, 0);
            break;
        }
    }
    /* fix the APIC ID in the topology leaf and the sharing counts */
    for (unsigned i = 0; i < env->nr_cpuid; i++) {
        if (env->cpuid[i].function == 0xb) {
            env->cpuid[i].edx = env->apic_id;
        } else if (env->cpuid[i].function == 4) {
            env->cpuid[i].eax &= 0x3fff;    /* one core, one thread */
        }
    }

    /* KVM's paravirtual leaves: signature and the features it offers */
    e = add_entry(env, 0x40000000, 0, 0);
    e->eax = 0x40000001;
    memcpy(&e->ebx, "KVMK", 4);
    memcpy(&e->ecx, "VMKV", 4);
    memcpy(&e->edx, "M\0\0\0", 4);
    s = supported_entry(0x40000001, 0);
    e = add_entry(env, 0x40000001, 0, 0);
    if (s) {
        e->eax = s->eax;
        e->edx = s->edx;
    }

    s = supported_entry(0x80000000, 0);
    if (s && s->eax < xlevel) {
        xlevel = s->eax;
    }
    e = add_entry(env, 0x80000000, 0, 0);
    e->eax = xlevel;
    set_vendor(e, m->vendor);
    s = supported_entry(0x80000001, 0);
    e = add_entry(env, 0x80000001, 0, 0);
    e->eax = env->cpuid_version;
    /* AMD duplicates the leaf 1 EDX bits 0-17, 23, 24 here */
    e->edx = filter_features(m->ext2_edx, s ? s->edx : 0, "80000001H:EDX",
                             ext2_edx_names);
    if (!strcmp(m->vendor, "AuthenticAMD")) {
        e->edx |= m->features_edx & 0x0183f3ff & (s ? s->edx : 0);
    }
    /* nested SVM stays off under KVM unless asked for (QEMU's default) */
    e->ecx = filter_features(m->ext3_ecx & ~CPUID_EXT3_SVM, s ? s->ecx : 0,
                             "80000001H:ECX", ext3_ecx_names);
    for (uint32_t fn = 0x80000002; fn <= 0x80000004 && fn <= xlevel; fn++) {
        char brand[48] = { 0 };
        size_t n = strlen(m->model_id);
        memcpy(brand, m->model_id, n < 48 ? n : 47);
        e = add_entry(env, fn, 0, 0);
        memcpy(&e->eax, brand + (fn - 0x80000002) * 16, 16);
    }
    for (uint32_t fn = 0x80000005; fn <= xlevel; fn++) {
        if (fn == 0x80000005 || fn == 0x80000006 || fn == 0x80000008) {
            copy_supported(env, fn);
        } else {
            add_entry(env, fn, 0, 0);
        }
    }
}

/* -cpu host: everything KVM supports, with this vCPU's APIC ID */
static void build_host_cpuid(CPUX86State *env)
{
    for (uint32_t i = 0; i < supported_cpuid->nent &&
         env->nr_cpuid < X86_MAX_CPUID_ENTRIES; i++) {
        const struct kvm_cpuid_entry2 *s = &supported_cpuid->entries[i];
        X86CPUIDEntry *e = add_entry(env, s->function, s->index, s->flags);
        e->eax = s->eax;
        e->ebx = s->ebx;
        e->ecx = s->ecx;
        e->edx = s->edx;
        if (s->function == 1) {
            e->ebx = (e->ebx & 0x00ffffff) | (env->apic_id << 24);
            e->ecx |= CPUID_EXT_HYPERVISOR;
            env->cpuid_version = e->eax;
        } else if (s->function == 0xb || s->function == 0x1f) {
            e->edx = env->apic_id;
        }
    }
}

bool kvm_arch_init_vcpu(CPUState *cs, Error **errp)
{
    CPUX86State *env = &X86_CPU(cs)->env;
    struct kvm_cpuid2 *c;
    int r;

    env->nr_cpuid = 0;
    if (env->model->host) {
        build_host_cpuid(env);
    } else {
        build_model_cpuid(env);
    }
    c = emu_malloc0(sizeof(*c) + env->nr_cpuid * sizeof(c->entries[0]));
    c->nent = env->nr_cpuid;
    for (unsigned i = 0; i < env->nr_cpuid; i++) {
        c->entries[i].function = env->cpuid[i].function;
        c->entries[i].index = env->cpuid[i].index;
        c->entries[i].flags = env->cpuid[i].flags &
                              KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
        c->entries[i].eax = env->cpuid[i].eax;
        c->entries[i].ebx = env->cpuid[i].ebx;
        c->entries[i].ecx = env->cpuid[i].ecx;
        c->entries[i].edx = env->cpuid[i].edx;
    }
    r = kvm_vcpu_ioctl(cs, KVM_SET_CPUID2, c);
    free(c);
    if (r < 0) {
        error_setg(errp, "kvm: KVM_SET_CPUID2 failed: %s", strerror(-r));
        return false;
    }
    return true;
}

/* ---- registers ---- */

static void seg_to_kvm(const SegmentCache *sc, struct kvm_segment *k)
{
    uint32_t fl = sc->flags;

    memset(k, 0, sizeof(*k));
    k->base = sc->base;
    k->limit = sc->limit;
    k->selector = (uint16_t)sc->selector;
    k->type = (fl & DESC_TYPE_MASK) >> DESC_TYPE_SHIFT;
    k->present = !!(fl & DESC_P_MASK);
    k->dpl = (fl & DESC_DPL_MASK) >> DESC_DPL_SHIFT;
    k->db = !!(fl & DESC_B_MASK);
    k->s = !!(fl & DESC_S_MASK);
    k->l = !!(fl & DESC_L_MASK);
    k->g = !!(fl & DESC_G_MASK);
    k->avl = !!(fl & DESC_AVL_MASK);
    k->unusable = !k->present;
}

static void seg_from_kvm(SegmentCache *sc, const struct kvm_segment *k)
{
    sc->selector = k->selector;
    sc->base = k->base;
    sc->limit = k->limit;
    if (k->unusable) {
        sc->flags = 0;
        return;
    }
    sc->flags = ((uint32_t)k->type << DESC_TYPE_SHIFT) |
                (k->present ? DESC_P_MASK : 0) |
                ((uint32_t)k->dpl << DESC_DPL_SHIFT) |
                (k->db ? DESC_B_MASK : 0) | (k->s ? DESC_S_MASK : 0) |
                (k->l ? DESC_L_MASK : 0) | (k->g ? DESC_G_MASK : 0) |
                (k->avl ? DESC_AVL_MASK : 0);
}

/* kvm_regs is laid out rax rbx rcx rdx rsi rdi rsp rbp r8..r15 */
static __u64 *kvm_reg_slot(struct kvm_regs *r, int i)
{
    switch (i) {
    case R_EAX: return &r->rax;
    case R_EBX: return &r->rbx;
    case R_ECX: return &r->rcx;
    case R_EDX: return &r->rdx;
    case R_ESI: return &r->rsi;
    case R_EDI: return &r->rdi;
    case R_ESP: return &r->rsp;
    case R_EBP: return &r->rbp;
    default: return &r->r8 + (i - R_R8);
    }
}

#define MSR_BUF_ENTRIES 64

/* A kvm_msrs header with room for MSR_BUF_ENTRIES entries */
static struct kvm_msrs *msr_buf_new(void)
{
    return emu_malloc0(sizeof(struct kvm_msrs) +
                       MSR_BUF_ENTRIES * sizeof(struct kvm_msr_entry));
}

static void msr_add(struct kvm_msrs *b, uint32_t index, uint64_t value)
{
    if (b->nmsrs < MSR_BUF_ENTRIES && kvm_has_msr(index)) {
        b->entries[b->nmsrs].index = index;
        b->entries[b->nmsrs].reserved = 0;
        b->entries[b->nmsrs].data = value;
        b->nmsrs++;
    }
}

static bool has_mtrr(CPUX86State *env)
{
    for (unsigned i = 0; i < env->nr_cpuid; i++) {
        if (env->cpuid[i].function == 1) {
            return env->cpuid[i].edx & CPUID_MTRR;
        }
    }
    return false;
}

static void msr_fill(CPUX86State *env, struct kvm_msrs *b, int level)
{
    static const uint32_t fixed[MSR_MTRR_FIX_COUNT] = {
        MSR_MTRRfix64K_00000, MSR_MTRRfix16K_80000, MSR_MTRRfix16K_A0000,
        MSR_MTRRfix4K_C0000, MSR_MTRRfix4K_C0000 + 1,
        MSR_MTRRfix4K_C0000 + 2, MSR_MTRRfix4K_C0000 + 3,
        MSR_MTRRfix4K_C0000 + 4, MSR_MTRRfix4K_C0000 + 5,
        MSR_MTRRfix4K_C0000 + 6, MSR_MTRRfix4K_C0000 + 7,
    };

    b->nmsrs = 0;
    msr_add(b, MSR_IA32_SYSENTER_CS, env->sysenter_cs);
    msr_add(b, MSR_IA32_SYSENTER_ESP, env->sysenter_esp);
    msr_add(b, MSR_IA32_SYSENTER_EIP, env->sysenter_eip);
    msr_add(b, MSR_PAT, env->pat);
    msr_add(b, MSR_STAR, env->star);
    msr_add(b, MSR_LSTAR, env->lstar);
    msr_add(b, MSR_CSTAR, env->cstar);
    msr_add(b, MSR_FMASK, env->fmask);
    msr_add(b, MSR_KERNELGSBASE, env->kernelgsbase);
    msr_add(b, MSR_TSC_AUX, env->tsc_aux);
    msr_add(b, MSR_IA32_MISC_ENABLE, env->misc_enable);
    msr_add(b, MSR_KVM_SYSTEM_TIME_NEW, env->system_time_msr);
    msr_add(b, MSR_KVM_WALL_CLOCK_NEW, env->wall_clock_msr);
    /* the TSC runs on its own: only a reset (or a restore) sets it */
    if (level >= KVM_PUT_RESET_STATE) {
        msr_add(b, MSR_IA32_TSC, env->tsc);
        msr_add(b, MSR_IA32_TSC_ADJUST, env->tsc_adjust);
    }
    if (has_mtrr(env)) {
        msr_add(b, MSR_MTRRdefType, env->mtrr_deftype);
        for (int i = 0; i < MSR_MTRR_FIX_COUNT; i++) {
            msr_add(b, fixed[i], env->mtrr_fixed[i]);
        }
        for (int i = 0; i < MSR_MTRR_VAR_COUNT; i++) {
            msr_add(b, MSR_MTRRphysBase(i), env->mtrr_var_base[i]);
            msr_add(b, MSR_MTRRphysMask(i), env->mtrr_var_mask[i]);
        }
    }
}

static void msr_store(CPUX86State *env, const struct kvm_msr_entry *m)
{
    uint32_t i = m->index;
    uint64_t v = m->data;

    switch (i) {
    case MSR_IA32_SYSENTER_CS: env->sysenter_cs = v; break;
    case MSR_IA32_SYSENTER_ESP: env->sysenter_esp = v; break;
    case MSR_IA32_SYSENTER_EIP: env->sysenter_eip = v; break;
    case MSR_PAT: env->pat = v; break;
    case MSR_STAR: env->star = v; break;
    case MSR_LSTAR: env->lstar = v; break;
    case MSR_CSTAR: env->cstar = v; break;
    case MSR_FMASK: env->fmask = v; break;
    case MSR_KERNELGSBASE: env->kernelgsbase = v; break;
    case MSR_TSC_AUX: env->tsc_aux = v; break;
    case MSR_IA32_MISC_ENABLE: env->misc_enable = v; break;
    case MSR_KVM_SYSTEM_TIME_NEW: env->system_time_msr = v; break;
    case MSR_KVM_WALL_CLOCK_NEW: env->wall_clock_msr = v; break;
    case MSR_IA32_TSC: env->tsc = v; break;
    case MSR_IA32_TSC_ADJUST: env->tsc_adjust = v; break;
    case MSR_MTRRdefType: env->mtrr_deftype = v; break;
    case MSR_MTRRfix64K_00000: env->mtrr_fixed[0] = v; break;
    case MSR_MTRRfix16K_80000: env->mtrr_fixed[1] = v; break;
    case MSR_MTRRfix16K_A0000: env->mtrr_fixed[2] = v; break;
    default:
        if (i >= MSR_MTRRfix4K_C0000 && i < MSR_MTRRfix4K_C0000 + 8) {
            env->mtrr_fixed[3 + i - MSR_MTRRfix4K_C0000] = v;
        } else if (i >= MSR_MTRRphysBase(0) &&
                   i <= MSR_MTRRphysMask(MSR_MTRR_VAR_COUNT - 1)) {
            unsigned n = (i - MSR_MTRRphysBase(0)) / 2;
            if (i & 1) {
                env->mtrr_var_mask[n] = v;
            } else {
                env->mtrr_var_base[n] = v;
            }
        }
        break;
    }
}

int kvm_arch_get_registers(CPUState *cs)
{
    CPUX86State *env = &X86_CPU(cs)->env;
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_msrs *mb;
    int r;

    r = kvm_vcpu_ioctl(cs, KVM_GET_REGS, &regs);
    if (r < 0) {
        return r;
    }
    for (int i = 0; i < CPU_NB_REGS; i++) {
        env->regs[i] = *kvm_reg_slot(&regs, i);
    }
    env->rip = regs.rip;
    env->rflags = regs.rflags;

    r = kvm_vcpu_ioctl(cs, KVM_GET_SREGS, &sregs);
    if (r < 0) {
        return r;
    }
    seg_from_kvm(&env->segs[R_CS], &sregs.cs);
    seg_from_kvm(&env->segs[R_DS], &sregs.ds);
    seg_from_kvm(&env->segs[R_ES], &sregs.es);
    seg_from_kvm(&env->segs[R_FS], &sregs.fs);
    seg_from_kvm(&env->segs[R_GS], &sregs.gs);
    seg_from_kvm(&env->segs[R_SS], &sregs.ss);
    seg_from_kvm(&env->tr, &sregs.tr);
    seg_from_kvm(&env->ldt, &sregs.ldt);
    env->gdt.base = sregs.gdt.base;
    env->gdt.limit = sregs.gdt.limit;
    env->idt.base = sregs.idt.base;
    env->idt.limit = sregs.idt.limit;
    env->cr[0] = sregs.cr0;
    env->cr[2] = sregs.cr2;
    env->cr[3] = sregs.cr3;
    env->cr[4] = sregs.cr4;
    env->cr8 = sregs.cr8;
    env->efer = sregs.efer;
    env->apic_base = sregs.apic_base;
    env->hflags = (env->segs[R_SS].flags & DESC_DPL_MASK) >> DESC_DPL_SHIFT;

    if (has_xsave) {
        r = kvm_vcpu_ioctl(cs, KVM_GET_XSAVE, &env->xsave);
    } else {
        struct kvm_fpu fpu;
        r = kvm_vcpu_ioctl(cs, KVM_GET_FPU, &fpu);
        if (r == 0) {
            X86FXSave *fx = &env->xsave.legacy;
            fx->fcw = fpu.fcw;
            fx->fsw = fpu.fsw;
            fx->ftw = fpu.ftwx;
            fx->fop = fpu.last_opcode;
            fx->fip = fpu.last_ip;
            fx->fdp = fpu.last_dp;
            fx->mxcsr = fpu.mxcsr;
            memcpy(fx->st, fpu.fpr, sizeof(fx->st));
            memcpy(fx->xmm, fpu.xmm, sizeof(fx->xmm));
        }
    }
    if (r < 0) {
        return r;
    }
    if (has_xcrs) {
        struct kvm_xcrs xcrs;
        if (kvm_vcpu_ioctl(cs, KVM_GET_XCRS, &xcrs) == 0) {
            for (uint32_t i = 0; i < xcrs.nr_xcrs && i < KVM_MAX_XCRS; i++) {
                if (xcrs.xcrs[i].xcr == 0) {
                    env->xcr0 = xcrs.xcrs[i].value;
                }
            }
        }
    }

    mb = msr_buf_new();
    msr_fill(env, mb, KVM_PUT_RESET_STATE);
    r = kvm_vcpu_ioctl(cs, KVM_GET_MSRS, mb);
    for (int i = 0; i < r && i < (int)mb->nmsrs; i++) {
        msr_store(env, &mb->entries[i]);
    }
    free(mb);
    if (r < 0) {
        return r;
    }

    if (has_vcpu_events) {
        struct kvm_vcpu_events ev;
        if (kvm_vcpu_ioctl(cs, KVM_GET_VCPU_EVENTS, &ev) == 0) {
            env->exception_injected = ev.exception.injected;
            env->exception_pending = false;
            env->exception_nr = ev.exception.injected ? ev.exception.nr : -1;
            env->has_error_code = ev.exception.has_error_code;
            env->error_code = ev.exception.error_code;
            env->interrupt_injected = ev.interrupt.injected;
            env->interrupt_nr = ev.interrupt.injected ? ev.interrupt.nr : -1;
            env->interrupt_soft = ev.interrupt.soft;
            env->interrupt_shadow = ev.interrupt.shadow;
            env->nmi_pending = ev.nmi.pending;
            env->nmi_masked = ev.nmi.masked;
        }
    }
    struct kvm_mp_state mp;
    if (kvm_vcpu_ioctl(cs, KVM_GET_MP_STATE, &mp) == 0) {
        env->mp_state = mp.mp_state;
        cs->halted = mp.mp_state == KVM_MP_STATE_HALTED;
    }
    return 0;
}

/* The local APIC register page after a reset (SDM vol. 3, 10.4.7.1) */
static void lapic_reset_state(CPUX86State *env, struct kvm_lapic_state *st)
{
    memset(st, 0, sizeof(*st));
#define LAPIC_REG(off, v) do { uint32_t v_ = (v); \
        memcpy(&st->regs[(off)], &v_, 4); } while (0)
    LAPIC_REG(0x20, env->apic_id << 24);        /* ID */
    LAPIC_REG(0xe0, 0xffffffff);                /* DFR: flat model */
    LAPIC_REG(0xf0, 0xff);                      /* SVR: disabled */
    for (int off = 0x320; off <= 0x370; off += 0x10) {
        LAPIC_REG(off, 0x10000);                /* LVTs masked */
    }
    LAPIC_REG(0x2f0, 0x10000);                  /* LVT CMCI */
    /*
     * The BSP takes PIC interrupts through LINT0 as ExtINT, as the
     * firmware would set it up (QEMU does the same at reset).
     */
    if (env->smp_index == 0) {
        LAPIC_REG(0x350, 0x700);
    }
#undef LAPIC_REG
}

int kvm_arch_put_registers(CPUState *cs, int level)
{
    CPUX86State *env = &X86_CPU(cs)->env;
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_msrs *mb;
    int r;

    memset(&regs, 0, sizeof(regs));
    for (int i = 0; i < CPU_NB_REGS; i++) {
        *kvm_reg_slot(&regs, i) = env->regs[i];
    }
    regs.rip = env->rip;
    regs.rflags = env->rflags;
    r = kvm_vcpu_ioctl(cs, KVM_SET_REGS, &regs);
    if (r < 0) {
        return r;
    }

    if (has_xsave) {
        r = kvm_vcpu_ioctl(cs, KVM_SET_XSAVE, &env->xsave);
    } else {
        struct kvm_fpu fpu;
        const X86FXSave *fx = &env->xsave.legacy;
        memset(&fpu, 0, sizeof(fpu));
        fpu.fcw = fx->fcw;
        fpu.fsw = fx->fsw;
        fpu.ftwx = fx->ftw;
        fpu.last_opcode = fx->fop;
        fpu.last_ip = fx->fip;
        fpu.last_dp = fx->fdp;
        fpu.mxcsr = fx->mxcsr;
        memcpy(fpu.fpr, fx->st, sizeof(fx->st));
        memcpy(fpu.xmm, fx->xmm, sizeof(fx->xmm));
        r = kvm_vcpu_ioctl(cs, KVM_SET_FPU, &fpu);
    }
    if (r < 0) {
        return r;
    }
    if (has_xcrs) {
        struct kvm_xcrs xcrs;
        memset(&xcrs, 0, sizeof(xcrs));
        xcrs.nr_xcrs = 1;
        xcrs.xcrs[0].xcr = 0;
        xcrs.xcrs[0].value = env->xcr0;
        kvm_vcpu_ioctl(cs, KVM_SET_XCRS, &xcrs);
    }

    memset(&sregs, 0, sizeof(sregs));
    seg_to_kvm(&env->segs[R_CS], &sregs.cs);
    seg_to_kvm(&env->segs[R_DS], &sregs.ds);
    seg_to_kvm(&env->segs[R_ES], &sregs.es);
    seg_to_kvm(&env->segs[R_FS], &sregs.fs);
    seg_to_kvm(&env->segs[R_GS], &sregs.gs);
    seg_to_kvm(&env->segs[R_SS], &sregs.ss);
    seg_to_kvm(&env->tr, &sregs.tr);
    seg_to_kvm(&env->ldt, &sregs.ldt);
    sregs.gdt.base = env->gdt.base;
    sregs.gdt.limit = (uint16_t)env->gdt.limit;
    sregs.idt.base = env->idt.base;
    sregs.idt.limit = (uint16_t)env->idt.limit;
    sregs.cr0 = env->cr[0];
    sregs.cr2 = env->cr[2];
    sregs.cr3 = env->cr[3];
    sregs.cr4 = env->cr[4];
    sregs.cr8 = env->cr8;
    sregs.efer = env->efer;
    sregs.apic_base = env->apic_base;
    r = kvm_vcpu_ioctl(cs, KVM_SET_SREGS, &sregs);
    if (r < 0) {
        return r;
    }

    mb = msr_buf_new();
    msr_fill(env, mb, level);
    r = kvm_vcpu_ioctl(cs, KVM_SET_MSRS, mb);
    free(mb);
    if (r < 0) {
        return r;
    }

    if (has_vcpu_events) {
        struct kvm_vcpu_events ev;
        memset(&ev, 0, sizeof(ev));
        ev.exception.injected = env->exception_injected;
        ev.exception.nr = env->exception_nr >= 0 ? env->exception_nr : 0;
        ev.exception.has_error_code = env->has_error_code;
        ev.exception.error_code = env->error_code;
        ev.interrupt.injected = env->interrupt_injected;
        ev.interrupt.nr = env->interrupt_nr >= 0 ? env->interrupt_nr : 0;
        ev.interrupt.soft = env->interrupt_soft;
        ev.interrupt.shadow = env->interrupt_shadow;
        ev.nmi.pending = env->nmi_pending;
        ev.nmi.masked = env->nmi_masked;
        ev.flags = KVM_VCPUEVENT_VALID_SHADOW;
        if (level >= KVM_PUT_RESET_STATE) {
            ev.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING |
                        KVM_VCPUEVENT_VALID_SIPI_VECTOR;
        }
        r = kvm_vcpu_ioctl(cs, KVM_SET_VCPU_EVENTS, &ev);
        if (r < 0) {
            return r;
        }
    }

    if (level >= KVM_PUT_RESET_STATE) {
        struct kvm_lapic_state lapic;
        struct kvm_mp_state mp = { .mp_state = env->mp_state };

        if (kvm_has_irqchip()) {
            lapic_reset_state(env, &lapic);
            r = kvm_vcpu_ioctl(cs, KVM_SET_LAPIC, &lapic);
            if (r < 0) {
                return r;
            }
        } else {
            mp.mp_state = KVM_MP_STATE_RUNNABLE;
        }
        r = kvm_vcpu_ioctl(cs, KVM_SET_MP_STATE, &mp);
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

void kvm_arch_dump_exit(CPUState *cs, FILE *f)
{
    struct kvm_run *run = kvm_cpu(cs)->run;

    if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
        fprintf(f, "KVM internal error. Suberror: %u\n",
                run->internal.suberror);
        for (uint32_t i = 0; i < run->internal.ndata &&
             i < ARRAY_SIZE(run->internal.data); i++) {
            fprintf(f, "extra data[%u]: 0x%016" PRIx64 "\n", i,
                    (uint64_t)run->internal.data[i]);
        }
    }
}
