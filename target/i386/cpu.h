/*
 * x86 CPU state: the architectural registers the monitor, KVM and (later)
 * the translator share, CPU models and the x86 CPU object.
 */
#ifndef TARGET_I386_CPU_H
#define TARGET_I386_CPU_H

#include "emu/osdep.h"
#include "emu/error.h"
#include "hw/core/cpu.h"

/* Segment register indices (the SDM's order, as in the instruction set) */
enum {
    R_ES = 0, R_CS, R_SS, R_DS, R_FS, R_GS,
};

/* General register indices */
enum {
    R_EAX = 0, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI,
    R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
};
#define CPU_NB_REGS 16

/* Segment descriptor flags as they sit in the descriptor's high word */
#define DESC_G_SHIFT   23
#define DESC_G_MASK    (1u << DESC_G_SHIFT)
#define DESC_B_SHIFT   22
#define DESC_B_MASK    (1u << DESC_B_SHIFT)
#define DESC_L_SHIFT   21
#define DESC_L_MASK    (1u << DESC_L_SHIFT)
#define DESC_AVL_MASK  (1u << 20)
#define DESC_P_MASK    (1u << 15)
#define DESC_DPL_SHIFT 13
#define DESC_DPL_MASK  (3u << DESC_DPL_SHIFT)
#define DESC_S_MASK    (1u << 12)
#define DESC_TYPE_SHIFT 8
#define DESC_TYPE_MASK (15u << DESC_TYPE_SHIFT)
#define DESC_A_MASK    (1u << 8)
#define DESC_CS_MASK   (1u << 11)   /* code segment (with S) */
#define DESC_R_MASK    (1u << 9)    /* readable code */
#define DESC_W_MASK    (1u << 9)    /* writable data */

#define CR0_PE_MASK  (1u << 0)
#define CR0_MP_MASK  (1u << 1)
#define CR0_EM_MASK  (1u << 2)
#define CR0_TS_MASK  (1u << 3)
#define CR0_ET_MASK  (1u << 4)
#define CR0_NE_MASK  (1u << 5)
#define CR0_WP_MASK  (1u << 16)
#define CR0_AM_MASK  (1u << 18)
#define CR0_NW_MASK  (1u << 29)
#define CR0_CD_MASK  (1u << 30)
#define CR0_PG_MASK  (1u << 31)

#define CR4_VME_MASK (1u << 0)
#define CR4_PVI_MASK (1u << 1)
#define CR4_TSD_MASK (1u << 2)
#define CR4_DE_MASK  (1u << 3)
#define CR4_PSE_MASK (1u << 4)
#define CR4_PAE_MASK (1u << 5)
#define CR4_MCE_MASK (1u << 6)
#define CR4_PGE_MASK (1u << 7)
#define CR4_PCE_MASK (1u << 8)
#define CR4_OSFXSR_MASK (1u << 9)
#define CR4_OSXMMEXCPT_MASK (1u << 10)
#define CR4_FSGSBASE_MASK (1u << 16)
#define CR4_OSXSAVE_MASK (1u << 18)

#define MSR_EFER_SCE (1u << 0)
#define MSR_EFER_LME (1u << 8)
#define MSR_EFER_LMA (1u << 10)
#define MSR_EFER_NXE (1u << 11)

#define HF_CPL_MASK  3u

/* MSR numbers */
#define MSR_IA32_TSC                0x10
#define MSR_IA32_APICBASE           0x1b
#define MSR_IA32_APICBASE_BSP       (1u << 8)
#define MSR_IA32_APICBASE_ENABLE    (1u << 11)
#define MSR_IA32_APICBASE_BASE      0xfffff000ull
#define MSR_IA32_FEATURE_CONTROL    0x3a
#define MSR_IA32_TSC_ADJUST         0x3b
#define MSR_IA32_TSCDEADLINE        0x6e0
#define MSR_IA32_SYSENTER_CS        0x174
#define MSR_IA32_SYSENTER_ESP       0x175
#define MSR_IA32_SYSENTER_EIP       0x176
#define MSR_IA32_MISC_ENABLE        0x1a0
#define MSR_IA32_MISC_ENABLE_DEFAULT 1u   /* fast strings */
#define MSR_MTRRcap                 0xfe
#define MSR_MTRRphysBase(n)         (0x200 + 2 * (n))
#define MSR_MTRRphysMask(n)         (0x201 + 2 * (n))
#define MSR_MTRRfix64K_00000        0x250
#define MSR_MTRRfix16K_80000        0x258
#define MSR_MTRRfix16K_A0000        0x259
#define MSR_MTRRfix4K_C0000         0x268
#define MSR_PAT                     0x277
#define MSR_MTRRdefType             0x2ff
#define MSR_EFER                    0xc0000080
#define MSR_STAR                    0xc0000081
#define MSR_LSTAR                   0xc0000082
#define MSR_CSTAR                   0xc0000083
#define MSR_FMASK                   0xc0000084
#define MSR_FSBASE                  0xc0000100
#define MSR_GSBASE                  0xc0000101
#define MSR_KERNELGSBASE            0xc0000102
#define MSR_TSC_AUX                 0xc0000103
#define MSR_KVM_SYSTEM_TIME_NEW     0x4b564d01
#define MSR_KVM_WALL_CLOCK_NEW      0x4b564d00

#define MSR_MTRR_VAR_COUNT 8
#define MSR_MTRR_FIX_COUNT 11
#define PAT_POWER_ON_VALUE 0x0007040600070406ull

#define APIC_DEFAULT_ADDRESS 0xfee00000u

/* CPUID feature bits the models name (leaf 1 EDX/ECX, 0x80000001 EDX/ECX) */
#define CPUID_FP87  (1u << 0)
#define CPUID_VME   (1u << 1)
#define CPUID_DE    (1u << 2)
#define CPUID_PSE   (1u << 3)
#define CPUID_TSC   (1u << 4)
#define CPUID_MSR   (1u << 5)
#define CPUID_PAE   (1u << 6)
#define CPUID_MCE   (1u << 7)
#define CPUID_CX8   (1u << 8)
#define CPUID_APIC  (1u << 9)
#define CPUID_SEP   (1u << 11)
#define CPUID_MTRR  (1u << 12)
#define CPUID_PGE   (1u << 13)
#define CPUID_MCA   (1u << 14)
#define CPUID_CMOV  (1u << 15)
#define CPUID_PAT   (1u << 16)
#define CPUID_PSE36 (1u << 17)
#define CPUID_CLFLUSH (1u << 19)
#define CPUID_MMX   (1u << 23)
#define CPUID_FXSR  (1u << 24)
#define CPUID_SSE   (1u << 25)
#define CPUID_SSE2  (1u << 26)
#define CPUID_HT    (1u << 28)

#define CPUID_EXT_SSE3     (1u << 0)
#define CPUID_EXT_SSSE3    (1u << 9)
#define CPUID_EXT_SSE41    (1u << 19)
#define CPUID_EXT_SSE42    (1u << 20)
#define CPUID_EXT_CX16     (1u << 13)
#define CPUID_EXT_X2APIC   (1u << 21)
#define CPUID_EXT_POPCNT   (1u << 23)
#define CPUID_EXT_TSC_DEADLINE (1u << 24)
#define CPUID_EXT_XSAVE    (1u << 26)
#define CPUID_EXT_OSXSAVE  (1u << 27)
#define CPUID_EXT_HYPERVISOR (1u << 31)

#define CPUID_EXT2_SYSCALL (1u << 11)
#define CPUID_EXT2_NX      (1u << 20)
#define CPUID_EXT2_LM      (1u << 29)

#define CPUID_EXT3_LAHF_LM (1u << 0)
#define CPUID_EXT3_SVM     (1u << 2)
#define CPUID_EXT3_ABM     (1u << 5)
#define CPUID_EXT3_SSE4A   (1u << 6)

typedef struct SegmentCache {
    uint32_t selector;
    uint64_t base;
    uint32_t limit;
    uint32_t flags;         /* DESC_* bits */
} SegmentCache;

/* The legacy FXSAVE image (512 bytes), also the first part of XSAVE */
typedef struct __attribute__((aligned(16))) X86FXSave {
    uint16_t fcw;
    uint16_t fsw;
    uint8_t ftw;            /* abridged tag word */
    uint8_t reserved1;
    uint16_t fop;
    uint64_t fip;
    uint64_t fdp;
    uint32_t mxcsr;
    uint32_t mxcsr_mask;
    uint8_t st[8][16];      /* 80-bit registers, 16-byte slots */
    uint8_t xmm[16][16];
    uint8_t reserved2[96];
} X86FXSave;

/* XSAVE area: the legacy region, the header and room for AVX and more */
#define X86_XSAVE_AREA_SIZE 4096
typedef union X86XSaveArea {
    X86FXSave legacy;
    uint8_t bytes[X86_XSAVE_AREA_SIZE];
} X86XSaveArea;

/* A CPUID leaf as the model defines it (filtered by KVM's supported set) */
typedef struct X86CPUIDEntry {
    uint32_t function;
    uint32_t index;
    uint32_t flags;         /* KVM_CPUID_FLAG_SIGNIFCANT_INDEX if indexed */
    uint32_t eax, ebx, ecx, edx;
} X86CPUIDEntry;
#define X86_MAX_CPUID_ENTRIES 100

/* A named CPU model */
typedef struct X86CPUModel {
    const char *name;
    const char *desc;
    bool host;              /* -cpu host: pass KVM's supported set */
    uint32_t level;         /* max basic leaf */
    uint32_t xlevel;        /* max extended leaf */
    const char *vendor;     /* 12 characters */
    uint32_t family, model, stepping;
    uint32_t features_edx, features_ecx;        /* leaf 1 */
    uint32_t ext2_edx, ext3_ecx;                /* leaf 0x80000001 */
    const char *model_id;   /* brand string, at most 48 characters */
} X86CPUModel;

/*
 * Translator register files (target/i386/tcg).  Under KVM the state
 * lives in the xsave area; the translator keeps these native forms and
 * converts at FXSAVE/FXRSTOR/XSAVE and for the monitor.
 */
typedef union X86XMMReg {
    uint8_t b[16];
    uint16_t w[8];
    uint32_t l[4];
    uint64_t q[2];
    int8_t sb[16];
    int16_t sw[8];
    int32_t sl[4];
    int64_t sq[2];
    float f[4];
    double d[2];
} __attribute__((aligned(16))) X86XMMReg;

/* One x87 data register: 64-bit significand (explicit integer bit) */
typedef struct X86FPReg {
    uint64_t mant;
    uint16_t exp;           /* sign in bit 15, biased exponent in 0-14 */
} X86FPReg;

typedef struct CPUX86State {
    uint64_t regs[CPU_NB_REGS];
    uint64_t rip;
    uint64_t rflags;

    SegmentCache segs[6];   /* es cs ss ds fs gs */
    SegmentCache ldt;
    SegmentCache tr;
    SegmentCache gdt;       /* base and limit only */
    SegmentCache idt;

    uint64_t cr[5];         /* cr0 (cr1 unused) cr2 cr3 cr4 */
    uint64_t cr8;           /* TPR as KVM reports it */
    uint64_t efer;
    uint64_t dr[8];
    uint32_t hflags;        /* CPL in the low two bits */

    /* MSRs KVM saves and restores */
    uint64_t star, lstar, cstar, fmask, kernelgsbase;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t tsc;
    uint64_t tsc_aux;
    uint64_t tsc_adjust;
    uint64_t apic_base;
    uint64_t pat;
    uint64_t misc_enable;
    uint64_t mtrr_deftype;
    uint64_t mtrr_fixed[MSR_MTRR_FIX_COUNT];
    uint64_t mtrr_var_base[MSR_MTRR_VAR_COUNT];
    uint64_t mtrr_var_mask[MSR_MTRR_VAR_COUNT];
    uint64_t system_time_msr;   /* kvmclock */
    uint64_t wall_clock_msr;

    X86XSaveArea xsave;     /* FPU/SSE (legacy part) and extended state */
    uint64_t xcr0;

    uint64_t a20_mask;
    /*
     * KVM_X86_SHADOW_INT_*; under the translator nonzero after sti (IF
     * was 0), mov ss and pop ss: no external interrupt before the next
     * insn completes.
     */
    uint32_t interrupt_shadow;
    bool nmi_pending;
    bool nmi_masked;
    /* a pending or injected exception / interrupt */
    int32_t exception_nr;       /* -1: none */
    bool exception_pending;
    bool exception_injected;
    bool has_error_code;
    uint32_t error_code;
    int32_t interrupt_nr;       /* -1: none */
    bool interrupt_injected;
    bool interrupt_soft;
    uint32_t mp_state;          /* KVM_MP_STATE_* */

    /* identity */
    int smp_index;
    uint32_t apic_id;

    /*
     * Translator (target/i386/tcg): lazily computed arithmetic flags.
     * While cc_op != CC_OP_EFLAGS the OSZAPC bits of rflags are stale;
     * x86_cpu_get_eflags() folds them in.
     */
    uint32_t cc_op;
    uint64_t cc_dst, cc_src, cc_src2;
    /* TSC = EMU_CLOCK_VIRTUAL at X86_TCG_TSC_HZ + tsc_offset */
    uint64_t tsc_offset;
    /* vector + 1 of the exception being delivered (0: none): #DF rules */
    int32_t excp_delivering;

    /*
     * Translator x87 state: fpregs are the physical registers R0-R7
     * (ST(i) is fpregs[(fpstt + i) & 7]); MMX register i is fpregs[i].mant.
     * fpus holds the status word with TOP kept in fpstt instead;
     * fptags[i] is 1 for an empty register.
     */
    X86FPReg fpregs[8];
    uint32_t fpstt;
    uint16_t fpus, fpuc;
    uint8_t fptags[8];
    uint16_t fpop;              /* last opcode (11 bits) */
    uint64_t fpip, fpdp;        /* last instruction / data pointer */
    uint16_t fpcs, fpds;
    /* SSE: xmm0-15, MXCSR, scratch operands for memory sources */
    X86XMMReg xmm_regs[16];
    X86XMMReg xmm_t0;
    uint64_t mmx_t0;
    uint32_t mxcsr;

    /* CPUID: the model's data and the table given to KVM */
    const X86CPUModel *model;
    uint32_t cpuid_version;     /* leaf 1 EAX (family/model/stepping) */
    unsigned nr_cpuid;
    X86CPUIDEntry cpuid[X86_MAX_CPUID_ENTRIES];
} CPUX86State;

typedef struct X86CPU {
    CPUState parent;
    CPUNegativeOffsetState neg;
    CPUX86State env;
    /*
     * The interrupt acknowledge cycle under the translator: the board's
     * interrupt controller returns the vector of the pending external
     * interrupt (or -1).  Set by the board; NULL: none is delivered.
     */
    int (*get_pic_vector)(void *opaque);
    void *pic_opaque;
    /*
     * The local APIC under the translator (hw/intc/apic.h); NULL under
     * KVM (in-kernel APIC) and for CPUs without one.
     */
    struct APICState *apic;
} X86CPU;

/*
 * interrupt_request bits of the x86 CPU under the translator, raised by
 * the local APIC (hw/intc/apic.c) and taken in exec_interrupt.
 */
#define CPU_INTERRUPT_NMI   CPU_INTERRUPT_TGT_EXT_0
#define CPU_INTERRUPT_INIT  CPU_INTERRUPT_TGT_INT_0
#define CPU_INTERRUPT_SIPI  CPU_INTERRUPT_TGT_INT_1

CPU_CHECK_LAYOUT(X86CPU, neg, env);

static inline X86CPU *X86_CPU(CPUState *cs)
{
    return container_of(cs, X86CPU, parent);
}

/* The default model of the pc machine under KVM, as QEMU's */
#define X86_CPU_DEFAULT_MODEL "qemu64"
/*
 * The default under the translator: qemu64 plus what emu translates
 * beyond it (SSSE3, SSE4.1, SSE4.2, POPCNT: the x86-64-v2 level)
 */
#define X86_CPU_DEFAULT_TCG_MODEL "emu64"

const X86CPUModel *x86_cpu_model_find(const char *name);
/* "-cpu help" */
void x86_cpu_list(FILE *f);
/*
 * Create vCPU number index of the given model (NULL: the default) and add
 * it to the CPU list; its APIC ID is index.
 */
CPUState *x86_cpu_new(const char *model, int index, Error **errp);
/* Put the CPU in its power-on state (SDM vol. 3, "Processor state after reset") */
void x86_cpu_reset_state(X86CPU *cpu);
/*
 * An INIT reached the CPU (translator): registers to their reset values,
 * MSRs and x87/SSE state kept, the APIC reset; an AP then waits for a
 * SIPI (halted), the BSP restarts at the reset vector.
 */
void x86_cpu_do_init(X86CPU *cpu);
/* A SIPI: start a CPU waiting for one at vector << 12 in real mode */
bool x86_cpu_do_sipi(X86CPU *cpu);
/* Leaf 1 EAX from the model's family/model/stepping */
uint32_t x86_cpu_signature(const X86CPUModel *m);
/* dump_state flag: include FPU/SSE registers ("info registers -a" style) */
#define CPU_DUMP_FPU 1
void x86_cpu_dump_state(CPUState *cs, FILE *f, int flags);
/* Bring the registers of cs up to date from the accelerator (monitor use) */
void x86_cpu_synchronize_state(CPUState *cs);
/* Read guest-virtual memory through the CPU's page tables (monitor "x") */
bool x86_cpu_get_phys_addr(CPUState *cs, uint64_t vaddr, uint64_t *paddr);

extern const CPUClass x86_cpu_class;

#endif
