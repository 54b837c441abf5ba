/* Accelerator registry and selection (-accel). */
#include "system/accel.h"
#include "system/kvm.h"

#define MAX_ACCELS 8

static const AccelOps *accels[MAX_ACCELS];
static int nr_accels;
static const AccelOps *cur_accel;

/*
 * Accelerators emu will have but this build does not yet implement: named
 * so that "-accel kvm" gets an honest message instead of "invalid".
 */
static const char *const planned_accels[] = { "tcg", "kvm", "hw", NULL };

void accel_register(const AccelOps *ops)
{
    assert(nr_accels < MAX_ACCELS);
    accels[nr_accels++] = ops;
}

const AccelOps *accel_find(const char *name)
{
    for (int i = 0; i < nr_accels; i++) {
        if (!strcmp(accels[i]->name, name)) {
            return accels[i];
        }
    }
    return NULL;
}

void accel_print_help(FILE *f)
{
    fprintf(f, "Accelerators supported in this build:\n");
    for (int i = 0; i < nr_accels; i++) {
        if (accels[i]->desc) {
            fprintf(f, "%s\n", accels[i]->name);
        }
    }
}

const AccelOps *current_accel(void)
{
    return cur_accel;
}

bool accel_is(const char *name)
{
    return cur_accel && !strcmp(cur_accel->name, name);
}

static bool is_planned(const char *name)
{
    for (int i = 0; planned_accels[i]; i++) {
        if (!strcmp(planned_accels[i], name)) {
            return true;
        }
    }
    return false;
}

static bool accel_try(EmuOpts *opts, Error **errp)
{
    const char *name = opts_get(opts, "accel");
    if (!name) {
        error_setg(errp, "Parameter 'accel' is missing");
        return false;
    }
    if (!strcmp(name, "hw")) {
        /*
         * "hw": hardware virtualization where the CPU has it and KVM
         * opens, else the translator after one line saying why.
         */
        char *reason = kvm_unavailable_reason();
        if (reason) {
            warn_report("-accel hw: %s; using the translator", reason);
            free(reason);
            name = "tcg";
        } else {
            name = "kvm";
        }
    }
    const AccelOps *ops = accel_find(name);
    if (!ops) {
        if (is_planned(name)) {
            error_setg(errp, "accelerator '%s' is not implemented yet in "
                       "this version of emu", name);
        } else {
            error_setg(errp, "invalid accelerator %s", name);
        }
        return false;
    }
    /* options other than accel must be known to that accelerator */
    for (EmuOpt *o = opts->head; o; o = o->next) {
        if (!strcmp(o->name, "accel")) {
            continue;
        }
        bool known = false;
        for (const OptDesc *d = ops->opts; d && d->name; d++) {
            if (!strcmp(d->name, o->name)) {
                known = true;
            }
        }
        if (!known) {
            error_setg(errp, "Invalid parameter '%s' for accelerator '%s'",
                       o->name, name);
            return false;
        }
    }
    if (ops->available && !ops->available(errp)) {
        return false;
    }
    if (ops->init && !ops->init(opts, errp)) {
        return false;
    }
    cur_accel = ops;
    return true;
}

/*
 * With no -accel, a machine without CPUs runs on the internal "none"
 * accelerator: nothing to accelerate.
 */
static const AccelOps none_accel = {
    .name = "none",
};

bool accel_configure(EmuOpts **opts, int n, Error **errp)
{
    if (n == 0) {
        cur_accel = &none_accel;
        return true;
    }
    Error *err = NULL;
    for (int i = 0; i < n; i++) {
        error_free(err);
        err = NULL;
        if (accel_try(opts[i], &err)) {
            return true;
        }
        if (i + 1 < n) {
            /* QEMU tries the next one after a warning */
            warn_report("%s", error_get_pretty(err));
        }
    }
    error_propagate(errp, err);
    return false;
}

bool accel_start_vcpus(unsigned ncpus, Error **errp)
{
    if (ncpus == 0) {
        return true;
    }
    if (!cur_accel || !cur_accel->start_vcpus) {
        error_setg(errp, "no accelerator in this build can run guest CPUs yet "
                   "(the translator and KVM are not implemented)");
        return false;
    }
    return cur_accel->start_vcpus(ncpus, errp);
}
