/*
 * The generic translator loop for target front ends: it drives the
 * target's hooks instruction by instruction, enforces the TB limits
 * (instruction count, page boundaries), emits the exit-request check at
 * TB entry, and reads guest code so that the TB's pages are recorded for
 * invalidation.
 *
 * A front end's cc->translate typically is:
 *
 *   static void x86_translate(CPUState *cs, TranslationBlock *tb,
 *                             int max_insns)
 *   {
 *       DisasContext dc;
 *       translator_loop(cs, tb, max_insns, &x86_tr_ops, &dc.base);
 *   }
 *
 * with DisasContext starting with a DisasContextBase named base.
 *
 * Page rules: a TB holds code of at most two guest pages.  Translation
 * stops before an insn that starts on another page than the first.  An
 * insn that crosses into the next page is always the first insn of its
 * TB: when another insn reads code across the boundary, translation
 * starts over without it (so a fault on the second page is raised with
 * the guest state of that insn, never of an earlier one).
 */
#ifndef EXEC_TRANSLATOR_H
#define EXEC_TRANSLATOR_H

#include "emu/osdep.h"
#include "exec/translation-block.h"
#include "hw/core/cpu.h"

typedef enum DisasJumpType {
    DISAS_NEXT,         /* go on with the next insn */
    /* stop; pc_next is the next insn, tb_stop jumps or exits there */
    DISAS_TOO_MANY,
    /* the insn left the TB itself (exception, goto_tb, exit_tb) */
    DISAS_NORETURN,
    /* front-end specific reasons to stop, handled by its tb_stop */
    DISAS_TARGET_0,
    DISAS_TARGET_1,
    DISAS_TARGET_2,
    DISAS_TARGET_3,
    DISAS_TARGET_4,
    DISAS_TARGET_5,
    DISAS_TARGET_6,
    DISAS_TARGET_7,
} DisasJumpType;

typedef struct DisasContextBase {
    TranslationBlock *tb;
    uint64_t pc_first;          /* guest virtual pc of the first insn */
    uint64_t pc_next;           /* of the next insn: translate_insn advances */
    DisasJumpType is_jmp;
    int num_insns;              /* insns so far, the current one included */
    int max_insns;              /* init_disas_context may lower it */
    bool singlestep_enabled;    /* CF_SINGLE_STEP: raise EXCP_DEBUG after */
    /*
     * Byte order of translator_lduw/ldl/ldq (init_disas_context sets it
     * for big-endian or mode-switching targets); false: little-endian.
     */
    bool code_big_endian;

    /* ---- private to translator.c ---- */
    uint64_t page_vaddr[2];     /* virtual pages of the code read so far */
    const uint8_t *page_host[2];   /* host memory of them, NULL: not RAM */
    bool page_loaded[2];
    TCGLabel *exit_label;       /* gen_tb_start's exit path */
} DisasContextBase;

typedef struct TranslatorOps {
    /* set up the target's DisasContext (db->pc_first etc. are set) */
    void (*init_disas_context)(DisasContextBase *db, CPUState *cs);
    /* emit code that runs once at TB entry (after the exit check) */
    void (*tb_start)(DisasContextBase *db, CPUState *cs);
    /* emit tcg_gen_insn_start() for the insn at db->pc_next */
    void (*insn_start)(DisasContextBase *db, CPUState *cs);
    /* translate one insn, advancing db->pc_next; may set db->is_jmp */
    void (*translate_insn)(DisasContextBase *db, CPUState *cs);
    /* emit the TB's end for db->is_jmp (goto_tb/lookup/exit) */
    void (*tb_stop)(DisasContextBase *db, CPUState *cs);
} TranslatorOps;

/*
 * Translate guest code at tb->pc into the current IR (tcg_ctx), at most
 * max_insns insns.  Fills tb->size and tb->icount, and tb->page_addr[1]
 * for code crossing into a second page.  Guest faults on the code fetch
 * are raised (cpu_loop_exit).
 */
void translator_loop(CPUState *cs, TranslationBlock *tb, int max_insns,
                     const TranslatorOps *ops, DisasContextBase *db);

/*
 * Read guest code at pc for the insn being translated (byte order per
 * db->code_big_endian).  Only from translate_insn.
 */
uint8_t translator_ldub(void *env, DisasContextBase *db, uint64_t pc);
uint16_t translator_lduw(void *env, DisasContextBase *db, uint64_t pc);
uint32_t translator_ldl(void *env, DisasContextBase *db, uint64_t pc);
uint64_t translator_ldq(void *env, DisasContextBase *db, uint64_t pc);

/*
 * May the TB jump straight (goto_tb, chained) to dest?  Only within the
 * first page (a chain skips the virtual-to-physical translation of
 * dest), and never with CF_NOCHAIN.  Else use lookup_and_goto_ptr.
 */
bool translator_use_goto_tb(DisasContextBase *db, uint64_t dest);

/*
 * Leave the TB for the one at guest pc (a linear address: cs_base
 * included), a run-time value, when nothing the TB key depends on (mode
 * flags, cs_base) can have changed since this TB began: near indirect
 * jumps and returns, direct jumps to another page.  Probes the vCPU's
 * jump cache in generated code for a TB with this TB's cs_base, flags
 * and cflags, and calls helper_lookup_tb_ptr only on a miss; so the
 * front end must have written the guest pc to env first, as for
 * tcg_gen_lookup_and_goto_ptr, which it is otherwise equivalent to.
 */
void translator_goto_ptr(DisasContextBase *db, TCGv_i64 pc);

/*
 * The exit-request check at TB entry (a load of neg.exit_request and a
 * branch to exit_tb(tb, TB_EXIT_REQUESTED)), and its exit path.
 * translator_loop emits both; front ends that build IR without it call
 * gen_tb_start before the first insn_start and gen_tb_end last.
 */
void gen_tb_start(DisasContextBase *db);
void gen_tb_end(DisasContextBase *db);

#endif
