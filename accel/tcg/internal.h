/*
 * Private to the execution engine (accel/tcg): what translate-all.c,
 * cpu-exec.c, translator.c and tcg-accel.c share beyond tb-internal.h.
 */
#ifndef ACCEL_TCG_INTERNAL_H
#define ACCEL_TCG_INTERNAL_H

#include "emu/osdep.h"
#include "exec/tb-internal.h"
#include "system/memory.h"
#include <setjmp.h>

/* Engine counters bumped on hot paths by the vCPU thread; racy reads */
#define TB_STAT_INC(field) \
    __atomic_store_n(&tb_stats.field, \
                     __atomic_load_n(&tb_stats.field, __ATOMIC_RELAXED) + 1, \
                     __ATOMIC_RELAXED)
extern TBStatistics tb_stats;

/*
 * The per-vCPU jump cache: 2^TB_JC_GROUP_BITS groups of 2^TB_JC_SLOT_BITS
 * TB pointers; a group holds the pcs of one page (so that a page's
 * entries can be dropped together), a pc's slot is its page offset
 * folded to TB_JC_SLOT_BITS.  translator_goto_ptr computes the same
 * index in generated code.
 */
#define TB_JC_GROUP_BITS 6
#define TB_JC_SLOT_BITS 6
#define TB_JC_BITS (TB_JC_GROUP_BITS + TB_JC_SLOT_BITS)
#define TB_JC_SIZE (1u << TB_JC_BITS)

struct TBJumpCache {
    TranslationBlock *tb[TB_JC_SIZE];
};

static inline unsigned tb_jc_group(uint64_t pc)
{
    uint64_t page = pc >> TARGET_PAGE_BITS;
    return (unsigned)((page ^ (page >> TB_JC_GROUP_BITS) ^
                       (page >> (2 * TB_JC_GROUP_BITS))) &
                      ((1u << TB_JC_GROUP_BITS) - 1));
}

/* Within the page: offset bits 0-5 xor bits 6-11 */
_Static_assert(TARGET_PAGE_BITS >= 2 * TB_JC_SLOT_BITS,
               "the jump cache folds 12 bits of page offset");
static inline unsigned tb_jc_hash(uint64_t pc)
{
    return (tb_jc_group(pc) << TB_JC_SLOT_BITS) |
           (unsigned)((pc ^ (pc >> TB_JC_SLOT_BITS)) &
                      ((1u << TB_JC_SLOT_BITS) - 1));
}

/*
 * Translate a new TB for this key (the caller found none).  May flush the
 * whole cache first when the buffer is full: compare tb_flush_count()
 * before and after to know whether older TB pointers died.  Raises guest
 * faults on the code fetch (cpu_loop_exit).
 */
TranslationBlock *tb_gen_code(CPUState *cs, uint64_t pc, uint64_t cs_base,
                              uint32_t flags, uint32_t cflags);
/* Make goto_tb slot n of tb jump straight to tb_next */
void tb_add_jump(TranslationBlock *tb, int n, TranslationBlock *tb_next);
uint64_t tb_flush_count(void);
/* Host pc is inside the code buffer of the engine? */
bool tb_host_pc_in_buffer(uintptr_t host_pc);
/* Index of the guest insn whose code holds host_pc (a return address) */
int tb_insn_index(const TranslationBlock *tb, uintptr_t host_pc);

/*
 * Translator <-> tb_gen_code: a translation that must start over with
 * fewer instructions (an instruction other than the first crosses into a
 * page it could fault on) longjmps here with the new count.
 */
extern __thread sigjmp_buf *tb_gen_restart;
void EMU_NORETURN tb_gen_restart_with(int max_insns);

/* Set while this thread is inside generated code (for diagnostics) */
extern __thread CPUState *tcg_exec_cpu;

/* The back end of the running engine is the interpreter? */
bool tcg_exec_is_interp(void);

#endif
