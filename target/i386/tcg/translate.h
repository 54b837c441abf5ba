/*
 * The x86 translator front end (target/i386/tcg): the hooks a CPUClass
 * plugs in to run x86 code under TCG, the TB flags layout and the lazy
 * condition-code machinery shared by translate.c and the helpers.
 *
 * 64-bit code, flat 32-bit protected mode and real mode are translated;
 * protected-mode segment loads and far transfers are #UD for now.  The
 * pc machine's CPU class does not use these hooks yet (tests build their
 * own class with them).
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
    CC_OP_NB = 36,
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
#define EXCP0D_GPF 13
#define EXCP0E_PAGE 14

/* ---- Helpers called from generated code (int_helper.c) ---- */
extern const TCGHelperInfo x86_helper_cc_compute;
extern const TCGHelperInfo x86_helper_raise;
extern const TCGHelperInfo x86_helper_hlt;
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
extern const TCGHelperInfo x86_helper_in;
extern const TCGHelperInfo x86_helper_out;

/* helper_shift kinds: (op << 2) | MemOp size; op as the group 2 reg field */
/* helper_div kinds: MemOp size | 4 for signed */
/* helper_bitop kinds: size | (op << 2): 0 bsf 1 bsr 2 tzcnt 3 lzcnt 4 popcnt */
#endif
