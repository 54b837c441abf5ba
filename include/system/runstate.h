/* VM run state machine, and reset/shutdown/stop requests. */
#ifndef SYSTEM_RUNSTATE_H
#define SYSTEM_RUNSTATE_H

#include "emu/osdep.h"
#include "emu/error.h"

/* Names follow QEMU's RunState enum ("prelaunch", "running", ...). */
typedef enum RunState {
    RUN_STATE_DEBUG = 0,
    RUN_STATE_INMIGRATE,
    RUN_STATE_INTERNAL_ERROR,
    RUN_STATE_IO_ERROR,
    RUN_STATE_PAUSED,
    RUN_STATE_POSTMIGRATE,
    RUN_STATE_PRELAUNCH,
    RUN_STATE_FINISH_MIGRATE,
    RUN_STATE_RESTORE_VM,
    RUN_STATE_RUNNING,
    RUN_STATE_SAVE_VM,
    RUN_STATE_SHUTDOWN,
    RUN_STATE_SUSPENDED,
    RUN_STATE_WATCHDOG,
    RUN_STATE_GUEST_PANICKED,
    RUN_STATE_COLO,
    RUN_STATE__MAX
} RunState;

/* Causes, with QEMU's ShutdownCause names for the events. */
typedef enum ShutdownCause {
    SHUTDOWN_CAUSE_NONE = 0,
    SHUTDOWN_CAUSE_HOST_ERROR,
    SHUTDOWN_CAUSE_HOST_QMP_QUIT,
    SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET,
    SHUTDOWN_CAUSE_HOST_SIGNAL,
    SHUTDOWN_CAUSE_HOST_UI,
    SHUTDOWN_CAUSE_GUEST_SHUTDOWN,
    SHUTDOWN_CAUSE_GUEST_RESET,
    SHUTDOWN_CAUSE_GUEST_PANIC,
    SHUTDOWN_CAUSE_SUBSYSTEM_RESET,
    SHUTDOWN_CAUSE__MAX
} ShutdownCause;

const char *runstate_name(RunState s);
const char *shutdown_cause_name(ShutdownCause c);
bool shutdown_cause_is_guest(ShutdownCause c);

RunState runstate_get(void);
bool runstate_is_running(void);
bool runstate_check(RunState s);
/* Change state; asserts the transition is allowed. */
void runstate_set(RunState s);
bool runstate_needs_reset(void);

/* Start the VM (cont): RESUME event, virtual clock starts, vCPUs resume. */
bool vm_start(Error **errp);
/* Pause the VM (stop): STOP event; state must become s. */
void vm_stop(RunState s);

/* Requests, served by the main loop (thread-safe, async). */
void system_reset_request(ShutdownCause cause);
void system_shutdown_request(ShutdownCause cause);
void system_powerdown_request(void);
/*
 * Ask emu to exit with this process status (isa-debug-exit): the main
 * loop returns it from main_loop_should_exit() at its next iteration,
 * before any pending shutdown or reset.
 */
void system_exit_request(int status);
/* Set by -no-shutdown / -no-reboot */
extern bool no_shutdown;
extern bool no_reboot;

/*
 * Main loop iteration hook: processes pending requests.  Returns true when
 * emu should exit (shutdown without -no-shutdown, or quit).
 */
bool main_loop_should_exit(int *status);

/* The machine's way to tell the guest to power down (ACPI button) */
void system_set_powerdown_notifier(void (*fn)(void));

/* Full system reset (devices then CPUs); used at start-up and on request. */
void system_reset(ShutdownCause cause);

/*
 * Observers of run state changes (accelerators start/stop vCPUs; devices
 * may care).  Called with the global lock held.
 */
typedef void VMChangeStateHandler(void *opaque, bool running, RunState state);
void vm_state_add_change_handler(VMChangeStateHandler *cb, void *opaque);
void vm_state_remove_change_handler(VMChangeStateHandler *cb, void *opaque);

/* Reset handlers not attached to a device (machines, CPUs) */
typedef void ResetHandler(void *opaque);
void register_reset(ResetHandler *fn, void *opaque);
void unregister_reset(ResetHandler *fn, void *opaque);

#endif
