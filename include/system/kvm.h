/*
 * What the rest of emu may ask of the KVM accelerator.  Nothing outside
 * accel/kvm and target/<arch>/kvm*.c includes <linux/kvm.h>.
 */
#ifndef SYSTEM_KVM_H
#define SYSTEM_KVM_H

#include "emu/osdep.h"
#include "emu/error.h"

/* KVM is the running accelerator */
bool kvm_enabled(void);
/* The PIC, IOAPIC (and PIT) are emulated in the host kernel */
bool kvm_irqchip_in_kernel(void);
bool kvm_pit_in_kernel(void);
/* Raise/lower a GSI of the in-kernel irqchip (0-23 on the pc) */
void kvm_set_irq(int gsi, int level);
/* Deliver an MSI (address/data as the device wrote them) */
void kvm_send_msi(uint64_t addr, uint32_t data);
/*
 * Why hardware acceleration is not available here, for "-accel hw":
 * NULL when it is (caller frees the string).
 */
char *kvm_unavailable_reason(void);

/* ---- vCPUs (called by target code; CPUState from hw/core/cpu.h) ---- */
typedef struct CPUState CPUState;
/* Create the KVM vCPU of cs (KVM_CREATE_VCPU, run area, CPUID) */
bool kvm_init_vcpu(CPUState *cs, Error **errp);
/* Fetch the registers of cs from KVM into its env (monitor, dumps) */
void kvm_cpu_synchronize_state(CPUState *cs);
/* The env of cs was reset: write all of it to KVM before it runs again */
void kvm_cpu_synchronize_post_reset(CPUState *cs);

/* Host thread id of the vCPU thread of cs, or -1 (not KVM / not started) */
int kvm_cpu_thread_id(CPUState *cs);

/*
 * The in-kernel PIT's channel 2 for the userspace port 0x61 (the kernel
 * leaves the speaker port to us): set its GATE input, read its OUT.
 */
void kvm_pit_set_channel2_gate(bool gate);
bool kvm_pit_channel2_out(void);

/* ---- event fds, for virtio (each returns 0 or -errno) ---- */
/*
 * What the running KVM offers (all false when KVM is not the
 * accelerator): KVM_CAP_IOEVENTFD; size-0 ("any length") MMIO
 * ioeventfds; KVM_CAP_IRQFD with GSI routes for MSIs.
 */
bool kvm_ioeventfd_available(void);
bool kvm_ioeventfd_any_length_available(void);
bool kvm_irqfd_msi_available(void);
/*
 * Writes of val (if datamatch) to port addr (size bytes) signal fd.
 * For MMIO, size 0 matches a write of any size (no datamatch; needs
 * kvm_ioeventfd_any_length_available()).
 */
int kvm_set_ioeventfd_pio(int fd, uint16_t addr, uint16_t val, bool assign,
                          unsigned size, bool datamatch);
int kvm_set_ioeventfd_mmio(int fd, uint64_t addr, uint64_t val, bool assign,
                           unsigned size, bool datamatch);
/* Writes to fd raise GSI gsi (resamplefd: -1 for edge semantics) */
int kvm_irqchip_add_irqfd(int fd, int resamplefd, int gsi);
int kvm_irqchip_remove_irqfd(int fd, int gsi);
/*
 * MSI routes (KVM_SET_GSI_ROUTING, committed at once): a GSI that
 * delivers the message addr/data, for an irqfd.  add returns the GSI
 * (>= 24) or -errno; update changes its message; release frees it
 * (remove its irqfd first).  Called with the global lock held.
 */
int kvm_irqchip_add_msi_route(uint64_t addr, uint32_t data);
int kvm_irqchip_update_msi_route(int gsi, uint64_t addr, uint32_t data);
void kvm_irqchip_release_msi_route(int gsi);

#endif
