/*
 * The x86 translator front end (target/i386/tcg): the hooks a CPUClass
 * plugs in to run x86 code under TCG, the TB flags layout and the lazy
 * condition-code machinery shared by translate.c and the helpers.
 *
 * 64-bit code, protected mode and real mode are translated; segment
 * loads and far transfers check descriptors (call gates, 32-bit task
 * switches and virtual-8086 mode in seg_helper.c; 16-bit TSSs are not
 * implemented); exceptions go through the IVT, the 32/64-bit IDT or a
 * task gate (do_interrupt); paging is walked by tlb_fill.
 * The pc machine's CPU class uses these hooks; external interrupts come
 * from the board's interrupt controller through exec_interrupt (the
 * X86CPU get_pic_vector hook; no local APIC yet).
 */
#ifndef TARGET_I386_TCG_TRANSLATE_H
#define TARGET_I386_TCG_TRANSLATE_H

#include "emu/osdep.h"
#include "target/i386/cpu.h"
#include "exec/translator.h"

/*
 * TB flags (the third key of a TB with pc = CS.base + RIP and cs_base):
 * everything the decoder's result depends on besides the code bytes.
 */
#define X86_TBF_CPL_MASK    0x3u        /* current privilege level */
#define X86_TBF_CS64        (1u << 2)   /* CS.L with EFER.LMA: 64-bit code */
#define X86_TBF_CS32        (1u << 3)   /* CS.D: 32-bit default size */
#define X86_TBF_SS32        (1u << 4)   /* SS.B: 32-bit stack */
#define X86_TBF_PE          (1u << 5)   /* CR0.PE */
#define X86_TBF_VM          (1u << 6)   /* EFLAGS.VM */
#define X86_TBF_LMA         (1u << 7)   /* EFER.LMA (long mode) */
#define X86_TBF_ADDSEG      (1u << 8)   /* DS/ES/SS base may be non-zero */
/*
 * Interrupt shadow (env->interrupt_shadow): the TB is the one insn after
 * sti/mov ss/pop ss; it clears the shadow and returns to the loop, which
 * takes an interrupt it held back.
 */
#define X86_TBF_INHIBIT_IRQ (1u << 9)
/* FPU/SSE availability: #NM and #UD checks are made at translation */
#define X86_TBF_EM          (1u << 10)  /* CR0.EM */
#define X86_TBF_TS          (1u << 11)  /* CR0.TS */
#define X86_TBF_MP          (1u << 12)  /* CR0.MP */
#define X86_TBF_OSFXSR      (1u << 13)  /* CR4.OSFXSR */
#define X86_TBF_OSXMMEXCPT  (1u << 14)  /* CR4.OSXMMEXCPT */

/* EFLAGS bits */
#define CC_C  0x0001u
#define CC_P  0x0004u
#define CC_A  0x0010u
#define CC_Z  0x0040u
#define CC_S  0x0080u
#define CC_O  0x0800u
#define CC_MASK (CC_C | CC_P | CC_A | CC_Z | CC_S | CC_O)
#define DF_MASK 0x0400u

/*
 * Lazy flags: cc_op says how to compute OSZAPC from cc_dst (the result),
 * cc_src (usually the second operand) and cc_src2 (carry in).  The low
 * two bits are the operand size (MO_8..MO_64).
 */
enum {
    CC_OP_EFLAGS = 0,   /* cc_src holds the flags themselves */
    CC_OP_ADD = 4,      /* dst = a + src */
    CC_OP_SUB = 8,      /* dst = a - src */
    CC_OP_ADC = 12,     /* dst = a + src + src2 */
    CC_OP_SBB = 16,     /* dst = a - src - src2 */
    CC_OP_LOGIC = 20,   /* dst; CF = OF = AF = 0 */
    CC_OP_INC = 24,     /* dst = a + 1; src2: CF kept */
    CC_OP_DEC = 28,     /* dst = a - 1; src2: CF kept */
    CC_OP_MUL = 32,     /* dst: low result; src: CF = OF = (src != 0) */
    /* shifts by a nonzero count: src = the operand shifted by count - 1 */
    CC_OP_SHL = 36,     /* CF = src's top bit, OF = CF ^ dst's top bit */
    CC_OP_SHR = 40,     /* CF = src bit 0, OF = src's top bit (count 1) */
    CC_OP_SAR = 44,     /* CF = src bit 0, OF = 0 */
    CC_OP_NB = 48,
};

/* OSZAPC from the lazy state */
uint64_t x86_cc_compute(uint32_t cc_op, uint64_t dst, uint64_t src,
                        uint64_t src2);
/* Full RFLAGS of a CPU run by the translator */
uint64_t x86_cpu_get_eflags(CPUX86State *env);
/* Set RFLAGS (arithmetic flags included) */
void x86_cpu_set_eflags(CPUX86State *env, uint64_t rflags);

/* ---- CPUClass hooks ---- */
void x86_tcg_init(TCGContext *s);
void x86_tcg_translate(CPUState *cs, TranslationBlock *tb, int max_insns);
void x86_tcg_get_tb_cpu_state(CPUState *cs, uint64_t *pc, uint64_t *cs_base,
                              uint32_t *flags);
void x86_tcg_restore_state_to_opc(CPUState *cs, const TranslationBlock *tb,
                                  const uint64_t *data);

/* Exception vectors recorded in cs->exception_index */
#define EXCP00_DIVZ 0
#define EXCP06_ILLOP 6
#define EXCP07_PREX 7    /* device not available (#NM) */
#define EXCP10_COPR 16   /* x87 floating-point error (#MF) */
#define EXCP11_ALGN 17
#define EXCP13_XMM 19    /* SIMD floating-point exception (#XM) */
#define EXCP03_INT3 3
#define EXCP04_INTO 4
#define EXCP08_DBLE 8
#define EXCP0A_TSS 10
#define EXCP0B_NOSEG 11
#define EXCP0C_STACK 12
#define EXCP0D_GPF 13
#define EXCP0E_PAGE 14

/* The TSC's nominal frequency under the translator (1 GHz: ns = ticks) */
#define X86_TCG_TSC_HZ 1000000000ull

/*
 * Helpers that can fault are called after gen_update_rip(pc_start): the
 * unwind through GETPC() is not relied on for rip, because GCC may move a
 * helper's cold path (with its __builtin_return_address) into a split
 * "helper.part.N" function, whose return address is not in a TB.
 */

/* ---- System helpers (sys_helper.c) ---- */
/* Raise excp with error code err (kept in env->error_code) */
void EMU_NORETURN x86_raise_exception_err(CPUX86State *env, int excp,
                                          uint32_t err, uintptr_t ra);
/* The CPUID leaves the translator reports: the model, masked */
void x86_cpuid(CPUX86State *env, uint32_t fn, uint32_t idx, uint32_t *a,
               uint32_t *b, uint32_t *c, uint32_t *d);
uint64_t x86_tsc_read(CPUX86State *env);
/* CR0 write with its checks, long-mode activation and TLB flush */
void x86_write_cr0(CPUX86State *env, uint64_t v, uintptr_t ra);

/*
 * MMU indexes: 0 supervisor (CPL 0-2, and the accesses interrupt
 * delivery and descriptor loads make), 1 user (CPL 3).
 */
#define X86_MMU_IDX_KERNEL 0
#define X86_MMU_IDX_USER   1

/* ---- Paging (mmu_helper.c) ---- */
/* CPUClass mmu_index: CPL 3 is the user index (the CPL is a TB flag) */
int x86_tcg_mmu_index(CPUState *cs, bool ifetch);
/* CPUClass tlb_fill: walk the guest page tables, #PF with CR2/error code */
bool x86_tcg_tlb_fill(CPUState *cs, uint64_t addr, int size,
                      MMUAccessType access_type, int mmu_idx, bool probe,
                      uintptr_t retaddr);

/* ---- Exceptions and interrupts (excp_helper.c) ---- */
/* CPUClass do_interrupt: deliver cs->exception_index (a fault at env->rip) */
void x86_tcg_do_interrupt(CPUState *cs);
/* Deliver vector vec through the IVT/IDT; next_ip is the pushed return */
void x86_deliver_interrupt(CPUX86State *env, int vec, bool is_int,
                           bool has_err, uint32_t err, uint64_t next_ip);
/*
 * CPUClass exec_interrupt: take a pending external interrupt
 * (CPU_INTERRUPT_HARD) if EFLAGS.IF is set and no shadow holds it back;
 * the vector comes from X86CPU get_pic_vector.  Called with the BQL.
 */
bool x86_tcg_exec_interrupt(CPUState *cs, int interrupt_request);
/* CPUClass has_work: a halted CPU wakes on an external interrupt with IF = 1 */
bool x86_tcg_has_work(CPUState *cs);
bool x86_tcg_interrupt_deliverable(CPUState *cs, int interrupt_request);
/* iret: end NMI blocking (a pending NMI is taken at the next TB entry) */
void x86_nmi_unblock(CPUX86State *env);

/* ---- Segmentation (seg_helper.c) ---- */
/* mov/pop Sreg: real-mode style or through a descriptor, with its checks */
void x86_load_seg(CPUX86State *env, int seg, uint32_t sel, uintptr_t ra);
/* The RFLAGS bits iret may change at the current CPL/IOPL (shift 1: 16-bit) */
uint64_t x86_eflags_writable(CPUX86State *env, unsigned shift);
/* What started a task switch (busy bits, back link and NT depend on it) */
enum { X86_TS_JMP, X86_TS_CALL, X86_TS_IRET, X86_TS_INT };
/*
 * Switch to the task of the 32-bit TSS descriptor sel; next_eip is saved
 * as the old task's EIP; an exception's error code goes on the new stack
 */
void x86_task_switch(CPUX86State *env, uint32_t sel, int source,
                     uint64_t next_eip, bool has_err, uint32_t err,
                     uintptr_t ra);

/* ---- Helpers called from generated code (int_helper.c) ---- */
extern const TCGHelperInfo x86_helper_cc_compute;
extern const TCGHelperInfo x86_helper_raise;
extern const TCGHelperInfo x86_helper_hlt;
/* pause: yield to the other vCPUs (excp_helper.c) */
extern const TCGHelperInfo x86_helper_pause;
/* rep movs/stos in bulk over plain RAM (string_helper.c) */
extern const TCGHelperInfo x86_helper_rep_fast;
extern const TCGHelperInfo x86_helper_shift;
extern const TCGHelperInfo x86_helper_div;
extern const TCGHelperInfo x86_helper_bitop;
extern const TCGHelperInfo x86_helper_shd;
extern const TCGHelperInfo x86_helper_pushf;
extern const TCGHelperInfo x86_helper_popf;
extern const TCGHelperInfo x86_helper_int_real;
extern const TCGHelperInfo x86_helper_iret_real;
extern const TCGHelperInfo x86_helper_bcd;
extern const TCGHelperInfo x86_helper_aam;
/* Port I/O under the global lock, no permission check (int_helper.c) */
uint64_t x86_port_in(unsigned ot, uint16_t port);
void x86_port_out(unsigned ot, uint16_t port, uint64_t v);
extern const TCGHelperInfo x86_helper_in;
extern const TCGHelperInfo x86_helper_out;
extern const TCGHelperInfo x86_helper_raise_err;
extern const TCGHelperInfo x86_helper_cpuid;
extern const TCGHelperInfo x86_helper_rdtsc;
extern const TCGHelperInfo x86_helper_rdmsr;
extern const TCGHelperInfo x86_helper_wrmsr;
extern const TCGHelperInfo x86_helper_write_cr;
extern const TCGHelperInfo x86_helper_read_cr8;
extern const TCGHelperInfo x86_helper_lmsw;
extern const TCGHelperInfo x86_helper_invlpg;
extern const TCGHelperInfo x86_helper_load_sys_seg;
extern const TCGHelperInfo x86_helper_load_seg;
extern const TCGHelperInfo x86_helper_ljmp_prot;
extern const TCGHelperInfo x86_helper_lcall_prot;
extern const TCGHelperInfo x86_helper_lret_prot;
extern const TCGHelperInfo x86_helper_iret_prot;
extern const TCGHelperInfo x86_helper_int_prot;
/* seg_helper.c: fast system calls, access checks, I/O permission, VM86 */
extern const TCGHelperInfo x86_helper_syscall;
extern const TCGHelperInfo x86_helper_sysret;
extern const TCGHelperInfo x86_helper_sysenter;
extern const TCGHelperInfo x86_helper_sysexit;
extern const TCGHelperInfo x86_helper_lar_lsl;
extern const TCGHelperInfo x86_helper_verr_verw;
extern const TCGHelperInfo x86_helper_in_prot;
extern const TCGHelperInfo x86_helper_out_prot;
extern const TCGHelperInfo x86_helper_check_iopl;
extern const TCGHelperInfo x86_helper_popf_prot;
extern const TCGHelperInfo x86_helper_int_vm86;
extern const TCGHelperInfo x86_helper_iret_vm86;

/* ---- x87 helpers (fpu_helper.c) ---- */
/*
 * helper_x87(env, insn, addr, off, cond) -> status word for fnstsw ax:
 * insn = FOP (11 bits: (opcode & 7) << 8 | modrm), the segment of a
 * memory operand at X87_INSN_SEG_SHIFT and the operand size (MemOp,
 * picks the 14/28-byte FNSTENV format) at X87_INSN_DFLAG_SHIFT; addr is
 * the linear address, off its segment offset (FDP); cond is unused (0:
 * fcmov reads EFLAGS from env).  fcomi/fucomi write cc_op/cc_src.
 */
#define X87_INSN_SEG_SHIFT 11
#define X87_INSN_DFLAG_SHIFT 14
extern const TCGHelperInfo x86_helper_x87;
extern const TCGHelperInfo x86_helper_fwait;
/* fxsave/fxrstor(env, addr, flags): X87_FX_* */
#define X87_FX_REXW   1     /* 64-bit FIP/FDP format */
#define X87_FX_CODE64 2     /* 64-bit mode: XMM8-15 too */
extern const TCGHelperInfo x86_helper_fxsave;
extern const TCGHelperInfo x86_helper_fxrstor;
extern const TCGHelperInfo x86_helper_ldmxcsr;
extern const TCGHelperInfo x86_helper_clflush;
/* The translator's x87/SSE state as an FXSAVE image (monitor dump) */
void x86_fpu_get_fxsave(CPUX86State *env, X86FXSave *fx);

/* helper_shift kinds: (op << 2) | MemOp size; op as the group 2 reg field */
/* helper_div kinds: MemOp size | 4 for signed */
/* helper_bitop kinds: size | (op << 2): 0 bsf 1 bsr 2 tzcnt 3 lzcnt 4 popcnt */

/* ---- SSE helpers (sse_helper.c; ops and arguments in sse_helper.h) ---- */
extern const TCGHelperInfo x86_helper_sse_int;
extern const TCGHelperInfo x86_helper_sse_int_ret;
extern const TCGHelperInfo x86_helper_sse_fp;
extern const TCGHelperInfo x86_helper_sse_fp_ret;
extern const TCGHelperInfo x86_helper_sse_probe_store;
#endif
