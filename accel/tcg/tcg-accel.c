/*
 * The "tcg" accelerator: vCPUs run translated code, round-robin on one
 * thread that drops the global lock while in guest code.
 */
#include "emu/osdep.h"
#include "emu/thread.h"
#include "emu/timer.h"
#include "emu/main-loop.h"
#include "system/accel.h"
#include "system/runstate.h"
#include "internal.h"

/* A vCPU's time slice when several share the thread */
#define TCG_RR_SLICE_NS (10 * 1000 * 1000)
#define TCG_DEFAULT_TB_SIZE (256 * MiB)

static struct {
    const TCGBackend *backend;
    uint64_t tb_size;

    bool lock_ready;
    EmuMutex lock;          /* guards the fields below */
    EmuCond cond;           /* RR thread: something to do */
    EmuCond paused_cond;    /* vm_state_change: the RR thread paused */
    bool vm_running;
    bool quit;
    bool thread_started;
    bool rr_paused;         /* the RR thread waits, out of guest code */
    CPUState *rr_current;   /* vCPU in cpu_exec now */
    EmuThread thread;
    EmuTimer *kick_timer;
} tcg_accel;

static bool tcg_accel_available(Error **errp)
{
    return true;
}

static bool tcg_accel_init(EmuOpts *opts, Error **errp)
{
    const char *backend = opts_get(opts, "backend");
    const char *thread = opts_get(opts, "thread");
    Error *err = NULL;
    uint64_t tb_size_mb = opts_get_number(opts, "tb-size", 0, &err);

    if (err) {
        error_propagate(errp, err);
        return false;
    }
    if (!backend) {
        tcg_accel.backend = tcg_default_backend();
    } else if (!strcmp(backend, "interp")) {
        tcg_accel.backend = &tcg_backend_interp;
    } else if (!strcmp(backend, "native")) {
#if defined(__x86_64__)
        tcg_accel.backend = &tcg_backend_native;
#else
        error_setg(errp, "backend=native needs an x86-64 host; use "
                   "backend=interp");
        return false;
#endif
    } else {
        error_setg(errp, "Parameter 'backend' expects 'native' or 'interp'");
        return false;
    }
    if (thread && strcmp(thread, "single")) {
        if (!strcmp(thread, "multi")) {
            error_setg(errp, "thread=multi is not supported yet; use "
                       "thread=single");
        } else {
            error_setg(errp, "Parameter 'thread' expects 'single' or "
                       "'multi'");
        }
        return false;
    }
    if (tb_size_mb > 1024) {
        error_setg(errp, "tb-size=%" PRIu64 " is too large (at most 1024 "
                   "MiB)", tb_size_mb);
        return false;
    }
    tcg_accel.tb_size = tb_size_mb ? tb_size_mb * MiB : TCG_DEFAULT_TB_SIZE;

    if (!tcg_accel.lock_ready) {
        emu_mutex_init(&tcg_accel.lock);
        emu_cond_init(&tcg_accel.cond);
        emu_cond_init(&tcg_accel.paused_cond);
        tcg_accel.lock_ready = true;
    }
    tcg_accel.quit = false;
    tcg_accel.vm_running = false;
    return tcg_exec_init(tcg_accel.backend, tcg_accel.tb_size, errp);
}

/* cpu_interrupt/cpu_exit: wake the RR thread; make the running vCPU yield */
static void tcg_accel_kick(CPUState *cs)
{
    CPUState *cur;

    emu_mutex_lock(&tcg_accel.lock);
    cur = tcg_accel.rr_current;
    emu_cond_broadcast(&tcg_accel.cond);
    emu_mutex_unlock(&tcg_accel.lock);
    if (cur && cur != cs && cur->neg) {
        /* another vCPU needs the thread: end the current slice */
        __atomic_store_n(&cur->exit_request, 1, __ATOMIC_SEQ_CST);
        __atomic_store_n(&cur->neg->exit_request, 1, __ATOMIC_SEQ_CST);
    }
}

static void tcg_kick_timer_cb(void *opaque)
{
    CPUState *cur;

    emu_mutex_lock(&tcg_accel.lock);
    cur = tcg_accel.rr_current;
    emu_mutex_unlock(&tcg_accel.lock);
    if (cur && cur->neg) {
        __atomic_store_n(&cur->exit_request, 1, __ATOMIC_SEQ_CST);
        __atomic_store_n(&cur->neg->exit_request, 1, __ATOMIC_SEQ_CST);
    }
    timer_mod(tcg_accel.kick_timer,
              clock_get_ns(EMU_CLOCK_REALTIME) + TCG_RR_SLICE_NS);
}

static bool cpu_runnable(CPUState *cs)
{
    return !cs->halted || cpu_has_work(cs);
}

static bool any_cpu_runnable(void)
{
    CPUState *cs;

    CPU_FOREACH(cs) {
        if (cpu_runnable(cs)) {
            return true;
        }
    }
    return false;
}

static void debug_stop(void *opaque)
{
    if (runstate_is_running()) {
        vm_stop(RUN_STATE_DEBUG);
    }
}

/* Called with tcg_accel.lock held */
static void set_cpus_stopped(bool stopped)
{
    CPUState *cs;

    CPU_FOREACH(cs) {
        cs->stopped = stopped;
    }
}

static void *tcg_rr_thread(void *opaque)
{
    CPUState *next = first_cpu;

    tcg_ctx = tcg_exec_context();
    tcg_thread_interp = tcg_ctx->backend == &tcg_backend_interp;

    emu_mutex_lock(&tcg_accel.lock);
    for (;;) {
        while (!tcg_accel.quit &&
               (!tcg_accel.vm_running || !any_cpu_runnable())) {
            if (!tcg_accel.vm_running) {
                set_cpus_stopped(true);
            }
            tcg_accel.rr_paused = true;
            emu_cond_broadcast(&tcg_accel.paused_cond);
            emu_cond_wait(&tcg_accel.cond, &tcg_accel.lock);
        }
        if (tcg_accel.quit) {
            break;
        }
        tcg_accel.rr_paused = false;
        set_cpus_stopped(false);

        /* one slice for each runnable vCPU, in turn */
        for (int n = 0; n < 1024 && tcg_accel.vm_running &&
             !tcg_accel.quit; n++) {
            CPUState *cs = next ? next : first_cpu;
            int r;

            next = cs->next;
            if (!cpu_runnable(cs)) {
                if (!next) {
                    break;
                }
                continue;
            }
            tcg_accel.rr_current = cs;
            emu_mutex_unlock(&tcg_accel.lock);
            r = cpu_exec(cs);
            emu_mutex_lock(&tcg_accel.lock);
            tcg_accel.rr_current = NULL;

            if (r == EXCP_DEBUG) {
                main_loop_call_soon(debug_stop, NULL);
            }
            if (!next) {
                break;
            }
        }
    }
    tcg_accel.rr_paused = true;
    emu_cond_broadcast(&tcg_accel.paused_cond);
    emu_mutex_unlock(&tcg_accel.lock);
    return NULL;
}

static bool tcg_accel_start_vcpus(unsigned ncpus, Error **errp)
{
    CPUState *cs;
    unsigned n = 0;

    CPU_FOREACH(cs) {
        /* until the x86 front end lands, its CPU has no translate hook */
        if (!cs->cc->translate && cs->cc->name &&
            !strcmp(cs->cc->name, "x86_64")) {
            error_setg(errp, "x86 guests cannot run under the translator "
                       "yet; use -accel kvm");
            return false;
        }
        if (!tcg_exec_cpu_init(cs, errp)) {
            return false;
        }
        n++;
    }
    if (n == 0) {
        /* a machine without CPUs (-M none): nothing to run */
        return true;
    }
    cpu_set_kick_handler(tcg_accel_kick);
    tcg_accel.rr_paused = true;
    tcg_accel.thread_started = true;
    emu_thread_create(&tcg_accel.thread, "CPU/TCG", tcg_rr_thread, NULL);
    /*
     * Every vCPU lives on that thread (the softmmu runs a flush directly
     * only on the vCPU's own thread); the thread waits for vm_start, so
     * nothing runs before this is filled in.
     */
    emu_mutex_lock(&tcg_accel.lock);
    CPU_FOREACH(cs) {
        cs->thread = tcg_accel.thread;
        cs->created = true;
    }
    emu_mutex_unlock(&tcg_accel.lock);
    if (n > 1) {
        tcg_accel.kick_timer = timer_new_ns(EMU_CLOCK_REALTIME,
                                            tcg_kick_timer_cb, NULL);
        timer_mod(tcg_accel.kick_timer,
                  clock_get_ns(EMU_CLOCK_REALTIME) + TCG_RR_SLICE_NS);
    }
    return true;
}

static void kick_all_cpus(void)
{
    CPUState *cs;

    CPU_FOREACH(cs) {
        cpu_exit(cs);
    }
}

static void tcg_accel_vm_state_change(bool running)
{
    bool bql = bql_locked();
    CPUState *cs;

    emu_mutex_lock(&tcg_accel.lock);
    tcg_accel.vm_running = running;
    CPU_FOREACH(cs) {
        cs->stop = !running;
    }
    emu_cond_broadcast(&tcg_accel.cond);
    emu_mutex_unlock(&tcg_accel.lock);
    if (running || !tcg_accel.thread_started) {
        return;
    }
    if (emu_thread_is_self(&tcg_accel.thread)) {
        /* from a device on the vCPU thread: it stops on its way out */
        kick_all_cpus();
        return;
    }

    /*
     * Wait until guest code is left.  The vCPU may need the global lock to
     * finish an MMIO access first, so it is released meanwhile (as QEMU's
     * pause waits on it).
     */
    kick_all_cpus();
    if (bql) {
        bql_unlock();
    }
    emu_mutex_lock(&tcg_accel.lock);
    while (!tcg_accel.rr_paused && !tcg_accel.vm_running) {
        emu_cond_wait(&tcg_accel.paused_cond, &tcg_accel.lock);
    }
    emu_mutex_unlock(&tcg_accel.lock);
    if (bql) {
        bql_lock();
    }
}

static void tcg_accel_kick_all(void)
{
    kick_all_cpus();
}

static void tcg_accel_cleanup(void)
{
    bool bql = bql_locked();

    if (!tcg_accel.thread_started) {
        return;
    }
    timer_free(tcg_accel.kick_timer);
    tcg_accel.kick_timer = NULL;
    emu_mutex_lock(&tcg_accel.lock);
    tcg_accel.quit = true;
    emu_cond_broadcast(&tcg_accel.cond);
    emu_mutex_unlock(&tcg_accel.lock);
    kick_all_cpus();
    if (bql) {
        bql_unlock();
    }
    emu_thread_join(&tcg_accel.thread);
    if (bql) {
        bql_lock();
    }
    tcg_accel.thread_started = false;
    cpu_set_kick_handler(NULL);
}

static const OptDesc tcg_accel_opts[] = {
    { "backend", OPT_STRING, "native (x86-64 hosts) or interp" },
    { "thread", OPT_STRING, "single (round-robin vCPUs on one thread)" },
    { "tb-size", OPT_NUMBER, "translation cache size in MiB" },
    { NULL }
};

static const AccelOps tcg_accel_ops = {
    .name = "tcg",
    .desc = "Tiny Code Generator (dynamic binary translation)",
    .available = tcg_accel_available,
    .init = tcg_accel_init,
    .start_vcpus = tcg_accel_start_vcpus,
    .vm_state_change = tcg_accel_vm_state_change,
    .kick_all = tcg_accel_kick_all,
    .cleanup = tcg_accel_cleanup,
    .opts = tcg_accel_opts,
};

ACCEL_REGISTER(tcg_accel_ops)
