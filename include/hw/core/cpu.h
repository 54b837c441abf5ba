/*
 * The target-independent view of a guest CPU, shared by the accelerators
 * (tcg, kvm), the monitor and the gdbstub.  A target's CPU struct embeds
 * these in this order, so that the softmmu TLB sits at a small negative
 * offset from the target's env (generated code addresses it from the env
 * register):
 *
 *   typedef struct X86CPU {
 *       CPUState parent;          // must be first
 *       CPUNegativeOffsetState neg;
 *       CPUX86State env;          // CPUArchState
 *   } X86CPU;
 *
 * The target sets cs->env_ptr = &cpu->env, cs->neg = &cpu->neg and
 * cpu->neg.cpu = cs, and checks the layout with CPU_CHECK_LAYOUT.
 */
#ifndef HW_CORE_CPU_H
#define HW_CORE_CPU_H

#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/thread.h"
#include "tcg/tcg.h"
#include <setjmp.h>

typedef struct CPUState CPUState;
typedef struct CPUClass CPUClass;
typedef struct AddressSpace AddressSpace;
typedef struct TranslationBlock TranslationBlock;

#define NB_MMU_MODES_MAX 16

/* The part of the softmmu TLB that generated code reads. */
typedef struct CPUTLBFastTable {
    CPUTLBDescFast f[NB_MMU_MODES_MAX];
} CPUTLBFastTable;

/*
 * Placed immediately before the target's env (no padding: the target
 * checks with CPU_CHECK_LAYOUT), so env_cpu() and the TLB are found from
 * env alone, whatever the target.
 */
typedef struct __attribute__((aligned(16))) CPUNegativeOffsetState {
    CPUTLBFastTable tlb;
    /* set non-zero to make the TB entry check leave to the main loop */
    int32_t exit_request;   /* read by generated code at TB entry */
    int32_t pad;
    struct CPUState *cpu;   /* back pointer, for env_cpu() */
    /* cpu->tb_jmp_cache, probed by generated code (translator_goto_ptr) */
    void *jmp_cache;
} CPUNegativeOffsetState;

/* In the target: CPU_CHECK_LAYOUT(X86CPU, neg, env); */
#define CPU_CHECK_LAYOUT(type, neg_field, env_field)                       \
    _Static_assert(offsetof(type, env_field) ==                            \
                   offsetof(type, neg_field) +                             \
                   sizeof(CPUNegativeOffsetState),                         \
                   "env must follow the negative-offset state directly")

typedef enum MMUAccessType {
    MMU_DATA_LOAD = 0,
    MMU_DATA_STORE = 1,
    MMU_INST_FETCH = 2,
} MMUAccessType;

/* interrupt_request bits (targets define more above 0x100) */
#define CPU_INTERRUPT_HARD   0x0002   /* external interrupt pending */
#define CPU_INTERRUPT_EXITTB 0x0004   /* leave the TB (flags changed) */
#define CPU_INTERRUPT_HALT   0x0020
#define CPU_INTERRUPT_RESET  0x0400
#define CPU_INTERRUPT_TGT_EXT_0 0x0008
#define CPU_INTERRUPT_TGT_EXT_1 0x0010
#define CPU_INTERRUPT_TGT_INT_0 0x0100
#define CPU_INTERRUPT_TGT_INT_1 0x0800
#define CPU_INTERRUPT_TGT_INT_2 0x2000

/* cpu_exec() exit codes (also exception_index values >= 0x10000) */
#define EXCP_INTERRUPT 0x10000  /* async interruption (exit request) */
#define EXCP_HLT       0x10001  /* CPU halted */
#define EXCP_DEBUG     0x10002  /* breakpoint / single step */
#define EXCP_HALTED    0x10003
#define EXCP_YIELD     0x10004  /* give other vCPUs a turn */
#define EXCP_ATOMIC    0x10005  /* re-run one insn exclusively */

/*
 * Target hooks.  The ones marked TCG are used by accel/tcg; a target that
 * runs only under KVM leaves them NULL.
 */
struct CPUClass {
    const char *name;               /* "x86_64", "ppc64", "testcpu" */
    unsigned nb_mmu_modes;
    unsigned page_bits;             /* guest page size (12 for 4 KiB) */
    void (*reset)(CPUState *cs);
    bool (*has_work)(CPUState *cs);
    void (*dump_state)(CPUState *cs, FILE *f, int flags);
    /* TCG: register the IR globals of the target (once per context) */
    void (*tcg_init)(TCGContext *s);
    /* TCG: key of the TB to run now */
    void (*get_tb_cpu_state)(CPUState *cs, uint64_t *pc, uint64_t *cs_base,
                             uint32_t *flags);
    /* TCG: translate guest code at tb->pc into IR (at most max_insns) */
    void (*translate)(CPUState *cs, TranslationBlock *tb, int max_insns);
    /* TCG: set the guest pc and other state from insn_start words */
    void (*restore_state_to_opc)(CPUState *cs, const TranslationBlock *tb,
                                 const uint64_t *data);
    /* TCG: after a TB chained exit via goto_ptr/lookups, nothing needed */
    /*
     * TCG: translate a virtual address and fill the TLB (tlb_set_page);
     * on a fault: if probe, return false; else raise the guest exception
     * (cpu_loop_exit_restore(cs, retaddr)), never returning.
     */
    bool (*tlb_fill)(CPUState *cs, uint64_t addr, int size,
                     MMUAccessType access_type, int mmu_idx, bool probe,
                     uintptr_t retaddr);
    /*
     * TCG: an access violated its MemOp alignment requirement (MO_ALIGN*);
     * raise the guest's alignment exception (cpu_loop_exit_restore),
     * never returning.  NULL: the access is performed unaligned.
     */
    void (*do_unaligned_access)(CPUState *cs, uint64_t addr,
                                MMUAccessType access_type, int mmu_idx,
                                uintptr_t retaddr);
    /* TCG: which MMU mode the CPU is in now (for the code TLB) */
    int (*mmu_index)(CPUState *cs, bool ifetch);
    /* TCG: take a pending interrupt if possible; true if one was taken */
    bool (*exec_interrupt)(CPUState *cs, int interrupt_request);
    /*
     * TCG (may be NULL): could exec_interrupt take one of these requests
     * now?  Called without the BQL from the vCPU's own thread, so that a
     * request the CPU masks (IF clear) costs no lock per TB exit.  It may
     * answer true wrongly, never false wrongly.
     */
    bool (*interrupt_deliverable)(CPUState *cs, int interrupt_request);
    /* TCG: deliver cs->exception_index to the guest */
    void (*do_interrupt)(CPUState *cs);
    /* TCG: disassemble guest code for -d in_asm (may be NULL) */
    void (*disas_log)(CPUState *cs, FILE *f, uint64_t pc, const void *code,
                      size_t size);
};

/* Per-vCPU softmmu state other than the fast tables (accel/tcg). */
typedef struct CPUTLBState CPUTLBState;
typedef struct TBJumpCache TBJumpCache;

struct CPUState {
    const CPUClass *cc;
    int cpu_index;
    void *env_ptr;                  /* the target's CPUArchState */
    CPUNegativeOffsetState *neg;
    AddressSpace *as;               /* where the CPU's memory accesses go */

    EmuThread thread;
    bool created;
    bool stop;                      /* asked to stop */
    bool stopped;
    bool halted;
    bool running;                   /* in guest code */
    /* set from any thread; checked at TB entry and in the cpu loop */
    int exit_request;
    int interrupt_request;
    int exception_index;
    bool can_do_io;
    sigjmp_buf jmp_env;             /* cpu_loop_exit() lands here */

    /* accel/tcg private */
    CPUTLBState *tlb;
    TBJumpCache *tb_jmp_cache;
    TCGContext *tcg;                /* the translating context of this vCPU */
    /*
     * cflags for the next TB only (-1: none), e.g. one instruction after
     * self-modifying code; consumed by cpu_exec.
     */
    uint32_t cflags_next_tb;
    bool singlestep;                /* every TB one insn, CF_SINGLE_STEP */
    /* accel private (e.g. KVM vCPU fd, run area) */
    void *accel;

    struct CPUState *next;          /* list of all vCPUs */
};

extern CPUState *first_cpu;
#define CPU_FOREACH(cpu) for ((cpu) = first_cpu; (cpu); (cpu) = (cpu)->next)
/* The vCPU running on this thread, or NULL */
extern __thread CPUState *current_cpu;

/* Add to the global list (index assigned in order) */
void cpu_list_add(CPUState *cs);
void cpu_list_remove(CPUState *cs);
CPUState *cpu_by_index(int index);

/* Ask a vCPU to leave guest code soon (thread-safe) */
void cpu_exit(CPUState *cs);
/*
 * Raise interrupt_request bits (thread-safe): the vCPU leaves guest code
 * at the next TB entry and, if it sleeps halted, is woken.
 */
void cpu_interrupt(CPUState *cs, int mask);
void cpu_reset_interrupt(CPUState *cs, int mask);
/* cc->reset, then the generic state (exception, halted, requests) */
void cpu_reset(CPUState *cs);
/* Does the CPU have something to do (cc->has_work, or an interrupt)? */
bool cpu_has_work(CPUState *cs);
/*
 * The accelerator's way to wake a vCPU that sleeps (halted, or idle
 * between time slices), called by cpu_interrupt() and cpu_exit(); set by
 * the accelerator in use (NULL: nothing to wake).
 */
void cpu_set_kick_handler(void (*kick)(CPUState *cs));

/* ---- TCG runtime (accel/tcg) ---- */
/* Run guest code until something needs the main loop; returns EXCP_* */
int cpu_exec(CPUState *cs);
/* Leave guest code now (from a helper), back to cpu_exec's loop */
void EMU_NORETURN cpu_loop_exit(CPUState *cs);
/* Leave with no exception pending (exception_index = -1) */
void EMU_NORETURN cpu_loop_exit_noexc(CPUState *cs);
/* Same, first restoring the guest state of the insn at host pc retaddr */
void EMU_NORETURN cpu_loop_exit_restore(CPUState *cs, uintptr_t retaddr);
/* Raise a guest exception from a helper */
void EMU_NORETURN cpu_loop_exit_exception(CPUState *cs, int excp,
                                          uintptr_t retaddr);
/* Restore guest state for host pc; false if pc is not in a TB */
bool cpu_restore_state(CPUState *cs, uintptr_t host_pc);

static inline CPUNegativeOffsetState *env_neg(void *env)
{
    return (CPUNegativeOffsetState *)env - 1;
}

static inline CPUState *env_cpu(void *env)
{
    return env_neg(env)->cpu;
}

/* env offset of neg.exit_request, read by the check at TB entry */
#define EXIT_REQUEST_OFFSET_FROM_ENV \
    (-(intptr_t)sizeof(CPUNegativeOffsetState) + \
     (intptr_t)offsetof(CPUNegativeOffsetState, exit_request))

/* env offset of neg.jmp_cache */
#define JMP_CACHE_OFFSET_FROM_ENV \
    (-(intptr_t)sizeof(CPUNegativeOffsetState) + \
     (intptr_t)offsetof(CPUNegativeOffsetState, jmp_cache))

/* env offset of the fast TLB table of MMU mode 0 (TCGContext.tlb_fast_offset) */
#define TLB_FAST_OFFSET_FROM_ENV \
    (-(intptr_t)sizeof(CPUNegativeOffsetState) + \
     (intptr_t)offsetof(CPUNegativeOffsetState, tlb))

#endif
