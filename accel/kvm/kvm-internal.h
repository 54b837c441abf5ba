/*
 * Shared between the generic KVM accelerator (accel/kvm/kvm-all.c) and
 * the target glue (target/<arch>/kvm.c).  Nothing else includes this.
 */
#ifndef ACCEL_KVM_INTERNAL_H
#define ACCEL_KVM_INTERNAL_H

#include "emu/osdep.h"
#include "emu/error.h"
#include "hw/core/cpu.h"
#include <linux/kvm.h>

/* How much of the register state a put writes */
enum {
    KVM_PUT_RUNTIME_STATE = 1,  /* after the monitor looked (no TSC, LAPIC) */
    KVM_PUT_RESET_STATE = 2,    /* after a reset: everything */
};

typedef struct KVMCPU {
    CPUState *cs;
    int fd;
    struct kvm_run *run;
    size_t run_size;
    unsigned long vcpu_id;
    /* env holds state KVM does not have yet: put before KVM_RUN */
    bool dirty;
    int put_level;
    /* the last exit needs a KVM_RUN to complete (port/MMIO read data) */
    bool pending_completion;
    /* stopped until the next reset (triple fault, internal error) */
    bool wait_reset;
    /* the thread is out of KVM_RUN and waits (guarded by kvm lock) */
    bool parked;
    int stop_requests;
    bool thread_started;
    int tid;                /* host thread id, for "info cpus" */
} KVMCPU;

static inline KVMCPU *kvm_cpu(CPUState *cs)
{
    return cs->accel;
}

/* ioctl wrappers: the result, or -errno */
int kvm_ioctl(unsigned long req, ...);
int kvm_vm_ioctl(unsigned long req, ...);
int kvm_vcpu_ioctl(CPUState *cs, unsigned long req, ...);
/* KVM_CHECK_EXTENSION on the VM (falls back to /dev/kvm) */
int kvm_check_extension(int cap);
bool kvm_has_irqchip(void);

/* ---- the target's part (target/i386/kvm.c) ---- */
bool kvm_arch_init(Error **errp);
bool kvm_arch_init_vcpu(CPUState *cs, Error **errp);
int kvm_arch_get_registers(CPUState *cs);
int kvm_arch_put_registers(CPUState *cs, int level);
/* Decide what a KVM_EXIT_* the generic code does not know means */
void kvm_arch_dump_exit(CPUState *cs, FILE *f);

#endif
