/*
 * The run state machine (prelaunch, running, paused, shutdown, ...) and
 * the reset/shutdown/powerdown requests that the main loop serves.
 */
#include "system/runstate.h"
#include "system/accel.h"
#include "emu/main-loop.h"
#include "emu/timer.h"
#include "emu/thread.h"
#include "hw/qdev.h"
#include "monitor/monitor.h"

bool no_shutdown;
bool no_reboot;

static RunState current_state = RUN_STATE_PRELAUNCH;

static const char *const runstate_names[RUN_STATE__MAX] = {
    [RUN_STATE_DEBUG] = "debug",
    [RUN_STATE_INMIGRATE] = "inmigrate",
    [RUN_STATE_INTERNAL_ERROR] = "internal-error",
    [RUN_STATE_IO_ERROR] = "io-error",
    [RUN_STATE_PAUSED] = "paused",
    [RUN_STATE_POSTMIGRATE] = "postmigrate",
    [RUN_STATE_PRELAUNCH] = "prelaunch",
    [RUN_STATE_FINISH_MIGRATE] = "finish-migrate",
    [RUN_STATE_RESTORE_VM] = "restore-vm",
    [RUN_STATE_RUNNING] = "running",
    [RUN_STATE_SAVE_VM] = "save-vm",
    [RUN_STATE_SHUTDOWN] = "shutdown",
    [RUN_STATE_SUSPENDED] = "suspended",
    [RUN_STATE_WATCHDOG] = "watchdog",
    [RUN_STATE_GUEST_PANICKED] = "guest-panicked",
    [RUN_STATE_COLO] = "colo",
};

static const char *const cause_names[SHUTDOWN_CAUSE__MAX] = {
    [SHUTDOWN_CAUSE_NONE] = "none",
    [SHUTDOWN_CAUSE_HOST_ERROR] = "host-error",
    [SHUTDOWN_CAUSE_HOST_QMP_QUIT] = "host-qmp-quit",
    [SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET] = "host-qmp-system-reset",
    [SHUTDOWN_CAUSE_HOST_SIGNAL] = "host-signal",
    [SHUTDOWN_CAUSE_HOST_UI] = "host-ui",
    [SHUTDOWN_CAUSE_GUEST_SHUTDOWN] = "guest-shutdown",
    [SHUTDOWN_CAUSE_GUEST_RESET] = "guest-reset",
    [SHUTDOWN_CAUSE_GUEST_PANIC] = "guest-panic",
    [SHUTDOWN_CAUSE_SUBSYSTEM_RESET] = "subsystem-reset",
};

const char *runstate_name(RunState s)
{
    return s < RUN_STATE__MAX ? runstate_names[s] : "unknown";
}

const char *shutdown_cause_name(ShutdownCause c)
{
    return c < SHUTDOWN_CAUSE__MAX ? cause_names[c] : "unknown";
}

bool shutdown_cause_is_guest(ShutdownCause c)
{
    return c >= SHUTDOWN_CAUSE_GUEST_SHUTDOWN &&
           c != SHUTDOWN_CAUSE_SUBSYSTEM_RESET;
}

/*
 * Allowed transitions, as QEMU's table for the states emu reaches so far.
 * Anything else is a programming error.
 */
typedef struct Transition {
    RunState from, to;
} Transition;

static const Transition transitions[] = {
    { RUN_STATE_PRELAUNCH, RUN_STATE_RUNNING },
    { RUN_STATE_PRELAUNCH, RUN_STATE_PAUSED },
    { RUN_STATE_PRELAUNCH, RUN_STATE_INMIGRATE },
    { RUN_STATE_PRELAUNCH, RUN_STATE_SHUTDOWN },
    { RUN_STATE_PRELAUNCH, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_PRELAUNCH, RUN_STATE_DEBUG },
    { RUN_STATE_PRELAUNCH, RUN_STATE_RESTORE_VM },
    { RUN_STATE_RUNNING, RUN_STATE_PAUSED },
    { RUN_STATE_RUNNING, RUN_STATE_DEBUG },
    { RUN_STATE_RUNNING, RUN_STATE_SHUTDOWN },
    { RUN_STATE_RUNNING, RUN_STATE_INTERNAL_ERROR },
    { RUN_STATE_RUNNING, RUN_STATE_IO_ERROR },
    { RUN_STATE_RUNNING, RUN_STATE_GUEST_PANICKED },
    { RUN_STATE_RUNNING, RUN_STATE_SAVE_VM },
    { RUN_STATE_RUNNING, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_RUNNING, RUN_STATE_WATCHDOG },
    { RUN_STATE_RUNNING, RUN_STATE_SUSPENDED },
    { RUN_STATE_RUNNING, RUN_STATE_RESTORE_VM },
    { RUN_STATE_PAUSED, RUN_STATE_RUNNING },
    { RUN_STATE_PAUSED, RUN_STATE_PRELAUNCH },
    { RUN_STATE_PAUSED, RUN_STATE_SHUTDOWN },
    { RUN_STATE_PAUSED, RUN_STATE_SAVE_VM },
    { RUN_STATE_PAUSED, RUN_STATE_RESTORE_VM },
    { RUN_STATE_PAUSED, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_DEBUG, RUN_STATE_RUNNING },
    { RUN_STATE_DEBUG, RUN_STATE_PAUSED },
    { RUN_STATE_DEBUG, RUN_STATE_PRELAUNCH },
    { RUN_STATE_DEBUG, RUN_STATE_SHUTDOWN },
    { RUN_STATE_SHUTDOWN, RUN_STATE_PAUSED },
    { RUN_STATE_SHUTDOWN, RUN_STATE_PRELAUNCH },
    { RUN_STATE_SHUTDOWN, RUN_STATE_RUNNING },
    { RUN_STATE_INTERNAL_ERROR, RUN_STATE_PAUSED },
    { RUN_STATE_INTERNAL_ERROR, RUN_STATE_PRELAUNCH },
    { RUN_STATE_INTERNAL_ERROR, RUN_STATE_RUNNING },
    { RUN_STATE_INTERNAL_ERROR, RUN_STATE_SHUTDOWN },
    { RUN_STATE_GUEST_PANICKED, RUN_STATE_PAUSED },
    { RUN_STATE_GUEST_PANICKED, RUN_STATE_PRELAUNCH },
    { RUN_STATE_GUEST_PANICKED, RUN_STATE_RUNNING },
    { RUN_STATE_GUEST_PANICKED, RUN_STATE_SHUTDOWN },
    { RUN_STATE_IO_ERROR, RUN_STATE_RUNNING },
    { RUN_STATE_IO_ERROR, RUN_STATE_PAUSED },
    { RUN_STATE_IO_ERROR, RUN_STATE_SHUTDOWN },
    { RUN_STATE_IO_ERROR, RUN_STATE_PRELAUNCH },
    { RUN_STATE_SAVE_VM, RUN_STATE_RUNNING },
    { RUN_STATE_SAVE_VM, RUN_STATE_PAUSED },
    { RUN_STATE_RESTORE_VM, RUN_STATE_RUNNING },
    { RUN_STATE_RESTORE_VM, RUN_STATE_PAUSED },
    { RUN_STATE_RESTORE_VM, RUN_STATE_PRELAUNCH },
    { RUN_STATE_SUSPENDED, RUN_STATE_RUNNING },
    { RUN_STATE_SUSPENDED, RUN_STATE_PAUSED },
    { RUN_STATE_SUSPENDED, RUN_STATE_SHUTDOWN },
    { RUN_STATE_SUSPENDED, RUN_STATE_PRELAUNCH },
    { RUN_STATE_WATCHDOG, RUN_STATE_RUNNING },
    { RUN_STATE_WATCHDOG, RUN_STATE_PAUSED },
    { RUN_STATE_WATCHDOG, RUN_STATE_SHUTDOWN },
    { RUN_STATE_WATCHDOG, RUN_STATE_PRELAUNCH },
    { RUN_STATE_INMIGRATE, RUN_STATE_RUNNING },
    { RUN_STATE_INMIGRATE, RUN_STATE_PAUSED },
    { RUN_STATE_INMIGRATE, RUN_STATE_PRELAUNCH },
    { RUN_STATE_INMIGRATE, RUN_STATE_SHUTDOWN },
    { RUN_STATE_INMIGRATE, RUN_STATE_INTERNAL_ERROR },
    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_RUNNING },
    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_PAUSED },
    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_POSTMIGRATE },
    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_PRELAUNCH },
    { RUN_STATE_POSTMIGRATE, RUN_STATE_RUNNING },
    { RUN_STATE_POSTMIGRATE, RUN_STATE_PAUSED },
    { RUN_STATE_POSTMIGRATE, RUN_STATE_PRELAUNCH },
};

static bool transition_allowed(RunState from, RunState to)
{
    if (from == to) {
        return true;
    }
    for (size_t i = 0; i < ARRAY_SIZE(transitions); i++) {
        if (transitions[i].from == from && transitions[i].to == to) {
            return true;
        }
    }
    return false;
}

RunState runstate_get(void)
{
    return current_state;
}

bool runstate_check(RunState s)
{
    return current_state == s;
}

bool runstate_is_running(void)
{
    return current_state == RUN_STATE_RUNNING;
}

bool runstate_needs_reset(void)
{
    return current_state == RUN_STATE_INTERNAL_ERROR ||
           current_state == RUN_STATE_SHUTDOWN ||
           current_state == RUN_STATE_GUEST_PANICKED;
}

void runstate_set(RunState s)
{
    assert(s < RUN_STATE__MAX);
    if (!transition_allowed(current_state, s)) {
        fprintf(stderr, "emu: invalid runstate transition: '%s' -> '%s'\n",
                runstate_name(current_state), runstate_name(s));
        abort();
    }
    current_state = s;
}

/* ---- VM state change observers ---- */

typedef struct ChangeHandler {
    VMChangeStateHandler *cb;
    void *opaque;
    struct ChangeHandler *next;
} ChangeHandler;
static ChangeHandler *change_handlers;

void vm_state_add_change_handler(VMChangeStateHandler *cb, void *opaque)
{
    ChangeHandler *h = emu_malloc0(sizeof(*h));
    h->cb = cb;
    h->opaque = opaque;
    /* append: called in registration order when starting */
    ChangeHandler **pp = &change_handlers;
    while (*pp) {
        pp = &(*pp)->next;
    }
    *pp = h;
}

void vm_state_remove_change_handler(VMChangeStateHandler *cb, void *opaque)
{
    for (ChangeHandler **pp = &change_handlers; *pp; pp = &(*pp)->next) {
        if ((*pp)->cb == cb && (*pp)->opaque == opaque) {
            ChangeHandler *h = *pp;
            *pp = h->next;
            free(h);
            return;
        }
    }
}

static void notify_change(bool running, RunState state)
{
    for (ChangeHandler *h = change_handlers; h; h = h->next) {
        h->cb(h->opaque, running, state);
    }
}

bool vm_start(Error **errp)
{
    if (runstate_is_running()) {
        return true;
    }
    if (runstate_needs_reset()) {
        error_setg(errp, "Resetting the Virtual Machine is required");
        return false;
    }
    if (runstate_check(RUN_STATE_INMIGRATE)) {
        error_setg(errp, "Guest is waiting for an incoming migration");
        return false;
    }
    runstate_set(RUN_STATE_RUNNING);
    clock_virtual_start();
    monitor_event("RESUME", NULL);
    const AccelOps *acc = current_accel();
    if (acc && acc->vm_state_change) {
        acc->vm_state_change(true);
    }
    notify_change(true, RUN_STATE_RUNNING);
    return true;
}

void vm_stop(RunState s)
{
    if (!runstate_is_running()) {
        /* not running: just record the new state if it is reachable */
        if (transition_allowed(current_state, s)) {
            runstate_set(s);
        }
        return;
    }
    const AccelOps *acc = current_accel();
    if (acc && acc->vm_state_change) {
        acc->vm_state_change(false);
    }
    clock_virtual_stop();
    runstate_set(s);
    notify_change(false, s);
    monitor_event("STOP", NULL);
}

/* ---- Reset handlers ---- */

typedef struct ResetEntry {
    ResetHandler *fn;
    void *opaque;
    struct ResetEntry *next;
} ResetEntry;
static ResetEntry *reset_handlers;

void register_reset(ResetHandler *fn, void *opaque)
{
    ResetEntry *e = emu_malloc0(sizeof(*e));
    e->fn = fn;
    e->opaque = opaque;
    ResetEntry **pp = &reset_handlers;
    while (*pp) {
        pp = &(*pp)->next;
    }
    *pp = e;
}

void unregister_reset(ResetHandler *fn, void *opaque)
{
    for (ResetEntry **pp = &reset_handlers; *pp; pp = &(*pp)->next) {
        if ((*pp)->fn == fn && (*pp)->opaque == opaque) {
            ResetEntry *e = *pp;
            *pp = e->next;
            free(e);
            return;
        }
    }
}

static json_object *cause_event_data(ShutdownCause cause)
{
    json_object *d = json_object_new_object();
    json_object_object_add(d, "guest",
                           json_object_new_boolean(shutdown_cause_is_guest(cause)));
    json_object_object_add(d, "reason",
                           json_object_new_string(shutdown_cause_name(cause)));
    return d;
}

void system_reset(ShutdownCause cause)
{
    /*
     * vCPUs must not run while the machine resets under them (e.g. the
     * BIOS shadow RAM turning back into ROM): pause them around it.
     */
    const AccelOps *acc = current_accel();
    bool pause = runstate_is_running() && acc && acc->vm_state_change;
    if (pause) {
        acc->vm_state_change(false);
    }
    devices_reset_all();
    for (ResetEntry *e = reset_handlers; e; e = e->next) {
        e->fn(e->opaque);
    }
    if (pause) {
        acc->vm_state_change(true);
    }
    if (cause != SHUTDOWN_CAUSE_NONE) {
        monitor_event("RESET", cause_event_data(cause));
    }
}

/* ---- Requests ---- */

static int reset_requested;        /* ShutdownCause, 0 = none */
static int shutdown_requested;
static int powerdown_requested;
/* isa-debug-exit: exit status + 1, 0 = none (statuses are >= 0) */
static int exit_requested;

void system_reset_request(ShutdownCause cause)
{
    if (no_reboot && cause != SHUTDOWN_CAUSE_SUBSYSTEM_RESET) {
        /* -no-reboot: a reboot ends emu instead */
        __atomic_store_n(&shutdown_requested, cause, __ATOMIC_SEQ_CST);
    } else {
        __atomic_store_n(&reset_requested, cause, __ATOMIC_SEQ_CST);
    }
    const AccelOps *acc = current_accel();
    if (acc && acc->kick_all) {
        acc->kick_all();
    }
    main_loop_notify();
}

void system_shutdown_request(ShutdownCause cause)
{
    __atomic_store_n(&shutdown_requested, cause, __ATOMIC_SEQ_CST);
    const AccelOps *acc = current_accel();
    if (acc && acc->kick_all) {
        acc->kick_all();
    }
    main_loop_notify();
}

void system_exit_request(int status)
{
    __atomic_store_n(&exit_requested, (status & 0xff) + 1, __ATOMIC_SEQ_CST);
    const AccelOps *acc = current_accel();
    if (acc && acc->kick_all) {
        acc->kick_all();
    }
    main_loop_notify();
}

void system_powerdown_request(void)
{
    __atomic_store_n(&powerdown_requested, 1, __ATOMIC_SEQ_CST);
    main_loop_notify();
}

/* Machines register how the guest is told to power down (ACPI button) */
static void (*powerdown_notifier)(void);
void system_set_powerdown_notifier(void (*fn)(void))
{
    powerdown_notifier = fn;
}

bool main_loop_should_exit(int *status)
{
    int exit_status = __atomic_exchange_n(&exit_requested, 0,
                                          __ATOMIC_SEQ_CST);
    if (exit_status) {
        *status = exit_status - 1;
        return true;
    }
    int cause = __atomic_exchange_n(&shutdown_requested, 0, __ATOMIC_SEQ_CST);
    if (cause) {
        monitor_event("SHUTDOWN", cause_event_data(cause));
        bool guest = cause == SHUTDOWN_CAUSE_GUEST_SHUTDOWN ||
                     cause == SHUTDOWN_CAUSE_GUEST_PANIC ||
                     cause == SHUTDOWN_CAUSE_GUEST_RESET;
        if (no_shutdown && guest) {
            vm_stop(RUN_STATE_SHUTDOWN);
        } else {
            *status = 0;
            return true;
        }
    }
    cause = __atomic_exchange_n(&reset_requested, 0, __ATOMIC_SEQ_CST);
    if (cause) {
        system_reset(cause);
        if (!runstate_check(RUN_STATE_RUNNING) &&
            !runstate_check(RUN_STATE_INMIGRATE) &&
            !runstate_check(RUN_STATE_FINISH_MIGRATE) &&
            transition_allowed(current_state, RUN_STATE_PRELAUNCH)) {
            runstate_set(RUN_STATE_PRELAUNCH);
        }
    }
    if (__atomic_exchange_n(&powerdown_requested, 0, __ATOMIC_SEQ_CST)) {
        monitor_event("POWERDOWN", NULL);
        if (powerdown_notifier) {
            powerdown_notifier();
        }
    }
    return false;
}
