/*
 * The per-vCPU execution loop: find or translate the TB for the CPU state,
 * chain it to the previous one, run it; handle exits, interrupts and
 * exceptions between TBs.
 */
#include "emu/osdep.h"
#include "emu/log.h"
#include "emu/thread.h"
#include "tcg/tcg-op.h"
#include "exec/cputlb.h"
#include "internal.h"

__thread CPUState *tcg_exec_cpu;

uint32_t curr_cflags(CPUState *cs)
{
    uint32_t cflags = 0;

    if (unlikely(emu_log_enabled(LOG_NOCHAIN))) {
        cflags |= CF_NOCHAIN;
    }
    if (unlikely(cs->singlestep)) {
        cflags |= CF_SINGLE_STEP | 1;
    }
    return cflags;
}

/* ---- Leaving guest code from helpers ---- */

void cpu_loop_exit(CPUState *cs)
{
    /* generated code may have left a helper's return address behind */
    tci_retaddr = 0;
    siglongjmp(cs->jmp_env, 1);
}

void cpu_loop_exit_noexc(CPUState *cs)
{
    cs->exception_index = -1;
    cpu_loop_exit(cs);
}

void cpu_loop_exit_restore(CPUState *cs, uintptr_t retaddr)
{
    if (retaddr) {
        cpu_restore_state(cs, retaddr);
    }
    cpu_loop_exit(cs);
}

void cpu_loop_exit_exception(CPUState *cs, int excp, uintptr_t retaddr)
{
    cs->exception_index = excp;
    cpu_loop_exit_restore(cs, retaddr);
}

/* ---- Indirect jumps from generated code ---- */

const void *helper_lookup_tb_ptr(void *env)
{
    CPUState *cs = env_cpu(env);
    uint64_t pc, cs_base;
    uint32_t flags, cflags = curr_cflags(cs);
    TranslationBlock *tb;

    TB_STAT_INC(lookup_ptr_calls);
    if (unlikely(cflags & CF_NOCHAIN)) {
        /* -d nochain: every TB is entered from the loop (and traced) */
        return tcg_ctx->code_gen_epilogue;
    }
    cs->cc->get_tb_cpu_state(cs, &pc, &cs_base, &flags);
    tb = tb_lookup(cs, pc, cs_base, flags, cflags);
    if (!tb) {
        return tcg_ctx->code_gen_epilogue;
    }
    TB_STAT_INC(lookup_ptr_hits);
    if (unlikely(emu_log_enabled(LOG_EXEC))) {
        emu_log("Trace %d: %p [%016" PRIx64 "/%016" PRIx64 "/0x%08x/0x%08x] \n",
                cs->cpu_index, tb->tc.ptr, pc, cs_base, flags, tb->cflags);
    }
    return tb->tc.ptr;
}

/* ---- The loop ---- */

static bool cpu_handle_halt(CPUState *cs)
{
    if (cs->halted) {
        if (!cpu_has_work(cs)) {
            return true;
        }
        cs->halted = false;
    }
    return false;
}

/* Run fn with the global lock held (device state), whoever holds it now */
static void with_bql_do_interrupt(CPUState *cs)
{
    bool locked = bql_locked();

    if (!locked) {
        bql_lock();
    }
    cs->cc->do_interrupt(cs);
    if (!locked) {
        bql_unlock();
    }
}

/* true: leave cpu_exec with *ret */
static bool cpu_handle_exception(CPUState *cs, int *ret)
{
    int excp = cs->exception_index;

    if (excp < 0) {
        return false;
    }
    if (excp >= EXCP_INTERRUPT) {
        /* for the loop's owner (halt, debug, ...), not for the guest */
        *ret = excp;
        cs->exception_index = -1;
        return true;
    }
    emu_log_mask(LOG_INT, "exception %d (0x%x) on CPU %d\n", excp, excp,
                 cs->cpu_index);
    if (cs->cc->do_interrupt) {
        with_bql_do_interrupt(cs);
    }
    cs->exception_index = -1;
    return false;
}

/*
 * Between TBs: requests from other threads and pending interrupts.  true:
 * leave the inner loop (exception_index says why).
 */
static bool cpu_handle_interrupt(CPUState *cs, TranslationBlock **last_tb)
{
    int req;

    /*
     * Clear the TB-entry flag before reading the requests: a request made
     * after this point sets it again and stops the next TB.
     */
    if (unlikely(__atomic_load_n(&cs->neg->exit_request, __ATOMIC_RELAXED))) {
        __atomic_store_n(&cs->neg->exit_request, 0, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    }
    req = __atomic_load_n(&cs->interrupt_request, __ATOMIC_ACQUIRE);
    if (unlikely(req)) {
        if (req & CPU_INTERRUPT_HALT) {
            cpu_reset_interrupt(cs, CPU_INTERRUPT_HALT);
            cs->halted = true;
            cs->exception_index = EXCP_HLT;
            return true;
        }
        if (cs->cc->exec_interrupt &&
            (!cs->cc->interrupt_deliverable ||
             cs->cc->interrupt_deliverable(cs, req))) {
            bool locked = bql_locked();
            bool taken;

            if (!locked) {
                bql_lock();
            }
            emu_log_mask(LOG_INT, "interrupt request 0x%x on CPU %d\n", req,
                         cs->cpu_index);
            taken = cs->cc->exec_interrupt(cs, req);
            if (!locked) {
                bql_unlock();
            }
            if (taken) {
                /* the guest's pc moved: do not chain the last TB to it */
                *last_tb = NULL;
            }
        }
        if (req & CPU_INTERRUPT_EXITTB) {
            cpu_reset_interrupt(cs, CPU_INTERRUPT_EXITTB);
            *last_tb = NULL;
        }
        if (cs->exception_index >= 0) {
            return true;
        }
    }
    if (unlikely(__atomic_load_n(&cs->exit_request, __ATOMIC_ACQUIRE))) {
        __atomic_store_n(&cs->exit_request, 0, __ATOMIC_RELAXED);
        if (cs->exception_index == -1) {
            cs->exception_index = EXCP_INTERRUPT;
        }
        return true;
    }
    return false;
}

static inline TranslationBlock *cpu_exec_tb(CPUState *cs,
                                            TranslationBlock *tb,
                                            int *tb_exit)
{
    uintptr_t ret;
    TranslationBlock *last_tb;

    if (unlikely(emu_log_enabled(LOG_EXEC | LOG_CPU))) {
        if (emu_log_enabled(LOG_EXEC)) {
            emu_log("Trace %d: %p [%016" PRIx64 "/%016" PRIx64
                    "/0x%08x/0x%08x] \n", cs->cpu_index, tb->tc.ptr, tb->pc,
                    tb->cs_base, tb->flags, tb->cflags);
        }
        if (emu_log_enabled(LOG_CPU) && cs->cc->dump_state) {
            cs->cc->dump_state(cs, log_file(), 0);
            fflush(log_file());
        }
    }
    TB_STAT_INC(tbs_executed);
    tcg_exec_cpu = cs;
    ret = tcg_ctx->backend->exec(cs->env_ptr, tb->tc.ptr);
    tcg_exec_cpu = NULL;

    last_tb = (TranslationBlock *)(ret & ~(uintptr_t)TB_EXIT_MASK);
    *tb_exit = (int)(ret & TB_EXIT_MASK);
    if (*tb_exit > TB_EXIT_IDXMAX) {
        /*
         * Stopped at the entry of last_tb (maybe reached by a chained
         * jump, whose source did not store the pc): the state is that of
         * last_tb's first insn.
         */
        if (last_tb) {
            cs->cc->restore_state_to_opc(cs, last_tb, last_tb->insn_data[0]);
        }
        return NULL;
    }
    return last_tb;
}

static int cpu_exec_loop(CPUState *cs)
{
    const CPUClass *cc = cs->cc;
    int ret = EXCP_INTERRUPT;

    for (;;) {
        TranslationBlock *last_tb = NULL;
        int tb_exit = 0;

        if (cpu_handle_exception(cs, &ret)) {
            return ret;
        }
        for (;;) {
            TranslationBlock *tb;
            uint64_t pc, cs_base;
            uint32_t flags, cflags;
            uint64_t flushes;

            if (cpu_handle_interrupt(cs, &last_tb)) {
                break;
            }
            tlb_run_pending_flushes(cs);

            cflags = cs->cflags_next_tb;
            if (likely(cflags == (uint32_t)-1)) {
                cflags = curr_cflags(cs);
            } else {
                cs->cflags_next_tb = (uint32_t)-1;
                /* a one-off TB must not be entered through a chain */
                last_tb = NULL;
            }
            cc->get_tb_cpu_state(cs, &pc, &cs_base, &flags);

            tb = tb_lookup(cs, pc, cs_base, flags, cflags);
            if (!tb) {
                flushes = tb_flush_count();
                tb = tb_gen_code(cs, pc, cs_base, flags, cflags);
                if (flushes != tb_flush_count()) {
                    last_tb = NULL;
                }
            }
            if (last_tb && !((last_tb->cflags | cflags) & CF_NOCHAIN)) {
                tb_add_jump(last_tb, tb_exit, tb);
            }
            last_tb = cpu_exec_tb(cs, tb, &tb_exit);
        }
    }
}

/* Separate, so that no local of the loop lives across the longjmp */
static int cpu_exec_setjmp(CPUState *cs, bool bql_at_entry)
{
    if (sigsetjmp(cs->jmp_env, 0) != 0) {
        /* back from cpu_loop_exit(): nothing of generated code is live */
        tcg_exec_cpu = NULL;
        tb_gen_restart = NULL;
        current_cpu = cs;
        tcg_ctx = cs->tcg;
        if (!bql_at_entry && bql_locked()) {
            /* left from the middle of an MMIO access */
            bql_unlock();
        }
    }
    return cpu_exec_loop(cs);
}

int cpu_exec(CPUState *cs)
{
    int ret;

    if (cpu_handle_halt(cs)) {
        return EXCP_HALTED;
    }
    current_cpu = cs;
    tcg_ctx = cs->tcg;
    tcg_thread_interp = cs->tcg->backend == &tcg_backend_interp;
    cs->running = true;
    ret = cpu_exec_setjmp(cs, bql_locked());
    cs->running = false;
    current_cpu = NULL;
    return ret;
}
