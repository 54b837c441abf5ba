/*
 * Accelerators: how guest CPUs run.  One interface, several
 * implementations: tcg (translator), kvm (alias hw), qtest (no CPU).  The
 * rest of emu asks the accelerator to create vCPUs, kick them and sync
 * their state; it never includes linux/kvm.h.
 */
#ifndef SYSTEM_ACCEL_H
#define SYSTEM_ACCEL_H

#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/option.h"

typedef struct AccelOps {
    const char *name;           /* "-accel NAME" */
    const char *desc;
    /* Can it work on this host? (sets errp with the reason if not) */
    bool (*available)(Error **errp);
    /* Set up (before the machine is built); opts are the -accel options */
    bool (*init)(EmuOpts *opts, Error **errp);
    /* After the machine is built: create and start vCPU threads */
    bool (*start_vcpus)(unsigned ncpus, Error **errp);
    /* Run state changed (vCPUs stop/resume) */
    void (*vm_state_change)(bool running);
    /* Ask all vCPUs to leave guest code (to take the lock, stop, ...) */
    void (*kick_all)(void);
    void (*cleanup)(void);
    /* Accepted -accel options besides "accel" (NULL-name terminated) */
    const OptDesc *opts;
} AccelOps;

void accel_register(const AccelOps *ops);
#define ACCEL_REGISTER(ops)                                              \
    static void __attribute__((constructor)) accel_register_##ops(void) \
    {                                                                    \
        accel_register(&(ops));                                          \
    }
const AccelOps *accel_find(const char *name);
void accel_print_help(FILE *f);
/* The accelerator in use (after accel_configure) */
const AccelOps *current_accel(void);
bool accel_is(const char *name);
/*
 * Choose and initialise from "-accel" option strings (in order: the first
 * that works wins, as QEMU does with -accel kvm -accel tcg); NULL list
 * means the default.
 */
bool accel_configure(EmuOpts **opts, int n, Error **errp);
bool accel_start_vcpus(unsigned ncpus, Error **errp);

#endif
